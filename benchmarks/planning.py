"""Speed goals of planning (issue #18), each with a baseline run on the same instance.

ETO (126 inputs, the real file) with 500 candidate measures and 20 stress scenarios: the 10-budget risk-versus-
budget frontier (expected end-product shortfall) in < 30 s on 2 cores, each point proven optimal or its MIP gap
printed. Baseline: greedy (the affordable measure with the largest risk reduction per USD, repeatedly), timed on
the same budgets; its risk is printed beside the programme's.

Projection: 10,000 Monte Carlo draws over 500 projects and 10 years in < 2 s; baseline: the same draws one at a
time (a per-draw loop over the deterministic sum), timed on 200 draws and scaled. Wall and CPU seconds are both
printed, with the load average: on a machine shared by many processes wall time is mostly waiting.

The candidates are synthetic (seeded): measures of every kind on the inputs that have country shares, with costs
drawn at random. They exercise the solver; they are not a policy instance.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report  # noqa: E402

ETO = ROOT.parent / "shared" / "data" / "supply-chain" / "eto"
SUPPLIERS = ("TWN", "USA", "JPN", "KOR", "CHN", "NLD", "DEU", "SGP", "GBR", "ISR")


def instance(n_measures: int = 500, seed: int = 0) -> tuple[object, list[object], list[object]]:
    import numpy as np

    from pinchpoint.planning.measures import Measure, MeasureKind
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import Scenario
    from pinchpoint.supplychain import load_chain
    from pinchpoint.supplychain.model import RelationKind

    net = StressNetwork.build(load_chain(str(ETO)))
    cc = net.compiled
    categories = {r.target for r in cc.chain.relations if r.kind is RelationKind.IS_TYPE_OF}
    leaves = [i for k, i in enumerate(cc.ids) if i not in categories and cc.loss[k].sum() > 0]
    rng = np.random.default_rng(seed)
    measures = []
    for k in range(n_measures):
        kind = MeasureKind(rng.choice(["capacity", "qualification", "stockpile"], p=[0.5, 0.3, 0.2]))
        located = kind is not MeasureKind.STOCKPILE
        measures.append(Measure(
            f"m{k}", kind, str(rng.choice(leaves)), str(rng.choice(SUPPLIERS)) if located else None,
            float(rng.uniform(0.02, 0.3)) if located else 0.0, 0.0 if located else float(rng.uniform(10, 120)),
            float(rng.uniform(10, 2000)), float(rng.uniform(0, 20)), float(rng.integers(0, 4))))
    scenarios = [Scenario.model_validate({
        "name": f"{c.lower()}_{int(f * 100)}", "title": f"{c} loses {f:.0%} of its supply",
        "shocks": [{"type": "capacity_loss", "country": c, "fraction": f, "duration": 90 + 15 * k}]})
        for k, (c, f) in enumerate((c, f) for f in (1.0, 0.5) for c in SUPPLIERS)]
    return net, measures, scenarios


def main() -> int:
    if not ETO.exists():
        print(f"skipped: {ETO} not found")
        return 0
    from pinchpoint.planning.problem import build_problem
    from pinchpoint.planning.solve import frontier, greedy

    net, measures, scenarios = instance()
    budgets = [150.0 * k for k in range(1, 11)]
    t0 = time.perf_counter()
    problem = build_problem(net, measures, objective="shortfall", horizon_years=4, scenarios=scenarios)  # type: ignore[arg-type]
    points = frontier(problem, budgets, time_limit=10.0)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    greedy_risks = [greedy(problem, b)[0] for b in budgets]
    baseline = time.perf_counter() - t0
    print(f"{'budget/yr':>10} {'risk (MIP)':>12} {'greedy':>10} {'proof':>14} {'measures':>9}")
    for p, g in zip(points, greedy_risks, strict=True):
        proof = "optimal" if p.optimal else f"gap {p.gap:.2%}"
        print(f"{p.budget:10.0f} {p.risk:12.6f} {g:10.6f} {proof:>14} {int(p.chosen.sum()):9d}")
    ok = report(f"frontier, 10 budgets: ETO, {len(measures)} measures, {len(scenarios)} scenarios", ours, baseline,
                "greedy", 30.0)
    no_worse = all(p.risk <= g + 1e-9 for p, g in zip(points, greedy_risks, strict=True))
    print(f"programme's risk <= greedy's at every budget: {no_worse}")
    return 0 if ok and no_worse and projection_benchmark() else 1


def projection_benchmark() -> bool:
    import os

    import numpy as np

    from pinchpoint.planning.projects import DelayModel, Pipeline, Project, deterministic, simulate

    rng = np.random.default_rng(0)
    projects = [Project(f"p{k}", f"p{k}", "", "", str(rng.choice(SUPPLIERS)), str(rng.choice(["lt10nm", "dram"])),
                        str(rng.choice(["announced", "under_construction", "ramping", "delayed"])),
                        start=__import__("datetime").date(int(rng.integers(2024, 2031)), 1, 1),
                        ramp_years=float(rng.uniform(0.5, 3)), capacity_wspm=float(rng.uniform(5e3, 1e5)))
                for k in range(500)]
    pipe, _ = Pipeline.from_projects(projects)
    years = list(range(2025, 2035))
    model = DelayModel.default()
    t0, c0 = time.perf_counter(), time.process_time()
    simulate(pipe, years, model, draws=10_000, seed=1)
    ours, cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    for k in range(200):  # baseline: one draw at a time
        draw = simulate(pipe, years, model, draws=1, seed=k)
        assert draw.shape[0] == 1
    loop = (time.perf_counter() - t0) / 200 * 10_000
    assert deterministic(pipe, years).shape == draw.shape[1:]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"simulation alone: {ours:.2f} s wall, {cpu:.2f} s CPU, load average {load:.1f}")
    # the user's path: the whole table (bands and shares by region and node class) on the built-in baseline
    from pinchpoint.planning.projects import load_baseline, projection

    t0, c0 = time.perf_counter(), time.process_time()
    table = projection(projects, load_baseline(), years, model=model, draws=10_000, seed=1)
    full, full_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"projection table ({len(table)} rows, built-in baseline): {full:.2f} s wall, {full_cpu:.2f} s CPU")
    return report("projection, 10,000 draws x 500 projects x 10 years", full, loop, "per-draw loop (scaled)", 2.0)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
