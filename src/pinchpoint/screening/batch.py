"""Batch screening of a CSV file: every input row kept with all its columns, one output row per match above the
threshold (best first, at most ``top``) or one row saying why there is none; resumable.

A run is resumed only when it is the same run: the same input content (SHA-256), the same lists (name, version
and content digest), the same parameters (threshold, filters, columns, top) and the same pinchpoint version. The
key is kept beside the output (``<output>.run.json``); any difference starts the output afresh and says what
differed, so the results of one file are never passed off as those of another. CSV output is written as it goes
(it is its own journal); JSON and Parquet are written at the end from a journal beside them
(``<output>.partial.csv``), removed once the output is whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.progress import ProgressCallback, no_progress
from pinchpoint.results import ResultTable
from pinchpoint.results.table import SpreadsheetSafeDictWriter, export_format, sidecar_path, write_table
from pinchpoint.screening.matcher import MAX_QUERY_CHARS, Screener
from pinchpoint.screening.reviews import Review, annotate

#: Called with each input row, its own options and its output rows (see :func:`screen_file`).
RowCallback = Callable[["InputRow", dict[str, str], Sequence[dict[str, Any]]], None]

#: What the batch adds after the input's own columns. ``n_matches`` is the number of match rows written for the
#: input (so a reader can tell a whole group from one cut short), ``match_rank`` 1 for the best; ``list_digest`` the
#: content hash of the stored list version the match was found in (the one ``lists list`` shows).
MATCH_COLUMNS = ["query", "status", "match_rank", "n_matches", "matched_name", "entity_id", "list", "list_version",
                 "list_digest", "score", "programmes", "listing_reason", "reason", "explanation", "alert",
                 "review_decision", "reviewer", "review_reason", "reviewed_at", "input_note"]
OUTPUT_COLUMNS = ["row", *MATCH_COLUMNS]  # before the input's columns are known
MAX_REPORTED = 5  # unreadable rows named in the one-line summary (all of them are in the output file)
FORMATS = ("csv", "json", "parquet")
#: Per-row refinements a batch can read from columns of the input (``<option>_column=``).
ROW_OPTIONS = ("country", "entity_type", "birth_date", "gender")


@dataclass(frozen=True)
class InputRow:
    """One record of the input: the line it starts on, its name, why it cannot be screened (if so), and all its
    fields as read."""

    line: int
    name: str
    problem: str | None
    short: bool = False  # fewer fields than the header
    fields: tuple[str, ...] = field(default=())
    note: str | None = None  # how the name was read, where not as written (a line break read as a space)


#: Byte-order marks, longest first (UTF-32 LE starts as UTF-16 LE does): Excel's "Unicode text" is UTF-16 LE with
#: its mark, "CSV UTF-8" UTF-8 with one.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
         (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"), (b"\xff\xfe", "utf-16", "UTF-16"), (b"\xfe\xff", "utf-16", "UTF-16"))


def decode_input(data: bytes, source: str) -> str:
    """The text of a file of names: a byte-order mark decides its encoding (UTF-8, UTF-16 little- or big-endian,
    UTF-32), else it must be UTF-8. Anything else is a :class:`DataError` naming the file and the row (line) of the
    first byte that is not text in that encoding: a name read in the wrong encoding would be screened misspelt.
    A file that is no text at all (an Excel workbook, a zip, a PDF, a program...) is named for what it is, with what
    to do (:func:`pinchpoint.sources.sniff.binary_kind`)."""
    from pinchpoint.sources.sniff import binary_kind

    found = binary_kind(data)
    if found is not None:
        what, do = found
        raise DataError(f"this is {what}, not a CSV file of names: {do}", file=source, row=1)
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                row = data[:exc.start].decode(codec, "replace").count("\n") + 1
                raise DataError(f"not {label} text despite its {label} byte-order mark (byte {exc.start:,}): the "
                                "file is damaged or was saved in another encoding", file=source, row=row) from None
    head = data[:4096]
    if len(head) >= 8 and head.count(0) * 3 >= len(head):  # every other byte NUL: UTF-16 without its mark
        raise DataError("looks like UTF-16 text without a byte-order mark: save it as UTF-8, or as Unicode text "
                        "(UTF-16 with its mark)", file=source, row=1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text (byte {exc.start:,} of the file, {data[exc.start:exc.start + 1]!r}, on "
                        "this row): save the file as UTF-8, or as Unicode text (UTF-16 with its byte-order mark)",
                        file=source, row=row) from None


def delimiter(text: str) -> str:
    """The field separator of a file of names: a comma, unless its header line holds none and holds tabs (Excel's
    "Unicode text" is tab-separated) or semicolons (a CSV written where the decimal mark is a comma)."""
    first = text[:text.find("\n")] if "\n" in text else text
    if "," in first:
        return ","
    return next((d for d in ("\t", ";") if d in first), ",")


def read_text(source: Path) -> tuple[bytes, str]:
    """A file of names' bytes and its text (:func:`decode_input`); an unreadable file is a :class:`DataError`."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(source)) from None
    return data, decode_input(data, str(source))


