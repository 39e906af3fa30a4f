"""Workbench downloads carry the provenance of the CLI's output of the same question (trial 11: the CSV was a bare
table and the JSON had no command), and the dataset page shows years as years and takes a level and a year."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import make_workbench, sign_in, upload_dataset


def _timeless(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if not re.search(r"seconds|elapsed|timing|computed_at", k)}


def _cli_json(args: list[str], monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, Any]:
    """``pinchpoint ARGS`` run as typed at a shell (sys.argv set), on the workbench's workspace."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    monkeypatch.setenv("PINCHPOINT_HOME", str(home))
    monkeypatch.setattr(sys, "argv", ["pinchpoint", *args])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def bench(tmp_path: Path, cheap_hashes: None) -> tuple[Any, Any]:
    app = make_workbench(tmp_path)
    client = sign_in(app, "meti-analyst")
    upload_dataset(client, "mine", "mine.yaml")
    return app, client


@pytest.mark.parametrize("dataset", ["mine", "builtin"])
def test_json_download_equals_the_cli_rows_and_meta(bench: tuple[Any, Any], dataset: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app, client = bench
    page = client.get(f"/supply-chain/{dataset}/concentration.json")
    assert page.status_code == 200
    cli = _cli_json(["concentration", "--dataset", dataset, "--format", "json"], monkeypatch,
                    Path(app.state.web.workspace))
    document = page.json()
    assert document["rows"] == cli["rows"] and document["columns"] == cli["columns"]
    assert _timeless(document["meta"]) == _timeless(cli["meta"])
    assert document["meta"]["command"] == f"pinchpoint concentration --dataset {dataset} --format json"
    if dataset == "mine":  # a workspace dataset: the command pinned to the version the figures came from
        version = document["meta"]["dataset_version"]
        assert document["meta"]["reproduce"].endswith(f"--dataset mine@{version} --format json")


def test_csv_download_has_its_provenance_beside_it(bench: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app, client = bench
    response = client.get("/supply-chain/mine/concentration.csv?level=organisation")
    rows = list(csv.DictReader(io.StringIO(response.text)))  # still the plain table a spreadsheet opens
    link = response.headers["link"]
    assert 'rel="describedby"' in link
    url = link[link.index("<") + 1:link.index(">")]
    assert "/supply-chain/mine/concentration.csv.meta.json?level=organisation" in url
    sidecar = client.get(url).json()
    cli = _cli_json(["concentration", "--dataset", "mine", "--level", "organisation", "--format", "json"],
                    monkeypatch, Path(app.state.web.workspace))
    assert [r["input_id"] for r in rows] == [r["input_id"] for r in cli["rows"]]
    assert sidecar["n_rows"] == len(rows) and sidecar["columns"] == cli["columns"]
    meta = sidecar["meta"]
    assert meta["command"] == ("pinchpoint concentration --dataset mine --level organisation "
                               "--output mine-concentration.csv")
    assert meta["level"] == "organisation" and meta["dataset_version"] == cli["meta"]["dataset_version"]
    assert meta["caveats"] == cli["meta"]["caveats"]
    # and the page links it beside the CSV
    page = client.get("/supply-chain/mine?analysis=concentration&level=organisation").text
    assert 'href="/supply-chain/mine/concentration.csv.meta.json?level=organisation"' in page


def test_parquet_download_holds_the_command(bench: tuple[Any, Any], tmp_path: Path) -> None:
    import duckdb

    _, client = bench
    path = tmp_path / "dl.parquet"
    path.write_bytes(client.get("/supply-chain/mine/chokepoints.parquet").content)
    con = duckdb.connect()
    try:
        kv = dict(con.execute("SELECT key, value FROM parquet_kv_metadata(?)", [str(path)]).fetchall())
    finally:
        con.close()
    meta = json.loads(kv[b"pinchpoint"])
    assert meta["command"] == "pinchpoint chokepoints --dataset mine --output mine-chokepoints.parquet"


def test_years_show_without_a_thousands_separator(bench: tuple[Any, Any]) -> None:
    _, client = bench
    html = client.get("/supply-chain/builtin?analysis=concentration").text
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert any(re.fullmatch(r"20\d\d", c) for c in cells)
    assert not [c for c in cells if re.fullmatch(r"\d,\d{3}", c) and c.startswith(("1,9", "2,0"))]


def test_page_takes_level_and_year_as_the_cli_does(bench: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from pinchpoint.session import Session

    app, client = bench
    # the earliest year an organisation-level share is given for (not the latest the default takes)
    year = min(int(r["year"]) for r in Session().supplychain.concentration("builtin", level="organisation").rows)
    html = client.get(f"/supply-chain/builtin?analysis=concentration&level=organisation&year={year}").text
    cli = _cli_json(["concentration", "--level", "organisation", "--year", str(year), "--format", "json"],
                    monkeypatch, Path(app.state.web.workspace))
    shown = re.findall(r"<tr><td>([^<]*)</td>", html)
    assert shown == [r["input_id"] for r in cli["rows"]][:200]
    assert f"pinchpoint concentration --dataset builtin --year {year} --level organisation" in html
    document = client.get(f"/supply-chain/builtin/concentration.json?level=organisation&year={year}").json()
    assert document["rows"] == cli["rows"]
    refused = client.get("/supply-chain/builtin?analysis=concentration&level=planet")
    assert refused.status_code == 400 and "level must be" in refused.text


def test_plan_tab_download_is_the_cli_answer(bench: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app, client = bench
    document = client.get("/plan", params={"tab": "incentives", "country": "JPN", "fmt": "json"}).json()
    cli = _cli_json(["incentives", "--country", "JPN", "--format", "json"], monkeypatch,
                    Path(app.state.web.workspace))
    assert document["rows"] == cli["rows"] and _timeless(document["meta"]) == _timeless(cli["meta"])
    assert document["meta"]["command"] == "pinchpoint incentives --country JPN --format json"
    sidecar = client.get("/plan", params={"tab": "incentives", "country": "JPN", "fmt": "csv.meta.json"}).json()
    assert sidecar["meta"]["command"] == "pinchpoint incentives --country JPN --output plan-incentives.csv"


def test_the_page_s_terminal_command_is_pinned_as_the_download_s(bench: tuple[Any, Any]) -> None:
    """Trial 12, F10: the page showed ``pinchpoint chokepoints --dataset mine`` (unpinned: other figures after a
    re-import) while its JSON download's ``reproduce`` named the version."""
    import html
    import re

    _, client = bench
    page = client.get("/supply-chain/mine?analysis=chokepoints")
    shown = html.unescape(re.search(r'<code id="command">([^<]*)</code>', page.text).group(1))  # type: ignore[union-attr]
    version = client.get("/supply-chain/mine/chokepoints.json").json()["meta"]["dataset_version"]
    assert shown == f"pinchpoint chokepoints --dataset mine@{version}"
