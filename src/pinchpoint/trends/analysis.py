"""Analyses of monthly series: growth rates, seasonal adjustment (STL), the shipment-inventory balance and the
inventory-to-shipment ratio, cycle dating with Bry-Boschan rules, and lead/lag by cross-correlation.

Each public function returns a :class:`ResultTable` with its parameters in ``meta`` and its limits in the caveats;
the array helpers beside them (``yoy``, ``turning_points``...) are what the forecasts and the early warning reuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from pinchpoint.errors import BadArgumentError, import_extra
from pinchpoint.results import ResultTable
from pinchpoint.trends.series import FloatArray, Series, align, month_label


# Growth -----------------------------------------------------------------------------------------------------
def pct_change(values: FloatArray, lag: int) -> FloatArray:
    """Percent change over ``lag`` months; NaN for the first ``lag`` months and where the base is not positive."""
    out = np.full(len(values), np.nan)
    if len(values) > lag:
        base = values[:-lag]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lag:] = np.where(base > 0, (values[lag:] / base - 1.0) * 100.0, np.nan)
    return out


def yoy(values: FloatArray) -> FloatArray:
    return pct_change(values, 12)


def growth(series: Series) -> ResultTable:
    """Month-on-month and year-on-year growth in percent, month by month."""
    mom, annual = pct_change(series.values, 1), yoy(series.values)
    rows = [{"month": month_label(series.start + i), "value": float(v), "mom_pct": _num(mom[i]),
             "yoy_pct": _num(annual[i])} for i, v in enumerate(series.values)]
    caveats = []
    if series.seasonal_adjustment != "SA":
        caveats.append(f"{series.id} is {series.seasonal_adjustment} (not seasonally adjusted): month-on-month growth "
                       "mixes seasonal swings with the trend; read year-on-year growth, or adjust it first (STL)")
    if (series.values <= 0).any():
        caveats.append("growth is empty where the base month is zero or negative")
    return ResultTable.from_records("trends_growth", rows, ["month", "value", "mom_pct", "yoy_pct"],
                                    meta={"analysis": "growth", "series": series.id,
                                          "version": series.vintage}).with_caveats(*caveats)


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


# Seasonal adjustment ----------------------------------------------------------------------------------------
def stl_adjust(series: Series, *, robust: bool = True) -> tuple[Series, ResultTable]:
    """The series with its STL seasonal component removed (on logs when every value is positive, so the
    seasonal swing is a percentage), and the decomposition as a table. Needs the ``trends`` extra (statsmodels)."""
    STL = import_extra("statsmodels.tsa.seasonal", "trends", "seasonal adjustment (STL)").STL
    if len(series.values) < 36:
        raise BadArgumentError(f"{series.id}: STL needs at least 3 years of months, not {len(series.values)}")
    positive = bool((series.values > 0).all())
    y = np.log(series.values) if positive else series.values
    fit = STL(y, period=12, robust=robust).fit()
    seasonal = np.asarray(fit.seasonal, dtype=np.float64)
    adjusted = np.exp(y - seasonal) if positive else y - seasonal
    notes = (*series.notes, f"seasonally adjusted with STL (period 12, robust={robust}, "
                            f"{'multiplicative: on logs' if positive else 'additive'})")
    out = series.replace(id=f"{series.id}.sa"[:120], name=f"{series.name} (STL seasonally adjusted)",
                         values=adjusted, seasonal_adjustment="SA", notes=notes)
    rows = [{"month": month_label(series.start + i), "value": float(series.values[i]), "adjusted": float(adjusted[i]),
             "seasonal": float(seasonal[i]), "trend": float(fit.trend[i]), "remainder": float(fit.resid[i])}
            for i in range(len(y))]
    caveats = ["STL re-estimates the seasonal pattern with each new month: the adjusted values of recent months "
               "are revised as data arrive"]
    if series.seasonal_adjustment == "SA":
        caveats.append(f"{series.id} is already seasonally adjusted by its publisher: adjusting again removes little "
                       "but noise")
    table = ResultTable.from_records("trends_stl", rows, meta={"analysis": "STL seasonal adjustment",
                                                               "series": series.id, "period": 12,
                                                               "log": positive}).with_caveats(*caveats)
    return out, table


# Shipments and inventories ----------------------------------------------------------------------------------
def balance_arrays(shipments: FloatArray, inventories: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Shipment-inventory balance (y/y growth of shipments minus y/y growth of inventories, percentage points)
    and the inventory-to-shipment ratio, for aligned arrays."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(shipments > 0, inventories / shipments, np.nan)
    return yoy(shipments) - yoy(inventories), ratio


def shipment_inventory_balance(shipments: Series, inventories: Series) -> ResultTable:
    """The inventory cycle as Japanese analysts read it: the balance (y/y shipments minus y/y inventories) tends
    to turn before production does; the inventory/shipment ratio rises into a downturn."""
    start, (s, i) = align([shipments, inventories])
    bal, ratio = balance_arrays(s, i)
    ys, yi = yoy(s), yoy(i)
    rows = [{"month": month_label(start + k), "shipments": float(s[k]), "inventories": float(i[k]),
             "shipments_yoy_pct": _num(ys[k]), "inventories_yoy_pct": _num(yi[k]), "balance_pp": _num(bal[k]),
             "inventory_shipment_ratio": _num(ratio[k])} for k in range(len(s))]
    caveats = ["balance is empty for the first 12 months (no year-ago value)"]
    if shipments.unit != inventories.unit:
        caveats.append(f"units differ ({shipments.unit} vs {inventories.unit}): the ratio is a ratio of indices, "
                       "read its movement, not its level")
    elif "index" in shipments.unit:
        caveats.append("the ratio is a ratio of indices (both = 100 in their base year): read its movement, not "
                       "its level")
    return ResultTable.from_records("trends_balance", rows, meta={
        "analysis": "shipment-inventory balance", "shipments": shipments.id, "inventories": inventories.id},
    ).with_caveats(*caveats)


# Cycle dating -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TurningPoint:
    index: int  # position in the array
    kind: Literal["peak", "trough"]


#: a phase shorter than the minimum is kept when its move departs from the local trend by more than this many
#: standard deviations of a move of that length (noise around the trend makes such a move less than 5% of the time)
AMPLITUDE_Z = 1.96
LOCAL_MONTHS = 60  # the trend and spread of monthly changes are read from this many months on either side
SHORTEST_PHASE = 3  # a swing shorter than a quarter is a blip however large: the exception never keeps it


def phase_z(y: FloatArray, a: int, b: int) -> float:
    """How unusual the move of ``y`` from ``a`` to ``b`` is: its departure from the local trend (median monthly
    change) in units of the spread of a move of that length (1.4826 x the median absolute deviation of monthly
    changes, times the square root of the months), both read from LOCAL_MONTHS months on either side."""
    d = np.diff(y)
    local = d[max(0, a - LOCAL_MONTHS): min(len(d), b + LOCAL_MONTHS)]
    if len(local) < 12:
        return 0.0
    trend = float(np.median(local))
    spread = 1.4826 * float(np.median(np.abs(local - trend)))
    if spread <= 0:
        return math.inf
    k = b - a
    return abs(float(y[b] - y[a]) - trend * k) / (spread * math.sqrt(k))


def turning_points(values: FloatArray, *, window: int = 5, min_phase: int = 6, min_cycle: int = 15,
                   end_buffer: int = 6, amplitude_z: float = AMPLITUDE_Z) -> list[TurningPoint]:
    """Peaks and troughs of ``values`` under Bry-Boschan rules (Bry and Boschan 1971, monthly):

    1. candidates are the highest (lowest) value within ``window`` months on either side;
    2. peaks and troughs alternate: of two peaks in a row the higher is kept (of two troughs the lower);
    3. no turn within ``end_buffer`` months of either end, and a first (last) peak (trough) must be higher
       (lower) than every value before (after) it;
    4. a phase (peak to trough or trough to peak) lasts at least ``min_phase`` months and a cycle (peak to peak,
       trough to trough) at least ``min_cycle``: the pair that breaks a rule loses its weaker member. As in the
       amplitude exception of Harding and Pagan's BBQ implementations, a shorter phase is kept when its move is too
       large to be noise: it departs from the local trend by more than ``amplitude_z`` standard deviations of a
       move of its length (:func:`phase_z`; ``inf`` turns the exception off), unless it is shorter than a quarter
       (SHORTEST_PHASE). The cycle rule has no exception.

    The Spencer-curve and short-moving-average stages of the original, which refine turns found on smoothed
    series, are left out: turns are picked on the series itself (on logs when positive), which is what a reader of
    the chart marks.
    """
    y = np.log(values) if (values > 0).all() else np.asarray(values, dtype=np.float64)
    n = len(y)
    cands: list[TurningPoint] = []
    for t in range(n):
        lo, hi = max(0, t - window), min(n, t + window + 1)
        seg = y[lo:hi]
        if y[t] == seg.max() and int(np.argmax(seg)) + lo == t:
            cands.append(TurningPoint(t, "peak"))
        elif y[t] == seg.min() and int(np.argmin(seg)) + lo == t:
            cands.append(TurningPoint(t, "trough"))
    turns = _alternate(cands, y)
    changed = True
    while changed:
        changed = False
        # ends
        kept = [p for p in turns if end_buffer <= p.index < n - end_buffer]
        if kept and not _extreme_at_end(y, kept[0], before=True):
            kept = kept[1:]
        if kept and not _extreme_at_end(y, kept[-1], before=False):
            kept = kept[:-1]
        kept = _alternate(kept, y)
        if len(kept) != len(turns):
            turns, changed = kept, True
            continue
        # a phase too short is a blip: its two turns go; a cycle too short loses the weaker of its two peaks
        # (the lower) or troughs (the higher), and alternation then merges what is left
        for k in range(len(turns) - 1):
            a, b = turns[k], turns[k + 1]
            short = b.index - a.index < min_phase
            if short and (b.index - a.index < SHORTEST_PHASE or phase_z(y, a.index, b.index) <= amplitude_z):
                turns = _alternate(turns[:k] + turns[k + 2:], y)
                changed = True
                break
            if k + 2 < len(turns) and turns[k + 2].index - a.index < min_cycle:
                c = turns[k + 2]
                a_weaker = (y[a.index] < y[c.index]) if a.kind == "peak" else (y[a.index] > y[c.index])
                drop = k if a_weaker else k + 2
                turns = _alternate(turns[:drop] + turns[drop + 1:], y)
                changed = True
                break
    return turns


def _extreme_at_end(y: FloatArray, p: TurningPoint, *, before: bool) -> bool:
    """A first (last) peak must top every value before (after) it; a first (last) trough must be below them."""
    rest = y[: p.index] if before else y[p.index + 1:]
    if not len(rest):
        return True
    return bool(y[p.index] >= rest.max()) if p.kind == "peak" else bool(y[p.index] <= rest.min())


def _alternate(turns: list[TurningPoint], y: FloatArray) -> list[TurningPoint]:
    out: list[TurningPoint] = []
    for p in turns:
        if out and out[-1].kind == p.kind:
            better = (y[p.index] > y[out[-1].index]) if p.kind == "peak" else (y[p.index] < y[out[-1].index])
            if better:
                out[-1] = p
        else:
            out.append(p)
    return out


def cycle(series: Series, *, window: int = 5, min_phase: int = 6, min_cycle: int = 15) -> ResultTable:
    """Turning points of ``series`` (peaks and troughs) with each phase's length and amplitude."""
    turns = turning_points(series.values, window=window, min_phase=min_phase, min_cycle=min_cycle)
    rows: list[dict[str, Any]] = []
    for k, p in enumerate(turns):
        prev = turns[k - 1] if k else None
        v = float(series.values[p.index])
        rows.append({"month": month_label(series.start + p.index), "turn": p.kind, "value": v,
                     "months_since_previous": (p.index - prev.index) if prev else None,
                     "change_since_previous_pct": round((v / float(series.values[prev.index]) - 1) * 100, 3)
                     if prev and series.values[prev.index] > 0 else None})
    caveats = [f"turns within {6} months of either end are not dated: the last phase is unconfirmed until "
               "the series has moved for 6 months",
               "classical cycle on the level: a slowdown in growth that never becomes a fall is not a downturn here",
               f"a phase shorter than {min_phase} months (but at least {SHORTEST_PHASE}) is kept when its move departs "
               f"from the local trend by more than {AMPLITUDE_Z} standard deviations of a move of that length"]
    if series.seasonal_adjustment != "SA":
        caveats.append(f"{series.id} is not seasonally adjusted: seasonal swings can pass for turns; adjust it first")
    return ResultTable.from_records("trends_cycle", rows, ["month", "turn", "value", "months_since_previous",
                                                           "change_since_previous_pct"],
                                    meta={"analysis": "cycle dating (Bry-Boschan rules)", "series": series.id,
                                          "window": window, "min_phase": min_phase, "min_cycle": min_cycle,
                                          "amplitude_z": AMPLITUDE_Z,
                                          "span": series.span()}).with_caveats(*caveats)


