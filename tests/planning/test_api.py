"""The planning routes answer with the CLI's JSON documents; bad input is a 4xx naming what is wrong."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def client(tmp_path_factory):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from pinchpoint.api.app import create_app

    return TestClient(create_app(workspace=tmp_path_factory.mktemp("ws") / "ws"))


def test_incentives_projects_targets(client) -> None:  # type: ignore[no-untyped-def]
    from pinchpoint.planning.registry import load_registry

    doc = client.get("/planning/incentives", params={"country": "DEU"}).json()
    assert {r["award_id"] for r in doc["rows"]} == {a.id for a in load_registry().awards if a.country == "DEU"}
    assert doc["meta"]["caveats"]
    assert client.get("/planning/incentives", params={"since": "last week"}).status_code == 422
    assert client.get("/planning/incentives", params={"programme": "chips"}).status_code == 404
    import yaml

    from pinchpoint.planning.registry import data_path

    listed = yaml.safe_load(data_path("projects.yaml").read_text(encoding="utf-8"))["projects"]
    assert [r["project_id"] for r in client.get("/planning/projects").json()["rows"]] == [p["id"] for p in listed]
    assert {r["target_id"] for r in client.get("/planning/targets").json()["rows"]} == {
        "jpn-2030-domestic-sales", "eu-2030-global-share"}
    proj = client.get("/planning/projection", params={"from": 2030, "to": 2030, "delays": "none"}).json()
    assert all(abs(r["capacity_mean"] - r["capacity_deterministic"]) < 0.05 for r in proj["rows"])
    # a negative seed was a 500 (numpy refuses it): found by the web API fuzz test
    assert client.get("/planning/projection", params={"seed": -1}).status_code == 422


def test_plan_route(client) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("highspy")
    measures = [{"id": "neon_us", "kind": "capacity", "input": "neon", "country": "USA", "capacity": 0.2,
                 "cost": 100, "lead_time_years": 1}]
    doc = client.post("/planning/plan", json={"measures": measures, "budget": 200, "table": "frontier"}).json()
    assert len(doc["rows"]) == 11 and doc["rows"][-1]["risk"] < doc["rows"][0]["risk"]
    bad = client.post("/planning/plan", json={"measures": [{**measures[0], "country": "XYZ"}], "budget": 5})
    assert bad.status_code == 422 and "unknown country" in bad.text
    missing = client.post("/planning/plan", json={"measures": measures, "budget": 5, "objective": "shortfall",
                                                  "scenarios": ["../../etc/passwd"]})
    # the server reads no file a client names (the session's rule for every scenario), and says so
    assert missing.status_code == 422 and "packaged or posted scenarios, not files" in missing.text
    unknown = client.post("/planning/plan", json={"measures": measures, "budget": 5, "objective": "shortfall",
                                                  "scenarios": ["taiwan_blockad"]})
    assert unknown.status_code == 404 and "taiwan_blockade" in unknown.text
