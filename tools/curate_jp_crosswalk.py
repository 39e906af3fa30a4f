"""Build ``src/pinchpoint/controls/data/jp_crosswalk.csv``: every Japanese item mapped to EU and U.S. entries.

Inputs: the concordance table of Japan's METI items (``../shared/data/controls/jp/jp_sme_concordance.csv``), whose
candidate counterparts were found by keyword and are leads only, and the hand review ``tools/jp_crosswalk_review.csv``.
Each lead is checked against the loaded EU and U.S. texts: the candidate must exist, and the item's match pattern
must occur in the candidate's text or in a sub-paragraph of it. Rules (documented in docs/controls.md):

* one confirmed candidate in a jurisdiction -> ``same`` (confidence 0.8);
* several confirmed candidates -> ``partial`` for each (the item spans several paragraphs; 0.7);
* a candidate that exists but whose text does not confirm the pattern -> ``partial`` (0.4, "lead not confirmed");
* no existing candidate -> ``none`` (0.3), worded as what was established: no counterpart *found by keyword*, not
  verified absent (a failed pattern is no evidence that the other list lacks the control);
* an item and jurisdiction in the hand review -> the reviewed rows replace all of the above (method "checked by
  hand"): each cites the counterpart paragraph's words, or for ``none`` what was read and searched.

    python tools/curate_jp_crosswalk.py ../shared/data/controls [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pinchpoint.controls.loaders import load_eu_annex1, load_us_ccl
from pinchpoint.controls.model import ControlList

OUT = Path(__file__).resolve().parents[1] / "src" / "pinchpoint" / "controls" / "data" / "jp_crosswalk.csv"
REVIEW = Path(__file__).resolve().parent / "jp_crosswalk_review.csv"
COLUMNS = ["jp_item", "jp_status", "gloss_en", "to_jurisdiction", "to_code", "relation", "confidence", "method",
           "evidence"]
VERSIONS = {"EU": "EU Annex I of 2025-11-15", "US": "U.S. CCL, eCFR of 2026-07-23"}
REVIEWED = "2026-12-01"


def texts(control_list: ControlList) -> dict[str, str]:
    """Every entry and paragraph code -> its text including the paragraphs below it."""
    out: dict[str, str] = {}
    for e in control_list.entries:
        out[e.code] = e.text
        for p in e.paragraphs:
            below = [q.text for q in e.paragraphs if q.code == p.code or q.code.startswith(p.code + ".")]
            out[p.code] = " ".join(below + list(p.notes))
    return out


def keyword_rows(r: dict[str, str], j: str, text: dict[str, str], base: dict[str, str]) -> list[dict[str, Any]]:
    """The rows the concordance's keyword leads support for one item and jurisdiction."""
    pattern = re.compile(r["match_regex"]) if r["match_regex"] else None
    column = "eu_annex1_candidates" if j == "EU" else "us_ccl_candidates"
    leads = [c.strip() for c in r[column].split(";") if c.strip()]
    existing = [c for c in leads if c in text]
    confirmed = [c for c in existing if pattern and pattern.search(text[c])]
    # keep the most specific confirmed paragraphs: drop a code whose sub-paragraph is also confirmed
    confirmed = [c for c in confirmed if not any(o != c and o.startswith(c + ".") for o in confirmed)]
    if confirmed:
        relation, conf = ("same", 0.8) if len(confirmed) == 1 else ("partial", 0.7)
        rows = []
        for c in confirmed:
            m = pattern.search(text[c]) if pattern else None
            rows.append({**base, "to_code": c, "relation": relation, "confidence": conf,
                         "method": "keyword lead confirmed in text",
                         "evidence": f"'{m.group(0) if m else ''}' in {c} ({VERSIONS[j]})"})
        return rows
    if existing:
        return [{**base, "to_code": c, "relation": "partial", "confidence": 0.4, "method": "keyword lead not confirmed",
                 "evidence": f"{c} exists but its text lacks the item's pattern ({VERSIONS[j]})"} for c in existing]
    # a failed keyword search establishes only that the search failed, never that the other list lacks the control
    why = (f"leads {', '.join(leads)} not in {VERSIONS[j]}" if leads else f"no {j} entry found by keyword search "
           f"of {VERSIONS[j]} (pattern {r['match_regex']!r})")
    return [{**base, "to_code": "", "relation": "none", "confidence": 0.3, "method": "no counterpart found by keyword",
             "evidence": f"{why}; not verified absent"}]


Review = dict[tuple[str, str], list[dict[str, str]]]


def read_review(path: Path, items: set[str], text: dict[str, dict[str, str]]) -> Review:
    """The hand review by (item, jurisdiction); every row checked against the concordance and the loaded lists."""
    review: Review = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for line, r in enumerate(csv.DictReader(fh), start=2):
            where = f"{path}, row {line}"
            if r["jp_item"] not in items:
                raise SystemExit(f"{where}, field 'jp_item': {r['jp_item']!r} is not in the concordance")
            if r["to_jurisdiction"] not in text:
                raise SystemExit(f"{where}, field 'to_jurisdiction': {r['to_jurisdiction']!r} is not EU or US")
            if (r["relation"] == "none") != (r["to_code"] == ""):
                raise SystemExit(f"{where}, field 'to_code': a counterpart code goes with 'same' or 'partial' only")
            if r["to_code"] and r["to_code"] not in text[r["to_jurisdiction"]]:
                raise SystemExit(f"{where}, field 'to_code': {r['to_code']} is not in "
                                 f"{VERSIONS[r['to_jurisdiction']]}")
            if not r["evidence"].strip():
                raise SystemExit(f"{where}, field 'evidence': blank (a reviewed row cites what was read)")
            review.setdefault((r["jp_item"], r["to_jurisdiction"]), []).append(r)
    return review


def build(folder: Path, review_path: Path = REVIEW) -> list[dict[str, Any]]:
    text = {"EU": texts(load_eu_annex1(folder / "eu-annex1")), "US": texts(load_us_ccl(folder / "us-ccl"))}
    with (folder / "jp" / "jp_sme_concordance.csv").open(encoding="utf-8", newline="") as fh:
        concordance = list(csv.DictReader(fh))
    review = read_review(review_path, {r["jp_item"] for r in concordance}, text)
    rows: list[dict[str, Any]] = []
    for r in concordance:
        for j in ("EU", "US"):
            base = {"jp_item": r["jp_item"], "jp_status": r["jp_status"], "gloss_en": r["gloss_en"],
                    "to_jurisdiction": j}
            reviewed = review.get((r["jp_item"], j))
            if reviewed is None:
                rows += keyword_rows(r, j, text[j], base)
                continue
            for v in reviewed:
                method = ("checked by hand: no counterpart" if v["relation"] == "none" else
                          "checked by hand against the text")
                evidence = f"{v['evidence']} ({VERSIONS[j]}; checked by hand {REVIEWED})"
                rows.append({**base, "to_code": v["to_code"], "relation": v["relation"],
                             "confidence": float(v["confidence"]), "method": method, "evidence": evidence})
    return rows


def write(rows: list[dict[str, Any]], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="../shared/data/controls", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = build(args.folder)
    write(rows, args.out)
    print(f"{args.out}: {len(rows)} rows for {len({r['jp_item'] for r in rows})} items")


if __name__ == "__main__":
    main()
