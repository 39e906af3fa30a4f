"""The trends Session group holds series per stored version, and the API answers every trends question with the
JSON document ``pinchpoint trends ... -f json`` prints (apart from meta.command)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pinchpoint.api.app import create_app
from pinchpoint.session import Session
from tests.session.test_api_parity import api_document, cli_document, same
from tests.trends.conftest import FRED, IIP


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FRED.exists() or not IIP.exists():
        pytest.skip("trends data not found")
    path = tmp_path_factory.mktemp("trends-parity") / "ws"
    table = Session(path).trends.import_files([FRED, IIP])
    assert [(r["id"], r["state"], r["source_format"]) for r in table.records()] == [
        ("IPG3344S", "imported", "fred"), ("jp_iip_epd_shipments", "imported", "meti-iip"),
        ("jp_iip_epd_inventory", "imported", "meti-iip")]
    return path


@pytest.fixture(scope="module")
def client(workspace: Path) -> TestClient:
    return TestClient(create_app(workspace=workspace), raise_server_exceptions=False)


def test_series_are_held_per_stored_version(tmp_path: Path) -> None:
    if not FRED.exists():
        pytest.skip("trends data not found")
    session = Session(tmp_path / "ws")
    session.trends.import_files([FRED])
    first = session.trends.series("IPG3344S")
    assert session.trends.series("IPG3344S") is first  # held: not read again while nothing changed
    assert session.cache.builds[("trends.series", "IPG3344S")] == 1
    with FRED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    revised = tmp_path / "ipg_revised.csv"
    rows[-1][1] = str(float(rows[-1][1]) + 1.0)  # a revised last month: a new vintage
    with revised.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    imported = session.trends.import_files([revised])
    assert imported.records()[0]["state"] == "imported"
    again = session.trends.series("IPG3344S")
    assert again is not first and again.values[-1] == first.values[-1] + 1.0
    assert session.trends.series(f"IPG3344S@{imported.records()[0]['version']}").values[-1] == again.values[-1]
    versions = [v for key, v, _ in session.trends.stored_versions() if key == "IPG3344S"]
    old = next(v for v in versions if v != imported.records()[0]["version"])
    assert len(versions) == 2 and session.trends.series(f"IPG3344S@{old}").values[-1] == first.values[-1]


def test_api_answers_as_the_cli(workspace: Path, client: TestClient) -> None:
    ws = workspace
    same(cli_document(ws, "trends", "list"), api_document(client, "/trends/series"))
    same(cli_document(ws, "trends", "show", "IPG3344S"), api_document(client, "/trends/series/IPG3344S"))
    same(cli_document(ws, "trends", "show", "jp_iip_epd_shipments", "--inventories", "jp_iip_epd_inventory"),
         api_document(client, "/trends/series/jp_iip_epd_shipments", {"inventories": "jp_iip_epd_inventory"}))
    same(cli_document(ws, "trends", "show", "IPG3344S", "--lead", "jp_iip_epd_shipments"),
         api_document(client, "/trends/series/IPG3344S", {"lead": "jp_iip_epd_shipments"}))
    same(cli_document(ws, "trends", "forecast", "jp_iip_epd_shipments", "--horizon", "6"),
         api_document(client, "/trends/series/jp_iip_epd_shipments/forecast", {"horizon": 6}))
    same(cli_document(ws, "trends", "forecast", "IPG3344S", "--horizon", "3", "--from", "2015-01", "--show",
                      "backtest"),
         api_document(client, "/trends/series/IPG3344S/forecast", {"horizon": 3, "origins_from": "2015-01",
                                                                    "show": "backtest"}))
    same(cli_document(ws, "trends", "cycle", "IPG3344S"), api_document(client, "/trends/series/IPG3344S/cycle"))
    same(cli_document(ws, "trends", "cycle", "IPG3344S", "--warning", "--from", "2000-01"),
         api_document(client, "/trends/series/IPG3344S/warning", {"origins_from": "2000-01"}))
    same(cli_document(ws, "trends", "watch", "chip-cycle"), api_document(client, "/trends/watch"))
    # the other economy and the shipment-inventory balance as signals
    doc = api_document(client, "/trends/series/jp_iip_epd_shipments/warning",
                       {"signal": ["jp_iip_epd_shipments/jp_iip_epd_inventory", "IPG3344S"],
                        "origins_from": "2016-01", "horizon": 12})
    same(cli_document(ws, "trends", "cycle", "jp_iip_epd_shipments", "--warning", "--signal",
                      "jp_iip_epd_shipments/jp_iip_epd_inventory", "--signal", "IPG3344S", "--from", "2016-01",
                      "--horizon", "12"), doc)
    assert doc["meta"]["signals"] == ["balance:jp_iip_epd_shipments:jp_iip_epd_inventory", "IPG3344S"]
    # each signal's lead/lag against the target's growth, and the old threshold rule by name
    leads = api_document(client, "/trends/series/jp_iip_epd_shipments/warning",
                         {"signal": ["IPG3344S"], "origins_from": "2016-01", "horizon": 12, "table": "leads"})
    assert leads["table"] == "trends_signal_leads" and {r["signal"] for r in leads["rows"]} == {"IPG3344S"}
    youden = api_document(client, "/trends/series/IPG3344S/warning",
                          {"origins_from": "2000-01", "threshold_rule": "youden", "table": "probabilities"})
    assert {r["rule"] for r in youden["rows"]} <= {"Youden", None}
    # the business-cycle and growth-cycle feature sets by name, the same through both shells
    for features, feature in (("cycle", "log months since the last trough"), ("growth", "6m smoothed growth less yoy")):
        doc = api_document(client, "/trends/series/jp_iip_epd_shipments/warning",
                           {"origins_from": "2016-01", "features": features})
        same(cli_document(ws, "trends", "cycle", "jp_iip_epd_shipments", "--warning", "--from", "2016-01",
                          "--features", features), doc)
        assert doc["meta"]["feature_set"] == features
        assert f"jp_iip_epd_shipments {feature}" in doc["meta"]["features"]


def test_api_errors_and_posted_input(workspace: Path, client: TestClient) -> None:
    response = client.get("/trends/series/IPG3344", params={})
    assert response.status_code == 404 and "did you mean IPG3344S?" in response.json()["message"]
    # the server reads no local rule files; packaged sets and posted YAML are fine
    response = client.get("/trends/watch", params={"rules": "/etc/passwd"})
    assert response.status_code == 422 and "no local rule files" in response.json()["message"]
    posted = "rules:\n  - name: low\n    kind: level\n    series: IPG3344S\n    below: 1e9\n"
    doc = api_document(client, "/trends/watch", body={"yaml": posted})
    assert doc["rows"][0]["triggered"] is True
    bad = client.post("/trends/watch", json={"yaml": posted.replace("IPG3344S", "IPG3344X")})
    assert bad.status_code == 404 and "did you mean IPG3344S?" in bad.json()["message"]
    # a posted CSV is read like the file: the same series, already held
    text = FRED.read_text(encoding="utf-8")
    doc = api_document(client, "/trends/import", body={"text": text, "name": "ipg.csv"})
    assert [(r["id"], r["state"], r["months"]) for r in doc["rows"]] == [("IPG3344S", "unchanged",
                                                                          text.count("\n") - 1)]
    lines = text.splitlines()
    broken = "\n".join([*lines[:5], lines[5].split(",")[0] + ",n/a!", *lines[6:]]) + "\n"
    response = client.post("/trends/import", json={"text": broken, "name": "ipg.csv"})
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["file"], problem["row"], problem["field"]) == ("ipg.csv", 6, "IPG3344S")
    assert "not a number" in problem["message"]


def test_a_layout_name_means_its_source_in_the_library(tmp_path: Path) -> None:
    """The layout names (fred, wide, long, estat) are the library's: the session maps them to sources and refuses an
    unknown one with the closest name, before reading anything (the CLI only passes --layout through)."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app
    from pinchpoint.errors import BadArgumentError

    if not FRED.exists():
        pytest.skip("trends data not found")
    session = Session(tmp_path / "ws")
    with pytest.raises(BadArgumentError, match=r"unknown layout 'wdie'; did you mean 'wide'\?") as err:
        session.trends.import_files([FRED], source="fred", layout="wdie")
    assert err.value.parameter == "layout" and not session.trends.list().rows  # nothing stored
    table = session.trends.import_files([FRED], layout="fred")
    assert [(r["id"], r["source_format"]) for r in table.records()] == [("IPG3344S", "fred")]
    result = CliRunner().invoke(app, ["trends", "import", str(FRED), "--layout", "lnog", "--workspace",
                                      str(tmp_path / "ws2")])
    assert result.exit_code == 2 and "unknown layout 'lnog'; did you mean 'long'?" in result.output


def test_a_long_file_without_series_id_names_the_file_row_and_missing_column(client: TestClient,
                                                                            tmp_path: Path) -> None:
    """Trial 12, F18: ``--source indicators-long`` on ``date,value`` said only "error: series_id" (a KeyError)."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    with FRED.open(encoding="utf-8", newline="") as fh:
        months = list(csv.reader(fh))[1:25]  # 24 real months of the FRED series
    dv = tmp_path / "dv.csv"
    dv.write_text("date,value\n" + "".join(f"{d},{v}\n" for d, v in months), encoding="utf-8")
    words = ("no 'series_id' column: the long layout needs the columns series_id,date,value (date may be called "
             "period or month); the header has date,value")
    result = CliRunner().invoke(app, ["trends", "import", str(dv), "--source", "indicators-long", "--workspace",
                                      str(tmp_path / "ws")])
    assert result.exit_code == 2, result.output
    assert f"error: {dv}, row 1, field 'series_id': {words}" in result.stderr
    response = client.post("/trends/import", json={"text": dv.read_text(encoding="utf-8"), "name": "dv.csv",
                                                   "source": "indicators-long"})
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["file"], problem["row"], problem["field"], problem["message"]) == ("dv.csv", 1, "series_id",
                                                                                       words)
