"""One adapter per trade-data format, each filling the long table (:mod:`pinchpoint.trade.table`).

| format | files | notes |
|---|---|---|
| ``comext-relational`` | Eurostat Comext "relational view" CSV | EUR; periods `Aug. 2024`, `Y2019`, `201952-...` |
| ``baci`` | CEPII BACI `t,i,j,k,v,q` (numeric codes) or extracts `i,j,cmd,value` (ISO3) | raw BACI in thousand USD,
  extracts in USD (detected from the header; ``flags`` say ``value:kUSD`` or ``value:USD``) |
| ``comtrade`` | UN Comtrade reports as filed: `year,reporter,partner,cmd,flow,value,...` (M49, .csv or .csv.gz) | USD |
| ``comtrade-api``, ``comtrade-bulk`` | Comtrade's current layout: API JSON (``{"data": [...]}``) or bulk ``.txt``
  (tab-separated) / ``.csv``, ``reporterCode, partnerCode, flowCode, cmdCode, primaryValue...`` | USD; breakdown rows
  (second partner, customs procedure, mode of transport) are reported and not added |
| ``comtrade-legacy`` | Comtrade bulk CSV, legacy layout (`Trade Value (US$)`, `Reporter ISO`...) | USD |
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pinchpoint.errors import DataError
from pinchpoint.kernel.countries import BACI_CODES as BACI_SPECIAL
from pinchpoint.kernel.countries import from_m49, from_name, known_code, unknown_code_message
from pinchpoint.trade.rates import Rates, fill_usd
from pinchpoint.trade.table import Progress, TradeFrame

COMEXT_COLUMNS = ("REPORTER", "PARTNER", "PRODUCT", "FLOW", "PERIOD", "VALUE_IN_EUR")
BACI_LAYOUTS = {"raw": ("t", "i", "j", "k", "v", "q"), "extract": ("i", "j", "cmd", "value")}
COMTRADE_RAW_COLUMNS = ("reporter", "partner", "cmd", "flow", "value")
COMTRADE_CURRENT_COLUMNS = ("reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue")
COMTRADE_LEGACY_COLUMNS = ("Reporter ISO", "Partner ISO", "Trade Flow", "Commodity Code", "Trade Value (US$)")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}
# what breaks while reading a file (a truncated .gz ends in EOFError, a corrupt one in zlib.error)
_READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, csv.Error, zlib.error)


def file_hash(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(p.name.encode())
        with p.open("rb") as fh:  # in blocks: a year of raw BACI is a gigabyte
            while block := fh.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()[:16]


def expand(paths: Iterable[str | Path], pattern: str = "*.csv*",
           accept: Callable[[Path], bool] | None = None) -> list[Path]:
    """Files named, and the matching files inside folders named (recursively), in a stable order. ``accept``
    filters what folders hold; a file named on its own is always read."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob(pattern) if q.is_file() and (accept is None or accept(q))))
        elif p.exists():
            out.append(p)
        else:
            raise DataError("no such file or folder", file=str(p))
    if not out:
        raise DataError(f"no data files found (looked for {pattern})", file=", ".join(str(p) for p in paths))
    return out


class _Ticker:
    """Progress in bytes of input over all files of one import."""

    def __init__(self, files: Sequence[Path], progress: Progress | None) -> None:
        self.progress = progress
        self.sizes = {f: max(f.stat().st_size, 1) for f in files}
        self.total = sum(self.sizes.values())
        self.done = 0

    def at(self, f: Path, position: int) -> None:
        if self.progress is not None:
            self.progress(self.done + min(position, self.sizes[f]), self.total, f.name)

    def finished(self, f: Path) -> None:
        self.done += self.sizes[f]
        if self.progress is not None:
            self.progress(self.done, self.total, f.name)


def _open_text(path: Path) -> tuple[IO[str], IO[bytes]]:
    """The file as text (UTF-8, BOM dropped; gunzipped if ``.gz``) and the raw byte stream under it (its
    position is the progress)."""
    raw = path.open("rb")
    stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw  # type: ignore[assignment]
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""), raw


def _shown(header: Sequence[str]) -> str:
    text = ", ".join(h[:40] for h in header[:12]) + (", ..." if len(header) > 12 else "")
    return text or "an empty header"


