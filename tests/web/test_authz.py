"""Access control across organisations, as trial 12 attacked it (findings F15, F16, F17, F20): every form of a
dataset reference is authorised on the dataset it resolves to, listings and errors tell nothing another
organisation keeps, review decisions are the signed-in user's, and a session cookie dies with sign-out and a
password change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, csrf_of, make_workbench, sign_in, upload_dataset

# the workspace's data without the accounts another test's workbench may have made beside it
WORKSPACE_ONLY = shutil.ignore_patterns("accounts.sqlite*", "web-*")


def _version(app: Any, name: str) -> str:
    from pinchpoint.workspace import Workspace

    with Workspace.open_reader(app.state.web.workspace) as ws:
        return next(str(r["version"]) for r in ws.list_datasets().rows if r["name"] == name)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, lists_workspace: Path, cheap_hashes: None) -> Any:
    """A workbench of its own (these tests record decisions and stored screenings) over a copy of the workspace
    holding the real UN list."""
    folder = tmp_path_factory.mktemp("authz") / "ws"
    shutil.copytree(lists_workspace, folder, ignore=WORKSPACE_ONLY)
    return make_workbench(folder)


@pytest.fixture(scope="module")
def private_dataset(app: Any) -> tuple[Any, str, str]:
    """The workbench, where organisation 'meti' holds the private dataset 'secretfabs'."""
    upload_dataset(sign_in(app, "meti-analyst"), "secretfabs")
    return app, "secretfabs", _version(app, "secretfabs")


def _api(client: Any) -> dict[str, str]:
    """The headers a script signed in with the cookie sends on a state-changing call (its CSRF token)."""
    return {"X-CSRF-Token": csrf_of(client.get("/account").text)}


def _un_entity(app: Any) -> tuple[str, str]:
    """(entity id, primary name) of one entity of the UN list the workspace holds."""
    entity = app.state.session.screening.screener().lists[0].entities[0]
    return entity.entity_id, entity.primary_name


def test_a_private_dataset_is_refused_under_every_form_of_its_name(private_dataset: tuple[Any, str, str]) -> None:
    """F15: 'name@', 'name@2', 'name@<version>' named the same private dataset as 'name' but were let through."""
    app, name, version = private_dataset
    outsider = sign_in(app, "commerce-analyst")
    refs = [name, f"{name}@", f"{name}@{version}", f"{name}@{version[:4]}", f"{name}@{version[:1]}",
            f"{name}@latest"]
    for ref in refs:
        for analysis in ("chokepoints", "exposure", "concentration"):
            answer = outsider.get(f"/supplychain/{analysis}", params={"dataset": ref, "level": "organisation"})
            assert answer.status_code == 403, (ref, analysis, answer.text[:300])
            assert version not in answer.text, (ref, analysis)
        assert outsider.get(f"/supply-chain/{ref}").status_code == 403, ref
        assert outsider.get(f"/supply-chain/{ref}/chokepoints.csv").status_code == 403, ref
        assert outsider.get("/", params={"dataset": ref}).status_code == 403, ref
        stress = outsider.get("/stress/run/taiwan_blockade", params={"engine": "static", "dataset": ref})
        assert stress.status_code == 403, (ref, stress.text[:300])
        planned = outsider.post("/planning/plan", headers=_api(outsider), json={
            "measures": [{"id": "neon_us", "kind": "capacity", "input": "neon", "country": "USA", "capacity": 0.2,
                          "cost": 100, "lead_time_years": 1}], "budget": 200, "dataset": ref})
        assert planned.status_code == 403, (ref, planned.text[:300])
    # the owners still reach it under every form
    owner = sign_in(app, "meti-viewer")
    for ref in refs[:5]:
        assert owner.get("/supplychain/chokepoints", params={"dataset": ref}).status_code == 200, ref
    assert owner.get(f"/supply-chain/{name}@{version[:6]}/chokepoints.csv").status_code == 200
    # nothing the outsider tried was recorded as an export of the dataset
    store = app.state.web.store
    assert not [r for r in store.audit_records() if r.actor == "commerce-analyst" and r.action == "export"]


def test_errors_suggest_no_names_or_versions_the_caller_may_not_read(private_dataset: tuple[Any, str, str]) -> None:
    """F15: a 404 listed 'valid datasets: eto, evil', 'did you mean evil?' and another organisation's versions."""
    app, name, version = private_dataset
    outsider = sign_in(app, "commerce-analyst")
    for ref in ("nonexistent", name[:-1], name + "x", f"{name[:-1]}@{version[:4]}"):
        answer = outsider.get("/supplychain/chokepoints", params={"dataset": ref})
        assert answer.status_code == 404, (ref, answer.text[:300])
        assert name not in answer.text.replace(ref, ""), (ref, answer.text[:300])
        assert version[:8] not in answer.text.replace(ref, ""), ref
    # its owners are still told
    near = sign_in(app, "meti-analyst").get("/supplychain/chokepoints", params={"dataset": name[:-1]})
    assert near.status_code == 404 and name in near.json()["suggestions"]


