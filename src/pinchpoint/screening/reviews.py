"""Review memory: a reviewer's decision on an alert (a true match, or a false positive), kept in the workspace
(collection ``screening.reviews``), shown by every later screening of the same input against the same listed
entity, which does not alert again unless the entity's record has changed since the decision.

A decision is keyed by the input as screened (case and spacing folded) with the refinements it was screened with
(country, type, birth date, gender: two customers of one name born on different days are two inputs, and clearing one
does not clear the other), the list and the entity id; it holds the decision, reviewer, reason, date and a
fingerprint of the listed entity's record (its names, type, countries, birth dates, identifiers, addresses,
programmes and listing reason, not the list's version label). Each decision is a new version of its key, so the
history stays; the latest one counts.

A decision taken for an organisation (a workbench user's) is that organisation's: it is keyed with the
organisation, and screenings for that organisation see it before a decision taken without one (the operator's,
with the CLI), which every organisation sees.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pinchpoint.errors import BadArgumentError, NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.screening.model import ListedEntity, ScreeningList
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, register

REVIEWS = register(Collection("screening.reviews", version=1))
DECISIONS = ("true match", "false positive")
REVIEW_COLUMNS = ("query", "country", "entity_type", "birth_date", "gender", "list", "entity_id", "decision",
                  "reviewer", "reason", "decided_at", "entity_fingerprint", "organisation")
#: The refinements an input is screened with, which make it another input for a decision (screening.options)
REFINEMENTS = ("country", "entity_type", "birth_date", "gender")


@dataclass(frozen=True)
class Review:
    query: str
    list: str
    entity_id: str
    decision: str
    reviewer: str
    reason: str
    decided_at: str  # ISO 8601, UTC
    entity_fingerprint: str
    organisation: str = ""  # "" for a decision taken without one (the CLI's operator): every organisation sees it
    country: str = ""  # the refinements the input was screened with ("" none), as screening.options reads them
    entity_type: str = ""
    birth_date: str = ""
    gender: str = ""

    def refinements(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in REFINEMENTS if getattr(self, k)}


def query_key(query: str) -> str:
    """The input as a review remembers it: case-folded, spaces collapsed (an input re-typed with other spacing or
    case is the same input)."""
    return re.sub(r"\s+", " ", query).strip().casefold()


def refinements_of(options: Mapping[str, Any] | None) -> dict[str, str]:
    """The refinements among a screening's options that make an input another input for a decision (None and
    empty values left out; an entity type "unknown" is none)."""
    return {k: str(v) for k, v in (options or {}).items() if k in REFINEMENTS and v not in (None, "", "unknown")}


def review_key(query: str, list_name: str, entity_id: str, organisation: str = "",
               refinements: Mapping[str, Any] | None = None) -> str:
    """A decision's key: an input without refinements keeps the key it always had."""
    parts: list[Any] = [query_key(query), list_name, entity_id] + ([organisation] if organisation else [])
    if refined := refinements_of(refinements):
        parts.append(dict(sorted(refined.items())))
    return json.dumps(parts, ensure_ascii=False)


def fingerprint(entity: ListedEntity) -> str:
    """What the list says of the entity, hashed: the same when a new list version leaves the record alone. A gender
    or nationality that the listing reason itself states (OFAC's remarks: "Gender Male", "nationality Iran") is
    hashed as part of that text only, so records read before pinchpoint read it keep their fingerprints (no
    re-review, no delta change, for nothing the list changed)."""
    from pinchpoint.screening.loaders import ofac_countries, ofac_gender

    record = entity.model_dump(mode="json", exclude={"list_version"})
    if entity.gender and ofac_gender(entity.listing_reason) == entity.gender:
        record["gender"] = ""
    if entity.list_name == "OFAC SDN" and entity.countries and \
            tuple(entity.countries) == ofac_countries(entity.listing_reason):
        record["countries"] = []  # the nationalities OFAC's remarks state, read since: hashed as that text
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _entity(lists: Iterable[ScreeningList], list_name: str | None, entity_id: str) -> ListedEntity:
    found = [e for lst in lists if list_name is None or lst.list_name == list_name for e in lst.entities
             if e.entity_id == entity_id]
    if not found:
        raise NotFoundError(f"no entity {entity_id!r} in {list_name or 'the loaded lists'}", what="listed entity",
                            value=entity_id)
    if len(found) > 1:
        raise BadArgumentError(f"entity id {entity_id!r} is in {len(found)} lists: name the list")
    return found[0]


