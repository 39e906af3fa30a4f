"""HTML report of a dynamic stress test: what was assumed, shortfall over time with its Monte Carlo band, per end
product, and what each column means."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.kernel.countries import country_name, normalise_country
from pinchpoint.reports import Report, line_chart
from pinchpoint.results.table import write_table
from pinchpoint.stress.engines import DynamicResult
from pinchpoint.stress.scenario import CapacityLoss, DemandSurge, ExportBan, Scenario, _Shock
from pinchpoint.supplychain.model import SupplyChain

#: What each summary column means, in the words of docs/stress.md.
COLUMN_NOTES: dict[str, str] = {
    "peak_shortfall": "the largest share of demand for the product that goes unmet on any day (mean over the runs; "
                      "1.00 = nothing can be delivered)",
    "peak_shortfall_p95": "the same peak in the worst 5% of runs (95th percentile)",
    "shortfall_days": "days of full demand lost over the horizon: the daily shortfalls added up (0.5 short for 10 "
                      "days = 5 shortfall-days)",
    "recovery_day": "the day after which the median run has no shortfall left; blank when most runs have not "
                    "recovered by the end of the horizon; 0 when the product is never short",
    "runs_not_recovered": "runs still short on the last day of the horizon",
}


def _pct(x: float) -> str:
    return f"{x:.0%}" if abs(x * 100 - round(x * 100)) < 1e-9 else f"{x:.1%}"


def _days(x: float) -> str:
    return f"{x:g} day" + ("" if x == 1 else "s")


def _who(shock: CapacityLoss | ExportBan, chain: SupplyChain | None) -> str:
    if isinstance(shock, CapacityLoss) and shock.organisation is not None:
        org = chain.provider_by_id.get(shock.organisation) if chain is not None else None
        return org.name if org is not None else shock.organisation
    code = normalise_country(shock.country or "") or shock.country or ""
    return f"{country_name(code)} ({code})"


def _inputs(ids: tuple[str, ...], chain: SupplyChain | None, default: str) -> str:
    if not ids:
        return default
    names = [f"{chain.input_by_id[i].name} ({i})" if chain is not None and i in chain.input_by_id else i for i in ids]
    return ", ".join(names)


def _timing(shock: _Shock) -> str:
    r = shock.recovery
    back = {"step": "then all at once",
            "linear": f"then back linearly over {_days(r.ramp_days)}",
            "points": "then back along the points " + ", ".join(f"day {d:g}: {_pct(c)}" for d, c in r.points)}[r.shape]
    return f"from day {shock.start:g}, in full for {_days(shock.duration)}, {back}"


def describe_shock(shock: CapacityLoss | ExportBan | DemandSurge, chain: SupplyChain | None = None) -> str:
    """One sentence per shock, with its source."""
    if isinstance(shock, CapacityLoss):
        scope = _inputs((shock.input,) if shock.input else (), chain, "every input it supplies")
        text = (f"Capacity loss: {_who(shock, chain)} loses {_pct(shock.fraction)} of its supply of {scope}, "
                f"{_timing(shock)}.")
    elif isinstance(shock, ExportBan):
        text = (f"Export ban: {_who(shock, chain)} stops {_pct(shock.fraction)} of its exports of "
                f"{_inputs(shock.inputs, chain, 'every input it supplies')}"
                + (f", of which {_pct(shock.leakage)} still arrives through third countries" if shock.leakage else "")
                + f", {_timing(shock)}.")
    else:
        text = (f"Demand surge: demand for {_inputs(shock.outputs, chain, 'every output')} rises by "
                f"{_pct(shock.increase)}, {_timing(shock)}.")
    cited = "; ".join(p for p in (f"source: {shock.source}" if shock.source else "", shock.note) if p)
    return text + (f" ({cited})" if cited else "")


def assumptions(scenario: Scenario, chain: SupplyChain | None = None) -> list[str]:
    """The scenario's shocks, behavioural parameters and uncertainty ranges as plain sentences."""
    p = scenario.parameters
    lines = [f"Shock {k}. {describe_shock(s, chain)}" for k, s in enumerate(scenario.shocks)]
    stock = ", ".join(f"{key} {_days(v)}" for key, v in p.inventory_days.items())
    lines.append(f"Inventories held at the start, in days of normal use: {stock} (consumable materials and finished "
                 "products are stocked; tools, processes and designs deliver what they make).")
    lines.append(f"Other suppliers can add up to {_pct(p.spare_capacity)} of world supply, once a buyer has "
                 f"qualified them ({_days(p.qualification_days)}) and over a ramp-up of {_days(p.ramp_up_days)}.")
    lines.append(f"Installed tools whose supply is cut lose {p.tool_decay_per_day:.2%} of their capacity a day "
                 "(service and spare parts run out) instead of vanishing.")
    lines.append("Rationing: " + ("every product using a scarce input gets the same fraction of its normal use."
                                  if p.rationing == "proportional" else
                                  "the priority products (" + ", ".join(p.priority) + ") are served first."))
    for u in scenario.uncertainty:
        which = "every shock" if u.shock is None else f"shock {u.shock}"
        if u.target in ("inventory_scale", "spare_capacity"):
            which = "the network"
        what = ("a multiplier of the stated duration and recovery days" if u.target == "duration"
                else "a multiplier of every inventory" if u.target == "inventory_scale" else "its value")
        lines.append(f"Uncertain: {u.target} of {which}, drawn uniformly between {u.low:g} and {u.high:g} ({what}) "
                     "in each Monte Carlo run" + (f"; {u.source}" if u.source else "") + ".")
    if chain is not None:
        years = chain.years()
        if years:
            span = str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
            lines.append(f"Shares: dataset {chain.name!r}, the latest year each input reports (years {span}).")
    return lines


