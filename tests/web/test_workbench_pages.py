"""The workbench's pages over the Session on real data: review decisions shared with the CLI (one store), stress runs
compared, control lists diffed between dates, trade imports and queries with the circumvention evidence."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import CONTROLS, SHARED
from tests.web.conftest import UN_LIST, csrf_of, make_workbench, sign_in
from tests.web.test_pages import _wait

TRADE = SHARED / "trade" / "baci-critical-materials"
IIP = SHARED / "trends" / "jp_iip_electronic_parts_devices.csv"
FRED = SHARED / "trends" / "us_fred_ipg3344s.csv"
AWARDS = Path(__file__).parents[2] / "src" / "pinchpoint" / "planning" / "data" / "awards.yaml"
COMEXT_XLSX = SHARED / "trade" / "comext-xlsx" / "19_4623968_spreadsheet.xlsx"  # EU exports of 8542 lines, monthly
LATER = "2026-08-01"


def _ccl() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CONTROLS / "us-ccl" / "ccl.json").read_text(encoding="utf-8"))
    return doc


def _later_ccl(folder: Path) -> Path:
    """The real CCL as a later version: 3B903 removed, 3B001's heading amended, 3B999 added."""
    doc = _ccl()
    entries = [dict(e) for e in doc["entries"] if e["eccn"] != "3B903"]
    changed = next(e for e in entries if e["eccn"] == "3B001")
    changed["heading"] = changed["heading"] + " (amended)"
    entries.append({**changed, "eccn": "3B999"})
    path = folder / "later" / "ccl.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**doc, "ecfrIssueDate": LATER, "entries": entries}), encoding="utf-8")
    return path.parent


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, cheap_hashes: None) -> Any:
    """A workbench over a workspace with the UN list, the BACI extract, and two versions of the U.S. list."""
    from pinchpoint.screening.loaders import load_list
    from pinchpoint.screening.store import store_list
    from pinchpoint.session import Session
    from pinchpoint.workspace import Workspace

    for need in (UN_LIST, TRADE, CONTROLS, COMEXT_XLSX, IIP, FRED):
        if not need.exists():
            pytest.skip(f"real data not found at {need}")
    folder = tmp_path_factory.mktemp("bench")
    with Workspace(folder) as ws:
        store_list(ws, load_list(UN_LIST))
    session = Session(folder)
    session.trade.import_files("baci", [TRADE])
    session.trade.import_files("comext-xlsx", [COMEXT_XLSX])
    session.trends.import_files([IIP, FRED])
    first = session.controls.read([CONTROLS / "us-ccl"])
    session.controls.store(first, ["us-ccl"])
    later = session.controls.read([_later_ccl(tmp_path_factory.mktemp("ccl"))])
    session.controls.store(later, ["later"])
    return make_workbench(folder)


def test_a_decision_on_the_web_is_seen_by_the_cli_and_the_reverse(bench: Any) -> None:
    from pinchpoint.cli.main import app

    workspace = str(bench.state.web.workspace)
    client = sign_in(bench, "meti-analyst")
    page = client.get("/screening", params={"q": "JANAN AGHA"}).text
    entity = re.search(r'data-entity="([^"]+)" data-alert="new"', page)
    assert entity, "the UN-listed name gives a new alert"
    listed = re.search(r'name="list_name" value="([^"]+)"', page)
    assert listed
    decided = client.post("/screening/review", data={
        "query": "JANAN AGHA", "list_name": listed.group(1), "entity_id": entity.group(1),
        "decision": "false_positive", "reason": "born 1971, ours 1990", "csrf_token": csrf_of(page)},
        follow_redirects=False)
    assert decided.status_code == 303
    # the operator's CLI reads the same store
    listing = CliRunner().invoke(app, ["review", "list", "-f", "json", "--workspace", workspace])
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)["rows"]
    mine = [r for r in rows if r["entity_id"] == entity.group(1)]
    assert [(r["decision"], r["reviewer"], r["reason"], r["organisation"]) for r in mine] == [
        ("false positive", "meti-analyst", "born 1971, ours 1990", "meti")]
    assert 'data-alert="decided"' in client.get("/screening", params={"q": "janan  agha"}).text  # remembered
    # meti's decision is meti's: the partner organisation still gets the alert
    partner = sign_in(bench, "commerce-analyst").get("/screening", params={"q": "JANAN AGHA"}).text
    assert f'data-entity="{entity.group(1)}" data-alert="new"' in partner

    # the reverse: a decision taken with the CLI (no organisation) is seen on the web by every organisation
    other = sign_in(bench, "commerce-analyst").get("/screening", params={"q": "JANAN AGHA"}).text
    added = CliRunner().invoke(app, ["review", "add", "JANAN AGHA", entity.group(1), "--decision", "true-match",
                                     "--reviewer", "operator", "--reason", "confirmed by passport",
                                     "--workspace", workspace])
    assert added.exit_code == 0, added.output
    after = sign_in(bench, "commerce-analyst").get("/screening", params={"q": "JANAN AGHA"}).text
    assert other != after and "confirmed by passport" in after and "operator" in after
    assert f'data-entity="{entity.group(1)}" data-alert="decided"' in after
    # meti's own decision still comes first for meti
    assert "born 1971, ours 1990" in client.get("/screening", params={"q": "JANAN AGHA"}).text


