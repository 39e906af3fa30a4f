"""Trade metrics as plain functions over a DuckDB relation of the long table (see ``docs/trade.md``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pinchpoint.results import ResultTable
from pinchpoint.trade.countries import aggregate_sql, is_aggregate
from pinchpoint.trade.table import sql_list


def parse_periods(spec: str) -> tuple[str, str, str]:
    """``2021`` -> ('2021', '2021', 'A'); ``2021-01..2021-11`` -> ('2021-01', '2021-11', 'M')."""
    s = spec.strip()
    if re.fullmatch(r"\d{4}", s):
        return s, s, "A"
    if m := re.fullmatch(r"(\d{4}-\d{2})\.\.(\d{4}-\d{2})", s):
        if m.group(1) > m.group(2):
            raise ValueError(f"period range {spec!r} runs backwards")
        return m.group(1), m.group(2), "M"
    if re.fullmatch(r"\d{4}-\d{2}", s):
        return s, s, "M"
    raise ValueError(f"period {spec!r}: give a year (2021) or a range of months (2021-01..2021-11)")


def _value_in(rel: Any, reporter: str, partner: str, codes: Sequence[str], flow: str, spec: str) -> tuple[float, str]:
    """Total value for one period spec. For a year, annual rows are used where the source has them, else the sum
    of its months (never both: that would double-count)."""
    lo, hi, freq = parse_periods(spec)
    code_filter = ("product = 'TOTAL'" if list(codes) in ([], ["TOTAL"]) else
                   "(" + " OR ".join(f"product LIKE '{c}%'" for c in codes) + ")")
    base = rel.filter(f"reporter = '{reporter}' AND partner = '{partner}' AND flow = '{flow}' AND {code_filter}")
    if freq == "A":
        annual = base.filter(f"frequency = 'A' AND period = '{lo}'")
        monthly = base.filter(f"frequency = 'M' AND substr(period, 1, 4) = '{lo}'")
        a = annual.aggregate("sum(value) AS v, count(*) AS n, string_agg(DISTINCT currency) AS c").fetchall()[0]
        if a[1]:
            return float(a[0]), str(a[2])
        m = monthly.aggregate("sum(value) AS v, count(*) AS n, string_agg(DISTINCT currency) AS c").fetchall()[0]
        return (float(m[0]) if m[1] else 0.0), str(m[2] or "")
    m = base.filter(f"frequency = 'M' AND period BETWEEN '{lo}' AND '{hi}'").aggregate(
        "sum(value) AS v, count(*) AS n, string_agg(DISTINCT currency) AS c").fetchall()[0]
    return (float(m[0]) if m[1] else 0.0), str(m[2] or "")


def growth(rel: Any, reporters: Sequence[str], partners: Sequence[str], codes: Sequence[str], base: str,
           compare: str, flow: str = "export") -> ResultTable:
    """Growth of flows from each reporter to each partner between two periods, in percent."""
    rows = []
    for r in reporters:
        for p in partners:
            b, cur_b = _value_in(rel, r, p, codes, flow, base)
            c, cur_c = _value_in(rel, r, p, codes, flow, compare)
            rows.append({"reporter": r, "partner": p, "codes": list(codes) or ["TOTAL"], "flow": flow,
                         "base": base, "compare": compare, "base_value": b, "compare_value": c,
                         "growth_pct": round((c / b - 1.0) * 100.0, 4) if b > 0 else None,
                         "currency": cur_c or cur_b})
    return ResultTable.from_records("trade_growth", rows, meta={"analysis": "trade growth", "flow": flow,
                                                                "base": base, "compare": compare})


def supplier_concentration(rel: Any, importers: Sequence[str] | None = None, codes: Sequence[str] = (),
                           period: str | None = None, coalitions: Mapping[str, Sequence[str]] | None = None
                           ) -> ResultTable:
    """Import dependence per importer and product: HHI of suppliers, top supplier and its share, coalition shares.

    Imports are measured from partners' exports (mirror data, as BACI does): rows with flow 'export'; groups of
    countries never count as one supplier. See :func:`supplier_concentration_relation` for tables too large to
    hold as Python rows.
    """
    result = supplier_concentration_relation(rel, importers, codes, period, coalitions).order(
        "hhi DESC, importer, product, period, source")
    cols = [d[0] for d in result.description]
    rows = [dict(zip(cols, r, strict=True)) for r in result.fetchall()]
    return ResultTable.from_records("trade_dependence", rows, cols, meta={"analysis": "supplier concentration",
                                                                          "period": period or "all",
                                                                          "coalitions": dict(coalitions or {})})


def supplier_concentration_relation(rel: Any, importers: Sequence[str] | None = None, codes: Sequence[str] = (),
                                    period: str | None = None,
                                    coalitions: Mapping[str, Sequence[str]] | None = None) -> Any:
    """The same metrics as a lazy, unordered DuckDB relation (write it with ``.write_parquet(path)``), in one
    aggregation.

    The workspace holds one row per flow and source (:func:`pinchpoint.trade.store.import_frame` refuses
    anything else), so each row is one supplier's whole value: HHI is ``sum(v^2) / sum(v)^2`` over the rows of
    an importer, product and period, with no pre-aggregation by supplier. Sources are kept apart (two sources
    report the same flow: adding them would double-count).
    """
    where = ["flow = 'export'", f"NOT {aggregate_sql('reporter')}", f"NOT {aggregate_sql('partner')}",
             "coalesce(value_usd, value) > 0"]
    if importers:
        where.append(f"partner IN ({sql_list(importers)})")
    if codes:
        where.append("(" + " OR ".join(f"starts_with(product, '{c}')" for c in codes) + ")")
    if period:
        where.append(f"period = '{period}'")
    coalition_sql = "".join(
        f", round(100 * coalesce(sum(v) FILTER (WHERE exporter IN ({sql_list(list(members))})), 0) / sum(v), 4) "
        f"AS share_{name}" for name, members in dict(coalitions or {}).items())
    sql = f"""
        SELECT partner AS importer, product, period, source, sum(v) AS imports,
               round(10000 * sum(v * v) / (sum(v) * sum(v)), 6) AS hhi, round(100 * max(v) / sum(v), 6) AS cr1,
               round(100 * list_sum(max(v, 3)) / sum(v), 6) AS cr3,
               round(sum(v) * sum(v) / sum(v * v), 6) AS effective_n, count(*)::INTEGER AS n_providers,
               arg_max(exporter, v) AS top_supplier, round(100 * max(v) / sum(v), 4) AS top_share {coalition_sql}
        FROM (SELECT partner, product, period, source, reporter AS exporter, coalesce(value_usd, value) AS v
              FROM t WHERE {' AND '.join(where)})
        GROUP BY importer, product, period, source"""
    return rel.query("t", sql)


def rca(values: Sequence[tuple[str, str, float]]) -> dict[tuple[str, str], float]:
    """Balassa revealed comparative advantage of each (country, product):
    ``(x_cp / sum_p x_cp) / (sum_c x_cp / sum_cp x_cp)``."""
    countries = sorted({c for c, _, _ in values})
    products = sorted({p for _, p, _ in values})
    ci = {c: k for k, c in enumerate(countries)}
    pi = {p: k for k, p in enumerate(products)}
    x = np.zeros((len(countries), len(products)))
    for c, p, v in values:
        x[ci[c], pi[p]] += v
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x / x.sum(axis=1, keepdims=True)) / (x.sum(axis=0, keepdims=True) / x.sum())
    return {(c, p): float(out[ci[c], pi[p]]) for c in countries for p in products}


def mirror_gaps(rel: Any, *, cif_margin: float = 0.06, tolerance: float = 0.25, min_value: float = 100_000.0,
                exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None) -> ResultTable:
    """Exporter-reported exports against importer-reported imports of the same flow (mirror statistics).

    Imports are valued CIF and exports FOB, so an importer's figure is expected to be about ``1 + cif_margin``
    times the exporter's (OECD's average margin is about 6%). A flow is flagged when the ratio falls outside
    ``[1 - tolerance, 1 + cif_margin + tolerance]``, including shipments the importer never records (ratio 0).
    """
    where = ["flow IN ('export', 'import')", "coalesce(value_usd, value) >= 0"]
    data = rel.filter(" AND ".join(where)).aggregate(
        "period, reporter, partner, flow, product, sum(coalesce(value_usd, value)) AS v",
        "period, reporter, partner, flow, product").fetchall()
    exported: dict[tuple[str, str, str, str], float] = {}
    imported: dict[tuple[str, str, str, str], float] = {}
    for period, reporter, partner, flow, product, value in data:
        if is_aggregate(reporter) or is_aggregate(partner):
            continue
        if flow == "export":
            exported[(period, reporter, partner, product)] = float(value)
        else:
            imported[(period, partner, reporter, product)] = float(value)  # keyed exporter -> importer
    rows: list[dict[str, Any]] = []
    for key in sorted(exported.keys() | imported.keys()):
        period, exporter, importer, product = key
        if (exporters and exporter not in exporters) or (importers and importer not in importers):
            continue
        x, m = exported.get(key), imported.get(key)
        if x is None or max(x, m or 0.0) < min_value:
            continue  # no exporter report to compare with, or too small to matter
        ratio = (m or 0.0) / x if x > 0 else None
        flagged = ratio is not None and not (1 - tolerance <= ratio <= 1 + cif_margin + tolerance)
        rows.append({"period": period, "exporter": exporter, "importer": importer, "product": product,
                     "exporter_reported": round(x, 2), "importer_reported": None if m is None else round(m, 2),
                     "ratio": None if ratio is None else round(ratio, 4),
                     "gap": round((m or 0.0) - x * (1 + cif_margin), 2), "flagged": flagged})
    rows.sort(key=lambda r: (not r["flagged"], -abs(r["gap"]), r["exporter"], r["importer"]))
    return ResultTable.from_records(
        "mirror_gaps", rows, ["period", "exporter", "importer", "product", "exporter_reported", "importer_reported",
                              "ratio", "gap", "flagged"],
        meta={"analysis": "mirror gaps", "cif_margin": cif_margin, "tolerance": tolerance, "min_value": min_value})
