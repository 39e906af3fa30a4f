"""One adapter per trade-data format, each filling the long table (:mod:`pinchpoint.trade.table`).

| format | files | notes |
|---|---|---|
| ``comext-relational`` | Eurostat Comext "relational view" CSV | EUR; periods `Aug. 2024`, `Y2019`, `201952-...` |
| ``baci`` | CEPII BACI `t,i,j,k,v,q` (numeric codes) or extracts `i,j,cmd,value` (ISO3) | thousand USD; extracts USD |
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
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.trade.countries import from_m49, from_name
from pinchpoint.trade.rates import Rates, fill_usd
from pinchpoint.trade.table import TradeFrame

FORMATS: tuple[str, ...] = ("comext-relational", "baci", "comtrade", "comtrade-api", "comtrade-bulk",
                             "comtrade-legacy")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}


def file_hash(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()[:16]


def expand(paths: Iterable[str | Path], pattern: str = "*.csv*") -> list[Path]:
    """Files named, and the matching files inside folders named (recursively), in a stable order."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob(pattern) if q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise DataError("no such file or folder", file=str(p))
    if not out:
        raise DataError("no data files found", file=", ".join(str(p) for p in paths))
    return out


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            yield from enumerate(csv.DictReader(fh), start=2)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read as CSV: {exc}", file=str(path)) from None


def _number(text: object) -> float | None:
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    t = str(text).strip()
    if t in ("", ":", "-", "NA", "n/a"):
        return None
    return float(t.replace(",", ""))


def _read_value(frame: TradeFrame, file: str, row: int, value: tuple[str, object],
                qty: tuple[str, object] | None = None, missing: str = "missing value"
                ) -> tuple[float, float | None] | None:
    """(value, quantity) of a row, each given as (field, text); None, with the problem reported under the field's
    own name, when either is not a number or the value is missing."""
    numbers: list[float | None] = []
    for name, text in (value, qty) if qty else (value,):
        try:
            numbers.append(_number(text))
        except ValueError:
            frame.problem(file, row, name, f"not a number: {text!r}")
            return None
    if numbers[0] is None:
        frame.problem(file, row, value[0], missing)
        return None
    return numbers[0], numbers[1] if qty else None


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


def read_comext_relational(paths: Iterable[str | Path]) -> TradeFrame:
    files = expand(paths, "*.csv")
    frame = TradeFrame("comext-relational", file_hash(files))
    for f in files:
        for n, row in _rows(f):
            frame.read_rows += 1
            if row.get("REPORTER") == "REPORTER":
                frame.problem(str(f), n, "REPORTER", "repeated header line")
                continue
            try:
                period, freq = parse_period(row.get("PERIOD") or "")
            except ValueError as exc:
                frame.problem(str(f), n, "PERIOD", str(exc))
                continue
            reporter, partner = from_name(row.get("REPORTER") or ""), from_name(row.get("PARTNER") or "")
            if reporter is None or partner is None:
                which = "REPORTER" if reporter is None else "PARTNER"
                frame.problem(str(f), n, which, f"unknown country {row.get(which)!r}")
                continue
            flow_text = (row.get("FLOW") or "").upper()
            flow = "export" if "EXPORT" in flow_text else "import" if "IMPORT" in flow_text else None
            if flow is None:
                frame.problem(str(f), n, "FLOW", f"unknown flow {row.get('FLOW')!r}")
                continue
            product = (row.get("PRODUCT") or "").split("-")[0].strip().upper()
            numbers = _read_value(frame, str(f), n, ("VALUE_IN_EUR", row.get("VALUE_IN_EUR")),
                                  missing="confidential or missing (':')")
            if numbers is None:
                continue
            value = numbers[0]
            key = (period, reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "PERIOD", value):  # overlapping downloads
                continue
            frame.add(period=period, frequency=freq, reporter=reporter, partner=partner, flow=flow,
                      classification="TOTAL" if product in ("TOTAL", "") else "CN",
                      revision="", product="TOTAL" if product in ("TOTAL", "") else product, value_usd=None,
                      value=value, currency="EUR", quantity=None, unit=None, source="comext-relational",
                      version=frame.version, flags=(row.get("STAT_PROCEDURE") or "").strip())
    return frame


