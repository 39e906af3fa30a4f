"""HTTP routes for export-control lists: versions and changes, search, an entry across jurisdictions, crosswalk,
diff and alignment. Each returns the JSON document the matching ``pinchpoint controls ... -f json`` prints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pinchpoint.api.common import document, session

router = APIRouter(prefix="/controls", tags=["export controls"])
Jurisdictions = Annotated[list[str] | None, Query(description="US, EU or JP (repeatable)", max_length=3)]
Scope = Annotated[str | None, Query(max_length=40, description="A code prefix (3B, 4A) or a tag "
                                    "(semiconductor-equipment, advanced-computing, quantum, surveillance)")]


@router.get("/lists")
def lists(request: Request,
          added: str | None = Query(None, max_length=10, description="Entries added or changed at or after this "
                                    "date (YYYY, YYYY-MM or YYYY-MM-DD) instead of the list versions"),
          jurisdiction: Jurisdictions = None, scope: Scope = None) -> dict[str, Any]:
    """``controls list`` (the stored versions) or, with ``added``, ``controls list --added``."""
    return document(session(request).controls.listing(added, jurisdiction, scope))


@router.get("/search")
def search(request: Request, q: str = Query(min_length=2, max_length=200, description="Words to look for"),
           limit: int = Query(15, ge=1, le=100), jurisdiction: Jurisdictions = None) -> dict[str, Any]:
    """``controls search``."""
    return document(session(request).controls.search(q, limit=limit, jurisdictions=jurisdiction))


@router.get("/entries/{code}")
def show(request: Request, code: str, jurisdiction: Jurisdictions = None) -> dict[str, Any]:
    """``controls show``: an entry (or paragraph) in every jurisdiction, with its counterparts."""
    return document(session(request).controls.show(code[:40], jurisdiction))


@router.get("/crosswalk")
def crosswalk(request: Request, source: str = Query(alias="from", pattern="^(US|EU|JP|us|eu|jp)$"),
              target: str = Query(alias="to", pattern="^(US|EU|JP|us|eu|jp)$"), scope: Scope = None
              ) -> dict[str, Any]:
    """``controls crosswalk --from --to``."""
    return document(session(request).controls.crosswalk(source, target, scope))


@router.get("/diff")
def diff(request: Request,
         a: str = Query(max_length=20, pattern=r"^[A-Za-z]{2}(@\d{4}-\d{2}-\d{2})?$", description="US, EU or JP, "
                        "or one of them @DATE"),
         b: str = Query(max_length=20, pattern=r"^[A-Za-z]{2}(@\d{4}-\d{2}-\d{2})?$"),
         scope: Scope = None) -> dict[str, Any]:
    """``controls diff A B``: two jurisdictions (alignment), or two dated versions of one (what changed)."""
    return document(session(request).controls.diff(a, b, scope))


@router.get("/alignment")
def alignment(request: Request, jurisdiction: Annotated[list[str], Query(min_length=2, max_length=3)],
              scope: Scope = None) -> dict[str, Any]:
    """What each jurisdiction controls that the others do not (the table of ``controls report``)."""
    return document(session(request).controls.alignment(jurisdiction, scope))
