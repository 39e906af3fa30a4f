"""Screening quality and speed against a plain rapidfuzz baseline measured in the same run (issue #4).

Recall on the 683 UN-listed persons (untreated and treated with typos and reordering), false-alert rates on the
synthetic persons and on U.S. Congress names (which must not alert), precision / recall / F1 per category of the
perturbation set generated from the real lists (``screening_eval.py``), Watchman's cross-script pairs, batch
throughput on 2 cores and the p95 latency of one ``POST /screen`` on loopback. Baseline: token prefix blocking +
rapidfuzz token_sort_ratio >= 88 over the same names (one process).
"""

from __future__ import annotations

import csv
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import ServedLists, best_of, report  # noqa: E402

LISTS = ROOT.parent / "shared" / "data" / "screening" / "lists"
BENCH = ROOT.parent / "shared" / "data" / "screening" / "benchmarks"
FILES = ["ofac_sdn_20240503.csv", "un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx",
         "us_bis_dpl_2022.txt", "yente_zala_entities.ftm.json"]


def names(file: str, limit: int | None = None) -> list[str]:
    rows = [r["full_name"] for r in csv.DictReader((BENCH / file).open(encoding="utf-8"))]
    return rows[:limit] if limit else rows


class Baseline:
    """Token prefix blocking + token_sort_ratio, the plain approach the issue measures."""

    def __init__(self, entries: list[tuple[str, str, str]]) -> None:
        self.entries = entries
        self.block: dict[str, list[int]] = defaultdict(list)
        for i, (text, _, _) in enumerate(entries):
            for tok in text.lower().split():
                self.block[tok[:3]].append(i)

    def screen(self, query: str, threshold: float = 88) -> list[str]:
        from rapidfuzz import fuzz

        cands = {i for tok in query.lower().split() for i in self.block.get(tok[:3], [])}
        return [self.entries[i][1] for i in cands if fuzz.token_sort_ratio(query, self.entries[i][0]) >= threshold]

    def entities(self, query: str, threshold: float = 88) -> set[str]:
        from rapidfuzz import fuzz

        cands = {i for tok in query.lower().split() for i in self.block.get(tok[:3], [])}
        return {self.entries[i][2] for i in cands if fuzz.token_sort_ratio(query, self.entries[i][0]) >= threshold}


#: Issue #16's goal: ">= 3,000 names/s on 2 cores" with every matching rule (the line printed 2,000, an older goal).
GOAL_NAMES_PER_SECOND = 3_000


