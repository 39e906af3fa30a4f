"""Crosswalks between jurisdictions, alignment of what each controls, version diffs, and CHPL -> control entries.

Equivalences are seeded by documented rules and scored by text similarity (TF-IDF cosine of whole entries):

1. **shared Wassenaar numbering**: an entry code present in both the U.S. CCL and EU Annex I with reason digit
   0-4 implements the same regime item -> ``same`` (``partial`` where the texts diverge, similarity < 0.5);
2. **EU 5xx <-> U.S. 9xx**: the plurilateral controls agreed outside the regimes carry the same last two digits
   (EU 3B503 = U.S. 3B903, EU 4A506 = U.S. 4A906) -> ``same`` (``partial`` below 0.4);
3. **text similarity**: otherwise the most similar entry of the other list, if its cosine is at least 0.3 ->
   ``partial``; below that -> ``none`` (no counterpart).

Shared numbering is a claim about the entry, not about every paragraph in it: the EU keeps 3B001.c and .d as
"Not used" and put some of the U.S. 3B001.c/.d controls in 3B501. Where the other list's entry lacks paragraphs
(absent, "Not used", "[Reserved]"), rules 1-2 give one row per paragraph instead (:func:`paragraph_rows`): the
paragraphs it has map to themselves; a missing one maps to the paragraph of the other list that restates it
(``paragraph moved``), if one does, else ``none``.

Japan's items map through the curated table ``controls/data/jp_crosswalk.csv`` (see ``docs/controls.md``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from pinchpoint.controls.loaders import read_csv_records
from pinchpoint.controls.model import ControlEntry, ControlList, Jurisdiction
from pinchpoint.controls.search import ControlIndex, tokens
from pinchpoint.errors import BadArgumentError, DataError
from pinchpoint.results import ResultTable

CROSSWALK_COLUMNS = ("from_jurisdiction", "from_code", "to_jurisdiction", "to_code", "relation", "confidence",
                     "method", "evidence")
CODE = re.compile(r"^(\d)([A-E])(\d)(\d\d)$")
SAME_TEXT, PAIR_TEXT, SIMILAR_TEXT = 0.5, 0.4, 0.3


def entry_similarity(a: Sequence[ControlEntry], b: Sequence[ControlEntry], index: ControlIndex) -> np.ndarray:
    """Cosine similarity of whole-entry texts, ``len(a) x len(b)``."""
    from scipy import sparse

    va = sparse.vstack([index.entry_vector(e) for e in a]) if a else None
    vb = sparse.vstack([index.entry_vector(e) for e in b]) if b else None
    if va is None or vb is None:
        return np.zeros((len(a), len(b)))
    return np.asarray((va @ vb.T).todense())


def threshold_differences(a: ControlEntry, b: ControlEntry, paragraph_a: str | None = None,
                          paragraph_b: str | None = None) -> list[str]:
    """Thresholds on the same quantity, unit and direction whose values differ between two entries (or between
    paragraphs of them with the paragraphs below: ``paragraph_b`` defaults to ``paragraph_a``)."""
    def keyed(e: ControlEntry, paragraph: str | None) -> dict[tuple[str, str, str], set[float]]:
        out: dict[tuple[str, str, str], set[float]] = defaultdict(set)
        for p in e.parameters:
            if p.quantity and (paragraph is None or p.paragraph == paragraph
                               or p.paragraph.startswith(paragraph + ".")):
                out[(p.quantity, p.unit, p.comparator)].add(p.value)
        return out

    ka, kb = keyed(a, paragraph_a), keyed(b, paragraph_b or paragraph_a)
    diffs = []
    for key in sorted(ka.keys() & kb.keys()):
        only_a, only_b = ka[key] - kb[key], kb[key] - ka[key]
        if only_a and only_b:
            q, unit, cmp = key
            diffs.append(f"{q} {cmp} {'/'.join(f'{v:g}' for v in sorted(only_a))} {unit} ({a.key}) vs "
                         f"{'/'.join(f'{v:g}' for v in sorted(only_b))} {unit} ({b.key})".replace("  ", " "))
    return diffs


def _pair_code(code: str, to: Jurisdiction) -> str | None:
    m = CODE.match(code)
    if m is None:
        return None
    cat, grp, reason, rest = m.groups()
    if to is Jurisdiction.US and reason == "5":
        return f"{cat}{grp}9{rest}"
    if to is Jurisdiction.EU and reason == "9" and rest[0] == "0":
        return f"{cat}{grp}5{rest}"
    return None


_UNUSED = re.compile(r"^\W*(?:through [a-z0-9]+\W*)?(not used|\[?reserved\]?)\W*$", re.IGNORECASE)
# U.S. .z paragraphs re-list goods of the entry's other paragraphs (for other reasons for control), adding none
_RESTATES = re.compile(r"^(any commodit|commodities)\w*\b.{0,60}\b(described|specified) in", re.IGNORECASE)
_SPELLING = {"vapour": "vapor", "aluminium": "aluminum", "optimised": "optimized", "focussed": "focused"}
# A paragraph missing from the other list's entry has "moved" to a paragraph of the other list (same category and
# group) whose text is close (cosine, with the paragraphs below) and which, read with the paragraphs above it,
# uses nearly every word of the paragraph and the paragraphs above it. "Wet chemical processing ... SiGe:Si etch
# selectivity 100:1" (U.S. 3B001.c.2) is close to EU 3B501.k.1 (isotropic *dry* etching, same selectivity), yet
# "wet chemical processing" is not there, so it has not moved. Only paragraphs without sub-paragraphs are matched,
# so a heading such as "Etch equipment" never carries its whole group along; sub-paragraphs that all moved to all
# the sub-paragraphs of one paragraph of the other list are then reported as one row. Near-verbatim restatements
# are ``same``.
MOVED_TEXT, MOVED_WORDS, VERBATIM_TEXT = 0.5, 0.9, 0.9


def _words(text: str) -> set[str]:
    """Content words, US/UK spelling aligned, cut to five letters (a light stem: capability ~ capable)."""
    return {_SPELLING.get(t, t)[:5] for t in tokens(text) if t.isalpha() and len(t) > 2}


def active_paragraphs(entry: ControlEntry) -> dict[str, str]:
    """Paragraph code -> text of the paragraphs that control something: lettered ones ("3B001.c.2", not the
    numbered technical notes the U.S. source labels "1", "2"), not "Not used" or "[Reserved]", not the U.S. .z
    paragraphs that re-list the entry's goods."""
    out = {}
    for p in entry.paragraphs:
        rest = p.code[len(entry.code) + 1:]
        if (p.code.startswith(entry.code + ".") and rest[:1].isalpha() and not _UNUSED.match(p.text)
                and not _RESTATES.match(p.text)):
            out[p.code] = p.text
    return out


