"""An indexed, explainable name matcher over loaded lists.

Score of a query against one listed name (both analysed by :mod:`pinchpoint.screening.normalize`):

* each query token is aligned with its most similar name token (normalised edit similarity counting a swap of
  two adjacent letters as one edit, rapidfuzz's OSA distance; a token
  counts only at >= 0.8, at >= 0.75 (one edit) for a four-letter token beside another word that matches, only
  when equal under four letters; a single letter matches a word it begins, 0.6, but not in the name of a listed
  organisation, vessel or aircraft);
* tokens weigh their IDF over all listed names, so "TRADING" or "GLOBAL" count little and rare tokens a lot;
* precision P (weighted share of the query matched) and recall R (of the listed name) combine as 2PR / (P + R);
  joined or split tokens are caught by also comparing the concatenated token strings (never where that
  replaces the first letter of a short word, a pair the token rules refuse: JOSEPH BONY is not JOSEPH KONY);
* a listed organisation's whole name with only a branch, office or place added ("Bank Melli Iran London Branch":
  :mod:`pinchpoint.screening.units`) scores ``UNIT_SCORE`` (0.9) times the share of the listed name matched;
* legal forms are a separate signal: both present and different costs 5%;
* optional country, type and birth date refine: a stated country the entity lacks costs 10%, a different type
  15%, a birth year the listed dates do not contain 15%.

A name in another script is also scored through its readings (:mod:`pinchpoint.screening.scripts`): each token
a slot of spellings, any of which may match, the score scaled by 0.95; an Arabic, Hebrew or Thai name through its
consonant skeleton against a skeleton index of the listed names, scaled by 0.9.

Candidates come from an inverted index of tokens, of token prefixes and suffixes (3 letters) and of their first
and last two letters together, never a full scan. Scores lie in [0, 1] and reach 1 only for the same tokens.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA, Levenshtein

from pinchpoint.errors import NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.screening.model import EntityType, ListedEntity, ScreeningList
from pinchpoint.screening.normalize import (
    BIDI_CONTROLS,
    FORM_PHRASE_WORDS,
    INVISIBLE,
    LEGAL_FORMS,
    NUMBER_WORDS,
    analyse,
    displayed_order,
    fold_lookalikes,
    phrase_forms,
    split_digits,
)
from pinchpoint.screening.pool import forked_map
from pinchpoint.screening.scripts import (
    Skeleton,
    abjad_skeletons,
    coarse_skeleton,
    is_abjad,
    is_transcribed_han,
    japanese_fallback,
    latin_readings,
    skeleton_parts,
    transcribed_skeletons,
    vowel_letters_disagree,
)
from pinchpoint.screening.units import LINK_WORDS, UNIT_QUALIFIERS, UNIT_WORDS, is_place, place_words, read_extras

MAX_QUERY_CHARS = 500
SCREEN_COLUMNS = ("query", "matched_name", "entity_id", "list", "list_version", "score", "name_kind", "type",
                  "countries", "reason", "programmes", "listing_reason", "explanation")
# Words that name no one: a query made only of these, legal forms, single letters and numbers is reported as having
# "no distinctive token" instead of being matched ("Co., Ltd." or "A" would otherwise meet "... CO., LTD." or
# "AHMED, A"). Kept short on purpose: common surnames and given names do identify, with other tokens.
GENERIC_WORDS = frozenset({
    "the", "and", "of", "for", "de", "du", "la", "le", "el", "del", "von", "van", "und", "et", "y",
    "company", "companies", "trading", "trade", "traders", "international", "intl", "global", "group", "holding",
    "holdings", "industry", "industries", "industrial", "technology", "technologies", "tech", "service", "services",
    "solution", "solutions", "enterprise", "enterprises", "general", "commercial", "import", "export", "imports",
    "exports", "business", "partners", "associates", "firm", "office", "branch", "mr", "mrs", "dr",
    # words of what a firm does, which name no one firm ("Advanced Technology Co., Ltd.")
    "advanced", "system", "systems", "electronic", "electronics", "engineering", "development", "investment",
    "investments", "management", "consulting", "resources", "logistics", "supply", "products", "manufacturing",
    "materials", "equipment", "energy", "new", "united", "national", "modern", "premier", "universal",
})
_SPLITS_KEPT = 200_000  # words whose split_glued parts a screener keeps (a server screens names without end)
_FORM_WORDS = frozenset(w for form in LEGAL_FORMS for w in form.split())
NO_DISTINCTIVE_TOKEN = ("no distinctive token: only legal forms, single letters, numbers or generic words; not "
                        "matched (add the rest of the name)")


def is_distinctive(token: str) -> bool:
    """Whether a query token can identify a party: not a legal form, a single letter or character, a one-digit
    number or a generic business word."""
    if token.startswith("#"):
        return len(token.lstrip("#")) >= 2  # a CJK token of two or more characters
    if token.isdigit():
        return len(token) >= 2  # OFFICE 39, P-532, 7-28: listed names are numbered
    return len(token) > 1 and token not in _FORM_WORDS and token not in GENERIC_WORDS


def has_distinctive_token(tokens: Sequence[str]) -> bool:
    """Whether any token is distinctive, with runs of single letters read as one initialism (I.P.C., T.D.G., and
    M&S, whose "&" is read "and")."""
    joined: list[str] = []
    run = ""
    for k, t in enumerate([*tokens, ""]):
        if len(t) == 1 and t.isalpha():
            run += t
            continue
        if t == "and" and run and k + 1 < len(tokens) and len(tokens[k + 1]) == 1:
            continue
        if run:
            joined.append(run)
            run = ""
        if t:
            joined.append(t)
    return any(is_distinctive(t) for t in joined)


def clean_query(query: str) -> str:
    """The text of a query the matcher reads, in the order it is written: characters that draw nothing (zero-width
    spaces, soft hyphens, bidi controls) dropped, other control characters and lone surrogates as spaces, capped.
    (A name written under a right-to-left override is also screened as displayed: :func:`query_texts`.)"""
    text = (query or "").replace("\x00", " ").strip()
    if not text.isprintable():  # lone surrogates are not printable either: a printable text is kept as it is
        text = "".join("" if ch in INVISIBLE or ch in BIDI_CONTROLS else
                       ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else " " for ch in text)
    return text[:MAX_QUERY_CHARS].strip()


def query_texts(query: str) -> list[tuple[str, str]]:
    """The texts to screen for a query, each with why it is screened (blank for the text as written): as written;
    as displayed, when a right-to-left override makes a reader see its letters in another order
    (:func:`pinchpoint.screening.normalize.displayed_order`); and with Cyrillic or Greek letters inside Latin words
    read as the Latin letters they are drawn as (:func:`pinchpoint.screening.normalize.fold_lookalikes`). Both are
    ways to make a listed name pass a screening while a reviewer reads it."""
    written = clean_query(query)
    out = [(written, "")]
    shown = displayed_order((query or "")[:4 * MAX_QUERY_CHARS])
    if shown is not None and (shown := clean_query(shown)):
        out.append((shown, f"read as displayed, {shown!r}: the name holds a right-to-left override that reverses "
                           "its letters"))
    for text, _ in list(out):
        if (folded := fold_lookalikes(text)) != text:
            out.append((folded, f"read as {folded!r}: Cyrillic or Greek letters inside Latin words, drawn as the "
                                "Latin letters they look like"))
    unique: dict[str, str] = {}
    for text, why in out:
        unique.setdefault(text, why)
    return [(text, why) for text, why in unique.items() if text]


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
        # the first and last three letters, and the first and last two (a word with a typo in each of the first and
        # last three, YAEIN for YASIN, keeps its ends: ya..in)
        keys += [f"<{token[:3]}", f"{token[-3:]}>", f"{token[:2]}|{token[-2:]}"]
    return keys


#: The least length of a word found through its one-letter deletions (see :func:`_deletions`): shorter words have
#: too many neighbours one edit away, and the rules on short words refuse most of them anyway
DELETION_MIN = 5
_NEIGHBOURS_KEPT = 200_000  # words whose neighbours a screener keeps (see Screener.neighbours)


def _deletions(token: str) -> set[str]:
    """The word and each of its one-letter deletions: two words one edit apart (a letter changed, added, dropped,
    or two adjacent letters swapped: SLAEH / SALEH) share one of them (SymSpell's symmetric deletion), wherever in
    the word the edit is, where the keys of first and last letters miss an edit near either end."""
    return {token, *(token[:k] + token[k + 1:] for k in range(len(token)))}


#: What a token one or two edits from a listed token costs, as a share of its edit distance: a typo weighs less
#: than a different word, so a short name with a typo in each of two words (8 of 10 letters right in each)
#: still scores 0.88, not 0.8.
TYPO_COST = 0.6


#: The least similarity at which a token of four letters counts (one edit: YSIN / YASIN, SAMR / SAMIR); longer
#: tokens count from 0.8 (one edit in five letters), shorter ones only when equal.
SHORT_TOKEN_FLOOR = 0.75
INITIAL_SIMILARITY = 0.6  # a single letter against a word it begins (M. / MOHAMMED)


def token_floor(shorter: int) -> float:
    """The least normalised OSA similarity at which two tokens count as one with a typo, by the shorter's length:
    one edit in five letters from five letters on, one edit in a four-letter word, none below."""
    return 0.9 if shorter < 4 else SHORT_TOKEN_FLOOR if shorter < 5 else 0.8


#: How far below a similarity floor the ``score_cutoff`` given to rapidfuzz lies: below its cutoff rapidfuzz returns 0
#: without computing the distance (a length difference alone rules most pairs out), but a pair exactly at a cutoff
#: given less 1e-9 comes back as 0 too (0.8 for one edit in five letters, 0.85 for three in twenty), so the cutoff is
#: set well below each floor and the floor applied to the exact values as before
CUTOFF_MARGIN = 0.01


SHORT_WORD = 4  # letters: a word this short whose first letter changes is another word (KONY / BONY, LEI / WEI)


def short_word_starts(words: Iterable[str]) -> frozenset[int]:
    """Where each word of at most ``SHORT_WORD`` letters begins in the words' Latin letters written together (CJK
    tokens left out, as in a name's joined string)."""
    starts: set[int] = set()
    at = 0
    for w in words:
        if w.startswith("#"):
            continue
        if len(w) <= SHORT_WORD and w.isalpha():
            starts.add(at)
        at += len(w)
    return frozenset(starts)


def joined_word_starts(joined: str, slots: Sequence[Sequence[str]]) -> frozenset[int]:
    """:func:`short_word_starts` of a query's whole-name spelling ``joined``, made of one spelling of each of its
    Latin slots in order (a plain query's tokens, or a reading's syllables); empty when it cannot be so divided."""
    latin = [[a for a in slot if not a.startswith("#")] for slot in slots]
    latin = [slot for slot in latin if slot]
    found: list[str] = []
    failed: set[tuple[int, int]] = set()  # (slot, position) known not to lead to a division: tried once

    def divide(k: int, at: int) -> bool:
        if k == len(latin):
            return at == len(joined)
        if (k, at) in failed:
            return False
        for a in latin[k]:
            if a and joined.startswith(a, at):
                found.append(a)
                if divide(k + 1, at + len(a)):
                    return True
                found.pop()
        failed.add((k, at))
        return False

    return short_word_starts(found) if divide(0, 0) else frozenset()


def first_letter_changed(a: str, b: str, a_starts: frozenset[int], b_starts: frozenset[int]) -> bool:
    """Whether turning ``a`` into ``b`` (fewest edits) replaces the first letter of a short word of ``a`` by that of
    a short word of ``b`` (``*_starts``, see :func:`short_word_starts`): the pair the rule on short words refuses
    (a typo keeps a short word's first letter), which the whole letters compared together must refuse too
    (JOSEPHBONY / JOSEPHKONY is one letter off, but BONY is not KONY). Letters added or dropped at a word's start
    are left to the comparison: they are mostly words run together or apart (COAL-JALAA / AL-JALAA) or a word
    left out."""
    if not a_starts or not b_starts:
        return False
    return any(op.tag == "replace" and op.src_pos in a_starts and op.dest_pos in b_starts
               for op in Levenshtein.editops(a, b))


def digits_changed(a: str, b: str) -> bool:
    """Whether turning ``a`` into ``b`` (fewest edits) changes, adds or drops a digit of a number of three digits
    or more: a registration, hull or tail number one digit off (YV2738 / YV2734, RA-65996 / RA-65986) is another
    aircraft or vessel, not a typo, as two numbers compared word by word match only when equal. A short number
    stays a difference like any other (ZU ZAG BONG 5 / 6, sister ships a reviewer should see), and a letter typed
    for a digit a typo."""
    if not any(c.isdigit() for c in a) and not any(c.isdigit() for c in b):
        return False

    def in_number(text: str, at: int) -> bool:
        if not text[at].isdigit():
            return False
        start, end = at, at + 1
        while start > 0 and text[start - 1].isdigit():
            start -= 1
        while end < len(text) and text[end].isdigit():
            end += 1
        return end - start >= 3

    for op in Levenshtein.editops(a, b):
        if op.tag == "replace" and b[op.dest_pos].isdigit() and in_number(a, op.src_pos):
            return True
        if (op.tag == "delete" and in_number(a, op.src_pos)) or (op.tag == "insert" and in_number(b, op.dest_pos)):
            return True
    return False


def _unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of non-negative integers, by one sort of the values packed with
    their positions (a plain sort is about twice as fast as the argsort np.unique does). The packed values are
    distinct, so any sort orders them alike; the stable one (timsort) is chosen for the runs of ascending values
    callers pass (index postings, name after name): 3 to 6 times faster there than the default quicksort."""
    n = len(values)
    bits = max(1, n.bit_length())
    if n == 0 or int(values.max()) >= 1 << (62 - bits):
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.ravel()
    packed = np.sort((values.astype(np.int64) << bits) | np.arange(n, dtype=np.int64), kind="stable")
    ordered = packed >> bits
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(n, dtype=np.int64)
    inverse[packed & ((1 << bits) - 1)] = np.cumsum(new) - 1
    return ordered[new], inverse


def _same_start(a: str, b: str) -> bool:
    """Whether two words begin alike: the same first letter, or the first two letters swapped."""
    return a[0] == b[0] or (a[:2] == b[1::-1] and a[2:3] == b[2:3])


def _extended(a: str, b: str) -> bool:
    """Whether one word is the other with a vowel added at its end (SAAD / SAADI, SAADE; IVAN / IVANA; OMAR /
    OMARI): where the shorter is a name itself, the ending that makes a nisba or a feminine form, another name
    rather than a typo (where it is no name, DAQO for DAQOU, the vowel was dropped). A doubled last letter (ODEH /
    ODEHH) is a typo."""
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return len(long) == len(short) + 1 and long.startswith(short) and long[-1] in "aeiouy" and long[-1] != short[-1]


def _acronym_keys(tokens: Sequence[str]) -> set[str]:
    """Index keys of a name's initials (^pla for people's liberation army): three to six words, not counting
    and/of/the, so that an acronym finds the name it abbreviates."""
    words = [t for t in tokens if t not in _ACRONYM_SKIPPED and not t.startswith("#") and t[:1].isalpha()]
    return {"^" + "".join(w[0] for w in words)} if 3 <= len(words) <= 6 else set()


@functools.lru_cache(maxsize=4096)
def _names_country(word: str) -> bool:
    """Whether a word of four letters or more is a country's name (CHILE, MEXICO, SCHWEIZ; shorter words may be
    codes or words of names: RUS)."""
    from pinchpoint.kernel.countries import from_name

    return len(word) >= 4 and word.isalpha() and from_name(word) is not None


def _sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a.startswith("#") or b.startswith("#"):
        return 0.0
    if len(a) == 1 or len(b) == 1:
        return INITIAL_SIMILARITY if (a[0] == b[0]) else 0.0
    if a.isdigit() and b.isdigit():  # see digits_changed: another number is another entity
        return 0.0
    s = OSA.normalized_similarity(a, b)
    return 1 - TYPO_COST * (1 - s) if s >= token_floor(min(len(a), len(b))) - 1e-9 else 0.0


@dataclass(frozen=True)
class _Tokens:
    """Token strings with the per-token facts the similarity rules need, as arrays."""

    text: np.ndarray  # of str objects, so a subset is one fancy-indexing step
    length: np.ndarray
    first: np.ndarray
    cjk: np.ndarray
    digits: np.ndarray  # a number (all digits): matches another only exactly

    @classmethod
    def of(cls, tokens: Sequence[str]) -> _Tokens:
        text = np.empty(len(tokens), dtype=object)
        text[:] = list(tokens)
        return cls(text, np.array([len(t) for t in tokens], dtype=np.int64),
                   np.array([t[:1] for t in tokens], dtype="<U1"), np.array([t.startswith("#") for t in tokens]),
                   np.array([t.isdigit() for t in tokens], dtype=bool))

    def take(self, ids: np.ndarray) -> _Tokens:
        return _Tokens(self.text[ids], self.length[ids], self.first[ids], self.cjk[ids], self.digits[ids])


def _similarity_matrix(query: _Tokens, vocab: _Tokens, ids: np.ndarray | None = None) -> np.ndarray:
    """``_sim`` for every (query token, vocabulary token) pair (of the vocabulary tokens ``ids``, when given), with
    rapidfuzz's vectorised OSA distance.

    Computed as the rules of ``_sim`` read, on the rows and columns each rule concerns: a pair with a token under 4
    letters matches only exactly (the 0.9 floor: d / max(len) <= 0.1 with d >= |len difference| leaves d = 0 for
    a token of 3 letters or fewer), one of 4 letters from ``SHORT_TOKEN_FLOOR`` (one edit); a single letter
    matches a word it begins (0.6); CJK tokens match only exactly; an exact pair is 1 whatever the rules (the typo
    cost leaves 1 as 1 and lowers everything else)."""
    from rapidfuzz.process import cdist

    text = vocab.text if ids is None else vocab.text[ids]
    if not len(query.text) or not len(text):
        return np.zeros((len(query.text), len(text)))
    raw = cdist(query.text.tolist(), text.tolist(), scorer=OSA.normalized_similarity, dtype=np.float64, workers=1)
    sim = np.zeros_like(raw)
    # the few pairs at the four-letter floor or above (less a rounding margin: 8 letters of 10 come out as 0.7999...)
    near = np.flatnonzero(raw >= SHORT_TOKEN_FLOOR - 1e-9)
    v_len = vocab.length if ids is None else vocab.length[ids]
    v_cjk = vocab.cjk if ids is None else vocab.cjk[ids]
    v_digits = vocab.digits if ids is None else vocab.digits[ids]
    if len(near):
        row, col = np.divmod(near, raw.shape[1])
        value = raw.ravel()[near]
        shorter = np.minimum(query.length[row], v_len[col])
        floor = np.where(shorter >= 5, 0.8, SHORT_TOKEN_FLOOR)  # see token_floor
        kept = (value == 1.0) | ((shorter >= 4) & (value >= floor - 1e-9) & ~query.cjk[row] & ~v_cjk[col] &
                                 ~(query.digits[row] & v_digits[col]))
        sim.ravel()[near[kept]] = 1 - TYPO_COST * (1 - value[kept])  # 1 stays 1
    single_rows = np.flatnonzero((query.length == 1) & ~query.cjk)
    single_cols = np.flatnonzero((v_len == 1) & ~v_cjk)
    if len(single_rows) or len(single_cols):
        v_first = vocab.first if ids is None else vocab.first[ids]
        if len(single_rows):
            sim[single_rows] = np.maximum(sim[single_rows], 0.6 * ((query.first[single_rows, None] == v_first[None, :])
                                                                   & ~v_cjk[None, :]))
        if len(single_cols):
            sim[:, single_cols] = np.maximum(sim[:, single_cols], 0.6 * ((query.first[:, None] ==
                                                                          v_first[None, single_cols])
                                                                         & ~query.cjk[:, None]))
    return sim


@dataclass(frozen=True)
class QueryName:
    """A query as the matcher sees it: slots (one per token), each with one or more spellings, any of which may
    match a listed token; whole-name spellings for joined or split words; legal forms; and, for a name read from
    another script, that script (its matches are scaled by ``READING_FACTOR``)."""

    slots: tuple[tuple[str, ...], ...]
    forms: tuple[str, ...]
    joined: tuple[str, ...]
    reading: str | None = None
    exact: bool = False  # spellings match only exactly (readings that enumerate every spelling)

    @classmethod
    def of_tokens(cls, tokens: Sequence[str], forms: Sequence[str]) -> QueryName:
        latin = "".join(t for t in tokens if not t.startswith("#"))
        return cls(tuple((t,) for t in tokens), tuple(forms), (latin,) if latin else ())

    @property
    def cjk(self) -> bool:
        return any(a.startswith("#") for slot in self.slots for a in slot)


JOINED_FLOOR = 0.85  # the least similarity of two names' letters written together that counts
READING_FACTOR = 0.95  # a spelling read from another script is a guess among several: never a certain match
SKELETON_FACTOR = 0.9  # consonants alone leave more names alike than a full spelling
# consonants in broad classes leave more names alike still (约瑟夫·拜登, Joseph Biden: s-f b-t-n, as SAYF AL-BAYDANI)
COARSE_FACTOR = 0.85
SUBSTITUTION_FACTOR = 0.9  # a distinctive word on each side that matches nothing on the other
GENERIC_ONLY_FACTOR = 0.8  # the words in common are all common words, and the names are not the same
FORM_FOR_PERSON_FACTOR = 0.85  # a query with a legal form names an organisation, not a listed person
ACRONYM_FACTOR = 0.9  # a word read as the initials of a run of words of the other name
GLUED_FACTOR = 0.95  # a word split where the query ran two together (ITQANCOMPANY): a guess at the boundary
#: A listed organisation's whole name with only a unit designation and/or places added ("BANK MELLI IRAN" in "Bank
#: Melli Iran London Branch"; see Screener._unit_containment): times the share of the listed name matched
UNIT_SCORE = 0.9
VOWEL_LETTER_FACTOR = 0.85  # a long vowel the query writes (ي, و) and the listed spelling lacks: another name


def _extra_tokens(q_tokens: Sequence[str], q_forms: Sequence[str], name: _Name) -> tuple[int, bool]:
    """How many tokens and legal forms of a listed name the query lacks, and whether the name is exactly the
    query's (same tokens, same legal forms): only orders matches of equal score, never changes a score."""
    extra = sum((Counter(name.tokens) - Counter(q_tokens)).values()) + len(set(name.forms) - set(q_forms))
    exact = Counter(name.tokens) == Counter(q_tokens) and set(name.forms) == set(q_forms)
    return extra, exact


