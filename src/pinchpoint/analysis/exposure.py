"""Multi-tier exposure: how dependent is a target (e.g. the finished chip) on each country?

For each country ``c`` the country's supply of every input is removed (``own_c(i) = 1 - s_c(i)``,
shares as fractions, other providers unchanged, no spare capacity, no inventories), and the
resulting availabilities are propagated up the relation graph (see
:mod:`pinchpoint.analysis.availability`). The **dependence** of the target on ``c`` is
``1 - A_c(target)``: 0 means losing ``c`` leaves the target unaffected, 1 means nothing can be
made. Inputs with no shares of their own inherit those of their category (``is_type_of``) or,
for processes, of their stage. See ``docs/analyses.md`` for what the score ignores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.analysis.availability import AvailabilityGraph
from pinchpoint.analysis.concentration import (
    aggregate_holdings,
    aggregate_label,
    holdings_text,
    is_aggregate,
    is_region,
)
from pinchpoint.results import ResultTable
from pinchpoint.supplychain.model import Input, InputKind, Level, Mode, ProviderKind, RelationKind, SupplyChain
from pinchpoint.supplychain.shares import ShareSet, check_year, normalised, select_shares, share_caveats

EXPOSURE_COLUMNS = ("country", "dependence", "critical_inputs", "n_impaired_inputs", "target_id", "target_name",
                    "year")


@dataclass(frozen=True)
class CompiledChain:
    """A chain's inputs indexed for array work, with each country's own-supply loss."""

    chain: SupplyChain
    ids: tuple[str, ...]
    index: dict[str, int]
    graph: AvailabilityGraph
    countries: tuple[str, ...]  # provider columns: ISO3 codes, or organisation ids at organisation level
    loss: NDArray[np.float64]  # (inputs, countries): fraction of own supply the country provides
    has_data: NDArray[np.bool_]  # (inputs,): own shares reported or derived (not inherited)
    edge_weights: NDArray[np.float64]  # substitute weights, in the order of chain.relations
    share_source: tuple[str | None, ...] = ()  # (inputs,): the input or stage whose shares each input reads
    share_sets: Mapping[str, ShareSet] = field(default_factory=dict)  # the shares read, by input or stage


def compile_chain(chain: SupplyChain, *, year: int | None = None, level: Level = Level.COUNTRY) -> CompiledChain:
    """The chain as arrays. At ``level=organisation`` the provider columns (``countries``) are organisations, read
    from the organisation shares (with the same inheritance from categories and stages), not derived."""
    check_year(chain, year, level)
    ids = tuple(i.id for i in chain.inputs)
    index = {k: n for n, k in enumerate(ids)}
    rels = chain.relations
    src = np.array([index[r.source] for r in rels], dtype=np.int64)
    dst = np.array([index[r.target] for r in rels], dtype=np.int64)
    is_type = np.array([r.kind is RelationKind.IS_TYPE_OF for r in rels], dtype=bool)
    subst = np.array([r.mode is Mode.SUBSTITUTE for r in rels], dtype=bool)
    weights = np.array([chain.input_by_id[r.source].market_size_usd or 1.0 for r in rels])
    # Capacity weights only mean something if every substitute in a group has a market size.
    sizes_known = defaultdict(lambda: True)
    for r in rels:
        if r.mode is Mode.SUBSTITUTE and chain.input_by_id[r.source].market_size_usd is None:
            sizes_known[(r.target, r.kind)] = False
    for k, r in enumerate(rels):
        if not sizes_known[(r.target, r.kind)]:
            weights[k] = 1.0
    graph = AvailabilityGraph.build(len(ids), src, dst, is_type, subst, weights)

    shares = select_shares(chain, level, year)
    aggregate = {p.id for p in chain.providers if is_aggregate(p)} | {"VAR", "ROW"}
    countries = sorted({p for ss in shares.values() for p, s in ss.shares if p not in aggregate and s > 0})
    cidx = {c: n for n, c in enumerate(countries)}

    def loss_row(subject: str) -> NDArray[np.float64]:
        row = np.zeros(len(countries))
        for p, frac in normalised(shares[subject]):
            if p in cidx:
                row[cidx[p]] = frac
        return row

    loss = np.zeros((len(ids), len(countries)))
    has_data = np.zeros(len(ids), dtype=bool)
    source: dict[str, str | None] = {}
    type_parent = {r.source: r.target for r in rels if r.kind is RelationKind.IS_TYPE_OF}
    stage_ids = {s.id for s in chain.stages}

    def resolve(input_id: str, depth: int = 0) -> str | None:
        """The input or stage whose shares ``input_id`` reads: its own, else its category's, else its stage's."""
        if input_id in source:
            return source[input_id]
        found: str | None = input_id if input_id in shares else None
        if found is None and input_id in type_parent and depth < 64:
            found = resolve(type_parent[input_id], depth + 1)  # a type supplied like its category
        if found is None:
            inp = chain.input_by_id[input_id]
            if inp.kind is InputKind.PROCESS and inp.stage in stage_ids and inp.stage in shares:
                found = inp.stage  # a process performed where its stage is
        source[input_id] = found
        return found

    share_source: list[str | None] = []
    for i in ids:
        subject = resolve(i)
        if subject is not None:
            loss[index[i]] = loss_row(subject)
        has_data[index[i]] = i in shares
        share_source.append(subject)
    return CompiledChain(chain, ids, index, graph, tuple(countries), loss, has_data, weights, tuple(share_source),
                         shares)


def share_origin(cc: CompiledChain, input_id: str) -> tuple[str, str] | None:
    """Where an input's country shares come from when it has none of its own: ``("category", id)`` (the input it is
    a type of) or ``("stage", id)`` (a process performed where its stage is); None when it has its own (or none)."""
    chain = cc.chain
    if cc.has_data[cc.index[input_id]]:
        return None
    type_parent = {r.source: r.target for r in chain.relations if r.kind is RelationKind.IS_TYPE_OF}
    stage_ids = {s.id for s in chain.stages}
    shares = select_shares(chain, Level.COUNTRY)
    current, depth = input_id, 0
    while depth < 64:
        if current != input_id and current in shares:
            return ("category", current)
        if current in type_parent:
            current, depth = type_parent[current], depth + 1
            continue
        inp = chain.input_by_id[current]
        if inp.kind is InputKind.PROCESS and inp.stage in stage_ids and inp.stage in shares:
            return ("stage", inp.stage)
        return None
    return None


def default_target(chain: SupplyChain) -> str:
    """The dataset's first declared output (its ultimate product, by convention)."""
    outputs = chain.outputs()
    if not outputs:
        raise ValueError(f"dataset {chain.name!r} declares no input of kind 'output'; name a target")
    return outputs[0].id


