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
    open_workspace,
    with_command,
)

ScopeOpt = Annotated[str | None, typer.Option("--scope", help="A code prefix (3B, 4A) or a tag "
                                              "(semiconductor-equipment, advanced-computing, quantum, surveillance).")]

controls_app = typer.Typer(no_args_is_help=True, help="Export-control lists: load, search, show, diff, crosswalk.")


def _lists(workspace: Path | None, jurisdictions: list[str] | None = None, as_of: str | None = None) -> Any:
    from pinchpoint.controls.store import load_lists

    with open_workspace(workspace) as ws:
        return load_lists(ws, jurisdictions, as_of)


def _emit(table: Any, fmt: Any, output: Path | None, columns: list[str], title: str) -> None:
    """``emit``, saying on an empty terminal table why it is empty (the caveats name the filter and the source)."""
    from pinchpoint.cli.output import OutputFormat, emit

    if not table.rows and output is None and fmt in (None, OutputFormat.TABLE):
        typer.echo(f"{title}: no rows", err=True)
        for caveat in table.caveats:
            typer.echo(f"  {caveat}", err=True)
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
        from pinchpoint.controls.loaders import load_any
        from pinchpoint.controls.store import store_lists

        lists = [load_any(path, source) for path in paths]  # every file read before the workspace is touched
        for cl in lists:
            for problem in cl.problems[:20]:  # before storing, so a refused version still says why
                typer.echo(f"  problem: {problem}", err=True)
            if len(cl.problems) > 20:
                typer.echo(f"  ... and {len(cl.problems) - 20} more problems", err=True)
        with open_workspace(workspace) as ws:
            reports = store_lists(ws, lists, force=force,  # one transaction: all or none
                                  origins=[str(path) for path in paths])
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
        from pinchpoint.controls.changes import added_in_workspace, parse_since
        from pinchpoint.controls.store import list_versions

        with open_workspace(workspace) as ws:
            if added is not None:
                table = added_in_workspace(ws, parse_since(added), jurisdiction, scope)
                _emit(with_command(table), fmt, output, columns=["jurisdiction", "code", "change", "when", "heading"],
                     title=f"Entries added or changed since {table.meta['since']}")
                return
            if jurisdiction or scope:
                raise ValueError("--jurisdiction and --scope go with --added")
            table = list_versions(ws)
        _emit(table, fmt, output, columns=["jurisdiction", "version", "list_name", "n_entries", "n_problems"],
             title="Control lists")

    @controls_app.command("search")
    @friendly_errors
    def search(query: Annotated[str, typer.Argument(help="Words to look for, e.g. 'EUV pellicle'.")],
               limit: Annotated[int, typer.Option(help="Most entries to show.")] = 15,
               jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j",
                                                                      help="US, EU or JP (repeatable).")] = None,
               fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Find entries in every jurisdiction, ranked, with the matching text."""
        from pinchpoint.controls.search import ControlIndex

        lists = _lists(workspace)
        index = ControlIndex([e for c in lists for e in c.entries])
        table = with_command(index.search(query, limit=limit, jurisdictions=jurisdiction))
        _emit(table, fmt, output, columns=["jurisdiction", "paragraph", "score", "matched_text"],
             title=f"Control entries matching {query!r}")

    @controls_app.command("show")
    @friendly_errors
    def show(code: Annotated[str, typer.Argument(help="An entry or paragraph code, e.g. 3B001 or 3B001.f.1.")],
             jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j")] = None,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """An entry (or one paragraph) in every jurisdiction that has it."""
        from pinchpoint.controls.views import show_entry

        table = with_command(show_entry(_lists(workspace), code, jurisdiction))
        _emit(table, fmt, output, columns=["jurisdiction", "code", "relation", "text"], title=f"{code}")

    @controls_app.command("diff")
    @friendly_errors
    def diff(first: Annotated[str, typer.Argument(help="A jurisdiction (US, EU, JP), or JURISDICTION@DATE.")],
             second: Annotated[str, typer.Argument(help="Another jurisdiction, or the same one @another date.")],
             scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
             workspace: WorkspaceOpt = None) -> None:
        """What one jurisdiction controls that the other does not (or what changed between two dates)."""
        from pinchpoint.controls.views import compare

        with open_workspace(workspace) as ws:
            table = compare(ws, first, second, scope)
        if table.name == "controls_diff":
            columns = ["code", "change", "paragraphs", "heading"]
        else:
            a, b = (j for j in table.meta["lists"])
            columns = ["jurisdiction", "code", f"in_{a}", f"in_{b}", "status", "threshold_differences"]
        _emit(with_command(table), fmt, output, columns=columns, title=f"{first} vs {second}")

    @controls_app.command("crosswalk")
    @friendly_errors
    def crosswalk(source: Annotated[str, typer.Option("--from", help="US, EU or JP.")],
                  target: Annotated[str, typer.Option("--to", help="US, EU or JP.")],
                  scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                  workspace: WorkspaceOpt = None) -> None:
        """Equivalent entries between two jurisdictions, each with its evidence and confidence."""
        from pinchpoint.controls.crosswalk import crosswalk as run
        from pinchpoint.controls.views import scoped

        lists = _lists(workspace)
        table = with_command(scoped(run(lists, source, target), lists, scope))
        _emit(table, fmt, output, columns=["from_code", "to_code", "relation", "confidence", "method"],
             title=f"Crosswalk {source.upper()} -> {target.upper()}")

    @controls_app.command("chpl")
    @friendly_errors
    def chpl(path: Annotated[Path, typer.Argument(help="The CHPL list (chpl.csv).")],
             leads: Annotated[bool, typer.Option("--leads", help="Also show weak candidates, labelled "
                                                 "'lead to verify'.")] = False,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The control entries each CHPL HS code most likely corresponds to, each with its score and reason."""
        from pinchpoint.controls.crosswalk import chpl_controls

        table = with_command(chpl_controls(path, _lists(workspace), leads=leads))
        _emit(table, fmt, output, columns=["hs6", "description", "paragraph", "score", "strength", "reason"],
              title="CHPL codes and controls")

    @controls_app.command("report")
    @friendly_errors
    def report(jurisdictions: Annotated[list[str], typer.Argument(help="Two or more of US, EU, JP.")],
               scope: ScopeOpt = None,
               out: Annotated[Path, typer.Option("--out", "--output", "-o", help="Folder for the report.")]
               = Path("controls-report"),
               workspace: WorkspaceOpt = None) -> None:
        """An alignment report (HTML and CSV) for a working group."""
        from pinchpoint.controls.views import alignment_report

        path = alignment_report(_lists(workspace), jurisdictions, scope, out, command=command_line())
        typer.echo(f"report: {path}")
