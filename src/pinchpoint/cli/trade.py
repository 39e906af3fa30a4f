"""CLI commands for trade flows: parse -> ``session.trade`` -> present. Module level imports only Typer (fast
--help); default sources and country groups live in the session, not here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import FormatOpt, OutputOpt, WorkspaceOpt, friendly_errors, session, with_command

trade_app = typer.Typer(no_args_is_help=True, help="Trade flows: import, growth, import dependence.")
ListOpt = Annotated[list[str] | None, typer.Option(help="Repeatable, or comma-separated.")]

_FORMATS_HELP = ("A trade source: comext-relational, comext-xlsx, baci, comtrade (reports as filed), comtrade-api "
                 "(JSON), comtrade-bulk (current layout), comtrade-legacy, or one a plugin registers ('pinchpoint "
                 "sources --kind trade' lists them); 'auto' detects it.")

ChplOpt = Annotated[Path | None, typer.Option(help="Sum the codes of a CHPL table (chpl.csv).")]
CodesFromOpt = Annotated[Path | None, typer.Option("--codes-from", help="Sum the codes listed in a file (one a "
                                                   "line, or the first column of a CSV).")]
RevisionOpt = Annotated[str, typer.Option(help="HS revision of the data for --chpl/--codes-from: HS2022, or "
                                          "HS2017 (BACI).")]


TradeStateOpt = Annotated[str | None, typer.Option(
    "--trade-state", help="The digest of the trade imports a result was computed on (its meta.trade_state): refuse "
    "to run if the workspace's imports have changed since, instead of giving other figures.")]


def register(app: typer.Typer) -> None:
    """Add the ``trade`` group to the main app."""
    app.add_typer(trade_app, name="trade")

    @trade_app.command("import")
    @friendly_errors
    def import_(fmt: Annotated[str, typer.Argument(help=_FORMATS_HELP)],
                paths: Annotated[list[Path], typer.Argument(help="Files or folders.")],
                rates: Annotated[Path | None, typer.Option(help="USD per EUR by month or year (ECB CSV export, or "
                                                           "period,usd_per_eur); default: ECB annual averages.")
                                 ] = None,
                replace: Annotated[bool, typer.Option("--replace", help="Take the values of a revised file where "
                                                      "they differ from the stored ones (default: keep the stored)."
                                                      )] = False,
                problems: Annotated[Path | None, typer.Option("--problems", help="Write every problem to this CSV "
                                                              "file (file,row,field,reason,records).")] = None,
                workspace: WorkspaceOpt = None) -> None:
        """Read trade files into the workspace (Parquet by source and year); bad rows are reported."""
        from pinchpoint.cli.progress import progress_bar

        with progress_bar("reading") as progress:  # in bytes of input
            frame = session(workspace).trade.import_files(fmt, paths, rates=rates, replace=replace,
                                                          progress=progress)
        state = {"imported": "imported", "unchanged": "already imported (unchanged)",
                 "nothing new": "nothing new: every flow read is in the store already"}[frame.status]
        unit = frame.unit
        what = " (one value per reporter, partner and month)" if unit == "cells" else ""
        if frame.status == "unchanged":
            typer.echo(f"{frame.source}@{frame.version}: {state}; nothing written")
            return
        typer.echo(f"{frame.source}@{frame.version}: {state}; {frame.read_rows:,} {unit} read{what}: "
                   f"{frame.kept:,} kept, {frame.reported:,} reported"
                   + (f"; {frame.replaced:,} stored values replaced by this revision" if frame.replaced else ""))
        summary = frame.summary()
        if summary:
            typer.echo("reported, by reason:", err=True)
            for kind, count in summary[:20]:
                typer.echo(f"  {count:>10,}  {kind}", err=True)
            if len(summary) > 20:
                typer.echo(f"  ... and {len(summary) - 20} other reasons", err=True)
        for note in frame.notes:
            typer.echo(f"note: {note}", err=True)
        if problems is not None:
            frame.write_problems(problems)
            typer.echo(f"all {len(frame.problems):,} problems ({frame.reported:,} {unit}) written to {problems}",
                       err=True)
        elif frame.problems:
            for problem in frame.problems[:5]:
                typer.echo(f"  e.g. {problem}", err=True)
            typer.echo("  (--problems FILE writes every one: file,row,field,reason,records)", err=True)
        revisions = sum(p.records for p in frame.problems if p.kind.startswith("a revision"))
        if revisions:
            typer.echo(f"error: {revisions:,} values differ from the stored ones (a revised file): the stored values "
                       "were kept; import again with --replace to take the revision", err=True)
            raise typer.Exit(1)

    @trade_app.command("growth")
    @friendly_errors
    def growth(reporter: ListOpt = None, partner: ListOpt = None, codes: ListOpt = None,
               chpl: ChplOpt = None, codes_from: CodesFromOpt = None, revision: RevisionOpt = "HS2022",
               base: Annotated[str, typer.Option(help="A year (2021) or months (2021-01..2021-11).")] = "2021",
               compare: Annotated[str, typer.Option(help="A year or a range of months.")] = "2022",
               flow: Annotated[str, typer.Option(help="export or import.")] = "export",
               source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
               workspace: WorkspaceOpt = None, trade_state: TradeStateOpt = None) -> None:
        """Growth of flows between two periods for each reporter and partner (ISO3 or aggregates like EU27_2020),
        per source; --codes, --chpl or --codes-from sum the codes (one level per branch: never a heading and the
        lines under it)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trade import GROWTH_COLUMNS, growth_title

        table = session(workspace).trade.growth(reporter or [], partner or [], codes=codes or [], chpl=chpl,
                                                codes_from=codes_from, revision=revision, base=base,
                                                compare=compare, flow=flow, sources=source,
                                                trade_state=trade_state)
        emit(with_command(table), fmt, output, columns=GROWTH_COLUMNS, title=growth_title(base, compare))

    @trade_app.command("dependence")
    @friendly_errors
    def dependence(importer: ListOpt = None, codes: ListOpt = None, chpl: ChplOpt = None,
                   codes_from: CodesFromOpt = None, revision: RevisionOpt = "HS2022",
                   period: Annotated[str | None, typer.Option(help="A year.")] = None,
                   side: Annotated[str, typer.Option(help="import: each importer's suppliers (HHI, top supplier, "
                                                     "coalition shares); export: exporters' shares of world "
                                                     "exports of each code.")] = "import",
                   exporter: Annotated[list[str] | None, typer.Option(
                       help="With --side export: report these exporters' shares (repeatable, or comma-separated)."
                   )] = None,
                   source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                   workspace: WorkspaceOpt = None, trade_state: TradeStateOpt = None) -> None:
        """Import dependence per importer and product (supplier HHI, top supplier, coalition shares), or with
        --side export the exporters' concentration of world exports of each code (HHI, top exporter, shares)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trade import dependence_view

        table = session(workspace).trade.dependence(importer, codes=codes or [], chpl=chpl, codes_from=codes_from,
                                                    revision=revision, period=period, sources=source, side=side,
                                                    exporters=exporter, trade_state=trade_state)
        columns, title = dependence_view(table)
        emit(with_command(table), fmt, output, columns=columns, title=title)

    @trade_app.command("circumvention")
    @friendly_errors
    def circumvention(
        target: Annotated[str, typer.Option(help="The target of the controls (ISO3).")] = "RUS",
        hub: ListOpt = None,
        chpl: Annotated[Path | None, typer.Option(help="CHPL table (chpl.csv); default: every code.")] = None,
        codes_file: Annotated[Path | None, typer.Option("--codes-file", help="A file of product codes.")] = None,
        event: Annotated[str, typer.Option(help="Event month (2022-02, monthly data) or year (2022).")] = "2022-02",
        min_baseline: Annotated[float, typer.Option(help="Least baseline total for a series to be scored.")] = 5e5,
        source: ListOpt = None, control_source: ListOpt = None, limit: int = 100,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
        report: Annotated[Path | None, typer.Option(help="Also write an HTML report to this folder.")] = None,
        trade_state: TradeStateOpt = None,
    ) -> None:
        """Rank exporter -> hub -> product series whose exports jumped after the event (with evidence)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trade import CIRCUMVENTION_COLUMNS, circumvention_title

        trade = session(workspace).trade
        table = trade.circumvention(target=target, hubs=hub, chpl=chpl, codes_file=codes_file, event=event,
                                    min_baseline=min_baseline, sources=source, control_sources=control_source,
                                    limit=limit, trade_state=trade_state)
        if report is not None:
            typer.echo(f"report: {trade.circumvention_report(table, report)}", err=True)
        emit(with_command(table), fmt, output, columns=CIRCUMVENTION_COLUMNS, title=circumvention_title(target, event))

    @trade_app.command("backfill")
    @friendly_errors
    def backfill_(
        target: Annotated[str, typer.Option(help="The importer whose suppliers are measured (ISO3).")] = "RUS",
        chpl: Annotated[Path | None, typer.Option(help="CHPL table (chpl.csv); default: every code.")] = None,
        revision: Annotated[str, typer.Option(help="HS revision of the data: HS2022 or HS2017 (BACI).")] = "HS2022",
        source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
        trade_state: TradeStateOpt = None,
    ) -> None:
        """Who supplies the target's imports of the codes, per period (China, the G7 and the EU)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trade import backfill_title

        table = session(workspace).trade.backfill(target=target, chpl=chpl, revision=revision, sources=source,
                                                  trade_state=trade_state)
        emit(with_command(table), fmt, output, title=backfill_title(target))

    @trade_app.command("mirror")
    @friendly_errors
    def mirror(exporter: ListOpt = None, importer: ListOpt = None,
               cif_margin: Annotated[float, typer.Option(help="Expected CIF/FOB margin (OECD average ~6%).")] = 0.06,
               tolerance: Annotated[float, typer.Option(help="Accepted deviation of the ratio.")] = 0.25,
               source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
               workspace: WorkspaceOpt = None, trade_state: TradeStateOpt = None) -> None:
        """Mirror gaps: exporter-reported against importer-reported values of the same flows."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.trade import MIRROR_TITLE

        table = session(workspace).trade.mirror(exporters=exporter, importers=importer, cif_margin=cif_margin,
                                                tolerance=tolerance, sources=source, trade_state=trade_state)
        emit(with_command(table), fmt, output, title=MIRROR_TITLE)
