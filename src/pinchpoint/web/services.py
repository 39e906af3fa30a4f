"""What the screening pages add to the Session's screening group: reading an uploaded CSV of names, and a batch
written as the page's results file (one row per match, or one saying why there is none). Screening, review
decisions and their store (the workspace collection ``screening.reviews``, which ``pinchpoint review add | list``
and ``screen`` use too) are :attr:`Session.screening`'s."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import DataError
from pinchpoint.progress import ProgressCallback
from pinchpoint.results import ResultTable

if TYPE_CHECKING:
    from pinchpoint.session import Session


def current_decisions(session: Session, organisation: str, matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``matches`` (query, list, entity_id) with the decision on each as of now (the organisation's own, else the
    operator's), in the order given: for results screened before a decision was taken."""
    from pinchpoint.screening.reviews import annotate

    screening = session.screening
    return annotate(matches, screening.reviews(), screening.screener().entity_index(), organisation)


def read_names(data: bytes, filename: str, name_column: str, max_rows: int) -> list[tuple[int, str, str]]:
    """(row number, name, problem or "") of an uploaded CSV, through the batch reader (errors name file, row,
    field)."""
    from pinchpoint.screening.batch import decode_input, read_rows

    text = decode_input(data, filename)  # UTF-8, or UTF-16 with its byte-order mark (Excel's Unicode text)
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


def screen_batch(session: Session, organisation: str, rows: list[tuple[int, str, str]], threshold: float,
                 out_dir: Path, progress: ProgressCallback) -> dict[str, Any]:
    """Screen every row through the Session (all matches above the threshold, not only the best, with the decisions
    taken on them); write the results as CSV and JSON in ``out_dir``; return a summary with the alerts for
    review."""
    from pinchpoint.results.table import write_table

    records: list[dict[str, Any]] = []
    started = time.monotonic()
    screener = session.screening.screener()
    versions: dict[str, str] = {}
    for k, (line, name, problem) in enumerate(rows):
        matches: list[dict[str, Any]] = []
        if not problem:
            table = session.screening.screen([name], threshold=threshold, organisation=organisation)
            matches = [dict(m) for m in table.rows]
            versions = dict(table.meta.get("lists", versions))
        note = problem or screener.unscreenable(name) or ""
        if not matches:
            status = "unreadable" if problem else "unscreenable" if note else "no match"
            records.append({"row": line, "query": name, "matched_name": "", "entity_id": "", "list": "",
                            "list_version": "", "score": None, "status": status,
                            "note": note, "decision": "", "reason": ""})
        for m in matches:
            review = m.get("review") or {}
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
        meta={"analysis": "screening batch", "threshold": threshold, "rows": len(rows), "lists": versions,
              "seconds": round(time.monotonic() - started, 2)})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(table, out_dir / "results.csv")
    write_table(table, out_dir / "results.json")
    return {"rows": len(rows), "alerts": sum(1 for r in records if r["status"] == "alert"),
            "remembered": sum(1 for r in records if r["status"] == "false_positive"),
            "true_matches": sum(1 for r in records if r["status"] == "true_match"),
            "files": ["results.csv", "results.json"]}
