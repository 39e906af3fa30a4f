"""The indicator sources (kind ``indicators``): each monthly-indicator layout :mod:`pinchpoint.trends.readers`
reads, registered in :mod:`pinchpoint.sources` so ``sources.detect`` names the one that reads a file and says why
each other does not. Every reader returns a :class:`~pinchpoint.trends.series.SeriesFile` (the series built and
every problem with file, row and field); ``SeriesFile.check()`` raises on errors.

- ``fred``: FRED's CSV download, a date column and one value column, dates ISO (``2024-03-01``) or day-month-year
  (``01-03-2024``, as some copies have them; the order is read from the whole file and refused when ambiguous);
- ``meti-iip``: the METI IIP extract (electronic parts and devices: shipment and inventory indices, one date column);
- ``indicators-wide``: any other CSV of a date column and several value columns (one series per column);
- ``indicators-long``: ``series_id,date,value`` (optional name, unit, seasonal_adjustment, source, vintage);
- ``estat``: e-Stat's CSV download (API ``getSimpleStatsData`` or the database view), ``time_code`` and ``value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import header, shown, text_head

#: source name -> the layout :func:`pinchpoint.trends.readers.read_series_file` reads it with
LAYOUT_OF_SOURCE: dict[str, str] = {"fred": "fred", "meti-iip": "wide", "indicators-wide": "wide",
                                    "indicators-long": "long", "estat": "estat"}
#: the layout names (``wide``, ``long``...) an import may be given instead of a source, and the source each means
SOURCE_OF_LAYOUT: dict[str, str] = {"fred": "fred", "wide": "indicators-wide", "long": "indicators-long",
                                    "estat": "estat"}
FRED_DATE_COLUMNS = ("observation_date", "date")  # FRED writes observation_date (DATE in older downloads)
DATE_COLUMNS = ("date", "observation_date", "period", "time", "month", "年月", "時点")
METI_IIP_COLUMNS = ("shipment_index", "inventory_index")
_SUFFIXES = (".csv", ".txt")
_ISO = re.compile(r"\d{4}[-/]\d{1,2}([-/]\d{1,2})?")
_DMY = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")


def _csv(path: Path) -> Detection | None:
    if not path.is_file():
        return Detection.miss("expected a CSV file, not a folder")
    if not path.name.lower().endswith(_SUFFIXES):
        return Detection.miss("expected a .csv file")
    return None


def _date_form(path: Path) -> str:
    """How the first data row writes its date (for the reason shown): ISO, day-month-year or unknown."""
    lines = text_head(path, 4096).splitlines()
    first = lines[1].split(",")[0].strip().strip('"') if len(lines) > 1 else ""
    if _ISO.fullmatch(first):
        return "ISO dates"
    if _DMY.fullmatch(first):
        return "NN-NN-YYYY dates (day and month order read from the whole file)"
    return f"dates such as {first[:20]!r}"


def _detect_fred(path: Path) -> Detection:
    refused = _csv(path)
    if refused:
        return refused
    found = header(path)
    if len(found) != 2 or found[0].lower() not in DATE_COLUMNS:
        return Detection.miss(f"expected a date column and one value column (FRED: observation_date,SERIES); "
                              f"found {shown(found)}")
    sure = found[0].lower() in FRED_DATE_COLUMNS and re.fullmatch(r"[A-Z0-9_]{2,40}", found[1]) is not None
    return Detection.match(f"{'FRED' if sure else 'FRED-like'} CSV: {found[0]},{found[1][:40]}, {_date_form(path)}",
                           1.0 if sure else 0.5)


def _detect_meti_iip(path: Path) -> Detection:
    refused = _csv(path)
    if refused:
        return refused
    found = header(path)
    if not found or found[0].lower() not in DATE_COLUMNS or not all(c in found for c in METI_IIP_COLUMNS):
        return Detection.miss(f"expected a date column and {','.join(METI_IIP_COLUMNS)}; found {shown(found)}")
    return Detection.match(f"METI IIP extract: {','.join(found[:3])}, {_date_form(path)}")


def _detect_wide(path: Path) -> Detection:
    refused = _csv(path)
    if refused:
        return refused
    found = header(path)
    if len(found) < 3 or found[0].lower() not in DATE_COLUMNS:
        return Detection.miss(f"expected a date column ({'/'.join(DATE_COLUMNS[:5])}) then two or more value "
                              f"columns; found {shown(found)}")
    # a generic layout: a source that knows the columns (meti-iip) is surer and wins
    return Detection.match(f"a date column and {len(found) - 1} value columns, {_date_form(path)}", 0.5)


def _detect_long(path: Path) -> Detection:
    refused = _csv(path)
    if refused:
        return refused
    found = [c.lower() for c in header(path)]
    if not ({"series_id", "value"} <= set(found) and {"date", "period", "month"} & set(found)):
        return Detection.miss(f"expected columns series_id,date,value; found {shown(found)}")
    return Detection.match("long CSV: columns series_id,date,value")


def _detect_estat(path: Path) -> Detection:
    refused = _csv(path)
    if refused:
        return refused
    head = text_head(path)
    if "time_code" not in head:
        return Detection.miss(f"expected e-Stat's table header (time_code ... value); found {shown(header(path))}")
    return Detection.match("e-Stat CSV: a table with time_code and value")


def _reader(name: str) -> Callable[..., Any]:
    def read(path: str | Path, meta: dict[str, Any] | None = None) -> Any:
        from pinchpoint.trends.readers import read_series_file

        return read_series_file(path, LAYOUT_OF_SOURCE[name], meta=meta)
    return read


def _source(name: str, description: str, detect: Callable[[Path], Detection], columns: tuple[str, ...]) -> Source:
    return Source(name=name, kind="indicators", description=description, detect=detect, read=_reader(name),
                  patterns=("*.csv",), columns=columns)


FRED = _source("fred", "FRED CSV download: observation_date and one series, ISO or day-month-year dates",
               _detect_fred, ("observation_date", "SERIES_ID"))
METI_IIP = _source("meti-iip", "METI IIP extract: electronic parts and devices shipment and inventory indices",
                   _detect_meti_iip, ("date", *METI_IIP_COLUMNS))
INDICATORS_WIDE = _source("indicators-wide", "Monthly indicators, wide: a date column then one column per series",
                          _detect_wide, ("date", "SERIES..."))
INDICATORS_LONG = _source("indicators-long", "Monthly indicators, long: series_id,date,value (name, unit, "
                          "seasonal_adjustment, source, vintage optional)", _detect_long,
                          ("series_id", "date", "value"))
ESTAT = _source("estat", "e-Stat CSV download (getSimpleStatsData or the database view): time_code, value",
                _detect_estat, ("time_code", "value"))


def source_for_layout(layout: str) -> str:
    """The source a layout name means (``wide`` reads with ``indicators-wide``), or ``auto`` (detect each file);
    an unknown name is a :class:`BadArgumentError` naming the layouts and the closest one."""
    import difflib

    from pinchpoint.errors import BadArgumentError

    if layout == "auto" or layout in SOURCE_OF_LAYOUT:
        return SOURCE_OF_LAYOUT.get(layout, "auto")
    names = ["auto", *SOURCE_OF_LAYOUT]
    close = difflib.get_close_matches(layout, names, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise BadArgumentError(f"unknown layout {layout!r}; {hint}layouts: {', '.join(names)} (or name the source)",
                           parameter="layout")
