"""Analyses as plain functions over a :class:`~pinchpoint.supplychain.model.SupplyChain`: concentration (HHI,
CR-n, coalition shares from the kernel's named groups), chokepoints, and multi-tier exposure over the vectorised
availability graph (:mod:`pinchpoint.analysis.availability`) that the stress-test engines reuse."""

from pinchpoint.analysis.chokepoints import chokepoints
from pinchpoint.analysis.concentration import concentration, concentration_metrics
from pinchpoint.analysis.exposure import compile_chain, exposure

__all__ = ["chokepoints", "compile_chain", "concentration", "concentration_metrics", "exposure"]
