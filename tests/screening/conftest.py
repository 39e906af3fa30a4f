"""The real lists, loaded once for every screening test."""

from __future__ import annotations

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
