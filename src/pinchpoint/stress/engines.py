"""Three engines over one network: static, time-to-survive / time-to-recover (LP), and dynamic (daily, Monte Carlo).

Equations and assumptions are in ``docs/stress.md``. Availability always propagates through
:class:`~pinchpoint.analysis.availability.AvailabilityGraph` (complements: the scarcest binds; substitutes:
capacities add), so the three engines agree on the network's logic and differ in time and buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import PinchpointError
from pinchpoint.results import ResultTable
from pinchpoint.stress.network import FloatArray, StressNetwork, shock_arrays
from pinchpoint.stress.scenario import ExportBan, Scenario
from pinchpoint.supplychain.model import InputKind, RelationKind

Progress = Callable[[int, int], None]


class SimulationError(PinchpointError):
    """A run produced impossible values (negative stocks, non-finite numbers)."""


# Static ---------------------------------------------------------------------------------------------------------
def peak_loss(net: StressNetwork, scenario: Scenario) -> FloatArray:
    """Each input's own-supply loss with every supply shock at full severity (export leakage deducted)."""
    supply, _ = shock_arrays(net, scenario)
    loss = np.zeros(net.n)
    for shares, shock in supply:
        size = shock.fraction * ((1.0 - shock.leakage) if isinstance(shock, ExportBan) else 1.0)
        loss += shares * size
    return np.clip(loss, 0.0, 1.0)


def run_static(net: StressNetwork, scenario: Scenario) -> ResultTable:
    """Availability propagated once at the shocks' peak: the long-run loss with no buffers and no adaptation."""
    own = 1.0 - peak_loss(net, scenario)
    avail = net.compiled.graph.propagate(own)
    rows: list[dict[str, Any]] = []
    for k in range(net.n):
        if own[k] < 1.0 - 1e-12 or avail[k] < 1.0 - 1e-12 or k in net.outputs:
            inp = net.compiled.chain.input_by_id[net.compiled.ids[k]]
            rows.append({"scenario": scenario.name, "engine": "static", "input_id": inp.id, "input_name": inp.name,
                         "kind": inp.kind.value, "own_loss": round(1.0 - float(own[k]), 9),
                         "availability": round(float(avail[k]), 9), "shortfall": round(1.0 - float(avail[k]), 9),
                         "is_output": k in net.outputs})
    rows.sort(key=lambda r: (not r["is_output"], -r["shortfall"], r["input_id"]))
    return ResultTable.from_records("stress_static", rows, meta={"scenario": scenario.name, "engine": "static",
                                                                 "dataset": net.compiled.chain.name})


