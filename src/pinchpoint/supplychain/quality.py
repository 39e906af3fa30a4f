"""Data-quality findings: what is odd in a dataset but does not stop it loading.

Each finding has a code, a message and a count, so `pinchpoint data validate` can report
exactly how much of each problem there is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pinchpoint.supplychain.model import Finding, ProviderKind, Provision, RelationKind, SupplyChain
from pinchpoint.supplychain.shares import OVERSHOOT_LIMIT, beyond_rounding, look_like_fractions

#: Share groups (input, year, level) whose non-blank shares sum outside 100 +/- this are reported.
SUM_TOLERANCE = 0.5


K = TypeVar("K")

#: How many rows one example names before "..." (the file holds them all).
MAX_EXAMPLE_ROWS = 8


@dataclass(frozen=True)
class RowIndex:
    """Where a loader read each record, so a finding's examples name their file and rows: each provision by
    (provider, input, year), each input by id, each relation by (from, to), as (file, row)."""

    provisions: Mapping[tuple[str, str, int], Sequence[tuple[str, int]]] = field(default_factory=dict)
    inputs: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    relations: Mapping[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def where(self, places: Iterable[tuple[str, int]]) -> str:
        """`` (provisions.csv rows 2, 3)``: the files (their names) and rows of ``places``; blank for none.
        A YAML file's places are lines."""
        by_file: dict[str, list[int]] = defaultdict(list)
        for file, row in places:
            if row:
                by_file[file].append(row)
        parts = []
        for file, rows in by_file.items():
            rows = sorted(set(rows))
            unit = "line" if Path(file).suffix.lower() in (".yaml", ".yml") else "row"
            shown = ", ".join(str(n) for n in rows[:MAX_EXAMPLE_ROWS]) + (", ..." if len(rows) > MAX_EXAMPLE_ROWS
                                                                          else "")
            parts.append(f"{Path(file).name} {unit}{'s' if len(rows) > 1 else ''} {shown}")
        return f" ({'; '.join(parts)})" if parts else ""

    def of_provisions(self, provisions: Iterable[Provision]) -> str:
        return self.where(place for pv in provisions for place in self.provisions.get(
            (pv.provider, pv.input, pv.year), ()))


def assess(chain: SupplyChain, rows: RowIndex | None = None) -> list[Finding]:
    """Compute the data-quality findings of ``chain`` (loader findings are not included); with ``rows`` (where the
    loader read each record) every example names its file and rows."""
    at = rows or RowIndex()
    out: list[Finding] = []
    stage_ids = set(chain.stage_by_id)

    blank = [pv for pv in chain.provisions if pv.share is None]
    if blank:
        years = Counter(pv.year for pv in blank)
        out.append(Finding(code="blank-shares", count=len(blank),
                           message="provision rows with a blank share (provider known, share unknown)",
                           examples=tuple(f"{y}: {n}{at.of_provisions(pv for pv in blank if pv.year == y)}"
                                          for y, n in sorted(years.items()))))

    stage_rows = [pv for pv in chain.provisions if pv.input in stage_ids]
    if stage_rows:
        out.append(Finding(code="stage-level-rows", count=len(stage_rows),
                           message="rows giving shares of whole stages rather than inputs "
                                   "(used as the shares of that stage's processes without their own)",
                           examples=tuple(f"{s}{at.of_provisions(pv for pv in stage_rows if pv.input == s)}"
                                          for s in sorted({pv.input for pv in stage_rows}))))

    sums: dict[tuple[str, int, str], float] = defaultdict(float)
    members: dict[tuple[str, int, str], list[Provision]] = defaultdict(list)
    for pv in chain.provisions:
        if pv.share is not None:
            kind = chain.provider_by_id[pv.provider].kind
            sums[(pv.input, pv.year, kind.value)] += pv.share
            members[(pv.input, pv.year, kind.value)].append(pv)

    def _examples(groups: dict[tuple[str, int, str], float]) -> tuple[str, ...]:
        worst = sorted(groups.items(), key=lambda kv: -abs(kv[1] - 100))[:5]
        return tuple(f"{i} {y} {lvl}: {v:g}{at.of_provisions(members[(i, y, lvl)])}" for (i, y, lvl), v in worst)

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
                           examples=tuple(f"{c} > {t}{at.where(_get(at.relations, (t, c)))}"
                                          for c, t in both[:10])))

    keys = Counter((pv.provider, pv.input, pv.year) for pv in chain.provisions)
    dupes = {k: n for k, n in keys.items() if n > 1}
    if dupes:
        out.append(Finding(code="duplicate-provisions", count=sum(dupes.values()) - len(dupes),
                           message="repeated (provider, input, year) rows (a repeated share is an error when "
                                   "loading a file; blank repeats count once)",
                           examples=tuple(f"{p} {i} {y}{at.where(at.provisions.get((p, i, y), ()))}"
                                          for p, i, y in sorted(dupes)[:10])))

    unsourced = [pv for pv in chain.provisions if not pv.source]
    if unsourced:
        out.append(Finding(code="unsourced-shares", count=len(unsourced),
                           message="provision rows that cite no source",
                           examples=tuple(f"{pv.provider} {pv.input} {pv.year}{at.of_provisions([pv])}"
                                          for pv in unsourced[:10])))

    homeless = [p.id for p in chain.providers if p.kind is ProviderKind.ORGANISATION and not p.home_country]
    if homeless:
        out.append(Finding(code="organisations-without-country", count=len(homeless),
                           message="organisations with no home country (counted as VAR when deriving)",
                           examples=tuple(homeless[:10])))

    unconnected = _unconnected(chain)
    if unconnected:
        out.append(Finding(code="unconnected-inputs", count=len(unconnected),
                           message="inputs that reach no output through the relations",
                           examples=tuple(f"{i}{at.where(_get(at.inputs, i))}"
                                          for i in unconnected[:10])))
    return out


def _get(places: Mapping[K, tuple[str, int]], key: K) -> list[tuple[str, int]]:
    return [places[key]] if key in places else []


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


def with_quality_findings(chain: SupplyChain, rows: RowIndex | None = None) -> SupplyChain:
    """Return ``chain`` with the quality findings added after the loader's own findings (their examples naming
    file and rows where the loader gives ``rows``)."""
    return chain.model_copy(update={"findings": chain.findings + tuple(assess(chain, rows))})
