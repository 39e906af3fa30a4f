"""The API and the CLI answer the same question with the same JSON document (apart from meta.command) for supply
chain, stress, trade, controls and screening; the API's one Session builds the control lists and index, and the
screener, once for all requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.api.app import create_app
from pinchpoint.cli.main import app
from pinchpoint.session import Session
from pinchpoint.stress.scenario import packaged_scenarios
from tests.conftest import CONTROLS, ETO, SHARED

LISTS = SHARED / "screening" / "lists"
TRADE = SHARED / "trade"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace with a real dataset (ETO), the three control lists, the METI and BIS lists and a trade slice
    (BACI critical materials, the Comtrade files as filed)."""
    for need in (ETO, CONTROLS, LISTS, TRADE):
        if not need.exists():
            pytest.skip(f"real data not found at {need}")
    path = tmp_path_factory.mktemp("parity") / "ws"
    session = Session(path)
    session.supplychain.import_dataset(ETO, name="eto")
    controls = session.controls.read([CONTROLS / "us-ccl", CONTROLS / "eu-annex1", CONTROLS / "jp"])
    session.controls.store(controls, ["us-ccl", "eu-annex1", "jp"])
    session.trade.import_files("baci", [TRADE / "baci-critical-materials"])
    session.trade.import_files("comtrade", [TRADE / "comtrade-raw"])
    loads = session.screening.load([LISTS / "meti_eul_20250929.xlsx", LISTS / "us_bis_dpl_2022.txt"])
    assert all(done.error is None for done in loads)
    return path


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(create_app(workspace=workspace), raise_server_exceptions=False)


def cli_document(workspace: Path | None, *args: str) -> dict[str, Any]:
    extra = ["--workspace", str(workspace)] if workspace is not None else []
    result = CliRunner().invoke(app, [*args, "-f", "json", *extra])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["meta"].pop("command").startswith("pinchpoint ")
    if "reproduce" in doc["meta"]:  # the CLI's command pinned to the dataset's version: the API has no command line
        assert f"{doc['meta']['dataset_pinned']} " in doc["meta"].pop("reproduce")
    return doc


