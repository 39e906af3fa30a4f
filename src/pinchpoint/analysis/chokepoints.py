"""Chokepoints: inputs where one provider holds at least a threshold share.

The default threshold, 65%, is the SIA/BCG (2021) definition of a single-region chokepoint
("Strengthening the Global Semiconductor Supply Chain in an Uncertain Era", April 2021).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pinchpoint.analysis.concentration import (
    aggregate_caveats,
    aggregate_holdings,
    aggregate_label,
    cited_sources,
    concentration,
    is_region,
)
from pinchpoint.errors import BadArgumentError, check_number
from pinchpoint.results import ResultTable
from pinchpoint.supplychain.model import Level, SupplyChain
from pinchpoint.supplychain.shares import select_shares, share_caveats

DEFAULT_THRESHOLD = 65.0
CHOKEPOINT_COLUMNS = ("input_id", "input_name", "kind", "stage", "year", "level", "top_provider", "top_share",
                      "hhi", "market_size_usd", "feeds", "sources")


def feeds(chain: SupplyChain) -> dict[str, list[str]]:
    """For every input, the names of the end products (outputs) it reaches through the relations."""
    parents: dict[str, list[str]] = defaultdict(list)
    for r in chain.relations:
        parents[r.source].append(r.target)
    outputs = {i.id for i in chain.outputs()}
    if not outputs:  # no declared output: the inputs nothing else is made from
        outputs = {i.id for i in chain.inputs if i.id not in parents}
    memo: dict[str, frozenset[str]] = {}

    def reach(node: str) -> frozenset[str]:
        if node in memo:
            return memo[node]
        found = {node} if node in outputs else set()
        for p in parents.get(node, []):
            found |= reach(p)
        memo[node] = frozenset(found)
        return memo[node]

    return {i.id: sorted(chain.input_by_id[o].name for o in reach(i.id) if o != i.id) for i in chain.inputs}


def chokepoints(chain: SupplyChain, *, threshold: float = DEFAULT_THRESHOLD, level: Level | str = Level.COUNTRY,
                year: int | None = None) -> ResultTable:
    """Inputs whose top provider holds at least ``threshold`` percent, largest share first."""
    if not 0 < check_number(threshold, "threshold") <= 100:
        raise BadArgumentError(f"threshold must be in (0, 100], got {threshold}", parameter="threshold")
    conc = concentration(chain, level=level, year=year, include_stages=False)
    reach = feeds(chain)
    rows: list[dict[str, Any]] = []
    partial: list[str] = []  # inputs whose known shares sum to less than the whole: their HHI is a lower bound
    for r in conc.rows:
        if r["top_share"] + 1e-9 < threshold:
            continue
        if r["coverage"] < 100 - 0.5:
            partial.append(f"{r['input_name']} {r['coverage']:g}%")
        inp = chain.input_by_id[r["input_id"]]
        rows.append({
            **{k: r[k] for k in ("input_id", "input_name", "kind", "stage", "year", "level", "top_provider",
                                 "top_share", "hhi")},
            "market_size_usd": inp.market_size_usd, "feeds": reach[inp.id], "sources": r["sources"],
        })
    rows.sort(key=lambda r: (-r["top_share"], -(r["market_size_usd"] or 0.0), r["input_id"]))
    table = ResultTable.from_records(
        "chokepoints", rows, CHOKEPOINT_COLUMNS,
        meta={"analysis": "chokepoints", "dataset": chain.name, "threshold": threshold,
              "level": Level(level).value, "year": year if year is not None else "latest per input",
              "sources": cited_sources(chain, rows)},
    )
    shares = select_shares(chain, level, year)  # the same selection concentration() read, for the rows shown
    caveats = share_caveats({r["input_id"]: shares[r["input_id"]] for r in rows})
    if partial:
        caveats.append(f"The shares the dataset gives sum to less than 100% for {len(partial)} of these inputs "
                       f"({', '.join(partial)}): the providers of the rest are unknown, so their HHI is a lower "
                       "bound (the top share is as given).")
    caveats += aggregate_caveats(chain, {r["input_id"]: shares[r["input_id"]] for r in rows})
    # A pseudo-region is never the top provider: one holding the threshold or more would vanish without a word.
    held = aggregate_holdings(chain, {i: ss for i, ss in shares.items() if i in chain.input_by_id})
    for pid, items in held.items():
        over = [(i, ss, pct) for i, ss, pct in items if pct + 1e-9 >= threshold]
        if over:
            what = "a region of several countries" if is_region(chain, pid) else "many small providers"
            listed = ", ".join(f"{chain.input_by_id[i].name} ({i}, {ss.year}) {round(pct, 2):g}%" for i, ss, pct
                               in over)
            caveats.append(f"{aggregate_label(chain, pid)} holds at least {threshold:g}% of {listed}; it stands for "
                           f"{what}, not one provider, so these inputs are not listed here unless one named provider "
                           "also holds as much.")
    if threshold <= 1:
        caveats.append(f"The threshold is a percentage: {threshold:g} means {threshold:g}%, so nearly every input "
                       f"qualifies; for {threshold * 100:g}% give {threshold * 100:g}.")
    if not rows:
        top = max((r["top_share"] for r in conc.rows), default=None)
        caveats.append(f"No input has a provider holding {threshold:g}% or more: the largest top share among the "
                       f"{len(conc.rows)} inputs with shares is "
                       + (f"{top:g}%." if top is not None else "none (no shares at this level and year)."))
    return table.with_caveats(*caveats)
