"""Every table a report writes records the command line that made the report, as emit() does for one table."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app


def _run_as_typed(args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Run ``pinchpoint ARGS`` with sys.argv as a shell would set it; return the command line expected in meta."""
    monkeypatch.setattr(sys, "argv", ["pinchpoint", *args])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return "pinchpoint " + shlex.join(args)


def _sidecar_commands(folder: Path) -> dict[str, object]:
    sidecars = sorted(folder.glob("*.csv.meta.json"))
    assert sidecars, f"no CSV sidecars in {folder}"
    assert {p.name.removesuffix(".meta.json") for p in sidecars} == {p.name for p in folder.glob("*.csv")}
    return {p.name.removesuffix(".meta.json"): json.loads(p.read_text(encoding="utf-8"))["meta"].get("command")
            for p in sidecars}


def test_demo_tables_carry_the_command(eto_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "demo dir"  # a space: the recorded command must quote it as a shell would
    expected = _run_as_typed(["demo", "--dataset", str(eto_path), "--out", str(out)], monkeypatch)
    commands = _sidecar_commands(out)
    assert set(commands) == {"chokepoints.csv", "exposure.csv", "concentration.csv"}
    assert set(commands.values()) == {expected}


def test_stress_report_tables_carry_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "rep"
    expected = _run_as_typed(["stress", "taiwan_blockade", "--runs", "2", "--seed", "1", "-f", "json",
                              "--report", str(out)], monkeypatch)
    commands = _sidecar_commands(out)
    assert len(commands) == 4 and set(commands.values()) == {expected}
    # the HTML header names it too (with local folders cut to their last part, as in every report)
    assert "pinchpoint stress taiwan_blockade --runs 2 --seed 1" in (out / "index.html").read_text(encoding="utf-8")


def test_controls_report_table_carries_the_command(controls_workspace: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "rep"
    expected = _run_as_typed(["controls", "report", "US", "EU", "--scope", "semiconductor-equipment",
                              "--out", str(out), "--workspace", str(controls_workspace)], monkeypatch)
    assert _sidecar_commands(out) == {"alignment.csv": expected}
