"""Choosing measures: a mixed-integer programme on HiGHS, plus brute force and greedy baselines.

The programme is exact for the risk measures of :mod:`pinchpoint.planning.problem`: each is convex piecewise
linear in the chosen measures and is written as an epigraph (``max_share``, ``tts``: ``z >= each term``) or a
hypograph (``shortfall``: the availability of every node is at most its own supply, at most each complement it
needs and at most the capacity-weighted mean of its substitutes; maximising the end product's availability makes
every bound that matters tight, so the optimum equals the propagation the stress engine computes).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import BadArgumentError, PinchpointError
from pinchpoint.planning.problem import PlanProblem
from pinchpoint.supplychain.model import Mode, RelationKind

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Solution:
    budget: float  # USD million per year
    chosen: NDArray[np.bool_]  # (measures,)
    risk: float  # exact evaluation of the chosen portfolio
    objective: float  # the programme's objective value (equals risk up to solver tolerance)
    bound: float  # the best proven lower bound on the risk
    gap: float  # relative MIP gap (0 when proven optimal)
    status: str
    optimal: bool
    seconds: float


def _highspy() -> Any:
    from pinchpoint.errors import import_extra

    return import_extra("highspy", "stress", "the planner (mixed-integer programmes on HiGHS)")


class Programme:
    """The planning MIP for one problem, built once; each budget changes only the budget rows' bounds."""

    def __init__(self, problem: PlanProblem) -> None:
        from pinchpoint.stress.engines import _c_stdout_silenced

        highspy = _highspy()
        self.problem = problem
        p = problem
        n_m = len(p.measures)
        cols_lo: list[float] = [0.0] * n_m
        cols_hi: list[float] = [1.0] * n_m
        costs: list[float] = [0.0] * n_m
        rows: list[tuple[dict[int, float], float, float]] = []  # coefficients, lower, upper
        inf = highspy.kHighsInf
        self.constant = 0.0

        def new_col(lo: float, hi: float, cost: float) -> int:
            cols_lo.append(lo)
            cols_hi.append(hi)
            costs.append(cost)
            return len(cols_lo) - 1

        by_input: dict[int, list[int]] = {}
        for m, i in enumerate(p.measure_input):
            by_input.setdefault(int(i), []).append(m)

        if p.objective in ("max_share", "tts"):
            n_in = len(p.inputs)
            for j in range(n_in):
                z = new_col(0.0, inf, 1.0 / n_in)
                for c in np.flatnonzero(p.exposed[j] > 0):
                    u = new_col(0.0, inf, 0.0)
                    coefs: dict[int, float] = {u: 1.0}
                    for mc in np.flatnonzero(p.cover[:, j, c] > 0).tolist():
                        coefs[mc] = float(p.cover[mc, j, c])
                    rows.append((coefs, float(p.exposed[j, c]), inf))  # u >= s - R
                    if p.objective == "max_share":
                        rows.append(({z: 1.0, u: -1.0}, 0.0, inf))  # z >= u
                    else:
                        coefs = {z: 1.0, u: -float(p.ttr[j])}
                        for ms in np.flatnonzero(p.stock[:, j] > 0).tolist():
                            coefs[ms] = float(p.stock[ms, j])
                        rows.append((coefs, -float(p.base_days[j]), inf))  # z >= TTR u - days
        else:
            from pinchpoint.analysis.exposure import upstream

            cc = p.net.compiled
            chain = cc.chain
            target_id = cc.ids[p.target]
            nodes = sorted({cc.index[i] for i in upstream(chain, target_id)} | {p.target})
            has_types = {cc.index[r.target] for r in chain.relations if r.kind is RelationKind.IS_TYPE_OF}
            groups: dict[tuple[int, bool, bool], list[tuple[int, float]]] = {}
            node_set = set(nodes)
            for r, w in zip(chain.relations, cc.edge_weights, strict=True):
                v, u = cc.index[r.target], cc.index[r.source]
                if v in node_set:
                    key = (v, r.kind is RelationKind.IS_TYPE_OF, r.mode is Mode.SUBSTITUTE)
                    groups.setdefault(key, []).append((u, float(w)))
            n_s = len(p.scenarios)
            for s in range(n_s):
                col = {v: new_col(0.0, 1.0, -float(p.weights[s]) if v == p.target else 0.0) for v in nodes}
                for v in nodes:
                    if v in has_types:
                        continue  # its types replace its own supply
                    coefs = {col[v]: 1.0}
                    for m in by_input.get(v, []):
                        if p.offset[m, s] > 0:
                            coefs[m] = -float(p.offset[m, s])
                    rows.append((coefs, -inf, 1.0 - float(p.base_loss[v, s])))
                for (v, _is_type, substitute), members in groups.items():
                    if substitute:
                        total = sum(w for _, w in members)
                        coefs = {col[v]: 1.0}
                        for u, w in members:
                            coefs[col[u]] = coefs.get(col[u], 0.0) - w / total
                        rows.append((coefs, -inf, 0.0))
                    else:
                        for u, _ in members:
                            rows.append(({col[v]: 1.0, col[u]: -1.0}, -inf, 0.0))
            self.constant = 1.0

        self.budget_rows = list(range(len(rows), len(rows) + p.spend.shape[1]))
        for y in range(p.spend.shape[1]):
            rows.append(({m: float(p.spend[m, y]) for m in range(n_m) if p.spend[m, y] > 0}, -inf, 0.0))

        with _c_stdout_silenced():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        n_cols = len(cols_lo)
        empty = np.array([], dtype=np.int32)
        h.addCols(n_cols, np.array(costs), np.array(cols_lo), np.array(cols_hi), 0, empty, empty, np.array([]))
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        for coefs, _, _ in rows:
            starts.append(len(index))
            index.extend(coefs)
            value.extend(coefs.values())
        h.addRows(len(rows), np.array([lo for _, lo, _ in rows]), np.array([hi for _, _, hi in rows]), len(index),
                  np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value))
        if n_m:
            h.changeColsIntegrality(n_m, np.arange(n_m, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * n_m))
        self.highs = h
        self.n_cols = n_cols
        self.n_rows = len(rows)
        self.highspy = highspy

    def solve(self, budget: float, *, time_limit: float = 30.0, mip_rel_gap: float = 1e-6,
              start: NDArray[np.float64] | None = None) -> Solution:
        """The best portfolio with at most ``budget`` (USD million) spent in every year."""
        p = self.problem
        h = self.highs
        hp = self.highspy
        t0 = time.perf_counter()
        for r in self.budget_rows:
            h.changeRowBounds(r, -hp.kHighsInf, float(budget))
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        h.setOptionValue("mip_abs_gap", 1e-9)
        if start is not None:
            sol = hp.HighsSolution()
            sol.col_value = list(map(float, start))
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        seconds = time.perf_counter() - t0
        n_m = len(p.measures)
        values = np.array(h.getSolution().col_value, dtype=float) if n_m or self.n_cols else np.zeros(0)
        if len(values) != self.n_cols or info.primal_solution_status != hp.SolutionStatus.kSolutionStatusFeasible:
            raise PinchpointError(f"the planning programme found no feasible portfolio at budget {budget:g} "
                                  f"({h.modelStatusToString(status)})")
        chosen = values[:n_m] > 0.5
        objective = float(info.objective_function_value) + self.constant
        bound = float(info.mip_dual_bound) + self.constant if n_m else objective
        optimal = status == hp.HighsModelStatus.kOptimal
        gap = 0.0 if optimal and not n_m else float(info.mip_gap) if n_m else 0.0
        risk = float(p.evaluate(chosen.astype(float))[0])
        self.last_values = values
        return Solution(budget, chosen, risk, objective, bound, max(gap, 0.0), h.modelStatusToString(status),
                        optimal, seconds)