def _subtree(entry: ControlEntry, code: str, notes: bool = True) -> str:
    """A paragraph's text with the paragraphs below it (and their notes)."""
    return " ".join(" ".join((p.text, *p.notes)) if notes else p.text for p in entry.paragraphs
                    if p.code == code or p.code.startswith(code + "."))


def _above(entry: ControlEntry, code: str) -> str:
    """The text of the paragraphs a paragraph sits in (its conditions are read with them)."""
    return " ".join(p.text for p in entry.paragraphs if code.startswith(p.code + "."))


def _status_in(entry: ControlEntry, code: str) -> str:
    """How the other list's entry lacks a paragraph: "marked 'Not used' in", "under 3B001.c, marked 'Not used'
    in", or "not in"."""
    for p in sorted(entry.paragraphs, key=lambda p: -len(p.code)):
        if (p.code == code or code.startswith(p.code + ".")) and _UNUSED.match(p.text):
            mark = f"marked {p.text.strip().rstrip(';.')!r} in"
            return mark if p.code == code else f"under {p.code}, {mark}"
    return "not in"


MovedCache = dict[tuple[str, str], tuple[list[tuple[ControlEntry, str]], Any]]


def _moved(e: ControlEntry, code: str, target: ControlList, index: ControlIndex,
           cache: MovedCache) -> tuple[str, float] | None:
    """The paragraph of ``target`` (same category and group) that restates a paragraph, with the similarity."""
    from scipy import sparse

    key = (target.jurisdiction.value, code[:2])
    if key not in cache:
        found = [(t, c) for t in target.entries if t.code.startswith(key[1]) and t.full_text
                 for c in active_paragraphs(t)]
        cache[key] = (found, sparse.vstack([index.vector(_subtree(t, c, notes=False)) for t, c in found])
                      if found else None)
    candidates, vectors = cache[key]
    if not candidates:
        return None
    scores = (vectors @ index.vector(_subtree(e, code, notes=False)).T).toarray().ravel()
    words = _words(_above(e, code) + " " + _subtree(e, code, notes=False))
    for k in np.argsort(-scores)[:10]:
        if scores[k] < MOVED_TEXT:
            break
        t, c = candidates[int(k)]
        if words and len(words & _words(_above(t, c) + " " + _subtree(t, c))) >= MOVED_WORDS * len(words):
            return c, float(scores[k])
    return None


