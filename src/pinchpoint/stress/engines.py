"""Three engines over one network: static, time-to-survive / time-to-recover (LP), and dynamic (daily, Monte Carlo).

Equations and assumptions are in ``docs/stress.md``. Availability always propagates through
:class:`~pinchpoint.analysis.availability.AvailabilityGraph` (complements: the scarcest binds; substitutes:
capacities add), so the three engines agree on the network's logic and differ in time and buffers.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import PinchpointError, import_extra
from pinchpoint.results import ResultTable
from pinchpoint.stress.checks import check_scenario, granularity_caveats
from pinchpoint.stress.network import FloatArray, StressNetwork, peak_loss, shock_arrays
from pinchpoint.stress.scenario import DemandSurge, ExportBan, Scenario
from pinchpoint.supplychain.model import InputKind, RelationKind

Progress = Callable[[int, int], None]


class SimulationError(PinchpointError):
    """A run produced impossible values (negative stocks, non-finite numbers)."""


# Static ---------------------------------------------------------------------------------------------------------
def run_static(net: StressNetwork, scenario: Scenario) -> ResultTable:
    """Availability propagated once at the shocks' peak: the long-run loss with no buffers and no adaptation."""
    from pinchpoint.analysis.exposure import shares_used_caveats

    caveats = check_scenario(net, scenario) + granularity_caveats(net, scenario)
    own = 1.0 - peak_loss(net, scenario)
    avail = net.compiled.graph.propagate(own)
    # the shares behind the figures are those of the inputs the shocks cut: say when they mix survey years
    caveats += shares_used_caveats(net.compiled, [k for k in range(net.n) if own[k] < 1.0 - 1e-12])
    params = scenario.parameters
    surges = any(isinstance(shock, DemandSurge) for shock in scenario.shocks)
    caveats.append(
        "The static engine applies every supply shock at its peak, all at once and for good: the scenario's "
        f"inventory_days, spare_capacity ({params.spare_capacity:g}), ramp_up_days ({params.ramp_up_days:g}), "
        f"qualification_days ({params.qualification_days:g}), rationing and the shocks' start, duration and recovery "
        + ("are not used, nor its demand surges" if surges else "are not used")
        + "; the dynamic engine uses them.")
    rows: list[dict[str, Any]] = []
    for k in range(net.n):
        if own[k] < 1.0 - 1e-12 or avail[k] < 1.0 - 1e-12 or k in net.outputs:
            inp = net.compiled.chain.input_by_id[net.compiled.ids[k]]
            rows.append({"scenario": scenario.name, "engine": "static", "input_id": inp.id, "input_name": inp.name,
                         "kind": inp.kind.value, "own_loss": round(1.0 - float(own[k]), 9),
                         "availability": round(float(avail[k]), 9), "shortfall": round(1.0 - float(avail[k]), 9),
                         "is_output": k in net.outputs})
    rows.sort(key=lambda r: (not r["is_output"], -r["shortfall"], r["input_id"]))
    table = ResultTable.from_records("stress_static", rows, meta={"scenario": scenario.name, "engine": "static",
                                                                  "dataset": net.compiled.chain.name})
    return table.with_caveats(*caveats)


