"""Errors users can act on: every data error names the file, the row and the field.

The core raises these and never names a CLI command or flag in a message; each interface maps them once to its own
wording and status (the CLI in ``cli.common.friendly_errors``: exit 2, or 3 for a missing extra; the API in
``api.app``: 404, 422 or 501 with ``{"error": kind, "message": ..., "problems": [...]}``).

==================  ==========================================  =========  ====
error               when                                        CLI exit   HTTP
==================  ==========================================  =========  ====
NotFoundError       an unknown id, name or file (+ suggestions) 2          404
BadArgumentError    a parameter out of range or inconsistent    2          422
DataError           input data that cannot be loaded            2          422
MissingExtraError   an optional dependency is not installed     3          501
WorkspaceError      the workspace cannot be opened or lacks it  2          503
==================  ==========================================  =========  ====
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

Severity = Literal["error", "warning"]


class PinchpointError(Exception):
    """Base class for errors pinchpoint reports to users (the CLI prints them without a traceback)."""

    #: a short machine-readable name of the kind of error (the API's ``error`` field)
    kind = "error"
    #: the library parameter that would change the outcome (``force``, ``max_bytes``...), so an interface can name
    #: its own option for it; the message itself names none
    option: str | None = None

    @property
    def problems(self) -> list[Problem]:
        return []


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, row (1-based line number for CSV, YAML line; ``unit`` says which word to print:
    row, line, entry, record...) and field."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    unit: str = "row"

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"{self.unit} {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts) if parts else "<input>"

    def __bool__(self) -> bool:
        return bool(self.file) or self.row is not None or bool(self.field)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "unit": self.unit}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input: where (a :class:`Location`), what, and how bad. A loader keeps going past a
    ``warning`` (the record is read) and leaves the record out on an ``error`` (the record is reported, not kept).

    ``str(problem)`` reads ``file, row N, field 'x': message``, as the loaders' messages always did.
    """

    location: Location
    message: str
    severity: Severity = "error"

    @classmethod
    def at(cls, message: str, *, file: str | None = None, row: int | None = None, field: str | None = None,
           unit: str = "row", severity: Severity = "error") -> Problem:
        return cls(Location(file, row, field, unit), message, severity)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    @property
    def file(self) -> str | None:
        return self.location.file

    @property
    def row(self) -> int | None:
        return self.location.row

    @property
    def field(self) -> str | None:
        return self.location.field

    def to_dict(self) -> dict[str, Any]:
        return {**self.location.to_dict(), "message": self.message, "severity": self.severity}


def as_problems(values: Any) -> Any:
    """``values`` with each plain string made a :class:`Problem` without a location (what stores written before
    problems were data hold); Problems, dicts and anything else are left for the caller's validation."""
    if isinstance(values, list | tuple):
        return [Problem(Location(), v) if isinstance(v, str) else v for v in values]
    return values


class DataError(PinchpointError):
    """Input data that cannot be loaded. ``str(err)`` reads ``file, row N, field 'x': problem``.

    ``problems`` holds every :class:`Problem` found (at least the one the message names), so an interface can list
    them all; ``location`` and ``problem`` are the first one's place and message.
    """

    kind = "data"

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, problems: Sequence[Problem] = (), unit: str = "row",
                 option: str | None = None) -> None:
        self.option = option
        self.location = Location(file, row, field, unit)
        self.problem = message
        self._problems = list(problems) or [Problem(self.location, message)]
        super().__init__(f"{self.location}: {message}")

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    @classmethod
    def from_problems(cls, problems: Sequence[Problem], also: str = "") -> DataError:
        """The error for several problems: the first one's place and message (``also`` appended, e.g. "and 3
        more"), all of them in ``problems``."""
        if not problems:
            raise ValueError("DataError.from_problems needs at least one problem")
        first = problems[0]
        loc = first.location
        return cls(first.message + also, file=loc.file, row=loc.row, field=loc.field, problems=problems,
                   unit=loc.unit)


class NotFoundError(PinchpointError, LookupError):
    """An unknown id, name, version or file: the message names what was asked and the closest valid ones
    (``suggestions``, best first). ``what`` is the kind of thing looked for ("jurisdiction", "restricted-party
    list"...), so an interface can add its own hint on how to get one."""

    kind = "not_found"

    def __init__(self, message: str, *, suggestions: Iterable[str] = (), what: str = "", value: str = "",
                 file: str | None = None, row: int | None = None, field: str | None = None,
                 parameter: str | None = None) -> None:
        self.suggestions: list[str] = list(suggestions)
        self.what = what
        self.value = value
        #: the library parameter that held the unknown value (as :class:`BadArgumentError`'s), if one did
        self.parameter = parameter
        self.location = Location(file, row, field)
        self.message = message
        super().__init__(f"{self.location}: {message}" if self.location else message)

    def __str__(self) -> str:  # LookupError's KeyError cousin would quote it; this prints as written
        return str(self.args[0]) if self.args else ""

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.location, self.message)] if self.location else []


class BadArgumentError(PinchpointError, ValueError):
    """A parameter out of range or inconsistent with another (``parameter`` names it, as the library calls it)."""

    kind = "bad_argument"

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message)


#: What a NaN is told, wherever a number is checked (library arguments, scenario fields, API parameters): it fails
#: every range test, so a range message ("should be at most 1") would name the wrong rule
NOT_A_NUMBER = "must be a number, not NaN"


def validation_message(error: Any) -> str:
    """The message of one Pydantic error as pinchpoint words it (scenario files, posted documents, API parameters):
    a NaN is "not a number" whatever range the field has; a validator's "Value error, " prefix is dropped."""
    if error.get("type") == "finite_number":
        raw = str(error.get("input", "")).strip().lower()
        return "must be a finite number, not infinity" if "inf" in raw else NOT_A_NUMBER
    return str(error.get("msg", "")).removeprefix("Value error, ")


def check_number(value: float, parameter: str) -> float:
    """``value`` if it is a number (infinity is left to the range checks that follow); NaN or a non-number is a
    :class:`BadArgumentError` saying so, before any range check misreports it."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadArgumentError(f"{parameter} must be a number, not {str(value)[:40]!r}", parameter=parameter)
    if math.isnan(value):
        raise BadArgumentError(f"{parameter} {NOT_A_NUMBER}", parameter=parameter)
    return float(value)


class MissingExtraError(PinchpointError):
    """An optional dependency is not installed: the message names the feature, the extra and the pip command."""

    kind = "missing_extra"

    def __init__(self, extra: str, feature: str, module: str | None = None) -> None:
        self.extra = extra
        self.feature = feature
        self.module = module
        self.pip = f"pip install 'pinchpoint[{extra}]'"
        needs = f"the optional dependency {module} (extra '{extra}')" if module else f"the '{extra}' extra"
        super().__init__(f"{feature} needs {needs}, which is not installed: {self.pip}")


class WorkspaceError(PinchpointError):
    """A workspace that cannot be opened or does not hold what was asked for. ``what`` names what is missing
    ("control lists", "restricted-party lists", "trade data"...), so an interface can say how to add it."""

    kind = "workspace"

    def __init__(self, message: str, *, what: str = "", option: str | None = None) -> None:
        self.what = what
        self.option = option
        super().__init__(message)


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """``import module``, or :class:`MissingExtraError` naming ``extra`` when it (or what it needs) is absent."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(extra, feature, module) from None


__all__ = ["BadArgumentError", "DataError", "Location", "MissingExtraError", "NotFoundError", "PinchpointError",
           "Problem", "Severity", "WorkspaceError", "as_problems", "import_extra"]
