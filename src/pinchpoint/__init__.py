"""pinchpoint: economic-security analysis of critical-technology supply chains.

The package is organised by domain:

* :mod:`pinchpoint.supplychain` - the domain model, its loaders and data-quality checks;
* :mod:`pinchpoint.analysis` - concentration, chokepoints and multi-tier exposure;
* :mod:`pinchpoint.workspace` - the embedded DuckDB store of imported datasets;
* :mod:`pinchpoint.results` - result tables and their export;
* :mod:`pinchpoint.reports`, :mod:`pinchpoint.cli` - thin presentation shells.

Imports are lazy so that ``pinchpoint --help`` starts fast.
"""

__version__ = "0.1.0"
