"""Candidate support measures for the planner: what each one buys, what it costs and when it is ready.

A measure acts on one input of a supply-chain dataset:

* ``capacity``: new capacity in ``country`` equal to ``capacity`` x the input's current world supply (a new fab,
  plant or line). It changes the input's normal country shares and, under stress, replaces lost supply unless
  its own country is hit.
* ``qualification``: an existing supplier in ``country`` qualified for ``capacity`` x world supply. Normal shares
  do not change; under stress it replaces lost supply like new capacity.
* ``coalition_sourcing``: contracts moving ``capacity`` x world supply of purchases to the members of the
  coalition; under stress it replaces lost supply unless the coalition itself is hit.
* ``stockpile``: ``days`` of the input's normal use held in stock.

Costs are in millions of USD: ``cost`` is spent evenly over ``lead_time_years`` (at least one year, starting in
year 0), ``annual_cost`` every year once the measure is ready (holding a stockpile, running a contract).
Candidates are read from CSV, YAML or JSON; every problem names the file, row and field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.kernel.countries import is_country_code, normalise_country
from pinchpoint.supplychain.csvio import number_text

MEASURE_COLUMNS = ("id", "kind", "input", "country", "capacity", "days", "cost", "annual_cost", "lead_time_years",
                   "source")


class MeasureKind(StrEnum):
    CAPACITY = "capacity"
    QUALIFICATION = "qualification"
    COALITION = "coalition_sourcing"
    STOCKPILE = "stockpile"


@dataclass(frozen=True)
class Measure:
    """One candidate measure (see the module docstring for each kind's meaning)."""

    id: str
    kind: MeasureKind
    input: str
    country: str | None = None  # where the capacity or supplier is (capacity, qualification)
    capacity: float = 0.0  # fraction of the input's current world supply
    days: float = 0.0  # stockpile: days of normal use
    cost: float = 0.0  # USD million, spent over the lead time
    annual_cost: float = 0.0  # USD million per year once ready
    lead_time_years: float = 0.0
    source: str = ""
    origin: str = ""  # the file it was read from, for errors about it
    row: int | None = None

    def spend(self, years: int) -> list[float]:
        """USD million spent in each year 0 .. years-1."""
        build = max(1, math.ceil(self.lead_time_years - 1e-9))
        ready = math.ceil(self.lead_time_years - 1e-9)
        return [(self.cost / build if y < build else 0.0) + (self.annual_cost if y >= ready else 0.0)
                for y in range(years)]

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "input": self.input, "country": self.country,
                "capacity": self.capacity, "days": self.days, "cost": self.cost, "annual_cost": self.annual_cost,
                "lead_time_years": self.lead_time_years, "source": self.source}


def _number(raw: Any, *, file: str, row: int, field: str, default: float = 0.0) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        raise DataError(f"expected a number, found {raw!r}", file=file, row=row, field=field)
    try:
        value = float(number_text(raw, file=file, row=row, field=field)) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise DataError(f"expected a number, found {raw!r}", file=file, row=row, field=field) from None
    if not math.isfinite(value):
        raise DataError(f"expected a finite number, found {raw!r}", file=file, row=row, field=field)
    if value < 0:
        raise DataError(f"must not be negative, found {raw!r}", file=file, row=row, field=field)
    return value


