"""The planner's entry point: a portfolio of measures for a budget, the risk-versus-budget frontier, and the risk
before and after, as :class:`~pinchpoint.results.ResultTable`s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError
from pinchpoint.planning.measures import Measure, MeasureKind
from pinchpoint.planning.params import check_budget, check_budgets, check_horizon
from pinchpoint.planning.problem import OBJECTIVE_UNITS, PlanProblem, build_problem
from pinchpoint.planning.solve import Solution, frontier
from pinchpoint.results import ResultTable
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import Scenario
from pinchpoint.supplychain.model import SupplyChain

MIN_FRONTIER_POINTS = 10
PLAN_TABLES = ("frontier", "portfolio", "effects", "excluded", "countries")


@dataclass(frozen=True)
class PlanResult:
    frontier: ResultTable  # one row per budget: risk, proof (optimal or gap), spend
    portfolio: ResultTable  # the measures chosen at the planning budget, with each one's contribution
    effects: ResultTable  # risk before and after, per scenario and input (shortfall) or per input
    excluded: ResultTable  # candidates that cannot count, with the reason
    countries: ResultTable  # each country's mean share of the inputs the portfolio acts on, before and after

    def tables(self) -> tuple[ResultTable, ...]:
        return (self.frontier, self.portfolio, self.effects, self.excluded, self.countries)

    def table(self, name: str) -> ResultTable:
        """One of the tables by name: frontier, portfolio, effects, excluded or countries."""
        table: ResultTable = getattr(self, check_table(name))
        return table

    def with_caveats(self, *caveats: str) -> PlanResult:
        return replace(self, **{f: getattr(self, f).with_caveats(*caveats)
                                for f in ("frontier", "portfolio", "effects", "excluded", "countries")})


def check_table(name: str) -> str:
    """``name`` if it is one of :data:`PLAN_TABLES`, else a :class:`BadArgumentError` listing them."""
    if name not in PLAN_TABLES:
        raise BadArgumentError(f"unknown plan table {name!r} (one of: {', '.join(PLAN_TABLES)})", parameter="table")
    return name


def resolve_coalition(spec: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """A coalition by name (``us_japan``, ``chip4``, ``g7``, ``eu27``) or as ISO3 codes (a list, or one string
    separated by commas)."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return None
    from pinchpoint.analysis.coalitions import COALITIONS

    if isinstance(spec, str):
        if spec.strip().lower() in COALITIONS:
            return tuple(c for c in COALITIONS[spec.strip().lower()] if c != "EUR")
        spec = [c.strip() for c in spec.split(",") if c.strip()]
    return tuple(spec)


def frontier_budgets(budget: float, points: int = MIN_FRONTIER_POINTS + 1) -> list[float]:
    """``points`` budgets evenly from 0 to ``budget`` (USD million per year)."""
    if points < 2:
        raise BadArgumentError("a frontier needs at least two budgets", parameter="points")
    return [round(budget * k / (points - 1), 6) for k in range(points)]


