"""Shared numbering is a claim about an entry, not about each paragraph (trial 10, finding 3): on the real files the
EU marks 3B001.c and .d "Not used" and ends 3B001 at .j, so U.S. 3B001.c.2 and friends must not inherit "same"."""

from __future__ import annotations

import pytest

from pinchpoint.controls.crosswalk import Counterparts, alignment, crosswalk
from pinchpoint.controls.model import ControlList
from pinchpoint.controls.views import show_entry
from tests.conftest import CONTROLS

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")


def by_j(lists: list[ControlList]) -> dict[str, ControlList]:
    return {c.jurisdiction.value: c for c in lists}


def eu_text(lists: list[ControlList], code: str) -> str:
    entry = by_j(lists)["EU"].by_code()[code.split(".")[0]]
    return next(p.text for p in entry.paragraphs if p.code == code)


def test_us_3b001_is_partly_controlled_by_the_eu(control_lists: list[ControlList]) -> None:
    assert eu_text(control_lists, "3B001.c").startswith("Not used")  # what the EU file says
    assert eu_text(control_lists, "3B001.d").startswith("Not used")
    rows = {(r["jurisdiction"], r["code"]): r for r in alignment(control_lists, ["US", "EU"], "3B").rows}
    status = rows[("US", "3B001")]["status"]
    assert status.startswith("partly controlled by EU (no counterpart found for "), status
    lacking = status.split("for ", 1)[1].rstrip(")").split(", ")
    for code in ("3B001.c.2", "3B001.c.3", "3B001.c.4", "3B001.k", "3B001.r"):  # wet etch, TSV, pattern shaping...
        assert code in lacking, (code, status)
    assert "3B001.a.1" not in lacking and "3B001.f.3" not in lacking  # the shared paragraphs
    assert rows[("US", "3B001")]["threshold_differences"] is not None
    # the other way round every EU 3B001 paragraph is in U.S. 3B001
    assert rows[("EU", "3B001")]["status"] == "controlled by all"


def test_no_paragraph_inherits_same_from_the_entry(control_lists: list[ControlList]) -> None:
    walk = crosswalk(control_lists, "US", "EU").rows
    us_3b001 = [r for r in walk if r["from_code"].split(".")[0] == "3B001"]
    assert not [r for r in us_3b001 if r["from_code"] == "3B001"], "no entry-level row when paragraphs differ"
    c2 = [r for r in us_3b001 if r["from_code"] == "3B001.c.2"]
    assert [(r["relation"], r["to_code"]) for r in c2] == [("none", "")]
    assert "marked 'Not used' in EU 3B001" in c2[0]["evidence"][0]
    counterparts = Counterparts(control_lists)
    assert counterparts.rows("US", "3B001.c.2", "EU") == []
    shown = show_entry(control_lists, "3B001.c.2", counterparts=counterparts).rows
    assert not [r for r in shown if r["jurisdiction"] == "EU"], shown


@pytest.mark.parametrize(("us", "eu"), [("3B001.c.1.a", "3B501.k.1"), ("3B001.d.1", "3B501.n.2"),
                                        ("3B001.d.3", "3B501.n.8"), ("3B001.a.4", "3B501.a.4"),
                                        ("3B001.q", "3B501.l")])
def test_a_moved_paragraph_points_where_it_went(control_lists: list[ControlList], us: str, eu: str) -> None:
    """The EU put these U.S. 3B001 controls in 3B501 (texts restated there); show and the crosswalk say so."""
    counterparts = Counterparts(control_lists)
    found = {r["to_code"] for r in counterparts.rows("US", us, "EU")}
    assert any(eu == code or eu.startswith(code + ".") or code.startswith(eu + ".") for code in found), found
    assert all(not code.startswith("3B001") for code in found), found  # not the EU 3B001 paragraph it lacks
    shown = {r["code"] for r in show_entry(control_lists, us, ["EU"], counterparts).rows if r["jurisdiction"] == "EU"}
    assert shown & found, shown


def test_entries_that_share_every_paragraph_keep_one_row(control_lists: list[ControlList]) -> None:
    walk = crosswalk(control_lists, "EU", "US").rows
    assert [r["to_code"] for r in walk if r["from_code"].split(".")[0] == "3B001"] == ["3B001"]
    rows = {r["code"]: r for r in alignment(control_lists, ["US", "EU"], "3B").rows if r["jurisdiction"] == "US"}
    assert rows["3B903"]["status"] == "controlled by all"  # EU 3B503 has all its paragraphs
