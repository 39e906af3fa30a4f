"""The curated JP crosswalk on the real files: the counterparts a keyword search missed, and every 'none' claim
checked against the target list's full text by a looser search than the one that built the table."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from pinchpoint.controls.crosswalk import alignment, crosswalk, jp_crosswalk_path
from pinchpoint.controls.model import ControlList
from pinchpoint.controls.search import tokens
from tests.conftest import CONTROLS, ROOT

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")


def by_j(lists: list[ControlList]) -> dict[str, ControlList]:
    return {c.jurisdiction.value: c for c in lists}


def subtree(c: ControlList, code: str) -> str:
    """A paragraph's text with the paragraphs and notes below it."""
    e = c.by_code()[code.split(".")[0]]
    return " ".join(p.text + " " + " ".join(p.notes) for p in e.paragraphs
                    if p.code == code or p.code.startswith(code + ".")).lower()


# The reported items (trial 10, finding 2), and words of the paragraph that controls each, read from the real file.
REPORTED = [
    ("6-17-ヨ", "US", "3B001.c.2", ("wet chemical processing", "sige:si", "100:1")),
    ("6-17-レ(三)", "US", "3B001.d.3", ("single chamber", "tungsten layer", "organometallic", "ammonia")),
    ("6-17-オ", "US", "3B001.d.15", ("void free", "gaps between metal lines", "25 nm", "3.3 dielectric")),
    ("6-17-レ(三)", "EU", "3B501.n.8", ("single chamber", "tungsten layer", "organometallic", "ammonia")),
]


@pytest.mark.parametrize(("item", "target", "paragraph", "words"), REPORTED)
def test_reported_items_map_to_the_paragraph_that_controls_them(
        control_lists: list[ControlList], item: str, target: str, paragraph: str, words: tuple[str, ...]) -> None:
    text = subtree(by_j(control_lists)[target], paragraph)
    assert all(w in text for w in words), (paragraph, text)  # the paragraph really says it
    rows = [r for r in crosswalk(control_lists, "JP", target).rows if r["from_code"] == item]
    assert [(r["to_code"], r["relation"]) for r in rows] == [(paragraph, "same")]
    assert paragraph in rows[0]["evidence"][0]
    status = {r["code"]: r["status"] for r in alignment(control_lists, ["JP", target]).rows}
    assert status[item] == "controlled by all", status[item]


# A looser search than the item's pattern: the words the item's English summary names the goods with (chemical
# symbols and the usual abbreviations spelt out, numbers and generic words dropped), looked for in each paragraph
# together with the entry heading and the paragraphs above and below it. A paragraph holding three quarters of them
# is an obvious candidate that a 'none' row must have looked at: its evidence has to name it (or one below it).
SPELLED = {
    "w": "tungsten", "co": "cobalt", "cu": "copper", "ru": "ruthenium", "mo": "molybdenum", "si": "silicon",
    "ge": "germanium", "sige": "silicon germanium", "h2": "hydrogen", "n2": "nitrogen", "nh3": "ammonia",
    "o2": "oxygen", "o3": "ozone", "wn": "tungsten nitride", "cuox": "copper oxide", "co2": "carbon dioxide",
    "ald": "atomic layer deposition", "cvd": "chemical vapor deposition", "pvd": "physical vapor deposition",
    "pecvd": "plasma enhanced chemical vapor deposition", "duv": "deep ultraviolet", "ibd": "ion beam deposition",
    "tsv": "through silicon via", "sem": "scanning electron microscope",
    "mocvd": "metal organic chemical vapor deposition", "esc": "electrostatic chuck", "rf": "radio frequency",
    "ar": "aspect ratio",
}
GENERIC = frozenset(tokens("equipment device system apparatus using use with without multi single step chamber "
                           "now text mm nm um pa kpa g cc c k"))
OBVIOUS = 0.75


