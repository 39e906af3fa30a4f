"""Early warning (no look-ahead, its backtest) and alert rules (YAML errors by line, evaluation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pinchpoint.errors import DataError, NotFoundError
from pinchpoint.trends.alerts import check_series, evaluate, load_rules
from pinchpoint.trends.analysis import turning_points
from pinchpoint.trends.series import Series, month_index, month_label
from pinchpoint.trends.warning import early_warning


def collapsed_after(series: Series, cut: int) -> Series:
    """The series with every month after ``cut`` replaced by a collapse to 30% of its level then."""
    values = series.values.copy()
    values[cut - series.start + 1:] = values[cut - series.start] * 0.3
    return series.replace(values=values)


def test_early_warning_never_sees_past_its_origin(ipg: Series) -> None:
    cut = month_index(2010, 1)
    full = early_warning(ipg, horizon=12, origins_from=month_index(1995, 1))
    # the same series with everything after 2010-01 replaced by a collapse: probabilities before it are unchanged
    crash = early_warning(collapsed_after(ipg, cut), horizon=12, origins_from=month_index(1995, 1))
    before = [r for r in full.probabilities.rows if r["month"] <= month_label(cut)]
    assert len(before) > 100
    assert before == [r for r in crash.probabilities.rows if r["month"] <= month_label(cut)]
    after = [r["probability"] for r in full.probabilities.rows if r["month"] > month_label(cut)]
    assert after != [r["probability"] for r in crash.probabilities.rows if r["month"] > month_label(cut)]


def test_early_warning_backtest_accounts_for_every_downturn(ipg: Series) -> None:
    ew = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    peaks = [month_label(ipg.start + p.index) for p in turning_points(ipg.values) if p.kind == "peak"
             and ipg.start + p.index >= month_index(1990, 1)]
    assert [r["peak"] for r in ew.calls.rows] == peaks
    for r in ew.calls.rows:
        assert r["called"] == (r["months_ahead"] is not None)
        if r["called"]:
            assert 1 <= r["months_ahead"] <= 12
    kinds = {r["kind"] for r in ew.alarms.rows}
    assert kinds <= {"call", "alarm_on_too_long", "late", "false", "open"}
    meta = ew.calls.meta
    assert meta["false_alarms"] == sum(r["kind"] in ("false", "alarm_on_too_long") for r in ew.alarms.rows)
    assert any("false alarm" in c for c in ew.calls.caveats)
    # a probability is a probability, and no month has one before two downturns were settled
    probs = [r["probability"] for r in ew.probabilities.rows if r["probability"] is not None]
    assert probs and all(0 <= p <= 1 for p in probs)
    assert all(r["probability"] is None for r in ew.probabilities.rows if r["downturns_known"] < 2)


def test_signals_enter_as_features(ipg: Series, jp: list[Series]) -> None:
    ew = early_warning(jp[0], [ipg], horizon=6, origins_from=month_index(2016, 1))
    assert any(name.startswith("IPG3344S yoy") for name in ew.calls.meta["features"])


def _fired(rows: list[dict[str, object]]) -> list[bool]:
    """Month t fires when its probability reached its threshold in each of the last months_needed months."""
    out = []
    for t, r in enumerate(rows):
        need, cut = r["months_needed"], r["threshold"]
        back = rows[t - int(need) + 1: t + 1] if isinstance(need, int) and t - need + 1 >= 0 else []
        out.append(bool(back) and cut is not None and all(
            b["probability"] is not None and b["probability"] >= cut for b in back))  # type: ignore[operator]
    return out


def test_an_alarm_is_held_through_short_gaps(ipg: Series) -> None:
    """An alarm month is a month whose rule fired or one of the 2 months after such a month (a warning flickering
    on and off counted as 20 'false alarms' before); a rule fires when the probability reached the threshold in
    each of the months it needs in a row."""
    ew = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    rows = ew.probabilities.rows
    fired = _fired(list(rows))
    for t, r in enumerate(rows):
        assert r["alarm"] == any(fired[max(0, t - 2): t + 1]), r["month"]
    assert any(r["alarm"] and not f for r, f in zip(rows, fired, strict=True))  # the hold was used
    assert any(r["months_needed"] and r["months_needed"] > 1 for r in rows)  # and persistence


def test_the_alarm_rule_is_chosen_on_earlier_months_only(ipg: Series) -> None:
    """The rule (threshold, months in a row) in force before 2010 is the same when everything after 2010-01 is a
    collapse: it was chosen on the earlier months' out-of-sample probabilities and the downturns dated then."""
    cut = month_index(2010, 1)
    full = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    crash = early_warning(collapsed_after(ipg, cut), horizon=12, origins_from=month_index(1990, 1))
    before = [r for r in full.probabilities.rows if r["month"] <= month_label(cut)]
    assert any(str(r["rule"]).startswith("past alarms") for r in before)  # the chosen rule was in force
    assert before == [r for r in crash.probabilities.rows if r["month"] <= month_label(cut)]
    assert any("expanding-window" in c for c in full.calls.caveats)