def paragraph_rows(e: ControlEntry, other: ControlEntry, method: str, target: ControlList,
                   index: ControlIndex, cache: MovedCache | None = None) -> list[dict[str, Any]] | None:
    """Rows paragraph by paragraph for an entry whose counterpart by numbering lacks some of its paragraphs, or None
    when the counterpart has every paragraph (then the entry-level row stands)."""
    mine, theirs = active_paragraphs(e), active_paragraphs(other)

    def their(code: str) -> str:  # the same paragraph under the other entry's code (EU 3B503.a ~ U.S. 3B903.a)
        return other.code + code[len(e.code):]

    def similarity(code: str) -> float:
        a, b = index.vector(_subtree(e, code, notes=False)), index.vector(_subtree(other, their(code), notes=False))
        return float((a @ b.T).toarray()[0, 0])

    # the same letter counts as the same paragraph (numbering is the claim rule 1 rests on); a paragraph counts as
    # lacking only where the other entry says so ("Not used", "[Reserved]", on it or above it) or its list of
    # sub-paragraphs ends before it (EU 3B001 ends at .j). A gap inside a list (.a missing, .b present) is more
    # likely a paragraph the source file dropped (the CCL file lacks 1A226.a, 1B228.a, 3A226.a): not a finding
    alike = {c: similarity(c) for c in mine if their(c) in theirs}
    all_theirs = {p.code for p in other.paragraphs}

    def lacking(code: str) -> bool:
        if _status_in(other, their(code)) != "not in":
            return True
        parent = their(code).rsplit(".", 1)[0]
        if parent != other.code and parent not in all_theirs:
            return lacking(e.code + parent[len(other.code):])
        last = their(code).rsplit(".", 1)[1]
        siblings = [c.rsplit(".", 1)[1] for c in all_theirs if c.rsplit(".", 1)[0] == parent]
        siblings = [c for c in siblings if c.isdigit() == last.isdigit()]  # not the numbered notes among letters
        if not siblings and parent == other.code:
            return False  # the other entry's paragraphs were not read at all: no finding
        return all(_code_order(c) < _code_order(last) for c in siblings)

    unsure = {c for c in mine if c not in alike and not lacking(c)}
    present = set(alike) | unsure
    if not alike:
        return None  # nothing in common paragraph by paragraph (or none read): the entry-level row stands
    if not mine or len(present) == len(mine):
        return None
    tj = other.jurisdiction.value
    cache = {} if cache is None else cache
    rows: list[dict[str, Any]] = []

    def lacks(code: str) -> str:
        return f"{code} is {_status_in(other, their(code))} {tj} {other.code}"

    def children(code: str) -> list[str]:
        depth = code.count(".") + 1
        return [c for c in mine if c.startswith(code + ".") and c.count(".") == depth]

    def row(code: str, to_code: str, relation: str, confidence: float, how: str, evidence: list[str]) -> None:
        rows.append({"from_jurisdiction": e.jurisdiction.value, "from_code": code, "to_jurisdiction": tj,
                     "to_code": to_code, "relation": relation, "confidence": round(confidence, 3), "method": how,
                     "evidence": evidence})

    def moved_row(code: str, to_code: str, s: float) -> None:
        moved_to = next(t for t in target.entries if to_code == t.code or to_code.startswith(t.code + "."))
        diffs = [f"threshold differs: {d}" for d in threshold_differences(e, moved_to, code, to_code)]
        row(code, to_code, "same" if s >= VERBATIM_TEXT else "partial", s, "paragraph moved (text match)",
            [f"{lacks(code)}; its text is restated in {to_code} (text similarity {s:.2f})", f"'{mine[code][:90]}'",
             *diffs])

    def resolve(code: str) -> str:
        """Rows for ``code`` and below: 'kept', 'moved' (one row, moved), or 'none' (nothing has a counterpart)."""
        below = [c for c in mine if c.startswith(code + ".")]
        if code in unsure:
            row(code, other.code, "partial", 0.5, method,
                [f"{their(code)} is not in the loaded {tj} {other.code} although paragraphs after it are: read as a "
                 f"paragraph the source file dropped, counted under the entry"])
            return "kept"
        if code in present and all(c in present for c in below):
            s = alike[code]
            diffs = [f"threshold differs: {d}" for d in threshold_differences(e, other, code, their(code))]
            row(code, their(code), "same" if s >= SAME_TEXT else "partial", 0.5 + 0.5 * s, method,
                [f"paragraph text similarity {s:.2f}", f"'{mine[code][:90]}' ~ '{theirs[their(code)][:90]}'",
                 *diffs])
            return "kept"
        kids = children(code)
        if code not in present and not kids:
            found = _moved(e, code, target, index, cache)
            if found is not None:
                moved_row(code, *found)
                return "moved"
        start = len(rows)
        results = [resolve(c) for c in kids]
        if code in present and "kept" not in results and "moved" not in results:
            # the other list has the paragraph but none of the conditions below it: a partial counterpart
            row(code, their(code), "partial", 0.5 + 0.5 * alike[code], method,
                [f"{their(code)} is in {tj} {other.code} without the sub-paragraphs listed as lacking",
                 f"'{mine[code][:90]}' ~ '{theirs[their(code)][:90]}'"])
            return "kept"
        if code in present or "kept" in results:
            return "kept"
        mates = rows[start:]
        if results and set(results) == {"moved"} and len(mates) == len(kids):
            parents = {r["to_code"].rsplit(".", 1)[0] for r in mates}
            if len(parents) == 1:  # the sub-paragraphs moved to all the sub-paragraphs of one: say it once
                parent = parents.pop()
                owner = next((t for t in target.entries if parent.startswith(t.code + ".")), None)
                siblings = {c for c in active_paragraphs(owner) if c.rsplit(".", 1)[0] == parent} if owner else set()
                if siblings == {r["to_code"] for r in mates}:
                    del rows[start:]
                    moved_row(code, parent, min(r["confidence"] for r in mates))
                    return "moved"
        if "moved" in results:
            return "kept"
        del rows[start:]  # nothing below has a counterpart either: one row for the paragraph says it
        row(code, "", "none", 0.5, "no match",
            [f"{lacks(code)}, and no paragraph of {tj} {code[:2]} restates its text (text similarity >= "
             f"{MOVED_TEXT} and {MOVED_WORDS:.0%} of its words, each read with the paragraphs above it); not "
             f"verified absent", f"'{mine[code][:90]}'"])
        return "none"

    for top in children(e.code):
        resolve(top)
    return rows


