"""A tidy result table with provenance, exportable as CSV, JSON or Parquet.

Analyses return a :class:`ResultTable`; the CLI, the API and the reports only present it.
Cells hold scalars or lists of strings (lists are joined with ``; `` in CSV and kept as
arrays in JSON and Parquet).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ExportFormat = Literal["csv", "json", "parquet"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json", "parquet")


@dataclass(frozen=True)
class ResultTable:
    """Rows of one analysis result with the columns in display order.

    ``meta`` records how the table was made (analysis, dataset name and version, parameters)
    so that any exported figure can be traced back and reproduced.
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls,
        name: str,
        records: Iterable[Mapping[str, Any]],
        columns: Sequence[str] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> ResultTable:
        rows = tuple(dict(r) for r in records)
        if columns is None:
            seen: dict[str, None] = {}
            for r in rows:
                for k in r:
                    seen.setdefault(k, None)
            columns = list(seen)
        missing = [c for r in rows for c in columns if c not in r]
        if missing:
            raise ValueError(f"result table {name!r}: rows lack columns {sorted(set(missing))}")
        return cls(name=name, columns=tuple(columns), rows=rows, meta=dict(meta or {}))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ResultTable:
        """The table a JSON export (:func:`to_document`) holds, meta and caveats included."""
        try:
            columns = [str(c) for c in document["columns"]]
            rows = document["rows"]
            return cls.from_records(str(document["table"]), rows, columns, dict(document.get("meta") or {}))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a pinchpoint JSON table (needs table, columns, rows): {exc}") from None

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        return [r[name] for r in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """Rows as plain dicts in column order (what JSON export writes)."""
        return [{c: _jsonable(r[c]) for c in self.columns} for r in self.rows]

    def head(self, n: int) -> ResultTable:
        return ResultTable(self.name, self.columns, self.rows[:n], self.meta)

    @property
    def caveats(self) -> tuple[str, ...]:
        """What the data or the method cannot answer for this result (shown beside it by every presenter)."""
        return tuple(self.meta.get("caveats", ()))

    def with_caveats(self, *caveats: str) -> ResultTable:
        """A copy with ``caveats`` added to ``meta["caveats"]`` (kept once each, in order)."""
        merged = list(self.caveats)
        for c in caveats:
            if c and c not in merged:
                merged.append(c)
        return ResultTable(self.name, self.columns, self.rows, {**self.meta, "caveats": merged})

    def with_command(self, command: str) -> ResultTable:
        """A copy recording ``command`` (the command line that made it) in ``meta["command"]``; unchanged if empty.

        Interfaces pass the command in; the library never reads ``sys.argv`` itself.
        """
        if not command:
            return self
        meta = {**self.meta, "command": command}
        if (pinned := reproducible_command(command, self.meta)) != command:
            meta["reproduce"] = pinned
        return ResultTable(self.name, self.columns, self.rows, meta)


# Integer columns that hold years, periods, codes, ids or row numbers, printed without a thousands separator (2022,
# 854231, row 1204): the separator is for counts and values only. Judged by the column's name.
CODE_COLUMN = re.compile(r"(^|_)(years?|periods?|months?|dates?|product|code|id|row|line|hs\d*|cn\d*)$"
                         r"|^(base|compare)$")


def is_code_column(column: str) -> bool:
    """Whether ``column`` holds years, periods, codes, ids or row numbers (never shown with a thousands separator)."""
    return bool(CODE_COLUMN.search(column.lower()))


def format_int(value: int, column: str = "") -> str:
    """An integer for people: ``12,345`` for counts and values, ``2024`` in a year, code, id or row column."""
    return str(value) if is_code_column(column) else f"{value:,}"


def cli_command(words: Sequence[str], options: Sequence[tuple[str, Any]] = ()) -> str:
    """The ``pinchpoint`` command line of subcommand ``words`` with ``options`` (name, value) as the CLI parses them:
    ``None``, ``False`` and ``""`` left out (the CLI's default), ``True`` as a bare flag, a list as the option
    repeated; quoted where a shell would need it. What an interface other than the CLI (the workbench, a job) records
    as ``meta["command"]`` so its figures can be reproduced at the terminal."""
    import shlex

    out = ["pinchpoint", *words]
    for name, value in options:
        if value is None or value is False or value == "":
            continue
        if value is True:
            out.append(name)
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            out += [name, f"{item:g}" if isinstance(item, float) else str(item)]
    return shlex.join(out)


def format_float(value: float) -> str:
    """A float for people: 2 decimals from 1 up, 3 below, and scientific where 3 decimals would show 0.000."""
    if not math.isfinite(value):
        return ""
    if abs(value) >= 1 or value == 0:
        return f"{value:,.2f}"
    return f"{value:.3f}" if abs(value) >= 0.0005 else f"{value:.2e}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


# Characters a reader cannot see that change what is shown: control characters (NUL and the rest of C0 but tab and
# line breaks, DEL, C1) and the bidirectional embeddings, overrides and isolates ("Trojan Source": U+202E shows
# "Bank\u202eilleM" as "BankMellI..." reversed).
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """``text`` with each control or bidirectional-override character written as its escape (``\\u0000``,
    ``\\u202e``), so a spreadsheet or a page shows it rather than obeying it. For CSV and HTML; JSON and Parquet
    keep text exactly."""
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _HIDDEN.search(text) else text


def spreadsheet_safe(value: Any) -> Any:
    """``value`` made inert for spreadsheets: a text cell that starts like a formula gets a leading ``'``, and
    control and bidirectional-override characters are written as escapes (:func:`visible_controls`).

    Only strings change, and only those a spreadsheet would evaluate or show other than they are; numbers (and text
    that is just a number, such as ``-0.5``) are left alone. Every CSV writer in pinchpoint passes its cells through
    here.
    """
    if not isinstance(value, str):
        return value
    value = visible_controls(value)
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SpreadsheetSafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """``csv.DictWriter`` whose text cells go through :func:`spreadsheet_safe`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: spreadsheet_safe(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):  # structured cells (explanations) travel as JSON text
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (list, tuple)):
        # joined with "; " unless an item holds ";" itself (or is structured): then JSON, so no item is split
        if any(isinstance(v, (dict, list, tuple)) or ";" in str(v) for v in value):
            return json.dumps(value, ensure_ascii=False, default=str)
        return spreadsheet_safe("; ".join(str(v) for v in value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""  # shortest text that reads back as the same float
    return spreadsheet_safe(value)


def format_from_path(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"{path}: cannot tell the format from the suffix; use .csv, .json or .parquet")
    return suffix  # type: ignore[return-value]


def export_format(path: Path, fmt: str | None = None) -> ExportFormat:
    """The format to write ``path`` in: ``fmt`` if given, else the suffix's. A ``fmt`` that another export format's
    suffix contradicts (``--format json`` into ``found.csv``) is refused: a spreadsheet would open the JSON as one
    column of CSV, and the name would lie about the content."""
    if fmt is None:
        return format_from_path(path)
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format {fmt!r}: exports are {', '.join(EXPORT_FORMATS)}")
    suffix = path.suffix.lower().lstrip(".")
    if suffix in EXPORT_FORMATS and suffix != fmt:
        raise ValueError(f"{path.name} ends in .{suffix} but the format asked for is {fmt}: name the file "
                         f"{path.with_suffix('.' + fmt).name}, or leave the format out to write {suffix}")
    return fmt  # type: ignore[return-value]


def export_meta(table: ResultTable) -> dict[str, Any]:
    """The provenance every export carries: ``table.meta`` with ``caveats`` always present (a list)."""
    meta = dict(table.meta)
    meta["caveats"] = list(table.caveats)
    return meta


def to_document(table: ResultTable) -> dict[str, Any]:
    """The JSON export: ``{"table", "meta", "columns", "rows"}`` with rows as records in column order."""
    return {"table": table.name, "meta": export_meta(table), "columns": list(table.columns), "rows": table.records()}


def reproducible_command(command: str, meta: Mapping[str, Any]) -> str:
    """``command`` with its dataset reference pinned to the version the result was computed on
    (``--dataset mine`` -> ``--dataset mine@bcca0fd1d47a3206``, from ``meta``'s ``dataset_ref`` and
    ``dataset_pinned``): the command gives the same figures after the dataset is imported again, which the command
    as typed does not. A trade result (``meta["trade_state"]``, the digest of the imports it read) gets
    ``--trade-state DIGEST``. ``command`` unchanged when the result names nothing to pin."""
    import shlex

    ref, pinned = meta.get("dataset_ref"), meta.get("dataset_pinned")
    state = meta.get("trade_state")
    if (not ref or not pinned or ref == pinned) and not state:
        return command
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    if state and len(words) > 2 and words[1] == "trade" and not any(
            w == "--trade-state" or w.startswith("--trade-state=") for w in words):
        # trade data have no dataset reference: the imports read are pinned by their digest, which the command
        # checks (a re-import since gives an error, not other figures)
        return shlex.join([*words, "--trade-state", str(state)])
    out = []
    for k, word in enumerate(words):
        if k and words[k - 1] in ("--dataset", "-d") and word == ref and pinned:
            word = str(pinned)
        elif word == f"--dataset={ref}":
            word = f"--dataset={pinned}"
        out.append(word)
    return shlex.join(out) if out != words else command  # a command naming no dataset stays as it was written


def sidecar_path(path: Path) -> Path:
    """Where a CSV file's provenance goes: ``<file>.meta.json`` next to it."""
    return path.with_name(path.name + ".meta.json")


def provenance_lines(table: ResultTable) -> list[str]:
    """Provenance and caveats as short text lines (for stderr beside CSV on stdout, and under terminal tables)."""
    meta = export_meta(table)
    lines = [f"{key}: {_plain(meta[key])}" for key in ("command", "reproduce", "dataset") if meta.get(key)]
    lines += [f"caveat: {c}" for c in meta["caveats"]]
    return lines


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def write_table(table: ResultTable, path: Path, fmt: ExportFormat | None = None) -> Path:
    """Write ``table`` to ``path`` as CSV (plus a ``<file>.meta.json`` sidecar), JSON or Parquet.

    JSON is the object of :func:`to_document`; Parquet carries the same meta in its key-value metadata.
    """
    fmt = export_format(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path.write_text(to_csv_text(table), encoding="utf-8", newline="")
        sidecar = {"table": table.name, "meta": export_meta(table), "columns": list(table.columns),
                   "n_rows": len(table), "file": path.name}
        sidecar_path(path).write_text(json.dumps(sidecar, ensure_ascii=False, indent=2, default=str) + "\n",
                                      encoding="utf-8")
    elif fmt == "json":
        path.write_text(to_json(table), encoding="utf-8")
    elif fmt == "parquet":
        _write_parquet(table, path)
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown format {fmt!r}")
    return path


def to_json(table: ResultTable) -> str:
    return json.dumps(to_document(table), ensure_ascii=False, indent=2, default=str)


def to_csv_text(table: ResultTable) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([spreadsheet_safe(c) for c in table.columns])
    for r in table.rows:
        writer.writerow([_csv_cell(r[c]) for c in table.columns])
    return buf.getvalue()


def _duck_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "VARCHAR"
    if kinds <= {bool}:
        return "BOOLEAN"
    if kinds <= {int}:
        return "BIGINT"
    if kinds <= {int, float}:
        return "DOUBLE"
    if kinds <= {list, tuple} and not any(isinstance(x, (dict, list, tuple)) for v in values if v for x in v):
        return "VARCHAR[]"
    return "VARCHAR"


def _write_parquet(table: ResultTable, path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        types = {c: _duck_type([r[c] for r in table.rows]) for c in table.columns}
        cols = ", ".join('"' + c.replace('"', '""') + f'" {types[c]}' for c in table.columns)
        con.execute(f"CREATE TABLE result ({cols})")
        if table.rows:
            placeholders = ", ".join("?" for _ in table.columns)

            def cell(v: Any, t: str) -> Any:
                if t == "VARCHAR" and isinstance(v, (dict, list, tuple)):
                    return json.dumps(v, ensure_ascii=False, default=str)
                if t == "VARCHAR" and v is not None and not isinstance(v, str):
                    return str(v)
                if t == "VARCHAR[]" and v is not None:
                    return [str(x) for x in v]
                if isinstance(v, float) and not math.isfinite(v):
                    return None
                return v

            con.executemany(
                f"INSERT INTO result VALUES ({placeholders})",
                [[cell(r[c], types[c]) for c in table.columns] for r in table.rows],
            )
        target = str(path).replace("'", "''")
        # Provenance (analysis, parameters, dataset, command line) travels in the file's key-value metadata.
        meta = export_meta(table)
        provenance = json.dumps(meta, ensure_ascii=False, default=str).replace("'", "''")
        caveats = json.dumps(meta["caveats"], ensure_ascii=False).replace("'", "''")
        con.execute(f"COPY result TO '{target}' (FORMAT parquet, "
                    f"KV_METADATA {{pinchpoint: '{provenance}', caveats: '{caveats}'}})")
    finally:
        con.close()
