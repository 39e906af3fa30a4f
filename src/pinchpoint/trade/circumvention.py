"""Circumvention and backfill: which exporter -> hub -> product flows jumped after an event, and who took over.

Scan (per exporter, hub and product, monthly values):

* baseline = months before the event, post = months from the event month on (the event month itself is skipped);
* ``log growth g = log((mean post + 1) / (mean baseline + 1))``;
* **own history**: robust z of log(mean post) against the baseline months, ``(log P - median log b) / (1.4826 MAD)``;
* **difference in differences**: ``g`` minus the growth of the same exporter's total exports to the hub (the
  control), so a hub whose trade grew for every good does not flag every code;
* **score**: the robust z of that difference across all series (median/MAD), so scores are comparable;
* series whose baseline sum is below ``min_baseline`` are left out (tiny flows make huge growth rates);
* **corroboration**: the exporter's direct exports of the same code to the target over the same periods.

Every alert carries its evidence series. The EBRD "Eurasian roundabout" substitution ratio is the extra exports
to hubs divided by the fall in direct exports to the target; the backfill share is a third country's share of
the target's imports of the codes, measured from partners' exports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pinchpoint.results import ResultTable
from pinchpoint.trade.codes import CodeList
from pinchpoint.trade.countries import is_aggregate

DEFAULT_HUBS = ("ARM", "GEO", "KAZ", "KGZ", "UZB", "TUR", "ARE")


def _mad_z(values: np.ndarray, x: float) -> float:
    med = float(np.median(values))
    mad = 1.4826 * float(np.median(np.abs(values - med)))
    return (x - med) / mad if mad > 1e-12 else 0.0


def _monthly(rel: Any, where: str) -> dict[tuple[str, str, str], dict[str, float]]:
    out: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    rows = rel.filter(f"frequency = 'M' AND flow = 'export' AND {where}").aggregate(
        "reporter, partner, product, period, sum(value) AS v", "reporter, partner, product, period").fetchall()
    for reporter, partner, product, period, value in rows:
        out[(reporter, partner, product)][period] = float(value)
    return out


def scan(rel: Any, *, target: str = "RUS", hubs: Sequence[str] = DEFAULT_HUBS, codes: CodeList | None = None,
         event: str = "2022-02", control: Any = None, min_baseline: float = 500_000.0, limit: int = 200
         ) -> ResultTable:
    """Rank exporter -> hub -> product series by robust anomaly scores of log growth after ``event`` (YYYY-MM).

    ``rel`` holds product-level monthly flows (e.g. Comext spreadsheets); ``control`` (optional) holds the same
    exporters' total exports to the hubs (e.g. Comext relational totals) for the difference in differences.
    """
    hub_list = ", ".join(f"'{h}'" for h in hubs)
    series = _monthly(rel, f"partner IN ({hub_list}, '{target}')")
    totals = _monthly(control, f"partner IN ({hub_list}) AND product = 'TOTAL'") if control is not None else {}
    candidates: list[dict[str, Any]] = []
    for (reporter, partner, product), values in series.items():
        if partner == target or is_aggregate(reporter) or (codes is not None and not codes.matches(product)):
            continue
        months = sorted(values)
        base = np.array([values[m] for m in months if m < event])
        post = np.array([values[m] for m in months if m > event])
        if len(base) < 6 or len(post) < 3 or base.sum() < min_baseline:
            continue
        g = math.log((post.mean() + 1.0) / (base.mean() + 1.0))
        own = _mad_z(np.log(base + 1.0), math.log(post.mean() + 1.0))
        control_g = None
        if (tot := totals.get((reporter, partner, "TOTAL"))) is not None:
            tb = [v for m, v in tot.items() if m < event and m >= months[0]]
            tp = [v for m, v in tot.items() if m > event and m <= months[-1]]
            if tb and tp:
                control_g = math.log((float(np.mean(tp)) + 1.0) / (float(np.mean(tb)) + 1.0))
        did = g - (control_g or 0.0)
        direct = series.get((reporter, target, product), {})
        db = [v for m, v in direct.items() if m < event]
        dp = [v for m, v in direct.items() if m > event]
        direct_growth = (float(np.mean(dp)) / float(np.mean(db)) - 1.0) * 100 if db and dp and np.mean(db) > 0 else None
        candidates.append({
            "exporter": reporter, "hub": partner, "product": product,
            "baseline_mean": round(float(base.mean()), 2), "post_mean": round(float(post.mean()), 2),
            "growth_pct": round((post.mean() / base.mean() - 1.0) * 100 if base.mean() > 0 else math.inf, 2),
            "log_growth": round(g, 4), "control_log_growth": None if control_g is None else round(control_g, 4),
            "did": round(did, 4), "own_z": round(own, 3), "direct_to_target_growth_pct":
                None if direct_growth is None else round(direct_growth, 2),
            "evidence": [f"{m}: {values[m]:.0f}" for m in months],
        })
    if not candidates:
        return ResultTable.from_records("circumvention", [], _COLUMNS, meta=_meta(target, hubs, event, codes))
    dids = np.array([c["did"] for c in candidates])
    for c in candidates:
        c["score"] = round(_mad_z(dids, c["did"]), 3)
        c["corroborated"] = (c["direct_to_target_growth_pct"] is not None and c["direct_to_target_growth_pct"] < 0)
    candidates.sort(key=lambda c: (-c["score"], -c["own_z"], c["exporter"], c["hub"], c["product"]))
    return ResultTable.from_records("circumvention", candidates[:limit], _COLUMNS,
                                    meta=_meta(target, hubs, event, codes) | {"series_scored": len(candidates),
                                                                              "min_baseline": min_baseline})


_COLUMNS = ["exporter", "hub", "product", "score", "own_z", "did", "log_growth", "control_log_growth", "growth_pct",
            "baseline_mean", "post_mean", "direct_to_target_growth_pct", "corroborated", "evidence"]


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
