"""CLI commands for supply and demand trends (issue #19). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import (
    FormatOpt,
    OutputOpt,
    WorkspaceOpt,
    command_line,
    friendly_errors,
    session,
    with_command,
)
from pinchpoint.errors import BadArgumentError

trends_app = typer.Typer(no_args_is_help=True, help="Monthly indicators: import, cycle, forecasts, early warning, "
                         "alerts.")
FromOpt = Annotated[str | None, typer.Option("--from", help="First backtest origin, YYYY-MM (default: 10 years "
                                             "before the end).")]


def register(app: typer.Typer) -> None:
    """Add the ``trends`` group to the main app."""
    app.add_typer(trends_app, name="trends")

    @trends_app.command("import")
    @friendly_errors
    def import_(paths: Annotated[list[Path] | None, typer.Argument(help="CSV files: FRED, a date column and value "
                                                                   "columns, series_id,date,value, or e-Stat.")
                                 ] = None,
                layout: Annotated[str, typer.Option(help="auto, fred, wide, long or estat (or name the source "
                                                                "with --source).")] = "auto",
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
                source: Annotated[str | None, typer.Option(help="The indicators source that reads the files (fred, "
                                                          "meti-iip, indicators-wide, indicators-long, estat; "
                                                          "default: detected), or with --trade the trade source."
                                                          )] = None,
                missing_as_zero: Annotated[bool, typer.Option("--missing-as-zero", help="--trade: count months "
                                                              "without rows as zero.")] = False,
                workspace: WorkspaceOpt = None) -> None:
        """Read series into the workspace (versioned); every problem is named with file, row and field."""
        trends = session(workspace).trends
        if trade:
            if paths or not reporter or not partner:
                raise BadArgumentError("--trade takes --reporter and --partner (and no files)")
            table = trends.import_trade(reporter=reporter, partner=partner, codes=(codes or "").split(","),
                                        flow=flow, source=source, series_id=series_id,
                                        missing_as_zero=missing_as_zero)
        else:
            if not paths:
                raise BadArgumentError("give files to read, or --trade")
            meta = {"id": series_id, "name": name, "unit": unit, "seasonal_adjustment": adjustment}
            table = trends.import_files(paths, source=source or "auto", layout=layout, meta=meta)
        for warning in table.meta["warnings"]:
            typer.echo(f"warning: {warning}", err=True)
        for r in table.records():
            state = "imported" if r["state"] == "imported" else "already imported (unchanged)"
            typer.echo(f"{r['id']}@{r['version']}: {state}; {r['months']} months {r['first']}..{r['last']}, "
                       f"{r['seasonal_adjustment']}, {r['unit']}")

    @trends_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Series in the workspace (newest version of each)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trends import LIST_COLUMNS

        emit(with_command(session(workspace).trends.list()), fmt, output, columns=LIST_COLUMNS, title="Series")

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

        shown = session(workspace).trends.show(series, inventories=inventories, lead=lead, stl=stl)
        table, title = with_command(shown.table), shown.title
        if fmt in (None, OutputFormat.TABLE) and output is None and shown.view != "lead":
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
        from pinchpoint.session.trends import BACKTEST_COLUMNS, FORECAST_COLUMNS

        if show not in ("forecast", "backtest"):
            raise BadArgumentError(f"--show {show!r}: forecast or backtest")
        trends = session(workspace).trends
        with progress_bar("backtest") as progress:
            fc = trends.forecast(series, horizon=horizon, origins_from=origins_from, refit_every=refit_every,
                                 score_from=score_from, progress=progress)
        sid = fc.backtest.series.id
        if show == "backtest":
            emit(fc.accuracy.with_command(command_line()), fmt, output, title=f"Backtest of {sid}")
        elif fmt in (None, OutputFormat.TABLE) and output is None:
            print_table(fc.accuracy.with_command(command_line()), BACKTEST_COLUMNS,
                        title=f"Backtest of {sid}: {fc.accuracy.meta['n_origins']} origins "
                              f"{fc.accuracy.meta['origins']}")
        if show == "forecast":
            emit(fc.forecast.with_command(command_line()), fmt, output, columns=FORECAST_COLUMNS,
                 title=f"Forecast of {fc.backtest.series.name} ({fc.backtest.series.unit})")
        if report is not None:
            path = trends.report(series, report, forecast_result=fc, command=command_line())
            typer.echo(f"report: {path}", err=True)

    @trends_app.command("cycle")
    @friendly_errors
    def cycle_(series: Annotated[str, typer.Argument(help="Series id (or id@version).")],
               min_phase: Annotated[int, typer.Option(help="Shortest phase, months (Bry-Boschan: 6).", min=1)] = 6,
               min_cycle: Annotated[int, typer.Option(help="Shortest cycle, months (Bry-Boschan: 15).",
                                                      min=2)] = 15,
               warning: Annotated[bool, typer.Option("--warning", help="Backtest the early warning of downturns "
                                                     "instead.")] = False,
               signal: Annotated[list[str] | None, typer.Option(
                   help="--warning: a leading series (repeatable); SHIPMENTS/INVENTORIES for their "
                        "shipment-inventory balance.")] = None,
               horizon: Annotated[int, typer.Option(help="--warning: a downturn within this many months.",
                                                    min=1, max=24)] = 6,
               threshold_rule: Annotated[str, typer.Option(
                   help="--warning: how the alarm threshold is set: past-alarms (chosen on earlier months' "
                        "out-of-sample alarms) or youden (Youden's J on each fit).")] = "past-alarms",
               features: Annotated[str, typer.Option(
                   help="--warning: the series' own features: momentum (growth against its 5-year mean, its "
                        "changes, distance from the 12-month high), cycle (growth against its long-run mean, "
                        "acceleration, gap above a one-sided HP trend, months since the last trough) or growth (the "
                        "six-month smoothed growth rate against its 5-year mean, its fall from its 2-year high, "
                        "its 3-month change, its gap over y/y growth).")] = "momentum",
               origins_from: FromOpt = None,
               fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Turning points (Bry-Boschan rules), or with --warning the backtested early warning of downturns."""
        from pinchpoint.cli.output import OutputFormat, emit, print_table

        trends = session(workspace).trends
        if not warning:
            table = with_command(trends.cycle(series, min_phase=min_phase, min_cycle=min_cycle))
            emit(table, fmt, output, title=f"Turning points of {table.meta.get('series', series)} (phase >= "
                                           f"{min_phase}, cycle >= {min_cycle} months)")
            return
        ew = trends.warning(series, signals=signal or [], horizon=horizon, origins_from=origins_from,
                            min_phase=min_phase, min_cycle=min_cycle, threshold_rule=threshold_rule,
                            features=features)
        sid = ew.calls.meta["series"]
        if fmt in (None, OutputFormat.TABLE) and output is None:
            print_table(with_command(ew.alarms), title=f"Alarm episodes of {sid} (downturn within {horizon} "
                                                       "months)")
            if signal:
                print_table(with_command(ew.leads), title=f"Signals against {sid}'s growth: correlation at leads "
                                                          "and lags")
        emit(with_command(ew.calls), fmt, output, title=f"Downturns of {sid}: called?")

    @trends_app.command("watch")
    @friendly_errors
    def watch(rules: Annotated[str, typer.Argument(help="Alert rules (YAML file), or a packaged set: chip-cycle.")],
              fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Evaluate every alert rule on the latest month of its series."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trends import ALERT_COLUMNS

        table = with_command(session(workspace).trends.watch(rules))
        emit(table, fmt, output, columns=ALERT_COLUMNS,
             title=f"Alerts: {table.meta['triggered']} of {len(table)} rules triggered")
