"""HTTP routes for supply-chain analyses: datasets, concentration, chokepoints, exposure. Each returns the JSON
document the matching ``pinchpoint ... -f json`` prints; datasets are 'builtin' or names in the workspace."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from pinchpoint.api.common import document, session

router = APIRouter(prefix="/supplychain", tags=["supply chain"])
DATASET = Query("builtin", max_length=200, description="'builtin' or a workspace dataset name[@version]")
YEAR = Query(None, ge=1900, le=2200, description="Year of the shares (default: latest per input)")
LEVEL = Query("country", pattern="^(country|organisation|organization|org|firm)$")


@router.get("/datasets")
def datasets(request: Request) -> dict[str, Any]:
    """``data list``: datasets imported into the workspace, newest version first."""
    return document(session(request).supplychain.datasets())


@router.get("/concentration")
def concentration(request: Request, dataset: str = DATASET, year: int | None = YEAR, level: str = LEVEL
                  ) -> dict[str, Any]:
    """``concentration``: HHI, CR1, CR3, top provider and coalition shares for every input."""
    return document(session(request).supplychain.concentration(dataset, year=year, level=level))


@router.get("/chokepoints")
def chokepoints(request: Request, dataset: str = DATASET, year: int | None = YEAR, level: str = LEVEL,
                threshold: float = Query(65.0, gt=0, le=100, allow_inf_nan=False,
                                          description="Least top-provider share, percent")
                ) -> dict[str, Any]:
    """``chokepoints``: inputs where one provider holds at least ``threshold`` percent."""
    return document(session(request).supplychain.chokepoints(dataset, threshold=threshold, year=year, level=level))


@router.get("/exposure")
def exposure(request: Request, dataset: str = DATASET, year: int | None = YEAR, level: str = LEVEL,
             target: str | None = Query(None, max_length=200, description="Input id or name (default: the "
                                        "dataset's output)"),
             country: str | None = Query(None, max_length=60, description="A country's import side instead")
             ) -> dict[str, Any]:
    """``exposure``: multi-tier dependence of the target on each country or organisation, or a country's import
    side."""
    return document(session(request).supplychain.exposure(dataset, target=target, year=year, level=level,
                                                          country=country))
