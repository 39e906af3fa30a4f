"""Early warning: the probability that a series enters a downturn (passes a cycle peak) within ``h`` months, from
leading signals, with the backtest that says how far to trust it.

At each origin the model knows only the data up to it: the downturns it learns from are the peaks that cycle dating
finds in the target's data up to the origin, a month's label ("a peak follows within h months") is used only once
it is settled (the peak, or its absence, is at least ``min_phase`` months old), and the features are computed from
data up to that month. The model is a logistic regression with a light ridge penalty on standardised features:

- the target's year-on-year growth less its trailing 5-year mean, the change of its growth over 3 and 6 months
  (momentum) and the log distance from its 12-month high;
- for each signal series: its year-on-year growth, or its level when it is already a balance or a rate (its unit
  is ``pp`` or ``%``, or it takes negative values), and the change of that over 3 months. A signal joins the model
  at a refit once the months it covers hold MIN_EVENTS settled downturns (before that the target's own features
  are used, so a signal that starts late does not cut the target's history short); :func:`balance_series` makes
  the shipment-inventory balance of two series a signal.

An alarm fires when the probability reaches the threshold and is held for HOLD months after the last month it did.

The backtest reports, for every downturn dated on the whole series within the tested span, whether an alarm
(probability >= threshold) fired in the ``h`` months before its peak and how many months ahead the first one did;
the alarm threshold is, unless given, the one that best separated the training months at each refit (Youden's J on
the fitted probabilities: downturns are rare, so probabilities seldom pass 0.5); every alarm episode (consecutive
alarm months) that precedes no peak within ``h`` months and does not start inside a
contraction is a false alarm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pinchpoint.errors import BadArgumentError
from pinchpoint.results import ResultTable
from pinchpoint.trends.analysis import balance_arrays, turning_points, yoy
from pinchpoint.trends.series import FloatArray, Series, month_label

MIN_EVENTS = 2  # peaks the training data must hold before the model says anything
OWN_FEATURES = 4  # the target's own features come first in :func:`features`
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


def _held(alarm: np.ndarray, hold: int) -> np.ndarray:
    """Month t is an alarm month if the rule fired at some month in t - hold .. t (causal)."""
    out = alarm.copy()
    last = -(hold + 1)
    for t in range(len(alarm)):
        if alarm[t]:
            last = t
        elif t - last <= hold:
            out[t] = True
    return out


def _episodes(labels: FloatArray) -> int:
    """Runs of positive labels (one per downturn whose lead-up the rows cover)."""
    on = labels > 0
    return int(on[0]) + int(np.sum(on[1:] & ~on[:-1])) if len(on) else 0


def _is_rate(s: Series) -> bool:
    return s.unit.strip().lower() in ("pp", "%", "percent", "percentage points") or bool((s.values < 0).any())


def features(target: Series, signals: Sequence[Series]) -> tuple[int, FloatArray, list[str]]:
    """Feature matrix over the target's months (NaN where a feature is not yet defined), its first month, names."""
    n = len(target.values)
    start = target.start
    cols: list[FloatArray] = []
    names: list[str] = []
    g = yoy(target.values)
    # growth against its own trailing 5-year average: a series whose trend growth fell from 40% to 5% a year
    # (IPG3344S) is compared with its own recent normal, not with the 1990s
    trailing = np.array([np.nanmean(g[max(0, t - 59): t + 1]) if np.isfinite(g[max(0, t - 59): t + 1]).sum() >= 24
                         else np.nan for t in range(n)])
    cols += [g - trailing, g - np.r_[np.full(3, np.nan), g[:-3]], g - np.r_[np.full(6, np.nan), g[:-6]]]
    logv = np.log(target.values) if (target.values > 0).all() else target.values
    high = np.array([logv[max(0, t - 11): t + 1].max() for t in range(n)])
    cols.append(logv - high)
    names += [f"{target.id} yoy less its 5-year mean", f"{target.id} yoy 3m change", f"{target.id} yoy 6m change",
              f"{target.id} from 12m high"]
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
    calls: ResultTable  # one row per downturn: called?, months ahead
    alarms: ResultTable  # one row per alarm episode: call, late or false


