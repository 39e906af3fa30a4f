"""The shortcuts the batch path takes for speed give exactly what the long way gives: rapidfuzz's score cutoffs keep
every pair at a similarity floor, and the per-token postings a screener keeps are the index's own."""

from __future__ import annotations

import csv

import numpy as np

from pinchpoint.screening.matcher import (
    CUTOFF_MARGIN,
    JOINED_FLOOR,
    SHORT_TOKEN_FLOOR,
    Screener,
    _unique_inverse,
)
from pinchpoint.screening.model import ScreeningList
from tests.screening.conftest import BENCH


def _one_letter_changed(word: str, at: int) -> str:
    return word[:at] + ("q" if word[at] != "q" else "x") + word[at + 1:]


def test_score_cutoffs_keep_every_pair_at_its_floor(screener: Screener) -> None:
    """The cutoffs given to rapidfuzz (a floor less CUTOFF_MARGIN) return the exact similarity of every pair at the
    floor or above: one letter changed in listed words of four letters (0.75, SHORT_TOKEN_FLOOR), five (0.8) and
    more, and three in listed names of twenty letters written together (0.85, JOINED_FLOOR)."""
    from rapidfuzz.distance import OSA, Levenshtein
    from rapidfuzz.process import cdist, cpdist

    words = [w for w in screener.vocab if w.isalpha() and 4 <= len(w) <= 12][:800]
    changed = [_one_letter_changed(w, k) for w in words for k in (0, len(w) // 2, len(w) - 1)]
    exact = cdist(changed, words, scorer=OSA.normalized_similarity, dtype=np.float64, workers=1)
    cut = cdist(changed, words, scorer=OSA.normalized_similarity, dtype=np.float64, workers=1,
                score_cutoff=SHORT_TOKEN_FLOOR - CUTOFF_MARGIN)
    kept = exact >= SHORT_TOKEN_FLOOR - 1e-9
    assert np.array_equal(cut[kept], exact[kept]) and not cut[~kept].any()
    on_floor = {floor: int(np.isclose(exact, floor, rtol=0, atol=1e-12).sum()) for floor in (0.75, 0.8)}
    assert min(on_floor.values()) > 100, on_floor  # the pairs a cutoff given less 1e-9 would lose are there

    joined = [j for j in screener.name_joined if len(j) == 20 and j.isalpha()][:2000]
    edited = []
    for j in joined:
        for at in (0, 7, 15):
            j = _one_letter_changed(j, at)
        edited.append(j)
    exact_pairs = cpdist(edited, joined, scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1)
    cut_pairs = cpdist(edited, joined, scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1,
                       score_cutoff=JOINED_FLOOR - CUTOFF_MARGIN)
    kept = exact_pairs >= JOINED_FLOOR - 1e-9
    assert np.array_equal(cut_pairs[kept], exact_pairs[kept])
    assert int(np.isclose(exact_pairs, JOINED_FLOOR, rtol=0, atol=1e-12).sum()) > 100


def test_kept_postings_are_the_index_lists_and_give_the_same_candidates(lists: dict[str, ScreeningList]) -> None:
    """A screener keeps each query spelling's postings (Screener.postings): candidates found with them kept equal
    those a new screener finds on first use, for spellings that vote by their prefixes, suffixes and neighbours and
    for those that must match exactly (Korean readings) alike; and the votes' (query, name) pairs are numpy's
    unique ones."""
    queries = [r["full_name"] for r in csv.DictReader(
        (BENCH / "yente_negatives_global.csv").open(encoding="utf-8"))][:300]
    queries += ["김정은", "Kim Jong Un", "Jong Kim", "ITQANCOMPANY", "PLA", "Мария"]
    small = [lists[f] for f in ("un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx")]
    warm = Screener(small)
    readings = [q for text in queries for q in warm.query_names(text)]
    assert any(q.exact for q in readings) and any(not q.exact for q in readings)
    first = warm.candidates_many(readings)
    again = warm.candidates_many(readings[::-1])[::-1]  # kept postings, met in another order
    cold = Screener(small).candidates_many(readings[::-1])[::-1]
    assert first == again == cold and sum(map(len, first)) > 10_000
    index_lists = {id(found) for found in warm.index.values()}
    for q in readings:
        for t in {a for slot in q.slots for a in slot}:
            assert all(id(p) in index_lists for p in warm.postings(t, q.exact))
            if q.exact:  # a spelling that must match exactly votes with its own list alone
                assert [id(p) for p in warm.postings(t, True)] == ([id(warm.index[t])] if t in warm.index else [])
    hits = np.concatenate([p for q in readings[:80] for t in q.slots[0] for p in warm.postings(t)])
    keys, inverse = _unique_inverse(hits)
    want_keys, want_inverse = np.unique(hits, return_inverse=True)
    assert np.array_equal(keys, want_keys) and np.array_equal(inverse, want_inverse.ravel())
