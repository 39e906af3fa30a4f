"""Review memory (issue #16 item 3): a decision on an alert is kept in the workspace, shown by the next run, which
does not alert again for the same input and entity unless the listed record changed; exported with the results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint.errors import BadArgumentError, NotFoundError
from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from pinchpoint.screening.reviews import latest_reviews, record_review
from pinchpoint.screening.store import read_reviews, store_list
from pinchpoint.workspace import Workspace


def _un(lists: dict[str, ScreeningList]) -> ScreeningList:
    return lists["un_sc_consolidated_20260227.xml"]


def test_decisions_suppress_repeat_alerts_until_the_record_changes(lists: dict[str, ScreeningList],
                                                                   tmp_path: Path) -> None:
    un = _un(lists)
    badege = next(e for e in un.entities if e.names[0].text == "ERIC BADEGE")
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        store_list(ws, un)
        review = record_review(ws, [un], "Eric  BADEGE", badege.entity_id, "false-positive", "A. Analyst",
                               "customer born 1990 in Lyon; the listed man 1971")
    assert review.decision == "false positive" and review.list == un.list_name
    reviews = read_reviews(ws_path)
    assert len(reviews) == 1
    src = tmp_path / "customers.csv"
    src.write_text("id,name\n1,Eric Badege\n2,eric badege\n3,Frank Kakolele Bwambale\n", encoding="utf-8")
    out = tmp_path / "out.json"
    screener = Screener([un])
    summary = screen_file(screener, src, out, reviews=reviews)
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    decided = [r for r in rows if r["entity_id"] == badege.entity_id]
    # the same input (case and spacing aside) and entity: shown with the decision, not a new alert
    assert [r["id"] for r in decided] == ["1", "2"] and {r["alert"] for r in decided} == {"decided"}
    assert decided[0]["review_decision"] == "false positive" and decided[0]["reviewer"] == "A. Analyst"
    assert "born 1990" in decided[0]["review_reason"]
    other = [r for r in rows if r["id"] == "3" and r["status"] == "match"]
    assert other and all(r["alert"] == "new" and r["review_decision"] is None for r in other)
    assert "2 decided before (not alerted again)" in summary
    # a new list version changes the entity's record (another listing reason): alerted again, decision shown
    changed = badege.model_copy(update={"listing_reason": badege.listing_reason + " Re-designated."})
    updated = un.model_copy(update={"entities": tuple(changed if e is badege else e for e in un.entities)})
    screen_file(Screener([updated]), src, out, reviews=reviews)
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    again = [r for r in rows if r["entity_id"] == badege.entity_id]
    assert {r["alert"] for r in again} == {"record changed"} and again[0]["review_decision"] == "false positive"


def test_bad_decisions_are_refused(lists: dict[str, ScreeningList], tmp_path: Path) -> None:
    un = _un(lists)
    with Workspace(tmp_path / "ws") as ws:
        with pytest.raises(NotFoundError, match=r"no entity 'un-XXi\.999'"):
            record_review(ws, [un], "Somebody", "un-XXi.999", "true match", "A. Analyst")
        with pytest.raises(BadArgumentError, match="decision 'maybe'"):
            record_review(ws, [un], "Somebody", un.entities[0].entity_id, "maybe", "A. Analyst")
        with pytest.raises(BadArgumentError, match="reviewer"):
            record_review(ws, [un], "Somebody", un.entities[0].entity_id, "true match", " ")
        assert latest_reviews(ws) == {}


def test_cli_review_add_list_and_screen_show_it(small_ws: Path, tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)
    runner = CliRunner()
    result = runner.invoke(app, ["screen", "Eric Badege", "-f", "json", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    match = json.loads(result.stdout)["rows"][0]
    assert match["alert"] == "new"
    result = runner.invoke(app, ["review", "add", "Eric Badege", match["entity_id"], "--decision", "true-match",
                                 "--reviewer", "B. Officer", "--reason", "same date of birth", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["screen", "Eric Badege", "-f", "json", "--workspace", str(ws)])
    row = json.loads(result.stdout)["rows"][0]
    assert row["alert"] == "decided" and row["review"]["decision"] == "true match"
    result = runner.invoke(app, ["review", "list", "-f", "csv", "--workspace", str(ws)])
    assert result.exit_code == 0 and "B. Officer" in result.stdout
    records = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["entity_id"] for r in records] == [match["entity_id"]]
    result = runner.invoke(app, ["review", "add", "Eric Badege", "nope", "--decision", "true-match",
                                 "--reviewer", "B. Officer", "--workspace", str(ws)])
    assert result.exit_code == 2 and "no entity 'nope'" in result.stderr


def test_a_decision_is_on_the_input_with_what_it_was_screened_with(lists: dict[str, ScreeningList],
                                                                 tmp_path: Path) -> None:
    """Clearing "Eric Badege" born 1990 (a customer, not the listed man born 1971) must not clear another customer
    of that name born in 1971, nor one whose birth date the file does not give: before, a decision was keyed by the
    name alone and the true hit showed as "decided false positive" with the first row's reason."""
    un = _un(lists)
    badege = next(e for e in un.entities if e.names[0].text == "ERIC BADEGE")
    assert any("1971" in d for d in badege.birth_dates)
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        store_list(ws, un)
        review = record_review(ws, [un], "Eric Badege", badege.entity_id, "false positive", "A. Analyst",
                               "born 1990 in Lyon",
                               refinements={"birth_date": "1990-1-5", "country": "Democratic Republic of the Congo"})
        with pytest.raises(BadArgumentError, match="no month 13"):
            record_review(ws, [un], "Eric Badege", badege.entity_id, "false positive", "A. Analyst",
                          refinements={"birth_date": "1990-13-01"})
    assert review.refinements() == {"birth_date": "1990-01-05", "country": "COD"}
    src = tmp_path / "customers.csv"
    src.write_text("id,name,dob,country\n1,Eric Badege,1990-01-05,COD\n2,Eric Badege,1971,COD\n"
                   "3,Eric Badege,,COD\n4,Eric Badege,1990-01-05,\n", encoding="utf-8")
    out = tmp_path / "out.json"
    screen_file(Screener([un]), src, out, reviews=read_reviews(ws_path), birth_date_column="dob",
                country_column="country")
    alerts = {r["id"]: r["alert"] for r in json.loads(out.read_text(encoding="utf-8"))["rows"]
              if r["entity_id"] == badege.entity_id}
    assert alerts == {"1": "decided", "2": "new", "3": "new", "4": "new"}


