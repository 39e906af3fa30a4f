"""Circumvention and backfill: which exporter -> hub -> product flows jumped after an event, and who took over.

Scan (per exporter, hub and product, monthly values):

* baseline = months before the event, post = months from the event month on (the event month itself is skipped);
* ``log growth g = log((mean post + 1) / (mean baseline + 1))``, each mean over the months with a value (a month
  the source leaves empty, ':' in Comext, is left out of the denominator, not counted as 0; ``baseline_n`` and
  ``post_n`` say how many months each uses, and a caveat states the rule);
* **own history**: robust z of log(mean post) against the baseline months, ``(log P - median log b) / (1.4826 MAD)``;
* **difference in differences**: ``g`` minus the growth of the same exporter's total exports to the hub (the
  control), so a hub whose trade grew for every good does not flag every code;
* **score**: the robust z of that difference across all series (median/MAD), so scores are comparable;
* series whose baseline sum is below ``min_baseline`` are left out (tiny flows make huge growth rates);
* **corroboration**: the exporter's direct exports of the same code to the target fell, or the hub's own exports
  of the code to the target rose (where the data holds the hub's reports), over the same periods.

Every alert carries its evidence series. The EBRD "Eurasian roundabout" substitution ratio is the extra exports
to hubs divided by the fall in direct exports to the target; the backfill share is a third country's share of
the target's imports of the codes, measured from partners' exports.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pinchpoint.errors import BadArgumentError, check_number
from pinchpoint.kernel.countries import (
    aggregate_sql,
    check_country,
    did_you_mean,
    group_members,
    is_aggregate,
    is_pseudo_region,
)
from pinchpoint.results import ResultTable
from pinchpoint.trade.codes import CodeList, cover, resolve_levels
from pinchpoint.trade.query import NoRowsError, held, listing
from pinchpoint.trade.table import sql_list

#: Hubs scanned unless others are given: the group RUSSIA_HUBS (kernel/data/country_groups.yaml, with its sources)
DEFAULT_HUBS = group_members("RUSSIA_HUBS")
#: Supplier groups of a backfill unless others are given: group label -> group name in the country vocabulary
BACKFILL_GROUPS = {"china": "CHN+HKG+MAC", "g7": "G7", "eu27": "EU27_2020"}


def _frequency(event: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", event):
        if not 1 <= int(event[5:7]) <= 12:
            raise BadArgumentError(f"event {event!r}: {event} is not a month (months run 01 to 12); give a month "
                                   "(2022-02) for monthly data or a year (2022) for annual data", parameter="event")
        return "M"
    if re.fullmatch(r"\d{4}", event):
        return "A"
    raise BadArgumentError(f"event {event!r}: give a month (2022-02) for monthly data or a year (2022) for annual "
                           "data", parameter="event")


def _monthly(rel: Any, where: str) -> dict[tuple[str, str, str], dict[str, float]]:
    out: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    rows = rel.filter(f"frequency = 'M' AND flow = 'export' AND {where}").aggregate(
        "reporter, partner, product, period, sum(value) AS v", "reporter, partner, product, period").fetchall()
    for reporter, partner, product, period, value in rows:
        out[(reporter, partner, product)][period] = float(value)
    return out


def _one_source(rel: Any, what: str) -> None:
    """Sources report the same flows (and in different currencies): adding them would double-count."""
    sources = held(rel, "source")
    if len(sources) > 1:
        raise BadArgumentError(f"{what} reads one source at a time; the data holds {', '.join(sources)} (name one "
                               "source)", parameter="source")


def _listed_filter(rel: Any, codes: CodeList | None) -> str:
    """The listed codes as an IN list of the product codes the data holds: unlike an OR of code ranges, an IN list
    is pushed into the scan, so a product-sorted store reads only the row groups of those codes."""
    if codes is None:
        return "TRUE"
    held = [p for (p,) in rel.filter(codes.sql_filter()).aggregate("product", "product").fetchall()]
    return f"product IN ({sql_list(held)})" if held else "FALSE"


def scan(rel: Any, *, target: str = "RUS", hubs: Sequence[str] = DEFAULT_HUBS, codes: CodeList | None = None,
         event: str = "2022-02", control: Any = None, min_baseline: float = 500_000.0, limit: int = 200,
         descriptions: Mapping[str, str] | None = None) -> ResultTable:
    """Rank exporter -> hub -> product series by robust anomaly scores of log growth after ``event``.

    ``event`` is a month (``2022-02``: monthly rows are scanned) or a year (``2022``: annual rows, e.g. BACI).
    ``control`` (optional, a relation on the same DuckDB connection) holds the exporters' exports to the hubs for
    the difference in differences: its ``TOTAL`` rows where it has them (Comext relational totals), else the
    comparison goods, the listed codes' HS chapters less the listed codes (e.g. from the same BACI table).
    Everything runs in DuckDB, with product filters the scan pushes down (IN lists, single ranges), so a table
    sorted by product (as the workspace stores it) skips other codes' row groups; only the top ``limit`` alerts
    come back to Python with their evidence series.
    """
    freq = _frequency(event)
    if check_number(min_baseline, "min_baseline") < 0:
        raise BadArgumentError(f"min_baseline must be at least 0, not {min_baseline:g}", parameter="min_baseline")
    min_base, min_post = (6, 3) if freq == "M" else (3, 1)
    hub_list = sql_list(list(hubs))
    value = "value_usd"  # a euro value with no rate is not a dollar: left out, and counted in a caveat
    # The comparison goods: the listed codes' chapters less the listed codes (uncontrolled goods of the same kind),
    # or every product when no list is given.
    _one_source(rel, "the scan")
    check_country(target, "target")
    for hub in hubs:
        check_country(hub, "hub")
    listed = _listed_filter(rel, codes)
    exports = rel.filter(f"{listed} AND flow = 'export' AND frequency = '{freq}'")  # pushed down: listed codes only
    partners = held(exports, "partner")
    if not set(hubs) & set(partners):
        raise NoRowsError(f"no rows for hub {', '.join(hubs)} in {', '.join(held(rel, 'source'))} (frequency {freq}); "
                          f"it holds partners {listing(partners)}")
    caveats = [f"hub {h}: no rows in the source (not scanned; unknown, not zero)" for h in hubs if h not in partners]
    if target not in partners:
        caveats.append(f"target {target}: no rows in the source, so direct exports cannot corroborate any alert")
    if control is None:
        caveats.append("no control series (no comparison goods or totals given): growth is not net of the "
                       "exporter's trade with the hub as a whole")
    no_usd = exports.filter("value_usd IS NULL").aggregate("count(*)").fetchall()[0][0]
    if no_usd:
        caveats.append(f"{no_usd} rows with no USD value (no exchange rate for their period) are left out")
    if "EUR" in held(exports, "currency"):
        caveats.append("values are in USD: euro values at the ECB's rates (annual averages unless imported with "
                       "monthly ones), so growth differs from the same series in euros (trade growth)")
    # the listed codes' total, for the control: each listed code once, at one level (never a heading that also holds
    # unlisted goods, never a heading and its lines)
    once = [] if codes is None else list(resolve_levels(codes.codes, held(rel.filter(listed), "product")).products)
    listed_once = "TRUE" if codes is None else f"product IN ({sql_list(once or [''])})"
    if control is not None:
        # the control window is the scanned data's, so both growths compare the same periods
        lo, hi = rel.filter(f"{listed} AND frequency = '{freq}'").aggregate("min(period), max(period)").fetchall()[0]
        if codes is not None:  # one range over the chapters (pushed down), then the chapters themselves
            chapters = codes.chapters().codes
            upper = f"{chapters[-1][0]}{chr(ord(chapters[-1][1]) + 1)}"
            goods = (f"product >= '{chapters[0]}' AND product < '{upper}' "
                     f"AND substr(product, 1, 2) IN ({sql_list(list(chapters))})")
            goods_held = held(control.filter(goods), "product")
            if len({len(p) for p in goods_held}) > 1:  # mixed levels: a heading, never also the lines under it
                goods = f"product IN ({sql_list(list(cover(goods_held)) or [''])})"
        else:
            goods = "product != 'TOTAL'"
        listed_part = "coalesce(l.v, 0)" if codes is not None else "0"
        # comparison goods = the chapters' exports less the listed codes' (from s): no NOT IN over every row
        control_sql = f"""
        ctl_rows AS (
            SELECT * FROM ({control.sql_query()}) WHERE product = 'TOTAL'
            UNION ALL SELECT * FROM ({control.sql_query()}) WHERE {goods}),
        ctl_series AS (
            SELECT reporter AS exporter, partner AS hub, period,
                   sum({value}) FILTER (WHERE product = 'TOTAL') AS total,
                   sum({value}) FILTER (WHERE product != 'TOTAL') AS goods
            FROM ctl_rows
            WHERE flow = 'export' AND frequency = '{freq}' AND partner IN ({hub_list})
              AND period BETWEEN '{lo}' AND '{hi}'
            GROUP BY ALL),
        listed_series AS (SELECT exporter, partner AS hub, period, sum(v) AS v FROM s WHERE {listed_once}
                          GROUP BY ALL),
        ctl_values AS (
            SELECT exporter, hub, period, coalesce(total, goods - {listed_part}) AS v
            FROM ctl_series LEFT JOIN listed_series l USING (exporter, hub, period)),
        ctl AS (
            SELECT exporter, hub, ln((avg(v) FILTER (WHERE period > '{event}') + 1)
                                     / (avg(v) FILTER (WHERE period < '{event}') + 1)) AS control_g
            FROM ctl_values GROUP BY ALL)"""
    else:
        control_sql = "ctl AS (SELECT NULL::VARCHAR AS exporter, NULL::VARCHAR AS hub, NULL::DOUBLE AS control_g " \
                      "WHERE false)"
    before, after = f"period < '{event}'", f"period > '{event}'"
    sql = f"""
        WITH s AS MATERIALIZED (
            SELECT reporter AS exporter, partner, product, period, sum({value}) AS v
            FROM t
            WHERE flow = 'export' AND frequency = '{freq}' AND partner IN ({sql_list([*hubs, target])})
              AND {listed}
              AND NOT {aggregate_sql('reporter')}
            GROUP BY ALL),
        stats AS (
            SELECT exporter, partner AS hub, product,
                   count(v) FILTER (WHERE {before}) AS n_base, count(v) FILTER (WHERE {after}) AS n_post,
                   sum(v) FILTER (WHERE {before}) AS base_sum, avg(v) FILTER (WHERE {before}) AS base_mean,
                   avg(v) FILTER (WHERE {after}) AS post_mean,
                   median(ln(greatest(v, 0) + 1)) FILTER (WHERE {before}) AS med_log,
                   mad(ln(greatest(v, 0) + 1)) FILTER (WHERE {before}) AS mad_log
            FROM s WHERE partner != '{target}' GROUP BY ALL
            HAVING n_base >= {min_base} AND n_post >= {min_post} AND base_sum >= {float(min_baseline)}),
        direct AS (
            SELECT exporter, product, avg(v) FILTER (WHERE {before}) AS db, avg(v) FILTER (WHERE {after}) AS dp
            FROM s WHERE partner = '{target}' GROUP BY ALL),
        {control_sql},
        scored AS (
            SELECT stats.*, ln((post_mean + 1) / (base_mean + 1)) AS g, ctl.control_g,
                   ln((post_mean + 1) / (base_mean + 1)) - coalesce(ctl.control_g, 0) AS did,
                   CASE WHEN mad_log > 1e-12 THEN (ln(post_mean + 1) - med_log) / (1.4826 * mad_log) ELSE 0 END
                       AS own_z,
                   CASE WHEN direct.db > 0 AND direct.dp IS NOT NULL THEN (direct.dp / direct.db - 1) * 100 END
                       AS direct_growth,
                   CASE WHEN onward.db > 0 AND onward.dp IS NOT NULL THEN (onward.dp / onward.db - 1) * 100 END
                       AS onward_growth
            FROM stats LEFT JOIN ctl USING (exporter, hub) LEFT JOIN direct USING (exporter, product)
                 LEFT JOIN direct AS onward ON onward.exporter = stats.hub AND onward.product = stats.product),
        centre AS (SELECT median(did) AS med, 1.4826 * mad(did) AS spread, count(*) AS scored FROM scored),
        top AS (
            SELECT scored.*, CASE WHEN spread > 1e-12 THEN (did - med) / spread ELSE 0 END AS score, centre.scored
            FROM scored, centre
            ORDER BY score DESC, own_z DESC, exporter, hub, product LIMIT {int(limit)})
        SELECT top.*, list(s.period ORDER BY s.period) AS periods, list(s.v ORDER BY s.period) AS series
        FROM top JOIN s ON s.exporter = top.exporter AND s.partner = top.hub AND s.product = top.product
        GROUP BY ALL ORDER BY score DESC, own_z DESC, exporter, hub, product"""
    result = rel.query("t", sql)
    scanned = held(exports, "product")
    if len(cover(scanned)) < len(scanned):
        caveats.append("the source holds headings beside the finer codes under them: an alert on a heading (8703) and "
                       "alerts on its lines (87032410) are the same trade, not separate evidence")
    names = [d[0] for d in result.description]
    described = {**(descriptions or {}), **(codes.descriptions if codes is not None else {})}
    found = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    rows = [{
        "exporter": r["exporter"], "hub": r["hub"], "product": r["product"],
        "description": (described.get(r["product"]) or None), "score": round(float(r["score"]), 3),
        "own_z": round(float(r["own_z"]), 3), "did": round(float(r["did"]), 4), "log_growth": round(float(r["g"]), 4),
        "control_log_growth": None if r["control_g"] is None else round(float(r["control_g"]), 4),
        "growth_pct": round((r["post_mean"] / r["base_mean"] - 1.0) * 100, 2) if r["base_mean"] > 0 else math.inf,
        "baseline_mean": round(float(r["base_mean"]), 2), "post_mean": round(float(r["post_mean"]), 2),
        "baseline_n": int(r["n_base"]), "post_n": int(r["n_post"]),
        "direct_to_target_growth_pct": None if r["direct_growth"] is None else round(float(r["direct_growth"]), 2),
        "hub_to_target_growth_pct": None if r["onward_growth"] is None else round(float(r["onward_growth"]), 2),
        "corroborated": (r["direct_growth"] is not None and r["direct_growth"] < 0)
                        or (r["onward_growth"] is not None and r["onward_growth"] > 0),
        "evidence": [f"{p}: {v:.0f}" for p, v in zip(r["periods"], r["series"], strict=True)],
    } for r in found]
    caveats.append(_means_rule(held(exports, "period"), event, freq, rows))
    meta = _meta(target, hubs, event, codes) | {"series_scored": int(found[0]["scored"]) if found else 0,
                                                "min_baseline": min_baseline, "frequency": freq, "unit": "USD"}
    return ResultTable.from_records("circumvention", rows, _COLUMNS, meta=meta).with_caveats(*caveats)


_COLUMNS = ["exporter", "hub", "product", "description", "score", "own_z", "did", "log_growth", "control_log_growth",
            "growth_pct", "baseline_mean", "post_mean", "baseline_n", "post_n", "direct_to_target_growth_pct",
            "hub_to_target_growth_pct", "corroborated", "evidence"]


def _means_rule(periods: Sequence[str], event: str, freq: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The rule every mean of the scan follows, stated with the window's length and how many alerts it touched."""
    unit = "months" if freq == "M" else "years"
    n_base = sum(p < event for p in periods)
    n_post = sum(p > event for p in periods)
    short = [r for r in rows if r["baseline_n"] < n_base or r["post_n"] < n_post]
    text = (f"Means (baseline, post, direct and control) are over the {unit} with a value: a {unit[:-1]} the source "
            "leaves empty (':' in Comext, confidential or no trade) is left out of the denominator, not counted as "
            f"0, which raises a mean where {unit} are missing. The source holds {n_base} baseline and {n_post} post "
            f"{unit}; baseline_n and post_n give how many each alert's means use")
    if short:
        r = short[0]
        text += (f" ({len(short)} of the {len(rows)} alerts use fewer, e.g. {r['exporter']} -> {r['hub']} "
                 f"{r['product']}: {r['baseline_n']} of {n_base} baseline, {r['post_n']} of {n_post} post)")
    return text + "."


