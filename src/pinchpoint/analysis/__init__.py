"""Analyses as plain functions over a :class:`~pinchpoint.supplychain.model.SupplyChain`."""

from pinchpoint.analysis.chokepoints import chokepoints
from pinchpoint.analysis.concentration import concentration, concentration_metrics
from pinchpoint.analysis.exposure import compile_chain, exposure

__all__ = ["chokepoints", "compile_chain", "concentration", "concentration_metrics", "exposure"]
