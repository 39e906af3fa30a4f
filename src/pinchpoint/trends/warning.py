"""Early warning: the probability that a series enters a downturn (passes a cycle peak) within ``h`` months, from
leading signals, with the backtest that says how far to trust it.

At each origin the model knows only the data up to it: the downturns it learns from are the peaks that cycle dating
finds in the target's data up to the origin, a month's label ("a peak follows within h months") is used only once
it is settled (the peak, or its absence, is at least ``min_phase`` months old), and the features are computed from
data up to that month. The model is a logistic regression with a light ridge penalty on standardised features:

- the target's own (:func:`own_features`): by default (``momentum``) its year-on-year growth less its trailing
  5-year mean, the change of its growth over 3 and 6 months and the log distance from its 12-month high; or
  (``cycle``) its growth less its long-run mean, its acceleration, its gap above a one-sided HP trend and the months
  since the last trough dated in real time. Neither ranks IPG3344S's months before a peak above the others out of
  sample (docs/trends.md gives the figures), so read the probability as one signal among others;
- for each signal series: its year-on-year growth, or its level when it is already a balance or a rate (its unit
  is ``pp`` or ``%``, or it takes negative values), and the change of that over 3 months. A signal joins the model
  at a refit once the months it covers hold MIN_EVENTS settled downturns (before that the target's own features
  are used, so a signal that starts late does not cut the target's history short); :func:`balance_series` makes
  the shipment-inventory balance of two series a signal.

An alarm fires when the probability has reached the threshold in each of the last k months and is held for HOLD
months after the last month it did. The threshold (a multiple of the one that best separated the fit's training
months, Youden's J: downturns are rare, so probabilities seldom pass 0.5) and k are chosen at each refit on the
earlier months' own out-of-sample probabilities, judged against the downturns dated on the data known then (an
expanding-window evaluation: no downturn helps choose the rule it is scored under); Youden's threshold and k = 1
until those months hold MIN_EVENTS downturns, or throughout with ``threshold_rule="youden"``.

The backtest reports, for every downturn dated on the whole series within the tested span, whether it was called
and how many months ahead. An alarm says "a peak within ``h`` months", so it is judged from the month it began: a
downturn counts as called only when an alarm episode (consecutive alarm months) began within the ``h`` months before
its peak, and the lead is counted from that month. An alarm that began earlier and was still on in those months did
not say when the peak would come: the downturn's verdict is ``alarm_on_too_long``, not a call, and the episode is a
false alarm, as is every episode followed by no peak within ``h`` months of its start that does not start inside a
contraction. With them: the share of months the alarm was on, Kaminsky and Reinhart's noise-to-signal ratio (the
share of the other months with an alarm over the share of the months before a peak with one: an alarm on whatever
follows scores 1), the probability's out-of-sample AUC and, as a secondary column only, the looser count of
downturns with any alarm on in the ``h`` months before the peak (``called_by_any_episode``), which an alarm on in
every month meets for every downturn. :func:`score_alarms` judges any alarm series the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError
from pinchpoint.results import ResultTable
from pinchpoint.trends.analysis import balance_arrays, cross_correlation, turning_points, yoy
from pinchpoint.trends.series import FloatArray, Series, is_trade_series, month_label

MIN_EVENTS = 2  # peaks the training data must hold before the model says anything
OWN_FEATURES = 4  # the target's own features (in either set) come first in :func:`features`
#: an alarm is withdrawn only after the probability has stayed under the threshold for more than this many months:
#: a warning is not withdrawn on one reading, and a flickering probability is one warning, not several
HOLD = 2


def balance_series(shipments: Series, inventories: Series) -> Series:
    """The shipment-inventory balance (y/y growth of shipments minus that of inventories, percentage points) as a
    series, for use as a signal: the months both series share, from the second year on."""
    from pinchpoint.trends.series import align

    start, (s, i) = align([shipments, inventories])
    bal, _ = balance_arrays(s, i)
    if len(bal) <= 12 or not np.isfinite(bal[12:]).all():
        raise BadArgumentError(f"no balance of {shipments.id} over {inventories.id}: it needs more than a year of "
                               "positive values of both")
    return Series(id=f"balance:{shipments.id}:{inventories.id}", unit="pp", start=start + 12, values=bal[12:],
                  name=f"shipment-inventory balance: {shipments.name}",
                  seasonal_adjustment=shipments.seasonal_adjustment, source=f"{shipments.source}; {inventories.source}",
                  vintage=f"{shipments.vintage}+{inventories.vintage}")


def contraction_months(turns: Sequence[Any], n: int) -> np.ndarray:
    """Months from each peak to its trough (to the end when no trough follows), over ``n`` months."""
    out = np.zeros(n, dtype=bool)
    for k, p in enumerate(turns):
        if p.kind == "peak":
            end = turns[k + 1].index if k + 1 < len(turns) else n
            out[p.index: end + 1] = True
    return out


def _held(alarm: np.ndarray, hold: int) -> np.ndarray:
    """Month t is an alarm month if the rule fired at some month in t - hold .. t (causal)."""
    out = alarm.copy()
    for j in range(1, hold + 1):
        out[j:] |= alarm[:-j]
    return out


def _episodes(labels: FloatArray) -> int:
    """Runs of positive labels (one per downturn whose lead-up the rows cover)."""
    on = labels > 0
    return int(on[0]) + int(np.sum(on[1:] & ~on[:-1])) if len(on) else 0


def _is_rate(s: Series) -> bool:
    return s.unit.strip().lower() in ("pp", "%", "percent", "percentage points") or bool((s.values < 0).any())


#: the target's own features: ``momentum`` (the default), ``cycle`` or ``growth`` (see :func:`own_features`)
FEATURE_SETS = ("momentum", "cycle", "growth")
#: ``growth``: the six-month smoothed annualised growth rate (Moore's: the log level against its mean over the
#: previous 12 months, centred 6.5 months back, so x 12/6.5 annualises it) and the window its fall from a peak is
#: measured over (two years: the growth cycle's peak led IPG3344S's level peaks by 2 to 30 months)
SMOOTHED_SPAN = 12
GROWTH_PEAK_WINDOW = 24
#: smoothing of the one-sided trend in the ``cycle`` set: Ravn and Uhlig's (2002) monthly value of the HP lambda
HP_LAMBDA = 129_600.0
#: months of the smoothed acceleration (the mean of the last 6 second differences of the log level)
ACCELERATION_MONTHS = 6
#: months since the last trough are capped here (the chip cycle runs about 3 to 5 years; a longer wait adds little)
DURATION_CAP = 120


def one_sided_trend(y: FloatArray, lam: float = HP_LAMBDA) -> FloatArray:
    """The Hodrick-Prescott trend computed at each month from the data up to it only (the one-sided HP filter): the
    Kalman filter of a local linear trend whose slope shocks have 1/``lam`` the variance of the irregular, which is
    the state-space form of the HP filter (Harvey and Jaeger 1993). Month t's value never depends on later months."""
    n = len(y)
    out = np.full(n, np.nan)
    if not n:
        return out
    level, slope = float(y[0]), 0.0
    p00, p01, p11 = 1e7, 0.0, 1e7  # diffuse start
    q = 1.0 / lam
    for t in range(n):
        if t:
            level, slope = level + slope, slope
            p00, p01, p11 = p00 + 2 * p01 + p11, p01 + p11, p11 + q
        s = p00 + 1.0
        k0, k1 = p00 / s, p01 / s
        e = float(y[t]) - level
        level, slope = level + k0 * e, slope + k1 * e
        p00, p01, p11 = p00 - k0 * p00, p01 - k0 * p01, p11 - k1 * p01
        out[t] = level
    return out