def upstream(chain: SupplyChain, target: str) -> set[str]:
    """Ids of every input from which a relation path leads to ``target`` (not the target)."""
    children: dict[str, list[str]] = defaultdict(list)
    for r in chain.relations:
        children[r.target].append(r.source)
    seen: set[str] = set()
    stack = [target]
    while stack:
        for c in children.get(stack.pop(), []):
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


def exposure(chain: SupplyChain, *, target: str | None = None, year: int | None = None,
             compiled: CompiledChain | None = None, level: Level | str = Level.COUNTRY) -> ResultTable:
    """Dependence of ``target`` on each country (or, at ``level="organisation"``, each organisation), with the
    inputs that bind."""
    level = Level(level)
    target_input = find_input(chain, target) if target else chain.input_by_id[default_target(chain)]
    if level is Level.ORGANISATION:
        return _organisation_exposure(chain, target_input.id, year, compiled)
    cc = compiled or compile_chain(chain, year=year)
    t = cc.index[target_input.id]
    own = 1.0 - cc.loss
    avail = cc.graph.propagate(own)
    dependence = 1.0 - avail[t]
    up = sorted(cc.index[i] for i in upstream(chain, target_input.id)) + [t]
    up_arr = np.array(up[:-1], dtype=np.int64)  # upstream inputs only: the target's own loss is `dependence`
    incoming = _incoming(cc)
    rows: list[dict[str, Any]] = []
    for c, country in enumerate(cc.countries):
        dep = float(dependence[c])
        impaired = int(np.sum(avail[up_arr, c] < 1.0 - 1e-12))
        critical: list[str] = []
        if dep > 1e-12:
            binding = binding_inputs(incoming, avail[:, c], own[:, c], t)
            order = sorted(binding, key=lambda i: (-cc.loss[i, c], cc.ids[i]))
            critical = [chain.input_by_id[cc.ids[i]].name for i in order]
        rows.append({
            "country": country, "dependence": round(dep, 9), "critical_inputs": critical,
            "n_impaired_inputs": impaired, "target_id": target_input.id, "target_name": target_input.name,
            "year": year if year is not None else "latest",
        })
    # Ties in dependence are common (any sole supplier gives 1.0): the broader exposure ranks first.
    rows.sort(key=lambda r: (-r["dependence"], -r["n_impaired_inputs"], r["country"]))
    table = ResultTable.from_records(
        "exposure", rows, EXPOSURE_COLUMNS,
        meta={"analysis": "exposure", "dataset": chain.name, "target": target_input.id,
              "year": year if year is not None else "latest per input"},
    )
    return table.with_caveats(*year_caveat(cc, up, year), *shares_used_caveats(cc, up),
                              *aggregate_exposure_caveats(cc, up, t))


