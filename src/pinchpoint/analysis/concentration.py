"""Concentration of supply per input: HHI, CR1, CR3, effective number of providers, coalition shares.

Formulas (documented in ``docs/analyses.md``), with shares ``s_i`` in percent of the world total
(scaled down to sum to 100 where rounding pushes a group over 100):

* ``HHI = sum_i s_i^2`` over named providers, 0-10,000;
* ``CR1 = max_i s_i``, ``CR3`` = sum of the three largest;
* effective number of providers ``= 10,000 / HHI``;
* coalition share ``= sum of s_i`` over the coalition's members.

Pseudo-regions (``VAR``, ``ROW``, ``EUR``) and "various companies" stand for many small providers: they
count towards coverage but are never squared into the HHI (which is therefore a lower bound
where they are present) and never named the top provider. Every analysis that leaves one out says so in a caveat
naming its shares (:func:`aggregate_caveats`): a share that no row shows is never dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pinchpoint.analysis.coalitions import COALITIONS, CONCERN
from pinchpoint.kernel.countries import country_name, group_members
from pinchpoint.results import ResultTable
from pinchpoint.supplychain.model import Level, Provider, ProviderKind, SupplyChain
from pinchpoint.supplychain.shares import ShareSet, check_year, normalised, select_shares, share_caveats

CONCENTRATION_COLUMNS = (
    "input_id", "input_name", "kind", "stage", "year", "level", "basis", "hhi", "cr1", "cr3", "top_provider",
    "top_share", "effective_n", "n_providers", "n_blank", "coverage",
)


def is_aggregate(provider: Provider) -> bool:
    """True for providers that stand for many unnamed ones (pseudo-regions, 'various companies')."""
    if provider.kind is ProviderKind.COUNTRY:
        return provider.is_pseudo_region
    return provider.home_country in ("VAR", "ROW")


def provider_label(chain: SupplyChain, provider_id: str) -> str:
    """ISO3 code for countries (and pseudo-regions), the name for organisations."""
    p = chain.provider_by_id.get(provider_id)
    if p is None:  # derived country codes that no row declared
        return provider_id
    return p.id if p.kind is ProviderKind.COUNTRY else p.name


def concentration_metrics(shares: Sequence[tuple[str, float]], aggregate: set[str] | frozenset[str] = frozenset()
                          ) -> dict[str, Any]:
    """HHI, CR1, CR3, effective number and provider count from ``(provider, fraction)`` pairs.

    Fractions are of 1 (already normalised). Providers in ``aggregate`` are excluded from the
    HHI and the ranking.
    """
    named = sorted((s for p, s in shares if p not in aggregate and s > 0), reverse=True)
    pct = [s * 100.0 for s in named]
    hhi = sum(x * x for x in pct)
    return {
        "hhi": round(hhi, 6),
        "cr1": round(pct[0], 6) if pct else 0.0,
        "cr3": round(sum(pct[:3]), 6),
        "effective_n": round(10_000.0 / hhi, 6) if hhi > 0 else None,
        "n_providers": len(pct),
    }


def _aggregate_ids(chain: SupplyChain) -> frozenset[str]:
    ids = {p.id for p in chain.providers if is_aggregate(p)}
    return frozenset(ids | {"VAR", "ROW"})


#: Countries a share given to "Europe" (``EUR``) may hold: the EU-28 (with the United Kingdom) and EFTA. Used only
#: to say which coalitions' shares leave out supply that may be their members'.
EUROPE = frozenset(group_members("EU28")) | frozenset(group_members("EFTA"))

#: How many inputs a caveat names per pseudo-region before "and N more" (ETO gives VAR a share of 64 inputs).
NAMED_IN_CAVEAT = 5


def is_region(chain: SupplyChain, provider_id: str) -> bool:
    """A pseudo-region that is one named region (``EUR``), not the remainder of the world (``VAR``, ``ROW``)."""
    p = chain.provider_by_id.get(provider_id)
    return p is not None and p.kind is ProviderKind.COUNTRY and is_aggregate(p) and p.id not in ("VAR", "ROW")


Holding = tuple[str, ShareSet, float]  # (input or stage id, the shares read, percent)


def aggregate_holdings(chain: SupplyChain, used: Mapping[str, ShareSet]) -> dict[str, list[Holding]]:
    """For each aggregate provider (pseudo-region, "various companies") the subjects in ``used`` it holds a share
    of: ``(subject, shares, percent)``, percent as analyses read it (scaled where a group sums above 100), largest
    first."""
    agg = _aggregate_ids(chain)
    held: dict[str, list[Holding]] = defaultdict(list)
    for subject, ss in used.items():
        for p, frac in normalised(ss):
            if p in agg and frac > 0:
                held[p].append((subject, ss, round(frac * 100, 6)))
    return {p: sorted(v, key=lambda t: (-t[2], t[0])) for p, v in sorted(held.items())}


def aggregate_label(chain: SupplyChain, provider_id: str) -> str:
    """``EUR, Europe (several European countries, not broken down),``; an organisation by name and id."""
    p = chain.provider_by_id.get(provider_id)
    if p is not None and p.kind is ProviderKind.ORGANISATION:
        return f"{p.name} ({p.id})"
    return f"{provider_id}, {country_name(provider_id)},"


def holdings_text(chain: SupplyChain, items: Sequence[Holding]) -> str:
    """``18% of Wafer fab equipment (fab_equipment, 2019) and 9% of ...``, the first :data:`NAMED_IN_CAVEAT`."""
    def name(subject: str) -> str:
        if subject in chain.stage_by_id:
            return chain.stage_by_id[subject].name
        return chain.input_by_id[subject].name

    parts = [f"{round(pct, 2):g}% of {name(subject)} ({subject}, {ss.year})"
             for subject, ss, pct in items[:NAMED_IN_CAVEAT]]
    if len(items) > NAMED_IN_CAVEAT:
        parts.append(f"{len(items) - NAMED_IN_CAVEAT} more inputs")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def aggregate_caveats(chain: SupplyChain, used: Mapping[str, ShareSet],
                      groups: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """What concentration figures leave out: each pseudo-region or "various companies" provider holding a share of
    the inputs in ``used``, with those shares, and (given the coalitions ``groups``) which coalition shares count it
    in full and which leave it out though it may hold their members' supply."""
    caveats: list[str] = []
    for pid, items in aggregate_holdings(chain, used).items():
        text = f"{aggregate_label(chain, pid)} holds {holdings_text(chain, items)}: "
        if is_region(chain, pid):
            text += ("a region of several countries that the source does not split, so it counts in coverage but in "
                     "no country's share and not in hhi, cr1, cr3 or top_provider (lower bounds there)")
            if groups:
                counted = [f"share_{g}" for g, m in groups.items() if pid in m]
                missed = [(g, sorted(EUROPE & set(m))) for g, m in groups.items() if pid not in m
                          and pid == "EUR" and EUROPE & set(m)]
                if counted:
                    text += f"; {', '.join(counted)} count{'s' if len(counted) == 1 else ''} all of it (an upper bound)"
                if missed:
                    text += ("; " + ", ".join(f"share_{g}" for g, _ in missed) + " leave" + ("s" if len(missed) == 1
                             else "") + " it out though it may hold members' supply ("
                             + "; ".join(f"{g}: {', '.join(m)}" for g, m in missed) + "): "
                             + ("a lower bound" if len(missed) == 1 else "lower bounds"))
            caveats.append(text + ".")
        else:
            caveats.append(text + "many small providers the source does not name, counted in coverage but not in "
                           "hhi, cr1, cr3, top_provider or any coalition share (lower bounds there).")
    return caveats