# Time to survive / time to recover ------------------------------------------------------------------------------
def run_tts(net: StressNetwork, scenario: Scenario, target: str | None = None, horizon: float = 3650.0,
            rebuild_each: bool = False) -> ResultTable:
    """For every country-input upstream of the target: TTS (an LP over inventories and remaining capacity),
    TTR (the scenario's recovery days for that kind of input) and the output lost if the node is down for TTR.

    Simchi-Levi and Simchi-Levi (2020): a node is a vulnerability when TTS < TTR. ``rebuild_each`` builds the
    programme afresh for every pair instead of re-solving warm (the same answers, slower: a benchmark baseline).
    """
    from pinchpoint.analysis.exposure import default_target, upstream

    caveats = check_scenario(net, scenario)
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

    inside = [cc.index[r.source] in pos and cc.index[r.target] in pos for r in chain.relations]
    has_types = {cc.index[r.target] for r, ok in zip(chain.relations, inside, strict=True)
                 if ok and r.kind is RelationKind.IS_TYPE_OF}
    groups: dict[tuple[int, bool, bool], list[tuple[int, float]]] = {}
    for r, w, ok in zip(chain.relations, cc.edge_weights, inside, strict=True):
        if ok:
            key = (cc.index[r.target], r.kind is RelationKind.IS_TYPE_OF, r.mode.value == "substitute")
            groups.setdefault(key, []).append((cc.index[r.source], float(w)))
    lp = _TTSProgramme(nodes, pos, groups, has_types, inventory, t_idx, horizon)
    cut = _scenario_pairs(net, scenario)
    rows_out: list[dict[str, Any]] = []
    for col, (c, i) in enumerate(pairs):
        dep = 1.0 - float(avail[t_idx, col])
        if dep <= 1e-12:
            continue  # the target never notices: TTS is unbounded
        share = float(cc.loss[i, c])
        label = f"{cc.countries[c]} / {cc.ids[i]}"
        if rebuild_each:
            lp = _TTSProgramme(nodes, pos, groups, has_types, inventory, t_idx, horizon)
        tts = lp.solve(i, share, label)
        if net.kinds[i] is InputKind.TOOL and tts < horizon:
            tts = _installed_base_tts(lp, i, share, tts, scenario.parameters.tool_decay_per_day, horizon, label)
        recover = float(ttr[i])
        inp = chain.input_by_id[cc.ids[i]]
        rows_out.append({
            "scenario": scenario.name, "country": cc.countries[c], "input_id": inp.id, "input_name": inp.name,
            "kind": inp.kind.value, "share": round(share * 100, 6), "target_id": target_id,
            "tts_days": round(tts, 3) if tts < horizon - 1e-6 else None,
            "tts_beyond_horizon": tts >= horizon - 1e-6, "ttr_days": recover,
            "vulnerable": tts < recover, "dependence": round(dep, 9), "in_scenario": (c, i) in cut,
            "lost_output_days": round(max(recover - tts, 0.0) * dep, 3),
        })
    rows_out.sort(key=lambda r: (-r["lost_output_days"], r["tts_days"] if r["tts_days"] is not None else 1e18,
                                 r["country"], r["input_id"]))
    table = ResultTable.from_records("stress_tts", rows_out, meta={
        "scenario": scenario.name, "engine": "tts", "target": target_id, "horizon_days": horizon,
        "method": f"Simchi-Levi TTS linear programme, solved by HiGHS {_highs_version()} through highspy"})
    n_cut = sum(r["in_scenario"] for r in rows_out)
    beyond = sum(r["tts_beyond_horizon"] for r in rows_out)
    # an empty TTS would otherwise read as "unknown": it is a bound, the programme's t reached its upper limit
    beyond_text = [f"{beyond} of the {len(rows_out)} country-inputs keep {target_id} supplied past the horizon of "
                   f"{horizon:,.0f} days: their tts_days is empty and tts_beyond_horizon true (TTS longer than "
                   f"{horizon:,.0f} days, not unknown)."] if beyond else []
    return table.with_caveats(
        *_untested_aggregates(net, nodes),
        f"TTS/TTR tests every country-input upstream of {target_id} ({len(rows_out)} that the target depends on), "
        "one at a time: that country's whole share of that input is lost from day 0 until TTR. The scenario's shocks "
        "(their fractions, leakage, start, duration and recovery, and any demand surge), its spare_capacity, "
        "ramp_up_days, qualification_days, rationing and uncertainty are not used; only its inventory_days, "
        "recovery_days (TTR) and tool_decay_per_day are.",
        f"in_scenario marks the {n_cut} country-input(s) whose supply the scenario's shocks cut"
        + ("." if n_cut else ": none of them is upstream of the target with a share of its own."),
        *beyond_text, *caveats)


def _untested_aggregates(net: StressNetwork, nodes: list[int]) -> list[str]:
    """The pseudo-regions (``EUR``, ``VAR``) holding shares of ``nodes``: TTS tests countries only, so say whose
    supply no row tests."""
    from pinchpoint.analysis.concentration import aggregate_holdings, aggregate_label, holdings_text

    cc = net.compiled
    used = {subject: cc.share_sets[subject] for k in nodes if (subject := cc.share_source[k]) is not None}
    return [f"{aggregate_label(cc.chain, pid)} holds {holdings_text(cc.chain, items)}: it stands for several "
            "countries, not one, so no row tests its supply."
            for pid, items in aggregate_holdings(cc.chain, used).items()]


