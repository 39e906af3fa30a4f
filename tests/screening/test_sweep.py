"""Every screening command and endpoint with an empty result, an unknown id and a malformed value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList


def _screen(ws: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["screen", *args, "--workspace", str(ws)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["Kim Jong Un", "--lists", "UN"], "loaded: METI End User List, UN Security Council Consolidated List"),
    (["Kim Jong Un", "--country", "PRKK"], "unknown --country 'PRKK'"),
    (["Kim Jong Un", "--country", "XYZ"], "unknown --country 'XYZ'"),
    (["Kim Jong Un", "--type", "persn"], "did you mean person"),
    (["Kim Jong Un", "--birth-date", "1984-13-01"], "--birth-date '1984-13-01' is not a birth date"),
    (["Kim Jong Un", "--threshold", "nan"], "--threshold"),
    (["--file", "nowhere.csv", "-o", "out.csv"], "nowhere.csv: cannot read file"),
    (["--file", "nowhere.csv"], "give --output"),
    ([], "give names to screen"),
])
def test_cli_refuses_unknown_and_malformed_values(small_ws: Path, args: list[str], message: str) -> None:
    code, _, err = _screen(small_ws, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_cli_empty_result_says_what_was_searched(small_ws: Path, lists: dict[str, ScreeningList]) -> None:
    code, out, err = _screen(small_ws, "Zzyzx Qwerty Plumbing", "Co., Ltd.", "-f", "json")
    assert code == 0, err
    caveats = " ".join(json.loads(out)["meta"]["caveats"])
    un, meti = lists["un_sc_consolidated_20260227.xml"], lists["meti_eul_20250929.xlsx"]
    assert f"{len(un.entities) + len(meti.entities):,} entities" in caveats
    assert "'Co., Ltd.' not screened: no distinctive token" in caveats


def test_library_refuses_a_nan_threshold(screener: Screener) -> None:
    with pytest.raises(ValueError, match="threshold"):
        screener.screen("Kim Jong Un", threshold=float("nan"))


def test_api_without_lists_and_unknown_routes(tmp_path: Path) -> None:
    from pinchpoint.api.app import create_app
    from pinchpoint.workspace import Workspace

    with Workspace(tmp_path / "empty"):
        pass
    client = TestClient(create_app(workspace=tmp_path / "empty"), raise_server_exceptions=False)
    response = client.post("/screen", json={"names": ["Kim Jong Un"]})
    assert response.status_code == 503 and "pinchpoint lists load" in response.text
    assert client.get("/lists").json()["rows"] == []
    assert client.get("/screen").status_code == 405