def test_the_past_alarms_rule_alarms_less_than_youden_and_says_how_well_it_ranks(ipg: Series) -> None:
    """IPG3344S, 12 months, origins from 1990: Youden's J on each fit had the alarm on in over half the months
    (5 of 5 downturns 'called', 7 false alarms); the rule chosen on past alarms raises fewer false alarms in fewer
    months. Alarm share and AUC are recomputed here from the probabilities table and the dated turns."""
    youden = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1), threshold_rule="youden")
    past = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    assert past.calls.meta["false_alarms"] < youden.calls.meta["false_alarms"]
    for ew in (youden, past):
        rows = ew.probabilities.rows
        assert ew.calls.meta["alarm_share"] == pytest.approx(np.mean([r["alarm"] for r in rows]), abs=1e-4)
    assert past.calls.meta["alarm_share"] < youden.calls.meta["alarm_share"]
    # AUC: months up to 12 + 6 before the end, label 'a peak within the next 12 months' from the whole series
    peaks = [ipg.start + p.index for p in turning_points(ipg.values) if p.kind == "peak"]
    scored = [r for r in past.probabilities.rows if r["probability"] is not None
              and r["month"] <= month_label(ipg.end - 18)]
    month = {month_label(m): m for m in range(ipg.start, ipg.end + 1)}
    pos = [r["probability"] for r in scored if any(0 < p - month[r["month"]] <= 12 for p in peaks)]
    neg = [r["probability"] for r in scored if not any(0 < p - month[r["month"]] <= 12 for p in peaks)]
    pairs = [(a > b) + 0.5 * (a == b) for a in pos for b in neg]
    assert past.calls.meta["auc"] == pytest.approx(sum(pairs) / len(pairs), abs=1e-3)
    assert any("AUC" in c for c in past.calls.caveats)
    with pytest.raises(ValueError, match="threshold rule"):
        early_warning(ipg, horizon=12, threshold_rule="best")


def test_a_given_threshold_is_used_as_given(ipg: Series) -> None:
    ew = early_warning(ipg, horizon=12, origins_from=month_index(2000, 1), threshold=0.2)
    rows = [r for r in ew.probabilities.rows if r["probability"] is not None]
    assert rows and all(r["threshold"] == 0.2 and r["months_needed"] == 1 and r["rule"] == "given" for r in rows)