def rule_crosswalk(source: ControlList, target: ControlList, index: ControlIndex,
                   codes: Collection[str] | None = None) -> ResultTable:
    """Counterparts in ``target`` for every entry of ``source`` (U.S. and EU lists), or only for ``codes``
    (each row depends on its own entry only, so a subset gives the same rows as the whole walk)."""
    src = [e for e in source.entries if codes is None or e.code in codes]
    dst = list(target.entries)
    sim = entry_similarity(src, dst, index)
    dst_pos = {e.code: k for k, e in enumerate(dst)}
    rows: list[dict[str, Any]] = []
    cache: MovedCache = {}
    for i, e in enumerate(src):
        m = CODE.match(e.code)
        j, method, relation = None, "", "none"
        if m and m.group(3) in "01234" and e.code in dst_pos:
            j = dst_pos[e.code]
            method = "shared Wassenaar numbering"
            relation = "same" if sim[i, j] >= SAME_TEXT else "partial"
        elif (pair := _pair_code(e.code, target.jurisdiction)) is not None and pair in dst_pos:
            j = dst_pos[pair]
            method = "EU 5xx / U.S. 9xx plurilateral numbering"
            relation = "same" if sim[i, j] >= PAIR_TEXT else "partial"
        elif len(dst):
            k = int(np.argmax(sim[i]))
            if sim[i, k] >= SIMILAR_TEXT:
                j, method, relation = k, "text similarity", "partial"
        if j is None:
            rows.append({"from_jurisdiction": e.jurisdiction.value, "from_code": e.code,
                         "to_jurisdiction": target.jurisdiction.value, "to_code": "", "relation": "none",
                         "confidence": round(1.0 - float(sim[i].max(initial=0.0)), 3), "method": "no match",
                         "evidence": f"best text similarity {float(sim[i].max(initial=0.0)):.2f} < {SIMILAR_TEXT}"})
            continue
        other = dst[j]
        if method != "text similarity" and e.full_text and other.full_text:
            split = paragraph_rows(e, other, method, target, index, cache)
            if split is not None:
                rows += split
                continue
        s = float(sim[i, j])
        basis = "text similarity"
        if not (e.full_text and other.full_text) and method != "text similarity":
            # one source gives only the heading: compare headings, or every such pair looks partial
            s = float((index.vector(e.heading) @ index.vector(other.heading).T).toarray()[0, 0])
            basis = "heading similarity (full text not in the source)"
            relation = "same" if s >= SAME_TEXT else "partial"
        evidence = [f"{basis} {s:.2f}", f"'{e.heading[:90]}' ~ '{other.heading[:90]}'"]
        evidence += [f"threshold differs: {d}" for d in threshold_differences(e, other)]
        confidence = s if method == "text similarity" else 0.5 + 0.5 * s
        rows.append({"from_jurisdiction": e.jurisdiction.value, "from_code": e.code,
                     "to_jurisdiction": other.jurisdiction.value, "to_code": other.code, "relation": relation,
                     "confidence": round(confidence, 3), "method": method, "evidence": evidence})
    return ResultTable.from_records(
        "crosswalk", rows, CROSSWALK_COLUMNS,
        meta={"analysis": "controls crosswalk", "from": f"{source.jurisdiction.value} {source.version}",
              "to": f"{target.jurisdiction.value} {target.version}",
              "thresholds": {"same": SAME_TEXT, "pair": PAIR_TEXT, "similar": SIMILAR_TEXT}})


def jp_crosswalk_path() -> Path:
    return Path(str(files("pinchpoint.controls") / "data" / "jp_crosswalk.csv"))


CURATED_COLUMNS = ("jp_item", "to_jurisdiction", "to_code", "relation", "confidence", "method", "evidence")
RELATIONS = ("same", "partial", "none")


def curated_jp(to: Jurisdiction, path: Path | None = None) -> ResultTable:
    """Japan's items -> EU or U.S. entries, from the curated table (one row per item and counterpart)."""
    path = path or jp_crosswalk_path()
    rows: list[dict[str, Any]] = []
    records = read_csv_records(path, CURATED_COLUMNS)
    for line, r in records:
        # the table is shipped data: any fault in it is an error, not a row to skip
        if None in r or any(r[c] is None for c in CURATED_COLUMNS):
            raise DataError(f"expected {len(CURATED_COLUMNS)} cells", file=str(path), row=line)
        if r["to_jurisdiction"] != to.value:
            continue
        try:
            confidence = float(r["confidence"])
        except ValueError:
            raise DataError(f"not a number: {r['confidence']!r}", file=str(path), row=line,
                            field="confidence") from None
        if r["relation"] not in RELATIONS:
            raise DataError(f"relation {r['relation']!r} is not one of {', '.join(RELATIONS)}", file=str(path),
                            row=line, field="relation")
        if not r["jp_item"].strip() or (r["relation"] != "none") != bool(r["to_code"].strip()):
            field = "jp_item" if not r["jp_item"].strip() else "to_code"
            raise DataError("blank item, or a counterpart code that does not match the relation", file=str(path),
                            row=line, field=field)
        rows.append({"from_jurisdiction": "JP", "from_code": r["jp_item"], "to_jurisdiction": to.value,
                     "to_code": r["to_code"], "relation": r["relation"], "confidence": confidence,
                     "method": r["method"], "evidence": [r["evidence"]] if r["evidence"] else []})
    return ResultTable.from_records("crosswalk", rows, CROSSWALK_COLUMNS,
                                    meta={"analysis": "controls crosswalk", "from": "JP", "to": to.value,
                                          "curated_table": str(path)})


def crosswalk(lists: Sequence[ControlList], source: str, target: str,
              codes: Collection[str] | None = None, index: ControlIndex | None = None) -> ResultTable:
    """Counterparts in ``target`` of every entry of ``source`` (or only of the entries ``codes``).

    Rows of the curated Japanese table name paragraphs (``3B001.a.2``), so the walk into Japan has paragraph
    codes on its ``from`` side; :func:`entry_code` gives the entry they belong to."""
    from pinchpoint.controls.ids import check_jurisdiction

    by_j = {c.jurisdiction.value: c for c in lists}
    loaded = {*by_j, "JP"}  # Japan's walk needs only the curated table
    source = check_jurisdiction(source, loaded)
    target = check_jurisdiction(target, loaded)
    if source == target:
        raise BadArgumentError(f"the crosswalk's source and target must be two different jurisdictions, not "
                               f"{source} twice", parameter="target")
    if source == "JP":
        table = curated_jp(Jurisdiction(target))
    elif target == "JP":
        forward = curated_jp(Jurisdiction(source))
        rows = [{**r, "from_jurisdiction": source, "from_code": r["to_code"], "to_jurisdiction": "JP",
                 "to_code": r["from_code"]} for r in forward.rows if r["to_code"]]
        table = ResultTable.from_records("crosswalk", rows, CROSSWALK_COLUMNS, meta=dict(forward.meta))
    else:
        index = index or ControlIndex([e for c in lists for e in c.entries])
        return rule_crosswalk(by_j[source], by_j[target], index, codes)
    if codes is not None:
        wanted = set(codes)
        table = ResultTable(table.name, table.columns,
                            tuple(r for r in table.rows if entry_code(r["from_code"]) in wanted), table.meta)
    return table


