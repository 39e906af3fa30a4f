"""The long trade table: one row per (period, reporter, partner, flow, product) from any source.

Adapters fill a :class:`TradeFrame` column by column; records that cannot be read are reported as
:class:`Problem` (file, row, field, reason) and kept out, never silently dropped or double-counted:
``read_rows == rows kept + reported`` holds for every frame, in the frame's ``unit`` (rows of a CSV file, cells
of a spreadsheet).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinchpoint.errors import Location, Severity
from pinchpoint.errors import Problem as KernelProblem
from pinchpoint.progress import ProgressCallback

COLUMNS = ("period", "frequency", "reporter", "partner", "flow", "classification", "revision", "product",
           "value_usd", "value", "currency", "quantity", "unit", "source", "version", "flags")
TYPES = {"period": "VARCHAR", "frequency": "VARCHAR", "reporter": "VARCHAR", "partner": "VARCHAR",
         "flow": "VARCHAR", "classification": "VARCHAR", "revision": "VARCHAR", "product": "VARCHAR",
         "value_usd": "DOUBLE", "value": "DOUBLE", "currency": "VARCHAR", "quantity": "DOUBLE", "unit": "VARCHAR",
         "source": "VARCHAR", "version": "VARCHAR", "flags": "VARCHAR"}

# progress(done, total, label): bytes of input read so far, out of all the files' bytes, and the file being read
Progress = ProgressCallback

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w])", re.IGNORECASE)


class Problem(str):
    """A record kept out (severity "error") or counted once (a duplicate: "warning"): the kernel's
    :class:`pinchpoint.errors.Problem` fields (``location``, ``message``, ``severity``; ``file``, ``row``,
    ``field``) plus ``records``, how many records it stands for (a spreadsheet row's confidential months), and
    ``kind``, its reason without particulars. It is also the text ``file, row N, field 'x': reason``, so it prints
    as it always did; :meth:`as_problem` gives the plain kernel record."""

    file: str
    row: int
    field: str
    reason: str
    records: int
    kind: str
    severity: Severity

    def __new__(cls, file: str, row: int, field_name: str, reason: str, count: int = 1,
                kind: str | None = None, severity: Severity = "error") -> Problem:
        self = super().__new__(cls, f"{file}, row {row}, field '{field_name}': {reason}")
        self.file, self.row, self.field, self.reason, self.records = file, row, field_name, reason, count
        self.severity = severity
        # the reason without its particulars (quoted values, numbers), to group problems of one kind
        self.kind = kind or _NUMBER.sub("N", _QUOTED.sub("'…'", reason))
        return self

    @property
    def location(self) -> Location:
        return Location(self.file, self.row, self.field)

    @property
    def message(self) -> str:
        return self.reason

    def as_problem(self) -> KernelProblem:
        return KernelProblem(self.location, self.reason, self.severity)

    def to_dict(self) -> dict[str, Any]:
        return {**self.as_problem().to_dict(), "records": self.records, "kind": self.kind}


@dataclass
class TradeFrame:
    source: str
    version: str
    columns: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in COLUMNS})
    problems: list[Problem] = field(default_factory=list)
    read_rows: int = 0  # records read, in ``unit``: each is kept or reported
    unit: str = "rows"
    notes: list[str] = field(default_factory=list)  # what a user should know that loses no record
    rows_kept: int | None = None  # set by the store: rows written after overlaps with earlier imports
    labels: dict[str, str] = field(default_factory=dict)  # product code -> the source's own description of it
    replaced: int = 0  # set by the store: stored values a revision replaced (``replace=True``)
    status: str = ""  # set by the store: imported, unchanged (this content is stored), nothing new
    origins: list[tuple[str, int]] = field(default_factory=list, repr=False)  # (file, row) of each row
    # key -> (file, row, value, position in the columns; -1 once the flow is in conflict) of its first row
    _seen: dict[tuple[str, ...], tuple[str, int, Any, int]] = field(default_factory=dict, repr=False)

    def add(self, *, origin: tuple[str, int] = ("", 0), **row: Any) -> None:
        for c in COLUMNS:
            self.columns[c].append(row.get(c))
        self.origins.append(origin)

    def __len__(self) -> int:
        return len(self.columns["period"])

    @property
    def reported(self) -> int:
        """Records kept out (a problem can stand for several: the missing months of a spreadsheet row)."""
        return sum(p.records for p in self.problems)

    @property
    def kept(self) -> int:
        return self.rows_kept if self.rows_kept is not None else len(self)

    def problem(self, file: str, row: int, field_name: str, message: str, count: int = 1,
                kind: str | None = None, severity: Severity = "error") -> None:
        self.problems.append(Problem(file, row, field_name, message, count, kind, severity))

    def is_repeat(self, key: tuple[str, ...], file: str, row: int, field_name: str, value: Any = None) -> bool:
        """True (and reported) when a flow with this key was read before: counted once, never twice.

        A second row for the same flow with a *different* ``value`` is not a duplicate but a conflict (two labels
        read as one country, a revised download beside the old one): every row of that flow is reported and none
        is kept, since picking one would print a figure the files do not agree on.
        """
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (file, row, value, len(self))
            return False
        first_file, first_row, first_value, position = first
        # the parent folder too: two downloads often share a file name (kazakhstan_/kazahstan_export_eurostat/)
        first_name, name = _with_folder(first_file), _with_folder(file)
        conflict = "two rows for one flow with different values: none kept"
        if position < 0:  # the flow is already in conflict
            self.problem(file, row, field_name, f"conflicts with {first_name} row {first_row} for the same flow "
                         f"({', '.join(key)}): {value} here; none of its rows kept", kind=conflict)
            return True
        if value is not None and first_value is not None and value != first_value:
            self._take_back(position)
            self._seen[key] = (first_file, first_row, first_value, -1)
            self.problem(first_file, first_row, field_name, f"conflicts with {name} row {row} for the "
                         f"same flow ({', '.join(key)}): {first_value} here, {value} there; neither kept",
                         kind=conflict)
            self.problem(file, row, field_name, f"conflicts with {first_name} row {first_row} for the same flow "
                         f"({', '.join(key)}): {value} here, {first_value} there; neither kept", kind=conflict)
            return True
        self.problem(file, row, field_name, f"duplicate of a row in {first_name}: counted once",
                     kind="duplicate of a row already read: counted once", severity="warning")
        return True

    def _take_back(self, position: int) -> None:
        for c in COLUMNS:
            del self.columns[c][position]
        del self.origins[position]
        for k, (f, r, v, p) in self._seen.items():
            if p > position:
                self._seen[k] = (f, r, v, p - 1)

    def extend(self, other: TradeFrame) -> None:
        for c in COLUMNS:
            self.columns[c].extend(other.columns[c])
        self.origins.extend(other.origins)
        self.problems.extend(other.problems)
        self.notes.extend(other.notes)
        self.read_rows += other.read_rows
        for code, label in other.labels.items():
            self.labels.setdefault(code, label)

    def summary(self) -> list[tuple[str, int]]:
        """Problems grouped by kind of reason: (kind, records), most records first."""
        counts: Counter[str] = Counter()
        for p in self.problems:
            counts[p.kind] += p.records
        return counts.most_common()

    def write_problems(self, path: Path) -> None:
        """Every problem as CSV: file, row, field, reason, records."""
        from pinchpoint.results.table import spreadsheet_safe

        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "row", "field", "reason", "records"])
            # reasons quote the input (a cell reading '=cmd|...'): inert in a spreadsheet
            writer.writerows([spreadsheet_safe(p.file), p.row, spreadsheet_safe(p.field), spreadsheet_safe(p.reason),
                              p.records] for p in self.problems)

    def to_duckdb(self, con: Any, name: str, *, with_origin: bool = False) -> None:
        """Create table ``name`` in the DuckDB connection from the frame (columnar, no row loop in SQL); with
        ``with_origin`` also ``_file`` and ``_row``, where each row was read."""
        import numpy as np

        extra = ", _file VARCHAR, _row BIGINT" if with_origin else ""
        con.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {TYPES[c]}' for c in COLUMNS)}{extra})")
        if not len(self):
            return
        frame = {c: np.array(self.columns[c], dtype=object) for c in COLUMNS}
        casts = ", ".join(f"CAST({c} AS {TYPES[c]}) AS {c}" for c in COLUMNS)
        if with_origin:
            origins = self.origins if len(self.origins) == len(self) else [("", 0)] * len(self)
            frame["_file"] = np.array([o[0] for o in origins], dtype=object)
            frame["_row"] = np.array([o[1] for o in origins], dtype=np.int64)
            casts += ", CAST(_file AS VARCHAR) AS _file, _row"
        con.register("_trade_frame", frame)
        try:
            con.execute(f"INSERT INTO {name} SELECT {casts} FROM _trade_frame")
        finally:
            con.unregister("_trade_frame")


def _with_folder(file: str) -> str:
    """``folder/name.csv``: a file's name with its parent folder, enough to tell apart two files of one name."""
    path = Path(file)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def sql_list(values: Sequence[str]) -> str:
    """Values as a quoted SQL list (``'a', 'b'``)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
