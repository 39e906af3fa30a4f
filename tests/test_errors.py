"""The error kinds the core raises, and how each interface maps them (CLI exit codes, API statuses and bodies)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.errors import (
    BadArgumentError,
    DataError,
    Location,
    MissingExtraError,
    NotFoundError,
    PinchpointError,
    Problem,
    WorkspaceError,
    import_extra,
)


def test_problem_reads_like_the_loaders_messages_and_carries_its_parts() -> None:
    problem = Problem.at("missing", file="sdn.csv", row=12, field="SDN_Name")
    assert str(problem) == "sdn.csv, row 12, field 'SDN_Name': missing"
    assert (problem.file, problem.row, problem.field, problem.severity) == ("sdn.csv", 12, "SDN_Name", "error")
    entry = Problem.at("expected a string", file="ccl.json", row=3, field="eccn", unit="entry", severity="warning")
    assert str(entry) == "ccl.json, entry 3, field 'eccn': expected a string"
    assert entry.to_dict() == {"file": "ccl.json", "row": 3, "field": "eccn", "unit": "entry",
                               "message": "expected a string", "severity": "warning"}
    assert str(Problem(Location(), "no location")) == "no location"


def test_data_error_keeps_every_problem_and_prints_the_first() -> None:
    problems = [Problem.at("a", file="f.yaml", row=3, field="x"), Problem.at("b", file="f.yaml", row=9)]
    err = DataError.from_problems(problems, also=" (and 1 more)")
    assert str(err) == "f.yaml, row 3, field 'x': a (and 1 more)"
    assert err.problems == problems and err.location.row == 3
    single = DataError("bad value", file="x.csv", row=2, field="share")
    assert [str(p) for p in single.problems] == ["x.csv, row 2, field 'share': bad value"]


def test_error_kinds_stay_catchable_as_before() -> None:
    assert isinstance(NotFoundError("x"), LookupError) and isinstance(NotFoundError("x"), PinchpointError)
    assert isinstance(BadArgumentError("x"), ValueError)
    err = MissingExtraError("stress", "the tts engine", "highspy")
    assert err.pip == "pip install 'pinchpoint[stress]'" and err.pip in str(err) and "highspy" in str(err)
    assert str(NotFoundError("no list 'X'")) == "no list 'X'"  # not quoted like a KeyError


def test_import_extra_names_the_extra_when_the_module_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'pinchpoint\[stress\]'") as info:
        import_extra("highspy", "stress", "the tts engine")
    assert info.value.extra == "stress"


# CLI -----------------------------------------------------------------------------------------------------------
def test_cli_exit_codes_unknown_id_2_missing_extra_3(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["stress", "taiwan_blokade"])
    assert unknown.exit_code == 2 and "did you mean taiwan_blockade" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    monkeypatch.setitem(sys.modules, "highspy", None)
    missing = runner.invoke(app, ["stress", "taiwan_blockade", "--engine", "tts"])
    assert missing.exit_code == 3 and "Traceback" not in missing.stderr
    assert "pip install 'pinchpoint[stress]'" in " ".join(missing.stderr.split())


def test_cli_adds_its_own_hint_where_the_core_names_no_command(tmp_path: Path) -> None:
    from pinchpoint.cli.common import error_message

    err = WorkspaceError(f"no control lists in {tmp_path}", what="control lists")
    assert "pinchpoint" not in str(err)
    assert error_message(err) == f"no control lists in {tmp_path} (load them: pinchpoint controls load PATH...)"
    result = CliRunner().invoke(app, ["controls", "search", "lithography", "--workspace", str(tmp_path)])
    assert result.exit_code == 2 and "pinchpoint controls load" in result.stderr


# API -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def client() -> Any:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from pinchpoint.api.app import create_app

    app_ = create_app()

    @app_.get("/_raise/{kind}")
    def _raise(kind: str) -> None:
        errors: dict[str, PinchpointError] = {
            "not_found": NotFoundError("no input 'N2O': did you mean N20?", suggestions=["N20"], field="input"),
            "bad_argument": BadArgumentError("runs must be at least 1", parameter="runs"),
            "data": DataError.from_problems([Problem.at("missing", file="a.csv", row=4, field="name"),
                                             Problem.at("odd", file="a.csv", row=7, severity="warning")]),
            "missing_extra": MissingExtraError("stress", "the tts engine", "highspy"),
        }
        raise errors[kind]

    return TestClient(app_)


@pytest.mark.parametrize(("kind", "status"), [("not_found", 404), ("bad_argument", 422), ("data", 422),
                                              ("missing_extra", 501)])
def test_api_maps_each_error_kind_to_a_status_and_one_body_shape(client: Any, kind: str, status: int) -> None:
    response = client.get(f"/_raise/{kind}")
    assert response.status_code == status
    body = response.json()
    assert body["error"] == kind and isinstance(body["message"], str) and isinstance(body["problems"], list)
    if kind == "not_found":
        assert body["suggestions"] == ["N20"] and body["problems"][0]["field"] == "input"
    if kind == "data":
        assert [(p["row"], p["severity"]) for p in body["problems"]] == [(4, "error"), (7, "warning")]
    if kind == "missing_extra":
        assert body["extra"] == "stress" and "pinchpoint[stress]" in body["message"]