def entry_code(code: str) -> str:
    """The entry a paragraph code belongs to: ``3B001.a.2`` -> ``3B001`` (Japan's items have no paragraphs)."""
    return code.split(".")[0]


def covers(row_code: str, code: str) -> bool:
    """Whether a crosswalk row about ``row_code`` speaks about ``code``: the same code, a paragraph below it, or
    the entry or paragraph it sits in."""
    return row_code == code or row_code.startswith(code + ".") or code.startswith(row_code + ".")


class Counterparts:
    """The one place that decides what another jurisdiction controls in place of an entry or paragraph.

    Every view asks it (alignment and its report, ``controls diff A B``, ``controls show``, scoped crosswalks, the
    HTTP API), so they cannot disagree: a counterpart is a crosswalk row (relation other than ``none``) that
    covers the code, including rows about one of its paragraphs (Japan's items map to paragraphs)."""

    def __init__(self, lists: Sequence[ControlList]) -> None:
        self.lists = list(lists)
        self.by_j = {c.jurisdiction.value: c for c in self.lists}
        self._walks: dict[tuple[str, str], ResultTable] = {}
        self._by_entry: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = {}
        self._index: ControlIndex | None = None

    @property
    def index(self) -> ControlIndex:
        if self._index is None:
            self._index = ControlIndex([e for c in self.lists for e in c.entries])
        return self._index

    def walk(self, source: str, target: str) -> ResultTable:
        """The whole crosswalk from ``source`` to ``target``, computed once."""
        key = (source.upper(), target.upper())
        if key not in self._walks:
            self._walks[key] = crosswalk(self.lists, *key, index=self.index if "JP" not in key else None)
            grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
            for r in self._walks[key].rows:
                grouped[entry_code(r["from_code"])].append(r)
            self._by_entry[key] = grouped
        return self._walks[key]

    def rows(self, jurisdiction: str, code: str, target: str) -> list[Mapping[str, Any]]:
        """Crosswalk rows (relation other than ``none``) from ``jurisdiction`` to ``target`` that cover ``code``."""
        key = (jurisdiction.upper(), target.upper())
        if key in self._walks or "JP" in key:
            self.walk(*key)
            candidates = self._by_entry[key].get(entry_code(code), [])
        else:  # one entry of the rule crosswalk: no need to walk the whole list
            candidates = list(rule_crosswalk(self.by_j[key[0]], self.by_j[key[1]], self.index,
                                             {entry_code(code)}).rows)
        return [r for r in candidates if r["relation"] != "none" and covers(r["from_code"], code)]

    def unmatched(self, jurisdiction: str, code: str, target: str) -> list[str]:
        """Paragraphs of ``code`` (an entry or paragraph) that the walk to ``target`` found no counterpart for,
        where it gave other paragraphs of the same entry one (shared numbering with paragraphs missing)."""
        key = (jurisdiction.upper(), target.upper())
        self.walk(*key)
        return sorted((r["from_code"] for r in self._by_entry[key].get(entry_code(code), [])
                       if r["relation"] == "none" and r["from_code"].startswith(code + ".")), key=_code_order)

    def controlled_by(self, jurisdiction: str, code: str, target: str) -> bool:
        return bool(self.rows(jurisdiction, code, target))


def _code_order(code: str) -> list[tuple[int, str]]:
    """3B001.d.2 before 3B001.d.10."""
    return [(int(part), "") if part.isdigit() else (0, part) for part in code.split(".")]


def in_scope(entry: ControlEntry, scope: str | None) -> bool:
    """A scope is a code prefix ('3B', '4A'), a tag ('semiconductor-equipment', 'quantum') or None (all)."""
    if not scope:
        return True
    if scope in entry.tags:
        return True
    if entry.jurisdiction is Jurisdiction.JP:
        return False  # Japan's item numbers do not follow the shared categories
    return entry.code.upper().startswith(scope.upper())


def check_scope(lists: Sequence[ControlList], scope: str | None) -> None:
    """An error naming the closest tags and code prefixes when ``scope`` matches no entry of ``lists``."""
    from pinchpoint.controls.ids import unknown

    if not scope or any(in_scope(e, scope) for c in lists for e in c.entries):
        return
    tags = {t for c in lists for e in c.entries for t in e.tags}
    prefixes = {e.code[:2] for c in lists for e in c.entries if CODE.match(e.code)}
    raise unknown("entry in scope", scope, tags | prefixes,
                  where=f"in {', '.join(f'{c.jurisdiction.value} {c.version}' for c in lists)} "
                        f"(a scope is a tag: {', '.join(sorted(tags))}; or a code prefix such as 3B)")