def months_since_trough(values: FloatArray, *, min_phase: int = 6, min_cycle: int = 15) -> FloatArray:
    """At each month, the months since the last trough dated on the data up to that month only (as a real-time
    analyst dates it: a turn is confirmed only some months later); NaN before the first one is known."""
    n = len(values)
    out = np.full(n, np.nan)
    last: int | None = None
    for t in range(n):
        if t >= 2 * min_phase:
            troughs = [p.index for p in turning_points(values[: t + 1], min_phase=min_phase, min_cycle=min_cycle)
                       if p.kind == "trough"]
            last = troughs[-1] if troughs else None
        if last is not None:
            out[t] = t - last
    return out


def own_features(target: Series, feature_set: str = "momentum", *, min_phase: int = 6,
                 min_cycle: int = 15) -> tuple[list[FloatArray], list[str]]:
    """The target's own features, each month's from data up to that month only.

    ``momentum``: y/y growth less its trailing 5-year mean, the change of y/y growth over 3 and 6 months, the log
    distance from the 12-month high. ``cycle`` (the business-cycle reading): y/y growth less its mean over all
    months so far, the acceleration (the second difference of the log level averaged over 6 months, annualised, in
    percent), the gap of the log level above its one-sided HP trend (percent) and the log of the months since the
    last trough dated in real time (duration dependence). ``growth`` (the growth cycle, which in a trending series
    turns before the level does): the six-month smoothed annualised growth rate less its trailing 5-year mean, its
    fall from its highest value of the last GROWTH_PEAK_WINDOW months, its change over 3 months, and the gap of
    short over long growth (the smoothed rate less y/y growth, both on logs; on the level itself, as the other sets
    read it, where the series has values <= 0)."""
    if feature_set not in FEATURE_SETS:
        raise BadArgumentError(f"feature set {feature_set!r}: one of {', '.join(FEATURE_SETS)}",
                               parameter="features")
    n = len(target.values)
    g = yoy(target.values)
    logv = np.log(target.values) if (target.values > 0).all() else target.values
    if feature_set == "momentum":
        # growth against its own trailing 5-year average: a series whose trend growth fell from 40% to 5% a year
        # (IPG3344S) is compared with its own recent normal, not with the 1990s
        trailing = np.array([np.nanmean(g[max(0, t - 59): t + 1]) if np.isfinite(g[max(0, t - 59): t + 1]).sum()
                             >= 24 else np.nan for t in range(n)])
        high = np.array([logv[max(0, t - 11): t + 1].max() for t in range(n)])
        return ([g - trailing, g - np.r_[np.full(3, np.nan), g[:-3]], g - np.r_[np.full(6, np.nan), g[:-6]],
                 logv - high],
                [f"{target.id} yoy less its 5-year mean", f"{target.id} yoy 3m change", f"{target.id} yoy 6m change",
                 f"{target.id} from 12m high"])
    if feature_set == "growth":
        smoothed = _smoothed_growth(logv)
        trailing_s = np.array([np.nanmean(smoothed[max(0, t - 59): t + 1]) if np.isfinite(
            smoothed[max(0, t - 59): t + 1]).sum() >= 24 else np.nan for t in range(n)])
        peak = np.array([np.nanmax(smoothed[max(0, t - GROWTH_PEAK_WINDOW + 1): t + 1]) if np.isfinite(
            smoothed[max(0, t - GROWTH_PEAK_WINDOW + 1): t + 1]).any() else np.nan for t in range(n)])
        annual = np.r_[np.full(12, np.nan), (logv[12:] - logv[:-12]) * 100.0] if n > 12 else np.full(n, np.nan)
        return ([smoothed - trailing_s, smoothed - peak, smoothed - np.r_[np.full(3, np.nan), smoothed[:-3]],
                 smoothed - annual],
                [f"{target.id} 6m smoothed growth less its 5-year mean",
                 f"{target.id} 6m smoothed growth from its {GROWTH_PEAK_WINDOW}m high",
                 f"{target.id} 6m smoothed growth 3m change", f"{target.id} 6m smoothed growth less yoy"])
    finite = np.isfinite(g)
    counts = np.cumsum(finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        longrun = np.where(counts >= 24, np.cumsum(np.where(finite, g, 0.0)) / counts, np.nan)
    second = np.r_[np.full(2, np.nan), np.diff(logv, 2)]
    m = ACCELERATION_MONTHS
    acceleration = np.full(n, np.nan)
    if n > m + 1:
        acceleration[m + 1:] = np.convolve(second[2:], np.ones(m) / m, "valid") * 1200.0
    gap = (logv - one_sided_trend(logv)) * 100.0
    since = months_since_trough(target.values, min_phase=min_phase, min_cycle=min_cycle)
    return ([g - longrun, acceleration, gap, np.log1p(np.minimum(since, DURATION_CAP))],
            [f"{target.id} yoy less its long-run mean", f"{target.id} acceleration (6m mean of 2nd difference)",
             f"{target.id} gap above its one-sided HP trend", f"{target.id} log months since the last trough"])


def _smoothed_growth(logv: FloatArray) -> FloatArray:
    """Moore's six-month smoothed annualised growth rate, in percent: month t's log level against the mean of the
    SMOOTHED_SPAN months before it, times 12/6.5 (that mean sits 6.5 months back); NaN for the first months."""
    n = len(logv)
    out = np.full(n, np.nan)
    if n > SMOOTHED_SPAN:
        before = np.convolve(logv, np.ones(SMOOTHED_SPAN) / SMOOTHED_SPAN, "valid")[:-1]  # mean of t-12..t-1
        out[SMOOTHED_SPAN:] = (logv[SMOOTHED_SPAN:] - before) * (12.0 / 6.5) * 100.0
    return out


def features(target: Series, signals: Sequence[Series], feature_set: str = "momentum", *, min_phase: int = 6,
             min_cycle: int = 15) -> tuple[int, FloatArray, list[str]]:
    """Feature matrix over the target's months (NaN where a feature is not yet defined), its first month, names:
    the target's own (:func:`own_features`, OWN_FEATURES of them) then two per signal."""
    n = len(target.values)
    start = target.start
    cols, names = own_features(target, feature_set, min_phase=min_phase, min_cycle=min_cycle)
    for s in signals:
        v = np.full(n, np.nan)
        lo, hi = max(start, s.start), min(target.end, s.end)
        if hi >= lo:
            base = s.values if _is_rate(s) else yoy(s.values)
            v[lo - start: hi - start + 1] = base[lo - s.start: hi - s.start + 1]
        cols += [v, v - np.r_[np.full(3, np.nan), v[:-3]]]
        kind = "level" if _is_rate(s) else "yoy"
        names += [f"{s.id} {kind}", f"{s.id} {kind} 3m change"]
    return start, np.column_stack(cols), names


def _fit_logistic(x: FloatArray, y: FloatArray, ridge: float = 1.0, iterations: int = 25) -> FloatArray:
    """Coefficients (intercept first) of a ridge-penalised logistic regression by Newton's method."""
    xx = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(xx.shape[1])
    penalty = np.full(xx.shape[1], ridge)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xx @ w, -30, 30)))
        grad = xx.T @ (p - y) + penalty * w
        hess = (xx * (p * (1 - p))[:, None]).T @ xx + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


