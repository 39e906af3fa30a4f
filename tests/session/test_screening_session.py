"""The screening group of the Session: one screener held across calls and rebuilt only when a list is loaded or
updated, review decisions shown, batch files with progress through a callback, OFAC's alternate-names file told
by its content, unknown lists as NotFoundError; on the real lists in ../shared/data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint.errors import NotFoundError, WorkspaceError
from pinchpoint.screening.loaders import load_list, load_ofac
from pinchpoint.session import Session
from tests.conftest import SHARED

LISTS = SHARED / "screening" / "lists"
DPL = LISTS / "us_bis_dpl_2022.txt"
METI = LISTS / "meti_eul_20250929.xlsx"
SDN = LISTS / "ofac_sdn_20240503.csv"
ALT = LISTS / "ofac_alt_20250227.csv"


@pytest.fixture(autouse=True)
def _real_lists() -> None:
    if not LISTS.exists():
        pytest.skip(f"real data not found at {LISTS}")


def test_one_screener_held_across_calls_and_rebuilt_once_per_list_change(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match="no restricted-party lists"):
        session.screening.screen(["AARON ABRAHAM VILLA"])
    (loaded,) = session.screening.load([DPL])
    assert loaded.error is None and loaded.change is not None and loaded.change.stored
    dpl = load_list(DPL)
    first = session.screening.screen(["AARON ABRAHAM VILLA", "Nobody Inparticular Plumbing"])
    assert first.rows[0]["matched_name"] == "AARON ABRAHAM VILLA" and first.rows[0]["alert"] == "new"
    assert {r["query"] for r in first.rows} == {"AARON ABRAHAM VILLA"}
    assert first.meta["lists"] == {dpl.list_name: dpl.version}
    for _ in range(3):
        session.screening.screen(["AARON ABRAHAM VILLA"])
    session.screening.lists()
    assert session.cache.builds[("screener",)] == 1

    # the same file again stores nothing and rebuilds nothing; another list loaded by another process does
    (again,) = Session(tmp_path / "ws").screening.load([DPL])
    assert again.change is not None and not again.change.stored
    session.screening.screen(["AARON ABRAHAM VILLA"])
    assert session.cache.builds[("screener",)] == 1
    Session(tmp_path / "ws").screening.load([METI])
    meti = load_list(METI)
    name = meti.entities[0].names[0].text
    found = session.screening.screen([name], lists=[meti.list_name])
    assert session.cache.builds[("screener",)] == 2
    assert found.rows and all(r["list"] == meti.list_name for r in found.rows)
    listed = session.screening.lists()
    assert {r["list_name"]: r["n_entities"] for r in listed.rows} == {
        dpl.list_name: len(dpl.entities), meti.list_name: len(meti.entities)}


def test_unknown_list_is_not_found_with_the_closest_loaded_one(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    session.screening.load([DPL])
    with pytest.raises(NotFoundError, match="did you mean 'BIS Denied Persons List'") as info:
        session.screening.screen(["ACME"], lists=["BIS Denied Person List"])
    assert info.value.suggestions == ["BIS Denied Persons List"]
    with pytest.raises(NotFoundError):
        session.screening.review("ACME", "x", "false positive", "me", list_name="BIS Denied Person Lst")


def test_review_decisions_are_shown_by_later_screenings(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    session.screening.load([DPL])
    match = session.screening.screen(["Aaron Abraham Villa"]).rows[0]
    review = session.screening.review("aaron  abraham VILLA", str(match["entity_id"]), "false-positive", "kei",
                                      "another person: born 1990")
    assert review.decision == "false positive"
    again = session.screening.screen(["Aaron Abraham Villa"]).rows[0]
    assert again["entity_id"] == match["entity_id"] and again["alert"] == "decided"
    assert again["review"]["reviewer"] == "kei"
    (row,) = session.screening.review_table().rows
    assert row["entity_id"] == match["entity_id"] and row["reason"] == "another person: born 1990"
    assert session.cache.builds[("screener",)] == 1  # a decision is no list change


def test_batch_keeps_every_row_and_column_and_reports_progress(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    session.screening.load([DPL])
    dpl_names = [e.names[0].text for e in load_list(DPL).entities[:5]]
    source = tmp_path / "customers.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["customer_id", "name", "country"])
        for k, name in enumerate([*dpl_names, "Zzyzx Qwerty Plumbing", "Co., Ltd.", ""]):
            writer.writerow([f"C{k}", name, "US"])
    heard: list[tuple[int, int]] = []
    run = session.screening.screen_file(source, tmp_path / "out.json", top=1, workers=1,
                                        progress=lambda done, total, label: heard.append((done, total)))
    assert heard and heard[-1] == (8, 8)
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    rows = document["rows"]
    assert [r["customer_id"] for r in rows] == [f"C{k}" for k in range(8)]  # every input row once (top 1)
    assert [r["status"] for r in rows][:5] == ["match"] * 5
    assert [r["status"].split(":")[0] for r in rows[5:]] == ["no match", "not screened", "unreadable"]
    counts = {r["status"]: r["inputs"] for r in run.counts.rows}
    assert counts == {"match": 5, "no match": 1, "not screened": 1, "unreadable": 1}
    assert run.counts.meta["parameters"]["top"] == 1 and "at most 1 matches per input row (top)" in run.counts.caveats
    assert run.output == tmp_path / "out.json" and "8 rows" in run.summary


def test_ofac_alternate_file_is_told_by_its_content(tmp_path: Path) -> None:
    """The CLI skipped every ``*alt*.csv`` by its name, so a list named salt.csv was never loaded; the rule now
    reads the content, and skips an alternate-names file only when the SDN file beside it reads it."""
    # the first 300 SDN records, their alternate names, each file ending with OFAC's end-of-file mark
    sdn_lines = [*SDN.read_text(encoding="utf-8").splitlines(keepends=True)[:300], "\x1a"]
    ent_nums = {line.split(",", 1)[0] for line in sdn_lines}
    alt_lines = [line for line in ALT.read_text(encoding="utf-8").splitlines(keepends=True)
                 if line.split(",", 1)[0] in ent_nums and len(next(csv.reader([line]))) == 5]  # whole records
    assert alt_lines
    alt_lines.append("\x1a")
    alone = tmp_path / "salted"
    alone.mkdir()
    # named with its date: a list whose version nothing states is refused (OFAC's CSV holds no date)
    (alone / "sdn_salt_lake_20240503.csv").write_text("".join(sdn_lines), encoding="utf-8")
    session = Session(tmp_path / "ws")
    (salted,) = session.screening.load([alone / "sdn_salt_lake_20240503.csv"])
    assert salted.skipped is None and salted.error is None and salted.screening_list is not None
    expected = load_ofac(alone / "sdn_salt_lake_20240503.csv", None)  # read without any alternate names
    assert [e.entity_id for e in salted.screening_list.entities] == [e.entity_id for e in expected.entities]
    assert [e.names for e in salted.screening_list.entities] == [e.names for e in expected.entities]

    pair = tmp_path / "pair"
    pair.mkdir()
    (pair / "ofac_sdn_20240503.csv").write_text("".join(sdn_lines), encoding="utf-8")
    (pair / "ofac_alt.csv").write_text("".join(alt_lines), encoding="utf-8")
    sdn_load, alt_load = session.screening.load([pair / "ofac_sdn_20240503.csv", pair / "ofac_alt.csv"])
    assert alt_load.skipped is not None and "SDN file beside" in alt_load.skipped
    assert sdn_load.screening_list is not None
    names = sum(len(e.names) for e in sdn_load.screening_list.entities)
    assert names == sum(len(e.names) for e in load_ofac(pair / "ofac_sdn_20240503.csv", pair / "ofac_alt.csv"
                                                        ).entities)
    assert names > sum(len(e.names) for e in load_ofac(pair / "ofac_sdn_20240503.csv", None).entities)

    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "ofac_alt.csv").write_text("".join(alt_lines), encoding="utf-8")
    (nothing,) = session.screening.load([lonely / "ofac_alt.csv"])
    assert nothing.skipped is None and nothing.error is not None and "alternate-names" in str(nothing.error)


def test_a_server_session_reads_no_local_files(tmp_path: Path) -> None:
    from pinchpoint.errors import BadArgumentError

    served = Session(tmp_path / "ws", local_files=False)
    with pytest.raises(BadArgumentError, match="no local files"):
        served.screening.load([DPL])
    with pytest.raises(BadArgumentError, match="no local files"):
        served.screening.screen_file(DPL, tmp_path / "out.csv")