def goods_words(gloss: str) -> list[str]:
    out: list[str] = []
    for raw in re.findall(r"[A-Za-z][A-Za-z0-9]*", gloss):
        for w in tokens(SPELLED.get(raw.lower(), raw)):
            w = "vapor" if w == "vapour" else w
            if w not in GENERIC and not w.isdigit() and len(w) > 1 and w not in out:
                out.append(w)
    return out


def candidates(c: ControlList, words: list[str]) -> list[str]:
    """The most specific paragraphs holding at least OBVIOUS of ``words`` (with the entry heading and the
    paragraphs around them)."""
    found = []
    for e in c.entries:
        for p in e.paragraphs:
            # the paragraph and those below it with their notes; above it only the text (a note above defines
            # terms for some of its sub-paragraphs, not all)
            around = [q.text + " " + " ".join(q.notes) for q in e.paragraphs
                      if q.code == p.code or q.code.startswith(p.code + ".")]
            around += [e.heading] + [q.text for q in e.paragraphs if p.code.startswith(q.code + ".")]
            have = {("vapor" if t == "vapour" else t) for t in tokens(" ".join(around))}
            if sum(w in have for w in words) >= OBVIOUS * len(words):
                found.append(p.code)
    return [f for f in found if not any(o != f and o.startswith(f + ".") for o in found)]


def test_loose_search_finds_the_reported_counterparts(control_lists: list[ControlList]) -> None:
    """The check below is only meaningful if it would have caught the reported cases."""
    lists = by_j(control_lists)
    gloss = {e.code: e.heading for e in lists["JP"].entries}
    for item, target, paragraph, _ in REPORTED:
        assert paragraph in candidates(lists[target], goods_words(gloss[item])), item


def test_every_none_claim_names_the_obvious_candidates_it_rejected(control_lists: list[ControlList]) -> None:
    lists = by_j(control_lists)
    gloss = {e.code: e.heading for e in lists["JP"].entries}
    unexplained = []
    for target in ("US", "EU"):
        for r in crosswalk(control_lists, "JP", target).rows:
            if r["relation"] != "none":
                continue
            evidence = " ".join(r["evidence"])
            for code in candidates(lists[target], goods_words(gloss[r["from_code"]])):
                if not re.search(re.escape(code) + r"(?![0-9a-z])", evidence):
                    unexplained.append((r["from_code"], target, code))
    assert not unexplained, unexplained


def test_none_rows_say_what_was_established() -> None:
    import csv

    with jp_crosswalk_path().open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["relation"] == "none"]
    assert rows
    for r in rows:
        assert "does not list" not in r["evidence"], r  # a failed search is not a finding of absence
        if r["method"] == "checked by hand: no counterpart":
            assert "checked by hand" in r["evidence"] and re.search(r"\bread\b|occur", r["evidence"]), r
        else:
            assert r["method"] == "no counterpart found by keyword" and "not verified absent" in r["evidence"], r


def curation_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("curate_jp_crosswalk", ROOT / "tools" / "curate_jp_crosswalk.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failed_keyword_search_is_worded_as_such() -> None:
    tool = curation_tool()
    item = {"jp_item": "X", "eu_annex1_candidates": "", "us_ccl_candidates": "", "match_regex": "(?i)no such words"}
    [row] = tool.keyword_rows(item, "US", {"3B001.c.2": "wet chemical processing"}, {"jp_item": "X"})
    assert row["relation"] == "none" and row["method"] == "no counterpart found by keyword"
    assert "not verified absent" in row["evidence"] and "does not list" not in row["evidence"]


def test_shipped_table_is_what_the_tool_builds(tmp_path: Path) -> None:
    """The table is generated: a hand edit to it (instead of to the review) would be lost at the next build."""
    tool = curation_tool()
    out = tmp_path / "jp_crosswalk.csv"
    tool.write(tool.build(CONTROLS), out)
    assert out.read_bytes() == jp_crosswalk_path().read_bytes()
