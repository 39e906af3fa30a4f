"""The workbench over HTTP (no browser): authentication on every route, CSRF, headers, escaping, languages,
uploads with their problems, organisations and sharing, jobs, screening with remembered reviews."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import BUILTIN_YAML, PASSWORD, csrf_of, make_workbench, sign_in, upload_dataset

NEGATIVES = Path(__file__).parents[3] / "shared" / "data" / "screening" / "benchmarks" / "yente_negatives_global.csv"
POSITIVES = Path(__file__).parents[3] / "shared" / "data" / "screening" / "benchmarks" / \
    "yente_positives_un_treated.csv"


def _stored_datasets(app: Any) -> set[str]:
    """The dataset names the workspace holds (read directly, not through the workbench)."""
    from pinchpoint.workspace import Workspace

    with Workspace.open_reader(app.state.web.workspace) as ws:
        return {str(r["name"]) for r in ws.list_datasets().rows}


def _upload_as(app: Any, username: str, name: str, data: bytes, filename: str = "chain.yaml") -> Any:
    """Upload through the Session as ``username`` would (the request's actor), as a page does."""
    from pinchpoint.accounts.hook import CURRENT_ACTOR

    token = CURRENT_ACTOR.set(app.state.web.store.user(username).actor())
    try:
        return app.state.session.supplychain.upload(name, filename, data)
    finally:
        CURRENT_ACTOR.reset(token)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _routes(routes: list[Any], prefix: str = "") -> list[Any]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.13x wraps them)."""
    from fastapi.routing import APIRoute

    out = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += _routes(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            out += _routes(route.routes)
    return out


def test_every_route_refuses_an_unauthenticated_call(workbench: Any) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(workbench)
    checked = 0
    for route in _routes(workbench.routes):
        if route.path in ("/login", "/healthz"):
            continue
        if route.path.startswith("/login/oidc/"):  # single sign-on is a way in: public, but signs nobody in
            response = client.get(_fill(route.path), follow_redirects=False)
            assert response.status_code == 404 and "no single sign-on" in response.text, route.path
            continue
        for method in route.methods - {"HEAD"}:
            response = client.request(method, _fill(route.path), follow_redirects=False)
            assert response.status_code == 401, (method, route.path, response.status_code)
            checked += 1
    page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert client.get("/openapi.json").status_code == 401
    assert checked >= 25


def test_api_key_opens_the_api_and_a_wrong_one_does_not(workbench: Any) -> None:
    from fastapi.testclient import TestClient

    store = workbench.state.web.store
    key = store.create_api_key(store.user("meti-analyst").actor(), "script")
    client = TestClient(workbench)
    ok = client.post("/screen", json={"names": ["JANAN AGHA"]}, headers={"authorization": f"Bearer {key}"})
    assert ok.status_code == 200 and "AGHA" in ok.text.upper()
    bad = client.post("/screen", json={"names": ["x"]}, headers={"authorization": f"Bearer {key[:-2]}xx"})
    assert bad.status_code == 401


def test_headers_forbid_inline_scripts_and_pages_have_none(workbench: Any) -> None:
    client = sign_in(workbench, "meti-admin")
    for path in ("/", "/supply-chain", "/supply-chain/builtin", "/stress", "/screening", "/controls", "/trade",
                 "/admin"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path  # no inline script element
        assert not re.search(r"\son[a-z]+\s*=", response.text), path  # no inline event handler
        assert "javascript:" not in response.text
    cookie = client.cookies.jar
    assert any(c.name == "pinchpoint_session" for c in cookie)


def test_forms_need_the_csrf_token(workbench: Any) -> None:
    client = sign_in(workbench, "meti-analyst")
    refused = client.post("/stress/start", data={"scenario": "taiwan_blockade"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    scripted = client.post("/screen", json={"names": ["JANAN AGHA"]})
    assert scripted.status_code == 403 and "CSRF" in scripted.json()["detail"]
    token = csrf_of(client.get("/stress").text)
    allowed = client.post("/screen", json={"names": ["JANAN AGHA"]}, headers={"x-csrf-token": token})
    assert allowed.status_code == 200


def test_sign_in_is_rate_limited_and_audited(tmp_path: Path, cheap_hashes: None) -> None:
    from fastapi.testclient import TestClient

    from pinchpoint.web.app import create_web_app

    app = create_web_app(tmp_path, key="k" * 40, sign_in_per_minute=3)
    store = app.state.web.store
    store.create_org("meti")
    store.create_user("meti-admin", PASSWORD, "meti", "admin")
    client = TestClient(app)
    codes = []
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        codes.append(client.post("/login", data={"username": "meti-admin", "password": "wrong password!",
                                                 "csrf_token": token}).status_code)
    assert codes == [401, 401, 401, 429, 429]
    assert [r.action for r in store.audit_records()].count("sign_in_failed") == 3


def test_hostile_query_is_escaped(workbench: Any) -> None:
    client = sign_in(workbench, "meti-analyst")
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    page = client.get("/screening", params={"q": hostile})
    assert page.status_code == 200
    assert hostile not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_language_switch_to_japanese(workbench: Any) -> None:
    client = sign_in(workbench, "meti-viewer")
    english = client.get("/")
    assert '<html lang="en">' in english.text and "Sign out" in english.text
    client.post("/lang", data={"lang": "ja", "next": "/", "csrf_token": csrf_of(english.text)})
    japanese = client.get("/")
    assert '<html lang="ja">' in japanese.text
    for word in ("サインアウト", "概要", "サプライチェーン", "チョークポイント"):
        assert word in japanese.text


def test_every_label_has_a_japanese_translation() -> None:
    from importlib.resources import files

    from babel.messages.pofile import read_po

    web = files("pinchpoint.web")
    with (web / "locale" / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ja")
    translated = {m.id for m in catalog if m.id and m.string}
    used: set[str] = set()
    for template in (web / "templates").iterdir():
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r'_\(\s*"([^"]+)"\s*\)', text)) | set(re.findall(r"_\(\s*'([^']+)'\s*\)", text))
    from pinchpoint.web.pages import NAV

    used |= {label for _, label in NAV}
    assert len(used) > 80
    assert sorted(used - translated) == []


def test_viewer_cannot_upload(workbench: Any) -> None:
    client = sign_in(workbench, "meti-viewer")
    page = client.get("/supply-chain")
    assert 'id="upload-form"' not in page.text and 'id="no-upload"' in page.text
    response = client.post("/supply-chain/upload", data={"name": "sneaky", "csrf_token": csrf_of(page.text)},
                           files={"file": ("chain.yaml", BUILTIN_YAML.read_bytes(), "application/yaml")})
    assert response.status_code == 403 and "viewers read" in response.text
    assert "sneaky" not in _stored_datasets(workbench)


def test_upload_problem_names_file_row_and_field_and_stores_nothing(workbench: Any) -> None:
    lines = BUILTIN_YAML.read_text(encoding="utf-8").splitlines()
    row = next(k for k, line in enumerate(lines, 1) if "share: 74," in line)
    lines[row - 1] = lines[row - 1].replace("share: 74,", "share: 740,")
    client = sign_in(workbench, "meti-analyst")
    token = csrf_of(client.get("/supply-chain").text)
    response = client.post("/supply-chain/upload", data={"name": "broken", "csrf_token": token},
                           files={"file": ("my-chain.yaml", "\n".join(lines).encode(), "application/yaml")})
    assert response.status_code == 422
    cells = re.findall(r"<td>([^<]*)</td>", response.text.split('id="problems"')[1])
    assert cells[0].startswith("my-chain.yaml") and cells[1] == str(row) and "share" in cells[2]
    assert "broken" not in _stored_datasets(workbench)


def test_org_b_private_dataset_hidden_from_a_until_shared(workbench: Any) -> None:
    owner = sign_in(workbench, "commerce-analyst")
    upload_dataset(owner, "commerce-fabs", "fabs.yaml")
    partner = sign_in(workbench, "meti-analyst")
    assert 'data-dataset="commerce-fabs"' not in partner.get("/supply-chain").text
    assert partner.get("/supply-chain/commerce-fabs").status_code == 403
    assert partner.get("/supply-chain/commerce-fabs/chokepoints.csv").status_code == 403

    admin = sign_in(workbench, "commerce-admin")
    page = admin.get("/supply-chain/commerce-fabs")
    assert 'id="share"' in page.text
    shared = admin.post("/share/dataset/commerce-fabs", data={"visibility": "shared", "orgs": ["meti"],
                                                              "csrf_token": csrf_of(page.text)},
                        follow_redirects=False)
    assert shared.status_code == 303

    listing = partner.get("/supply-chain").text
    assert 'data-dataset="commerce-fabs"' in listing and "commerce-admin (meti)" in listing
    view = partner.get("/supply-chain/commerce-fabs")
    assert view.status_code == 200 and "shared with you by" in view.text and 'id="share"' not in view.text
    download = partner.get("/supply-chain/commerce-fabs/chokepoints.csv")
    assert download.status_code == 200
    # read-only: the partner's admin cannot change its sharing
    refused = sign_in(workbench, "meti-admin").post(
        "/share/dataset/commerce-fabs", data={"visibility": "public", "csrf_token": csrf_of(view.text)})
    assert refused.status_code == 403


def test_downloads_hold_the_library_result(workbench: Any) -> None:
    import duckdb

    from pinchpoint.analysis import chokepoints
    from pinchpoint.supplychain import load_chain

    expected = chokepoints(load_chain())
    client = sign_in(workbench, "meti-viewer")
    text = client.get("/supply-chain/builtin/chokepoints.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["input_id"] for r in rows] == [r["input_id"] for r in expected.rows]
    document = client.get("/supply-chain/builtin/chokepoints.json").json()
    assert document["meta"]["analysis"] == expected.meta["analysis"] and len(document["rows"]) == len(expected)
    parquet = client.get("/supply-chain/builtin/chokepoints.parquet").content
    path = Path(workbench.state.web.workspace) / "dl.parquet"
    path.write_bytes(parquet)
    assert duckdb.connect().execute(f"SELECT count(*) FROM '{path}'").fetchone() == (len(expected),)


def _wait(client: Any, job_url: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(job_url + "/status").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{job_url} did not finish in {timeout} s")


def test_packaged_scenario_runs_as_a_job_and_matches_the_library(workbench: Any) -> None:
    from pinchpoint.stress.engines import run_dynamic
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario
    from pinchpoint.supplychain import load_chain

    client = sign_in(workbench, "meti-analyst")
    token = csrf_of(client.get("/stress").text)
    started = client.post("/stress/start", data={"scenario": "renesas_naka_fire", "csrf_token": token},
                          follow_redirects=False)
    job_url = started.headers["location"]
    assert _wait(client, job_url)["status"] == "done"
    page = client.get(job_url).text
    scenario = load_scenario("renesas_naka_fire")
    expected = run_dynamic(StressNetwork.build(load_chain(scenario.dataset_ref())), scenario, runs=1, seed=0).summary
    first = expected.rows[0]
    assert 'id="stress-result"' in page and str(first["input_name"]) in page
    download = list(csv.DictReader(io.StringIO(client.get(job_url + "/files/summary.csv").text)))
    assert [r["input_id"] for r in download] == [str(r["input_id"]) for r in expected.rows]
    sidecar = client.get(job_url + "/files/summary.csv.meta.json").json()  # the CSV's provenance, linked beside it
    assert sidecar["n_rows"] == len(download) and sidecar["meta"]["scenario"] == "renesas_naka_fire"
    assert sidecar["meta"]["command"] == "pinchpoint stress renesas_naka_fire --engine dynamic --runs 1 --seed 0"
    assert "/files/summary.csv.meta.json" in page
    series = run_dynamic(StressNetwork.build(load_chain(scenario.dataset_ref())), scenario, runs=1, seed=0).series
    document = client.get(job_url + "/files/series.json").json()
    assert len(document["rows"]) == len(series) and document["meta"]["scenario"] == "renesas_naka_fire"
    assert 'id="shortfall-chart"' in page and "<polyline" in page.split('id="shortfall-chart"')[1]
    viewer = sign_in(workbench, "meti-viewer")
    assert viewer.post("/stress/start", data={"scenario": "renesas_naka_fire",
                                            "csrf_token": csrf_of(viewer.get("/stress").text)}).status_code == 403


def test_yaml_editor_reports_the_line(workbench: Any) -> None:
    from pinchpoint.stress.scenario import packaged_scenarios

    text = packaged_scenarios()["renesas_naka_fire"].read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("horizon_days"))
    lines.insert(at + 1, "horizon_dayz: 3")
    client = sign_in(workbench, "meti-analyst")
    response = client.post("/stress/start", data={"text": "\n".join(lines), "validate_only": "1",
                                                "csrf_token": csrf_of(client.get("/stress").text)})
    assert response.status_code == 422
    problem = re.search(r'id="yaml-problem">([^<]*)<', response.text)
    assert problem and f"Line {at + 2}" in problem.group(1) and "horizon_dayz" in problem.group(1)


def _customer_file() -> tuple[bytes, list[str]]:
    """200 rows: 150 names not on any list and 50 UN-listed names, read from the shared benchmark files."""
    with open(NEGATIVES, encoding="utf-8") as f:
        negatives = [r["full_name"] for r in csv.DictReader(f)][:150]
    with open(POSITIVES, encoding="utf-8") as f:
        positives = [r["full_name"] for r in csv.DictReader(f)][:50]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer_id", "name"])
    for k, name in enumerate(negatives + positives):
        writer.writerow([f"C{k:04d}", name])
    return out.getvalue().encode(), positives


def test_batch_screening_download_and_false_positive_remembered(workbench: Any) -> None:
    data, positives = _customer_file()
    client = sign_in(workbench, "meti-analyst")
    token = csrf_of(client.get("/screening").text)
    started = client.post("/screening/batch", data={"name_column": "name", "threshold": "0.8", "csrf_token": token},
                          files={"file": ("customers.csv", data, "text/csv")}, follow_redirects=False)
    job_url = started.headers["location"]
    assert _wait(client, job_url)["status"] == "done"
    result = client.get(job_url + "/files/results.csv")
    assert result.status_code == 200
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert {int(r["row"]) for r in rows} == set(range(2, 202))  # every input row answered
    assert all(r["customer_id"] for r in rows)  # the customer's own columns come back with each row
    alerts = [r for r in rows if r["status"] == "match" and r["alert"] == "new"]
    assert len({r["row"] for r in alerts}) >= 40  # most of the 50 UN names are found
    first = alerts[0]
    assert first["query"] in positives

    alerts_page = client.get(job_url + "/alerts").text
    reviewed = client.post("/screening/review", data={
        "query": first["query"], "list_name": first["list"], "entity_id": first["entity_id"],
        "decision": "false_positive", "reason": "different date of birth", "back": job_url + "/alerts",
        "csrf_token": csrf_of(alerts_page)}, follow_redirects=False)
    assert reviewed.status_code == 303

    # the alerts page shows the decision on that row (and only there)
    alerts_after = client.get(job_url + "/alerts").text
    classes = dict(re.findall(r'<tr data-entity="([^"]+)" data-row="' + first["row"] + r'" class="([^"]+)"',
                              alerts_after))
    assert classes[first["entity_id"]] == "false_positive"
    assert alerts_after.count('class="false_positive"') == 1
    # the next screening of that name remembers the decision
    page = client.get("/screening", params={"q": first["query"]}).text
    assert "different date of birth" in page
    again = client.post("/screening/batch", data={"name_column": "name", "threshold": "0.8",
                                                  "csrf_token": csrf_of(page)},
                        files={"file": ("customers.csv", data, "text/csv")}, follow_redirects=False)
    second_url = again.headers["location"]
    assert _wait(client, second_url)["status"] == "done"
    second = list(csv.DictReader(io.StringIO(client.get(second_url + "/files/results.csv").text)))
    remembered = [r for r in second if r["alert"] == "decided"]
    assert [(r["query"], r["entity_id"], r["review_decision"], r["review_reason"]) for r in remembered] == [
        (first["query"], first["entity_id"], "false positive", "different date of birth")]

    store = workbench.state.web.store
    actions = [r for r in store.audit_records() if r.actor == "meti-analyst"]
    batch = [r.details_dict() for r in actions if r.action == "screening_batch"]
    assert batch and batch[0]["rows"] == 200 and batch[0]["lists"]
    review = [r.details_dict() for r in actions if r.action == "review"]
    assert review[-1]["decision"] == "false positive"  # as screening.reviews and the CLI spell it
    assert store.verify_audit().ok
    # a partner organisation does not see meti's job
    partner = sign_in(workbench, "commerce-analyst")
    assert partner.get(job_url).status_code == 403
    assert partner.get(job_url + "/files/results.csv").status_code == 403


def test_one_name_screening_is_audited_with_list_versions(workbench: Any) -> None:
    client = sign_in(workbench, "meti-analyst")
    page = client.get("/screening", params={"q": "JANAN AGHA"})
    assert page.status_code == 200 and 'data-entity="' in page.text
    record = [r for r in workbench.state.web.store.audit_records() if r.action == "screening"][-1]
    details = record.details_dict()
    assert details["query"] == "JANAN AGHA" and details["lists"] and details["results"]
    assert record.actor == "meti-analyst"


def test_admin_page_only_for_admins_and_role_change_audited(tmp_path: Path, cheap_hashes: None) -> None:
    app = make_workbench(tmp_path)
    assert sign_in(app, "meti-analyst").get("/admin").status_code == 403
    admin = sign_in(app, "meti-admin")
    page = admin.get("/admin")
    assert page.status_code == 200 and "audit trail intact" in page.text
    changed = admin.post("/admin/role", data={"username": "meti-viewer", "role": "analyst",
                                              "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert changed.status_code == 303
    assert app.state.web.store.user("meti-viewer").role.value == "analyst"
    other = admin.post("/admin/role", data={"username": "commerce-viewer", "role": "admin",
                                            "csrf_token": csrf_of(page.text)})
    assert other.status_code == 403


@pytest.mark.parametrize("path", ["/supply-chain/nope", "/jobs/nope", "/supply-chain/builtin/x.csv"])
def test_unknown_things_are_clear_errors_not_500(workbench: Any, path: str) -> None:
    response = sign_in(workbench, "meti-viewer").get(path)
    assert response.status_code in (400, 404)


def test_controls_search_and_entry_across_jurisdictions(controls_workspace: Path, cheap_hashes: None) -> None:
    from pinchpoint.controls.search import ControlIndex
    from pinchpoint.controls.store import load_lists
    from pinchpoint.workspace import Workspace

    with Workspace(controls_workspace) as ws:
        lists = load_lists(ws)
    expected = ControlIndex([e for c in lists for e in c.entries]).search("EUV pellicle", limit=25).records()
    app = make_workbench(controls_workspace)
    client = sign_in(app, "meti-viewer")
    page = client.get("/controls", params={"q": "EUV pellicle", "code": "3B001"})
    assert page.status_code == 200 and 'class="error"' not in page.text
    assert str(expected[0]["code"]) in page.text
    assert "Across jurisdictions" in page.text
    from pinchpoint.controls.crosswalk import alignment

    expected_walk = alignment(list(lists), ["US", "JP"], "3B")
    walk = client.get("/controls", params={"source": "US", "target": "JP", "scope": "3B"})
    assert walk.status_code == 200 and 'class="error"' not in walk.text
    assert str(expected_walk.rows[0][expected_walk.columns[0]]) in walk.text


def test_screening_without_lists_says_so(tmp_path: Path, cheap_hashes: None) -> None:
    app = make_workbench(tmp_path)
    page = sign_in(app, "meti-analyst").get("/screening", params={"q": "anyone"})
    assert page.status_code == 200 and "no restricted-party lists" in page.text and "pinchpoint lists load" in page.text
    controls = sign_in(app, "meti-analyst").get("/controls", params={"q": "pellicle"})
    assert "no control lists" in controls.text and "pinchpoint controls load" in controls.text


def test_a_viewer_cannot_run_through_the_api_either(workbench: Any) -> None:
    from fastapi.testclient import TestClient

    store = workbench.state.web.store
    key = store.create_api_key(store.user("meti-viewer").actor(), "viewer script")
    client = TestClient(workbench)
    refused = client.post("/screen", json={"names": ["JANAN AGHA"]}, headers={"authorization": f"Bearer {key}"})
    assert refused.status_code == 403 and "viewers read" in refused.json()["detail"]
    assert client.get("/lists", headers={"authorization": f"Bearer {key}"}).status_code == 200
    assert store.audit_records()[-1].action == "access_denied"


def test_the_json_api_obeys_ownership_and_sharing(workbench: Any) -> None:
    from fastapi.testclient import TestClient

    if "/supplychain/chokepoints" not in {r.path for r in _routes(workbench.routes)}:
        pytest.skip("the JSON API has no supply-chain routes here")
    store = workbench.state.web.store
    _upload_as(workbench, "commerce-analyst", "commerce-api", BUILTIN_YAML.read_bytes())
    auth = {"authorization": f"Bearer {store.create_api_key(store.user('meti-analyst').actor(), 'script')}"}
    client = TestClient(workbench)
    refused = client.get("/supplychain/chokepoints", params={"dataset": "commerce-api"}, headers=auth)
    assert refused.status_code == 403, refused.text[:300]
    store.share(store.user("commerce-admin").actor(), "dataset", "commerce-api", ["meti"])
    allowed = client.get("/supplychain/chokepoints", params={"dataset": "commerce-api"}, headers=auth)
    assert allowed.status_code == 200, allowed.text[:300]


def test_own_password_change_and_api_key_from_the_account_page(tmp_path: Path, cheap_hashes: None) -> None:
    from fastapi.testclient import TestClient

    app = make_workbench(tmp_path)
    client = sign_in(app, "meti-analyst")
    page = client.get("/account").text
    wrong = client.post("/account/password", data={"current": "not it at all", "new": "another long one",
                                                   "csrf_token": csrf_of(page)})
    assert wrong.status_code == 400 and "not right" in wrong.text
    client.post("/account/password", data={"current": PASSWORD, "new": "another long one",
                                           "csrf_token": csrf_of(page)})
    sign_in(app, "meti-analyst", "another long one")
    made = client.post("/account/key", data={"label": "nightly", "csrf_token": csrf_of(page)})
    key = re.search(r"<code>(pp_[^<]+)</code>", made.text)
    assert key is not None
    api = TestClient(app).get("/lists", headers={"authorization": f"Bearer {key.group(1)}"})
    assert api.status_code == 200