def _csv_records(frame: TradeFrame, path: Path, layout: str, required: Sequence[str], ticker: _Ticker,
                 delimiter: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` of each well-formed record of a CSV file, counted in ``frame.read_rows``; records that
    are not (more or fewer fields than the header, a quote left open that runs over the next lines) are
    reported there. A file that is empty, holds only a header, or lacks the layout's columns is refused."""
    label = str(path)
    line = records = 0
    try:
        text, raw = _open_text(path)
        with text, raw:
            if delimiter is None:
                first = text.readline()
                delimiter = "\t" if "\t" in first else ","
                text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            header = [h.strip() for h in next(reader, [])]
            line = reader.line_num
            if not any(header):
                raise DataError(f"empty file: expected {layout} with the columns {', '.join(required)}",
                                file=label, row=1)
            if missing := [c for c in required if c not in header]:
                raise DataError(f"not {layout}: expected the columns {', '.join(required)}; found {_shown(header)}",
                                file=label, row=1, field=missing[0])
            if twice := sorted({h for h in header if header.count(h) > 1 and h}):
                raise DataError(f"column {twice[0]!r} appears twice in the header", file=label, row=1,
                                field=twice[0])
            width = len(header)
            for fields in reader:
                start, line = line + 1, reader.line_num
                if not fields:
                    continue  # a blank line
                records += 1
                span = line - start + 1
                frame.read_rows += span
                if records % 20000 == 0:
                    ticker.at(path, raw.tell())
                if span > 1:  # a field ran over line ends: a quote left open swallows the lines after it
                    k = next((k for k, v in enumerate(fields) if "\n" in v or "\r" in v), len(fields) - 1)
                    frame.problem(label, start, header[k] if k < width else f"field {k + 1}",
                                  f"a quote opened in this row runs over {span} lines (to line {line}); "
                                  f"these {span} lines are not read", count=span,
                                  kind="a quote left open runs over the lines after it; those lines are not read")
                    continue
                if len(fields) != width:
                    k = min(len(fields), width - 1)
                    frame.problem(label, start, header[k], f"{len(fields)} fields where the header has {width}")
                    continue
                if (nul := next((k for k, v in enumerate(fields) if "\x00" in v), None)) is not None:
                    frame.problem(label, start, header[nul], "NUL bytes in the field: a damaged file")
                    continue
                yield start, dict(zip(header, fields, strict=True))
    except _READ_ERRORS as exc:
        raise DataError(f"cannot read as {layout}: {exc}", file=label, row=line + 1) from None
    if records == 0:
        raise DataError(f"no data rows, only a header (expected {layout} rows)", file=label, row=2)
    ticker.finished(path)


_GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def _number(text: object) -> float | None:
    """A number, None when the source marks it missing; ValueError for anything else. A comma is read only as a
    thousands separator (``1,234.5``): ``12,5`` (a decimal comma) is not guessed at."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(text)
    if isinstance(text, (int, float)):
        return float(text)
    t = str(text).strip()
    if t in ("", ":", "-", "NA", "n/a", "N/A"):
        return None
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise ValueError(t)
        t = t.replace(",", "")
    if "_" in t:
        raise ValueError(t)
    return float(t)


def _read_value(frame: TradeFrame, file: str, row: int, value: tuple[str, object],
                qty: tuple[str, object] | None = None, missing: str = "missing value"
                ) -> tuple[float, float | None] | None:
    """(value, quantity) of a row, each given as (field, text); None, with the problem reported under the field's
    own name, when either is not a finite non-negative number or the value is missing."""
    numbers: list[float | None] = []
    for name, text in (value, qty) if qty else (value,):
        shown = repr(text)[:60]
        try:
            number = _number(text)
        except (ValueError, OverflowError):
            frame.problem(file, row, name, f"not a number: {shown}")
            return None
        if number is not None and not math.isfinite(number):  # NaN, inf, 1e309
            frame.problem(file, row, name, f"not a finite number: {shown}")
            return None
        if number is not None and number < 0:
            frame.problem(file, row, name, f"negative: {shown}")
            return None
        numbers.append(number)
    if numbers[0] is None:
        frame.problem(file, row, value[0], missing)
        return None
    return numbers[0], numbers[1] if qty else None


def _hs_code(text: object, digits: tuple[int, ...] = (2, 4, 6, 8)) -> str | None:
    """An HS/CN code as text at its own level: digits only, a leading zero that a number lost put back
    (``10121`` -> ``010121``); None when it is not a code of one of those lengths."""
    t = str(text or "").strip()
    if not re.fullmatch(r"\d{1,8}", t):
        return None
    t = t.zfill(len(t) + len(t) % 2)
    return t if len(t) in digits else None


def parse_period(label: str) -> tuple[str, str]:
    """Eurostat period labels -> (``YYYY`` or ``YYYY-MM``, ``A`` or ``M``)."""
    t = label.strip()
    if m := re.fullmatch(r"Y?(\d{4})", t):
        return m.group(1), "A"
    if m := re.match(r"(\d{4})(\d{2})-", t):  # "201952-Jan.-Dec. 2019": month 52 means the whole year
        year, month = m.groups()
        return (year, "A") if month == "52" else (f"{year}-{month}", "M")
    if m := re.fullmatch(r"Jan\.?-Dec\.?\s+(\d{4})", t):
        return m.group(1), "A"
    if m := re.fullmatch(r"([A-Za-z]{3})\.?\s+(\d{4})", t):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            return f"{m.group(2)}-{month:02d}", "M"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
        return t, "M"
    raise ValueError(f"unknown period {label!r}")


_COMEXT_COLUMNS = COMEXT_COLUMNS
_FRENCH_FLOWS = re.compile(r"(\d-)?(EXPORTATION|IMPORTATION)")


def comext_language(flow: str) -> str | None:
    """The language of a Comext download, from its flow label (``EXPORTATION`` in French, ``EXPORT`` in
    English): a partner label is read as that language writes it (French "Guinea" is Guinea-Bissau)."""
    return "fr" if _FRENCH_FLOWS.fullmatch(flow.strip().upper()) else None


def read_comext_relational(paths: Iterable[str | Path], progress: Progress | None = None) -> TradeFrame:
    files = expand(paths, "*.csv")
    frame = TradeFrame("comext-relational", file_hash(files))
    ticker = _Ticker(files, progress)
    for f in files:
        for n, row in _csv_records(frame, f, "a Comext relational-view CSV", _COMEXT_COLUMNS, ticker):
            if row["REPORTER"] == "REPORTER":
                frame.problem(str(f), n, "REPORTER", "repeated header line")
                continue
            try:
                period, freq = parse_period(row["PERIOD"])
            except ValueError as exc:
                frame.problem(str(f), n, "PERIOD", str(exc)[:120])
                continue
            language = comext_language(row["FLOW"])
            reporter, partner = from_name(row["REPORTER"], language), from_name(row["PARTNER"], language)
            if reporter is None or partner is None:
                which = "REPORTER" if reporter is None else "PARTNER"
                frame.problem(str(f), n, which, f"unknown country {row[which][:80]!r}")
                continue
            flow_text = row["FLOW"].upper()
            flow = "export" if "EXPORT" in flow_text else "import" if "IMPORT" in flow_text else None
            if flow is None:
                frame.problem(str(f), n, "FLOW", f"unknown flow {row['FLOW'][:40]!r}")
                continue
            product = row["PRODUCT"].split("-")[0].strip().upper()
            if product in ("TOTAL", ""):
                product = "TOTAL"
            elif _hs_code(product) is None:
                frame.problem(str(f), n, "PRODUCT", f"not a product code: {row['PRODUCT'][:40]!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("VALUE_IN_EUR", row["VALUE_IN_EUR"]),
                                  missing="confidential or missing (':')")
            if numbers is None:
                continue
            value = numbers[0]
            key = (period, reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "PERIOD", value):  # overlapping downloads
                continue
            frame.add(period=period, frequency=freq, reporter=reporter, partner=partner, flow=flow,
                      classification="TOTAL" if product == "TOTAL" else "CN", revision="", product=product,
                      value_usd=None, value=value, currency="EUR", quantity=None, unit=None,
                      source="comext-relational", version=frame.version,
                      flags=(row.get("STAT_PROCEDURE") or "").strip(), origin=(str(f), n))
    return frame


def _baci_codes(folder: Path) -> dict[str, str]:
    table = next(iter(sorted(folder.glob("country_codes*.csv"))), None)
    if table is None:
        return {}
    codes: dict[str, str] = {}
    scratch = TradeFrame("baci-country-codes", "")
    for _, row in _csv_records(scratch, table, "BACI's country table", ("country_code", "country_iso3"),
                               _Ticker([table], None)):
        codes[row["country_code"].strip()] = BACI_SPECIAL.get(row["country_iso3"].strip(),
                                                              row["country_iso3"].strip())
    return codes


_BACI_LAYOUTS = BACI_LAYOUTS


def _baci_layout(path: Path) -> str:
    """``raw`` (CEPII's own files: ``t,i,j,k,v,q``, numeric codes, thousand USD) or ``extract`` (``i,j,cmd,value``,
    ISO3, USD), from the header; anything else is refused rather than read at a guessed unit."""
    header = _header(path)
    for layout, columns in _BACI_LAYOUTS.items():
        if all(c in header for c in columns):
            return layout
    raise DataError(f"{'not BACI' if any(header) else 'empty file'}: expected the columns t,i,j,k,v,q (CEPII's "
                    "files, thousand USD) or i,j,cmd,value (an extract, USD); "
                    f"found {_shown(header)}", file=str(path), row=1)


def _header(path: Path) -> list[str]:
    try:
        text, raw = _open_text(path)
        with text, raw:
            return [c.strip() for c in next(csv.reader(text), [])]
    except _READ_ERRORS as exc:
        raise DataError(f"cannot read as CSV: {exc}", file=str(path), row=1) from None


def _year_in_name(path: Path) -> str | None:
    years = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem)
    return years[0] if len(set(years)) == 1 else None


def read_baci(paths: Iterable[str | Path], year: int | None = None, progress: Progress | None = None
              ) -> TradeFrame:
    files = expand(paths, "*.csv", accept=lambda q: not q.name.startswith("country_codes"))
    frame = TradeFrame("baci", file_hash(files))
    ticker = _Ticker(files, progress)
    for f in files:
        layout = _baci_layout(f)
        full = layout == "raw"
        # raw BACI files are in thousand USD; the ISO3 extracts (i,j,cmd,value) are already in USD
        scale, unit_flag = (1000.0, "value:kUSD") if full else (1.0, "value:USD")
        codes = _baci_codes(f.parent) if full else {}
        if full and not codes:
            raise DataError("CEPII's BACI layout gives countries as numbers: its country table "
                            "(country_codes_*.csv) must be in the same folder", file=str(f))
        file_year = str(year) if year else _year_in_name(f)
        if not full and file_year is None:
            raise DataError("a BACI extract holds no year: name one year in the file name (baci_2024.csv)",
                            file=str(f))
        required = _BACI_LAYOUTS[layout]
        for n, row in _csv_records(frame, f, f"BACI ({','.join(required)})", required, ticker):
            exporter, importer = row["i"].strip(), row["j"].strip()
            if full:
                exporter, importer = codes.get(exporter, exporter), codes.get(importer, importer)
            exporter, importer = BACI_SPECIAL.get(exporter, exporter), BACI_SPECIAL.get(importer, importer)
            if not known_code(exporter) or not known_code(importer):
                which = "i" if not known_code(exporter) else "j"
                frame.problem(str(f), n, which, unknown_code_message(row[which].strip()))
                continue
            product = _hs_code(row["k"] if full else row["cmd"], (6,))
            if product is None:
                which = "k" if full else "cmd"
                frame.problem(str(f), n, which, f"not an HS6 code: {row[which][:40]!r}")
                continue
            period = row["t"].strip() if full else str(file_year)
            if not re.fullmatch(r"\d{4}", period):
                frame.problem(str(f), n, "t", f"not a year: {period[:40]!r}")
                continue
            numbers = (_read_value(frame, str(f), n, ("v", row["v"]), ("q", row["q"])) if full
                       else _read_value(frame, str(f), n, ("value", row["value"])))
            if numbers is None:
                continue
            value, qty = numbers
            key = (period, exporter, importer, product)
            if frame.is_repeat(key, str(f), n, "k" if full else "cmd", value):  # overlapping downloads
                continue
            frame.add(period=period, frequency="A", reporter=exporter, partner=importer, flow="export",
                      classification="HS", revision="HS2017", product=product,
                      value_usd=value * scale, value=value * scale, currency="USD", quantity=qty,
                      unit="t" if qty is not None else None, source="baci", version=frame.version,
                      flags=unit_flag, origin=(str(f), n))
    return frame


_COMTRADE_RAW_COLUMNS = COMTRADE_RAW_COLUMNS  # and year, or a year in the file name


def _comtrade_period(text: str) -> tuple[str, str] | None:
    """A Comtrade period: ``2022`` (a year) or ``202203`` (a month) -> (period, frequency)."""
    t = text.strip()
    if re.fullmatch(r"(19|20)\d{2}", t):
        return t, "A"
    if re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])", t):
        return f"{t[:4]}-{t[4:]}", "M"
    return None


def read_comtrade(paths: Iterable[str | Path], progress: Progress | None = None) -> TradeFrame:
    """Comtrade reports as filed. A report can hold several rows for one flow: breakdowns (by customs procedure or
    mode of transport, whose columns the file omits) next to their total, and repeated rows. Summing them would
    double-count, so the largest row of each flow (the total of its breakdowns) is kept and the others reported."""
    files = expand(paths, "*.csv*")
    frame = TradeFrame("comtrade", file_hash(files))
    ticker = _Ticker(files, progress)
    flows: dict[tuple[str, str, str, str, str], list[tuple[str, int, float, float | None, str | None, str]]] = {}
    for f in files:
        # some reports hold no year column (comtrade_2024.csv.gz): the year is the file name's, else refused
        header = _header(f)
        file_year = None if "year" in header else _year_in_name(f)
        if file_year is None and "year" not in header and all(c in header for c in _COMTRADE_RAW_COLUMNS):
            raise DataError("no year column and no year in the file name (comtrade_2024.csv)", file=str(f), row=1,
                            field="year")
        for n, row in _csv_records(frame, f, "a Comtrade report (year,reporter,partner,cmd,flow,value)",
                                   _COMTRADE_RAW_COLUMNS, ticker):
            reporter, partner = from_m49(row["reporter"]), from_m49(row["partner"])
            if reporter is None or partner is None:
                which = "reporter" if reporter is None else "partner"
                frame.problem(str(f), n, which, f"unknown M49 code {row[which][:40]!r}")
                continue
            flow = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}.get(row["flow"].strip().upper())
            if flow is None:
                frame.problem(str(f), n, "flow", f"unknown flow {row['flow'][:40]!r}")
                continue
            period = _comtrade_period(row.get("year", file_year) or "")
            if period is None:
                frame.problem(str(f), n, "year", f"not a year: {row.get('year', '')[:40]!r}")
                continue
            product = "TOTAL" if row["cmd"].strip().upper() == "TOTAL" else _hs_code(row["cmd"])
            if product is None:
                frame.problem(str(f), n, "cmd", f"not an HS code: {row['cmd'][:40]!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("value", row["value"]), ("qty", row.get("qty")))
            if numbers is None:
                continue
            value, qty = numbers
            qty, unit = _quantity(qty, row.get("qtyunit"))
            key = (*period, reporter, partner, flow, product)
            flows.setdefault(key, []).append((str(f), n, value, qty, unit, period[1]))  # type: ignore[arg-type]
    for (period_text, freq, reporter, partner, flow, product), rows in flows.items():  # type: ignore[misc]
        kept = max(rows, key=lambda r: r[2])
        for other in rows:
            if other is not kept:
                frame.problem(other[0], other[1], "value", f"this flow is filed {len(rows)} times: not added; kept "
                              f"the largest ({kept[2]:g}, {Path(kept[0]).name} row {kept[1]}), the total of its "
                              "breakdowns", kind="a flow filed several times: kept its largest row (the total of "
                              "its breakdowns), the others not added")
        frame.add(period=period_text, frequency=freq, reporter=reporter, partner=partner, flow=flow,
                  classification="TOTAL" if product == "TOTAL" else "HS", revision="", product=product,
                  value_usd=kept[2], value=kept[2], currency="USD", quantity=kept[3], unit=kept[4],
                  source="comtrade", version=frame.version, flags="", origin=(kept[0], kept[1]))
    return frame


# Comtrade's quantity unit codes (the legacy list, as the legacy files label them: 1 "No Quantity", 5 "Number of
# items", 7 "Volume in litres", 8 "Weight in kilograms"); -1 and 1 mean no quantity, so their 0 is not a zero.
COMTRADE_QTY_UNITS = {"2": "m²", "3": "1000 kWh", "4": "m", "5": "u", "6": "2u", "7": "l", "8": "kg", "9": "1000u",
                      "10": "u (jeu/pack)", "11": "12u", "12": "m³", "13": "carat"}


def _quantity(qty: float | None, unit_code: object) -> tuple[float | None, str | None]:
    """A Comtrade quantity and its unit from the numeric unit code; no quantity (codes -1, 1) is None, not 0."""
    code = str(unit_code or "").strip()
    if qty is None or code in ("", "-1", "1"):
        return None, None
    return qty, COMTRADE_QTY_UNITS.get(code, f"comtrade unit {code[:20]}")


# the same names as the other adapters ("Re-Export" was stored as "reexport", apart from every other re-export)
_LEGACY_FLOWS = {"import": "import", "export": "export", "re-import": "re-import", "re-export": "re-export"}
_LEGACY_COLUMNS = COMTRADE_LEGACY_COLUMNS


def read_comtrade_legacy(paths: Iterable[str | Path], progress: Progress | None = None) -> TradeFrame:
    files = expand(paths, "*.csv")
    frame = TradeFrame("comtrade-legacy", file_hash(files))
    ticker = _Ticker(files, progress)
    for f in files:
        for n, row in _csv_records(frame, f, "a Comtrade legacy bulk CSV", _LEGACY_COLUMNS, ticker):
            codes = []
            for iso, m49 in (("Reporter ISO", "Reporter Code"), ("Partner ISO", "Partner Code")):
                code = row[iso].strip() or from_m49(row.get(m49) or "") or ""
                codes.append(code if known_code(code) else None)
            reporter, partner = codes
            if reporter is None or partner is None:
                which = "Reporter ISO" if reporter is None else "Partner ISO"
                code_col = "Reporter Code" if reporter is None else "Partner Code"
                frame.problem(str(f), n, which, unknown_code_message(row[which].strip()) if row[which].strip()
                              else f"no country code (and no known M49 code: {(row.get(code_col) or '')[:20]!r})")
                continue
            flow = _LEGACY_FLOWS.get(row["Trade Flow"].strip().lower())
            if flow is None:
                frame.problem(str(f), n, "Trade Flow", f"unknown flow {row['Trade Flow'][:40]!r}")
                continue
            period = _comtrade_period(row.get("Period") or row.get("Year") or "")
            if period is None:
                frame.problem(str(f), n, "Period", f"not a year or month: {(row.get('Period') or '')[:40]!r}")
                continue
            product = ("TOTAL" if row["Commodity Code"].strip().upper() == "TOTAL"
                       else _hs_code(row["Commodity Code"]))
            if product is None:
                frame.problem(str(f), n, "Commodity Code", f"not an HS code: {row['Commodity Code'][:40]!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("Trade Value (US$)", row["Trade Value (US$)"]),
                                  ("Qty", row.get("Qty")))
            if numbers is None:
                continue
            value, qty = numbers
            qty, unit = _quantity(qty, row.get("Qty Unit Code"))
            key = (period[0], reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "Commodity Code", value):  # overlapping downloads
                continue
            frame.add(period=period[0], frequency=period[1], reporter=reporter, partner=partner, flow=flow,
                      classification="TOTAL" if product == "TOTAL" else "HS",
                      revision=_HS_REVISIONS.get((row.get("Classification") or "").strip().upper(),
                                                 (row.get("Classification") or "").strip()[:20]),
                      product=product, value_usd=value, value=value, currency="USD", quantity=qty, unit=unit,
                      source="comtrade-legacy", version=frame.version, flags=(row.get("Flag") or "").strip()[:40],
                      origin=(str(f), n))
    return frame


# Comtrade's classification codes -> HS revisions
_HS_REVISIONS = {"H0": "HS1992", "H1": "HS1996", "H2": "HS2002", "H3": "HS2007", "H4": "HS2012", "H5": "HS2017",
                 "H6": "HS2022"}
_COMTRADE_FLOWS = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export",
                   # kept as flows of their own so that they never add into X and M
                   "DX": "domestic-export", "FM": "foreign-import"}


def _api_records(frame: TradeFrame, path: Path, ticker: _Ticker) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of a Comtrade API response (``{"data": [...]}`` or a bare list), numbered from 1; each counted in
    ``frame.read_rows``, those that are not JSON objects reported."""
    import json

    try:
        text, raw = _open_text(path)
        with text, raw:
            doc = json.load(text)
    except RecursionError:
        raise DataError("cannot read as JSON: nested too deeply to be a Comtrade response", file=str(path)) from None
    except (*_READ_ERRORS, ValueError) as exc:
        raise DataError(f"cannot read as JSON: {exc}", file=str(path)) from None
    records = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise DataError("not a Comtrade API response: expected {\"data\": [records]} or a list of records",
                        file=str(path))
    if not records:
        raise DataError("no records (an empty 'data' list)", file=str(path))
    for n, record in enumerate(records, start=1):
        frame.read_rows += 1
        if not isinstance(record, dict):
            frame.problem(str(path), n, "data", f"not a record (a JSON object): {str(record)[:40]!r}")
            continue
        yield n, record
    ticker.finished(path)


def _is_breakdown(record: dict[str, Any]) -> str | None:
    """The non-total breakdowns of the current layout (second partner, customs procedure, mode of transport):
    their totals are separate rows, so adding them would double-count."""
    for field, total in (("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0"), ("mosCode", "0")):
        value = record.get(field)
        if value not in (None, "") and str(value).strip() != total:
            return field
    return None


_CURRENT_COLUMNS = COMTRADE_CURRENT_COLUMNS


def _is_current(f: Path) -> bool:
    return f.name.endswith((".json", ".json.gz", ".txt", ".txt.gz", ".tsv", ".tsv.gz", ".csv", ".csv.gz"))


def read_comtrade_current(paths: Iterable[str | Path], progress: Progress | None = None) -> TradeFrame:
    """UN Comtrade's current layout, from the API (``.json``: ``{"data": [...]}``) or bulk files (``.txt``
    tab-separated, or ``.csv``; maybe ``.gz``): ``freqCode, period, reporterCode, partnerCode, flowCode,
    classificationCode, cmdCode, primaryValue, qty, qtyUnitAbbr`` and the breakdown codes."""
    files = expand(paths, "*", accept=_is_current)
    frame = TradeFrame("comtrade-current", file_hash(files))
    ticker = _Ticker(files, progress)
    layout = "Comtrade's current layout (reports as filed, year,reporter,partner,cmd,flow,value, are format " \
             "'comtrade')"
    for f in files:
        is_json = f.name.endswith((".json", ".json.gz"))
        records = (_api_records(frame, f, ticker) if is_json
                   else _csv_records(frame, f, layout, _CURRENT_COLUMNS, ticker))
        for n, record in records:
            if is_json and n == 1 and (absent := [c for c in _CURRENT_COLUMNS if c not in record]):
                raise DataError(f"not {layout}: no {', '.join(absent)}", file=str(f), row=1, field=absent[0])
            if (field := _is_breakdown(record)) is not None:
                frame.problem(str(f), n, field, f"a breakdown ({field} {str(record.get(field))[:20]}): its total "
                              "is another row, so it is not added")
                continue
            reporter, partner = from_m49(str(record.get("reporterCode", ""))), from_m49(
                str(record.get("partnerCode", "")))
            if reporter is None or partner is None:
                which = "reporterCode" if reporter is None else "partnerCode"
                frame.problem(str(f), n, which, f"unknown M49 code {str(record.get(which))[:40]!r}")
                continue
            flow = _COMTRADE_FLOWS.get(str(record.get("flowCode") or "").strip().upper())
            if flow is None:
                frame.problem(str(f), n, "flowCode", f"unknown flow {str(record.get('flowCode'))[:40]!r}")
                continue
            freq = str(record.get("freqCode") or "A").strip().upper()
            raw_period = str(record.get("period") or record.get("refYear") or "").strip()
            if freq == "M" and re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])", raw_period):
                period = f"{raw_period[:4]}-{raw_period[4:]}"
            elif freq == "A" and re.fullmatch(r"(19|20)\d{2}", raw_period):
                period = raw_period
            else:
                frame.problem(str(f), n, "period", f"not a {'month (YYYYMM)' if freq == 'M' else 'year'}: "
                              f"{raw_period[:40]!r}")
                continue
            cmd = str(record.get("cmdCode") or "").strip().upper()
            product = "TOTAL" if cmd == "TOTAL" else _hs_code(cmd)
            if product is None:
                frame.problem(str(f), n, "cmdCode", f"not an HS code: {cmd[:40]!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("primaryValue", record.get("primaryValue")),
                                  ("qty", record.get("qty")))
            if numbers is None:
                continue
            value, qty = numbers
            if str(record.get("qtyUnitCode", "")).strip() in ("-1", "1") or str(
                    record.get("qtyUnitAbbr") or "").strip().upper() in ("N/A", "NO QUANTITY"):
                qty = None  # Comtrade writes 0 under "no quantity": not a measured zero
            key = (period, reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "cmdCode", value):  # overlapping downloads
                continue
            cl = str(record.get("classificationCode") or "").strip().upper()
            flags = "estimated" if str(record.get("isReported", "true")).lower() in ("false", "0") else ""
            frame.add(period=period, frequency=freq, reporter=reporter, partner=partner, flow=flow,
                      classification="TOTAL" if product == "TOTAL" else "HS",
                      revision=_HS_REVISIONS.get(cl, cl[:20]), product=product, value_usd=value, value=value,
                      currency="USD", quantity=qty,
                      unit=(str(record.get("qtyUnitAbbr") or "").strip()[:20] or None) if qty is not None else None,
                      source="comtrade-current", version=frame.version, flags=flags, origin=(str(f), n))
    return frame


_BRACKET = re.compile(r"\[([0-9A-Z]+)\]\s*$")
_MONTH = re.compile(r"(19|20)\d{2}-(0[1-9]|1[0-2])")


def _sheet_header(rows: Sequence[Sequence[Any]]) -> tuple[dict[str, Any], int | None]:
    """The header block of a data-browser sheet (PRODUCT, FLOW, INDICATORS, TIME) and where the data start."""
    head: dict[str, Any] = {}
    for n, row in enumerate(rows):
        first = str(row[0]).strip() if row else ""
        if first.startswith("PRODUCT") and len(row) > 2:
            m = _BRACKET.search(str(row[2]))
            head["product"] = m.group(1) if m else None
            if m and str(row[2])[:m.start()].strip():  # the product label Eurostat prints before the code
                head["product_label"] = str(row[2])[:m.start()].strip()[:200]
        elif first == "FLOW" and len(row) > 2:
            head["flow"] = str(row[2]).strip().lower()
        elif first == "INDICATORS" and len(row) > 2:
            head["indicator"] = str(row[2]).strip()
        elif first == "TIME":
            head["periods"] = [str(c).strip() for c in row[2:]]
        elif first.startswith("REPORTER"):
            return head, n + 1
    return head, None


def read_sheet(frame: TradeFrame, label: str, rows: Sequence[Sequence[Any]],
               seen: set[tuple[str, ...]]) -> None:
    """One sheet of a Comext data-browser download into ``frame``: a cell per reporter, partner and month, each
    counted in ``frame.read_rows`` (the frame's unit is cells) and kept or reported."""
    head, data_start = _sheet_header(rows)
    if data_start is None or not head.get("periods"):
        frame.notes.append(f"{label}: no PRODUCT/FLOW/TIME/REPORTER header block: not a data sheet, not read")
        return
    periods: list[str] = head["periods"]
    months = [k for k, p in enumerate(periods) if _MONTH.fullmatch(p)]
    flow, product, indicator = head.get("flow"), head.get("product"), head.get("indicator", "VALUE_IN_EUROS")
    sheet_problem = ("no product code ([code]) in the PRODUCT line" if product is None else
                     f"flow {str(flow)[:20]!r} is neither export nor import" if flow not in ("export", "import") else
                     f"indicator {indicator[:40]!r} is not a value in euro" if "EURO" not in indicator.upper()
                     else None)
    if product is not None and head.get("product_label"):
        frame.labels.setdefault(product, head["product_label"])
    footnotes = False
    for n in range(data_start, len(rows)):
        row = list(rows[n])
        if not row or not str(row[0]).strip():
            footnotes = True  # after a blank row come footnotes; a data row among them is still read
            continue
        reporter = from_name(str(row[0])[:200])
        partner = from_name(str(row[1])[:200]) if len(row) > 1 else None
        if footnotes and (reporter is None or partner is None):
            continue
        cells = [(periods[k], row[k + 2] if k + 2 < len(row) else "") for k in months]
        frame.read_rows += len(cells)
        if not cells:
            continue
        if sheet_problem is not None:
            frame.problem(label, n + 1, "PRODUCT" if product is None else "FLOW" if "flow" in sheet_problem
                          else "INDICATORS", sheet_problem, count=len(cells))
            continue
        if reporter is None or partner is None:
            which, value = ("REPORTER", row[0]) if reporter is None else ("PARTNER", row[1] if len(row) > 1 else "")
            frame.problem(label, n + 1, which, f"unknown country {str(value)[:80]!r}", count=len(cells))
            continue
        missing = repeated = 0
        for period, cell in cells:
            if cell is None or (isinstance(cell, str) and cell.strip() in ("", ":")):
                missing += 1  # ':' (confidential or not available) or blank
                continue
            if isinstance(cell, bool) or not isinstance(cell, (int, float)):
                frame.problem(label, n + 1, period, f"not a number: {str(cell)[:40]!r}")
                continue
            if not math.isfinite(cell) or cell < 0:
                frame.problem(label, n + 1, period, f"{'negative' if cell < 0 else 'not a finite number'}: {cell!r}")
                continue
            key = (period, reporter, partner, str(flow), str(product))
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            frame.add(period=period, frequency="M", reporter=reporter, partner=partner, flow=flow,
                      classification="CN", revision="", product=product, value_usd=None, value=float(cell),
                      currency="EUR", quantity=None, unit=None, source="comext-xlsx", version=frame.version,
                      flags="", origin=(label, n + 1))
        if missing:
            frame.problem(label, n + 1, "TIME", f"{missing} month(s) confidential or missing (':')", count=missing,
                          kind="months confidential or missing (':')")
        if repeated:
            frame.problem(label, n + 1, "TIME", f"{repeated} month(s) already read from another sheet or file: "
                          "counted once", count=repeated, kind="months already read from another sheet or file")


def read_comext_xlsx(paths: Iterable[str | Path], progress: Progress | None = None) -> TradeFrame:
    """Eurostat Comext data-browser spreadsheets: one sheet per product block, a header block (PRODUCT, FLOW,
    INDICATORS, TIME), then one row per reporter and partner with a column per month; ``:`` marks a confidential
    or missing cell (reported, never read as zero). Counted in cells: one value per reporter, partner and month.
    In folders, only the numbered data-browser downloads (``01_...xlsx``) are read; a file named is always read."""
    from pinchpoint.sources.zipcap import open_workbook

    skipped: list[str] = []

    def numbered(f: Path) -> bool:
        if not f.name[:2].isdigit():
            skipped.append(f.name)
        return f.name[:2].isdigit()

    files = expand(paths, "*.xlsx", accept=numbered)
    frame = TradeFrame("comext-xlsx", file_hash(files), unit="cells")
    if skipped:
        frame.notes.append(f"not numbered data-browser downloads, not read: {', '.join(skipped)}")
    ticker = _Ticker(files, progress)
    seen: set[tuple[str, ...]] = set()
    for f in files:
        try:
            book = open_workbook(f)  # checked against the unzipped-size caps before it is parsed
            sheets = [s for s in book.sheet_names if s.startswith("Sheet")]
            if not sheets:
                raise DataError("no data sheets ('Sheet 1', ...): not a Comext data-browser download", file=str(f))
            for k, sheet in enumerate(sheets):
                read_sheet(frame, f"{f}#{sheet}", book.get_sheet_by_name(sheet).to_python(), seen)
                ticker.at(f, ticker.sizes[f] * (k + 1) // len(sheets))
        except DataError:
            raise
        except Exception as exc:  # calamine raises its own error types for broken files
            raise DataError(f"cannot read as a spreadsheet: {str(exc)[:200]}", file=str(f)) from None
        ticker.finished(f)
    return frame


def finish(frame: TradeFrame, fmt: str, paths: Sequence[str | Path], rates: Rates | None = None) -> TradeFrame:
    """What every trade source does after reading: an import that keeps nothing is refused, naming what was found
    instead; euro values get ``value_usd`` at ``rates`` (default: the ECB's annual averages,
    :mod:`pinchpoint.trade.rates`)."""
    if not len(frame):
        reasons = "; ".join(f"{kind} ({count})" for kind, count in frame.summary()[:3]) or "no data"
        message = f"nothing to import: {frame.read_rows} {frame.unit} read as {fmt}, none usable ({reasons})"
        if frame.problems:  # name where the first refused record is, as every data error does
            first = frame.problems[0]
            raise DataError(f"{message}; the first: {first.reason}", file=first.file, row=first.row,
                            field=first.field, problems=[p.as_problem() for p in frame.problems])
        raise DataError(message, file=", ".join(str(p) for p in paths)[:500])
    missing = fill_usd(frame, rates)
    if missing:
        frame.notes.append(f"{missing} euro rows have no USD rate for their period: value_usd left empty "
                           "(give a rates table with the months or years)")
    return frame


def read(fmt: str | None, paths: Iterable[str | Path], rates: Rates | None = None,
         progress: Progress | None = None) -> TradeFrame:
    """Read files of one format into the long table with the trade source named ``fmt`` (any registered in
    :mod:`pinchpoint.sources`, built-in or not; ``None`` or ``"auto"``: the one detected).
    ``progress(done, total, file)`` is called as the files are read (bytes)."""
    from pinchpoint import sources

    source = None if fmt in (None, "auto") else fmt
    frame: TradeFrame = sources.read(list(paths), source=source, kind="trade", rates=rates, progress=progress)
    return frame