def _scenario_pairs(net: StressNetwork, scenario: Scenario) -> set[tuple[int, int]]:
    """(country column, input) pairs of the compiled chain whose supply a supply shock of the scenario cuts; an
    organisation's cut is counted against its home country."""
    from pinchpoint.kernel.countries import normalise_country
    from pinchpoint.stress.scenario import CapacityLoss

    cc = net.compiled
    pairs: set[tuple[int, int]] = set()
    for shares, shock in shock_arrays(net, scenario)[0]:
        if isinstance(shock, CapacityLoss) and shock.organisation is not None:
            match = [p for p in cc.chain.providers if shock.organisation in (p.id, p.name)]
            code = match[0].home_country if match else None
        else:
            code = normalise_country(shock.country or "")
        if code in cc.countries:
            c = cc.countries.index(code)
            pairs.update((c, int(i)) for i in np.flatnonzero(shares > 0))
    return pairs


def _installed_base_tts(lp: _TTSProgramme, node: int, share: float, first: float, delta: float, horizon: float,
                        label: str) -> float:
    """TTS when the lost node is a tool: installed tools keep working and wear out at ``delta`` per day, so the
    average capacity lost over [0, t] is s * (1 - (1 - e^-dt) / dt). Solve t = TTS(average loss over t) by secant
    steps on the fixed point (plain steps where the secant would not advance); ``first`` is the TTS at full loss."""
    if delta <= 0:
        return horizon if first >= horizon else lp.solve(node, 0.0, label)

    def g(t: float) -> float:
        avg = share * (1.0 - (1.0 - np.exp(-delta * t)) / (delta * t)) if t > 0 else 0.0
        return lp.solve(node, avg, label)

    t_prev, g_prev = first, g(first)
    if abs(g_prev - t_prev) < 0.5 or g_prev >= horizon:
        return g_prev
    t_cur, g_cur = g_prev, g(g_prev)
    for _ in range(30):
        if abs(g_cur - t_cur) < 0.5 or g_cur >= horizon:
            break
        h_prev, h_cur = g_prev - t_prev, g_cur - t_cur
        t_next = t_cur - h_cur * (t_cur - t_prev) / (h_cur - h_prev) if h_cur != h_prev else g_cur
        if not np.isfinite(t_next) or t_next <= t_cur:
            t_next = g_cur
        t_prev, g_prev = t_cur, g_cur
        t_cur = min(t_next, horizon)
        g_cur = g(t_cur)
    return g_cur


@contextlib.contextmanager
def _c_stdout_silenced() -> Iterator[None]:
    """Send what C code writes to standard output to the null device (a JSON or CSV result goes there)."""
    def flush_c() -> None:
        with contextlib.suppress(OSError, AttributeError, TypeError):  # no C library by that name (Windows)
            ctypes.CDLL(None).fflush(None)

    sys.stdout.flush()
    flush_c()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (an embedded interpreter): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        flush_c()
        os.dup2(saved, 1)
        os.close(saved)


def _highs_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("highspy")
    except PackageNotFoundError:
        return "(version unknown)"


def _highspy() -> Any:
    """HiGHS's Python module, or an error naming the extra that installs it."""
    return import_extra("highspy", "stress", "the tts engine (linear programmes solved by HiGHS)")


class _TTSProgramme:
    """max t  s.t.  x_v <= cap_v * t (own capacity),  x_u + inv_u >= x_v (complements),
    sum_u w_u (x_u + inv_u) / sum w >= x_v (substitutes),  x_target + inv_target >= t,  0 <= t <= horizon.

    ``x`` is the cumulative output of each node over [0, t] in days of normal output. The programme is built once;
    each country-input changes one coefficient (its node's capacity) and re-solves warm (HiGHS).
    """

    def __init__(self, nodes: list[int], pos: dict[int, int], groups: dict[tuple[int, bool, bool],
                 list[tuple[int, float]]], has_types: set[int], inventory: FloatArray, target: int,
                 horizon: float) -> None:
        highspy = _highspy()

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
        with _c_stdout_silenced():  # HiGHS prints its banner from C++ on construction, before any option applies
            h = highspy.Highs()
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

    def with_caveats(self, *caveats: str) -> DynamicResult:
        """The same result with ``caveats`` on every table."""
        return replace(self, series=self.series.with_caveats(*caveats), summary=self.summary.with_caveats(*caveats),
                       binding=self.binding.with_caveats(*caveats), capacity=self.capacity.with_caveats(*caveats))