def test_a_signal_that_starts_late_joins_once_it_covers_two_downturns(ipg: Series, jp: list[Series]) -> None:
    """Japan's shipment-inventory balance (from 2014) as a signal for IPG3344S (from 1972): the months before it
    covers two settled downturns are the target-only model's, month for month; after, the signal is used."""
    from pinchpoint.trends.warning import balance_series

    balance = balance_series(jp[0], jp[1])
    assert balance.id == "balance:jp_iip_epd_shipments:jp_iip_epd_inventory" and balance.unit == "pp"
    assert balance.start == jp[0].start + 12
    own = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    both = early_warning(ipg, [balance], horizon=12, origins_from=month_index(1990, 1))
    used = [r["signals_used"] for r in both.probabilities.rows]
    assert any(used) and not used[0]
    first = used.index(True)
    assert both.probabilities.rows[:first] == own.probabilities.rows[:first]
    assert all(used[first:])  # once joined it stays: the downturns it covers stay in the training data
    assert [r["probability"] for r in both.probabilities.rows[first:]] != \
        [r["probability"] for r in own.probabilities.rows[first:]]


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


RULES = """rules:
  - name: U.S. output shrinking
    kind: growth
    series: IPG3344S
    below: 0
  - name: Japan inventories outgrow shipments
    kind: balance
    shipments: jp_iip_epd_shipments
    inventories: jp_iip_epd_inventory
    below: 0
  - name: above 170
    kind: level
    series: IPG3344S
    above: 170
"""


def test_alert_rules_are_evaluated_on_the_latest_month(tmp_path: Path, ipg: Series, jp: list[Series]) -> None:
    rules = load_rules(_rules(tmp_path, RULES))
    by_id = {s.id: s for s in [ipg, *jp]}
    table = evaluate(rules, by_id.__getitem__)
    growth, balance, level = table.rows
    v = ipg.values
    assert growth["value"] == pytest.approx((v[-1] / v[-13] - 1) * 100, abs=1e-5)
    assert growth["triggered"] == bool((v[-1] / v[-13] - 1) < 0)
    ship, inv = jp[0].values, jp[1].values
    expected_balance = ((ship[-1] / ship[-13]) - (inv[-1] / inv[-13])) * 100
    assert balance["value"] == pytest.approx(expected_balance, abs=1e-5) and balance["month"] == "2025-12"
    # the level rule: since = first month of the current run above 170
    above = v > 170
    k = len(v) - 1
    while above[k - 1]:
        k -= 1
    assert level["triggered"] and level["since"] == month_label(ipg.start + k)
    assert level["new"] == (k == len(v) - 1)


def test_forecast_rule_uses_the_forecast(tmp_path: Path, ipg: Series) -> None:
    rules = load_rules(_rules(tmp_path, "rules:\n  - name: dips\n    kind: forecast\n    series: IPG3344S\n"
                                        "    horizon: 3\n    below: 1000\n"))
    table = evaluate(rules, {"IPG3344S": ipg}.__getitem__)
    (row,) = table.rows
    assert row["triggered"] and row["month"] == month_label(ipg.end + 1) and "80% interval" in row["note"]


@pytest.mark.parametrize(("text", "match"), [
    ("rules:\n  - name: x\n    kind: growth\n    series: IPG3344S\n", r"rules.yaml, row 2.*one threshold"),
    ("rules:\n  - name: x\n    kind: slope\n    series: A\n    above: 1\n", r"row 3, field 'rules.0.kind'"),
    ("rules:\n  - name: x\n    kind: level\n    series: A\n    above: 1\n    abovee: 2\n",
     r"row 6, field 'rules.0.abovee'"),
    ("rules:\n  - name: x\n    kind: balance\n    series: A\n    above: 1\n", r"shipments and inventories"),
    ("rules: [\n", "not valid YAML"),
])
def test_bad_rules_are_named_by_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        load_rules(_rules(tmp_path, text))


def test_unknown_series_in_a_rule_is_named_with_its_line(tmp_path: Path) -> None:
    rules = load_rules(_rules(tmp_path, RULES.replace("series: IPG3344S\n    above", "series: IPG3344\n    above")))
    with pytest.raises(NotFoundError,
                       match=r"row 13, field .rules.2.series.: no series .IPG3344..*did you mean IPG3344S"):
        check_series(rules, ["IPG3344S", "jp_iip_epd_shipments", "jp_iip_epd_inventory"])


