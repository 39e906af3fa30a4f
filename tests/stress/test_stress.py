"""Stress-test engines on the built-in data, ETO and the packaged scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pinchpoint.errors import DataError
from pinchpoint.stress.engines import run_dynamic, run_static, run_tts
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import Scenario, load_scenario, packaged_scenarios
from pinchpoint.supplychain import load_chain
from pinchpoint.supplychain.model import SupplyChain


@pytest.fixture(scope="module")
def builtin_net() -> StressNetwork:
    return StressNetwork.build(load_chain())


def scenario(**changes: object) -> Scenario:
    base = {"name": "t", "title": "t", "horizon_days": 120,
            "shocks": [{"type": "capacity_loss", "country": "TWN", "fraction": 1.0, "start": 10, "duration": 30}]}
    base.update(changes)
    return Scenario.model_validate(base)


def test_packaged_scenarios_load_and_cite_their_figures() -> None:
    names = set(packaged_scenarios())
    assert {"taiwan_blockade", "china_gallium_germanium", "renesas_naka_fire", "shortage_2021"} <= names
    for name in names:
        sc = load_scenario(name)
        ids = {s.id for s in sc.sources}
        assert sc.sources and all(s.citation for s in sc.sources)
        for shock in sc.shocks:
            assert shock.source in ids or shock.note.startswith("assumption"), (name, shock)


def test_scenario_errors_name_the_line_and_field(tmp_path: Path) -> None:
    text = load_scenario("taiwan_blockade").origin
    source = Path(text).read_text(encoding="utf-8")
    bad = source.replace("    fraction: 1.0\n", "    fraction: 1.5\n")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_scenario(path)
    line = bad[: bad.index("fraction: 1.5")].count("\n") + 1
    assert info.value.location.row == line
    assert info.value.location.field == "shocks.0.fraction"
    path.write_text(source.replace("    duration: 180\n", "    duraton: 180\n"), encoding="utf-8")
    with pytest.raises(DataError, match="Extra inputs are not permitted"):
        load_scenario(path)


def test_zero_shock_gives_zero_shortfall(builtin_net: StressNetwork) -> None:
    sc = scenario(shocks=[{"type": "capacity_loss", "country": "TWN", "fraction": 0.0}])
    assert all(r["shortfall"] == 0 for r in run_static(builtin_net, sc).rows)
    result = run_dynamic(builtin_net, sc, runs=3, seed=1)
    assert all(r["peak_shortfall"] == 0 and r["shortfall_days"] == 0 for r in result.summary.rows)


def test_shortfalls_are_fractions_and_runs_are_reproducible(builtin_net: StressNetwork) -> None:
    sc = load_scenario("taiwan_blockade")
    a = run_dynamic(builtin_net, sc, runs=50, seed=7)
    b = run_dynamic(builtin_net, sc, runs=50, seed=7)
    c = run_dynamic(builtin_net, sc, runs=50, seed=8)
    assert a.summary.rows == b.summary.rows and a.series.rows == b.series.rows
    assert a.summary.rows != c.summary.rows
    for r in a.series.rows:
        assert 0 <= r["shortfall_p5"] <= r["shortfall_p95"] <= 1 and 0 <= r["shortfall"] <= 1
    chip = next(r for r in a.summary.rows if r["input_id"] == "advanced_logic_chip")
    assert chip["peak_shortfall"] == pytest.approx(0.92)  # Taiwan's 92% of < 10 nm capacity
    assert chip["shortfall_days"] > 0


def test_results_do_not_depend_on_the_number_of_workers(builtin_net: StressNetwork) -> None:
    sc = load_scenario("taiwan_blockade")
    one = run_dynamic(builtin_net, sc, runs=40, seed=3)
    two = run_dynamic(builtin_net, sc, runs=40, seed=3, workers=2)
    assert one.summary.rows == two.summary.rows and one.series.rows == two.series.rows


def test_a_dask_cluster_gives_the_same_result(builtin_net: StressNetwork) -> None:
    distributed = pytest.importorskip("distributed", reason="the 'scale' extra (dask.distributed) is not installed")
    sc = load_scenario("taiwan_blockade")
    local = run_dynamic(builtin_net, sc, runs=30, seed=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        on_cluster = run_dynamic(builtin_net, sc, runs=30, seed=5, workers=3, scheduler=c.scheduler_address)
    assert on_cluster.summary.rows == local.summary.rows and on_cluster.series.rows == local.series.rows


def test_inventory_flows_are_conserved_in_the_2021_shortage(builtin_net: StressNetwork) -> None:
    sc = load_scenario("shortage_2021")
    result = run_dynamic(builtin_net, sc, runs=1)
    rows = [r for r in result.series.rows if r["input_id"] == "advanced_logic_chip"]
    stock = np.array([r["stock_days"] for r in rows])
    short = np.array([r["shortfall"] for r in rows])
    # demand is 17% above what can be made: the 40 days of stock fall by 0.17 a day, exactly, until empty
    empty = int(np.argmax(stock <= 1e-9))
    np.testing.assert_allclose(stock[:empty], 40 - 0.17 * np.arange(1, empty + 1), atol=1e-3)
    assert stock[200] < 6 and stock[210] < 5  # "under 5 days" within the year, as in the Commerce survey
    assert np.all(short[: empty - 1] == 0)
    assert short[empty + 1] == pytest.approx(1 - 1 / 1.17, abs=1e-4)


def test_fab_fire_follows_the_published_recovery_path() -> None:
    sc = load_scenario("renesas_naka_fire")
    net = StressNetwork.build(load_chain(sc.dataset_ref()))
    result = run_dynamic(net, sc, runs=1)
    capacity = {r["day"]: r["capacity"] for r in result.capacity.rows if r["input_id"] == "naka_n3_line"}
    # 19 March 2021 = day 0: stopped; restart ~3 weeks; 88% end of May; >95% mid-June; 100% end of June
    milestones = {0: 0.0, 20: 0.0, 73: 0.88, 88: 0.95, 103: 1.0}
    for day, published in milestones.items():
        assert abs(capacity[day] - published) <= 0.05, (day, capacity[day], published)
    mcu = result.summary.rows[0]
    assert mcu["peak_shortfall"] == pytest.approx(1.0) and mcu["recovery_day"] is not None


def test_static_engine_on_eto_euv_loss_stops_the_chip(eto_chain: SupplyChain) -> None:
    net = StressNetwork.build(eto_chain)
    sc = scenario(shocks=[{"type": "capacity_loss", "country": "NLD", "input": "N20", "fraction": 1.0}])
    rows = {r["input_id"]: r for r in run_static(net, sc).rows}
    assert rows["N20"]["own_loss"] == 1.0
    assert rows["N99"]["shortfall"] == pytest.approx(1.0)


def test_export_ban_leakage_softens_the_loss(builtin_net: StressNetwork) -> None:
    sc = load_scenario("china_gallium_germanium")
    rows = {r["input_id"]: r for r in run_static(builtin_net, sc).rows}
    assert rows["primary_gallium"]["own_loss"] == pytest.approx(0.98 * 0.8 * 0.9)
    assert rows["compound_semiconductor_device"]["shortfall"] == pytest.approx(0.98 * 0.8 * 0.9)
    assert rows["advanced_logic_chip"]["shortfall"] == 0


def test_tts_against_ttr(builtin_net: StressNetwork) -> None:
    table = run_tts(builtin_net, load_scenario("taiwan_blockade"))
    rows = {(r["country"], r["input_id"]): r for r in table.rows}
    fab = rows[("TWN", "logic_fab_lt10nm")]
    # 40 days of finished chips cover a 92% loss for 40 / 0.92 days
    assert fab["tts_days"] == pytest.approx(40 / 0.92, rel=1e-4)
    assert fab["vulnerable"] and fab["lost_output_days"] == pytest.approx((180 - 40 / 0.92) * 0.92, rel=1e-3)
    # tools: the installed base keeps fabs running longer than the chip inventory alone
    assert rows[("NLD", "euv_scanner")]["tts_days"] > 40


def test_tts_on_eto(eto_chain: SupplyChain) -> None:
    table = run_tts(StressNetwork.build(eto_chain), load_scenario("taiwan_blockade"))
    assert len(table) > 100
    assert all(r["tts_days"] is None or r["tts_days"] >= 0 for r in table.rows)
    assert any(r["country"] == "NLD" and r["input_id"] == "N20" and r["vulnerable"] for r in table.rows)


def test_tts_beyond_the_horizon_is_said_not_left_blank(eto_chain: SupplyChain) -> None:
    """An empty tts_days on ETO read as "unknown": it means the target outlasts the horizon. The target's own
    stock alone (40 days of output) covers a loss of `dependence` for 40 / dependence days, so every row where that
    exceeds 3,650 days must be beyond the horizon (AUT N49, share 0.1%: about 40,000 days)."""
    sc = load_scenario("taiwan_blockade")
    table = run_tts(StressNetwork.build(eto_chain), sc)
    horizon = table.meta["horizon_days"]
    stock = sc.parameters.inventory_days["output"]
    beyond = [r for r in table.rows if r["tts_beyond_horizon"]]
    assert beyond and all(r["tts_days"] is None for r in beyond)
    assert all(r["tts_days"] is not None for r in table.rows if not r["tts_beyond_horizon"])
    assert all(r["tts_beyond_horizon"] for r in table.rows if stock / r["dependence"] > horizon)
    aut = next(r for r in table.rows if (r["country"], r["input_id"]) == ("AUT", "N49"))
    assert aut["tts_beyond_horizon"] and stock / aut["dependence"] > 10 * horizon
    assert f"{len(beyond)} of the {len(table)} country-inputs keep N99 supplied past the horizon of " \
           f"{horizon:,.0f} days: their tts_days is empty and tts_beyond_horizon true" in " ".join(table.caveats)


def test_tts_beyond_the_horizon_in_every_output_format(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app
    from tests.conftest import ETO

    if not ETO.exists():
        pytest.skip("no ETO data")
    runner = CliRunner()
    base = ["stress", "taiwan_blockade", "--dataset", str(ETO), "--engine", "tts"]
    text = runner.invoke(app, base)
    assert text.exit_code == 0, text.output
    assert "tts_beyond_horizon" in text.stdout and "supplied past the horizon of 3,650 days" in text.stdout
    result = runner.invoke(app, [*base, "-f", "csv", "-o", str(tmp_path / "tts.csv")])
    assert result.exit_code == 0, result.output
    import csv

    rows = list(csv.DictReader((tmp_path / "tts.csv").open(encoding="utf-8")))
    blank = [r for r in rows if r["tts_days"] == ""]
    assert blank and all(r["tts_beyond_horizon"] == "True" for r in blank)
    meta = json.loads((tmp_path / "tts.csv.meta.json").read_text(encoding="utf-8"))["meta"]
    assert any(c.startswith(f"{len(blank)} of the {len(rows)} country-inputs") for c in meta["caveats"])


def test_recovery_day_blank_and_zero_are_explained_with_units(builtin_net: StressNetwork, tmp_path: Path) -> None:
    """china_gallium_germanium, one run: compound devices are still short on the horizon's last day (recovery_day
    blank) and the other end products are never short (recovery_day 0); the terminal table said neither, nor the
    units. Checked against the run's own daily series."""
    from pinchpoint.cli.main import app

    sc = load_scenario("china_gallium_germanium")
    result = run_dynamic(builtin_net, sc, runs=1)
    days: dict[str, list[float]] = {}
    for r in result.series.rows:
        days.setdefault(r["input_id"], []).append(r["shortfall"])
    rows = {r["input_id"]: r for r in result.summary.rows}
    blank = sorted(k for k, v in days.items() if v[-1] > 0)
    never = sorted(k for k, v in days.items() if max(v) == 0)
    assert blank == ["compound_semiconductor_device"] and never
    assert all(rows[k]["recovery_day"] is None and rows[k]["runs_not_recovered"] == 1 for k in blank)
    assert all(rows[k]["recovery_day"] == 0 for k in never)
    caveats = " ".join(result.summary.caveats)
    assert (f"recovery_day blank ({rows[blank[0]]['input_name']}): the run is still short on the last day of the "
            f"{sc.horizon_days:,}-day horizon") in caveats
    assert f"recovery_day 0 ({len(never)} of the {len(rows)} end products" in caveats and "never short" in caveats
    assert "peak_shortfall is the largest share of normal demand" in caveats
    assert "shortfall_days are days of normal output" in caveats
    shown = CliRunner().invoke(app, ["stress", "china_gallium_germanium", "--runs", "1"])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.stdout.split())
    assert "runs_not_recovered" in flat and "not recovered within the horizon, not an unknown day" in flat
    assert "never short" in flat and "Units: peak_shortfall" in flat
    out = tmp_path / "summary.csv"
    assert CliRunner().invoke(app, ["stress", "china_gallium_germanium", "--runs", "1", "-f", "csv", "-o",
                                    str(out)]).exit_code == 0
    meta = json.loads(out.with_name("summary.csv.meta.json").read_text(encoding="utf-8"))["meta"]
    assert any(c.startswith("recovery_day blank") for c in meta["caveats"])


