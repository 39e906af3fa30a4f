"""CLI commands for restricted-party screening (issue #4). Imports only Typer at module level so ``--help`` stays fast."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main ``pinchpoint`` app."""
