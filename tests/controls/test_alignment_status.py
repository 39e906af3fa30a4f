"""'controlled by all' needs a 'same' counterpart in every other list: a text-similarity match is no evidence."""

from __future__ import annotations

from pinchpoint.controls.crosswalk import alignment
from pinchpoint.controls.model import ControlList


def test_a_similar_entry_is_not_control(control_lists: list[ControlList]) -> None:
    table = alignment(control_lists, ["US", "EU"], scope="3B")
    status = {(r["jurisdiction"], r["code"]): r["status"] for r in table.rows}
    # 3B991's heading reads "Equipment not controlled by 3B001 ...": its only EU counterpart is 3B001 by similarity.
    assert status[("US", "3B991")] == "only partial counterparts in EU (3B001)"
    # EU 3B001 has every paragraph of its own in U.S. 3B001, not the other way round (EU 3B001.c/.d "Not used")
    assert status[("US", "3B001")].startswith("partly controlled by EU (no counterpart found for 3B001.c.2")
    assert status[("EU", "3B001")] == "controlled by all"
    for r in table.rows:
        if r["status"] == "controlled by all":
            other = "in_EU" if r["jurisdiction"] == "US" else "in_US"
            assert "(same" in r[other], r
