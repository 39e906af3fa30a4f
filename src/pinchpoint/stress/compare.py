"""Two dynamic stress runs side by side: per end product, peak shortfall, shortfall-days and recovery day in each run
and the change from the first to the second. Every product of either run is kept (one present in only one run says
so); what makes the runs not comparable (other datasets, horizons, numbers of runs) is said in the caveats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinchpoint.errors import BadArgumentError
from pinchpoint.results import ResultTable

COMPARE_COLUMNS = ["input_id", "input_name", "peak_shortfall_first", "peak_shortfall_second", "peak_shortfall_change",
                   "shortfall_days_first", "shortfall_days_second", "shortfall_days_change", "recovery_day_first",
                   "recovery_day_second", "present_in"]
#: Parameters of a run that, when they differ, make a difference between the runs partly the method's.
_SETTINGS = (("dataset_version", "the runs are on different datasets or dataset versions"),
             ("horizon_days", "the runs have different horizons, so shortfall-days are counted over different spans"),
             ("runs", "the runs average different numbers of Monte Carlo draws"),
             ("seed", "the runs use different random seeds: small differences can be sampling noise"))


def _change(first: Any, second: Any) -> float | None:
    if first is None or second is None:
        return None
    return round(float(second) - float(first), 6)


def compare_runs(first: ResultTable, second: ResultTable) -> ResultTable:
    """Compare two dynamic runs' summaries (``stress_summary`` tables); rows ordered by the largest change in
    shortfall-days, then by product id."""
    for which, table in (("first", first), ("second", second)):
        if table.name != "stress_summary":
            raise BadArgumentError(f"the {which} run is a {table.name!r} table: runs are compared on the dynamic "
                                   "engine's summary", parameter=which)
    a: Mapping[str, Mapping[str, Any]] = {str(r["input_id"]): r for r in first.rows}
    b: Mapping[str, Mapping[str, Any]] = {str(r["input_id"]): r for r in second.rows}
    rows: list[dict[str, Any]] = []
    for key in list(a) + [k for k in b if k not in a]:
        ra, rb = a.get(key), b.get(key)
        name = (ra or rb or {}).get("input_name")
        rows.append({
            "input_id": key, "input_name": name,
            "peak_shortfall_first": ra["peak_shortfall"] if ra else None,
            "peak_shortfall_second": rb["peak_shortfall"] if rb else None,
            "peak_shortfall_change": _change(ra and ra["peak_shortfall"], rb and rb["peak_shortfall"]),
            "shortfall_days_first": ra["shortfall_days"] if ra else None,
            "shortfall_days_second": rb["shortfall_days"] if rb else None,
            "shortfall_days_change": _change(ra and ra["shortfall_days"], rb and rb["shortfall_days"]),
            "recovery_day_first": ra.get("recovery_day") if ra else None,
            "recovery_day_second": rb.get("recovery_day") if rb else None,
            "present_in": "both" if ra and rb else "first only" if ra else "second only",
        })
    rows.sort(key=lambda r: (-abs(r["shortfall_days_change"] or 0.0), r["input_id"]))
    caveats = [reason for key, reason in _SETTINGS
               if first.meta.get(key) is not None and second.meta.get(key) is not None
               and first.meta.get(key) != second.meta.get(key)]
    only = [str(r["input_id"]) for r in rows if r["present_in"] != "both"]
    if only:
        caveats.append(f"{len(only)} end product(s) appear in one run only ({', '.join(only[:5])}): their change "
                       "is left empty, not zero")
    caveats.append("a recovery day is empty when most draws had not recovered by the horizon")
    meta = {"analysis": "stress comparison",
            "first": {k: first.meta.get(k) for k in ("scenario", "engine", "dataset_version", "runs", "seed")},
            "second": {k: second.meta.get(k) for k in ("scenario", "engine", "dataset_version", "runs", "seed")}}
    return ResultTable.from_records("stress_comparison", rows, COMPARE_COLUMNS, meta).with_caveats(*caveats)
