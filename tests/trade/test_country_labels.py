"""Eurostat labels in French (a data-browser download in another language) and flows two labels claim at once."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.kernel.countries import from_name
from pinchpoint.trade.adapters import comext_language, read_comext_relational
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
    # The French year names the same partners as the English year next to it.
    assert set(french_codes.values()) <= english_codes
    assert french_codes["Iles Cocos (ou Iles Keeling)"] == "CCK" and french_codes["Guinée équatoriale"] == "GNQ"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_every_partner_label_resolves_to_one_country_and_no_two_labels_of_one_file_share_it() -> None:
    # Every Comext download in the folder, each label read in its file's language: a label names one code, and
    # the partners listed side by side in one file (one reporter, flow, period, product) are different countries,
    # so two labels of one file must never meet in one code. The French 2016 file's "Guinea" (Guinea-Bissau) and
    # "Guinée" (Guinea) both read as GIN: Guinea-Bissau vanished and Guinea's 2016 figure was dropped as a conflict.
    files = sorted((SHARED / "trade" / "comext-relational").rglob("*.csv"))
    if not files:
        pytest.skip("no Comext relational files")
    read: dict[tuple[str, str | None], set[str | None]] = {}
    collisions: list[tuple[str, str | None, list[str]]] = []
    for f in files:
        side_by_side: dict[tuple[str, ...], dict[str | None, set[str]]] = {}
        for row in _rows(f):
            language = comext_language(row["FLOW"])
            code = from_name(row["PARTNER"], language)
            read.setdefault((row["PARTNER"], language), set()).add(code)
            key = (row["REPORTER"], row["FLOW"], row["PERIOD"], row["PRODUCT"])
            side_by_side.setdefault(key, {}).setdefault(code, set()).add(row["PARTNER"])
        collisions += [(f.name, code, sorted(labels)) for by_code in side_by_side.values()
                       for code, labels in by_code.items() if len(labels) > 1]
    assert len(read) > 400
    assert not [label for label, codes in read.items() if None in codes or len(codes) != 1]
    assert not collisions, collisions[:5]


def test_the_french_2016_file_holds_guinea_and_guinea_bissau_with_their_own_figures() -> None:
    french, english = _file_of("Jan.-Dec. 2016"), _file_of("Jan.-Dec. 2017")
    rows = _rows(french)
    assert comext_language(rows[0]["FLOW"]) == "fr" and comext_language(_rows(english)[0]["FLOW"]) is None
    frame = read_comext_relational([french])
    assert not frame.problems and len(frame) == len(rows)  # no conflict, nothing dropped
    partners = frame.columns["partner"]
    # the French year names exactly the partners of the English year beside it, Guinea-Bissau included
    assert set(partners) == {from_name(r["PARTNER"]) for r in _rows(english)}
    value = {partners[i]: frame.columns["value"][i] for i in range(len(frame))}
    given = {r["PARTNER"]: float(r["VALUE_IN_EUR"]) for r in rows}
    assert value["GIN"] == given["Guinée"] and value["GNB"] == given["Guinea"]
    assert value["GNQ"] == given["Guinée équatoriale"] and value["PNG"] == given["Papouasie-Nouvelle-Guinée"]


def test_names_that_begin_like_another_country_are_not_read_as_it() -> None:
    # exact names only: the old prefix match read a historic "Saint-Christophe-et-Nevis-Anguilla" as KNA
    assert from_name("Saint-Christophe-et-Nevis-Anguilla") is None
    assert from_name("Saint-Christophe-et-Nevis") == "KNA" and from_name("Iles Falkland (Malouines)") == "FLK"
    assert from_name("Guinée-Bissau") == "GNB" and from_name("Guinée équatoriale") == "GNQ"
    assert from_name("Guinea") == "GIN" and from_name("Guinea", "fr") == "GNB"  # English, and Comext in French


def test_two_rows_for_one_flow_with_different_values_are_a_conflict_not_a_duplicate(tmp_path: Path) -> None:
    # a revised download beside the old one: the files disagree on one flow, so neither figure is kept
    english = _file_of("Jan.-Dec. 2017")
    lines = english.read_text(encoding="utf-8").splitlines(keepends=True)
    head, value = lines[1].rstrip("\r\n").rsplit(",", 1)
    revised = tmp_path / "revised.csv"
    revised.write_text(lines[0] + f"{head},{int(value) + 1}\n", encoding="utf-8")
    frame = read_comext_relational([english, revised])
    conflicts = [p for p in frame.problems if "conflicts with" in p]
    partner = from_name(next(csv.reader([head]))[1])
    assert len(conflicts) == 2 and all(partner in p for p in conflicts)
    assert partner not in set(frame.columns["partner"])
    assert len(frame) + len(frame.problems) == frame.read_rows == len(lines)  # every row kept or reported


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
