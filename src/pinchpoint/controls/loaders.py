"""Loaders for the U.S. Commerce Control List (eCFR JSON), EU Annex I (JSON) and Japan's METI items (CSV).

Each returns a :class:`ControlList`. An entry that cannot be read is reported in ``problems`` as a
:class:`~pinchpoint.errors.Problem` (file, entry or row, field; severity "error" when the entry is left out,
"warning" when it is kept with a blank) and the rest still load; a file that cannot be read at all raises
:class:`DataError`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pinchpoint.controls.classify import parameters_of, regime_of, tags_of
from pinchpoint.controls.model import ControlEntry, ControlList, Jurisdiction, Paragraph, Parameter, Regime
from pinchpoint.errors import DataError, Problem, Severity

JP_COLUMNS = ("jp_item", "jp_status", "gloss_en", "eu_annex1_candidates", "us_ccl_candidates", "match_regex")
_EU_LINE = re.compile(r"^(\d[A-E]\d{3}(?:\.[a-z0-9]+)*)\.?\s+(.*)$")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg}", file=str(path), row=exc.lineno) from None
    except RecursionError:
        raise DataError("not readable JSON: nested too deeply", file=str(path)) from None
    if not isinstance(doc, dict):
        raise DataError(f"expected a JSON object at the top, got {_kind(doc)}", file=str(path), field="$")
    if not isinstance(doc.get("entries"), list):
        raise DataError(f"expected a list of 'entries', got {_kind(doc.get('entries'))}", file=str(path),
                        field="entries")
    return doc


def _kind(value: Any) -> str:
    """The JSON type of a value, for error messages."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


Where = tuple[Path, int, str]  # file, entry number, JSON path of the entry ("entries[3]")


def _problem(where: Where, message: str, field: str | None = None, severity: Severity = "error") -> Problem:
    """``file, entry N, field 'entries[N].key': message``."""
    path, n, prefix = where
    return Problem.at(message, file=str(path), row=n, field=field if field is not None else prefix, unit="entry",
                      severity=severity)


def _text(raw: dict[str, Any], key: str, where: Where, problems: list[Problem]) -> str:
    """A string field (numbers are read as text); anything else is reported and read as blank."""
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    problems.append(_problem(where, f"expected a string, got {_kind(value)} (read as blank)", f"{where[2]}.{key}",
                             "warning"))
    return ""


