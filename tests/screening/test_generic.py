"""Queries with no distinctive token are reported as such, not matched (issue item 3)."""

from __future__ import annotations

import string
from pathlib import Path

from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from pinchpoint.screening.normalize import LEGAL_FORMS, SCRIPT_LEGAL_FORMS
from tests.screening.conftest import first_rows


def _legal_form_names() -> list[str]:
    """Names made only of legal forms, as customers write them, from the table of legal forms itself."""
    forms = list(LEGAL_FORMS)
    return ([f.upper() for f in forms] + [f.title() + "." for f in forms] + list(SCRIPT_LEGAL_FORMS)
            + ["Co., Ltd.", "CO LTD", "S.A.", "S. A.", "Inc.", "L.L.C.", "Sdn. Bhd.", "Pte. Ltd.", "GmbH & Co. KG"])


def test_legal_forms_and_single_letters_raise_no_alert(screener: Screener) -> None:
    queries = _legal_form_names() + list(string.ascii_uppercase) + ["A.", "J", "Trading Co., Ltd.",
                                                                    "Global Trading LLC", "International Group Inc"]
    alerts = {q: screener.screen(q)[0]["matched_name"] for q in queries if screener.screen(q)}
    assert alerts == {}
    silent = [q for q in queries if not (screener.unscreenable(q) or "").startswith("no distinctive token")]
    assert silent == []
    # "A" met "Ahmed, A" at 0.89: a single letter identifies no one, whatever the threshold
    assert screener.screen("A", threshold=0.5) == []


def test_distinctive_names_still_match(screener: Screener, lists: dict[str, ScreeningList]) -> None:
    # a generic word or an initial beside a distinctive token changes nothing
    assert screener.unscreenable("A Kadyrov") is None and screener.unscreenable("Mahan Air Co., Ltd.") is None
    # listed names with no distinctive token (GENERAL TECHNOLOGY LIMITED, G-9) still match themselves exactly
    by_text = {n.text: e.entity_id for sl in lists.values() for e in sl.entities for n in e.names}
    generic = [screener.names[i].text for ids in screener.generic_names.values() for i in ids]
    assert generic, "the real lists hold names made of generic words"
    for text in generic:
        assert by_text[text] in {m["entity_id"] for m in screener.screen(text)}, text
    # initialisms are distinctive: I.P.C. INTERNATIONAL LIMITED is a listed name
    initialisms = [t for t in by_text if t.startswith(("I.P.C.", "T.D.G.", "A.T.E."))]
    assert initialisms and all(screener.unscreenable(t) is None for t in initialisms)
    assert all(by_text[t] in {m["entity_id"] for m in screener.screen(t)} for t in initialisms)


def test_batch_and_table_report_them(screener: Screener, tmp_path: Path) -> None:
    from pinchpoint.screening.batch import screen_file

    src = tmp_path / "in.csv"
    src.write_text('name\n"Co., Ltd."\nLLC\nBanco Nacional de Cuba\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = screen_file(screener, src, out)
    status = [r["status"] for r in first_rows(out)]
    assert status[0].startswith("not screened: no distinctive token") and status[1].startswith("not screened")
    assert status[2] == "match" and "2 not screened" in summary
    table = screener.screen_many(["Co., Ltd."])
    assert len(table) == 0 and any("no distinctive token" in c for c in table.caveats)
    assert any("no name scored 0.8 or more" in c for c in table.caveats)
