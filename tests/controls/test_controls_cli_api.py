"""Control lists through the workspace, the CLI and the HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.api.app import create_app
from pinchpoint.cli.main import app
from pinchpoint.controls.model import ControlList
from pinchpoint.controls.store import list_versions, load_lists, store_list
from pinchpoint.workspace import Workspace
from tests.conftest import CONTROLS

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")


runner = CliRunner()


def json_rows(text: str) -> list[dict[str, Any]]:
    """Records of ``-f json`` output: a bare list, or an object with "rows" (and "meta")."""
    doc = json.loads(text)
    rows: list[dict[str, Any]] = doc["rows"] if isinstance(doc, dict) else doc
    return rows


def test_store_is_idempotent_and_versioned(control_lists: list[ControlList], tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        assert store_list(ws, control_lists[0]).created
        assert not store_list(ws, control_lists[0]).created
        older = control_lists[0].model_copy(update={"version": control_lists[0].version.replace(year=2025)})
        assert store_list(ws, older).created
        assert [r["version"] for r in list_versions(ws).rows] == ["2026-07-23", "2025-07-23"]
        assert load_lists(ws)[0].version.year == 2026
        assert load_lists(ws, as_of="2025-12-31")[0].version.year == 2025


def test_cli_load_search_show_crosswalk(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    result = runner.invoke(app, ["controls", "load", str(CONTROLS / "us-ccl"), str(CONTROLS / "eu-annex1"),
                                 str(CONTROLS / "jp"), "--workspace", ws])
    assert result.exit_code == 0, result.output
    assert "US 2026-07-23: loaded; 633 entries" in result.stdout
    result = runner.invoke(app, ["controls", "search", "EUV pellicle", "-f", "json", "--workspace", ws])
    hits = json_rows(result.stdout)
    assert {"jurisdiction", "code", "paragraph", "score", "matched_text"} <= set(hits[0])
    assert {h["jurisdiction"] for h in hits} == {"US", "EU", "JP"}
    result = runner.invoke(app, ["controls", "show", "3B001.f", "-f", "json", "--workspace", ws])
    shown = json_rows(result.stdout)
    listed = {r["jurisdiction"]: r for r in shown if r["relation"] == "listed"}
    assert set(listed) == {"US", "EU"} and "3B001.f.1" in listed["US"]["text"]
    # Japan's items for lithography (6-17-ヘ maps to 3B001.f.1 in the curated table) come through the crosswalk
    assert {r["code"] for r in shown if r["jurisdiction"] == "JP"} >= {"6-17-ヘ"}
    result = runner.invoke(app, ["controls", "crosswalk", "--from", "EU", "--to", "US", "--scope", "3B", "-f", "json",
                                 "--workspace", ws])
    rows = {r["from_code"]: r for r in json_rows(result.stdout)}
    assert rows["3B503"]["to_code"] == "3B903" and all(code.startswith("3B") for code in rows)
    result = runner.invoke(app, ["controls", "diff", "US", "EU", "--scope", "quantum", "-f", "json", "--workspace", ws])
    assert result.exit_code == 0 and json_rows(result.stdout)
    result = runner.invoke(app, ["controls", "report", "US", "EU", "JP", "--scope", "semiconductor-equipment",
                                 "--out", str(tmp_path / "rep"), "--workspace", ws])
    assert result.exit_code == 0 and (tmp_path / "rep" / "index.html").exists()
    assert (tmp_path / "rep" / "alignment.csv").exists()
    result = runner.invoke(app, ["controls", "show", "9Z999", "--workspace", ws])
    assert result.exit_code == 2 and "no entry '9Z999'" in result.stderr and "did you mean" in result.stderr


def test_cli_without_lists_says_how_to_load(tmp_path: Path) -> None:
    result = runner.invoke(app, ["controls", "search", "EUV", "--workspace", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "pinchpoint controls load" in result.stderr


def test_http_api(controls_workspace: Path) -> None:
    client = TestClient(create_app(workspace=controls_workspace))
    hits = client.get("/controls/search", params={"q": "EUV pellicle"}).json()["rows"]
    assert hits[0]["score"] > 0.9
    assert client.get("/controls/entries/3B503").json()["rows"][0]["jurisdiction"] == "EU"
    assert client.get("/controls/entries/9Z999").status_code == 404
    walk = client.get("/controls/crosswalk", params={"from": "EU", "to": "US", "scope": "4A"}).json()["rows"]
    assert {r["from_code"]: r["to_code"] for r in walk}["4A506"] == "4A906"
    assert client.get("/controls/crosswalk", params={"from": "XX", "to": "US"}).status_code == 422
    assert client.get("/controls/search", params={"q": "x"}).status_code == 422
    assert "/controls/search" in client.get("/openapi.json").json()["paths"]
