"""Scenarios as data: shocks, parameters and uncertainty ranges, validated by Pydantic from YAML.

A scenario file names the dataset it runs on (``builtin``, a path relative to the file, or a workspace dataset),
the horizon, the shocks, and the behavioural parameters. Every figure can carry a ``source``. See
``docs/stress.md`` for the meaning of each field and the packaged scenarios in ``stress/scenarios/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from pinchpoint.errors import NOT_A_NUMBER, DataError, Location, PinchpointError
from pinchpoint.yamlio import Lines, locate, validate_model


def _not_nan(value: Any) -> Any:
    """A NaN (YAML ``.nan``) fails every range test, so the range's message would name the wrong rule: say what is
    wrong instead. Infinity is left to the range checks (an infinite ARIO inventory is allowed)."""
    if isinstance(value, float) and value != value:
        raise ValueError(NOT_A_NUMBER)
    return value


#: A float field of a scenario: NaN refused as not a number, before any range check
Number = Annotated[float, BeforeValidator(_not_nan)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Recovery(_Strict):
    """How lost capacity comes back after ``duration`` days: ``step`` (all at once), ``linear`` (over
    ``ramp_days``), or ``points``: (day since the shock, capacity fraction) pairs, interpolated linearly."""

    shape: Literal["step", "linear", "points"] = "step"
    ramp_days: Number = Field(0.0, ge=0)
    points: tuple[tuple[Number, Number], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict | Recovery):
            return value
        shown = f"{value!r}" if isinstance(value, str | int | float | bool) or value is None else \
            f"a {type(value).__name__}"
        raise ValueError(f"recovery is a mapping with a shape, not {shown}: {{shape: step}} (all back at once after "
                         "the duration), {shape: linear, ramp_days: DAYS} or {shape: points, points: [[DAY, "
                         "CAPACITY], ...]} (days since the shock, capacity fractions from 0 to 1)")

    @model_validator(mode="after")
    def _points_valid(self) -> Recovery:
        if self.shape == "points":
            if len(self.points) < 2:
                raise ValueError("a 'points' recovery needs at least two (day, capacity) points")
            days = [d for d, _ in self.points]
            if days != sorted(days):
                raise ValueError("recovery points must be in order of day")
            if any(not 0 <= c <= 1 for _, c in self.points):
                raise ValueError("recovery capacities are fractions between 0 and 1")
        return self


class _Shock(_Strict):
    start: Number = Field(0.0, ge=0, description="day the shock begins")
    duration: Number = Field(30.0, ge=0, description="days at full severity before recovery begins")
    recovery: Recovery = Recovery()
    source: str = ""
    note: str = ""

    def severity(self, days: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Fraction of the shock in force on each day (1 = full), before multiplying by its size."""
        t = np.asarray(days, dtype=float) - self.start
        out = np.zeros_like(t)
        active = t >= 0
        duration = self.duration * scale
        if self.recovery.shape == "points":
            pts = np.array(self.recovery.points, dtype=float)
            # capacity fraction -> severity; days in the points count from the start of the shock
            out[active] = 1.0 - np.interp(t[active], pts[:, 0] * scale, pts[:, 1], left=0.0, right=pts[-1, 1])
            return np.clip(out, 0.0, 1.0)
        out[active & (t < duration)] = 1.0
        if self.recovery.shape == "linear" and self.recovery.ramp_days > 0:
            ramp = active & (t >= duration)
            out[ramp] = np.clip(1.0 - (t[ramp] - duration) / (self.recovery.ramp_days * scale), 0.0, 1.0)
        return out


