"""Every id a scenario names is checked against the network it runs on, before any engine runs.

A typo (``country: CHA``) or an id from another dataset would otherwise remove nothing and show zero shortfall
everywhere. Each unknown id is an error naming the file, line and field and the closest valid ids; a shock that
names only valid ids but removes nothing (the country supplies none of the inputs named) is an error too. What
is valid but partly empty (an export ban listing an input the country does not supply) becomes a caveat.
"""

from __future__ import annotations

from collections.abc import Mapping

from pinchpoint.errors import DataError, Location, Problem
from pinchpoint.kernel.countries import country_name, normalise_country
from pinchpoint.stress.network import StressNetwork, peak_loss
from pinchpoint.stress.scenario import CapacityLoss, DemandSurge, ExportBan, Scenario
from pinchpoint.supplychain.model import InputKind, ProviderKind
from pinchpoint.supplychain.suggest import did_you_mean, label
from pinchpoint.yamlio import also

Problems = list[tuple[Location, str]]


def raise_problems(problems: Problems) -> None:
    """One error for all of a scenario's problems: the first located, the others listed with their lines."""
    if problems:
        problems = sorted(problems, key=lambda p: (p[0].row is None, p[0].row or 0))  # in the order of the file
        first, message = problems[0]
        raise DataError(message + also(problems[1:]), file=first.file, row=first.row, field=first.field,
                        problems=[Problem(where, text) for where, text in problems])


def check_scenario(net: StressNetwork, scenario: Scenario) -> list[str]:
    """Check every id ``scenario`` names against ``net``; raise :class:`DataError` for the unknown ones.

    Returns caveats (plain sentences) for what is valid but does less than it says.
    """
    chain = net.compiled.chain
    dataset = f"dataset {chain.name!r}"
    inputs = {i.id: i.name for i in chain.inputs}
    outputs = {i.id: i.name for i in chain.inputs if i.kind is InputKind.OUTPUT}
    countries = {c: country_name(c) for c in net.compiled.countries}
    organisations = {p.id: p.name for p in chain.providers if p.kind is ProviderKind.ORGANISATION}
    problems: Problems = list(scenario.uncertainty_problems())
    caveats: list[str] = []

    def known_input(value: str, *path: str | int, among: Mapping[str, str] = inputs, what: str = "input") -> bool:
        if value in among:
            return True
        if value in inputs:  # an input, but not one of the kind wanted
            problems.append((scenario.where(*path), f"{label(value, inputs)} is not an {what} in {dataset} "
                             f"(it is a {chain.input_by_id[value].kind.value}); "
                             + did_you_mean(value, among, f"{what}s")))
        else:
            problems.append((scenario.where(*path), f"unknown {what} {value!r} in {dataset}: "
                             + did_you_mean(value, among, f"{what} ids")))
        return False

    for k, shock in enumerate(scenario.shocks):
        if isinstance(shock, DemandSurge):
            for n, output in enumerate(shock.outputs):
                known_input(output, "shocks", k, "outputs", n)
            continue
        ok = True
        if shock.country is not None:
            code = normalise_country(shock.country)
            if code is None:
                problems.append((scenario.where("shocks", k, "country"), f"unknown country {shock.country!r}: "
                                 + did_you_mean(shock.country, countries, f"countries with shares in {dataset}")))
                ok = False
            elif code not in countries:
                problems.append((scenario.where("shocks", k, "country"),
                                 f"{label(code, {code: country_name(code)})} supplies no input in {dataset}, so the "
                                 "shock would remove nothing; "
                                 + did_you_mean(shock.country, countries, f"countries with shares in {dataset}")))
                ok = False
        if isinstance(shock, CapacityLoss) and shock.organisation is not None:
            hit = [p for p in chain.providers if p.kind is ProviderKind.ORGANISATION
                   and (p.id == shock.organisation or p.name.lower() == shock.organisation.lower())]
            if not hit:
                problems.append((scenario.where("shocks", k, "organisation"),
                                 f"unknown organisation {shock.organisation!r} in {dataset}: "
                                 + did_you_mean(shock.organisation, organisations, "organisations")))
                ok = False
        listed: list[tuple[tuple[str | int, ...], str]] = []
        if isinstance(shock, CapacityLoss) and shock.input is not None:
            listed = [(("input",), shock.input)]
        elif isinstance(shock, ExportBan):
            listed = [(("inputs", n), i) for n, i in enumerate(shock.inputs)]
        for path, value in listed:
            ok = known_input(value, "shocks", k, *path) and ok
        if not ok:
            continue
        shares = net.shock_shares(shock)
        who = shock.country if shock.country is not None else (
            shock.organisation if isinstance(shock, CapacityLoss) else "")
        if shares.max(initial=0.0) <= 0:
            field = "input" if isinstance(shock, CapacityLoss) and shock.input else (
                "inputs" if isinstance(shock, ExportBan) and shock.inputs else
                ("country" if shock.country is not None else "organisation"))
            what = ("none of " + ", ".join(label(v, inputs) for _, v in listed)) if listed else "no input"
            problems.append((scenario.where("shocks", k, field),
                             f"{who} supplies {what} in {dataset} (no share, own or inherited), so the shock "
                             "would remove nothing"))
            continue
        for _, value in listed:
            if len(listed) > 1 and shares[net.type_scope(net.index(value))].max(initial=0.0) <= 0:
                caveats.append(f"Shock {k} ({shock.type} by {who}) names {label(value, inputs)}, which {who} "
                               f"does not supply in {dataset}: it changes nothing for that input.")

    params = scenario.parameters
    for n, output in enumerate(params.priority):
        known_input(output, "parameters", "priority", n, among=outputs, what="output")
    kinds = {k.value for k in InputKind}
    for block in ("inventory_days", "recovery_days"):
        for key in getattr(params, block):
            if key not in kinds and key not in inputs:
                choices = {**{k: "input kind" for k in sorted(kinds)}, **inputs}
                problems.append((scenario.where("parameters", block, key),
                                 f"{key!r} is neither an input kind ({', '.join(sorted(kinds))}) nor an input id of "
                                 f"{dataset}: " + did_you_mean(key, choices, "kinds and input ids")))
    if scenario.target is not None:
        known_input(scenario.target, "target")
    raise_problems(problems)
    return caveats