def _labels(peaks: Sequence[int], n: int, horizon: int) -> FloatArray:
    lab = np.zeros(n)
    for p in peaks:
        lab[max(0, p - horizon): p] = 1.0  # a peak within the next `horizon` months: t in [p - h, p - 1]
    return lab


@dataclass(frozen=True)
class EarlyWarning:
    probabilities: ResultTable  # month, probability, alarm
    calls: ResultTable  # one row per downturn: called (by an alarm that began within the horizon)?, months ahead
    alarms: ResultTable  # one row per alarm episode: call, alarm_on_too_long, late, false or open
    leads: ResultTable  # each signal's correlation with the target's growth at leads and lags, with a 95% band


def _signal_base(s: Series) -> FloatArray:
    """What a signal contributes as a feature: its level when it is a balance or a rate, else its y/y growth."""
    return s.values if _is_rate(s) else yoy(s.values)


def signal_leads(target: Series, signals: Sequence[Series], *, max_lag: int = 24) -> ResultTable:
    """Correlation of each signal (its y/y growth, or its level when it is a balance or a rate) with the target's
    y/y growth ``lag`` months later (positive lag: the signal moves first), over the months both cover, with a 95%
    band that allows for each one's own autocorrelation (Bartlett). Lags go up to ``max_lag`` or a third of the
    common months, whichever is less; a signal with fewer than 36 common months gets no rows and a caveat."""
    rows: list[dict[str, Any]] = []
    caveats: list[str] = []
    spans: dict[str, str] = {}
    target_growth = yoy(target.values)
    for s in signals:
        base = _signal_base(s)
        lo, hi = max(target.start, s.start), min(target.end, s.end)
        x = base[lo - s.start: hi - s.start + 1] if hi >= lo else np.empty(0)
        y = target_growth[lo - target.start: hi - target.start + 1] if hi >= lo else np.empty(0)
        both = np.isfinite(x) & np.isfinite(y)
        n_common = int(both.sum())
        if n_common < 36:
            caveats.append(f"{s.id}: {n_common} months in common with {target.id}'s growth, too few (36) to measure "
                           "a lead or lag")
            continue
        first = lo + int(np.argmax(both))
        spans[s.id] = f"{month_label(first)}..{month_label(lo + len(both) - 1 - int(np.argmax(both[::-1])))}"
        lags_max = min(max_lag, n_common // 3)
        r, band, n = cross_correlation(x, y, lags_max)
        best = int(np.argmax(np.abs(r)))
        for i, k in enumerate(range(-lags_max, lags_max + 1)):
            rows.append({"signal": s.id, "lag_months": k, "correlation": round(float(r[i]), 4),
                         "band_95": round(float(band[i]), 4), "significant": bool(abs(r[i]) > band[i]),
                         "best": i == best})
        tested = 2 * lags_max + 1
        caveats.append(f"{s.id} against {target.id}'s y/y growth over {spans[s.id]} ({n} months): largest "
                       f"correlation {r[best]:+.2f} at lag {best - lags_max:+d} months (band ±{band[best]:.2f}); "
                       f"{tested} lags were tested, so about {0.05 * tested:.1f} would pass a 95% band by chance "
                       "with no relation at all")
    caveats.append("positive lag: the signal moves first; a correlation at a lead is not a cause, and it says "
                   "nothing about downturns unless the common months hold several of them")
    return ResultTable.from_records("trends_signal_leads", rows, ["signal", "lag_months", "correlation", "band_95",
                                                                  "significant", "best"],
                                    meta={"analysis": "signal lead/lag", "series": target.id,
                                          "signals": [s.id for s in signals], "common_spans": spans}
                                    ).with_caveats(*caveats)


def _signal_caveats(target: Series, signals: Sequence[Series], used: np.ndarray, first: int, horizon: int,
                    peaks: Sequence[int]) -> list[str]:
    """What each signal did in the backtest: a signal used in no scored month (or a trade flow) is named with its
    span and the downturns its months hold, so nobody reads the calls as its merit."""
    out: list[str] = []
    start = target.start
    for k, s in enumerate(signals):
        months_used = int(used[k, first:].sum())
        base = _signal_base(s)
        finite = np.flatnonzero(np.isfinite(base))
        if not len(finite):
            out.append(f"{s.id} has no usable month as a signal: it was not used")
            continue
        f_lo, f_hi = s.start + int(finite[0]), s.start + int(finite[-1])
        inside = [p for p in peaks if f_lo <= start + p - horizon and start + p <= f_hi]
        held = (f"its months hold {len(inside) or 'no'} downturn{'' if len(inside) == 1 else 's'} of {target.id} "
                f"with {'its' if len(inside) == 1 else 'their'} {horizon}-month lead-up"
                + (f" (peaks {', '.join(month_label(start + p) for p in inside)})" if inside else ""))
        what = "a monthly trade flow" if is_trade_series(s) else "a signal"
        feature = "level" if _is_rate(s) else "year-on-year growth"
        if months_used == 0:
            out.append(f"{s.id} is {what} spanning {s.span()} (its {feature} from {month_label(f_lo)}): {held}, "
                       f"fewer than the {MIN_EVENTS} a signal needs before it joins the model, so it was used in no "
                       "month and its worth as a downturn caller is not backtested: the calls and false alarms "
                       "above owe nothing to it. What can be measured is its correlation with the target's growth "
                       "at leads and lags, with a 95% band (the leads table)")
        elif is_trade_series(s):
            out.append(f"{s.id} is {what} spanning {s.span()}: it was used in {months_used} scored months and "
                       f"{held}: too few to judge it as a downturn caller apart from the other features")
    return out


THRESHOLD_RULES = ("past-alarms", "youden")
PERSISTENCE = (1, 2, 3)  # months in a row the probability must reach the threshold before an alarm (candidates)
THRESHOLD_FACTORS = (0.75, 1.0, 1.25, 1.5, 2.0)  # candidate thresholds: the refit's Youden threshold times these


def _alarms(prob: FloatArray, cut: FloatArray, need: np.ndarray) -> np.ndarray:
    """Month t fires when the probability reached month t's threshold in each of the last need[t] months (all known
    at t); an alarm is then held HOLD months (causal)."""
    n = len(prob)
    p = np.nan_to_num(prob, nan=-1.0)
    c = np.nan_to_num(cut, nan=np.inf)
    fired = np.zeros(n, dtype=bool)
    lowest = p.copy()  # lowest probability over the last k months, k = 1, 2, ...
    for k in range(1, int(need.max(initial=0)) + 1):
        if k > 1:
            lowest = np.minimum(lowest, np.r_[np.full(k - 1, -1.0), p[: n - k + 1]])
        fired |= (need == k) & (lowest >= c)
    return _held(fired, HOLD)


#: an alarm episode's verdict: it began within the horizon before a peak (``call``), it ran into a peak's horizon
#: having begun earlier (``alarm_on_too_long``: no call of that peak, and a false alarm), it began inside a
#: contraction (``late``), no peak came within the horizon of its start (``false``), or that cannot be known yet
#: (``open``)
EPISODE_KINDS = ("call", "alarm_on_too_long", "late", "false", "open")
#: a downturn's verdict: ``called`` (an alarm began within the horizon before the peak), ``alarm_on_too_long`` (the
#: only alarm on in that horizon had begun earlier) or ``missed``
CALL_VERDICTS = ("called", "alarm_on_too_long", "missed")


@dataclass(frozen=True)
class _Call:
    peak: int
    lead: int | None  # months from the start of the alarm that called it to the peak; None when not called
    verdict: str  # one of CALL_VERDICTS
    since: int | None  # start of the alarm that called it, or of the earliest one on in its horizon
    loose_lead: int | None  # months ahead of the first alarm month in its horizon, however long that alarm had been on


@dataclass(frozen=True)
class _Verdict:
    episodes: list[dict[str, Any]]  # from (where the run of alarm months began), to, kind, peak
    peaks: list[_Call]

    @property
    def calls(self) -> list[tuple[int, int | None]]:
        """(peak, lead of the call or None): only alarms that began within the horizon before the peak call it."""
        return [(c.peak, c.lead) for c in self.peaks]

    @property
    def called(self) -> int:
        return sum(1 for c in self.peaks if c.lead is not None)

    @property
    def false(self) -> int:
        """Alarm episodes followed by no peak within the horizon of their start (those on too long included), not
        starting inside a contraction."""
        return sum(1 for e in self.episodes if e["kind"] in ("false", "alarm_on_too_long"))


def _judge(alarm: np.ndarray, lo: int, hi: int, turns: Sequence[Any], horizon: int, known_until: int) -> _Verdict:
    """Calls and false alarms of the alarm months lo..hi-1 against the turning points ``turns``, where a peak up to
    month ``known_until`` would be known: one reading for the backtest and for choosing the alarm rule.

    An alarm says "a peak within ``horizon`` months", so it is judged from the month it began (traced back before
    ``lo`` when it was already on there): it calls a peak only when it began within the horizon before it, and the
    lead is the months from its start to the peak. An episode that began earlier and ran into a peak's horizon did
    not say when the peak would come (``alarm_on_too_long``): it is no call of that peak and counts as a false
    alarm, as does one followed by no peak within the horizon of its start (``false``). One that begins inside a
    contraction is ``late``, one whose horizon runs past ``known_until`` ``open``."""
    contraction = contraction_months(turns, max(len(alarm), hi, 1))
    peaks = [p.index for p in turns if p.kind == "peak"]
    on = alarm[lo:hi]
    starts = np.flatnonzero(on & ~np.r_[False, on[:-1]]) + lo
    ends = np.flatnonzero(on & ~np.r_[on[1:], False]) + lo
    episodes: list[dict[str, Any]] = []
    for s, t in zip(starts.tolist(), ends.tolist(), strict=True):
        began = s
        while began > 0 and alarm[began - 1]:  # on already in the unscored months before lo: judged from its start
            began -= 1
        called = [p for p in peaks if began < p <= began + horizon]
        overrun = [p for p in peaks if p > began + horizon and t >= p - horizon]
        kind = ("call" if called else "alarm_on_too_long" if overrun else "late" if contraction[began] else
                "open" if began + horizon > known_until else "false")
        episodes.append({"from": began, "scored_from": s, "to": t, "kind": kind,
                         "peak": called[0] if called else overrun[0] if overrun else None})
    calls: list[_Call] = []
    for p in peaks:
        if not lo <= p <= known_until:
            continue
        window = np.flatnonzero(alarm[max(lo, p - horizon): min(p, hi)])
        loose = p - (max(lo, p - horizon) + int(window[0])) if len(window) else None
        # the alarm episodes on at some scored month of the peak's horizon
        covering = [e for e in episodes if e["to"] >= p - horizon and e["scored_from"] <= p - 1]
        fresh = [e["from"] for e in covering if p - horizon <= e["from"] <= p - 1]
        if fresh:
            calls.append(_Call(p, p - min(fresh), "called", min(fresh), loose))
        elif covering:
            calls.append(_Call(p, None, "alarm_on_too_long", min(e["from"] for e in covering), loose))
        else:
            calls.append(_Call(p, None, "missed", None, loose))
    return _Verdict(episodes, calls)


@dataclass(frozen=True)
class AlarmScore:
    """An alarm series judged against the downturns dated on the whole series (see :func:`score_alarms`)."""

    calls: ResultTable  # one row per downturn: called (by an alarm that began within the horizon), lead, verdict
    alarms: ResultTable  # one row per alarm episode: call, alarm_on_too_long, late, false or open


CALL_COLUMNS = ["peak", "trough", "called", "months_ahead", "verdict", "alarm_since", "months_on_before",
                "called_by_any_episode", "probability_before"]
ALARM_COLUMNS = ["from", "to", "months", "kind", "peak", "max_probability"]


def _score(alarm: np.ndarray, prob: FloatArray | None, start: int, first: int, final: Sequence[Any], horizon: int,
           min_phase: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], list[str]]:
    """The backtest's reading of the alarm months from ``first`` on against the turns ``final`` dated on the whole
    series: the calls table's rows, the alarms table's, the figures for the meta and the caveats that state them."""
    n = len(alarm)
    verdict = _judge(alarm, first, n, final, horizon, n - 1)
    by_peak = {c.peak: c for c in verdict.peaks}
    calls: list[dict[str, Any]] = []
    for k, p in enumerate(final):
        if p.kind != "peak" or p.index < first:
            continue
        trough = final[k + 1].index if k + 1 < len(final) else None
        c = by_peak[p.index]
        calls.append({"peak": month_label(start + p.index),
                      "trough": month_label(start + trough) if trough is not None else None,
                      "called": c.lead is not None, "months_ahead": c.lead, "verdict": c.verdict,
                      "alarm_since": month_label(start + c.since) if c.since is not None else None,
                      "months_on_before": p.index - c.since if c.since is not None else None,
                      "called_by_any_episode": c.loose_lead is not None,
                      "probability_before": None if prob is None else _max_prob(prob, max(first, p.index - horizon),
                                                                                p.index)})
    episodes = [{"from": month_label(start + e["from"]), "to": month_label(start + e["to"]),
                 "months": e["to"] - e["from"] + 1, "kind": e["kind"],
                 "peak": month_label(start + e["peak"]) if e["peak"] is not None else None,
                 "max_probability": None if prob is None else _max_prob(prob, e["from"], e["to"] + 1)}
                for e in verdict.episodes]
    n_called = sum(1 for c in calls if c["called"])
    n_ahead3 = sum(1 for c in calls if c["called"] and c["months_ahead"] >= 3)
    too_long = [c for c in calls if c["verdict"] == "alarm_on_too_long"]
    n_loose = sum(1 for c in calls if c["called_by_any_episode"])
    n_false = verdict.false
    n_overrun = sum(1 for e in verdict.episodes if e["kind"] == "alarm_on_too_long")
    # Kaminsky and Reinhart's noise-to-signal ratio over the scored months whose label the whole series settles:
    # the share of the other months with an alarm over the share of the months before a peak with one. An alarm
    # that is on regardless of what follows scores 1; one on only before peaks, 0
    labels = _labels([p.index for p in final if p.kind == "peak"], n, horizon)
    settled = np.arange(first, max(first, n - horizon - min_phase))
    before, other = settled[labels[settled] == 1], settled[labels[settled] == 0]
    hit = float(alarm[before].mean()) if len(before) else None
    noise = float(alarm[other].mean()) if len(other) else None
    nsr = noise / hit if hit and noise is not None else None
    alarm_share = float(alarm[first:].mean()) if n > first else 0.0
    figures: dict[str, Any] = {
        "downturns": len(calls), "called": n_called, "called_3m_ahead": n_ahead3,
        "alarm_on_too_long": len(too_long), "false_alarms": n_false, "alarm_share": round(alarm_share, 4),
        "alarm_share_before_peaks": None if hit is None else round(hit, 4),
        "alarm_share_other_months": None if noise is None else round(noise, 4),
        "noise_to_signal": None if nsr is None else round(nsr, 4), "called_by_any_episode": n_loose}
    caveats = [
        f"{n_called} of {len(calls)} downturns called (a call is an alarm that began within the {horizon} months "
        f"before the peak; {n_ahead3} at least 3 months ahead, counted from the month the alarm began); "
        f"{n_false} false alarm episodes (no peak within {horizon} months of the month the alarm began"
        + (f", {n_overrun} of them {'an alarm' if n_overrun == 1 else 'alarms'} that stayed on into a later "
           "peak's horizon" if n_overrun else "") + ")",
        f"the alarm was on in {alarm_share:.0%} of the months"
        + (f": {hit:.0%} of the months with a peak in the next {horizon} and {noise:.0%} of the others whose "
           f"outcome is known, a noise-to-signal ratio of {nsr:.2f} (Kaminsky and Reinhart: the second share over "
           "the first; 1 is an alarm that is on whatever follows, below 1 one that is on more often before a peak)"
           if nsr is not None and hit is not None and noise is not None else
           f", in none of the months with a peak in the next {horizon} and in {noise:.0%} of the others whose "
           "outcome is known: the noise-to-signal ratio is infinite (it is left empty)" if hit == 0 and noise else
           ", in none of the months whose outcome is known: no noise-to-signal ratio" if hit == 0 else
           ": the scored months whose outcome is known do not hold both months before a peak and others, so the "
           "noise-to-signal ratio cannot be measured")]
    if too_long:
        named = ", ".join(f"{c['peak']}: on since {c['alarm_since']}" for c in too_long)
        caveats.append(
            f"{len(too_long)} of the {len(calls)} downturns had an alarm on in the {horizon} months before the peak "
            f"that had begun more than {horizon} months before it ({named}; verdict alarm_on_too_long): not counted "
            f"as {'a call' if len(too_long) == 1 else 'calls'}, since an alarm that stays on through an expansion "
            "does not say when the peak will come")
    if n_loose != n_called:
        caveats.append(
            f"counting any alarm on in the {horizon} months before a peak, however long it had been on, "
            f"{n_loose} of the {len(calls)} would be 'called' (called_by_any_episode): a looser count that an alarm "
            "on in every month meets for every downturn, so it is no measure of warning")
    return calls, episodes, figures, caveats


