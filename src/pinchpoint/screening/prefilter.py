"""Which stored names can match any entity of a small (restricted) screener at a threshold, decided in bulk, so
that delta re-screening (:mod:`pinchpoint.screening.delta`) runs the full matcher only on those.

The test is sound: a name it leaves out cannot reach the threshold against any entity of the restricted screener,
because every way :meth:`Screener.screen` can score it is bounded from above:

* token alignment: precision is at most the weighted share of the query's slots times each slot's best similarity
  to *any* listed token (the matcher's own similarity: :func:`pinchpoint.screening.matcher._similarity_matrix`),
  recall at most 1, so F1 <= 2P / (1 + P); a reading from another script scales it by ``READING_FACTOR``;
* a person's name wholly inside the other (at most 0.9): passed when the query's slots or a listed person name's
  words are matched to at least 0.8 of their weight (containment needs each word the same or a close spelling);
* an acronym (a word the initials of a run of words of the other name): passed when one is possible at all;
* the letters written together (Levenshtein >= 0.85 of the joined strings, lengths within 3): passed when the
  q-gram count lemma (shared 3-grams >= longer length - 2 - 3 x edits) does not rule the pair out;
* a foreign name written by sound in Chinese characters (compared by broad consonant classes): always passed;
* a consonant skeleton (Arabic, Hebrew, Thai; at most 0.9): passed when a skeleton token or the joined skeleton
  is a key of the listed names' skeletons.

What a row's query names are depends only on its text (:func:`analyse_row`, kept with the stored row), except for
words run together, which are split against the listed vocabulary: those are worked out again when a word of the
row contains a word the vocabulary gained or lost since (:func:`vocabulary_changes`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from pinchpoint.screening.matcher import (
    _ACRONYM_SKIPPED,
    READING_FACTOR,
    SKELETON_FACTOR,
    QueryName,
    Screener,
    SkeletonIndex,
    _similarity_matrix,
    _Tokens,
    clean_query,
)
from pinchpoint.screening.normalize import analyse
from pinchpoint.screening.scripts import Skeleton, abjad_skeletons, is_abjad, is_transcribed_han, latin_readings

CONTAINMENT_MAX = 0.9  # see Screener._containment: 0.7 + 0.2 x covered
JOINED_FLOOR = 0.85  # see Screener._score: joined similarity counts from 0.85, times 0.95
JOINED_FACTOR = 0.95
CHUNK = 2048  # spellings compared at once (a chunk x vocabulary matrix of floats)


def analyse_row(screener: Screener, text: str) -> dict[str, Any]:
    """What :meth:`Screener.query_names` and the skeleton path make of ``text``, as plain data to store: its
    tokens and legal forms, its readings (from its script alone), the split of words run together (against
    ``screener``'s vocabulary) and its consonant skeletons."""
    text = clean_query(text)
    tokens, forms, _ = analyse(text) if text else ((), (), "")
    glued = screener.split_glued(tokens, forms) if tokens else None
    return {"t": list(tokens), "f": list(forms),
            "r": [[[list(s) for s in r.slots], list(r.joined), r.script, r.exact] for r in latin_readings(text)],
            "g": [list(glued[0]), list(glued[1])] if glued is not None else None,
            "s": [list(s.tokens) for s in abjad_skeletons(text)] if is_abjad(text) else [],
            # a foreign name written by sound in Chinese characters: compared by broad consonant classes
            "c": is_transcribed_han(text)}


_POOL_SCREENER: Screener | None = None  # the screener forked workers inherit


def _analyse_chunk(texts: list[str]) -> list[dict[str, Any]]:
    assert _POOL_SCREENER is not None
    return [analyse_row(_POOL_SCREENER, t) for t in texts]


def analyse_rows(screener: Screener, texts: Sequence[str], workers: int | None = None, chunk: int = 2048
                 ) -> list[dict[str, Any]]:
    """:func:`analyse_row` for many names, split across forked processes that share the screener (one per core
    by default) when there are enough of them."""
    import multiprocessing as mp
    import os

    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(texts) < 2 * chunk or "fork" not in mp.get_all_start_methods():
        return [analyse_row(screener, t) for t in texts]
    global _POOL_SCREENER
    _POOL_SCREENER = screener
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_analyse_chunk, [list(texts[i:i + chunk]) for i in range(0, len(texts), chunk)])
    finally:
        _POOL_SCREENER = None
    return [a for part in parts for a in part]


_POOL_FILTER: tuple[Prefilter, float] | None = None  # the prefilter and score floor forked workers inherit


def _rows_chunk(job: tuple[list[dict[str, Any]], list[tuple[tuple[str, ...], tuple[str, ...]] | None]]) -> np.ndarray:
    assert _POOL_FILTER is not None
    prefilter, threshold = _POOL_FILTER
    return prefilter.rows(*job, threshold)