def alignment(lists: Sequence[ControlList], jurisdictions: Sequence[str], scope: str | None = None,
              counterparts: Counterparts | None = None) -> ResultTable:
    """For each entry in scope, its counterparts in the other jurisdictions and whether thresholds differ.

    Status: ``controlled by all`` (a ``same`` counterpart in every other jurisdiction); ``not controlled by X`` (no
    counterpart); ``partly controlled by X (paragraphs)`` where X's counterparts cover only some paragraphs of the
    entry (Japan's items map to paragraphs), or ``partly controlled by X (no counterpart found for paragraphs)``
    where X has the entry by shared numbering but not those paragraphs (absent or "Not used" there, and not restated
    elsewhere in X); ``only partial counterparts in X (codes)`` where X's counterparts are
    all ``partial`` (text similarity or unconfirmed leads), which is no evidence that X controls the entry."""
    from pinchpoint.controls.ids import check_jurisdiction

    by_j = {c.jurisdiction.value: c for c in lists}
    wanted = {check_jurisdiction(j, by_j) for j in jurisdictions}
    chosen = [c for c in lists if c.jurisdiction.value in wanted]
    if len(chosen) < 2:
        raise ValueError("alignment needs two different loaded jurisdictions "
                         f"(asked for {', '.join(j.upper() for j in jurisdictions)}; loaded {', '.join(sorted(by_j))})")
    check_scope(chosen, scope)
    counterparts = counterparts or Counterparts(lists)
    for a in chosen:  # whole walks, once each
        for b in chosen:
            if a is not b:
                counterparts.walk(a.jurisdiction.value, b.jurisdiction.value)
    rows: list[dict[str, Any]] = []
    for c in chosen:
        for e in c.entries:
            if not in_scope(e, scope):
                continue
            row: dict[str, Any] = {"jurisdiction": c.jurisdiction.value, "code": e.code, "heading": e.heading,
                                   "regime": e.regime.value, "tags": list(e.tags)}
            missing, partly, unconfirmed, differs = [], [], [], []
            for other in chosen:
                if other is c:
                    continue
                j = other.jurisdiction.value
                matches = counterparts.rows(c.jurisdiction.value, e.code, j)
                row[f"in_{j}"] = "; ".join(
                    f"{r['to_code']} ({r['relation']}" + (f" for {r['from_code']})" if r["from_code"] != e.code
                                                          else ")") for r in matches)
                lacking = counterparts.unmatched(c.jurisdiction.value, e.code, j) if matches else []
                if not matches:
                    missing.append(j)
                elif lacking:  # shared numbering, but the other list lacks these paragraphs
                    partly.append(f"{j} (no counterpart found for {', '.join(lacking)})")
                elif all(r["from_code"] != e.code for r in matches):
                    paragraphs = sorted({r["from_code"] for r in matches})
                    partly.append(f"{j} ({', '.join(paragraphs)})")
                elif not any(r["relation"] == "same" for r in matches):
                    # only 'partial' counterparts (text similarity, or leads): not evidence the entry is controlled
                    unconfirmed.append(f"{j} ({', '.join(sorted({r['to_code'] for r in matches}))})")
                differs += [ev for r in matches for ev in r["evidence"] if ev.startswith("threshold differs")]
            parts = ([f"not controlled by {', '.join(missing)}"] if missing else []) + \
                    [f"partly controlled by {p}" for p in partly] + \
                    ([f"only partial counterparts in {'; '.join(unconfirmed)}"] if unconfirmed else [])
            row["status"] = "; ".join(parts) if parts else "controlled by all"
            row["threshold_differences"] = differs
            rows.append(row)
    columns = ["jurisdiction", "code", "heading", "regime", "tags"] + \
              [f"in_{c.jurisdiction.value}" for c in chosen] + ["status", "threshold_differences"]
    for r in rows:
        for c in chosen:
            r.setdefault(f"in_{c.jurisdiction.value}", "(this list)" if r["jurisdiction"] == c.jurisdiction.value
                         else "")
    table = ResultTable.from_records("alignment", rows, columns,
                                     meta={"analysis": "controls alignment", "scope": scope or "all",
                                           "lists": {c.jurisdiction.value: c.version.isoformat() for c in chosen}})
    if "JP" in wanted:
        jp = by_j["JP"]
        table = table.with_caveats(
            f"Japan's list here holds {len(jp.entries)} items of the METI goods ordinance (semiconductor "
            "equipment and related); an entry 'not controlled by JP' may be controlled by an item not loaded.")
    return table


def diff_versions(old: ControlList, new: ControlList, scope: str | None = None) -> ResultTable:
    """What changed between two versions of one jurisdiction's list: entries and paragraphs added, removed, changed."""
    check_scope([old, new], scope)
    a = {e.code: e for e in old.entries if in_scope(e, scope)}
    b = {e.code: e for e in new.entries if in_scope(e, scope)}
    rows: list[dict[str, Any]] = []
    for code in sorted(a.keys() | b.keys()):
        if code not in b:
            rows.append({"code": code, "change": "removed", "paragraphs": [], "heading": a[code].heading})
        elif code not in a:
            rows.append({"code": code, "change": "added", "paragraphs": [p.code for p in b[code].paragraphs],
                         "heading": b[code].heading})
        else:
            pa = {p.code: p.text for p in a[code].paragraphs}
            pb = {p.code: p.text for p in b[code].paragraphs}
            changed = sorted(k for k in pa.keys() | pb.keys() if pa.get(k) != pb.get(k))
            if changed or a[code].heading != b[code].heading:
                rows.append({"code": code, "change": "changed", "paragraphs": changed, "heading": b[code].heading})
    table = ResultTable.from_records("controls_diff", rows, ["code", "change", "paragraphs", "heading"],
                                     meta={"analysis": "controls diff", "jurisdiction": new.jurisdiction.value,
                                           "from": old.version.isoformat(), "to": new.version.isoformat(),
                                           "scope": scope or "all"})
    if not rows:
        table = table.with_caveats(
            f"No entry {'in scope ' + repr(scope) + ' ' if scope else ''}was added, removed or changed between "
            f"{new.jurisdiction.value} {old.version} ({len(a)} entries) and {new.version} ({len(b)} entries).")
    return table


# CHPL -> controls. A candidate is a *mapping* only if its text is close (cosine >= CHPL_MIN_SCORE) and names the
# goods the HS code names *as goods*: a goods term of the description (the head noun of one of its noun phrases,
# with at least half of the head's own modifiers) occurs in the subject of the paragraph, of a paragraph
# above it or of the entry heading (the words before its conditions: "having", "using", "for", ":"...). A word
# shared by chance is not enough: "Static converters" share only "static" with a gravity meter's "static
# accuracy", plugs share "plug" only inside "Plug-in units", and diodes are named by an underwater link's
# condition "using light-emitting diodes", not as its goods. Exclusions ("other than ...", "excl. ...", "not ...")
# are cut from the description before it is searched or read. Anything weaker that still scores CHPL_LEAD_SCORE
# is a lead to verify.
CHPL_MIN_SCORE, CHPL_MIN_GOODS, CHPL_LEAD_SCORE = 0.3, 0.5, 0.15
_GENERIC = frozenset(tokens("other parts apparatus appliances machines machinery instruments devices units articles "
                            "equipment accessories incl thereof kinds all electrical electronic chapter heading "
                            "headings note subheading"))
