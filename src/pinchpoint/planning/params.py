"""The planner's parameters as people type them (a form, a command line, a request): read and checked against
one set of limits.

Every interface reads its text through here and :func:`pinchpoint.planning.planner.plan` checks the numbers again,
so the CLI, the API, the workbench and a library caller accept the same values and refuse the rest with the same
message, which states the allowed range.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pinchpoint.errors import BadArgumentError

#: A budget is USD million a year. Up to USD 1 trillion a year: ~20 times the CHIPS Act's whole USD 52.7 bn, so no
#: real programme is refused, while a figure typed in USD instead of USD million (52,700,000,000) is.
MIN_BUDGET, MAX_BUDGET = 0.0, 1_000_000.0
#: The horizon in years: more than nothing (no measure could be ready) and at most 50 (the problem has a variable
#: per measure and year, so a huge horizon is a huge programme).
MAX_HORIZON_YEARS = 50.0
#: Frontier budgets one request may ask for (each is one mixed-integer solve).
MAX_FRONTIER_BUDGETS = 50
OBJECTIVES = ("max_share", "tts", "shortfall")
#: What the workbench's planner form sends when a field is left empty.
DEFAULT_BUDGET, DEFAULT_HORIZON_YEARS, DEFAULT_OBJECTIVE = 500.0, 5.0, "max_share"
MAX_SCENARIOS = 5


def _shown(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def read_number(text: str | float | None, parameter: str, default: float | None = None) -> float:
    """A number typed as text (or given as one); empty text is ``default`` when there is one. Anything else, NaN
    and infinities included, is a :class:`BadArgumentError` naming ``parameter``."""
    if isinstance(text, bool):
        raise BadArgumentError(f"{parameter}: a number, not {text!r}", parameter=parameter)
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        t = (text or "").strip()
        if not t:
            if default is None:
                raise BadArgumentError(f"{parameter}: a number is required", parameter=parameter)
            return default
        try:
            value = float(t)
        except ValueError:
            raise BadArgumentError(f"{parameter}: a number, not {t[:40]!r}", parameter=parameter) from None
    if not math.isfinite(value):
        raise BadArgumentError(f"{parameter}: a finite number, not {value}", parameter=parameter)
    return value


def check_budget(value: float, parameter: str = "budget") -> float:
    """``value`` if it is a budget the planner takes (USD million a year, :data:`MIN_BUDGET` to
    :data:`MAX_BUDGET`), else an error stating that range."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and MIN_BUDGET <= value <= MAX_BUDGET):
        hint = (" (a figure in USD? budgets are in USD million)" if isinstance(value, (int, float))
                and math.isfinite(value) and value > MAX_BUDGET else "")
        raise BadArgumentError(f"{parameter}: USD million a year, from {_shown(MIN_BUDGET)} to {_shown(MAX_BUDGET)}, "
                               f"not {value:g}{hint}", parameter=parameter)
    return float(value)


def check_horizon(value: float, parameter: str = "horizon") -> float:
    """``value`` if it is a horizon the planner takes (years, more than 0, at most :data:`MAX_HORIZON_YEARS`)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= MAX_HORIZON_YEARS):
        raise BadArgumentError(f"{parameter}: years, more than 0 and at most {_shown(MAX_HORIZON_YEARS)}, "
                               f"not {value:g}", parameter=parameter)
    return float(value)


def check_budgets(values: Sequence[float], parameter: str = "budgets",
                  max_points: int = MAX_FRONTIER_BUDGETS) -> list[float]:
    """Frontier budgets: each a budget (:func:`check_budget`), at most ``max_points`` of them."""
    if len(values) > max_points:
        raise BadArgumentError(f"{parameter}: at most {max_points} budgets, not {len(values)}", parameter=parameter)
    return [check_budget(v, parameter) for v in values]


def read_budgets(text: str | Sequence[float] | None, parameter: str = "budgets",
                 max_points: int = MAX_FRONTIER_BUDGETS) -> list[float] | None:
    """Frontier budgets typed as numbers separated by commas, semicolons or spaces (or given as numbers); None
    when there are none (the planner's default frontier)."""
    if text is None:
        return None
    if isinstance(text, str):
        parts = [p for p in re.split(r"[\s,;]+", text) if p]
        if not parts:
            return None
        values = []
        for p in parts:
            try:
                values.append(float(p))
            except ValueError:
                raise BadArgumentError(f"{parameter}: numbers separated by commas, not {p[:40]!r}",
                                       parameter=parameter) from None
    else:
        values = [read_number(v, parameter) for v in text]
    return check_budgets(values, parameter, max_points)


@dataclass(frozen=True)
class PlanInputs:
    """The planner's question as typed: what :meth:`pinchpoint.session.plan.PlanGroup.plan` takes, checked."""

    budget: float = DEFAULT_BUDGET
    objective: str = DEFAULT_OBJECTIVE
    horizon_years: float = DEFAULT_HORIZON_YEARS
    coalition: str | None = None
    scenarios: tuple[str, ...] = ()
    target: str | None = None
    budgets: tuple[float, ...] | None = None

    @classmethod
    def from_text(cls, fields: Mapping[str, str], *, max_budgets: int = MAX_FRONTIER_BUDGETS) -> PlanInputs:
        """Read a form's fields (``budget``, ``objective``, ``horizon``, ``coalition``, ``scenario``, ``target``,
        ``budgets``; empty ones take the defaults), each checked against the limits above."""
        objective = fields.get("objective", "").strip() or DEFAULT_OBJECTIVE
        if objective not in OBJECTIVES:
            raise BadArgumentError(f"objective: one of {', '.join(OBJECTIVES)}", parameter="objective")
        budgets = read_budgets(fields.get("budgets", ""), "budgets", max_budgets)
        return cls(budget=check_budget(read_number(fields.get("budget"), "budget", DEFAULT_BUDGET)),
                   objective=objective,
                   horizon_years=check_horizon(read_number(fields.get("horizon"), "horizon",
                                                           DEFAULT_HORIZON_YEARS)),
                   coalition=fields.get("coalition", "").strip() or None,
                   scenarios=tuple(s for s in re.split(r"[\s,]+", fields.get("scenario", "")) if s)[:MAX_SCENARIOS],
                   target=fields.get("target", "").strip() or None,
                   budgets=tuple(budgets) if budgets is not None else None)

    def command(self, measures: str, time_limit: float) -> str:
        """The ``pinchpoint plan`` command line that asks this question of ``measures`` (a file name, or the
        packaged "example"), quoted as :func:`pinchpoint.results.table.cli_command` quotes every recorded command."""
        from pinchpoint.results.table import cli_command

        return cli_command(["plan"], [
            ("--measures", measures), ("--budget", self.budget), ("--objective", self.objective),
            ("--horizon", self.horizon_years), ("--time-limit", time_limit), ("--coalition", self.coalition),
            ("--scenario", list(self.scenarios)), ("--target", self.target),
            ("--budgets", ",".join(f"{b:g}" for b in self.budgets) if self.budgets is not None else None)])

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :meth:`pinchpoint.session.plan.PlanGroup.plan` for this question."""
        return {"budget": self.budget, "objective": self.objective, "horizon_years": self.horizon_years,
                "coalition": self.coalition, "scenarios": list(self.scenarios), "target": self.target,
                "budgets": list(self.budgets) if self.budgets is not None else None}