def test_rates_are_levels_not_growth(jp: list[Series]) -> None:
    from pinchpoint.trends.warning import features

    bal = jp[0].replace(id="bal", unit="pp", values=np.linspace(-5, 5, len(jp[0].values)))
    _, x, names = features(jp[0], [bal])
    assert "bal level" in names
    assert x[-1, names.index("bal level")] == pytest.approx(5.0)


def test_posted_rules_name_their_line_not_a_temporary_file() -> None:
    from pinchpoint.trends.alerts import load_rules_text

    rules = load_rules_text(RULES)
    assert len(rules.rules) == 3 and rules.line_of(2, "series") == 13
    with pytest.raises(DataError, match=r"^posted rules, row 3, field 'rules.0.kind'"):
        load_rules_text("rules:\n  - name: x\n    kind: lvl\n    series: A\n    above: 1\n")


def test_packaged_rule_set_reads() -> None:
    rules = load_rules("chip-cycle")
    assert {r.kind for r in rules.rules} == {"growth", "balance", "forecast"}
    with pytest.raises(NotFoundError, match="packaged rule sets: chip-cycle"):
        load_rules("chip-cycles")


def test_a_signal_too_short_for_a_lead_lag_is_named(ipg: Series, jp: list[Series]) -> None:
    """Japan's shipments cut to 2023-01..2025-12 (36 months, so 24 of year-on-year growth) as a signal: no rows in
    the leads table and a caveat saying how many months it shares with the target's growth; the warning still
    runs on the target's own features and says the signal was used in no month."""
    from pinchpoint.trends.warning import signal_leads

    short = jp[0].since(month_index(2023, 1))
    common = min(short.end, ipg.end) - (short.start + 12) + 1
    table = signal_leads(ipg, [short])
    assert len(table) == 0
    assert any(c.startswith(f"{short.id}: {common} months in common") for c in table.caveats)
    ew = early_warning(ipg, [short], horizon=12, origins_from=month_index(2015, 1))
    assert any(c.startswith(f"{short.id} is a signal spanning {short.span()}") and "used in no month" in c
               for c in ew.calls.caveats)


def test_the_one_sided_trend_is_the_hp_trend_of_the_data_so_far(ipg: Series) -> None:
    """Each month's trend in the ``cycle`` features is the last point of the two-sided HP filter (statsmodels,
    lambda 129600) run on the data up to that month: the filter sees no later month."""
    hp = pytest.importorskip("statsmodels.tsa.filters.hp_filter")
    from pinchpoint.trends.warning import HP_LAMBDA, one_sided_trend

    y = np.log(ipg.values)
    trend = one_sided_trend(y)
    for t in (40, 250, len(y) - 1):
        assert trend[t] == pytest.approx(hp.hpfilter(y[: t + 1], HP_LAMBDA)[1][-1], abs=1e-6)


def test_cycle_features_never_see_past_their_month(ipg: Series) -> None:
    """Every feature of the ``cycle`` set (growth against its long-run mean, acceleration, gap above the one-sided
    trend, months since the last trough dated then) is unchanged up to a month when everything after it is a
    spike; the months since the trough count from the trough the data up to then date (2009-01, seen by 2010-06)."""
    from pinchpoint.trends.warning import own_features

    cut = month_index(2010, 6) - ipg.start
    cols, names = own_features(ipg, "cycle")
    values = ipg.values.copy()
    values[cut + 1:] = values[cut] * 3.0
    spiked, _ = own_features(ipg.replace(values=values), "cycle")
    assert len(names) == 4
    for name, a, b in zip(names, cols, spiked, strict=True):
        np.testing.assert_array_equal(a[: cut + 1], b[: cut + 1], err_msg=name)
        assert not np.array_equal(a[cut + 1:], b[cut + 1:], equal_nan=True), name
    trough = max(ipg.start + p.index for p in turning_points(ipg.values[: cut + 1]) if p.kind == "trough")
    assert trough == month_index(2009, 1)
    assert cols[3][cut] == pytest.approx(np.log1p(month_index(2010, 6) - trough))
    with pytest.raises(ValueError, match="feature set 'trend'"):
        own_features(ipg, "trend")