def read_rows(text: str, source: Path, name_column: str) -> list[InputRow]:
    """Each record of a CSV text with the line it starts on. Records that cannot be screened carry the reason:
    more fields than the header, an empty name, NUL bytes, a quote left open that swallowed the lines after it,
    or a last record cut short."""
    rows = list(_records(text, source, name_column))
    last = rows[-1] if rows else None
    if last is not None and last.problem is None and last.short and not text.endswith(("\n", "\r")):
        rows[-1] = InputRow(last.line, last.name, "the file ends inside this row (fewer fields than the header and "
                            "no line end): it looks cut short, so the name may be incomplete", fields=last.fields)
    return rows


#: Longest cell of a file of names, in characters: the csv module's own field limit, kept as pinchpoint's cap. A
#: row with a longer cell is marked unreadable (naming the row, the field and its length) and the rest are screened.
MAX_CELL_CHARS = 131_072
#: How much of a cell over :data:`MAX_CELL_CHARS` the output keeps, so a reviewer can see what it was.
CUT_CELL_CHARS = 1_000
_FIELD_LIMIT = "field larger than field limit"


@dataclass(frozen=True)
class Record:
    """One CSV record: the lines it spans and its fields; for a record with a cell over :data:`MAX_CELL_CHARS`,
    ``oversized`` is its longest cell as (field index, length in characters), and cells over the cap are cut to
    :data:`CUT_CELL_CHARS`."""

    line: int
    end: int
    fields: list[str]
    oversized: tuple[int, int] | None = None


def csv_records(text: str, separator: str) -> Iterator[Record]:
    """The records of a CSV text with the lines each spans, as :mod:`csv` reads them (its default dialect); a
    record holding a cell over :data:`MAX_CELL_CHARS`, which :mod:`csv` refuses (taking the whole file down with
    it), is read here by hand (:func:`_scan_record`), reported with that cell's field and length, and reading goes
    on after it. Other CSV errors are raised."""
    buffer = io.StringIO(text, newline="")
    offset = base = 0  # where the current reader started: character offset, and the lines before it
    while True:
        buffer.seek(offset)
        reader = csv.reader(buffer, delimiter=separator)
        line = base + 1
        try:
            for fields in reader:
                end = base + reader.line_num
                # csv's limit is process-wide and may have been raised: the cap is held here all the same
                yield _capped(line, end, fields) if max(map(len, fields), default=0) > MAX_CELL_CHARS \
                    else Record(line, end, fields)
                line = end + 1
            return
        except csv.Error as exc:
            if _FIELD_LIMIT not in str(exc):
                raise
        buffer.seek(offset)  # to the start of the record csv refused: the lines before it, as csv counts lines
        at = offset + sum(len(buffer.readline()) for _ in range(line - base - 1))
        fields, stop = _scan_record(text, at, separator)
        cut = text[at:stop]
        breaks = cut.count("\n") + cut.count("\r") - cut.count("\r\n")
        end = line + breaks - (1 if cut.endswith(("\n", "\r")) else 0)
        yield _capped(line, end, fields)
        offset, base = stop, end


def _capped(line: int, end: int, fields: list[str]) -> Record:
    """The record with its longest cell (over the cap, or over a lower limit csv was given) reported and cut."""
    k = max(range(len(fields)), key=lambda k: len(fields[k]))
    length, limit = len(fields[k]), cell_limit()
    return Record(line, end, [v[:CUT_CELL_CHARS] if len(v) > limit else v for v in fields], (k, length))