#: What a birth date both sides state adds when it agrees, as a share of the score's distance to 1 (the score stays
#: below 1): the same full date 0.10 (few people share one), the same year only 0.05. A date that disagrees lowers
#: the score instead (another year x0.85; the same year but another day x0.95). See :func:`score_floor`.
BIRTH_DATE_RAISE = 0.10
BIRTH_YEAR_RAISE = 0.05
GENDER_FACTOR = 0.85  # a stated gender the listed person's differs from


def score_floor(threshold: float, birth_date: str | None) -> float:
    """The least score before :func:`_refine` that can reach ``threshold`` after it: a stated birth date that agrees
    can raise a score by :data:`BIRTH_DATE_RAISE` of its distance to 1; nothing else raises one."""
    if not birth_date:
        return threshold
    return max(0.0, (threshold - BIRTH_DATE_RAISE) / (1 - BIRTH_DATE_RAISE))


_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([A-Za-z]{3})[A-Za-z]*\.? (\d{4})")


@functools.lru_cache(maxsize=65_536)
def listed_day(listed: str) -> str | None:
    """A listed birth date as ``YYYY-MM-DD`` when it names a day: ISO as the UN and the CSL write it, ``10 Jul 1969``
    as OFAC's remarks do (so a stated full date is compared with OFAC's days too, not only their years)."""
    text = listed.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
        return text[:10]
    found = _DAY_MONTH_YEAR.fullmatch(text)
    if found and found.group(2).lower() in _MONTHS and 1 <= int(found.group(1)) <= 31:
        return f"{found.group(3)}-{_MONTHS[found.group(2).lower()]:02d}-{int(found.group(1)):02d}"
    return None


def _refine(score: float, why: dict[str, Any], entity: ListedEntity, country: str | None, entity_type: str | None,
            birth_date: str | None, gender: str | None = None) -> float:
    """Country, type, birth date and gender, when the query states them and the listed entity does too: one that
    disagrees lowers the score; a birth date that agrees raises it slightly (:data:`BIRTH_DATE_RAISE`). One the
    listed record states nothing for is said (``not_compared``), so a reviewer knows the score did not weigh it."""
    unstated = [label for label, stated, listed in (
        ("country", country, entity.countries), ("type", entity_type, entity.type is not EntityType.UNKNOWN),
        ("gender", gender, entity.gender), ("birth date", birth_date, entity.birth_dates)) if stated and not listed]
    if unstated:
        why["not_compared"] = [f"{label}: the listed record states none" for label in unstated]
    if country and entity.countries and country.upper() not in entity.countries:
        score *= 0.9
        why["penalties"].append(f"country {country.upper()} not among {', '.join(entity.countries)}: x0.9")
    if entity_type and entity.type is not EntityType.UNKNOWN and entity.type.value != entity_type:
        score *= 0.85
        why["penalties"].append(f"type {entity_type} but listed as {entity.type.value}: x0.85")
    if gender and entity.gender and entity.gender != gender:
        score *= GENDER_FACTOR
        why["penalties"].append(f"gender {gender}, listed {entity.gender}: x{GENDER_FACTOR}")
    if birth_date and entity.birth_dates:
        stated = birth_date.strip()
        year = stated[:4]
        same_year = [d for d in entity.birth_dates if year in d]
        full = [day for d in same_year if (day := listed_day(d))]
        if not same_year:
            score *= 0.85
            why["penalties"].append(f"born {year}, listed {', '.join(entity.birth_dates)}: x0.85")
        elif len(stated) == 10 and stated in full:
            score += (1 - score) * BIRTH_DATE_RAISE
            why.setdefault("raises", []).append(f"born {stated}, as listed: +{BIRTH_DATE_RAISE:g} of the rest")
        elif len(stated) == 10 and full and len(full) == len(same_year):
            score *= 0.95  # the same year, but every full date listed for it is another day
            why["penalties"].append(f"born {stated}, listed {', '.join(full)}: x0.95")
        else:
            score += (1 - score) * BIRTH_YEAR_RAISE
            why.setdefault("raises", []).append(f"born {year}, as listed: +{BIRTH_YEAR_RAISE:g} of the rest")
    return score