def prune(problem: PlanProblem, chosen: NDArray[np.bool_], tol: float = 1e-12) -> NDArray[np.bool_]:
    """Drop chosen measures whose removal raises no risk (the costliest first): the programme is indifferent
    between optimal portfolios, and a measure that buys nothing should not be recommended."""
    keep = chosen.copy()
    risk = float(problem.evaluate(keep.astype(float))[0])
    order = sorted(np.flatnonzero(keep), key=lambda m: -float(problem.spend[m].sum()))
    for m in order:
        trial = keep.copy()
        trial[m] = False
        if float(problem.evaluate(trial.astype(float))[0]) <= risk + tol:
            keep = trial
    return keep


def brute_force(problem: PlanProblem, budget: float, max_measures: int = 16) -> tuple[float, NDArray[np.bool_]]:
    """The optimum by enumerating every portfolio (small instances only: a test's reference)."""
    n = len(problem.measures)
    if n > max_measures:
        raise BadArgumentError(f"brute force enumerates 2^{n} portfolios: at most {max_measures} measures",
                               parameter="measures")
    subsets = np.array(list(itertools.product((0.0, 1.0), repeat=n))).T.reshape(n, 2 ** n)
    spend = problem.spend.T @ subsets  # (years, portfolios)
    feasible = (spend <= budget + 1e-9).all(axis=0)
    risk = problem.evaluate(subsets)
    risk[~feasible] = np.inf
    best = int(np.argmin(risk))
    return float(risk[best]), subsets[:, best] > 0.5