def _run(client: Any, scenario: str, runs: int, seed: int) -> str:
    token = csrf_of(client.get("/stress").text)
    started = client.post("/stress/start", data={"scenario": scenario, "runs": str(runs), "seed": str(seed),
                                                 "csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303, started.text[:300]
    url: str = started.headers["location"]
    assert _wait(client, url)["status"] == "done"
    return url


def test_two_stress_runs_compared_with_their_differences(bench: Any) -> None:
    from pinchpoint.stress.engines import run_dynamic
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario
    from pinchpoint.supplychain import load_chain

    client = sign_in(bench, "meti-analyst")
    first = _run(client, "renesas_naka_fire", 1, 0)
    second = _run(client, "renesas_naka_fire", 3, 7)
    job = client.get(second).text
    assert 'id="compare-form"' in job and first.rsplit("/", 1)[1] in job
    page = client.get("/stress/compare", params={"first": first.rsplit("/", 1)[1],
                                                 "second": second.rsplit("/", 1)[1]})
    assert page.status_code == 200 and 'id="comparison"' in page.text
    assert "different numbers of Monte Carlo draws" in page.text and "different random seeds" in page.text
    scenario = load_scenario("renesas_naka_fire")
    net = StressNetwork.build(load_chain(scenario.dataset_ref()))
    a = {r["input_id"]: r for r in run_dynamic(net, scenario, runs=1, seed=0).summary.rows}
    b = {r["input_id"]: r for r in run_dynamic(net, scenario, runs=3, seed=7).summary.rows}
    biggest = max(a, key=lambda k: (abs(b[k]["shortfall_days"] - a[k]["shortfall_days"]), k))
    cells = re.findall(r"<td>([^<]*)</td>", page.text.split('id="comparison"')[1].split("</tr>")[1])
    assert cells[0] == biggest
    assert float(cells[5]) == pytest.approx(a[biggest]["shortfall_days"], abs=1e-3)
    assert float(cells[6]) == pytest.approx(b[biggest]["shortfall_days"], abs=1e-3)
    assert float(cells[7]) == pytest.approx(b[biggest]["shortfall_days"] - a[biggest]["shortfall_days"], abs=1e-3)
    # a partner organisation cannot compare meti's runs
    assert sign_in(bench, "commerce-analyst").get("/stress/compare", params={
        "first": first.rsplit("/", 1)[1], "second": second.rsplit("/", 1)[1]}).status_code == 403


def test_control_list_diffed_between_two_dated_versions(bench: Any) -> None:
    shipped = _ccl()["ecfrIssueDate"]
    client = sign_in(bench, "meti-viewer")
    page = client.get("/controls", params={"first": f"US@{shipped}", "second": f"US@{LATER}", "scope": "3B"})
    assert page.status_code == 200 and 'class="error"' not in page.text
    rows = page.text.split('id="diff"')[1].split("</table>")[0]
    changes = {code: change for code, change in re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", rows)}
    assert changes.get("3B999") == "added" and changes.get("3B903") == "removed"
    assert changes.get("3B001") == "changed"
    assert f"US@{LATER}" in page.text  # the stored versions are offered
    unknown = client.get("/controls", params={"first": "US@2025-07-23", "second": f"US@{LATER}"})
    assert "no US control list of &#39;2025-07-23&#39;" in unknown.text and shipped in unknown.text


def _baci(year: int) -> dict[tuple[str, str, str], float]:
    with open(TRADE / f"baci_{year}.csv", encoding="utf-8") as f:
        out: dict[tuple[str, str, str], float] = {}
        for r in csv.DictReader(f):
            key = (r["i"], r["j"], r["cmd"])
            out[key] = out.get(key, 0.0) + float(r["value"])
        return out


def test_trade_imports_growth_and_circumvention_evidence(bench: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.web.test_download_provenance import _cli_json, _timeless

    client = sign_in(bench, "meti-analyst")
    page = client.get("/trade").text
    imports = page.split('id="imports"')[1].split("</table>")[0]
    with open(TRADE / "baci_2022.csv", encoding="utf-8") as a, open(TRADE / "baci_2024.csv", encoding="utf-8") as b:
        records = sum(1 for _ in csv.DictReader(a)) + sum(1 for _ in csv.DictReader(b))
    assert "baci" in imports and "comext-xlsx" in imports
    assert f"{records:,}" in imports  # every record read is counted

    params = {"query": "growth", "run": "1", "reporters": "CHN", "partners": "JPN", "codes": "280469",
              "base": "2022", "compare": "2024", "sources": "baci"}
    shown = client.get("/trade", params=params)
    assert shown.status_code == 200 and 'id="trade-result"' in shown.text
    document = client.get("/trade", params={**params, "fmt": "json"}).json()
    row = next(r for r in document["rows"] if r["partner"] == "JPN")
    before, after = _baci(2022)[("CHN", "JPN", "280469")], _baci(2024)[("CHN", "JPN", "280469")]
    assert row["base_value"] == pytest.approx(before) and row["compare_value"] == pytest.approx(after)
    assert row["growth_pct"] == pytest.approx((after / before - 1) * 100, abs=0.01)
    # the download is the CLI's answer to the same question, with the command that asks it
    command = ["trade", "growth", "--reporter", "CHN", "--partner", "JPN", "--codes", "280469", "--base", "2022",
               "--compare", "2024", "--flow", "export", "--source", "baci", "--format", "json"]
    cli = _cli_json(command, monkeypatch, Path(bench.state.web.workspace))
    assert document["rows"] == cli["rows"] and _timeless(document["meta"]) == _timeless(cli["meta"])
    assert document["meta"]["command"] == "pinchpoint " + " ".join(command)

    scan_params = {"query": "circumvention", "run": "1"}  # the default source: Comext monthly
    scan = client.get("/trade", params=scan_params).text
    assert 'class="error"' not in scan
    figures = re.findall(r'<figure class="evidence" data-alert="([A-Z0-9_]+)-([A-Z0-9_]+)-([0-9]+)">', scan)
    assert figures, "the top alerts are drawn with their evidence series"
    alerts = client.get("/trade", params={**scan_params, "fmt": "json"}).json()["rows"]
    top = next(r for r in alerts if (r["exporter"], r["hub"], r["product"]) == figures[0])
    chart = scan.split('data-alert="{}-{}-{}"'.format(*figures[0]))[1].split("</figure>")[0]
    xs = [float(p.split(",")[0]) for p in re.search(r'<polyline points="([^"]+)"', chart).group(1).split()]
    months = [int(p[:4]) * 12 + int(p[5:7]) for p in (e.split(": ")[0] for e in top["evidence"])]
    assert len(xs) == len(months) >= 2  # every reported period drawn
    # drawn at their dates: months without a row leave a gap of their width
    step = (xs[-1] - xs[0]) / (months[-1] - months[0])
    assert all(abs((x - xs[0]) - step * (m - months[0])) < 0.2 for x, m in zip(xs, months, strict=True))

    viewer = sign_in(bench, "meti-viewer")
    assert 'id="imports"' in viewer.get("/trade").text  # viewers read what is imported
    assert viewer.get("/trade", params=params).status_code == 403  # queries are an analyst's work


def test_plan_page_shows_the_registry_and_pipeline(bench: Any) -> None:
    import yaml

    awards = yaml.safe_load(AWARDS.read_text(encoding="utf-8"))["awards"]
    japanese = sorted(a["id"] for a in awards if a["country"] == "JPN")
    client = sign_in(bench, "meti-viewer")
    page = client.get("/plan", params={"tab": "incentives", "country": "JPN"})
    assert page.status_code == 200 and 'id="plan-result"' in page.text
    document = client.get("/plan", params={"tab": "incentives", "country": "JPN", "fmt": "json"}).json()
    assert sorted(r["award_id"] for r in document["rows"]) == japanese
    for tab in ("projects", "projection", "targets"):
        shown = client.get("/plan", params={"tab": tab})
        assert shown.status_code == 200 and "<td>" in shown.text, tab
    # the projection is by the baseline's regions: Germany's rows are Europe's, not an empty table
    german = client.get("/plan", params={"tab": "projection", "country": "DEU", "fmt": "json"}).json()
    assert german["rows"] and {r["country"] for r in german["rows"]} == {"EUR"}
    assert any("DEU" in c and "EUR" in c for c in german["meta"]["caveats"])


def _iip(column: str) -> list[tuple[str, float]]:
    with open(IIP, encoding="utf-8") as f:
        return [(r["date"][:7], float(r[column])) for r in csv.DictReader(f)]


def test_trends_page_history_cycle_forecast_and_alerts(bench: Any) -> None:
    client = sign_in(bench, "meti-analyst")
    listing = client.get("/trends").text
    assert "jp_iip_epd_shipments" in listing and "IPG3344S" in listing
    history = client.get("/trends", params={"series": "jp_iip_epd_shipments", "view": "history"}).text
    assert 'id="trends-chart"' in history and "<polyline" in history
    month, value = _iip("shipment_index")[-1]
    first_row = history.split('data-table="trends_growth"')[1].split("</tr>")[1]
    cells = re.findall(r"<td>([^<]*)</td>", first_row)
    assert cells[0] == month and float(cells[1]) == pytest.approx(value, rel=1e-3)  # newest month first
    cycle = client.get("/trends", params={"series": "jp_iip_epd_shipments", "view": "cycle"}).text
    assert 'data-table="trends_cycle"' in cycle and ("peak" in cycle or "trough" in cycle)
    forecast = client.get("/trends", params={"series": "jp_iip_epd_shipments", "view": "forecast"}).text
    assert 'data-table="trends_forecast"' in forecast and "80% interval" in forecast
    alerts = client.get("/trends", params={"view": "alerts"}).text
    import yaml

    rules = yaml.safe_load((Path(__file__).parents[2] / "src" / "pinchpoint" / "trends" / "rules" /
                            "chip-cycle.yaml").read_text(encoding="utf-8"))["rules"]
    table = alerts.split('data-table="trends_alerts"')[1].split("</table>")[0]
    assert table.count("<tr>") - 1 == len(rules)  # one row per packaged rule, evaluated on the held series
    unknown = client.get("/trends", params={"series": "jp_iip_epd_shipment"}).text
    assert "jp_iip_epd_shipments" in unknown.split('class="error"')[1]  # the closest ids are named


def test_overview_names_countries_in_japanese(bench: Any) -> None:
    client = sign_in(bench, "meti-viewer")
    english = client.get("/").text
    assert re.search(r'<tr data-country="TWN"><td>Taiwan <small>TWN</small>', english)
    client.post("/lang", data={"lang": "ja", "next": "/", "csrf_token": csrf_of(english)})
    japanese = client.get("/").text
    assert re.search(r'<tr data-country="TWN"><td>台湾 <small>TWN</small>', japanese)
    assert re.search(r'<tr data-country="JPN"><td>日本 <small>JPN</small>', japanese)
    assert "<title>台湾 (TWN)" in japanese.split('id="world-map"')[1]  # the map's labels too


def test_an_edited_packaged_scenario_runs_and_cannot_reach_other_files(bench: Any) -> None:
    import html

    from pinchpoint.stress.engines import run_static
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario
    from pinchpoint.supplychain import load_chain

    client = sign_in(bench, "meti-analyst")
    page = client.get("/stress", params={"scenario": "renesas_naka_fire"}).text
    text = html.unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert "dataset:" in text and "builtin" not in text.split("dataset:")[1].splitlines()[0]  # its own data file
    started = client.post("/stress/start", data={"scenario": "renesas_naka_fire", "text": text, "engine": "static",
                                                 "csrf_token": csrf_of(page)}, follow_redirects=False)
    url = started.headers["location"]
    assert _wait(client, url)["status"] == "done"
    scenario = load_scenario("renesas_naka_fire")
    expected = run_static(StressNetwork.build(load_chain(scenario.dataset_ref())), scenario)
    shown = client.get(url + "/files/shortfall.json").json()
    assert [r["input_id"] for r in shown["rows"]] == [r["input_id"] for r in expected.rows]
    # the same editor cannot name a file outside the packaged scenarios
    escaped = re.sub(r"(?m)^dataset:.*$", "dataset: ../../../../../../etc/hostname", text)
    refused = client.post("/stress/start", data={"scenario": "renesas_naka_fire", "text": escaped,
                                                 "csrf_token": csrf_of(page)}, follow_redirects=False)
    if refused.status_code == 303:
        status = _wait(client, refused.headers["location"])
        assert status["status"] == "failed" and "etc/hostname" in status["error"]
    else:
        assert refused.status_code in (400, 422)


def test_evidence_of_periods_in_another_form_is_drawn_in_order_not_refused() -> None:
    from pinchpoint.results import ResultTable
    from pinchpoint.web.pages import evidence_charts

    table = ResultTable.from_records("circumvention", [
        {"exporter": "DEU", "hub": "KAZ", "product": "8542", "evidence": ["2022-Q1: 10", "2022-Q2: 30", "2022-Q3: 5"]},
        {"exporter": "DEU", "hub": "ARM", "product": "8542", "evidence": ["2021-11: 1", "2022-02: 4"]}])
    (first, quarterly), (_, monthly) = evidence_charts(table)
    assert first["hub"] == "KAZ" and quarterly.count(",") >= 3 and "2022-Q2" in quarterly
    xs = [float(p.split(",")[0]) for p in re.search(r'<polyline points="([^"]+)"', monthly).group(1).split()]
    assert len(xs) == 2 and xs[1] > xs[0]  # 2021-11 and 2022-02: three months apart, drawn at their dates