def _draws(scenario: Scenario, runs: int, seed: int) -> dict[str, NDArray[np.float64]]:
    """Monte Carlo draws, one column per run. A single run uses the scenario's stated (central) values."""
    rng = np.random.default_rng(seed)
    n_shocks = len(scenario.shocks)
    draws = {name: np.ones((n_shocks, runs)) for name in ("fraction", "duration", "increase")}
    draws["inventory_scale"] = np.ones((1, runs))
    draws["spare_capacity"] = np.full((1, runs), scenario.parameters.spare_capacity)
    draws["monte_carlo"] = np.full((1, runs), float(runs > 1))
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
                progress: Progress | None = None, workers: int = 1, scheduler: str | None = None) -> DynamicResult:
    """Daily steps over the horizon, all Monte Carlo runs at once (arrays of inputs x runs).

    With ``workers > 1`` the runs are split across local processes; with ``scheduler`` (a Dask scheduler address,
    needs the 'scale' extra) across a Dask cluster, in ``workers`` batches. Every random draw is made here first,
    so the result for a seed does not depend on where or in how many batches the runs are made.
    """
    caveats = check_scenario(net, scenario) + granularity_caveats(net, scenario)
    days = np.arange(scenario.horizon_days, dtype=float)
    draws = _draws(scenario, runs, seed)
    if scheduler is not None:
        client_class = import_extra("distributed", "scale", "running on a Dask cluster").Client
        batches = max(workers, 1)
        bounds = np.linspace(0, runs, batches + 1).astype(int)
        chunks = [{k: v[:, lo:hi] for k, v in draws.items()} for lo, hi in itertools.pairwise(bounds) if hi > lo]
        with client_class(scheduler) as client:
            parts = client.gather(client.map(_simulate, [net] * len(chunks), [scenario] * len(chunks), chunks,
                                             pure=False))
        raw = _merge(parts, [hi - lo for lo, hi in itertools.pairwise(bounds) if hi > lo], runs)
        if progress is not None:
            progress(len(days), len(days))
    elif workers > 1 and runs >= 2 * workers:
        from concurrent.futures import ProcessPoolExecutor

        bounds = np.linspace(0, runs, workers + 1).astype(int)
        chunks = [{k: v[:, lo:hi] for k, v in draws.items()} for lo, hi in itertools.pairwise(bounds)]
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_simulate, [net] * workers, [scenario] * workers, chunks))
        raw = _merge(parts, [hi - lo for lo, hi in itertools.pairwise(bounds)], runs)
        if progress is not None:
            progress(len(days), len(days))
    else:
        raw = _simulate(net, scenario, draws, progress)
    result = _dynamic_tables(net, scenario, days, raw["short"], raw["stock_out"], raw["min_avail"], raw["capacity"],
                             raw["peak_loss"], runs, seed)
    return result.with_caveats(*caveats)