def _meta(target: str, hubs: Sequence[str], event: str, codes: CodeList | None) -> dict[str, Any]:
    return {"analysis": "circumvention scan", "target": target, "hubs": list(hubs), "event": event,
            "codes": f"{codes.name} {codes.version}" if codes else "all"}


def substitution_ratio(rel: Any, *, target: str = "RUS", hubs: Sequence[str] = DEFAULT_HUBS,
                       codes: CodeList | None = None, event: str = "2022-02") -> ResultTable:
    """Per exporter: (extra monthly exports to the hubs) / (fall in monthly direct exports to the target)."""
    _one_source(rel, "the substitution ratio")
    hub_list = ", ".join(f"'{h}'" for h in hubs)
    products = held(rel.filter("flow = 'export'"), "product")
    once = resolve_levels(codes.codes, products).products if codes is not None else cover(products)
    series = _monthly(rel, f"partner IN ({hub_list}, '{target}') AND product IN ({sql_list(list(once) or [''])})")
    agg: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"hub_b": [], "hub_p": [], "tgt_b": [], "tgt_p": []})
    for (reporter, partner, product), values in series.items():
        if is_aggregate(reporter) or (codes is not None and not codes.matches(product)):
            continue
        b = [v for m, v in values.items() if m < event]
        p = [v for m, v in values.items() if m > event]
        n_b = len({m for m in values if m < event}) or 1
        n_p = len({m for m in values if m > event}) or 1
        key = "tgt" if partner == target else "hub"
        agg[reporter][f"{key}_b"].append(sum(b) / n_b)
        agg[reporter][f"{key}_p"].append(sum(p) / n_p)
    rows: list[dict[str, Any]] = []
    for reporter, a in sorted(agg.items()):
        extra = sum(a["hub_p"]) - sum(a["hub_b"])
        fall = sum(a["tgt_b"]) - sum(a["tgt_p"])
        rows.append({"exporter": reporter, "extra_to_hubs": round(extra, 2), "fall_to_target": round(fall, 2),
                     "substitution_ratio": round(extra / fall, 4) if fall > 0 else None})
    rows.sort(key=lambda r: -(r["substitution_ratio"] or -1e18))
    return ResultTable.from_records("substitution_ratio", rows,
                                    ["exporter", "extra_to_hubs", "fall_to_target", "substitution_ratio"],
                                    meta=_meta(target, hubs, event, codes))


