"""A monthly indicator as data: id, name, unit, frequency, seasonal adjustment, source, vintage and its values.

Months are counted as integers (``year * 12 + month - 1``) so that arithmetic on dates is arithmetic on ints; a
series is a first month plus a contiguous float array (readers refuse gaps rather than invent values).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pinchpoint.errors import BadArgumentError, DataError, Problem

FloatArray = npt.NDArray[np.float64]
Adjustment = Literal["SA", "NSA", "unknown"]
#: the ``source`` of every series derived from the trade store starts with this (see :mod:`trends.trade_series`)
TRADE_SOURCE = "trade store: "


def is_trade_series(series: Series) -> bool:
    """Whether ``series`` was derived from the trade store (a flow of goods, not an indicator)."""
    return series.source.startswith(TRADE_SOURCE)
ADJUSTMENTS: tuple[str, ...] = ("SA", "NSA", "unknown")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}")


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """``2024-03`` for a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str) -> int:
    """``YYYY-MM`` (or ``YYYY-MM-DD``) as a month index; anything else is a ``ValueError``."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadArgumentError(f"not a month: {text!r} (give YYYY-MM)")
    return month_index(int(m.group(1)), int(m.group(2)))


def check_series_id(series_id: str) -> str:
    if not _ID.fullmatch(series_id):
        raise BadArgumentError(f"not a series id: {series_id!r} (letters, digits and _ . : - only, at most 120)")
    return series_id


#: what the readers report: the kernel's Problem (file, row, field, message, severity)
SeriesProblem = Problem


@dataclass(frozen=True)
class Series:
    """One monthly series. ``values[i]`` is the value of month ``start + i``; no month is missing."""

    id: str
    name: str
    unit: str
    start: int
    values: FloatArray = field(repr=False)
    frequency: str = "M"
    seasonal_adjustment: Adjustment = "unknown"
    source: str = ""
    vintage: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_series_id(self.id)
        if self.frequency != "M":
            raise ValueError(f"series {self.id}: frequency {self.frequency!r}; only monthly series (M) are held")
        if self.seasonal_adjustment not in ADJUSTMENTS:
            raise ValueError(f"series {self.id}: seasonal adjustment {self.seasonal_adjustment!r}, not one of "
                             f"{', '.join(ADJUSTMENTS)}")
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 1 or len(values) == 0:
            raise ValueError(f"series {self.id}: no values")
        if not np.isfinite(values).all():
            raise ValueError(f"series {self.id}: values must be finite (a missing month is refused by the reader)")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    @property
    def end(self) -> int:
        """The last month held (inclusive)."""
        return self.start + len(self.values) - 1

    @property
    def months(self) -> list[str]:
        return [month_label(self.start + i) for i in range(len(self.values))]

    def span(self) -> str:
        return f"{month_label(self.start)}..{month_label(self.end)}"

    def value_at(self, month: int) -> float | None:
        i = month - self.start
        return float(self.values[i]) if 0 <= i < len(self.values) else None

    def until(self, month: int) -> Series:
        """The series cut after ``month`` (what was known at that origin)."""
        n = month - self.start + 1
        if n < 1:
            raise ValueError(f"series {self.id} starts {month_label(self.start)}, after {month_label(month)}")
        return self.replace(values=self.values[:n])

    def since(self, month: int) -> Series:
        k = max(0, month - self.start)
        if k >= len(self.values):
            raise ValueError(f"series {self.id} ends {month_label(self.end)}, before {month_label(month)}")
        return self.replace(start=self.start + k, values=self.values[k:])

    def replace(self, **changes: Any) -> Series:
        fields: dict[str, Any] = {
                  "id": self.id, "name": self.name, "unit": self.unit, "start": self.start, "values": self.values,
                  "frequency": self.frequency, "seasonal_adjustment": self.seasonal_adjustment,
                  "source": self.source, "vintage": self.vintage, "notes": self.notes}
        fields.update(changes)
        return Series(**fields)

    def describe(self) -> dict[str, Any]:
        """The series' metadata as one record (what ``trends list`` shows)."""
        return {"id": self.id, "name": self.name, "unit": self.unit, "frequency": self.frequency,
                "seasonal_adjustment": self.seasonal_adjustment, "first": month_label(self.start),
                "last": month_label(self.end), "n": len(self.values), "source": self.source,
                "vintage": self.vintage}

    def to_document(self) -> dict[str, Any]:
        return {**self.describe(), "start": month_label(self.start), "values": [float(v) for v in self.values],
                "notes": list(self.notes)}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Series:
        return cls(id=doc["id"], name=doc["name"], unit=doc["unit"], start=parse_month(doc["start"]),
                   values=np.asarray(doc["values"], dtype=np.float64), frequency=doc.get("frequency", "M"),
                   seasonal_adjustment=doc.get("seasonal_adjustment", "unknown"), source=doc.get("source", ""),
                   vintage=doc.get("vintage", ""), notes=tuple(doc.get("notes", ())))


@dataclass
class SeriesFile:
    """What a reader got from one file: the series it could build and every problem it met."""

    path: str
    layout: str
    series: list[Series] = field(default_factory=list)
    problems: list[SeriesProblem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[SeriesProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def check(self) -> SeriesFile:
        """Raise a :class:`DataError` naming every error (file, row, field), or return ``self``."""
        errors = self.errors
        if errors:
            more = "" if len(errors) == 1 else f" (and {len(errors) - 1} more: " + "; ".join(
                str(p) for p in errors[1:6]) + (" ..." if len(errors) > 6 else "") + ")"
            raise DataError.from_problems(errors, more)
        return self


def align(series: Sequence[Series]) -> tuple[int, list[FloatArray]]:
    """The months all ``series`` share, as ``(first month, [values of each])``; an error if they share none."""
    lo = max(s.start for s in series)
    hi = min(s.end for s in series)
    if hi < lo:
        spans = ", ".join(f"{s.id} {s.span()}" for s in series)
        raise BadArgumentError(f"the series share no month: {spans}")
    return lo, [s.values[lo - s.start: hi - s.start + 1] for s in series]