# what goods are for, not goods: "for the manufacture of wafers" names wafers
_PROCESS = frozenset(tokens("manufacture production reception transmission conversion regeneration use"))
_EXCLUSION = re.compile(r"\((?:other than|excl\.?|excluding|except|not)\b[^)]*\)"
                        r"|,?\s*\b(?:other than|excl\.|excluding|except|not)\b[^;:(]*", re.IGNORECASE)
_SUBJECT_END = re.compile(r"[:;,(]|\b(?:having|that|which|with|using|designed|specially|capable|for|when|where|"
                          r"containing|rated|as follows|other than|except|not|in which|employing|incorporating|"
                          r"being|based)\b", re.IGNORECASE)
_GOODS_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CHPL_COLUMNS = ("hs6", "tier", "description", "jurisdiction", "code", "paragraph", "score", "strength", "reason")


def strip_exclusions(description: str) -> str:
    """An HS description without what it excludes: 'Diodes, other than photosensitive or light-emitting diodes'
    -> 'Diodes'; 'Transistors (not photosensitive), other' -> 'Transistors, other'."""
    return " ".join(_EXCLUSION.sub("", description).split()).strip(" ,;")


def _goods_tokens(text: str) -> list[str]:
    """Words as goods are named: hyphenated compounds kept whole ('plug-in' is not 'plug'), light plural stem."""
    return tokens(text, _GOODS_TOKEN)


@dataclass(frozen=True)
class GoodsTerm:
    """A good an HS description names: head noun and modifiers ('integrated circuit'), the generic head it came
    with where the head is generic ('semiconductor' of 'semiconductor devices'), and for goods named by their
    use ('Machines ... for the manufacture of semiconductor devices') the uses, whose five-letter stems a
    candidate must share (manufacture ~ manufacturing)."""

    head: str
    mods: tuple[str, ...] = ()
    generic: str = ""
    uses: tuple[str, ...] = ()

    def __str__(self) -> str:
        words = " ".join((*self.mods, self.head, self.generic)).strip()
        return f"{words} (for {' or '.join(self.uses)})" if self.uses else words


def _noun_phrases(part: str, purpose: bool) -> list[GoodsTerm]:
    terms = []
    for phrase in re.split(r"\band\b|\bor\b|/", part, flags=re.IGNORECASE):
        words = [w for w in _goods_tokens(phrase) if len(w) > 1 and not w[0].isdigit()]
        if purpose:  # 'for measuring or checking wafers': the uses are not goods
            words = [w for w in words if w not in _PROCESS and not w.endswith("ing")]
        if not words:
            continue
        head, mods, generic = words[-1], tuple(w for w in words[:-1] if w not in _GENERIC), ""
        if head in _GENERIC:  # 'Other semiconductor devices' names semiconductor devices
            if not mods or mods[-1] in _PROCESS or mods[-1].endswith("ing"):
                continue
            head, mods, generic = mods[-1], mods[:-1], head
        terms.append(GoodsTerm(head, mods, generic))
    return terms


def goods_terms(description: str) -> list[GoodsTerm]:
    """The goods an HS description names, exclusions cut, from its first phrase: 'Fixed capacitors: tantalum' ->
    fixed capacitor; 'Plugs and sockets' -> plug, socket; 'Other semiconductor devices' -> semiconductor device.
    Where every head is generic ('Machines and apparatus for the manufacture of semiconductor devices'), the goods
    are named by their use: the objects after 'for' / 'of', with the uses (manufacture), which a candidate must
    name too (by their first five letters: manufacture ~ manufacturing) in a subject that is equipment."""
    phrase = re.split(r"[:;,(]", strip_exclusions(description), maxsplit=1)[0]
    parts = re.split(r"\b(?:for|of|with|using|incl|including|specified in|suitable for)\b", phrase,
                     flags=re.IGNORECASE)
    terms = _noun_phrases(parts[0], purpose=False)
    if terms or len(parts) == 1:
        return terms
    rest = " ".join(parts[1:])
    uses = tuple(dict.fromkeys(w.split("-")[-1] for w in _goods_tokens(rest) if w in _PROCESS or w.endswith("ing")))
    return [GoodsTerm(t.head, t.mods, t.generic, uses) for t in _noun_phrases(rest, purpose=True)]


def goods_words(description: str) -> list[str]:
    """The words of an HS description that name the goods (heads and their modifiers, exclusions cut)."""
    return [w for t in goods_terms(description) for w in (*t.mods, t.head)]


def _subject(text: str) -> str:
    """The words of a control text that name its goods, before its conditions ('Signal generators having ...'
    -> 'Signal generators'; 'Using lasers or light-emitting diodes ...' -> '')."""
    return _SUBJECT_END.split(text, maxsplit=1)[0]


_CONDITIONS = re.compile(r"\b(having|with|of the following|as described)\b[^:]*:\s*$", re.IGNORECASE)


def _chain(entry: ControlEntry, paragraph: str) -> list[str]:
    """The texts that name a paragraph's goods: the entry heading and the paragraphs from the top down to it,
    leaving out those that are conditions of the one above ('Signal generators having any of the following:'
    makes its sub-paragraphs conditions; 'Integrated circuits, as follows:' makes them kinds)."""
    chain = [entry.heading] + [p.text for p in sorted(
        (p for p in entry.paragraphs if p.code == paragraph or paragraph.startswith(p.code + ".")),
        key=lambda p: p.code.count("."))]
    return [t for k, t in enumerate(chain)
            if k == 0 or not (_CONDITIONS.search(chain[k - 1])
                              and not re.search(r"as follows:?\s*$", chain[k - 1], re.IGNORECASE))]


