"""Screening quality and speed against a plain rapidfuzz baseline measured in the same run (issue #4).

Recall on the 683 UN-listed persons (untreated and treated with typos and reordering), false-alert rates on the
synthetic persons and on U.S. Congress names (which must not alert), and queries per second. Baseline: token
prefix blocking + rapidfuzz token_sort_ratio >= 88 over the same names.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report  # noqa: E402

LISTS = ROOT.parent / "shared" / "data" / "screening" / "lists"
BENCH = ROOT.parent / "shared" / "data" / "screening" / "benchmarks"
FILES = ["ofac_sdn_20240503.csv", "un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx",
         "us_bis_dpl_2022.txt", "yente_zala_entities.ftm.json"]


def names(file: str, limit: int | None = None) -> list[str]:
    rows = [r["full_name"] for r in csv.DictReader((BENCH / file).open(encoding="utf-8"))]
    return rows[:limit] if limit else rows


class Baseline:
    """Token prefix blocking + token_sort_ratio, the plain approach the issue measures."""

    def __init__(self, entries: list[tuple[str, str]]) -> None:
        self.entries = entries
        self.block: dict[str, list[int]] = defaultdict(list)
        for i, (text, _) in enumerate(entries):
            for tok in text.lower().split():
                self.block[tok[:3]].append(i)

    def screen(self, query: str, threshold: float = 88) -> list[str]:
        from rapidfuzz import fuzz

        cands = {i for tok in query.lower().split() for i in self.block.get(tok[:3], [])}
        return [self.entries[i][1] for i in cands if fuzz.token_sort_ratio(query, self.entries[i][0]) >= threshold]


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
    baseline = Baseline([(n.text, e.list_name) for lst in lists for e in lst.entities for n in e.names])
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
    queries = names("yente_negatives_global.csv", 2000)
    t0 = time.perf_counter()
    for q in queries:
        screener.screen(q)
    ours_t = time.perf_counter() - t0
    t0 = time.perf_counter()
    for q in queries:
        baseline.screen(q)
    base_t = time.perf_counter() - t0
    print(f"throughput: ours {len(queries) / ours_t:,.0f} names/s, baseline {len(queries) / base_t:,.0f} names/s")
    return 0 if report("2,000 names screened", ours_t, base_t, "rapidfuzz baseline", 1.0) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
