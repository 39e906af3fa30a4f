"""Forecasts with honest backtests: several models per series, chosen by a rolling-origin backtest.

Models (all on logs when every value is positive, so growth compounds and intervals stay positive):

- ``naive``: the last value (a random walk);
- ``snaive``: the value of the same month a year before (seasonal naive);
- ``drift``: random walk with drift (the average monthly change over the training span);
- ``ets``: exponential smoothing with an additive damped trend, ETS(A,Ad,N), smoothing parameters chosen on a grid
  by the sum of squared one-step errors;
- ``arima``: ARIMA(p,1,0) with drift, p in 0..12 chosen by AIC, fitted by least squares;
- ``theta``: the Theta method as Hyndman and Billah (2003) state it: simple exponential smoothing plus half the
  slope of a fitted line;
- ``combo``: the mean of ets, arima and theta (a combination, after Makridakis et al.).

A series that is not seasonally adjusted is adjusted first by classical decomposition (seasonal indices of the log
series from a centred 12-month moving average, estimated on the training data only) and the seasonal pattern is put
back on the forecast; ``naive``, ``snaive`` and ``drift`` use the data as it is.

The backtest makes a forecast at every origin (each month from ``origins_from`` to the last month but one) for
horizons 1..H, using only data up to the origin: parameters are re-estimated every ``refit_every`` months on the data
up to that month, and between refits each model's state is updated with the months that arrive (a filter that
never reads past the origin). Every error is measured in the series' own unit.

Intervals are empirical and calibrated online: quantiles of the forecast's own past errors at that horizon (the
last 120 whose target month had passed, on the log scale), at levels that adaptive conformal inference (Gibbs and
Candes 2021) moves after each outcome so each tail is missed 10% of the time; with fewer than 24 past errors a
normal interval from the one-step spread is used.

The forecast printed for a series is, at each horizon, the equal-weight combination ``combo`` unless the mean of
the two models with the lowest scaled error over the last 60 errors known has, as it would have been used, beaten
``combo`` over every error known so far (at least SWITCH_MIN of them); ``chosen`` in the backtest scores that rule
honestly: at each origin the ranking and the switch use only errors known then. Up to WARMUP origins before the first
scored one (where the data leave MIN_TRAIN months to fit on) are run but not scored, so the rule and the intervals
have a record from the first scored origin on. Horizons where the backtest misses a goal (MASE not below every single
model, 80% coverage outside 75-85%) are named in the forecast's caveats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import lfilter

from pinchpoint.errors import BadArgumentError
from pinchpoint.progress import ProgressCallback
from pinchpoint.results import ResultTable
from pinchpoint.trends.series import FloatArray, Series, month_label

MODELS: tuple[str, ...] = ("naive", "snaive", "drift", "ets", "arima", "theta", "combo")
SINGLE_MODELS: tuple[str, ...] = ("naive", "snaive", "drift", "ets", "arima", "theta")
COMBINED = ("ets", "arima", "theta")
DEFAULT_HORIZONS: tuple[int, ...] = (1, 3, 6, 12)
MIN_TRAIN = 36  # months of data before the first origin (three years: what the seasonal indices need)
EMPIRICAL_MIN = 24  # past errors needed for an empirical interval
ERROR_WINDOW = 120  # the most recent past errors an interval is read from (ten years of origins)
TAIL = 0.10  # an 80% interval misses 10% below and 10% above
ADAPT_RATE = 0.01  # how far a tail's quantile level moves after each outcome (adaptive conformal inference)
CHOICE_WINDOW = 60  # the chosen forecast ranks models on their last five years of known errors...
CHOICE_SIZE = 2  # ...and averages the best two
CHOICE_MIN = 12  # known errors before the ranking is trusted (until then: combo)
#: the mean of the best two is used only where its own record, scored as it would have been used (each origin's
#: ranking from errors known then), beat the equal-weight combination over every error known so far, at least this
#: many of them; otherwise the combination (a fallback: a ranking of close models on a few years of errors is noise,
#: and the equal-weight combination is hard to beat, Stock and Watson 2004; Claeskens et al. 2016)
SWITCH_MIN = 24
WARMUP = 60  # origins before the first scored one (where the data allow) that the choice and intervals learn from
Z80 = 1.2815515655446004


# Seasonal adjustment for the models ------------------------------------------------------------------------
def seasonal_indices(z: FloatArray, first_month: int) -> FloatArray:
    """Additive seasonal indices (12, by calendar month, summing to 0) of ``z`` by classical decomposition."""
    n = len(z)
    out = np.zeros(12)
    if n < 36:
        return out
    kernel = np.r_[0.5, np.ones(11), 0.5] / 12.0
    trend = np.convolve(z, kernel, mode="valid")  # centred: trend[k] is at t = k + 6
    detrended = z[6: 6 + len(trend)] - trend
    months = (first_month + 6 + np.arange(len(trend))) % 12
    for m in range(12):
        sel = detrended[months == m]
        out[m] = sel.mean() if len(sel) else 0.0
    centred: FloatArray = out - out.mean()
    return centred


# Model pieces ---------------------------------------------------------------------------------------------
def _ses_levels(z: FloatArray, alpha: float) -> FloatArray:
    """SES level after each month: l_t = alpha z_t + (1 - alpha) l_{t-1}, l_0 = z_0 (causal)."""
    base = z[0]
    out: FloatArray = lfilter([alpha], [1.0, -(1.0 - alpha)], z - base) + base
    out[0] = z[0]
    return out


def _ses_fit(z: FloatArray, grid: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)
             ) -> float:
    best, best_sse = grid[0], math.inf
    burn = min(12, len(z) // 4)
    for a in grid:
        lev = _ses_levels(z, a)
        err = z[1:] - lev[:-1]
        sse = float(np.dot(err[burn:], err[burn:]))
        if sse < best_sse:
            best, best_sse = a, sse
    return best


def _holt_filters(alpha: float, beta: float, phi: float) -> tuple[list[float], list[float], list[float], list[float]]:
    """Transfer functions (numerators for one-step prediction, level, trend; denominator) of ETS(A,Ad,N) in its
    error-correction form, as a linear filter of the data (x_t = D x_{t-1} + g z_t, D = F - g w')."""
    d11, d12 = 1.0 - alpha, phi * (1.0 - alpha)
    d21, d22 = -beta, phi * (1.0 - beta)
    g1, g2 = alpha, beta
    den = [1.0, -(d11 + d22), d11 * d22 - d12 * d21]
    level = [g1, -d22 * g1 + d12 * g2]
    trend = [g2, d21 * g1 - d11 * g2]
    # one-step prediction w' x_{t-1} with w = (1, phi): a one-month delay of w' x_t
    pred = [0.0, level[0] + phi * trend[0], level[1] + phi * trend[1]]
    return pred, level, trend, den


_ETS_GRID = [(a, b, p) for a in (0.1, 0.2, 0.35, 0.5, 0.7, 0.9) for b in (0.01, 0.05, 0.15) for p in (0.8, 0.9, 0.98)
             if b <= a]


def _ets_fit(z: FloatArray) -> tuple[float, float, float]:
    base = z[0]
    zz = z - base
    burn = min(24, len(z) // 4)
    best, best_sse = _ETS_GRID[0], math.inf
    for a, b, p in _ETS_GRID:
        pred, _, _, den = _holt_filters(a, b, p)
        err = zz - lfilter(pred, den, zz)
        sse = float(np.dot(err[burn:], err[burn:]))
        if sse < best_sse:
            best, best_sse = (a, b, p), sse
    return best


def _ets_states(z: FloatArray, params: tuple[float, float, float]) -> tuple[FloatArray, FloatArray]:
    a, b, p = params
    _, level, trend, den = _holt_filters(a, b, p)
    base = z[0]
    zz = z - base
    return lfilter(level, den, zz) + base, lfilter(trend, den, zz)


def _damped_sums(phi: float, horizon: int) -> FloatArray:
    return np.cumsum(phi ** np.arange(1, horizon + 1))


def _ar_fit(dz: FloatArray, max_p: int = 12) -> tuple[int, FloatArray]:
    """ARIMA(p,1,0)+drift on first differences: p by AIC on a common sample, coefficients (c, phi_1..p) by OLS."""
    n = len(dz)
    max_p = max(0, min(max_p, n // 5))
    lags = np.column_stack([dz[max_p - i - 1: n - i - 1] for i in range(max_p)]) if max_p else np.empty((n, 0))
    target = dz[max_p:]
    m = len(target)
    x = np.column_stack([np.ones(m), lags])
    gram, cross, yy = x.T @ x, x.T @ target, float(target @ target)
    best_p, best_aic, best_coef = 0, math.inf, np.array([float(dz.mean())])
    for p in range(max_p + 1):  # every order from one Gram matrix: the same rows, nested columns
        g, c = gram[: p + 1, : p + 1], cross[: p + 1]
        try:
            coef = np.linalg.solve(g, c)
        except np.linalg.LinAlgError:
            continue
        sigma2 = max((yy - 2 * float(coef @ c) + float(coef @ g @ coef)) / m, 1e-300)
        aic = m * math.log(sigma2) + 2 * (p + 2)
        if aic < best_aic:
            best_p, best_aic, best_coef = p, aic, coef
    return best_p, best_coef


def _ar_paths(z: FloatArray, origins: FloatArray | Any, coef: FloatArray, p: int, horizon: int) -> FloatArray:
    """Forecast paths (len(origins) x horizon) of the levels from each origin, all origins at once."""
    origins = np.asarray(origins, dtype=np.int64)
    dz = np.diff(z)
    # the last p differences known at each origin o are dz[o-1], dz[o-2], ... (dz[k] = z[k+1] - z[k])
    hist = np.zeros((len(origins), p))
    for i in range(p):
        idx = origins - 1 - i
        hist[:, i] = np.where(idx >= 0, dz[np.clip(idx, 0, None)], 0.0)
    level = z[origins].copy()
    out = np.empty((len(origins), horizon))
    for h in range(horizon):
        step = coef[0] + (hist @ coef[1:] if p else 0.0)
        level = level + step
        out[:, h] = level
        if p:
            hist = np.column_stack([step, hist[:, :-1]])
    return out


# Backtest ---------------------------------------------------------------------------------------------------
@dataclass
class Backtest:
    """Forecasts and errors of every model at every origin (rows) and horizon (columns 1..H)."""

    series: Series
    origins: np.ndarray  # positions in the series
    horizon: int
    log: bool
    seasonal: bool
    forecasts: dict[str, FloatArray] = field(default_factory=dict)  # model -> (origins x H), original scale
    lower: dict[str, FloatArray] = field(default_factory=dict)
    upper: dict[str, FloatArray] = field(default_factory=dict)
    actual: FloatArray = field(default_factory=lambda: np.empty((0, 0)))
    scale: FloatArray = field(default_factory=lambda: np.empty(0))  # MASE scale at each origin
    chosen_model: list[list[str]] = field(default_factory=list)  # origins x H: the models' weights then
    seconds: float = 0.0
    calibration: Calibration | None = None  # over every origin, the warm-up ones first
    warmup: int = 0  # origins before the first scored one that the choice and the intervals learned from

    def errors(self, model: str) -> FloatArray:
        return self.forecasts[model] - self.actual


def _transform(values: FloatArray) -> tuple[FloatArray, bool]:
    if (values > 0).all():
        return np.log(values), True
    return values.astype(np.float64), False


def _point_paths(z: FloatArray, origins: np.ndarray, refit_at: int, horizon: int, first_month: int,
                 seasonal: bool) -> dict[str, FloatArray]:
    """Every model's forecast paths (transformed scale) from ``origins``, parameters estimated on z[:refit_at+1]."""
    train = z[: refit_at + 1]
    hs = np.arange(1, horizon + 1)
    out: dict[str, FloatArray] = {}
    o = origins
    # naive, seasonal naive, drift: from the data as it is
    out["naive"] = np.repeat(z[o][:, None], horizon, axis=1)
    idx = o[:, None] - 12 + ((hs - 1) % 12) + 1
    out["snaive"] = z[idx]
    slope = (z[o] - z[0]) / np.maximum(o, 1)
    out["drift"] = z[o][:, None] + slope[:, None] * hs[None, :]
    # the smoothing models work on the seasonally adjusted series
    s_idx = seasonal_indices(train, first_month) if seasonal else np.zeros(12)
    months_all = (first_month + np.arange(len(z))) % 12
    za = z - s_idx[months_all]
    future_season = s_idx[(first_month + o[:, None] + hs[None, :]) % 12]
    train_a = za[: refit_at + 1]
    # ETS(A,Ad,N)
    a, b, phi = _ets_fit(train_a)
    lev, tr = _ets_states(za[: o[-1] + 1], (a, b, phi))
    out["ets"] = lev[o][:, None] + tr[o][:, None] * _damped_sums(phi, horizon)[None, :] + future_season
    # ARIMA(p,1,0) + drift
    p, coef = _ar_fit(np.diff(train_a))
    out["arima"] = _ar_paths(za, o, coef, p, horizon) + future_season
    # Theta: SES + half the OLS slope (Hyndman & Billah 2003)
    alpha = _ses_fit(train_a)
    ses = _ses_levels(za[: o[-1] + 1], alpha)
    t = np.arange(len(train_a))
    b0 = float(np.polyfit(t, train_a, 1)[0]) if len(train_a) > 2 else 0.0
    n_at = o + 1
    theta_drift = 0.5 * b0 * (hs[None, :] - 1 + 1 / alpha - ((1 - alpha) ** n_at)[:, None] / alpha)
    out["theta"] = ses[o][:, None] + theta_drift + future_season
    out["combo"] = (out["ets"] + out["arima"] + out["theta"]) / 3.0
    return out


def backtest(series: Series, *, horizon: int = 12, origins_from: int | None = None, refit_every: int = 12,
             models: Sequence[str] = MODELS, progress: ProgressCallback | None = None) -> Backtest:
    """Rolling-origin backtest of ``models`` on ``series``. ``origins_from`` is a month index (default: 48 months
    after the start, or 10 years before the end, whichever is later). Data after an origin is never used for the
    forecast made at it."""
    began = time.perf_counter()
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise BadArgumentError(f"unknown model(s) {', '.join(unknown)}: one of {', '.join(MODELS)}")
    if horizon < 1 or horizon > 36:
        raise BadArgumentError(f"horizon {horizon}: between 1 and 36 months")
    if refit_every < 1:
        raise BadArgumentError("refit_every must be at least 1")
    z, log = _transform(series.values)
    n = len(z)
    if n < MIN_TRAIN + 2:
        raise BadArgumentError(f"{series.id}: {n} months; a backtest needs at least {MIN_TRAIN + 2}")
    first_origin = (origins_from - series.start) if origins_from is not None else max(MIN_TRAIN, n - 121)
    if first_origin < MIN_TRAIN:
        raise BadArgumentError(f"{series.id}: origins from {month_label(series.start + first_origin)} leave fewer than "
                         f"{MIN_TRAIN} months to fit on (the series starts {month_label(series.start)})")
    if first_origin > n - 2:
        raise BadArgumentError(
            f"{series.id}: origins from {month_label(series.start + first_origin)} leave no month to "
                         f"test on (the series ends {month_label(series.end)})")
    # warm-up origins: up to WARMUP months before the first scored origin, where the series leaves MIN_TRAIN months
    # to fit on; they are not scored, but give the choice of models and the intervals a record to learn from, so
    # the rule does not start blind at the first scored origin (each still only from data up to its own origin)
    first_all = max(MIN_TRAIN, first_origin - WARMUP)
    warm = first_origin - first_all
    origins = np.arange(first_all, n - 1)
    seasonal = series.seasonal_adjustment != "SA"
    bt = Backtest(series, origins[warm:], horizon, log, seasonal, warmup=warm)
    all_models = list(dict.fromkeys([*models, *SINGLE_MODELS, "combo"]))
    paths = {m: np.empty((len(origins), horizon)) for m in all_models}
    # actuals (original scale) and the MASE scale at each origin (in-sample seasonal naive MAE up to the origin)
    target = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    actual = np.where(target < n, series.values[np.minimum(target, n - 1)], np.nan)
    seasonal_diff = np.abs(z[12:] - z[:-12])  # on the models' scale (logs): a growing series weighs each decade alike
    csum = np.r_[0.0, np.cumsum(seasonal_diff)]
    counts = np.maximum(origins + 1 - 12, 1)
    scale = csum[np.clip(origins + 1 - 12, 0, len(seasonal_diff))] / counts
    scale = np.where(scale > 0, scale, np.nan)
    errors_z: dict[str, FloatArray] = {m: np.full((len(origins), horizon), np.nan) for m in all_models}
    blocks = list(range(0, len(origins), refit_every))
    for done, k0 in enumerate(blocks):
        block = origins[k0: k0 + refit_every]
        pts = _point_paths(z, block, int(block[0]), horizon, series.start % 12, seasonal)
        tz = np.where(target[k0: k0 + len(block)] < n, z[np.minimum(target[k0: k0 + len(block)], n - 1)], np.nan)
        for m in all_models:
            paths[m][k0: k0 + len(block)] = pts[m]
            errors_z[m][k0: k0 + len(block)] = tz - pts[m]
        if progress is not None:
            progress(done + 1, len(blocks), "backtest")
    tz_all = np.where(target < n, z[np.minimum(target, n - 1)], np.nan)
    cal = _calibrate(paths, errors_z, tz_all, scale, z, origins, horizon)
    back: Callable[[FloatArray], FloatArray] = np.exp if log else (lambda a: a)
    for m in [*all_models, "chosen", "best_past"]:
        source = (cal.chosen if m == "chosen" else cal.best_past if m == "best_past" else paths[m])[warm:]
        bt.forecasts[m] = back(source)
        bt.lower[m] = back(source + cal.lower[m][warm:])
        bt.upper[m] = back(source + cal.upper[m][warm:])
    bt.actual = actual[warm:]
    bt.scale = scale[warm:]
    bt.chosen_model = cal.chosen_models[warm:]
    bt.calibration = cal
    bt.seconds = time.perf_counter() - began
    return bt


def _known_window(errors: FloatArray, rows: np.ndarray, r: int, horizon: int, window: int) -> FloatArray:
    """(window x horizon) past errors known at origin ``r`` for each horizon, the most recent last; NaN pads.

    Origins are consecutive months, so the errors known at r for horizon h are a prefix of the rows: those whose
    origin o satisfies o + h <= r."""
    out = np.full((window, horizon), np.nan)
    if not len(rows):
        return out
    for h in range(horizon):
        k = int(np.searchsorted(rows, r - h - 1, side="right"))  # rows[:k] have o + h + 1 <= r
        seg = errors[max(0, k - window): k, h]
        if len(seg):
            out[window - len(seg):, h] = seg
    return out


@dataclass
class Calibration:
    """What the post-pass over the origins decided, each from errors known at the time: the chosen forecast
    (transformed scale), the models it averaged, every forecast's interval offsets, and the state the forecast from
    the last month continues from (the calibrated quantile levels and the errors known then)."""

    chosen: FloatArray
    best_past: FloatArray  # the reference a practitioner has: the single model with the lowest recent error
    chosen_models: list[list[str]]
    lower: dict[str, FloatArray]  # name -> offsets (origins x H), transformed scale
    upper: dict[str, FloatArray]
    levels: dict[str, FloatArray]  # name -> (2 x H): lower-tail and upper-tail miss levels after the last outcome
    errors: dict[str, FloatArray]  # name -> errors (origins x H), the chosen forecast's included
    final_choice: list[dict[str, float]]  # per horizon: the weights the rule gives the models at the last month


def choice_weights(models: Sequence[str]) -> dict[str, float]:
    """Weights on the single models of an equal-weight mean of ``models`` (``combo`` counts as its three models),
    largest first."""
    out: dict[str, float] = {}
    for m in models:
        for part in (COMBINED if m == "combo" else (m,)):
            out[part] = out.get(part, 0.0) + 1.0 / len(models) / (len(COMBINED) if m == "combo" else 1)
    order = {m: k for k, m in enumerate(MODELS)}
    return dict(sorted(out.items(), key=lambda kv: (-round(kv[1], 9), order[kv[0]])))


def weights_label(weights: dict[str, float]) -> str:
    """``ets 0.42 + theta 0.42 + arima 0.17``: the chosen forecast's weights, as printed."""
    return " + ".join(f"{m} {w:.2f}" for m, w in weights.items())


def _known_rows(i: int, h: int, window: int) -> slice:
    """Rows whose forecast at horizon ``h`` (1-based) had its target month pass by origin row ``i``: origins are
    consecutive months, so those are rows ``<= i - h``; the most recent ``window`` of them."""
    hi = max(0, i - h + 1)
    return slice(max(0, hi - window), hi)


def _offsets(errors: FloatArray, lo_level: float, hi_level: float) -> tuple[float, float] | None:
    """The ``lo_level`` and ``1 - hi_level`` quantiles of the finite ``errors`` (None with fewer than
    EMPIRICAL_MIN)."""
    e = errors[np.isfinite(errors)]
    if len(e) < EMPIRICAL_MIN:
        return None
    return float(np.quantile(e, lo_level)), float(np.quantile(e, 1.0 - hi_level))


def _calibrate(paths: dict[str, FloatArray], errors_z: dict[str, FloatArray], target_z: FloatArray,
               scale: FloatArray, z: FloatArray, origins: np.ndarray, horizon: int) -> Calibration:
    """Walk the origins in order and decide, at each, from the errors known then (target month passed):

    - the chosen forecast at each horizon: the mean of the CHOICE_SIZE models with the lowest scaled error over the
      last CHOICE_WINDOW known errors at that horizon (the mean of ets, arima and theta until CHOICE_MIN are known),
      used only where that mean's own record beat combo's over every error known (at least SWITCH_MIN); otherwise
      combo;
    - every forecast's 80% interval: quantiles of its own last ERROR_WINDOW known errors at that horizon, at levels
      adapted online so each tail is missed 10% of the time (adaptive conformal inference, Gibbs and Candes 2021:
      after each outcome the level moves by ADAPT_RATE x (target rate - missed)), with a normal interval from the
      spread of monthly changes until EMPIRICAL_MIN errors are known.

    The choice and the sorted error windows do not depend on the intervals, so they are computed for all origins
    at once; only the quantile levels are walked month by month.
    """
    names = list(paths)
    singles = [m for m in names if m in (*SINGLE_MODELS, "combo")]
    every = [*names, "chosen", "best_past"]
    n_rows = len(origins)
    hs = np.arange(1, horizon + 1)
    ks = hs - 1
    # rows whose horizon-h target had passed at origin row i are rows < stop = i - h + 1 (i = n_rows: the last month)
    stop = np.clip(np.arange(n_rows + 1)[:, None] - hs[None, :] + 1, 0, n_rows)  # (n_rows + 1) x H
    # 1. the choice: mean scaled error over the last CHOICE_WINDOW known errors, by cumulative sums
    scaled = np.stack([np.abs(errors_z[m]) for m in singles], axis=2) / scale[:, None, None]  # rows x H x models
    finite = np.isfinite(scaled)
    sums = np.concatenate([np.zeros((1, horizon, len(singles))), np.cumsum(np.where(finite, scaled, 0.0), axis=0)])
    counts = np.concatenate([np.zeros((1, horizon, len(singles))), np.cumsum(finite, axis=0)])
    begin = np.maximum(stop - CHOICE_WINDOW, 0)
    window_sum = sums[stop, ks[None, :]] - sums[begin, ks[None, :]]
    window_n = counts[stop, ks[None, :]] - counts[begin, ks[None, :]]
    with np.errstate(all="ignore"):
        score = np.where(window_n > 0, window_sum / np.maximum(window_n, 1), np.inf)
    order = np.argsort(score, axis=2, kind="stable")[:, :, :CHOICE_SIZE]
    trusted = window_n.max(axis=2) >= CHOICE_MIN
    picks = np.where(trusted[:, :, None], order, singles.index("combo"))  # (n_rows + 1) x H x CHOICE_SIZE
    paths_s = np.stack([paths[m] for m in singles], axis=2)
    best_mean = np.take_along_axis(paths_s, picks[:n_rows], axis=2).mean(axis=2)
    # 2. the fallback: the best two's mean only where its record (as used) beat combo on every error known then
    gain = (np.abs(target_z - best_mean) - np.abs(target_z - paths["combo"])) / scale[:, None]  # < 0: best two won
    seen = np.isfinite(gain)
    g_sum = np.concatenate([np.zeros((1, horizon)), np.cumsum(np.where(seen, gain, 0.0), axis=0)])
    g_n = np.concatenate([np.zeros((1, horizon)), np.cumsum(seen, axis=0)])
    known_gain, known_n = g_sum[stop, ks[None, :]], g_n[stop, ks[None, :]]  # (n_rows + 1) x H
    switch = (known_n >= SWITCH_MIN) & (known_gain < 0)
    chosen = np.where(switch[:n_rows], best_mean, paths["combo"])
    # one integer per choice (the picks' positions in base len(singles)), so labels are built once per distinct one
    combo_code = sum(singles.index("combo") * len(singles) ** j for j in range(CHOICE_SIZE))
    codes = np.where(switch, (picks * (len(singles) ** np.arange(CHOICE_SIZE))).sum(axis=2), combo_code).tolist()
    weights = {c: choice_weights([singles[(c // len(singles) ** j) % len(singles)] for j in range(CHOICE_SIZE)])
               for c in {c for row in codes for c in row}}
    labels = {c: weights_label(w) for c, w in weights.items()}
    chosen_models = [[labels[c] for c in row] for row in codes[:n_rows]]
    final_choice = [weights[c] for c in codes[n_rows]]
    # 2. every forecast's known errors at each origin and horizon, sorted once (NaN last)
    # the honest reference for the rule: the one single model with the lowest scaled error over the last
    # CHOICE_WINDOW known errors (the random walk until CHOICE_MIN are known), not the best one in hindsight
    single_idx = [k for k, m in enumerate(singles) if m in SINGLE_MODELS]
    best_one = np.asarray(single_idx)[np.argmin(score[:n_rows][:, :, single_idx], axis=2)]
    best_one = np.where(trusted[:n_rows], best_one, singles.index("naive"))
    best_past = np.take_along_axis(paths_s, best_one[:, :, None], axis=2)[:, :, 0]
    errs = np.stack([*(errors_z[m] for m in names), target_z - chosen, target_z - best_past], axis=2)
    n_m = errs.shape[2]
    padded = np.concatenate([np.full((ERROR_WINDOW, horizon, n_m), np.nan), errs])
    view = np.lib.stride_tricks.sliding_window_view(padded, ERROR_WINDOW, axis=0)  # (n_rows + 1) x H x M x W
    windows = view[stop[:n_rows], ks[None, :]]  # n_rows x H x M x W: rows stop - W .. stop - 1
    ordered = np.sort(windows, axis=3)
    n_known = np.isfinite(windows).sum(axis=3)  # n_rows x H x M
    # the normal interval until enough errors are known: the spread of the last 120 monthly changes
    dz = np.diff(z)
    c1, c2 = np.r_[0.0, np.cumsum(dz)], np.r_[0.0, np.cumsum(dz * dz)]
    o = origins.astype(np.int64)
    lo_d = np.maximum(o - 120, 0)
    m_d = np.maximum(o - lo_d, 1)
    mean_d = (c1[o] - c1[lo_d]) / m_d
    sd = np.sqrt(np.maximum((c2[o] - c2[lo_d]) / m_d - mean_d ** 2, 0.0))
    sd = np.where(o - lo_d >= 2, sd, 0.0)
    # 3. the quantile levels, walked month by month: an outcome is known at origin row i for row i - h
    lower = np.zeros((n_rows, horizon, n_m))
    upper = np.zeros((n_rows, horizon, n_m))
    lv_lo = np.full((horizon, n_m), TAIL)
    lv_hi = np.full((horizon, n_m), TAIL)
    for i in range(n_rows + 1):
        j = i - hs
        ok = j >= 0
        if ok.any():
            jj, kk = j[ok], ks[ok]
            e = errs[jj, kk, :]
            seen = np.isfinite(e)
            lv_lo[kk] = np.clip(lv_lo[kk] + ADAPT_RATE * seen * (TAIL - ((e < lower[jj, kk, :]) & seen)), 0.0, 0.5)
            lv_hi[kk] = np.clip(lv_hi[kk] + ADAPT_RATE * seen * (TAIL - ((e > upper[jj, kk, :]) & seen)), 0.0, 0.5)
        if i == n_rows:
            break
        cnt = n_known[i]
        last = np.maximum(cnt - 1, 0)
        for levels, out in ((lv_lo, lower), (1.0 - lv_hi, upper)):
            pos = last * levels
            below = np.floor(pos).astype(np.int64)
            above = np.minimum(below + 1, last)
            a = np.take_along_axis(ordered[i], below[:, :, None], axis=2)[:, :, 0]
            b = np.take_along_axis(ordered[i], above[:, :, None], axis=2)[:, :, 0]
            out[i] = a + (pos - below) * (b - a)
        half = Z80 * sd[i] * np.sqrt(hs)[:, None]
        enough = cnt >= EMPIRICAL_MIN
        lower[i] = np.where(enough, lower[i], -half)
        upper[i] = np.where(enough, upper[i], half)
    return Calibration(chosen, best_past, chosen_models, {m: lower[:, :, k] for k, m in enumerate(every)},
                       {m: upper[:, :, k] for k, m in enumerate(every)},
                       {m: np.stack([lv_lo[:, k], lv_hi[:, k]]) for k, m in enumerate(every)},
                       {m: errs[:, :, k] for k, m in enumerate(every)}, final_choice)


# Accuracy ---------------------------------------------------------------------------------------------------
def accuracy(bt: Backtest, horizons: Sequence[int] = DEFAULT_HORIZONS, *, months_from: int | None = None
             ) -> ResultTable:
    """MASE, sMAPE, bias (mean error in percent of the actual; positive: forecasts too high), MAE and 80% interval
    coverage per model and horizon, over the origins whose target month is known (and, with ``months_from``, whose
    target month is from that month on)."""
    rows = []
    for m in [*MODELS, "chosen", "best_past"]:
        if m not in bt.forecasts:
            continue
        f, lo, hi = bt.forecasts[m], bt.lower[m], bt.upper[m]
        for h in horizons:
            if h > bt.horizon:
                continue
            k = h - 1
            ok = np.isfinite(bt.actual[:, k]) & np.isfinite(bt.scale)
            if months_from is not None:
                ok &= (bt.series.start + bt.origins + h) >= months_from
            if not ok.any():
                continue
            y, yhat = bt.actual[ok, k], f[ok, k]
            e = yhat - y
            e_model = (np.log(yhat) - np.log(y)) if bt.log else e
            rows.append({"model": m, "horizon": h, "n": int(ok.sum()),
                         "mase": float(np.mean(np.abs(e_model) / bt.scale[ok])),
                         "smape": float(np.mean(200 * np.abs(e) / (np.abs(y) + np.abs(yhat)))),
                         "bias_pct": float(np.mean(e / y) * 100) if (y != 0).all() else None,
                         "mae": float(np.mean(np.abs(e))),
                         "coverage_80": float(np.mean((y >= lo[ok, k]) & (y <= hi[ok, k])))})
    first = month_label(bt.series.start + int(bt.origins[0]))
    # no timing in meta: the same question gets the same document (CLI and API alike)
    meta = {"analysis": "rolling-origin backtest", "series": bt.series.id, "vintage": bt.series.vintage,
            "origins": f"{first}..{month_label(bt.series.start + int(bt.origins[-1]))}",
            "n_origins": len(bt.origins), "log": bt.log, "seasonal_adjustment_in_models": bt.seasonal}
    caveats = [f"every forecast used only data up to its origin ({first} onwards, one origin a month); MASE is "
               "scaled by the in-sample seasonal-naive error at each origin (below 1 beats it in sample)"
               + (", both on logs (errors as log ratios)" if bt.log else ""),
               "'best_past' is the single model with the lowest scaled error over the last "
               f"{CHOICE_WINDOW} errors known at each origin (the random walk until {CHOICE_MIN}): the choice a "
               "reader could have made, unlike the best single model in hindsight",
               f"'chosen' is the rule applied as it would have been: at each horizon the mean of the {CHOICE_SIZE} "
               f"models with the lowest scaled error over the last {CHOICE_WINDOW} errors known at the time, where "
               "that mean had beaten the equal-weight combination (combo) over every error known then, else combo"
               + (f"; {bt.warmup} earlier origins, not scored, gave the rule and the intervals a record to start "
                  "from" if bt.warmup else ""),
               "80% intervals are quantiles of each forecast's own past errors at that horizon (the last "
               f"{ERROR_WINDOW} known), at levels adapted after each outcome so each tail is missed about 10% of the "
               "time (adaptive conformal inference)"]
    if not bt.log:
        caveats.append("the series has values <= 0: models work on levels, not logs")
    return ResultTable.from_records("trends_backtest", rows, ["model", "horizon", "n", "mase", "smape", "bias_pct",
                                                              "mae", "coverage_80"], meta=meta).with_caveats(*caveats)


def _shortfalls(acc: ResultTable, horizons: Sequence[int]) -> list[str]:
    """Caveats for the horizons where the backtest says the chosen forecast fails its goals: an 80% interval that
    covered outside 75-85%, or a MASE not below seasonal naive and every single model."""
    rows = {(r["model"], r["horizon"]): r for r in acc.rows}
    out = []
    for h in horizons:
        ch = rows.get(("chosen", h))
        if ch is None:
            continue
        cov = ch["coverage_80"]
        if not 0.75 <= cov <= 0.85:
            out.append(f"at {h} month(s) ahead the 80% interval covered {cov:.0%} of the backtest's outcomes "
                       f"({'too narrow' if cov < 0.75 else 'wider than needed'}): read it with that in mind")
        singles = {m: rows[(m, h)]["mase"] for m in SINGLE_MODELS if (m, h) in rows}
        best = min(singles, key=lambda m: singles[m]) if singles else None
        if best is not None and ch["mase"] >= singles[best]:
            out.append(f"at {h} month(s) ahead the chosen forecast's backtest MASE ({ch['mase']:.3f}) is not below "
                       f"the best single model's in hindsight ({best}, {singles[best]:.3f})")
        past = rows.get(("best_past", h))
        if past is not None and past["mase"] < ch["mase"]:
            digits = 3 if round(past["mase"], 3) != round(ch["mase"], 3) else 5  # show the difference
            out.append(f"at {h} month(s) ahead the single model with the lowest recent error, picked as it would "
                       f"have been at each origin ('best_past'), scored {past['mase']:.{digits}f}, below the chosen "
                       f"forecast's {ch['mase']:.{digits}f}")
    return out


# The forecast -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """The forecast (one row per month ahead: the chosen model, point and 80% interval, every model's point) and
    the backtest accuracy that goes with it."""

    forecast: ResultTable
    accuracy: ResultTable
    backtest: Backtest


def forecast(series: Series, *, horizon: int = 12, origins_from: int | None = None, refit_every: int = 12,
             accuracy_horizons: Sequence[int] = DEFAULT_HORIZONS, score_from: int | None = None,
             progress: ProgressCallback | None = None) -> Forecast:
    """Forecast ``series`` ``horizon`` months ahead with every model; the forecast printed at each horizon follows
    the rule the backtest row ``chosen`` scores, and its 80% interval is calibrated on that rule's past errors.
    ``score_from`` (a month) also reports the backtest over target months from then on only (e.g. a peer's test
    period); the choice of model still uses the whole backtest."""
    bt = backtest(series, horizon=horizon, origins_from=origins_from, refit_every=refit_every, progress=progress)
    full_acc = accuracy(bt, range(1, horizon + 1))
    shown = set(accuracy_horizons) | {horizon}
    table = ResultTable(full_acc.name, full_acc.columns, tuple(r for r in full_acc.rows if r["horizon"] in shown),
                        full_acc.meta)
    if score_from is not None:
        scored = accuracy(bt, sorted(shown), months_from=score_from)
        table = ResultTable(scored.name, scored.columns, scored.rows,
                            {**scored.meta, "scored_from": month_label(score_from)}).with_caveats(
            f"scored on target months from {month_label(score_from)} only; models were chosen on the whole backtest")
    mase = {(r["model"], r["horizon"]): r["mase"] for r in full_acc.rows}
    coverage = {r["horizon"]: r["coverage_80"] for r in full_acc.rows if r["model"] == "chosen"}
    z, log = _transform(series.values)
    n = len(z)
    pts = _point_paths(z, np.array([n - 1]), n - 1, horizon, series.start % 12, bt.seasonal)
    cal = bt.calibration
    assert cal is not None
    back: Callable[[FloatArray], FloatArray] = np.exp if log else (lambda a: a)
    sd1 = float(np.std(np.diff(z[-121:]))) if n > 2 else 0.0
    rows = []
    for h in range(1, horizon + 1):
        picked = cal.final_choice[h - 1]
        point_z = float(sum(w * pts[m][0, h - 1] for m, w in picked.items()))
        known = cal.errors["chosen"][_known_rows(len(cal.chosen), h, ERROR_WINDOW), h - 1]
        got = _offsets(known, float(cal.levels["chosen"][0, h - 1]), float(cal.levels["chosen"][1, h - 1]))
        lo, hi = got if got is not None else (-Z80 * sd1 * math.sqrt(h), Z80 * sd1 * math.sqrt(h))
        score = mase.get(("chosen", h))
        row: dict[str, Any] = {"month": month_label(series.end + h), "horizon": h, "model": weights_label(picked),
                               "forecast": float(back(np.array([point_z]))[0]),
                               "lower_80": float(back(np.array([point_z + lo]))[0]),
                               "upper_80": float(back(np.array([point_z + hi]))[0]),
                               "backtest_mase": score, "backtest_coverage_80": coverage.get(h)}
        for m in MODELS:
            row[m] = float(back(pts[m][0, h - 1: h])[0])
        rows.append(row)
    columns = ["month", "horizon", "model", "forecast", "lower_80", "upper_80", "backtest_mase",
               "backtest_coverage_80", *MODELS]
    caveats = [f"each month ahead is the equal-weight combination of {', '.join(COMBINED)}, or the mean of the "
               f"{CHOICE_SIZE} models with the lowest scaled error at that horizon over the last {CHOICE_WINDOW} "
               "months of backtest errors where that mean has beaten the combination on every past origin (the "
               "'model' column gives the weights), the rule the backtest row 'chosen' scores over "
               f"{len(bt.origins)} origins ({table.meta['origins']}); see the backtest table",
               "the 80% interval is read from the chosen rule's own past errors at that horizon, its quantile levels "
               "adapted to the misses seen so far (adaptive conformal): it assumes the next year's surprises are "
               "like the recent past's"]
    caveats.extend(_shortfalls(full_acc, [h for h in DEFAULT_HORIZONS if h <= horizon]))
    if bt.seasonal:
        caveats.append(f"{series.id} is not marked seasonally adjusted: ets, arima, theta and combo model it "
                       "after removing a classical seasonal pattern estimated on the data")
    meta = {"analysis": "forecast", "series": series.id, "vintage": series.vintage, "last_month": month_label(
        series.end), "horizon": horizon, "log": log, "backtest_origins": table.meta["origins"],
        "backtest": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                     for r in table.records()]}
    fc = ResultTable.from_records("trends_forecast", rows, columns, meta=meta).with_caveats(*caveats)
    return Forecast(fc, table, bt)
