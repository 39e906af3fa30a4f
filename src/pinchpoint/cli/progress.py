"""A Rich progress bar on stderr driven by the library's ``progress(done, total, label)`` callback.

    with progress_bar("screening") as progress:
        screen_file(..., progress=progress)

stderr, so ``-f json`` and CSV on stdout stay clean; transient, so nothing is left behind; silent when stderr is
not a terminal (logs and CI get no control codes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pinchpoint.progress import ProgressCallback

if TYPE_CHECKING:
    from rich.console import Console


@contextmanager
def progress_bar(description: str, console: Console | None = None) -> Iterator[ProgressCallback]:
    """A progress bar for the duration of the ``with`` block; yields the callback to hand to the library."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    shown_on = console or Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=shown_on, transient=True, disable=not shown_on.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int, label: str = "") -> None:
            if label:
                bar.update(task, description=f"{description}: {label}")
            bar.update(task, completed=done, total=total or None)

        yield update