def _date(value: Any, path: Path, field: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise DataError(f"not a date: {value!r}", file=str(path), field=field) from None


def _entry(jurisdiction: Jurisdiction, list_name: str, version: date, code: str, category: str, heading: str,
           paragraphs: list[Paragraph], reasons: tuple[str, ...] = (), related: str = "", status: str = "",
           full_text: bool = True, regime: Regime | None = None) -> ControlEntry:
    params: list[Parameter] = []
    for p in paragraphs:
        params.extend(parameters_of(p.code, p.text))
    params.extend(parameters_of(code, heading))
    text = heading + "\n" + "\n".join(p.text for p in paragraphs)
    return ControlEntry(
        jurisdiction=jurisdiction, list_name=list_name, version=version, code=code, category=category,
        heading=heading, paragraphs=tuple(paragraphs), reasons=reasons,
        regime=regime or regime_of(jurisdiction, code), tags=tags_of(code, text, reasons),
        parameters=tuple(params), related=related, status=status, full_text=full_text)


def load_us_ccl(path: str | Path) -> ControlList:
    """``ccl.json`` as built from the eCFR (15 CFR 774 Supp. 1): one entry per ECCN."""
    path = Path(path)
    if path.is_dir():
        path = path / "ccl.json"
    doc = _read_json(path)
    version = _date(doc.get("ecfrIssueDate"), path, "ecfrIssueDate")
    raw_deep = doc.get("deepCategories") or []
    if not isinstance(raw_deep, list):
        raise DataError(f"expected a list of categories, got {_kind(raw_deep)}", file=str(path),
                        field="deepCategories")
    deep = set(map(str, raw_deep))
    entries: list[ControlEntry] = []
    problems: list[Problem] = []
    for n, raw in enumerate(doc["entries"]):
        where: Where = (path, n, f"entries[{n}]")
        if not isinstance(raw, dict):
            problems.append(_problem(where, f"expected an object, got {_kind(raw)}"))
            continue
        code = _text(raw, "eccn", where, problems).strip()
        if not code:
            problems.append(_problem(where, "missing", "eccn"))
            continue
        heading = _text(raw, "heading", where, problems).strip()
        if not heading:
            problems.append(_problem(where, f"missing (ECCN {code}, kept without a heading)", "heading", "warning"))
        items = raw.get("items") or []
        if not isinstance(items, list):
            problems.append(_problem(where, f"expected a list, got {_kind(items)} (paragraphs not read)",
                                     f"{where[2]}.items", "warning"))
            items = []
        paragraphs: list[Paragraph] = []
        for k, item in enumerate(items):
            item_where: Where = (path, n, f"{where[2]}.items[{k}]")
            if not isinstance(item, dict):
                problems.append(_problem(item_where, f"expected an object, got {_kind(item)}", severity="warning"))
                continue
            text = _text(item, "text", item_where, problems).strip()
            paragraph = _text(item, "paragraph", item_where, problems).strip()
            if paragraph:
                paragraphs.append(Paragraph(code=f"{code}.{paragraph}", text=text))
            elif paragraphs and text:  # notes and running text belong to the paragraph above
                last = paragraphs[-1]
                paragraphs[-1] = last.model_copy(update={"notes": (*last.notes, text)})
        reasons = tuple(r.strip() for r in _text(raw, "reasonForControl", where, problems).split(",") if r.strip())
        category = _text(raw, "category", where, problems)
        entries.append(_entry(Jurisdiction.US, "Commerce Control List", version, code, category,
                              heading, paragraphs, reasons, _text(raw, "relatedControls", where, problems),
                              full_text=category in deep))
    citation = doc.get("citation") if isinstance(doc.get("citation"), str) else "15 CFR 774 Supp. 1"
    return ControlList(jurisdiction=Jurisdiction.US, list_name="Commerce Control List", version=version,
                       source=f"{citation}, eCFR issue of {version}",
                       entries=tuple(entries), problems=tuple(problems))


def load_eu_annex1(path: str | Path) -> ControlList:
    """``annex.json``: Annex I of Regulation (EU) 2021/821, consolidated; one entry per code, lines per paragraph."""
    path = Path(path)
    if path.is_dir():
        path = path / "annex.json"
    doc = _read_json(path)
    version = _date(doc.get("valid_from"), path, "valid_from")
    entries: list[ControlEntry] = []
    problems: list[Problem] = []
    for n, raw in enumerate(doc["entries"]):
        where: Where = (path, n, f"entries[{n}]")
        if not isinstance(raw, dict):
            problems.append(_problem(where, f"expected an object, got {_kind(raw)}"))
            continue
        code = _text(raw, "entry_code", where, problems).strip()
        text = _text(raw, "verbatim_text", where, problems)
        if not code or not text.strip():
            problems.append(_problem(where, "missing", "entry_code" if not code else "verbatim_text"))
            continue
        heading = ""
        paragraphs: list[Paragraph] = []
        for line in text.splitlines():
            m = _EU_LINE.match(line.strip())
            if m is None:
                if paragraphs:
                    last = paragraphs[-1]
                    paragraphs[-1] = last.model_copy(update={"notes": (*last.notes, line.strip())})
                continue
            pcode, body = m.groups()
            if pcode == code and not heading:
                heading = body
            elif body.startswith(("Note", "N.B.", "Technical Note")) or body.startswith(f"{pcode} "):
                idx = next((k for k in range(len(paragraphs) - 1, -1, -1) if paragraphs[k].code == pcode), None)
                if idx is not None:
                    target = paragraphs[idx]
                    paragraphs[idx] = target.model_copy(update={"notes": (*target.notes, body)})
                elif pcode == code:
                    continue  # notes on the whole entry, kept in the heading's notes below
            else:
                paragraphs.append(Paragraph(code=pcode, text=body))
        if not heading:
            problems.append(_problem(where, f"no heading line ({code}: its first line read as the heading)",
                                     "verbatim_text", "warning"))
            heading = text.strip().splitlines()[0]
        entries.append(_entry(Jurisdiction.EU, "EU dual-use list (Annex I)", version, code,
                              _text(raw, "category", where, problems) or code[0], heading, paragraphs))
    return ControlList(jurisdiction=Jurisdiction.EU, list_name="EU dual-use list (Annex I)", version=version,
                       source=f"Regulation (EU) 2021/821 Annex I, consolidated {doc.get('corpus_version') or ''}",
                       entries=tuple(entries), problems=tuple(problems))


def read_csv_records(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[Any, Any]]]:
    """The records of a UTF-8 CSV file that must have ``columns``, each with the line it starts on.

    Errors name the file (and the row and field where there is one); the caller checks the records' cells.
    """
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"missing column {missing[0]!r}", file=str(path), row=1, field=missing[0])
            records: list[tuple[int, dict[Any, Any]]] = []  # DictReader puts extra cells under None
            start = reader.line_num + 1
            for record in reader:
                records.append((start, record))
                start = reader.line_num + 1
            return records
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
    except csv.Error as exc:
        raise DataError(f"not readable CSV: {exc}", file=str(path)) from None




