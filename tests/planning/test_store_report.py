"""The registry versioned in the workspace, and the plan's HTML report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pinchpoint.planning.registry import load_registry


def test_awards_versioned_in_the_workspace(tmp_path: Path) -> None:
    from pinchpoint.planning.store import store_awards, stored_awards, stored_versions
    from pinchpoint.workspace import Workspace

    registry = load_registry()
    with Workspace(tmp_path / "ws") as ws:
        first = store_awards(ws, registry.awards, source="builtin")
        again = store_awards(ws, registry.awards)
        assert first.created and not again.created and again.version == first.version
        changed = [replace(a, amount=a.amount + 1) if a.id == "us-chips-hp-2025" else a for a in registry.awards]
        second = store_awards(ws, changed)
        assert second.created and second.version != first.version
        assert len(stored_versions(ws, "registry")) == 2
        latest = {a.id: a for a in stored_awards(ws, registry)}
        assert latest["us-chips-hp-2025"].amount == 53_000_001
        old = {a.id: a for a in stored_awards(ws, registry, version=first.version)}
        assert old["us-chips-hp-2025"].amount == 53_000_000
        assert [a.figures() for a in old.values()] == [a.figures() for a in registry.awards]


def test_plan_report_and_country_shares(tmp_path: Path) -> None:
    pytest.importorskip("highspy")
    from pinchpoint.planning.measures import load_measures
    from pinchpoint.planning.planner import plan
    from pinchpoint.planning.report import write_plan_report
    from pinchpoint.supplychain.load import load_chain

    result = plan(load_chain("builtin"), load_measures("example"), budget=3000, coalition=["USA", "JPN"])
    rows = {r["country"]: r for r in result.countries.records()}
    chosen_capacity = {r["country"] for r in result.portfolio.records() if r["kind"] == "capacity"}
    assert chosen_capacity and all(rows[c]["share_after"] > rows[c]["share_before"] for c in chosen_capacity)
    # new capacity elsewhere dilutes everyone else's share (renormalised), never raises it
    assert all(r["share_after"] <= r["share_before"] + 1e-12 for c, r in rows.items() if c not in chosen_capacity)
    html = write_plan_report(result, tmp_path / "report", command="pinchpoint plan test").read_text("utf-8")
    assert html.count("<svg") >= 3  # frontier and the two maps
    assert "Risk against budget" in html and "neon_recycling_us" in html
    assert (tmp_path / "report" / "plan_frontier.csv").exists()
    # with the built-in projection: shares of world capacity by region, and node-class additions apart (the
    # regions' totals, in millions of wafers, are never charted as what the pipeline adds)
    from pinchpoint.planning.projects import load_baseline, load_projects, projection

    projected = projection(load_projects(), load_baseline(), [2030], draws=20)
    html = write_plan_report(result, tmp_path / "with-projection", projection=projected).read_text("utf-8")
    assert "Share of world capacity by region, 2030" in html and "Capacity by node class, 2030" in html
    assert "Capacity the pipeline adds" not in html