def main() -> int:
    if not LISTS.exists():
        print(f"skipped: {LISTS} not found")
        return 0
    from pinchpoint.screening.loaders import load_list
    from pinchpoint.screening.matcher import Screener

    lists = [load_list(LISTS / f) for f in FILES]
    t0 = time.perf_counter()
    screener = Screener(lists)
    print(f"index of {len(screener.names):,} names built in {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    screener.skeleton_index()
    print(f"consonant-skeleton index (for Arabic, Hebrew, Thai queries) built in {time.perf_counter() - t0:.2f} s")
    baseline = Baseline([(n.text, e.list_name, e.entity_id) for lst in lists for e in lst.entities for n in e.names])
    print(f"{'set':<34} {'ours':>8} {'baseline':>9}")
    for label, file, want_alert, limit in (
        ("recall, UN persons untreated", "yente_positives_un_untreated.csv", True, None),
        ("recall, UN persons treated", "yente_positives_un_treated.csv", True, None),
        ("false alerts, Congress names", "yente_positives_us_congress_untreated.csv", False, None),
        ("false alerts, synthetic global", "yente_negatives_global.csv", False, 5000),
        ("false alerts, synthetic US", "yente_negatives_us.csv", False, 5000),
    ):
        queries = names(file, limit)

        def hit(matches: list[str], want_alert: bool = want_alert) -> bool:
            return any(m.startswith("UN") for m in matches) if want_alert else bool(matches)

        ours = sum(hit([m["list"] for m in screener.screen(q)]) for q in queries) / len(queries)
        base = sum(hit(baseline.screen(q)) for q in queries) / len(queries)
        print(f"{label:<34} {ours:8.4f} {base:9.4f}")
    goals = [perturbation_table(screener, baseline, lists), extended_table(screener, lists), name_bench(screener)]
    goals.append(cross_script(screener))
    queries = names("yente_negatives_global.csv", 10_000)
    workers = min(2, os.cpu_count() or 1)
    # best of three runs each: this machine's speed varies by 20% from run to run
    ours_t = best_of(lambda: screener.screen_batch(queries, workers=workers))
    base_t = best_of(lambda: [baseline.screen(q) for q in queries])
    print(f"throughput (best of 3): ours {len(queries) / ours_t:,.0f} names/s ({workers} workers), "
          f"baseline {len(queries) / base_t:,.0f} names/s (one process); goal >= {GOAL_NAMES_PER_SECOND:,} names/s")
    goals.append(report("10,000 names screened (batch)", ours_t, base_t, "rapidfuzz baseline",
                        len(queries) / GOAL_NAMES_PER_SECOND))
    goals.append(api_latency(lists))
    return 0 if all(goals) else 1


def perturbation_table(screener, baseline, lists) -> bool:  # type: ignore[no-untyped-def]
    """Precision, recall and F1 per category at the default threshold (0.8), ours and the baseline's."""
    from screening_eval import generate

    cases = generate(lists)
    by_cat: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for case in cases:
        by_cat[case.category].append(case)
    print(f"\n{'category':<18} {'n':>4}  {'ours P':>7} {'R':>6} {'F1':>6}   {'base P':>7} {'R':>6} {'F1':>6}")
    ok = True
    recalls = []
    for category, group in by_cat.items():
        row = []
        for matcher in ("ours", "base"):
            tp = fp = fn = 0
            for case in group:
                found = ({m["entity_id"] for m in screener.screen(case.query)} if matcher == "ours"
                         else baseline.entities(case.query))
                if case.expected is None:
                    fp += bool(found)
                    continue
                hit = case.expected in found
                tp += hit
                fn += not hit
                fp += bool(found) and not hit
            precision = tp / (tp + fp) if tp + fp else (1.0 if case.expected is not None else 0.0)
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            if category == "hard_negative":
                row += [fp / len(group), float("nan"), float("nan")]
            else:
                row += [precision, recall, f1]
        print(f"{category:<18} {len(group):>4}  {row[0]:7.3f} {row[1]:6.3f} {row[2]:6.3f}   "
              f"{row[3]:7.3f} {row[4]:6.3f} {row[5]:6.3f}")
        if category == "hard_negative":
            ok &= row[0] <= 0.01
            print(f"{'':<18}       (hard negatives: false-alert rate; goal <= 1%)")
        elif category == "original_script":
            ok &= row[1] >= 0.80
        else:
            recalls.append(row[1] * len(group))
    positives = [c for c in cases if c.expected is not None and c.category != "original_script"]
    overall = sum(recalls) / len(positives)
    ok &= overall >= 0.95
    print(f"recall on all {len(positives)} perturbed names {overall:.3f}; goals: >= 0.95 there, >= 0.80 on original "
          f"script, <= 1% false alerts on hard negatives: {'met' if ok else 'MISSED'}")
    return ok


EXTENDED_RECALL_GOAL = 0.97
EXTENDED_FALSE_ALERT_GOAL = 0.005


def extended_table(screener, lists) -> bool:  # type: ignore[no-untyped-def]
    """Issue #16's goals on the whole perturbation set with its added categories (names glued to a legal form, two
    typos in a short name, generic-word negatives), on the develop generator (seed 7) and the check generator
    (another generator and seed 11, never tuned on): recall >= 0.97 on the positives, false alerts <= 0.5% on the
    negatives (hard company negatives and generic-word names)."""
    from screening_eval import generate, generate_extended

    ok = True
    print(f"\n{'extended set':<14} {'category':<18} {'n':>4} {'recall / false alerts':>22}")
    for variant, seed in (("develop", 7), ("check", 11)):
        cases = generate(lists, seed=seed) + generate_extended(lists, seed=seed, variant=variant)
        cases = [c for c in cases if c.category != "original_script"]
        by_cat: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
        hits = alerts = positives = negatives = 0
        for case in cases:
            found = {m["entity_id"] for m in screener.screen(case.query)}
            if case.expected is None:
                by_cat[case.category].append(bool(found))
                alerts += bool(found)
                negatives += 1
            else:
                by_cat[case.category].append(case.expected in found)
                hits += case.expected in found
                positives += 1
        for category, got in by_cat.items():
            print(f"{variant:<14} {category:<18} {len(got):>4} {sum(got) / len(got):22.3f}")
        recall, false_alerts = hits / positives, alerts / negatives
        met = recall >= EXTENDED_RECALL_GOAL and false_alerts <= EXTENDED_FALSE_ALERT_GOAL
        ok &= met
        print(f"{variant:<14} recall {recall:.3f} on {positives} positives (goal >= {EXTENDED_RECALL_GOAL}), false "
              f"alerts {false_alerts:.2%} on {negatives} negatives (goal <= {EXTENDED_FALSE_ALERT_GOAL:.1%}): "
              f"{'met' if met else 'MISSED'}")
    return ok


NAME_BENCH_ENV = "PINCHPOINT_NAME_BENCH"
LOGIC_V2_F1 = 0.796  # nomenklatura logic-v2 on the same file, as measured in issue #16 (not run here)
LOGIC_V2_NON_ASCII_RECALL = 0.85


def name_bench(screener, path: Path | None = None) -> bool:  # type: ignore[no-untyped-def]
    """OpenSanctions' name benchmark (nomenklatura ``contrib/name_bench/cases.csv``, MIT, 826 labelled pairs),
    read from ``path`` or $PINCHPOINT_NAME_BENCH (never committed here): precision, recall and F1 at the default
    threshold 0.8, per case group, and recall on the matching pairs written in other scripts, beside a rapidfuzz
    baseline measured in this run and logic-v2's figures from the issue."""
    from rapidfuzz import fuzz

    path = path or (Path(os.environ[NAME_BENCH_ENV]) if os.environ.get(NAME_BENCH_ENV) else None)
    if path is None or not path.exists():
        print(f"\nname_bench skipped: set {NAME_BENCH_ENV} to nomenklatura's contrib/name_bench/cases.csv")
        return True
    with path.open(encoding="utf-8", newline="") as fh:
        cases = list(csv.DictReader(fh))
    types = {"Person": "person", "Company": "organisation", "Organization": "organisation",
             "LegalEntity": "organisation"}

    def scores(kind: str) -> list[float]:
        if kind == "base":
            return [fuzz.token_sort_ratio(c["name1"], c["name2"]) / 100 for c in cases]
        return [screener.compare(c["name1"], c["name2"], entity_type=types.get(c["schema"])) for c in cases]

    def figures(found: list[float], threshold: float, group: str | None = None) -> tuple[float, float, float, int]:
        tp = fp = fn = n = 0
        for c, score in zip(cases, found, strict=True):
            if group is not None and c["case_group"] != group:
                continue
            n += 1
            match, alert = c["is_match"].strip().lower() == "true", score >= threshold
            tp += match and alert
            fp += alert and not match
            fn += match and not alert
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0), n

    t0 = time.perf_counter()
    ours = scores("ours")
    elapsed = time.perf_counter() - t0
    base = scores("base")
    print(f"\nname_bench ({len(cases)} pairs, {path.name}); ours at 0.8, rapidfuzz token_sort_ratio at 0.88 "
          f"({elapsed / len(cases) * 1e6:,.0f} us a pair)")
    print(f"  {'group':<18} {'n':>4}  {'ours P':>7} {'R':>6} {'F1':>6}   {'base P':>7} {'R':>6} {'F1':>6}")
    for group in [None, *sorted({c["case_group"] for c in cases})]:
        o, b = figures(ours, 0.8, group), figures(base, 0.88, group)
        print(f"  {group or 'all':<18} {o[3]:>4}  {o[0]:7.3f} {o[1]:6.3f} {o[2]:6.3f}   {b[0]:7.3f} {b[1]:6.3f} "
              f"{b[2]:6.3f}")
    other = [k for k, c in enumerate(cases) if c["is_match"].strip().lower() == "true"
             and not (c["name1"] + c["name2"]).isascii()]
    recall = sum(ours[k] >= 0.8 for k in other) / len(other)
    f1 = figures(ours, 0.8)[2]
    ok = f1 > LOGIC_V2_F1 and recall >= LOGIC_V2_NON_ASCII_RECALL
    print(f"  F1 {f1:.3f} (logic-v2 {LOGIC_V2_F1}, goal above it); recall on the {len(other)} matching pairs in "
          f"other scripts {recall:.3f} (logic-v2 {LOGIC_V2_NON_ASCII_RECALL}, goal >= it): {'met' if ok else 'MISSED'}")
    return ok


