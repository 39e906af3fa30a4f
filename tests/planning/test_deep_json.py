"""A JSON file nested past the cap is refused naming the file, the line and the cap, before the parser recurses into
it (trial 12, F12: a measures file nested 100,000 deep gave a RecursionError traceback at the CLI and a 500 on the
workbench planner); a JSON measures file within it plans as its YAML does."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.errors import DataError
from pinchpoint.planning.measures import example_measures_path, load_measures
from pinchpoint.yamlio import MAX_JSON_DEPTH


def _example() -> dict[str, object]:
    return dict(yaml.safe_load(example_measures_path().read_text(encoding="utf-8")))


def deep_measures(depth: int = 100_000) -> str:
    """The trial's file: {"measures":[{"a":{"a":...}}]}, nested ``depth`` deep, on one line (1.2 MB)."""
    return '{"measures":[' + '{"a":' * depth + "1" + "}" * depth + "]}"


def test_a_deeply_nested_measures_file_is_refused_naming_file_and_cap(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(deep_measures(), encoding="utf-8")
    with pytest.raises(DataError, match=rf"nested more than {MAX_JSON_DEPTH} levels deep") as err:
        load_measures(deep)
    assert (err.value.location.file, err.value.location.row) == (str(deep), 1)
    result = CliRunner().invoke(app, ["plan", "-m", str(deep), "--budget", "100"])
    assert result.exit_code == 2 and not isinstance(result.exception, RecursionError), result.output
    assert f"error: {deep}, line 1: nested more than {MAX_JSON_DEPTH} levels deep" in result.stderr
    # within the cap, the packaged example as JSON reads as its YAML does
    example = tmp_path / "example.json"
    example.write_text(json.dumps(_example(), indent=1), encoding="utf-8")
    def read(path: Path) -> list[object]:
        return [replace(m, origin="", row=0) for m in load_measures(path)]  # where each was read differs

    assert read(example) == read(example_measures_path())