@dataclass
class SkeletonIndex:
    """Consonant skeletons of every listed name, indexed by skeleton token and by the whole joined skeleton."""

    skeletons: list[Skeleton]
    index: dict[str, np.ndarray]
    idf: dict[str, float]
    default_idf: float
    vocab: list[str]
    rows: np.ndarray  # every name as a padded row of skeleton-token ids (-1: padding)
    joined: list[str]
    #: consonants in the broad classes a foreign name written in Chinese is compared by (scripts.coarse_skeleton),
    #: where no vowel letter is written to check
    coarse: bool = False

    @property
    def factor(self) -> float:
        return COARSE_FACTOR if self.coarse else SKELETON_FACTOR

    @staticmethod
    def coarse_of(tokens: Sequence[str]) -> Skeleton:
        keys = [k for k in (coarse_skeleton(t) for t in tokens if not t.startswith("#")) if k]
        return Skeleton(tuple(keys), tuple(("",) * (len(k) + 1) for k in keys))

    @staticmethod
    def skeleton_of(text: str, tokens: Sequence[str]) -> Skeleton:
        abjad = is_abjad(text)
        parts = [p for p in (skeleton_parts(t, abjad=abjad) for t in tokens if not t.startswith("#")) if p[0]]
        return Skeleton(tuple(p[0] for p in parts), tuple(p[1] for p in parts))

    @classmethod
    def build(cls, names: Sequence[_Name], coarse: bool = False) -> SkeletonIndex:
        skeletons = [cls.coarse_of(n.tokens) if coarse else cls.skeleton_of(n.text, n.tokens) for n in names]
        index: dict[str, list[int]] = defaultdict(list)
        df: dict[str, int] = defaultdict(int)
        for i, tokens in enumerate(sk.tokens for sk in skeletons):
            for t in set(tokens):
                df[t] += 1
            for key in {*tokens, "=" + "".join(tokens)} if tokens else ():
                index[key].append(i)
        total = len(names) or 1
        vocab = list(df)
        token_id = {t: k for k, t in enumerate(vocab)}
        rows = np.full((len(names), max((len(sk.tokens) for sk in skeletons), default=1) or 1), -1, dtype=np.int64)
        for r, skeleton in enumerate(skeletons):
            rows[r, : len(skeleton.tokens)] = [token_id[t] for t in skeleton.tokens]
        return cls(skeletons, {k: np.array(v, dtype=np.int64) for k, v in index.items()},
                   {t: math.log(1 + total / c) for t, c in df.items()}, math.log(1 + total), vocab, rows,
                   ["".join(sk.tokens) for sk in skeletons], coarse)

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.default_idf)

    def candidates(self, skeleton: Skeleton, keep: int = 200) -> np.ndarray:
        query = skeleton.tokens
        found = [(self.index[key], self.weight(key) if key[0] != "=" else self.default_idf)
                 for key in {*query, "=" + "".join(query)} if key in self.index]
        if not found:
            return np.zeros(0, dtype=np.int64)
        voted, slot = _unique_inverse(np.concatenate([f for f, _ in found]))
        votes = np.bincount(slot, weights=np.repeat([w for _, w in found], [len(f) for f, _ in found]))
        return voted[np.argsort(-votes, kind="stable")[:keep]] if len(voted) > keep else voted

    def __post_init__(self) -> None:
        # arrays for vectorised scoring
        self.vocab_text = np.array([*self.vocab, ""], dtype=object)[:-1]
        self.vocab_len = np.array([len(v) for v in self.vocab], dtype=np.int64)
        self.vocab_weight = np.array([*(self.idf[v] for v in self.vocab), 0.0])
        self.joined_text = np.array([*self.joined, ""], dtype=object)[:-1]
        self.row_len = (self.rows >= 0).sum(axis=1)

    def fast_scores(self, skeleton: Skeleton, cand: np.ndarray) -> np.ndarray:
        """The scores of :meth:`compare` for many candidates at once, before the vowel-letter check (which only
        lowers a score)."""
        from rapidfuzz.process import cdist

        query = skeleton.tokens
        # the candidates' rows without the padding none of them reaches (rows are padded to the longest name, 52
        # tokens, where most have 3): trailing padding weighs 0 and matches nothing
        rows = self.rows[cand, :max(1, int(self.row_len[cand].max(initial=0)))]
        ids = np.unique(rows[rows >= 0])
        # (below the cutoff rapidfuzz returns 0 without computing the distance; only 0.75 and more count below)
        sim = cdist(list(query), self.vocab_text[ids].tolist(), scorer=OSA.normalized_similarity, dtype=np.float64,
                    workers=1, score_cutoff=0.75 - CUTOFF_MARGIN)
        q_len = np.array([len(q) for q in query])[:, None]
        long_enough = np.minimum(q_len, self.vocab_len[ids][None, :]) >= 4
        sim = np.where(sim == 1.0, 1.0, np.where(long_enough & (sim >= 0.75 - 1e-9), sim, 0.0))
        sim = np.concatenate([sim, np.zeros((len(query), 1))], axis=1)
        local = np.where(rows >= 0, np.searchsorted(ids, np.where(rows >= 0, rows, 0)), len(ids))
        w_q = np.array([self.weight(q) for q in query])
        best = np.zeros((len(query), len(cand)))  # each query token's best match per name, gathered sparsely
        names_hit, places = np.nonzero(np.asarray((sim > 0).any(axis=0))[local])
        if len(names_hit):
            found, starts = np.unique(names_hit, return_index=True)
            best[:, found] = np.maximum.reduceat(sim[:, local[names_hit, places]], starts, axis=1)
        precision = (w_q[:, None] * best).sum(axis=0) / w_q.sum()
        weights = self.vocab_weight[np.where(rows >= 0, rows, len(self.vocab))]
        recall = (weights * sim.max(axis=0)[local]).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)
        total = precision + recall
        score = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1.0), 0.0)
        # see compare: only across differing word counts, and long enough to say something
        split = self.row_len[cand] != len(query)
        if len("".join(query)) >= 5 and split.any():
            joined = cdist(["".join(query)], self.joined_text[cand[split]].tolist(),
                           scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1,
                           score_cutoff=0.85 - CUTOFF_MARGIN)[0]
            score[split] = np.maximum(score[split], np.where(joined >= 0.85, joined * 0.95, 0.0))
        return np.asarray(score * self.factor, dtype=np.float64)

    def score(self, query: Skeleton, i: int) -> tuple[float, dict[str, Any]]:
        return self.compare(query, self.skeletons[i])

    def compare(self, skeleton: Skeleton, listed_skeleton: Skeleton) -> tuple[float, dict[str, Any]]:
        query, listed = skeleton.tokens, listed_skeleton.tokens
        if not query or not listed:
            return 0.0, {}

        def sim(a: str, b: str) -> float:
            if a == b:
                return 1.0
            s = OSA.normalized_similarity(a, b) if min(len(a), len(b)) >= 4 else 0.0
            return s if s >= 0.75 - 1e-9 else 0.0

        sims = [[sim(q, c) for c in listed] for q in query]
        best = [max(range(len(listed)), key=row.__getitem__) for row in sims]
        w_q = [self.weight(q) for q in query]
        w_c = [self.weight(c) for c in listed]
        precision = sum(max(row) * w for row, w in zip(sims, w_q, strict=True)) / sum(w_q)
        recall = sum(max(sims[i][j] for i in range(len(query))) * w_c[j] for j in range(len(listed))) / sum(w_c)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        # whole skeletons compared only for words written apart in one script and together in the other (عبد الرحمن
        # / Abdelrahman), and long enough to say something: consonants run together across words would make صدام
        # حسين (sdm hsn) of Asadi Mohsen
        joined = 0.0
        if len(query) != len(listed) and len("".join(query)) >= 5:
            joined = Levenshtein.normalized_similarity("".join(query), "".join(listed))
        joined = joined * 0.95 if joined >= 0.85 else 0.0
        score = max(f1, joined) * self.factor
        penalties = [f"consonant skeleton only{' (broad classes)' if self.coarse else ''}: x{self.factor}"]
        disagree = [] if self.coarse else [
            f"{q} ({listed[j]})" for i, (q, j) in enumerate(zip(query, best, strict=True))
            if sims[i][j] == 1.0 and vowel_letters_disagree(skeleton.gaps[i], listed_skeleton.gaps[j])]
        if disagree:
            score *= VOWEL_LETTER_FACTOR ** min(len(disagree), 2)
            penalties.append(f"vowel letters the query writes disagree with the spelling in {', '.join(disagree)}: "
                             f"x{VOWEL_LETTER_FACTOR} each")
        method = ("consonant skeleton in broad classes (a foreign name written by sound in Chinese characters)"
                  if self.coarse
                  else "consonant skeleton (the query's script writes few vowels)")
        return score, {"method": method,
                       "pairs": [(q, listed[j] if sims[i][j] else "", round(sims[i][j], 3))
                                 for i, (q, j) in enumerate(zip(query, best, strict=True))],
                       "query_skeleton": " ".join(query), "listed_skeleton": " ".join(listed),
                       "precision": round(precision, 3), "recall": round(recall, 3),
                       "joined_similarity": round(joined, 3), "penalties": penalties}


def readable_reason(why: dict[str, Any], listed_tokens: Sequence[str], listed_forms: Sequence[str]) -> str:
    """One sentence from a match's explanation, for a reviewer: which words match (and how), which the query
    or the listed name adds, legal forms, readings and penalties. ("all 3 words match; the listed name adds
    LLC")."""
    parts: list[str] = []
    if why.get("method", "").startswith("consonant skeleton"):
        pairs = why.get("pairs", [])
        matched = [p for p in pairs if p[1]]
        parts.append(f"consonant skeleton {why.get('query_skeleton', '')!r} against {why.get('listed_skeleton', '')!r}"
                     f": {len(matched)} of {len(pairs)} consonant groups match")
    else:
        pairs = [p for p in why.get("pairs", []) if not str(p[0]).startswith("#")]
        cjk = [p for p in why.get("pairs", []) if str(p[0]).startswith("#")]
        exact = [p for p in pairs if p[2] == 1.0]
        close = [p for p in pairs if 0 < p[2] < 1.0]
        missing = [p for p in pairs if not p[1]]
        words = "word" if len(pairs) == 1 else "words"
        unit = why.get("unit")
        if unit:  # a listed organisation's whole name and a unit of it: what the query adds is the point
            kinds = " and ".join(k for k, v in (("a place", unit.get("places")), ("a unit designation",
                                                                                 unit.get("units"))) if v)
            parts.append(f"the listed name in full, plus {unit.get('added', '')!r} ({kinds})")
            pairs = exact = missing = []  # said above
        if pairs and len(exact) == len(pairs):
            parts.append(f"all {len(pairs)} {words} match")
        elif pairs:
            parts.append(f"{len(exact)} of {len(pairs)} {words} match exactly")
        if close:
            parts.append("close: " + ", ".join(
                f"{q}~{c}" + (" (initial)" if min(len(q), len(c)) == 1 else f" ({p:.2f})") for q, c, p, _ in close))
        if missing:
            parts.append("the query adds " + ", ".join(str(p[0]) for p in missing))
        if cjk:
            parts.append(f"{sum(1 for p in cjk if p[1])} of {len(cjk)} character pairs match")
        covered = Counter(str(p[1]) for p in why.get("pairs", []) if p[1])
        extra = [t for t in listed_tokens if not t.startswith("#") and not covered.pop(t, 0)]
        if extra:
            parts.append("the listed name adds " + ", ".join(extra))
        precision, recall = float(why.get("precision", 0)), float(why.get("recall", 0))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if float(why.get("joined_similarity", 0)) > f1:
            parts.append(f"the letters written together match ({why['joined_similarity']:.2f})")
    forms = why.get("legal_forms") or {}
    q_forms, l_forms = set(forms.get("query", [])), set(forms.get("listed", listed_forms))
    if q_forms and l_forms and q_forms & l_forms:
        parts.append(f"same legal form ({', '.join(sorted(q_forms & l_forms)).upper()})")
    elif l_forms and not q_forms:
        parts.append(f"the listed name adds {', '.join(sorted(l_forms)).upper()}")
    elif q_forms and not l_forms:
        parts.append(f"the query adds {', '.join(sorted(q_forms)).upper()}")
    parts += [str(p) for p in why.get("penalties", [])]
    parts += [f"{p.split(':')[0]} not compared (none listed)" for p in why.get("not_compared", [])]
    return "; ".join(parts)


#: A patronymic (Russian, Ukrainian, Belarusian, Serbian forms as romanised): a word lists give and customers leave out
_PATRONYMIC = re.compile(r"(?:ov|ev|iev|yev)(?:ich|ych|itch|na)$")
_NASAB = frozenset({"bin", "ibn", "bint"})  # "son of", "daughter of" in a romanised Arabic name
LEFT_OUT_WEIGHT = 0.5  # what a middle name or patronymic the shorter of two person names lacks weighs


_ACRONYM_SKIPPED = frozenset({"and", "of", "the", "for", "de", "du", "la", "des", "del"})


def _initials_run(words: Sequence[str], acronym: str) -> tuple[int, int] | None:
    """(start, end) of a run of ``words`` whose initials, leaving out and/of/the, spell ``acronym``."""
    for start in range(len(words)):
        k, end = 0, start
        while end < len(words) and k < len(acronym):
            w = words[end]
            if w in _ACRONYM_SKIPPED and k > 0:
                end += 1
                continue
            if not w or w[0] != acronym[k] or w.startswith("#"):
                break
            k += 1
            end += 1
        if k == len(acronym) and end - start >= len(acronym):
            return start, end
    return None


def _check_threshold(threshold: float) -> None:
    if not 0 <= threshold <= 1:  # NaN fails too: it would compare false with every score and hide every match
        raise ValueError(f"threshold {threshold} is not a number from 0 to 1")


def check_list_names(names: Sequence[str] | None, known: Sequence[str]) -> None:
    """An unknown list name is an error naming the closest loaded list, never a silent empty result."""
    import difflib

    for name in names or ():
        if name not in known:
            close = [k for k in known if name.strip().casefold() in k.casefold()] or \
                difflib.get_close_matches(name, known, n=1, cutoff=0.4)
            hint = f"did you mean {close[0]!r}? " if close and name.strip() else ""
            raise NotFoundError(f"no list {name!r} is loaded; {hint}loaded: {', '.join(known) or 'none'}",
                                suggestions=close[:1] if name.strip() else [], what="restricted-party list",
                                value=name)


@dataclass
class _Plan:
    """One query of :meth:`Screener.screen_queries` between finding its candidates and explaining them."""

    query: str
    text: str
    threshold: float
    floor: float
    country: str | None
    entity_type: str | None
    lists: Sequence[str] | None
    limit: int
    birth_date: str | None
    gender: str | None
    screenable: bool = True
    tokens: tuple[str, ...] = ()
    only: set[int] | None = None  # a query of generic words only: the listed names of exactly its words
    readings: list[QueryName] = dataclasses.field(default_factory=list)
    # readings with candidates
    items: list[tuple[QueryName, Sequence[int] | np.ndarray]] = dataclasses.field(default_factory=list)


def _merge_readings(written: list[dict[str, Any]], other: list[dict[str, Any]], query: str, read_as: str, why: str,
                    limit: int) -> list[dict[str, Any]]:
    """A query's matches as written and as another text of it (:func:`query_texts`): each entity once, at its
    better score; a match found through the other text says so (``why``) in its reason and explanation."""
    best: dict[tuple[str, str], dict[str, Any]] = {(m["list"], m["entity_id"]): m for m in written}
    for m in other:
        key = (m["list"], m["entity_id"])
        if key not in best or m["score"] > best[key]["score"]:
            explanation = {**m["explanation"], "read_as": read_as, "read_as_why": why}
            best[key] = {**m, "query": query, "explanation": explanation,
                         "reason": f"{m['reason']} ({why})" if m.get("reason") else why}
    return sorted(best.values(), key=lambda m: -m["score"])[:limit]  # stable: each side's own ranking kept


