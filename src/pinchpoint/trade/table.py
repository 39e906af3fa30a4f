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
    _seen: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)

    def add(self, **row: Any) -> None:
        for c in COLUMNS:
            self.columns[c].append(row.get(c))

    def __len__(self) -> int:
        return len(self.columns["period"])

    def problem(self, file: str, row: int, field_name: str, message: str) -> None:
        self.problems.append(f"{file}, row {row}, field '{field_name}': {message}")

    def is_repeat(self, key: tuple[str, ...], file: str, row: int, field_name: str) -> bool:
        """True (and reported) when a flow with this key was read before: counted once, never twice."""
        if key in self._seen:
            self.problem(file, row, field_name, f"duplicate of a row in {self._seen[key]}: counted once")
            return True
        self._seen[key] = Path(file).name
        return False

    def extend(self, other: TradeFrame) -> None:
        for c in COLUMNS:
            self.columns[c].extend(other.columns[c])
        self.problems.extend(other.problems)
        self.read_rows += other.read_rows

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