@pytest.mark.parametrize(("feature_set", "feature"), [("cycle", "IPG3344S gap above its one-sided HP trend"),
                                                      ("growth", "IPG3344S 6m smoothed growth from its 24m high")])
def test_the_own_feature_warning_never_sees_past_its_origin(ipg: Series, feature_set: str, feature: str) -> None:
    """With the ``cycle`` or ``growth`` features, a collapse after 2010-01 changes no probability, threshold or alarm
    before it."""
    cut = month_index(2010, 1)
    full = early_warning(ipg, horizon=12, origins_from=month_index(1995, 1), feature_set=feature_set)
    crash = early_warning(collapsed_after(ipg, cut), horizon=12, origins_from=month_index(1995, 1),
                          feature_set=feature_set)
    before = [r for r in full.probabilities.rows if r["month"] <= month_label(cut)]
    assert sum(r["probability"] is not None for r in before) > 100
    assert before == [r for r in crash.probabilities.rows if r["month"] <= month_label(cut)]
    assert [r["probability"] for r in full.probabilities.rows if r["month"] > month_label(cut)] != \
        [r["probability"] for r in crash.probabilities.rows if r["month"] > month_label(cut)]
    assert full.calls.meta["feature_set"] == feature_set
    assert feature in full.calls.meta["features"]



def test_growth_features_are_moores_smoothed_rate_and_never_see_past_their_month(ipg: Series) -> None:
    """The ``growth`` set: the six-month smoothed annualised growth rate (the log level against the mean log level of
    the 12 months before, times 12/6.5) less its mean over the last 60 months, its fall from its 24-month high, its
    3-month change and its gap over y/y log growth, computed here month by month from the file's values; and
    unchanged up to a month when everything after it is a spike."""
    from pinchpoint.trends.warning import own_features

    cols, names = own_features(ipg, "growth")
    y = np.log(ipg.values)
    smoothed = {t: (y[t] - y[t - 12: t].mean()) * 12 / 6.5 * 100 for t in range(12, len(y))}
    t = month_index(2000, 12) - ipg.start
    window = [smoothed[k] for k in range(t - 59, t + 1)]
    assert cols[0][t] == pytest.approx(smoothed[t] - np.mean(window))
    assert cols[1][t] == pytest.approx(smoothed[t] - max(smoothed[k] for k in range(t - 23, t + 1)))
    assert cols[2][t] == pytest.approx(smoothed[t] - smoothed[t - 3])
    assert cols[3][t] == pytest.approx(smoothed[t] - (y[t] - y[t - 12]) * 100)
    assert np.isnan(cols[2][14]) and np.isfinite(cols[2][15])  # the smoothed rate starts in month 13
    cut = month_index(2010, 6) - ipg.start
    values = ipg.values.copy()
    values[cut + 1:] = values[cut] * 3.0
    spiked, _ = own_features(ipg.replace(values=values), "growth")
    for name, a, b in zip(names, cols, spiked, strict=True):
        np.testing.assert_array_equal(a[: cut + 1], b[: cut + 1], err_msg=name)
        assert not np.array_equal(a[cut + 1:], b[cut + 1:], equal_nan=True), name