def score_alarms(target: Series, alarm: Sequence[bool] | np.ndarray, *, horizon: int,
                 origins_from: int | None = None, min_phase: int = 6, min_cycle: int = 15) -> AlarmScore:
    """Judge an alarm series (one boolean per month of ``target``) as :func:`early_warning` judges its own: against
    the downturns dated on the whole series, over the months from ``origins_from`` (default: the first), with an
    alarm already on there judged from the month it began. A downturn counts as called only when an alarm began
    within ``horizon`` months before its peak; the meta gives the counts, the share of months the alarm is on and
    the noise-to-signal ratio."""
    on = np.asarray(alarm, dtype=bool)
    if on.shape != target.values.shape:
        raise BadArgumentError(f"alarm: {on.size} months given for {target.id}, which spans {len(target.values)} "
                               f"({target.span()})", parameter="alarm")
    if not 1 <= horizon <= 24:
        raise BadArgumentError(f"horizon {horizon}: between 1 and 24 months", parameter="horizon")
    first = 0 if origins_from is None else origins_from - target.start
    if not 0 <= first < len(on):
        raise BadArgumentError(f"origins from {month_label(target.start + first)}: outside {target.id}'s span "
                               f"({target.span()})", parameter="origins_from")
    final = turning_points(target.values, min_phase=min_phase, min_cycle=min_cycle)
    calls, episodes, figures, caveats = _score(on, None, target.start, first, final, horizon, min_phase)
    meta: dict[str, Any] = {"analysis": "alarm backtest", "series": target.id, "horizon": horizon,
                            "origins": f"{month_label(target.start + first)}..{month_label(target.end)}", **figures}
    return AlarmScore(
        ResultTable.from_records("trends_warning_calls", calls, CALL_COLUMNS, meta=meta).with_caveats(*caveats),
        ResultTable.from_records("trends_warning_alarms", episodes, ALARM_COLUMNS, meta=meta
                                 ).with_caveats(*caveats))


