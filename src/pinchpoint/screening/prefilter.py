"""Which stored names can match any entity of a small (restricted) screener at a threshold, decided in bulk, so
that delta re-screening (:mod:`pinchpoint.screening.delta`) runs the full matcher only on those.

The test is sound: a name it leaves out cannot reach the threshold against any entity of the restricted screener,
because every way :meth:`Screener.screen` can score it is bounded from above:

* token alignment: precision is at most the weighted share of the query's slots times each slot's best similarity
  to *any* listed token (the matcher's own similarity: :func:`pinchpoint.screening.matcher._similarity_matrix`),
  recall at most 1, so F1 <= 2P / (1 + P); a reading from another script scales it by ``READING_FACTOR``;
* a person's name wholly inside the other (at most 0.9): passed when the query's slots or a listed person name's
  words are matched to at least 0.8 of their weight (containment needs each word the same or a close spelling);
* a query wholly inside a listed organisation's name (0.7 + 0.2 x the share it covers, at most its recall): when
  every slot's best similarity is 1, the bound 0.7 + 0.2 x the recall bound;
* a listed organisation's whole name and a unit of it ("Bank Melli Iran London Branch": ``UNIT_SCORE`` x the
  share of the listed name matched, at most its recall; :meth:`Screener._unit_containment`): for the names it may
  apply to (``Screener.name_unit``), the bound ``UNIT_SCORE`` x the recall bound; a row reaches that alignment
  only when a slot matches (0.8: the same word or one typo) the rarest word of such a name
  (``Screener.unit_key_words``), which the rule needs matched as every word of the name but linking words;
* an acronym (a word the initials of a run of words of the other name): passed when one is possible at all;
* the letters written together (Levenshtein >= 0.85 of the joined strings, lengths within 3): passed when the
  q-gram count lemma (shared 3-grams >= longer length - 2 - 3 x edits) does not rule the pair out;
* a foreign name written by sound in Chinese characters (compared by broad consonant classes): always passed;
* a consonant skeleton (Arabic, Hebrew, Thai; at most 0.9): passed when a skeleton token or the joined skeleton
  is a key of the listed names' skeletons;
* a name the matcher also reads another way (as displayed under a right-to-left override, or with look-alike
  letters of another script: :func:`pinchpoint.screening.matcher.query_texts`): always passed, since the bounds
  above are worked out on the text as written.

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
from scipy import sparse

from pinchpoint.screening.matcher import (
    _ACRONYM_SKIPPED,
    READING_FACTOR,
    SHORT_TOKEN_FLOOR,
    SKELETON_FACTOR,
    UNIT_SCORE,
    QueryName,
    Screener,
    SkeletonIndex,
    _similarity_matrix,
    _Tokens,
    clean_query,
    query_texts,
)
from pinchpoint.screening.normalize import analyse
from pinchpoint.screening.pool import forked_map
from pinchpoint.screening.scripts import Skeleton, abjad_skeletons, is_abjad, is_transcribed_han, latin_readings

CONTAINMENT_MAX = 0.9  # see Screener._containment: 0.7 + 0.2 x covered
WITHIN_BASE, WITHIN_SHARE = 0.7, 0.2  # see Screener._within_organisation: 0.7 + 0.2 x covered (<= recall)
JOINED_FLOOR = 0.85  # see Screener._score: joined similarity counts from 0.85, times 0.95
JOINED_FACTOR = 0.95
CHUNK = 2048  # spellings compared at once (a chunk x vocabulary matrix of floats)


def analyse_row(screener: Screener, text: str) -> dict[str, Any]:
    """What :meth:`Screener.query_names` and the skeleton path make of ``text``, as plain data to store: its
    tokens and legal forms, its readings (from its script alone), the split of words run together (against
    ``screener``'s vocabulary) and its consonant skeletons."""
    read_otherwise = not text.isascii() and len(query_texts(text)) > 1
    text = clean_query(text)
    tokens, forms, _ = analyse(text) if text else ((), (), "")
    glued = screener.split_glued(tokens, forms) if tokens else None
    return {"t": list(tokens), "f": list(forms), **({"v": True} if read_otherwise else {}),
            "r": [[[list(s) for s in r.slots], list(r.joined), r.script, r.exact] for r in latin_readings(text)],
            "g": [list(glued[0]), list(glued[1])] if glued is not None else None,
            "s": [list(s.tokens) for s in abjad_skeletons(text)] if is_abjad(text) else [],
            # a foreign name written by sound in Chinese characters: compared by broad consonant classes
            "c": is_transcribed_han(text)}


def _analyse_span(screener: Screener, texts: Sequence[str], start: int, stop: int) -> list[dict[str, Any]]:
    return [analyse_row(screener, t) for t in texts[start:stop]]


def analyse_rows(screener: Screener, texts: Sequence[str], workers: int | None = None, chunk: int = 2048
                 ) -> list[dict[str, Any]]:
    """:func:`analyse_row` for many names, split across forked processes that share the screener (one per core
    by default) when there are enough of them."""
    parts = forked_map(_analyse_span, (screener, texts), len(texts), chunk, workers)
    return [a for part in parts for a in part]


def _rows_span(prefilter: Prefilter, analyses: Sequence[dict[str, Any]],
               glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None], threshold: float, start: int,
               stop: int) -> np.ndarray:
    return prefilter.rows(analyses[start:stop], glued[start:stop], threshold)


