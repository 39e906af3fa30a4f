"""ARIO-compatible mode: invariants on generated tables, pymrio's text layout, and BoARIO on pymrio's test table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pinchpoint.errors import DataError
from pinchpoint.stress.ario import IOTable, run_ario, schedule
from pinchpoint.stress.engines import SimulationError
from pinchpoint.stress.scenario import ArioParameters, Scenario
from tests.peers import install_peers, peer_env

PEER = Path(__file__).with_name("boario_peer.py")


def mrio(regions: int = 3, sectors: int = 4, seed: int = 1) -> IOTable:
    """A random but balanced multi-regional table: every industry buys from every sector, mostly at home."""
    rng = np.random.default_rng(seed)
    n = regions * sectors
    Z = rng.uniform(0.5, 2.0, (n, n))
    home = np.kron(np.eye(regions), np.ones((sectors, sectors)))
    Z *= 1.0 + 4.0 * home
    Y = rng.uniform(5.0, 10.0, (n, regions))
    names_r = [f"r{i}" for i in range(regions)]
    names_s = [f"s{i}" for i in range(sectors)]
    return IOTable(Z=Z, Y=Y, regions=tuple(r for r in names_r for _ in names_s),
                   sectors=tuple(s for _ in names_r for s in names_s), unit="test", source="generated",
                   fd_regions=tuple(names_r))


def shock(table: IOTable, region: str, sector: str, fraction: float, start: int, days: int, length: int) -> np.ndarray:
    loss = np.zeros((days, len(table.regions)))
    k = table.industries.index((region, sector))
    loss[start:start + length, k] = fraction
    return loss


def test_no_shock_stays_at_baseline_for_a_year() -> None:
    table = mrio()
    result = run_ario(table, np.zeros((365, 12)))
    assert np.allclose(result.production, result.baseline[None, :], rtol=1e-9, atol=0)
    assert result.production_loss == pytest.approx(0.0, abs=1e-9 * result.baseline.sum())


def test_capacity_loss_propagates_and_recovers() -> None:
    table = mrio()
    # Hallegatte's fixed order shares: buyers cannot re-route orders to the other regions' s1
    result = run_ario(table, shock(table, "r0", "s1", 0.5, 10, 365, 90), ArioParameters(order_shares="fixed"))
    k = table.industries.index(("r0", "s1"))
    ratio = result.production / result.baseline[None, :]
    assert ratio[:10].min() == pytest.approx(1.0)
    # the shocked industry is held to its capacity (the over-production ceiling has barely moved yet)
    assert ratio[10, k] <= 0.5 * 1.25 + 1e-9
    assert (result.production <= result.capacity + 1e-9).all()
    # 90 days of stock and psi = 0.8: buyers keep producing for a while, then the shortage propagates
    # buyers hold 90 days of stock and cut only below psi = 80% of it: nobody is short of inputs at first (their
    # output falls only because the shocked industry orders less from them)
    others = [i for i in range(12) if i != k]
    assert not result.stock_limited[:20, others].any()
    assert result.stock_limited[:, others].any()
    assert result.production_loss > 0
    assert ratio[-1].min() > 0.99  # a year later, back near baseline
    summary = result.summary()
    assert summary.rows[0]["region"] == "r0" and summary.rows[0]["sector"] == "s1"
    series = result.series()
    assert len(series) == 3 * 365
    r0 = [row for row in series.rows if row["region"] == "r0"]
    assert r0[0]["production_ratio"] == pytest.approx(1.0) and min(r["production_ratio"] for r in r0) < 1.0
    assert sum(r["production"] for r in series.rows) == pytest.approx(result.production.sum())


def test_infinite_inventories_keep_the_shock_local() -> None:
    table = mrio()
    params = ArioParameters(inventory_days_by_sector={f"s{i}": float("inf") for i in range(4)})
    result = run_ario(table, shock(table, "r0", "s1", 0.5, 10, 120, 30), params)
    k = table.industries.index(("r0", "s1"))
    assert not result.stock_limited.any()
    assert result.final_demand_unmet[:, k].max() > 0


def test_overproduction_is_capped_and_rationing_is_proportional() -> None:
    table = mrio()
    result = run_ario(table, shock(table, "r1", "s2", 0.3, 5, 400, 400))
    k = table.industries.index(("r1", "s2"))
    x0 = table.x[k] / 365
    assert result.capacity[5:, k].max() <= x0 * 0.7 * 1.25 + 1e-9
    # over-production builds up while demand exceeds capacity: capacity rises above 70% of baseline
    assert result.capacity[-1, k] > x0 * 0.7 * 1.05
    assert (result.final_demand_unmet >= -1e-12).all()


def test_total_loss_collapses_with_a_clear_message() -> None:
    table = mrio()
    loss = np.zeros((100, 12))
    loss[5:, :] = 0.9
    with pytest.raises(SimulationError, match="collapse"):
        run_ario(table, loss)


def test_scenario_shocks_map_to_regions_and_sectors(tmp_path: Path) -> None:
    table = mrio()
    sc = Scenario.model_validate({
        "name": "t", "title": "t", "horizon_days": 60,
        "shocks": [{"type": "capacity_loss", "country": "r2", "input": "s0", "fraction": 0.4, "start": 3,
                    "duration": 5, "recovery": {"shape": "linear", "ramp_days": 10}},
                   {"type": "demand_surge", "increase": 0.1, "outputs": ["s3"], "start": 0, "duration": 60}]})
    plan = schedule(table, sc, 60)
    delta, demand = plan.loss, plan.demand
    assert demand is not None
    k = table.industries.index(("r2", "s0"))
    assert delta[3, k] == pytest.approx(0.4) and delta[2, k] == 0 and delta[13, k] == pytest.approx(0.2)
    assert delta[:, [i for i in range(12) if i != k]].max() == 0
    assert demand[0, table.industries.index(("r1", "s3"))] == pytest.approx(1.1)
    bad = sc.model_copy(update={"shocks": (sc.shocks[0].model_copy(update={"country": "mars"}),)})
    with pytest.raises(DataError, match="mars"):
        schedule(table, bad, 60)


def _write_pymrio_text(table: IOTable, folder: Path) -> None:
    """The layout pandas writes for pymrio's save_all: column levels, then a row of index names."""
    folder.mkdir()
    z_cols = (["", "region", *table.regions], ["", "sector", *table.sectors])
    y_cols = (["", "region", *[f"r{j}" for j in range(table.Y.shape[1])]], ["", "category", *["fd"] * table.Y.shape[1]])
    for name, matrix, cols in (("Z.txt", table.Z, z_cols), ("Y.txt", table.Y, y_cols)):
        lines = ["\t".join(cols[0]), "\t".join(cols[1]), "region\tsector"]
        lines += ["\t".join([r, s, *map(repr, row)]) for r, s, row in zip(table.regions, table.sectors, matrix.tolist(),
                                                                           strict=True)]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_reads_pymrio_text_layout_and_reports_bad_cells(tmp_path: Path) -> None:
    table = mrio()
    _write_pymrio_text(table, tmp_path / "t")
    read = IOTable.read(tmp_path / "t")
    assert read.industries == table.industries
    assert np.allclose(read.Z, table.Z) and np.allclose(read.Y, table.Y)
    z = tmp_path / "t" / "Z.txt"
    lines = z.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split("\t")
    cells[5] = "n/a"
    lines[4] = "\t".join(cells)
    z.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        IOTable.read(tmp_path / "t")
    assert err.value.location.row == 5 and err.value.location.field == "r0/s3"
    assert "n/a" in str(err.value) and "Z.txt" in str(err.value)


