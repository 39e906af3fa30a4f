"""Trade files sent as bytes (a web upload): laid out in a temporary folder with caps, read by the same adapters as
``pinchpoint trade import``, and every problem named by the upload's own name (and the path inside a zip), never the
temporary folder's; the problems as tables, one row each and grouped by reason."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError, Problem
from pinchpoint.results import ResultTable
from pinchpoint.trade.table import Problem as TradeProblem
from pinchpoint.trade.table import TradeFrame

PROBLEM_COLUMNS = ["file", "row", "field", "reason", "records", "kind", "severity"]
KIND_COLUMNS = ["kind", "severity", "problems", "records", "first_file", "first_row", "first_field", "example"]


def stage_trade_upload(data: bytes, filename: str, folder: Path) -> list[Path]:
    """Write the upload into ``folder``: one file under its own (cleaned) name, or a zip's files (capped, none
    outside the folder). Returns the files, in name order."""
    from pinchpoint.supplychain.upload import unzip_safely

    if not data:
        raise DataError("the upload is empty", file=filename[:200])
    if Path(filename).suffix.lower() == ".zip":
        root = unzip_safely(data, folder / "upload", filename[:200])
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DataError("the zip holds no files", file=filename[:200])
        for f in files:  # an archive inside the archive is not opened: said so, not read as text
            with f.open("rb") as fh:
                if fh.read(4) == b"PK\x03\x04" and f.suffix.lower() != ".xlsx":
                    inner = f.relative_to(root).as_posix()
                    raise DataError("a zip inside the zip is not read: upload the files it holds (or a zip of "
                                    "them) instead", file=f"{filename[:200]}: {inner[:200]}")
        return files
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[:120] or "upload.csv"
    path = folder / safe
    path.write_bytes(data)
    return [path]


def display_name(file: str, folder: Path, upload_name: str) -> str:
    """A problem's file as the user knows it: the upload's name, and the path inside a zip."""
    if not file:
        return upload_name
    try:
        inner = Path(file).resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return file.replace(str(folder), upload_name)
    parts = inner.parts[1:] if inner.parts and inner.parts[0] == "upload" else inner.parts
    if len(parts) == 1 and parts[0] == re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload_name).name)[:120]:
        return upload_name
    return f"{upload_name}: {'/'.join(parts)}" if parts else upload_name


def relabel_frame(frame: TradeFrame, folder: Path, upload_name: str) -> TradeFrame:
    """``frame`` with each problem's file (and any mention of the temporary folder) as the user knows it."""
    names: dict[str, str] = {}

    def name(file: str) -> str:
        if file not in names:
            names[file] = display_name(file, folder, upload_name)
        return names[file]

    frame.problems = [TradeProblem(name(p.file), p.row, p.field, p.reason.replace(str(folder), upload_name),
                                   p.records, p.kind, p.severity) for p in frame.problems]
    frame.notes = [n.replace(str(folder), upload_name) for n in frame.notes]
    return frame


def relabel_error(exc: DataError, folder: Path, upload_name: str) -> DataError:
    """A refused upload's error with its problems' files named as the user knows them."""
    from dataclasses import replace

    problems = [Problem(replace(p.location, file=display_name(p.location.file or "", folder, upload_name)),
                        p.message.replace(str(folder), upload_name), p.severity) for p in exc.problems]
    first = problems[0].location if problems else exc.location
    message = exc.problem.replace(str(folder), upload_name)
    return DataError(message, file=first.file, row=first.row, field=first.field, problems=problems, unit=first.unit)


def problem_records(problems: Iterable[TradeProblem | Problem]) -> list[dict[str, Any]]:
    """One record per problem (file, row, field, reason, records it stands for, kind of reason, severity)."""
    out = []
    for p in problems:
        if not isinstance(p, TradeProblem):  # a kernel record (a refused file): its kind from its reason
            p = TradeProblem(p.location.file or "", int(p.location.row or 0), p.location.field or "", p.message,
                             severity=p.severity)
        out.append({"file": p.file, "row": p.row, "field": p.field, "reason": p.reason, "records": p.records,
                    "kind": p.kind, "severity": p.severity})
    return out


def problems_table(records: list[dict[str, Any]], source: str, upload_name: str) -> ResultTable:
    """Every problem an import reported, one row each, in the order read."""
    table = ResultTable.from_records("trade_import_problems", records, PROBLEM_COLUMNS, meta={
        "analysis": "trade import problems", "source": source, "file": upload_name})
    return table.with_caveats(
        "Each row is a record the import kept out (severity error) or a note on one it kept once (warning, such as "
        "a duplicate); 'records' is how many source records it stands for (a spreadsheet row's missing months).",
        "Row numbers are the file's own lines (the header is line 1) or, for spreadsheets, the sheet's rows.")


def problem_kinds_table(records: list[dict[str, Any]], source: str, upload_name: str) -> ResultTable:
    """The problems grouped by reason (particulars such as values and numbers taken out), most records first, each
    with where it first occurs and one full reason as an example."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        group = groups.get((r["kind"], r["severity"]))
        if group is None:
            groups[(r["kind"], r["severity"])] = {
                "kind": r["kind"], "severity": r["severity"], "problems": 1, "records": r["records"],
                "first_file": r["file"], "first_row": r["row"], "first_field": r["field"], "example": r["reason"]}
        else:
            group["problems"] += 1
            group["records"] += r["records"]
    rows = sorted(groups.values(), key=lambda g: (g["severity"] != "error", -g["records"], g["kind"]))
    return ResultTable.from_records("trade_import_problem_kinds", rows, KIND_COLUMNS, meta={
        "analysis": "trade import problems by reason", "source": source, "file": upload_name})
