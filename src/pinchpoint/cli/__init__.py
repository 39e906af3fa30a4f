"""The ``pinchpoint`` command line: a thin shell over the library."""
