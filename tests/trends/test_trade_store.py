"""Series derived from the trade store, and series kept versioned in the workspace."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.errors import NotFoundError
from pinchpoint.trade.query import NoRowsError
from pinchpoint.trends.readers import read_series_file
from pinchpoint.trends.series import month_index
from pinchpoint.trends.store import list_series, load_series, store_series
from pinchpoint.trends.trade_series import trade_series
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

KGZ = SHARED / "trade" / "comext-relational" / "kyrgyz_export_eurostat"
MONTHS = {m: i for i, m in enumerate(["Jan.", "Feb.", "Mar.", "Apr.", "May.", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.",
                                      "Nov.", "Dec."], start=1)}


@pytest.fixture(scope="module")
def trade_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not KGZ.exists():
        pytest.skip("comext-relational data not found")
    from pinchpoint.trade.adapters import read
    from pinchpoint.trade.store import import_frame

    folder = tmp_path_factory.mktemp("ws")
    with Workspace(folder) as ws:
        import_frame(ws, read("comext-relational", [KGZ]))
    return folder


def _file_totals(reporter: str) -> dict[int, float]:
    """Germany's monthly exports to Kyrgyzstan summed straight from the CSV files (each month once)."""
    seen: dict[tuple[str, str], float] = {}
    for f in sorted(KGZ.glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                if r["REPORTER"] == reporter and r["PRODUCT"] == "Total" and r["FLOW"] == "EXPORT":
                    seen[(r["PERIOD"], r["STAT_PROCEDURE"])] = float(r["VALUE_IN_EUR"])
    out: dict[int, float] = {}
    for (period, _), v in seen.items():
        name, year = period.split()
        out[month_index(int(year), MONTHS[name])] = out.get(month_index(int(year), MONTHS[name]), 0.0) + v
    return out


def test_monthly_exports_from_the_trade_store_match_the_files(trade_ws: Path) -> None:
    with Workspace(trade_ws) as ws:
        s = trade_series(ws, reporter="DEU", partner="KGZ")
    expected = _file_totals("Germany (incl. German Democratic Republic 'DD' from 1991)")
    assert s.start == min(expected) and s.end == max(expected)
    assert len(s.values) == len(expected) == s.end - s.start + 1
    for m, v in expected.items():
        assert s.value_at(m) == pytest.approx(v)
    assert s.unit == "EUR" and s.seasonal_adjustment == "NSA"


def test_months_without_rows_are_unknown_not_zero(trade_ws: Path) -> None:
    with Workspace(trade_ws) as ws:
        with pytest.raises(NoRowsError, match=r"HRV -> KGZ .* no rows in \d+ month"):
            trade_series(ws, reporter="HRV", partner="KGZ")
        s = trade_series(ws, reporter="HRV", partner="KGZ", missing_as_zero=True)
        assert any("counted as zero" in n for n in s.notes)
        with pytest.raises(NoRowsError, match="partner RUS"):
            trade_series(ws, reporter="DEU", partner="RUS")


def test_store_keeps_versions_and_names_unknown_ids(tmp_path: Path) -> None:
    fred = SHARED / "trends" / "us_fred_ipg3344s.csv"
    if not fred.exists():
        pytest.skip("trends data not found")
    s = read_series_file(fred).check().series[0]
    with Workspace(tmp_path) as ws:
        first = store_series(ws, [s])
        again = store_series(ws, [s])
        assert first[0].created and not again[0].created and first[0].version == again[0].version
        revised = s.replace(values=s.values * 1.01, vintage="revised")
        store_series(ws, [revised])
        table = list_series(ws)
        assert table.column("versions") == [2] and table.column("vintage") == ["revised"]
        assert list(load_series(ws, "IPG3344S").values) == list(revised.values)
        assert list(load_series(ws, f"IPG3344S@{first[0].version}").values) == list(s.values)
        with pytest.raises(NotFoundError, match="did you mean IPG3344S"):
            load_series(ws, "IPG3344")


def test_a_trade_series_is_a_signal_that_joins_only_once_it_covers_downturns(trade_ws: Path, ipg: object) -> None:
    """Monthly EU exports (Germany to Kyrgyzstan, 2019 on) as a leading signal for IPG3344S: the warning runs,
    says which months used the signal, and uses it in none, because the months it covers hold fewer than two
    settled downturns of the target (the peaks from 2019 on, dated here independently of the warning)."""
    from pinchpoint.trends.analysis import turning_points
    from pinchpoint.trends.series import Series
    from pinchpoint.trends.warning import MIN_EVENTS, early_warning

    assert isinstance(ipg, Series)
    with Workspace(trade_ws) as ws:
        exports = trade_series(ws, reporter="DEU", partner="KGZ")
    ew = early_warning(ipg, [exports], horizon=12, origins_from=month_index(2015, 1))
    assert ew.calls.meta["signals"] == [exports.id]
    assert any(name.startswith(f"{exports.id} yoy") for name in ew.calls.meta["features"])
    peaks_covered = [p for p in turning_points(ipg.values) if p.kind == "peak"
                     and ipg.start + p.index >= exports.start + 12]
    assert len(peaks_covered) < MIN_EVENTS
    assert not any(r["signals_used"] for r in ew.probabilities.rows)
    own = early_warning(ipg, horizon=12, origins_from=month_index(2015, 1))
    assert [r["probability"] for r in ew.probabilities.rows] == [r["probability"] for r in own.probabilities.rows]


def _fred_by_month() -> dict[int, float]:
    """IPG3344S straight from the FRED file (dates DD-MM-YYYY, first of the month)."""
    out: dict[int, float] = {}
    with (SHARED / "trends" / "us_fred_ipg3344s.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            _, month, year = r["observation_date"].split("-")
            out[month_index(int(year), int(month))] = float(r["IPG3344S"])
    return out


def test_a_trade_signal_says_it_is_not_backtested_and_what_is_measured(trade_ws: Path, ipg: object) -> None:
    """A trade flow as an early-warning signal: the result's caveats give its span (the first and last month in the
    files) and say it was used in no month and is not backtested as a downturn caller; the leads table gives its
    correlation with the target's growth at each lag, lag 0 recomputed here from the two files."""
    import numpy as np

    from pinchpoint.trends.series import Series, month_label
    from pinchpoint.trends.warning import early_warning

    assert isinstance(ipg, Series)
    totals = _file_totals("Germany (incl. German Democratic Republic 'DD' from 1991)")
    span = f"{month_label(min(totals))}..{month_label(max(totals))}"
    with Workspace(trade_ws) as ws:
        exports = trade_series(ws, reporter="DEU", partner="KGZ")
    ew = early_warning(ipg, [exports], horizon=12, origins_from=month_index(1990, 1))
    said = [c for c in ew.calls.caveats if c.startswith(exports.id)]
    assert len(said) == 1
    assert "monthly trade flow" in said[0] and span in said[0] and "not backtested" in said[0]
    assert "used in no month" in said[0] and "no downturns" in said[0]
    assert said[0] in ew.leads.caveats
    # the leads table: year-on-year growth of both, over the months both have it
    fred = _fred_by_month()
    months = [m for m in sorted(totals) if m - 12 in totals and m in fred and m - 12 in fred]
    x = [totals[m] / totals[m - 12] - 1 for m in months]
    y = [fred[m] / fred[m - 12] - 1 for m in months]
    rows = {r["lag_months"]: r for r in ew.leads.rows if r["signal"] == exports.id}
    assert rows[0]["correlation"] == pytest.approx(float(np.corrcoef(x, y)[0, 1]), abs=1e-4)
    assert max(rows) == len(months) // 3 == -min(rows)  # lags up to a third of the common months
    assert sum(r["best"] for r in rows.values()) == 1
    assert all(r["significant"] == (abs(r["correlation"]) > r["band_95"]) for r in rows.values())
    assert any("would pass a 95% band by chance" in c for c in ew.leads.caveats)
    # the lead/lag of the two series says the same, with lags cut to what 56 common months allow (it refused: 24)
    from pinchpoint.trends.analysis import lead_lag

    table = lead_lag(exports, ipg, max_lag=24)
    assert {r["lag_months"]: r["correlation"] for r in table.rows} == {k: r["correlation"] for k, r in rows.items()}
    assert any(c.startswith(f"lags up to {len(months) // 3} months, not 24") for c in table.caveats)
    # without signals the leads table is empty and the calls carry no signal caveat
    own = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    assert len(own.leads) == 0 and not any("trade flow" in c for c in own.calls.caveats)