def record_review(ws: Workspace, lists: Sequence[ScreeningList], query: str, entity_id: str, decision: str,
                  reviewer: str, reason: str = "", list_name: str | None = None,
                  decided_at: datetime | None = None, organisation: str = "",
                  refinements: Mapping[str, Any] | None = None) -> Review:
    """Store a decision on the alert of ``query`` (screened with ``refinements``: country, entity_type, birth_date,
    gender, read as :mod:`pinchpoint.screening.options` reads them) against ``entity_id`` (a new version of that
    pair's record). The decision applies to later screenings of the same input with the same refinements only."""
    from pinchpoint.screening.options import refinements as read_refinements

    decision = decision.strip().lower().replace("-", " ").replace("_", " ")
    if decision not in DECISIONS:
        raise BadArgumentError(f"decision {decision!r}: one of {', '.join(DECISIONS)}")
    if not query_key(query):
        raise BadArgumentError("the reviewed input is empty")
    if not reviewer.strip():
        raise BadArgumentError("a decision names its reviewer")
    refined = refinements_of(read_refinements(refinements_of(refinements)))  # "Serbia" as SRB, an error if none
    entity = _entity(lists, list_name, entity_id)
    when = (decided_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    review = Review(query.strip(), entity.list_name, entity.entity_id, decision, reviewer.strip(), reason.strip(),
                    when, fingerprint(entity), organisation, **refined)
    payload = json.dumps(asdict(review), ensure_ascii=False, sort_keys=True)
    with ws.transaction():
        key = review_key(query, entity.list_name, entity.entity_id, organisation, refined)
        ws.collection(REVIEWS).put(key, payload, source=review.reviewer, meta={"decision": decision})
    return review


def latest_reviews(ws: Workspace) -> dict[str, Review]:
    """The latest decision for every reviewed (input, list, entity), by :func:`review_key`."""
    items = ws.collection(REVIEWS)
    return {v.key: Review(**json.loads(items.payload(v))) for v in items.latest_each()}


def review_table(ws: Workspace) -> ResultTable:
    reviews = sorted(latest_reviews(ws).values(), key=lambda r: (r.decided_at, r.query))
    table = ResultTable.from_records("screening_reviews", [asdict(r) for r in reviews], REVIEW_COLUMNS)
    return table if reviews else table.with_caveats("no decisions recorded in this workspace")


def for_organisation(reviews: dict[str, Review], organisation: str = "") -> dict[str, Review]:
    """The decisions that apply to ``organisation``, keyed as decisions taken without one: its own over the
    operator's, other organisations' left out. What :func:`annotate` reads for it, as one dict a batch can be given
    (and digest in its run key) whoever runs it."""
    out = {key: r for key, r in reviews.items() if not r.organisation}
    if organisation:
        for r in reviews.values():
            if r.organisation == organisation:
                out[review_key(r.query, r.list, r.entity_id, refinements=r.refinements())] = r
    return out


def annotate(matches: list[dict[str, Any]], reviews: dict[str, Review], entities: dict[tuple[str, str], ListedEntity],
             organisation: str = "", refinements: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each match of an input screened with ``refinements`` (the options it was screened with: only a decision on
    the same input with the same refinements is its decision) with the decision on it (``organisation``'s own, else
    one taken without an organisation), if any:
    ``review`` (decision, reviewer, reason, date, organisation) and ``alert``:
    "new" (no decision), "decided" (a decision on the same record: not alerted again) or "record changed" (the
    listed record changed since the decision: alerted again)."""
    out = []
    for m in matches:
        review = reviews.get(review_key(m["query"], m["list"], m["entity_id"], organisation, refinements)) \
            if organisation else None
        if review is None:  # the organisation's own decision first, else the operator's
            review = reviews.get(review_key(m["query"], m["list"], m["entity_id"], refinements=refinements))
        entity = entities.get((m["list"], m["entity_id"]))
        if review is None:
            out.append({**m, "alert": "new", "review": None})
            continue
        same = entity is not None and fingerprint(entity) == review.entity_fingerprint
        out.append({**m, "alert": "decided" if same else "record changed",
                    "review": {"decision": review.decision, "reviewer": review.reviewer, "reason": review.reason,
                               "decided_at": review.decided_at, "organisation": review.organisation}})
    return out
