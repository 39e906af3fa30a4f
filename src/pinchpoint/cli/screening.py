"""CLI commands for restricted-party screening: parse -> ``session.screening`` -> present. Module level imports only
Typer (fast --help)."""

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
    session,
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
        country: Annotated[str | None, typer.Option(help="The country the input was screened with.")] = None,
        entity_type: Annotated[str | None, typer.Option("--type", help="The type it was screened with.")] = None,
        birth_date: Annotated[str | None, typer.Option(help="The birth date it was screened with.")] = None,
        gender: Annotated[str | None, typer.Option(help="The gender it was screened with.")] = None,
        organisation: Annotated[str | None, typer.Option(
            help="The workbench organisation the decision is for (default: none, the operator's, which every "
                 "organisation sees).")] = None,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Record a decision on an alert; later screenings show it and do not alert again for the same input and
        entity unless the entity's record changes. The input is the name with what it was screened with
        (--country, --type, --birth-date, --gender, or a batch row's columns): a decision on a name born in 1985 is
        not one on the same name born in 1972."""
        review = session(workspace).screening.review(query, entity_id, decision, reviewer, reason, list_name,
                                                     organisation or "", country=country,
                                                     entity_type=entity_type, birth_date=birth_date, gender=gender)
        refined = "".join(f", {k} {v}" for k, v in review.refinements().items())
        typer.echo(f"{review.query!r}{refined} / {review.list} {review.entity_id}: {review.decision} by "
                   f"{review.reviewer} at {review.decided_at}"
                   + (f", for organisation {review.organisation}" if review.organisation else
                      ", seen by every organisation"), err=True)

    @review_app.command("list")
    @friendly_errors
    def review_list(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The latest decision on every reviewed input and entity."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.screening import REVIEWS_TITLE

        emit(with_command(session(workspace).screening.review_table()), fmt, output, title=REVIEWS_TITLE)

    @app.command("screen")
    @friendly_errors
    def screen(
        names: Annotated[list[str] | None, typer.Argument(help="Names to screen.")] = None,
        file: Annotated[Path | None, typer.Option("--file", help="A CSV of names to screen (batch).")] = None,
        name_column: Annotated[str, typer.Option(help="Column of --file holding the names.")] = "name",
        country: Annotated[str | None, typer.Option(help="ISO3 country of the party.")] = None,
        entity_type: Annotated[str | None, typer.Option("--type", help="person or organisation.")] = None,
        birth_date: Annotated[str | None, typer.Option(help="Birth date or year of a person (YYYY[-MM-DD]).")] = None,
        gender: Annotated[str | None, typer.Option(help="male or female (a listed person of the other gender scores "
                                                   "lower).")] = None,
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
        gender_column: Annotated[str | None, typer.Option(help="Column of --file with each row's gender (male, "
                                                          "female, M, F).")] = None,
        store: Annotated[str | None, typer.Option("--store", help="Keep the screened --file under this name in "
                                                  "the workspace (its rows, parameters and alerts), to screen it "
                                                  "again with --since-last; with --since-last, which stored file."
                                                  )] = None,
        since_last: Annotated[bool, typer.Option("--since-last", help="Screen a stored file again against only "
                                                 "the entities added or changed since it was last screened; "
                                                 "report new and resolved alerts.")] = False,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Screen names against the loaded lists; every match carries its explanation and list version."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.screening import DELTA_COLUMNS, DELTA_TITLE, SCREEN_COLUMNS, screen_title

        options: dict[str, Any] = {"threshold": threshold, "country": country, "entity_type": entity_type,
                                   "lists": lists, "birth_date": birth_date, "top": top, "gender": gender}
        if since_last:
            if file is not None or names:
                raise ValueError("--since-last screens a stored file again: give no names or --file")
            delta = session(workspace).screening.since_last(store, workers=workers)
            meta = delta.alerts.meta
            typer.echo(f"{meta['stored']}: {meta['added']} entities added, {meta['changed']} changed, "
                       f"{meta['removed']} removed since {meta['since']}", err=True)
            emit(with_command(delta.alerts), fmt, output, columns=DELTA_COLUMNS, title=DELTA_TITLE)
            return
        if file is not None:
            if output is None:
                raise ValueError("batch screening writes a file: give --output results.csv")
            from pinchpoint.cli.progress import progress_bar

            with progress_bar(f"screening {file.name}") as progress:
                done = session(workspace).screening.screen_file(
                    file, output, name_column=name_column, workers=workers, fmt=fmt.value if fmt else None,
                    country_column=country_column, type_column=type_column, birth_date_column=birth_date_column,
                    gender_column=gender_column, progress=progress, store=store, **options)
            typer.echo(done.summary, err=True)
            if store is not None:
                from pinchpoint.results.table import cli_command

                # quoted as every printed command is: a store name is the user's text, pasted into a shell
                again = cli_command(["screen"], [("--since-last", True), ("--store", store),
                                                 ("--workspace", str(workspace) if workspace else None)])
                typer.echo(f"after a list update, screen it again against what changed: {again}", err=True)
            return
        if store is not None:
            raise ValueError("--store keeps a screened --file (or, with --since-last, names the stored one)")
        if not names:
            raise ValueError("give names to screen, or --file customers.csv")
        if any(c is not None for c in (country_column, type_column, birth_date_column, gender_column)):
            raise ValueError("--country-column, --type-column, --birth-date-column and --gender-column read columns "
                             "of --file")
        from pinchpoint.screening.scripts import japanese_fallback

        if note := japanese_fallback(names):  # also a caveat of the table; said on stderr whatever the format
            typer.echo(f"note: {note}", err=True)
        table = with_command(session(workspace).screening.screen(names, **options))
        emit(table, fmt, output, columns=SCREEN_COLUMNS, title=screen_title(threshold))

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
             version: Annotated[str | None, typer.Option(
                 "--version", help="The version of a list file whose content holds no date (OFAC's sdn.csv, "
                 "METI's and BIS's files): the date of the download, such as 2024-05-19. Without it the date in the "
                 "file name is used, and a file whose name has none is refused.")] = None,
             source: SourceOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
             workspace: WorkspaceOpt = None) -> None:
        """Load (or update) restricted-party lists into the workspace, reporting what each adds, removes and
        changes against the loaded version: each entity added, removed or changed, by id and name, with what
        changed (the table; -f and -o write it, the summaries then go to stderr)."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.screening import CHANGE_COLUMNS, CHANGES_TITLE

        group = session(workspace).screening
        loads = group.load(paths, force=force, max_bytes=int(max_mb * 1024 * 1024), source=source, version=version)
        to_err = fmt is not None or output is not None  # stdout holds the table alone
        for done in loads:
            if done.skipped is not None:
                typer.echo(f"{done.path}: skipped: {done.skipped}", err=True)
                continue
            if done.error is not None:
                typer.echo(f"error: {error_message(done.error)}", err=True)
                continue
            sl, change = done.screening_list, done.change
            assert sl is not None and change is not None
            typer.echo(f"{sl.list_name} {sl.version} (content {change.digest}): {change.summary()}; "
                       f"{len(sl.entities)} entities, "
                       f"{sum(len(e.names) for e in sl.entities)} names, {sl.duplicates} duplicate records "
                       f"collapsed, {len(sl.problems)} problems; read as {sl.encoding}", err=to_err)
            for warning in change.warnings():
                typer.echo(f"warning: {warning}", err=True)
            for problem in sl.problems[:10]:
                typer.echo(f"  problem: {problem}", err=True)
            if len(sl.problems) > 10:
                typer.echo(f"  ... and {len(sl.problems) - 10} more problems", err=True)
            if show_ids:
                for label, ids in (("added", change.added), ("removed", change.removed),
                                   ("changed", change.changed)):
                    typer.echo(f"  {label} ({len(ids)}): {', '.join(ids) if ids else '-'}", err=to_err)
        changes = group.changes(loads)
        if changes.rows or to_err:
            emit(with_command(changes), fmt, output, columns=CHANGE_COLUMNS, title=CHANGES_TITLE)
        if any(done.error is not None for done in loads):
            raise typer.Exit(2)

    lists_app.command("update", help="Load newer versions of lists (the same as load).")(load)

    @lists_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
        """The loaded lists and their versions."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.screening import LIST_COLUMNS, LISTS_TITLE

        emit(session(workspace).screening.lists(), fmt, output, columns=LIST_COLUMNS, title=LISTS_TITLE)
