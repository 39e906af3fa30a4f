"""The trade sources (kind ``trade``): one per layout :mod:`pinchpoint.trade.adapters` reads, each returning a
finished :class:`~pinchpoint.trade.table.TradeFrame` (read, refused if nothing is usable, euro values given USD).

:func:`trade_source` is how a trade source is made, here and in third-party packages: give it a function that
fills a ``TradeFrame`` from a list of files, and it adds the steps every import shares (see the third-party test
``tests/sources/test_third_party.py`` and ARCHITECTURE.md, "How to add a source").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import by_file, columns_detection, head, header, shown, text_head
from pinchpoint.trade import adapters
from pinchpoint.trade.adapters import (
    BACI_LAYOUTS,
    COMEXT_COLUMNS,
    COMTRADE_CURRENT_COLUMNS,
    COMTRADE_LEGACY_COLUMNS,
    COMTRADE_RAW_COLUMNS,
)

FrameReader = Callable[..., Any]  # (paths: list[Path], progress=None) -> TradeFrame


def trade_source(name: str, description: str, reader: FrameReader, detect_file: Callable[[Path], Detection],
                 patterns: Sequence[str], columns: Sequence[str] = (), recursive: bool = True) -> Source:
    """A trade :class:`Source`: ``reader(paths, progress=None)`` fills a ``TradeFrame``; ``detect_file(path)``
    judges one file (folders are judged by the files in them that fit ``patterns``). ``read(paths, rates=None,
    progress=None)`` returns the finished frame (:func:`pinchpoint.trade.adapters.finish`)."""

    def detect(path: Path) -> Detection:
        return by_file(path, patterns, detect_file, recursive)

    def read(paths: Sequence[str | Path], rates: Any = None, progress: Any = None) -> Any:
        listed = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
        return adapters.finish(reader(listed, progress=progress), name, listed, rates)

    return Source(name=name, kind="trade", description=description, detect=detect, read=read,
                  patterns=tuple(patterns), columns=tuple(columns), multiple=True)


def _columns(expected: Sequence[str], what: str, suffixes: Sequence[str]) -> Callable[[Path], Detection]:
    def detect_file(path: Path) -> Detection:
        if not path.name.lower().endswith(tuple(suffixes)):
            return Detection.miss(f"expected a {' or '.join(suffixes)} file")
        return columns_detection(path, expected, what)
    return detect_file


def _reader(name: str) -> FrameReader:
    def read(paths: list[Path], progress: Any = None) -> Any:
        return getattr(adapters, name)(paths, progress=progress)
    return read




def _detect_baci(path: Path) -> Detection:
    if not path.name.lower().endswith((".csv", ".csv.gz")):
        return Detection.miss("expected a .csv file")
    if path.name.startswith("country_codes"):
        return Detection.miss("BACI's country table (read beside the data, not as data)")
    found = header(path)
    for layout, columns in BACI_LAYOUTS.items():
        if all(c in found for c in columns):
            return Detection.match(f"BACI {'as CEPII publishes it' if layout == 'raw' else 'extract'}: columns "
                                   f"{','.join(columns)}")
    return Detection.miss(f"expected columns t,i,j,k,v,q or i,j,cmd,value; found {shown(found)}")


_SHEET = re.compile(r"Sheet \d+")


def _detect_comext_xlsx(path: Path) -> Detection:
    if path.suffix.lower() != ".xlsx":
        return Detection.miss("expected an .xlsx file")
    if not head(path, 4).startswith(b"PK\x03\x04"):
        return Detection.miss("named .xlsx but not a spreadsheet (no zip signature)")
    try:
        from pinchpoint.sources.zipcap import open_workbook

        names = list(open_workbook(path).sheet_names)  # capped: a zip bomb is refused unread
    except Exception as exc:  # a DataError for a refused or broken file (calamine's own types are caught there)
        return Detection.miss(f"cannot open the workbook: {str(exc)[:300]}")
    if any(_SHEET.fullmatch(s) for s in names):
        return Detection.match("a Comext data-browser workbook (sheets 'Sheet 1', ...)")
    return Detection.miss(f"expected data-browser sheets 'Sheet 1', 'Sheet 2'...; found {shown(names, 6)}")


def _detect_comtrade_api(path: Path) -> Detection:
    if not path.name.lower().endswith((".json", ".json.gz")):
        return Detection.miss("expected a .json file")
    text = text_head(path).lstrip()
    if not text.startswith(("{", "[")):
        return Detection.miss("not JSON (does not start with '{' or '[')")
    if '"reporterCode"' in text:
        return Detection.match("Comtrade API JSON: records with reporterCode")
    if re.match(r'\{\s*"data"\s*:', text) or '"data":' in text[:2000]:
        return Detection.match("JSON with a 'data' list (no reporterCode seen in its first records)", 0.5)
    return Detection.miss("expected Comtrade API JSON ({\"data\": [...]} with reporterCode, partnerCode, ...)")


COMEXT_RELATIONAL = trade_source(
    "comext-relational", "Eurostat Comext 'relational view' CSV downloads (EUR; monthly or yearly periods)",
    _reader("read_comext_relational"), _columns(COMEXT_COLUMNS, "a Comext relational view", (".csv",)),
    ("*.csv",), COMEXT_COLUMNS)
COMEXT_XLSX = trade_source(
    "comext-xlsx", "Eurostat Comext data-browser spreadsheets (one sheet per product block; EUR)",
    _reader("read_comext_xlsx"), _detect_comext_xlsx, ("*.xlsx",),
    ("sheets 'Sheet 1'...: PRODUCT, FLOW, INDICATORS, TIME header block, then reporter x partner rows",))
BACI = trade_source(
    "baci", "CEPII BACI bilateral flows: CEPII's files t,i,j,k,v,q (thousand USD) or extracts i,j,cmd,value (USD)",
    _reader("read_baci"), _detect_baci, ("*.csv", "*.csv.gz"), ("t,i,j,k,v,q", "i,j,cmd,value"))
COMTRADE = trade_source(
    "comtrade", "UN Comtrade reports as filed: year,reporter,partner,cmd,flow,value (M49 codes; .csv or .csv.gz)",
    _reader("read_comtrade"), _columns(COMTRADE_RAW_COLUMNS, "Comtrade reports as filed", (".csv", ".csv.gz")),
    ("*.csv", "*.csv.gz"), ("year", *COMTRADE_RAW_COLUMNS, "netwgt", "qty", "qtyunit"))
COMTRADE_API = trade_source(
    "comtrade-api", "UN Comtrade API responses in the current layout (JSON {\"data\": [...]})",
    _reader("read_comtrade_current"), _detect_comtrade_api, ("*.json", "*.json.gz"), COMTRADE_CURRENT_COLUMNS)
COMTRADE_BULK = trade_source(
    "comtrade-bulk", "UN Comtrade bulk files in the current layout (tab-separated .txt, or .csv; maybe .gz)",
    _reader("read_comtrade_current"),
    _columns(COMTRADE_CURRENT_COLUMNS, "Comtrade's current layout",
             (".txt", ".txt.gz", ".tsv", ".tsv.gz", ".csv", ".csv.gz")),
    ("*.txt", "*.txt.gz", "*.tsv", "*.tsv.gz", "*.csv", "*.csv.gz"), COMTRADE_CURRENT_COLUMNS)
COMTRADE_LEGACY = trade_source(
    "comtrade-legacy", "UN Comtrade bulk CSV in the legacy layout (Trade Value (US$), Reporter ISO, ...)",
    _reader("read_comtrade_legacy"), _columns(COMTRADE_LEGACY_COLUMNS, "Comtrade's legacy layout", (".csv",)),
    ("*.csv",), COMTRADE_LEGACY_COLUMNS)
