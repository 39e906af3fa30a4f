"""CLI commands for trade flows (issue #5). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import FormatOpt, OutputOpt, WorkspaceOpt, friendly_errors, open_workspace, with_command

trade_app = typer.Typer(no_args_is_help=True, help="Trade flows: import, growth, import dependence.")
ListOpt = Annotated[list[str] | None, typer.Option(help="Repeatable, or comma-separated.")]


_FORMATS_HELP = ("A trade source: comext-relational, comext-xlsx, baci, comtrade (reports as filed), comtrade-api "
                 "(JSON), comtrade-bulk (current layout), comtrade-legacy, or one a plugin registers ('pinchpoint "
                 "sources --kind trade' lists them); 'auto' detects it.")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip().upper() for item in values or [] for v in item.split(",") if v.strip()]


ChplOpt = Annotated[Path | None, typer.Option(help="Sum the codes of a CHPL table (chpl.csv).")]
CodesFromOpt = Annotated[Path | None, typer.Option("--codes-from", help="Sum the codes listed in a file (one a "
                                                   "line, or the first column of a CSV).")]
RevisionOpt = Annotated[str, typer.Option(help="HS revision of the data for --chpl/--codes-from: HS2022, or "
                                          "HS2017 (BACI).")]


def _sources(values: list[str] | None) -> list[str]:
    return [s.lower() for s in _split(values)]


def _code_list(chpl: Path | None, codes_from: Path | None, revision: str, codes: list[str]) -> Any:
    """The code list named by --chpl or --codes-from (in the data's HS revision), or None."""
    from pinchpoint.trade.codes import load_chpl, load_code_list

    if sum(x is not None and x != [] for x in (chpl, codes_from, codes or None)) > 1:
        raise ValueError("give one of --codes, --chpl and --codes-from")
    if chpl is not None:
        return load_chpl(chpl).in_revision(revision)
    if codes_from is not None:
        return load_code_list(codes_from).in_revision(revision)
    return None


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
        from pinchpoint.trade.adapters import read
        from pinchpoint.trade.rates import load_rates
        from pinchpoint.trade.store import import_frame

        with progress_bar("reading") as progress:  # in bytes of input
            frame = read(fmt, paths, load_rates(rates) if rates else None, progress=progress)
        with open_workspace(workspace) as ws:
            import_frame(ws, frame, replace=replace)
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
               workspace: WorkspaceOpt = None) -> None:
        """Growth of flows between two periods for each reporter and partner (ISO3 or aggregates like EU27_2020),
        per source; --codes, --chpl or --codes-from sum the codes (one level per branch: never a heading and the
        lines under it)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.trade.metrics import growth as run
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        reporters, partners = _split(reporter), _split(partner)
        if not reporters or not partners:
            raise ValueError("give at least one --reporter and one --partner")
        code_list = _code_list(chpl, codes_from, revision, _split(codes))
        with open_workspace(workspace) as ws:
            table = run(select_sources(ws, _sources(source)), reporters, partners, _split(codes), base, compare,
                        flow.lower(), code_list=code_list, descriptions=product_descriptions(ws))
        emit(with_command(table), fmt, output, columns=["source", "reporter", "partner", "codes", "description",
                                                         "base_value", "compare_value", "growth_pct", "currency"],
             title=f"Growth {base} -> {compare}")

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
                   workspace: WorkspaceOpt = None) -> None:
        """Import dependence per importer and product (supplier HHI, top supplier, coalition shares), or with
        --side export the exporters' concentration of world exports of each code (HHI, top exporter, shares)."""
        from pinchpoint.analysis.coalitions import COALITIONS
        from pinchpoint.cli.output import emit
        from pinchpoint.kernel.countries import group_members
        from pinchpoint.trade.metrics import exporter_concentration, supplier_concentration
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        code_list = _code_list(chpl, codes_from, revision, _split(codes))
        if side.lower() not in ("import", "export"):
            raise ValueError(f"--side {side!r}: give import or export")
        with open_workspace(workspace) as ws:
            rel = select_sources(ws, _sources(source))
            if side.lower() == "export":
                if importer:
                    raise ValueError("--importer is for --side import; with --side export give --exporter")
                exporters = _split(exporter)
                table = exporter_concentration(rel, _split(codes), period, exporters, code_list=code_list,
                                               descriptions=product_descriptions(ws))
                columns = ["product", "description", "period", "source", "world_exports_usd", "hhi", "top_exporter",
                           "top_share", *(f"share_{e}" for e in exporters)]
                title = "Exporter concentration (world exports)"
            else:
                if exporter:
                    raise ValueError("--exporter is for --side export")
                groups = {**COALITIONS, "china": group_members("CHN+HKG+MAC")}
                table = supplier_concentration(rel, _split(importer) or None, _split(codes), period, groups,
                                               code_list=code_list, descriptions=product_descriptions(ws))
                columns = ["importer", "product", "description", "period", "source", "hhi", "top_supplier", "top_share",
                           "share_us_japan", "share_china"]
                title = "Supplier concentration"
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
    ) -> None:
        """Rank exporter -> hub -> product series whose exports jumped after the event (with evidence)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.trade.circumvention import DEFAULT_HUBS, scan
        from pinchpoint.trade.codes import load_chpl, load_code_list
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        code_list = load_chpl(chpl) if chpl else load_code_list(codes_file) if codes_file else None
        with open_workspace(workspace) as ws:
            rel = select_sources(ws, _sources(source) or ["comext-xlsx"])
            control_sources = _sources(control_source)
            if not control_sources:  # the default: Comext totals, where the workspace holds them
                from pinchpoint.trade.query import held

                control_sources = [c for c in ["comext-relational"] if c in held(select_sources(ws, None), "source")]
            control = select_sources(ws, control_sources) if control_sources else None
            table = scan(rel, target=target.upper(), hubs=_split(hub) or DEFAULT_HUBS, codes=code_list, event=event,
                         descriptions=product_descriptions(ws),
                         control=control, min_baseline=min_baseline, limit=limit)
        if report is not None:
            from pinchpoint.trade.report import write_circumvention_report

            typer.echo(f"report: {write_circumvention_report(table, report)}", err=True)
        emit(with_command(table), fmt, output, columns=["exporter", "hub", "product", "description", "score", "own_z",
                                                         "growth_pct",
                                                         "direct_to_target_growth_pct", "corroborated"],
             title=f"Possible circumvention via hubs to {target.upper()} after {event}")

    @trade_app.command("backfill")
    @friendly_errors
    def backfill_(
        target: Annotated[str, typer.Option(help="The importer whose suppliers are measured (ISO3).")] = "RUS",
        chpl: Annotated[Path | None, typer.Option(help="CHPL table (chpl.csv); default: every code.")] = None,
        revision: Annotated[str, typer.Option(help="HS revision of the data: HS2022 or HS2017 (BACI).")] = "HS2022",
        source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Who supplies the target's imports of the codes, per period (China, the G7 and the EU)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.kernel.countries import group_members
        from pinchpoint.trade.circumvention import BACKFILL_GROUPS, backfill
        from pinchpoint.trade.codes import load_chpl
        from pinchpoint.trade.query import select_sources

        groups = {label: group_members(name) for label, name in BACKFILL_GROUPS.items()}
        with open_workspace(workspace) as ws:
            table = backfill(select_sources(ws, _sources(source)), target=target.upper(),
                             codes=load_chpl(chpl).in_revision(revision) if chpl else None, groups=groups)
        emit(with_command(table), fmt, output, title=f"Suppliers of {target.upper()}")

    @trade_app.command("mirror")
    @friendly_errors
    def mirror(exporter: ListOpt = None, importer: ListOpt = None,
               cif_margin: Annotated[float, typer.Option(help="Expected CIF/FOB margin (OECD average ~6%).")] = 0.06,
               tolerance: Annotated[float, typer.Option(help="Accepted deviation of the ratio.")] = 0.25,
               source: ListOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
               workspace: WorkspaceOpt = None) -> None:
        """Mirror gaps: exporter-reported against importer-reported values of the same flows."""
        from pinchpoint.cli.output import emit
        from pinchpoint.trade.metrics import mirror_gaps
        from pinchpoint.trade.query import select_sources

        with open_workspace(workspace) as ws:
            table = mirror_gaps(select_sources(ws, _sources(source) or ["comtrade"]),
                                cif_margin=cif_margin, tolerance=tolerance, exporters=_split(exporter) or None,
                                importers=_split(importer) or None)
        emit(with_command(table), fmt, output, title="Mirror gaps (flagged first)")