def _screen_span(screener: Screener, queries: Sequence[str], options: Sequence[dict[str, Any]], start: int,
                 stop: int) -> list[list[dict[str, Any]]]:
    return screener.screen_queries(queries[start:stop], options[start:stop])


#: :attr:`Screener.origin`: how a screener's index came to be (here, not in index_store, so that delta and
#: index_store, which reads delta's fingerprints, need not import each other)
BUILT = "built from the lists"
LOADED = "loaded from the workspace (built when the lists were stored)"


class Screener:
    """Build once from lists; ``screen`` many queries."""

    #: how this screener's index came to be: built from the lists, or loaded from the workspace's stored index
    #: (:mod:`pinchpoint.screening.index_store`, which says why it built one instead)
    origin: str = BUILT

    def __init__(self, lists: Iterable[ScreeningList]) -> None:
        self.lists = list(lists)
        self._build([e for lst in self.lists for e in lst.entities], None)

    def restricted(self, keys: Iterable[tuple[str, str]]) -> Screener:
        """A screener over only the entities ``keys`` names ((list name, entity id)) that scores exactly as this
        one does: the word weights (IDF), common words and generic names are those of all the lists, so a name's
        score against one of these entities is the one a screening of every list gives. It may find more: a
        screening of every list scores only the best-voted candidates of a query, this one all of its own.
        Delta re-screening (:mod:`pinchpoint.screening.delta`) screens stored names against what changed with it."""
        wanted = set(keys)
        sub = Screener.__new__(Screener)
        sub.lists = self.lists
        sub._build([e for e in self.entities if (e.list_name, e.entity_id) in wanted], self)
        return sub

    def _build(self, entities: list[ListedEntity], weights_from: Screener | None) -> None:
        self.entities = entities
        self._weights_from = weights_from
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
            for key in {k for t in name.tokens for k in _keys(t)} | _acronym_keys(name.tokens):
                index[key].append(i)
        total = len(self.names) or 1
        if weights_from is None:
            self.idf = {t: math.log(1 + total / c) for t, c in df.items()}
            self.default_idf = math.log(1 + total)
        else:
            self.idf, self.default_idf = weights_from.idf, weights_from.default_idf
        self.index = {k: np.array(v, dtype=np.int64) for k, v in index.items()}
        # listed words of four letters or more by their one-letter deletions (see _deletions, Screener.neighbours)
        deletions: dict[str, list[str]] = defaultdict(list)
        for t in df:
            if len(t) >= DELETION_MIN - 1 and t.isalpha():
                for key in _deletions(t) if len(t) >= DELETION_MIN else (t,):
                    deletions[key].append(t)
        self._deletion_index = dict(deletions)
        self._neighbours: dict[str, tuple[str, ...]] = {}
        self._postings: dict[str, tuple[np.ndarray, ...]] = {}  # see Screener.postings
        # Arrays for vectorised scoring: every name's global token ids, flat, name after name (most names have 3
        # tokens, a few CJK names 50), so scoring gathers only the candidates' own tokens.
        self.vocab = list(df)
        token_id = {t: k for k, t in enumerate(self.vocab)}
        self.vocab_weight = np.array([self.idf[t] for t in self.vocab] + [0.0])
        self.token_count = np.array([len(nm.tokens) for nm in self.names], dtype=np.int64)
        self.token_start = np.concatenate([[0], np.cumsum(self.token_count)[:-1]]).astype(np.int64)
        self.token_flat = np.array([token_id[t] for nm in self.names for t in nm.tokens], dtype=np.int64)
        self.name_weight = (np.add.reduceat(self.vocab_weight[self.token_flat], self.token_start) if self.names
                            else np.zeros(0))
        self.vocab_tokens = _Tokens.of(self.vocab)
        self.name_cjk = np.array([any(t.startswith("#") for t in nm.tokens) for nm in self.names])
        self.name_joined = ["".join(t for t in nm.tokens if not t.startswith("#")) for nm in self.names]
        self.name_joined_len = np.array([len(j) for j in self.name_joined])
        self._joined_array = np.array(self.name_joined + [""], dtype=object)[:-1]  # fancy-indexable
        self._skeleton_index: SkeletonIndex | None = None  # built on the first abjad query
        self._coarse_index: SkeletonIndex | None = None  # built on the first foreign name in Chinese characters
        self._entity_index: dict[tuple[str, str], ListedEntity] | None = None
        self._splits: dict[str, list[str] | None] = {}  # split_glued's parts of a word, by word
        self._initials_index: dict[str, np.ndarray] | None = None  # built on the first query that may be an acronym
        #: reads one of the indexes above ("skeleton", "coarse", "initials") from a stored index instead of building
        #: it (set by :func:`pinchpoint.screening.index_store.unpack`)
        self._stored: Callable[[str], Any] | None = None
        self._anchors: dict[tuple[tuple[str, ...], tuple[str, ...], EntityType], tuple[str, ...]] = {}
        self.name_person = np.array([self.entities[nm.entity].type is EntityType.PERSON for nm in self.names],
                                    dtype=bool)
        self.name_initials = np.array(["".join(t[0] for t in nm.tokens if t not in _ACRONYM_SKIPPED and
                                               t[:1].isalpha() and not t.startswith("#")) for nm in self.names] + [""],
                                      dtype=object)[:-1]
        # a word in the names of more than 3 in 1,000 listed entities is common (ali, mohammad, bank, korea,
        # electronics): counted by entity, so a name with many aliases (AL-AQSA) does not make its words common
        by_entity: dict[str, set[int]] = defaultdict(set)
        for nm in self.names:
            for t in nm.tokens:
                by_entity[t].add(nm.entity)
        least = max(30, int(0.003 * len(self.entities)))
        self.common_words: frozenset[str] = (weights_from.common_words if weights_from is not None else
                             frozenset(t for t, owners in by_entity.items() if len(owners) >= least))
        self.vocab_common = np.array([self.is_common(t) for t in self.vocab] + [False], dtype=bool)
        # Listed names with no distinctive token (GENERAL TECHNOLOGY LIMITED, G-9): a query of such words is
        # matched only against names of exactly its tokens
        generic: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, nm in enumerate(self.names):
            if not has_distinctive_token(nm.tokens):
                generic[tuple(sorted(nm.tokens))].append(i)
        self.generic_names = dict(generic)
        #: generic token sets some listed name has (of all the lists): a query of such words is screenable
        self.generic_keys: frozenset[tuple[str, ...]] = (weights_from.generic_keys if weights_from is not None
                             else frozenset(self.generic_names))
        # Names a query may name a unit of ("BANK MELLI IRAN" in "Bank Melli Iran London Branch"; see
        # _unit_containment), by their anchors: the words that make them more than generic words or a place
        self.name_unit = np.array([bool(self.unit_anchors(nm)) for nm in self.names], dtype=bool)
        self._anchors.clear()  # filled again by the names scored (a stored index is loaded with it empty)
        self.name_required = np.array([sum(t not in LINK_WORDS for t in nm.tokens) for nm in self.names],
                                      dtype=np.int64)
        #: the rarest word of each such name but linking words, which a query naming a unit of it holds (the
        #: delta's prefilter passes only rows with one of these)
        self.unit_key_words: frozenset[str] = frozenset(
            max((t for t in nm.tokens if t not in LINK_WORDS), key=self.weight)
            for nm, ok in zip(self.names, self.name_unit.tolist(), strict=True) if ok)
        self.vocab_link = np.array([t in LINK_WORDS for t in self.vocab] + [False], dtype=bool)

    def stored_part(self, part: str) -> Any:
        """What a stored index holds beside the index itself (``"fingerprints"``: each entity's record
        fingerprint, in the order of ``entities``), None when this screener was not loaded from one."""
        return self._stored(part) if self._stored is not None else None

    def initials_index(self) -> dict[str, np.ndarray]:
        """Every run of 3 to 6 letters of an organisation's name's initials (see ``name_initials``), with the names
        (ids, ascending) whose initials hold it: the names a query word may be an acronym of. Built on first use."""
        if self._initials_index is None and self._stored is not None:
            self._initials_index = self._stored("initials")
        if self._initials_index is None:
            runs: dict[str, list[int]] = defaultdict(list)
            for i in np.flatnonzero(~self.name_person).tolist():
                initials = self.name_initials[i]
                for run in {initials[a:a + n] for n in range(3, 7) for a in range(len(initials) - n + 1)}:
                    runs[run].append(i)
            self._initials_index = {run: np.array(ids, dtype=np.int64) for run, ids in runs.items()}
        return self._initials_index

    def entity_index(self) -> dict[tuple[str, str], ListedEntity]:
        """Every entity by (list name, entity id)."""
        if self._entity_index is None:
            self._entity_index = {(e.list_name, e.entity_id): e for e in self.entities}
        return self._entity_index

    def list_digests(self) -> dict[str, str]:
        """Each list's version and a digest of what the matcher reads from it (ids, names, type, countries, birth
        dates): a batch resumes only against the same lists."""
        out = {}
        for lst in self.lists:
            h = hashlib.sha256()
            for e in lst.entities:
                h.update("\x1f".join([e.entity_id, e.type.value, *(f"{n.kind.value}:{n.text}" for n in e.names),
                                      *e.countries, *e.birth_dates]).encode("utf-8", "surrogatepass") + b"\x1e")
            out[lst.list_name] = f"{lst.version} ({h.hexdigest()[:12]})"
        return out

    def check_options(self, *, country: str | None = None, entity_type: str | None = None,
                      lists: Sequence[str] | None = None, birth_date: str | None = None,
                      threshold: float = 0.8, gender: str | None = None) -> None:
        """Options a query states, checked before screening: an unknown list or country is a ``KeyError`` naming
        the closest known one, a malformed type or birth date a ``ValueError`` (never a silent empty result or
        a penalty on every entity)."""
        import difflib
        import re

        check_list_names(lists, [lst.list_name for lst in self.lists])
        _check_threshold(threshold)
        if country is not None:
            from pinchpoint.kernel.countries import closest_countries, is_country_code, unknown_country_message

            code = country.strip().upper()
            if not (is_country_code(code) or any(code in e.countries for e in self.entities)):
                raise NotFoundError(unknown_country_message(country), suggestions=closest_countries(country),
                                    what="country", value=country, field="country")
        types = [t.value for t in EntityType if t is not EntityType.UNKNOWN]
        if entity_type is not None and entity_type not in types:
            close = difflib.get_close_matches(entity_type, types, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise KeyError(f"unknown type {entity_type!r}; {hint}types: {', '.join(types)}")
        if birth_date is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", birth_date.strip()):
            raise ValueError(f"birth date {birth_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        if gender is not None and gender not in ("male", "female"):
            raise ValueError(f"gender {gender!r}: male or female")

    def unscreenable(self, query: str) -> str | None:
        """Why a query cannot be screened meaningfully (nothing to compare, or no distinctive token), or None."""
        text = clean_query(query)
        tokens, forms, _ = analyse(text) if text else ((), (), "")
        if not tokens and not forms:
            return "nothing to screen: no letters or digits" if not text or not is_abjad(text) else None
        if has_distinctive_token(tokens) or tuple(sorted(tokens)) in self.generic_keys:
            return None
        return NO_DISTINCTIVE_TOKEN

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.default_idf)

    def slot_weight(self, slot: Sequence[str]) -> float:
        """A query slot weighs as its most common known spelling: spellings a list never uses must not make a
        common name (kim / gim) count as rare."""
        known = [self.idf[a] for a in slot if a in self.idf]
        return min(known) if known else self.default_idf

    def split_glued(self, tokens: Sequence[str], forms: Sequence[str], also: frozenset[str] = frozenset()
                    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The tokens with words run together split where both parts are words of listed names (or of
        ``also``) or legal forms: ITQANCOMPANY as ITQAN + company, OJSCBELARUSKALI as OJSC + BELARUSKALI,
        GROUPCO as GROUP + co. None when no token splits."""
        def known(part: str) -> bool:
            if part in self.idf or part in also or part in FORM_PHRASE_WORDS or part in NUMBER_WORDS:
                return True
            # letters and digits are known as the analysis divides them (YV3016: yv + 3016)
            words = split_digits(part) if not part.isalpha() and not part.isdigit() else []
            return len(words) > 1 and all(w in self.idf or w in also for w in words)

        def parts(t: str, depth: int) -> list[str] | None:
            """``t`` as known words and legal forms, at most ``depth`` + 1 of them, the split with the longest
            shortest part first; None if it cannot be split so."""
            best: tuple[tuple[int, int], list[str]] | None = None
            for k in range(1, len(t)):
                for left, right in ((t[:k], t[k:]), (t[k:], t[:k])):
                    if not (left in LEGAL_FORMS or (len(left) >= 3 and known(left))):
                        continue
                    # a number beside a form may be of any length (KANG SONG 1GMBH: 1 + GMBH)
                    if right in LEGAL_FORMS or (known(right) and (
                            len(right) >= (2 if left in LEGAL_FORMS else 3) or
                            (right.isdigit() and left in LEGAL_FORMS))):
                        rest: list[str] | None = [right]
                    else:
                        rest = parts(right, depth - 1) if depth > 0 and len(right) >= 5 else None
                    if rest is None:
                        continue
                    found_parts = [left, *rest] if t.startswith(left) else [*rest, left]
                    # the longest shortest part, a legal form among them, then the fewest parts (RUSMARKET + INC,
                    # not RUS + MARKET + INC)
                    rank = (min((len(p) for p in found_parts if not p.isdigit()), default=0) +
                            10 * any(p in LEGAL_FORMS for p in found_parts), -len(found_parts))
                    if best is None or rank > best[0]:
                        best = (rank, found_parts)
            return best[1] if best else None

        out: list[str] = []
        found = list(forms)
        made: set[str] = set()  # the parts splits made
        changed = False
        for t in tokens:
            if t.startswith("#") or len(t) < 5 or known(t) or not t.isalnum() or t.isdigit():
                out.append(t)
                continue
            if not also and t in self._splits:  # a word's split depends only on the listed words: found once
                split = self._splits[t]
            else:
                split = parts(t, 1)
                # letters and digits (YV3016CORP, 65996JSC) split only where a legal form was run on: a code or
                # a number is not a run of words
                if split is not None and not t.isalpha() and not any(p in LEGAL_FORMS for p in split):
                    split = None
                if not also and len(self._splits) < _SPLITS_KEPT:
                    self._splits[t] = split
            if split is None:
                out.append(t)
                continue
            changed = True
            out += split
            made.update(split)
        if not changed:
            return None
        # the parts again through the analysis, in their places, so the words of a written-out form run onto
        # another word of it (LIABILITYCOMPANY, STOCKCOMPANY, LIMITEDLIABILITY) make that form with their neighbours
        tokens2, forms2, _ = analyse(" ".join(out))
        found += forms2
        kept: list[str] = []
        for t in tokens2:
            if t in made and t in LEGAL_FORMS:  # a one-word form a split made, wherever it stands
                found.append(LEGAL_FORMS[t])
            elif not (t in made and phrase_forms(t) & set(found)):
                kept.append(t)  # (not the rest of a written-out form the name has: LLCJOINT STOCK COMPANY)
        return (tuple(kept), tuple(sorted(set(found)))) if kept else None

    def query_names(self, text: str, also: frozenset[str] = frozenset()) -> list[QueryName]:
        """What to screen for a query: its own analysis, the same with words run together split (see
        :meth:`split_glued`), then each reading of a name in another script."""
        q_tokens, q_forms, _ = analyse(text)
        out = [QueryName.of_tokens(q_tokens, q_forms)] if q_tokens else []
        split = self.split_glued(q_tokens, q_forms, also) if q_tokens else None
        if split is not None:
            glued = QueryName.of_tokens(*split)
            out.append(QueryName(glued.slots, glued.forms, glued.joined, "glued"))
        for reading in latin_readings(text):
            out.append(QueryName(reading.slots, q_forms, reading.joined, reading.script, reading.exact))
        return out

    def neighbours(self, token: str) -> tuple[str, ...]:
        """The listed words other than ``token`` one edit from it that the token rules count (see :func:`_sim`), for a
        word of ``DELETION_MIN`` letters or more: found through shared one-letter deletions, whatever the place of
        the edit (the first and last letters the index keys hold can all be hit by one edit in a short word)."""
        found = self._neighbours.get(token)
        if found is None:
            near = {v for key in _deletions(token) for v in self._deletion_index.get(key, ())}
            near.discard(token)
            found = tuple(sorted(v for v in near if _sim(token, v) > 0))
            if len(self._neighbours) < _NEIGHBOURS_KEPT:
                self._neighbours[token] = found
        return found

    def postings(self, token: str, exact: bool = False) -> tuple[np.ndarray, ...]:
        """The index's name lists a query spelling ``token`` votes with, in the order :meth:`candidates_many` sums
        them: the token's own (alone for a spelling that must match ``exact``ly: prefix and suffix keys find typos),
        its first and last letters', its initials' for a word of three to six letters (it may abbreviate a listed
        name), and those of the listed words one edit away, wherever the edit (an edit near each end of a short word
        misses every key of its first and last letters). Kept by token: they depend only on the lists."""
        if exact:
            found = self.index.get(token)
            return () if found is None else (found,)
        try:
            by_token = self._postings
        except AttributeError:  # a screener read from a stored index (index_store.unpack) starts without them
            by_token = self._postings = {}
        kept = by_token.get(token)
        if kept is None:
            acronym = (f"^{token}",) if 3 <= len(token) <= 6 and token.isalpha() else ()
            near = self.neighbours(token) if len(token) >= DELETION_MIN and token.isalpha() else ()
            kept = tuple(found for key in (*_keys(token), *acronym, *near)
                         if (found := self.index.get(key)) is not None)
            if len(by_token) < _NEIGHBOURS_KEPT:
                by_token[token] = kept
        return kept

    def candidates(self, query: QueryName | Sequence[str], keep: int = 300, limit_per_key: int = 3000) -> list[int]:
        """Names sharing a token, or a token's first or last three letters, with the query (any spelling of each
        slot); the ``keep`` with the most (IDF-weighted) shared keys are scored in full."""
        if not isinstance(query, QueryName):
            query = QueryName.of_tokens(tuple(query), ())
        return self.candidates_many([query], keep, limit_per_key)[0]

    def candidates_many(self, queries: Sequence[QueryName], keep: int = 300, limit_per_key: int = 3000
                        ) -> list[list[int]]:
        """:meth:`candidates` of many queries, the votes of all of them counted in one pass: each query's names in
        id order, or, when more than ``keep`` share a key with it, its ``keep`` best voted (ties in id order)."""
        return [ids.tolist() for ids in self._candidate_ids(queries, keep, limit_per_key)]

    def _candidate_ids(self, queries: Sequence[QueryName], keep: int = 300, limit_per_key: int = 3000
                       ) -> list[np.ndarray]:
        """:meth:`candidates_many` as arrays, as :meth:`fast_scores_many` takes them."""
        hits: list[np.ndarray] = []
        weights: list[float] = []
        owners: list[int] = []
        for p, query in enumerate(queries):
            mine: list[np.ndarray] = []
            mine_w: list[float] = []
            common_hits: list[np.ndarray] = []
            common_weights: list[float] = []
            for t in {a for slot in query.slots for a in slot}:
                w = self.weight(t)
                for found in self.postings(t, query.exact):
                    target, target_w = ((common_hits, common_weights) if len(found) > limit_per_key
                                        else (mine, mine_w))
                    target.append(found)
                    target_w.append(w)
            if not mine:  # only very common tokens: fall back to them rather than return nothing
                mine, mine_w = common_hits, common_weights
            hits += mine
            weights += mine_w
            owners += [p] * len(mine)
        if not hits:
            return [np.zeros(0, dtype=np.int64) for _ in queries]
        n_names = len(self.names)
        lengths = [len(h) for h in hits]
        # (query, name) keys; a name's votes summed in the order its keys were met, as one query alone sums them
        keys, slot = _unique_inverse(np.repeat(owners, lengths) * n_names + np.concatenate(hits))
        votes = np.bincount(slot, weights=np.repeat(weights, lengths), minlength=len(keys))
        owner, name = np.divmod(keys, n_names)
        bounds = np.searchsorted(owner, np.arange(len(queries) + 1))
        out = []
        for p in range(len(queries)):
            a, b = int(bounds[p]), int(bounds[p + 1])
            out.append(name[a:b] if b - a <= keep else name[a:b][np.argsort(-votes[a:b], kind="stable")[:keep]])
        return out

    def score(self, query: QueryName, name: _Name, person: bool | None = None, acronyms: bool = True,
              initials: bool | None = None) -> tuple[float, dict[str, Any]]:
        """The score of one listed name, with its explanation (token pairs, precision, recall, penalties).
        ``person``: whether the names are a person's (default: the listed entity's type). ``initials``: whether a
        single letter may stand for a word (default: unless the listed entity is known not to be a person)."""
        if person is None:
            person = name.entity >= 0 and self.entities[name.entity].type is EntityType.PERSON
        if initials is None:
            initials = name.entity < 0 or self.entities[name.entity].type in (EntityType.PERSON, EntityType.UNKNOWN)
        plain = self._score(query, name, person, initials)
        if acronyms and not person and not query.exact and plain[0] < 1.0:
            folded = self._acronym(query, name, person, initials)
            if folded is not None and folded[0] > plain[0]:
                return folded
        return plain

    def _score(self, query: QueryName, name: _Name, person: bool, initials: bool = True
               ) -> tuple[float, dict[str, Any]]:
        sims: list[list[float]] = []
        pairs = []
        def sim(q: str, c: str) -> float:
            return float(q == c) if query.exact else _sim(q, c)

        grids = [[[sim(q, c) for c in name.tokens] for q in slot] for slot in query.slots]
        sims = [[max(col) for col in zip(*grid, strict=True)] for grid in grids]
        not_counted = self._whole_name_rules(sims, query, name, initials) if not query.exact else []
        w_slots = [self.slot_weight(slot) for slot in query.slots]
        for slot, grid, row, w in zip(query.slots, grids, sims, w_slots, strict=True):
            k = max(range(len(row)), key=row.__getitem__)
            spelled = slot[max(range(len(slot)), key=lambda i: grid[i][k])]
            pairs.append((spelled, name.tokens[k] if row[k] > 0 else "", round(row[k], 3), round(w, 3)))
        wq = sum(w_slots) or 1.0
        wc = sum(self.weight(c) for c in name.tokens) or 1.0
        precision = sum(max(row) * w for row, w in zip(sims, w_slots, strict=True)) / wq
        recall = sum(max(sims[i][j] for i in range(len(sims))) * self.weight(c)
                     for j, c in enumerate(name.tokens)) / wc
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        latin_c = "".join(t for t in name.tokens if not t.startswith("#"))
        c_cjk = any(t.startswith("#") for t in name.tokens)
        joined = 0.0
        # joined or split words, and a CJK name's romanised reading against a Latin name (李明 / Li Ming): the
        # Latin strings compared whole; two CJK names are compared by their characters instead
        if not (query.cjk and c_cjk) and latin_c:
            floor = 1.0 if query.exact else JOINED_FLOOR
            for latin_q in query.joined:
                if abs(len(latin_q) - len(latin_c)) <= 3:
                    v = Levenshtein.normalized_similarity(latin_q, latin_c)
                    # ... but never a short word with another first letter, which the token rules refuse
                    if v >= floor and v > joined and not digits_changed(latin_q, latin_c) and not first_letter_changed(
                            latin_q, latin_c, joined_word_starts(latin_q, query.slots), short_word_starts(name.tokens)):
                        joined = v
            joined = joined * 0.95 if joined >= floor else 0.0
        joined_raw = joined / 0.95
        score = max(f1, joined)
        penalties = []
        # a person's name wholly inside the other (Janan Agha / Janan Mohammad Ahmed Agha; Boris Johnson /
        # Alexandre Boris de Pfeffel Johnson): lists and customers give more or fewer given names
        contained = self._containment(sims, query, name) if person and not query.exact else 0.0
        if contained > score:
            score = contained
            penalties.append(f"every word of the shorter name is in the longer one: {contained:.3f}")
        # an organisation's name with words the query leaves out (HOLV RUS LLC / HOLV LUBRICANTS RUS LLC)
        within = self._within_organisation(sims, query, name) if not person and not query.exact else 0.0
        if within > score:
            score = within
            penalties.append(f"every word of the query is in the listed name, in its order: {within:.3f}")
        # a listed organisation's whole name and a unit of it (BANK MELLI IRAN / Bank Melli Iran London Branch)
        unit = self._unit_containment(sims, query, name) if not person and not query.exact else None
        if unit is not None and unit[0] > score:
            score = unit[0]
        else:
            unit = None
        q_unmatched = [slot[0] for slot, row in zip(query.slots, sims, strict=True) if max(row) == 0 and
                       is_distinctive(slot[0])]
        c_unmatched = [c for j, c in enumerate(name.tokens) if max((row[j] for row in sims), default=0) == 0 and
                       is_distinctive(c)]
        if q_unmatched and c_unmatched and joined < f1:
            # a word on each side that matches nothing on the other: another name in that place (AL-MASHHADANI
            # for AL-TIKRITI), not a word one side leaves out
            score *= SUBSTITUTION_FACTOR
            penalties.append(f"{', '.join(q_unmatched)} in place of {', '.join(c_unmatched)}: x{SUBSTITUTION_FACTOR}")
        best_of = [max(range(len(row)), key=row.__getitem__) for row in sims]
        matched = [name.tokens[k] for k in {j for j, row in zip(best_of, sims, strict=True) if row[j]}]
        if matched and all(self.is_common(t) for t in matched) and (
                q_unmatched or c_unmatched or any(0 < max(row) < 1 for row in sims)) and \
                not self._same_but_typos(query, name, sims, best_of, joined_raw):
            # only common words in common, and not the same name: Bank Electronics / HANA ELECTRONICS
            score *= GENERIC_ONLY_FACTOR
            penalties.append(f"only common words match ({', '.join(sorted(set(matched)))}): x{GENERIC_ONLY_FACTOR}")
        q_forms = query.forms
        if q_forms and person:
            score *= FORM_FOR_PERSON_FACTOR
            penalties.append(f"the query has a legal form ({', '.join(q_forms).upper()}), the listed entity is a "
                             f"person: x{FORM_FOR_PERSON_FACTOR}")
        if q_forms and name.forms and not set(q_forms) & set(name.forms):
            score *= 0.95
            penalties.append(f"legal form differs ({', '.join(q_forms)} vs {', '.join(name.forms)}): x0.95")
        why: dict[str, Any] = {"pairs": pairs, "precision": round(precision, 3), "recall": round(recall, 3),
                               "joined_similarity": round(joined, 3), "penalties": penalties,
                               "legal_forms": {"query": list(q_forms), "listed": list(name.forms)}}
        if not_counted:  # similar words the whole names do not support (see _whole_name_rules)
            why["not_counted"] = not_counted
        if unit is not None:
            why["unit"] = unit[1]
        if query.reading is not None:
            score *= READING_FACTOR
            why["reading"] = {"script": query.reading, "spelled": " ".join(p[0] for p in pairs)}
            penalties.append(f"words run together split as '{why['reading']['spelled']}': x{GLUED_FACTOR}"
                             if query.reading == "glued" else
                             f"read from {query.reading} script as '{why['reading']['spelled']}': x{READING_FACTOR}")
        return score, why

    def _same_but_typos(self, query: QueryName, name: _Name, sims: list[list[float]], best_of: Sequence[int],
                        joined: float) -> bool:
        """Whether two names are the same words but for typing errors: their letters written together the same
        (SAMANINDUSTRIAL GROUP / SAMAN INDUSTRIAL GROUP), or every word of each paired with its own word of the
        other, in the same order, each the same or one typo from it (UNIVERSAL TECHNLOOGY / UNIVERSAL TECHNOLOGY;
        IRANIAN PETROCOEMICAL INVESTMENT ...), where no word the query writes differently is itself a common word
        (ELECTRONIC for ELECTRONICS is another word, not a typo). A name of common words only is then a
        name the list gives, not common words met by chance, which the generic-only penalty is for."""
        if joined >= 1.0 - 1e-9:
            return True
        if query.reading is not None or len(query.slots) != len(name.tokens) or len(query.slots) < 2:
            return False
        if list(best_of) != list(range(len(name.tokens))):  # each word its own partner, in the listed order
            return False
        for slot, j, row in zip(query.slots, best_of, sims, strict=True):
            if row[j] < 1.0 and (row[j] <= INITIAL_SIMILARITY or any(self.is_common(a) for a in slot)):
                return False
            if any(sims[k][j] >= row[j] and k != j for k in range(len(sims))):
                return False
        return True

    def _whole_name_rules(self, sims: list[list[float]], query: QueryName, name: _Name, initials: bool
                          ) -> list[str]:
        """Rules on token similarities that need the whole names (``sims`` is changed in place): an initial
        stands for a word only where ``initials`` (not in the name of a listed organisation, vessel or aircraft:
        BICENTENARIO I is a hull number, not INSTRUMENT); a four-letter
        word one edit from another (YSIN / YASIN) counts only with the same first letter (or the first two swapped),
        as each other's best match, beside another word of the names that matches on its own or in names that align
        word for word (not SNOE alone for SNOW, nor KONG for HONG when KONG is there too, nor EVAN for IVAN), and
        never for a listed name with a vowel added at its end (SAAD for SAADI: :func:`_extended`).
        Returns the pairs left out, as "query~listed"."""
        tokens = name.tokens
        short: list[tuple[int, int]] = []
        dropped: list[tuple[int, int]] = []
        for i, slot in enumerate(query.slots):
            for j, c in enumerate(tokens):
                v = sims[i][j]
                if not 0 < v < 1:
                    continue
                if v == INITIAL_SIMILARITY and min(len(c), *(len(a) for a in slot)) == 1:
                    if not initials:
                        dropped.append((i, j))
                elif any(min(len(a), len(c)) == 4 and _sim(a, c) == v for a in slot):
                    # a typo in a short word keeps its first letter, or swaps the first two (GRIN / RGIN): EVAN is
                    # not IVAN, SIRE not MIRE
                    # nor a name with a vowel added at its end, another name (SAAD / SAADI, SAADE; see _extended)
                    if any(min(len(a), len(c)) == 4 and _sim(a, c) == v and _same_start(a, c) and
                           not (_extended(a, c) and min(a, c, key=len) in self.idf) for a in slot):
                        short.append((i, j))
                    else:
                        dropped.append((i, j))
        weak = set(short) | set(dropped)
        strong = [(i, j) for i, row in enumerate(sims) for j, v in enumerate(row) if v >= 0.8 and (i, j) not in weak]
        mutual = [(i, j) for i, j in short if sims[i][j] == max(sims[i]) == max(row[j] for row in sims)]
        # ... beside another word that matches on its own, or where the names align word for word, every word a
        # typo of its own partner (AWID, KAML for AWAD, Kamal)
        pairs = {*strong, *mutual}
        aligned = len(query.slots) >= 2 and {i for i, _ in pairs} == set(range(len(query.slots))) and \
            {j for _, j in pairs} == set(range(len(tokens)))
        keep = {(i, j) for i, j in mutual if aligned or any(k != i and m != j for k, m in strong)}
        dropped += [(i, j) for i, j in short if (i, j) not in keep]
        for i, j in dropped:
            sims[i][j] = 0.0
        return [f"{query.slots[i][0]}~{tokens[j]}" for i, j in dropped]

    def _acronym(self, query: QueryName, name: _Name, person: bool, initials: bool = True
                 ) -> tuple[float, dict[str, Any]] | None:
        """A word of one name that is the initials of a run of words of the other, in order (PLA / People's
        Liberation Army; ICBC / Industrial and Commercial Bank of China): scored with the run as that word,
        times ``ACRONYM_FACTOR``. None when no word is such an acronym."""
        q_words = [slot[0] for slot in query.slots]
        for mine, other, in_query in ((q_words, list(name.tokens), True), (list(name.tokens), q_words, False)):
            for acronym in mine:
                if not (3 <= len(acronym) <= 6 and acronym.isalpha()) or acronym in other:
                    continue
                run = _initials_run(other, acronym)
                if run is None:
                    continue
                folded = [*other[:run[0]], acronym, *other[run[1]:]]
                if in_query:
                    s, why = self.score(query, _Name(name.entity, name.text, name.kind, tuple(folded), name.forms),
                                        person, acronyms=False, initials=initials)
                else:
                    q = QueryName.of_tokens(folded, query.forms)
                    s, why = self.score(q, name, person, acronyms=False, initials=initials)
                why["penalties"].append(f"{acronym} read as the initials of {' '.join(other[run[0]:run[1]])}: "
                                        f"x{ACRONYM_FACTOR}")
                return s * ACRONYM_FACTOR, why
        return None

    def _containment(self, sims: list[list[float]], query: QueryName, name: _Name) -> float:
        """For a shorter name of two or more words, each the same as its own word of the longer name (three letters
        or more, one of them not a common word): 0.7 plus 0.2 times the share of the longer name's weight it covers;
        else 0. A patronymic of the longer name the shorter lacks (Viktorovich, Oleksandrovych) weighs half: lists
        give them, customers leave them out. For a name read from another script, whose Latin spelling is a guess
        (Барак: Barak for BARACK), or a romanised Arabic name (with bin or ibn), a word may also be a close spelling
        of its partner (covering its similarity's share), and a word between two shared words (a middle name, the
        nasab's "bin Muhammad ibn Awad") weighs half too."""
        if len(query.slots) < 2 or len(name.tokens) < 2 or any(t.startswith("#") for t in name.tokens):
            return 0.0
        q_short = len(query.slots) <= len(name.tokens)
        # a name read from another script, or an Arabic name romanised (its nasab written: bin, ibn), spells as the
        # reader heard it (Usama / Osama, Ladin / Laden)
        read = query.reading not in (None, "glued") or any(
            t in _NASAB for t in (*name.tokens, *(slot[0] for slot in query.slots)))
        least = 0.8 if read else 0.999
        # (shorter's word, longer's word, similarity) of words that are the same (or, read, one close to the other)
        pairs = ([(i, j, v) for i, row in enumerate(sims) for j, v in enumerate(row) if v >= least]
                 if q_short else [(j, i, v) for i, row in enumerate(sims) for j, v in enumerate(row) if v >= least])
        n_short = len(query.slots) if q_short else len(name.tokens)
        short_words = [query.slots[i][0] for i in range(n_short)] if q_short else list(name.tokens)
        long_words = list(name.tokens) if q_short else [slot[0] for slot in query.slots]
        used: dict[int, float] = {}
        for i in range(n_short):  # one word of the longer name for each word of the shorter, the most alike first
            free = sorted(((v, -j) for k, j, v in pairs if k == i and j not in used), reverse=True)
            if not free or len(short_words[i]) < 3:
                return 0.0
            used[-free[0][1]] = free[0][0]
        if all(self.is_common(w) for w in short_words):
            return 0.0
        first, last = min(used), max(used)
        long_w = [self.weight(w) * (1.0 if j in used or not ((read and first < j < last) or _PATRONYMIC.search(w))
                                    else LEFT_OUT_WEIGHT) for j, w in enumerate(long_words)]
        covered = sum(long_w[j] * v for j, v in used.items()) / (sum(long_w) or 1.0)
        return 0.7 + 0.2 * covered

    def _within_organisation(self, sims: list[list[float]], query: QueryName, name: _Name) -> float:
        """For a query of two or more words, each the same as its own word of a listed organisation's longer name, in
        the listed name's order and from its first word on, one of them not a common word, leaving out no country's
        name: 0.7 plus 0.2 times the share of the listed name's weight the query covers (HOLV RUS LLC / HOLV
        LUBRICANTS RUS LLC, P 1.0 and R 0.63, F1 0.77 -> 0.83), as for a person's name inside another
        (:meth:`_containment`): customers leave words of a long name out. Else 0: words in another order, or
        common words only (JOINT STOCK COMPANY MACHINE BUILDING PLANT is not ... ORSKIY MACHINE BUILDING PLANT),
        say less."""
        if len(query.slots) < 2 or len(query.slots) >= len(name.tokens) or any(
                t.startswith("#") for t in name.tokens):
            return 0.0
        at: list[int] = []
        for row in sims:  # each query word at the first same word after the previous one's
            j = next((j for j in range(at[-1] + 1 if at else 0, len(row)) if row[j] >= 1.0), None)
            if j is None:
                return 0.0
            at.append(j)
        # the listed name's first word kept (the words left out are after it: WEALTHY OCEAN ENTERPRISES LTD is not
        # found by OCEAN ENTERPRISES), not common words only, and no country left out (BANCO SANTANDER CHILE S.A. is
        # the group's bank in Chile, another party than BANCO SANTANDER S.A.)
        if at[0] != 0 or all(self.is_common(name.tokens[j]) for j in at) or any(
                _names_country(t) for j, t in enumerate(name.tokens) if j not in at):
            return 0.0
        weights = [self.weight(t) for t in name.tokens]
        return 0.7 + 0.2 * sum(weights[j] for j in at) / (sum(weights) or 1.0)

    def unit_anchors(self, name: _Name) -> tuple[str, ...]:
        """The words that make a listed organisation's name one a query may name a unit of (see
        :meth:`_unit_containment`): its words other than linking and generic words, legal forms, unit words, numbers
        and places; for a name of one word, a word that is not common. Empty, and the rule off, for a person's,
        vessel's or aircraft's name, a name of unknown type without a legal form (a person, as often as not), a name
        in Chinese characters, and a name of only generic words and places (ADVANCED TECHNOLOGIES, DUBAI TRADING
        COMPANY, ADVANCED TECHNOLOGIES COMPANY OF IRAN): many an "X London Branch" would hold such a name."""
        kind = self.entities[name.entity].type if name.entity >= 0 else EntityType.ORGANISATION
        key = (name.tokens, name.forms, kind)
        found = self._anchors.get(key)
        if found is not None:
            return found
        found = ()
        if (kind is EntityType.ORGANISATION or (kind is EntityType.UNKNOWN and name.forms)) and not any(
                t.startswith("#") for t in name.tokens):
            core = [t for t in name.tokens if len(t) > 1 and not t.isdigit() and t not in LINK_WORDS and
                    t not in GENERIC_WORDS and t not in _FORM_WORDS and t not in UNIT_WORDS and
                    t not in UNIT_QUALIFIERS]
            if core and not is_place(core):
                singles = place_words()
                one = sum(t not in LINK_WORDS for t in name.tokens) == 1  # ROSOBORONEXPORT, not BANK
                found = tuple(dict.fromkeys(t for t in core if t not in singles and not (one and self.is_common(t))))
        if len(self._anchors) < _NEIGHBOURS_KEPT:  # compare() may bring names without end
            self._anchors[key] = found
        return found

    def _unit_containment(self, sims: list[list[float]], query: QueryName, name: _Name
                          ) -> tuple[float, dict[str, Any]] | None:
        """A listed organisation's whole name in the query, its words in order (each the same word or one typo
        from it, linking words such as of and de optional), and the query's other words a unit designation and/or
        places before or after it (:func:`pinchpoint.screening.units.read_extras`: "London Branch", "Dubai
        Office", "Moscow"): ``UNIT_SCORE`` times the share of the listed name's weight matched, with what the query
        adds. None where the name has no anchor (:meth:`unit_anchors`), a word added is no unit or place, places
        come before the name without a unit word (DANDONG ALFA LLC names a firm of its own, "London Branch of ..." a
        unit), or the listed name is one word and either a typo of it or the query says nothing of an organisation
        (no unit word, no legal form): a person's name may hold one word of a listed name and a town."""
        if not self.unit_anchors(name):
            return None
        tokens = name.tokens
        required = [j for j, t in enumerate(tokens) if t not in LINK_WORDS]
        words = [slot[0] for slot in query.slots]
        n = len(words)
        if not required or n <= len(required):
            return None
        least = 0.8 - 1e-9
        total = sum(self.weight(c) for c in tokens) or 1.0
        best: tuple[float, dict[str, Any]] | None = None
        for start in range(n - len(required) + 1):
            at: list[int] = []
            i = start
            for j in required:  # each listed word at its own query word, linking words of the query skipped
                while at and i < n and sims[i][j] < least and words[i] in LINK_WORDS:
                    i += 1
                if i >= n or sims[i][j] < least:
                    break
                at.append(i)
                i += 1
            else:
                if len(required) == 1 and sims[at[0]][required[0]] < 1.0:
                    continue  # one word, and a typo in it (ANSAR for ANSARU): too little to name a unit by
                before = [w for w in words[:start] if w not in LINK_WORDS]
                if before and not getattr(read_extras([before]), "units", None):
                    # a place before the name is another firm's name as often as not (DANDONG ALFA LLC is not
                    # ALFA LLC); a unit before it is one ("London Branch of Bank Melli Iran")
                    continue
                extras = read_extras([words[:start], words[i:]])
                if extras is None or (len(required) == 1 and not extras.units and not query.forms):
                    continue
                covered = sum(self.weight(c) * max(sims[k][j] for k in range(start, i)) for j, c in enumerate(tokens))
                s = UNIT_SCORE * covered / total
                if best is None or s > best[0]:
                    added = [*words[:start], *words[i:]]
                    while added and added[-1] in LINK_WORDS:  # "London Branch of" (BANK MELLI IRAN) says no more
                        added.pop()
                    best = (s, {"added": " ".join(w if w in LINK_WORDS else w.title() for w in added),
                                "units": list(extras.units), "places": list(extras.places)})
        return best

    def is_common(self, token: str) -> bool:
        """A generic business word, or a word in the names of more than 3 in 1,000 listed entities."""
        return token in GENERIC_WORDS or token in _FORM_WORDS or token in self.common_words

    def fast_scores(self, query: QueryName, cands: Sequence[int]) -> np.ndarray:
        """Upper bounds of the scores of :meth:`score` for many candidate names at once: its penalties are left
        out, and a person's name one side of which is wholly matched counts as high as containment can score.
        See :meth:`fast_scores_many`."""
        return self.fast_scores_many([(query, cands)])[0]

    def fast_scores_many(self, items: Sequence[tuple[QueryName, Sequence[int] | np.ndarray]]) -> list[np.ndarray]:
        """:meth:`fast_scores` of many (query, candidates) pairs in one pass: every step after the per-query
        similarity (rapidfuzz) runs once over all the pairs' candidates, so its cost is shared by a batch
        instead of paid per query. Each query's similarities are kept sparse: (slot, column, value) for the
        pairs ``_similarity_matrix`` makes nonzero, a column being one distinct vocabulary token of one query's
        candidates."""
        from rapidfuzz.process import cdist, cpdist

        queries = [q for q, _ in items]
        sizes = np.array([len(c) for _, c in items], dtype=np.int64)
        total_cands = int(sizes.sum())
        if not total_cands:
            return [np.zeros(0) for _ in items]
        n_items = len(items)
        cand = np.concatenate([np.asarray(c, dtype=np.int64) for _, c in items])
        item_of_cand = np.repeat(np.arange(n_items), sizes)
        # the candidates' tokens, flat, candidate after candidate: ``owner`` says which candidate each belongs to
        counts = self.token_count[cand]
        ends = np.cumsum(counts)
        offsets = ends - counts
        owner = np.repeat(np.arange(total_cands), counts)
        flat = self.token_flat[np.repeat(self.token_start[cand] - offsets, counts) + np.arange(int(ends[-1]))]
        n_vocab = len(self.vocab)
        # columns: the distinct (query, token) pairs, query after query; ``local`` is each flat token's column
        keys, local = _unique_inverse(item_of_cand[owner] * n_vocab + flat)
        col_item, col_token = np.divmod(keys, n_vocab)
        col_bounds = np.searchsorted(col_item, np.arange(n_items + 1))
        col_text = self.vocab_tokens.text[col_token].tolist()
        # the spellings of every query's slots, flat
        spellings = [a for q in queries for slot in q.slots for a in slot]
        n_slots = np.array([len(q.slots) for q in queries], dtype=np.int64)
        slot_start = np.concatenate([[0], np.cumsum(n_slots)[:-1]]).astype(np.int64)
        spell_slot = np.repeat(np.arange(int(n_slots.sum())), [len(slot) for q in queries for slot in q.slots])
        n_spell = np.array([sum(len(slot) for slot in q.slots) for q in queries], dtype=np.int64)
        spell_start = np.concatenate([[0], np.cumsum(n_spell)[:-1]]).astype(np.int64)
        spell_item = np.repeat(np.arange(n_items), n_spell)
        spelled = _Tokens.of(spellings)
        n_cols = np.diff(col_bounds)
        raw: list[np.ndarray] = []
        for p in range(n_items):
            a, b, s = int(col_bounds[p]), int(col_bounds[p + 1]), int(spell_start[p])
            if a < b and n_spell[p]:
                # only pairs at the four-letter floor or above are read below: rapidfuzz returns 0 for the rest
                # without computing their distance (a length difference alone rules most out)
                raw.append(cdist(spellings[s:s + int(n_spell[p])], col_text[a:b], scorer=OSA.normalized_similarity,
                                 dtype=np.float64, workers=1, score_cutoff=SHORT_TOKEN_FLOOR - CUTOFF_MARGIN).ravel())
            else:
                raw.append(np.zeros(int(n_spell[p]) * (b - a)))
        elem_start = np.concatenate([[0], np.cumsum(n_spell * n_cols)[:-1]]).astype(np.int64)
        raw_all = np.concatenate(raw)
        # the rules of _sim (see _similarity_matrix), as entries (spelling, column, value) of the nonzero pairs:
        # pairs at the four-letter floor or above (less a rounding margin), kept if exact or at the floor of the
        # shorter token's length (token_floor: 0.8 from 5 letters, SHORT_TOKEN_FLOOR for 4, equal below)
        near = np.flatnonzero(raw_all >= SHORT_TOKEN_FLOOR - 1e-9)
        item = np.searchsorted(elem_start, near, side="right") - 1
        row, col = np.divmod(near - elem_start[item], n_cols[item])
        e_spell, e_col = spell_start[item] + row, col_bounds[item] + col
        value = raw_all[near]
        v_len, v_cjk, v_first = (self.vocab_tokens.length[col_token], self.vocab_tokens.cjk[col_token],
                                 self.vocab_tokens.first[col_token])
        shorter = np.minimum(spelled.length[e_spell], v_len[e_col])
        kept = (value == 1.0) | ((shorter >= 4) & (value >= np.where(shorter >= 5, 0.8, SHORT_TOKEN_FLOOR) - 1e-9) &
                                 ~spelled.cjk[e_spell] & ~v_cjk[e_col] &
                                 ~(spelled.digits[e_spell] & self.vocab_tokens.digits[col_token][e_col]))
        parts = [(e_spell[kept], e_col[kept], 1 - TYPO_COST * (1 - value[kept]))]  # 1 stays 1
        # a single letter matches a word it begins (0.6), and a single letter the same letter (1)
        single_cols = np.flatnonzero((v_len == 1) & ~v_cjk)
        if len(single_cols):
            reps = n_spell[col_item[single_cols]]
            s_col = np.repeat(single_cols, reps)
            s_spell = (np.repeat(spell_start[col_item[single_cols]] - np.cumsum(reps) + reps, reps) +
                       np.arange(int(reps.sum())))
            same = (spelled.first[s_spell] == v_first[s_col]) & ~spelled.cjk[s_spell]
            parts.append((s_spell[same], s_col[same], np.where(spelled.length[s_spell[same]] == 1, 1.0, 0.6)))
        single_rows = np.flatnonzero((spelled.length == 1) & ~spelled.cjk)
        if len(single_rows):
            reps = n_cols[spell_item[single_rows]]
            r_spell = np.repeat(single_rows, reps)
            r_col = (np.repeat(col_bounds[spell_item[single_rows]] - np.cumsum(reps) + reps, reps) +
                     np.arange(int(reps.sum())))
            same = (spelled.first[r_spell] == v_first[r_col]) & ~v_cjk[r_col]
            parts.append((r_spell[same], r_col[same], np.full(int(same.sum()), 0.6)))
        e_spell = np.concatenate([p[0] for p in parts])
        e_col = np.concatenate([p[1] for p in parts])
        e_val = np.concatenate([p[2] for p in parts])
        exact_items = np.array([q.exact for q in queries])
        if exact_items.any():  # spellings that match only exactly
            keep = ~exact_items[spell_item[e_spell]] | (e_val == 1.0)
            e_spell, e_col, e_val = e_spell[keep], e_col[keep], e_val[keep]
        e_slot = spell_slot[e_spell]  # a slot matches as its best spelling
        # each column's best match over the query's slots, and each (candidate, slot)'s best over the candidate's
        # tokens (from the few columns with any match)
        col_best = np.zeros(len(keys))
        np.maximum.at(col_best, e_col, e_val)
        token_best = col_best[local]
        order = np.argsort(e_col, kind="stable")
        e_col, e_slot, e_val = e_col[order], e_slot[order], e_val[order]
        lo = np.searchsorted(e_col, np.arange(len(keys)))
        hi = np.searchsorted(e_col, np.arange(len(keys)), side="right")
        hit = np.flatnonzero((hi > lo)[local])
        reps = (hi - lo)[local[hit]]
        entry = np.repeat(lo[local[hit]] - np.cumsum(reps) + reps, reps) + np.arange(int(reps.sum()))
        k_hit = owner[np.repeat(hit, reps)]
        cand_slots = n_slots[item_of_cand]
        cs_start = np.cumsum(cand_slots) - cand_slots
        best = np.zeros(int(cand_slots.sum()))  # (candidate, slot), candidate after candidate
        np.maximum.at(best, cs_start[k_hit] + e_slot[entry] - slot_start[item_of_cand[k_hit]], e_val[entry])
        cs_cand = np.repeat(np.arange(total_cands), cand_slots)
        cs_slot = np.repeat(slot_start[item_of_cand] - cs_start, cand_slots) + np.arange(len(best))
        slot_weights = [self.slot_weight(slot) for q in queries for slot in q.slots]
        slot_w = np.array(slot_weights)
        # each query's sum over its own slots, added in the same order as one query alone adds them
        w_sum = np.array([(sum(slot_weights[a:a + n]) or 1.0) for a, n in zip(slot_start.tolist(), n_slots.tolist(),
                                                                                strict=True)])
        precision = (np.bincount(cs_cand, weights=best * slot_w[cs_slot], minlength=total_cands) /
                     w_sum[item_of_cand])
        matched = self.vocab_weight[flat] * token_best
        recall = np.add.reduceat(matched, offsets) / np.maximum(self.name_weight[cand], 1e-12)
        both = precision + recall
        score = np.where(both > 0, 2 * precision * recall / np.where(both > 0, both, 1.0), 0.0)
        # a word that may be the initials of words of the name (see _acronym): organisations' names only
        holders = self.initials_index()
        n_names = len(self.names)
        spelled_by = [p * n_names + holders[a] for p, q in enumerate(queries) if not q.exact
                      for a in {slot[0] for slot in q.slots if 3 <= len(slot[0]) <= 6 and slot[0].isalpha()}
                      if a in holders]
        if spelled_by:  # membership by binary search (np.isin compares every pair when one side is short)
            spelled_keys = np.sort(np.concatenate(spelled_by))
            cand_keys = item_of_cand * n_names + cand
            at = np.minimum(np.searchsorted(spelled_keys, cand_keys), len(spelled_keys) - 1)
            score = np.where(spelled_keys[at] == cand_keys, 1.0, score)
        # an organisation's name with every query word the same as one of its words, its first word and a word
        # that is not common among them: as high as _within_organisation can score, 0.7 + 0.2 x recall (its
        # covered share is at most the recall)
        multi = np.array([len(q.slots) >= 2 and not q.exact for q in queries])
        within = multi[item_of_cand] & ~self.name_person[cand] & (counts > n_slots[item_of_cand])
        if within.any():
            same = token_best >= 1.0
            within &= same[offsets] & (np.maximum.reduceat((same & ~self.vocab_common[flat]).astype(np.int64),
                                                           offsets) > 0)
            within &= np.bincount(cs_cand, weights=best < 1.0, minlength=total_cands) == 0
            score = np.where(within, np.maximum(score, 0.7 + 0.2 * recall), score)
        # a listed organisation's whole name and a unit of it (see _unit_containment): as high as UNIT_SCORE x recall,
        # where each of its words but the linking ones is matched (0.8: the same or one typo) and the query has more
        unit = (~exact_items[item_of_cand] & self.name_unit[cand] &
                (n_slots[item_of_cand] > self.name_required[cand]))
        if unit.any():
            unit &= np.minimum.reduceat(((token_best >= 0.8 - 1e-9) | self.vocab_link[flat]).astype(np.int64),
                                        offsets) > 0
            score = np.where(unit, np.maximum(score, UNIT_SCORE * recall), score)
        # a person's name one side of which is wholly matched: as high as containment can score
        person = multi[item_of_cand] & self.name_person[cand] & (counts >= 2)
        if person.any():
            query_whole = np.bincount(cs_cand, weights=best < 0.8, minlength=total_cands) == 0
            name_whole = np.minimum.reduceat((token_best >= 0.8).astype(np.int64), offsets) > 0
            score = np.where(person & (query_whole | name_whole), np.maximum(score, 0.95), score)
        # joined or split words: the letters of each whole name against the query's, within 3 letters of length
        joined_text = [j for q in queries for j in q.joined]
        joined_slots = [q.slots for q in queries for _ in q.joined]
        n_joined = np.array([len(q.joined) for q in queries], dtype=np.int64)
        if joined_text:
            j_start = np.cumsum(n_joined) - n_joined
            reps = n_joined[item_of_cand]
            j_cand = np.repeat(np.arange(total_cands), reps)
            j_id = np.repeat(j_start[item_of_cand] - np.cumsum(reps) + reps, reps) + np.arange(int(reps.sum()))
            j_len = np.array([len(j) for j in joined_text], dtype=np.int64)
            name_len = self.name_joined_len[cand[j_cand]]
            cjk_items = np.array([q.cjk for q in queries])
            near_pair = ((np.abs(name_len - j_len[j_id]) <= 3) & (name_len > 0) &
                         ~(cjk_items[item_of_cand[j_cand]] & self.name_cjk[cand[j_cand]]))
            j_cand, j_id = j_cand[near_pair], j_id[near_pair]
            if len(j_cand):
                similar = cpdist([joined_text[k] for k in j_id.tolist()],
                                 self._joined_array[cand[j_cand]].tolist(),
                                 scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1,
                                 score_cutoff=JOINED_FLOOR - CUTOFF_MARGIN)  # (only pairs at the floor or above count)
                floor = np.where(exact_items, 1.0, JOINED_FLOOR)[item_of_cand]
                # the few pairs that pass: refused where a short word's first letter changes (as in _score)
                q_starts: dict[int, frozenset[int]] = {}
                for k in np.flatnonzero(similar >= floor[j_cand]).tolist():
                    jid, i = int(j_id[k]), int(cand[j_cand[k]])
                    if jid not in q_starts:
                        q_starts[jid] = joined_word_starts(joined_text[jid], joined_slots[jid])
                    if digits_changed(joined_text[jid], self.name_joined[i]) or first_letter_changed(
                            joined_text[jid], self.name_joined[i], q_starts[jid],
                            short_word_starts(self.names[i].tokens)):
                        similar[k] = 0.0
                joined = np.zeros(total_cands)
                np.maximum.at(joined, j_cand, similar)
                score = np.maximum(score, np.where(joined >= floor, joined * 0.95, 0.0))
        # the penalties both scorings compute: a legal form the listed name lacks, a reading from another script
        factor = np.ones(total_cands)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        for p, q in enumerate(queries):
            if q.forms and sizes[p]:
                qf = set(q.forms)
                factor[starts[p]:starts[p + 1]] = [
                    0.95 if self.names[i].forms and not qf & set(self.names[i].forms) else 1.0
                    for i in cand[starts[p]:starts[p + 1]].tolist()]
        score = score * factor
        reading = np.array([q.reading is not None for q in queries])
        if reading.any():
            score = np.where(reading[item_of_cand], score * READING_FACTOR, score)
        return [np.asarray(score[starts[p]:starts[p + 1]], dtype=np.float64) for p in range(n_items)]

    def screen(self, query: str, *, threshold: float = 0.8, country: str | None = None,
               entity_type: str | None = None, lists: Sequence[str] | None = None, limit: int = 10,
               birth_date: str | None = None, gender: str | None = None
               ) -> list[dict[str, Any]]:
        return self.screen_queries([query], [{"threshold": threshold, "country": country, "entity_type": entity_type,
                                              "lists": lists, "limit": limit, "birth_date": birth_date,
                                              "gender": gender}])[0]

    def screen_queries(self, queries: Sequence[str], options: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """:meth:`screen` of each query with its own options (keywords of :meth:`screen`), the same matches as one
        call each: the candidates of every query are found first, their vectorised scores computed in one pass
        (:meth:`fast_scores_many`), then each query's passing candidates explained and ranked. A query written
        under a right-to-left override, or with look-alike letters of other scripts, is screened as written and as
        read (:func:`query_texts`), each entity at the best of them."""
        other = [(k, text, why) for k, q in enumerate(queries) if not q.isascii()
                 for text, why in query_texts(q)[1:]]
        if not other:
            return self._screen_written(queries, options)
        found = self._screen_written([*queries, *(text for _, text, _ in other)],
                                     [*options, *(options[k] for k, _, _ in other)])
        merged = found[:len(queries)]
        for (k, text, why), also in zip(other, found[len(queries):], strict=True):
            merged[k] = _merge_readings(merged[k], also, queries[k], text, why, options[k].get("limit", 10))
        return merged

    def _screen_written(self, queries: Sequence[str], options: Sequence[dict[str, Any]]
                        ) -> list[list[dict[str, Any]]]:
        plans = [self._plan(query, **o) for query, o in zip(queries, options, strict=True)]
        found = iter(self._candidate_ids([q for plan in plans for q in plan.readings]))
        for plan in plans:
            for q in plan.readings:
                ids = next(found)
                cands: Sequence[int] | np.ndarray = ids
                if plan.only is not None or plan.lists:
                    cands = [i for i in ids.tolist() if (plan.only is None or i in plan.only) and
                             (not plan.lists or self.entities[self.names[i].entity].list_name in plan.lists)]
                if len(cands):
                    plan.items.append((q, cands))
        items = [(q, cands) for plan in plans for q, cands in plan.items]
        fast = iter(self.fast_scores_many(items))
        return [self._finish(plan, [next(fast) for _ in plan.items]) for plan in plans]

    def _plan(self, query: str, *, threshold: float = 0.8, country: str | None = None,
              entity_type: str | None = None, lists: Sequence[str] | None = None, limit: int = 10,
              birth_date: str | None = None, gender: str | None = None) -> _Plan:
        """What to score for one query: its readings (:meth:`query_names`), and which names it may match."""
        _check_threshold(threshold)
        text = clean_query(query)
        plan = _Plan(query, text, threshold, score_floor(threshold, birth_date), country, entity_type, lists, limit,
                     birth_date, gender)
        if self.unscreenable(text) is not None:
            plan.screenable = False
            return plan
        plan.tokens = analyse(text)[0]
        # no distinctive token, but a listed name of exactly these tokens: only such names may match
        plan.only = (None if has_distinctive_token(plan.tokens) else
                     set(self.generic_names.get(tuple(sorted(plan.tokens)), ())))
        plan.readings = self.query_names(text)
        return plan

    def _finish(self, plan: _Plan, fast: Sequence[np.ndarray]) -> list[dict[str, Any]]:
        """A query's matches from its candidates' vectorised scores: those that can pass are explained, refined
        by what the query states, and the best name of each entity kept."""
        if not plan.screenable:
            return []
        found: list[tuple[float, dict[str, Any], int]] = []
        for (q, cands), scores in zip(plan.items, fast, strict=True):
            for k in np.flatnonzero(scores >= plan.floor * 0.999).tolist():  # what cannot pass is not explained
                i = int(cands[k])
                found.append((*self.score(q, self.names[i]), i))
        text, tokens = plan.text, plan.tokens
        if is_abjad(text) and plan.only is None:
            found += [(s, why, i) for s, i, why in self.skeleton_matches(text, plan.floor, plan.lists)]
        if is_transcribed_han(text) and plan.only is None:
            found += [(s, why, i) for s, i, why in self.transcribed_matches(text, plan.floor, plan.lists)]
        q_forms = analyse(text)[1]

        def rank(s: float, name: _Name) -> tuple[float, bool, int, str, str]:
            # At the same (shown) score the exact name comes first, then the one with fewer extra tokens and legal
            # forms ("BANK MELLI IRAN" before "BANK MELLI IRAN ZAO"), then by entity id so the order is stable.
            extra, exact = _extra_tokens(tokens, q_forms, name)
            e = self.entities[name.entity]
            return -round(s, 4), not exact, extra, e.entity_id, e.list_name

        best: dict[int, tuple[float, _Name, dict[str, Any]]] = {}
        for s, why, i in found:
            name = self.names[i]
            s = _refine(s, why, self.entities[name.entity], plan.country, plan.entity_type, plan.birth_date,
                        plan.gender)
            if s >= plan.threshold and (name.entity not in best or rank(s, name) < rank(*best[name.entity][:2])):
                best[name.entity] = (s, name, why)
        out = []
        for s, name, why in sorted(best.values(), key=lambda x: rank(x[0], x[1]))[:plan.limit]:
            e = self.entities[name.entity]
            out.append({"query": plan.query, "matched_name": name.text, "entity_id": e.entity_id,
                        "list": e.list_name, "list_version": e.list_version, "score": round(s, 4),
                        "name_kind": name.kind, "type": e.type.value, "countries": list(e.countries),
                        "explanation": why, "reason": readable_reason(why, name.tokens, name.forms),
                        "programmes": list(e.programmes), "listing_reason": e.listing_reason})
        return out

    def skeleton_index(self) -> SkeletonIndex:
        """The consonant skeletons of every listed name, built on first use (about 1 s for 40,000 names): only
        queries in Arabic, Persian, Hebrew or Thai need it."""
        if self._skeleton_index is None and self._stored is not None:
            self._skeleton_index = self._stored("skeleton")
        if self._skeleton_index is None:
            index = SkeletonIndex.build(self.names)
            if self._weights_from is not None:  # a restricted screener weighs skeletons as over all the lists
                full = self._weights_from.skeleton_index()
                index = dataclasses.replace(index, idf=full.idf, default_idf=full.default_idf)
            self._skeleton_index = index
        return self._skeleton_index

    def coarse_index(self) -> SkeletonIndex:
        """The listed names' consonants in broad classes (:func:`~pinchpoint.screening.scripts.coarse_skeleton`),
        built on first use: only foreign names written in Chinese characters need it."""
        if self._coarse_index is None and self._stored is not None:
            self._coarse_index = self._stored("coarse")
        if self._coarse_index is None:
            index = SkeletonIndex.build(self.names, coarse=True)
            if self._weights_from is not None:  # weighed as over all the lists
                full = self._weights_from.coarse_index()
                index = dataclasses.replace(index, idf=full.idf, default_idf=full.default_idf)
            self._coarse_index = index
        return self._coarse_index

    def transcribed_matches(self, text: str, threshold: float = 0.8, lists: Sequence[str] | None = None
                            ) -> list[tuple[float, int, dict[str, Any]]]:
        """(score, name index, explanation) of listed names whose consonants, in broad classes, match a foreign
        name written by sound in Chinese characters (贝拉克·奥巴马 / Barack Obama)."""
        return self._skeleton_matches(self.coarse_index(), transcribed_skeletons(text), threshold, lists)

    def skeleton_matches(self, text: str, threshold: float = 0.8, lists: Sequence[str] | None = None
                         ) -> list[tuple[float, int, dict[str, Any]]]:
        """(score, name index, explanation) of listed names whose consonant skeleton matches a name written in an
        abjad (Arabic, Persian, Hebrew) or Thai: the script leaves vowels out, so the consonants are compared."""
        return self._skeleton_matches(self.skeleton_index(), abjad_skeletons(text), threshold, lists)

    def _skeleton_matches(self, index: SkeletonIndex, skeletons: Sequence[Skeleton], threshold: float,
                          lists: Sequence[str] | None) -> list[tuple[float, int, dict[str, Any]]]:
        out: list[tuple[float, int, dict[str, Any]]] = []
        for q in skeletons:
            cands = index.candidates(q)
            if lists:
                cands = np.array([i for i in cands.tolist() if self.entities[self.names[i].entity].list_name in lists],
                                 dtype=np.int64)
            if not len(cands):
                continue
            for i in cands[index.fast_scores(q, cands) >= threshold * 0.999].tolist():
                s, why = index.score(q, i)
                out.append((s, i, why))
        return out

    def compare(self, query: str, listed: str, entity_type: str | None = None) -> float:
        """The score of ``query`` against one name (weighted by this screener's IDF), without the index: the best
        of its own analysis, words run together split, cross-script readings of either name and, for an abjad or
        abugida on either side, consonant skeletons. ``entity_type`` "person" lets one name contain the other."""
        tokens, forms, _ = analyse(listed)
        q_tokens, q_forms, _ = analyse(query)
        if not tokens or not (q_tokens or q_forms):
            return 0.0
        person = entity_type == "person"
        initials = entity_type in (None, "person")
        name = _Name(-1, listed, "primary", tokens, forms)
        best = max((self.score(q, name, person, initials=initials)[0]
                    for q in self.query_names(query, frozenset(tokens))), default=0.0)
        if q_tokens:
            # the listed name read from its script, against the query as written (バラク・オバマ / Barack Obama)
            as_listed = _Name(-1, query, "primary", q_tokens, q_forms)
            for reading in latin_readings(listed):
                q = QueryName(reading.slots, forms, reading.joined, reading.script, reading.exact)
                best = max(best, self.score(q, as_listed, person, initials=initials)[0])
            split = self.split_glued(tokens, forms, frozenset(q_tokens))
            if split is not None:  # the listed name runs words together
                glued = QueryName.of_tokens(*split)
                best = max(best, self.score(QueryName(glued.slots, glued.forms, glued.joined, "glued"),
                                            as_listed, person, initials=initials)[0])
        abjad_query, abjad_listed = is_abjad(query), is_abjad(listed)
        if abjad_query or abjad_listed:
            index = self.skeleton_index()
            if abjad_query:
                listed_skeleton = SkeletonIndex.skeleton_of(listed, tokens)
                for q_skeleton in abjad_skeletons(query):
                    best = max(best, index.compare(q_skeleton, listed_skeleton)[0])
            if abjad_listed and q_tokens:
                q_skeleton = SkeletonIndex.skeleton_of(query, q_tokens)
                for l_skeleton in abjad_skeletons(listed):
                    best = max(best, index.compare(l_skeleton, q_skeleton)[0])
        # a foreign name written by sound in Chinese characters, on either side: consonants in broad classes
        for written, other in ((query, tokens), (listed, q_tokens)):
            if is_transcribed_han(written) and other:
                coarse = self.coarse_index()
                for skeleton in transcribed_skeletons(written):
                    best = max(best, coarse.compare(skeleton, SkeletonIndex.coarse_of(other))[0])
        return best

    def screen_batch(self, queries: Sequence[str], workers: int = 1, chunk: int = 256,
                     per_query: Sequence[dict[str, Any]] | None = None, **options: Any) -> list[list[dict[str, Any]]]:
        """``screen`` for each query, in order, with ``options`` (or, when given, each query's own options from
        ``per_query``); with ``workers > 1`` the queries are split across forked processes that share this
        screener's index (copy-on-write), so a batch uses every core."""
        if per_query is not None and len(per_query) != len(queries):
            raise ValueError(f"{len(per_query)} option sets for {len(queries)} queries")
        each = list(per_query) if per_query is not None else [options] * len(queries)
        if workers > 1 and len(queries) >= 2 * chunk:
            # the indexes built on first use are built once here, not once in every worker (and again every batch)
            if any(is_abjad(q) for q in queries):
                self.skeleton_index()
            if any(is_transcribed_han(q) for q in queries):
                self.coarse_index()
            self.initials_index()
        parts = forked_map(_screen_span, (self, queries, each), len(queries), chunk, workers)
        return [matches for part in parts for matches in part]

    def screen_many(self, queries: Sequence[str], **kwargs: Any) -> ResultTable:
        """Every match of every query, one row each; queries that cannot be screened, and an empty result, are
        explained in the caveats (which query, why, and what was searched)."""
        self.check_options(country=kwargs.get("country"), entity_type=kwargs.get("entity_type"),
                           lists=kwargs.get("lists"), birth_date=kwargs.get("birth_date"), gender=kwargs.get("gender"),
                           threshold=kwargs.get("threshold", 0.8))
        reviews = kwargs.pop("reviews", None)
        rows = [m for matches in self.screen_queries(queries, [kwargs] * len(queries)) for m in matches]
        columns: tuple[str, ...] = SCREEN_COLUMNS
        if reviews is not None:  # decisions taken on earlier alerts (pinchpoint.screening.reviews)
            from pinchpoint.screening.reviews import annotate

            rows = annotate(rows, reviews, self.entity_index(), refinements=kwargs)
            columns = (*SCREEN_COLUMNS, "alert", "review")
        table = ResultTable.from_records("screening", rows, columns,
                                         meta={"lists": {lst.list_name: lst.version for lst in self.lists},
                                               # a label can name two contents: the content hash tells them apart
                                               "list_digests": {lst.list_name: lst.digest for lst in self.lists},
                                               **{k: v for k, v in kwargs.items() if v is not None}})
        caveats = [f"{q!r} not screened: {why}" for q in queries if (why := self.unscreenable(q)) is not None]
        if fallback := japanese_fallback(queries):
            caveats.append(fallback)
        if not rows:
            searched = [lst for lst in self.lists if not kwargs.get("lists") or lst.list_name in kwargs["lists"]]
            caveats.append(f"no name scored {kwargs.get('threshold', 0.8):g} or more against the "
                           f"{sum(len(lst.entities) for lst in searched):,} entities of "
                           f"{', '.join(f'{lst.list_name} {lst.version}'.strip() for lst in searched)}")
        return table.with_caveats(*caveats) if caveats else table
