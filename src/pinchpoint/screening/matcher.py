"""An indexed, explainable name matcher over loaded lists.

Score of a query against one listed name (both analysed by :mod:`pinchpoint.screening.normalize`):

* each query token is aligned with its most similar name token (normalised Levenshtein similarity; a token
  counts only at >= 0.8, or >= 0.9 for tokens under 5 letters; a single letter matches a word it begins, 0.6);
* tokens weigh their IDF over all listed names, so "TRADING" or "GLOBAL" count little and rare tokens a lot;
* precision P (weighted share of the query matched) and recall R (of the listed name) combine as 2PR / (P + R);
  joined or split tokens are caught by also comparing the concatenated token strings;
* legal forms are a separate signal: both present and different costs 5%;
* optional country and type refine: a stated country the entity lacks costs 10%, a different type 15%.

Candidates come from an inverted index of tokens and of token prefixes and suffixes (3 letters), never a full
scan. Scores lie in [0, 1] and reach 1 only for the same tokens.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from pinchpoint.results import ResultTable
from pinchpoint.screening.model import EntityType, ListedEntity, ScreeningList
from pinchpoint.screening.normalize import analyse

MAX_QUERY_CHARS = 500
SCREEN_COLUMNS = ("query", "matched_name", "entity_id", "list", "list_version", "score", "name_kind", "type",
                  "countries", "explanation")


@dataclass(frozen=True)
class _Name:
    entity: int
    text: str
    kind: str
    tokens: tuple[str, ...]
    forms: tuple[str, ...]


def _keys(token: str) -> list[str]:
    if token.startswith("#"):
        return [token]
    keys = [token]
    if len(token) >= 4:
        keys += [f"<{token[:3]}", f"{token[-3:]}>"]
    return keys


def _sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a.startswith("#") or b.startswith("#"):
        return 0.0
    if len(a) == 1 or len(b) == 1:
        return 0.6 if (a[0] == b[0]) else 0.0
    s = Levenshtein.normalized_similarity(a, b)
    floor = 0.9 if min(len(a), len(b)) < 5 else 0.8
    return s if s >= floor else 0.0


class Screener:
    """Build once from lists; ``screen`` many queries."""

    def __init__(self, lists: Iterable[ScreeningList]) -> None:
        self.lists = list(lists)
        self.entities: list[ListedEntity] = [e for lst in self.lists for e in lst.entities]
        self.names: list[_Name] = []
        for k, e in enumerate(self.entities):
            for n in e.names:
                tokens, forms, _ = analyse(n.text)
                if tokens:
                    self.names.append(_Name(k, n.text, n.kind.value, tokens, forms))
        df: dict[str, int] = defaultdict(int)
        index: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            for t in set(name.tokens):
                df[t] += 1
            for key in {k for t in name.tokens for k in _keys(t)}:
                index[key].append(i)
        total = len(self.names) or 1
        self.idf = {t: math.log(1 + total / c) for t, c in df.items()}
        self.default_idf = math.log(1 + total)
        self.index = dict(index)

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.default_idf)

    def candidates(self, tokens: Sequence[str], keep: int = 300, limit_per_key: int = 3000) -> list[int]:
        """Names sharing a token, or a token's first or last three letters, with the query; the ``keep`` with
        the most (IDF-weighted) shared keys are scored in full."""
        votes: dict[int, float] = defaultdict(float)
        common: list[tuple[float, list[int]]] = []
        for t in set(tokens):
            w = self.weight(t)
            for key in _keys(t):
                hits = self.index.get(key, [])
                if len(hits) > limit_per_key:
                    common.append((w, hits))
                    continue
                for i in hits:
                    votes[i] += w
        if not votes:  # only very common tokens: fall back to them rather than return nothing
            for w, hits in common:
                for i in hits:
                    votes[i] += w
        if len(votes) <= keep:
            return list(votes)
        return sorted(votes, key=votes.__getitem__, reverse=True)[:keep]

    def score(self, q_tokens: Sequence[str], q_forms: Sequence[str], name: _Name) -> tuple[float, dict[str, Any]]:
        pairs = []
        matched_c: dict[str, float] = {}
        for q in q_tokens:
            best, best_c = 0.0, ""
            for c in name.tokens:
                s = _sim(q, c)
                if s > best:
                    best, best_c = s, c
            pairs.append((q, best_c, round(best, 3), round(self.weight(q), 3)))
            if best_c:
                matched_c[best_c] = max(matched_c.get(best_c, 0.0), best)
        wq = sum(self.weight(q) for q in q_tokens) or 1.0
        wc = sum(self.weight(c) for c in name.tokens) or 1.0
        precision = sum(s * w for _, c, s, w in pairs) / wq
        recall = sum(self.weight(c) * s for c, s in matched_c.items()) / wc
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        latin_q = "".join(sorted(t for t in q_tokens if not t.startswith("#")))
        latin_c = "".join(sorted(t for t in name.tokens if not t.startswith("#")))
        joined = 0.0
        cjk = any(t.startswith("#") for t in q_tokens) or any(t.startswith("#") for t in name.tokens)
        # joined or split words are a Latin-script matter; CJK names are compared by their characters
        if not cjk and latin_q and latin_c and abs(len(latin_q) - len(latin_c)) <= 3:
            joined = Levenshtein.normalized_similarity("".join(t for t in q_tokens if not t.startswith("#")),
                                                       "".join(t for t in name.tokens if not t.startswith("#")))
            joined = joined * 0.95 if joined >= 0.85 else 0.0
        score = max(f1, joined)
        penalties = []
        if q_forms and name.forms and not set(q_forms) & set(name.forms):
            score *= 0.95
            penalties.append(f"legal form differs ({', '.join(q_forms)} vs {', '.join(name.forms)}): x0.95")
        return score, {"pairs": pairs, "precision": round(precision, 3), "recall": round(recall, 3),
                       "joined_similarity": round(joined, 3), "penalties": penalties,
                       "legal_forms": {"query": list(q_forms), "listed": list(name.forms)}}

    def screen(self, query: str, *, threshold: float = 0.8, country: str | None = None,
               entity_type: str | None = None, lists: Sequence[str] | None = None, limit: int = 10
               ) -> list[dict[str, Any]]:
        text = (query or "").replace("\x00", " ").strip()
        text = "".join(ch if ch.isprintable() else " " for ch in text)[:MAX_QUERY_CHARS]
        q_tokens, q_forms, _ = analyse(text) if text else ((), (), "")
        if not q_tokens:
            return []
        best: dict[int, tuple[float, _Name, dict[str, Any]]] = {}
        for i in self.candidates(q_tokens):
            name = self.names[i]
            entity = self.entities[name.entity]
            if lists and entity.list_name not in lists:
                continue
            s, why = self.score(q_tokens, q_forms, name)
            if country and entity.countries and country.upper() not in entity.countries:
                s *= 0.9
                why["penalties"].append(f"country {country.upper()} not among {', '.join(entity.countries)}: x0.9")
            if entity_type and entity.type is not EntityType.UNKNOWN and entity.type.value != entity_type:
                s *= 0.85
                why["penalties"].append(f"type {entity_type} but listed as {entity.type.value}: x0.85")
            if s >= threshold and (name.entity not in best or s > best[name.entity][0]):
                best[name.entity] = (s, name, why)
        out = []
        for s, name, why in sorted(best.values(), key=lambda x: -x[0])[:limit]:
            e = self.entities[name.entity]
            out.append({"query": query, "matched_name": name.text, "entity_id": e.entity_id, "list": e.list_name,
                        "list_version": e.list_version, "score": round(s, 4), "name_kind": name.kind,
                        "type": e.type.value, "countries": list(e.countries), "explanation": why})
        return out

    def screen_many(self, queries: Sequence[str], **kwargs: Any) -> ResultTable:
        rows = [m for q in queries for m in self.screen(q, **kwargs)]
        return ResultTable.from_records("screening", rows, SCREEN_COLUMNS,
                                        meta={"lists": {lst.list_name: lst.version for lst in self.lists},
                                              **{k: v for k, v in kwargs.items() if v is not None}})
