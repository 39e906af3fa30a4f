"""``pinchpoint sources``: the registered input formats, or what each makes of a path. Module level imports only
Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import FormatOpt, OutputOpt, friendly_errors, with_command


def register(app: typer.Typer) -> None:
    """Add the ``sources`` command to the main app."""

    @app.command("sources")
    @friendly_errors
    def sources_(path: Annotated[Path | None, typer.Argument(help="A file or folder: show what each source makes "
                                                              "of it.")] = None,
                 kind: Annotated[str | None, typer.Option(help="supplychain, trade, list, controls, indicators, "
                                                          "incentives or projects.")] = None,
                 fmt: FormatOpt = None, output: OutputOpt = None) -> None:
        """List the sources (input formats) pinchpoint can read, built-in or from installed plugins (entry-point
        group pinchpoint.sources); with PATH, which source reads it and why the others do not."""
        from pinchpoint.cli.output import emit
        from pinchpoint.sources.tables import catalogue, verdicts

        if path is None:
            emit(with_command(catalogue(kind)), fmt, output, columns=["kind", "name", "description", "registered"],
                 title="Sources")
        else:
            emit(with_command(verdicts(path, kind)), fmt, output, title=f"Sources for {path}")
