"""OFAC's SDN remarks state nationalities and citizenships ("nationality Korea, North;", "citizen Iran;"): they are
read into the entity's countries, so a stated country refines an OFAC match as it does a UN one (before, no OFAC
entity had a country and --country did nothing against the largest list), and lists stored before they were read
neither need reloading nor report their records as changed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from pinchpoint.screening.reviews import fingerprint
from pinchpoint.screening.store import load_lists, store_list
from pinchpoint.workspace import Workspace
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

SDN_FILE = "ofac_sdn_20240503.csv"
# a few of the labels as the SDN file writes them, and the codes they name (ISO 3166)
LABELS = {"Korea, North": "PRK", "Congo, Democratic Republic of the": "COD", "Russia": "RUS", "Iran": "IRN",
          "Burma": "MMR", "Syria": "SYR"}


def stated(label: str) -> set[str]:
    """ent_num of the rows whose remarks (field 12) state ``label`` as a nationality, read with the csv module."""
    text = (LISTS / SDN_FILE).read_bytes().rstrip(b"\x1a\r\n ").decode("latin-1")
    pattern = re.compile(rf"\bnationality {re.escape(label)}(;|\.|$)")
    return {f"ofac-{row[0].strip()}" for row in csv.reader(io.StringIO(text)) if len(row) > 11
            and pattern.search(row[11])}


@pytest.fixture(scope="module")
def sdn(lists: dict[str, ScreeningList]) -> ScreeningList:
    return lists[SDN_FILE]


@pytest.mark.parametrize(("label", "code"), sorted(LABELS.items()))
def test_every_stated_nationality_is_read(sdn: ScreeningList, label: str, code: str) -> None:
    expected = stated(label)
    assert expected  # each label is in the 2024-05-03 file (Korea, North: 104 rows)
    assert expected <= {e.entity_id for e in sdn.entities if code in e.countries}


def test_a_stated_country_refines_an_ofac_match(sdn: ScreeningList) -> None:
    north = stated("Korea, North")
    person = next(e for e in sdn.entities if e.entity_id in north and e.type.value == "person"
                  and len(e.primary_name) > 12)
    screener = Screener([sdn])
    same = next(m for m in screener.screen(person.primary_name, country="PRK", limit=50)
                if m["entity_id"] == person.entity_id)
    other = next(m for m in screener.screen(person.primary_name, country="JPN", threshold=0.5, limit=50)
                 if m["entity_id"] == person.entity_id)
    assert not any("country" in p for p in same["explanation"]["penalties"])
    assert any(p.startswith("country JPN not among PRK") for p in other["explanation"]["penalties"])
    assert other["score"] == pytest.approx(same["score"] * 0.9, abs=1e-4)


def test_lists_stored_before_nationalities_were_read_keep_their_fingerprints(sdn: ScreeningList,
                                                                             tmp_path: Path) -> None:
    earlier = sdn.model_copy(update={"entities": tuple(e.model_copy(update={"countries": ()})
                                                       for e in sdn.entities)})
    assert all(fingerprint(a) == fingerprint(b) for a, b in zip(earlier.entities, sdn.entities, strict=True))
    with Workspace(tmp_path / "ws") as ws:
        store_list(ws, earlier)
        (stored,) = load_lists(ws)
        assert {e.entity_id: e.countries for e in stored.entities} == {e.entity_id: e.countries for e in sdn.entities}
        change = store_list(ws, sdn)
    assert (change.added, change.removed, change.changed) == ((), (), ())