def cell_limit() -> int:
    """The longest cell read: :data:`MAX_CELL_CHARS`, or csv's own limit if something in the process lowered it."""
    return min(MAX_CELL_CHARS, csv.field_size_limit())


def _scan_record(text: str, at: int, separator: str) -> tuple[list[str], int]:
    """The fields of the record starting at ``at`` and where the next one starts, read as :mod:`csv`'s default
    dialect reads them (a doubled quote inside quotes is one quote; text after a closing quote belongs to the
    field), for the records :mod:`csv` refuses for a long cell."""
    plain = re.compile(f"[^{re.escape(separator)}\r\n]*")
    fields: list[str] = []
    i, n = at, len(text)
    while True:
        if text.startswith('"', i):
            parts, i = [], i + 1
            while True:
                j = text.find('"', i)
                if j < 0:  # the quote is never closed: the field runs to the end, as csv reads it
                    parts.append(text[i:])
                    i = n
                    break
                parts.append(text[i:j])
                if text.startswith('"', j + 1):
                    parts.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            rest = plain.match(text, i)
            assert rest is not None  # the pattern matches the empty string
            parts.append(rest.group())
            fields.append("".join(parts))
            i = rest.end()
        else:
            found = plain.match(text, i)
            assert found is not None
            fields.append(found.group())
            i = found.end()
        if i < n and text[i] == separator:
            i += 1
            continue
        return fields, i + (2 if text.startswith("\r\n", i) else 1 if i < n else 0)


def _header(records: Iterator[Record], source: Path) -> list[str] | None:
    first = next(records, None)
    if first is None:
        return None
    if first.oversized:
        k, length = first.oversized
        raise DataError(f"header cell {k + 1} is {length:,} characters, more than the {cell_limit():,} a cell may "
                        "hold: is this a file of names with a header row?", file=str(source), row=1,
                        field=f"#{k + 1}")
    return first.fields


def read_header(text: str, source: Path) -> list[str]:
    try:
        return _header(csv_records(text, delimiter(text)), source) or []
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", file=str(source), row=1) from None


def _records(text: str, source: Path, name_column: str) -> Iterator[InputRow]:
    separator = delimiter(text)
    records = csv_records(text, separator)
    header = _header(records, source)
    if header is None or name_column not in header:
        raise DataError(f"no column {name_column!r} (columns: {', '.join(header or []) or 'none: the file is empty'})",
                        file=str(source), row=1, field=name_column)
    check_unique_column(header, name_column, "the names", source)
    column = header.index(name_column)
    for parsed in records:
        line, end, record = parsed.line, parsed.end, parsed.fields
        if not record:
            continue  # a blank line is not a record
        if parsed.oversized:
            k, length = parsed.oversized
            field_name = header[k] if k < len(header) else f"#{k + 1}"
            yield InputRow(line, record[column][:CUT_CELL_CHARS] if column < len(record) else "",
                           f"field {field_name!r} is {length:,} characters, more than the {cell_limit():,} a cell "
                           f"may hold (its first {CUT_CELL_CHARS:,} are kept in this output)",
                           short=len(record) < len(header), fields=tuple(record))
            continue
        name = record[column].strip() if column < len(record) else ""
        problem = note = None
        # A line break inside a quoted field is legal CSV (a spreadsheet cell with a line break in it), but a field
        # whose next lines hold the delimiter (whole rows read as part of it), or a name in a record that is not
        # the header's shape, is a quote left open: say so rather than screen a name made of several rows, or lose
        # the rows it swallowed. A name of two or three lines in a record of the header's shape is that cell.
        swallowed = any(separator in rest for value in record for rest in value.splitlines()[1:])
        if not swallowed and column < len(record) and len(record) == len(header) > 1 and \
                1 < len(lines := [p.strip() for p in record[column].splitlines() if p.strip()]) <= 3:
            name, note = " ".join(lines), "the name holds a line break, read as a space"
        for k, value in enumerate(record):
            parts = value.splitlines()
            if (note is None and (k == column and ("\n" in value or "\r" in value))) or \
                    any(separator in rest for rest in parts[1:]):
                field_name = header[k] if k < len(header) else f"#{k + 1}"
                problem = (f"quote left open in field {field_name!r}: lines {line}-{end} were read as one record; "
                           f"close the quote and screen again")
                name = name.splitlines()[0].strip() if name else ""
                break
        else:
            if any("\x00" in value for value in record):
                problem = "NUL bytes in the row (a damaged or binary file?)"
            elif len(record) > len(header):
                problem = "row has more fields than the header"
            elif not name:
                problem = "empty name"
            elif len(name) > MAX_QUERY_CHARS:  # the matcher reads 500: a longer name is not screened cut
                problem = (f"name is {len(name):,} characters, more than the {MAX_QUERY_CHARS:,} a name may have "
                           "(is it several fields in one?)")
        yield InputRow(line, name, problem, short=len(record) < len(header), fields=tuple(record), note=note)


