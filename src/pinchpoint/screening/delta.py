"""Delta re-screening: stored customer files screened again against only what changed in the lists since they
were last screened, reporting new and resolved alerts.

A screened file is stored (collection ``screening.stored``, key a name the user gives, one version per
screening) when asked: its rows (line, every field, the name, each row's country, type and birth date), the
parameters it was screened with (threshold, filters, lists), the alerts it raised (input line, list, entity,
score) and a fingerprint of every listed entity's record at the time (:func:`pinchpoint.screening.reviews.
fingerprint`). Storing is explicit because customer files hold personal data: a compliance team decides which
files its workspace keeps (and drops them with the collection's own deletion).

:func:`rescreen_since_last` compares the stored fingerprints with the lists loaded now: an entity is *added*
(its id is new), *removed* (its id is gone) or *changed* (its record differs: names, type, countries, birth
dates, identifiers, addresses, programmes, listing reason). The stored names are screened again, with the stored
parameters, against only the added and changed entities (:meth:`Screener.restricted`, which weighs words as the
whole lists do, so every score is the one a full screening gives). Then:

* a match on an entity with no stored alert for that row is a **new alert**;
* a stored alert on a removed entity, or on a changed entity that no longer reaches the threshold, is
  **resolved**;
* a stored alert on a changed entity that still matches is **still alerted** (record changed: review it again);
* stored alerts on unchanged entities are carried unchanged, unless the lists' weights moved them (below): an
  alert on an unchanged entity found or resolved by the new weights says so (``entity_change`` "unchanged").

The result is stored as the next version of the same key, so the next run is "since" this one and the history of
screenings stays.

Word weights (IDF) and common words are list-wide: every update moves them a little, so a score against an
entity the update left alone moves too (by 0.003 in the benchmark, enough to cross the threshold). The stored
screening keeps the weights its scores were made with and, for each row, a bound on its score against every
entity it does not alert on (:func:`near_bound`: its matches down to ``NEAR_SHARE`` of the threshold, before the
substitution penalty, which other weights can lift). A delta compares the weights (:func:`weight_drift`): words
whose weight moved most against the others ("moved") send the rows and unchanged entities holding them to be
screened again, and the others' largest ratio bounds how far any other score can rise; rows whose bound reaches
the threshold so, and rows with an alert on an unchanged entity, are screened again in full. So the delta's alerts
and scores are a full re-screen's (``benchmarks/screening_delta.py`` and ``tests/screening/test_delta.py`` compare
them), at the cost of screening again the rows near the threshold.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pinchpoint.errors import BadArgumentError, NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.screening.matcher import BUILT, LOADED, SUBSTITUTION_FACTOR, Screener, check_list_names, score_floor
from pinchpoint.screening.model import ListedEntity, ScreeningList
from pinchpoint.screening.pool import forked_map
from pinchpoint.screening.prefilter import Prefilter, analyse_rows, row_spellings, rows_may_match, vocabulary_changes
from pinchpoint.screening.reviews import Review, annotate, fingerprint
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, register

if TYPE_CHECKING:
    from pinchpoint.screening.batch import InputRow

STORED = register(Collection("screening.stored", version=1))
#: Options a stored screening applies to every row (each row may override country, type and birth date).
GLOBAL_OPTIONS = ("threshold", "country", "entity_type", "birth_date", "lists", "gender")
ROW_OPTIONS = ("country", "entity_type", "birth_date", "gender")
DELTA_COLUMNS = ["row", "query", "change", "list", "entity_id", "entity_change", "matched_name", "previous_score",
                 "score", "list_version", "reason", "programmes", "listing_reason", "alert", "review"]
CHANGE_COLUMNS = ["list", "entity_id", "change", "name", "type"]
STORED_COLUMNS = ["key", "version", "stored_at", "source", "n_rows", "n_screened", "n_alerts", "threshold",
                  "lists"]


@dataclass(frozen=True)
class StoredRow:
    """One input row as stored: its line, the name screened, its own country/type/birth date (when the file
    gives them) and every field as read. ``screened`` is False for rows that were not screened (unreadable, or
    nothing distinctive): kept so the stored file is whole, never screened by a delta."""

    line: int
    name: str
    options: dict[str, str] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    screened: bool = True
    #: why the row was not screened ("nothing distinctive" rows are checked again: a new listed name made of the
    #: same generic words makes them screenable)
    status: str = ""
    #: what the matcher makes of the name (:func:`pinchpoint.screening.prefilter.analyse_row`), kept so a delta
    #: need not analyse every stored name again
    analysis: dict[str, Any] | None = None
    #: an upper bound, under the word weights stored with the screening, on the row's score against any listed
    #: entity it has no alert with, before the substitution penalty (:func:`near_bound`); None when unknown
    near: float | None = None


@dataclass(frozen=True)
class StoredAlert:
    line: int
    list: str
    entity_id: str
    score: float
    matched_name: str


@dataclass
class StoredScreening:
    """A screened file as kept in the workspace (see the module's description)."""

    key: str
    source: str
    header: tuple[str, ...]
    name_column: str
    options: dict[str, Any]
    rows: list[StoredRow]
    alerts: list[StoredAlert]
    #: list name -> entity id -> fingerprint of the record, for every entity the screening ran against
    fingerprints: dict[str, dict[str, str]]
    list_versions: dict[str, str]
    screened_at: str
    #: the listed vocabulary the rows' words run together were split against, and what read the names (the
    #: pinchpoint version and whether Japanese readings were on): analyses made otherwise are made again
    vocabulary: list[str] = field(default_factory=list)
    reader: str = ""
    #: the weights the scores were made with, by table (:func:`weight_tables`: "words", the IDF of the listed
    #: words, and "skeletons", of their consonant skeletons, each with "default", a weight of a word no list
    #: holds) and the common words: a delta works out from them which stored scores the lists' new weights can move
    #: across the threshold
    weights: dict[str, dict[str, Any]] = field(default_factory=dict)
    common: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> StoredScreening:
        raw = json.loads(data)
        raw["header"] = tuple(raw["header"])
        raw["rows"] = [StoredRow(r["line"], r["name"], r["options"], tuple(r["fields"]), r["screened"],
                                 r.get("status", ""), r.get("analysis"), r.get("near")) for r in raw["rows"]]
        raw["alerts"] = [StoredAlert(**a) for a in raw["alerts"]]
        return cls(**raw)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def reader() -> str:
    """What reads names besides the lists: the pinchpoint version, and whether Japanese readings are on."""
    import pinchpoint
    from pinchpoint.screening.scripts import japanese_readings_available

    # "analysis 2": rows analysed before foreign names in Chinese characters were flagged ("c") are analysed again
    return (f"pinchpoint {pinchpoint.__version__}; ja {'on' if japanese_readings_available() else 'off'}; "
            "analysis 2")


def screened_lists(screener: Screener, lists: Sequence[str] | None) -> list[ScreeningList]:
    """The lists a screening with the ``lists`` filter runs against (all loaded ones without it)."""
    check_list_names(lists, [lst.list_name for lst in screener.lists])
    return [lst for lst in screener.lists if not lists or lst.list_name in lists]


#: The least score a stored screening looks at below its threshold, as a share of the threshold: scores from there
#: up bound what the lists' next word weights can make of a row's score (:func:`near_bound`)
NEAR_SHARE = 0.75
#: How far a word's weight may move against the others (the median move) and still count as moved with them: a
#: word that moves more (it is in the entities an update adds, removes or changes, and rare) is "moved", and the
#: rows and entities holding it are screened again in full
WEIGHT_BAND = 0.01


def near_bound(threshold: float, found: Sequence[dict[str, Any]]) -> float:
    """An upper bound on a row's score before the substitution penalty (a word on each side matching nothing on
    the other: x ``SUBSTITUTION_FACTOR``, which other word weights can lift) against every entity it does not alert
    on, from its matches down to ``NEAR_SHARE`` x ``threshold`` (``found``, screened at that floor)."""
    below = [float(m["score"]) for m in found if float(m["score"]) < threshold]
    return max([threshold * NEAR_SHARE, *below]) / SUBSTITUTION_FACTOR


def screen_near(screener: Screener, names: Sequence[str], options: Sequence[dict[str, Any]], threshold: float,
                workers: int = 1) -> list[tuple[list[dict[str, Any]], float]]:
    """Each name's matches at or above ``threshold`` (as :meth:`Screener.screen` gives them, every one) and its
    :func:`near_bound`: screened once at the lower floor, and again at the threshold itself only where a match's
    shown (rounded) score is within rounding of the threshold."""
    floor = threshold * NEAR_SHARE
    limit = max(len(screener.entities), 1)
    each = [{**o, "threshold": floor, "limit": limit} for o in options]
    found = screener.screen_batch(list(names), workers=workers, per_query=each) if names else []
    out = [([m for m in f if float(m["score"]) >= threshold], near_bound(threshold, f)) for f in found]
    unsure = [k for k, f in enumerate(found) if any(threshold <= float(m["score"]) < threshold + 1e-4 for m in f)]
    if unsure:  # a shown score of the threshold may be a score just under it: the threshold decides
        again = screener.screen_batch([names[k] for k in unsure], per_query=[
            {**options[k], "threshold": threshold, "limit": limit} for k in unsure])
        for k, hits in zip(unsure, again, strict=True):
            out[k] = (hits, out[k][1])
    return out


def _fingerprint_span(entities: Sequence[ListedEntity], start: int, stop: int) -> list[str]:
    return [fingerprint(e) for e in entities[start:stop]]


def snapshot(lists: Iterable[ScreeningList], workers: int = 1, screener: Screener | None = None
             ) -> dict[str, dict[str, str]]:
    """The fingerprint of every entity's record, by list and id (on ``workers`` processes); taken from the index
    ``screener`` was loaded from, when it was and ``lists`` are its own (worked out when the lists were stored)."""
    lists = list(lists)
    known = screener.stored_part("fingerprints") if screener is not None else None
    if known is not None and screener is not None and all(any(lst is own for own in screener.lists)
                                                          for lst in lists):
        by_key = {(e.list_name, e.entity_id): p for e, p in zip(screener.entities, known, strict=True)}
        return {lst.list_name: {e.entity_id: by_key[(lst.list_name, e.entity_id)] for e in lst.entities}
                for lst in lists}
    entities = [e for lst in lists for e in lst.entities]
    parts = forked_map(_fingerprint_span, (entities,), len(entities), max(4096, -(-len(entities) // (2 * workers))),
                       workers)
    prints = iter(p for part in parts for p in part)
    return {lst.list_name: {e.entity_id: next(prints) for e in lst.entities} for lst in lists}


def weight_tables(screener: Screener, skeletons: bool) -> dict[str, dict[str, Any]]:
    """The weights a screener scores with: its words' IDF and, when ``skeletons`` (some stored name is written in
    an abjad), its consonant skeletons' (built here if not yet)."""
    tables = {"words": {"idf": dict(screener.idf), "default": screener.default_idf}}
    if skeletons:
        index = screener.skeleton_index()
        tables["skeletons"] = {"idf": dict(index.idf), "default": index.default_idf}
    return tables


def _weights(screener: Screener, rows: Sequence[StoredRow]) -> dict[str, Any]:
    abjad = any((r.analysis or {}).get("s") for r in rows if r.screened)
    return {"weights": weight_tables(screener, abjad), "common": sorted(screener.common_words)}


def make_stored(key: str, source: str, header: Sequence[str], name_column: str, options: dict[str, Any],
                rows: Sequence[StoredRow], matches: dict[int, list[dict[str, Any]]], screener: Screener,
                workers: int = 1) -> StoredScreening:
    """A :class:`StoredScreening` of a screening just run: ``matches`` holds each screened line's matches as
    :meth:`Screener.screen` returns them (every match at or above the threshold). Each screened row's
    :func:`near_bound` is worked out here (its names screened once more, down to ``NEAR_SHARE`` of the threshold),
    so that a delta can tell which rows the lists' next word weights may bring to an alert."""
    if not key.strip():
        raise BadArgumentError("a stored screening needs a name")
    kept = {k: v for k, v in options.items() if k in GLOBAL_OPTIONS and v is not None}
    kept.setdefault("threshold", 0.8)
    lists = screened_lists(screener, kept.get("lists"))
    alerts = [StoredAlert(line, m["list"], m["entity_id"], float(m["score"]), m["matched_name"])
              for line, found in sorted(matches.items()) for m in found]
    todo = [k for k, r in enumerate(rows) if r.screened and r.analysis is None]
    analysed = list(rows)
    for k, analysis in zip(todo, analyse_rows(screener, [rows[k].name for k in todo]), strict=True):
        analysed[k] = dataclasses.replace(rows[k], analysis=analysis)
    base = {k: v for k, v in kept.items() if k != "threshold"}
    screened = [k for k, r in enumerate(analysed) if r.screened and r.near is None]
    bounds = screen_near(screener, [analysed[k].name for k in screened],
                         [{**base, **analysed[k].options} for k in screened], float(kept["threshold"]), workers)
    for k, (_, bound) in zip(screened, bounds, strict=True):
        analysed[k] = dataclasses.replace(analysed[k], near=bound)
    return StoredScreening(key.strip(), source, tuple(header), name_column, kept, analysed, alerts,
                           snapshot(lists, screener=screener), {lst.list_name: lst.version for lst in lists}, _now(),
                           sorted(screener.idf), reader(), **_weights(screener, analysed))


class RowCollector:
    """The ``on_row`` of a batch run (:func:`pinchpoint.screening.batch.run_file`): keeps each input row and its
    matches, from which :meth:`stored` makes the screening to store."""

    def __init__(self) -> None:
        self.rows: list[StoredRow] = []
        self.matches: dict[int, list[dict[str, Any]]] = {}

    def __call__(self, row: InputRow, options: dict[str, str], group: Sequence[dict[str, Any]]) -> None:
        status = str(group[0]["status"])
        screened = status in ("match", "no match")
        self.rows.append(StoredRow(row.line, row.name, dict(options), tuple(row.fields), screened=screened,
                                   status="" if screened else status))
        if status == "match":
            self.matches[row.line] = [{"list": g["list"], "entity_id": g["entity_id"], "score": float(g["score"]),
                                       "matched_name": g["matched_name"]} for g in group]

    def stored(self, key: str, source: Path, name_column: str, options: dict[str, Any], screener: Screener,
               workers: int = 1) -> StoredScreening:
        from pinchpoint.screening.batch import read_header, read_text

        header = read_header(read_text(source)[1], source)
        rows = sorted(self.rows, key=lambda r: r.line)
        return make_stored(key, source.name, header, name_column, {k: options.get(k) for k in GLOBAL_OPTIONS},
                           rows, self.matches, screener, workers)


def check_storable(key: str, top: int | None) -> None:
    """A stored screening needs a name and every match at or above the threshold (a delta compares with all)."""
    if not key.strip():
        raise BadArgumentError("a stored screening needs a name", parameter="store")
    if top is not None:
        raise BadArgumentError("a stored screening keeps every match at or above the threshold: leave out top",
                               parameter="top")


def screen_file_stored(screener: Screener, source: Path, output: Path, key: str, name_column: str = "name",
                       **kwargs: Any) -> tuple[str, StoredScreening]:
    """:func:`pinchpoint.screening.batch.screen_file`, also returning the screening to store under ``key``
    (:func:`store_screening`). Every match at or above the threshold is kept, so ``top`` cannot be given: a delta
    compares with every alert."""
    from pinchpoint.screening.batch import screen_file

    check_storable(key, kwargs.get("top"))
    collector = RowCollector()
    summary = screen_file(screener, source, output, name_column, on_row=collector, **kwargs)
    return summary, collector.stored(key, source, name_column, kwargs, screener, int(kwargs.get("workers", 1)))


def store_screening(ws: Workspace, stored: StoredScreening, organisation: str = "") -> str:
    """Keep ``stored`` as the latest version of its key, for ``organisation`` ("" the operator's: only the operator
    sees it); returns the version label (its content hash)."""
    with ws.transaction():
        version = ws.collection(STORED).put(stored.key, stored.to_json(), source=stored.source, meta={
            "n_rows": len(stored.rows), "n_screened": sum(r.screened for r in stored.rows),
            "n_alerts": len(stored.alerts), "threshold": stored.options.get("threshold"),
            "lists": stored.list_versions, "stored_at": stored.screened_at,
            **({"organisation": organisation} if organisation else {})})
    return version.version


def stored_screening(ws: Workspace, key: str) -> StoredScreening:
    """The latest stored screening of ``key``; an unknown key is a :class:`NotFoundError` naming the stored
    ones."""
    items = ws.collection(STORED)
    found = items.latest(key)
    if found is None:
        known = items.keys()
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.3)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise NotFoundError(f"no stored screening {key!r} in {ws.path} ({hint}stored: {', '.join(known) or 'none'})",
                            suggestions=close, what="stored screening", value=key)
    return StoredScreening.from_json(items.payload(found))


def stored_table(ws: Workspace) -> ResultTable:
    """Every version of every stored screening, latest first."""
    rows = [{"key": v.key, "version": v.version, "stored_at": v.meta.get("stored_at"), "source": v.source,
             "n_rows": v.meta.get("n_rows"), "n_screened": v.meta.get("n_screened"),
             "n_alerts": v.meta.get("n_alerts"), "threshold": v.meta.get("threshold"),
             "lists": ", ".join(f"{k} {val}".strip() for k, val in sorted((v.meta.get("lists") or {}).items()))}
            for v in ws.collection(STORED).list()]
    table = ResultTable.from_records("screening_stored", rows, STORED_COLUMNS, meta={"workspace": str(ws.path)})
    return table if rows else table.with_caveats(f"no screened files are stored in {ws.path}")


@dataclass(frozen=True)
class EntityDelta:
    """What changed in the lists since a stored screening: (list, entity id) of each kind."""

    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    changed: tuple[tuple[str, str], ...]


def entity_delta(before: dict[str, dict[str, str]], lists: Sequence[ScreeningList],
                 now_fingerprints: dict[str, dict[str, str]] | None = None) -> EntityDelta:
    """Entities added, removed and changed in ``lists`` against the fingerprints ``before``. A list ``before``
    holds but ``lists`` lacks is an error: unloading a list is not a delisting of its entities."""
    now = {lst.list_name: lst for lst in lists}
    missing = sorted(set(before) - set(now))
    if missing:
        raise NotFoundError(f"the stored screening ran against {', '.join(missing)}, which is no longer loaded: "
                            "load it again, or screen the file afresh", what="restricted-party list",
                            value=missing[0], suggestions=sorted(now))
    added: list[tuple[str, str]] = []
    removed: list[tuple[str, str]] = []
    changed: list[tuple[str, str]] = []
    prints = now_fingerprints if now_fingerprints is not None else snapshot(lists)
    for name, lst in now.items():
        old = before.get(name, {})
        seen = set()
        for e in lst.entities:
            seen.add(e.entity_id)
            previous = old.get(e.entity_id)
            if previous is None:
                added.append((name, e.entity_id))
            elif previous != prints[name][e.entity_id]:
                changed.append((name, e.entity_id))
        removed += [(name, i) for i in old if i not in seen]
    return EntityDelta(tuple(added), tuple(removed), tuple(changed))


@dataclass(frozen=True)
class DeltaScreening:
    """What :func:`rescreen_since_last` found: ``alerts`` (new, resolved and still-alerted, one row each),
    ``changes`` (the entities added, removed and changed since the stored screening) and ``stored``, the
    screening to keep as the next version."""

    alerts: ResultTable
    changes: ResultTable
    stored: StoredScreening


def _change_rows(delta: EntityDelta, screener: Screener, before: StoredScreening) -> list[dict[str, Any]]:
    entities = screener.entity_index()
    names = {(a.list, a.entity_id): a.matched_name for a in before.alerts}
    rows = []
    for kind, keys in (("added", delta.added), ("changed", delta.changed), ("removed", delta.removed)):
        for key in keys:
            e = entities.get(key)
            rows.append({"list": key[0], "entity_id": key[1], "change": kind,
                         "name": e.primary_name if e is not None else names.get(key, ""),
                         "type": e.type.value if e is not None else ""})
    return rows


def rescreen_since_last(before: StoredScreening, screener: Screener, *, workers: int = 1,
                        reviews: dict[str, Review] | None = None) -> DeltaScreening:
    """Screen the rows of ``before`` again against only the entities that changed in ``screener``'s lists since
    it was stored (see the module's description), with the parameters it was stored with."""
    import gc

    # the stored rows are many small objects that never form cycles: collecting the heap again and again while
    # the delta allocates costs seconds for 100,000 rows
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _rescreen(before, screener, workers, reviews)
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class WeightDrift:
    """How the weights a screening's scores were made with moved since (:func:`weight_drift`)."""

    known: bool  # the stored screening holds its weights (stored by this version of pinchpoint)
    same: bool  # the weights and common words are those the stored scores were made with
    #: by table ("words", "skeletons"), the words whose weight moved against the median word's by more than the
    #: band, or that became common or stopped being common: rows and entities holding one are screened again
    moved: dict[str, frozenset[str]]
    #: the most any score over words that did not move can rise (the largest over the smallest ratio of their new
    #: weights to their old ones: precision, recall and containment are ratios of weighted sums)
    factor: float


#: Bands tried (see :data:`WEIGHT_BAND`): the one that leaves the fewest rows and entities to screen again is used
BANDS = (0.01, 0.02, 0.03, 0.05, 0.08)


def weight_drift(before: StoredScreening, screener: Screener, band: float = WEIGHT_BAND) -> WeightDrift:
    """What the lists' weights (IDF: they move with every entity added or removed, so a score against an
    unchanged entity moves too) and common words did since ``before`` was screened."""
    return weight_drifts(before, screener, (band,))[0]


def weight_drifts(before: StoredScreening, screener: Screener, bands: Sequence[float]) -> list[WeightDrift]:
    """:func:`weight_drift` for each of ``bands``, the weights compared once."""
    if "words" not in before.weights:
        return [WeightDrift(False, False, {}, math.inf) for _ in bands]
    now = weight_tables(screener, "skeletons" in before.weights)
    if now == before.weights and set(before.common) == screener.common_words:
        return [WeightDrift(True, True, {}, 1.0) for _ in bands]
    compared = []
    for table, then in before.weights.items():
        old, new = then["idf"], now[table]["idf"]
        old_default, new_default = float(then["default"]), float(now[table]["default"])
        words = sorted(set(old) | set(new))
        logs = np.array([math.log(new.get(w, new_default) / old.get(w, old_default)) for w in words])
        centre = float(np.sort(logs)[len(logs) // 2]) if len(logs) else 0.0
        default = math.log(new_default / old_default)  # a word no list holds: any query may hold one
        compared.append((table, words, logs, centre, default))
    common = set(before.common) ^ set(screener.common_words)
    out = []
    for band in bands:
        width = math.log1p(band)
        moved: dict[str, frozenset[str]] = {}
        factor = 1.0
        for table, words, logs, centre, default in compared:
            if abs(default - centre) > width:
                moved = {}
                factor = math.inf
                break
            far = np.abs(logs - centre) > width
            out_words = {words[k] for k in np.flatnonzero(far)}
            if table == "words":
                out_words |= common
                far |= np.array([w in common for w in words], dtype=bool)
            kept = logs[~far]
            low, high = min(default, float(kept.min(initial=default))), max(default, float(kept.max(initial=default)))
            factor = max(factor, math.exp(high - low))
            moved[table] = frozenset(out_words)
        out.append(WeightDrift(True, False, moved, factor))
    return out


def _holding(sets: Iterable[Iterable[str]], wanted: frozenset[str]) -> dict[str, np.ndarray]:
    """Which of ``sets`` (by index) hold each word of ``wanted``."""
    found: dict[str, list[int]] = defaultdict(list)
    for k, words in enumerate(sets):
        for w in wanted.intersection(words):
            found[w].append(k)
    return {w: np.array(ks, dtype=np.int64) for w, ks in found.items()}


def _any_of(index: dict[str, np.ndarray], words: Iterable[str], size: int) -> np.ndarray:
    """A mask of the items (of ``size``) ``index`` says hold one of ``words``."""
    mask = np.zeros(size, dtype=bool)
    hits = [index[w] for w in words if w in index]
    if hits:
        mask[np.concatenate(hits)] = True
    return mask


def _weights_moved(before: StoredScreening, screener: Screener, rows: Sequence[StoredRow],
                   glued: Sequence[tuple[tuple[str, ...], tuple[str, ...]] | None], touched: set[tuple[str, str]],
                   threshold: float, in_scope: set[str]) -> tuple[WeightDrift, set[int], set[tuple[str, str]]]:
    """What the weights' drift since ``before`` asks to screen again, beside the entities that changed: the rows
    (indexes of ``rows``) to screen in full against every entity with the new weights, because their score
    against an unchanged entity may have moved across the threshold, and the unchanged entities holding a moved
    word, to screen every row against. Rows: all of them when the weights are not known or moved too far; else
    rows holding a moved word or skeleton, rows written in Chinese characters by sound (scored by broad consonant
    classes, with weights of their own), rows with an alert on an unchanged entity (its score is worked out again)
    and rows whose bound, grown by the weights' factor, reaches the threshold. Of :data:`BANDS`, the one leaving
    the least to screen again."""
    drifts = weight_drifts(before, screener, (WEIGHT_BAND, *BANDS))
    first = drifts[0]
    if first.same:
        return first, set(), set()
    if not math.isfinite(first.factor):
        return first, set(range(len(rows))), set()
    alerted = {a.line for a in before.alerts if (a.list, a.entity_id) not in touched}
    n = len(rows)
    # the rows and names holding a word some band counts as moved
    words = frozenset().union(*(d.moved.get("words", ()) for d in drifts))
    skeletons = frozenset().union(*(d.moved.get("skeletons", ()) for d in drifts))
    row_words = _holding((row_spellings(r.analysis or {}, g) for r, g in zip(rows, glued, strict=True)), words)
    row_skeletons = _holding(((t for sk in (r.analysis or {}).get("s", []) for t in sk) for r in rows), skeletons)
    always = np.array([r.near is None or bool((r.analysis or {}).get("c")) or r.line in alerted for r in rows],
                      dtype=bool)
    near = np.array([r.near if r.near is not None else -math.inf for r in rows])
    name_words = _holding((nm.tokens for nm in screener.names), words)
    name_skeletons = (_holding((sk.tokens for sk in screener.skeleton_index().skeletons), skeletons)
                      if "skeletons" in before.weights else {})
    entity_of = [screener.entities[nm.entity] for nm in screener.names]
    cut = threshold * 0.999
    best: tuple[float, WeightDrift, set[int], set[tuple[str, str]]] | None = None
    for drift in drifts[1:]:
        if not math.isfinite(drift.factor):
            continue
        moved_words, moved_skeletons = drift.moved.get("words", frozenset()), drift.moved.get("skeletons",
                                                                                                frozenset())
        full = (always | (near * drift.factor >= cut) | _any_of(row_words, moved_words, n) |
                _any_of(row_skeletons, moved_skeletons, n))
        names = (_any_of(name_words, moved_words, len(entity_of)) |
                 _any_of(name_skeletons, moved_skeletons, len(entity_of)))
        reweighed = {(e.list_name, e.entity_id) for e in (entity_of[i] for i in np.flatnonzero(names))
                     if e.list_name in in_scope and (e.list_name, e.entity_id) not in touched}
        cost = int(full.sum()) + len(reweighed) / 10  # an entity more to screen every row against costs little
        if best is None or cost < best[0]:
            best = (cost, drift, set(np.flatnonzero(full).tolist()), reweighed)
    if best is None:
        return first, set(range(len(rows))), set()
    return best[1], best[2], best[3]


def _split_span(screener: Screener, texts: Sequence[tuple[tuple[str, ...], tuple[str, ...]]], start: int,
                stop: int) -> list[tuple[tuple[str, ...], tuple[str, ...]] | None]:
    return [screener.split_glued(tokens, forms) for tokens, forms in texts[start:stop]]


def _rescreen(before: StoredScreening, screener: Screener, workers: int, reviews: dict[str, Review] | None
              ) -> DeltaScreening:
    options = dict(before.options)
    threshold = float(options.get("threshold", 0.8))
    lists = screened_lists(screener, options.get("lists"))
    now = snapshot(lists, workers, screener)
    delta = entity_delta(before.fingerprints, lists, now)
    touched = set(delta.added) | set(delta.changed)
    # rows not screened for want of a distinctive word are screenable once a listed name is made of their words
    stored_rows = [r if r.screened or not r.status.startswith("not screened") or screener.unscreenable(r.name)
                   else dataclasses.replace(r, screened=True, status="") for r in before.rows]
    rows = [r for r in stored_rows if r.screened]
    same_reader = before.reader == reader()
    redo = [k for k, r in enumerate(rows) if r.analysis is None or not same_reader]
    for k, analysis in zip(redo, analyse_rows(screener, [rows[k].name for k in redo], workers), strict=True):
        rows[k] = dataclasses.replace(rows[k], analysis=analysis)
    changed_words = vocabulary_changes(before.vocabulary, screener.idf) if same_reader else None
    # rows holding a word the vocabulary gained or lost may split differently: split again, on every core
    resplit = [k for k, r in enumerate(rows) if changed_words is not None and
               any(changed_words.search(t) for t in (r.analysis or {})["t"] if len(t) >= 5)]
    texts = [(tuple((rows[k].analysis or {})["t"]), tuple((rows[k].analysis or {})["f"])) for k in resplit]
    splits = forked_map(_split_span, (screener, texts), len(texts), max(1024, -(-len(texts) // (2 * workers))),
                        workers)
    for k, split in zip(resplit, (s for part in splits for s in part), strict=True):
        analysis = {**(rows[k].analysis or {}), "g": [list(split[0]), list(split[1])] if split is not None else None}
        rows[k] = dataclasses.replace(rows[k], analysis=analysis)
    glued = [(tuple(a["g"][0]), tuple(a["g"][1])) if a["g"] else None for a in (r.analysis or {} for r in rows)]
    gone = set(delta.removed)
    drift, full, reweighed = _weights_moved(before, screener, rows, glued, touched | gone, threshold,
                                            {lst.list_name for lst in lists})
    restricted = screener.restricted(touched | reweighed)
    base = {k: v for k, v in options.items() if k in GLOBAL_OPTIONS and k != "threshold"}
    found: dict[int, list[dict[str, Any]]] = {}
    bounds: dict[int, float] = {}
    if full:
        picked = sorted(full)
        for k, (hits, bound) in zip(picked, screen_near(screener, [rows[k].name for k in picked],
                                                        [{**base, **rows[k].options} for k in picked], threshold,
                                                        workers), strict=True):
            found[k], bounds[k] = hits, bound
    candidates = 0
    rest = [k for k in range(len(rows)) if k not in full]
    if (touched or reweighed) and rest:
        # the rows' scores against what changed, down to the floor their bounds need; a birth date that agrees can
        # lift a score, so the prefilter bounds the score before it
        floor = threshold * NEAR_SHARE
        dated = bool(options.get("birth_date")) or any(r.options.get("birth_date") for r in rows)
        may = rows_may_match(Prefilter(restricted), [rows[k].analysis or {} for k in rest], [glued[k] for k in rest],
                             score_floor(floor, "dated") if dated else floor, workers)
        picked = [k for k, ok in zip(rest, may, strict=True) if ok]
        candidates = len(picked)
        for k, (hits, bound) in zip(picked, screen_near(restricted, [rows[k].name for k in picked],
                                                        [{**base, **rows[k].options} for k in picked], threshold,
                                                        workers), strict=True):
            found[k], bounds[k] = hits, bound
    # each row's alerts now: a row screened in full has exactly its new matches; another keeps its alerts on
    # entities that did not change (their scores cannot have moved across the threshold) and adds its matches on
    # the entities that changed
    by_line = {r.line: r for r in before.rows}
    previous: dict[int, dict[tuple[str, str], StoredAlert]] = defaultdict(dict)
    for a in before.alerts:
        previous[a.line][(a.list, a.entity_id)] = a
    screened_lines = {r.line for r in rows}
    full_lines = {rows[k].line for k in full}
    matches = {rows[k].line: hits for k, hits in found.items() if hits}
    rescored = touched | reweighed
    out: list[dict[str, Any]] = []
    kept_alerts: list[StoredAlert] = []
    for line in sorted(set(previous) | set(matches)):
        new_hits = {(m["list"], m["entity_id"]): m for m in matches.get(line, [])}
        for key, a in sorted(previous.get(line, {}).items()):
            if key in new_hits:
                continue
            if key in gone:
                out.append(_row(by_line[line], "resolved", "removed", a, None))
            elif line in full_lines or key in rescored or line not in screened_lines:
                if line not in screened_lines:
                    kept_alerts.append(a)  # a row no longer screened keeps what it had (not screened now)
                    continue
                kind = "changed" if key in set(delta.changed) else "unchanged"
                out.append(_row(by_line[line], "resolved", kind, a, None))
            else:
                kept_alerts.append(a)  # an unchanged entity, a row far from the threshold: carried
        for key, m in sorted(new_hits.items()):
            old = previous.get(line, {}).get(key)
            kind = ("changed" if key in set(delta.changed) else "added" if key in set(delta.added) else
                    "unchanged")
            if old is None:
                out.append(_row(by_line[line], "new alert", kind, None, m))
            elif kind == "changed":
                out.append(_row(by_line[line], "still alerted", kind, old, m))
            kept_alerts.append(StoredAlert(line, m["list"], m["entity_id"], float(m["score"]), m["matched_name"]))
    order = {"new alert": 0, "still alerted": 1, "resolved": 2}
    out.sort(key=lambda r: (order[r["change"]], r["row"], r["list"], r["entity_id"]))
    if reviews is not None:
        entities = screener.entity_index()
        annotated = [a for r in out if r["change"] != "resolved"  # each row with the refinements it was screened with
                     for a in annotate([r], reviews, entities, refinements={**base, **by_line[r["row"]].options})]
        out = annotated + [r for r in out if r["change"] == "resolved"]
    # each row's bound for the next delta: fresh where screened in full; else grown by the weights' factor, and
    # raised by its scores against the entities that changed (or the floor, where the prefilter ruled them out)
    growth = drift.factor if math.isfinite(drift.factor) else 1.0
    floor_bound = threshold * NEAR_SHARE / SUBSTITUTION_FACTOR
    refreshed = {}
    for k, r in enumerate(rows):
        if k in full:
            near: float | None = bounds[k]
        elif r.near is None:
            near = None
        else:
            near = max(r.near * growth, bounds.get(k, floor_bound))
        # made directly: dataclasses.replace costs seconds over 100,000 rows
        refreshed[r.line] = StoredRow(r.line, r.name, r.options, r.fields, r.screened, r.status, r.analysis, near)
    after = StoredScreening(before.key, before.source, before.header, before.name_column, before.options,
                            [refreshed.get(r.line, r) for r in stored_rows],
                            sorted(kept_alerts, key=lambda a: (a.line, a.list, a.entity_id)),
                            now, {lst.list_name: lst.version for lst in lists}, _now(),
                            sorted(screener.idf), reader(), **_weights(screener, stored_rows))
    meta = {"stored": before.key, "since": before.screened_at, "threshold": threshold,
            "lists_before": before.list_versions, "lists_now": after.list_versions,
            "rows_rescreened": len(rows) if touched or reweighed or full else 0,
            "rows_matched_in_full": candidates, "rows_screened_in_full": len(full),
            "entities_rescreened": len(touched), "entities_reweighed": len(reweighed), "index": screener.origin,
            "added": len(delta.added), "removed": len(delta.removed), "changed": len(delta.changed)}
    counts = {k: sum(1 for r in out if r["change"] == k) for k in order}
    caveats = [
        f"screened again: {len(rows):,} stored rows against the {len(touched):,} entities added or changed since "
        f"{before.screened_at} ({len(delta.added):,} added, {len(delta.changed):,} changed; "
        f"{len(delta.removed):,} removed); alerts on the other entities are carried from that screening",
        f"{counts['new alert']} new alerts, {counts['still alerted']} still alerted on a changed record, "
        f"{counts['resolved']} resolved, at threshold {threshold:g} with the stored parameters"]
    if not drift.same:
        caveats.append(
            f"the lists' word weights moved with the update: {len(full):,} rows whose score against an unchanged "
            f"entity could cross the threshold were screened in full again, and {len(reweighed):,} unchanged "
            f"entities holding a word whose weight moved most were screened again; the alerts are those a full "
            f"re-screen gives (an alert on an unchanged entity found or resolved so says 'unchanged')")
    if not drift.known:
        caveats.append("the stored screening holds no word weights (stored by an earlier pinchpoint): every row was "
                       "screened in full again")
    if not touched and not delta.removed and drift.same:
        caveats.insert(0, f"nothing changed in {', '.join(f'{k} {v}' for k, v in after.list_versions.items())} "
                          f"since {before.screened_at}: no new or resolved alerts")
    if screener.origin not in (BUILT, LOADED):  # a stored index was missing, stale or damaged: say why
        caveats.append(f"the screening index was {screener.origin}")
    if not same_reader:
        caveats.append(f"the names were read by {before.reader or 'an older pinchpoint'} and are now read by "
                       f"{reader()}: every stored name was analysed again")
    unscreened = len(before.rows) - len(rows)
    if unscreened:
        caveats.append(f"{unscreened} stored rows were not screened then (unreadable or nothing distinctive) and "
                       "are not now")
    alerts = ResultTable.from_records("screening_delta", out, DELTA_COLUMNS, meta=meta).with_caveats(*caveats)
    changes = ResultTable.from_records("screening_list_changes", _change_rows(delta, screener, before),
                                       CHANGE_COLUMNS, meta=meta)
    if not changes.rows:
        changes = changes.with_caveats(f"no entity added, removed or changed since {before.screened_at}")
    return DeltaScreening(alerts, changes, after)


def _row(row: StoredRow, change: str, entity_change: str, old: StoredAlert | None, new: dict[str, Any] | None
         ) -> dict[str, Any]:
    source = new or {}
    return {"row": row.line, "query": row.name, "change": change,
            "list": source.get("list") or (old.list if old else ""),
            "entity_id": source.get("entity_id") or (old.entity_id if old else ""), "entity_change": entity_change,
            "matched_name": source.get("matched_name") or (old.matched_name if old else ""),
            "previous_score": old.score if old else None, "score": source.get("score"),
            "list_version": source.get("list_version"), "reason": source.get("reason") or (
                "the entity was removed from the list" if entity_change == "removed" and new is None else
                "the changed record no longer reaches the threshold" if new is None else ""),
            "programmes": source.get("programmes", []), "listing_reason": source.get("listing_reason", ""),
            "alert": None, "review": None}
