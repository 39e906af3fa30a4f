"""Growth, balance, STL, cycle dating and lead/lag on the real series."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest

from pinchpoint.trends.analysis import cycle, growth, lead_lag, shipment_inventory_balance, stl_adjust
from pinchpoint.trends.series import Series, month_index, month_label
from tests.trends.conftest import IIP


def test_growth_and_balance_match_the_file(jp: list[Series]) -> None:
    with IIP.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ship = [float(r["shipment_index"]) for r in rows]
    inv = [float(r["inventory_index"]) for r in rows]
    k = 100
    g = growth(jp[0]).rows[k]
    assert g["month"] == rows[k]["date"][:7]
    assert g["mom_pct"] == pytest.approx((ship[k] / ship[k - 1] - 1) * 100, abs=1e-5)
    assert g["yoy_pct"] == pytest.approx((ship[k] / ship[k - 12] - 1) * 100, abs=1e-5)
    bal = shipment_inventory_balance(jp[0], jp[1])
    row = bal.rows[k]
    assert row["balance_pp"] == pytest.approx(((ship[k] / ship[k - 12]) - (inv[k] / inv[k - 12])) * 100, abs=1e-5)
    assert row["inventory_shipment_ratio"] == pytest.approx(inv[k] / ship[k], abs=1e-6)
    assert bal.rows[11]["balance_pp"] is None and bal.rows[12]["balance_pp"] is not None


def _reader_marks(series: Series, lo: tuple[int, int], hi: tuple[int, int]) -> tuple[int, int]:
    """A reader's peak (highest month in the window) and the trough after it (lowest in the 18 months after)."""
    a, b = month_index(*lo) - series.start, month_index(*hi) - series.start
    peak = a + int(np.argmax(series.values[a: b + 1]))
    trough = peak + int(np.argmin(series.values[peak: peak + 19]))
    return series.start + peak, series.start + trough


def _departure_z(values: np.ndarray, a: int, b: int) -> float:
    """The move from a to b on logs against the median monthly change of the 60 months on either side, in units of
    1.4826 x their median absolute deviation x sqrt(months): computed here from the values, not the library."""
    d = np.diff(np.log(values))
    local = d[max(0, a - 60): b + 60]
    trend = np.median(local)
    spread = 1.4826 * np.median(np.abs(local - trend))
    return float(abs(np.log(values[b] / values[a]) - trend * (b - a)) / (spread * np.sqrt(b - a)))


def test_cycle_dates_the_marked_downturns_within_three_months(ipg: Series) -> None:
    """The downturns of issue #19 (1985, 2001, 2008-09 and 2018) within three months of a reader's marks at the
    Bry-Boschan defaults; 2018 (a four-month fall of 5%) was missed before short phases too large to be noise
    were kept."""
    table = cycle(ipg)
    assert table.meta["min_phase"] == 6 and table.meta["min_cycle"] == 15
    found = {(r["turn"], month_index(int(r["month"][:4]), int(r["month"][5:]))) for r in table.rows}
    for lo, hi in [((1984, 1), (1985, 12)), ((2000, 1), (2001, 6)), ((2007, 6), (2008, 12)), ((2018, 1), (2018, 12))]:
        peak, trough = _reader_marks(ipg, lo, hi)
        assert any(k == "peak" and abs(m - peak) <= 3 for k, m in found), month_label(peak)
        assert any(k == "trough" and abs(m - trough) <= 3 for k, m in found), month_label(trough)
    kinds = [r["turn"] for r in table.rows]
    assert all(a != b for a, b in itertools.pairwise(kinds))  # peaks and troughs alternate
    months = [month_index(int(r["month"][:4]), int(r["month"][5:])) for r in table.rows]
    positions = [m - ipg.start for m in months]
    for a, b in itertools.pairwise(positions):  # a phase under 6 months is at least 3 and too large to be noise
        assert b - a >= 6 or (b - a >= 3 and _departure_z(ipg.values, a, b) > 1.96), (a, b)
    assert any(b - a < 6 for a, b in itertools.pairwise(positions))  # (2018 is one)
    assert all(c - a >= 15 for a, c in zip(months, months[2:], strict=False))


def test_without_the_amplitude_exception_the_2018_downturn_needs_a_shorter_minimum_phase(ipg: Series) -> None:
    # 2018-08 to 2018-12 is a four-month fall: below the default minimum phase, dated when it is 4
    import math

    from pinchpoint.trends.analysis import turning_points

    peak, trough = _reader_marks(ipg, (2018, 1), (2018, 12))
    strict = {month_label(ipg.start + p.index) for p in turning_points(ipg.values, amplitude_z=math.inf)}
    short = {r["month"] for r in cycle(ipg, min_phase=4).rows}
    assert month_label(peak) not in strict and month_label(peak) in short and month_label(trough) in short


def test_a_one_month_swing_is_never_a_phase(jp: list[Series]) -> None:
    for s in jp:
        months = [month_index(int(r["month"][:4]), int(r["month"][5:])) for r in cycle(s).rows]
        assert all(b - a >= 3 for a, b in itertools.pairwise(months)), s.id


def test_lead_lag_finds_a_planted_lead(jp: list[Series]) -> None:
    ship = jp[0]
    lead = 4
    leader = ship.replace(id="leader", start=ship.start - lead)  # the same values, 4 months earlier
    table = lead_lag(leader, ship, max_lag=12)
    assert table.meta["best_lag"] == lead
    best = next(r for r in table.rows if r["best"])
    assert best["correlation"] == pytest.approx(1.0) and best["significant"]
    assert 0 < best["band_95"] < 1


def test_stl_removes_a_planted_seasonal_pattern(jp: list[Series]) -> None:
    pytest.importorskip("statsmodels")
    ship = jp[0]
    pattern = np.array([0.9, 0.95, 1.15, 1.0, 0.97, 1.03, 1.0, 0.9, 1.05, 1.0, 1.02, 1.03])
    months = (ship.start + np.arange(len(ship.values))) % 12
    nsa = ship.replace(id="nsa", values=ship.values * pattern[months], seasonal_adjustment="NSA")
    adjusted, table = stl_adjust(nsa)
    assert adjusted.seasonal_adjustment == "SA" and len(table) == len(ship.values)
    # the planted swing is 25% peak to trough; what is left after adjustment is a few percent at most
    ratio = adjusted.values / ship.values
    assert np.std(np.log(ratio)) < 0.25 * np.std(np.log(pattern[months]))
