"""HTTP routes for monthly indicators: import (posted CSV text), list, show, forecast, cycle (and the backtested
early warning), watch (alert rules). Each returns the JSON document ``pinchpoint trends ... -f json`` prints for
the same question."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pinchpoint.api.common import document, session

router = APIRouter(prefix="/trends", tags=["trends"])
SeriesRef = Annotated[str, Query(max_length=130, description="Series id, or id@version")]
Month = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{1,2}$", description="YYYY-MM")]
MAX_POSTED_CHARS = 3_000_000


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_POSTED_CHARS, description="The CSV file's text")
    name: str = Field("posted file", max_length=200, description="What problems call the file")
    source: str = Field("auto", max_length=40, description="fred, meti-iip, indicators-wide, indicators-long, "
                        "estat or auto")
    id: str | None = Field(None, max_length=120)
    series_name: str | None = Field(None, max_length=300)
    unit: str | None = Field(None, max_length=100)
    seasonal_adjustment: str | None = Field(None, pattern="^(SA|NSA|unknown)$")


class WatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: str | None = Field(None, max_length=100, description="A packaged rule set, such as chip-cycle")
    yaml: str | None = Field(None, max_length=200_000, description="Alert rules as YAML")


@router.post("/import")
def import_(request: Request, body: ImportBody) -> dict[str, Any]:
    """``trends import`` of one posted CSV file (the server reads no local files)."""
    meta = {"id": body.id, "name": body.series_name, "unit": body.unit,
            "seasonal_adjustment": body.seasonal_adjustment}
    return document(session(request).trends.import_text(body.text, label=body.name, source=body.source, meta=meta))


@router.get("/series")
def list_(request: Request) -> dict[str, Any]:
    """``trends list``."""
    return document(session(request).trends.list())


@router.get("/series/{series}")
def show(request: Request, series: str, inventories: Annotated[str | None, Query(max_length=130)] = None,
         lead: Annotated[str | None, Query(max_length=130)] = None, stl: bool = False) -> dict[str, Any]:
    """``trends show``: growth rates; or the balance with ``inventories``; or the lead/lag of ``lead``; or STL."""
    return document(session(request).trends.show(series, inventories=inventories, lead=lead, stl=stl).table)


@router.get("/series/{series}/forecast")
def forecast(request: Request, series: str, horizon: int = Query(12, ge=1, le=36), origins_from: Month = None,
             refit_every: int = Query(12, ge=1, le=120), score_from: Month = None,
             show: str = Query("forecast", pattern="^(forecast|backtest)$")) -> dict[str, Any]:
    """``trends forecast`` (``show=backtest``: the backtest table); ``origins_from`` is the CLI's ``--from``."""
    fc = session(request).trends.forecast(series, horizon=horizon, origins_from=origins_from,
                                          refit_every=refit_every, score_from=score_from)
    return document(fc.accuracy if show == "backtest" else fc.forecast)


@router.get("/series/{series}/cycle")
def cycle(request: Request, series: str, min_phase: int = Query(6, ge=1, le=60),
          min_cycle: int = Query(15, ge=2, le=240)) -> dict[str, Any]:
    """``trends cycle``: turning points by the Bry-Boschan rules."""
    return document(session(request).trends.cycle(series, min_phase=min_phase, min_cycle=min_cycle))


@router.get("/series/{series}/warning")
def warning(request: Request, series: str,
            signal: Annotated[list[str] | None, Query(max_length=20, description="Repeatable")] = None,
            horizon: int = Query(6, ge=1, le=24), origins_from: Month = None, min_phase: int = Query(6, ge=1, le=60),
            min_cycle: int = Query(15, ge=2, le=240),
            threshold_rule: str = Query("past-alarms", pattern="^(past-alarms|youden)$"),
            features: str = Query("momentum", pattern="^(momentum|cycle|growth)$"),
            table: str = Query("calls", pattern="^(calls|alarms|probabilities|leads)$")) -> dict[str, Any]:
    """``trends cycle --warning``: the backtested early warning (``table``: calls, alarms, probabilities or leads,
    each signal's correlation with the series' growth at leads and lags)."""
    ew = session(request).trends.warning(series, signals=signal or [], horizon=horizon, origins_from=origins_from,
                                         min_phase=min_phase, min_cycle=min_cycle, threshold_rule=threshold_rule,
                                         features=features)
    return document({"calls": ew.calls, "alarms": ew.alarms, "probabilities": ew.probabilities,
                     "leads": ew.leads}[table])


@router.get("/watch")
def watch(request: Request, rules: str = Query("chip-cycle", max_length=100)) -> dict[str, Any]:
    """``trends watch`` with a packaged rule set."""
    return document(session(request).trends.watch(rules))


@router.post("/watch")
def watch_posted(request: Request, body: WatchBody) -> dict[str, Any]:
    """``trends watch`` with posted YAML rules (or a packaged set by name)."""
    if (body.rules is None) == (body.yaml is None):
        raise ValueError("give rules (a packaged rule set) or yaml, one of them")
    return document(session(request).trends.watch(body.rules or "posted rules", text=body.yaml))
