"""The long trade table: one row per (period, reporter, partner, flow, product) from any source.

Adapters fill a :class:`TradeFrame` column by column; rows that cannot be read are counted in ``problems``
(file, row, field) and kept out, never silently dropped or double-counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COLUMNS = ("period", "frequency", "reporter", "partner", "flow", "classification", "revision", "product",
           "value_usd", "value", "currency", "quantity", "unit", "source", "version", "flags")
TYPES = {"period": "VARCHAR", "frequency": "VARCHAR", "reporter": "VARCHAR", "partner": "VARCHAR",
         "flow": "VARCHAR", "classification": "VARCHAR", "revision": "VARCHAR", "product": "VARCHAR",
         "value_usd": "DOUBLE", "value": "DOUBLE", "currency": "VARCHAR", "quantity": "DOUBLE", "unit": "VARCHAR",
         "source": "VARCHAR", "version": "VARCHAR", "flags": "VARCHAR"}


@dataclass
class TradeFrame:
    source: str
    version: str
    columns: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in COLUMNS})
    problems: list[str] = field(default_factory=list)
    read_rows: int = 0
    rows_kept: int | None = None  # set by the store: rows written after overlaps with earlier imports
    labels: dict[str, str] = field(default_factory=dict)  # product code -> the source's own description of it
    # key -> (file name, row, value, position in the columns; -1 once the flow is in conflict) of its first row
    _seen: dict[tuple[str, ...], tuple[str, int, Any, int]] = field(default_factory=dict, repr=False)

    def add(self, **row: Any) -> None:
        for c in COLUMNS:
            self.columns[c].append(row.get(c))

    def __len__(self) -> int:
        return len(self.columns["period"])

    def problem(self, file: str, row: int, field_name: str, message: str) -> None:
        self.problems.append(f"{file}, row {row}, field '{field_name}': {message}")

    def is_repeat(self, key: tuple[str, ...], file: str, row: int, field_name: str, value: Any = None) -> bool:
        """True (and reported) when a flow with this key was read before: counted once, never twice.

        A second row for the same flow with a *different* ``value`` is not a duplicate but a conflict (two labels
        read as one country, a revised download beside the old one): every row of that flow is reported and none
        is kept, since picking one would print a figure the files do not agree on.
        """
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (Path(file).name, row, value, len(self))
            return False
        first_file, first_row, first_value, position = first
        if position < 0:  # the flow is already in conflict
            self.problem(file, row, field_name, f"conflicts with {first_file} row {first_row} for the same flow "
                         f"({', '.join(key)}): {value} here; none of its rows kept")
            return True
        if value is not None and first_value is not None and value != first_value:
            self._take_back(position)
            self._seen[key] = (first_file, first_row, first_value, -1)
            self.problem(first_file, first_row, field_name, f"conflicts with {Path(file).name} row {row} for the "
                         f"same flow ({', '.join(key)}): {first_value} here, {value} there; neither kept")
            self.problem(file, row, field_name, f"conflicts with {first_file} row {first_row} for the same flow "
                         f"({', '.join(key)}): {value} here, {first_value} there; neither kept")
            return True
        self.problem(file, row, field_name, f"duplicate of a row in {first_file}: counted once")
        return True

    def _take_back(self, position: int) -> None:
        for c in COLUMNS:
            del self.columns[c][position]
        for k, (f, r, v, p) in self._seen.items():
            if p > position:
                self._seen[k] = (f, r, v, p - 1)

    def extend(self, other: TradeFrame) -> None:
        for c in COLUMNS:
            self.columns[c].extend(other.columns[c])
        self.problems.extend(other.problems)
        self.read_rows += other.read_rows
        for code, label in other.labels.items():
            self.labels.setdefault(code, label)

    def to_duckdb(self, con: Any, name: str) -> None:
        """Create table ``name`` in the DuckDB connection from the frame (columnar, no row loop in SQL)."""
        import numpy as np

        con.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {TYPES[c]}' for c in COLUMNS)})")
        if not len(self):
            return
        frame = {c: np.array(self.columns[c], dtype=object) for c in COLUMNS}
        con.register("_trade_frame", frame)
        try:
            casts = ", ".join(f"CAST({c} AS {TYPES[c]}) AS {c}" for c in COLUMNS)
            con.execute(f"INSERT INTO {name} SELECT {casts} FROM _trade_frame")
        finally:
            con.unregister("_trade_frame")


def sql_list(values: Sequence[str]) -> str:
    """Values as a quoted SQL list (``'a', 'b'``)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
