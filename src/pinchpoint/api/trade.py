"""HTTP routes for trade flows in the workspace: growth, dependence (import or export side), mirror gaps,
circumvention and backfill. Each returns the JSON document ``pinchpoint trade ... -f json`` prints; lists of codes
take repeated or comma-separated values."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pinchpoint.api.common import document, session

router = APIRouter(prefix="/trade", tags=["trade flows"])
Codes = Annotated[list[str] | None, Query(max_length=200, description="Repeatable, or comma-separated")]
Period = Annotated[str, Query(max_length=20)]
#: A result's ``meta.trade_state``: refused when the imports have changed since (``trade ... --trade-state``)
TradeState = Annotated[str | None, Query(max_length=64)]


@router.get("/growth")
def growth(request: Request, reporter: Codes = None, partner: Codes = None, codes: Codes = None,
           base: Period = "2021", compare: Period = "2022", flow: str = Query("export", pattern="^(export|import)$"),
           source: Codes = None, trade_state: TradeState = None) -> dict[str, Any]:
    """``trade growth``."""
    return document(session(request).trade.growth(reporter or [], partner or [], codes=codes or [], base=base,
                                                  compare=compare, flow=flow, sources=source,
                                                  trade_state=trade_state))


@router.get("/dependence")
def dependence(request: Request, importer: Codes = None, exporter: Codes = None, codes: Codes = None,
               period: Annotated[str | None, Query(max_length=20)] = None,
               side: str = Query("import", pattern="^(import|export)$"), source: Codes = None,
               trade_state: TradeState = None) -> dict[str, Any]:
    """``trade dependence`` (``side=export``: exporters' concentration of world exports)."""
    return document(session(request).trade.dependence(importer, codes=codes or [], period=period, sources=source,
                                                      side=side, exporters=exporter, trade_state=trade_state))


@router.get("/mirror")
def mirror(request: Request, exporter: Codes = None, importer: Codes = None,
           cif_margin: float = Query(0.06, ge=0, le=1, allow_inf_nan=False),
           tolerance: float = Query(0.25, gt=0, le=10, allow_inf_nan=False),
           source: Codes = None, trade_state: TradeState = None) -> dict[str, Any]:
    """``trade mirror``."""
    return document(session(request).trade.mirror(exporters=exporter, importers=importer, cif_margin=cif_margin,
                                                  tolerance=tolerance, sources=source, trade_state=trade_state))


@router.get("/circumvention")
def circumvention(request: Request, target: str = Query("RUS", max_length=12), hub: Codes = None,
                  event: Period = "2022-02", min_baseline: float = Query(5e5, ge=0, allow_inf_nan=False),
                  source: Codes = None, control_source: Codes = None,
                  limit: int = Query(100, ge=1, le=10_000), trade_state: TradeState = None) -> dict[str, Any]:
    """``trade circumvention``."""
    return document(session(request).trade.circumvention(target=target, hubs=hub, event=event,
                                                         min_baseline=min_baseline, sources=source,
                                                         control_sources=control_source, limit=limit,
                                                         trade_state=trade_state))


@router.get("/backfill")
def backfill(request: Request, target: str = Query("RUS", max_length=12), source: Codes = None,
             trade_state: TradeState = None) -> dict[str, Any]:
    """``trade backfill``."""
    return document(session(request).trade.backfill(target=target, sources=source, trade_state=trade_state))
