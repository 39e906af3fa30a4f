"""Eurostat labels in French (a data-browser download in another language) and flows two labels claim at once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.kernel.countries import from_name
from pinchpoint.trade.adapters import read_comext_relational
from tests.conftest import SHARED

YEARLY = SHARED / "trade" / "comext-relational" / "eu_year_export"


def _file_of(period: str) -> Path:
    for f in sorted(YEARLY.glob("*.csv")):
        with f.open(encoding="utf-8") as fh:
            if next(csv.DictReader(fh))["PERIOD"] == period:
                return f
    pytest.skip(f"no yearly Comext file for {period}")


def test_french_labels_read_as_the_english_ones() -> None:
    french, english = _file_of("Jan.-Dec. 2016"), _file_of("Jan.-Dec. 2017")
    with french.open(encoding="utf-8") as fh:
        labels = [r["PARTNER"] for r in csv.DictReader(fh)]
    assert "Ile Christmas" in labels  # the download really is in French
    with english.open(encoding="utf-8") as fh:
        english_codes = {from_name(r["PARTNER"]) for r in csv.DictReader(fh)}
    french_codes = {label: from_name(label) for label in labels}
    assert None not in french_codes.values(), [k for k, v in french_codes.items() if v is None]
    # The French year names the same partners as the English year next to it (Guinea-Bissau aside: see below).
    assert set(french_codes.values()) <= english_codes
    assert french_codes["Iles Cocos (ou Iles Keeling)"] == "CCK" and french_codes["Guinée équatoriale"] == "GNQ"


def test_two_rows_for_one_flow_with_different_values_are_a_conflict_not_a_duplicate() -> None:
    # The French file labels Guinea-Bissau "Guinea" beside "Guinée" (Guinea): both read as GIN. Keeping the first
    # and calling the second a duplicate printed Guinea-Bissau's exports as Guinea's.
    french = _file_of("Jan.-Dec. 2016")
    frame = read_comext_relational([french])
    with french.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    guinea = [r for r in rows if from_name(r["PARTNER"]) == "GIN"]
    assert len(guinea) == 2 and guinea[0]["VALUE_IN_EUR"] != guinea[1]["VALUE_IN_EUR"]
    conflicts = [p for p in frame.problems if "conflicts with" in p]
    assert len(conflicts) == 2 and all("GIN" in p for p in conflicts)
    assert "GIN" not in set(frame.columns["partner"][i] for i in range(len(frame)))
    assert len(frame) + len(frame.problems) == frame.read_rows == len(rows)  # every row kept or reported


def test_identical_rows_are_still_counted_once() -> None:
    french = _file_of("Jan.-Dec. 2016")
    once = read_comext_relational([french])
    twice = read_comext_relational([french, french])
    assert len(twice) == len(once)
    assert sum("duplicate" in p for p in twice.problems) == len(once)


def test_north_korea_is_not_south_korea() -> None:
    # kyrgyz_import_yearly.csv has "Korea (DPRK)" and "The Republic of Korea" for each year; both were read as
    # KOR, and South Korea's imports (EUR 29.6 m in 2019) were dropped as a duplicate of North Korea's (EUR 10,304).
    path = SHARED / "trade" / "comext-relational" / "kyrgyz_import_yearly.csv"
    assert from_name("Korea (DPRK)") == "PRK" and from_name("The Republic of Korea") == "KOR"
    frame = read_comext_relational([path])
    assert not [p for p in frame.problems if "conflicts" in p]
    with path.open(encoding="utf-8") as fh:
        expected = {(r["PARTNER"], r["PERIOD"]): float(r["VALUE_IN_EUR"]) for r in csv.DictReader(fh)
                    if "Korea" in r["PARTNER"]}
    kept = {(frame.columns["partner"][i], frame.columns["period"][i]): frame.columns["value"][i]
            for i in range(len(frame)) if frame.columns["partner"][i] in ("KOR", "PRK")}
    assert kept[("KOR", "2019")] == expected[("The Republic of Korea", "Y2019")]
    assert kept[("PRK", "2019")] == expected[("Korea (DPRK)", "Y2019")]
