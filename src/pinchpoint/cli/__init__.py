"""The ``pinchpoint`` command line: a thin shell over the library. One module per domain registers its commands;
``cli.common`` holds the shared options and ``friendly_errors``, the one place errors become exit codes (2; 3 for
a missing extra); ``cli.output`` presents every ResultTable."""
