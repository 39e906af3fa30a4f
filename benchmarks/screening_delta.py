"""Delta re-screening (issue #16 item 4): 100,000 stored names after a list update of 500 entities, against a
full re-screen of the same names measured in the same run.

The update is made from the real OFAC SDN file: the "previous" version lacks 200 of its entities (the update
adds them), holds 100 the update removes (taken out of the real file for the new version) and differs in 200
records (the previous version lacks the last alias of 100 and names another programme for 100). The stored
names are synthetic persons (yente's negatives, which must not alert) and 1,000 names from the lists, a third
of them names of the entities the update touches, so alerts are added, resolved and carried.

Goal: the delta (entity comparison + restricted index + screening the stored names) under 10 s, with what a real
run pays before it: reading the lists and the index ``lists update`` stored with them from the workspace
(``screening.index_store.read_screener``, the function ``screen`` and ``screen --since-last`` call); its alerts the
same as the full re-screen's. Building the index in memory instead is measured too, for comparison.
``--names N`` runs a smaller set (for a quick look).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report  # noqa: E402
from screening import BENCH, FILES, LISTS  # noqa: E402  (one list of the real files for every screening benchmark)


def make_update(lists: list, rng: random.Random) -> tuple[list, list, dict[str, list[str]]]:  # type: ignore[type-arg]
    """(previous lists, updated lists, touched ids by kind): OFAC's file is the update's source."""
    ofac = next(lst for lst in lists if lst.list_name.startswith("OFAC"))
    ids = [e.entity_id for e in ofac.entities]
    rng.shuffle(ids)
    added, removed, changed = ids[:200], ids[200:300], ids[300:500]
    by_id = {e.entity_id: e for e in ofac.entities}
    old_entities = []
    for e in ofac.entities:
        if e.entity_id in added:
            continue
        if e.entity_id in changed[:100] and len(e.names) > 1:
            e = e.model_copy(update={"names": e.names[:-1]})
        elif e.entity_id in changed:
            e = e.model_copy(update={"programmes": (*e.programmes, "FORMER-PROGRAMME")})
        old_entities.append(e)
    new_entities = [e for e in ofac.entities if e.entity_id not in removed]
    old = [lst if lst is not ofac else ofac.model_copy(update={"entities": tuple(old_entities), "version": "old"})
           for lst in lists]
    new = [lst if lst is not ofac else ofac.model_copy(update={"entities": tuple(new_entities)}) for lst in lists]
    touched = {"added": added, "removed": removed, "changed": [i for i in changed if i in by_id]}
    return old, new, touched


def stored_names(lists: list, touched: dict[str, list[str]], n: int, rng: random.Random) -> list[str]:  # type: ignore[type-arg]
    listed = [e for lst in lists for e in lst.entities]
    by_id = {e.entity_id: e for e in listed}
    positives = [name.text for kind in ("added", "removed", "changed") for i in touched[kind][:110]
                 for name in by_id[i].names[:1]] if n >= 10_000 else []
    positives += [e.names[-1].text for e in rng.sample(listed, max(0, min(1000, n // 100) - len(positives)))]
    negatives: list[str] = []
    for file in ("yente_negatives_global.csv", "yente_negatives_us.csv"):
        with (BENCH / file).open(encoding="utf-8") as fh:
            negatives += [r["full_name"] for r in csv.DictReader(fh)]
    names = negatives[: n - len(positives)] + positives
    rng.shuffle(names)
    return names


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=100_000)
    args = parser.parse_args()
    if not LISTS.exists():
        print(f"skipped: {LISTS} not found")
        return 0
    from pinchpoint.screening.delta import StoredRow, make_stored, rescreen_since_last
    from pinchpoint.screening.index_store import LOADED, index_stored_lists, read_screener
    from pinchpoint.screening.loaders import load_list
    from pinchpoint.screening.matcher import Screener
    from pinchpoint.screening.store import store_list
    from pinchpoint.workspace import Workspace

    rng = random.Random(16)
    lists = [load_list(LISTS / f) for f in FILES]
    old_lists, new_lists, touched = make_update(lists, rng)
    names = stored_names(lists, touched, args.names, rng)
    workers = min(2, os.cpu_count() or 1)
    print(f"{len(names):,} stored names; update: {len(touched['added'])} added, {len(touched['removed'])} removed, "
          f"{len(touched['changed'])} changed entities of OFAC SDN; {workers} workers; load {os.getloadavg()[0]:.1f}")

    t0 = time.perf_counter()
    old = Screener(old_lists)
    found = old.screen_batch(names, workers=workers, limit=len(old.entities))
    rows = [StoredRow(k + 2, q) for k, q in enumerate(names)]
    stored = make_stored("customers", "customers.csv", ["name"], "name", {"threshold": 0.8}, rows,
                         {k + 2: m for k, m in enumerate(found) if m}, old)
    print(f"first screening stored: {len(stored.alerts)} alerts ({time.perf_counter() - t0:.1f} s)")

    c0, t0 = _cpu(), time.perf_counter()
    new = Screener(new_lists)
    new.skeleton_index()  # held with the index by a session (built on the first Arabic-script query otherwise)
    t_build, c_build = time.perf_counter() - t0, _cpu() - c0
    with tempfile.TemporaryDirectory(prefix="pinchpoint-delta-") as tmp:
        # what `lists update` does: store the updated lists, then build and store their index
        with Workspace(Path(tmp) / "ws") as ws:
            for lst in new_lists:
                store_list(ws, lst)
        t0 = time.perf_counter()
        index_stored_lists(Path(tmp) / "ws")
        t_store = time.perf_counter() - t0
        # what the delta run does first: read the lists and their stored index
        c0, t0 = _cpu(), time.perf_counter()
        loaded = read_screener(Path(tmp) / "ws")
        t_load, c_load = time.perf_counter() - t0, _cpu() - c0
    if loaded.origin != LOADED:
        print(f"the stored index was not used: {loaded.origin}")
        return 1
    print(f"index of the updated lists: built in memory in {t_build:.2f} s ({c_build:.2f} CPU s); built and "
          f"stored by lists update in {t_store:.2f} s; the lists and the stored index read from the workspace in "
          f"{t_load:.2f} s ({c_load:.2f} CPU s; counted below)")
    c0, t0 = _cpu(), time.perf_counter()
    delta = rescreen_since_last(stored, loaded, workers=workers)
    t_delta, c_delta = time.perf_counter() - t0, _cpu() - c0
    c0, t0 = _cpu(), time.perf_counter()
    full = new.screen_batch(names, workers=workers, limit=len(new.entities))
    t_full, c_full = time.perf_counter() - t0, _cpu() - c0
    print(f"CPU seconds (this process and its workers): delta {c_delta:.1f}, full re-screen {c_full:.1f}; load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times below grow with the load)")

    changes = [r["change"] for r in delta.alerts.rows]
    print(f"delta: {changes.count('new alert')} new alerts, {changes.count('still alerted')} still alerted, "
          f"{changes.count('resolved')} resolved; {delta.alerts.meta['entities_rescreened']} entities screened "
          f"again; {delta.alerts.meta['rows_matched_in_full']:,} of {len(names):,} names passed the prefilter to the "
          "full matcher")
    full_alerts = {(k + 2, m["list"], m["entity_id"]): m["score"] for k, ms in enumerate(full) for m in ms}
    delta_alerts = {(a.line, a.list, a.entity_id): a.score for a in delta.stored.alerts}
    only_full, only_delta = set(full_alerts) - set(delta_alerts), set(delta_alerts) - set(full_alerts)
    drift = max((abs(full_alerts[k] - delta_alerts[k]) for k in set(full_alerts) & set(delta_alerts)), default=0.0)
    print(f"alerts after the update: full re-screen {len(full_alerts)}, delta {len(delta_alerts)}; only in the full "
          f"re-screen {len(only_full)}, only in the delta {len(only_delta)}; largest score difference on common "
          f"alerts {drift:.4f} (carried scores against unchanged entities)")
    for key in sorted(only_full)[:5]:
        print(f"  only full:  row {key[0]} {names[key[0] - 2]!r} -> {key[1]} {key[2]} {full_alerts[key]}")
    for key in sorted(only_delta)[:5]:
        print(f"  only delta: row {key[0]} {names[key[0] - 2]!r} -> {key[1]} {key[2]} {delta_alerts[key]}")
    print(f"delta / full re-screen: wall {t_delta / t_full:.3f}, CPU {c_delta / c_full:.3f}")
    ok = report(f"delta re-screen of {len(names):,} names (500 entities)", t_delta, t_full, "full re-screen",
                None)
    report(f"delta incl. building the index of {len(new.names):,} names in memory", t_delta + t_build,
           t_full + t_build, "full re-screen", None)
    ok = report(f"delta incl. reading the lists and their stored index of {len(loaded.names):,} names",
                t_delta + t_load, t_full + t_load, "full re-screen", 10.0) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
