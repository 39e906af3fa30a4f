"""Birth date and gender where both sides state them (issue #16): a disagreement lowers a score, a birth date that
agrees raises it slightly, as documented in pinchpoint.screening.matcher (BIRTH_DATE_RAISE, BIRTH_YEAR_RAISE,
GENDER_FACTOR); and a delta re-screening finds a match the birth date lifts over the threshold."""

from __future__ import annotations

import re

import pytest

from pinchpoint.screening.delta import StoredRow, make_stored, rescreen_since_last
from pinchpoint.screening.matcher import BIRTH_DATE_RAISE, BIRTH_YEAR_RAISE, GENDER_FACTOR, Screener
from pinchpoint.screening.model import EntityType, ListedEntity, ScreeningList

UN = "un_sc_consolidated_20260227.xml"


def _dated_person(un: ScreeningList) -> tuple[ListedEntity, str]:
    """A UN person with one full birth date and a gender, and a name of theirs with one letter changed."""
    for e in un.entities:
        dates = [d for d in e.birth_dates if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)]
        name = e.primary_name
        if e.type is EntityType.PERSON and e.gender and len(dates) == 1 == len(e.birth_dates) and \
                len(name.split()) >= 3 and all(len(w) >= 5 for w in name.split()[:2]):
            first = name.split()[0]
            return e, name.replace(first, first[:2] + first[3] + first[2] + first[4:], 1)  # two letters swapped
    raise AssertionError("no dated UN person")


@pytest.fixture(scope="module")
def un_screener(lists: dict[str, ScreeningList]) -> Screener:
    return Screener([lists[UN]])


def _score(screener: Screener, query: str, entity: ListedEntity, **options: str) -> float:
    found = [m for m in screener.screen(query, threshold=0.3, limit=50, **options)
             if m["entity_id"] == entity.entity_id]
    assert found, (query, options)
    return float(found[0]["score"])


def test_birth_date_and_gender_adjust_as_documented(un_screener: Screener, lists: dict[str, ScreeningList]) -> None:
    person, query = _dated_person(lists[UN])
    born = person.birth_dates[0]
    plain = _score(un_screener, query, person)
    assert plain < 1.0
    assert _score(un_screener, query, person, birth_date=born) == pytest.approx(
        plain + (1 - plain) * BIRTH_DATE_RAISE, abs=1e-4)
    assert _score(un_screener, query, person, birth_date=born[:4]) == pytest.approx(
        plain + (1 - plain) * BIRTH_YEAR_RAISE, abs=1e-4)
    other_day = born[:8] + ("02" if born[8:] != "02" else "03")
    assert _score(un_screener, query, person, birth_date=other_day) == pytest.approx(plain * 0.95, abs=1e-4)
    other_year = str(int(born[:4]) + 7) + born[4:]
    assert _score(un_screener, query, person, birth_date=other_year) == pytest.approx(plain * 0.85, abs=1e-4)
    other_gender = "female" if person.gender == "male" else "male"
    assert _score(un_screener, query, person, gender=person.gender) == pytest.approx(plain, abs=1e-4)
    assert _score(un_screener, query, person, gender=other_gender) == pytest.approx(plain * GENDER_FACTOR, abs=1e-4)
    # a threshold between the plain and the raised score: only the stated birth date makes the match
    threshold = round(plain + (1 - plain) * BIRTH_DATE_RAISE / 2, 4)
    assert person.entity_id not in {m["entity_id"] for m in un_screener.screen(query, threshold=threshold)}
    assert person.entity_id in {m["entity_id"] for m in un_screener.screen(query, threshold=threshold,
                                                                            birth_date=born)}
    with pytest.raises(ValueError, match="male or female"):
        un_screener.check_options(gender="unknown")


def test_delta_finds_a_match_the_birth_date_lifts(lists: dict[str, ScreeningList]) -> None:
    un = lists[UN]
    person, query = _dated_person(un)
    full = Screener([un])
    plain = _score(full, query, person)
    threshold = round(plain + (1 - plain) * BIRTH_DATE_RAISE / 2, 4)
    before = un.model_copy(update={"entities": tuple(e for e in un.entities if e.entity_id != person.entity_id),
                                   "version": "before"})
    old = Screener([before])
    stored = make_stored("c", "c.csv", ["name"], "name", {"threshold": threshold},
                         [StoredRow(2, query, {"birth_date": person.birth_dates[0]})], {}, old)
    delta = rescreen_since_last(stored, full)
    assert [(r["entity_id"], r["change"]) for r in delta.alerts.rows] == [(person.entity_id, "new alert")]