def check_unique_column(header: Sequence[str], column: str, holds: str, source: Path) -> None:
    """A column the batch reads must be named once: with two ``name`` columns the second was never screened."""
    positions = [k + 1 for k, name in enumerate(header) if name == column]
    if len(positions) > 1:
        raise DataError(f"the header names {len(positions)} columns {column!r} (columns "
                        f"{', '.join(map(str, positions))}): which one holds {holds} is not clear; rename the others",
                        file=str(source), row=1, field=column)


def input_columns(header: Sequence[str]) -> list[str]:
    """The input's column names as output columns: unchanged unless one is blank, repeated, or a name the batch
    writes itself ("score", "status"...), which gets ``input_`` before it (and a number if still repeated)."""
    taken = set(OUTPUT_COLUMNS)
    out: list[str] = []
    for k, name in enumerate(header):
        base = name.strip() or f"column_{k + 1}"
        candidate = f"input_{base}" if base in taken else base
        n = 2
        while candidate in taken:
            candidate = f"input_{base}_{n}"
            n += 1
        taken.add(candidate)
        out.append(candidate)
    return out


def parse_row_option(option: str, value: str) -> tuple[str | None, str | None]:
    """A per-row refinement read from a cell, as the same option given for every row is read
    (:func:`pinchpoint.screening.options.cell`): (the value the matcher takes, or None; a note when the cell holds
    something that is not one, so the row is screened without it and says so)."""
    from pinchpoint.screening.options import cell

    return cell(option, value)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_key(screener: Screener, source: Path, data: bytes, name_column: str, options: dict[str, Any]
            ) -> dict[str, Any]:
    """What a batch output was made from: a rerun resumes only if every part is the same."""
    import pinchpoint

    parameters = {k: sorted(v) if isinstance(v, list | tuple) else v for k, v in sorted(options.items())}
    return {"input": {"file": source.name, "sha256": _digest(data)},
            "lists": screener.list_digests(),
            "parameters": {"name_column": name_column, **parameters},
            "pinchpoint": pinchpoint.__version__}


def _differences(previous: dict[str, Any] | None, key: dict[str, Any]) -> str:
    if previous is None:
        return "no record of what it was screened from"
    out = []
    old_input, new_input = previous.get("input") or {}, key["input"]
    if old_input.get("sha256") != new_input["sha256"]:
        out.append(f"input {old_input.get('file')} ({str(old_input.get('sha256'))[:12]}) is now "
                   f"{new_input['file']} ({new_input['sha256'][:12]})")
    old_lists, new_lists = previous.get("lists") or {}, key["lists"]
    for name in sorted(set(old_lists) | set(new_lists)):
        if old_lists.get(name) != new_lists.get(name):
            out.append(f"list {name} {old_lists.get(name, 'absent')} is now {new_lists.get(name, 'absent')}")
    old_params, new_params = previous.get("parameters") or {}, key["parameters"]
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) != new_params.get(name):
            out.append(f"{name} {old_params.get(name)} is now {new_params.get(name)}")
    if previous.get("pinchpoint") != key["pinchpoint"]:
        out.append(f"pinchpoint {previous.get('pinchpoint')} is now {key['pinchpoint']}")
    return "; ".join(out) or "its record differs"


