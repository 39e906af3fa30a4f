"""Result tables: the one shape every analysis returns and every interface presents."""

from pinchpoint.results.table import ResultTable, write_table

__all__ = ["ResultTable", "write_table"]