def test_decisions_are_shown_to_their_own_organisation_only(app: Any) -> None:
    """F16: GET /reviews gave every user every organisation's decisions, with their reasons."""
    from pinchpoint.accounts.hook import CURRENT_ACTOR
    from pinchpoint.accounts.model import Actor

    entity_id, name = _un_entity(app)
    secret = "CONFIDENTIAL meti: customer 4711 is the Dubai freight agent"
    admin = sign_in(app, "meti-admin")
    decided = admin.post("/reviews", headers=_api(admin), json={
        "query": name, "entity_id": entity_id, "decision": "false positive", "reviewer": "meti-admin",
        "reason": secret})
    assert decided.status_code == 200, decided.text[:300]
    assert decided.json()["organisation"] == "meti"
    outsider = sign_in(app, "commerce-analyst").get("/reviews")
    assert outsider.status_code == 200 and secret not in outsider.text
    assert all(r["organisation"] in ("", "commerce") for r in outsider.json()["rows"])
    own = sign_in(app, "meti-viewer").get("/reviews")
    assert [r["reason"] for r in own.json()["rows"] if r["entity_id"] == entity_id] == [secret]
    # the operator (the server's own terminal) sees every organisation's
    token = CURRENT_ACTOR.set(Actor.system())
    try:
        assert secret in [r["reason"] for r in app.state.session.screening.review_table().rows]
    finally:
        CURRENT_ACTOR.reset(token)


def test_stored_screenings_are_their_organisations_and_name_no_server_path(app: Any) -> None:
    """F16: GET /screenings listed every stored screening with the server's workspace path, and POST
    /screen/since-last re-screened a store someone else made."""
    from pinchpoint.screening.delta import StoredRow, make_stored, store_screening
    from pinchpoint.screening.matcher import Screener
    from pinchpoint.screening.store import read_lists
    from pinchpoint.workspace import Workspace

    folder = app.state.web.workspace
    screener = Screener(read_lists(folder))
    names = [e.primary_name for e in screener.lists[0].entities[:3]]
    found = {k + 2: m for k, q in enumerate(names) if (m := screener.screen(q, limit=1000))}
    rows = [StoredRow(k + 2, q) for k, q in enumerate(names)]
    with Workspace(folder) as ws:
        store_screening(ws, make_stored("operator-customers", "customers.csv", ["name"], "name", {}, rows, found,
                                        screener))  # at the CLI: the operator's
    outsider = sign_in(app, "commerce-analyst")
    listed = outsider.get("/screenings")
    assert listed.status_code == 200 and listed.json()["rows"] == []
    assert str(folder) not in listed.text and "customers" not in listed.text
    with Workspace(folder) as ws:
        store_screening(ws, make_stored("meti-customers", "meti.csv", ["name"], "name", {}, rows, found, screener),
                        organisation="meti")
    for store in ("operator-customers", "meti-customers"):
        refused = outsider.post("/screen/since-last", headers=_api(outsider), json={"store": store})
        assert refused.status_code == 404, (store, refused.text[:300])
        assert "customers" not in refused.text.replace(store, "") and str(folder) not in refused.text
    meti = sign_in(app, "meti-analyst")
    seen = meti.get("/screenings")
    assert {r["key"] for r in seen.json()["rows"]} == {"meti-customers"} and str(folder) not in seen.text
    again = meti.post("/screen/since-last", headers=_api(meti), json={"store": "meti-customers"})
    assert again.status_code == 200 and str(folder) not in again.text, again.text[:300]
    assert meti.post("/screen/since-last", headers=_api(meti), json={"store": "operator-customers"}
                     ).status_code == 404


def test_a_decision_is_recorded_under_the_signed_in_user_only(app: Any) -> None:
    """F17: through the JSON API an analyst recorded a decision with "reviewer": "admin"."""
    entity_id, name = _un_entity(app)
    analyst = sign_in(app, "commerce-analyst")
    forged = analyst.post("/reviews", headers=_api(analyst), json={
        "query": name, "entity_id": entity_id, "decision": "false positive", "reviewer": "commerce-admin",
        "reason": "forged reviewer"})
    assert forged.status_code == 422, forged.text[:300]
    assert "commerce-admin" in forged.json()["message"] and "signed-in" in forged.json()["message"]
    assert "forged reviewer" not in analyst.get("/reviews").text
    # left out, or given as the user's own name, the decision is the signed-in user's
    for body in ({}, {"reviewer": "commerce-analyst"}):
        decided = analyst.post("/reviews", headers=_api(analyst), json={
            "query": name, "entity_id": entity_id, "decision": "false positive", "reason": "own", **body})
        assert decided.status_code == 200, decided.text[:300]
        assert decided.json()["reviewer"] == "commerce-analyst"
    # an API key is its user too
    store = app.state.web.store
    key = store.create_api_key(store.user("commerce-analyst").actor(), "script")
    from fastapi.testclient import TestClient

    scripted = TestClient(app).post("/reviews", headers={"authorization": f"Bearer {key}"}, json={
        "query": name, "entity_id": entity_id, "decision": "true match", "reviewer": "admin"})
    assert scripted.status_code == 422, scripted.text[:300]