def _previous_rows(journal: Path, columns: list[str], lines: set[int]) -> dict[int, list[dict[str, str]]]:
    """The whole groups of rows an earlier run wrote, by input line, for lines of the current input. A group is
    whole when it holds as many match rows as its ``n_matches`` says (or its one row without a match): a run
    killed mid-write can leave a partial last row or a partial group, which is screened again."""
    try:
        with journal.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != columns:
                return {}
            groups: dict[int, list[dict[str, str]]] = {}
            for r in reader:
                # a run killed mid-write can leave a partial last row: its fields run short
                if None in r.values() or not (r.get("row") or "").isdigit() or not r.get("status"):
                    continue
                if int(r["row"]) in lines:
                    groups.setdefault(int(r["row"]), []).append(r)
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}

    def whole(group: list[dict[str, str]]) -> bool:
        if group[0]["status"] != "match":
            return len(group) == 1
        return (group[0]["n_matches"] or "").isdigit() and len(group) == int(group[0]["n_matches"]) and \
            [r["match_rank"] for r in group] == [str(k) for k in range(1, len(group) + 1)]

    return {line: group for line, group in groups.items() if whole(group)}


def _typed(record: dict[str, str], input_names: Sequence[str]) -> dict[str, Any]:
    """A journal row with the batch's own columns typed again (JSON and Parquet keep numbers as numbers and
    the explanation as an object); the input's columns stay text exactly as read."""
    out: dict[str, Any] = dict(record)
    out["row"] = int(record["row"])
    for key in ("match_rank", "n_matches"):
        out[key] = int(record[key]) if record.get(key) else None
    out["score"] = float(record["score"]) if record.get("score") else None
    out["explanation"] = json.loads(record["explanation"]) if record.get("explanation") else None
    out["programmes"] = json.loads(record["programmes"]) if record.get("programmes") else []
    for key in ("matched_name", "entity_id", "list", "list_version", "list_digest", "listing_reason", "reason",
                "input_note", "alert", "review_decision", "reviewer", "review_reason", "reviewed_at"):
        out[key] = record.get(key) or None
    for name in input_names:
        out[name] = record.get(name, "")
    return out


@dataclass
class _Counts:
    inputs: dict[str, int] = field(default_factory=lambda: {"match": 0, "no match": 0, "not screened": 0,
                                                              "unreadable": 0})
    match_rows: int = 0
    noted: int = 0
    decided: int = 0
    changed: int = 0
    unreadable: list[str] = field(default_factory=list)

    def add(self, group: Sequence[dict[str, Any]]) -> None:
        status = str(group[0]["status"])
        kind = status if status in self.inputs else "not screened" if status.startswith("not screened") \
            else "unreadable"
        self.inputs[kind] += 1
        self.match_rows += len(group) if kind == "match" else 0
        self.decided += sum(1 for r in group if r.get("alert") == "decided")
        self.changed += sum(1 for r in group if r.get("alert") == "record changed")
        self.noted += bool(group[0].get("input_note"))


def screen_file(screener: Screener, source: Path, output: Path, name_column: str = "name", workers: int = 1,
                block: int = 4096, *, top: int | None = None, fmt: str | None = None,
                country_column: str | None = None, type_column: str | None = None,
                birth_date_column: str | None = None, gender_column: str | None = None,
                progress: ProgressCallback | None = None, reviews: dict[str, Review] | None = None,
                on_row: RowCallback | None = None, **options: Any) -> str:
    """:func:`run_file`'s one-line summary (what the CLI prints)."""
    return run_file(screener, source, output, name_column, workers, block, top=top, fmt=fmt,
                    country_column=country_column, type_column=type_column, birth_date_column=birth_date_column,
                    gender_column=gender_column, progress=progress, reviews=reviews, on_row=on_row,
                    **options).summary


@dataclass(frozen=True)
class BatchRun:
    """What a batch run did: the file written, the summary the CLI prints, and ``counts`` (input rows per status,
    with the run's input digest, lists and parameters in its meta and its caveats)."""

    output: Path
    summary: str
    counts: ResultTable


