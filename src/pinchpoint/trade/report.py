"""HTML report of a circumvention scan: the flagged flows month by month, and a map of the hubs."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pinchpoint.kernel.countries import country_name
from pinchpoint.reports import Report, choropleth, line_chart
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table


def _pct(row: dict[str, object]) -> str:
    value = row.get("direct_to_target_growth_pct")
    return "no data" if not isinstance(value, (int, float)) else f"{value:+.0f}%"


def write_circumvention_report(table: ResultTable, out: Path, top: int = 6) -> Path:
    """``out/index.html`` (self-contained) and ``out/circumvention.csv`` with every alert and its evidence."""
    out.mkdir(parents=True, exist_ok=True)
    write_table(table, out / "circumvention.csv")
    meta = table.meta
    report = Report(f"Possible circumvention via hubs to {meta.get('target', '?')}",
                    provenance={"event": str(meta.get("event", "")), "codes": str(meta.get("codes", "")),
                                "series scored": str(meta.get("series_scored", len(table)))})
    report.paragraph("Series are exporter -> hub -> product monthly exports. The score is a robust z of their log "
                     "growth after the event, net of the exporter's total exports to the same hub; 'corroborated' "
                     "means the exporter's direct exports of the code to the target fell. Alerts are leads for "
                     "investigation, not findings of evasion (docs/trade.md).")
    extra: dict[str, float] = defaultdict(float)
    for r in table.rows:
        extra[r["hub"]] += max(r["post_mean"] - r["baseline_mean"], 0.0)
    if extra:
        report.heading("Hubs: extra exports per period in flagged series (USD)")
        report.chart(choropleth(dict(extra), title="Hubs", legend="Extra USD per period",
                                names={c: country_name(c) for c in extra}))
    for r in [dict(x) for x in table.rows[:top]]:
        points: list[tuple[float, float]] = []
        months: list[str] = []
        for item in r["evidence"]:
            month, value = item.split(": ")
            months.append(month)
            points.append((float(len(points)), float(value)))
        ticks = {float(k): m for k, m in enumerate(months) if len(m) == 4 or m.endswith(("-01", "-07"))}
        label = f" ({r['description']})" if r.get("description") else ""
        report.heading(f"{r['exporter']} -> {r['hub']}, product {r['product']}{label} (score {r['score']:.2f})")
        report.chart(line_chart({f"{r['exporter']} -> {r['hub']}": points}, title=f"{r['product']}",
                                y_label="USD per period", x_ticks=ticks),
                     f"Growth {r['growth_pct']:,.0f}%; direct exports to the target: {_pct(r)}")
    report.heading("All alerts")
    report.table(table, ["exporter", "hub", "product", "description", "score", "own_z", "growth_pct", "baseline_n",
                         "post_n", "direct_to_target_growth_pct", "corroborated"], limit=100)
    return report.write(out)
