"""``pinchpoint trends`` end to end on the real files: thin commands over the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from tests.conftest import SHARED

FRED = SHARED / "trends" / "us_fred_ipg3344s.csv"
IIP = SHARED / "trends" / "jp_iip_electronic_parts_devices.csv"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def ws(tmp_path: Path) -> str:
    if not FRED.exists() or not IIP.exists():
        pytest.skip("trends data not found")
    code, out, err = run("trends", "import", str(FRED), str(IIP), "--workspace", str(tmp_path))
    assert code == 0, err
    assert "IPG3344S@" in out and "jp_iip_epd_inventory@" in out and "652 months 1972-01..2026-04" in out
    return str(tmp_path)


def test_import_list_show(ws: str) -> None:
    code, out, _ = run("trends", "import", str(FRED), "--workspace", ws)
    assert code == 0 and "already imported (unchanged)" in out
    code, out, _ = run("trends", "list", "--workspace", ws, "-f", "json")
    doc = json.loads(out)
    assert [r["id"] for r in doc["rows"]] == ["IPG3344S", "jp_iip_epd_inventory", "jp_iip_epd_shipments"]
    code, out, _ = run("trends", "show", "jp_iip_epd_shipments", "--inventories", "jp_iip_epd_inventory",
                       "--workspace", ws, "-f", "json")
    rows = json.loads(out)["rows"]
    assert code == 0 and len(rows) == 156 and rows[-1]["month"] == "2025-12"


def test_forecast_json_carries_its_backtest(ws: str) -> None:
    code, out, err = run("trends", "forecast", "jp_iip_epd_shipments", "--horizon", "3", "--from", "2016-01",
                         "--workspace", ws, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [r["horizon"] for r in doc["rows"]] == [1, 2, 3]
    models = {r["model"] for r in doc["meta"]["backtest"]}
    assert {"snaive", "ets", "arima", "theta", "combo", "chosen"} <= models
    assert doc["meta"]["backtest_origins"].startswith("2016-01") and "command" in doc["meta"]


def test_forecast_table_prints_the_backtest_first(ws: str, tmp_path: Path) -> None:
    code, out, err = run("trends", "forecast", "jp_iip_epd_shipments", "--horizon", "3", "--from", "2016-01",
                         "--workspace", ws, "--report", str(tmp_path / "rep"))
    assert code == 0, err
    assert out.index("Backtest of jp_iip_epd_shipments") < out.index("Forecast of")
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in html and "80% interval" in html and "contraction" in html


def test_cycle_and_warning(ws: str) -> None:
    code, out, _ = run("trends", "cycle", "IPG3344S", "--workspace", ws, "-f", "json")
    months = [(r["month"], r["turn"]) for r in json.loads(out)["rows"]]
    assert ("2008-06", "peak") in months and ("2009-01", "trough") in months
    code, out, err = run("trends", "cycle", "IPG3344S", "--warning", "--from", "2000-01", "--horizon", "12",
                         "--workspace", ws, "-f", "json")
    assert code == 0, err
    # the downturns the warning is scored on are the peaks the cycle dating finds from the first origin on
    doc = json.loads(out)
    assert [r["peak"] for r in doc["rows"]] == [m for m, turn in months if turn == "peak" and m >= "2000-01"]
    # the library's count, as it gives it: a call is an alarm that began within the horizon before the peak
    assert doc["meta"]["called"] == sum(r["called"] for r in doc["rows"])
    assert all(r["verdict"] in ("called", "alarm_on_too_long", "missed") for r in doc["rows"])
    assert {"noise_to_signal", "alarm_share", "called_by_any_episode"} <= set(doc["meta"])
    code, out, err = run("trends", "cycle", "IPG3344S", "--warning", "--from", "2000-01", "--horizon", "12",
                         "--workspace", ws)
    assert code == 0 and "verdict" in out and "noise-to-signal" in out
    assert ("2018-08", "peak") in months


def test_watch(ws: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: shrinking\n    kind: growth\n    series: IPG3344S\n    below: 0\n",
                     encoding="utf-8")
    code, out, _ = run("trends", "watch", str(rules), "--workspace", ws, "-f", "json")
    (row,) = json.loads(out)["rows"]
    assert code == 0 and row["month"] == "2026-04" and row["condition"] == "< 0"


def test_errors_are_one_line(ws: str, tmp_path: Path) -> None:
    code, _, err = run("trends", "show", "IPG334", "--workspace", ws)
    assert code == 2 and "did you mean IPG3344S" in err and "Traceback" not in err
    bad = tmp_path / "bad.csv"
    bad.write_text("date,x\n2020-01-01,1\n2020-02-01,1\n2020-04-01,2\n2020-05-01,2\n", encoding="utf-8")
    code, _, err = run("trends", "import", str(bad), "--workspace", ws)
    assert code == 2 and "bad.csv, row 4, field 'date'" in err and "missing month(s) 2020-03" in err
    code, _, err = run("trends", "forecast", "IPG3344S", "--from", "1972-06", "--workspace", ws)
    assert code == 2 and "fewer than 36 months" in err


def test_a_month_that_does_not_exist_is_an_error_naming_its_option(ws: str) -> None:
    for option in ("--from", "--score-from"):
        code, _, err = run("trends", "forecast", "IPG3344S", option, "1990-13", "--workspace", ws)
        assert code == 2 and f"{option} '1990-13' is not a month" in err and "Traceback" not in err
    code, _, err = run("trends", "cycle", "IPG3344S", "--warning", "--from", "1990-13", "--workspace", ws)
    assert code == 2 and "--from '1990-13' is not a month" in err
