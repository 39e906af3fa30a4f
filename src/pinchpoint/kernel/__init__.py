"""The kernel every capability builds on: the one country vocabulary (:mod:`pinchpoint.kernel.countries`: ISO3
codes, pseudo-regions, trade aggregates, one alias table, named country groups as data in ``kernel/data``)."""