def aggregate_exposure_caveats(cc: CompiledChain, nodes: list[int], t: int) -> list[str]:
    """Each pseudo-region or "various companies" provider holding a share of what ``nodes`` (the target, index
    ``t``, and the inputs below it) read has no row: say so with its shares, and for a region (``EUR``) what losing
    all of its supply would cost the target (the same propagation as a country's row)."""
    chain = cc.chain
    used = {subject: cc.share_sets[subject] for k in nodes if (subject := cc.share_source[k]) is not None}
    held = aggregate_holdings(chain, used)
    regions = [p for p in held if is_region(chain, p)]
    region_dependence: dict[str, float] = {}
    if regions:
        loss = np.zeros((len(cc.ids), len(regions)))
        for k, subject in enumerate(cc.share_source):
            if subject is not None:
                fractions = dict(normalised(cc.share_sets[subject]))
                loss[k] = [fractions.get(p, 0.0) for p in regions]
        avail = cc.graph.propagate(1.0 - loss)
        region_dependence = {p: float(1.0 - avail[t, j]) for j, p in enumerate(regions)}
    target = chain.input_by_id[cc.ids[t]]
    unit = "organisation" if cc_orgs(cc) else "country"
    caveats = []
    for pid, items in held.items():
        text = f"{aggregate_label(chain, pid)} holds {holdings_text(chain, items)}: "
        if pid in region_dependence:
            text += (f"a region of several countries that the source does not split, so it has no row and no "
                     f"country's dependence includes it; losing all of {pid}'s supply would give {target.name} a "
                     f"dependence of {round(region_dependence[pid], 4):g}.")
        else:
            text += (f"many small providers the source does not name, so it has no row; each row counts only the "
                     f"supply the dataset gives that {unit} by name.")
        caveats.append(text)
    return caveats


def shares_used_caveats(cc: CompiledChain, nodes: list[int]) -> list[str]:
    """Mixed survey years and scaled groups among the shares that ``nodes`` (the inputs from the target down)
    read, counted per input (one inheriting its category's or stage's shares counts with their year)."""
    used = {cc.ids[k]: cc.share_sets[subject] for k in nodes
            if k < len(cc.share_source) and (subject := cc.share_source[k]) is not None}
    return share_caveats(used)