def measure_from_record(rec: dict[str, Any], *, file: str, row: int) -> Measure:
    """One measure from a row (CSV) or mapping (YAML, JSON), checked field by field."""
    unknown = sorted(set(rec) - set(MEASURE_COLUMNS) - {None})
    if unknown:
        raise DataError(f"unknown field(s) {', '.join(map(repr, unknown))} (fields: {', '.join(MEASURE_COLUMNS)})",
                        file=file, row=row, field=str(unknown[0]))
    ident = str(rec.get("id") or "").strip()
    if not ident:
        raise DataError("a measure needs an id", file=file, row=row, field="id")
    kind_text = str(rec.get("kind") or "").strip()
    try:
        kind = MeasureKind(kind_text)
    except ValueError:
        raise DataError(f"unknown kind {kind_text!r} (kinds: {', '.join(k.value for k in MeasureKind)})",
                        file=file, row=row, field="kind") from None
    input_id = str(rec.get("input") or "").strip()
    if not input_id:
        raise DataError("a measure names the input it acts on", file=file, row=row, field="input")
    country_text = str(rec.get("country") or "").strip()
    country: str | None = None
    if country_text:
        code = normalise_country(country_text)
        if code is None or not is_country_code(code):
            from pinchpoint.kernel.countries import unknown_country_message

            raise DataError(unknown_country_message(country_text), file=file, row=row, field="country")
        country = code
    num = {f: _number(rec.get(f), file=file, row=row, field=f)
           for f in ("capacity", "days", "cost", "annual_cost", "lead_time_years")}
    if kind in (MeasureKind.CAPACITY, MeasureKind.QUALIFICATION) and country is None:
        raise DataError(f"a {kind.value} measure names the country where the supply is", file=file, row=row,
                        field="country")
    if kind is MeasureKind.STOCKPILE and country is not None:
        raise DataError("a stockpile has no country (it is held by the buyer)", file=file, row=row, field="country")
    if kind is MeasureKind.COALITION and country is not None:
        raise DataError("coalition sourcing draws on the coalition as a whole: leave country blank", file=file,
                        row=row, field="country")
    if kind is MeasureKind.STOCKPILE:
        if num["days"] <= 0:
            raise DataError("a stockpile holds a positive number of days", file=file, row=row, field="days")
        if num["capacity"]:
            raise DataError("a stockpile is given in days, not capacity", file=file, row=row, field="capacity")
    else:
        if num["capacity"] <= 0:
            raise DataError(f"a {kind.value} measure adds a positive capacity (a fraction of world supply)",
                            file=file, row=row, field="capacity")
        if num["capacity"] > 10:
            raise DataError(f"capacity {num['capacity']} is more than ten times world supply: give it as a fraction "
                            "(0.05 = 5% of world supply)", file=file, row=row, field="capacity")
        if num["days"]:
            raise DataError(f"days apply to stockpiles, not to a {kind.value} measure", file=file, row=row,
                            field="days")
    if num["cost"] + num["annual_cost"] <= 0:
        raise DataError("a measure costs something: give cost or annual_cost", file=file, row=row, field="cost")
    return Measure(ident, kind, input_id, country, num["capacity"], num["days"], num["cost"], num["annual_cost"],
                   num["lead_time_years"], str(rec.get("source") or "").strip(), file, row)


def check_unique(measures: Sequence[Measure], rows: Sequence[int], file: str) -> None:
    seen: dict[str, int] = {}
    for m, row in zip(measures, rows, strict=True):
        if m.id in seen:
            raise DataError(f"measure id {m.id!r} repeats the one on row {seen[m.id]}", file=file, row=row,
                            field="id")
        seen[m.id] = row


def example_measures_path() -> Path:
    """The packaged example for the built-in dataset (illustrative figures, not cited: see the file)."""
    from importlib.resources import files

    return Path(str(files("pinchpoint.planning") / "data" / "example_measures.yaml"))


def load_measures(path: str | Path) -> tuple[Measure, ...]:
    """Candidate measures from a CSV, YAML (a list, or a mapping with ``measures``) or JSON file; ``example``
    names the packaged example for the built-in dataset."""
    if str(path) == "example" and not Path(path).exists():
        path = example_measures_path()
    p = Path(path)
    if not p.is_file():
        raise DataError("no such file (candidate measures: a .csv, .yaml or .json file, or 'example')",
                        file=str(path))
    name = str(path)
    suffix = p.suffix.lower()
    records: list[tuple[int, dict[str, Any]]] = []
    if suffix == ".csv":
        from pinchpoint.supplychain.csvio import read_rows

        records = list(read_rows(p, ("id", "kind", "input"), name))
    elif suffix in (".yaml", ".yml", ".json"):
        if suffix == ".json":
            from pinchpoint.yamlio import read_json

            doc: Any = read_json(p)  # capped: size, encoding, nesting
            lines: dict[Any, int] = {}
        else:
            from pinchpoint.yamlio import load_yaml

            doc, lines = load_yaml(p)
        items = doc.get("measures") if isinstance(doc, dict) else doc
        prefix: tuple[Any, ...] = ("measures",) if isinstance(doc, dict) else ()
        if not isinstance(items, list) or not items:
            raise DataError("expected a non-empty list of measures (or a mapping with a 'measures' list)", file=name)
        from pinchpoint.yamlio import locate

        for k, item in enumerate(items):
            row = (locate(lines, (*prefix, k)) if lines else None) or k + 1
            if not isinstance(item, dict):
                raise DataError(f"measure {k + 1} is not a mapping of fields", file=name, row=row)
            records.append((row, item))
    else:
        raise DataError("unrecognised file type for measures: expected .csv, .yaml, .yml or .json", file=name)
    measures = [measure_from_record(rec, file=name, row=row) for row, rec in records]
    check_unique(measures, [row for row, _ in records], name)
    return tuple(measures)


def write_measures(measures: Iterable[Measure], path: str | Path) -> None:
    """Write measures as CSV (the format :func:`load_measures` reads)."""
    from pinchpoint.results.table import SpreadsheetSafeDictWriter

    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = SpreadsheetSafeDictWriter(fh, fieldnames=list(MEASURE_COLUMNS))
        writer.writeheader()
        for m in measures:
            rec = m.record()
            writer.writerow({k: ("" if v is None else v) for k, v in rec.items()})
