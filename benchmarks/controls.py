"""Speed goals of the export-control lists (issue #6), with baselines timed in the same run.

* load all three jurisdictions and answer one search: goal < 1 s (from the workspace, where `controls load`
  puts them; parsing the raw files is timed too); baseline: a naive scan that scores every paragraph by shared words;
* the whole crosswalk (EU->US, US->EU, JP->US, JP->EU) recomputed: goal < 30 s; baseline: the same rules with
  pairwise rapidfuzz token_set_ratio instead of the sparse TF-IDF product.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report, timed  # noqa: E402

CONTROLS = ROOT.parent / "shared" / "data" / "controls"


def main() -> int:
    if not CONTROLS.exists():
        print(f"skipped: {CONTROLS} not found")
        return 0
    from pinchpoint.controls.crosswalk import crosswalk
    from pinchpoint.controls.loaders import load_eu_annex1, load_jp_items, load_us_ccl
    from pinchpoint.controls.search import ControlIndex, tokens
    from pinchpoint.controls.store import load_lists, store_list
    from pinchpoint.workspace import Workspace

    def parse():  # type: ignore[no-untyped-def]
        return [load_us_ccl(CONTROLS / "us-ccl"), load_eu_annex1(CONTROLS / "eu-annex1"),
                load_jp_items(CONTROLS / "jp")]

    t_parse, lists = timed(parse)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        with Workspace(Path(tmp)) as ws:
            for cl in lists:
                store_list(ws, cl)

        def from_workspace_and_search():  # type: ignore[no-untyped-def]
            with Workspace(Path(tmp)) as ws:
                loaded = load_lists(ws)
            index = ControlIndex([e for c in loaded for e in c.entries])
            return index.search("EUV pellicle")

        t_ws, hits = timed(from_workspace_and_search)

        def from_workspace():  # type: ignore[no-untyped-def]
            with Workspace(Path(tmp)) as ws:
                return load_lists(ws)

        t_load, _ = timed(from_workspace)

    paragraphs = [(e, p.text) for c in lists for e in c.entries for p in e.paragraphs]

    def naive_search():  # type: ignore[no-untyped-def]
        query = set(tokens("EUV pellicle"))
        scored = sorted(((len(query & set(tokens(text))), e.key) for e, text in paragraphs), reverse=True)
        return scored[:15]

    t_naive, _ = timed(naive_search)
    t_naive += t_load  # the baseline loads the same lists, then scans
    print(f"top hit: {hits.rows[0]['jurisdiction']} {hits.rows[0]['paragraph']} ({hits.rows[0]['score']})")
    results.append(report("load 3 lists from workspace + index + search", t_ws, t_naive, "load + naive scan", 1.0))
    report("  (parse the raw files instead)", t_parse + t_ws, t_naive, "load + naive scan", None)

    def full_crosswalk():  # type: ignore[no-untyped-def]
        return [crosswalk(lists, a, b) for a, b in (("EU", "US"), ("US", "EU"), ("JP", "US"), ("JP", "EU"))]

    t_cw, tables = timed(full_crosswalk)
    print(f"crosswalk rows: {sum(len(t) for t in tables)}")

    from rapidfuzz import fuzz, process

    by_j = {c.jurisdiction.value: c for c in lists}

    def rapidfuzz_baseline():  # type: ignore[no-untyped-def]
        eu, us = by_j["EU"].entries, by_j["US"].entries
        choices = [e.text for e in us]
        return [process.extractOne(e.text, choices, scorer=fuzz.token_set_ratio) for e in eu]

    t_rf, _ = timed(rapidfuzz_baseline)
    results.append(report("whole crosswalk recomputed (4 directions)", t_cw, t_rf, "rapidfuzz EU->US only", 30.0))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