def cited_sources(chain: SupplyChain, rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str | None]]:
    """The sources the rows' ``sources`` column names, by id, with their citation and URL (``meta["sources"]``), so
    an exported table can be traced without the dataset file. Ids the dataset does not declare (ETO rows carry the
    source text itself) are left as they are."""
    by_id = chain.source_by_id
    used = sorted({s for r in rows for s in r.get("sources") or () if s in by_id})
    return {s: {"citation": by_id[s].citation, "url": by_id[s].url} for s in used}


def partial_caveat(rows: Sequence[Mapping[str, Any]], these: str = "these inputs", limit: int | None = None
                   ) -> list[str]:
    """Rows (``input_name``, ``coverage``) whose given shares sum to less than 100%: their HHI is a lower bound.
    ``limit`` names that many, lowest coverage first, and counts the rest."""
    partial = [r for r in rows if r["coverage"] < 100 - 0.5]
    if not partial:
        return []
    if limit is not None:
        partial = sorted(partial, key=lambda r: (r["coverage"], r["input_id"]))
    named = [f"{r['input_name']} {r['coverage']:g}%" for r in partial[:limit]]
    if limit is not None and len(partial) > limit:
        named.append(f"{len(partial) - limit} more")
    return [f"The shares the dataset gives sum to less than 100% for {len(partial)} of {these} ({', '.join(named)}): "
            "the providers of the rest are unknown, so their HHI is a lower bound (the top share is as given)."]


