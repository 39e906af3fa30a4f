"""CLI commands for export-control lists (issue #6). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import FormatOpt, OutputOpt, WorkspaceOpt, friendly_errors, open_workspace, with_command

ScopeOpt = Annotated[str | None, typer.Option("--scope", help="A code prefix (3B, 4A) or a tag "
                                              "(semiconductor-equipment, advanced-computing, quantum, surveillance).")]

controls_app = typer.Typer(no_args_is_help=True, help="Export-control lists: load, search, show, diff, crosswalk.")


def _lists(workspace: Path | None, jurisdictions: list[str] | None = None, as_of: str | None = None) -> Any:
    from pinchpoint.controls.store import load_lists

    with open_workspace(workspace) as ws:
        return load_lists(ws, jurisdictions, as_of)


def register(app: typer.Typer) -> None:
    """Add the ``controls`` group to the main app."""
    app.add_typer(controls_app, name="controls")

    @controls_app.command("load")
    @friendly_errors
    def load(paths: Annotated[list[Path], typer.Argument(help="CCL JSON, EU Annex I JSON or Japan items CSV "
                                                          "(files or folders; format detected).")],
             workspace: WorkspaceOpt = None) -> None:
        """Read control lists and store them in the workspace, versioned by date (idempotent)."""
        from pinchpoint.controls.loaders import load_any
        from pinchpoint.controls.store import store_list

        with open_workspace(workspace) as ws:
            for path in paths:
                cl = load_any(path)
                created, digest = store_list(ws, cl)
                state = "loaded" if created else "already loaded (unchanged)"
                typer.echo(f"{cl.jurisdiction.value} {cl.version}: {state}; {len(cl.entries)} entries, "
                           f"{len(cl.problems)} problems ({digest})")
                for problem in cl.problems[:20]:
                    typer.echo(f"  problem: {problem}", err=True)

    @controls_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Control lists in the workspace, with their versions."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.store import list_versions

        with open_workspace(workspace) as ws:
            table = list_versions(ws)
        emit(table, fmt, output, columns=["jurisdiction", "version", "list_name", "n_entries", "n_problems"],
             title="Control lists")

    @controls_app.command("search")
    @friendly_errors
    def search(query: Annotated[str, typer.Argument(help="Words to look for, e.g. 'EUV pellicle'.")],
               limit: Annotated[int, typer.Option(help="Most entries to show.")] = 15,
               jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j",
                                                                      help="US, EU or JP (repeatable).")] = None,
               fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Find entries in every jurisdiction, ranked, with the matching text."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.search import ControlIndex

        lists = _lists(workspace)
        index = ControlIndex([e for c in lists for e in c.entries])
        table = with_command(index.search(query, limit=limit, jurisdictions=[j.upper() for j in jurisdiction or []]))
        emit(table, fmt, output, columns=["jurisdiction", "paragraph", "score", "matched_text"],
             title=f"Control entries matching {query!r}")

    @controls_app.command("show")
    @friendly_errors
    def show(code: Annotated[str, typer.Argument(help="An entry or paragraph code, e.g. 3B001 or 3B001.f.1.")],
             jurisdiction: Annotated[list[str] | None, typer.Option("--jurisdiction", "-j")] = None,
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """An entry (or one paragraph) in every jurisdiction that has it."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.views import show_entry

        table = with_command(show_entry(_lists(workspace), code, jurisdiction))
        emit(table, fmt, output, columns=["jurisdiction", "code", "relation", "text"], title=f"{code}")

    @controls_app.command("diff")
    @friendly_errors
    def diff(first: Annotated[str, typer.Argument(help="A jurisdiction (US, EU, JP), or JURISDICTION@DATE.")],
             second: Annotated[str, typer.Argument(help="Another jurisdiction, or the same one @another date.")],
             scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
             workspace: WorkspaceOpt = None) -> None:
        """What one jurisdiction controls that the other does not (or what changed between two dates)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.crosswalk import alignment, diff_versions
        from pinchpoint.controls.store import load_lists, load_version

        a, _, a_date = first.upper().partition("@")
        b, _, b_date = second.upper().partition("@")
        with open_workspace(workspace) as ws:
            if a == b:
                if not (a_date and b_date):
                    raise ValueError("to compare one jurisdiction with itself, give two dates: US@2025-01-01 "
                                     "US@2026-07-23")
                table = diff_versions(load_version(ws, a, a_date), load_version(ws, b, b_date), scope)
                columns = ["code", "change", "paragraphs", "heading"]
            else:
                table = alignment(load_lists(ws), [a, b], scope)
                columns = ["jurisdiction", "code", f"in_{a}", f"in_{b}", "status", "threshold_differences"]
        emit(with_command(table), fmt, output, columns=columns, title=f"{first} vs {second}")

    @controls_app.command("crosswalk")
    @friendly_errors
    def crosswalk(source: Annotated[str, typer.Option("--from", help="US, EU or JP.")],
                  target: Annotated[str, typer.Option("--to", help="US, EU or JP.")],
                  scope: ScopeOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                  workspace: WorkspaceOpt = None) -> None:
        """Equivalent entries between two jurisdictions, each with its evidence and confidence."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.crosswalk import crosswalk as run
        from pinchpoint.controls.views import scoped

        lists = _lists(workspace)
        table = with_command(scoped(run(lists, source, target), lists, scope))
        emit(table, fmt, output, columns=["from_code", "to_code", "relation", "confidence", "method"],
             title=f"Crosswalk {source.upper()} -> {target.upper()}")

    @controls_app.command("chpl")
    @friendly_errors
    def chpl(path: Annotated[Path, typer.Argument(help="The CHPL list (chpl.csv).")],
             fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The control entries each CHPL HS code most likely corresponds to."""
        from pinchpoint.cli.output import emit
        from pinchpoint.controls.crosswalk import chpl_controls

        table = with_command(chpl_controls(path, _lists(workspace)))
        emit(table, fmt, output, columns=["hs6", "description", "controls"], title="CHPL codes and controls")

    @controls_app.command("report")
    @friendly_errors
    def report(jurisdictions: Annotated[list[str], typer.Argument(help="Two or more of US, EU, JP.")],
               scope: ScopeOpt = None,
               out: Annotated[Path, typer.Option("--out", help="Folder for the report.")] = Path("controls-report"),
               workspace: WorkspaceOpt = None) -> None:
        """An alignment report (HTML and CSV) for a working group."""
        from pinchpoint.controls.views import alignment_report

        path = alignment_report(_lists(workspace), jurisdictions, scope, out)
        typer.echo(f"report: {path}")