def year_caveat(cc: CompiledChain, nodes: list[int], year: int | None) -> list[str]:
    """With one ``year`` chosen, the upstream inputs with no shares that year count as unaffected: say how many."""
    if year is None:
        return []
    covered = sum(1 for k in nodes if cc.loss[k].any() or cc.has_data[k])
    if covered == len(nodes):
        return []
    return [f"Only {covered} of the {len(nodes)} inputs from the target down have shares (own or inherited) in "
            f"{year}; the other {len(nodes) - covered} count as unaffected by any provider's loss. Without a year, "
            "each input's latest year is used."]


ORGANISATION_EXPOSURE_COLUMNS = ("organisation", "organisation_name", "country", "dependence", "critical_inputs",
                                 "n_impaired_inputs", "target_id", "target_name", "year")
IMPORT_EXPOSURE_COLUMNS = ("country", "input_id", "input_name", "own_share", "supplier", "dependence",
                           "lost_share_of_world", "critical_inputs", "year")


def find_input(chain: SupplyChain, ref: str) -> Input:
    """An input by id or name; an unknown one is an error with the closest ids."""
    try:
        return chain.input(ref)
    except KeyError:
        from pinchpoint.errors import NotFoundError
        from pinchpoint.supplychain.suggest import closest, did_you_mean

        choices = {i.id: i.name for i in chain.inputs}
        raise NotFoundError(f"no input with id or name {ref!r} in dataset {chain.name!r}: "
                            + did_you_mean(ref, choices, "input ids"), suggestions=closest(ref, choices),
                            what="input", value=ref, field="target") from None


def _organisation_exposure(chain: SupplyChain, target_id: str, year: int | None,
                           compiled: CompiledChain | None) -> ResultTable:
    cc = compiled if compiled is not None and cc_orgs(compiled) else compile_chain(chain, year=year,
                                                                                 level=Level.ORGANISATION)
    target_input = chain.input_by_id[target_id]
    t = cc.index[target_id]
    own = 1.0 - cc.loss
    avail = cc.graph.propagate(own) if cc.countries else np.ones((len(cc.ids), 0))
    up = sorted(cc.index[i] for i in upstream(chain, target_id)) + [t]
    up_arr = np.array(up[:-1], dtype=np.int64)  # upstream inputs only, as in `exposure`
    incoming = _incoming(cc)
    rows: list[dict[str, Any]] = []
    for c, org in enumerate(cc.countries):
        provider = chain.provider_by_id[org]
        dep = float(1.0 - avail[t, c])
        critical: list[str] = []
        if dep > 1e-12:
            binding = binding_inputs(incoming, avail[:, c], own[:, c], t)
            critical = [chain.input_by_id[cc.ids[i]].name
                        for i in sorted(binding, key=lambda i: (-cc.loss[i, c], cc.ids[i]))]
        rows.append({"organisation": org, "organisation_name": provider.name, "country": provider.home_country,
                     "dependence": round(dep, 9), "critical_inputs": critical,
                     "n_impaired_inputs": int(np.sum(avail[up_arr, c] < 1.0 - 1e-12)), "target_id": target_id,
                     "target_name": target_input.name, "year": year if year is not None else "latest"})
    rows.sort(key=lambda r: (-r["dependence"], -r["n_impaired_inputs"], r["organisation"]))
    upstream_ids = [cc.ids[i] for i in up if i != t]
    without = [i for i in upstream_ids if not cc.has_data[cc.index[i]] and share_origin(cc, i) is None
               and not any(r.target == i and r.kind is RelationKind.IS_TYPE_OF for r in chain.relations)]
    table = ResultTable.from_records(
        "exposure", rows, ORGANISATION_EXPOSURE_COLUMNS,
        meta={"analysis": "exposure", "level": "organisation", "dataset": chain.name, "target": target_id,
              "year": year if year is not None else "latest per input"})
    caveats = [*year_caveat(cc, up, year), *shares_used_caveats(cc, up), *aggregate_exposure_caveats(cc, up, t),
               "Organisation-level exposure reads the organisation shares the dataset reports; it does not split "
               "country shares into firms, and a firm's plants in several countries count as one provider."]
    if without:
        caveats.append(f"{len(without)} of the {len(upstream_ids)} inputs upstream of {target_input.name} "
                       f"({target_id}) have no organisation shares (own, category or stage), so losing any one "
                       f"firm removes none of their supply: {', '.join(sorted(without))}.")
    return table.with_caveats(*caveats)