def _baci_codes(folder: Path) -> dict[str, str]:
    table = next(iter(sorted(folder.glob("country_codes*.csv"))), None)
    if table is None:
        return {}
    return {row["country_code"]: BACI_SPECIAL.get(row["country_iso3"], row["country_iso3"]) for _, row in _rows(table)}


# BACI's non-ISO codes: 490 "Other Asia, nes" is Taiwan (the UN convention); the others are groups.
BACI_SPECIAL = {"S19": "TWN", "R20": "NES_EFTA", "ZA1": "NES_SACU"}


def read_baci(paths: Iterable[str | Path], year: int | None = None) -> TradeFrame:
    files = [f for f in expand(paths, "*.csv") if not f.name.startswith("country_codes")]
    frame = TradeFrame("baci", file_hash(files))
    for f in files:
        codes = _baci_codes(f.parent)
        file_year = year or (int(m.group(1)) if (m := re.search(r"(\d{4})", f.stem)) else None)
        for n, row in _rows(f):
            frame.read_rows += 1
            full = "k" in row
            exporter, importer = (row.get("i") or "").strip(), (row.get("j") or "").strip()
            exporter, importer = BACI_SPECIAL.get(exporter, exporter), BACI_SPECIAL.get(importer, importer)
            if full:
                exporter, importer = codes.get(exporter, ""), codes.get(importer, "")
            if not _code(exporter) or not _code(importer):
                frame.problem(str(f), n, "i" if not _code(exporter) else "j",
                              f"unknown country code {row.get('i')!r} / {row.get('j')!r}")
                continue
            product = (row.get("k") if full else row.get("cmd")) or ""
            period = (row.get("t") or "").strip() if full else str(file_year or "")
            if not period:
                frame.problem(str(f), n, "t", "no year (name the year or put it in the file name)")
                continue
            numbers = (_read_value(frame, str(f), n, ("v", row.get("v")), ("q", row.get("q"))) if full
                       else _read_value(frame, str(f), n, ("value", row.get("value"))))
            if numbers is None:
                continue
            value, qty = numbers
            # BACI's own files give thousand USD; the i,j,cmd,value extracts give USD (AUS -> JPN coal, 2022:
            # 34,990,871,777, as Comtrade's reports give about USD 35-39 billion)
            value = value * 1000.0 if full else value
            key = (period, exporter, importer, product.strip().zfill(6))
            if frame.is_repeat(key, str(f), n, "k" if full else "cmd", value):  # overlapping downloads
                continue
            frame.add(period=period, frequency="A", reporter=exporter, partner=importer, flow="export",
                      classification="HS", revision="HS2017", product=product.strip().zfill(6),
                      value_usd=value, value=value, currency="USD", quantity=qty,
                      unit="t" if qty is not None else None, source="baci", version=frame.version, flags="")
    return frame


def _code(value: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}|NES_[A-Z0-9]+", value))


