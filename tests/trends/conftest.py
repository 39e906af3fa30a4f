"""The two real trend files, read once for all trends tests."""

from __future__ import annotations

import pytest

from pinchpoint.trends.readers import read_series_file
from pinchpoint.trends.series import Series
from tests.conftest import SHARED

FRED = SHARED / "trends" / "us_fred_ipg3344s.csv"
IIP = SHARED / "trends" / "jp_iip_electronic_parts_devices.csv"


@pytest.fixture(scope="session")
def ipg() -> Series:
    """U.S. IPG3344S (FRED, day-first dates)."""
    if not FRED.exists():
        pytest.skip("trends data not found")
    return read_series_file(FRED).check().series[0]


@pytest.fixture(scope="session")
def jp() -> list[Series]:
    """Japan's IIP electronic parts and devices: [shipments, inventory]."""
    if not IIP.exists():
        pytest.skip("trends data not found")
    return read_series_file(IIP).check().series