def api_document(client: TestClient, path: str, params: dict[str, Any] | None = None,
                 body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(path, json=body) if body is not None else client.get(path, params=params)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    assert "command" not in doc["meta"]
    return doc


def same(cli: dict[str, Any], api: dict[str, Any], least_rows: int = 1) -> None:
    assert set(cli) == {"table", "meta", "columns", "rows"}
    assert len(cli["rows"]) >= least_rows
    assert "caveats" in cli["meta"] or "caveats" not in api["meta"]
    assert api == cli


def test_supply_chain(workspace: Path, client: TestClient) -> None:
    ws = workspace
    same(cli_document(ws, "data", "list"), api_document(client, "/supplychain/datasets"))
    same(cli_document(ws, "concentration", "-d", "eto", "--year", "2021"),
         api_document(client, "/supplychain/concentration", {"dataset": "eto", "year": 2021}))
    same(cli_document(ws, "concentration", "--level", "organisation"),
         api_document(client, "/supplychain/concentration", {"level": "organisation"}))
    same(cli_document(ws, "chokepoints", "-d", "eto", "--threshold", "80"),
         api_document(client, "/supplychain/chokepoints", {"dataset": "eto", "threshold": 80}))
    same(cli_document(ws, "exposure", "-d", "eto"), api_document(client, "/supplychain/exposure", {"dataset": "eto"}))
    same(cli_document(ws, "exposure", "--country", "JPN"),
         api_document(client, "/supplychain/exposure", {"country": "JPN"}))
    # the server names no local files
    response = client.get("/supplychain/concentration", params={"dataset": str(ETO)})
    assert response.status_code == 422 and "workspace" in response.json()["message"]
    response = client.get("/supplychain/concentration", params={"dataset": "etto"})
    assert response.status_code == 404 and "did you mean eto?" in response.json()["message"]


def test_stress_packaged_and_posted(workspace: Path, client: TestClient, tmp_path: Path) -> None:
    ws = workspace
    same(cli_document(None, "scenarios", "list"), api_document(client, "/stress/scenarios"))
    same(cli_document(ws, "stress", "taiwan_blockade", "--engine", "static"),
         api_document(client, "/stress/run", body={"scenario": "taiwan_blockade", "engine": "static"}))
    same(cli_document(ws, "stress", "shortage_2021", "--runs", "4", "--seed", "3"),
         api_document(client, "/stress/run", body={"scenario": "shortage_2021", "runs": 4, "seed": 3}))
    same(cli_document(ws, "stress", "taiwan_blockade", "--engine", "tts"),
         api_document(client, "/stress/run/taiwan_blockade", {"engine": "tts"}))
    # a posted scenario answers as the same file run by the CLI
    text = packaged_scenarios()["china_gallium_germanium"].read_text(encoding="utf-8")
    mine = tmp_path / "gallium.yaml"
    import re

    mine.write_text(re.sub(r"(?m)^horizon_days: \d+", "horizon_days: 200", text), encoding="utf-8")
    posted = api_document(client, "/stress/run", body={"yaml": mine.read_text(encoding="utf-8")})
    same(cli_document(ws, "stress", str(mine)), posted)
    assert posted["meta"]["dataset_ref"] == "builtin" and posted["meta"]["horizon_days"] == 200
    series = api_document(client, "/stress/run", body={"scenario": "shortage_2021", "table": "series"})
    assert series["table"] == "stress_series" or len(series["rows"]) > 0
    response = client.post("/stress/run", json={"scenario": "taiwan_blockade", "engine": "static", "table": "nope"})
    assert response.status_code == 422 and "has no table 'nope'; it has " in response.json()["message"]
    response = client.post("/stress/run", json={"yaml": text.replace("horizon_days:", "horizon_dayz:")})
    assert response.status_code == 422 and "posted scenario" in response.json()["message"]
    assert client.get("/stress/scenarios/taiwan_blockade").text == \
        packaged_scenarios()["taiwan_blockade"].read_text(encoding="utf-8")


def test_trade(workspace: Path, client: TestClient) -> None:
    ws = workspace
    same(cli_document(ws, "trade", "dependence", "--importer", "JPN,USA", "--codes", "811292,280469",
                      "--period", "2024"),
         api_document(client, "/trade/dependence", {"importer": "JPN,USA", "codes": ["811292", "280469"],
                                                    "period": "2024"}))
    same(cli_document(ws, "trade", "dependence", "--side", "export", "--codes", "850511", "--period", "2024",
                      "--exporter", "CHN,JPN", "--source", "baci"),
         api_document(client, "/trade/dependence", {"side": "export", "codes": "850511", "period": "2024",
                                                    "exporter": "CHN,JPN", "source": "baci"}))
    same(cli_document(ws, "trade", "growth", "--reporter", "CHN", "--partner", "JPN,USA", "--base", "2022",
                      "--compare", "2024", "--source", "baci", "--codes", "280469,811292"),
         api_document(client, "/trade/growth", {"reporter": "CHN", "partner": "JPN,USA", "base": "2022",
                                                "compare": "2024", "source": "baci", "codes": "280469,811292"}))
    same(cli_document(ws, "trade", "mirror", "--importer", "RUS"),
         api_document(client, "/trade/mirror", {"importer": "RUS"}), least_rows=0)
    same(cli_document(ws, "trade", "backfill", "--target", "RUS", "--source", "baci"),
         api_document(client, "/trade/backfill", {"target": "RUS", "source": "baci"}))
    same(cli_document(ws, "trade", "circumvention", "--source", "baci", "--event", "2023", "--min-baseline", "0"),
         api_document(client, "/trade/circumvention", {"source": "baci", "event": "2023", "min_baseline": 0}),
         least_rows=0)


def test_controls(workspace: Path, client: TestClient) -> None:
    ws = workspace
    same(cli_document(ws, "controls", "list"), api_document(client, "/controls/lists"))
    same(cli_document(ws, "controls", "list", "--added", "2023", "-j", "JP"),
         api_document(client, "/controls/lists", {"added": "2023", "jurisdiction": "JP"}))
    same(cli_document(ws, "controls", "search", "EUV pellicle", "--limit", "5"),
         api_document(client, "/controls/search", {"q": "EUV pellicle", "limit": 5}))
    same(cli_document(ws, "controls", "show", "3B001"), api_document(client, "/controls/entries/3B001"))
    same(cli_document(ws, "controls", "crosswalk", "--from", "EU", "--to", "US", "--scope", "4A"),
         api_document(client, "/controls/crosswalk", {"from": "EU", "to": "US", "scope": "4A"}))
    same(cli_document(ws, "controls", "diff", "US", "JP", "--scope", "3B"),
         api_document(client, "/controls/diff", {"a": "US", "b": "JP", "scope": "3B"}))
    assert client.get("/controls/entries/9Z999").status_code == 404
    response = client.get("/controls/lists", params={"jurisdiction": "JP"})  # narrows changes: a date is needed
    assert response.status_code == 422 and "give the date" in response.json()["message"]
    held: Session = client.app.state.session  # type: ignore[attr-defined]
    assert held.cache.builds[("control_lists",)] == 1  # lists, counterparts and index built once for all requests


def test_screening(workspace: Path, client: TestClient) -> None:
    from pinchpoint.screening.loaders import load_list

    ws = workspace
    meti = load_list(LISTS / "meti_eul_20250929.xlsx")
    names = [meti.entities[3].names[0].text, "AARON ABRAHAM VILLA", "Co., Ltd.", "Zzyzx Qwerty Plumbing"]
    same(cli_document(ws, "screen", *names), api_document(client, "/screen", body={"names": names}))
    same(cli_document(ws, "screen", *names, "--lists", meti.list_name, "--top", "1", "--threshold", "0.7"),
         api_document(client, "/screen", body={"names": names, "lists": [meti.list_name], "top": 1,
                                               "threshold": 0.7}))
    same(cli_document(ws, "screen", "Aaron A. Villa", "--type", "person", "--birth-date", "1980"),
         api_document(client, "/screen", body={"names": ["Aaron A. Villa"], "type": "person", "birth_date": "1980"}))
    same(cli_document(ws, "lists", "list"), api_document(client, "/lists"), least_rows=2)
    same(cli_document(ws, "review", "list"), api_document(client, "/reviews"), least_rows=0)
    # an unknown list: not found, naming the closest loaded one (404 from the app's one error handler)
    response = client.post("/screen", json={"names": ["ACME"], "lists": ["BIS Denied Person List"]})
    assert response.status_code == 404 and response.json()["suggestions"] == ["BIS Denied Persons List"]
    result = CliRunner().invoke(app, ["screen", "ACME", "--lists", "BIS Denied Person List", "--workspace", str(ws)])
    assert result.exit_code == 2 and "did you mean 'BIS Denied Persons List'" in result.stderr
    # a decision recorded through the API is the one the CLI lists and both screenings show
    match = api_document(client, "/screen", body={"names": ["AARON ABRAHAM VILLA"]})["rows"][0]
    response = client.post("/reviews", json={"query": "aaron abraham villa", "entity_id": match["entity_id"],
                                             "decision": "false positive", "reviewer": "kei", "reason": "born 1990"})
    assert response.status_code == 200 and response.json()["decision"] == "false positive"
    same(cli_document(ws, "review", "list"), api_document(client, "/reviews"))
    decided = api_document(client, "/screen", body={"names": ["AARON ABRAHAM VILLA"]})
    same(cli_document(ws, "screen", "AARON ABRAHAM VILLA"), decided)
    assert decided["rows"][0]["alert"] == "decided" and decided["rows"][0]["review"]["reviewer"] == "kei"
    response = client.post("/reviews", json={"query": "x", "entity_id": "no-such-id", "decision": "true match",
                                             "reviewer": "kei"})
    assert response.status_code == 404
    held: Session = client.app.state.session  # type: ignore[attr-defined]
    assert held.cache.builds[("screener",)] == 1  # one screener for every request (a decision is no list change)


def test_sources(client: TestClient) -> None:
    same(cli_document(None, "sources"), api_document(client, "/sources"), least_rows=18)
    same(cli_document(None, "sources", "--kind", "list"), api_document(client, "/sources", {"kind": "list"}))
    response = client.get("/sources", params={"kind": "lists"})
    assert response.status_code == 404 and "list" in response.json()["suggestions"]