# Time to survive / time to recover ------------------------------------------------------------------------------
def run_tts(net: StressNetwork, scenario: Scenario, target: str | None = None, horizon: float = 3650.0
            ) -> ResultTable:
    """For every country-input upstream of the target: TTS (an LP over inventories and remaining capacity),
    TTR (the scenario's recovery days for that kind of input) and the output lost if the node is down for TTR.

    Simchi-Levi and Simchi-Levi (2020): a node is a vulnerability when TTS < TTR.
    """
    from pinchpoint.analysis.exposure import default_target, upstream

    chain = net.compiled.chain
    target_id = target or scenario.target or default_target(chain)
    t_idx = net.index(target_id)
    nodes = sorted(net.index(i) for i in upstream(chain, target_id)) + [t_idx]
    pos = {n: k for k, n in enumerate(nodes)}
    inventory = net.per_input(scenario.parameters.inventory_days)
    ttr = net.per_input(scenario.parameters.recovery_days, 90.0)
    cc = net.compiled
    # Candidates: (country, input) pairs with a share; one static propagation per pair finds those that matter.
    pairs = [(c, i) for c in range(len(cc.countries)) for i in nodes if cc.loss[i, c] > 0]
    own = np.ones((net.n, len(pairs)))
    for col, (c, i) in enumerate(pairs):
        own[i, col] = 1.0 - cc.loss[i, c]
    avail = cc.graph.propagate(own) if pairs else np.ones((net.n, 0))

    rels = [r for r in chain.relations if r.source in cc.index and cc.index[r.source] in pos
            and cc.index[r.target] in pos]
    has_types = {cc.index[r.target] for r in rels if r.kind is RelationKind.IS_TYPE_OF}
    groups: dict[tuple[int, bool, bool], list[tuple[int, float]]] = {}
    for r, w in zip(chain.relations, cc.edge_weights, strict=True):
        if r in rels:
            key = (cc.index[r.target], r.kind is RelationKind.IS_TYPE_OF, r.mode.value == "substitute")
            groups.setdefault(key, []).append((cc.index[r.source], float(w)))
    lp = _TTSProgramme(nodes, pos, groups, has_types, inventory, t_idx, horizon)
    rows_out: list[dict[str, Any]] = []
    for col, (c, i) in enumerate(pairs):
        dep = 1.0 - float(avail[t_idx, col])
        if dep <= 1e-12:
            continue  # the target never notices: TTS is unbounded
        share = float(cc.loss[i, c])
        label = f"{cc.countries[c]} / {cc.ids[i]}"
        tts = lp.solve(i, share, label)
        if net.kinds[i] is InputKind.TOOL and tts < horizon:
            # Installed tools keep working: the average capacity lost over [0, t] is s * (1 - (1 - e^-dt) / dt).
            # Fixed-point iteration on t (it rises monotonically) with that average in the capacity row.
            delta = scenario.parameters.tool_decay_per_day
            for _ in range(30):
                avg = share * (1.0 - (1.0 - np.exp(-delta * tts)) / (delta * tts)) if delta > 0 and tts > 0 else 0.0
                new = lp.solve(i, avg, label)
                converged = abs(new - tts) < 0.5
                tts = new
                if converged or tts >= horizon:
                    break
        recover = float(ttr[i])
        inp = chain.input_by_id[cc.ids[i]]
        rows_out.append({
            "scenario": scenario.name, "country": cc.countries[c], "input_id": inp.id, "input_name": inp.name,
            "kind": inp.kind.value, "share": round(share * 100, 6), "target_id": target_id,
            "tts_days": round(tts, 3) if tts < horizon - 1e-6 else None, "ttr_days": recover,
            "vulnerable": tts < recover, "dependence": round(dep, 9),
            "lost_output_days": round(max(recover - tts, 0.0) * dep, 3),
        })
    rows_out.sort(key=lambda r: (-r["lost_output_days"], r["tts_days"] if r["tts_days"] is not None else 1e18,
                                 r["country"], r["input_id"]))
    return ResultTable.from_records("stress_tts", rows_out, meta={
        "scenario": scenario.name, "engine": "tts", "target": target_id, "horizon_days": horizon,
        "method": "Simchi-Levi TTS linear programme (scipy.optimize.linprog, HiGHS)"})


