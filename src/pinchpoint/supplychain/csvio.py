"""CSV reading that remembers where every row came from."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pinchpoint.errors import DataError


def read_rows(path: Path, required: Sequence[str], label: str | None = None, *, allow_empty: bool = False
              ) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each record; line numbers are where the record starts.

    Raises :class:`DataError` naming the file and column when a required column is missing, and naming the row
    when a record has fewer or more fields than the header (a file cut short ends in such a record), holds a NUL
    byte, or when the file holds no record at all (unless ``allow_empty``).
    """
    name = label or str(path)
    try:
        # undecodable bytes are kept as surrogates, so the record and field holding one can be named
        fh = path.open(newline="", encoding="utf-8-sig", errors="surrogateescape")
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=name) from exc
    with fh:
        with path.open("rb") as raw:
            head = raw.read(4096)
        if b"\x00" in head or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise DataError("the file is binary or UTF-16/32 text (it holds NUL bytes or a UTF-16 byte-order "
                            "mark), not UTF-8 CSV", file=name, row=1)
        reader = csv.DictReader(fh, strict=True)  # an open quote at the end of the file is an error
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            raise DataError(f"cannot read the header: {exc}", file=name, row=1) from None
        seen: set[str] = set()
        for col in header:
            if _UNDECODED.search(col):
                raise _not_utf8(path, name, 1, None, col)
            if col in seen:
                raise DataError(f"column {col!r} appears twice in the header", file=name, row=1, field=col)
            seen.add(col)
        for col in required:
            if col not in seen:
                raise DataError(f"missing column {col!r} (columns found: {', '.join(header) or 'none'})",
                                file=name, row=1, field=col)
        start = reader.line_num + 1
        records = 0
        try:
            for row in reader:
                if None in row:
                    extra = row[None]
                    raise DataError(f"row has {len(header) + len(extra)} fields, header has {len(header)}",
                                    file=name, row=start)
                if None in row.values():  # DictReader fills the fields a short record lacks with None
                    given = sum(v is not None for v in row.values())
                    raise DataError(f"row has {given} fields, header has {len(header)} (is the file cut short?)",
                                    file=name, row=start)
                for key, value in row.items():
                    if "\x00" in value:
                        raise DataError("a NUL byte in the field: the file is damaged or not text", file=name,
                                        row=start, field=key)
                    if _UNDECODED.search(value):
                        raise _not_utf8(path, name, start, key, value)
                records += 1
                yield start, {k: v.strip() for k, v in row.items()}
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(f"malformed CSV: {exc}", file=name, row=reader.line_num) from exc
        if not records and not allow_empty:
            raise DataError(f"the file holds a header and no records (columns: {', '.join(header) or 'none'})",
                            file=name, row=1)


#: A byte that is not UTF-8, as ``errors="surrogateescape"`` keeps it.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _not_utf8(path: Path, name: str, row: int, field: str | None, value: str) -> DataError:
    """The error for the first byte of ``path`` that is not UTF-8, found in ``value`` (a header cell, or ``field``
    of the record starting on ``row``): the byte, where it is in the file and the text around it."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        offset = -1
    except UnicodeDecodeError as exc:
        offset = exc.start
    shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    where = f"byte {offset:,} of the file, {data[offset:offset + 1]!r}, " if offset >= 0 else ""
    what = "in the header" if field is None else "in this field"
    return DataError(f"not UTF-8 text ({where}{what}: {shown[:60]!r}): save the file as UTF-8 (a spreadsheet's "
                     "\"CSV UTF-8\")", file=name, row=row, field=field)


#: A number with thousands separators (``1,234`` or ``12,345,678.9``): the only comma a number may hold.
GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")


def number_text(text: str, *, file: str, row: int, field: str, percent: bool = False) -> str:
    """``text`` stripped, with thousands separators taken out; a :class:`DataError` for any other comma.

    A decimal comma (``1,3`` as a European spreadsheet writes 1.3) must not be read as a thousands separator
    (13): a comma is read only in the strict ``1,234,567`` pattern, and never in a percentage (``percent``),
    which cannot reach a thousand.
    """
    value = text.strip()
    if "," not in value:
        return value
    if not percent and GROUPED.fullmatch(value):
        return value.replace(",", "")
    if value.count(",") == 1 and re.fullmatch(r"[-+]?\d*,\d+%?", value):
        hint = f"a decimal comma is not read (write {value.replace(',', '.')}, not {value})"
    else:
        hint = "a decimal comma is not read (write 1.3, not 1,3)"
    where = ("a percentage has no thousands separator" if percent
             else "a comma is read only as a thousands separator (1,234,567)")
    raise DataError(f"{field} {text.strip()!r} holds a comma: {hint}; {where}", file=file, row=row, field=field)


def parse_float(text: str, *, file: str, row: int, field: str, percent: bool = False) -> float | None:
    """Parse a number such as ``61``, ``61.5``, ``61%`` or ``1,234.5``; blank gives None. A comma other than a
    thousands separator (``1,3``), or any comma in a ``percent`` field, is an error naming the file, row and field."""
    value = number_text(text, file=file, row=row, field=field, percent=percent).rstrip("%").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"expected a number, found {text!r}", file=file, row=row, field=field) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DataError(f"expected a finite number, found {text!r}", file=file, row=row, field=field)
    return number


def parse_int(text: str, *, file: str, row: int, field: str) -> int | None:
    """Parse a whole number (a year: ``2024``, ``2024.0``); blank gives None; commas as in :func:`parse_float`."""
    value = number_text(text, file=file, row=row, field=field)
    if not value:
        return None
    try:
        return int(float(value)) if float(value).is_integer() else int(value)
    except ValueError:
        raise DataError(f"expected a whole number, found {text!r}", file=file, row=row, field=field) from None


T = TypeVar("T", bound=BaseModel)


def build_record(model: type[T], file: str, line: int, **values: object) -> T:
    """Construct a model record, turning a validation error into a located :class:`DataError`."""
    try:
        return model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise DataError(str(err["msg"]).removeprefix("Value error, "), file=file, row=line, field=field) from None


def cycle_error(cycle: list[str], edge_rows: dict[tuple[str, str], tuple[str, int]], file: str) -> DataError:
    """The error for a relation cycle, at the row that closes it (the last of its rows in the file, the one most
    likely added by mistake), listing the row of every relation in it so the user can choose which is wrong;
    ``edge_rows`` maps each relation (from, to) to its file and row, ``file`` is the file of one without a row."""
    edges = [(a, b, *edge_rows.get((a, b), (file, 0))) for a, b in itertools.pairwise(cycle)]
    src, dst, f, line = max(edges, key=lambda e: e[3])
    listed = ", ".join(f"row {n} {a} -> {b}" for a, b, _, n in edges)
    return DataError(f"relation cycle {' -> '.join(cycle)}, closed by {src} -> {dst} on this row ({listed}): the "
                     "relation graph must be acyclic; remove or reverse the relation that is wrong", file=f,
                     row=line or None, field="to")


def cycle_in(exc: ValidationError) -> list[str] | None:
    """The relation cycle behind a chain validation error, if that is what it was."""
    from pinchpoint.supplychain.model import CycleError

    for err in exc.errors():
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, CycleError):
            return inner.cycle
    return None


def first_message(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
