"""Concentration of supply per input: HHI, CR1, CR3, effective number of providers, coalition shares.

Formulas (documented in ``docs/analyses.md``), with shares ``s_i`` in percent of the world total
(scaled down to sum to 100 where rounding pushes a group over 100):

* ``HHI = sum_i s_i^2`` over named providers, 0-10,000;
* ``CR1 = max_i s_i``, ``CR3`` = sum of the three largest;
* effective number of providers ``= 10,000 / HHI``;
* coalition share ``= sum of s_i`` over the coalition's members.

Pseudo-regions (``VAR``, ``ROW``) and "various companies" stand for many small providers: they
count towards coverage but are never squared into the HHI (which is therefore a lower bound
where they are present) and never named the top provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pinchpoint.analysis.coalitions import COALITIONS, CONCERN
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
              "concern": list(concern)},
    )
    if any(s in chain.stage_by_id for s in used):
        return table.with_caveats(*own, *share_caveats(used, "input or stage", "inputs or stages"))
    return table.with_caveats(*own, *share_caveats(used))


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