class _TTSProgramme:
    """max t  s.t.  x_v <= cap_v * t (own capacity),  x_u + inv_u >= x_v (complements),
    sum_u w_u (x_u + inv_u) / sum w >= x_v (substitutes),  x_target + inv_target >= t,  0 <= t <= horizon.

    ``x`` is the cumulative output of each node over [0, t] in days of normal output. The programme is built once;
    each country-input changes one coefficient (its node's capacity) and re-solves warm (HiGHS).
    """

    def __init__(self, nodes: list[int], pos: dict[int, int], groups: dict[tuple[int, bool, bool],
                 list[tuple[int, float]]], has_types: set[int], inventory: FloatArray, target: int,
                 horizon: float) -> None:
        import highspy

        self.horizon = horizon
        nv = len(nodes) + 1
        self.t_col = nv - 1
        inf = highspy.kHighsInf
        rows: list[tuple[dict[int, float], float]] = []
        for (v, _is_type, substitute), members in groups.items():
            if substitute:
                total = sum(w for _, w in members)
                coefs = {pos[u]: -w / total for u, w in members}
                coefs[pos[v]] = coefs.get(pos[v], 0.0) + 1.0
                rows.append((coefs, sum(w / total * float(inventory[u]) for u, w in members)))
            else:
                for u, _ in members:
                    rows.append(({pos[u]: -1.0, pos[v]: 1.0}, float(inventory[u])))
        rows.append(({pos[target]: -1.0, self.t_col: 1.0}, float(inventory[target])))
        self.cap_row: dict[int, int] = {}
        for n in nodes:
            if n not in has_types:  # types replace a node's own supply
                self.cap_row[n] = len(rows)
                rows.append(({pos[n]: 1.0, self.t_col: -1.0}, 0.0))
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        costs = np.zeros(nv)
        costs[self.t_col] = 1.0
        upper = np.full(nv, inf)
        upper[self.t_col] = horizon
        empty_i = np.array([], dtype=np.int32)
        h.addCols(nv, costs, np.zeros(nv), upper, 0, empty_i, empty_i, np.array([]))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        for coefs, _ in rows:
            starts.append(len(index))
            index.extend(coefs)
            value.extend(coefs.values())
        h.addRows(len(rows), np.full(len(rows), -inf), np.array([b for _, b in rows]), len(index),
                  np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
        self.highs = h
        self.status_ok = highspy.HighsModelStatus.kOptimal

    def solve(self, node: int, lost_share: float, label: str) -> float:
        """TTS with ``lost_share`` of ``node``'s own capacity gone (other nodes at full capacity)."""
        row = self.cap_row.get(node)
        if row is not None:
            self.highs.changeCoeff(row, self.t_col, -(1.0 - lost_share))
        self.highs.run()
        status = self.highs.getModelStatus()
        if row is not None:
            self.highs.changeCoeff(row, self.t_col, -1.0)
        if status != self.status_ok:
            raise SimulationError(f"TTS linear programme failed for {label}: {status}")
        return float(self.highs.getSolution().col_value[self.t_col])


# Dynamic ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DynamicResult:
    series: ResultTable  # per output and day: mean and 5-95% band of shortfall and stock, over the runs
    summary: ResultTable  # per output: peak shortfall, shortfall-days, recovery day (mean and band)
    binding: ResultTable  # upstream inputs by lowest availability reached
    capacity: ResultTable  # per shocked input and day: own capacity (mean over runs)
    runs: int
    seed: int


def _draws(scenario: Scenario, runs: int, seed: int) -> dict[str, NDArray[np.float64]]:
    """Monte Carlo draws, one column per run. A single run uses the scenario's stated (central) values."""
    rng = np.random.default_rng(seed)
    n_shocks = len(scenario.shocks)
    draws = {name: np.ones((n_shocks, runs)) for name in ("fraction", "duration", "increase")}
    draws["inventory_scale"] = np.ones((1, runs))
    draws["spare_capacity"] = np.full((1, runs), scenario.parameters.spare_capacity)
    for u in scenario.uncertainty if runs > 1 else ():
        values = rng.uniform(u.low, u.high, size=runs)
        if u.target in ("inventory_scale", "spare_capacity"):
            draws[u.target][0] = values
        else:
            shocks = range(n_shocks) if u.shock is None else [u.shock]
            for s in shocks:
                # fraction / increase are drawn as absolute values; duration as a multiplier of the stated one
                draws[u.target][s] = values
    return draws


def run_dynamic(net: StressNetwork, scenario: Scenario, runs: int = 1, seed: int = 0,
                progress: Progress | None = None) -> DynamicResult:
    """Daily steps over the horizon, all Monte Carlo runs at once (arrays of inputs x runs)."""
    p = scenario.parameters
    days = np.arange(scenario.horizon_days, dtype=float)
    supply, demand = shock_arrays(net, scenario)
    draws = _draws(scenario, runs, seed)
    shock_index = {id(s): k for k, s in enumerate(scenario.shocks)}
    n = net.n

    # Loss of own supply per day and run: sum over shocks of share x size x severity(t).
    loss = np.zeros((len(days), n, runs))
    onset = np.full(n, np.inf)
    for shares, shock in supply:
        k = shock_index[id(shock)]
        size = (draws["fraction"][k] if runs > 1 and any(u.target == "fraction" and u.shock in (None, k)
                                                         for u in scenario.uncertainty)
                else np.full(runs, shock.fraction))
        if isinstance(shock, ExportBan):
            size = size * (1.0 - shock.leakage)
        sev = _severity(shock, days, draws["duration"][k])  # (days, runs)
        loss += shares[None, :, None] * (sev * size[None, :])[:, None, :]
        onset = np.where(shares > 0, np.minimum(onset, shock.start), onset)
    np.clip(loss, 0.0, 1.0, out=loss)
    surge = np.zeros((len(days), n, runs))
    for mask, surge_shock in demand:
        k = shock_index[id(surge_shock)]
        inc = (draws["increase"][k] if runs > 1 and any(u.target == "increase" and u.shock in (None, k)
                                                        for u in scenario.uncertainty)
               else np.full(runs, surge_shock.increase))
        sev = _severity(surge_shock, days, draws["duration"][k])
        surge += mask[None, :, None] * (sev * inc[None, :])[:, None, :]
        onset = np.where(mask, np.minimum(onset, surge_shock.start), onset)
    need = 1.0 + surge  # demand per day, as a fraction of normal

    kinds = np.array([k.value for k in net.kinds])
    stocked = kinds == "material"  # consumables held in stock; finished goods are buffered separately below
    is_tool = kinds == "tool"
    inventory_cap = net.per_input(p.inventory_days)[:, None] * draws["inventory_scale"]  # days of normal use
    stock = inventory_cap.copy()
    spare = draws["spare_capacity"][0][None, :]
    decayed = np.zeros((n, runs))
    outputs = np.array(net.outputs)
    short = np.zeros((len(days), len(outputs), runs))
    stock_out = np.zeros((len(days), len(outputs), runs))
    min_avail = np.ones((n, runs))
    capacity_series = np.zeros((len(days), n))
    graph = net.compiled.graph
    for t, day in enumerate(days):
        lost = loss[t]
        # tools are capital goods: the installed base wears out at a documented rate instead of vanishing
        decayed = np.where(is_tool[:, None], np.where(lost > decayed, decayed + p.tool_decay_per_day * (lost - decayed),
                                                      lost), lost)
        effective_loss = decayed
        since = day - onset - p.qualification_days
        ramp = np.clip(since / p.ramp_up_days, 0.0, 1.0) if p.ramp_up_days > 0 else (since >= 0).astype(float)
        extra = np.minimum(effective_loss + np.maximum(need[t] - 1.0, 0.0), spare) * ramp[:, None]
        capacity = (1.0 - effective_loss) + extra  # over-production is capped by the spare capacity
        capacity_series[t] = capacity.mean(axis=1)
        own = np.ones((n, runs))
        # consumables draw on stock; other inputs deliver what they make
        use = np.where(stocked[:, None], np.minimum(need[t], capacity + stock), np.minimum(need[t], capacity))
        own = use / need[t]
        stock = np.where(stocked[:, None], np.minimum(inventory_cap, stock + capacity - use), stock)
        own[outputs] = 1.0  # an output's own availability comes from its inputs, buffered below
        avail = graph.propagate(own)
        np.minimum(min_avail, avail, out=min_avail)
        # finished goods: production limited by inputs, sold from production plus stock
        made = np.minimum(avail[outputs] * need[t][outputs], 1.0 + spare)
        sold = np.minimum(need[t][outputs], made + stock[outputs])
        stock[outputs] = np.minimum(inventory_cap[outputs], stock[outputs] + made - sold)
        short[t] = 1.0 - sold / need[t][outputs]
        stock_out[t] = stock[outputs]
        if not (np.isfinite(short[t]).all() and (stock > -1e-9).all()):
            raise SimulationError(f"day {int(day)}: non-finite shortfall or negative stock; check the parameters")
        if progress is not None:
            progress(t + 1, len(days))
    return _dynamic_tables(net, scenario, days, short, stock_out, min_avail, capacity_series, loss, runs, seed)


def _severity(shock: Any, days: FloatArray, scale: FloatArray) -> FloatArray:
    if np.allclose(scale, scale[0]):
        return np.repeat(shock.severity(days, float(scale[0]))[:, None], len(scale), axis=1)
    return np.stack([shock.severity(days, float(s)) for s in scale], axis=1)


def _band(x: FloatArray, axis: int = -1) -> tuple[FloatArray, FloatArray, FloatArray]:
    return x.mean(axis=axis), np.percentile(x, 5, axis=axis), np.percentile(x, 95, axis=axis)


def _dynamic_tables(net: StressNetwork, scenario: Scenario, days: FloatArray, short: FloatArray, stock: FloatArray,
                    min_avail: FloatArray, capacity: FloatArray, loss: FloatArray, runs: int, seed: int
                    ) -> DynamicResult:
    chain = net.compiled.chain
    ids = net.compiled.ids
    meta = {"scenario": scenario.name, "engine": "dynamic", "runs": runs, "seed": seed, "dataset": chain.name,
            "horizon_days": scenario.horizon_days}
    series_rows = []
    mean, lo, hi = _band(np.clip(short, 0, 1))
    s_mean = stock.mean(axis=-1)
    for o, k in enumerate(net.outputs):
        for t, day in enumerate(days):
            series_rows.append({"scenario": scenario.name, "input_id": ids[k], "day": int(day),
                                "shortfall": round(float(mean[t, o]), 6), "shortfall_p5": round(float(lo[t, o]), 6),
                                "shortfall_p95": round(float(hi[t, o]), 6),
                                "stock_days": round(float(s_mean[t, o]), 4)})
    summary_rows: list[dict[str, Any]] = []
    for o, k in enumerate(net.outputs):
        s = np.clip(short[:, o, :], 0.0, 1.0)  # (days, runs)
        peak = s.max(axis=0)
        shortfall_days = s.sum(axis=0)
        hit = s > 1e-9
        last = np.where(hit.any(axis=0), len(days) - np.argmax(hit[::-1], axis=0), 0)
        recovered = last < len(days)
        recovery = np.where(hit.any(axis=0), np.where(recovered, last, -1), 0)
        inp = chain.input_by_id[ids[k]]
        summary_rows.append({
            "scenario": scenario.name, "input_id": inp.id, "input_name": inp.name,
            "peak_shortfall": round(float(peak.mean()), 6), "peak_shortfall_p95": round(float(np.percentile(peak, 95)),
                                                                                       6),
            "shortfall_days": round(float(shortfall_days.mean()), 4),
            "shortfall_days_p95": round(float(np.percentile(shortfall_days, 95)), 4),
            # the median run's recovery day; None when most runs have not recovered by the horizon
            "recovery_day": int(np.median(recovery[recovered])) if recovered.mean() >= 0.5 else None,
            "runs_not_recovered": int((~recovered).sum()),
        })
    summary_rows.sort(key=lambda r: (-r["shortfall_days"], r["input_id"]))
    binding_rows = []
    worst = min_avail.mean(axis=1)
    for k in np.argsort(worst):
        if worst[k] >= 1.0 - 1e-9 or net.kinds[k] is InputKind.OUTPUT:
            continue
        inp = chain.input_by_id[ids[k]]
        binding_rows.append({"scenario": scenario.name, "input_id": inp.id, "input_name": inp.name,
                             "kind": inp.kind.value, "lowest_availability": round(float(worst[k]), 6),
                             "peak_own_loss": round(float(loss[:, k, :].max(axis=0).mean()), 6)})
    shocked = np.flatnonzero(loss.max(axis=(0, 2)) > 0)
    capacity_rows = [{"scenario": scenario.name, "input_id": ids[k], "day": int(day),
                      "capacity": round(float(capacity[t, k]), 6)}
                     for k in shocked for t, day in enumerate(days)]
    return DynamicResult(
        series=ResultTable.from_records("stress_series", series_rows, meta=meta),
        summary=ResultTable.from_records("stress_summary", summary_rows, meta=meta),
        binding=ResultTable.from_records("stress_binding", binding_rows,
                                         ["scenario", "input_id", "input_name", "kind", "lowest_availability",
                                          "peak_own_loss"], meta=meta),
        capacity=ResultTable.from_records("stress_capacity", capacity_rows,
                                          ["scenario", "input_id", "day", "capacity"], meta=meta),
        runs=runs, seed=seed)
