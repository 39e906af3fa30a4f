"""Alert rules as YAML over any series: a level, a growth rate, the shipment-inventory balance or a forecast
crossing a threshold. ``evaluate`` checks every rule on the latest month and says since when each condition holds.

```yaml
rules:
  - name: U.S. chip output shrinking
    kind: growth            # level | growth | balance | forecast
    series: IPG3344S
    growth: yoy             # yoy | mom (growth only)
    below: 0                # or above:
  - name: Japan inventories outgrow shipments
    kind: balance
    shipments: jp_iip_epd_shipments
    inventories: jp_iip_epd_inventory
    below: 0
  - name: forecast falls under 160
    kind: forecast
    series: IPG3344S
    horizon: 6              # any month up to 6 ahead
    below: 160
```

Errors name the file, line and field (``pinchpoint.yamlio``); a series the workspace does not hold is an error at
its line, with the closest ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pinchpoint.errors import DataError, NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.trends.analysis import balance_arrays, pct_change
from pinchpoint.trends.series import FloatArray, Series, align, month_label
from pinchpoint.yamlio import Lines, locate, validate_model


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["level", "growth", "balance", "forecast"]
    series: str | None = Field(default=None, max_length=120)
    shipments: str | None = Field(default=None, max_length=120)
    inventories: str | None = Field(default=None, max_length=120)
    growth: Literal["yoy", "mom"] = "yoy"
    horizon: int = Field(default=6, ge=1, le=24)
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give one threshold: above or below")
        if self.kind == "balance":
            if not (self.shipments and self.inventories) or self.series:
                raise ValueError("a balance rule names shipments and inventories (and no series)")
        elif not self.series or self.shipments or self.inventories:
            raise ValueError(f"a {self.kind} rule names one series (and no shipments or inventories)")
        return self

    def series_ids(self) -> list[tuple[str, str]]:
        """(field, id) pairs this rule reads."""
        if self.kind == "balance":
            return [("shipments", self.shipments or ""), ("inventories", self.inventories or "")]
        return [("series", self.series or "")]

    def holds(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < (self.below or 0.0)

    def condition(self) -> str:
        return f"> {self.above:g}" if self.above is not None else f"< {self.below:g}"


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Rules:
    path: str
    rules: list[Rule]
    lines: Lines

    def line_of(self, k: int, field: str | None = None) -> int | None:
        return locate(self.lines, ("rules", k, field) if field else ("rules", k))


PACKAGED = Path(__file__).parent / "rules"


def packaged_rules() -> list[str]:
    return sorted(p.stem for p in PACKAGED.glob("*.yaml"))


def load_rules(path: str | Path) -> Rules:
    """Read and validate an alert-rule file (or a packaged rule set by name, such as ``chip-cycle``); errors name
    file, line and field."""
    p = Path(path)
    if not p.exists() and (PACKAGED / f"{path}.yaml").exists():
        p = PACKAGED / f"{path}.yaml"
    elif not p.exists():
        raise NotFoundError(f"no such file (packaged rule sets: {', '.join(packaged_rules())})", file=str(path),
                            suggestions=packaged_rules(), what="alert rules", value=str(path))
    parsed, lines = validate_model(p, RuleFile)
    return Rules(str(p), parsed.rules, lines)


def load_rules_text(text: str, label: str = "posted rules") -> Rules:
    """Rules from YAML text (an API request's body); errors name ``label``, the line and the field."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            parsed, lines = validate_model(path, RuleFile)
        except DataError as exc:
            loc = exc.location
            raise DataError(exc.problem, file=label, row=loc.row, field=loc.field) from None
    return Rules(label, parsed.rules, lines)


def check_series(rules: Rules, held: Sequence[str]) -> None:
    """Every series a rule names must be held: otherwise an error at its line, with the closest ids."""
    for k, rule in enumerate(rules.rules):
        for field, sid in rule.series_ids():
            if sid not in held:
                near = get_close_matches(sid, list(held), n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(near)}?)" if near else ""
                raise NotFoundError(f"no series {sid!r} in the workspace{hint}", suggestions=near, what="series",
                                    value=sid, file=rules.path, row=rules.line_of(k, field),
                                    field=f"rules.{k}.{field}")


