"""The plan page runs the planner through the Session's ``plan.plan`` (the method ``pinchpoint plan`` calls) and
shows, and offers for download, the tables the CLI prints for the same question."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib.resources import files
from itertools import pairwise
from typing import Any

import yaml
from typer.testing import CliRunner

from tests.web.conftest import sign_in

QUERY = {"tab": "planner", "run": "1", "budget": "300", "objective": "max_share", "horizon": "5",
         "budgets": "0,100,300"}


def _cli_table(workspace: str, table: str) -> dict[str, Any]:
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["plan", "--measures", "example", "--budget", "300", "--objective", "max_share",
                                      "--horizon", "5", "--budgets", "0,100,300", "--table", table, "-f", "json",
                                      "--workspace", workspace])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_planner_on_the_page_gives_the_cli_s_tables(workbench: Any) -> None:
    client = sign_in(workbench, "meti-analyst")
    page = client.get("/plan", params=QUERY)
    assert page.status_code == 200, page.text[:500]
    assert 'id="planner-portfolio"' in page.text and 'id="planner-frontier"' in page.text
    command = re.search(r'id="planner-command">([^<]+)<', page.text)
    assert command and "pinchpoint plan --measures example --budget 300" in command.group(1)
    workspace = str(workbench.state.web.workspace)
    for table in ("portfolio", "frontier", "effects"):
        download = client.get("/plan", params={**QUERY, "table": table, "fmt": "json"})
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        web_doc = download.json()
        cli_doc = _cli_table(workspace, table)
        assert web_doc["columns"] == cli_doc["columns"]
        timed = ("seconds",)  # the solver's wall time: the one column that differs between two runs
        assert [{k: v for k, v in r.items() if k not in timed} for r in web_doc["rows"]] == \
            [{k: v for k, v in r.items() if k not in timed} for r in cli_doc["rows"]], table
        assert web_doc["meta"]["caveats"] == cli_doc["meta"]["caveats"]
        assert "pinchpoint plan --measures example" in web_doc["meta"]["command"]
    portfolio = _cli_table(workspace, "portfolio")["rows"]
    # what the page shows is that table: every chosen measure's id is on the page
    assert portfolio and all(r["measure_id"] in page.text for r in portfolio)
    # independent of the code: chosen measures are the packaged example's, and none of its stockpiles (which
    # change no supplier share, the max_share objective's measure)
    source = yaml.safe_load((files("pinchpoint.planning") / "data" / "example_measures.yaml").read_text("utf-8"))
    kinds = {m["id"]: m["kind"] for m in source["measures"]}
    assert all(kinds[r["measure_id"]] != "stockpile" for r in portfolio)
    # the frontier's risk does not rise with the budget (each point an optimum over a larger feasible set)
    frontier = client.get("/plan", params={**QUERY, "table": "frontier", "fmt": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(frontier)))
    risks = [float(r["risk"]) for r in sorted(rows, key=lambda r: float(r["budget_musd_per_year"]))]
    assert len(risks) == 3 and all(b <= a + 1e-9 for a, b in pairwise(risks))
    exports = [r for r in workbench.state.web.store.audit_records() if r.action == "export"
               and r.target == "plan:frontier"]
    assert exports and exports[-1].actor == "meti-analyst"


def test_planner_refuses_a_viewer_and_names_a_bad_field(workbench: Any) -> None:
    viewer = sign_in(workbench, "meti-viewer")
    assert "disabled" in viewer.get("/plan", params={"tab": "planner"}).text
    refused = viewer.get("/plan", params=QUERY)
    assert refused.status_code == 403
    analyst = sign_in(workbench, "meti-analyst")
    bad = analyst.get("/plan", params={**QUERY, "objective": "hhi"})
    assert bad.status_code == 200 and "objective: one of max_share, tts, shortfall" in bad.text
    bad = analyst.get("/plan", params={**QUERY, "budget": "lots"})
    assert "budget: a number" in bad.text
    bad = analyst.get("/plan", params={**QUERY, "coalition": "ZZZ"})
    assert 'class="error"' in bad.text and "ZZZ" in bad.text


def test_the_planner_page_states_the_budget_range_as_the_cli_does(workbench: Any) -> None:
    # the page reads its fields through the Session (planning.params), so its message is the CLI's, upper limit too
    from html import unescape

    from pinchpoint.cli.main import app
    from pinchpoint.planning.params import MAX_BUDGET

    analyst = sign_in(workbench, "meti-analyst")
    for budget in (f"{MAX_BUDGET * 1000:g}", "-5"):
        page = analyst.get("/plan", params={**QUERY, "budget": budget, "budgets": ""})
        error = re.search(r'class="error"[^>]*>(.*?)</', page.text, re.S)
        assert error and f"to {MAX_BUDGET:,.0f}" in unescape(error.group(1)), page.text[:800]
        cli = CliRunner().invoke(app, ["plan", "--measures", "example", "--budget", budget])
        assert cli.exit_code == 2
        assert " ".join(unescape(error.group(1)).split()) in " ".join(cli.output.split())


MEASURES_CSV = (  # two of the packaged example's measures with another id, and one the planner cannot use
    "id,kind,input,country,capacity,days,cost,annual_cost,lead_time_years,source\n"
    "ours_neon,capacity,neon,USA,0.2,0,100,0,1,our estimate\n"
    "ours_gallium,capacity,primary_gallium,JPN,0.1,0,250,0,2,our estimate\n"
    "ours_stock,stockpile,neon,,0,180,40,2,0,our estimate\n")


def test_the_planner_runs_on_an_uploaded_measures_file_as_the_cli_reads_it(workbench: Any, tmp_path: Any) -> None:
    from tests.web.conftest import csrf_of

    client = sign_in(workbench, "meti-analyst")
    token = csrf_of(client.get("/plan", params={"tab": "planner"}).text)
    fields = {"budget": "300", "objective": "max_share", "horizon": "5", "budgets": "0,100,300",
              "csrf_token": token}
    page = client.post("/plan/planner", data=fields, files={"measures_file": ("ours.csv", MEASURES_CSV.encode(),
                                                                               "text/csv")})
    assert page.status_code == 200 and 'class="error"' not in page.text, page.text[:800]
    assert "pinchpoint plan --measures ours.csv --budget 300" in page.text
    download = client.post("/plan/planner", data={**fields, "measures_name": "ours.csv",
                                                  "measures_text": MEASURES_CSV, "table": "portfolio",
                                                  "fmt": "json"})
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    web_rows = download.json()["rows"]
    assert web_rows and {r["measure_id"] for r in web_rows} <= {"ours_neon", "ours_gallium"}
    (tmp_path / "ours.csv").write_text(MEASURES_CSV, encoding="utf-8")
    from pinchpoint.cli.main import app

    cli = CliRunner().invoke(app, ["plan", "--measures", str(tmp_path / "ours.csv"), "--budget", "300",
                                   "--budgets", "0,100,300", "--table", "portfolio", "-f", "json",
                                   "--workspace", str(workbench.state.web.workspace)])
    assert cli.exit_code == 0, cli.output
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in web_rows] == \
        [{k: v for k, v in r.items() if k != "seconds"} for r in json.loads(cli.stdout)["rows"]]
    # a bad row is named by the upload's file, row and field, and nothing is planned
    bad = MEASURES_CSV.replace("ours_gallium,capacity", "ours_gallium,subsidy")
    refused = client.post("/plan/planner", data=fields, files={"measures_file": ("ours.csv", bad.encode(),
                                                                                  "text/csv")})
    assert 'class="error"' in refused.text and 'id="planner-portfolio"' not in refused.text
    assert re.search(r"ours\.csv, row 3, field &#39;kind&#39;", refused.text), refused.text[:2000]
    assert "pinchpoint-measures" not in refused.text  # never the server's temporary folder


def test_a_deeply_nested_measures_upload_is_named_not_a_500(workbench: Any) -> None:
    from tests.planning.test_deep_json import deep_measures
    from tests.web.conftest import csrf_of

    client = sign_in(workbench, "meti-analyst")
    token = csrf_of(client.get("/plan", params={"tab": "planner"}).text)
    fields = {"budget": "100", "objective": "max_share", "horizon": "5", "budgets": "0,100", "csrf_token": token}
    page = client.post("/plan/planner", data=fields, files={"measures_file": ("deep.json", deep_measures().encode(),
                                                                               "application/json")})
    assert page.status_code != 500 and 'class="error"' in page.text, page.text[:500]
    assert re.search(r"deep\.json, line 1: nested more than 100 levels deep", page.text), page.text[:2000]
