"""Trade results record the imports they read, and the command to reproduce them pins those imports (trial 12, F5).

Before: after ``trade import --replace`` of a revised BACI file the same ``trade dependence`` command gave other
figures (HHI 6451 instead of 4610) with a byte-for-byte identical ``meta``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED

BACI = SHARED / "trade" / "baci-critical-materials"
QUERY = ["trade", "dependence", "--importer", "JPN", "--codes", "280469", "--period", "2024", "-f", "json"]


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from pinchpoint.cli.main import app

    monkeypatch.setattr(sys, "argv", ["pinchpoint", *args])  # the command line results record
    return CliRunner().invoke(app, list(args))


def _query(monkeypatch: pytest.MonkeyPatch, ws: Path, *extra: str) -> dict[str, Any]:
    result = _cli(monkeypatch, *QUERY, "--workspace", str(ws), *extra)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_a_replaced_import_changes_the_recorded_state_and_the_pinned_command_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    first = _cli(monkeypatch, "trade", "import", "baci", str(BACI / "baci_2024.csv"), "--workspace", str(ws))
    assert first.exit_code == 0, first.output
    version = re.search(r"baci@([0-9a-f]+)", first.stdout).group(1)  # type: ignore[union-attr]
    before = _query(monkeypatch, ws)
    assert before["meta"]["trade_imports"] == {"baci": [version]}
    state = before["meta"]["trade_state"]
    assert shlex.split(before["meta"]["reproduce"])[-2:] == ["--trade-state", state]
    assert _query(monkeypatch, ws, "--trade-state", state)["rows"] == before["rows"]  # the pin holds

    # the revision the trial made: China's exports of 280469 to Japan doubled
    lines = (BACI / "baci_2024.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    hit = [k for k, line in enumerate(lines) if line.startswith("CHN,JPN,280469,")]
    assert len(hit) == 1
    value = float(lines[hit[0]].strip().split(",")[3])
    lines[hit[0]] = f"CHN,JPN,280469,{value * 2}\n"
    revised = tmp_path / "rev" / "baci_2024.csv"
    revised.parent.mkdir()
    revised.write_text("".join(lines), encoding="utf-8")
    again = _cli(monkeypatch, "trade", "import", "baci", str(revised), "--replace", "--workspace", str(ws))
    assert again.exit_code == 0, again.output
    new_version = re.search(r"baci@([0-9a-f]+)", again.stdout).group(1)  # type: ignore[union-attr]

    after = _query(monkeypatch, ws)
    assert after["rows"][0]["hhi"] != before["rows"][0]["hhi"]  # other figures ...
    assert after["meta"]["trade_state"] != state  # ... from data the meta now tells apart
    assert new_version in after["meta"]["trade_imports"]["baci"]
    pinned = _cli(monkeypatch, *QUERY, "--workspace", str(ws), "--trade-state", state)
    assert pinned.exit_code != 0
    assert state in pinned.output and after["meta"]["trade_state"] in pinned.output
    # the API takes the same pin and refuses it the same way
    from fastapi.testclient import TestClient

    from pinchpoint.api.app import create_app

    client = TestClient(create_app(workspace=ws), raise_server_exceptions=False)
    params = {"importer": "JPN", "codes": "280469", "period": "2024"}
    now = client.get("/trade/dependence", params={**params, "trade_state": after["meta"]["trade_state"]})
    assert now.status_code == 200 and now.json()["meta"]["trade_state"] == after["meta"]["trade_state"]
    stale = client.get("/trade/dependence", params={**params, "trade_state": state})
    assert stale.status_code == 422 and state in stale.json()["message"]