def read_comtrade(paths: Iterable[str | Path]) -> TradeFrame:
    """Comtrade reports as filed. A report can hold several rows for one flow: breakdowns (by customs procedure or
    mode of transport, whose columns the file omits) next to their total, and repeated rows. Summing them would
    double-count, so the largest row of each flow (the total of its breakdowns) is kept and the others reported."""
    files = expand(paths, "*.csv*")
    frame = TradeFrame("comtrade", file_hash(files))
    flows: dict[tuple[str, str, str, str, str], list[tuple[str, int, float, float | None, str | None]]] = {}
    for f in files:
        # some extracts have no year column (comtrade_2024.csv.gz): the year is in the file name, as for BACI
        file_year = m.group(1) if (m := re.search(r"((?:19|20)\d{2})", f.name)) else ""
        for n, row in _rows(f):
            frame.read_rows += 1
            year = (row.get("year") or "").strip() or file_year
            if not year:
                frame.problem(str(f), n, "year", "no year (name the year in a 'year' column or in the file name)")
                continue
            reporter, partner = from_m49(row.get("reporter", "")), from_m49(row.get("partner", ""))
            if reporter is None or partner is None:
                which = "reporter" if reporter is None else "partner"
                frame.problem(str(f), n, which, f"unknown M49 code {row.get(which)!r}")
                continue
            flow = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}.get(
                (row.get("flow") or "").strip().upper())
            if flow is None:
                frame.problem(str(f), n, "flow", f"unknown flow {row.get('flow')!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("value", row.get("value")), ("qty", row.get("qty")))
            if numbers is None:
                continue
            value, qty = numbers
            key = (year, reporter, partner, flow, (row.get("cmd") or "").strip().zfill(6))
            flows.setdefault(key, []).append((str(f), n, value, qty, row.get("qtyunit") or None))
    for (year, reporter, partner, flow, product), rows in flows.items():
        kept = max(rows, key=lambda r: r[2])
        if len(rows) > 1:
            frame.problem(kept[0], kept[1], "value", f"{len(rows)} rows for this flow: kept the largest "
                          f"({kept[2]:g}, the total of its breakdowns); {len(rows) - 1} not added")
        frame.add(period=year, frequency="A", reporter=reporter, partner=partner, flow=flow, classification="HS",
                  revision="", product=product, value_usd=kept[2], value=kept[2], currency="USD", quantity=kept[3],
                  unit=kept[4], source="comtrade", version=frame.version, flags="")
    return frame


def read_comtrade_legacy(paths: Iterable[str | Path]) -> TradeFrame:
    files = expand(paths, "*.csv")
    frame = TradeFrame("comtrade-legacy", file_hash(files))
    for f in files:
        for n, row in _rows(f):
            frame.read_rows += 1
            reporter = (row.get("Reporter ISO") or "").strip() or from_m49(row.get("Reporter Code", "") or "")
            partner = (row.get("Partner ISO") or "").strip() or from_m49(row.get("Partner Code", "") or "")
            if not reporter or not partner:
                frame.problem(str(f), n, "Reporter ISO" if not reporter else "Partner ISO", "no country code")
                continue
            flow = (row.get("Trade Flow") or "").strip().lower().replace("-", "")
            numbers = _read_value(frame, str(f), n, ("Trade Value (US$)", row.get("Trade Value (US$)")),
                                  ("Qty", row.get("Qty")))
            if numbers is None:
                continue
            value, qty = numbers
            period = (row.get("Period") or row.get("Year") or "").strip()
            product = (row.get("Commodity Code") or "").strip().zfill(6)
            key = (period, reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "Commodity Code", value):  # overlapping downloads
                continue
            frame.add(period=period, frequency="A", reporter=reporter, partner=partner, flow=flow,
                      classification="HS", revision=(row.get("Classification") or "").strip(),
                      product=product, value_usd=value, value=value,
                      currency="USD", quantity=qty, unit=row.get("Qty Unit") or None, source="comtrade-legacy",
                      version=frame.version, flags=(row.get("Flag") or "").strip())
    return frame


# Comtrade's classification codes -> HS revisions
_HS_REVISIONS = {"H0": "HS1992", "H1": "HS1996", "H2": "HS2002", "H3": "HS2007", "H4": "HS2012", "H5": "HS2017",
                 "H6": "HS2022"}
_COMTRADE_FLOWS = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export",
                   # kept as flows of their own so that they never add into X and M
                   "DX": "domestic-export", "FM": "foreign-import"}


def _api_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of a Comtrade API response (``{"data": [...]}`` or a bare list), numbered from 1."""
    import json

    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot read as JSON: {exc}", file=str(path)) from None
    records = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        raise DataError("no 'data' list of records (a Comtrade API response)", file=str(path))
    for n, record in enumerate(records, start=1):
        yield n, record if isinstance(record, dict) else {}


def _bulk_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a current-layout bulk file: tab-separated ``.txt`` (as Comtrade ships them) or CSV, maybe gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            head = fh.readline()
            delimiter = "\t" if "\t" in head else ","
            fh.seek(0)
            yield from enumerate(csv.DictReader(fh, delimiter=delimiter), start=2)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read: {exc}", file=str(path)) from None


def _is_breakdown(record: dict[str, Any]) -> str | None:
    """The non-total breakdowns of the current layout (second partner, customs procedure, mode of transport):
    their totals are separate rows, so adding them would double-count."""
    for field, total in (("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0"), ("mosCode", "0")):
        value = record.get(field)
        if value not in (None, "") and str(value).strip() != total:
            return field
    return None


_CURRENT_COLUMNS = ("reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue")


def _records_start(path: Path) -> int:
    """The number of a file's first record: 1 in JSON, 2 in CSV (after the header)."""
    return 1 if path.name.endswith((".json", ".json.gz")) else 2