def granularity_caveats(net: StressNetwork, scenario: Scenario) -> list[str]:
    """What the dataset's granularity does to this scenario's result: for each end product the scenario's supply
    shocks cut, the inputs that set its shortfall (at the shocks' peak) and have no shares of their own take those of
    a whole stage or category, so a shock concentrated in one segment of it shows as the stage's average."""
    from pinchpoint.analysis.exposure import _incoming, binding_inputs, share_origin

    cc = net.compiled
    chain = cc.chain
    own = 1.0 - peak_loss(net, scenario)
    if own.min(initial=1.0) >= 1.0:
        return []
    avail = cc.graph.propagate(own)
    incoming = _incoming(cc)
    caveats: list[str] = []
    for k in net.outputs:
        if avail[k] >= 1.0 - 1e-9:
            continue
        inherited: dict[tuple[str, str], list[str]] = {}
        for b in sorted(binding_inputs(incoming, avail, own, k), key=lambda i: cc.ids[i]):
            origin = share_origin(cc, cc.ids[b])
            if origin is not None:
                ident = cc.ids[b]
                inherited.setdefault(origin, []).append(label(ident, {ident: chain.input_by_id[ident].name}))
        for (kind, source), names in inherited.items():
            whole = (f"stage {source} ({chain.stage_by_id[source].name})" if kind == "stage"
                     else f"category {label(source, {source: chain.input_by_id[source].name})}")
            target = chain.input_by_id[cc.ids[k]]
            caveats.append(
                f"On dataset {chain.name!r} the shortfall of {target.name} ({target.id}), "
                f"{1 - float(avail[k]):.0%} at the shocks' peak, is set by {', '.join(names)}, which "
                f"{'has' if len(names) == 1 else 'have'} no shares of {'its' if len(names) == 1 else 'their'} own "
                f"and take{'s' if len(names) == 1 else ''} those of {whole} as a whole: the dataset does not split "
                f"it further (by node, device type or firm), so a shock concentrated in one segment of it (such as "
                f"< 10 nm logic) shows here as that {kind}'s average.")
    return caveats