def cc_orgs(cc: CompiledChain) -> list[str]:
    """The provider columns of ``cc`` that are organisations (empty for a country-level compilation)."""
    return [p for p in cc.countries if p in cc.chain.provider_by_id
            and cc.chain.provider_by_id[p].kind is ProviderKind.ORGANISATION]


def import_exposure(chain: SupplyChain, country: str, *, year: int | None = None,
                    compiled: CompiledChain | None = None) -> ResultTable:
    """A country's own import-side exposure: for every input the country's producers supply (a share > 0), how
    much of it they could still make without each other country's supply of what goes into it, at every tier.

    ``dependence`` is ``1 - A_c(inputs of the input)``: the availability of the input's ``goes_into`` children
    (combined as in :func:`exposure`) with country ``c``'s supply removed everywhere. The input's own supply and its
    types (other makers of the same input) are competitors, not suppliers, and are left out.
    ``lost_share_of_world`` is the country's share of the input times that dependence: the part of world supply of
    the input its own producers would lose. Rows are (input, foreign supplier) pairs with a dependence above zero,
    largest loss first.
    """
    from pinchpoint.errors import NotFoundError
    from pinchpoint.kernel.countries import country_name, normalise_country
    from pinchpoint.supplychain.suggest import closest, did_you_mean

    cc = compiled or compile_chain(chain, year=year)
    code = normalise_country(country)
    choices = {c: country_name(c) for c in cc.countries}
    if code is not None and code not in cc.countries and is_region(chain, code):
        from pinchpoint.errors import BadArgumentError

        # EUR holds shares, so "no share of any input" would be wrong: it is a region, not a country's producers
        raise BadArgumentError(f"{aggregate_label(chain, code).rstrip(',')} is a region the source does not split, "
                               "not a country: import-side exposure is of one country's producers. Its shares are "
                               "named in the caveats of exposure and concentration.", parameter="country")
    if code is None or code not in cc.countries:
        what = f"unknown country {country!r}" if code is None else f"{code} has no share of any input"
        raise NotFoundError(f"{what} in dataset {chain.name!r}: " + did_you_mean(country, choices, "countries"),
                            suggestions=closest(country, choices), what="country", value=country, field="country")
    x = cc.countries.index(code)
    own = 1.0 - cc.loss
    avail = cc.graph.propagate(own)
    incoming = _incoming(cc)
    made = [k for k in range(len(cc.ids)) if cc.loss[k, x] > 0]
    leaves = 0
    rows: list[dict[str, Any]] = []
    for k in made:
        groups = [(substitute, members) for (is_type, substitute), members in incoming.get(k, {}).items()
                  if not is_type]
        if not groups:
            leaves += 1
            continue
        inp = chain.input_by_id[cc.ids[k]]
        share = float(cc.loss[k, x])
        for c, supplier in enumerate(cc.countries):
            if c == x:
                continue
            parts: list[tuple[float, bool, list[tuple[int, float]], NDArray[np.float64]]] = []
            for substitute, members in groups:
                vals = avail[[u for u, _ in members], c]
                if substitute:
                    weights = np.array([w for _, w in members])
                    parts.append((float(vals @ weights / weights.sum()), substitute, members, vals))
                else:
                    parts.append((float(vals.min()), substitute, members, vals))
            value = min(p[0] for p in parts)
            dep = 1.0 - value
            if dep <= 1e-12:
                continue
            binding: set[int] = set()
            for part, substitute, members, vals in parts:
                if part > value + 1e-9:
                    continue
                for (u, _), a in zip(members, vals, strict=True):
                    if (a < 1 - 1e-9) if substitute else (a <= value + 1e-9):
                        binding |= binding_inputs(incoming, avail[:, c], own[:, c], u)
            critical = [chain.input_by_id[cc.ids[i]].name
                        for i in sorted(binding, key=lambda i: (-cc.loss[i, c], cc.ids[i]))]
            rows.append({"country": code, "input_id": inp.id, "input_name": inp.name,
                         "own_share": round(share * 100, 6), "supplier": supplier, "dependence": round(dep, 9),
                         "lost_share_of_world": round(share * dep * 100, 6), "critical_inputs": critical,
                         "year": year if year is not None else "latest"})
    rows.sort(key=lambda r: (-r["lost_share_of_world"], -r["dependence"], r["input_id"], r["supplier"]))
    table = ResultTable.from_records(
        "import_exposure", rows, IMPORT_EXPOSURE_COLUMNS,
        meta={"analysis": "import_exposure", "dataset": chain.name, "country": code,
              "year": year if year is not None else "latest per input", "inputs_made": len(made),
              "inputs_made_without_listed_inputs": leaves})
    caveats = [f"The dataset has no trade flows: {code}'s producers are taken to draw on world supply of every "
               "upstream input like any other producer, so an input they make at home is not reserved for them.",
               f"{code} supplies {len(made)} inputs (a share of its own, or inherited from a category or stage); "
               f"for {leaves} of them the dataset lists nothing that goes into them (most tools and materials), so "
               "no foreign dependence can be counted for those. own_share and lost_share_of_world are percent of "
               "world supply."]
    if not rows:
        caveats.append(f"None of the {len(made)} inputs {code} supplies depends on another country's supply in "
                       f"dataset {chain.name!r}.")
    return table.with_caveats(*caveats)


