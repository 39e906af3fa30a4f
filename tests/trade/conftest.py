"""Fixtures the trade tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.trade.adapters import read
from pinchpoint.trade.store import import_frame
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def baci_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding the real BACI extract (critical-material codes, 2022 and 2024), one per test module."""
    if not (SHARED / "trade").exists():
        pytest.skip("no ../shared/data beside the repository")
    path = tmp_path_factory.mktemp("baci") / "ws"
    with Workspace(path) as ws:
        import_frame(ws, read("baci", [SHARED / "trade" / "baci-critical-materials"]))
    return path