def rows_may_match(prefilter: Prefilter, analyses: Sequence[dict[str, Any]],
                   glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None], threshold: float,
                   workers: int | None = None, chunk: int = 4096) -> np.ndarray:
    """:meth:`Prefilter.rows`, split across forked processes that share the prefilter when there are enough rows:
    a row's answer depends on its own words only, so the chunks give what one call gives."""
    import multiprocessing as mp
    import os

    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(analyses) < 2 * chunk or "fork" not in mp.get_all_start_methods():
        return prefilter.rows(analyses, glued, threshold)
    prefilter.sub.skeleton_index()  # built once here, not once in every worker
    global _POOL_FILTER
    _POOL_FILTER = (prefilter, threshold)
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_rows_chunk, [(list(analyses[i:i + chunk]), list(glued[i:i + chunk]))
                                           for i in range(0, len(analyses), chunk)])
    finally:
        _POOL_FILTER = None
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def query_names(analysis: dict[str, Any], glued: tuple[tuple[str, ...], tuple[str, ...]] | None
                ) -> list[QueryName]:
    """The query names of a stored analysis, as :meth:`Screener.query_names` builds them."""
    tokens, forms = tuple(analysis["t"]), tuple(analysis["f"])
    out = [QueryName.of_tokens(tokens, forms)] if tokens else []
    if glued is not None:
        g = QueryName.of_tokens(*glued)
        out.append(QueryName(g.slots, g.forms, g.joined, "glued"))
    for slots, joined, script, exact in analysis["r"]:
        out.append(QueryName(tuple(tuple(s) for s in slots), forms, tuple(joined), script, bool(exact)))
    return out


