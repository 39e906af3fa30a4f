"""Build ``src/pinchpoint/controls/data/jp_crosswalk.csv``: every Japanese item mapped to EU and U.S. entries.

Input: the concordance table of Japan's METI items (``../shared/data/controls/jp/jp_sme_concordance.csv``), whose
candidate counterparts were found by keyword and are leads only. Each lead is checked against the loaded EU and
U.S. texts: the candidate must exist, and the item's match pattern must occur in the candidate's text or in a
sub-paragraph of it. Rules (documented in docs/controls.md):

* one confirmed candidate in a jurisdiction -> ``same`` (confidence 0.8);
* several confirmed candidates -> ``partial`` for each (the item spans several paragraphs; 0.7);
* a candidate that exists but whose text does not confirm the pattern -> ``partial`` (0.4, "lead not confirmed");
* no existing candidate -> ``none``, with the reason.

    python tools/curate_jp_crosswalk.py ../shared/data/controls
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pinchpoint.controls.loaders import load_eu_annex1, load_us_ccl
from pinchpoint.controls.model import ControlList

OUT = Path(__file__).resolve().parents[1] / "src" / "pinchpoint" / "controls" / "data" / "jp_crosswalk.csv"


def texts(control_list: ControlList) -> dict[str, str]:
    """Every entry and paragraph code -> its text including the paragraphs below it."""
    out: dict[str, str] = {}
    for e in control_list.entries:
        out[e.code] = e.text
        for p in e.paragraphs:
            below = [q.text for q in e.paragraphs if q.code == p.code or q.code.startswith(p.code + ".")]
            out[p.code] = " ".join(below + list(p.notes))
    return out


def main(folder: Path) -> None:
    lists = {"EU": texts(load_eu_annex1(folder / "eu-annex1")), "US": texts(load_us_ccl(folder / "us-ccl"))}
    versions = {"EU": "EU Annex I of 2025-11-15", "US": "U.S. CCL, eCFR of 2026-07-23"}
    rows = []
    with (folder / "jp" / "jp_sme_concordance.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            pattern = re.compile(r["match_regex"]) if r["match_regex"] else None
            for j, column in (("EU", "eu_annex1_candidates"), ("US", "us_ccl_candidates")):
                leads = [c.strip() for c in r[column].split(";") if c.strip()]
                existing = [c for c in leads if c in lists[j]]
                confirmed = [c for c in existing if pattern and pattern.search(lists[j][c])]
                # keep the most specific confirmed paragraphs: drop a code whose sub-paragraph is also confirmed
                confirmed = [c for c in confirmed if not any(o != c and o.startswith(c + ".") for o in confirmed)]
                base = {"jp_item": r["jp_item"], "jp_status": r["jp_status"], "gloss_en": r["gloss_en"],
                        "to_jurisdiction": j}
                if confirmed:
                    relation, conf = ("same", 0.8) if len(confirmed) == 1 else ("partial", 0.7)
                    for c in confirmed:
                        m = pattern.search(lists[j][c]) if pattern else None
                        rows.append({**base, "to_code": c, "relation": relation, "confidence": conf,
                                     "method": "keyword lead confirmed in text",
                                     "evidence": f"'{m.group(0) if m else ''}' in {c} ({versions[j]})"})
                elif existing:
                    for c in existing:
                        rows.append({**base, "to_code": c, "relation": "partial", "confidence": 0.4,
                                     "method": "keyword lead not confirmed",
                                     "evidence": f"{c} exists but its text lacks the item's pattern ({versions[j]})"})
                else:
                    why = (f"leads {', '.join(leads)} not found in {versions[j]}" if leads else
                           f"no {j} entry found by keyword search of {versions[j]}: a control {j} does not list")
                    rows.append({**base, "to_code": "", "relation": "none", "confidence": 0.6,
                                 "method": "no counterpart", "evidence": why})
    cols = ["jp_item", "jp_status", "gloss_en", "to_jurisdiction", "to_code", "relation", "confidence", "method",
            "evidence"]
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} rows for {len({r['jp_item'] for r in rows})} items")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/controls"))
