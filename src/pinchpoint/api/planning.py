"""HTTP routes for planning: awards, projects, projection, targets and the planner, each one
``session.plan`` method. Every response is the CLI's JSON document: ``{table, meta, columns, rows}``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from pinchpoint.api.common import document, session
from pinchpoint.planning.params import MAX_BUDGET, MAX_FRONTIER_BUDGETS, MAX_HORIZON_YEARS

router = APIRouter(prefix="/planning", tags=["planning"])

MAX_MEASURES = 2000


@router.get("/incentives")
def incentives(request: Request, country: str | None = Query(None, max_length=3),
               programme: str | None = Query(None, max_length=60), stage: str | None = Query(None, max_length=20),
               since: str | None = Query(None, max_length=10, description="YYYY-MM-DD"),
               stored: str | None = Query(None, max_length=200, description="awards stored in the workspace: KEY "
                                          "or KEY@VERSION")) -> dict[str, Any]:
    """``incentives``: support-measure awards, each figure with its source."""
    return document(session(request).plan.incentives(stored=stored, country=country, programme=programme,
                                                     stage=stage, since=since))


@router.get("/incentives/versions")
def award_versions(request: Request) -> dict[str, Any]:
    """``incentives --versions``: the award versions stored in the workspace."""
    return document(session(request).plan.award_versions())


@router.get("/projects")
def projects(request: Request, country: str | None = Query(None, max_length=3),
             status: str | None = Query(None, max_length=30)) -> dict[str, Any]:
    """``projects``: the built-in capacity pipeline."""
    return document(session(request).plan.projects(country=country, status=status))


@router.get("/projection")
def projection(request: Request, first: int | None = Query(None, alias="from", ge=1990, le=2100),
               last: int | None = Query(None, alias="to", ge=1990, le=2100),
               draws: int | None = Query(None, ge=1, le=100_000), seed: int = Query(0, ge=0, le=2**32 - 1),
               delays: Literal["default", "none"] = "default",
               baseline: Literal["builtin", "none"] = "builtin",
               country: str | None = Query(None, max_length=3)) -> dict[str, Any]:
    """``projection``: capacity by region, node class and year, with Monte Carlo bands."""
    return document(session(request).plan.projection(first=first, last=last, draws=draws, seed=seed, delays=delays,
                                                     baseline=baseline, country=country))


@router.get("/targets")
def targets(request: Request) -> dict[str, Any]:
    """``projection --targets``."""
    return document(session(request).plan.targets())


class PlanRequest(BaseModel):
    measures: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_MEASURES)
    budget: float = Field(ge=0, le=MAX_BUDGET, description="USD million a year")
    dataset: str = Field("builtin", max_length=200, description="builtin or a workspace dataset NAME[@VERSION]")
    objective: Literal["max_share", "tts", "shortfall"] = "max_share"
    horizon_years: float = Field(5.0, gt=0, le=MAX_HORIZON_YEARS)
    coalition: list[str] | None = Field(None, max_length=60)
    scenarios: list[str] = Field(default_factory=list, max_length=50, description="packaged scenario names")
    inputs: list[str] | None = Field(None, max_length=500)
    target: str | None = Field(None, max_length=200)
    budgets: list[float] | None = Field(None, min_length=2, max_length=MAX_FRONTIER_BUDGETS)
    table: Literal["frontier", "portfolio", "effects", "excluded", "countries"] = "portfolio"
    time_limit: float = Field(10.0, gt=0, le=60)


@router.post("/plan")
def plan(request: Request, body: PlanRequest) -> dict[str, Any]:
    """``plan``: measures as records (the file format's fields), one table back."""
    result = session(request).plan.plan(body.measures, budget=body.budget, dataset=body.dataset,
                                        objective=body.objective, horizon_years=body.horizon_years,
                                        coalition=body.coalition, scenarios=body.scenarios, inputs=body.inputs,
                                        target=body.target, budgets=body.budgets, time_limit=body.time_limit)
    return document(result.table(body.table))
