"""HTTP routes for stress tests: the packaged scenarios and a run of a packaged or posted (YAML) scenario with any
engine. A run returns one table of its bundle (default the headline, as ``pinchpoint stress -f json`` prints)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from pinchpoint.api.common import document, session
from pinchpoint.session.stress import MAX_POSTED_SCENARIO_BYTES

router = APIRouter(prefix="/stress", tags=["stress tests"])
MAX_API_RUNS = 1000  # Monte Carlo runs one request may ask for (the CLI allows 100,000)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(None, max_length=200, description="A packaged scenario name")
    yaml: str | None = Field(None, max_length=MAX_POSTED_SCENARIO_BYTES, description="A scenario as YAML text")
    engine: Literal["static", "tts", "dynamic", "ario"] = "dynamic"
    dataset: str | None = Field(None, max_length=200, description="'builtin' or a workspace dataset instead of "
                                "the scenario's")
    mrio: Literal["pymrio:test"] | None = None
    runs: int = Field(1, ge=1, le=MAX_API_RUNS)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    target: str | None = Field(None, max_length=200)
    table: str | None = Field(None, max_length=40, description="Which table of the run: summary (default), "
                              "series, binding, capacity (dynamic); series (ario)")


@router.get("/scenarios")
def scenarios(request: Request) -> dict[str, Any]:
    """``scenarios list``."""
    return document(session(request).stress.scenarios())


@router.get("/scenarios/{name}", response_class=PlainTextResponse)
def scenario(request: Request, name: str) -> str:
    """``scenarios show``: a packaged scenario's YAML with its sources."""
    return session(request).stress.scenario_text(name[:200])


@router.post("/run")
def run(request: Request, body: RunRequest) -> dict[str, Any]:
    """``stress``: a packaged scenario (``scenario``) or a posted one (``yaml``) with any engine."""
    stress = session(request).stress
    if (body.scenario is None) == (body.yaml is None):
        raise ValueError("give either scenario (a packaged name) or yaml (a scenario's text)")
    chosen = stress.scenario_from_yaml(body.yaml) if body.yaml is not None else body.scenario
    assert chosen is not None
    result = stress.run(chosen, engine=body.engine, dataset=body.dataset, mrio=body.mrio, runs=body.runs,
                        seed=body.seed, target=body.target)
    return document(result.table(body.table))


@router.get("/run/{name}")
def run_packaged(request: Request, name: str,
                 engine: Literal["static", "tts", "dynamic"] = "dynamic",
                 dataset: str | None = Query(None, max_length=200), runs: int = Query(1, ge=1, le=MAX_API_RUNS),
                 seed: int = Query(0, ge=0), target: str | None = Query(None, max_length=200)) -> dict[str, Any]:
    """A packaged scenario's headline table (a link to share)."""
    result = session(request).stress.run(name[:200], engine=engine, dataset=dataset, runs=runs, seed=seed,
                                         target=target)
    return document(result.headline)
