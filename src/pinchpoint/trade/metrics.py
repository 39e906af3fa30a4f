"""Trade metrics as plain functions over a DuckDB relation of the long table (see ``docs/trade.md``)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError, check_number
from pinchpoint.kernel.countries import aggregate_sql, check_country, is_aggregate
from pinchpoint.results import ResultTable
from pinchpoint.trade.codes import CodeList
from pinchpoint.trade.query import (
    NoRowsError,
    built_caveat,
    check_codes,
    closest_codes,
    held,
    levels_for,
    listing,
    resolve_countries,
)
from pinchpoint.trade.table import sql_list

_GIVE_RANGE = "give a year (2021) or a range of months (2021-01..2021-11)"
_GIVE_ONE = "give a year (2024) or a month (2024-03)"


def _month(text: str, spec: str, parameter: str, give: str = _GIVE_RANGE) -> str:
    """``text`` (``YYYY-MM``) if its month runs 01-12; else a bad argument naming the parameter and the value."""
    if not 1 <= int(text[5:7]) <= 12:
        raise BadArgumentError(f"{parameter} {spec!r}: {text} is not a month (months run 01 to 12); {give}",
                               parameter=parameter)
    return text


def check_period(spec: str, parameter: str = "period") -> str:
    """One period as the store writes them: a year (``2024``) or a month (``2024-03``); anything else (``2024-13``,
    ``24``) is a :class:`~pinchpoint.errors.BadArgumentError` naming ``parameter``, never a query with no rows."""
    s = spec.strip()
    if re.fullmatch(r"\d{4}", s):
        return s
    if re.fullmatch(r"\d{4}-\d{2}", s):
        return _month(s, spec, parameter, _GIVE_ONE)
    raise BadArgumentError(f"{parameter} {spec!r}: {_GIVE_ONE}", parameter=parameter)


def parse_periods(spec: str, parameter: str = "period") -> tuple[str, str, str]:
    """``2021`` -> ('2021', '2021', 'A'); ``2021-01..2021-11`` -> ('2021-01', '2021-11', 'M'). A bad spec is a
    :class:`~pinchpoint.errors.BadArgumentError` (a ``ValueError``) naming ``parameter``."""
    s = spec.strip()
    if re.fullmatch(r"\d{4}", s):
        return s, s, "A"
    if m := re.fullmatch(r"(\d{4}-\d{2})\.\.(\d{4}-\d{2})", s):
        lo, hi = _month(m.group(1), spec, parameter), _month(m.group(2), spec, parameter)
        if lo > hi:
            raise BadArgumentError(f"{parameter}: period range {spec!r} runs backwards", parameter=parameter)
        return lo, hi, "M"
    if re.fullmatch(r"\d{4}-\d{2}", s):
        return _month(s, spec, parameter), s, "M"
    raise BadArgumentError(f"{parameter} {spec!r}: {_GIVE_RANGE}", parameter=parameter)


def _months_in(lo: str, hi: str) -> list[str]:
    """Every month from ``lo`` to ``hi`` (``YYYY-MM``), both included."""
    y, m = int(lo[:4]), int(lo[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= hi:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class _Window:
    """One period spec as one source holds it: annual rows for a year where the source has them, else months."""

    spec: str
    frequency: str  # 'A' or 'M': the rows summed
    periods: tuple[str, ...]  # the periods of those rows the source holds
    note: str | None = None  # a partial window, said in the caveats


def _window(spec: str, source: str, annual: set[str], monthly: set[str]) -> _Window:
    lo, hi, freq = parse_periods(spec)
    if freq == "A" and lo in annual:
        return _Window(spec, "A", (lo,))
    wanted = _months_in(f"{lo}-01", f"{hi}-12") if freq == "A" else _months_in(lo, hi)
    have = tuple(m for m in wanted if m in monthly)
    if not have:
        held_periods = ([listing(sorted(annual))] if annual else []) + ([listing(sorted(monthly))] if monthly else [])
        raise NoRowsError(f"no rows for period {spec} in {source}; it holds periods "
                          f"{' and '.join(held_periods) or 'none'}")
    note = None
    if len(have) < len(wanted):
        note = (f"{spec} in {source}: the sum of the {len(have)} months the source holds ({have[0]}..{have[-1]}), "
                f"not all {len(wanted)}")
    return _Window(spec, "M", have, note)


def growth(rel: Any, reporters: Sequence[str], partners: Sequence[str], codes: Sequence[str], base: str,
           compare: str, flow: str = "export", *, code_list: CodeList | None = None,
           descriptions: Mapping[str, str] | None = None) -> ResultTable:
    """Growth of flows from each reporter to each partner between two periods, in percent, per source.

    Sources are kept apart (two sources report the same flow, in different currencies). Codes are summed at one
    level per branch (:func:`pinchpoint.trade.codes.resolve_levels`: a heading is never added to the CN8 lines
    under it). A group such as EU27_2020 that a source does not hold as a row is the sum of its members' rows (said
    in the caveats). A query that matches no row is a :class:`~pinchpoint.trade.query.NoRowsError` naming the
    filter that emptied it; a flow with no row in a period the source covers is None (not recorded), not zero.
    """
    for spec, parameter in ((base, "base"), (compare, "compare")):
        parse_periods(spec, parameter)
    wanted_codes = list(code_list.codes) if code_list is not None else check_codes(list(codes))
    reporters, partners = list(dict.fromkeys(reporters)), list(dict.fromkeys(partners))
    for r in reporters:
        check_country(r, "reporter")
    for p in partners:
        check_country(p, "partner")
    rows: list[dict[str, Any]] = []
    caveats: list[str] = []
    empty: dict[str, str] = {}
    levels_meta: dict[str, dict[str, dict[int, int]]] = {}
    for source in held(rel, "source"):
        try:
            found, notes, levels = _growth_in(rel.filter(f"source = '{source}'"), source, reporters, partners,
                                              wanted_codes, base, compare, flow)
        except NoRowsError as exc:
            empty[source] = str(exc)
            continue
        rows.extend(found)
        caveats.extend(notes)
        if levels is not None:
            levels_meta[source] = levels
    if not rows:
        raise NoRowsError("; ".join(empty.values()) if empty else "no trade rows in the selected sources")
    label = f"{code_list.name} {code_list.version}" if code_list is not None else None
    if empty:
        caveats.append(f"sources with no rows for this query: {', '.join(empty)} (meta empty_sources says which "
                       "filter emptied each)")
    described = {**(descriptions or {}), **(code_list.descriptions if code_list is not None else {})}
    for row in rows:
        row["description"] = (described.get(row["codes"][0]) if len(row["codes"]) == 1 else None) or label
    meta = {"analysis": "trade growth", "flow": flow, "base": base, "compare": compare,
            "codes": label or (wanted_codes or ["TOTAL"]), "code_levels": levels_meta, "empty_sources": empty}
    columns = ["source", "reporter", "partner", "codes", "description", "flow", "base", "compare", "base_value",
               "compare_value", "growth_pct", "currency"]
    return ResultTable.from_records("trade_growth", rows, columns, meta=meta).with_caveats(*caveats)


def _growth_in(rel: Any, source: str, reporters: list[str], partners: list[str], codes: list[str], base: str,
               compare: str, flow: str) -> tuple[list[dict[str, Any]], list[str], dict[str, dict[int, int]] | None]:
    """Growth rows of one source, the caveats they need and the code levels used."""
    notes: list[str] = []
    whole_source = rel  # for what the source holds overall, beside what the filters leave
    flows_held = held(rel, "flow")
    if flow not in flows_held:
        raise NoRowsError(f"no rows for flow {flow} in {source}; it holds flows {listing(flows_held)}")
    rel = rel.filter(f"flow = '{flow}'")
    # the source's coverage of periods, over all its rows of the flow (not one reporter's)
    annual = set(held(rel.filter("frequency = 'A'"), "period"))
    monthly = set(held(rel.filter("frequency = 'M'"), "period"))
    reps = resolve_countries(reporters, held(rel, "reporter"), "reporter")
    if not reps.actual:
        raise NoRowsError(f"no rows for reporter {', '.join(reps.absent)} in {source}; it holds reporters "
                          f"{listing(held(rel, 'reporter'))}")
    rel = rel.filter(f"reporter IN ({sql_list(reps.all_codes())})")
    parts = resolve_countries(partners, held(rel, "partner"), "partner")
    if not parts.actual:
        raise NoRowsError(f"no rows for partner {', '.join(parts.absent)} from reporter {', '.join(reps.actual)} "
                          f"in {source}; it holds partners {listing(held(rel, 'partner'))}")
    rel = rel.filter(f"partner IN ({sql_list(parts.all_codes())})")
    for group, members in reps.built.items():
        notes.append(built_caveat(group, members, source, "reporter"))
    for group, members in parts.built.items():
        notes.append(built_caveat(group, members, source, "partner"))
    notes += [f"reporter {r}: no rows in {source} (unknown, not zero)" for r in reps.absent]
    notes += [f"partner {p}: no rows in {source} (unknown, not zero)" for p in parts.absent]
    levels = levels_for(rel, codes or ["TOTAL"])
    if not levels.products:
        what = ", ".join(codes) or "TOTAL (total trade; name product codes for a source of product lines)"
        products = held(rel, "product")
        hint = "" if not codes else closest_codes(codes[0], products)
        reason = "; ".join(levels.describe())
        overall = held(whole_source, "product")
        raise NoRowsError(f"no rows for code {what} in {source} for these reporters and partners"
                          f"{' (' + reason + ')' if reason else ''}; after the filters flow {flow}, reporter "
                          f"{', '.join(reps.actual)} and partner {', '.join(parts.actual)}, {len(products)} codes "
                          f"remain: {listing(products, 12)}{hint} ({source} holds {len(overall)} codes over all "
                          f"its rows: {listing(overall, 12)})")
    notes += [f"{source}, {line}" for line in levels.describe() if codes]
    if levels.missing and codes and len(codes) <= 5:
        notes.append(f"{source}: no rows for code(s) {', '.join(levels.missing)}")
    rel = rel.filter(f"product IN ({sql_list(list(levels.products))})")
    windows = [_window(spec, source, annual, monthly) for spec in (base, compare)]
    notes += [w.note for w in windows if w.note]
    data = rel.aggregate("reporter, partner, frequency, period, sum(value) AS v, string_agg(DISTINCT currency) AS c",
                         "reporter, partner, frequency, period").fetchall()
    currencies = {c for *_, c in data if c}
    if len(currencies) > 1:
        raise ValueError(f"{source} mixes currencies {sorted(currencies)} for one flow: cannot add them")
    cells: dict[tuple[str, str, str, str], float] = {(r, p, f, per): float(v) for r, p, f, per, v, _ in data}
    rows = []
    for r, r_codes in reps.actual.items():
        for p, p_codes in parts.actual.items():
            values: list[float | None] = []
            for w in windows:
                found = [cells[(a, b, w.frequency, per)] for a in r_codes for b in p_codes for per in w.periods
                         if (a, b, w.frequency, per) in cells]
                values.append(sum(found) if found else None)
                if not found:
                    notes.append(f"{r} -> {p} in {source}: no rows in {w.spec} (not recorded: zero or confidential; "
                                 "shown as empty, not 0)")
            b, c = values
            rows.append({"source": source, "reporter": r, "partner": p, "codes": codes or ["TOTAL"], "flow": flow,
                         "base": base, "compare": compare, "base_value": b, "compare_value": c,
                         "growth_pct": round((c / b - 1.0) * 100.0, 4) if b and c is not None and b > 0 else None,
                         "currency": next(iter(currencies), None)})
    level_counts = {code: counts for code, counts in levels.levels.items()} if codes else None
    return rows, notes, level_counts


def supplier_concentration(rel: Any, importers: Sequence[str] | None = None, codes: Sequence[str] = (),
                           period: str | None = None, coalitions: Mapping[str, Sequence[str]] | None = None, *,
                           code_list: CodeList | None = None, descriptions: Mapping[str, str] | None = None
                           ) -> ResultTable:
    """Import dependence per importer and product: HHI of suppliers, top supplier and its share, coalition shares.

    Imports are measured from partners' exports (mirror data, as BACI does): rows with flow 'export'; groups of
    countries never count as one supplier. Each product is its own row (a heading and the lines under it are never
    added together). A query that matches no row is a :class:`~pinchpoint.trade.query.NoRowsError` naming the
    filter. See :func:`supplier_concentration_relation` for tables too large to hold as Python rows.
    """
    for code in importers or ():
        check_country(code, "importer")
    period = check_period(period) if period else period
    wanted = list(code_list.codes) if code_list is not None else check_codes(list(codes))
    exports = rel.filter(f"flow = 'export' AND NOT {aggregate_sql('reporter')} AND NOT {aggregate_sql('partner')}")
    sources = ", ".join(held(rel, "source"))
    if importers:
        partners = held(exports, "partner")
        if not set(importers) & set(partners):
            raise NoRowsError(f"no rows for importer {', '.join(importers)} in {sources}; it holds importers "
                              f"{listing(partners)}")
        exports = exports.filter(f"partner IN ({sql_list(list(importers))})")
    if wanted:
        products = held(exports, "product")
        chosen = resolve_levels_by_code(wanted, products)
        if not chosen:
            raise NoRowsError(f"no rows for code {', '.join(wanted[:10])} in {sources} for these importers; it holds "
                              f"{len(products)} codes: {listing(products, 12)}{closest_codes(wanted[0], products)}")
        wanted = chosen
    if period and period not in (periods := held(exports, "period")):
        raise NoRowsError(f"no rows for period {period} in {sources} for these importers and codes; it holds periods "
                          f"{listing(periods)}")
    result = supplier_concentration_relation(rel, importers, wanted, period, coalitions).order(
        "hhi DESC, importer, product, period, source")
    cols = [d[0] for d in result.description]
    rows = [dict(zip(cols, r, strict=True)) for r in result.fetchall()]
    described = {**(descriptions or {}), **(code_list.descriptions if code_list is not None else {})}
    for r in rows:
        r["description"] = _description(r["product"], described)
    cols.insert(cols.index("product") + 1, "description")
    caveats = [f"{importer}: no rows (unknown, not zero)" for importer in importers or ()
               if importer not in {r["importer"] for r in rows}]
    caveats.append("imports are measured from the partners' reported exports (mirror data, FOB), not from the "
                   "importer's own import declarations (CIF), which can differ widely")
    caveats += _own_imports(rel, rows)
    return ResultTable.from_records("trade_dependence", rows, cols, meta={"analysis": "supplier concentration",
                                                                          "period": period or "all", "unit": "USD",
                                                                          "coalitions": dict(coalitions or {})}
                                    ).with_caveats(*caveats)


def _usd_m(value: float) -> str:
    return f"{value / 1e6:,.1f} m"


def _own_imports(rel: Any, rows: Sequence[Mapping[str, Any]], limit: int = 10) -> list[str]:
    """Where the source also holds the importer's own import reports (Comtrade as filed), how their total compares
    with the partners' exports the result is built from: its World row, else the sum over its partners."""
    if not rows or not rel.filter("flow = 'import'").limit(1).fetchall():
        return []
    wanted = sorted({(r["importer"], r["product"], r["period"], r["source"]) for r in rows})[:limit]
    keys = " AND ".join(f"{column} IN ({sql_list(sorted({key[n] for key in wanted}))})"
                        for n, column in enumerate(("reporter", "product", "period", "source")))
    own = {(i, p, t, s): v for i, p, t, s, v in rel.filter(f"flow = 'import' AND ({keys})").aggregate(
        "reporter, product, period, source, coalesce(sum(value_usd) FILTER (WHERE partner = 'WLD'), "
        f"sum(value_usd) FILTER (WHERE NOT {aggregate_sql('partner')})) AS v",
        "reporter, product, period, source").fetchall() if v is not None}
    mirror = {(r["importer"], r["product"], r["period"], r["source"]): r["imports"] for r in rows}
    out = [f"{i}'s own reported imports of {p} in {t} ({s}): USD {_usd_m(float(own[(i, p, t, s)]))} against "
           f"{_usd_m(float(mirror[(i, p, t, s)]))} from partners' exports" for i, p, t, s in wanted
           if (i, p, t, s) in own]
    if out and len(mirror) > limit:
        out.append(f"own reported imports compared for the first {limit} of {len(mirror)} importer, code and "
                   "period rows only")
    return out


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
             "value_usd > 0"]  # USD only: a euro value with no rate is not a dollar
    if importers:
        where.append(f"partner IN ({sql_list(importers)})")
    if codes:
        where.append("(" + " OR ".join(f"starts_with(product, '{c}')" for c in codes) + ")")  # each product its own row
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
        FROM (SELECT partner, product, period, source, reporter AS exporter, value_usd AS v
              FROM t WHERE {' AND '.join(where)})
        GROUP BY importer, product, period, source"""
    return rel.query("t", sql)


def exporter_concentration(rel: Any, codes: Sequence[str] = (), period: str | None = None,
                           exporters: Sequence[str] = (), *, code_list: CodeList | None = None,
                           descriptions: Mapping[str, str] | None = None) -> ResultTable:
    """Exporter-side concentration per product, period and source: world exports (the sum of every exporter's
    exports to every importer the source holds, in USD), the exporters' HHI (0-10,000), CR1/CR3, the top exporter
    and the share of each of ``exporters`` (``share_CHN``...).

    "World" is what the source holds: BACI reconciles every country's trade; a source of reports as filed (Comtrade)
    or of some reporters only (Comext: EU member states) counts only the exporters it holds, which the caveats name.
    Groups (WLD, EU27_2020, NES_*) never count as an exporter or an importer, so nothing is counted twice.
    """
    wanted = list(code_list.codes) if code_list is not None else check_codes(list(codes))
    for code in exporters:
        check_country(code, "exporter")
    period = check_period(period) if period else period
    base = rel.filter(f"flow = 'export' AND NOT {aggregate_sql('reporter')} AND NOT {aggregate_sql('partner')}")
    caveats: list[str] = []
    if wanted:
        products = held(base, "product")
        levels = resolve_levels_by_code(wanted, products)
        if not levels:
            raise NoRowsError(f"no rows for code {', '.join(wanted[:10])} in {', '.join(held(rel, 'source'))}; it "
                              f"holds {len(products)} codes: {listing(products, 12)}"
                              f"{closest_codes(wanted[0], products)}")
        base = base.filter(f"product IN ({sql_list(levels)})")
    if period:
        periods = held(base, "period")
        if period not in periods:
            raise NoRowsError(f"no rows for period {period} in {', '.join(held(rel, 'source'))} for these codes; it "
                              f"holds periods {listing(periods)}")
        base = base.filter(f"period = '{period}'")
    no_usd = base.filter("value_usd IS NULL").aggregate("count(*)").fetchall()[0][0]
    if no_usd:
        caveats.append(f"{no_usd} rows with no USD value (no exchange rate for their period) are left out")
    shares = "".join(f", round(100 * coalesce(sum(v) FILTER (WHERE exporter = '{e}'), 0) / sum(v), 4) AS share_{e}"
                     for e in exporters)
    sql = f"""
        SELECT product, period, source, sum(v) AS world_exports_usd,
               round(10000 * sum(v * v) / (sum(v) * sum(v)), 6) AS hhi, round(100 * max(v) / sum(v), 6) AS cr1,
               round(100 * list_sum(max(v, 3)) / sum(v), 6) AS cr3, count(*)::INTEGER AS n_exporters,
               arg_max(exporter, v) AS top_exporter, round(100 * max(v) / sum(v), 4) AS top_share {shares}
        FROM (SELECT product, period, source, reporter AS exporter, sum(value_usd) AS v FROM t
              WHERE value_usd > 0 GROUP BY ALL)
        GROUP BY product, period, source ORDER BY product, period, source"""
    result = base.query("t", sql)
    cols = [d[0] for d in result.description]
    rows = [dict(zip(cols, r, strict=True)) for r in result.fetchall()]
    if not rows:
        raise NoRowsError("no export rows with a value for these codes and period in "
                          f"{', '.join(held(rel, 'source'))}")
    for source in sorted({r["source"] for r in rows}):
        reporters = [x for x in held(base.filter(f"source = '{source}'"), "reporter")]
        caveats.append(f"{source}: world exports are the sum of the {len(reporters)} exporters it holds for these "
                       f"codes ({listing(reporters, 12)}); exporters absent from it are not counted")
        lacking = [e for e in exporters if e not in reporters]
        caveats += [f"{source}: share_{e} not covered (no rows from {e}): unknown, not 0%" for e in lacking]
        for r in rows:
            if r["source"] == source:
                for e in lacking:
                    r[f"share_{e}"] = None
    described = {**(descriptions or {}), **(code_list.descriptions if code_list is not None else {})}
    for r in rows:
        r["description"] = _description(r["product"], described)
    meta = {"analysis": "exporter concentration", "period": period or "all", "unit": "USD",
            "codes": f"{code_list.name} {code_list.version}" if code_list is not None else (wanted or "all")}
    columns = ["product", "description", "period", "source", "world_exports_usd", "hhi", "cr1", "cr3", "n_exporters",
               "top_exporter", "top_share", *(f"share_{e}" for e in exporters)]
    return ResultTable.from_records("exporter_concentration", rows, columns, meta=meta).with_caveats(*caveats)


def _description(product: str, described: Mapping[str, str]) -> str | None:
    """The product's own description, else that of the listed code it lies under (``of 854231: ...``); never
    made up."""
    if product in described:
        return described[product]
    parent = max((c for c in described if product.startswith(c)), key=len, default=None)
    return f"under {parent}: {described[parent]}" if parent else None


def resolve_levels_by_code(codes: Sequence[str], products: Sequence[str]) -> list[str]:
    """Held products at or under the codes, each product once (rows stay per product: no sum across levels)."""
    return sorted({p for p in products for c in codes if p.startswith(c)})


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


def _silent_importers(silent: Mapping[str, Mapping[str, set[str]]], limit: int = 20) -> list[str]:
    """Caveats for importers that file no import report in a source and year their partners report exports to."""
    if not silent:
        return []

    def where(by_source: Mapping[str, set[str]]) -> str:
        return "; ".join(f"{source} {', '.join(sorted(years))}" for source, years in sorted(by_source.items()))

    named = sorted(silent)
    out = [f"{c} filed no import reports in {where(silent[c])}: nothing to compare (importer_reported, ratio and "
           "gap left empty, not flagged)" for c in named[:limit]]
    if len(named) > limit:
        out.append(f"{len(named) - limit} more importers filed no import reports in a source and year their "
                   f"partners report exports to ({listing(named[limit:])}): their rows carry no ratio either")
    return out


def mirror_gaps(rel: Any, *, cif_margin: float = 0.06, tolerance: float = 0.25, min_value: float = 100_000.0,
                exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None) -> ResultTable:
    """Exporter-reported exports against importer-reported imports of the same flow (mirror statistics).

    Imports are valued CIF and exports FOB, so an importer's figure is expected to be about ``1 + cif_margin``
    times the exporter's (OECD's average margin is about 6%). A flow is flagged when the ratio falls outside
    ``[1 - tolerance, 1 + cif_margin + tolerance]``, including shipments an importer that files import reports
    for that source and year never records (ratio 0). An importer that files no import report at all in a source
    and year has nothing to compare with: its rows carry no importer figure, ratio or gap, are never flagged, and a
    caveat names it (its silence is not a recorded zero).
    """
    # the API's bounds, checked here so that every interface refuses the same values with the same words
    checks = (("cif_margin", cif_margin, 0 <= check_number(cif_margin, "cif_margin") <= 1, "from 0 to 1"),
              ("tolerance", tolerance, 0 < check_number(tolerance, "tolerance") <= 10, "above 0 and at most 10"),
              ("min_value", min_value, 0 <= check_number(min_value, "min_value") < math.inf, "at least 0"))
    for name, value, ok, rule in checks:
        if not ok:
            raise BadArgumentError(f"{name} must be {rule}, not {value:g}", parameter=name)
    for code in exporters or ():
        check_country(code, "exporter")
    for code in importers or ():
        check_country(code, "importer")
    caveats: list[str] = []
    undated = rel.filter("period IS NULL OR period = ''").aggregate("count(*)").fetchall()[0][0]
    if undated:
        caveats.append(f"{undated} rows with no period are left out (a Comtrade extract without a year column "
                       "imported before the reader took the year from the file name)")
    no_usd = rel.filter("flow IN ('export', 'import') AND value_usd IS NULL").aggregate("count(*)").fetchall()[0][0]
    if no_usd:
        caveats.append(f"{no_usd} rows with no USD value (no exchange rate for their period) are left out")
    where = ["flow IN ('export', 'import')", "value_usd >= 0", "period IS NOT NULL", "period != ''"]
    data = rel.filter(" AND ".join(where)).aggregate(
        "source, period, reporter, partner, flow, product, sum(value_usd) AS v",
        "source, period, reporter, partner, flow, product").fetchall()
    exported: dict[tuple[str, str, str, str, str], float] = {}
    imported: dict[tuple[str, str, str, str, str], float] = {}
    # who files import reports at all, per source and year (rows with the World or a group count too): an
    # importer absent from this set has no declaration to compare, which is not a declaration of zero
    files_imports: set[tuple[str, str, str]] = set()
    for source, period, reporter, partner, flow, product, value in data:
        if flow == "import":
            files_imports.add((source, period, reporter))
        if is_aggregate(reporter) or is_aggregate(partner):
            continue
        if flow == "export":
            exported[(source, period, reporter, partner, product)] = float(value)
        else:
            imported[(source, period, partner, reporter, product)] = float(value)  # keyed exporter -> importer
    # a source with no import report at all (BACI gives one reconciled figure per flow, read as the export) has no
    # second side to compare: its rows are left out with one caveat, not one caveat per importer of it
    one_sided = sorted({k[0] for k in exported} - {s for s, _, _ in files_imports})
    if one_sided:
        exported = {k: v for k, v in exported.items() if k[0] not in one_sided}
        caveats.append(f"{', '.join(one_sided)} left out: {'it holds' if len(one_sided) == 1 else 'they hold'} no "
                       "import reports, only one figure per flow, so there is no second side to compare")
        if not exported and not imported:
            raise NoRowsError(f"mirror gaps compare exporters' and importers' reports of the same flow, and "
                              f"{', '.join(one_sided)} holds no import reports (one figure per flow); choose a "
                              f"source that holds both sides (such as comtrade)")
    for role, wanted, side in (("exporter", exporters, 2), ("importer", importers, 3)):
        present = sorted({k[side] for k in exported.keys() | imported.keys()})
        lacking = [c for c in wanted or () if c not in present]
        if wanted and len(lacking) == len(wanted):
            holds = (f"it holds {role}s {listing(present)}" if present else
                     "it holds no flow between two countries (every partner is a group such as WLD, which mirror "
                     "gaps leave out)")
            raise NoRowsError(f"no rows for {role} {', '.join(lacking)} in {', '.join(held(rel, 'source'))}; "
                              f"{holds}")
        caveats += [f"{role} {c}: no rows (unknown, not zero)" for c in lacking]
    rows: list[dict[str, Any]] = []
    silent: dict[str, dict[str, set[str]]] = {}  # importer -> source -> years it files no import report in
    for key in sorted(exported.keys() | imported.keys()):
        source, period, exporter, importer, product = key
        if (exporters and exporter not in exporters) or (importers and importer not in importers):
            continue
        x, m = exported.get(key), imported.get(key)
        if x is None or max(x, m or 0.0) < min_value:
            continue  # no exporter report to compare with, or too small to matter
        files = (source, period, importer) in files_imports
        if not files:
            silent.setdefault(importer, {}).setdefault(source, set()).add(period)
        ratio = (m or 0.0) / x if x > 0 and files else None
        flagged = ratio is not None and not (1 - tolerance <= ratio <= 1 + cif_margin + tolerance)
        rows.append({"source": source, "period": period, "exporter": exporter, "importer": importer, "product": product,
                     "exporter_reported": round(x, 2), "importer_reported": None if m is None else round(m, 2),
                     "ratio": None if ratio is None else round(ratio, 4),
                     "gap": round((m or 0.0) - x * (1 + cif_margin), 2) if files else None, "flagged": flagged})
    caveats += _silent_importers(silent)
    rows.sort(key=lambda r: (not r["flagged"], -abs(r["gap"] or 0.0), r["exporter"], r["importer"]))
    return ResultTable.from_records(
        "mirror_gaps", rows, ["source", "period", "exporter", "importer", "product", "exporter_reported",
                              "importer_reported", "ratio", "gap", "flagged"],
        meta={"analysis": "mirror gaps", "cif_margin": cif_margin, "tolerance": tolerance, "min_value": min_value,
              "unit": "USD"}).with_caveats(*caveats)
