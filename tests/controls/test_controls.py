"""Export-control lists on the real files: counts, known equivalences and differences, search, thresholds."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from pinchpoint.controls.crosswalk import (
    CHPL_MIN_SCORE,
    alignment,
    chpl_controls,
    crosswalk,
    diff_versions,
    threshold_differences,
)
from pinchpoint.controls.loaders import load_any, load_eu_annex1, load_us_ccl
from pinchpoint.controls.model import ControlList, Regime
from pinchpoint.controls.search import ControlIndex
from pinchpoint.errors import DataError
from tests.conftest import CONTROLS, SHARED

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")



def by_j(lists: list[ControlList]) -> dict[str, ControlList]:
    return {c.jurisdiction.value: c for c in lists}


def test_counts_match_the_sources(control_lists: list[ControlList]) -> None:
    lists = by_j(control_lists)
    assert (len(lists["US"].entries), lists["US"].version) == (633, date(2026, 7, 23))
    assert (len(lists["EU"].entries), lists["EU"].version) == (384, date(2025, 11, 15))
    assert len(lists["JP"].entries) == 56
    assert sum(1 for e in lists["JP"].entries if e.status == "2023-07-23") == 33
    assert all(not c.problems for c in control_lists)
    us_3b001 = lists["US"].by_code()["3B001"]
    assert us_3b001.reasons == ("NS", "RS", "AT") and us_3b001.full_text
    assert "3B001.f.1" in {p.code for p in us_3b001.paragraphs}
    assert not lists["US"].by_code()["0A002"].full_text  # category 0 is heading-only in the source


def test_regimes_follow_the_numbering(control_lists: list[ControlList]) -> None:
    lists = by_j(control_lists)
    assert lists["EU"].by_code()["3B001"].regime is Regime.WASSENAAR
    assert lists["EU"].by_code()["3B503"].regime is Regime.PLURILATERAL
    assert lists["US"].by_code()["3B903"].regime is Regime.PLURILATERAL
    assert lists["US"].by_code()["3B991"].regime is Regime.UNILATERAL
    assert lists["EU"].by_code()["1C350"].regime is Regime.AUSTRALIA_GROUP
    assert lists["EU"].by_code()["9A101"].regime is Regime.MTCR


def test_tags(control_lists: list[ControlList]) -> None:
    lists = by_j(control_lists)
    assert "quantum" in lists["EU"].by_code()["4A506"].tags
    assert "semiconductor-equipment" in lists["US"].by_code()["3B001"].tags
    assert "surveillance" in lists["EU"].by_code()["5A001"].tags


def test_thresholds_are_read_from_the_text(control_lists: list[ControlList]) -> None:
    sem = by_j(control_lists)["EU"].by_code()["3B503"]
    found = {(p.paragraph, p.quantity, p.comparator, p.value, p.unit) for p in sem.parameters}
    assert ("3B503.a", "accuracy", "<", 30.0, "nm") in found
    assert ("3B503.g", "accelerating voltage", ">", 21.0, "kV") in found
    litho = by_j(control_lists)["US"].by_code()["3B001"]
    assert any(p.quantity == "wavelength" and p.unit == "nm" and p.paragraph.startswith("3B001.f")
               for p in litho.parameters)


def test_known_equivalences(control_lists: list[ControlList]) -> None:
    rows = {r["from_code"]: r for r in crosswalk(control_lists, "EU", "US").rows}
    for eu, us in (("3B503", "3B903"), ("4A506", "4A906")):
        assert rows[eu]["to_code"] == us and rows[eu]["relation"] == "same"
        assert rows[eu]["method"] == "EU 5xx / U.S. 9xx plurilateral numbering"
    assert rows["3B001"]["to_code"] == "3B001" and rows["3B001"]["method"] == "shared Wassenaar numbering"
    back = {r["from_code"]: r for r in crosswalk(control_lists, "US", "EU").rows}
    assert back["3B903"]["to_code"] == "3B503" and back["4A906"]["to_code"] == "4A506"


def test_known_difference_us_unilateral_entries_have_no_eu_counterpart(control_lists: list[ControlList]) -> None:
    table = alignment(control_lists, ["US", "EU"], "3B")
    # 3B090-series and 3B993 are U.S.-only additions beyond the shared list
    us_only = [r for r in table.rows if r["jurisdiction"] == "US" and r["status"] != "controlled by all"]
    assert us_only, "the U.S. controls 3B items the EU does not"
    # a Wassenaar entry differs only paragraph by paragraph (U.S. 3B001.c.2 and 3B002.b: EU "Not used")
    assert all(r["status"].startswith("partly controlled by EU") for r in us_only if r["regime"] == "Wassenaar")


def test_threshold_differences_are_reported(control_lists: list[ControlList]) -> None:
    eu = by_j(control_lists)["EU"].by_code()["3B501"]
    us = by_j(control_lists)["US"].by_code()["3B001"]
    assert any("dielectric constant" in d for d in threshold_differences(eu, us))
    assert threshold_differences(us, us) == []


def test_diff_of_a_list_with_itself_is_empty(control_lists: list[ControlList]) -> None:
    us = by_j(control_lists)["US"]
    assert len(diff_versions(us, us)) == 0
    fewer = us.model_copy(update={"entries": tuple(e for e in us.entries if e.code != "3B903")})
    changed = diff_versions(fewer, us)
    assert [(r["code"], r["change"]) for r in changed.rows] == [("3B903", "added")]


def test_search_finds_euv_pellicles_in_every_jurisdiction(control_lists: list[ControlList]) -> None:
    index = ControlIndex([e for c in control_lists for e in c.entries])
    rows = index.search("EUV pellicle").rows
    top = {(r["jurisdiction"], r["paragraph"]) for r in rows[:5]}
    assert ("US", "3B001.l") in top and ("EU", "3B501.m") in top
    assert any(j == "JP" for j, _ in top)
    assert rows[0]["score"] >= rows[-1]["score"]


def test_every_2023_japanese_item_is_mapped_or_explained(control_lists: list[ControlList]) -> None:
    for target in ("US", "EU"):
        table = crosswalk(control_lists, "JP", target)
        codes = {e.code for e in by_j(control_lists)[target].entries}
        items = {r["from_code"] for r in table.rows}
        jp_2023 = {e.code for e in by_j(control_lists)["JP"].entries if e.status == "2023-07-23"}
        assert jp_2023 <= items
        for r in table.rows:
            if r["relation"] == "none":
                assert r["evidence"] and r["to_code"] == ""
            else:
                assert r["to_code"].split(".")[0] in codes, r  # counterparts exist in the loaded list
    pellicle = [r for r in crosswalk(control_lists, "JP", "US").rows if r["from_code"] == "6-17-ル"]
    assert [(r["to_code"], r["relation"]) for r in pellicle] == [("3B001.m", "same")]


def test_chpl_codes_name_controls(control_lists: list[ControlList]) -> None:
    path = SHARED / "trade" / "chpl.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        source = {r["hs6"]: r["description_short"] for r in csv.DictReader(fh)}
    table = chpl_controls(path, control_lists)
    assert {r["hs6"] for r in table.rows} == set(source)  # every code has a row, mapped or not
    assert {r["strength"] for r in table.rows} <= {"mapping", "no mapping"}  # leads are not shown by default
    entries = {f"{c.jurisdiction.value}:{e.code}": e for c in control_lists for e in c.entries}
    for r in table.rows:
        if r["strength"] != "mapping":
            assert "leads to verify" in r["reason"]
            continue
        assert r["score"] >= CHPL_MIN_SCORE and r["reason"].startswith("names the goods")
        # the goods it cites (head nouns) occur in the entry's text
        named = r["reason"].split("names the goods (")[1].split("); text")[0].split(", ")
        heads = [n.split(" (for")[0].split()[-1] for n in named]
        assert any(h in entries[f"{r['jurisdiction']}:{r['code']}"].text.lower() for h in heads), r
    ics = [r for r in table.rows if r["hs6"] == "854231"]
    assert ics and all(r["strength"] == "mapping" and r["code"].startswith("3A") for r in ics)
    assert ("US", "3A002.d", "mapping") in {(r["jurisdiction"], r["paragraph"], r["strength"])
                                            for r in table.rows if r["hs6"] == "854320"}  # signal generators


def test_chpl_weak_candidates_are_leads_not_mappings(control_lists: list[ControlList]) -> None:
    """The reported cases: tantalum capacitors proposed as 2B350 (chemical plant, shares only 'tantalum') and plugs
    as 0B001 (shares only 'voltage')."""
    path = SHARED / "trade" / "chpl.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        source = {r["hs6"]: r["description_short"] for r in csv.DictReader(fh)}
    assert "capacitors" in source["853221"].lower() and "plugs" in source["853669"].lower()
    shown = chpl_controls(path, control_lists)
    with_leads = chpl_controls(path, control_lists, leads=True)
    assert all(r in with_leads.rows for r in shown.rows if r["strength"] == "mapping")
    for hs6, wrong in (("853221", "2B350"), ("853669", "0B001")):
        assert not [r for r in shown.rows if r["hs6"] == hs6 and r["code"] == wrong]
        leads = [r for r in with_leads.rows if r["hs6"] == hs6 and r["code"] == wrong]
        assert leads and all(r["strength"] == "lead to verify" and "names none of the goods" in r["reason"]
                             for r in leads), leads
    assert any("leads" in c for c in shown.caveats)


def test_malformed_entries_are_reported_not_dropped(tmp_path: Path) -> None:
    doc = json.loads((CONTROLS / "eu-annex1" / "annex.json").read_text(encoding="utf-8"))
    doc["entries"] = doc["entries"][:5]
    doc["entries"][2]["verbatim_text"] = ""
    path = tmp_path / "annex.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    cl = load_eu_annex1(path)
    assert len(cl.entries) == 4 and len(cl.problems) == 1
    assert "entry 2" in str(cl.problems[0]) and "verbatim_text" in str(cl.problems[0])
    problem = cl.problems[0]
    assert (problem.file, problem.row, problem.field, problem.severity) == (str(path), 2, "verbatim_text", "error")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        load_eu_annex1(path)


def test_format_is_detected(tmp_path: Path) -> None:
    assert load_any(CONTROLS / "us-ccl" / "ccl.json").jurisdiction.value == "US"
    assert load_any(CONTROLS / "jp").jurisdiction.value == "JP"
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match="not a control list"):
        load_any(tmp_path / "x.json")


def test_us_loader_reports_an_entry_without_eccn(tmp_path: Path) -> None:
    doc = json.loads((CONTROLS / "us-ccl" / "ccl.json").read_text(encoding="utf-8"))
    doc["entries"] = doc["entries"][:3]
    del doc["entries"][1]["eccn"]
    (tmp_path / "ccl.json").write_text(json.dumps(doc), encoding="utf-8")
    cl = load_us_ccl(tmp_path)
    assert len(cl.entries) == 2 and "entry 1, field 'eccn'" in str(cl.problems[0])
    assert (cl.problems[0].row, cl.problems[0].field, cl.problems[0].message) == (1, "eccn", "missing")
