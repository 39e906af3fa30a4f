"""Batch screening of a CSV file: one output row per input row, resumable, with a progress bar.

A run is resumed only when it is the same run: the same input content (SHA-256), the same lists (name, version
and content digest), the same parameters (threshold, filters, name column) and the same pinchpoint version. The
key is kept beside the output (``<output>.run.json``); any difference starts the output afresh and says what
differed, so the results of one file are never passed off as those of another.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.results.table import SpreadsheetSafeDictWriter
from pinchpoint.screening.matcher import Screener

OUTPUT_COLUMNS = ["row", "query", "status", "matched_name", "entity_id", "list", "list_version", "score",
                  "n_matches", "explanation"]
MAX_REPORTED = 5  # unreadable rows named in the one-line summary (all of them are in the output file)


@dataclass(frozen=True)
class InputRow:
    """One record of the input: the line it starts on, its name, and why it cannot be screened (if so)."""

    line: int
    name: str
    problem: str | None
    short: bool = False  # fewer fields than the header


def read_rows(text: str, source: Path, name_column: str) -> list[InputRow]:
    """Each record of a CSV text with the line it starts on. Records that cannot be screened carry the reason:
    more fields than the header, an empty name, NUL bytes, a quote left open that swallowed the lines after it,
    or a last record cut short."""
    rows = list(_records(text, source, name_column))
    last = rows[-1] if rows else None
    if last is not None and last.problem is None and last.short and not text.endswith(("\n", "\r")):
        rows[-1] = InputRow(last.line, last.name, "the file ends inside this row (fewer fields than the header and "
                            "no line end): it looks cut short, so the name may be incomplete")
    return rows


def _records(text: str, source: Path, name_column: str) -> Iterator[InputRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or name_column not in header:
        raise DataError(f"no column {name_column!r} (columns: {', '.join(header or []) or 'none: the file is empty'})",
                        file=str(source), row=1, field=name_column)
    column = header.index(name_column)
    start = reader.line_num + 1
    for record in reader:
        end = reader.line_num
        line, start = start, end + 1
        if not record:
            continue  # a blank line is not a record
        name = record[column].strip() if column < len(record) else ""
        problem = None
        # A line break inside a quoted field is legal CSV, but in a name, or followed by text holding the
        # delimiter (a whole row read as part of a field), it is a quote left open: say so rather than screen
        # a name made of several rows, or lose the rows it swallowed.
        for k, field in enumerate(record):
            parts = field.splitlines()
            if (k == column and ("\n" in field or "\r" in field)) or any("," in rest for rest in parts[1:]):
                field_name = header[k] if k < len(header) else f"#{k + 1}"
                problem = (f"quote left open in field {field_name!r}: lines {line}-{end} were read as one record; "
                           f"close the quote and screen again")
                name = name.splitlines()[0].strip() if name else ""
                break
        else:
            if any("\x00" in field for field in record):
                problem = "NUL bytes in the row (a damaged or binary file?)"
            elif len(record) > len(header):
                problem = "row has more fields than the header"
            elif not name:
                problem = "empty name"
        yield InputRow(line, name, problem, short=len(record) < len(header))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_key(screener: Screener, source: Path, data: bytes, name_column: str, options: dict[str, Any]
            ) -> dict[str, Any]:
    """What a batch output was made from: a rerun resumes only if every part is the same."""
    import pinchpoint

    parameters = {k: sorted(v) if isinstance(v, list | tuple) else v for k, v in sorted(options.items())}
    return {"input": {"file": source.name, "sha256": _digest(data)},
            "lists": screener.list_digests(),
            "parameters": {"name_column": name_column, **parameters},
            "pinchpoint": pinchpoint.__version__}


def _differences(previous: dict[str, Any] | None, key: dict[str, Any]) -> str:
    if previous is None:
        return "no record of what it was screened from"
    out = []
    old_input, new_input = previous.get("input") or {}, key["input"]
    if old_input.get("sha256") != new_input["sha256"]:
        out.append(f"input {old_input.get('file')} ({str(old_input.get('sha256'))[:12]}) is now "
                   f"{new_input['file']} ({new_input['sha256'][:12]})")
    old_lists, new_lists = previous.get("lists") or {}, key["lists"]
    for name in sorted(set(old_lists) | set(new_lists)):
        if old_lists.get(name) != new_lists.get(name):
            out.append(f"list {name} {old_lists.get(name, 'absent')} is now {new_lists.get(name, 'absent')}")
    old_params, new_params = previous.get("parameters") or {}, key["parameters"]
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) != new_params.get(name):
            out.append(f"{name} {old_params.get(name)} is now {new_params.get(name)}")
    if previous.get("pinchpoint") != key["pinchpoint"]:
        out.append(f"pinchpoint {previous.get('pinchpoint')} is now {key['pinchpoint']}")
    return "; ".join(out) or "its record differs"


def _previous_rows(output: Path, lines: set[int]) -> list[dict[str, str]]:
    """The complete rows of an earlier run's output, once each, for lines of the current input."""
    try:
        with output.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != OUTPUT_COLUMNS:
                return []
            kept: dict[int, dict[str, str]] = {}
            for r in reader:
                # a run killed mid-write can leave a partial last row: its fields run short
                if None in r.values() or not (r.get("row") or "").isdigit() or not r.get("status"):
                    continue
                if int(r["row"]) in lines:
                    kept.setdefault(int(r["row"]), r)
            return list(kept.values())
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def screen_file(screener: Screener, source: Path, output: Path, name_column: str = "name", workers: int = 1,
                block: int = 4096, **options: Any) -> str:
    """Screen every row of ``source``; rows already in ``output`` from an interrupted run of the same input,
    lists and parameters are not redone. Returns a one-line summary.

    Each input row gives exactly one output row: its best match, ``no match``, or ``unreadable`` with the reason.
    Rows are screened ``block`` at a time across ``workers`` processes and written in input order after each
    block, so an interrupted run loses at most one block.
    """
    from rich.progress import Progress

    screener.check_options(**{k: options.get(k) for k in ("country", "entity_type", "lists", "birth_date")},
                           threshold=options.get("threshold", 0.8))
    try:
        data = source.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=str(source)) from None
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(source)) from None
    try:
        rows = list(read_rows(text, source, name_column))
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", file=str(source)) from None
    if not rows:
        raise DataError("no rows to screen below the header", file=str(source), row=2)
    key = run_key(screener, source, data, name_column, options)
    record = output.with_name(output.name + ".run.json")
    done: list[dict[str, str]] = []
    fresh_note = ""
    if output.exists():
        try:
            previous = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
        except (OSError, ValueError):
            previous = None
        if previous == key:
            done = _previous_rows(output, {r.line for r in rows})
        else:
            fresh_note = f"; {output} replaced, not resumed ({_differences(previous, key)})"
    # the key is written before any row, so an interrupted run can be resumed; the earlier rows are rewritten
    # whole so that a partial last row of a killed run is dropped
    record.write_text(json.dumps(key, indent=1, ensure_ascii=False), encoding="utf-8")
    done_lines = {int(r["row"]) for r in done}
    counts = {"match": 0, "no match": 0, "not screened": 0, "unreadable": 0}
    unreadable: list[str] = []
    for r in done:
        status = r["status"]
        kind = status if status in counts else "not screened" if status.startswith("not screened") else "unreadable"
        counts[kind] += 1
    with output.open("w", encoding="utf-8", newline="") as fh, Progress(transient=True) as bar:
        writer = SpreadsheetSafeDictWriter(fh, OUTPUT_COLUMNS)  # names from customers may start with '='
        writer.writeheader()
        by_line = {int(r["row"]): r for r in done}
        for row in rows:  # earlier results, in input order
            if row.line in by_line:
                writer.writerow(by_line[row.line])
        fh.flush()
        task = bar.add_task(f"screening {source.name}", total=len(rows))
        bar.advance(task, len(done))
        pending = [row for row in rows if row.line not in done_lines]
        for start in range(0, len(pending), block):
            part = pending[start:start + block]
            unscreenable = {k: why for k, row in enumerate(part)
                            if row.problem is None and (why := screener.unscreenable(row.name)) is not None}
            readable = [k for k, row in enumerate(part) if row.problem is None and k not in unscreenable]
            found = screener.screen_batch([part[k].name for k in readable], workers=workers, **options)
            results = dict(zip(readable, found, strict=True))
            for k, row in enumerate(part):
                if k in unscreenable:
                    writer.writerow({"row": row.line, "query": row.name, "status": f"not screened: {unscreenable[k]}",
                                     "n_matches": 0})
                    counts["not screened"] += 1
                elif k not in results:
                    writer.writerow({"row": row.line, "query": row.name, "status": f"unreadable: {row.problem}",
                                     "n_matches": 0})
                    counts["unreadable"] += 1
                    unreadable.append(f"{source}, row {row.line}: {row.problem}")
                elif results[k]:
                    best = results[k][0]
                    writer.writerow({"row": row.line, "query": row.name, "status": "match",
                                     "matched_name": best["matched_name"], "entity_id": best["entity_id"],
                                     "list": best["list"], "list_version": best["list_version"],
                                     "score": best["score"], "n_matches": len(results[k]),
                                     "explanation": json.dumps(best["explanation"], ensure_ascii=False)})
                    counts["match"] += 1
                else:
                    writer.writerow({"row": row.line, "query": row.name, "status": "no match", "n_matches": 0})
                    counts["no match"] += 1
            fh.flush()
            os.fsync(fh.fileno())
            bar.advance(task, len(part))
    summary = (f"{source}: {len(rows)} rows ({len(done)} already screened{fresh_note}); {counts['match']} matches, "
               f"{counts['no match']} no match, {counts['not screened']} not screened (nothing distinctive), "
               f"{counts['unreadable']} unreadable -> {output}")
    if unreadable:
        more = len(unreadable) - MAX_REPORTED
        listed = unreadable[:MAX_REPORTED] + ([f"... and {more} more in {output}"] if more > 0 else [])
        summary += (f"\n{len(unreadable)} problem{'s' if len(unreadable) > 1 else ''} reported (status 'unreadable' "
                    f"in {output}):\n" + "\n".join(listed))
    return summary
