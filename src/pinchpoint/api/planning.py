"""HTTP routes for planning: awards, projects, projection, targets and the planner (a thin shell over
pinchpoint.planning). Every response is the CLI's JSON document: ``{table, meta, columns, rows}``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

router = APIRouter(prefix="/planning", tags=["planning"])

MAX_MEASURES = 2000


def _doc(table: Any) -> dict[str, Any]:
    from pinchpoint.results.table import to_document

    return to_document(table)


@router.get("/incentives")
def incentives(country: str | None = Query(None, max_length=3), programme: str | None = Query(None, max_length=60),
               stage: str | None = Query(None, max_length=20),
               since: str | None = Query(None, max_length=10, description="YYYY-MM-DD")) -> dict[str, Any]:
    """Support-measure awards of the built-in registry, each figure with its source."""
    import datetime as dt

    from pinchpoint.errors import BadArgumentError
    from pinchpoint.planning.registry import awards_table, load_registry

    try:
        day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise BadArgumentError(f"since must be a date YYYY-MM-DD, not {since!r}", parameter="since") from None
    return _doc(awards_table(load_registry(), country=country, programme=programme, stage=stage, since=day))


@router.get("/projects")
def projects(country: str | None = Query(None, max_length=3),
             status: str | None = Query(None, max_length=30)) -> dict[str, Any]:
    from pinchpoint.planning.projects import load_projects, projects_table

    return _doc(projects_table(load_projects(), country=country, status=status))


@router.get("/projection")
def projection(first: int = Query(2025, alias="from", ge=1990, le=2100), last: int = Query(2034, alias="to",
                                                                                        ge=1990, le=2100),
               draws: int = Query(1000, ge=1, le=100_000), seed: int = Query(0, ge=0, le=2**32 - 1),
               delays: Literal["default", "none"] = "default") -> dict[str, Any]:
    """Capacity the built-in pipeline adds by country, node class and year, with Monte Carlo bands."""
    from pinchpoint.errors import BadArgumentError
    from pinchpoint.planning.projects import DelayModel, load_projects
    from pinchpoint.planning.projects import projection as run

    if last < first or last - first > 50:
        raise BadArgumentError("'to' must be from 'from' to 50 years after it", parameter="to")
    model = DelayModel.default() if delays == "default" else DelayModel.none()
    return _doc(run(load_projects(), {}, list(range(first, last + 1)), model=model, draws=draws, seed=seed))


@router.get("/targets")
def targets() -> dict[str, Any]:
    from pinchpoint.planning.projects import targets_table

    return _doc(targets_table())


class PlanRequest(BaseModel):
    measures: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_MEASURES)
    budget: float = Field(ge=0)
    objective: Literal["max_share", "tts", "shortfall"] = "max_share"
    horizon_years: float = Field(5.0, gt=0, le=50)
    coalition: list[str] | None = Field(None, max_length=60)
    scenarios: list[str] = Field(default_factory=list, max_length=50, description="packaged scenario names")
    table: Literal["frontier", "portfolio", "effects", "excluded", "countries"] = "portfolio"
    time_limit: float = Field(10.0, gt=0, le=60)


@router.post("/plan")
def plan(request: PlanRequest) -> dict[str, Any]:
    """The planner on the built-in dataset: measures as records (the file format's fields), one table back."""
    from pinchpoint.errors import NotFoundError
    from pinchpoint.planning.measures import check_unique, measure_from_record
    from pinchpoint.planning.planner import plan as run
    from pinchpoint.stress.scenario import load_scenario, packaged_scenarios
    from pinchpoint.supplychain.load import load_chain

    measures = [measure_from_record(rec, file="request", row=k + 1) for k, rec in enumerate(request.measures)]
    check_unique(measures, list(range(1, len(measures) + 1)), "request")
    known = packaged_scenarios()
    for name in request.scenarios:  # names only: the server never reads a path a client names
        if name not in known:
            raise NotFoundError(f"no packaged scenario {name!r} (packaged: {', '.join(known)})", what="scenario",
                                value=name, suggestions=list(known))
    result = run(load_chain("builtin"), measures, budget=request.budget, horizon_years=request.horizon_years,
                 objective=request.objective, coalition=request.coalition,
                 scenarios=[load_scenario(n) for n in request.scenarios], time_limit=request.time_limit)
    tables = {t.name.removeprefix("plan_"): t for t in result.tables()}
    return _doc(tables[request.table])
