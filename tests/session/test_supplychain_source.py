"""``data import`` / ``data validate --source NAME``: a registered supply-chain source chosen explicitly instead of
detection, through ``pinchpoint.sources``; an unknown name is a NotFoundError naming the closest ones, checked before
any file is read or the workspace is opened."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.errors import BadArgumentError, DataError, NotFoundError
from pinchpoint.session import Session
from pinchpoint.supplychain.load import builtin_path
from tests.conftest import ETO


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_unknown_source_is_not_found_with_suggestions_and_nothing_is_written(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    with pytest.raises(NotFoundError, match="did you mean eto") as info:
        session.supplychain.import_dataset(builtin_path(), name="x", source="etto")
    assert "eto" in info.value.suggestions
    assert not session.workspace_exists()  # refused before the workspace was created
    with pytest.raises(BadArgumentError, match="reads trade, not supplychain"):
        session.supplychain.validate(builtin_path(), source="baci")
    code, _, err = run("data", "import", str(builtin_path()), "--source", "native-yml", "--workspace",
                       str(tmp_path / "ws"))
    assert code == 2 and "did you mean native-yaml" in err


def test_a_named_source_reads_what_detection_refuses(tmp_path: Path) -> None:
    """The built-in YAML saved as .txt: detection refuses it (native-yaml wants .yaml or .yml); named, it reads."""
    text = tmp_path / "chain.txt"
    shutil.copyfile(builtin_path(), text)
    session = Session(tmp_path / "ws")
    with pytest.raises(DataError, match=r"native-yaml: expected a \.yaml or \.yml file"):
        session.supplychain.validate(text)
    findings = session.supplychain.validate(text, source="native-yaml")

    def unplaced(rows: Any) -> list[Any]:  # the findings without the file and lines they name (other file names)
        return [{**r, "examples": [re.sub(r" \([^()]* (rows?|lines?) [\d, ]+\)$", "", e) for e in r["examples"]]}
                for r in rows]

    assert unplaced(findings.rows) == unplaced(session.supplychain.validate(builtin_path()).rows)
    assert any("chain.txt" in e for r in findings.rows for e in r["examples"])
    raw = yaml.safe_load(builtin_path().read_text(encoding="utf-8"))
    record = session.supplychain.import_dataset(text, name="mine", source="native-yaml")
    assert record.format == "native-yaml" and record.n_inputs == len(raw["inputs"])
    code, out, _ = run("data", "validate", str(text), "--source", "native-yaml", "-f", "json")
    assert code == 0 and '"table": "findings"' in out
    code, _, err = run("data", "validate", str(text), "--source", "eto")
    assert code == 2 and f"{text}: not a folder" in err


def test_eto_imported_with_its_source_named(tmp_path: Path) -> None:
    if not ETO.exists():
        pytest.skip(f"real data not found at {ETO}")
    code, _, err = run("data", "import", str(ETO), "--name", "eto", "--source", "eto", "--workspace",
                       str(tmp_path / "ws"))
    assert code == 0, err
    (row,) = Session(tmp_path / "ws").supplychain.datasets().rows
    assert row["name"] == "eto" and row["format"] == "eto"


def test_fetch_names_what_it_can_fetch(tmp_path: Path) -> None:
    session = Session(tmp_path / "ws")
    with pytest.raises(NotFoundError, match="did you mean eto") as info:
        session.supplychain.fetch("etto")
    assert info.value.suggestions == ["eto"] and not session.workspace_exists()
    code, _, err = run("data", "fetch", "cset", "--workspace", str(tmp_path / "ws"))
    assert code == 2 and "available: eto" in err
