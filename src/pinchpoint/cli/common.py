"""What every command shares: option types, one-line error reporting, the workspace, provenance.

Imports only Typer and the standard library at module level, so ``pinchpoint --help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pinchpoint.cli.output import HINTS as HINTS  # re-exported: the one table of hints
from pinchpoint.cli.output import OutputFormat
from pinchpoint.cli.output import command_line as command_line  # re-exported for the commands
from pinchpoint.cli.output import missing_hint as missing_hint
from pinchpoint.cli.output import with_command as with_command

F = TypeVar("F", bound=Callable[..., Any])

DatasetOpt = Annotated[str, typer.Option("--dataset", "-d", help="'builtin', a path (ETO folder, native YAML or "
                                         "CSV folder) or a workspace dataset name[@version].")]
YearOpt = Annotated[int | None, typer.Option("--year", help="Year of the shares (default: latest per input).")]
LevelOpt = Annotated[str, typer.Option("--level", help="country or organisation.")]
FormatOpt = Annotated[OutputFormat | None, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the result to this file.")]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Read with this source (input format) instead of "
                                              "the one detected; 'pinchpoint sources' lists them.")]
WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", help="Workspace folder or .duckdb file "
                                                   "(default: $PINCHPOINT_HOME or the user data directory).",
                                                   envvar="PINCHPOINT_WORKSPACE")]




#: Problems listed under an error's first line (the API's ``problems`` holds them all).
MAX_LISTED_PROBLEMS = 20
# The CLI option of a library parameter an error names: one whose value is wrong (BadArgumentError /
# NotFoundError.parameter: the library's message starts with the parameter, "birth_date '1969-13-45' is not a
# date...", the CLI's with its option, "--birth-date '1969-13-45' ...") or one that would change the outcome
# (PinchpointError.option)
OPTIONS: dict[str, str] = {"force": "--force", "max_bytes": "--max-mb", "version": "--version", "country": "--country",
                           "entity_type": "--type", "birth_date": "--birth-date", "gender": "--gender",
                           "origins_from": "--from", "score_from": "--score-from", "period": "--period",
                           "base": "--base", "compare": "--compare", "event": "--event", "threshold": "--threshold",
                           "min_baseline": "--min-baseline", "cif_margin": "--cif-margin",
                           "tolerance": "--tolerance"}


def error_message(exc: BaseException) -> str:
    """The one line the CLI prints for a user error, with the CLI's own hint for what is missing or which option
    changes the outcome, and its own option's name where the library's message starts with its parameter."""
    from pinchpoint.errors import NotFoundError, PinchpointError, WorkspaceError

    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    parameter = getattr(exc, "parameter", None) if isinstance(exc, PinchpointError) else None
    if parameter in OPTIONS and message.startswith(f"{parameter} "):
        message = OPTIONS[parameter] + message[len(parameter):]
    elif parameter in OPTIONS and message.startswith(f"unknown {parameter} "):  # "unknown --country 'Syra': ..."
        message = f"unknown {OPTIONS[parameter]}" + message[len(f"unknown {parameter}"):]
    what = getattr(exc, "what", "") if isinstance(exc, NotFoundError | WorkspaceError) else ""
    hint = HINTS.get(what)
    if isinstance(exc, PinchpointError) and exc.option in OPTIONS:
        hint = f"{OPTIONS[exc.option]} does that"
    message = f"{message} ({hint})" if hint and hint not in message else message
    # a file with several bad rows, or several bad inputs: every problem on its own line, each naming its place
    rest = [str(p) for p in exc.problems[1:]] if isinstance(exc, PinchpointError) else []
    shown = rest[:MAX_LISTED_PROBLEMS]
    more = f"\n  ... and {len(rest) - len(shown)} more" if len(rest) > len(shown) else ""
    return message + "".join(f"\n  {p}" for p in shown) + more


def exit_code(exc: BaseException) -> int:
    """3 when an optional extra is missing (install it and retry), 2 for every other user error."""
    from pinchpoint.errors import MissingExtraError

    return 3 if isinstance(exc, MissingExtraError) else 2


def friendly_errors(func: F) -> F:
    """Report user errors in one line on stderr instead of a traceback: exit 2 (not found, bad argument, bad data,
    workspace), or 3 for a missing optional extra. The one place the CLI maps errors to exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pinchpoint.errors import PinchpointError

        try:
            return func(*args, **kwargs)
        except (PinchpointError, ValueError, KeyError, FileNotFoundError) as exc:
            typer.echo(f"error: {error_message(exc)}", err=True)
            raise typer.Exit(exit_code(exc)) from None

    return wrapper  # type: ignore[return-value]


def say_waiting(message: str) -> None:
    typer.echo(message, err=True)


def open_workspace(path: Path | None) -> Any:
    """The workspace, opened for writing; if another process holds it, waits (bounded) and says for whom."""
    from pinchpoint.workspace import Workspace

    return Workspace(path, on_wait=say_waiting) if path is not None else Workspace.open_default(on_wait=say_waiting)


def session(workspace: Path | None) -> Any:
    """The :class:`pinchpoint.session.Session` a command works through (one per process: commands are short)."""
    from pinchpoint.accounts.hook import operator_recorder
    from pinchpoint.session import Session

    # a workspace that serves a workbench records the operator's actions in its audit trail too
    return Session(workspace, on_wait=say_waiting, recorder=operator_recorder(workspace))
