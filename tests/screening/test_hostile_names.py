"""Names written to pass a screening while a reviewer reads a listed name (trial 11, trial 12): a right-to-left
override that makes a spreadsheet or browser display the letters reversed, look-alike Cyrillic or Greek letters
inside Latin words, and characters that draw nothing inside a word. Built from names on the real lists."""

from __future__ import annotations

import csv
from pathlib import Path

from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener, query_texts
from pinchpoint.screening.normalize import displayed_order, fold_lookalikes
from pinchpoint.screening.prefilter import Prefilter, analyse_row, rows_may_match

RLO, PDF = "\u202e", "\u202c"


def _ids(screener: Screener, query: str) -> dict[str, dict[str, object]]:
    return {m["entity_id"]: m for m in screener.screen(query)}


def test_a_name_displayed_as_a_listed_one_under_a_right_to_left_override_is_found(screener: Screener) -> None:
    listed = "BANCO NACIONAL DE CUBA"  # OFAC SDN ofac-306
    assert "ofac-306" in _ids(screener, listed)
    hidden = RLO + listed[::-1]  # the file holds "ABUC ED LANOICAN OCNAB"; a reader sees BANCO NACIONAL DE CUBA
    assert displayed_order(hidden) == listed
    found = _ids(screener, hidden)["ofac-306"]
    assert found["score"] == 1.0 and found["query"] == hidden
    assert "right-to-left override" in str(found["reason"]) and found["explanation"]["read_as"] == listed
    # one word of it reversed, closed by a pop: the rest reads as written
    partial = f"Banco {RLO}LANOICAN{PDF} de Cuba"
    assert displayed_order(partial) == "Banco NACIONAL de Cuba" and _ids(screener, partial)["ofac-306"]["score"] == 1.0
    # the name as written still matches what it holds in order (an override in front of the listed name itself)
    assert _ids(screener, RLO + listed)["ofac-306"]["score"] == 1.0


def test_look_alike_letters_and_invisible_characters_inside_a_word_do_not_hide_a_listed_name(
        screener: Screener) -> None:
    # Cyrillic В and а inside "Bank": a reader sees BANK MELLI IRAN (OFAC ofac-25578 among others)
    disguised = "\u0412\u0430nk Melli Iran"
    assert fold_lookalikes(disguised) == "Bank Melli Iran"
    found = _ids(screener, disguised)
    assert found and max(m["score"] for m in found.values()) == 1.0  # type: ignore[type-var]
    assert all("look like" in str(m["reason"]) for m in found.values())
    # Greek capitals beside Latin ones (the trial's "ΒΑΝΚ ΜΕLLΙ ΙRΑΝ" scored 0.57)
    greek = "\u0392\u0391\u039d\u039a \u039c\u0395LL\u0399 \u0399R\u0391\u039d"
    assert fold_lookalikes(greek) == "BANK MELLI IRAN"
    assert max(m["score"] for m in screener.screen(greek)) == 1.0  # type: ignore[type-var]
    # a word with letters of its own script is a name in that script, left to transliteration: nothing folded
    putin = "\u0412\u043b\u0430\u0434\u0438\u043c\u0438\u0440 \u041f\u0443\u0442\u0438\u043d"  # in Cyrillic
    assert [text for text, _ in query_texts(putin)] == [putin]
    # a zero-width space inside a word is no word break (it was read as a space: "ROS OBORONEXPORT")
    assert max(m["score"] for m in screener.screen("Ros\u200boboronexport")) == 1.0  # type: ignore[type-var]


def test_a_batch_row_finds_it_and_delta_never_leaves_such_a_row_out(screener: Screener, tmp_path: Path) -> None:
    src, out = tmp_path / "customers.csv", tmp_path / "found.csv"
    hidden = RLO + "BANCO NACIONAL DE CUBA"[::-1]
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name"], [hidden], ["Acme Widgets"]])
    screen_file(screener, src, out, top=1)
    with out.open(encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert first["status"] == "match" and first["entity_id"] == "ofac-306" and "override" in first["reason"]
    # the CSV shows the override as a visible escape (results.table.visible_controls), so a spreadsheet does not
    # display the row reversed; JSON keeps the input exactly
    assert first["name"] == hidden.replace(RLO, "\\u202e")
    as_json = tmp_path / "found.json"
    screen_file(screener, src, as_json, top=1)
    import json

    assert json.loads(as_json.read_text(encoding="utf-8"))["rows"][0]["name"] == hidden
    # delta re-screening's prefilter bounds the name as written: a row also read otherwise must always be screened
    restricted = screener.restricted([("OFAC SDN", "ofac-306")])
    analyses = [analyse_row(screener, hidden), analyse_row(screener, "Acme Widgets")]
    assert rows_may_match(Prefilter(restricted), analyses, [None, None], 0.8, workers=1).tolist() == [True, False]
