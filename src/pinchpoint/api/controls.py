"""HTTP routes for export-control lists: search, show, crosswalk, diff (a thin shell over pinchpoint.controls)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from pinchpoint.controls.ids import UnknownControlId
from pinchpoint.controls.model import ControlList
from pinchpoint.errors import PinchpointError

router = APIRouter(prefix="/controls", tags=["export controls"])


@lru_cache(maxsize=4)
def _cached(workspace: str | None, stamp: str) -> tuple[ControlList, ...]:
    from pinchpoint.controls.store import load_lists
    from pinchpoint.workspace import Workspace

    ws = Workspace(Path(workspace), read_only=False) if workspace else Workspace.open_default()
    with ws:
        return tuple(load_lists(ws))


def _lists(request: Request) -> tuple[ControlList, ...]:
    workspace = request.app.state.workspace
    try:
        from pinchpoint.controls.store import list_versions
        from pinchpoint.workspace import Workspace

        ws = Workspace(Path(workspace)) if workspace else Workspace.open_default()
        with ws:
            versions = list_versions(ws)
        stamp = ";".join(f"{r['jurisdiction']}{r['version']}{r['content_hash']}" for r in versions.rows)
        return _cached(str(workspace) if workspace else None, stamp)
    except PinchpointError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/lists")
def lists(request: Request,
          added: str | None = Query(None, max_length=10, description="Entries added or changed at or after this "
                                    "date (YYYY, YYYY-MM or YYYY-MM-DD) instead of the list versions"),
          jurisdiction: Annotated[list[str] | None, Query(description="US, EU or JP (with added)")] = None,
          scope: str | None = Query(None, max_length=40)) -> list[dict[str, Any]]:
    from pinchpoint.controls.changes import added_in_workspace, parse_since
    from pinchpoint.controls.store import list_versions
    from pinchpoint.workspace import Workspace

    workspace = request.app.state.workspace
    try:
        with Workspace(Path(workspace)) if workspace else Workspace.open_default() as ws:
            if added is None:
                return list_versions(ws).records()
            return added_in_workspace(ws, parse_since(added), jurisdiction, scope).records()
    except UnknownControlId as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except (PinchpointError, ValueError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/search")
def search(request: Request, q: str = Query(min_length=2, max_length=200, description="Words to look for"),
           limit: int = Query(15, ge=1, le=100),
           jurisdiction: Annotated[list[str] | None, Query(description="US, EU or JP")] = None,
           ) -> list[dict[str, Any]]:
    from pinchpoint.controls.search import ControlIndex

    lists = _lists(request)
    index = ControlIndex([e for c in lists for e in c.entries])
    try:
        return index.search(q, limit=limit, jurisdictions=jurisdiction).records()
    except UnknownControlId as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/entries/{code}")
def show(request: Request, code: str) -> list[dict[str, Any]]:
    from pinchpoint.controls.views import show_entry

    try:
        return show_entry(_lists(request), code).records()
    except UnknownControlId as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/crosswalk")
def crosswalk(request: Request, source: str = Query(alias="from", pattern="^(US|EU|JP|us|eu|jp)$"),
              target: str = Query(alias="to", pattern="^(US|EU|JP|us|eu|jp)$"),
              scope: str | None = Query(None, max_length=40)) -> list[dict[str, Any]]:
    from pinchpoint.controls.crosswalk import crosswalk as run
    from pinchpoint.controls.views import scoped

    lists = _lists(request)
    try:
        return scoped(run(list(lists), source, target), lists, scope).records()
    except UnknownControlId as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except (PinchpointError, ValueError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/diff")
def diff(request: Request, a: str = Query(pattern="^(US|EU|JP)$"), b: str = Query(pattern="^(US|EU|JP)$"),
         scope: str | None = Query(None, max_length=40)) -> list[dict[str, Any]]:
    from pinchpoint.controls.crosswalk import alignment

    try:
        return alignment(list(_lists(request)), [a, b], scope).records()
    except UnknownControlId as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except (PinchpointError, ValueError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