def run_file(screener: Screener, source: Path, output: Path, name_column: str = "name", workers: int = 1,
             block: int = 4096, *, top: int | None = None, fmt: str | None = None,
             country_column: str | None = None, type_column: str | None = None,
             birth_date_column: str | None = None, gender_column: str | None = None,
             progress: ProgressCallback | None = None, reviews: dict[str, Review] | None = None,
             on_row: RowCallback | None = None, **options: Any) -> BatchRun:
    """Screen every row of ``source``; rows already in the output from an interrupted run of the same input,
    lists and parameters are not redone.

    Every input row is kept with all its columns: once per match at or above the threshold (best first,
    ``top`` at most; all of them when ``top`` is None), or once as ``no match``, ``not screened`` (nothing
    distinctive) or ``unreadable`` with the reason. ``country_column``, ``type_column``, ``birth_date_column`` and
    ``gender_column`` name input columns that refine each row's screening as ``country=``, ``entity_type=``,
    ``birth_date=`` and ``gender=`` (male, female, M, F) do for all rows; a cell that holds no such value is
    ignored for that row and said in ``input_note``.
    ``reviews`` (:func:`pinchpoint.screening.store.read_reviews`) are the decisions taken on earlier alerts: a
    match of an input and entity already decided shows the decision and ``alert`` "decided" (not a new alert)
    unless the entity's record changed since ("record changed"); other matches are "new".
    ``on_row(row, options, group)``, when given, is called for every input row (those resumed from an earlier
    run first) with the row's own options and its output rows (as written: a resumed row's come from the journal,
    as text); a stored screening
    (:mod:`pinchpoint.screening.delta`) is built so.
    ``fmt`` is csv, json or parquet (default: from the output's suffix, else csv). Rows are screened ``block``
    at a time across ``workers`` processes and written in input order after each block, so an interrupted run
    loses at most one block.
    """
    progress = progress or no_progress
    from pinchpoint.screening.options import refinements

    options = refinements(options)  # Syria as SYR, 1969-7-10 as 1969-07-10; no such value: an error naming it
    screener.check_options(**{k: options.get(k) for k in ("country", "entity_type", "lists", "birth_date",
                                                           "gender")},
                           threshold=options.get("threshold", 0.8))
    if top is not None and top < 1:
        raise ValueError(f"top {top}: give 1 or more matches per input row")
    suffix = output.suffix.lower().lstrip(".")
    fmt = (fmt or (suffix if suffix in FORMATS else "csv")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: a batch writes {', '.join(FORMATS)}")
    export_format(output, fmt)  # refused before screening, not after: --format json into found.csv
    data, text = read_text(source)
    try:
        rows = list(read_rows(text, source, name_column))
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", file=str(source)) from None
    if not rows:
        raise DataError("no rows to screen below the header", file=str(source), row=2)
    header = read_header(text, source)
    row_columns = {option: column for option, column in zip(ROW_OPTIONS, (country_column, type_column,
                                                                           birth_date_column, gender_column),
                                                            strict=True)
                   if column is not None}
    for option, column in row_columns.items():
        if column not in header:
            raise DataError(f"no column {column!r} for each row's {option.replace('_', ' ')} (columns: "
                            f"{', '.join(header)})", file=str(source), row=1, field=column)
        check_unique_column(header, column, f"each row's {option.replace('_', ' ')}", source)
    names = input_columns(header)
    columns = ["row", *names, *MATCH_COLUMNS]
    settings = {**options, "top": top, "format": fmt, **{f"{k}_column": v for k, v in row_columns.items()},
                "reviews": hashlib.sha256(json.dumps(sorted((k, asdict(r)) for k, r in (reviews or {}).items()),
                                                     ensure_ascii=False).encode()).hexdigest()[:12]}
    key = run_key(screener, source, data, name_column, settings)
    record = output.with_name(output.name + ".run.json")
    journal = output if fmt == "csv" else output.with_name(output.name + ".partial.csv")
    done: dict[int, list[dict[str, str]]] = {}
    fresh_note = ""
    if journal.exists() or output.exists():
        try:
            previous = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
        except (OSError, ValueError):
            previous = None
        if previous == key:
            done = _previous_rows(journal, columns, {r.line for r in rows}) if journal.exists() else {}
        else:
            fresh_note = f"; {output} replaced, not resumed ({_differences(previous, key)})"
    # the key is written before any row, so an interrupted run can be resumed; the earlier rows are rewritten
    # whole so that a partial last row or group of a killed run is dropped
    output.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(key, indent=1, ensure_ascii=False), encoding="utf-8")
    counts = _Counts()
    for group in done.values():
        counts.add(group)
    limit = top if top is not None else max(len(screener.entities), 1)
    with journal.open("w", encoding="utf-8", newline="") as fh:
        # names from customers may start with '=': a CSV output is made safe for spreadsheets; a journal for
        # JSON or Parquet keeps text exactly
        writer: csv.DictWriter[str] = (SpreadsheetSafeDictWriter(fh, columns) if fmt == "csv"
                                       else csv.DictWriter(fh, columns))
        writer.writeheader()
        for row in rows:  # earlier results, in input order
            writer.writerows(done.get(row.line, []))
            if on_row is not None and row.line in done:
                on_row(row, row_options(header, row, row_columns)[0], done[row.line])
        fh.flush()
        progress(len(done), len(rows), f"screening {source.name}")
        pending = [row for row in rows if row.line not in done]
        for start in range(0, len(pending), block):
            part = pending[start:start + block]
            groups = _screen_block(screener, part, header, names, row_columns, limit, workers, options,
                                   reviews or {})
            for row, group in zip(part, groups, strict=True):
                writer.writerows(group)
                if on_row is not None:
                    on_row(row, row_options(header, row, row_columns)[0], group)
                counts.add(group)
                if group[0]["status"].startswith("unreadable"):
                    counts.unreadable.append(f"{source}, row {row.line}: {row.problem}")
            fh.flush()
            os.fsync(fh.fileno())
            progress(len(done) + start + len(part), len(rows), "")
    table = _result_table(journal, columns, names, key, counts, fmt)
    if fmt == "csv":
        sidecar = {"table": table.name, "meta": {**table.meta, "caveats": list(table.caveats)},
                   "columns": columns, "n_rows": counts.match_rows + sum(
                       v for k, v in counts.inputs.items() if k != "match"), "file": output.name}
        sidecar_path(output).write_text(json.dumps(sidecar, ensure_ascii=False, indent=2, default=str) + "\n",
                                        encoding="utf-8")
    else:
        write_table(table, output, fmt)  # type: ignore[arg-type]
        journal.unlink()
    n = counts.inputs
    summary = (f"{source}: {len(rows)} rows ({len(done)} already screened{fresh_note}); {n['match']} with matches "
               f"({counts.match_rows} match rows), {n['no match']} no match, {n['not screened']} not screened "
               f"(nothing distinctive), {n['unreadable']} unreadable -> {output}")
    if counts.noted:
        summary += f"; {counts.noted} rows screened without a per-row value they hold (see input_note)"
    if counts.decided or counts.changed:
        summary += (f"; {counts.match_rows - counts.decided} match rows to review ({counts.changed} decided before "
                    f"but the listed record changed since), {counts.decided} decided before (not alerted again)")
    from pinchpoint.screening.scripts import japanese_fallback

    if fallback := japanese_fallback([row.name for row in rows]):
        summary += f"\nnote: {fallback}"
    if counts.unreadable:
        more = len(counts.unreadable) - MAX_REPORTED
        listed = counts.unreadable[:MAX_REPORTED] + ([f"... and {more} more in {output}"] if more > 0 else [])
        summary += (f"\n{len(counts.unreadable)} problem{'s' if len(counts.unreadable) > 1 else ''} reported "
                    f"(status 'unreadable' in {output}):\n" + "\n".join(listed))
    tally = ResultTable.from_records(
        "screening_batch_counts",
        [{"status": status, "inputs": count, "match_rows": counts.match_rows if status == "match" else 0}
         for status, count in n.items()], ["status", "inputs", "match_rows"],
        meta={**table.meta, "output": str(output), "rows": len(rows), "resumed_rows": len(done)})  # with caveats
    return BatchRun(output, summary, tally)