def cross_script(screener) -> bool:  # type: ignore[no-untyped-def]
    """Watchman's cross-script pairs: the score of each query against its expected romanised name."""
    from rapidfuzz import fuzz

    from screening_eval import cross_script_pairs

    pairs = cross_script_pairs(BENCH / "watchman_cross_script_pairs.csv")
    scores = [screener.compare(q, expected) for q, expected, _, _ in pairs]
    base = [fuzz.token_sort_ratio(q, expected) / 100 for q, expected, _, _ in pairs]
    own = sum(s >= m for s, (_, _, m, _) in zip(scores, pairs, strict=True))
    print(f"\ncross-script pairs (Watchman): {own}/{len(pairs)} at each pair's own minimum score, "
          f"{sum(s >= 0.8 for s in scores)}/{len(pairs)} at >= 0.8 (the default threshold); "
          f"baseline {sum(b >= 0.88 for b in base)}/{len(pairs)} at its threshold")
    print(f"  {'ours':>5} {'base':>5} {'min':>5}")
    for (q, expected, minimum, description), score, b in zip(pairs, scores, base, strict=True):
        print(f"  {score:5.2f} {b:5.2f} {minimum:5.2f}  {q} -> {expected}  ({description})")
    return own == len(pairs)


def api_latency(lists) -> bool:  # type: ignore[no-untyped-def]
    """p95 of one-name POST /screen requests to ``pinchpoint serve`` on loopback (after 20 warm-up requests)."""
    import httpx

    queries = names("yente_negatives_us.csv", 520) + names("yente_positives_un_treated.csv", 100)
    with ServedLists(lists) as served, httpx.Client(timeout=60) as client:
        times = []
        for q in queries:
            t0 = time.perf_counter()
            response = client.post(f"{served.url}/screen", json={"names": [q]})
            times.append(time.perf_counter() - t0)
            response.raise_for_status()
    import numpy as np

    p95 = float(np.percentile(times[20:], 95))
    ok = p95 < 0.020
    print(f"{'POST /screen, one name, loopback':<48} p50 {np.median(times[20:]) * 1000:6.1f} ms   "
          f"p95 {p95 * 1000:6.1f} ms   goal p95 < 20 ms: {'met' if ok else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
