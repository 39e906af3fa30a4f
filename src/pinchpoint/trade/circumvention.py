"""Circumvention and backfill: which exporter -> hub -> product flows jumped after an event, and who took over.

Scan (per exporter, hub and product, monthly values):

* baseline = months before the event, post = months from the event month on (the event month itself is skipped);
* ``log growth g = log((mean post + 1) / (mean baseline + 1))``;
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

from pinchpoint.results import ResultTable
from pinchpoint.trade.codes import CodeList
from pinchpoint.trade.countries import aggregate_sql, is_aggregate
from pinchpoint.trade.table import sql_list

DEFAULT_HUBS = ("ARM", "GEO", "KAZ", "KGZ", "UZB", "TUR", "ARE")


def _frequency(event: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", event):
        return "M"
    if re.fullmatch(r"\d{4}", event):
        return "A"
    raise ValueError(f"event {event!r}: give a month (2022-02) for monthly data or a year (2022) for annual data")


def _monthly(rel: Any, where: str) -> dict[tuple[str, str, str], dict[str, float]]:
    out: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    rows = rel.filter(f"frequency = 'M' AND flow = 'export' AND {where}").aggregate(
        "reporter, partner, product, period, sum(value) AS v", "reporter, partner, product, period").fetchall()
    for reporter, partner, product, period, value in rows:
        out[(reporter, partner, product)][period] = float(value)
    return out


def _listed_filter(rel: Any, codes: CodeList | None) -> str:
    """The listed codes as an IN list of the product codes the data holds: unlike an OR of code ranges, an IN list
    is pushed into the scan, so a product-sorted store reads only the row groups of those codes."""
    if codes is None:
        return "TRUE"
    held = [p for (p,) in rel.filter(codes.sql_filter()).aggregate("product", "product").fetchall()]
    return f"product IN ({sql_list(held)})" if held else "FALSE"


def scan(rel: Any, *, target: str = "RUS", hubs: Sequence[str] = DEFAULT_HUBS, codes: CodeList | None = None,
         event: str = "2022-02", control: Any = None, min_baseline: float = 500_000.0, limit: int = 200
         ) -> ResultTable:
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
    min_base, min_post = (6, 3) if freq == "M" else (3, 1)
    hub_list = sql_list(list(hubs))
    value = "coalesce(value_usd, value)"
    # The comparison goods: the listed codes' chapters less the listed codes (uncontrolled goods of the same kind),
    # or every product when no list is given.
    listed = _listed_filter(rel, codes)
    if control is not None:
        # the control window is the scanned data's, so both growths compare the same periods
        lo, hi = rel.filter(f"{listed} AND frequency = '{freq}'").aggregate("min(period), max(period)").fetchall()[0]
        if codes is not None:  # one range over the chapters (pushed down), then the chapters themselves
            chapters = codes.chapters().codes
            upper = f"{chapters[-1][0]}{chr(ord(chapters[-1][1]) + 1)}"
            goods = (f"product >= '{chapters[0]}' AND product < '{upper}' "
                     f"AND substr(product, 1, 2) IN ({sql_list(list(chapters))})")
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
        listed_series AS (SELECT exporter, partner AS hub, period, sum(v) AS v FROM s GROUP BY ALL),
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
                   count(*) FILTER (WHERE {before}) AS n_base, count(*) FILTER (WHERE {after}) AS n_post,
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
    names = [d[0] for d in result.description]
    found = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    rows = [{
        "exporter": r["exporter"], "hub": r["hub"], "product": r["product"], "score": round(float(r["score"]), 3),
        "own_z": round(float(r["own_z"]), 3), "did": round(float(r["did"]), 4), "log_growth": round(float(r["g"]), 4),
        "control_log_growth": None if r["control_g"] is None else round(float(r["control_g"]), 4),
        "growth_pct": round((r["post_mean"] / r["base_mean"] - 1.0) * 100, 2) if r["base_mean"] > 0 else math.inf,
        "baseline_mean": round(float(r["base_mean"]), 2), "post_mean": round(float(r["post_mean"]), 2),
        "direct_to_target_growth_pct": None if r["direct_growth"] is None else round(float(r["direct_growth"]), 2),
        "hub_to_target_growth_pct": None if r["onward_growth"] is None else round(float(r["onward_growth"]), 2),
        "corroborated": (r["direct_growth"] is not None and r["direct_growth"] < 0)
                        or (r["onward_growth"] is not None and r["onward_growth"] > 0),
        "evidence": [f"{p}: {v:.0f}" for p, v in zip(r["periods"], r["series"], strict=True)],
    } for r in found]
    meta = _meta(target, hubs, event, codes) | {"series_scored": int(found[0]["scored"]) if found else 0,
                                                "min_baseline": min_baseline, "frequency": freq}
    return ResultTable.from_records("circumvention", rows, _COLUMNS, meta=meta)


_COLUMNS = ["exporter", "hub", "product", "score", "own_z", "did", "log_growth", "control_log_growth", "growth_pct",
            "baseline_mean", "post_mean", "direct_to_target_growth_pct", "hub_to_target_growth_pct", "corroborated",
            "evidence"]


def _meta(target: str, hubs: Sequence[str], event: str, codes: CodeList | None) -> dict[str, Any]:
    return {"analysis": "circumvention scan", "target": target, "hubs": list(hubs), "event": event,
            "codes": f"{codes.name} {codes.version}" if codes else "all"}


def substitution_ratio(rel: Any, *, target: str = "RUS", hubs: Sequence[str] = DEFAULT_HUBS,
                       codes: CodeList | None = None, event: str = "2022-02") -> ResultTable:
    """Per exporter: (extra monthly exports to the hubs) / (fall in monthly direct exports to the target)."""
    hub_list = ", ".join(f"'{h}'" for h in hubs)
    series = _monthly(rel, f"partner IN ({hub_list}, '{target}')")
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
    """Each supplier group's share of the target's imports of the codes, per period, from partners' exports."""
    groups = groups or {"china": ("CHN", "HKG", "MAC")}
    rows_raw = rel.filter(f"partner = '{target}' AND flow = 'export'").aggregate(
        "period, reporter, product, sum(coalesce(value_usd, value)) AS v", "period, reporter, product").fetchall()
    totals: dict[str, float] = defaultdict(float)
    by_group: dict[tuple[str, str], float] = defaultdict(float)
    for period, reporter, product, value in rows_raw:
        if is_aggregate(reporter) or (codes is not None and not codes.matches(product)):
            continue
        totals[period] += float(value)
        for g, members in groups.items():
            if reporter in members:
                by_group[(period, g)] += float(value)
    rows = [{"period": p, "target": target, "imports": round(t, 2),
             **{f"share_{g}": round(by_group[(p, g)] / t * 100, 4) if t > 0 else None for g in groups}}
            for p, t in sorted(totals.items())]
    columns = ["period", "target", "imports", *(f"share_{g}" for g in groups)]
    return ResultTable.from_records("backfill", rows, columns, meta={"analysis": "backfill share", "target": target,
                                                            "codes": f"{codes.name} {codes.version}" if codes
                                                            else "all"})
