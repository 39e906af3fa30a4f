"""The trends report: the series' history with cycle contractions shaded, the forecast fan, the backtest that
goes with it, the shipment-inventory balance and the alerts. Self-contained HTML (inline SVG, no scripts)."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.reports.html import Report
from pinchpoint.reports.svg import time_chart
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table
from pinchpoint.trends.analysis import cycle, phases, shipment_inventory_balance, turning_points
from pinchpoint.trends.forecast import Forecast
from pinchpoint.trends.series import Series, parse_month


def _x(month: int) -> float:
    return month / 12.0


def write_report(series: Series, out: Path, *, forecast_result: Forecast | None = None,
                 inventories: Series | None = None, alerts: ResultTable | None = None, command: str = "") -> Path:
    """``out/index.html`` and the CSV tables behind it; ``command`` goes into every table's provenance."""
    out.mkdir(parents=True, exist_ok=True)
    report = Report(f"Trends: {series.name}", provenance={**({"command": command} if command else {}),
                                                          "series": series.id, "span": series.span(),
                                                          "vintage": series.vintage})
    report.credit(f"Source: {series.source}")
    turns = turning_points(series.values)
    phase = phases(len(series.values), turns)
    spans: list[tuple[float, float]] = []
    t = 0
    while t < len(phase):
        if phase[t] == "contraction":
            s = t
            while t + 1 < len(phase) and phase[t + 1] == "contraction":
                t += 1
            spans.append((_x(series.start + s), _x(series.start + t)))
        t += 1
    history = [(_x(series.start + i), float(v)) for i, v in enumerate(series.values)]
    report.heading("History and cycle")
    positive = bool((series.values > 0).all())
    wide = positive and float(series.values.max()) > 100 * float(series.values.min())
    report.chart(time_chart({series.id: history}, title=f"{series.name}", y_label=series.unit, shaded=spans,
                            shaded_label="contraction (peak to trough)", log_y=wide),
                 "Contractions are dated with Bry-Boschan rules (minimum phase 6, cycle 15 months).")
    cycle_table = cycle(series).with_command(command)
    report.table(cycle_table)
    tables = [cycle_table]
    if forecast_result is not None:
        fc = forecast_result.forecast.with_command(command)
        recent = [p for p in history if p[0] >= _x(series.end - 60)]
        path = [(_x(series.end), float(series.values[-1]))] + [
            (_x(parse_month(r["month"])), float(r["forecast"])) for r in fc.rows]
        band = [(_x(series.end), float(series.values[-1]), float(series.values[-1]))] + [
            (_x(parse_month(r["month"])), float(r["lower_80"]), float(r["upper_80"])) for r in fc.rows]
        report.heading("Forecast")
        report.chart(time_chart({series.id: recent, "forecast": path}, title="Forecast with its 80% interval",
                                y_label=series.unit, band=("80% interval", band)),
                     "The model at each horizon is the one with the lowest backtest MASE there.")
        report.table(fc, ["month", "horizon", "model", "forecast", "lower_80", "upper_80", "backtest_mase"])
        acc = forecast_result.accuracy.with_command(command)
        report.heading("Backtest: how far to trust it")
        report.table(acc, limit=None, percent=["coverage_80"])
        tables += [fc, acc]
    if inventories is not None:
        bal = shipment_inventory_balance(series, inventories).with_command(command)
        pts = [(_x(parse_month(r["month"])), r["balance_pp"]) for r in bal.rows if r["balance_pp"] is not None]
        report.heading("Shipment-inventory balance")
        report.chart(time_chart({"balance (pp)": pts}, title="Shipments y/y minus inventories y/y",
                                y_label="percentage points", zero_line=True, shaded=spans,
                                shaded_label="contraction of " + series.id))
        report.caveats(bal.caveats)
        tables.append(bal)
    if alerts is not None:
        report.heading("Alerts")
        report.table(alerts.with_command(command), limit=None)
        tables.append(alerts.with_command(command))
    for table in tables:
        write_table(table, out / f"{table.name}.csv")
    return report.write(out)