def organisation_gap_caveat(chain: SupplyChain, listed: Sequence[str], year: int | None,
                            include_stages: bool) -> list[str]:
    """At organisation level, the inputs with country shares but no organisation shares (in ``year``, or in any
    year): they have no row, which would otherwise read as "no organisation concentration"."""
    country = select_shares(chain, Level.COUNTRY, year, derive=False)
    missing = sorted(s for s in country if s not in listed and (include_stages or s not in chain.stage_by_id))
    if not missing:
        return []
    when = f"for {year}" if year is not None else "in any year"
    total = len(missing) + len(listed)
    return [f"{len(missing)} of the {total} inputs with shares {'has' if len(missing) == 1 else 'have'} country "
            "shares but no organisation shares "
            f"{when}, so they have no row here (their concentration by firm is unknown, not low): "
            f"{', '.join(missing)}. Country-level concentration covers them."]


def concentration(chain: SupplyChain, *, level: Level | str = Level.COUNTRY, year: int | None = None,
                  coalitions: Mapping[str, Sequence[str]] | None = None,
                  concern: Sequence[str] = CONCERN, include_stages: bool = True) -> ResultTable:
    """One row per input (and stage) with its concentration metrics at ``level``. A coalition named ``concern``
    is the caller's countries of concern (``share_concern``) in place of ``concern``; one named as a built-in
    replaces it; the caveats say both."""
    check_year(chain, year, level)
    level = Level(level)
    groups = dict(COALITIONS if coalitions is None else coalitions)
    own: list[str] = []
    if "concern" in groups:  # a column of its own already: the user's list of concern replaces the built-in one
        concern = tuple(groups.pop("concern"))
        own.append(f"countries of concern (share_concern): the given coalition 'concern' ({', '.join(concern)}), "
                   "not the built-in list (15 CFR 791.4)")
    own += [f"coalition {g} (share_{g}): the given members ({', '.join(m)}), not the built-in ones" for g, m in
            groups.items() if g in COALITIONS and tuple(m) != tuple(COALITIONS[g])]
    agg = _aggregate_ids(chain)
    rows = []
    used: dict[str, ShareSet] = {}
    for subject, ss in select_shares(chain, level, year).items():
        if subject in chain.stage_by_id and not include_stages:
            continue
        rows.append(_row(chain, subject, ss, level, agg, groups, concern))
        used[subject] = ss
    rows.sort(key=lambda r: (-r["hhi"], r["input_id"]))
    columns = list(CONCENTRATION_COLUMNS) + [f"share_{g}" for g in groups] + ["share_concern", "sources"]
    table = ResultTable.from_records(
        "concentration", rows, columns,
        meta={"analysis": "concentration", "dataset": chain.name, "level": level.value,
              "year": year if year is not None else "latest per input", "coalitions": groups,
              "concern": list(concern), "sources": cited_sources(chain, rows)},
    )
    regions = aggregate_caveats(chain, used, {**groups, "concern": concern})
    regions += partial_caveat(rows, "these inputs" if include_stages is False else "the rows", NAMED_IN_CAVEAT)
    if level is Level.ORGANISATION:
        regions += organisation_gap_caveat(chain, list(used), year, include_stages)
    if any(s in chain.stage_by_id for s in used):
        return table.with_caveats(*own, *share_caveats(used, "input or stage", "inputs or stages"), *regions)
    return table.with_caveats(*own, *share_caveats(used), *regions)


def _row(chain: SupplyChain, subject: str, ss: ShareSet, level: Level, agg: frozenset[str],
         groups: Mapping[str, Sequence[str]], concern: Sequence[str]) -> dict[str, Any]:
    fractions = normalised(ss)
    metrics = concentration_metrics(fractions, agg)
    named = [(p, s) for p, s in fractions if p not in agg and s > 0]
    top = named[0] if named else None  # shares come largest first, ties by id
    if subject in chain.stage_by_id:
        stage = chain.stage_by_id[subject]
        name, kind, stage_id = stage.name, "stage", stage.id
    else:
        inp = chain.input_by_id[subject]
        name, kind, stage_id = inp.name, inp.kind.value, inp.stage or ""

    def country_of(pid: str) -> str | None:
        if level is Level.COUNTRY:
            return pid
        p = chain.provider_by_id.get(pid)
        return p.home_country if p else None

    row: dict[str, Any] = {
        "input_id": subject, "input_name": name, "kind": kind, "stage": stage_id, "year": ss.year,
        "level": level.value, "basis": ss.basis, **metrics,
        "top_provider": provider_label(chain, top[0]) if top else None,
        "top_share": round(top[1] * 100, 6) if top else 0.0,
        "n_blank": ss.n_blank, "coverage": round(ss.total, 6),
    }
    for g, members in groups.items():
        ms = set(members)
        row[f"share_{g}"] = round(sum((s for p, s in fractions if country_of(p) in ms), 0.0) * 100, 6)
    cs = set(concern)
    row["share_concern"] = round(sum((s for p, s in fractions if country_of(p) in cs), 0.0) * 100, 6)
    row["sources"] = list(ss.sources)
    return row
