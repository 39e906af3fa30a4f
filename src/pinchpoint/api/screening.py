"""HTTP routes for screening: POST /screen (one or many names), GET /lists."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from pinchpoint.errors import NotFoundError, PinchpointError
from pinchpoint.screening.matcher import MAX_QUERY_CHARS, Screener

router = APIRouter(tags=["screening"])
MAX_NAMES = 1000


QueryName = Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)]  # an empty one gets a note


class ScreenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option ("treshold") is an error, not ignored

    names: list[QueryName] = Field(min_length=1, max_length=MAX_NAMES,
                                   description=f"1 to {MAX_NAMES:,} names of at most {MAX_QUERY_CHARS} characters")
    threshold: float = Field(0.8, ge=0, le=1, allow_inf_nan=False)
    country: str | None = Field(None, min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")
    type: Literal["person", "organisation", "vessel", "aircraft"] | None = None
    lists: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(None, max_length=20)
    birth_date: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")

    @field_validator("names")
    @classmethod
    def _unicode(cls, names: list[str]) -> list[str]:
        for k, name in enumerate(names):
            try:
                name.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"name {k} is not valid Unicode text (a lone surrogate at character "
                                 f"{exc.start})") from None
        return names


_BUILD = threading.Lock()  # concurrent first requests build the index once, not once per thread
_CHECK = threading.Lock()


def _screener(workspace: str | None, stamp: str) -> Screener:
    with _BUILD:
        return _build(workspace, stamp)


@lru_cache(maxsize=2)
def _build(workspace: str | None, stamp: str) -> Screener:
    from pinchpoint.screening.store import read_lists

    # the workspace is open only while the stored lists are fetched: a `lists load` never waits for the indexing
    screener = Screener(read_lists(Path(workspace) if workspace else None))
    screener.skeleton_index()  # a service builds it with the lists, not on a user's first Arabic query
    return screener


# How often the stored lists are checked for an update: opening the workspace costs ~20 ms, far more than a query.
# An update is picked up within this time; the previous screener keeps answering until then (no downtime).
LIST_CHECK_SECONDS = 2.0


def _stored(request: Request) -> tuple[str, list[dict[str, Any]]]:
    """The stored lists' table and a stamp of their content hashes, re-read at most every ``LIST_CHECK_SECONDS``:
    one thread reads while the others answer with what was read last (only the very first read is waited for)."""
    from pinchpoint.screening.store import list_table
    from pinchpoint.workspace import Workspace

    state = request.app.state
    workspace = state.workspace
    checked: tuple[str, list[dict[str, Any]], float] | None = getattr(state, "screening_lists_checked", None)
    if (checked is None or time.monotonic() - checked[2] > LIST_CHECK_SECONDS) and \
            _CHECK.acquire(blocking=checked is None):
        try:
            checked = getattr(state, "screening_lists_checked", None)
            if checked is None or time.monotonic() - checked[2] > LIST_CHECK_SECONDS:
                try:
                    with Workspace.open_reader(Path(workspace) if workspace else None) as ws:
                        records = list_table(ws).records()
                except PinchpointError as exc:
                    if "no workspace" not in str(exc):
                        raise
                    records = []  # nothing loaded yet
                checked = (";".join(str(r["content_hash"]) for r in records), records, time.monotonic())
                state.screening_lists_checked = checked
        finally:
            _CHECK.release()
    assert checked is not None
    return checked[0], checked[1]


def _current(request: Request) -> Screener:
    workspace = request.app.state.workspace
    try:
        stamp, _ = _stored(request)
        return _screener(str(workspace) if workspace else None, stamp)
    except PinchpointError as exc:
        from pinchpoint.api.app import error_message

        raise HTTPException(status_code=503, detail=error_message(exc)) from None


@router.post("/screen")
def screen(request: Request, body: ScreenRequest) -> list[dict[str, Any]]:
    """Each name with its matches (best first) and, when it cannot be screened meaningfully, a note saying why."""
    screener = _current(request)
    try:
        screener.check_options(country=body.country, lists=body.lists, threshold=body.threshold)
    except (KeyError, ValueError, NotFoundError) as exc:  # an unknown list or country in the body: 422
        raise HTTPException(status_code=422, detail=str(exc.args[0])) from None
    out = []
    for name in body.names:
        matches = screener.screen(name, threshold=body.threshold, country=body.country, entity_type=body.type,
                                  lists=body.lists, birth_date=body.birth_date)
        note = screener.unscreenable(name)
        out.append({"query": name, "matches": matches, **({"note": note} if note else {})})
    return out


@router.get("/lists")
def lists(request: Request) -> list[dict[str, Any]]:
    """The loaded lists (name, version, counts, content hash), as of at most ``LIST_CHECK_SECONDS`` ago."""
    try:
        return _stored(request)[1]
    except PinchpointError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
