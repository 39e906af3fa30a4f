"""CLI commands for restricted-party screening (issue #4). Module level imports only Typer (fast --help)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main ``pinchpoint`` app."""
