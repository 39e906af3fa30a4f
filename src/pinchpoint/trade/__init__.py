"""Trade flows: one long table from every customs source (one adapter per format; country codes from
:mod:`pinchpoint.kernel.countries`), Parquet in the workspace, code lists and concordances, import dependence,
growth, RCA, mirror gaps, circumvention scans and backfill, and Spark for histories beyond one machine."""