@pytest.fixture(scope="session")
def peers() -> Path:
    """BoARIO and pymrio (GPL comparison peers), installed into a cache outside the repository when available."""
    found = install_peers()
    if isinstance(found, str):
        pytest.skip(f"{found}: the BoARIO comparison needs them (pinchpoint itself does not depend on them)")
    return found


def test_matches_boario_on_pymrio_test_table(peers: Path) -> None:
    """50% capacity loss of reg1 manufacturing for 30 days, then a 60-day linear recovery, over a year."""
    out = subprocess.run([sys.executable, str(PEER), "reg1", "manufactoring", "0.5", "5", "30", "60", "365"],
                         env=peer_env(peers), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    peer = json.loads(out.stdout)
    table = IOTable.read(peers / "pymrio" / "mrio_models" / "test_mrio" / "mrio_data")
    # The same shock in pinchpoint's terms. BoARIO applies an event from the step after its occurrence and holds
    # it one step past its duration (its recorded capacity shows this), so: day 6, 31 days, 60-day linear ramp.
    sc = Scenario.model_validate({
        "name": "fire", "title": "fire", "horizon_days": 365,
        "shocks": [{"type": "capacity_loss", "country": "reg1", "input": "manufactoring", "fraction": 0.5,
                    "start": 6, "duration": 31, "recovery": {"shape": "linear", "ramp_days": 60}}]})
    delta = schedule(table, sc, 365).loss
    k = table.industries.index(("reg1", "manufactoring"))
    assert np.allclose(delta[:, k], np.clip(peer["capacity_loss"], 0, 1), atol=1e-6)  # BoARIO rounds
    ours = run_ario(table, delta)
    theirs_base = np.array(peer["baseline"])
    theirs = np.array(peer["production"])
    theirs_loss = float(theirs_base.sum() * 365 - theirs.sum())
    assert theirs_loss > 0
    assert ours.production_loss == pytest.approx(theirs_loss, rel=0.05)
    # and day by day, in total
    assert np.allclose(ours.production.sum(axis=1), theirs.sum(axis=1), rtol=1e-3)


def test_cli_runs_a_scenario_on_a_table_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    table = mrio()
    _write_pymrio_text(table, tmp_path / "table")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: r2-s0\ntitle: r2 s0 halved\nhorizon_days: 120\nshocks:\n"
                        "  - {type: capacity_loss, country: r2, input: s0, fraction: 0.5, start: 5, duration: 20}\n"
                        "ario: {inventory_days: 30, order_shares: fixed}\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["stress", str(scenario), "--engine", "ario", "--mrio", str(tmp_path / "table"),
                                   "-f", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["rows"]
    assert (rows[0]["region"], rows[0]["sector"]) == ("r2", "s0")
    assert rows[0]["lowest_output"] == pytest.approx(0.5)
    direct = run_ario(table, shock(table, "r2", "s0", 0.5, 5, 120, 20),
                      ArioParameters(inventory_days=30, order_shares="fixed"))
    assert sum(r["production_lost"] for r in rows) == pytest.approx(direct.production_loss)
    bad = CliRunner().invoke(app, ["stress", str(scenario), "--engine", "ario", "--mrio", str(tmp_path / "nope")])
    assert bad.exit_code == 2 and "nope" in bad.output


def _scenario(**extra: object) -> Scenario:
    base: dict[str, object] = {"name": "t", "title": "t", "horizon_days": 200,
                               "shocks": [{"type": "capacity_loss", "country": "r0", "input": "s1", "fraction": 0.0}]}
    base.update(extra)
    return Scenario.model_validate(base)


def test_trade_restrictions_that_restrict_nothing_change_nothing() -> None:
    table = mrio()
    plain = run_ario(table, shock(table, "r0", "s1", 0.4, 5, 200, 40))
    # a ban fully leaking through third countries: the per-region code path, with every flow open
    sc = _scenario(shocks=[{"type": "capacity_loss", "country": "r0", "input": "s1", "fraction": 0.4, "start": 5,
                            "duration": 40},
                           {"type": "export_ban", "country": "r1", "fraction": 1.0, "leakage": 1.0,
                            "start": 0, "duration": 200}])
    plan = schedule(table, sc, 200)
    assert plan.flows(10) is not None
    restricted = run_ario(table, plan)
    assert np.allclose(restricted.production, plain.production, rtol=1e-9)


def test_export_ban_reroutes_orders_and_blocks_final_demand() -> None:
    table = mrio()
    sc = _scenario(shocks=[{"type": "export_ban", "country": "r0", "inputs": ["s1"], "fraction": 1.0,
                            "start": 10, "duration": 200}])
    result = run_ario(table, schedule(table, sc, 200))
    k = table.industries.index(("r0", "s1"))
    y_abroad = sum(table.Y[k, j] for j, r in enumerate(table.fd_regions) if r != "r0") / 365
    # from day 10, r0's s1 cannot serve foreign final buyers at all
    assert result.final_demand_unmet[20, k] >= y_abroad * (1 - 1e-9)
    assert result.final_demand_unmet[5, k] == pytest.approx(0.0, abs=1e-12)
    # foreign buyers move their orders to r1 and r2's s1, which run at capacity and raise it (over-production)
    k1 = table.industries.index(("r1", "s1"))
    assert result.production[60, k1] > result.baseline[k1]
    assert result.capacity[60, k1] > result.capacity[10, k1]
    assert result.production[60, k] < result.baseline[k] * 0.99


def test_zero_to_embargoed_destinations() -> None:
    table = mrio()
    sc = _scenario(ario={"embargoed": ["r2"], "order_shares": "fixed"})
    plan = schedule(table, sc, 200)
    flows = plan.flows(0)
    assert flows is not None
    r2 = np.array([r == "r2" for r in table.regions])
    assert (flows[~r2, 2] == 0).all() and (flows[r2, 2] == 1).all() and (flows[:, :2] == 1).all()
    result = run_ario(table, plan)
    # suppliers elsewhere serve r2 nothing: r2's final buyers lose every import from day 0
    imports = sum(table.Y[i, j] for i in np.flatnonzero(~r2) for j, r in enumerate(table.fd_regions) if r == "r2")
    assert result.final_demand_unmet[0, ~r2].sum() == pytest.approx(imports / 365)
    # r0 and r1 lose r2's orders; r2's buyers turn to r2's own suppliers, which cannot serve everyone
    assert result.production[50, ~r2].sum() < 0.9 * result.baseline[~r2].sum()
    assert result.production[50, r2].sum() > result.baseline[r2].sum()
    assert result.final_demand_unmet[50, r2].sum() > 0
    with pytest.raises(DataError, match="mars"):
        schedule(table, _scenario(ario={"embargoed": ["mars"]}), 10)
