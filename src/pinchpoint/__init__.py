"""pinchpoint: economic-security analysis of critical-technology supply chains.

The package is organised in layers (``tests/test_structure.py`` holds them as data and checks every import):

* shared: :mod:`pinchpoint.errors` (error kinds, ``Problem``), :mod:`pinchpoint.kernel` (the country vocabulary
  and named groups), :mod:`pinchpoint.results` (``ResultTable``), :mod:`pinchpoint.progress`,
  :mod:`pinchpoint.yamlio`, :mod:`pinchpoint.workspace` (the DuckDB store), :mod:`pinchpoint.supplychain` (the
  model and its loaders), :mod:`pinchpoint.analysis` (concentration, chokepoints, exposure),
  :mod:`pinchpoint.reports` (HTML, charts, maps);
* capabilities, which never import each other: :mod:`pinchpoint.stress`, :mod:`pinchpoint.trade`,
  :mod:`pinchpoint.controls`, :mod:`pinchpoint.screening`;
* interfaces, thin: :mod:`pinchpoint.cli`, :mod:`pinchpoint.api`.

Imports are lazy so that ``pinchpoint --help`` starts fast.
"""

__version__ = "0.1.0"
