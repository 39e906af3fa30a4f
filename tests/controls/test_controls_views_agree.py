"""One crosswalk feeds every view: alignment (report, `controls diff A B`), `controls show`, the crosswalk and the API
agree about what Japan controls, for every Japanese item of the real files."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pinchpoint.api.app import create_app
from pinchpoint.controls.crosswalk import Counterparts, alignment, crosswalk, jp_crosswalk_path
from pinchpoint.controls.model import ControlList
from pinchpoint.controls.views import scoped, show_entry
from tests.conftest import CONTROLS

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")


def curated() -> dict[tuple[str, str], set[str]]:
    """(Japanese item, US or EU) -> counterpart codes, read straight from the curated table."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    with jp_crosswalk_path().open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["relation"] != "none":
                out[(r["jp_item"], r["to_jurisdiction"])].add(r["to_code"])
    return out


def test_alignment_says_what_the_crosswalk_says_for_every_japanese_item(control_lists: list[ControlList]) -> None:
    expected = curated()
    jp_items = [e.code for c in control_lists if c.jurisdiction.value == "JP" for e in c.entries]
    table = alignment(control_lists, ["US", "EU", "JP"])
    rows = {(r["jurisdiction"], r["code"]): r for r in table.rows}
    assert any("not loaded" in c for c in table.caveats)
    for item in jp_items:
        for target in ("US", "EU"):
            codes = expected.get((item, target), set())
            walked = {r["to_code"] for r in crosswalk(control_lists, "JP", target).rows
                      if r["from_code"] == item and r["relation"] != "none"}
            assert walked == codes, (item, target)
            row = rows[("JP", item)]
            named = {part.split(" (")[0] for part in row[f"in_{target}"].split("; ") if part}
            assert named == codes, (item, target, row[f"in_{target}"])
            missing = row["status"].removeprefix("not controlled by ").split("; ")[0].split(", ")
            assert (target in missing and row["status"].startswith("not controlled")) == (not codes), row["status"]
            for code in codes:  # and the other way round: the counterpart's entry names the item
                back = rows[(target, code.split(".")[0])]
                assert item in back["in_JP"], (item, code, back["in_JP"])
                assert "not controlled by JP" not in back["status"], (item, code, back["status"])


def test_the_reported_bug_us_and_eu_3b001_and_3b002(control_lists: list[ControlList]) -> None:
    rows = {(r["jurisdiction"], r["code"]): r for r in alignment(control_lists, ["US", "EU", "JP"], "3B").rows}
    for key in (("US", "3B001"), ("US", "3B002"), ("EU", "3B001"), ("EU", "3B002")):
        assert "not controlled by JP" not in rows[key]["status"], rows[key]["status"]
        assert "partly controlled by JP" in rows[key]["status"]
    assert "6-17-イ (partial for 3B001.a.2)" in rows[("US", "3B001")]["in_JP"]  # one of its three kinds


def test_show_and_scoped_crosswalk_agree_with_the_curated_table(control_lists: list[ControlList]) -> None:
    expected = curated()
    counterparts = Counterparts(control_lists)
    jp_items = [e.code for c in control_lists if c.jurisdiction.value == "JP" for e in c.entries]
    for item in jp_items:
        shown = show_entry(control_lists, item, counterparts=counterparts).rows
        for target in ("US", "EU"):
            assert {r["code"] for r in shown if r["jurisdiction"] == target} == expected.get((item, target), set())
        for target in ("US", "EU"):
            for code in expected.get((item, target), set()):
                assert item in {r["code"] for r in show_entry(control_lists, code, ["JP"], counterparts).rows}
    # the walk into Japan names paragraphs; scoping it by entry keeps them (it used to keep none)
    us_jp = crosswalk(control_lists, "US", "JP")
    kept = scoped(us_jp, control_lists, "3B")
    assert len(kept) == sum(1 for r in us_jp.rows if r["from_code"].startswith("3B")) > 0


def test_api_agrees(control_lists: list[ControlList], controls_workspace: Path) -> None:
    expected = curated()
    client = TestClient(create_app(workspace=controls_workspace))
    item = "6-17-イ"
    shown = client.get(f"/controls/entries/{item}").json()["rows"]
    assert {r["code"] for r in shown if r["jurisdiction"] == "US"} == expected[(item, "US")]
    diff = client.get("/controls/diff", params={"a": "US", "b": "JP", "scope": "3B"}).json()
    rows = diff["rows"]
    us_3b001 = next(r for r in rows if r["jurisdiction"] == "US" and r["code"] == "3B001")
    assert item in us_3b001["in_JP"] and "not controlled by JP" not in us_3b001["status"]
