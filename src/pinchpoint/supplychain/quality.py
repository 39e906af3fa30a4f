"""Data-quality findings: what is odd in a dataset but does not stop it loading.

Each finding has a code, a message and a count, so `pinchpoint data validate` can report
exactly how much of each problem there is.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pinchpoint.supplychain.model import Finding, ProviderKind, RelationKind, SupplyChain
from pinchpoint.supplychain.shares import OVERSHOOT_LIMIT, beyond_rounding, look_like_fractions

#: Share groups (input, year, level) whose non-blank shares sum outside 100 +/- this are reported.
SUM_TOLERANCE = 0.5


def assess(chain: SupplyChain) -> list[Finding]:
    """Compute the data-quality findings of ``chain`` (loader findings are not included)."""
    out: list[Finding] = []
    stage_ids = set(chain.stage_by_id)

    blank = [pv for pv in chain.provisions if pv.share is None]
    if blank:
        years = Counter(pv.year for pv in blank)
        out.append(Finding(code="blank-shares", count=len(blank),
                           message="provision rows with a blank share (provider known, share unknown)",
                           examples=tuple(f"{y}: {n}" for y, n in sorted(years.items()))))

    stage_rows = [pv for pv in chain.provisions if pv.input in stage_ids]
    if stage_rows:
        out.append(Finding(code="stage-level-rows", count=len(stage_rows),
                           message="rows giving shares of whole stages rather than inputs "
                                   "(used as the shares of that stage's processes without their own)",
                           examples=tuple(sorted({pv.input for pv in stage_rows}))))

    sums: dict[tuple[str, int, str], float] = defaultdict(float)
    for pv in chain.provisions:
        if pv.share is not None:
            kind = chain.provider_by_id[pv.provider].kind
            sums[(pv.input, pv.year, kind.value)] += pv.share
    over = {k: v for k, v in sums.items() if v > 100 + SUM_TOLERANCE}
    under = {k: v for k, v in sums.items() if v < 100 - SUM_TOLERANCE}
    if over:
        out.append(Finding(code="shares-over-100", count=len(over),
                           message=f"share groups (input, year, level) summing above {100 + SUM_TOLERANCE:g} "
                                   "(scaled to 100 in analyses, with a caveat)",
                           examples=_examples(over)))
    beyond = {k: v for k, v in over.items() if beyond_rounding(v)}
    if beyond:
        out.append(Finding(code="shares-beyond-rounding", count=len(beyond),
                           message=f"share groups (input, year, level) summing above {OVERSHOOT_LIMIT:g}, more than "
                                   "rounding explains (a wrong figure; analyses name them in a caveat)",
                           examples=_examples(beyond)))
    if under:
        out.append(Finding(code="shares-under-100", count=len(under),
                           message=f"share groups (input, year, level) summing below {100 - SUM_TOLERANCE:g} "
                                   "(the remainder is unattributed)",
                           examples=_examples(under)))

    if look_like_fractions(list(sums.values()), sum(pv.share is not None for pv in chain.provisions)):
        out.append(Finding(code="shares-look-like-fractions", count=len(sums),
                           message="every share group sums to about 1, not 100: the shares look like fractions of 1 "
                                   "(write percentages: 55, not 0.55); every figure read from them is 100 times "
                                   "too small",
                           examples=_examples(sums)))

    with_shares = {pv.input for pv in chain.provisions if pv.share is not None}
    both = sorted({(r.target, r.source) for r in chain.relations
                   if r.kind is RelationKind.IS_TYPE_OF and r.source in with_shares and r.target in with_shares})
    if both:
        out.append(Finding(code="category-and-types-shares", count=len(both),
                           message="category/type pairs where both levels carry shares "
                                   "(never summed across the hierarchy; the type's shares are used)",
                           examples=tuple(f"{c} > {t}" for c, t in both[:10])))

    keys = Counter((pv.provider, pv.input, pv.year) for pv in chain.provisions)
    dupes = {k: n for k, n in keys.items() if n > 1}
    if dupes:
        out.append(Finding(code="duplicate-provisions", count=sum(dupes.values()) - len(dupes),
                           message="repeated (provider, input, year) rows (a repeated share is an error when "
                                   "loading a file; blank repeats count once)",
                           examples=tuple(f"{p} {i} {y}" for p, i, y in sorted(dupes)[:10])))

    unsourced = [pv for pv in chain.provisions if not pv.source]
    if unsourced:
        out.append(Finding(code="unsourced-shares", count=len(unsourced),
                           message="provision rows that cite no source"))

    homeless = [p.id for p in chain.providers if p.kind is ProviderKind.ORGANISATION and not p.home_country]
    if homeless:
        out.append(Finding(code="organisations-without-country", count=len(homeless),
                           message="organisations with no home country (counted as VAR when deriving)",
                           examples=tuple(homeless[:10])))

    unconnected = _unconnected(chain)
    if unconnected:
        out.append(Finding(code="unconnected-inputs", count=len(unconnected),
                           message="inputs that reach no output through the relations",
                           examples=tuple(unconnected[:10])))
    return out


def _examples(groups: dict[tuple[str, int, str], float]) -> tuple[str, ...]:
    worst = sorted(groups.items(), key=lambda kv: -abs(kv[1] - 100))[:5]
    return tuple(f"{i} {y} {lvl}: {v:g}" for (i, y, lvl), v in worst)


def _unconnected(chain: SupplyChain) -> list[str]:
    outputs = {i.id for i in chain.outputs()}
    if not outputs:
        return []
    parents: dict[str, list[str]] = defaultdict(list)
    for r in chain.relations:
        parents[r.target].append(r.source)
    reached = set(outputs)
    stack = list(outputs)
    while stack:
        node = stack.pop()
        for p in parents.get(node, []):
            if p not in reached:
                reached.add(p)
                stack.append(p)
    return [i.id for i in chain.inputs if i.id not in reached]


def with_quality_findings(chain: SupplyChain) -> SupplyChain:
    """Return ``chain`` with the quality findings added after the loader's own findings."""
    return chain.model_copy(update={"findings": chain.findings + tuple(assess(chain))})
