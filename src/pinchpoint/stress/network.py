"""The network every stress engine runs on: a supply chain compiled once into arrays.

Shares come from :func:`pinchpoint.analysis.exposure.compile_chain` (country shares with inheritance from
categories and stages) and the organisation shares of the same inputs; shocks become per-input loss fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pinchpoint.analysis.exposure import CompiledChain, compile_chain, upstream
from pinchpoint.errors import DataError, NotFoundError
from pinchpoint.kernel.countries import normalise_country
from pinchpoint.stress.scenario import CapacityLoss, DemandSurge, ExportBan, Scenario
from pinchpoint.supplychain.model import InputKind, Level, ProviderKind, RelationKind, SupplyChain
from pinchpoint.supplychain.shares import normalised, select_shares
from pinchpoint.supplychain.suggest import closest, did_you_mean

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StressNetwork:
    compiled: CompiledChain
    kinds: tuple[InputKind, ...]
    outputs: tuple[int, ...]  # indices of inputs of kind 'output'

    @classmethod
    def build(cls, chain: SupplyChain, year: int | None = None) -> StressNetwork:
        cc = compile_chain(chain, year=year)
        kinds = tuple(chain.input_by_id[i].kind for i in cc.ids)
        outputs = tuple(k for k, kind in enumerate(kinds) if kind is InputKind.OUTPUT)
        if not outputs:
            raise DataError(f"dataset {chain.name!r} has no input of kind 'output' to stress-test")
        return cls(cc, kinds, outputs)

    @property
    def n(self) -> int:
        return len(self.compiled.ids)

    def index(self, input_id: str) -> int:
        if input_id not in self.compiled.index:
            chain = self.compiled.chain
            choices = {i.id: i.name for i in chain.inputs}
            raise NotFoundError(f"unknown input {input_id!r} in dataset {chain.name!r}: "
                                + did_you_mean(input_id, choices, "input ids"),
                                suggestions=closest(input_id, choices), what="input", value=input_id, field="input")
        return self.compiled.index[input_id]

    def type_scope(self, k: int) -> list[int]:
        """Input ``k`` and every input that is a type of it, at any depth: a category's supply is its types'
        (availability replaces a category's own shares by its types'), so a shock to it must reach them."""
        chain = self.compiled.chain
        types: dict[str, list[str]] = {}
        for r in chain.relations:
            if r.kind is RelationKind.IS_TYPE_OF:
                types.setdefault(r.target, []).append(r.source)
        found = [k]
        stack = [self.compiled.ids[k]]
        while stack:
            for t in types.get(stack.pop(), []):
                idx = self.compiled.index[t]
                if idx not in found:
                    found.append(idx)
                    stack.append(t)
        return found

    def country_shares(self, country: str) -> FloatArray:
        code = normalise_country(country) or country
        cc = self.compiled
        if code not in cc.countries:
            return np.zeros(self.n)  # the country supplies nothing in this dataset
        return cc.loss[:, cc.countries.index(code)].copy()

    def organisation_shares(self, organisation: str) -> FloatArray:
        chain = self.compiled.chain
        match = [p for p in chain.providers if p.kind is ProviderKind.ORGANISATION
                 and (p.id == organisation or p.name.lower() == organisation.lower())]
        if not match:
            orgs = {p.id: p.name for p in chain.providers if p.kind is ProviderKind.ORGANISATION}
            raise NotFoundError(f"unknown organisation {organisation!r} in dataset {chain.name!r}: "
                                + did_you_mean(organisation, orgs, "organisations"),
                                suggestions=closest(organisation, orgs), what="organisation", value=organisation,
                                field="organisation")
        pid = match[0].id
        out = np.zeros(self.n)
        for subject, ss in select_shares(chain, Level.ORGANISATION).items():
            if subject in self.compiled.index:
                out[self.compiled.index[subject]] = dict(normalised(ss)).get(pid, 0.0)
        return out

    def shock_shares(self, shock: CapacityLoss | ExportBan) -> FloatArray:
        """Share of each input's supply the shock can remove (before its size and timing)."""
        if isinstance(shock, CapacityLoss):
            shares = (self.country_shares(shock.country) if shock.country is not None
                      else self.organisation_shares(shock.organisation or ""))
            if shock.input is not None:
                shares = shares * self.input_mask((shock.input,))
            return shares
        shares = self.country_shares(shock.country)
        if shock.inputs:
            shares = shares * self.input_mask(shock.inputs)
        return shares

    def input_mask(self, inputs: tuple[str, ...]) -> FloatArray:
        """1 for the named inputs and their types (see :meth:`type_scope`), 0 elsewhere."""
        keep = np.zeros(self.n)
        for i in inputs:
            keep[self.type_scope(self.index(i))] = 1.0
        return keep

    def upstream_mask(self, outputs: tuple[str, ...]) -> NDArray[np.bool_]:
        """Inputs that feed the given outputs (all inputs when none are given)."""
        if not outputs:
            return np.ones(self.n, dtype=bool)
        mask = np.zeros(self.n, dtype=bool)
        for o in outputs:
            mask[self.index(o)] = True
            for i in upstream(self.compiled.chain, o):
                mask[self.index(i)] = True
        return mask

    def per_input(self, values: dict[str, float], default: float = 0.0) -> FloatArray:
        """A parameter given by input kind or id (ids win) as one value per input."""
        out = np.full(self.n, default)
        for k, kind in enumerate(self.kinds):
            if kind.value in values:
                out[k] = values[kind.value]
        for key, value in values.items():
            if key in self.compiled.index:
                out[self.compiled.index[key]] = value
        return out


def shock_arrays(net: StressNetwork, scenario: Scenario) -> tuple[list[tuple[FloatArray, CapacityLoss | ExportBan]],
                                                                  list[tuple[NDArray[np.bool_], DemandSurge]]]:
    supply = []
    demand = []
    for shock in scenario.shocks:
        if isinstance(shock, DemandSurge):
            demand.append((net.upstream_mask(shock.outputs), shock))
        else:
            supply.append((net.shock_shares(shock), shock))
    return supply, demand


def peak_loss(net: StressNetwork, scenario: Scenario) -> FloatArray:
    """Each input's own-supply loss with every supply shock at full severity (export leakage deducted)."""
    supply, _ = shock_arrays(net, scenario)
    loss = np.zeros(net.n)
    for shares, shock in supply:
        size = shock.fraction * ((1.0 - shock.leakage) if isinstance(shock, ExportBan) else 1.0)
        loss += shares * size
    return np.clip(loss, 0.0, 1.0)
