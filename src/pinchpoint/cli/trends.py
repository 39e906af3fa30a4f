"""CLI commands for supply and demand trends (issue #19). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import (
    FormatOpt,
    OutputOpt,
    WorkspaceOpt,
    command_line,
    friendly_errors,
    open_workspace,
    with_command,
)
from pinchpoint.errors import BadArgumentError

trends_app = typer.Typer(no_args_is_help=True, help="Monthly indicators: import, cycle, forecasts, early warning, "
                         "alerts.")
FromOpt = Annotated[str | None, typer.Option("--from", help="First backtest origin, YYYY-MM (default: 10 years "
                                             "before the end).")]


def _month(text: str | None) -> int | None:
    from pinchpoint.trends.series import parse_month

    return None if text is None else parse_month(text)


def _series(ws: Any, ref: str) -> Any:
    from pinchpoint.trends.store import load_series

    return load_series(ws, ref)


def register(app: typer.Typer) -> None:
    """Add the ``trends`` group to the main app."""
    app.add_typer(trends_app, name="trends")

    @trends_app.command("import")
    @friendly_errors
    def import_(paths: Annotated[list[Path] | None, typer.Argument(help="CSV files: FRED, a date column and value "
                                                                   "columns, series_id,date,value, or e-Stat.")
                                 ] = None,
                layout: Annotated[str, typer.Option(help="auto, fred, wide, long or estat.")] = "auto",
                series_id: Annotated[str | None, typer.Option("--id", help="Id for a single-series file, or the "
                                                              "trade series.")] = None,
                name: Annotated[str | None, typer.Option(help="Name for a single-series file.")] = None,
                unit: Annotated[str | None, typer.Option(help="Unit for a single-series file.")] = None,
                adjustment: Annotated[str | None, typer.Option("--seasonal-adjustment",
                                                               help="SA, NSA or unknown.")] = None,
                trade: Annotated[bool, typer.Option("--trade", help="Derive a monthly series from the trade store "
                                                    "instead of reading files.")] = False,
                reporter: Annotated[str | None, typer.Option(help="--trade: reporter (ISO3 or EU27_2020).")] = None,
                partner: Annotated[str | None, typer.Option(help="--trade: partner.")] = None,
                codes: Annotated[str | None, typer.Option(help="--trade: product codes, comma-separated "
                                                          "(default: total trade).")] = None,
                flow: Annotated[str, typer.Option(help="--trade: export or import.")] = "export",
                source: Annotated[str | None, typer.Option(help="--trade: trade source name.")] = None,
                missing_as_zero: Annotated[bool, typer.Option("--missing-as-zero", help="--trade: count months "
                                                              "without rows as zero.")] = False,
                workspace: WorkspaceOpt = None) -> None:
        """Read series into the workspace (versioned); every problem is named with file, row and field."""
        from pinchpoint.trends.readers import read_series_file
        from pinchpoint.trends.store import store_series

        found = []
        if trade:
            from pinchpoint.trends.trade_series import trade_series

            if paths or not reporter or not partner:
                raise BadArgumentError("--trade takes --reporter and --partner (and no files)")
            with open_workspace(workspace) as ws:
                found.append(trade_series(ws, reporter=reporter.upper(), partner=partner.upper(),
                                          codes=[c.strip() for c in (codes or "").split(",") if c.strip()],
                                          flow=flow, source=source, series_id=series_id,
                                          missing_as_zero=missing_as_zero))
        else:
            if not paths:
                raise BadArgumentError("give files to read, or --trade")
            meta = {"id": series_id, "name": name, "unit": unit, "seasonal_adjustment": adjustment}
            for path in paths:
                got = read_series_file(path, layout, meta=meta)
                for problem in got.problems:
                    if problem.severity == "warning":
                        typer.echo(f"warning: {problem}", err=True)
                got.check()
                found.extend(got.series)
        with open_workspace(workspace) as ws:
            stored = store_series(ws, found)
        for s, rec in zip(found, stored, strict=True):
            state = "imported" if rec.created else "already imported (unchanged)"
            typer.echo(f"{s.id}@{rec.version}: {state}; {len(s.values)} months {s.span()}, "
                       f"{s.seasonal_adjustment}, {s.unit}")

    @trends_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Series in the workspace (newest version of each)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.trends.store import list_series

        with open_workspace(workspace) as ws:
            table = list_series(ws)
        emit(with_command(table), fmt, output, columns=["id", "name", "unit", "seasonal_adjustment", "first", "last",
                                                        "n", "version", "versions"], title="Series")

    @trends_app.command("show")
    @friendly_errors
    def show(series: Annotated[str, typer.Argument(help="Series id (or id@version).")],
             inventories: Annotated[str | None, typer.Option(help="Show the shipment-inventory balance with this "
                                                             "inventory series.")] = None,
             lead: Annotated[str | None, typer.Option(help="Lead/lag of this series against SERIES.")] = None,
             stl: Annotated[bool, typer.Option("--stl", help="Seasonally adjust with STL.")] = False,
             last: Annotated[int, typer.Option(help="Months to show in a terminal table.", min=1)] = 24,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """A series with its growth rates, or its balance with inventories, or its lead/lag with another."""
        from pinchpoint.cli.output import OutputFormat, emit
        from pinchpoint.trends import analysis

        with open_workspace(workspace) as ws:
            s = _series(ws, series)
            other_id = inventories or lead
            other: Any = _series(ws, other_id) if other_id else None
        if inventories and lead:
            raise BadArgumentError("give --inventories or --lead, not both")
        if inventories:
            table = analysis.shipment_inventory_balance(s, other)
            title = f"Shipment-inventory balance: {s.id} vs {other.id}"
        elif lead:
            table = analysis.lead_lag(other, s)
            title = f"Lead/lag: {other.id} against {s.id} (positive: {other.id} leads)"
        elif stl:
            table = analysis.stl_adjust(s)[1]
            title = f"{s.name}: STL decomposition"
        else:
            table = analysis.growth(s)
            title = f"{s.name} ({s.unit}, {s.seasonal_adjustment})"
        table = with_command(table)
        if fmt in (None, OutputFormat.TABLE) and output is None and not lead:
            from pinchpoint.results import ResultTable

            table = ResultTable(table.name, table.columns, table.rows[-last:], table.meta)
            title += f", last {min(last, len(table))} months"
        emit(table, fmt, output, title=title)

    @trends_app.command("forecast")
    @friendly_errors
    def forecast_(series: Annotated[str, typer.Argument(help="Series id (or id@version).")],
                  horizon: Annotated[int, typer.Option(help="Months ahead.", min=1, max=36)] = 12,
                  origins_from: FromOpt = None,
                  refit_every: Annotated[int, typer.Option(help="Re-estimate the models every N origins.",
                                                           min=1)] = 12,
                  report: Annotated[Path | None, typer.Option(help="Write an HTML report to this folder.")] = None,
                  show: Annotated[str, typer.Option(help="Table to output with -f/-o: forecast or backtest.")
                                  ] = "forecast",
                  score_from: Annotated[str | None, typer.Option("--score-from", help="Score the backtest on "
                                                                 "target months from YYYY-MM only.")] = None,
                  fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Forecast with every model; print the rolling-origin backtest (MASE, sMAPE, bias, 80% coverage) with it."""
        from pinchpoint.cli.output import OutputFormat, emit, print_table
        from pinchpoint.cli.progress import progress_bar
        from pinchpoint.trends.forecast import forecast

        with open_workspace(workspace) as ws:
            s = _series(ws, series)
        with progress_bar("backtest") as progress:
            fc = forecast(s, horizon=horizon, origins_from=_month(origins_from), refit_every=refit_every,
                          score_from=_month(score_from), progress=progress)
        if show not in ("forecast", "backtest"):
            raise BadArgumentError(f"--show {show!r}: forecast or backtest")
        table = fc.forecast.with_command(command_line())
        if show == "backtest":
            emit(fc.accuracy.with_command(command_line()), fmt, output, title=f"Backtest of {s.id}")
        elif fmt in (None, OutputFormat.TABLE) and output is None:
            print_table(fc.accuracy.with_command(command_line()),
                        ["model", "horizon", "n", "mase", "smape", "bias_pct", "coverage_80"],
                        title=f"Backtest of {s.id}: {fc.accuracy.meta['n_origins']} origins "
                              f"{fc.accuracy.meta['origins']}")
        if show == "forecast":
            emit(table, fmt, output, columns=["month", "horizon", "model", "forecast", "lower_80", "upper_80",
                                              "backtest_mase"], title=f"Forecast of {s.name} ({s.unit})")
        if report is not None:
            from pinchpoint.trends.report import write_report

            path = write_report(s, report, forecast_result=fc, command=command_line())
            typer.echo(f"report: {path}", err=True)

    @trends_app.command("cycle")
    @friendly_errors
    def cycle_(series: Annotated[str, typer.Argument(help="Series id (or id@version).")],
               min_phase: Annotated[int, typer.Option(help="Shortest phase, months (Bry-Boschan: 6).", min=1)] = 6,
               min_cycle: Annotated[int, typer.Option(help="Shortest cycle, months (Bry-Boschan: 15).",
                                                      min=2)] = 15,
               warning: Annotated[bool, typer.Option("--warning", help="Backtest the early warning of downturns "
                                                     "instead.")] = False,
               signal: Annotated[list[str] | None, typer.Option(help="--warning: a leading series (repeatable).")
                                 ] = None,
               horizon: Annotated[int, typer.Option(help="--warning: a downturn within this many months.",
                                                    min=1, max=24)] = 6,
               origins_from: FromOpt = None,
               fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Turning points (Bry-Boschan rules), or with --warning the backtested early warning of downturns."""
        from pinchpoint.cli.output import OutputFormat, emit, print_table
        from pinchpoint.trends.analysis import cycle
        from pinchpoint.trends.warning import early_warning

        with open_workspace(workspace) as ws:
            s = _series(ws, series)
            signals = [_series(ws, x) for x in signal or []]
        if not warning:
            table = with_command(cycle(s, min_phase=min_phase, min_cycle=min_cycle))
            emit(table, fmt, output, title=f"Turning points of {s.id} (phase >= {min_phase}, cycle >= "
                                           f"{min_cycle} months)")
            return
        ew = early_warning(s, signals, horizon=horizon, origins_from=_month(origins_from), min_phase=min_phase,
                           min_cycle=min_cycle)
        if fmt in (None, OutputFormat.TABLE) and output is None:
            print_table(with_command(ew.alarms), title=f"Alarm episodes of {s.id} (downturn within {horizon} "
                                                       "months)")
        emit(with_command(ew.calls), fmt, output, title=f"Downturns of {s.id}: called?")

    @trends_app.command("watch")
    @friendly_errors
    def watch(rules: Annotated[str, typer.Argument(help="Alert rules (YAML file), or a packaged set: chip-cycle.")],
              fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Evaluate every alert rule on the latest month of its series."""
        from pinchpoint.cli.output import emit
        from pinchpoint.trends.alerts import check_series, evaluate, load_rules
        from pinchpoint.trends.store import list_series, load_series

        parsed = load_rules(rules)
        with open_workspace(workspace) as ws:
            check_series(parsed, list_series(ws).column("id"))
            cache = {sid: load_series(ws, sid) for r in parsed.rules for _, sid in r.series_ids()}
        table = with_command(evaluate(parsed, cache.__getitem__))
        emit(table, fmt, output, columns=["rule", "series", "month", "value", "unit", "condition", "triggered",
                                          "since", "new"],
             title=f"Alerts: {table.meta['triggered']} of {len(table)} rules triggered")
