"""Planning through the session: the CLI's ``-f json`` and the API give the same document (apart from
meta.command) for awards (built in and stored), projects, projection, targets and the planner; the API's session
reads the built-in registry once and re-reads stored awards only when ``planning.awards`` changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.api.app import create_app
from pinchpoint.cli.main import app
from pinchpoint.planning.measures import example_measures_path
from pinchpoint.planning.registry import data_path
from pinchpoint.session import Session
from tests.session.test_api_parity import api_document, cli_document, same


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plan-parity") / "ws"


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(create_app(workspace=workspace), raise_server_exceptions=False)


def cli_run(workspace: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    return result.output


def test_awards_projects_projection_targets(workspace: Path, client: TestClient) -> None:
    ws = workspace
    raw = yaml.safe_load(data_path("awards.yaml").read_text(encoding="utf-8"))["awards"]
    same(cli_document(ws, "incentives"), api_document(client, "/planning/incentives"), least_rows=len(raw))
    jpn = api_document(client, "/planning/incentives", {"country": "JPN", "stage": "final"})
    assert {r["award_id"] for r in jpn["rows"]} == {a["id"] for a in raw if a["country"] == "JPN"
                                                    and a["stage"] == "final"}
    same(cli_document(ws, "incentives", "--country", "JPN", "--stage", "final"), jpn)
    same(cli_document(ws, "incentives", "--since", "2025-01-01"),
         api_document(client, "/planning/incentives", {"since": "2025-01-01"}))
    same(cli_document(None, "projects", "--country", "USA"),
         api_document(client, "/planning/projects", {"country": "USA"}))
    same(cli_document(None, "projection", "--from", "2026", "--to", "2030", "--draws", "50", "--seed", "4"),
         api_document(client, "/planning/projection", {"from": 2026, "to": 2030, "draws": 50, "seed": 4}))
    same(cli_document(None, "projection", "--targets"), api_document(client, "/planning/targets"))
    # the same errors on both sides
    assert client.get("/planning/incentives", params={"since": "2025-13-01"}).status_code == 422
    result = CliRunner().invoke(app, ["incentives", "--since", "2025-13-01"])
    assert result.exit_code == 2 and "since must be a date YYYY-MM-DD" in result.output
    held: Session = client.app.state.session  # type: ignore[attr-defined]
    assert held.cache.builds[("planning.registry",)] == 1  # read once for every request above


def test_stored_awards_are_held_until_the_collection_changes(workspace: Path, client: TestClient) -> None:
    ws = workspace
    assert "stored: " in cli_run(ws, "incentives", "--store", "partner", "--country", "JPN")
    first = api_document(client, "/planning/incentives", {"stored": "partner"})
    same(cli_document(ws, "incentives", "--stored", "partner"), first)
    assert first["meta"]["registry"].startswith("workspace partner@")
    assert {r["country"] for r in first["rows"]} == {"JPN"}
    api_document(client, "/planning/incentives", {"stored": "partner"})
    held: Session = client.app.state.session  # type: ignore[attr-defined]
    keys = [k for k in held.cache.builds if k[0] == "planning.awards"]
    assert len(keys) == 1 and held.cache.builds[keys[0]] == 1
    # a new version (written by another process: the CLI) is what the API answers next
    cli_run(ws, "incentives", "--store", "partner", "--country", "DEU")
    second = api_document(client, "/planning/incentives", {"stored": "partner"})
    assert {r["country"] for r in second["rows"]} == {"DEU"}
    versions = api_document(client, "/planning/incentives/versions")
    same(cli_document(ws, "incentives", "--versions"), versions, least_rows=2)
    assert [r["key"] for r in versions["rows"]] == ["partner", "partner"]
    old = versions["rows"][1]["version"]
    older = api_document(client, "/planning/incentives", {"stored": f"partner@{old}"})
    assert older["rows"] == first["rows"]
    missing = client.get("/planning/incentives", params={"stored": "partnr"})
    assert missing.status_code == 404 and "partner" in missing.text


def test_plan_on_records_equals_the_cli_on_the_file(workspace: Path, client: TestClient) -> None:
    pytest.importorskip("highspy")
    records = yaml.safe_load(example_measures_path().read_text(encoding="utf-8"))["measures"]
    body = {"measures": records, "budget": 3000, "table": "frontier", "time_limit": 30}
    api = api_document(client, "/planning/plan", body=body)
    cli = cli_document(workspace, "plan", "-m", "example", "--budget", "3000", "--table", "frontier")
    for doc in (cli, api):  # the solver's wall time is the one thing two runs may not share
        for row in doc["rows"]:
            assert row.pop("seconds") >= 0
    same(cli, api, least_rows=11)
    risks = [r["risk"] for r in api["rows"]]
    assert risks == sorted(risks, reverse=True)  # more money never buys more risk
    portfolio = api_document(client, "/planning/plan", body={**body, "table": "portfolio"})
    same(cli_document(workspace, "plan", "-m", "example", "--budget", "3000"), portfolio)
    bad = client.post("/planning/plan", json={**body, "table": "frontier", "dataset": str(example_measures_path())})
    assert bad.status_code in (404, 422)
    result = CliRunner().invoke(app, ["plan", "-m", "example", "--budget", "1", "--table", "frontiers"])
    assert result.exit_code == 2 and "unknown plan table 'frontiers'" in result.output


def test_planning_files_are_sources(tmp_path: Path) -> None:
    from pinchpoint import sources
    from pinchpoint.errors import DataError
    from pinchpoint.planning.projects import load_projects
    from pinchpoint.planning.registry import load_registry, write_awards

    registry = load_registry()
    assert sources.detect(data_path("awards.yaml")).name == "pinchpoint-awards"
    assert sources.detect(data_path("projects.yaml")).name == "pinchpoint-projects"
    assert sources.read(data_path("projects.yaml"), kind="projects") == load_projects()
    for suffix in (".csv", ".json", ".yaml"):
        path = write_awards(registry.awards, tmp_path / f"awards{suffix}")
        assert sources.detect(path, kind="incentives").name == "pinchpoint-awards"
        assert sources.read(path).awards == registry.awards
    # the built-in supply-chain file is no awards or projects file, and says why
    from tests.conftest import ROOT

    chain = ROOT / "src" / "pinchpoint" / "supplychain" / "builtin" / "semiconductors.yaml"
    assert sources.detect(chain).name == "native-yaml"
    with pytest.raises(sources.NoSourceMatched, match="expected a top-level 'awards' list"):
        sources.detect(chain, kind="incentives")
    # a bad row is an error naming file, row and field; nothing is returned
    rows = json.loads((tmp_path / "awards.json").read_text(encoding="utf-8"))
    rows["awards"][3]["amount"] = -5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DataError) as err:
        sources.read(bad, kind="incentives")
    assert err.value.location.row == 4 and err.value.location.field == "amount"
    assert str(bad) in str(err.value)


def test_the_session_checks_the_table_asked_for_before_solving(tmp_path: Path) -> None:
    """The CLI's --table goes through session.plan.plan(table=...): an unknown name is refused with the names before
    the solver runs (the library user gets the same check)."""
    import time

    from pinchpoint.errors import BadArgumentError

    started = time.perf_counter()
    with pytest.raises(BadArgumentError, match=r"unknown plan table 'frontiers' \(one of: frontier, portfolio") as err:
        Session(tmp_path / "ws").plan.plan("example", budget=1, table="frontiers")
    assert err.value.parameter == "table" and time.perf_counter() - started < 5
