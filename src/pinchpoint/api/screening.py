"""HTTP routes for screening: POST /screen (one or many names), GET /lists."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from pinchpoint.errors import PinchpointError
from pinchpoint.screening.matcher import Screener

router = APIRouter(tags=["screening"])


class ScreenRequest(BaseModel):
    names: list[str] = Field(min_length=1, max_length=1000, description="1 to 1,000 names")
    threshold: float = Field(0.8, ge=0, le=1)
    country: str | None = Field(None, min_length=3, max_length=3)
    type: str | None = Field(None, pattern="^(person|organisation|vessel|aircraft)$")
    lists: list[str] | None = None
    birth_date: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")


@lru_cache(maxsize=2)
def _screener(workspace: str | None, stamp: str) -> Screener:
    from pinchpoint.screening.store import read_lists

    # the workspace is open only while the stored lists are fetched: a `lists load` never waits for the indexing
    screener = Screener(read_lists(Path(workspace) if workspace else None))
    screener.skeleton_index()  # a service builds it with the lists, not on a user's first Arabic query
    return screener


# How often the stored lists are checked for an update: opening the workspace costs ~20 ms, far more than a query.
# An update is picked up within this time; the previous screener keeps answering until then (no downtime).
LIST_CHECK_SECONDS = 2.0


def _current(request: Request) -> Screener:
    from pinchpoint.screening.store import list_table
    from pinchpoint.workspace import Workspace

    state = request.app.state
    workspace = state.workspace
    checked: tuple[str, float] | None = getattr(state, "screening_lists_checked", None)
    try:
        if checked is None or time.monotonic() - checked[1] > LIST_CHECK_SECONDS:
            with Workspace.open_reader(Path(workspace) if workspace else None) as ws:
                stamp = ";".join(r["content_hash"] for r in list_table(ws).rows)
            checked = (stamp, time.monotonic())
            state.screening_lists_checked = checked
        return _screener(str(workspace) if workspace else None, checked[0])
    except PinchpointError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None


@router.post("/screen")
def screen(request: Request, body: ScreenRequest) -> list[dict[str, Any]]:
    if any(len(n) > 500 for n in body.names):
        raise HTTPException(status_code=422, detail="names are limited to 500 characters")
    screener = _current(request)
    return [{"query": n, "matches": screener.screen(n, threshold=body.threshold, country=body.country,
                                                    entity_type=body.type, lists=body.lists,
                                                    birth_date=body.birth_date)} for n in body.names]


@router.get("/lists")
def lists(request: Request) -> list[dict[str, Any]]:
    from pinchpoint.screening.store import list_table
    from pinchpoint.workspace import Workspace

    workspace = request.app.state.workspace
    try:
        with Workspace.open_reader(Path(workspace) if workspace else None) as ws:
            return list_table(ws).records()
    except PinchpointError as exc:
        if "no workspace" in str(exc):
            return []  # nothing loaded yet
        raise HTTPException(status_code=503, detail=str(exc)) from None