def load_jp_items(path: str | Path, version: date = date(2026, 8, 1)) -> ControlList:
    """Japan's METI goods-ordinance items (Art. 6(17) equipment and related), from the concordance table.

    The table carries an English summary per item; the candidate EU/U.S. counterparts in it are leads,
    used by the crosswalk only after they are checked against the other lists' text.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "jp_sme_concordance.csv"
    rows = read_csv_records(path, JP_COLUMNS)
    with path.open("rb") as raw:
        raw.seek(max(0, path.stat().st_size - 1))
        ends_with_newline = raw.read(1) in (b"\n", b"\r")
    entries: list[ControlEntry] = []
    problems: list[Problem] = []
    file = str(path)
    if rows and not ends_with_newline:  # kept, but said: a download cut short ends inside its last record
        problems.append(Problem.at("no line break after the last row (the file may be cut short; the row is kept)",
                                   file=file, row=rows[-1][0], severity="warning"))
    seen: set[str] = set()
    for line, row in rows:
        if None in row:  # more cells than columns: a shifted row would put text in the wrong field
            problems.append(Problem.at(f"{len(row[None])} cells more than the {len(JP_COLUMNS)} columns",
                                       file=file, row=line))
            continue
        short = [c for c in JP_COLUMNS if row.get(c) is None]
        if short:  # fewer cells than columns: a cut or merged record
            problems.append(Problem.at(f"missing ({len(short)} cells fewer than the {len(JP_COLUMNS)} columns)",
                                       file=file, row=line, field=short[0]))
            continue
        if any("\x00" in (v or "") for v in row.values()):
            problems.append(Problem.at("NUL bytes in the text", file=file, row=line))
            continue
        code = (row.get("jp_item") or "").strip()
        gloss = (row.get("gloss_en") or "").strip()
        if not code or not gloss:
            problems.append(Problem.at("blank", file=file, row=line, field="jp_item" if not code else "gloss_en"))
            continue
        if code in seen:
            problems.append(Problem.at(f"duplicate {code!r}", file=file, row=line, field="jp_item"))
            continue
        seen.add(code)
        status = (row.get("jp_status") or "").strip()
        regime = Regime.WASSENAAR if status == "pre-2023" else Regime.PLURILATERAL
        entries.append(_entry(Jurisdiction.JP, "METI Export Trade Control Order goods ordinance", version, code,
                              code.split("-")[0], gloss, [], status=status, regime=regime))
    return ControlList(jurisdiction=Jurisdiction.JP, list_name="METI Export Trade Control Order goods ordinance",
                       version=version, source="METI Ordinance 403M50000400049 (e-Gov), items as summarised",
                       entries=tuple(entries), problems=tuple(problems))


def load_any(path: str | Path, source: str | None = None) -> ControlList:
    """Read a control list file (or the file in a folder) with the controls source named, or the one detected
    (:mod:`pinchpoint.sources`, kind ``controls``)."""
    from pinchpoint import sources

    found: ControlList = sources.read(Path(path), source=source, kind="controls")
    return found