Incoming = dict[int, dict[tuple[bool, bool], list[tuple[int, float]]]]


def _incoming(cc: CompiledChain) -> Incoming:
    """Children (with substitute weights) of each node, grouped by (is_type_of, substitute)."""
    groups: Incoming = defaultdict(lambda: defaultdict(list))
    for r, w in zip(cc.chain.relations, cc.edge_weights, strict=True):
        key = (r.kind is RelationKind.IS_TYPE_OF, r.mode is Mode.SUBSTITUTE)
        groups[cc.index[r.target]][key].append((cc.index[r.source], float(w)))
    return groups


def binding_inputs(incoming: Incoming, avail: NDArray[np.float64], own: NDArray[np.float64], target: int,
                   tol: float = 1e-9) -> set[int]:
    """The inputs whose own shortfall sets the target's availability.

    Walk down from the target through every group of children whose combined value equals the
    node's availability (complements: the children at the minimum; substitutes: every impaired
    member); an input binds where its own supply, not its children, sets its value.
    """
    found: set[int] = set()
    seen: set[int] = set()
    stack = [target]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        value = avail[v]
        groups = incoming.get(v, {})
        if not any(is_type for is_type, _ in groups) and own[v] <= value + tol and own[v] < 1 - tol:
            found.add(v)
        for (_is_type, substitute), members in groups.items():
            children = [u for u, _ in members]
            vals = avail[children]
            if substitute:
                weights = np.array([w for _, w in members])
                if float(vals @ weights / weights.sum()) <= value + tol:
                    stack.extend(u for u, a in zip(children, vals, strict=True) if a < 1 - tol)
            else:
                stack.extend(u for u, a in zip(children, vals, strict=True) if a <= value + tol)
    return found
