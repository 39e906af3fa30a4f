"""Monthly series derived from the trade store: the flow of a code list from a reporter to a partner, by month.

It reuses the trade package's query rules (sources kept apart, groups such as EU27_2020 built from members where
the source has no row for them, codes summed at one level per branch, :class:`NoRowsError` naming the filter that
emptied a query). A month the source covers but with no row for this flow is unknown, not zero: the series is
refused with the months named, unless ``missing_as_zero`` says that a month without a row is a zero flow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError
from pinchpoint.trade.query import (
    NoRowsError,
    built_caveat,
    check_codes,
    held,
    levels_for,
    listing,
    resolve_countries,
    select_sources,
)
from pinchpoint.trade.table import sql_list
from pinchpoint.trends.series import TRADE_SOURCE, Series, month_label, parse_month


def trade_series(ws: Any, *, reporter: str, partner: str, codes: Sequence[str] = (), flow: str = "export",
                 source: str | None = None, series_id: str | None = None, missing_as_zero: bool = False
                 ) -> Series:
    """The monthly flow ``reporter -> partner`` of ``codes`` (TOTAL when empty) from one trade source.

    When the workspace holds several sources with monthly rows, ``source`` must name one (their values differ).
    """
    rel = select_sources(ws, [source] if source else None)
    rel = rel.filter("frequency = 'M'")
    sources = held(rel, "source")
    if not sources:
        raise NoRowsError("no monthly trade rows in the workspace (monthly sources: comext-relational, comext-xlsx)")
    if source is None and len(sources) > 1:
        raise BadArgumentError(f"monthly rows come from several sources ({', '.join(sources)}); name one",
                               parameter="source")
    src = source or sources[0]
    rel = rel.filter(f"source = '{src}'")
    flows = held(rel, "flow")
    if flow not in flows:
        raise NoRowsError(f"no monthly rows for flow {flow} in {src}; it holds flows {listing(flows)}")
    rel = rel.filter(f"flow = '{flow}'")
    covered = held(rel, "period")
    reps = resolve_countries([reporter], held(rel, "reporter"), "reporter")
    if not reps.actual:
        raise NoRowsError(f"no monthly rows for reporter {reporter} in {src}; it holds reporters "
                          f"{listing(held(rel, 'reporter'))}")
    rel = rel.filter(f"reporter IN ({sql_list(reps.all_codes())})")
    parts = resolve_countries([partner], held(rel, "partner"), "partner")
    if not parts.actual:
        raise NoRowsError(f"no monthly rows for partner {partner} from reporter {reporter} in {src}; it holds "
                          f"partners {listing(held(rel, 'partner'))}")
    rel = rel.filter(f"partner IN ({sql_list(parts.all_codes())})")
    wanted = check_codes(list(codes)) or ["TOTAL"]
    levels = levels_for(rel, wanted)
    if not levels.products:
        raise NoRowsError(f"no monthly rows for code {', '.join(wanted)} from {reporter} to {partner} in {src}; "
                          f"it holds codes {listing(held(rel, 'product'), 12)}")
    rel = rel.filter(f"product IN ({sql_list(list(levels.products))})")
    data = rel.aggregate("period, sum(value) AS v, string_agg(DISTINCT currency) AS c", "period").fetchall()
    currencies = sorted({c for _, _, c in data if c})
    if len(currencies) > 1:
        raise ValueError(f"{src} mixes currencies {currencies} for one flow: cannot add them")
    values = {parse_month(p): float(v) for p, v, _ in data}
    months_covered = sorted(parse_month(p) for p in covered)
    lo, hi = min(values), max(values)
    span = [m for m in months_covered if lo <= m <= hi]
    absent = [m for m in range(lo, hi + 1) if m not in values]
    not_covered = [m for m in absent if m not in set(span)]
    notes: list[str] = []
    if absent and not missing_as_zero:
        raise NoRowsError(f"{reporter} -> {partner} in {src}: no rows in {len(absent)} month(s) between "
                          f"{month_label(lo)} and {month_label(hi)} ({', '.join(month_label(m) for m in absent[:6])}"
                          f"{' ...' if len(absent) > 6 else ''}): not recorded (zero or confidential); give "
                          "missing_as_zero to count them as zero")
    if absent:
        notes.append(f"{len(absent)} month(s) without rows counted as zero "
                     f"({', '.join(month_label(m) for m in absent[:6])})")
    if not_covered:
        notes.append(f"{len(not_covered)} month(s) the source has no monthly rows for at all")
    for group, members in {**reps.built, **parts.built}.items():
        role = "reporter" if group in reps.built else "partner"
        notes.append(built_caveat(group, members, src, role))
    label = "+".join(wanted)
    sid = series_id or f"trade:{src}:{reporter}:{partner}:{flow}:{label}"[:120].replace(" ", "")
    return Series(id=sid, name=f"{flow}s of {label} from {reporter} to {partner} ({src})",
                  unit=currencies[0] if currencies else "", start=lo,
                  values=np.asarray([values.get(m, 0.0) for m in range(lo, hi + 1)], dtype=np.float64),
                  seasonal_adjustment="NSA", source=f"{TRADE_SOURCE}{src}",
                  vintage=f"{src} rows {month_label(lo)}..{month_label(hi)}", notes=tuple(notes))
