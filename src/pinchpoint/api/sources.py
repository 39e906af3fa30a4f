"""HTTP route for the source registry: ``GET /sources`` (the input formats pinchpoint reads, built-in or from
installed plugins), the JSON document ``pinchpoint sources -f json`` prints. Detection of a path is not offered:
a server reads no caller-named files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pinchpoint.api.common import document

router = APIRouter(tags=["sources"])


@router.get("/sources")
def sources(kind: Annotated[str | None, Query(max_length=40, description="supplychain, trade, list, controls, "
                                              "indicators, incentives or projects")] = None) -> dict[str, Any]:
    """``sources [--kind KIND]``: kind, name, description, file patterns and columns, where registered."""
    from pinchpoint.sources.tables import catalogue

    return document(catalogue(kind))
