"""HTML report of a plan: the risk-versus-budget frontier, the chosen portfolio, each country's share before and
after on a map, and the capacity the pipeline adds by year. Every table is also written as CSV beside it."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.kernel.countries import country_name
from pinchpoint.planning.planner import PlanResult
from pinchpoint.reports import Report, line_chart
from pinchpoint.reports.svg import bar_chart, choropleth
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table


def write_plan_report(result: PlanResult, out: Path, *, projection: ResultTable | None = None,
                      command: str = "") -> Path:
    """Write ``index.html`` and one CSV per table into ``out``; returns the HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    tables = [*result.tables(), *([projection] if projection is not None else [])]
    for table in tables:
        write_table(table.with_command(command) if command else table, out / f"{table.name}.csv")
    meta = result.frontier.meta
    report = Report(f"Plan: {meta.get('objective')} on {meta.get('dataset')}",
                    provenance={"dataset": str(meta.get("dataset")), "objective": str(meta.get("objective")),
                                "budget (USD million a year)": f"{meta.get('budget_musd_per_year')}",
                                "horizon (years)": f"{meta.get('horizon_years')}",
                                **({"command": command} if command else {})})
    unit = str(meta.get("units", ""))
    points = [(float(r["budget_musd_per_year"]), float(r["risk"])) for r in result.frontier.rows]
    report.heading("Risk against budget")
    report.chart(line_chart({"risk (exact, chosen portfolio)": points}, title="Risk against budget",
                            x_label="USD million a year", y_label=unit),
                 "Each point is the exact risk of the portfolio the programme chose at that budget; the table says "
                 "whether each is proven optimal or gives its MIP gap.")
    report.table(result.frontier, ["budget_musd_per_year", "risk", "reduction_pct", "proven_optimal", "mip_gap",
                                   "n_measures", "spend_peak_year_musd"], limit=None)
    report.heading("Measures chosen at the budget")
    report.table(result.portfolio, ["measure_id", "kind", "input_id", "country", "capacity", "days",
                                    "spend_total_musd", "contribution", "source"], limit=None)
    report.heading("Who supplies the inputs acted on, before and after")
    before = {str(r["country"]): float(r["share_before"]) for r in result.countries.rows}
    after = {str(r["country"]): float(r["share_after"]) for r in result.countries.rows}
    top = max([*before.values(), *after.values(), 0.01])
    names = {c: country_name(c) for c in {*before, *after}}
    report.chart(choropleth(before, title="Mean share before", legend="share of supply", names=names, vmax=top))
    report.chart(choropleth(after, title="Mean share after the chosen capacity", legend="share of supply",
                            names=names, vmax=top))
    report.table(result.countries, limit=None, percent=["share_before", "share_after", "change"])
    report.heading("Risk before and after")
    report.table(result.effects, limit=60)
    if len(result.excluded):
        report.heading("Candidates left out")
        report.table(result.excluded, limit=None)
    if projection is not None and len(projection):
        last = max(int(r["year"]) for r in projection.rows)
        totals = [r for r in projection.rows if r["node_class"] == "all" and int(r["year"]) == last]
        if totals:  # a baseline was given: each region's share of the world's capacity
            report.heading(f"Share of world capacity by region, {last}")
            report.chart(bar_chart([str(r["country"]) for r in totals],
                                   [100.0 * float(r["share_mean"] or 0.0) for r in totals],
                                   title=f"Mean share over the draws, {last}", unit="%"),
                         "The baseline's capacity by region plus the pipeline's fab projects with a cited capacity; "
                         "the caveats of projection.csv say which baseline figures are derived and what the "
                         "pipeline leaves out.")
        rows = [r for r in projection.rows if r["node_class"] != "all" and int(r["year"]) == last]
        if rows:
            report.heading(f"Capacity by node class, {last}")
            report.chart(bar_chart([f"{r['country']} {r['node_class']}" for r in rows],
                                   [float(r["capacity_mean"]) for r in rows],
                                   title=f"Mean over the draws, {last}", unit=" wspm"),
                         "300 mm-equivalent wafer starts per month: what the projects with a cited capacity add "
                         "after the baseline's year (plus the baseline for a node class, where it gives one).")
        report.table(projection, ["country", "node_class", "year", "capacity_deterministic", "capacity_mean",
                                  "capacity_low", "capacity_high", "share_mean"], limit=40)
    return report.write(out)
