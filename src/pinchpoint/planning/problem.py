"""The planning problem compiled into arrays, and its exact evaluation for any set of chosen measures.

Three risk measures, each a convex piecewise-linear function of the chosen measures (so a mixed-integer programme
represents it exactly, see :mod:`pinchpoint.planning.solve`):

* ``max_share``: the mean, over the scored inputs, of the largest share of supply held by one non-secure country
  that the chosen measures do not replace: ``max_c max(0, s_ic - R_ic)``, where ``R_ic`` sums the capacity of
  chosen measures on input i located outside country c (and, with a coalition, inside it).
* ``tts``: time to survive against time to recover (Simchi-Levi): the mean over scored inputs of
  ``max_c max(0, TTR_i x u_ic - D_i)``, the days of normal use of input i that losing its worst country for TTR
  days leaves uncovered (``u_ic`` as above, ``D_i`` the inventory days plus chosen stockpiles). It is 0 exactly
  when TTS >= TTR for every country.
* ``shortfall``: the expected shortfall of the end product over stress scenarios at the shocks' peak, as the
  static stress engine computes it (:func:`pinchpoint.stress.network.peak_loss` propagated through the
  availability graph), with each chosen measure raising its input's own availability in each scenario by what it
  brings that the scenario does not cut.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import DataError
from pinchpoint.kernel.countries import normalise_country
from pinchpoint.planning.measures import Measure, MeasureKind
from pinchpoint.stress.network import FloatArray, StressNetwork, peak_loss
from pinchpoint.stress.scenario import CapacityLoss, DemandSurge, ExportBan, Parameters, Scenario
from pinchpoint.supplychain.model import RelationKind
from pinchpoint.supplychain.suggest import did_you_mean

OBJECTIVES = ("max_share", "tts", "shortfall")
OBJECTIVE_UNITS = {"max_share": "fraction of supply", "tts": "days of normal use", "shortfall": "fraction of output"}


@dataclass(frozen=True)
class PlanProblem:
    net: StressNetwork
    objective: str
    measures: tuple[Measure, ...]  # usable candidates
    excluded: tuple[tuple[Measure, str], ...]  # candidates left out, with the reason
    horizon_years: int
    spend: FloatArray  # (measures, years): USD million per year
    coalition: frozenset[str] | None
    measure_input: NDArray[np.int64]  # (measures,): index of the input each acts on
    # max_share / tts
    inputs: tuple[int, ...] = ()  # inputs the objective scores
    exposed: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (inputs, countries)
    cover: FloatArray = field(default_factory=lambda: np.zeros((0, 0, 0)))  # (measures, inputs, countries)
    ttr: FloatArray = field(default_factory=lambda: np.zeros(0))  # (inputs,) days
    base_days: FloatArray = field(default_factory=lambda: np.zeros(0))  # (inputs,) inventory days held already
    stock: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (measures, inputs) stockpile days
    # shortfall
    scenarios: tuple[Scenario, ...] = ()
    weights: FloatArray = field(default_factory=lambda: np.zeros(0))  # (scenarios,) sum to 1
    target: int = -1
    base_loss: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (inputs of the net, scenarios)
    offset: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))  # (measures, scenarios)
    disruption_days: FloatArray = field(default_factory=lambda: np.zeros(0))  # (scenarios,)
    caveats: tuple[str, ...] = ()

    @property
    def countries(self) -> tuple[str, ...]:
        return self.net.compiled.countries

    def evaluate(self, chosen: NDArray[np.float64] | NDArray[np.bool_]) -> FloatArray:
        """Risk of each portfolio: ``chosen`` is (measures,) or (measures, portfolios) of 0/1."""
        x = np.asarray(chosen, dtype=np.float64)
        if x.ndim == 1:
            return self.evaluate(x[:, None])
        if self.objective == "shortfall":
            return self.shortfall(x) @ self.weights
        uncovered = self.uncovered(x)  # (inputs, countries, portfolios)
        if self.objective == "max_share":
            per_input = uncovered.max(axis=1) if uncovered.shape[1] else np.zeros((len(self.inputs), x.shape[1]))
        else:
            days = self.base_days[:, None] + np.einsum("mj,mk->jk", self.stock, x)
            worst = uncovered.max(axis=1) if uncovered.shape[1] else np.zeros((len(self.inputs), x.shape[1]))
            per_input = np.maximum(0.0, self.ttr[:, None] * worst - days)
        result: FloatArray = per_input.mean(axis=0) if len(self.inputs) else np.zeros(x.shape[1])
        return result

    def uncovered(self, x: FloatArray) -> FloatArray:
        """(inputs, countries, portfolios): the share of each input a country holds that nothing chosen replaces."""
        replaced = np.einsum("mjc,mk->jck", self.cover, x)
        out: FloatArray = np.maximum(0.0, self.exposed[:, :, None] - replaced)
        return out

    def own_availability(self, x: FloatArray) -> FloatArray:
        """(inputs of the net, scenarios, portfolios): own supply after the shocks and the chosen measures."""
        k = x.shape[1]
        own = np.repeat((1.0 - self.base_loss)[:, :, None], k, axis=2)
        if len(self.measures):
            gain = self.offset[:, :, None] * x[:, None, :]  # (measures, scenarios, portfolios)
            np.add.at(own, self.measure_input, gain)
        out: FloatArray = np.minimum(own, 1.0)
        return out

    def availability(self, x: FloatArray) -> FloatArray:
        """(inputs of the net, scenarios, portfolios) after propagation through the availability graph."""
        own = self.own_availability(x)
        n, s, k = own.shape
        avail = self.net.compiled.graph.propagate(own.reshape(n, s * k))
        out: FloatArray = avail.reshape(n, s, k)
        return out

    def shortfall(self, x: FloatArray) -> FloatArray:
        """(portfolios, scenarios): the end product's shortfall at the shocks' peak."""
        out: FloatArray = 1.0 - self.availability(x)[self.target].T
        return out


def _check_inputs(net: StressNetwork, measures: Sequence[Measure]) -> None:
    chain = net.compiled.chain
    has_types = {r.target for r in chain.relations if r.kind is RelationKind.IS_TYPE_OF}
    types_of: dict[str, list[str]] = {}
    for r in chain.relations:
        if r.kind is RelationKind.IS_TYPE_OF:
            types_of.setdefault(r.target, []).append(r.source)
    for m in measures:
        if m.input not in net.compiled.index:
            raise DataError(f"measure {m.id!r}: unknown input {m.input!r} in dataset {chain.name!r}: "
                            + did_you_mean(m.input, {i.id: i.name for i in chain.inputs}, "input ids"),
                            file=m.origin or None, row=m.row, field="input")
        if m.input in has_types:
            names = ", ".join(sorted(types_of[m.input])[:8])
            raise DataError(f"measure {m.id!r}: input {m.input!r} is a category whose supply is that of its types "
                            f"({names}): name the type the measure adds to", file=m.origin or None, row=m.row,
                            field="input")


def _country_hits(net: StressNetwork, scenario: Scenario) -> tuple[dict[str, FloatArray], bool]:
    """Per country, the fraction of its supply of each input the scenario cuts at its peak; and whether the
    scenario holds organisation shocks (not attributed to a country here)."""
    hits: dict[str, FloatArray] = {}
    organisations = False
    for shock in scenario.shocks:
        if isinstance(shock, DemandSurge):
            continue
        if isinstance(shock, CapacityLoss) and shock.country is None:
            organisations = True
            continue
        country = shock.country or ""
        code = normalise_country(country) or country
        if isinstance(shock, CapacityLoss):
            scope = net.input_mask((shock.input,)) if shock.input else np.ones(net.n)
            size = shock.fraction
        else:
            assert isinstance(shock, ExportBan)
            scope = net.input_mask(shock.inputs) if shock.inputs else np.ones(net.n)
            size = shock.fraction * (1.0 - shock.leakage)
        hits[code] = np.minimum(1.0, hits.get(code, np.zeros(net.n)) + size * scope)
    return hits, organisations


def disruption_days(scenario: Scenario) -> float:
    """Full-severity-equivalent days of the longest supply shock over the horizon (the days a stockpile spreads
    over)."""
    days = np.arange(scenario.horizon_days, dtype=float)
    best = 0.0
    for shock in scenario.shocks:
        if not isinstance(shock, DemandSurge):
            best = max(best, float(shock.severity(days).sum()))
    return max(best, 1.0)


def build_problem(net: StressNetwork, measures: Sequence[Measure], *, objective: str = "max_share",
                  horizon_years: float = 5.0, coalition: Sequence[str] | None = None,
                  scenarios: Sequence[Scenario] = (), scenario_weights: Sequence[float] | None = None,
                  inputs: Sequence[str] | None = None, target: str | None = None,
                  parameters: Parameters | None = None) -> PlanProblem:
    """Compile candidates, the dataset and the objective into a :class:`PlanProblem`."""
    from pinchpoint.errors import BadArgumentError, NotFoundError

    if objective not in OBJECTIVES:
        raise BadArgumentError(f"unknown objective {objective!r} (objectives: {', '.join(OBJECTIVES)})",
                               parameter="objective")
    if not math.isfinite(horizon_years) or horizon_years <= 0:
        raise BadArgumentError(f"the horizon must be a positive number of years, not {horizon_years}",
                               parameter="horizon_years")
    _check_inputs(net, measures)
    coalition_set: frozenset[str] | None = None
    if coalition:
        codes = []
        for c in coalition:
            code = normalise_country(c)
            if code is None:
                from pinchpoint.analysis.coalitions import COALITIONS
                from pinchpoint.kernel.countries import closest_countries, unknown_country_message

                names = ", ".join(sorted(COALITIONS))
                raise NotFoundError(unknown_country_message(c, "coalition country")
                                    + f" (a coalition is one of {names} or ISO3 codes separated by commas)",
                                    suggestions=closest_countries(c), what="country", value=c)
            codes.append(code)
        coalition_set = frozenset(codes)
    usable: list[Measure] = []
    excluded: list[tuple[Measure, str]] = []
    for m in measures:
        if m.lead_time_years > horizon_years + 1e-9:
            excluded.append((m, f"lead time {m.lead_time_years:g} years exceeds the {horizon_years:g}-year horizon"))
        elif coalition_set is not None and m.country is not None and m.country not in coalition_set:
            excluded.append((m, f"{m.country} is outside the coalition ({', '.join(sorted(coalition_set))})"))
        elif m.kind is MeasureKind.COALITION and coalition_set is None:
            excluded.append((m, "coalition sourcing needs a coalition (the countries that count as secure)"))
        elif objective == "max_share" and m.kind is MeasureKind.STOCKPILE:
            excluded.append((m, "a stockpile does not change who supplies the input (objective max_share)"))
        else:
            usable.append(m)
    years = max(1, math.ceil(horizon_years - 1e-9))
    spend = np.array([m.spend(years) for m in usable]).reshape(len(usable), years)
    measure_input = np.array([net.index(m.input) for m in usable], dtype=np.int64)
    cc = net.compiled
    countries = cc.countries
    caveats: list[str] = []
    if excluded:
        caveats.append(f"{len(excluded)} of {len(measures)} candidate measures cannot count and were left out "
                       f"(the excluded table says why): first {excluded[0][0].id!r}: {excluded[0][1]}")
    common = PlanProblem(net, objective, tuple(usable), tuple(excluded), years, spend, coalition_set, measure_input)
    params = parameters or Parameters()

    if objective in ("max_share", "tts"):
        if inputs:
            scored = tuple(dict.fromkeys(net.index(i) for i in inputs))
        else:
            scored = tuple(sorted({net.index(m.input) for m in measures}))  # excluded candidates' inputs too
        pos = {k: j for j, k in enumerate(scored)}
        secure = np.array([coalition_set is not None and c in coalition_set for c in countries], dtype=bool)
        exposed = cc.loss[list(scored)] * (~secure)[None, :] if scored else np.zeros((0, len(countries)))
        cover = np.zeros((len(usable), len(scored), len(countries)))
        stock = np.zeros((len(usable), len(scored)))
        for k, m in enumerate(usable):
            j = pos.get(int(measure_input[k]))
            if j is None:
                continue
            if m.kind is MeasureKind.STOCKPILE:
                stock[k, j] = m.days
            elif m.kind is MeasureKind.COALITION:
                cover[k, j, ~secure] = m.capacity
            else:
                cover[k, j] = m.capacity
                if m.country in countries:
                    cover[k, j, countries.index(m.country)] = 0.0  # capacity in c does not replace c
        ttr = net.per_input(params.recovery_days, 90.0)[list(scored)] if scored else np.zeros(0)
        base = net.per_input(params.inventory_days)[list(scored)] if scored else np.zeros(0)
        if coalition_set is not None:
            caveats.append(f"Only countries outside the coalition ({', '.join(sorted(coalition_set))}) count as "
                           "risks, and only measures inside it count as replacements.")
        caveats.append("Shares are the dataset's country shares (inherited from a category or stage where an input "
                       "has none); pseudo-regions (various countries, rest of world) are never counted as one "
                       "country that can be lost.")
        if objective == "max_share":
            caveats.append("Risk is the uncovered largest share: for each scored input, the largest share one "
                           "country holds minus the capacity chosen elsewhere that could replace it, averaged over "
                           "the inputs. New capacity is counted at its full size against any one country's loss; "
                           "HHI before and after is reported, not optimised.")
        else:
            caveats.append("Risk is time to survive against time to recover (Simchi-Levi): for each scored input, the "
                           "days of normal use that losing its worst country for TTR days leaves uncovered after "
                           "inventories and chosen stockpiles, averaged over the inputs; 0 means TTS >= TTR. "
                           "TTR and inventory days by input kind are the stress engine's defaults unless given.")
        return dataclasses.replace(common, inputs=scored, exposed=exposed, cover=cover, ttr=ttr, base_days=base,
                           stock=stock, caveats=tuple(caveats))

    # shortfall
    if not scenarios:
        raise BadArgumentError("the shortfall objective needs at least one stress scenario", parameter="scenarios")
    from pinchpoint.analysis.exposure import default_target

    t_id = target or scenarios[0].target or default_target(cc.chain)
    t_idx = net.index(t_id)
    w = np.ones(len(scenarios)) if scenario_weights is None else np.asarray(scenario_weights, dtype=float)
    if w.shape != (len(scenarios),) or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise BadArgumentError(f"scenario weights must be {len(scenarios)} non-negative numbers with a positive sum",
                               parameter="scenario_weights")
    w = w / w.sum()
    base_loss = np.stack([peak_loss(net, s) for s in scenarios], axis=1)
    offset = np.zeros((len(usable), len(scenarios)))
    days = np.array([disruption_days(s) for s in scenarios])
    org_shocks = 0
    for si, sc in enumerate(scenarios):
        hits, orgs = _country_hits(net, sc)
        org_shocks += orgs
        for k, m in enumerate(usable):
            i = int(measure_input[k])
            if m.kind is MeasureKind.STOCKPILE:
                offset[k, si] = m.days / days[si]
            elif m.kind is MeasureKind.COALITION:
                assert coalition_set is not None
                worst = max((float(hits[c][i]) for c in coalition_set if c in hits), default=0.0)
                offset[k, si] = m.capacity * (1.0 - worst)
            else:
                hit = float(hits[m.country][i]) if m.country in hits else 0.0
                offset[k, si] = m.capacity * (1.0 - hit)
    caveats.append(f"Risk is the expected shortfall of {t_id} over {len(scenarios)} scenario(s) at the shocks' peak "
                   "(the static stress engine: no inventories, spare capacity or recovery). Each measure raises its "
                   "input's own supply in each scenario linearly: capacity x the part of its country the scenario "
                   "does not cut; a stockpile by its days over the scenario's full-severity-equivalent days. The "
                   "end product is then propagated exactly (min and capacity-weighted mean), in the programme and "
                   "in the evaluation alike.")
    if any(isinstance(sh, DemandSurge) for s in scenarios for sh in s.shocks):
        caveats.append("Demand surges in the scenarios are not part of the peak loss the planner scores.")
    if org_shocks:
        caveats.append(f"{org_shocks} scenario(s) cut an organisation: new capacity is assumed not to be that "
                       "organisation's.")
    return dataclasses.replace(common, scenarios=tuple(scenarios), weights=w, target=t_idx, base_loss=base_loss,
                       offset=offset, disruption_days=days, caveats=tuple(caveats))
