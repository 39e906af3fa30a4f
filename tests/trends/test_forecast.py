"""Forecasts and their backtest on the real series: no look-ahead, models checked against independent sources."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from pinchpoint.trends.forecast import _ets_states, _holt_filters, accuracy, backtest, forecast
from pinchpoint.trends.series import Series, month_index
from tests.trends.conftest import FRED


@pytest.fixture(scope="module")
def shipments(jp: list[Series]) -> Series:
    return jp[0]


def test_a_planted_future_spike_leaves_earlier_forecasts_unchanged(ipg: Series) -> None:
    short = ipg.since(month_index(2000, 1))
    spike_at = month_index(2012, 6) - short.start
    values = short.values.copy()
    values[spike_at] *= 3.0
    spiked = short.replace(values=values)
    kw = {"origins_from": month_index(2005, 1), "horizon": 12, "refit_every": 12}
    a, b = backtest(short, **kw), backtest(spiked, **kw)
    before = a.origins < spike_at
    assert before.sum() > 60 and (~before).sum() > 60
    for model in [*a.forecasts]:
        assert np.array_equal(a.forecasts[model][before], b.forecasts[model][before]), model
        assert np.array_equal(a.lower[model][before], b.lower[model][before]), model
        assert np.array_equal(a.upper[model][before], b.upper[model][before]), model
        # and the spike is seen once it has happened (so the comparison above could fail)
        assert not np.array_equal(a.forecasts[model][~before], b.forecasts[model][~before]), model
    assert [a.chosen_model[i] for i in np.flatnonzero(before)] == [b.chosen_model[i] for i in np.flatnonzero(before)]


def test_naive_errors_match_the_file(ipg: Series) -> None:
    # one-month-ahead random walk: |y[t+1] - y[t]| straight from the CSV, for targets 2023-01 onwards
    with FRED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    values = [float(r["IPG3344S"]) for r in rows]
    first = next(i for i, r in enumerate(rows) if r["observation_date"].endswith("2023"))
    expected = np.mean([abs(values[t] - values[t - 1]) for t in range(first, len(values))])
    bt = backtest(ipg, origins_from=month_index(2015, 1), horizon=1)
    table = accuracy(bt, [1], months_from=month_index(2023, 1))
    naive = next(r for r in table.rows if r["model"] == "naive")
    assert naive["n"] == len(values) - first
    assert naive["mae"] == pytest.approx(expected, rel=1e-12)


def test_ets_filter_matches_statsmodels(shipments: Series) -> None:
    ets_model = pytest.importorskip("statsmodels.tsa.exponential_smoothing.ets").ETSModel
    z = np.log(shipments.values)
    params = (0.35, 0.05, 0.9)
    model = ets_model(z, error="add", trend="add", damped_trend=True, initialization_method="known",
                      initial_level=z[0], initial_trend=0.0)
    res = model.smooth([params[0], params[1], params[2], z[0], 0.0])
    pred, _, _, den = _holt_filters(*params)
    from scipy.signal import lfilter

    ours = lfilter(pred, den, z - z[0]) + z[0]
    assert np.allclose(ours, np.asarray(res.fittedvalues), atol=1e-10)
    level, trend = _ets_states(z, params)
    assert np.allclose(level, np.asarray(res.level), atol=1e-10)
    assert np.allclose(trend, np.asarray(res.slope), atol=1e-10)


def test_seasonal_naive_repeats_last_year(shipments: Series) -> None:
    bt = backtest(shipments, origins_from=month_index(2016, 1), horizon=12)
    for i in (0, 17, 40):
        o = int(bt.origins[i])
        for h in (1, 5, 12):
            assert bt.forecasts["snaive"][i, h - 1] == pytest.approx(shipments.values[o + h - 12])


def test_forecast_prints_the_backtest_with_it(shipments: Series) -> None:
    fc = forecast(shipments, horizon=12, origins_from=month_index(2016, 1))
    assert [r["horizon"] for r in fc.forecast.rows] == list(range(1, 13))
    first = fc.forecast.rows[0]
    assert first["month"] == "2026-01" and first["lower_80"] < first["forecast"] < first["upper_80"]
    assert first["model"] in first and first[first["model"]] == pytest.approx(first["forecast"])
    models = {r["model"] for r in fc.accuracy.rows}
    assert {"naive", "snaive", "drift", "ets", "arima", "theta", "combo", "chosen"} <= models
    # the model shown at each horizon is the one with the lowest backtest MASE there
    mase = {(r["model"], r["horizon"]): r["mase"] for r in fc.accuracy.rows}
    for row in fc.forecast.rows:
        if row["horizon"] in (1, 3, 6, 12):
            best = min((m for m in models if m != "chosen"), key=lambda m: mase[(m, row["horizon"])])
            assert row["model"] == best
    assert any("origins" in c for c in fc.forecast.caveats)


def test_bad_backtest_arguments_are_named(shipments: Series) -> None:
    with pytest.raises(ValueError, match="fewer than 36 months"):
        backtest(shipments, origins_from=month_index(2014, 1))
    with pytest.raises(ValueError, match="unknown model"):
        backtest(shipments, models=["prophet"])
