"""Errors users can act on: every data error names the file, the row and the field."""

from __future__ import annotations

from dataclasses import dataclass


class PinchpointError(Exception):
    """Base class for errors pinchpoint reports to users (the CLI prints them without a traceback)."""


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, row (1-based line number for CSV, YAML line) and field."""

    file: str | None = None
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts) if parts else "<input>"


class DataError(PinchpointError):
    """Input data that cannot be loaded. ``str(err)`` reads ``file, row N, field 'x': problem``."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.location = Location(file, row, field)
        self.problem = message
        super().__init__(f"{self.location}: {message}")


class WorkspaceError(PinchpointError):
    """A workspace that cannot be opened or does not hold what was asked for."""
