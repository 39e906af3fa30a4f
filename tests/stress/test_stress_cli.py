"""The stress command as a user runs it: a separate process, so anything C code prints to stdout shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app


def pinchpoint(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PINCHPOINT_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "pinchpoint", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def records(stdout: str) -> list[dict[str, Any]]:
    data = json.loads(stdout)
    return data["rows"] if isinstance(data, dict) else data


@pytest.mark.parametrize("engine", ["dynamic", "tts", "static"])
def test_json_on_stdout_is_only_json(engine: str, tmp_path: Path) -> None:
    # the progress bar wrote a blank line first, and HiGHS its banner, so `-f json | jq` failed
    result = pinchpoint("stress", "taiwan_blockade", "--engine", engine, "-f", "json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout[:1] in ("[", "{"), result.stdout[:200]
    assert "Running HiGHS" not in result.stdout and "Copyright" not in result.stdout
    assert records(result.stdout)


def test_pymrio_test_without_pymrio_names_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pymrio" else real(name, *a))
    result = CliRunner().invoke(app, ["stress", "taiwan_blockade", "--engine", "ario", "--mrio", "pymrio:test"])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "pip install pymrio" in message and "GPL" in message and "<input>" not in message


def test_tts_without_the_stress_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy now raises ImportError
    result = CliRunner().invoke(app, ["stress", "taiwan_blockade", "--engine", "tts"])
    assert result.exit_code == 3 and "Traceback" not in result.stderr  # 3: an optional extra is missing
    assert "pinchpoint[stress]" in " ".join(result.stderr.split())


def test_tts_records_the_solver_it_calls() -> None:
    from importlib.metadata import version

    from pinchpoint.stress.engines import run_tts
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario
    from pinchpoint.supplychain import load_chain

    table = run_tts(StressNetwork.build(load_chain()), load_scenario("taiwan_blockade"))
    assert "linprog" not in table.meta["method"] and "scipy" not in table.meta["method"]
    assert f"HiGHS {version('highspy')}" in table.meta["method"] and "highspy" in table.meta["method"]


def test_tts_says_what_it_ignores_and_marks_the_scenarios_country_inputs(eto_chain: Any) -> None:
    from pinchpoint.stress.engines import run_tts
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario

    sc = load_scenario("taiwan_blockade")
    table = run_tts(StressNetwork.build(eto_chain), sc)
    assert {r["country"] for r in table.rows} > {"TWN"}  # every country-input is listed ...
    marked = {(r["country"], r["input_id"]) for r in table.rows if r["in_scenario"]}
    # ... and those the blockade cuts (Taiwan's, the only shock's country) are marked
    assert marked and marked == {(r["country"], r["input_id"]) for r in table.rows if r["country"] == "TWN"}
    text = " ".join(table.caveats)
    assert "shocks" in text and "not used" in text and f"marks the {len(marked)} country-input" in text