def test_a_call_is_an_alarm_that_began_within_the_horizon(ipg: Series) -> None:
    """Under Youden's rule, 12 months ahead, some IPG3344S peaks had an alarm on before them that had begun more than
    12 months earlier, running through the expansion (read back from the probabilities table): such a peak is not
    called (verdict alarm_on_too_long, named in a caveat; the old count called it, 12 months ahead). A call's lead
    is counted from the month its alarm began, within the horizon before the peak."""
    ew = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1), threshold_rule="youden")
    months = [r["month"] for r in ew.probabilities.rows]
    on = [r["alarm"] for r in ew.probabilities.rows]
    begins = [t for t in range(len(on)) if on[t] and (t == 0 or not on[t - 1])]
    too_long = []
    for call in ew.calls.rows:
        peak = months.index(call["peak"])
        fresh = [t for t in begins if peak - 12 <= t < peak]
        covered = any(on[max(0, peak - 12): peak])
        if fresh:
            assert call["called"] and call["verdict"] == "called"
            assert call["months_ahead"] == call["months_on_before"] == peak - fresh[0]
            assert call["alarm_since"] == months[fresh[0]]
        elif covered:
            t = next(t for t in range(peak - 12, peak) if on[t])
            while t > 0 and on[t - 1]:
                t -= 1
            assert not call["called"] and call["months_ahead"] is None
            assert call["verdict"] == "alarm_on_too_long" and call["alarm_since"] == months[t]
            assert call["months_on_before"] == peak - t > 12
            too_long.append(f"{call['peak']}: on since {months[t]}")
        else:
            assert not call["called"] and call["verdict"] == "missed" and call["alarm_since"] is None
        assert call["called_by_any_episode"] == covered
    assert too_long
    named = [c for c in ew.calls.caveats if "verdict alarm_on_too_long" in c]
    assert len(named) == 1 and all(s in named[0] for s in too_long)
    meta = ew.calls.meta
    assert meta["called"] == sum(r["called"] for r in ew.calls.rows) < meta["called_by_any_episode"]
    assert meta["alarm_on_too_long"] == len(too_long)
    assert "called_by_alarm_on_within_horizon" not in meta
    # each episode that ran into a peak's horizon having begun earlier is a false alarm, not a call
    overrun = [r for r in ew.alarms.rows if r["kind"] == "alarm_on_too_long"]
    assert overrun and all(r["peak"] is not None for r in overrun)


def _dated_peaks(ipg: Series, after: int) -> list[int]:
    return [p.index for p in turning_points(ipg.values) if p.kind == "peak" and ipg.start + p.index >= after]


def test_an_alarm_on_in_nearly_every_month_calls_nothing(ipg: Series) -> None:
    """IPG3344S from 1990, h=12: an alarm on in every month but those of the dated peaks (on in 99% of the months)
    had every peak's horizon covered by an alarm that began right after the previous peak, more than 12 months
    before: no peak is called, each episode is a false alarm, and the noise-to-signal ratio is about 1. The old
    count called all of them, 12 months ahead, with no false alarm."""
    from pinchpoint.trends.warning import score_alarms

    origin = month_index(1990, 1)
    all_peaks = [p.index for p in turning_points(ipg.values) if p.kind == "peak"]
    alarm = np.ones(len(ipg.values), dtype=bool)
    alarm[all_peaks] = False
    score = score_alarms(ipg, alarm, horizon=12, origins_from=origin)
    peaks = _dated_peaks(ipg, origin)
    assert [r["peak"] for r in score.calls.rows] == [month_label(ipg.start + p) for p in peaks] and len(peaks) >= 4
    for r, p in zip(score.calls.rows, peaks, strict=True):
        before = max(q for q in all_peaks if q < p)  # the alarm began the month after the previous peak
        assert not r["called"] and r["months_ahead"] is None and r["verdict"] == "alarm_on_too_long"
        assert r["alarm_since"] == month_label(ipg.start + before + 1) and r["months_on_before"] > 12
        assert r["called_by_any_episode"]
    meta = score.calls.meta
    assert meta["called"] == meta["called_3m_ahead"] == 0
    assert meta["called_by_any_episode"] == meta["downturns"] == len(peaks)
    assert meta["false_alarms"] == sum(r["kind"] in ("false", "alarm_on_too_long") for r in score.alarms.rows) >= \
        len(peaks)
    assert meta["alarm_share"] > 0.98 and meta["alarm_share_before_peaks"] == 1.0
    assert meta["noise_to_signal"] == pytest.approx(1.0, abs=0.02)
    assert any("noise-to-signal ratio of 0.99" in c or "noise-to-signal ratio of 1.00" in c
               for c in score.calls.caveats)


