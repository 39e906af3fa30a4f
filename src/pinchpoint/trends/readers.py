"""Readers for monthly indicator files: FRED's CSV (ISO dates, or day-month-year as some copies have them),
wide files of a date column and value columns (Japan's IIP extract), a generic long CSV, and e-Stat's CSV download.

Every reader returns a :class:`SeriesFile`: the series it could build and every problem with file, row and field.
A series with a problem of severity "error" (missing months, a date twice, text in a value column, mixed
frequencies) is not built; :meth:`SeriesFile.check` turns the errors into one :class:`DataError`.

Dates: ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY/MM``, and ``NN-NN-YYYY`` (``-``, ``/`` or ``.``). For the last the
order of day and month is read from the file as a whole: a first part above 12 means day first, a second part
above 12 month first; otherwise the first-of-month pattern of monthly data settles it (one part is always 1 and
the other runs through the months). When neither settles it the file is refused with the problem named.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError, DataError, Location
from pinchpoint.trends.series import Adjustment, Series, SeriesFile, SeriesProblem, check_series_id, month_label

MAX_BYTES = 200_000_000
LAYOUTS: tuple[str, ...] = ("auto", "fred", "wide", "long", "estat")

_IIP_SOURCE = ("METI Indices of Industrial Production, seasonally adjusted by industry, via e-Stat (statsDataId "
               "0004015801/0004015802, 2020 base; 2013-2017 from the 2015 base 0004017875/0004017876 rescaled by "
               "the overlap ratio by the extract's author)")
# What the publishers say about series we know by their file's header (the file itself does not say it).
KNOWN: dict[str, dict[str, Any]] = {
    "IPG3344S": {"name": "U.S. industrial production: semiconductor and other electronic components (NAICS 3344)",
                 "unit": "index 2017=100", "seasonal_adjustment": "SA",
                 "source": "Board of Governors of the Federal Reserve System, G.17, via FRED (IPG3344S)"},
    "shipment_index": {"id": "jp_iip_epd_shipments",
                       "name": "Japan IIP, electronic parts and devices: shipments",
                       "unit": "index 2020=100", "seasonal_adjustment": "SA",
                       "source": _IIP_SOURCE},
    "inventory_index": {"id": "jp_iip_epd_inventory",
                        "name": "Japan IIP, electronic parts and devices: inventory",
                        "unit": "index 2020=100", "seasonal_adjustment": "SA",
                        "source": _IIP_SOURCE},
}

_ISO = re.compile(r"(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?(?:[T ].*)?")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_MISSING = {"", ".", "NA", "N/A", "NaN", "nan", "-", "…", "...", "x", "X", "***", "#N/A"}
_DATE_COLUMNS = ("date", "observation_date", "period", "time", "month", "年月", "時点")


@dataclass(frozen=True)
class _Cell:
    row: int  # line number in the file (header is line 1 for a plain CSV)
    text: str


# Dates ------------------------------------------------------------------------------------------------------
def _day_order(cells: Sequence[_Cell], label: str, field: str) -> tuple[str | None, SeriesProblem | None]:
    """``"dmy"``, ``"mdy"`` or None (no NN-NN-YYYY dates), or the problem when the file does not settle it."""
    parts = [(int(m.group(1)), int(m.group(2))) for c in cells if (m := _NUMERIC_DATE.fullmatch(c.text.strip()))]
    if not parts:
        return None, None
    if any(a > 12 for a, _ in parts):
        return "dmy", None
    if any(b > 12 for _, b in parts):
        return "mdy", None
    firsts, seconds = {a for a, _ in parts}, {b for _, b in parts}
    if firsts == {1} and len(seconds) > 1:
        return "dmy", None  # first of each month, written day first
    if seconds == {1} and len(firsts) > 1:
        return "mdy", None
    example = cells[0].text.strip()
    return None, SeriesProblem(
        Location(label, cells[0].row, field),
        f"dates such as {example!r} could be day-month-year or month-day-year: no part is above 12 and neither is "
        "always 1 (first of the month); rewrite them as YYYY-MM-DD")


def _month_of(text: str, order: str | None) -> tuple[int, int] | None:
    """``(month index, day)`` of a date, or None when it is not a date in the accepted forms."""
    t = text.strip()
    m = _ISO.fullmatch(t)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    else:
        n = _NUMERIC_DATE.fullmatch(t)
        if not n or order is None:
            return None
        a, b, y = int(n.group(1)), int(n.group(2)), int(n.group(3))
        d, mo = (a, b) if order == "dmy" else (b, a)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1000 <= y <= 9999):
        return None
    return y * 12 + mo - 1, d


# Values -----------------------------------------------------------------------------------------------------
def _number(text: str) -> float | None:
    """A number, or None for a cell that is no number (the caller reports it)."""
    t = text.strip().replace(",", "") if re.fullmatch(r"\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*", text) else text.strip()
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# Building one series from dated cells ------------------------------------------------------------------------
def build_series(label: str, series_id: str, dates: Sequence[_Cell], values: Sequence[_Cell], *, date_field: str,
                 value_field: str, order: str | None, meta: dict[str, Any], vintage: str
                 ) -> tuple[Series | None, list[SeriesProblem]]:
    """One monthly series from its date and value cells, or None and the problems that stop it."""
    problems: list[SeriesProblem] = []
    points: list[tuple[int, int, int, float]] = []  # month, day, row, value
    for dcell, vcell in zip(dates, values, strict=True):
        when = _month_of(dcell.text, order)
        if when is None:
            problems.append(SeriesProblem(Location(label, dcell.row, date_field),
                                          f"not a date: {dcell.text.strip()!r} (YYYY-MM-DD, YYYY-MM or DD-MM-YYYY)"))
            continue
        raw = vcell.text.strip()
        if raw in _MISSING:
            problems.append(SeriesProblem(Location(label, vcell.row, value_field),
                                          f"no value for {month_label(when[0])} ({raw!r}): a missing month"))
            points.append((when[0], when[1], vcell.row, math.nan))  # dated: not reported again as a gap
            continue
        value = _number(raw)
        if value is None:
            problems.append(SeriesProblem(Location(label, vcell.row, value_field),
                                          f"not a number: {raw[:40]!r} in {series_id} for {month_label(when[0])}"))
            points.append((when[0], when[1], vcell.row, math.nan))
            continue
        points.append((when[0], when[1], vcell.row, value))
    if not points:
        if not problems:
            problems.append(SeriesProblem(Location(label, None, value_field), f"no values for {series_id}"))
        return None, problems
    if any(b[0] < a[0] for a, b in itertools.pairwise(points)):
        problems.append(SeriesProblem(Location(label, None, date_field),
                                      f"{series_id}: rows are not in date order; read in date order",
                                      "warning"))
    points.sort()
    seen: dict[int, tuple[int, int]] = {}
    for month, day, row, _ in points:
        if month in seen:
            first_day, first_row = seen[month]
            if first_day == day:
                problems.append(SeriesProblem(Location(label, row, date_field),
                                              f"{series_id}: date {month_label(month)}-{day:02d} again (first at row "
                                              f"{first_row}): a duplicated date"))
            else:
                problems.append(SeriesProblem(Location(label, row, date_field),
                                              f"{series_id}: a second date in {month_label(month)} (day {day}; row "
                                              f"{first_row} has day {first_day}): daily or weekly data mixed with "
                                              "monthly; give one value per month"))
        else:
            seen[month] = (day, row)
    months = sorted(seen)
    steps = np.diff(np.asarray(months))
    if len(steps):
        problems.extend(_frequency_problems(label, series_id, months, steps, seen, date_field))
    if any(p.severity == "error" for p in problems):
        return None, problems
    by_month = {m: v for m, _, _, v in points}
    series = Series(id=series_id, name=meta.get("name") or series_id, unit=meta.get("unit") or "",
                    start=months[0], values=np.asarray([by_month[m] for m in months], dtype=np.float64),
                    seasonal_adjustment=meta.get("seasonal_adjustment") or "unknown",
                    source=meta.get("source") or label, vintage=meta.get("vintage") or vintage)
    return series, problems


def _frequency_problems(label: str, series_id: str, months: list[int], steps: Any, seen: dict[int, tuple[int, int]],
                        field: str) -> list[SeriesProblem]:
    out: list[SeriesProblem] = []
    counts = {int(s): int((steps == s).sum()) for s in set(steps.tolist())}
    if 1 not in counts:
        kind = {3: "quarterly", 12: "annual"}.get(int(steps[0]), f"every {int(steps[0])} months")
        return [SeriesProblem(Location(label, seen[months[0]][1], field),
                              f"{series_id} is {kind}, not monthly: trends holds monthly series")]
    regular = {3, 12} & set(counts)
    if regular and sum(counts[s] for s in regular) >= 2:
        s = max(regular, key=lambda k: counts[k])
        i = int(np.argmax(steps == s))
        out.append(SeriesProblem(Location(label, seen[months[i + 1]][1], field),
                                 f"{series_id} mixes frequencies: monthly rows and "
                                 f"{counts[s]} steps of {s} months (first after {month_label(months[i])}): give one "
                                 "frequency per series"))
        return out
    for i in (int(k) for k in np.flatnonzero(steps > 1)):
        lo, hi = months[i] + 1, months[i + 1] - 1
        gap = month_label(lo) if lo == hi else f"{month_label(lo)}..{month_label(hi)}"
        out.append(SeriesProblem(Location(label, seen[months[i + 1]][1], field),
                                 f"{series_id}: missing month(s) {gap} before this row ({hi - lo + 1} missing); "
                                 "a series must have every month"))
    return out


# Files ------------------------------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataError(f"file is {size:,} bytes, more than the {MAX_BYTES:,} read", file=label)
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=label) from None
    from pinchpoint.sources.sniff import binary_kind

    if (found := binary_kind(raw)) is not None:  # a workbook, a zip, a PDF...: named, with what to do
        raise DataError(f"this is {found[0]}, not a CSV text file: {found[1]}", file=label, row=1)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw_text = raw.decode("utf-16")
    else:
        try:
            raw_text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                raw_text = raw.decode("cp932")  # e-Stat downloads in Shift_JIS
            except UnicodeDecodeError:
                raise DataError("not UTF-8 or Shift_JIS text (is it a spreadsheet or a binary file?)",
                                file=label) from None
    if "\x00" in raw_text:
        raise DataError("holds NUL bytes: not a CSV text file", file=label)
    if raw_text.lstrip().lower().startswith(("<!doctype html", "<html")):
        raise DataError("is an HTML page, not a CSV file (a download that returned an error page?)", file=label)
    return raw_text


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _vintage(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def detect_layout(rows: list[list[str]]) -> str:
    """The layout of a CSV file's rows: ``estat``, ``long``, ``fred`` or ``wide``; a ``ValueError`` otherwise."""
    if any("time_code" in [c.strip().strip('"') for c in row] for row in rows[:60]):
        return "estat"
    if not rows:
        raise ValueError("empty file")
    header = [c.strip().lower() for c in rows[0]]
    if {"series_id", "value"} <= set(header) and ({"date", "period", "month"} & set(header)):
        return "long"
    if header and header[0] in _DATE_COLUMNS and len(header) == 2:
        return "fred"
    if header and header[0] in _DATE_COLUMNS and len(header) > 2:
        return "wide"
    raise ValueError(f"cannot tell the layout from the header {rows[0][:6]}: expected a date column first (FRED or a "
                     "wide file), series_id,date,value (long), or e-Stat's time_code,value")