def test_cli_dynamic_json_and_errors(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["stress", "taiwan_blockade", "--runs", "20", "--seed", "1", "-f", "json",
                                 "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["rows"]
    assert {"input_id", "input_name", "peak_shortfall", "shortfall_days", "recovery_day"} <= set(records[0])
    assert (tmp_path / "rep" / "index.html").exists()
    result = runner.invoke(app, ["stress", "taiwan_blockade", "--engine", "tts", "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["rows"][0]["tts_days"] is not None
    result = runner.invoke(app, ["stress", "no_such_scenario"])
    assert result.exit_code == 2 and "taiwan_blockade" in result.stderr  # the packaged scenarios are listed


def test_priority_rationing_serves_the_priority_output_first(builtin_net: StressNetwork) -> None:
    shock = [{"type": "capacity_loss", "country": "CHN", "fraction": 1.0, "start": 0, "duration": 60}]
    params = {"inventory_days": {"material": 0, "output": 0}, "spare_capacity": 0.0}
    proportional = run_dynamic(builtin_net, scenario(shocks=shock, parameters=params), runs=1)
    priority = run_dynamic(builtin_net, scenario(shocks=shock, parameters={
        **params, "rationing": "priority", "priority": ["advanced_logic_chip"]}), runs=1)
    peak = {r["input_id"]: r["peak_shortfall"] for r in proportional.summary.rows}
    first = {r["input_id"]: r["peak_shortfall"] for r in priority.summary.rows}
    # China's 38% of assembly, test and packaging is shared by both chip outputs
    assert peak["advanced_logic_chip"] == pytest.approx(0.38, abs=1e-6)
    assert peak["all_semiconductors"] == pytest.approx(0.38, abs=1e-6)
    # served first, the advanced chip gets all it needs (its half of normal use is below the 62% left) ...
    assert first["advanced_logic_chip"] == pytest.approx(0.0, abs=1e-6)
    # ... and the rest get what is left: (0.62 - 0.5) / 0.5 = 24% of their need
    assert first["all_semiconductors"] == pytest.approx(1 - 0.24, abs=1e-5)
    with pytest.raises(ValueError, match="needs a 'priority' list"):
        scenario(shocks=shock, parameters={"rationing": "priority"})