@dataclass(frozen=True)
class PriorityRationing:
    """Divide each scarce input among the outputs that use it, priority outputs first.

    Under proportional rationing every output that uses input i gets the same fraction ``a_i`` of its normal use
    (what plain propagation gives). Under priority rationing, with outputs' normal uses ``w`` (equal shares of the
    input), the priority outputs get ``min(1, a_i / w_P)`` and the others share what is left,
    ``max(a_i - w_P, 0) / (1 - w_P)``. Each output's availability is then propagated with its own allocation.
    """

    users: NDArray[np.bool_]  # (inputs, outputs): the output uses the input
    priority: NDArray[np.bool_]  # (outputs,)
    outputs: NDArray[np.int64]

    @classmethod
    def build(cls, net: StressNetwork, priority: Sequence[str]) -> PriorityRationing:
        from pinchpoint.analysis.exposure import upstream

        chain = net.compiled.chain
        users = np.zeros((net.n, len(net.outputs)), dtype=bool)
        for o, k in enumerate(net.outputs):
            users[k, o] = True
            for i in upstream(chain, net.compiled.ids[k]):
                users[net.index(i), o] = True
        wanted = {net.index(p) for p in priority}
        unknown = wanted - set(net.outputs)
        if unknown:
            raise SimulationError(f"priority names inputs that are not outputs: "
                                  f"{', '.join(net.compiled.ids[i] for i in sorted(unknown))}")
        return cls(users, np.array([k in wanted for k in net.outputs]), np.array(net.outputs, dtype=np.int64))

    def output_availability(self, graph: Any, own: NDArray[Any]) -> NDArray[Any]:
        n_users = self.users.sum(axis=1)  # outputs sharing each input
        n_priority = (self.users & self.priority[None, :]).sum(axis=1)
        share_p = np.where(n_users > 0, n_priority / np.maximum(n_users, 1), 0.0)[:, None]  # w_P per input
        first = np.where(share_p > 0, np.minimum(1.0, own / np.maximum(share_p, 1e-12)), own)
        rest = np.where(share_p < 1, np.maximum(own - share_p, 0.0) / np.maximum(1.0 - share_p, 1e-12), own)
        result = np.empty((len(self.outputs), own.shape[1]), dtype=own.dtype)
        for o, k in enumerate(self.outputs):
            allocation = np.where(self.priority[o], first, rest).astype(own.dtype)
            result[o] = graph.propagate(allocation)[k]
        return result


def _merge(parts: list[dict[str, NDArray[np.float64]]], sizes: list[int], runs: int
           ) -> dict[str, NDArray[np.float64]]:
    """Join batches of runs back together in run order."""
    raw = {k: np.concatenate([part[k] for part in parts], axis=-1) for k in ("short", "stock_out", "min_avail",
                                                                               "peak_loss")}
    raw["capacity"] = sum((part["capacity"] * size for part, size in zip(parts, sizes, strict=True)),
                          np.zeros_like(parts[0]["capacity"])) / runs
    return raw