def backfill(rel: Any, *, target: str = "RUS", codes: CodeList | None = None,
             groups: Mapping[str, Sequence[str]] | None = None) -> ResultTable:
    """Each supplier group's share of the target's imports of the codes, per source and period, from partners'
    exports (in USD).

    A source only knows the suppliers it holds reports from (the Comext spreadsheets: the 27 EU member states), so
    the total is the covered reporters' exports, a group with no reporter in the source is not covered (its share
    is empty, never 0%), and the caveats name the reporters covered. Codes are summed at one level per branch (a
    heading never with the CN8 lines under it); sources are kept apart.
    """
    check_country(target, "target")
    groups = groups or {"china": group_members("CHN+HKG+MAC")}
    rows: list[dict[str, Any]] = []
    caveats: list[str] = []
    empty: dict[str, str] = {}
    for source in held(rel, "source"):
        srel = rel.filter(f"source = '{source}' AND flow = 'export'")
        reporters = [r for r in held(srel, "reporter") if not is_aggregate(r)]
        if target not in held(srel, "partner"):
            empty[source] = (f"no rows for exports to {target} in {source}; it holds partners "
                             f"{listing(held(srel, 'partner'), 12)}{did_you_mean(target, held(srel, 'partner'))}")
            continue
        if codes is not None:
            levels = resolve_levels(codes.codes, held(srel, "product"))
            products = list(levels.products)
            caveats += [f"{source}, {line}" for line in levels.describe()]
        else:
            everything = held(srel, "product")
            products = list(cover(everything))
            if len(products) < len(everything):
                caveats.append(f"{source}: all the codes it holds, summed at their coarsest level ({len(products)} "
                               f"codes; {len(everything) - len(products)} finer codes inside them not added again)")
        if not products:
            empty[source] = (f"no rows for codes {codes.name + ' ' + codes.version if codes else 'any'} in {source}; "
                             f"it holds {listing(held(srel, 'product'), 12)}")
            continue
        sel = srel.filter(f"partner = '{target}' AND product IN ({sql_list(products)}) "
                          f"AND NOT {aggregate_sql('reporter')}")
        no_usd = sel.filter("value_usd IS NULL").aggregate("count(*)").fetchall()[0][0]
        if no_usd:
            caveats.append(f"{source}: {no_usd} rows with no USD value (no exchange rate for their period) are not "
                           "counted")
        data = sel.filter("value_usd IS NOT NULL").aggregate(
            "period, reporter, sum(value_usd) AS v", "period, reporter").fetchall()
        if not data:
            empty[source] = (f"no rows for exports of codes {codes.name + ' ' + codes.version if codes else 'any'} "
                             f"to {target} in {source}")
            continue
        covered = {g: [m for m in members if m in reporters] for g, members in groups.items()}
        # a source's reporters differ by period (BACI 2022 holds 188 exporters, 2024 182): count them per period
        by_period: dict[str, list[str]] = defaultdict(list)
        for period, reporter in srel.aggregate("period, reporter", "period, reporter").fetchall():
            if reporter is not None and not is_aggregate(reporter):
                by_period[str(period)].append(str(reporter))
        totals: dict[str, float] = defaultdict(float)
        by_group: dict[tuple[str, str], float] = defaultdict(float)
        for period, reporter, value in data:
            totals[period] += float(value)
            for g, members in groups.items():
                if reporter in members:
                    by_group[(period, g)] += float(value)
        for period, total in sorted(totals.items()):
            rows.append({"source": source, "period": period, "target": target, "imports_usd": round(total, 2),
                         "reporters": len(by_period[period]),
                         **{f"share_{g}": (round(by_group[(period, g)] / total * 100, 4)
                                           if covered[g] and total > 0 else None) for g in groups}})
        per_period = [len(by_period[period]) for period in sorted(totals)]
        if len(set(per_period)) == 1:
            each = "" if per_period[0] == len(reporters) else f", {per_period[0]} in each period"
        elif len(per_period) <= 6:
            each = ", " + ", ".join(f"{n} in {period}" for n, period in zip(per_period, sorted(totals), strict=True))
        else:
            each = f", {min(per_period)} to {max(per_period)} a period (column reporters)"
        caveats.append(f"{source}: imports of {target} measured from the exports of the {len(reporters)} reporters "
                       f"it holds ({listing(reporters, 12)}) across its periods{each}; suppliers absent from it are "
                       "unknown, not zero, and shares are of these reporters' total")
        for g, members in groups.items():
            lacking = [m for m in members if m not in reporters and not is_pseudo_region(m)]
            if not covered[g]:
                caveats.append(f"{source}: share_{g} not covered (no rows from {', '.join(members)}): unknown, "
                               "not 0%")
            elif lacking:
                caveats.append(f"{source}: share_{g} covers {', '.join(covered[g])} only (no rows from "
                               f"{', '.join(lacking)})")
    columns = ["source", "period", "target", "imports_usd", "reporters", *(f"share_{g}" for g in groups)]
    meta = {"analysis": "backfill share", "target": target, "codes": f"{codes.name} {codes.version}" if codes
            else "all", "empty_sources": empty}
    if not rows:
        raise NoRowsError("; ".join(empty.values()) if empty else "no trade rows in the selected sources")
    if empty:
        caveats.append(f"sources with no rows for this query: {', '.join(empty)} (meta empty_sources)")
    return ResultTable.from_records("backfill", rows, columns, meta=meta).with_caveats(*caveats)