def early_warning(target: Series, signals: Sequence[Series] = (), *, horizon: int = 6,
                  origins_from: int | None = None, threshold: float | None = None, refit_every: int = 12,
                  min_phase: int = 6, min_cycle: int = 15) -> EarlyWarning:
    """Backtested probability that ``target`` passes a cycle peak within ``horizon`` months, month by month from
    ``origins_from`` (default: 10 years after the start), each from a model fitted on data before that month."""
    if not 1 <= horizon <= 24:
        raise BadArgumentError(f"horizon {horizon}: between 1 and 24 months")
    if threshold is not None and not 0 < threshold < 1:
        raise BadArgumentError(f"threshold {threshold}: between 0 and 1")
    start, x, names = features(target, signals)
    n = len(target.values)
    first = (origins_from - start) if origins_from is not None else 120
    if first < 36 or first >= n:
        raise BadArgumentError(f"origins from {month_label(start + first)}: need 36 months before and some after "
                         f"({target.id} spans {target.span()})")
    prob = np.full(n, np.nan)
    cut = np.full(n, np.nan)
    events_known = np.zeros(n, dtype=np.int64)
    signals_used = np.zeros(n, dtype=bool)
    own = list(range(OWN_FEATURES))
    by_signal = [list(range(OWN_FEATURES + 2 * k, OWN_FEATURES + 2 * k + 2)) for k in range(len(signals))]
    for r in range(first, n, refit_every):
        # what was known at origin r: the data up to r, the peaks dated on it, labels settled by then
        peaks = [p.index for p in turning_points(target.values[: r + 1], min_phase=min_phase, min_cycle=min_cycle)
                 if p.kind == "peak"]
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
        if threshold is None:
            fitted = 1.0 / (1.0 + np.exp(-np.clip(np.column_stack([np.ones(len(ok)), (xs - mu) / sd]) @ w, -30, 30)))
            cut[block] = _youden(fitted, lab[ok])
        else:
            cut[block] = threshold
        xb = x[np.ix_(block, np.asarray(cols, dtype=np.int64))]
        good = np.isfinite(xb).all(axis=1)
        z = np.column_stack([np.ones(len(block)), (np.nan_to_num(xb) - mu) / sd]) @ w
        prob[block] = np.where(good, 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))), np.nan)
        signals_used[block] = len(cols) > len(own)
    # evaluate against the downturns dated on the whole series
    final = turning_points(target.values, min_phase=min_phase, min_cycle=min_cycle)
    alarm = _held(np.isfinite(prob) & (np.nan_to_num(prob, nan=0.0) >= np.nan_to_num(cut, nan=np.inf)), HOLD)
    prob_rows = [{"month": month_label(start + t), "probability": None if math.isnan(prob[t]) else round(
        float(prob[t]), 4), "threshold": None if math.isnan(cut[t]) else round(float(cut[t]), 4),
        "alarm": bool(alarm[t]), "downturns_known": int(events_known[t]), "signals_used": bool(signals_used[t])}
        for t in range(first, n)]
    calls: list[dict[str, Any]] = []
    for k, p in enumerate(final):
        if p.kind != "peak" or p.index < first:
            continue
        window = [t for t in range(max(first, p.index - horizon), p.index) if alarm[t]]
        trough = final[k + 1].index if k + 1 < len(final) else None
        lead = p.index - window[0] if window else None
        calls.append({"peak": month_label(start + p.index),
                      "trough": month_label(start + trough) if trough is not None else None,
                      "called": bool(window), "months_ahead": lead,
                      "probability_before": _max_prob(prob, max(first, p.index - horizon), p.index)})
    contraction = np.zeros(n, dtype=bool)
    for k, p in enumerate(final):
        if p.kind == "peak":
            end = final[k + 1].index if k + 1 < len(final) else n
            contraction[p.index: end + 1] = True
    peaks_final = [p.index for p in final if p.kind == "peak"]
    episodes: list[dict[str, Any]] = []
    t = first
    while t < n:
        if alarm[t]:
            s = t
            while t + 1 < n and alarm[t + 1]:
                t += 1
            called = [p for p in peaks_final if s < p <= t + horizon]
            kind = "call" if called and not contraction[s] else "late" if contraction[s] else (
                "open" if t + horizon >= n else "false")
            episodes.append({"from": month_label(start + s), "to": month_label(start + t), "months": t - s + 1,
                             "kind": kind, "peak": month_label(start + called[0]) if called else None,
                             "max_probability": _max_prob(prob, s, t + 1)})
        t += 1
    n_called = sum(1 for c in calls if c["called"])
    n_ahead3 = sum(1 for c in calls if c["called"] and (c["months_ahead"] or 0) >= 3)
    n_false = sum(1 for e in episodes if e["kind"] == "false")
    meta: dict[str, Any] = {"analysis": "early warning", "series": target.id, "signals": [s.id for s in signals],
                            "features": names, "horizon": horizon,
                            "threshold": threshold if threshold is not None else "Youden's J on training months",
                            "origins": f"{month_label(start + first)}..{month_label(target.end)}",
                            "downturns": len(calls), "called": n_called, "called_3m_ahead": n_ahead3,
                            "false_alarms": n_false}
    caveats = [f"each month's probability comes from a model fitted only on data before it; downturns are the cycle "
               f"peaks dated with minimum phase {min_phase} and cycle {min_cycle} months",
               f"{n_called} of {len(calls)} downturns called within {horizon} months before the peak "
               f"({n_ahead3} at least 3 months ahead); {n_false} false alarm episodes",
               f"no probability until the data hold {MIN_EVENTS} settled downturns: months without one are no call, "
               "not a low risk"]
    probs = ResultTable.from_records("trends_warning", prob_rows, ["month", "probability", "threshold",
                                                                   "alarm", "downturns_known", "signals_used"],
                                     meta=meta
                                     ).with_caveats(*caveats)
    calls_t = ResultTable.from_records("trends_warning_calls", calls, ["peak", "trough", "called", "months_ahead",
                                                                       "probability_before"], meta=meta
                                       ).with_caveats(*caveats)
    alarms_t = ResultTable.from_records("trends_warning_alarms", episodes, ["from", "to", "months", "kind", "peak",
                                                                           "max_probability"], meta=meta
                                        ).with_caveats(*caveats)
    return EarlyWarning(probs, calls_t, alarms_t)


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


def _max_prob(prob: FloatArray, lo: int, hi: int) -> float | None:
    seg = prob[lo:hi]
    seg = seg[np.isfinite(seg)]
    return round(float(seg.max()), 4) if len(seg) else None