def plan(chain: SupplyChain | StressNetwork, measures: Sequence[Measure], *, budget: float,
         horizon_years: float = 5.0, objective: str = "max_share", coalition: Sequence[str] | None = None,
         scenarios: Sequence[Scenario] = (), scenario_weights: Sequence[float] | None = None,
         inputs: Sequence[str] | None = None, target: str | None = None, budgets: Sequence[float] | None = None,
         time_limit: float = 30.0, mip_rel_gap: float = 1e-6, year: int | None = None) -> PlanResult:
    """Choose the measures that minimise ``objective`` with at most ``budget`` (USD million) spent in any year of
    the horizon, and the frontier over ``budgets`` (default: 11 budgets from 0 to ``budget``)."""
    check_budget(budget)  # the limits every interface states (planning.params)
    check_horizon(horizon_years)
    if budgets is not None:
        check_budgets(budgets)
    net = chain if isinstance(chain, StressNetwork) else StressNetwork.build(chain, year=year)
    if scenarios:
        from pinchpoint.stress.checks import check_scenario

        for s in scenarios:
            check_scenario(net, s)
    problem = build_problem(net, measures, objective=objective, horizon_years=horizon_years, coalition=coalition,
                            scenarios=scenarios, scenario_weights=scenario_weights, inputs=inputs, target=target)
    points = sorted({*(budgets if budgets is not None else frontier_budgets(budget)), float(budget)})
    solutions = frontier(problem, points, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    at_budget = solutions[points.index(float(budget))]
    meta = {"analysis": "plan", "dataset": net.compiled.chain.name, "objective": objective,
            "units": OBJECTIVE_UNITS[objective], "budget_musd_per_year": budget, "horizon_years": horizon_years,
            "coalition": sorted(problem.coalition) if problem.coalition else None,
            "scenarios": [s.name for s in scenarios], "candidates": len(measures),
            "method": "mixed-integer programme solved by HiGHS through highspy"}
    base = float(problem.evaluate(np.zeros(len(problem.measures)))[0])
    gaps = [s for s in solutions if not s.optimal]
    caveats = list(problem.caveats)
    caveats.append(f"Each frontier point is the exact risk of the portfolio chosen there; {len(solutions) - len(gaps)} "
                   f"of {len(solutions)} proven optimal" + (", the others stopped at the time limit with the MIP gap "
                                                             "shown" if gaps else "") + ".")
    result = PlanResult(
        frontier=_frontier_table(problem, solutions, base, meta),
        portfolio=_portfolio_table(problem, at_budget, meta),
        effects=_effects_table(problem, at_budget, meta),
        excluded=ResultTable.from_records("plan_excluded", [
            {"measure_id": m.id, "kind": m.kind.value, "input_id": m.input, "country": m.country, "reason": why}
            for m, why in problem.excluded], ["measure_id", "kind", "input_id", "country", "reason"], meta=meta),
        countries=_countries_table(problem, at_budget, meta))
    return result.with_caveats(*caveats)


def _countries_table(problem: PlanProblem, sol: Solution, meta: dict[str, Any]) -> ResultTable:
    """Per country, its mean share of supply over the inputs the candidates act on, before and after the chosen
    new capacity (renormalised; qualification, coalition contracts and stockpiles change no normal share)."""
    cc = problem.net.compiled
    inputs = sorted({int(i) for i in problem.measure_input})
    countries = list(cc.countries)
    extra: dict[str, int] = {}
    for m_idx in np.flatnonzero(sol.chosen):
        m = problem.measures[m_idx]
        if m.kind is MeasureKind.CAPACITY and m.country not in cc.countries and m.country:
            extra.setdefault(m.country, len(countries) + len(extra))
    before = np.zeros(len(countries) + len(extra))
    after = np.zeros(len(countries) + len(extra))
    for i in inputs:
        shares = np.concatenate([cc.loss[i], np.zeros(len(extra))])
        added = np.zeros_like(shares)
        for m_idx in np.flatnonzero(sol.chosen):
            m = problem.measures[m_idx]
            if m.kind is MeasureKind.CAPACITY and int(problem.measure_input[m_idx]) == i and m.country:
                added[countries.index(m.country) if m.country in cc.countries else extra[m.country]] += m.capacity
        before += shares
        after += (shares + added) / (1.0 + added.sum())
    n = max(len(inputs), 1)
    names = countries + list(extra)
    rows: list[dict[str, Any]] = []
    for k, c in enumerate(names):
        if before[k] or after[k]:
            rows.append({"country": c, "share_before": round(float(before[k] / n), 6),
                         "share_after": round(float(after[k] / n), 6),
                         "change": round(float((after[k] - before[k]) / n), 6)})
    rows.sort(key=lambda r: (-r["share_before"], r["country"]))
    return ResultTable.from_records("plan_countries", rows, ["country", "share_before", "share_after", "change"],
                                    meta=meta).with_caveats(
        f"Mean over the {len(inputs)} input(s) the candidates act on of each country's share of world supply, before "
        "and after the chosen new capacity (renormalised); unattributed shares (various countries, rest of world) "
        "are not shown, so a column may sum to less than 1.")


def _spend(problem: PlanProblem, chosen: np.ndarray[Any, Any]) -> tuple[float, float]:
    per_year = problem.spend.T @ chosen.astype(float)
    return float(per_year.max()) if len(per_year) else 0.0, float(per_year.sum())


def _frontier_table(problem: PlanProblem, solutions: list[Solution], base: float, meta: dict[str, Any]
                    ) -> ResultTable:
    rows = []
    for s in solutions:
        peak, total = _spend(problem, s.chosen)
        rows.append({"budget_musd_per_year": s.budget, "risk": round(s.risk, 9), "risk_before": round(base, 9),
                     "reduction_pct": round(100 * (base - s.risk) / base, 4) if base > 0 else 0.0,
                     "proven_optimal": s.optimal, "mip_gap": round(s.gap, 9), "bound": round(s.bound, 9),
                     "status": s.status, "n_measures": int(s.chosen.sum()),
                     "spend_peak_year_musd": round(peak, 6), "spend_total_musd": round(total, 6),
                     "seconds": round(s.seconds, 3)})
    return ResultTable.from_records("plan_frontier", rows, meta=meta)


def _portfolio_table(problem: PlanProblem, sol: Solution, meta: dict[str, Any]) -> ResultTable:
    chain = problem.net.compiled.chain
    rows: list[dict[str, Any]] = []
    for m_idx in np.flatnonzero(sol.chosen):
        m: Measure = problem.measures[m_idx]
        without = sol.chosen.astype(float)
        without[m_idx] = 0.0
        risk_without = float(problem.evaluate(without)[0])
        rows.append({"measure_id": m.id, "kind": m.kind.value, "input_id": m.input,
                     "input_name": chain.input_by_id[m.input].name, "country": m.country,
                     "capacity": m.capacity if m.kind is not MeasureKind.STOCKPILE else None,
                     "days": m.days if m.kind is MeasureKind.STOCKPILE else None, "cost_musd": m.cost,
                     "annual_cost_musd": m.annual_cost, "lead_time_years": m.lead_time_years,
                     "spend_total_musd": round(float(problem.spend[m_idx].sum()), 6),
                     "risk_without": round(risk_without, 9), "contribution": round(risk_without - sol.risk, 9),
                     "source": m.source})
    rows.sort(key=lambda r: (-r["contribution"], r["measure_id"]))
    columns = ["measure_id", "kind", "input_id", "input_name", "country", "capacity", "days", "cost_musd",
               "annual_cost_musd", "lead_time_years", "spend_total_musd", "risk_without", "contribution", "source"]
    return ResultTable.from_records("plan_portfolio", rows, columns, meta={**meta, "risk": sol.risk})


def _hhi_after(problem: PlanProblem, j: int, chosen: np.ndarray[Any, Any]) -> tuple[float, float]:
    """HHI (0-10,000) of input j's country shares before and after the chosen new capacity (renormalised)."""
    cc = problem.net.compiled
    i = problem.inputs[j]
    shares = cc.loss[i].copy()
    before = float((shares * 100) @ (shares * 100))
    added = np.zeros_like(shares)
    for m_idx in np.flatnonzero(chosen):
        m = problem.measures[m_idx]
        if m.kind is MeasureKind.CAPACITY and int(problem.measure_input[m_idx]) == i and m.country in cc.countries:
            added[cc.countries.index(m.country)] += m.capacity
    after_shares = (shares + added) / (1.0 + added.sum())
    return before, float((after_shares * 100) @ (after_shares * 100))


def _effects_table(problem: PlanProblem, sol: Solution, meta: dict[str, Any]) -> ResultTable:
    cc = problem.net.compiled
    chain = cc.chain
    zero = np.zeros((len(problem.measures), 1))
    chosen = sol.chosen.astype(float)[:, None]
    rows: list[dict[str, Any]] = []
    if problem.objective == "shortfall":
        own_b, own_a = problem.own_availability(zero)[:, :, 0], problem.own_availability(chosen)[:, :, 0]
        av_b, av_a = problem.availability(zero)[:, :, 0], problem.availability(chosen)[:, :, 0]
        touched = {int(problem.measure_input[m]) for m in np.flatnonzero(sol.chosen)}
        for s, sc in enumerate(problem.scenarios):
            for i in [problem.target, *sorted(touched | set(np.flatnonzero(own_b[:, s] < 1 - 1e-12).tolist()))]:
                rows.append({"scenario": sc.name, "input_id": cc.ids[i],
                             "input_name": chain.input_by_id[cc.ids[i]].name,
                             "is_target": i == problem.target,
                             "own_loss_before": round(1 - float(own_b[i, s]), 9),
                             "own_loss_after": round(1 - float(own_a[i, s]), 9),
                             "shortfall_before": round(1 - float(av_b[i, s]), 9),
                             "shortfall_after": round(1 - float(av_a[i, s]), 9)})
        seen: set[tuple[str, str]] = set()
        unique = []
        for r in rows:
            if (r["scenario"], r["input_id"]) not in seen:
                seen.add((r["scenario"], r["input_id"]))
                unique.append(r)
        return ResultTable.from_records("plan_effects", unique, meta=meta)
    unc_b, unc_a = problem.uncovered(zero)[:, :, 0], problem.uncovered(chosen)[:, :, 0]
    stock = np.einsum("mj,m->j", problem.stock, sol.chosen.astype(float)) if len(problem.measures) else \
        np.zeros(len(problem.inputs))
    for j, i in enumerate(problem.inputs):
        wb = int(np.argmax(unc_b[j])) if unc_b.shape[1] else -1
        wa = int(np.argmax(unc_a[j])) if unc_a.shape[1] else -1
        hhi_b, hhi_a = _hhi_after(problem, j, sol.chosen)
        row: dict[str, Any] = {
            "input_id": cc.ids[i], "input_name": chain.input_by_id[cc.ids[i]].name,
            "country_before": cc.countries[wb] if wb >= 0 and unc_b[j, wb] > 0 else None,
            "uncovered_before": round(float(unc_b[j, wb]), 9) if wb >= 0 else 0.0,
            "country_after": cc.countries[wa] if wa >= 0 and unc_a[j, wa] > 0 else None,
            "uncovered_after": round(float(unc_a[j, wa]), 9) if wa >= 0 else 0.0,
            "hhi_before": round(hhi_b, 3), "hhi_after": round(hhi_a, 3)}
        if problem.objective == "tts":
            days_b = float(problem.base_days[j])
            days_a = days_b + float(stock[j])
            row.update({"ttr_days": float(problem.ttr[j]),
                        "tts_days_before": round(days_b / row["uncovered_before"], 3) if row["uncovered_before"] > 0
                        else None,
                        "tts_days_after": round(days_a / row["uncovered_after"], 3) if row["uncovered_after"] > 0
                        else None})
        rows.append(row)
    return ResultTable.from_records("plan_effects", rows, meta=meta).with_caveats(
        "uncovered_* is the largest share one (non-secure) country holds that no chosen measure replaces; "
        "tts_days is inventory (plus chosen stockpile) days over that share, empty when nothing is uncovered "
        "(TTS unbounded)." if problem.objective == "tts" else
        "uncovered_* is the largest share one (non-secure) country holds that no chosen measure replaces; HHI "
        "after counts chosen new capacity (not qualification or coalition contracts, which change no normal share).")
