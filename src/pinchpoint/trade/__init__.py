"""Trade flows: one long table from every customs source, import dependence, growth, RCA and circumvention."""
