"""CHPL -> controls on the real files (trial 10, finding 5): a 'mapping' must name the HS code's goods as goods,
not share a word by chance, and an HS exclusion ("other than light-emitting diodes") names goods that are not
in the code."""

from __future__ import annotations

import csv
import re

import pytest

from pinchpoint.controls.crosswalk import chpl_controls, goods_terms, strip_exclusions
from pinchpoint.controls.model import ControlList
from tests.conftest import CONTROLS, SHARED

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")
CHPL = SHARED / "trade" / "chpl.csv"


def descriptions() -> dict[str, str]:
    with CHPL.open(encoding="utf-8", newline="") as fh:
        return {r["hs6"]: r["description_short"] for r in csv.DictReader(fh)}


def test_exclusions_are_cut_before_the_goods_are_read() -> None:
    source = descriptions()
    assert strip_exclusions(source["854110"]) == "Diodes"  # 'Diodes, other than photosensitive or light-emitting ...'
    assert [t.head for t in goods_terms(source["854110"])] == ["diode"]
    assert "lamp" not in strip_exclusions(source["853669"]) and "photosensitive" not in strip_exclusions(
        source["854129"])
    # goods are head nouns with their modifiers; uses and generic heads are not goods
    assert [str(t) for t in goods_terms(source["850440"])] == ["static converter"]
    assert [str(t) for t in goods_terms(source["853669"])] == ["plug", "socket"]
    assert [str(t) for t in goods_terms(source["854159"])] == ["semiconductor device"]


# (HS code, wrong counterpart, why): the reported word-only matches
REPORTED = [
    ("850440", "EU", "6A007.b.1", "a gravity meter's 'static accuracy'"),
    ("850440", "EU", "7D004.f", "air-data systems on 'surface static data' (software)"),
    ("853669", "US", "3A992.1", "'Plug-in units'"),
    ("854110", "US", "5A001.b.1.d", "an underwater link 'using light-emitting diodes'"),
    ("854110", "EU", "5A001.b.1.d", "an underwater link 'using light-emitting diodes'"),
]


@pytest.mark.parametrize(("hs6", "jurisdiction", "paragraph", "why"), REPORTED)
def test_word_only_matches_are_not_mappings(control_lists: list[ControlList], hs6: str, jurisdiction: str,
                                            paragraph: str, why: str) -> None:
    rows = [r for r in chpl_controls(CHPL, control_lists, leads=True).rows
            if r["hs6"] == hs6 and r["jurisdiction"] == jurisdiction and r["paragraph"] == paragraph]
    assert all(r["strength"] == "lead to verify" for r in rows), (why, rows)


def test_mappings_name_the_goods_as_goods(control_lists: list[ControlList]) -> None:
    """Every mapping's goods noun occurs in the control's text as a word of its own (not inside 'plug-in' or
    'light-emitting'), the control is goods (not D software or E technology), and no mapping rests on words of
    an exclusion."""
    entries = {f"{c.jurisdiction.value}:{e.code}": e for c in control_lists for e in c.entries}
    source = descriptions()
    table = chpl_controls(CHPL, control_lists)
    mappings = [r for r in table.rows if r["strength"] == "mapping"]
    assert mappings
    for r in mappings:
        assert r["code"][1] in "ABC", r
        entry = entries[f"{r['jurisdiction']}:{r['code']}"]
        text = " ".join([entry.heading] + [p.text for p in entry.paragraphs if p.code == r["paragraph"]
                                           or r["paragraph"].startswith(p.code + ".")]).lower()
        heads = {t.head for t in goods_terms(source[r["hs6"]])}
        assert any(re.search(rf"(?<![-\w]){re.escape(h)}s?(?![-\w])", text) for h in heads), (r, heads)
        excluded = set(re.findall(r"[a-z]+", source[r["hs6"]].lower())) - set(
            re.findall(r"[a-z]+", strip_exclusions(source[r["hs6"]]).lower()))
        named = r["reason"].split("names the goods (")[1].split(")")[0]
        assert not excluded & set(named.split()), (r, excluded)
    # still found: the plain cases
    found = {(r["hs6"], r["jurisdiction"], r["paragraph"]) for r in mappings}
    assert {("854320", "US", "3A002.d"), ("903020", "US", "3A002.a"), ("854231", "US", "3A001.a")} <= found
    assert any(f"{len(mappings)} mappings" in c for c in table.caveats)