def _choose_rule(prob: FloatArray, base: FloatArray, lo: int, r: int, turns: Sequence[Any], horizon: int,
                 min_phase: int) -> tuple[float, int] | None:
    """The alarm rule that would have served best on the months lo..r-1, each month's probability made out of
    sample and compared with ``base`` (that month's Youden threshold, from the model fitted then) times a factor,
    for a number of months in a row; judged at refit ``r`` on the downturns dated on the data up to r (a peak is
    confirmed only ``min_phase`` months after it, so episodes whose horizon runs past r - min_phase are left open):
    most downturns called less false alarms, then fewer false alarms, then the stricter rule. Returns (factor,
    months), or None when those months hold fewer than MIN_EVENTS downturns to judge by."""
    known_until = r - min_phase
    peaks = [p.index for p in turns if p.kind == "peak" and lo + horizon <= p.index <= known_until]
    if len(peaks) < MIN_EVENTS or np.isfinite(prob[lo:r]).sum() < 24:
        return None
    best: tuple[tuple[int, int, int, float], tuple[float, int]] | None = None
    for f in THRESHOLD_FACTORS:
        for k in PERSISTENCE:
            alarm = _alarms(prob[:r], base[:r] * f, np.full(r, k))
            v = _judge(alarm, lo, r, turns, horizon, known_until)
            key = (v.called - v.false, -v.false, k, f)
            if best is None or key > best[0]:
                best = (key, (f, k))
    return best[1] if best is not None else None