def read_comtrade_current(paths: Iterable[str | Path]) -> TradeFrame:
    """UN Comtrade's current layout, from the API (``.json``: ``{"data": [...]}``) or bulk files (``.txt``
    tab-separated, or ``.csv``; maybe ``.gz``): ``freqCode, period, reporterCode, partnerCode, flowCode,
    classificationCode, cmdCode, primaryValue, qty, qtyUnitAbbr`` and the breakdown codes."""
    files = [f for f in expand(paths, "*") if f.name.endswith((".json", ".json.gz", ".txt", ".txt.gz", ".tsv",
                                                                ".csv", ".csv.gz"))]
    frame = TradeFrame("comtrade-current", file_hash(files))
    for f in files:
        records = _api_records(f) if f.name.endswith((".json", ".json.gz")) else _bulk_rows(f)
        for n, record in records:
            if n == _records_start(f) and (absent := [c for c in _CURRENT_COLUMNS if c not in record]):
                raise DataError(f"not Comtrade's current layout (no {', '.join(absent)}); reports as filed "
                                "(year,reporter,partner,cmd,flow,value) are format 'comtrade'", file=str(f), row=1,
                                field=absent[0])
            frame.read_rows += 1
            if (field := _is_breakdown(record)) is not None:
                frame.problem(str(f), n, field, f"a breakdown ({field} {record.get(field)}): its total is "
                              "another row, so it is not added")
                continue
            reporter, partner = from_m49(record.get("reporterCode", "")), from_m49(record.get("partnerCode", ""))
            if reporter is None or partner is None:
                which = "reporterCode" if reporter is None else "partnerCode"
                frame.problem(str(f), n, which, f"unknown M49 code {record.get(which)!r}")
                continue
            flow = _COMTRADE_FLOWS.get(str(record.get("flowCode") or "").strip().upper())
            if flow is None:
                frame.problem(str(f), n, "flowCode", f"unknown flow {record.get('flowCode')!r}")
                continue
            freq = str(record.get("freqCode") or "A").strip().upper()
            raw_period = str(record.get("period") or record.get("refYear") or "").strip()
            if freq == "M" and re.fullmatch(r"\d{6}", raw_period):
                period = f"{raw_period[:4]}-{raw_period[4:]}"
            elif freq == "A" and re.fullmatch(r"\d{4}", raw_period):
                period = raw_period
            else:
                frame.problem(str(f), n, "period", f"not a {'month (YYYYMM)' if freq == 'M' else 'year'}: "
                              f"{raw_period!r}")
                continue
            numbers = _read_value(frame, str(f), n, ("primaryValue", record.get("primaryValue")),
                                  ("qty", record.get("qty")))
            if numbers is None:
                continue
            value, qty = numbers
            cmd = str(record.get("cmdCode") or "").strip().upper()
            product = "TOTAL" if cmd == "TOTAL" else cmd.zfill(2 * ((len(cmd) + 1) // 2))
            key = (period, reporter, partner, flow, product)
            if frame.is_repeat(key, str(f), n, "cmdCode", value):  # overlapping downloads
                continue
            cl = str(record.get("classificationCode") or "").strip().upper()
            flags = "estimated" if str(record.get("isReported", "true")).lower() in ("false", "0") else ""
            frame.add(period=period, frequency=freq, reporter=reporter, partner=partner, flow=flow,
                      classification="TOTAL" if product == "TOTAL" else "HS", revision=_HS_REVISIONS.get(cl, cl),
                      product=product, value_usd=value, value=value, currency="USD", quantity=qty,
                      unit=(str(record.get("qtyUnitAbbr") or "").strip() or None), source="comtrade-current",
                      version=frame.version, flags=flags)
    return frame


READERS: dict[str, Any] = {"comext-relational": read_comext_relational, "baci": read_baci,
                           "comtrade": read_comtrade, "comtrade-legacy": read_comtrade_legacy,
                           "comtrade-api": read_comtrade_current, "comtrade-bulk": read_comtrade_current}




_BRACKET = re.compile(r"\[([0-9A-Z]+)\]\s*$")


def read_comext_xlsx(paths: Iterable[str | Path]) -> TradeFrame:
    """Eurostat Comext data-browser spreadsheets: one sheet per product block, a header block (PRODUCT, FLOW,
    INDICATORS, TIME), then one row per reporter and partner with a column per month; ``:`` marks a confidential
    or missing cell (reported per row, never read as zero)."""
    from python_calamine import CalamineWorkbook

    files = [f for f in expand(paths, "*.xlsx") if f.name[:2].isdigit()]  # the numbered data-browser downloads
    frame = TradeFrame("comext-xlsx", file_hash(files))
    seen: set[tuple[str, ...]] = set()
    for f in files:
        try:
            book = CalamineWorkbook.from_path(str(f))
        except Exception as exc:  # calamine raises its own error types for broken files
            raise DataError(f"cannot read as a spreadsheet: {exc}", file=str(f)) from None
        for sheet in book.sheet_names:
            if not sheet.startswith("Sheet"):
                continue
            rows = book.get_sheet_by_name(sheet).to_python()
            label = f"{f}#{sheet}"
            product = flow = None
            periods: list[str] = []
            data_start = None
            for n, row in enumerate(rows):
                head = str(row[0]).strip() if row else ""
                if head.startswith("PRODUCT") and len(row) > 2:
                    m = _BRACKET.search(str(row[2]))
                    product = m.group(1) if m else None
                    if m and str(row[2])[:m.start()].strip():  # the product label Eurostat prints before the code
                        frame.labels.setdefault(m.group(1), str(row[2])[:m.start()].strip())
                elif head == "FLOW" and len(row) > 2:
                    flow = str(row[2]).strip().lower()
                elif head == "TIME":
                    periods = [str(c).strip() for c in row[2:]]
                elif head.startswith("REPORTER"):
                    data_start = n + 1
                    break
            if data_start is None or product is None or flow not in ("export", "import") or not periods:
                frame.problem(label, 1, "PRODUCT", "no product, flow or time header in this sheet")
                continue
            for n in range(data_start, len(rows)):
                row = rows[n]
                if not row or not str(row[0]).strip():
                    break  # the data block ends at the first blank row (footnotes follow)
                frame.read_rows += 1
                reporter, partner = from_name(str(row[0])), from_name(str(row[1]))
                if reporter is None or partner is None:
                    which, value = ("REPORTER", row[0]) if reporter is None else ("PARTNER", row[1])
                    frame.problem(label, n + 1, which, f"unknown country {value!r}")
                    continue
                missing = repeated = 0
                for period, cell in zip(periods, row[2:], strict=False):
                    if not re.fullmatch(r"\d{4}-\d{2}", period):
                        continue
                    if not isinstance(cell, (int, float)):  # ':' (confidential), blank, or text
                        missing += 1
                        continue
                    key = (period, reporter, partner, flow, product)
                    if key in seen:
                        repeated += 1
                        continue
                    seen.add(key)
                    frame.add(period=period, frequency="M", reporter=reporter, partner=partner, flow=flow,
                              classification="CN", revision="", product=product, value_usd=None,
                              value=float(cell), currency="EUR", quantity=None, unit=None, source="comext-xlsx",
                              version=frame.version, flags="")
                if missing:
                    frame.problem(label, n + 1, "TIME", f"{missing} month(s) confidential or missing (':')")
                if repeated:
                    frame.problem(label, n + 1, "TIME", f"{repeated} month(s) already read from another sheet or "
                                  "file: counted once")
    return frame


READERS["comext-xlsx"] = read_comext_xlsx
FORMATS = (*FORMATS, "comext-xlsx")


def read(fmt: str, paths: Iterable[str | Path], rates: Rates | None = None) -> TradeFrame:
    """Read files of one format into the long table; euro values also get ``value_usd`` at ``rates`` (default:
    the ECB's annual averages, :mod:`pinchpoint.trade.rates`)."""
    if fmt not in READERS:
        raise DataError(f"unknown trade format {fmt!r} (known: {', '.join(FORMATS)})")
    frame: TradeFrame = READERS[fmt](list(paths))
    fill_usd(frame, rates)
    return frame