def _since(flags: np.ndarray, start: int) -> str | None:
    """First month of the run of True ending at the last month, or None when the last month is False."""
    if not len(flags) or not flags[-1]:
        return None
    k = len(flags) - 1
    while k > 0 and flags[k - 1]:
        k -= 1
    return month_label(start + k)


def _values(rule: Rule, lookup: Callable[[str], Series]) -> tuple[int, FloatArray, str]:
    """(first month, the rule's quantity month by month, its unit) for level, growth and balance rules."""
    if rule.kind == "balance":
        start, (s, i) = align([lookup(rule.shipments or ""), lookup(rule.inventories or "")])
        bal, _ = balance_arrays(s, i)
        return start, bal, "pp"
    series = lookup(rule.series or "")
    if rule.kind == "level":
        return series.start, series.values, series.unit
    return series.start, pct_change(series.values, 12 if rule.growth == "yoy" else 1), "%"


def evaluate(rules: Rules, lookup: Callable[[str], Series], *,
             forecaster: Callable[[Series, int], ResultTable] | None = None) -> ResultTable:
    """Every rule on the latest month: the value, whether the condition holds, since when, and whether it is new
    this month. Forecast rules use ``forecaster(series, horizon)`` (default: the backtested forecast)."""
    if forecaster is None:
        from pinchpoint.trends.forecast import forecast as run

        def forecaster(s: Series, h: int) -> ResultTable:
            return run(s, horizon=h).forecast

    rows: list[dict[str, Any]] = []
    for rule in rules.rules:
        what = rule.series or f"{rule.shipments} vs {rule.inventories}"
        if rule.kind == "forecast":
            series = lookup(rule.series or "")
            fc = forecaster(series, rule.horizon)
            hit = next((r for r in fc.rows if rule.holds(float(r["forecast"]))), None)
            shown = hit or fc.rows[-1]
            rows.append({"rule": rule.name, "kind": rule.kind, "series": what, "month": shown["month"],
                         "value": float(shown["forecast"]), "unit": series.unit, "condition": rule.condition(),
                         "triggered": hit is not None, "since": None, "new": None,
                         "note": (f"{shown['model']} forecast {shown['horizon']} month(s) ahead from "
                                  f"{month_label(series.end)}; 80% interval {shown['lower_80']:.4g}.."
                                  f"{shown['upper_80']:.4g}")})
            continue
        start, values, unit = _values(rule, lookup)
        ok = np.isfinite(values)
        if not ok.any():
            rows.append({"rule": rule.name, "kind": rule.kind, "series": what, "month": None, "value": None,
                         "unit": unit, "condition": rule.condition(), "triggered": False, "since": None,
                         "new": None, "note": "no value yet (growth needs a year of data)"})
            continue
        last = int(np.flatnonzero(ok)[-1])
        flags = np.array([bool(ok[t] and rule.holds(float(values[t]))) for t in range(last + 1)])
        since = _since(flags, start)
        rows.append({"rule": rule.name, "kind": rule.kind, "series": what, "month": month_label(start + last),
                     "value": round(float(values[last]), 6), "unit": unit, "condition": rule.condition(),
                     "triggered": bool(flags[-1]), "since": since,
                     "new": bool(flags[-1] and (len(flags) < 2 or not flags[-2])), "note": ""})
    columns = ["rule", "kind", "series", "month", "value", "unit", "condition", "triggered", "since", "new", "note"]
    n_on = sum(1 for r in rows if r["triggered"])
    return ResultTable.from_records("trends_alerts", rows, columns, meta={
        "analysis": "alerts", "rules": rules.path, "triggered": n_on}).with_caveats(
        "each rule is checked on the latest month each series holds; 'since' is the first month of the current run "
        "in which the condition held, 'new' says it started this month",
        "forecast rules trigger when the backtest-chosen forecast crosses the threshold at any month up to the "
        "horizon; the 80% interval says how sure that is")
