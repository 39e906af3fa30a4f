"""CLI commands for export-control lists (issue #6). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import (
    FormatOpt,
    OutputOpt,
    SourceOpt,
    WorkspaceOpt,
    command_line,
    friendly_errors,
    session,
    with_command,
)

ScopeOpt = Annotated[str | None, typer.Option("--scope", help="A code prefix (3B, 4A) or a tag "
                                              "(semiconductor-equipment, advanced-computing, quantum, surveillance).")]

controls_app = typer.Typer(no_args_is_help=True, help="Export-control lists: load, search, show, diff, crosswalk.")


def _emit(table: Any, fmt: Any, output: Path | None, columns: list[str], title: str) -> None:
    """``emit``, saying on an empty terminal table why it is empty (the caveats name the filter and the source)."""
    from pinchpoint.cli.output import OutputFormat, emit

    if not table.rows and output is None and fmt in (None, OutputFormat.TABLE):
        typer.echo(f"{title}: no rows", err=True)
        for caveat in table.caveats:
            typer.echo(f"  {caveat}", err=True)
        from pinchpoint.cli.output import missing_hint

        if hint := missing_hint(table):
            typer.echo(f"  {hint}", err=True)
        return
    emit(table, fmt, output, columns=columns, title=title)


def register(app: typer.Typer) -> None:
    """Add the ``controls`` group to the main app."""
    app.add_typer(controls_app, name="controls")

    @controls_app.command("load")
    @friendly_errors
    def load(paths: Annotated[list[Path], typer.Argument(help="CCL JSON, EU Annex I JSON or Japan items CSV "
                                                          "(files or folders; format detected).")],
             force: Annotated[bool, typer.Option("--force", help="Store a version even if it has no entries, is "
                                                 "dated in the future or loses most of the previous version's "
                                                 "entries.")] = False,
             source: SourceOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Read control lists and store them in the workspace, versioned by date (idempotent); says what each
        version adds and removes against the previous one."""
        controls = session(workspace).controls
        lists = controls.read(paths, source)  # every file read before the workspace is touched
        for cl in lists:
            for problem in cl.problems[:20]:  # before storing, so a refused version still says why
                typer.echo(f"  problem: {problem}", err=True)
            if len(cl.problems) > 20:
                typer.echo(f"  ... and {len(cl.problems) - 20} more problems", err=True)
        reports = controls.store(lists, [str(path) for path in paths], force=force)  # one transaction: all or none
        for cl, report in zip(lists, reports, strict=True):
            state = "loaded" if report.created else "already loaded (unchanged)"
            typer.echo(f"{cl.jurisdiction.value} {cl.version}: {state}; {len(cl.entries)} entries, "
                       f"{len(cl.problems)} problems ({report.content_hash})")
            if report.created:
                typer.echo(f"  {report.summary()}")

    @controls_app.command("list")
    @friendly_errors
    def list_(added: Annotated[str | None, typer.Option("--added", help="Instead of the versions, the entries "
                                                        "added or changed at or after this date (YYYY, YYYY-MM or "
                                                        "YYYY-MM-DD): from the data's dates and from the versions "
                                                        "in the workspace.")] = None,
              jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j",
                                                                     help="US, EU or JP (repeatable).")] = None,
              scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
              workspace: WorkspaceOpt = None) -> None:
        """Control lists in the workspace, with their versions (or, with --added, what changed since a date)."""
        from pinchpoint.session.controls import listing_view

        table = session(workspace).controls.listing(added, jurisdiction, scope)
        columns, title = listing_view(table)
        _emit(with_command(table), fmt, output, columns=columns, title=title)

    @controls_app.command("search")
    @friendly_errors
    def search(query: Annotated[str, typer.Argument(help="Words to look for, e.g. 'EUV pellicle'.")],
               limit: Annotated[int, typer.Option(help="Most entries to show.")] = 15,
               jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j",
                                                                      help="US, EU or JP (repeatable).")] = None,
               fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Find entries in every jurisdiction, ranked, with the matching text."""
        from pinchpoint.session.controls import SEARCH_COLUMNS

        table = with_command(session(workspace).controls.search(query, limit=limit, jurisdictions=jurisdiction))
        _emit(table, fmt, output, columns=SEARCH_COLUMNS, title=f"Control entries matching {query!r}")

    @controls_app.command("show")
    @friendly_errors
    def show(code: Annotated[str, typer.Argument(help="An entry or paragraph code, e.g. 3B001 or 3B001.f.1.")],
             jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j")] = None,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """An entry (or one paragraph) in every jurisdiction that has it."""
        from pinchpoint.session.controls import SHOW_COLUMNS

        table = with_command(session(workspace).controls.show(code, jurisdiction))
        _emit(table, fmt, output, columns=SHOW_COLUMNS, title=f"{code}")

    @controls_app.command("diff")
    @friendly_errors
    def diff(first: Annotated[str, typer.Argument(help="A jurisdiction (US, EU, JP), or JURISDICTION@DATE.")],
             second: Annotated[str, typer.Argument(help="Another jurisdiction, or the same one @another date.")],
             scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
             workspace: WorkspaceOpt = None) -> None:
        """What one jurisdiction controls that the other does not (or what changed between two dates)."""
        from pinchpoint.session.controls import compare_columns

        table = session(workspace).controls.diff(first, second, scope)
        _emit(with_command(table), fmt, output, columns=compare_columns(table), title=f"{first} vs {second}")

    @controls_app.command("crosswalk")
    @friendly_errors
    def crosswalk(source: Annotated[str, typer.Option("--from", help="US, EU or JP.")],
                  target: Annotated[str, typer.Option("--to", help="US, EU or JP.")],
                  scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                  workspace: WorkspaceOpt = None) -> None:
        """Equivalent entries between two jurisdictions, each with its evidence and confidence."""
        from pinchpoint.session.controls import CROSSWALK_COLUMNS

        table = with_command(session(workspace).controls.crosswalk(source, target, scope))
        _emit(table, fmt, output, columns=CROSSWALK_COLUMNS, title=f"Crosswalk {source.upper()} -> {target.upper()}")

    @controls_app.command("chpl")
    @friendly_errors
    def chpl(path: Annotated[Path, typer.Argument(help="The CHPL list (chpl.csv).")],
             leads: Annotated[bool, typer.Option("--leads", help="Also show weak candidates, labelled "
                                                 "'lead to verify'.")] = False,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The control entries each CHPL HS code most likely corresponds to, each with its score and reason."""
        from pinchpoint.session.controls import CHPL_COLUMNS

        table = with_command(session(workspace).controls.chpl(path, leads=leads))
        _emit(table, fmt, output, columns=CHPL_COLUMNS, title="CHPL codes and controls")

    @controls_app.command("report")
    @friendly_errors
    def report(jurisdictions: Annotated[list[str], typer.Argument(help="Two or more of US, EU, JP.")],
               scope: ScopeOpt = None,
               out: Annotated[Path, typer.Option("--out", "--output", "-o", help="Folder for the report.")]
               = Path("controls-report"),
               workspace: WorkspaceOpt = None) -> None:
        """An alignment report (HTML and CSV) for a working group."""
        path = session(workspace).controls.report(jurisdictions, out, scope=scope, command=command_line())
        typer.echo(f"report: {path}")
