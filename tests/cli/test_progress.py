"""The shared progress bar: driven by progress(done, total, label), on stderr, never on stdout."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from pinchpoint.cli.progress import progress_bar


def test_bar_follows_the_callback_and_leaves_stdout_alone(capsys: pytest.CaptureFixture[str]) -> None:
    screen = io.StringIO()
    with progress_bar("screening", console=Console(file=screen, force_terminal=True, width=100)) as progress:
        for done in range(0, 101, 25):
            progress(done, 100, "block 3 of 4" if done == 50 else "")
    shown = screen.getvalue()
    assert "screening: block 3 of 4" in shown and "100/100" in shown
    assert capsys.readouterr().out == ""


def test_bar_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("importing") as progress:  # pytest's stderr is not a terminal
        progress(1, 2)
        progress(2, 2, "done")
    assert capsys.readouterr() == ("", "")
