"""Screening for the pages, until the Session's screening group is there: the screener and the review decisions are
held by the one :class:`~pinchpoint.session.Session` (its cache, its stamps, its authoriser and recorder), and
decisions go to the workspace collection ``screening.reviews`` that ``pinchpoint review add | list`` and ``screen``
use, so one store holds every decision whichever interface took it."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import DataError, PinchpointError, WorkspaceError
from pinchpoint.progress import ProgressCallback
from pinchpoint.results import ResultTable

if TYPE_CHECKING:
    from pinchpoint.screening.matcher import Screener
    from pinchpoint.screening.reviews import Review
    from pinchpoint.session import Session


def list_records(session: Session) -> list[dict[str, Any]]:
    """The stored restricted-party lists (name, version, counts, content hash), re-read when the workspace changed."""
    from pinchpoint.screening.store import list_table

    def read() -> tuple[dict[str, Any], ...]:
        if not session.workspace_exists():
            return ()
        with session.open_reader() as ws:
            return tuple(list_table(ws).records())

    records = session.stamp("screening_lists", read)
    assert isinstance(records, tuple)
    return list(records)


def screener(session: Session) -> tuple[Screener, dict[str, str]]:
    """The screener over the stored lists (built once per set of list versions, held by the session) and those
    versions."""
    from pinchpoint.screening.matcher import Screener
    from pinchpoint.screening.store import read_lists

    session.authorize("screening.screen", "lists:*")
    records = list_records(session)
    if not records:
        raise WorkspaceError("no restricted-party lists are loaded on this server yet (an operator loads them with "
                             "the lists command)", what="restricted-party lists")
    stamp = tuple(str(r["content_hash"]) for r in records)

    def build() -> Screener:
        built = Screener(read_lists(session.db_path()))
        built.skeleton_index()  # built with the lists, not on a user's first Arabic query
        return built

    return session.cache.get(("web", "screener"), stamp, build), list_versions(records)


def reviews(session: Session) -> dict[str, Review]:
    """The latest decision on every reviewed (input, list, entity), re-read when the workspace changed."""
    from pinchpoint.screening.reviews import latest_reviews

    def read() -> tuple[tuple[str, Review], ...]:
        if not session.workspace_exists():
            return ()
        with session.open_reader() as ws:
            return tuple(latest_reviews(ws).items())

    held = session.stamp("screening_reviews", read)
    assert isinstance(held, tuple)
    return dict(held)


def annotate(session: Session, held: Screener, organisation: str, matches: list[dict[str, Any]], *,
             decided_last: bool = True) -> list[dict[str, Any]]:
    """Matches with the decision on each (the organisation's own, else the operator's); decided ones last unless
    ``decided_last`` is False (then in the order given)."""
    from pinchpoint.screening.reviews import annotate as with_reviews

    out = with_reviews(matches, reviews(session), held.entity_index(), organisation)
    return sorted(out, key=lambda m: m["alert"] == "decided") if decided_last else out


def decide(session: Session, held: Screener, *, query: str, list_name: str, entity_id: str, decision: str,
           reason: str, reviewer: str, organisation: str) -> Review:
    """Record a decision on an alert in ``screening.reviews`` (for ``organisation``), after the access check."""
    from pinchpoint.screening.reviews import record_review

    reason = reason.strip()
    if not reason:
        raise PinchpointError("a decision needs a reason")
    session.authorize("screening.review", f"review:{list_name}:{entity_id}")
    with session.open_workspace() as ws:
        review = record_review(ws, held.lists, query, entity_id, decision, reviewer, reason[:1000], list_name,
                               organisation=organisation)
    session.record("review", f"alert:{list_name}:{entity_id}"[:200],
                   {"query": query[:500], "decision": review.decision, "reason": review.reason})
    return review


def list_versions(records: list[dict[str, Any]]) -> dict[str, str]:
    return {str(r["list_name"]): str(r["version"]) for r in records}


def read_names(data: bytes, filename: str, name_column: str, max_rows: int) -> list[tuple[int, str, str]]:
    """(row number, name, problem or "") of an uploaded CSV, through the batch reader (errors name file, row,
    field)."""
    from pinchpoint.screening.batch import read_rows

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=filename) from None
    try:
        rows = read_rows(text, Path(filename), name_column)
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", file=filename) from None
    if not rows:
        raise DataError("no rows to screen below the header", file=filename, row=2)
    if len(rows) > max_rows:
        raise DataError(f"{len(rows):,} rows: a batch from the page takes at most {max_rows:,} (use the CLI for "
                        "more)", file=filename)
    return [(r.line, r.name, r.problem or "") for r in rows]


def status_of(match: dict[str, Any]) -> str:
    """A match's status in the results: 'alert' until decided on this record, else the decision
    ('false_positive', 'true_match')."""
    review = match.get("review") or {}
    if match.get("alert") != "decided" or not review:
        return "alert"
    return str(review["decision"]).replace(" ", "_")


def screen_batch(session: Session, held: Screener, organisation: str, rows: list[tuple[int, str, str]],
                 threshold: float, out_dir: Path, progress: ProgressCallback) -> dict[str, Any]:
    """Screen every row (all matches above the threshold, not only the best), aware of earlier decisions; write
    the results as CSV and JSON in ``out_dir``; return a summary with the alerts for review."""
    from pinchpoint.results.table import write_table

    records: list[dict[str, Any]] = []
    started = time.monotonic()
    for k, (line, name, problem) in enumerate(rows):
        matches = [] if problem else annotate(session, held, organisation, held.screen(name, threshold=threshold))
        note = problem or held.unscreenable(name) or ""
        if not matches:
            status = "unreadable" if problem else "unscreenable" if note else "no match"
            records.append({"row": line, "query": name, "matched_name": "", "entity_id": "", "list": "",
                            "list_version": "", "score": None, "status": status,
                            "note": note, "decision": "", "reason": ""})
        for m in matches:
            review = m["review"] or {}
            status = status_of(m)
            records.append({"row": line, "query": name, "matched_name": m["matched_name"],
                            "entity_id": m["entity_id"], "list": m["list"], "list_version": m["list_version"],
                            "score": m["score"], "status": status, "note": note,
                            "decision": review.get("decision", "") if status != "alert" else "",
                            "reason": review.get("reason", "") if status != "alert" else ""})
        progress(k + 1, len(rows), "screening")
    table = ResultTable.from_records(
        "screening_batch", records,
        columns=["row", "query", "matched_name", "entity_id", "list", "list_version", "score", "status", "note",
                 "decision", "reason"],
        meta={"analysis": "screening batch", "threshold": threshold, "rows": len(rows),
              "seconds": round(time.monotonic() - started, 2)})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(table, out_dir / "results.csv")
    write_table(table, out_dir / "results.json")
    return {"rows": len(rows), "alerts": sum(1 for r in records if r["status"] == "alert"),
            "remembered": sum(1 for r in records if r["status"] == "false_positive"),
            "true_matches": sum(1 for r in records if r["status"] == "true_match"),
            "files": ["results.csv", "results.json"]}
