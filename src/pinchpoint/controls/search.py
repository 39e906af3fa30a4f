"""Ranked full-text search over control entries of every jurisdiction (TF-IDF over paragraphs, our own index).

Each paragraph (and each entry's heading) is a document; a query's score for an entry is the best cosine
similarity among its paragraphs, so a short, precise paragraph ("'EUV' pellicles") outranks a long entry that
mentions the words in passing. Results carry the matching paragraph as evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from pinchpoint.controls.model import ControlEntry
from pinchpoint.results import ResultTable

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_STOP_WORDS = ("a an and any are as at be by for from in into is it its of on or other than that the their therefor "
               "these this to which with having following follows specified designed not")
STOP = frozenset(_STOP_WORDS.split())


def tokens(text: str, pattern: re.Pattern[str] = _TOKEN) -> list[str]:
    """Lower-case word tokens with a light plural stem ('pellicles' -> 'pellicle'); stop words dropped. ``pattern``
    says what a word is (the CHPL goods test keeps hyphenated compounds whole)."""
    out = []
    for tok in pattern.findall(text.lower().replace("“", " ").replace("”", " ")):
        if tok in STOP:
            continue
        if len(tok) > 4 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]
        out.append(tok)
    return out


@dataclass(frozen=True)
class Document:
    entry: ControlEntry
    paragraph: str  # full paragraph code, or the entry code for its heading
    text: str


class ControlIndex:
    """A TF-IDF index of paragraphs; build once, query many times."""

    def __init__(self, entries: Iterable[ControlEntry]) -> None:
        docs: list[Document] = []
        for e in entries:
            docs.append(Document(e, e.code, e.heading))
            docs.extend(Document(e, p.code, p.text + (" " + " ".join(p.notes) if p.notes else ""))
                        for p in e.paragraphs)
        self.docs = docs
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, d in enumerate(docs):
            for tok, n in Counter(tokens(d.text)).items():
                j = vocab.setdefault(tok, len(vocab))
                rows.append(i)
                cols.append(j)
                vals.append(1.0 + math.log(n))
        self.vocab = vocab
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=len(vocab))
        self.idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
        weighted = tf.multiply(self.idf).tocsr()
        norms = np.sqrt(weighted.multiply(weighted).sum(axis=1)).A1
        norms[norms == 0] = 1.0
        self.matrix = sparse.diags(1.0 / norms) @ weighted
        self._entry_vectors: dict[str, tuple[ControlEntry, sparse.csr_matrix]] = {}

    def vector(self, text: str) -> sparse.csr_matrix:
        counts = Counter(t for t in tokens(text) if t in self.vocab)
        if not counts:
            return sparse.csr_matrix((1, len(self.vocab)))
        cols = [self.vocab[t] for t in counts]
        vals = np.array([(1.0 + math.log(n)) * self.idf[self.vocab[t]] for t, n in counts.items()])
        vals /= np.linalg.norm(vals)
        return sparse.csr_matrix((vals, ([0] * len(cols), cols)), shape=(1, len(self.vocab)))

    def entry_vector(self, entry: ControlEntry) -> sparse.csr_matrix:
        """The vector of an entry's whole text, computed once per entry."""
        found = self._entry_vectors.get(entry.key)
        if found is None or found[0] is not entry:
            found = self._entry_vectors[entry.key] = (entry, self.vector(entry.text))
        return found[1]

    def scores(self, text: str) -> np.ndarray:
        result: np.ndarray = (self.matrix @ self.vector(text).T).toarray().ravel()
        return result

    def search(self, query: str, *, limit: int = 20, jurisdictions: Sequence[str] | None = None,
               min_score: float = 0.05) -> ResultTable:
        """Entries ranked by their best-matching paragraph."""
        from pinchpoint.controls.ids import check_jurisdiction

        indexed = sorted({d.entry.jurisdiction.value for d in self.docs})
        jurisdictions = [check_jurisdiction(j, indexed) for j in jurisdictions or []]
        scores = self.scores(query)
        best: dict[str, tuple[float, Document]] = {}
        for i in np.argsort(-scores):
            s = float(scores[i])
            if s < min_score:
                break
            d = self.docs[i]
            if jurisdictions and d.entry.jurisdiction.value not in jurisdictions:
                continue
            key = d.entry.key
            if key not in best:
                best[key] = (s, d)
            if len(best) >= limit:
                break
        rows = [{"jurisdiction": d.entry.jurisdiction.value, "code": d.entry.code, "paragraph": d.paragraph,
                 "score": round(s, 4), "heading": d.entry.heading, "matched_text": _snippet(d.text),
                 "list": d.entry.list_name, "version": d.entry.version.isoformat(), "tags": list(d.entry.tags)}
                for s, d in best.values()]
        table = ResultTable.from_records(
            "controls_search", rows,
            ["jurisdiction", "code", "paragraph", "score", "heading", "matched_text", "list", "version", "tags"],
            meta={"analysis": "controls search", "query": query, "method": "TF-IDF cosine, best paragraph"})
        if not rows:
            known = [t for t in tokens(query) if t in self.vocab]
            table = table.with_caveats(
                f"No paragraph of {', '.join(jurisdictions or indexed)} scores {min_score} or more for {query!r} "
                f"({len(self.docs)} paragraphs searched; words of the query found in the lists: "
                f"{', '.join(known) or 'none'}).")
        return table


def _snippet(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
