"""Bad periods and NaN numbers are refused for what they are, by the library, so the CLI and the API say the same:
month 13 is not a month (it was a query with no rows, an API 503), and NaN is not a number (it was refused by
whatever range the field had: "should be less than or equal to 1")."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.api.app import create_app
from pinchpoint.errors import BadArgumentError
from pinchpoint.trade.metrics import check_period, parse_periods
from tests.conftest import SHARED

TRADE = SHARED / "trade"

pytestmark = pytest.mark.skipif(not TRADE.exists(), reason="no ../shared/data beside the repository")

NAN_SCENARIO = """\
name: nanny
title: A NaN fraction
shocks:
  - {type: capacity_loss, country: TWN, fraction: .nan}
"""


@pytest.fixture(scope="module")
def client(baci_ws: Path) -> TestClient:
    return TestClient(create_app(workspace=baci_ws), raise_server_exceptions=False)


def cli(*args: str) -> object:
    from pinchpoint.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_the_library_refuses_month_13_naming_the_parameter() -> None:
    for bad in ("2024-13", "2024-00"):
        with pytest.raises(BadArgumentError, match=f"period '{bad}': {bad} is not a month") as caught:
            check_period(bad)
        assert caught.value.parameter == "period"
    assert check_period("2024") == "2024" and check_period("2024-12") == "2024-12"
    with pytest.raises(BadArgumentError, match=r"base '2021-13\.\.2021-14': 2021-13 is not a month") as caught:
        parse_periods("2021-13..2021-14", "base")
    assert caught.value.parameter == "base"
    with pytest.raises(BadArgumentError, match="2021-14 is not a month"):
        parse_periods("2021-01..2021-14", "compare")


def test_month_13_in_the_cli_and_the_api(baci_ws: Path, client: TestClient) -> None:
    ws = ["--workspace", str(baci_ws)]
    result = cli("trade", "dependence", "--importer", "JPN", "--codes", "280469", "--period", "2024-13", *ws)
    assert result.exit_code == 2 and "--period '2024-13': 2024-13 is not a month" in result.stderr  # type: ignore[attr-defined]
    result = cli("trade", "dependence", "--side", "export", "--codes", "280469", "--period", "2024-13", *ws)
    assert result.exit_code == 2 and "--period '2024-13': 2024-13 is not a month" in result.stderr  # type: ignore[attr-defined]
    result = cli("trade", "growth", "--reporter", "CHN", "--partner", "JPN", "--codes", "280469",
                 "--base", "2021-13..2021-14", *ws)
    assert result.exit_code == 2 and "--base '2021-13..2021-14': 2021-13 is not a month" in result.stderr  # type: ignore[attr-defined]
    result = cli("trade", "circumvention", "--event", "2022-13", "--source", "baci", *ws)
    assert result.exit_code == 2 and "--event '2022-13': 2022-13 is not a month" in result.stderr  # type: ignore[attr-defined]
    response = client.get("/trade/dependence", params={"importer": "JPN", "codes": "280469", "period": "2024-13"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "bad_argument" and body["message"].startswith("period '2024-13': 2024-13 is not a month")
    response = client.get("/trade/growth", params={"reporter": "CHN", "partner": "JPN", "codes": "280469",
                                                   "base": "2021", "compare": "2022-13"})
    assert response.status_code == 422 and response.json()["message"].startswith("compare '2022-13'")
    # a real period still answers
    assert client.get("/trade/dependence", params={"importer": "JPN", "codes": "280469",
                                                   "period": "2024"}).status_code == 200


def test_nan_is_not_a_number_in_the_library_cli_and_api(baci_ws: Path, client: TestClient,
                                                        tmp_path: Path) -> None:
    from pinchpoint.analysis import chokepoints
    from pinchpoint.supplychain import load_chain

    with pytest.raises(BadArgumentError, match="threshold must be a number, not NaN"):
        chokepoints(load_chain(), threshold=math.nan)
    result = cli("chokepoints", "--threshold", "nan")
    assert result.exit_code == 2 and "--threshold must be a number, not NaN" in result.stderr  # type: ignore[attr-defined]
    result = cli("chokepoints", "--threshold", "120")  # a number out of range keeps its range message
    assert result.exit_code == 2 and "must be in (0, 100]" in result.stderr  # type: ignore[attr-defined]
    for path, params in (("/supplychain/chokepoints", {"threshold": "NaN"}),
                         ("/trade/mirror", {"importer": "JPN", "tolerance": "nan"}),
                         ("/trade/circumvention", {"min_baseline": "NaN", "source": "baci", "event": "2022"})):
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        detail = response.json()["detail"]
        assert [d["msg"] for d in detail] == ["must be a number, not NaN"], (path, detail)
    ws = ["--workspace", str(baci_ws)]
    for option in ("--tolerance", "--cif-margin"):
        result = cli("trade", "mirror", "--source", "baci", option, "nan", *ws)
        assert result.exit_code == 2 and f"{option} must be a number, not NaN" in result.stderr  # type: ignore[attr-defined]
    result = cli("trade", "circumvention", "--source", "baci", "--event", "2022", "--min-baseline", "nan", *ws)
    assert result.exit_code == 2 and "--min-baseline must be a number, not NaN" in result.stderr  # type: ignore[attr-defined]
    # a scenario's fraction: the file through the CLI, the same text posted to the API
    scenario = tmp_path / "nan.yaml"
    scenario.write_text(NAN_SCENARIO, encoding="utf-8")
    result = cli("stress", str(scenario))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "row 4, field 'shocks.0.fraction': must be a number, not NaN" in result.stderr  # type: ignore[attr-defined]
    response = client.post("/stress/run", json={"yaml": NAN_SCENARIO, "engine": "static"})
    assert response.status_code == 422, response.text
    assert "field 'shocks.0.fraction': must be a number, not NaN" in response.json()["message"]
    # infinity is a number: the range says why it is refused
    response = client.post("/stress/run", json={"yaml": NAN_SCENARIO.replace(".nan", ".inf"), "engine": "static"})
    assert response.status_code == 422 and "less than or equal to 1" in response.json()["message"]