def _simulate(net: StressNetwork, scenario: Scenario, draws: dict[str, NDArray[np.float64]],
              progress: Progress | None = None) -> dict[str, NDArray[np.float64]]:
    p = scenario.parameters
    runs = draws["inventory_scale"].shape[1]
    days = np.arange(scenario.horizon_days, dtype=float)
    supply, demand = shock_arrays(net, scenario)
    shock_index = {id(s): k for k, s in enumerate(scenario.shocks)}
    n = net.n

    # Loss of own supply on day t and run r: sum over shocks of share x size(r) x severity(t, r), built day by
    # day so memory stays (inputs x runs) however long the horizon.
    supply_terms: list[tuple[FloatArray, FloatArray]] = []  # (shares (n,), size x severity (days, runs))
    onset = np.full(n, np.inf)
    for shares, shock in supply:
        k = shock_index[id(shock)]
        size = (draws["fraction"][k] if draws["monte_carlo"][0, 0] and any(
            u.target == "fraction" and u.shock in (None, k) for u in scenario.uncertainty)
            else np.full(runs, shock.fraction))
        if isinstance(shock, ExportBan):
            size = size * (1.0 - shock.leakage)
        supply_terms.append((shares, _severity(shock, days, draws["duration"][k]) * size[None, :]))
        onset = np.where(shares > 0, np.minimum(onset, shock.start), onset)
    demand_terms: list[tuple[FloatArray, FloatArray]] = []
    for mask, surge_shock in demand:
        k = shock_index[id(surge_shock)]
        inc = (draws["increase"][k] if draws["monte_carlo"][0, 0] and any(
            u.target == "increase" and u.shock in (None, k) for u in scenario.uncertainty)
            else np.full(runs, surge_shock.increase))
        demand_terms.append((mask.astype(float), _severity(surge_shock, days, draws["duration"][k]) * inc[None, :]))
        onset = np.where(mask, np.minimum(onset, surge_shock.start), onset)

    # Only inputs touched by a shock change from day to day: compute on those rows, keep the rest at 1.
    touched: NDArray[np.bool_] = np.zeros(n, dtype=bool)
    for shares, _ in supply_terms:
        touched |= shares > 0
    for surge_mask, _ in demand_terms:
        touched |= surge_mask > 0
    outputs = np.array(net.outputs)
    touched[outputs] = False  # an output's own availability comes from its inputs, buffered below
    rows = np.flatnonzero(touched)
    # single precision for the per-day arrays: half the memory traffic; tables round to 1e-6 anyway
    f32 = np.float32
    supply_rows: list[tuple[NDArray[Any], NDArray[Any]]] = [
        (shares[rows][:, None].astype(f32), sized.astype(f32)) for shares, sized in supply_terms]
    demand_rows: list[tuple[NDArray[Any], NDArray[Any]]] = [
        (m[rows][:, None].astype(f32), sized.astype(f32)) for m, sized in demand_terms]
    demand_out: list[tuple[NDArray[Any], NDArray[Any]]] = [(m[outputs][:, None], sized) for m, sized in demand_terms]

    kinds = np.array([k.value for k in net.kinds])
    stocked = (kinds == "material")[rows][:, None]  # consumables held in stock; finished goods are buffered below
    is_tool = (kinds == "tool")[rows][:, None]
    inventory_days = net.per_input(p.inventory_days)[:, None] * draws["inventory_scale"]  # days of normal use
    stock_cap = inventory_days[rows].astype(f32)
    stock = stock_cap.copy()
    out_cap = inventory_days[outputs]
    out_stock = out_cap.copy()
    spare = draws["spare_capacity"][0][None, :]
    spare_rows = spare.astype(f32)
    decayed = np.zeros((len(rows), runs), dtype=f32)
    onset_rows = onset[rows]
    short = np.zeros((len(days), len(outputs), runs))
    stock_out = np.zeros((len(days), len(outputs), runs))
    min_avail = np.ones((n, runs), dtype=np.float32)
    capacity_series = np.ones((len(days), n))
    peak_rows = np.zeros((len(rows), runs), dtype=f32)
    own: NDArray[Any] = np.ones((n, runs), dtype=np.float32)  # single precision is ample: results round to 1e-6
    rationing = PriorityRationing.build(net, p.priority) if p.rationing == "priority" else None
    graph = net.compiled.graph
    for t, day in enumerate(days):
        lost = np.zeros((len(rows), runs), dtype=f32)
        for shares, sized in supply_rows:
            lost += shares * sized[t]
        np.clip(lost, 0.0, 1.0, out=lost)
        need = np.ones((len(rows), runs), dtype=f32)
        for m, sized in demand_rows:
            need += m * sized[t]
        need_out = np.ones((len(outputs), runs))
        for m, sized in demand_out:
            need_out += m * sized[t]
        np.maximum(peak_rows, lost, out=peak_rows)
        # tools are capital goods: the installed base wears out at a documented rate instead of vanishing
        decayed = np.where(is_tool, np.where(lost > decayed, decayed + p.tool_decay_per_day * (lost - decayed), lost),
                           lost)
        since = day - onset_rows - p.qualification_days
        ramp = np.clip(since / p.ramp_up_days, 0.0, 1.0) if p.ramp_up_days > 0 else (since >= 0).astype(float)
        extra = np.minimum(decayed + np.maximum(need - 1.0, 0.0), spare_rows) * ramp[:, None].astype(f32)
        capacity = (1.0 - decayed) + extra  # over-production is capped by the spare capacity
        capacity_series[t, rows] = capacity.mean(axis=1)
        # consumables draw on stock; other inputs deliver what they make
        use = np.minimum(need, capacity + np.where(stocked, stock, f32(0.0)))
        stock = np.where(stocked, np.minimum(stock_cap, stock + capacity - use), stock)
        own[rows] = use / need
        avail = graph.propagate(own)
        np.minimum(min_avail, avail, out=min_avail)
        out_avail = avail[outputs] if rationing is None else rationing.output_availability(graph, own)
        # finished goods: production limited by inputs, sold from production plus stock
        made = np.minimum(out_avail * need_out, 1.0 + spare)
        sold = np.minimum(need_out, made + out_stock)
        out_stock = np.minimum(out_cap, out_stock + made - sold)
        short[t] = 1.0 - sold / need_out
        stock_out[t] = out_stock
        if not (np.isfinite(short[t]).all() and (stock > -1e-9).all() and (out_stock > -1e-9).all()):
            raise SimulationError(f"day {int(day)}: non-finite shortfall or negative stock; check the parameters")
        if progress is not None:
            progress(t + 1, len(days))
    peak_loss_seen = np.zeros((n, runs))
    peak_loss_seen[rows] = peak_rows
    return {"short": short, "stock_out": stock_out, "min_avail": min_avail.astype(np.float64),
            "capacity": capacity_series, "peak_loss": peak_loss_seen}


