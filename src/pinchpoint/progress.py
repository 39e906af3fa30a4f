"""The progress callback long library jobs accept, so that any interface can show it (or nothing).

A job calls ``progress(done, total, label)`` as it goes: ``done`` units out of ``total`` (``total`` may grow, and
is 0 while unknown), ``label`` a short description of the current step ("" keeps the last one). The CLI turns the
calls into a Rich progress bar on stderr (:func:`pinchpoint.cli.progress.progress_bar`); library users pass their
own function or nothing.
"""

from __future__ import annotations

from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int, label: str = "") -> None: ...


def no_progress(done: int, total: int, label: str = "") -> None:
    """The default: report nowhere."""