def read_series_file(path: str | Path, layout: str = "auto", *, meta: dict[str, Any] | None = None) -> SeriesFile:
    """Read every series of one file. ``meta`` (name, unit, seasonal_adjustment, source, vintage, id) overrides
    what the reader knows for a single-series file."""
    p = Path(path)
    return read_series_text(_read_text(p), str(p), layout, meta=meta)


def read_series_text(text: str, label: str, layout: str = "auto", *, meta: dict[str, Any] | None = None
                     ) -> SeriesFile:
    """Read every series of CSV ``text`` (a posted file), with ``label`` as the file name in problems."""
    if len(text) > MAX_BYTES:
        raise DataError(f"text is {len(text):,} characters, more than the {MAX_BYTES:,} read", file=label)
    if "\x00" in text:
        raise DataError("holds NUL bytes: not a CSV text file", file=label)
    if text.lstrip().lower().startswith(("<!doctype html", "<html")):
        raise DataError("is an HTML page, not a CSV file (a download that returned an error page?)", file=label)
    try:
        rows = _rows(text)
    except csv.Error as exc:
        raise DataError(f"not a readable CSV file: {exc}", file=label) from None
    if not rows or not any(c.strip() for row in rows for c in row):
        raise DataError("the file is empty", file=label)
    if layout not in LAYOUTS:
        raise BadArgumentError(f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if layout == "auto":
        try:
            layout = detect_layout(rows)
        except ValueError as exc:
            raise DataError(str(exc), file=label, row=1) from None
    vintage = _vintage(text)
    if layout == "estat":
        out = _read_estat(label, rows, vintage, meta or {})
    elif layout == "long":
        out = _read_long(label, rows, vintage, meta or {})
    else:
        out = _read_wide(label, rows, layout, vintage, meta or {})
    if "\n" in text and not text.endswith(("\n", "\r")):
        out.problems.append(SeriesProblem(Location(label, text.count("\n") + 1, None),
                                          "the file does not end with a line break: its last row may be cut short "
                                          "(a download that stopped?); check its last value", "warning"))
    return out


def _body(label: str, rows: list[list[str]], width: int, first_line: int,
          out: SeriesFile) -> list[tuple[int, list[str]]]:
    """Data rows with their line numbers; short or long rows are reported and kept out."""
    body = []
    for i, row in enumerate(rows):
        line = first_line + i
        if not any(c.strip() for c in row):
            continue
        out.rows_read += 1
        if len(row) != width:
            out.problems.append(SeriesProblem(Location(label, line, None),
                                              f"{len(row)} fields where the header has {width} (a row cut short or "
                                              "an unquoted comma)"))
            continue
        body.append((line, row))
    return body


def _read_wide(label: str, rows: list[list[str]], layout: str, vintage: str, meta: dict[str, Any]) -> SeriesFile:
    header = [c.strip() for c in rows[0]]
    out = SeriesFile(label, layout)
    if len(header) < 2:
        raise DataError("needs a date column and at least one value column", file=label, row=1)
    body = _body(label, rows[1:], len(header), 2, out)
    dates = [_Cell(line, row[0]) for line, row in body]
    order, problem = _day_order(dates, label, header[0])
    if problem is not None:
        out.problems.append(problem)
        return out
    for j, column in enumerate(header[1:], start=1):
        known = dict(KNOWN.get(column, {}))
        if len(header) == 2:
            known.update({k: v for k, v in meta.items() if v})
        series_id = known.pop("id", None) or column
        try:
            check_series_id(series_id)
        except ValueError as exc:
            out.problems.append(SeriesProblem(Location(label, 1, column), str(exc)))
            continue
        values = [_Cell(line, row[j]) for line, row in body]
        series, problems = build_series(label, series_id, dates, values, date_field=header[0], value_field=column,
                                        order=order, meta=known, vintage=vintage)
        out.problems.extend(problems)
        if series is not None:
            out.series.append(series)
    return out


def _read_long(label: str, rows: list[list[str]], vintage: str, meta: dict[str, Any]) -> SeriesFile:
    header = [c.strip().lower() for c in rows[0]]
    out = SeriesFile(label, "long")
    col = {name: i for i, name in enumerate(header)}
    missing = [name for name in ("series_id", "date", "value")
               if name not in col and not (name == "date" and {"period", "month"} & set(col))]
    if missing:  # the layout was named (--source indicators-long): say which columns it lacks
        has = ",".join(c.strip()[:40] for c in rows[0][:12]) or "nothing"
        raise DataError(f"no {' or '.join(repr(m) for m in missing)} column: the long layout needs the columns "
                        f"series_id,date,value (date may be called period or month); the header has {has}",
                        file=label, row=1, field=missing[0])
    date_name = next(n for n in ("date", "period", "month") if n in col)
    body = _body(label, rows[1:], len(header), 2, out)
    order, problem = _day_order([_Cell(line, row[col[date_name]]) for line, row in body], label, date_name)
    if problem is not None:
        out.problems.append(problem)
        return out
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    for line, row in body:
        sid = row[col["series_id"]].strip()
        try:
            check_series_id(sid)
        except ValueError as exc:
            out.problems.append(SeriesProblem(Location(label, line, "series_id"), str(exc)))
            continue
        groups.setdefault(sid, []).append((line, row))
    for sid, members in groups.items():
        info: dict[str, Any] = {}
        for key in ("name", "unit", "seasonal_adjustment", "source", "vintage"):
            if key in col:
                found = sorted({row[col[key]].strip() for _, row in members if row[col[key]].strip()})
                if len(found) > 1:
                    out.problems.append(SeriesProblem(Location(label, members[0][0], key),
                                                      f"{sid} has {len(found)} different {key}s: {found[:3]}"))
                    break
                if found:
                    info[key] = found[0]
        else:
            adj = info.get("seasonal_adjustment")
            if adj is not None and adj not in ("SA", "NSA", "unknown"):
                out.problems.append(SeriesProblem(Location(label, members[0][0], "seasonal_adjustment"),
                                                  f"{adj!r} is not SA, NSA or unknown"))
                continue
            series, problems = build_series(
                label, sid, [_Cell(line, row[col[date_name]]) for line, row in members],
                [_Cell(line, row[col["value"]]) for line, row in members], date_field=date_name,
                value_field="value", order=order, meta=info, vintage=vintage)
            out.problems.extend(problems)
            if series is not None:
                out.series.append(series)
    return out


# e-Stat ----------------------------------------------------------------------------------------------------
# e-Stat's CSV (API getSimpleStatsData, and the database view's "CSV download") ends with a table whose header
# holds, for each dimension, a ``<dim>_code`` column and a label column, then ``unit``, ``value`` and, with
# annotations, ``annotation``; with section headers on, it is preceded by RESULT / PARAMETER / STATISTICAL_DATA
# blocks and a line ``"VALUE"``. ``time_code`` is ten digits: the year, ``00``, then the first and last month of the
# period (``2024000303`` is March 2024, ``2024000000`` the year 2024, ``2024000103`` the first quarter). Some tables
# (METI's IIP among them) code months as ``YYYYMM`` instead, or label them ``2024年3月``: both are read too.
_ESTAT_TIME = re.compile(r"(\d{4})00(\d{2})(\d{2})")
_ESTAT_MONTH_NAME = re.compile(r"(\d{4})年\s*(\d{1,2})月")


def _estat_month(code: str, name: str) -> tuple[int | None, str | None]:
    """Month index from a time_code (or its label), or None with the frequency it has instead."""
    m = _ESTAT_TIME.fullmatch(code.strip())
    if m:
        y, a, b = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if a == b and 1 <= a <= 12:
            return y * 12 + a - 1, None
        if a == 0 and b == 0:
            return None, "annual"
        if b - a == 2:
            return None, "quarterly"
        return None, f"months {a}-{b}"
    six = re.fullmatch(r"(\d{4})(\d{2})", code.strip()) or re.fullmatch(r"(\d{4})(\d{2})", name.strip())
    if six and 1 <= int(six.group(2)) <= 12:
        return int(six.group(1)) * 12 + int(six.group(2)) - 1, None
    n = _ESTAT_MONTH_NAME.search(name)
    if n and 1 <= int(n.group(2)) <= 12:
        return int(n.group(1)) * 12 + int(n.group(2)) - 1, None
    return None, None


def _read_estat(label: str, rows: list[list[str]], vintage: str, meta: dict[str, Any]) -> SeriesFile:
    out = SeriesFile(label, "estat")
    start = next((i for i, row in enumerate(rows) if "time_code" in [c.strip() for c in row]), None)
    if start is None:  # the layout was named (--source estat)
        raise DataError("no 'time_code' column in any row: e-Stat's CSV download has a header row with time_code "
                        "and value", file=label, row=1, field="time_code")
    header = [c.strip() for c in rows[start]]
    if "value" not in header:
        raise DataError("e-Stat table header has time_code but no 'value' column", file=label, row=start + 1)
    col = {name: i for i, name in enumerate(header)}
    dims = [h for h in header if h.endswith("_code") and h != "time_code"]
    body = _body(label, rows[start + 1:], len(header), start + 2, out)
    groups: dict[tuple[str, ...], list[tuple[int, list[str]]]] = {}
    for line, row in body:
        groups.setdefault(tuple(row[col[d]].strip() for d in dims), []).append((line, row))
    for key, members in groups.items():
        labels = [members[0][1][col[d] + 1].strip() for d in dims if col[d] + 1 < len(header)
                  and not header[col[d] + 1].endswith("_code")]
        sid = str(meta["id"]) if len(groups) == 1 and meta.get("id") else "estat:" + ".".join(key)
        try:
            check_series_id(sid)
        except ValueError as exc:
            out.problems.append(SeriesProblem(Location(label, members[0][0], "series_id"), str(exc)))
            continue
        units = sorted({row[col["unit"]].strip() for _, row in members}) if "unit" in col else []
        dates: list[_Cell] = []
        values: list[_Cell] = []
        for line, row in members:
            month, other = _estat_month(row[col["time_code"]], row[col["time_code"] + 1]
                                        if col["time_code"] + 1 < len(row) else "")
            if month is None:
                what = f"a {other} period" if other else "not a period"
                out.problems.append(SeriesProblem(Location(label, line, "time_code"),
                                                  f"{sid}: time_code {row[col['time_code']].strip()!r} is {what}: "
                                                  "trends holds monthly series (mixed frequencies?)"))
                continue
            dates.append(_Cell(line, month_label(month)))
            values.append(_Cell(line, row[col["value"]]))
        info = {"name": meta.get("name") or " / ".join(x for x in labels if x) or sid,
                "unit": meta.get("unit") or (units[0] if len(units) == 1 else ""),
                "seasonal_adjustment": meta.get("seasonal_adjustment") or _estat_adjustment(labels),
                "source": meta.get("source") or "e-Stat", "vintage": meta.get("vintage")}
        if any(p.location.row in {line for line, _ in members} and p.location.field == "time_code"
               for p in out.problems):
            continue
        series, problems = build_series(label, sid, dates, values, date_field="time_code", value_field="value",
                                        order=None, meta=info, vintage=vintage)
        out.problems.extend(problems)
        if series is not None:
            out.series.append(series)
    return out


def _estat_adjustment(labels: list[str]) -> Adjustment:
    text = " ".join(labels)
    if "季節調整済" in text or "季調済" in text:
        return "SA"
    if "原指数" in text or "原数値" in text:
        return "NSA"
    return "unknown"
