"""Versions of a list: what a load adds and removes, suspicious versions refused, errors naming the versions there
are, and what was added since a date (from the data's dates and from version diffs)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.api.app import create_app
from pinchpoint.cli.main import app
from pinchpoint.controls.changes import added_since, parse_since
from pinchpoint.controls.model import ControlList
from pinchpoint.controls.store import load_lists, store_list
from pinchpoint.errors import WorkspaceError
from pinchpoint.workspace import Workspace
from tests.conftest import CONTROLS

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")
runner = CliRunner()


def by_j(lists: list[ControlList]) -> dict[str, ControlList]:
    return {c.jurisdiction.value: c for c in lists}


def json_rows(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text)
    rows: list[dict[str, Any]] = doc["rows"] if isinstance(doc, dict) else doc
    return rows


def ccl() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONTROLS / "us-ccl" / "ccl.json").read_text(encoding="utf-8"))
    return doc


def write(doc: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_an_empty_list_dated_9999_is_refused_and_does_not_hide_the_real_one(control_lists: list[ControlList],
                                                                              tmp_path: Path) -> None:
    us = by_j(control_lists)["US"]
    bogus = us.model_copy(update={"version": date(9999, 12, 31), "entries": ()})
    with Workspace(tmp_path / "ws") as ws:
        store_list(ws, us)
        with pytest.raises(WorkspaceError, match=r"has no entries.*dated in the future"):
            store_list(ws, bogus)
        assert load_lists(ws, ["US"])[0].version == us.version  # nothing stored
        fewer = us.model_copy(update={"version": date(2026, 8, 1), "entries": us.entries[:100]})
        with pytest.raises(WorkspaceError, match=f"keeps 100 of the {len(us.entries)} entries"):
            store_list(ws, fewer)
        forced = store_list(ws, fewer, force=True)
        assert forced.created and len(forced.removed) == len(us.entries) - 100 and not forced.added


def test_cli_load_refuses_then_forces_and_reports_changes(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    real = ccl()
    result = runner.invoke(app, ["controls", "load", str(CONTROLS / "us-ccl"), "--workspace", ws])
    assert result.exit_code == 0 and "first US version" in result.stdout
    empty = {**real, "ecfrIssueDate": "9999-12-31", "entries": []}
    path = write(empty, tmp_path / "empty" / "ccl.json")
    result = runner.invoke(app, ["controls", "load", str(path), "--workspace", ws])
    assert result.exit_code == 2 and "refused" in result.stderr and "--force" in result.stderr
    result = runner.invoke(app, ["controls", "list", "-f", "json", "--workspace", ws])
    assert [r["version"] for r in json_rows(result.stdout)] == [real["ecfrIssueDate"]]
    # a later version that drops one entry, changes another and adds one: the load says so
    later = {**real, "ecfrIssueDate": "2026-08-01"}
    entries = [dict(e) for e in real["entries"] if e["eccn"] != "3B903"]
    changed = next(e for e in entries if e["eccn"] == "3B001")
    changed["heading"] = changed["heading"] + " (amended)"
    entries.append({**changed, "eccn": "3B999"})
    later["entries"] = entries
    path = write(later, tmp_path / "later" / "ccl.json")
    result = runner.invoke(app, ["controls", "load", str(path), "--workspace", ws])
    assert result.exit_code == 0, result.output
    assert (f"against US {real['ecfrIssueDate']}: 1 added (3B999), 1 removed (3B903), 1 changed (3B001)"
            in result.stdout)
    result = runner.invoke(app, ["controls", "load", str(path), "--force", "--workspace", ws])
    assert "already loaded (unchanged)" in result.stdout


def test_diff_of_a_missing_version_names_the_versions_there_are(controls_workspace: Path) -> None:
    shipped = ccl()["ecfrIssueDate"]
    ws = str(controls_workspace)
    result = runner.invoke(app, ["controls", "diff", "US@2025-07-23", f"US@{shipped}", "--workspace", ws])
    assert result.exit_code == 2
    assert "no US control list of '2025-07-23'" in result.stderr and f"did you mean {shipped}" in result.stderr
    result = runner.invoke(app, ["controls", "diff", "US@last-year", f"US@{shipped}", "--workspace", ws])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr and shipped in result.stderr
    result = runner.invoke(app, ["controls", "diff", "US", "US", "--workspace", ws])
    assert result.exit_code == 2 and shipped in result.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["diff", "UK", "EU"], "no jurisdiction 'UK'"),
    (["diff", "US", "EU", "--scope", "3Z"], "did you mean 3A or 3B"),
    (["show", "3B09"], "did you mean"),
    (["show", "3B001.z"], "no paragraph '3B001.z' in 3B001"),
    (["show", "3B001", "-j", "XX"], "no jurisdiction 'XX'"),
    (["search", "EUV", "-j", "EUU"], "did you mean EU"),
    (["crosswalk", "--from", "US", "--to", "JPN"], "did you mean JP"),
    (["crosswalk", "--from", "EU", "--to", "US", "--scope", "quantun"], "did you mean quantum"),
    (["list", "--added", "2023-13"], "not a date"),
    (["list", "--added", "2023", "-j", "CN"], "no jurisdiction 'CN'"),
    (["report", "US", "--out", "unused"], "two different loaded jurisdictions"),
])
def test_every_command_names_the_closest_valid_ids(controls_workspace: Path, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["controls", *args, "--workspace", str(controls_workspace)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and "Traceback" not in result.output


def test_empty_results_say_why(controls_workspace: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["controls", "search", "zzqx", "--workspace", str(controls_workspace)])
    assert result.exit_code == 0 and "no rows" in result.stderr and "paragraphs searched" in result.stderr
    shipped = ccl()["ecfrIssueDate"]
    result = runner.invoke(app, ["controls", "diff", f"US@{shipped}", f"US@{shipped}",
                                 "--workspace", str(controls_workspace)])
    assert result.exit_code == 0 and f"No entry was added, removed or changed between US {shipped}" in result.stderr
    result = runner.invoke(app, ["controls", "list", "--workspace", str(tmp_path / "empty")])
    assert result.exit_code == 0 and "pinchpoint controls load" in result.stderr


def test_added_since_2023_from_the_items_dates(control_lists: list[ControlList], controls_workspace: Path) -> None:
    with (CONTROLS / "jp" / "jp_sme_concordance.csv").open(encoding="utf-8", newline="") as fh:
        status = {r["jp_item"]: r["jp_status"] for r in csv.DictReader(fh)}
    of_2023 = {code for code, s in status.items() if s == "2023-07-23"}
    assert len(of_2023) == 33
    table = added_since({c.jurisdiction.value: [c] for c in control_lists}, parse_since("2023"))
    rows = {r["code"]: r for r in table.rows if r["jurisdiction"] == "JP"}
    assert {c for c, r in rows.items() if r["change"] == "added" and r["when"] == "2023-07-23"} == of_2023
    assert not {c for c, s in status.items() if s.startswith("pre-2023")} & set(rows)
    # every item is either listed or dated before 2023: nothing dropped silently
    assert set(rows) | {c for c, s in status.items() if s.startswith("pre-2023")} == set(status)
    assert {c for c, r in rows.items() if r["change"] != "added"} == \
        {c for c, s in status.items() if s.startswith("present-")}
    assert any("US: no version dated before 2023-01-01" in c for c in table.caveats)
    late = added_since({"JP": [by_j(control_lists)["JP"]]}, parse_since("2026-12"))
    assert not late.rows and late.caveats
    result = runner.invoke(app, ["controls", "list", "--added", "2023", "-j", "JP", "-f", "json",
                                 "--workspace", str(controls_workspace)])
    assert {r["code"] for r in json_rows(result.stdout)} == set(rows)
    client = TestClient(create_app(workspace=controls_workspace))
    api = client.get("/controls/lists", params={"added": "2023", "jurisdiction": "JP"}).json()
    assert {r["code"] for r in api["rows"]} == set(rows)
    assert client.get("/controls/lists", params={"added": "2023", "jurisdiction": "XX"}).status_code == 404
    assert client.get("/controls/lists", params={"added": "soon"}).status_code == 422
    assert {r["jurisdiction"] for r in client.get("/controls/lists").json()["rows"]} == {"US", "EU", "JP"}


def test_added_since_from_the_version_diff(control_lists: list[ControlList], tmp_path: Path) -> None:
    us = by_j(control_lists)["US"]
    entries = [e for e in us.entries if e.code != "3B903"]
    amended = next(e for e in entries if e.code == "3B001")
    entries = [e.model_copy(update={"heading": e.heading + " (amended)"}) if e is amended else e for e in entries]
    entries.append(amended.model_copy(update={"code": "3B999"}))
    later = us.model_copy(update={"version": date(2026, 8, 1), "entries": tuple(entries)})
    with Workspace(tmp_path / "ws") as ws:
        store_list(ws, us)
        store_list(ws, later)
        from pinchpoint.controls.changes import added_in_workspace

        table = added_in_workspace(ws, date(2026, 7, 24))
    assert {(r["code"], r["change"]) for r in table.rows} == {("3B999", "added"), ("3B001", "changed")}
    assert all(r["when"] == f"between {us.version} and 2026-08-01" for r in table.rows)
    assert any("1 entries were removed" in c for c in table.caveats)
