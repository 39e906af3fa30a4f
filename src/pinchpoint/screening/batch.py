"""Batch screening of a CSV file: one output row per input row, resumable, with a progress bar."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.results.table import SpreadsheetSafeDictWriter
from pinchpoint.screening.matcher import Screener

OUTPUT_COLUMNS = ["row", "query", "status", "matched_name", "entity_id", "list", "list_version", "score",
                  "n_matches", "explanation"]


def screen_file(screener: Screener, source: Path, output: Path, name_column: str = "name", workers: int = 1,
                block: int = 4096, **options: Any) -> str:
    """Screen every row of ``source``; rows already in ``output`` (from an interrupted run) are not redone.

    Each input row gives exactly one output row: its best match, ``no match``, or ``unreadable`` with the reason.
    Rows are screened ``block`` at a time across ``workers`` processes and written in input order after each
    block, so an interrupted run loses at most one block.
    """
    from rich.progress import Progress

    try:
        text = source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=str(source)) from None
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(source)) from None
    reader = csv.DictReader(text.splitlines())
    if name_column not in (reader.fieldnames or []):
        raise DataError(f"no column {name_column!r} (columns: {', '.join(reader.fieldnames or [])})",
                        file=str(source), row=1, field=name_column)
    rows = list(enumerate(reader, start=2))
    done: set[int] = set()
    if output.exists():
        with output.open(encoding="utf-8", newline="") as fh:
            done = {int(r["row"]) for r in csv.DictReader(fh) if r.get("row", "").isdigit()}
    counts = {"match": 0, "no match": 0, "unreadable": 0}
    new_file = not output.exists() or not done
    with output.open("a" if not new_file else "w", encoding="utf-8", newline="") as fh, Progress(transient=True) as bar:
        writer = SpreadsheetSafeDictWriter(fh, OUTPUT_COLUMNS)  # names from customers may start with '='
        if new_file:
            writer.writeheader()
        task = bar.add_task(f"screening {source.name}", total=len(rows))
        bar.advance(task, len(done))
        pending = [(line, row) for line, row in rows if line not in done]
        for start in range(0, len(pending), block):
            part = pending[start:start + block]
            names = [(row.get(name_column) or "").strip() for _, row in part]
            readable = [k for k, (_, row) in enumerate(part) if None not in row and names[k]]
            found = screener.screen_batch([names[k] for k in readable], workers=workers, **options)
            results = dict(zip(readable, found, strict=True))
            for k, (line, row) in enumerate(part):
                name = names[k]
                if k not in results:
                    status = "unreadable: " + ("row has more fields than the header" if None in row else "empty name")
                    writer.writerow({"row": line, "query": name, "status": status, "n_matches": 0})
                    counts["unreadable"] += 1
                elif results[k]:
                    best = results[k][0]
                    writer.writerow({"row": line, "query": name, "status": "match",
                                     "matched_name": best["matched_name"], "entity_id": best["entity_id"],
                                     "list": best["list"], "list_version": best["list_version"],
                                     "score": best["score"], "n_matches": len(results[k]),
                                     "explanation": json.dumps(best["explanation"], ensure_ascii=False)})
                    counts["match"] += 1
                else:
                    writer.writerow({"row": line, "query": name, "status": "no match", "n_matches": 0})
                    counts["no match"] += 1
            fh.flush()
            bar.advance(task, len(part))
    return (f"{source}: {len(rows)} rows ({len(done)} already screened); {counts['match']} matches, "
            f"{counts['no match']} no match, {counts['unreadable']} unreadable -> {output}")