class CapacityLoss(_Shock):
    """Loss of a fraction of the supply of a country, an organisation, or one input from a country."""

    type: Literal["capacity_loss"]
    country: str | None = None
    organisation: str | None = None
    input: str | None = Field(None, description="limit the loss to one input (id)")
    fraction: Number = Field(1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _one_target(self) -> CapacityLoss:
        if (self.country is None) == (self.organisation is None):
            raise ValueError("a capacity_loss names exactly one of 'country' or 'organisation'")
        return self


class ExportBan(_Shock):
    """A country stops (a fraction of) its exports; some may leak through third countries."""

    type: Literal["export_ban"]
    country: str
    inputs: tuple[str, ...] = Field((), description="inputs covered (default: all the country supplies)")
    fraction: Number = Field(1.0, ge=0, le=1, description="share of exports stopped")
    leakage: Number = Field(0.0, ge=0, le=1, description="share of the stopped flow that still arrives via "
                                                           "third countries")


class DemandSurge(_Shock):
    """Demand for outputs rises by ``increase`` (0.17 = +17%)."""

    type: Literal["demand_surge"]
    increase: Number = Field(gt=-1)
    outputs: tuple[str, ...] = Field((), description="outputs affected (default: all)")


Shock = Annotated[CapacityLoss | ExportBan | DemandSurge, Field(discriminator="type")]


class Parameters(_Strict):
    """Behaviour of the network under stress (defaults documented in docs/stress.md)."""

    inventory_days: dict[str, Number] = Field(
        default_factory=lambda: {"material": 30.0, "output": 40.0},
        description="days of normal use held in stock, by input kind or input id")
    spare_capacity: Number = Field(0.05, ge=0, le=1, description="extra output other suppliers can add, as a "
                                                                 "fraction of world supply")
    ramp_up_days: Number = Field(90.0, ge=0, description="days for other suppliers to reach their spare capacity")
    qualification_days: Number = Field(60.0, ge=0, description="days before a buyer can use a new supplier")
    tool_decay_per_day: Number = Field(0.002, ge=0, le=1, description="share of an installed tool base lost per "
                                                                      "day without new tools and service")
    rationing: Literal["proportional", "priority"] = Field(
        "proportional", description="how a scarce input shared by several outputs is divided: in proportion to "
                                    "their normal use, or to the 'priority' outputs first")
    priority: tuple[str, ...] = Field((), description="outputs served first under 'priority' rationing")

    @model_validator(mode="after")
    def _priority_given(self) -> Parameters:
        if self.rationing == "priority" and not self.priority:
            raise ValueError("'priority' rationing needs a 'priority' list of outputs")
        return self
    recovery_days: dict[str, Number] = Field(
        default_factory=lambda: {"tool": 365.0, "process": 180.0, "material": 90.0, "design": 30.0,
                                 "output": 90.0},
        description="time to recover (TTR) of a lost supplier, by input kind or id, for the TTS/TTR analysis")


class ArioParameters(_Strict):
    """Parameters of the ARIO-compatible mode (``--engine ario``); the defaults are BoARIO's documented
    defaults (Hallegatte 2008; Guan et al. 2020)."""

    alpha_base: Number = Field(1.0, ge=1.0, description="normal over-production factor")
    alpha_max: Number = Field(1.25, ge=1.0, description="ceiling of temporary over-production (Hallegatte 2008: 1.25)")
    alpha_tau: Number = Field(365.0, gt=0, description="days for over-production to adjust")
    inventory_days: Number = Field(90.0, gt=1, description="target stock of every input, in days of use")
    inventory_days_by_sector: dict[str, Number] = Field(default_factory=dict, description="per input sector; "
                                                       ".inf in YAML for inputs that never run short (e.g. services)")
    psi: Number = Field(0.8, gt=0, le=1, description="production is cut when a stock falls below psi x its target")
    restoration_tau: Number = Field(60.0, gt=0, description="days over which a stock gap is re-ordered")
    order_shares: Literal["capacity", "fixed"] = "capacity"
    embargoed: tuple[str, ...] = Field((), description="regions that suppliers in other regions serve nothing "
                                       "(zero-to-embargoed rationing; their share of output goes to other buyers)")
    collapse_fraction: Number = Field(0.5, ge=0, le=1, description="stop with an error when total production falls "
                                     "below this fraction of its baseline (a collapsing economy is flagged)")


class Uncertain(_Strict):
    """A parameter drawn uniformly between ``low`` and ``high`` in each Monte Carlo run."""

    target: Literal["fraction", "duration", "inventory_scale", "spare_capacity", "increase"]
    shock: int | None = Field(None, description="index of the shock it applies to (default: all)")
    low: Number
    high: Number
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Uncertain:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class SourceRef(_Strict):
    id: str
    citation: str
    url: str | None = None


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    description: str = ""
    dataset: str = "builtin"
    target: str | None = Field(None, description="the end product to report first (default: the dataset's)")
    horizon_days: int = Field(365, ge=1, le=3650)
    shocks: tuple[Shock, ...] = Field(min_length=1)
    parameters: Parameters = Parameters()
    ario: ArioParameters = ArioParameters()
    uncertainty: tuple[Uncertain, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    origin: str = Field("", description="file the scenario was read from (set by the loader)")
    _lines: Lines = PrivateAttr(default_factory=dict)  # line of every key and item in the file it was read from

    def uncertainty_problems(self) -> list[tuple[Location, str]]:
        """Uncertain parameters that would change nothing: a shock index out of range, or a target the shocks it
        applies to do not have (``fraction`` of a demand surge, ``increase`` of a capacity loss)."""
        fields: dict[str, tuple[type[_Shock], ...]] = {"fraction": (CapacityLoss, ExportBan),
                                                       "increase": (DemandSurge,)}
        kinds = {CapacityLoss: "capacity_loss", ExportBan: "export_ban", DemandSurge: "demand_surge"}
        problems: list[tuple[Location, str]] = []
        for k, u in enumerate(self.uncertainty):
            if u.shock is not None and not 0 <= u.shock < len(self.shocks):
                problems.append((self.where("uncertainty", k, "shock"),
                                 f"shock {u.shock} does not exist: the scenario's {len(self.shocks)} shock(s) are "
                                 f"numbered 0 to {len(self.shocks) - 1}"))
                continue
            if u.target not in fields:
                continue
            applies = fields[u.target]
            names = " and ".join(kinds[c] for c in applies)
            if u.shock is not None and not isinstance(self.shocks[u.shock], applies):
                problems.append((self.where("uncertainty", k, "target"),
                                 f"'{u.target}' varies {names} shocks; shock {u.shock} is a "
                                 f"{self.shocks[u.shock].type}, so this would change nothing"))
            elif u.shock is None and not any(isinstance(s, applies) for s in self.shocks):
                problems.append((self.where("uncertainty", k, "target"),
                                 f"'{u.target}' varies {names} shocks and the scenario has none, so this would "
                                 "change nothing"))
        return problems

    def where(self, *path: Any) -> Location:
        """The file, line and field of ``path`` (``("shocks", 0, "country")``) in the file the scenario came from."""
        return Location(self.origin or None, locate(self._lines, path) if self._lines else None,
                        ".".join(str(p) for p in path) or None)

    def dataset_ref(self) -> str:
        """The dataset, with a relative path resolved against the scenario file."""
        if self.dataset in ("builtin", "semiconductors-builtin") or not self.origin:
            return self.dataset
        candidate = Path(self.origin).parent / self.dataset
        return str(candidate) if candidate.exists() else self.dataset


    def dataset_error(self, exc: PinchpointError) -> PinchpointError:
        """An error loading the scenario's dataset, located at its ``dataset`` line unless it names a file of its
        own (a bad row in the dataset)."""
        if isinstance(exc, DataError) and exc.location.file:
            return exc
        where = self.where("dataset")
        problem = exc.problem if isinstance(exc, DataError) else str(exc)
        return DataError(f"cannot open dataset {self.dataset!r}: {problem}", file=where.file, row=where.row,
                         field=where.field)

    def open_dataset(self, workspace: Any = None) -> Any:
        """The :class:`~pinchpoint.supplychain.model.SupplyChain` the scenario names (``workspace``: a
        :class:`~pinchpoint.workspace.Workspace` for dataset names)."""
        from pinchpoint.supplychain.load import load_chain

        try:
            return load_chain(self.dataset_ref(), workspace=workspace)
        except PinchpointError as exc:
            raise self.dataset_error(exc) from None


def scenario_folder() -> Path:
    return Path(str(files("pinchpoint.stress") / "scenarios"))


def packaged_scenarios() -> dict[str, Path]:
    return {p.stem: p for p in sorted(scenario_folder().glob("*.yaml"))}


def load_scenario(ref: str | Path) -> Scenario:
    """A packaged scenario by name, or a YAML file."""
    path = Path(ref)
    if not path.exists():
        known = packaged_scenarios()
        if str(ref) not in known:
            from pinchpoint.errors import NotFoundError
            from pinchpoint.supplychain.suggest import closest, did_you_mean

            choices = {k: "" for k in known}
            near = closest(str(ref), choices)
            # did_you_mean lists every packaged scenario when none is close: list them once
            raise NotFoundError(f"no scenario file or packaged scenario {str(ref)!r}: "
                                + did_you_mean(str(ref), choices, "packaged scenarios")
                                + (f" (packaged: {', '.join(known)})" if near else ""), suggestions=near,
                                what="scenario", value=str(ref), file=str(ref))
        path = known[str(ref)]
    scenario, lines = validate_model(path, Scenario)
    scenario = scenario.model_copy(update={"origin": str(path)})
    scenario._lines = lines
    return scenario
