"""HTML report of a dynamic stress test: shortfall over time with its Monte Carlo band, per end product."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.reports import Report, line_chart
from pinchpoint.results.table import write_table
from pinchpoint.stress.engines import DynamicResult
from pinchpoint.stress.scenario import Scenario


def write_report(result: DynamicResult, scenario: Scenario, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for table in (result.summary, result.series, result.binding, result.capacity):
        write_table(table, out / f"{table.name}.csv")
    report = Report(f"Stress test: {scenario.title}",
                    provenance={"scenario": scenario.name, "runs": str(result.runs), "seed": str(result.seed)})
    if scenario.description:
        report.paragraph(scenario.description)
    report.table(result.summary, ["input_name", "peak_shortfall", "peak_shortfall_p95", "shortfall_days",
                                  "recovery_day", "runs_not_recovered"])
    by_output: dict[str, list[dict[str, float]]] = {}
    for r in result.series.rows:
        by_output.setdefault(r["input_id"], []).append(dict(r))
    for output_id, rows in by_output.items():
        if max(r["shortfall_p95"] for r in rows) <= 0:
            continue
        series = {"mean": [(r["day"], 100 * r["shortfall"]) for r in rows],
                  "5th percentile": [(r["day"], 100 * r["shortfall_p5"]) for r in rows],
                  "95th percentile": [(r["day"], 100 * r["shortfall_p95"]) for r in rows]}
        ticks = {float(d): f"day {d}" for d in range(0, len(rows), max(30, len(rows) // 8 // 30 * 30 or 30))}
        report.heading(f"Shortfall of {output_id} (% of demand)")
        report.chart(line_chart(series, title=f"Shortfall of {output_id}", x_label="day", y_label="% short",
                                x_ticks=ticks))
    report.heading("Inputs that bind (lowest availability reached)")
    report.table(result.binding, ["input_name", "kind", "lowest_availability", "peak_own_loss"], limit=20)
    report.heading("Sources")
    report.bullets([s.citation + (f" <{s.url}>" if s.url else "") for s in scenario.sources] or ["(none given)"])
    return report.write(out)