def rows_may_match(prefilter: Prefilter, analyses: Sequence[dict[str, Any]],
                   glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None], threshold: float,
                   workers: int | None = None, chunk: int | None = None) -> np.ndarray:
    """:meth:`Prefilter.rows`, split across forked processes that share the prefilter when there are enough rows
    (by default two parts for each process, each comparing its own distinct words with the listed ones): a row's
    answer depends on its own words only, so the parts give what one call gives."""
    import os

    workers = workers or os.cpu_count() or 1
    if chunk is None:
        chunk = len(analyses) if workers <= 1 else max(4096, -(-len(analyses) // (2 * workers)))
    if workers > 1:
        prefilter.sub.skeleton_index()  # built once here, not once in every worker
    parts = forked_map(_rows_span, (prefilter, analyses, glued, threshold), len(analyses), chunk, workers)
    may: np.ndarray = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    may |= np.fromiter((bool(a.get("v")) for a in analyses), dtype=bool, count=len(analyses))
    return may


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
    if _ACRONYM_SKIPPED.isdisjoint(words):  # the runs are the pieces of the initials between words that break them
        letters = "".join(w[0] if w and w[0].isalpha() and not w.startswith("#") else " " for w in words)
        return {part[i:i + n] for part in letters.split() for n in range(3, 7) for i in range(len(part) - n + 1)}
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
        # the same as sparse matrices: which names hold each token, and what each token weighs in a name's recall
        # (its weight times its count, over the name's weight)
        vocab_of, name_of, weight_of = [], [], []
        for k, counts in enumerate(self.name_counts):
            scale = max(float(sub.name_weight[k]), 1e-12)
            for v, c in counts.items():
                vocab_of.append(v)
                name_of.append(k)
                weight_of.append(float(sub.vocab_weight[v]) * c / scale)
        shape = (len(sub.vocab), len(sub.names))
        self.vocab_names = sparse.csr_matrix((np.ones(len(vocab_of)), (vocab_of, name_of)), shape=shape)
        self.recall_weights = sparse.csr_matrix((weight_of, (vocab_of, name_of)), shape=shape)
        self.name_person = np.asarray(sub.name_person, dtype=bool)
        # the names a query may name a unit of, and the listed tokens that are their anchors (each such name has one)
        self.name_unit = np.asarray(sub.name_unit, dtype=bool)
        self.unit_key = np.array([t in sub.unit_key_words for t in sub.vocab], dtype=bool)
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

    def similarities(self, spellings: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each spelling's similar listed tokens, by the matcher's rules: (spelling index, vocabulary id,
        similarity > 0). Compared one length at a time with the listed tokens a similarity is possible with: the
        same token, one of a length within ``1 - SHORT_TOKEN_FLOOR`` (a quarter) of the longer (the least OSA
        similarity that counts allows at most that many edits, and a length apart is an edit) or a single letter
        (an initial)."""
        vocab = self.sub.vocab_tokens
        rows, cols, vals = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
        if not len(vocab.text):
            return rows[0], cols[0], vals[0]
        by_length: dict[int, list[int]] = defaultdict(list)
        for k, spelling in enumerate(spellings):
            by_length[len(spelling)].append(k)
        for length, members in sorted(by_length.items()):
            near = np.abs(vocab.length - length) <= (1 - SHORT_TOKEN_FLOOR) * np.maximum(vocab.length, length) + 1e-6
            ids = np.flatnonzero(near | (vocab.length == 1) | (length == 1))
            if not len(ids):
                continue
            for start in range(0, len(members), CHUNK):
                part = members[start:start + CHUNK]
                sim = _similarity_matrix(_Tokens.of([spellings[k] for k in part]), vocab, ids)
                r, c = np.nonzero(sim)
                rows.append(np.asarray(part, dtype=np.int64)[r])
                cols.append(ids[c])
                vals.append(sim[r, c])
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    def _alignment_bounds(self, q_slots: np.ndarray, slot_unit: np.ndarray, unit_weight: np.ndarray,
                          unit_vocab: sparse.csr_matrix, unit_names: sparse.csr_matrix) -> np.ndarray:
        """For each query name (its slots ``slot_unit[q_slots[q]:q_slots[q + 1]]``, each a distinct slot
        ``unit``), the highest score the token alignment (F1, or containment for a listed person) can give it
        against any one listed name: precision and recall from each slot's and each listed token's best
        similarity, for every (query name, listed name) pair at once.

        ``unit_vocab`` holds each unit's best similarity to each listed token (the best of its spellings),
        ``unit_names`` its best similarity to any token of each listed name."""
        n_q = len(q_slots) - 1
        out = np.zeros(n_q)
        if not n_q or not unit_names.nnz:
            return out
        slot_q = np.repeat(np.arange(n_q), np.diff(q_slots))
        w = unit_weight[slot_unit]
        total = np.bincount(slot_q, w, minlength=n_q)
        total[total == 0] = 1.0
        # precision: the weighted sum over slots of each slot's best similarity in the listed name (a slot written
        # twice counts twice, as in the alignment)
        weights = sparse.csr_matrix((w / total[slot_q], (slot_q, slot_unit)), shape=(n_q, unit_vocab.shape[0]))
        precision = (weights @ unit_names).tocsr()
        # recall: each listed token's best similarity to any slot of the query, weighted as the listed name weighs
        # it; the best over the query's slots, not their sum
        pairs = sparse.csr_matrix((np.ones(len(slot_q)), (slot_q, slot_unit)), shape=weights.shape)
        pairs.data[:] = 1.0  # a unit twice in a query is one set of spellings
        best = _max_product(pairs, unit_vocab)
        recall = (best @ self.recall_weights).tocsr()
        p, r, q, name = _aligned(precision, recall)
        f1 = np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=p + r > 0)
        # containment: every word of one side the same as (or, read from another script, close to: >= 0.85)
        # a word of the other, so the weighted share of that side is at least 0.8
        contained = self.name_person[name] & ((p >= 0.8 - 1e-9) | (r >= 0.8 - 1e-9))
        f1 = np.where(contained, np.maximum(f1, CONTAINMENT_MAX), f1)
        # an organisation's name holding every query word (Screener._within_organisation): 0.7 + 0.2 x covered
        within = ~self.name_person[name] & (p >= 1.0 - 1e-9)
        f1 = np.where(within, np.maximum(f1, WITHIN_BASE + WITHIN_SHARE * r), f1)
        # an organisation's whole name and a unit of it (Screener._unit_containment): UNIT_SCORE x covered (<= recall)
        f1 = np.where(self.name_unit[name], np.maximum(f1, UNIT_SCORE * r), f1)
        np.maximum.at(out, q, f1)
        return out

    def joined_possible(self, strings: Sequence[str], threshold: float) -> np.ndarray:
        """For each string, whether its joined-letters similarity (Levenshtein, normalised) to a listed name of a
        length within 3 reaches what the threshold needs: worked out exactly, one length at a time."""
        return _near(strings, self.joined, max(JOINED_FLOOR, threshold / JOINED_FACTOR))

    def rows(self, analyses: Sequence[dict[str, Any]], glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None],
             threshold: float) -> np.ndarray:
        """Whether each analysed row may reach ``threshold`` against some listed entity (see the module). The
        token alignment's bound is worked out for every row at once: each distinct slot (a tuple of spellings) is
        compared with the listed vocabulary once, and the bounds are sparse products over the rows' slots."""
        self._skeleton_bounds([sk for a in analyses for sk in a["s"] if sk], threshold)
        cut = threshold * 0.999
        # every query name flat (as query_names builds them, without the objects): its slots, each a unit of
        # spellings (one spelling: the string itself; several: their tuple), its joined letters, whether it is read
        # from another script, whether it matches only exactly, and its index among the row's query names
        units: dict[str | tuple[str, ...], int] = {}
        unit_of = units.setdefault
        slot_unit: list[int] = []
        q_slots = [0]
        q_row: list[int] = []
        q_factor: list[float] = []
        flat: list[tuple[int, Sequence[str], list[str], bool, bool]] = []
        for i, (analysis, split) in enumerate(zip(analyses, glued, strict=True)):
            for k, (words, slots, joined, read, exact) in enumerate(_query_slots(analysis, split)):
                if slots is None:  # one spelling a slot: the words themselves
                    slot_unit += [unit_of(w, len(units)) for w in words]
                else:
                    slot_unit += [unit_of(slot[0] if len(slot) == 1 else tuple(slot), len(units)) for slot in slots]
                q_slots.append(len(slot_unit))
                q_row.append(i)
                q_factor.append(READING_FACTOR if read else 1.0)
                flat.append((k, words, joined, read, exact))
        unit_list = [(u,) if isinstance(u, str) else u for u in units]
        spellings = sorted({s for u in unit_list for s in u})
        spelling_id = {s: k for k, s in enumerate(spellings)}
        s_rows, s_cols, s_vals = self.similarities(spellings)
        similar = sparse.csr_matrix((s_vals, (s_rows, s_cols)), shape=(len(spellings), len(self.sub.vocab)))
        of_unit = np.array([u for u, unit in enumerate(unit_list) for _ in unit], dtype=np.int64)
        spelled = np.array([spelling_id[s] for unit in unit_list for s in unit], dtype=np.int64)
        has = sparse.csr_matrix((np.ones(len(spelled)), (of_unit, spelled)), shape=(len(unit_list), len(spellings)))
        unit_vocab = _max_product(has, similar)
        unit_names = _max_product(unit_vocab, self.vocab_names)
        unit_best = np.zeros(len(unit_list))
        if unit_vocab.nnz:
            unit_best = unit_vocab.max(axis=1).toarray().ravel()
        unit_weight = np.array([self.sub.slot_weight(u) for u in unit_list])
        slot_ids = np.array(slot_unit, dtype=np.int64)
        starts = np.array(q_slots, dtype=np.int64)
        factor = np.array(q_factor)
        # against any listed token first (cheap), then against each listed name; containment needs two words or
        # more of one name each the same as a word of the other
        n_q = len(flat)
        slot_q = np.repeat(np.arange(n_q), np.diff(starts))
        w, top = unit_weight[slot_ids], unit_best[slot_ids]
        total = np.bincount(slot_q, w, minlength=n_q)
        total[total == 0] = 1.0
        precision = np.bincount(slot_q, w * top, minlength=n_q) / total
        same = np.bincount(slot_q, top >= 0.999, minlength=n_q)
        gate = (factor * 2 * precision / (1 + precision) >= cut) | ((factor * CONTAINMENT_MAX >= cut) & (same >= 2))
        if factor.size and self.unit_key.any() and (factor * UNIT_SCORE >= cut).any():
            # a unit of a listed organisation: some slot matches (0.8: the same or one typo) the rarest word of a
            # name the rule applies to, which it needs matched as every other word of the name
            keyed = np.zeros(len(unit_list))
            if unit_vocab.nnz:
                to_key = unit_vocab.tocsc()[:, np.flatnonzero(self.unit_key)]
                if to_key.nnz:
                    keyed = to_key.max(axis=1).toarray().ravel()
            hits = np.bincount(slot_q, keyed[slot_ids] >= 0.8 - 1e-9, minlength=n_q)
            gate |= (factor * UNIT_SCORE >= cut) & (hits >= 1)
        picked = np.flatnonzero(gate)
        lengths = np.diff(starts)[picked]
        sub_starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        sub_slots = slot_ids[_ranges(starts[picked], lengths)]
        bound = self._alignment_bounds(sub_starts, sub_slots, unit_weight, unit_vocab, unit_names)
        passed = np.zeros(n_q, dtype=bool)
        passed[picked] = factor[picked] * bound >= cut
        # the letters written together
        joined_strings = sorted({j for q in flat for j in q[2]})
        joined_ok = dict(zip(joined_strings, self.joined_possible(joined_strings, threshold).tolist(), strict=True))
        joined_counts = cut <= JOINED_FACTOR, cut <= READING_FACTOR * JOINED_FACTOR
        answer = np.zeros(len(analyses), dtype=bool)
        answer[np.array(q_row, dtype=np.int64)[passed]] = True
        out = answer.tolist()
        for i, (k, words, joined, read, exact) in zip(q_row, flat, strict=True):
            if out[i]:
                continue
            if joined_counts[read] and any(joined_ok[j] for j in joined):
                out[i] = True
            elif not exact and (candidates := self._acronym_candidates(words)):
                q = query_names(analyses[i], glued[i])[k]
                out[i] = any(self._acronym_reaches(q, name, cut) for name in candidates)
        for i, analysis in enumerate(analyses):
            if not out[i]:
                out[i] = bool(analysis.get("c")) or self._skeleton_may_match(analysis["s"], cut)  # rare: screened
        return np.array(out, dtype=bool)

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

    def _acronym_candidates(self, words: Sequence[str]) -> list[int]:
        """The listed names an acronym may fold against (a word of the query the initials of a run of a listed
        name's words, or a listed word the initials of a run of the query's words), in order."""
        # (the acronyms' keys are runs of 3 to 6 initials: letters only)
        names = {k for w in words if w in self.acronyms for k in self.acronyms[w]}
        if len(words) >= 3 and self.short_words:
            names |= {k for run in _run_initials(words) if run in self.short_words for k in self.short_words[run]}
        return sorted(names)

    def _acronym_reaches(self, q: QueryName, name: int, cut: float) -> bool:
        """Whether the matcher's own folding of an acronym reaches ``cut`` against the listed name ``name``."""
        folded = self.sub._acronym(q, self.sub.names[name], False)
        return folded is not None and folded[0] >= cut


def _query_slots(analysis: dict[str, Any], glued: tuple[tuple[str, ...], tuple[str, ...]] | None
                 ) -> list[tuple[Sequence[str], list[list[str]] | None, list[str], bool, bool]]:
    """What :func:`query_names` builds, as plain data: each query name's words (each slot's first spelling), its
    slots when a slot has other spellings (None when each is its word), joined letters, whether it is read from
    another script (or split where words ran together) and whether its spellings match only exactly."""
    def plain(tokens: Sequence[str], read: bool) -> tuple[Sequence[str], None, list[str], bool, bool]:
        latin = "".join(tokens)
        if "#" in latin:
            latin = "".join(t for t in tokens if not t.startswith("#"))
        return tokens, None, [latin] if latin else [], read, False

    out: list[tuple[Sequence[str], list[list[str]] | None, list[str], bool, bool]] = (
        [plain(analysis["t"], False)] if analysis["t"] else [])
    if glued is not None:
        out.append(plain(glued[0], True))
    for slots, joined, script, exact in analysis["r"]:
        out.append(([s[0] for s in slots], slots, list(joined), script is not None, bool(exact)))
    return out


def row_spellings(analysis: dict[str, Any], glued: tuple[tuple[str, ...], tuple[str, ...]] | None) -> set[str]:
    """Every spelling of every slot of a stored row's query names."""
    out = set(analysis["t"])
    if glued is not None:
        out.update(glued[0])
    for slots, _, _, _ in analysis["r"]:
        for slot in slots:
            out.update(slot)
    return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indexes ``starts[k] .. starts[k] + lengths[k] - 1`` of every k, one after the other."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    out: np.ndarray = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)
    return out


def _max_product(a: sparse.csr_matrix, b: sparse.csr_matrix) -> sparse.csr_matrix:
    """The (max, x) product of two sparse matrices of non-negative values: ``c[i, k] = max_j a[i, j] * b[j, k]``
    (where a matrix product sums, this keeps the largest term)."""
    a, b = a.tocoo(), b.tocsr()
    counts = np.diff(b.indptr)[a.col]
    at = _ranges(b.indptr[a.col].astype(np.int64), counts)
    i = np.repeat(a.row.astype(np.int64), counts)
    values = np.repeat(a.data, counts) * b.data[at]
    width = b.shape[1]
    keys = i * width + b.indices[at]
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    unique, first = np.unique(keys, return_index=True)
    best = np.maximum.reduceat(values, first) if len(values) else values
    return sparse.csr_matrix((best, (unique // width, unique % width)), shape=(a.shape[0], width))


def _aligned(x: sparse.csr_matrix, y: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The values of two sparse matrices of one shape on the union of their entries (0 where one has none): x, y,
    row, column, ordered by row then column."""
    x, y = x.tocsr(), y.tocsr()
    x.sum_duplicates()
    y.sum_duplicates()
    if np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices):  # the usual case: one pattern
        rows = np.repeat(np.arange(x.shape[0], dtype=np.int64), np.diff(x.indptr))
        return x.data, y.data, rows, x.indices.astype(np.int64)
    x, y = x.tocoo(), y.tocoo()
    width = x.shape[1]
    kx = x.row.astype(np.int64) * width + x.col
    ky = y.row.astype(np.int64) * width + y.col
    keys = np.union1d(kx, ky)
    vx, vy = np.zeros(len(keys)), np.zeros(len(keys))
    vx[np.searchsorted(keys, kx)] = x.data
    vy[np.searchsorted(keys, ky)] = y.data
    return vx, vy, keys // width, keys % width


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