def _severity(shock: Any, days: FloatArray, scale: FloatArray) -> FloatArray:
    if np.allclose(scale, scale[0]):
        return np.repeat(shock.severity(days, float(scale[0]))[:, None], len(scale), axis=1)
    return np.stack([shock.severity(days, float(s)) for s in scale], axis=1)


def _band(x: FloatArray, axis: int = -1) -> tuple[FloatArray, FloatArray, FloatArray]:
    return x.mean(axis=axis), np.percentile(x, 5, axis=axis), np.percentile(x, 95, axis=axis)


def _summary_units(runs: int) -> str:
    """The units of the summary's columns, said in every output (they were only in docs/stress.md)."""
    over = "" if runs == 1 else f" (means over the {runs:,} runs; _p95 columns the worst 5%)"
    return ("Units" + over + ": peak_shortfall is the largest share of normal demand unmet on any one day (0 to 1; "
            "1 = nothing delivered); shortfall_days are days of normal output lost over the horizon (the daily "
            "shortfalls added up: 0.5 short for 10 days = 5); recovery_day is the day, counted from day 0 of the "
            "scenario, after which no shortfall is left" + ("" if runs == 1 else " (the median over the runs that "
            "recover, given when at least half of them do)") + ".")


def _dynamic_tables(net: StressNetwork, scenario: Scenario, days: FloatArray, short: FloatArray, stock: FloatArray,
                    min_avail: FloatArray, capacity: FloatArray, peak_loss: FloatArray, runs: int, seed: int
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
    summary_notes = [_summary_units(runs)]
    open_ended = [r["input_name"] for r in summary_rows if r["recovery_day"] is None]
    never = [r["input_name"] for r in summary_rows if r["recovery_day"] == 0]
    if open_ended:
        summary_notes.append(
            f"recovery_day blank ({', '.join(open_ended)}): {'the run is' if runs == 1 else 'most runs are'} still "
            f"short on the last day of the {scenario.horizon_days:,}-day horizon (runs_not_recovered counts the "
            "runs): not recovered within the horizon, not an unknown day.")
    if never:
        summary_notes.append(
            f"recovery_day 0 ({len(never)} of the {len(summary_rows)} end products, e.g. {never[0]}): never short "
            f"({'the run has' if runs == 1 else 'the median of the runs that recover has'} no day with a "
            "shortfall), not recovered on day 0.")
    binding_rows = []
    worst = min_avail.mean(axis=1)
    for k in np.argsort(worst):
        if worst[k] >= 1.0 - 1e-9 or net.kinds[k] is InputKind.OUTPUT:
            continue
        inp = chain.input_by_id[ids[k]]
        binding_rows.append({"scenario": scenario.name, "input_id": inp.id, "input_name": inp.name,
                             "kind": inp.kind.value, "lowest_availability": round(float(worst[k]), 6),
                             "peak_own_loss": round(float(peak_loss[k].mean()), 6)})
    shocked = np.flatnonzero(peak_loss.max(axis=1) > 0)
    capacity_rows = [{"scenario": scenario.name, "input_id": ids[k], "day": int(day),
                      "capacity": round(float(capacity[t, k]), 6)}
                     for k in shocked for t, day in enumerate(days)]
    return DynamicResult(
        series=ResultTable.from_records("stress_series", series_rows, meta=meta),
        summary=ResultTable.from_records("stress_summary", summary_rows, meta=meta).with_caveats(*summary_notes),
        binding=ResultTable.from_records("stress_binding", binding_rows,
                                         ["scenario", "input_id", "input_name", "kind", "lowest_availability",
                                          "peak_own_loss"], meta=meta),
        capacity=ResultTable.from_records("stress_capacity", capacity_rows,
                                          ["scenario", "input_id", "day", "capacity"], meta=meta),
        runs=runs, seed=seed)