def test_cli_and_api_record_the_refinements_of_a_decision(small_ws: Path, tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)
    runner = CliRunner()
    result = runner.invoke(app, ["screen", "Eric Badege", "--birth-date", "1990", "-f", "json", "--workspace", str(ws)])
    entity_id = json.loads(result.stdout)["rows"][0]["entity_id"]
    result = runner.invoke(app, ["review", "add", "Eric Badege", entity_id, "--decision", "false-positive",
                                 "--reviewer", "B. Officer", "--birth-date", "1990", "--workspace", str(ws)])
    assert result.exit_code == 0 and "birth_date 1990" in result.stderr, result.output

    def alert(*options: str) -> str:
        result = runner.invoke(app, ["screen", "Eric Badege", *options, "-f", "json", "--workspace", str(ws)])
        return str(json.loads(result.stdout)["rows"][0]["alert"])

    assert alert("--birth-date", "1990") == "decided" and alert() == "new" and alert("--birth-date", "1971") == "new"
    records = list(csv.DictReader(runner.invoke(app, ["review", "list", "-f", "csv", "--workspace", str(ws)]
                                                ).stdout.splitlines()))
    assert [(r["entity_id"], r["birth_date"]) for r in records] == [(entity_id, "1990")]


def test_a_cli_decision_on_a_workbench_workspace_is_in_its_audit_trail(small_ws: Path, tmp_path: Path) -> None:
    """A decision taken at the terminal on a workspace that serves a workbench clears an alert for every
    organisation: it was written nowhere in the trail inspectors read (trial 11 F13). Now it is, under the
    operator's system account; --organisation keeps it to one organisation."""
    import shutil

    from typer.testing import CliRunner

    from pinchpoint.accounts.store import AccountStore
    from pinchpoint.cli.main import app

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)
    AccountStore(ws).close()  # the folder now serves a workbench (its account store exists)
    runner = CliRunner()
    entity_id = json.loads(runner.invoke(app, ["screen", "Eric Badege", "-f", "json", "--workspace", str(ws)]
                                         ).stdout)["rows"][0]["entity_id"]
    result = runner.invoke(app, ["review", "add", "Eric Badege", entity_id, "--decision", "false-positive",
                                 "--reviewer", "nobody", "--reason", "cli test", "--workspace", str(ws)])
    assert result.exit_code == 0 and "seen by every organisation" in result.stderr, result.output
    result = runner.invoke(app, ["review", "add", "Eric Badege", entity_id, "--decision", "true-match",
                                 "--reviewer", "B. Officer", "--organisation", "commerce", "--workspace", str(ws)])
    assert result.exit_code == 0 and "for organisation commerce" in result.stderr, result.output
    store = AccountStore(ws)
    try:
        reviews = [r for r in store.audit_records() if r.action == "review"]
        assert store.verify_audit().ok
    finally:
        store.close()
    assert [r.target for r in reviews] == [f"alert:UN Security Council Consolidated List:{entity_id}"] * 2
    assert all(r.actor.startswith("system (") for r in reviews)
    assert [r.details_dict()["reason"] for r in reviews] == ["cli test", ""]