def greedy(problem: PlanProblem, budget: float) -> tuple[float, NDArray[np.bool_]]:
    """Add, one at a time, the affordable measure with the largest risk reduction per USD spent, until none
    reduces risk (the baseline an analyst would otherwise use)."""
    n = len(problem.measures)
    chosen = np.zeros(n, dtype=bool)
    spent = np.zeros(problem.spend.shape[1])
    risk = float(problem.evaluate(chosen.astype(float))[0])
    total_cost = problem.spend.sum(axis=1)
    while True:
        afford = (~chosen) & ((spent[None, :] + problem.spend) <= budget + 1e-9).all(axis=1)
        cand = np.flatnonzero(afford)
        if not len(cand):
            break
        trial = np.repeat(chosen[:, None], len(cand), axis=1).astype(float)
        trial[cand, np.arange(len(cand))] = 1.0
        risks = problem.evaluate(trial)
        gain = risk - risks
        if gain.max() <= 1e-12:
            break
        best = int(np.argmax(np.where(gain > 1e-12, gain / np.maximum(total_cost[cand], 1e-12), -np.inf)))
        chosen[cand[best]] = True
        spent += problem.spend[cand[best]]
        risk = float(risks[best])
    return risk, chosen


def frontier(problem: PlanProblem, budgets: list[float], *, time_limit: float = 30.0,
             mip_rel_gap: float = 1e-6) -> list[Solution]:
    """Solve each budget, in increasing order, warm-starting from the previous portfolio (still affordable), so
    the risk never rises with the budget even when a point stops at its time limit."""
    prog = Programme(problem)
    out: dict[float, Solution] = {}
    start: NDArray[np.float64] | None = None
    previous: Solution | None = None
    for b in sorted(set(budgets)):
        sol = prog.solve(b, time_limit=time_limit, mip_rel_gap=mip_rel_gap, start=start)
        if previous is not None and sol.risk > previous.risk + 1e-12:
            sol = Solution(b, previous.chosen, previous.risk, previous.risk, sol.bound,
                           max(0.0, (previous.risk - sol.bound) / max(abs(previous.risk), 1e-12)), sol.status, False,
                           sol.seconds)
        chosen = prune(problem, sol.chosen)
        if not np.array_equal(chosen, sol.chosen):
            sol = Solution(sol.budget, chosen, float(problem.evaluate(chosen.astype(float))[0]), sol.objective,
                           sol.bound, sol.gap, sol.status, sol.optimal, sol.seconds)
        start = prog.last_values if np.array_equal(chosen, prog.last_values[:len(chosen)] > 0.5) else None
        out[b] = sol
        previous = sol
    return [out[b] for b in budgets]
