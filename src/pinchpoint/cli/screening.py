"""CLI commands for restricted-party screening (issue #4). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import (
    FormatOpt,
    OutputOpt,
    SourceOpt,
    WorkspaceOpt,
    error_message,
    friendly_errors,
    open_workspace,
    say_waiting,
    with_command,
)

lists_app = typer.Typer(no_args_is_help=True, help="Restricted-party lists: load, list, update.")
review_app = typer.Typer(no_args_is_help=True, help="Decisions on screening alerts: record, list.")


def register(app: typer.Typer) -> None:
    """Add ``screen`` and the ``lists`` group to the main app."""
    app.add_typer(lists_app, name="lists")
    app.add_typer(review_app, name="review")

    @review_app.command("add")
    @friendly_errors
    def review_add(
        query: Annotated[str, typer.Argument(help="The input as screened.")],
        entity_id: Annotated[str, typer.Argument(help="The listed entity's id (entity_id of the match).")],
        decision: Annotated[str, typer.Option(help="true-match or false-positive.")],
        reviewer: Annotated[str, typer.Option(help="Who decided.")],
        reason: Annotated[str, typer.Option(help="Why.")] = "",
        list_name: Annotated[str | None, typer.Option("--list", help="The entity's list (if ids clash).")] = None,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Record a decision on an alert; later screenings show it and do not alert again for the same input and
        entity unless the entity's record changes."""
        from pinchpoint.screening.reviews import record_review
        from pinchpoint.screening.store import read_lists

        lists = read_lists(workspace, [list_name] if list_name else None, on_wait=say_waiting)
        with open_workspace(workspace) as ws:
            review = record_review(ws, lists, query, entity_id, decision, reviewer, reason, list_name)
        typer.echo(f"{review.query!r} / {review.list} {review.entity_id}: {review.decision} by {review.reviewer} "
                   f"at {review.decided_at}", err=True)

    @review_app.command("list")
    @friendly_errors
    def review_list(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The latest decision on every reviewed input and entity."""
        from pinchpoint.cli.output import emit
        from pinchpoint.screening.reviews import review_table

        with open_workspace(workspace) as ws:
            table = review_table(ws)
        emit(with_command(table), fmt, output, title="Decisions on screening alerts")

    @app.command("screen")
    @friendly_errors
    def screen(
        names: Annotated[list[str] | None, typer.Argument(help="Names to screen.")] = None,
        file: Annotated[Path | None, typer.Option("--file", help="A CSV of names to screen (batch).")] = None,
        name_column: Annotated[str, typer.Option(help="Column of --file holding the names.")] = "name",
        country: Annotated[str | None, typer.Option(help="ISO3 country of the party.")] = None,
        entity_type: Annotated[str | None, typer.Option("--type", help="person or organisation.")] = None,
        birth_date: Annotated[str | None, typer.Option(help="Birth date or year of a person (YYYY[-MM-DD]).")] = None,
        threshold: Annotated[float, typer.Option(help="Least score to report (0-1).", min=0, max=1)] = 0.8,
        lists: Annotated[list[str] | None, typer.Option("--lists", help="Only these lists (names).")] = None,
        workers: Annotated[int | None, typer.Option(help="Processes for --file (default: one per core).",
                                                    min=1, max=256)] = None,
        top: Annotated[int | None, typer.Option("--top", help="At most this many matches per name (default: all "
                                                "at or above the threshold).", min=1)] = None,
        country_column: Annotated[str | None, typer.Option(help="Column of --file with each row's country.")] = None,
        type_column: Annotated[str | None, typer.Option(help="Column of --file with each row's type (person, "
                                                        "organisation).")] = None,
        birth_date_column: Annotated[str | None, typer.Option(help="Column of --file with each row's birth date "
                                                              "(YYYY[-MM-DD]).")] = None,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Screen names against the loaded lists; every match carries its explanation and list version."""
        from pinchpoint.cli.output import emit
        from pinchpoint.screening.batch import screen_file
        from pinchpoint.screening.matcher import Screener
        from pinchpoint.screening.store import read_lists, read_reviews

        # the workspace is open only while the stored lists are fetched, not while they are parsed and indexed
        screener = Screener(read_lists(workspace, lists, on_wait=say_waiting))
        reviews = read_reviews(workspace, on_wait=say_waiting)
        options: dict[str, Any] = {"threshold": threshold, "country": country, "entity_type": entity_type,
                                   "lists": lists, "birth_date": birth_date}
        if file is not None:
            if output is None:
                raise ValueError("batch screening writes a file: give --output results.csv")
            import os

            from pinchpoint.cli.progress import progress_bar

            if fmt is not None and fmt not in ("csv", "json", "parquet"):
                raise ValueError(f"--format {fmt}: a batch writes csv, json or parquet")
            with progress_bar(f"screening {file.name}") as progress:
                summary = screen_file(screener, file, output, name_column, workers=workers or os.cpu_count() or 1,
                                      top=top, fmt=fmt.value if fmt else None, country_column=country_column,
                                      type_column=type_column, birth_date_column=birth_date_column,
                                      progress=progress, reviews=reviews, **options)
            typer.echo(summary, err=True)
            return
        if not names:
            raise ValueError("give names to screen, or --file customers.csv")
        if any(c is not None for c in (country_column, type_column, birth_date_column)):
            raise ValueError("--country-column, --type-column and --birth-date-column read columns of --file")
        if top is not None:
            options["limit"] = top
        from pinchpoint.screening.scripts import japanese_fallback

        if note := japanese_fallback(names):
            typer.echo(f"note: {note}", err=True)
        table = with_command(screener.screen_many(names, reviews=reviews, **options))
        emit(table, fmt, output, columns=["query", "matched_name", "list", "list_version", "score", "alert"],
             title=f"Matches at or above {threshold:g}")

    @lists_app.command("load")
    @friendly_errors
    def load(paths: Annotated[list[Path], typer.Argument(help="List files (format detected; .gz read too).")],
             force: Annotated[bool, typer.Option("--force", help="Load a version even if it holds no entities, "
                                                 "lacks most of the loaded version's entities or is dated in "
                                                 "the future.")] = False,
             show_ids: Annotated[bool, typer.Option("--show-ids", help="List the ids added, removed and "
                                                    "changed.")] = False,
             max_mb: Annotated[float, typer.Option("--max-mb", help="Largest list file read (MB, uncompressed).",
                                                   min=0.001)] = 100.0,
             source: SourceOpt = None, workspace: WorkspaceOpt = None) -> None:
        """Load (or update) restricted-party lists into the workspace, reporting what each adds, removes and
        changes against the loaded version."""
        from pinchpoint.errors import PinchpointError
        from pinchpoint.screening.loaders import load_list
        from pinchpoint.screening.store import store_list

        failed = 0
        for path in paths:
            if "alt" in path.name.lower() and path.suffix == ".csv":
                typer.echo(f"{path}: skipped: OFAC's alternate names are read with the SDN file beside them",
                           err=True)
                continue
            try:
                # read and check the file before opening the workspace, so it is locked only while storing
                sl = load_list(path, max_bytes=int(max_mb * 1024 * 1024), source=source)
                with open_workspace(workspace) as ws:
                    change = store_list(ws, sl, force=force)
            except PinchpointError as exc:
                typer.echo(f"error: {error_message(exc)}", err=True)
                failed += 1
                continue
            typer.echo(f"{sl.list_name} {sl.version}: {change.summary()}; {len(sl.entities)} entities, "
                       f"{sum(len(e.names) for e in sl.entities)} names, {sl.duplicates} duplicate records "
                       f"collapsed, {len(sl.problems)} problems; read as {sl.encoding}")
            for problem in sl.problems[:10]:
                typer.echo(f"  problem: {problem}", err=True)
            if len(sl.problems) > 10:
                typer.echo(f"  ... and {len(sl.problems) - 10} more problems", err=True)
            if show_ids:
                for label, ids in (("added", change.added), ("removed", change.removed),
                                   ("changed", change.changed)):
                    typer.echo(f"  {label} ({len(ids)}): {', '.join(ids) if ids else '-'}")
        if failed:
            raise typer.Exit(2)

    lists_app.command("update", help="Load newer versions of lists (the same as load).")(load)

    @lists_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The loaded lists and their versions."""
        from pinchpoint.cli.output import emit
        from pinchpoint.screening.store import list_table

        with open_workspace(workspace) as ws:
            table = list_table(ws)
        emit(table, fmt, output, columns=["list_name", "version", "n_entities", "n_names", "n_problems",
                                          "n_duplicates", "encoding"],
             title="Restricted-party lists")