def test_serve_without_sign_in_over_a_workbench_workspace_changes_nothing(
        private_dataset: tuple[Any, str, str], lists_workspace: Path, tmp_path: Path) -> None:
    """F4: plain `pinchpoint serve` (no --web) took review decisions from anyone, under any name, stored for no
    organisation, so they silenced every organisation's alert, with no audit record. Over a workspace with no
    accounts (single-user local use) it still takes them."""
    from fastapi.testclient import TestClient

    from pinchpoint.api.app import create_app

    app, name, _ = private_dataset
    folder = app.state.web.workspace
    entity_id, query = _un_entity(app)
    plain = TestClient(create_app(workspace=folder), raise_server_exceptions=False)
    before = len(app.state.web.store.audit_records())
    forged = plain.post("/reviews", json={"query": query, "entity_id": entity_id, "decision": "false positive",
                                          "reviewer": "<script>alert(1)</script>", "reason": "=HYPERLINK(\"x\")"})
    assert forged.status_code == 403, forged.text[:300]
    assert "serve --web" in forged.json()["message"]
    assert plain.post("/screen/since-last", json={}).status_code == 403
    assert plain.post("/trends/import", json={"text": "date,value\n2024-01,1\n2024-02,2\n",
                                               "name": "x.csv"}).status_code == 403
    # nor does it read what an organisation keeps private
    assert plain.get("/supplychain/chokepoints", params={"dataset": name}).status_code == 403
    assert plain.get("/supplychain/chokepoints", params={"dataset": f"{name}@"}).status_code == 403
    assert name not in plain.get("/supplychain/datasets").text
    # screening and common data still answer
    assert plain.post("/screen", json={"names": [query]}).status_code == 200
    assert plain.get("/supplychain/chokepoints").status_code == 200
    # the decision was not stored, so a signed-in user's alert is still new; the refusals are audited
    analyst = sign_in(app, "commerce-viewer")
    signed = analyst.get("/reviews")
    assert signed.status_code == 200 and "HYPERLINK" not in signed.text
    refused = [r for r in app.state.web.store.audit_records()[before:] if r.action == "access_denied"]
    assert any("screening.review" in r.details and r.actor == "anonymous" for r in refused)

    local = tmp_path / "local"
    shutil.copytree(lists_workspace, local, ignore=WORKSPACE_ONLY)
    single = TestClient(create_app(workspace=local))
    decided = single.post("/reviews", json={"query": query, "entity_id": entity_id, "decision": "false positive",
                                            "reviewer": "me"})
    assert decided.status_code == 200 and decided.json()["reviewer"] == "me"
    assert single.post("/reviews", json={"query": query, "entity_id": entity_id,
                                         "decision": "true match"}).status_code == 422  # it names its reviewer


def _copy(app: Any, client: Any) -> Any:
    """Another client holding a copy of ``client``'s session cookie (a stolen or left-behind one)."""
    from fastapi.testclient import TestClient

    from pinchpoint.web.app import SESSION_COOKIE

    thief = TestClient(app)
    thief.cookies.set(SESSION_COOKIE, client.cookies.get(SESSION_COOKIE))
    return thief


def test_a_session_cookie_dies_with_sign_out_and_password_change(app: Any) -> None:
    """F20: the session was a signed client-side cookie with nothing to revoke: a copy kept working for 8 hours
    after sign-out and after a password change."""
    from pinchpoint.accounts.model import Actor

    user = sign_in(app, "commerce-viewer")
    copied = _copy(app, user)
    assert copied.get("/supplychain/datasets").status_code == 200
    out = user.post("/logout", data={"csrf_token": csrf_of(user.get("/account").text)}, follow_redirects=False)
    assert out.status_code == 303
    assert copied.get("/supplychain/datasets").status_code == 401
    assert copied.get("/account", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303

    # an admin's reset (pinchpoint users password NAME) ends every session of the account
    again = sign_in(app, "commerce-viewer")
    assert again.get("/supplychain/datasets").status_code == 200
    app.state.web.store.set_password("commerce-viewer", "a brand new passphrase", Actor.system())
    assert again.get("/supplychain/datasets").status_code == 401
    assert "commerce-viewer" in [r.target.removeprefix("user:") for r in app.state.web.store.audit_records()
                                 if r.action == "password_change"]

    # the user's own change keeps the session that made it, and ends the others
    mine = sign_in(app, "commerce-viewer", "a brand new passphrase")
    elsewhere = _copy(app, mine)
    changed = mine.post("/account/password", data={"current": "a brand new passphrase", "new": PASSWORD,
                                                   "csrf_token": csrf_of(mine.get("/account").text)},
                        follow_redirects=False)
    assert changed.status_code == 303, changed.text[:300]
    assert mine.get("/supplychain/datasets").status_code == 200
    assert elsewhere.get("/supplychain/datasets").status_code == 401