def early_warning(target: Series, signals: Sequence[Series] = (), *, horizon: int = 6,
                  origins_from: int | None = None, threshold: float | None = None, refit_every: int = 12,
                  min_phase: int = 6, min_cycle: int = 15, threshold_rule: str = "past-alarms",
                  feature_set: str = "momentum") -> EarlyWarning:
    """Backtested probability that ``target`` passes a cycle peak within ``horizon`` months, month by month from
    ``origins_from`` (default: 10 years after the start), each from a model fitted on data before that month.

    The alarm rule (a threshold, and the months in a row the probability must reach it) is chosen at each refit:
    ``past-alarms`` (default) takes the rule that would have called the most downturns less false alarms on the
    earlier months' own out-of-sample probabilities, judged only on downturns dated on the data known then and
    labels settled then (Youden's J on the training fit, one month, until those months hold MIN_EVENTS downturns);
    ``youden`` always takes Youden's J on the training fit, one month; ``threshold`` fixes it (one month)."""
    if not 1 <= horizon <= 24:
        raise BadArgumentError(f"horizon {horizon}: between 1 and 24 months")
    if threshold is not None and not 0 < threshold < 1:
        raise BadArgumentError(f"threshold {threshold}: between 0 and 1")
    if threshold_rule not in THRESHOLD_RULES:
        raise BadArgumentError(f"threshold rule {threshold_rule!r}: one of {', '.join(THRESHOLD_RULES)}",
                               parameter="threshold_rule")
    start, x, names = features(target, signals, feature_set, min_phase=min_phase, min_cycle=min_cycle)
    n = len(target.values)
    first = (origins_from - start) if origins_from is not None else 120
    if first < 36 or first >= n:
        raise BadArgumentError(f"origins from {month_label(start + first)}: need 36 months before and some after "
                         f"({target.id} spans {target.span()})")
    prob = np.full(n, np.nan)
    cut = np.full(n, np.nan)
    need = np.zeros(n, dtype=np.int64)
    youden = np.full(n, np.nan)  # each refit's Youden threshold, the base the chosen rule scales
    chosen_by = np.full(n, "", dtype=object)
    events_known = np.zeros(n, dtype=np.int64)
    signals_used = np.zeros(n, dtype=bool)
    used_by_signal = np.zeros((len(signals), n), dtype=bool)
    own = list(range(OWN_FEATURES))
    by_signal = [list(range(OWN_FEATURES + 2 * k, OWN_FEATURES + 2 * k + 2)) for k in range(len(signals))]
    # refits start before the first scored month (on the same 12-month grid) so the months before it carry
    # out-of-sample probabilities that the alarm rule can be chosen on; they are not scored
    warm = first - ((first - 36) // refit_every) * refit_every
    for r in range(warm, n, refit_every):
        # what was known at origin r: the data up to r, the peaks dated on it, labels settled by then
        turns_r = turning_points(target.values[: r + 1], min_phase=min_phase, min_cycle=min_cycle)
        peaks = [p.index for p in turns_r if p.kind == "peak"]
        settled = r - horizon - min_phase  # the last month whose label the data up to r settles
        lab = _labels(peaks, r + 1, horizon)
        rows = np.arange(0, settled + 1)
        used = [p for p in peaks if p <= settled + horizon]
        block = np.arange(r, min(n, r + refit_every))
        events_known[block] = len(used)
        # the signals join the model once the months they cover hold MIN_EVENTS settled downturns; until then
        # the target's own features are used (a signal that starts late does not cut the history short)
        cols = own
        for group in by_signal:
            trial = cols + group
            finite = np.isfinite(x[np.ix_(rows, np.asarray(trial, dtype=np.int64))]).all(axis=1)
            ok_t = rows[finite] if len(rows) else rows
            if len(ok_t) >= 24 and _episodes(lab[ok_t]) >= MIN_EVENTS:
                cols = trial
        ok = rows[np.isfinite(x[np.ix_(rows, np.asarray(cols, dtype=np.int64))]).all(axis=1)] if len(rows) else rows
        if len(used) < MIN_EVENTS or len(ok) < 24 or lab[ok].sum() == 0:
            continue
        xs = x[np.ix_(ok, np.asarray(cols, dtype=np.int64))]
        mu, sd = xs.mean(axis=0), xs.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        w = _fit_logistic((xs - mu) / sd, lab[ok])
        fitted = 1.0 / (1.0 + np.exp(-np.clip(np.column_stack([np.ones(len(ok)), (xs - mu) / sd]) @ w, -30, 30)))
        youden[block] = _youden(fitted, lab[ok])
        rule = None
        if threshold is None and threshold_rule == "past-alarms":
            seen = np.flatnonzero(np.isfinite(prob[:r]))
            if len(seen):
                rule = _choose_rule(prob, youden, int(seen[0]), r, turns_r, horizon, min_phase)
        if threshold is not None:
            cut[block], need[block], chosen_by[block] = threshold, 1, "given"
        elif rule is not None:
            cut[block], need[block] = youden[block] * rule[0], rule[1]
            chosen_by[block] = f"past alarms: Youden x {rule[0]:g}"
        else:
            cut[block], need[block], chosen_by[block] = youden[block], 1, "Youden"
        xb = x[np.ix_(block, np.asarray(cols, dtype=np.int64))]
        good = np.isfinite(xb).all(axis=1)
        z = np.column_stack([np.ones(len(block)), (np.nan_to_num(xb) - mu) / sd]) @ w
        prob[block] = np.where(good, 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))), np.nan)
        signals_used[block] = len(cols) > len(own)
        for k, group in enumerate(by_signal):
            used_by_signal[k, block] = set(group) <= set(cols)
    # evaluate against the downturns dated on the whole series, over the scored months only
    final = turning_points(target.values, min_phase=min_phase, min_cycle=min_cycle)
    alarm = _alarms(prob, cut, need)  # warm-up months are not scored; an alarm on at `first` is judged from its start
    prob_rows = [{"month": month_label(start + t), "probability": None if math.isnan(prob[t]) else round(
        float(prob[t]), 4), "threshold": None if math.isnan(cut[t]) else round(float(cut[t]), 4),
        "months_needed": int(need[t]) if need[t] else None, "rule": chosen_by[t] or None,
        "alarm": bool(alarm[t]), "downturns_known": int(events_known[t]), "signals_used": bool(signals_used[t])}
        for t in range(first, n)]
    calls, episodes, figures, score_caveats = _score(alarm, prob, start, first, final, horizon, min_phase)
    # how well the probabilities rank months, out of sample: the area under the ROC curve over the scored months
    # whose label the whole series settles (0.5 is a coin; below it, the probability points the wrong way)
    labels_final = _labels([p.index for p in final if p.kind == "peak"], n, horizon)
    judged = np.arange(first, max(first, n - horizon - min_phase))
    judged = judged[np.isfinite(prob[judged])]
    auc = _auc(prob[judged], labels_final[judged])
    meta: dict[str, Any] = {"analysis": "early warning", "series": target.id, "signals": [s.id for s in signals],
                            "feature_set": feature_set, "features": names, "horizon": horizon,
                            "threshold": threshold if threshold is not None else {
                                "past-alarms": "chosen on earlier months' out-of-sample alarms (Youden's J until "
                                               f"they hold {MIN_EVENTS} downturns)",
                                "youden": "Youden's J on training months"}[threshold_rule],
                            "origins": f"{month_label(start + first)}..{month_label(target.end)}",
                            **figures, "auc": None if auc is None else round(auc, 4)}
    caveats = [f"each month's probability comes from a model fitted only on data before it; downturns are the cycle "
               f"peaks dated with minimum phase {min_phase} and cycle {min_cycle} months",
               *score_caveats,
               ("the probability's out-of-sample AUC (how well it ranks the months before a peak above the others) "
                + (f"is {auc:.2f}" if auc is not None else "cannot be measured: the scored months hold no settled "
                   "month before a peak or none other")
                + ("" if auc is None else ": below 0.5, worse than a coin: the months before a peak got lower "
                   "probabilities than the others" if auc < 0.5 else ": little better than a coin" if auc < 0.6
                   else "")),
               f"no probability until the data hold {MIN_EVENTS} settled downturns: months without one are no call, "
               "not a low risk"]
    if threshold is None and threshold_rule == "past-alarms":
        judged_from = next((t for t in range(first, n) if str(chosen_by[t]).startswith("past alarms")), None)
        caveats.append(
            "the alarm rule (a threshold as a multiple of the fit's Youden threshold, and the months in a row it "
            "must be reached) is chosen at each yearly refit on the earlier months' own out-of-sample "
            "probabilities, judged only on the downturns dated on the data known then: an expanding-window "
            "evaluation in which no downturn helps choose the rule it is scored under; "
            + ("the earlier months never held " f"{MIN_EVENTS} downturns to judge by, so Youden's J on each fit "
               "was used throughout" if judged_from is None else
               f"before {month_label(start + judged_from)} they held fewer than {MIN_EVENTS} downturns to judge "
               "by and Youden's J on each fit was used" if judged_from > first else
               "every scored month had such a rule"))
    caveats.extend(_signal_caveats(target, signals, used_by_signal, first, horizon,
                                   [p.index for p in final if p.kind == "peak"]))
    probs = ResultTable.from_records("trends_warning", prob_rows, ["month", "probability", "threshold",
                                                                   "months_needed", "rule", "alarm",
                                                                   "downturns_known", "signals_used"],
                                     meta=meta
                                     ).with_caveats(*caveats)
    calls_t = ResultTable.from_records("trends_warning_calls", calls, CALL_COLUMNS, meta=meta).with_caveats(*caveats)
    alarms_t = ResultTable.from_records("trends_warning_alarms", episodes, ALARM_COLUMNS, meta=meta
                                        ).with_caveats(*caveats)
    leads = signal_leads(target, signals).with_caveats(*(c for c in caveats if any(
        c.startswith(s.id + " is ") for s in signals)))
    return EarlyWarning(probs, calls_t, alarms_t, leads)


def _youden(fitted: FloatArray, labels: FloatArray) -> float:
    """The alarm threshold that maximises true-positive minus false-positive rate on the training months (Youden's
    J): downturns are rare, so a fixed 0.5 would almost never fire."""
    pos, neg = labels == 1, labels == 0
    best, best_j = 0.5, -math.inf
    for c in np.unique(np.round(fitted, 4)):
        j = float((fitted[pos] >= c).mean() - (fitted[neg] >= c).mean())
        if j > best_j:
            best, best_j = float(c), j
    return best


def _auc(scores: FloatArray, labels: FloatArray) -> float | None:
    """Area under the ROC curve (ties count half); None without both classes."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return None
    ranks = np.empty(len(scores))
    order = np.argsort(scores, kind="stable")
    ranks[order] = np.arange(1, len(scores) + 1)
    for v in np.unique(scores):  # average ranks of ties
        tie = scores == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return float((ranks[labels == 1].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _max_prob(prob: FloatArray, lo: int, hi: int) -> float | None:
    seg = prob[lo:hi]
    seg = seg[np.isfinite(seg)]
    return round(float(seg.max()), 4) if len(seg) else None