def test_a_short_alarm_before_a_dated_peak_is_a_call_with_its_lead(ipg: Series) -> None:
    """An alarm on from 4 months before IPG3344S's 2008 peak (dated on the file) to 2 months after it calls it 4
    months ahead. Before the 2014 peak, one on from 40 to 34 months before it is a false alarm, and one on from 20
    to 5 months before it ran into its horizon having begun earlier: not a call of it (the old count: called, 12
    months ahead, with 1 false alarm) but a false alarm."""
    from pinchpoint.trends.warning import score_alarms

    origin = month_index(1990, 1)
    peaks = {month_label(ipg.start + p)[:4]: p for p in _dated_peaks(ipg, origin)}
    p08, p14 = peaks["2008"], peaks["2014"]
    alarm = np.zeros(len(ipg.values), dtype=bool)
    alarm[p08 - 4: p08 + 3] = True
    alarm[p14 - 40: p14 - 33] = True
    alarm[p14 - 20: p14 - 4] = True
    score = score_alarms(ipg, alarm, horizon=12, origins_from=origin)
    rows = {r["peak"][:4]: r for r in score.calls.rows}
    assert rows["2008"]["called"] and rows["2008"]["months_ahead"] == 4 and rows["2008"]["verdict"] == "called"
    assert rows["2008"]["alarm_since"] == month_label(ipg.start + p08 - 4)
    assert rows["2014"]["verdict"] == "alarm_on_too_long" and rows["2014"]["months_on_before"] == 20
    assert rows["2014"]["called_by_any_episode"] and not rows["2014"]["called"]
    assert all(r["verdict"] == "missed" for k, r in rows.items() if k not in ("2008", "2014"))
    assert [(r["kind"], r["months"]) for r in score.alarms.rows] == [("call", 7), ("false", 7),
                                                                     ("alarm_on_too_long", 16)]
    meta = score.calls.meta
    assert (meta["called"], meta["called_3m_ahead"], meta["false_alarms"], meta["called_by_any_episode"]) == \
        (1, 1, 2, 2)
    with pytest.raises(ValueError, match="alarm: 3 months given"):
        score_alarms(ipg, [True, False, True], horizon=12)


def test_the_warning_tables_carry_the_honest_count(ipg: Series) -> None:
    """The calls table's meta gives the share of months the alarm was on before a peak and otherwise, and their
    ratio (noise-to-signal), recomputed here from the probabilities table and the dated peaks."""
    ew = early_warning(ipg, horizon=12, origins_from=month_index(1990, 1))
    peaks = [ipg.start + p.index for p in turning_points(ipg.values) if p.kind == "peak"]
    rows = [r for r in ew.probabilities.rows if r["month"] <= month_label(ipg.end - 18)]
    month = {month_label(m): m for m in range(ipg.start, ipg.end + 1)}
    before = [r["alarm"] for r in rows if any(0 < p - month[r["month"]] <= 12 for p in peaks)]
    other = [r["alarm"] for r in rows if not any(0 < p - month[r["month"]] <= 12 for p in peaks)]
    meta = ew.calls.meta
    assert meta["alarm_share_before_peaks"] == pytest.approx(np.mean(before), abs=1e-4)
    assert meta["alarm_share_other_months"] == pytest.approx(np.mean(other), abs=1e-4)
    if meta["noise_to_signal"] is not None:
        assert meta["noise_to_signal"] == pytest.approx(np.mean(other) / np.mean(before), rel=1e-3)
    assert list(ew.calls.columns[:5]) == ["peak", "trough", "called", "months_ahead", "verdict"]
