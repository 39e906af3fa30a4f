"""The real lists, loaded once for every screening test."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.screening.loaders import load_list
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from tests.conftest import SHARED

LISTS = SHARED / "screening" / "lists"
BENCH = SHARED / "screening" / "benchmarks"
FILES = ["ofac_sdn_20240503.csv", "un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx",
         "us_bis_dpl_2022.txt", "yente_zala_entities.ftm.json"]


@pytest.fixture(scope="session")
def lists() -> dict[str, ScreeningList]:
    if not LISTS.exists():
        pytest.skip(f"real data not found at {LISTS}")
    return {f: load_list(LISTS / f) for f in FILES}


@pytest.fixture(scope="session")
def screener(lists: dict[str, ScreeningList]) -> Screener:
    return Screener(lists.values())


@pytest.fixture(scope="session")
def small_ws(lists: dict[str, ScreeningList], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the UN and METI lists (small, so CLI and API tests stay fast)."""
    from pinchpoint.screening.store import store_list
    from pinchpoint.workspace import Workspace

    path = tmp_path_factory.mktemp("screening-small") / "ws"
    with Workspace(path) as ws:
        for file in ("un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx"):
            store_list(ws, lists[file])
    return path


def first_rows(path: Path) -> list[dict[str, str]]:
    """A batch output's first row for each input row (its best match, or its one row without a match)."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["match_rank"] in ("", "1")]