def row_options(header: Sequence[str], row: InputRow, row_columns: dict[str, str]
                ) -> tuple[dict[str, str], list[str]]:
    """A row's own country, type, birth date and gender read from the columns named, and a note for each cell that
    holds no such value (the row is screened without it)."""
    values = dict(zip(header, row.fields, strict=False))
    out: dict[str, str] = {}
    notes: list[str] = []
    for option, column in row_columns.items():
        value, note = parse_row_option(option, values.get(column, ""))
        if value is not None:
            out[option] = value
        if note:
            notes.append(f"column {column!r}: {note}; screened without it")
    return out, notes


def _screen_block(screener: Screener, part: Sequence[InputRow], header: Sequence[str], names: Sequence[str],
                  row_columns: dict[str, str], limit: int, workers: int, options: dict[str, Any],
                  reviews: dict[str, Review]) -> list[list[dict[str, Any]]]:
    """The output rows of each input row of ``part``, in order."""
    unscreenable = {k: why for k, row in enumerate(part)
                    if row.problem is None and (why := screener.unscreenable(row.name)) is not None}
    readable = [k for k, row in enumerate(part) if row.problem is None and k not in unscreenable]
    per_row: dict[int, dict[str, Any]] = {}
    notes: dict[int, list[str]] = {}
    for k, row in enumerate(part):
        values, row_notes = row_options(header, row, row_columns)
        if values:
            per_row[k] = values
        if row.note or row_notes:
            notes[k] = ([row.note] if row.note else []) + row_notes
    found = screener.screen_batch([part[k].name for k in readable], workers=workers,
                                  per_query=[{**options, **per_row.get(k, {}), "limit": limit} for k in readable],
                                  **{**options, "limit": limit})
    if reviews:
        entities = screener.entity_index()
        found = [annotate(matches, reviews, entities, refinements={**options, **per_row.get(k, {})})
                 for k, matches in zip(readable, found, strict=True)]
    results = dict(zip(readable, found, strict=True))
    digests = {lst.list_name: lst.digest for lst in screener.lists}
    groups = []
    for k, row in enumerate(part):
        base: dict[str, Any] = {"row": row.line, **dict(zip(names, row.fields, strict=False)), "query": row.name,
                                "input_note": "; ".join(notes.get(k, [])) or None}
        if len(row.fields) > len(names):
            extra = json.dumps(list(row.fields[len(names):]), ensure_ascii=False)
            base["input_note"] = "; ".join(filter(None, [base["input_note"], f"fields past the header: {extra}"]))
        if k in unscreenable:
            groups.append([{**base, "status": f"not screened: {unscreenable[k]}", "n_matches": 0}])
        elif k not in results:
            groups.append([{**base, "status": f"unreadable: {row.problem}", "n_matches": 0}])
        elif results[k]:
            matches = results[k]
            groups.append([{**base, "status": "match", "match_rank": rank, "n_matches": len(matches),
                            "matched_name": m["matched_name"], "entity_id": m["entity_id"], "list": m["list"],
                            "list_version": m["list_version"], "list_digest": digests.get(m["list"]) or None,
                            "score": m["score"],
                            "programmes": json.dumps(m["programmes"], ensure_ascii=False),
                            "listing_reason": m["listing_reason"], "reason": m["reason"],
                            "explanation": json.dumps(m["explanation"], ensure_ascii=False),
                            "alert": m.get("alert", "new"), **_review_cells(m.get("review"))}
                           for rank, m in enumerate(matches, start=1)])
        else:
            groups.append([{**base, "status": "no match", "n_matches": 0}])
    return groups