def write_report(result: DynamicResult, scenario: Scenario, out: Path, chain: SupplyChain | None = None,
                 command: str = "") -> Path:
    """``out/index.html`` and the CSV tables behind it; ``command`` (the command line that asked for the report)
    goes into every table's provenance and the report's."""
    out.mkdir(parents=True, exist_ok=True)
    for table in (result.summary, result.series, result.binding, result.capacity):
        write_table(table.with_command(command), out / f"{table.name}.csv")
    report = Report(f"Stress test: {scenario.title}",
                    provenance={**({"command": command} if command else {}), "scenario": scenario.name,
                                "dataset": str(result.summary.meta.get("dataset", scenario.dataset)),
                                "runs": str(result.runs), "seed": str(result.seed),
                                "horizon": _days(scenario.horizon_days)})
    if scenario.description:
        report.paragraph(scenario.description)
    report.heading("Assumptions")
    report.bullets(assumptions(scenario, chain))
    report.heading("End products: how short, for how long")
    columns = ["input_name", "peak_shortfall", "peak_shortfall_p95", "shortfall_days", "recovery_day",
               "runs_not_recovered"]
    report.table(result.summary, columns)
    report.paragraph("What the columns mean (day 0 is the day the first shock starts):")
    report.bullets([f"{c}: {COLUMN_NOTES[c]}" for c in columns if c in COLUMN_NOTES])
    names = {r["input_id"]: r["input_name"] for r in result.summary.rows}
    by_output: dict[str, list[dict[str, float]]] = {}
    for r in result.series.rows:
        by_output.setdefault(r["input_id"], []).append(dict(r))
    for output_id, rows in by_output.items():
        if max(r["shortfall_p95"] for r in rows) <= 0:
            continue
        name = f"{names.get(output_id, output_id)} ({output_id})" if names.get(output_id) else output_id
        series = {"mean": [(r["day"], 100 * r["shortfall"]) for r in rows],
                  "5th percentile": [(r["day"], 100 * r["shortfall_p5"]) for r in rows],
                  "95th percentile": [(r["day"], 100 * r["shortfall_p95"]) for r in rows]}
        ticks = {float(d): f"day {d}" for d in range(0, len(rows), max(30, len(rows) // 8 // 30 * 30 or 30))}
        report.heading(f"Shortfall of {name} (% of demand)")
        report.chart(line_chart(series, title=f"Shortfall of {name}", x_label="day", y_label="% short",
                                x_ticks=ticks))
    report.heading("Inputs that bind (lowest availability reached)")
    report.table(result.binding, ["input_name", "kind", "lowest_availability", "peak_own_loss"], limit=20)
    report.bullets(["lowest_availability: the least of the input's normal supply available on any day (mean over "
                    "the runs), after stocks and other suppliers",
                    "peak_own_loss: the largest share of the input's own supply the shocks removed on any day"])
    report.heading("Sources")
    report.bullets([s.citation + (f" <{s.url}>" if s.url else "") for s in scenario.sources] or ["(none given)"])
    return report.write(out)