def _named(terms: list[GoodsTerm], entry: ControlEntry, paragraph: str) -> list[str]:
    """The goods terms a candidate names as goods: in the subject of its heading or paragraphs (not a condition
    such as 'using light-emitting diodes'), with at least half of their modifiers and their generic head; goods
    named by their use need a subject that is equipment and the use and objects anywhere in those texts."""
    chain = _chain(entry, paragraph)
    subject = {w for t in chain for w in _goods_tokens(_subject(t))}
    text = {w for t in chain for w in _goods_tokens(t)}
    named = []
    for t in terms:
        where = text if t.uses else subject
        if t.uses and not (subject & _GENERIC and {w[:5] for w in text} & {u[:5] for u in t.uses}):
            continue
        if (t.head in where and (not t.generic or t.generic in where)
                and sum(m in where for m in t.mods) >= CHPL_MIN_GOODS * len(t.mods)):
            named.append(str(t))
    return named


def _context(entry: ControlEntry, paragraph: str) -> set[str]:
    """Words of a paragraph, the paragraphs above it and the entry heading (for the shared words shown)."""
    texts = [entry.heading] + [p.text for p in entry.paragraphs
                               if p.code == paragraph or paragraph.startswith(p.code + ".")]
    return set(tokens(" ".join(texts)))


def chpl_controls(chpl_path: Path, lists: Sequence[ControlList], per_code: int = 3,
                  leads: bool = False) -> ResultTable:
    """The control entries each CHPL HS code most likely corresponds to (by its description), for trade alerts.

    One row per proposed mapping with its score (TF-IDF cosine of the best paragraph) and the reason; weak
    candidates are ``lead to verify`` rows, left out unless ``leads``. An HS code without a mapping still has a
    row saying so (and how many leads it has), so no code is dropped."""
    index = ControlIndex([e for c in lists for e in c.entries])
    entries = {e.key: e for c in lists for e in c.entries}
    rows: list[dict[str, Any]] = []
    records = read_csv_records(chpl_path, ("hs6", "description_short"))
    n_strong = n_leads = 0
    for line, r in records:
        hs6, desc = (r.get("hs6") or "").strip(), (r.get("description_short") or "").strip()
        if not hs6 or not desc:
            raise DataError("blank HS code or description", file=str(chpl_path), row=line,
                            field="hs6" if not hs6 else "description_short")
        base = {"hs6": hs6, "tier": (r.get("tier") or "").strip(), "description": desc}
        query = strip_exclusions(desc)  # excluded goods must not drive the search ("light-emitting diodes")
        terms = goods_terms(desc)
        wanted = ", ".join(map(str, terms)) or "none"
        strong: list[dict[str, Any]] = []
        weak: list[dict[str, Any]] = []
        for m in index.search(query, limit=2 * per_code, min_score=CHPL_LEAD_SCORE).rows:
            entry = entries[f"{m['jurisdiction']}:{m['code']}"]
            goods = m["code"][1] in "ABC"  # D software and E technology are not the goods an HS code names
            named = _named(terms, entry, m["paragraph"]) if goods else []
            shared = sorted((set(tokens(query)) & _context(entry, m["paragraph"])) - _GENERIC)
            is_strong = m["score"] >= CHPL_MIN_SCORE and bool(named)
            if is_strong:
                reason = (f"names the goods ({', '.join(named)}); text similarity {m['score']:.2f}; shared words: "
                          f"{', '.join(shared)}")
            else:
                why = [f"similarity {m['score']:.2f} < {CHPL_MIN_SCORE}"] if m["score"] < CHPL_MIN_SCORE else []
                if not goods:
                    why.append("software or technology, not goods")
                elif not named:
                    why.append(f"names none of the goods ({wanted}) as goods")
                reason = f"lead only: {'; '.join(why)}; shared words: {', '.join(shared) or 'none'}"
            row = {**base, "jurisdiction": m["jurisdiction"], "code": m["code"], "paragraph": m["paragraph"],
                   "score": m["score"], "strength": "mapping" if is_strong else "lead to verify", "reason": reason}
            (strong if is_strong else weak).append(row)
        strong, weak = strong[:per_code], weak[:per_code]
        n_strong += len(strong)
        n_leads += len(weak)
        rows += strong
        if leads:
            rows += weak
        if not strong:
            rows.append({**base, "jurisdiction": "", "code": "", "paragraph": "", "score": None,
                         "strength": "no mapping",
                         "reason": f"no candidate reaches similarity {CHPL_MIN_SCORE} and names the goods "
                                   f"({wanted}) as goods; {len(weak)} leads to verify"
                                   + ("" if leads else " (leads not shown)")})
    table = ResultTable.from_records(
        "chpl_controls", rows, CHPL_COLUMNS,
        meta={"analysis": "CHPL to control entries",
              "method": "TF-IDF text match (HS exclusions cut), goods named as goods",
              "chpl": str(chpl_path), "leads_shown": leads,
              "thresholds": {"mapping_score": CHPL_MIN_SCORE, "goods_named": CHPL_MIN_GOODS,
                             "lead_score": CHPL_LEAD_SCORE}})
    return table.with_caveats(
        f"HS descriptions name goods, not control parameters: a 'mapping' (score >= {CHPL_MIN_SCORE} and naming "
        f"the goods) is a candidate for an analyst, not a classification; {n_strong} mappings, {n_leads} weaker "
        f"leads ({'shown' if leads else 'not shown'}).")
