"""The export-control list sources (kind ``controls``): each reads a file, or the file in a folder it recognises,
into a :class:`~pinchpoint.controls.model.ControlList`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pinchpoint.controls import loaders
from pinchpoint.controls.loaders import JP_COLUMNS
from pinchpoint.errors import DataError
from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import best_file, by_file, header, json_top_keys, shown, text_head


def _json_head(path: Path) -> str | None:
    return text_head(path) if path.suffix.lower() == ".json" else None


def _us_ccl_file(path: Path) -> Detection:
    text = _json_head(path)
    if text is None:
        return Detection.miss("expected a .json file")
    keys = json_top_keys(text)
    if "ecfrIssueDate" in keys and ("entries" in keys or "entryCount" in keys):
        if '"eccn"' in text:
            return Detection.match("CCL JSON: ecfrIssueDate and entries with eccn")
        return Detection.match("eCFR JSON with top-level 'entries' (no eccn seen in its first 64 kB)", 0.5)
    if "ecfrIssueDate" in keys:
        return Detection.miss("an eCFR JSON file without CCL entries (no top-level 'entries'): the country chart or "
                              "country groups?")
    return Detection.miss("expected the CCL as JSON (top-level ecfrIssueDate and entries with eccn)")


def _eu_annex_file(path: Path) -> Detection:
    text = _json_head(path)
    if text is None:
        return Detection.miss("expected a .json file")
    if '"celex"' in text or '"entry_code"' in text:
        return Detection.match("Annex I JSON (celex / entry_code keys)")
    return Detection.miss("expected Annex I as JSON (keys celex, entries with entry_code)")


def _jp_file(path: Path) -> Detection:
    if path.suffix.lower() != ".csv":
        return Detection.miss("expected a .csv file")
    found = header(path)
    if found[:1] == ["jp_item"]:
        return Detection.match("a CSV whose first column is jp_item")
    return Detection.miss(f"expected columns {','.join(JP_COLUMNS)}; found {shown(found)}")


def _source(name: str, description: str, detect_file: Callable[[Path], Detection], loader: str,
            patterns: tuple[str, ...], columns: tuple[str, ...]) -> Source:
    def detect(path: Path) -> Detection:
        return by_file(path, patterns, detect_file, recursive=False)

    def read(path: Path) -> Any:
        chosen = best_file(path, patterns, detect_file, recursive=False)
        if chosen is None:
            raise DataError(f"no file in the folder is {description}", file=str(path))
        return getattr(loaders, loader)(chosen)

    return Source(name=name, kind="controls", description=description, detect=detect, read=read,
                  patterns=patterns, columns=columns)


US_CCL = _source("us-ccl", "the U.S. Commerce Control List (EAR Part 774 Supp. 1) as JSON", _us_ccl_file,
                 "load_us_ccl", ("*.json",), ("ecfrIssueDate", "entries: eccn, heading, reasons, paragraphs"))
EU_ANNEX1 = _source("eu-annex1", "the EU dual-use list, Annex I of Regulation (EU) 2021/821, as JSON", _eu_annex_file,
                    "load_eu_annex1", ("*.json",), ("celex", "valid_from", "entries: entry_code, category, text"))
JP_ITEMS = _source("jp-items", "Japan's METI goods ordinance items (Art. 6(17) semiconductor equipment) as CSV",
                   _jp_file, "load_jp_items", ("*.csv",), JP_COLUMNS)
