"""OFAC's SDN remarks state a person's gender ("Gender Male", "Gender Female"): it is read into the entity, used by
the screening where the query states one too, and lists stored before it was read neither need reloading nor
report their persons as changed (their fingerprints stay)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from pinchpoint.screening.matcher import GENDER_FACTOR, Screener
from pinchpoint.screening.model import EntityType, ScreeningList
from pinchpoint.screening.reviews import fingerprint
from pinchpoint.screening.store import load_lists, store_list
from pinchpoint.workspace import Workspace
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

SDN_FILE = "ofac_sdn_20240503.csv"


def stated_genders() -> dict[str, str]:
    """ent_num -> gender, as the SDN CSV's remarks (field 12) state it, read with the csv module alone."""
    text = (LISTS / SDN_FILE).read_bytes().rstrip(b"\x1a\r\n ").decode("latin-1")
    out = {}
    for row in csv.reader(io.StringIO(text)):
        found = set(re.findall(r"Gender (Male|Female)", row[11])) if len(row) > 11 else set()
        if len(found) == 1:
            out[f"ofac-{row[0].strip()}"] = found.pop().lower()
    return out


@pytest.fixture(scope="module")
def sdn(lists: dict[str, ScreeningList]) -> ScreeningList:
    return lists[SDN_FILE]


def test_every_gender_the_remarks_state_is_read(sdn: ScreeningList) -> None:
    expected = stated_genders()
    read = {e.entity_id: e.gender for e in sdn.entities if e.gender}
    assert len(expected) > 4000  # the 2024-05-03 file: 3,737 male, 527 female
    assert read == expected
    assert all(e.type is EntityType.PERSON for e in sdn.entities if e.gender)


def test_a_stated_gender_is_compared_with_the_listed_one(sdn: ScreeningList) -> None:
    expected = stated_genders()
    screener = Screener([sdn])
    woman = next(e for e in sdn.entities if expected.get(e.entity_id) == "female" and len(e.primary_name) > 12)
    same = screener.screen(woman.primary_name, gender="female", limit=50)
    other = screener.screen(woman.primary_name, gender="male", threshold=0.5, limit=50)
    same_hit = next(m for m in same if m["entity_id"] == woman.entity_id)
    other_hit = next(m for m in other if m["entity_id"] == woman.entity_id)
    assert not any("gender" in p for p in same_hit["explanation"]["penalties"])
    assert any(p.startswith("gender male, listed female") for p in other_hit["explanation"]["penalties"])
    assert other_hit["score"] == pytest.approx(same_hit["score"] * GENDER_FACTOR, abs=1e-4)


def test_lists_stored_before_gender_was_read_keep_their_fingerprints(sdn: ScreeningList, tmp_path: Path) -> None:
    """A list stored by an earlier pinchpoint (no gender) is read with the gender; loading the same file again
    changes no record; review and delta fingerprints are those taken before."""
    earlier = sdn.model_copy(update={"entities": tuple(e.model_copy(update={"gender": ""}) for e in sdn.entities)})
    assert all(fingerprint(a) == fingerprint(b) for a, b in zip(earlier.entities, sdn.entities, strict=True))
    with Workspace(tmp_path / "ws") as ws:
        store_list(ws, earlier)
        (stored,) = load_lists(ws)
        assert {e.entity_id: e.gender for e in stored.entities if e.gender} == stated_genders()
        change = store_list(ws, sdn)
    assert (change.added, change.removed, change.changed) == ((), (), ())