def phases(n: int, turns: list[TurningPoint]) -> list[str]:
    """``"expansion"``/``"contraction"``/``""`` (before the first turn) for each of ``n`` months."""
    out = [""] * n
    for k, p in enumerate(turns):
        end = turns[k + 1].index if k + 1 < len(turns) else n
        for t in range(p.index, end):
            out[t] = "contraction" if p.kind == "peak" else "expansion"
    return out


# Lead / lag -------------------------------------------------------------------------------------------------
def cross_correlation(x: FloatArray, y: FloatArray, max_lag: int) -> tuple[FloatArray, FloatArray, int]:
    """Correlation of ``x[t]`` with ``y[t + lag]`` for lag in ``-max_lag..max_lag`` (positive lag: x leads), the
    half-width of a 95% band for each lag under "no cross-correlation" allowing for each series' own
    autocorrelation (Bartlett: var r_k = (1 + 2 sum_j rho_x(j) rho_y(j)) / n), and n."""
    ok = np.isfinite(x) & np.isfinite(y)
    first, last = int(np.argmax(ok)), len(ok) - int(np.argmax(ok[::-1]))
    x, y = x[first:last], y[first:last]  # the common span where both are defined
    if not np.isfinite(x).all() or not np.isfinite(y).all():
        raise BadArgumentError("the series have gaps inside their common span")
    n = len(x)
    if n < 3 * max_lag:
        raise BadArgumentError(f"{n} common months are too few for lags up to {max_lag}", parameter="max_lag")
    xs, ys = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    lags = np.arange(-max_lag, max_lag + 1)
    r = np.array([np.corrcoef(x[max(0, -int(k)): n - max(0, int(k))], y[max(0, int(k)): n - max(0, -int(k))])[0, 1]
                  for k in lags])
    acf_x = np.array([np.mean(xs[: n - j] * xs[j:]) for j in range(1, n // 4)])
    acf_y = np.array([np.mean(ys[: n - j] * ys[j:]) for j in range(1, n // 4)])
    var = (1.0 + 2.0 * float(np.sum(acf_x * acf_y))) / n
    band = 1.96 * math.sqrt(max(var, 1.0 / n))
    return r, np.full(len(lags), band), n


def lead_lag(leader: Series, follower: Series, *, max_lag: int = 24, transform: str = "yoy") -> ResultTable:
    """How far ``leader`` leads ``follower``: cross-correlation of their y/y growth (or m/m, or levels) at each lag,
    with a 95% band; the best lag is the one with the largest correlation outside the band."""
    start, (a, b) = align([leader, follower])
    if transform not in ("yoy", "mom", "level"):
        raise BadArgumentError(f"transform {transform!r}: one of yoy, mom, level", parameter="transform")

    def fn(v: FloatArray) -> FloatArray:
        return yoy(v) if transform == "yoy" else pct_change(v, 1) if transform == "mom" else v

    fa, fb = fn(a), fn(b)
    common = int((np.isfinite(fa) & np.isfinite(fb)).sum())
    asked = max_lag
    if common >= 36 and max_lag > common // 3:  # a short overlap (a trade flow's few years) gets shorter lags
        max_lag = common // 3
    r, band, n = cross_correlation(fa, fb, max_lag)
    lags = range(-max_lag, max_lag + 1)
    best = int(np.argmax(np.abs(r)))
    rows = [{"lag_months": k, "correlation": round(float(r[i]), 4), "band_95": round(float(band[i]), 4),
             "significant": bool(abs(r[i]) > band[i]), "best": i == best} for i, k in enumerate(lags)]
    lead = list(lags)[best]
    caveats = [f"positive lag: {leader.id} moves first; best lag {lead:+d} months (r = {r[best]:.2f}, band "
               f"±{band[best]:.2f}, {n} months)",
               "the band allows for each series' own autocorrelation (Bartlett), but a correlation at a lead is "
               "not a cause; trending series correlate at every lag, which is why growth rates are compared",
               f"{2 * max_lag + 1} lags were tested: about {0.05 * (2 * max_lag + 1):.1f} would pass a 95% band by "
               "chance with no relation at all"]
    if max_lag < asked:
        caveats.append(f"lags up to {max_lag} months, not {asked}: the series have {n} months in common, and a "
                       "correlation at a lag needs at least three times as many")
    return ResultTable.from_records("trends_lead_lag", rows, meta={
        "analysis": "lead/lag", "leader": leader.id, "follower": follower.id, "transform": transform,
        "common_span": f"{month_label(start)}..{month_label(start + len(a) - 1)}", "best_lag": lead,
        "max_lag": max_lag, "n": n}).with_caveats(*caveats)