def vocabulary_changes(before: Iterable[str], after: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern finding, inside a word, any word the vocabulary gained or lost (None when it is the same): a word
    run together may split differently only if it holds one. The words are compiled as a trie (one branch per
    shared prefix), which the regular expression engine walks far faster than a list of alternatives."""
    changed = set(before) ^ set(after)
    words = [w for w in changed if len(w) >= 2 and not w.startswith("#")]
    if not words:
        return None
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a word ends here: finding it is enough
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(pattern(trie))


def _run_initials(words: Sequence[str]) -> set[str]:
    """Every string of 3 to 6 letters a run of ``words`` spells by its initials, as ``_initials_run`` reads them
    (and/of/the skipped after the first word)."""
    out: set[str] = set()
    for start in range(len(words)):
        run = ""
        for k in range(start, len(words)):
            w = words[k]
            if k > start and w in _ACRONYM_SKIPPED:
                continue
            if not w or w.startswith("#") or not w[0].isalpha():
                break
            run += w[0]
            if len(run) >= 3:
                out.add(run)
            if len(run) == 6:
                break
    return out


class Prefilter:
    """The facts of a restricted screener the test needs, worked out once."""

    def __init__(self, sub: Screener) -> None:
        self.sub = sub
        # listed organisation names by the run initials of their words, and by their words of 3-6 letters: the
        # names an acronym may fold against (Screener._acronym)
        self.acronyms: dict[str, list[int]] = defaultdict(list)
        self.short_words: dict[str, list[int]] = defaultdict(list)
        for k, nm in enumerate(sub.names):
            if not sub.name_person[k]:
                for run in _run_initials(nm.tokens):
                    self.acronyms[run].append(k)
                for t in {t for t in nm.tokens if 3 <= len(t) <= 6 and t.isalpha()}:
                    self.short_words[t].append(k)
        # which names hold each vocabulary token, and how often each name holds it
        self.token_names: list[list[int]] = [[] for _ in sub.vocab]
        self.name_counts: list[dict[int, int]] = []
        for k in range(len(sub.names)):
            start = int(sub.token_start[k])
            ids = sub.token_flat[start:start + int(sub.token_count[k])].tolist()
            counts: dict[int, int] = {}
            for v in ids:
                counts[v] = counts.get(v, 0) + 1
            for v in counts:
                self.token_names[v].append(k)
            self.name_counts.append(counts)
        self.skeleton_keys: set[str] = set()
        for nm in sub.names:
            sk = SkeletonIndex.skeleton_of(nm.text, nm.tokens).tokens
            if sk:
                self.skeleton_keys |= {*sk, "=" + "".join(sk)}
        self._skeletons: SkeletonIndex | None = None
        self._skeleton_best: dict[str, float] = {}
        self._skeleton_joined_near: dict[str, bool] = {}
        self.joined = list(sub.name_joined)
        self.joined_len = np.array([len(j) for j in self.joined], dtype=np.int64)

    def similarities(self, spellings: Sequence[str]) -> dict[str, list[tuple[int, float]]]:
        """Each spelling's similar listed tokens (vocabulary id, similarity > 0), by the matcher's rules."""
        out: dict[str, list[tuple[int, float]]] = {}
        vocab = self.sub.vocab_tokens
        for start in range(0, len(spellings), CHUNK):
            part = list(spellings[start:start + CHUNK])
            out.update((p, []) for p in part)
            if not len(vocab.text):
                continue
            sim = _similarity_matrix(_Tokens.of(part), vocab)
            rows, cols = np.nonzero(sim)
            for r, c, v in zip(rows.tolist(), cols.tolist(), sim[rows, cols].tolist(), strict=True):
                out[part[r]].append((c, v))
        return out

    def _name_bound(self, q: QueryName, similar: dict[str, list[tuple[int, float]]]) -> float:
        """The highest score the token alignment (F1, or containment for a listed person) can give ``q`` against
        any one listed name: precision and recall from each slot's and each listed token's best similarity."""
        sub = self.sub
        weights = [sub.slot_weight(slot) for slot in q.slots]
        total = sum(weights) or 1.0
        precision: dict[int, float] = defaultdict(float)
        token_best: dict[int, dict[int, float]] = defaultdict(dict)
        for slot, w in zip(q.slots, weights, strict=True):
            slot_best: dict[int, float] = {}
            for spelling in slot:
                for v, sim in similar[spelling]:
                    for name in self.token_names[v]:
                        if sim > slot_best.get(name, 0.0):
                            slot_best[name] = sim
                        best = token_best[name]
                        if sim > best.get(v, 0.0):
                            best[v] = sim
            for name, sim in slot_best.items():
                precision[name] += w * sim
        bound = 0.0
        for name, p_sum in precision.items():
            p = p_sum / total
            counts = self.name_counts[name]
            r = sum(sub.vocab_weight[v] * counts[v] * sim for v, sim in token_best[name].items()) / max(
                float(sub.name_weight[name]), 1e-12)
            f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
            # containment: every word of one side the same as (or, read from another script, close to: >= 0.85)
            # a word of the other, so the weighted share of that side is at least 0.8
            if sub.name_person[name] and (p >= 0.8 - 1e-9 or r >= 0.8 - 1e-9):
                f1 = max(f1, CONTAINMENT_MAX)
            bound = max(bound, f1)
        return bound

    def joined_possible(self, strings: Sequence[str], threshold: float) -> np.ndarray:
        """For each string, whether its joined-letters similarity (Levenshtein, normalised) to a listed name of a
        length within 3 reaches what the threshold needs: worked out exactly, one length at a time."""
        return _near(strings, self.joined, max(JOINED_FLOOR, threshold / JOINED_FACTOR))

    def rows(self, analyses: Sequence[dict[str, Any]], glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None],
             threshold: float) -> np.ndarray:
        """Whether each analysed row may reach ``threshold`` against some listed entity (see the module)."""
        names = [query_names(a, g) for a, g in zip(analyses, glued, strict=True)]
        self._skeleton_bounds([sk for a in analyses for sk in a["s"] if sk], threshold)
        spellings = sorted({s for qs in names for q in qs for slot in q.slots for s in slot})
        similar = self.similarities(spellings)
        best = {s: max((v for _, v in pairs), default=0.0) for s, pairs in similar.items()}
        joined_strings = sorted({j for qs in names for q in qs for j in q.joined})
        joined_ok = dict(zip(joined_strings, self.joined_possible(joined_strings, threshold).tolist(), strict=True))
        cut = threshold * 0.999
        out = np.zeros(len(analyses), dtype=bool)
        for i, (analysis, qs) in enumerate(zip(analyses, names, strict=True)):
            out[i] = any(self._may_match(q, best, similar, joined_ok, cut) for q in qs) or \
                self._skeleton_may_match(analysis["s"], cut) or bool(analysis.get("c"))  # rare: always screened
        return out

    def _skeleton_bounds(self, skeletons: Sequence[Sequence[str]], threshold: float) -> None:
        """Each skeleton token's best similarity to a listed skeleton token (SkeletonIndex.compare's rule: equal,
        or OSA >= 0.75 between tokens of 4 letters or more), and whether each joined skeleton is near enough a
        listed one for the joined path (0.95 x 0.9 x similarity >= threshold)."""
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import cdist

        self._skeleton_best, self._skeleton_joined_near = {}, {}
        if not skeletons or threshold > SKELETON_FACTOR:
            return
        index = self.sub.skeleton_index()
        tokens = sorted({t for sk in skeletons for t in sk})
        vocab = list(index.vocab)
        if vocab:
            sim = cdist(tokens, vocab, scorer=OSA.normalized_similarity, dtype=np.float32, workers=-1)
            long_enough = np.minimum(np.array([len(t) for t in tokens])[:, None],
                                     np.array([len(v) for v in vocab])[None, :]) >= 4
            sim = np.where(sim >= 1.0, 1.0, np.where(long_enough & (sim >= 0.75 - 1e-9), sim, 0.0))
            self._skeleton_best = dict(zip(tokens, sim.max(axis=1).tolist(), strict=True))
        joined = sorted({"".join(sk) for sk in skeletons})
        # SkeletonIndex.compare sets no length limit on whole skeletons
        near = _near(joined, index.joined, max(0.85, threshold * 0.999 / (SKELETON_FACTOR * 0.95)), gap=None)
        self._skeleton_joined_near = dict(zip(joined, near.tolist(), strict=True))

    def _skeleton_may_match(self, skeletons: Sequence[Sequence[str]], cut: float) -> bool:
        """Whether a consonant skeleton of the row may reach ``cut``: the skeleton index's own candidates and
        upper bounds (``SkeletonIndex.fast_scores``, before the vowel-letter check, which only lowers)."""
        if not skeletons or cut > SKELETON_FACTOR:
            return False
        for sk in skeletons:
            if not sk or not any(t in self.skeleton_keys for t in (*sk, "=" + "".join(sk))):
                continue
            if self._skeletons is None:
                self._skeletons = self.sub.skeleton_index()
            # skeleton precision against any listed skeleton token, and whole skeletons nearly the same, first
            index = self._skeletons
            weights = [index.weight(t) for t in sk]
            best = [self._skeleton_best.get(t, 0.0) for t in sk]
            precision = sum(w * b for w, b in zip(weights, best, strict=True)) / (sum(weights) or 1.0)
            if SKELETON_FACTOR * 2 * precision / (1 + precision) < cut and \
                    not self._skeleton_joined_near.get("".join(sk), False):
                continue
            skeleton = Skeleton(tuple(sk), tuple(() for _ in sk))
            cands = self._skeletons.candidates(skeleton)
            if len(cands) and bool((self._skeletons.fast_scores(skeleton, cands) >= cut).any()):
                return True
        return False

    def _may_match(self, q: QueryName, best: dict[str, float], similar: dict[str, list[tuple[int, float]]],
                   joined_ok: dict[str, bool], cut: float) -> bool:
        factor = READING_FACTOR if q.reading is not None else 1.0
        sub = self.sub
        weights = [sub.slot_weight(slot) for slot in q.slots]
        top = [max(best[s] for s in slot) for slot in q.slots]
        total = sum(weights) or 1.0
        precision = sum(w * b for w, b in zip(weights, top, strict=True)) / total
        # against any listed token first (cheap), then against each listed name; containment needs two words or
        # more of one name each the same as a word of the other
        contained = factor * CONTAINMENT_MAX >= cut and sum(b >= 0.999 for b in top) >= 2
        if (factor * 2 * precision / (1 + precision) >= cut or contained) and \
                factor * self._name_bound(q, similar) >= cut:
            return True
        if any(joined_ok.get(j, False) for j in q.joined) and factor * JOINED_FACTOR >= cut:
            return True
        if not q.exact:  # an acronym: the matcher's own folding, on the few names it may apply to
            words = [slot[0] for slot in q.slots]
            names = {k for w in words if 3 <= len(w) <= 6 and w.isalpha() for k in self.acronyms.get(w, ())}
            if len(words) >= 3 and self.short_words:
                names |= {k for run in _run_initials(words) for k in self.short_words.get(run, ())}
            for k in sorted(names):
                folded = sub._acronym(q, sub.names[k], False)
                if folded is not None and folded[0] >= cut:
                    return True
        return False


def _near(strings: Sequence[str], targets: Sequence[str], need: float, gap: int | None = 3) -> np.ndarray:
    """Whether each string is within Levenshtein similarity ``need`` (normalised by the longer) of a target of a
    length within ``gap`` of its own (any length when None)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    out = np.zeros(len(strings), dtype=bool)
    if need > 1.0 or not strings or not targets:
        return out
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(strings):
        if s:
            by_length[len(s)].append(i)
    target_len = np.array([len(t) for t in targets])
    target_arr = np.array([*targets, ""], dtype=object)[:-1]
    for length, idx in by_length.items():
        near = target_arr[((np.abs(target_len - length) <= gap) if gap is not None else True) & (target_len > 0)]
        if not len(near):
            continue
        sim = cdist([strings[i] for i in idx], near.tolist(), scorer=Levenshtein.normalized_similarity,
                    score_cutoff=need - 1e-9, dtype=np.float32, workers=-1)
        out[np.array(idx)[(sim >= need - 1e-9).any(axis=1)]] = True
    return out