def _review_cells(review: dict[str, str] | None) -> dict[str, str]:
    if not review:
        return {}
    return {"review_decision": review["decision"], "reviewer": review["reviewer"], "review_reason": review["reason"],
            "reviewed_at": review["decided_at"]}


def _result_table(journal: Path, columns: list[str], names: Sequence[str], key: dict[str, Any], counts: _Counts,
                  fmt: str) -> ResultTable:
    """The batch's meta and caveats, and for JSON and Parquet its rows (read back from the journal)."""
    records: list[dict[str, Any]] = []
    if fmt != "csv":
        with journal.open(encoding="utf-8", newline="") as fh:
            records = [_typed(r, names) for r in csv.DictReader(fh)]
    n = counts.inputs
    caveats = [f"threshold {key['parameters'].get('threshold', 0.8)}: names scoring lower are not reported; every "
               f"input row is kept (as 'no match' when nothing reaches it)"]
    if n["not screened"]:
        caveats.append(f"{n['not screened']} rows not screened: only legal forms, single letters, numbers or "
                       "generic words (status 'not screened')")
    if n["unreadable"]:
        caveats.append(f"{n['unreadable']} rows unreadable (status 'unreadable: <reason>')")
    if counts.noted:
        caveats.append(f"{counts.noted} rows hold a per-row value that is not one (input_note): screened without it")
    if key["parameters"].get("top") is not None:
        caveats.append(f"at most {key['parameters']['top']} matches per input row (top)")
    return ResultTable.from_records("screening_batch", records, columns,
                                    meta={"input": key["input"], "lists": key["lists"],
                                          "parameters": key["parameters"]}).with_caveats(*caveats)
