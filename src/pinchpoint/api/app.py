"""The FastAPI application. Each domain contributes one router module under ``pinchpoint.api``."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI

import pinchpoint

# Modules under pinchpoint.api that define ``router`` (a fastapi.APIRouter). Domains append themselves here.
ROUTER_MODULES: list[str] = ["controls", "screening"]


def create_app(workspace: Path | None = None) -> FastAPI:
    """Build the app; ``workspace`` is the DuckDB workspace the routes read (default: the user's)."""
    app = FastAPI(title="pinchpoint", version=pinchpoint.__version__,
                  description="Economic-security analysis of critical-technology supply chains.")
    app.state.workspace = workspace
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(f"pinchpoint.api.{name}").router)
    return app
