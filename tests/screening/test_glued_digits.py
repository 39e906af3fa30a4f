"""Digits run onto a word (KANG SONG 1GMBH, HYOK SIN2) are a word of their own, as the lists write them apart: a
listed name ending in a number is found with a legal form or its last word glued to the number."""

from __future__ import annotations

import re

import pytest

from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ListedEntity, ScreeningList
from pinchpoint.screening.normalize import analyse
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")


@pytest.fixture(scope="module")
def numbered(lists: dict[str, ScreeningList]) -> list[tuple[ListedEntity, str]]:
    """OFAC SDN entities whose primary name is words and then a number (vessels such as KANG SONG 1)."""
    sdn = lists["ofac_sdn_20240503.csv"]
    return [(e, e.primary_name) for e in sdn.entities if re.fullmatch(r"[A-Z]+(?: [A-Z]+)* \d{1,3}", e.primary_name)]


@pytest.mark.parametrize("form", ["GMBH", "LLC", "CO"])
def test_a_legal_form_glued_to_a_number_is_a_legal_form(screener: Screener, numbered: list[tuple[ListedEntity, str]],
                                                        form: str) -> None:
    assert len(numbered) >= 100
    missed = [name + form for e, name in numbered
              if e.entity_id not in {m["entity_id"] for m in screener.screen(name + form, limit=50)}]
    assert missed == []
    assert analyse("KANG SONG 1GMBH")[:2] == (("kang", "song", "1"), ("gmbh",))


def test_a_number_glued_to_a_word_is_found(screener: Screener, numbered: list[tuple[ListedEntity, str]]) -> None:
    glued = [(e, "".join(name.rsplit(" ", 1))) for e, name in numbered]  # HYOK SIN 2 as HYOK SIN2
    missed = [query for e, query in glued
              if e.entity_id not in {m["entity_id"] for m in screener.screen(query, limit=50)}]
    assert missed == []
    # ordinals and one-letter codes stay whole
    assert analyse("21st Century 3M")[0] == ("21st", "century", "3m")
