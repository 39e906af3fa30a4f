"""Presenting result tables on the terminal or writing them to files."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from pinchpoint.results.table import ResultTable, format_float

# What the CLI adds to a core error about something missing: how to get it with a command (the core never names one)
HINTS: dict[str, str] = {
    "control lists": "load them: pinchpoint controls load PATH...",
    "restricted-party lists": "load them: pinchpoint lists load PATH...",
    "trade data": "import some: pinchpoint trade import FORMAT PATH...",
    "datasets": "import one: pinchpoint data import PATH",
    "source": "pinchpoint sources lists them",
}


def missing_hint(table: ResultTable) -> str | None:
    """How to get what an empty table says is missing (``meta["missing"]``, the errors' ``what``), as a command."""
    return HINTS.get(str(table.meta.get("missing", "")))


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, (list, tuple)):
        shown = ", ".join(str(v) for v in value[:4])
        return shown + (f" (+{len(value) - 4})" if len(value) > 4 else "")
    return str(value)


def print_table(table: ResultTable, columns: list[str] | None = None, title: str | None = None,
                limit: int | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cols = columns or list(table.columns)
    view = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
    for c in cols:  # a header never folds below its own length (it used to become 'l', 's' in narrow columns)
        view.add_column(Text(c), overflow="fold", justify="right" if _numeric(table, c) else "left", min_width=len(c))
    rows = table.rows if limit is None else table.rows[:limit]
    for r in rows:  # Text, not markup: a name such as "[bold]" or "[/]" is shown as written, never interpreted
        view.add_row(*[Text(_cell(r[c])) for c in cols])
    console = Console()
    if not console.is_terminal:  # piped or redirected: full width, one line per row, nothing folded
        from rich.measure import Measurement

        width = Measurement.get(console, console.options.update(width=1_000_000), view).maximum
        console = Console(width=max(width, 20), soft_wrap=False)
    console.print(view)
    if limit is not None and len(table) > limit:
        console.print(f"[dim]{len(table) - limit} more rows: use --format csv/json/parquet --output FILE[/dim]")
    for caveat in table.caveats:  # under the table, on the same stream, so a saved table keeps its limits
        console.print(f"caveat: {caveat}", markup=False, highlight=False, soft_wrap=not console.is_terminal)


def _numeric(table: ResultTable, column: str) -> bool:
    return any(isinstance(r[column], (int, float)) and not isinstance(r[column], bool) for r in table.rows)


def emit(table: ResultTable, fmt: OutputFormat | None, output: Path | None,
         columns: list[str] | None = None, title: str | None = None) -> None:
    """Write ``table`` to ``output`` (format from the option or the suffix) or print it.

    Every output records the command line in its provenance; CSV on stdout prints provenance and caveats to
    stderr so that stdout stays a plain table.
    """
    from pinchpoint.results.table import (
        export_format,
        provenance_lines,
        sidecar_path,
        to_csv_text,
        to_json,
        write_table,
    )

    if not table.meta.get("command"):
        table = with_command(table)
    if output is not None:
        chosen = export_format(output, fmt.value if fmt not in (None, OutputFormat.TABLE) else None)
        write_table(table, output, chosen)
        beside = f" (provenance and caveats in {sidecar_path(output).name})" if chosen == "csv" else ""
        print(f"wrote {len(table)} rows to {output}{beside}", file=sys.stderr)
        return
    if fmt in (None, OutputFormat.TABLE):
        if not table.rows:
            print(f"{title or table.name}: no rows", file=sys.stderr)
            for caveat in table.caveats:  # an empty result may be explained by them
                print(f"caveat: {caveat}", file=sys.stderr)
            if hint := missing_hint(table):
                print(f"hint: {hint}", file=sys.stderr)
            return
        print_table(table, columns, title)
    elif fmt is OutputFormat.CSV:
        sys.stdout.write(to_csv_text(table))
        for line in provenance_lines(table):
            print(f"# {line}", file=sys.stderr)
    elif fmt is OutputFormat.JSON:
        sys.stdout.write(to_json(table) + "\n")
    else:
        raise ValueError("parquet output needs --output FILE")


def command_line() -> str:
    """The command as typed (arguments quoted where a shell would need it)."""
    import shlex

    return "pinchpoint " + shlex.join(sys.argv[1:])


def with_command(table: ResultTable) -> ResultTable:
    """``table`` with the command line in its provenance, so results can be reproduced."""
    return table.with_command(command_line())
