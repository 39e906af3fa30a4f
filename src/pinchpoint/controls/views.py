"""Views over loaded lists shared by the CLI and the HTTP API: one entry across jurisdictions, scoped crosswalks,
and the alignment report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.controls.crosswalk import Counterparts, alignment, check_scope, entry_code, in_scope
from pinchpoint.controls.ids import UnknownControlId, check_jurisdiction, unknown
from pinchpoint.controls.model import ControlEntry, ControlList
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table

if TYPE_CHECKING:
    from pinchpoint.workspace import Workspace


def _entry_text(entry: ControlEntry, code: str) -> tuple[str, list[str]] | None:
    """The entry's text (or the paragraph ``code`` with the paragraphs below it) and its thresholds."""
    def wanted(paragraph: str) -> bool:
        return entry.code == code or paragraph == code or paragraph.startswith(code + ".")

    if entry.code == code:
        text = entry.text
    else:
        lines = [f"{p.code} {p.text}" for p in entry.paragraphs if wanted(p.code)]
        if not lines:
            return None
        text = "\n".join(lines)
    parameters = [f"{p.paragraph}: {p.quantity} {p.comparator} {p.value:g} {p.unit}".rstrip()
                  for p in entry.parameters if wanted(p.paragraph)]
    return text, parameters


def show_entry(lists: Sequence[ControlList], code: str, jurisdictions: Sequence[str] | None = None,
               counterparts: Counterparts | None = None) -> ResultTable:
    """An entry, or one paragraph with the paragraphs below it, where it is listed and, in every other
    jurisdiction, its counterparts from the crosswalk (the same :class:`Counterparts` the alignment uses)."""
    code = code.strip()
    by_j = {c.jurisdiction.value: c for c in lists}
    shown = {check_jurisdiction(j, by_j) for j in jurisdictions or []} or set(by_j)
    counterparts = counterparts or Counterparts(lists)
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(c: ControlList, shown_code: str, relation: str, via: str) -> None:
        key = (c.jurisdiction.value, shown_code)
        if key in rows:
            if via and via not in rows[key]["via"]:
                rows[key]["via"] = "; ".join(filter(None, [rows[key]["via"], via]))
            return
        entry = c.by_code().get(entry_code(shown_code))
        found = _entry_text(entry, shown_code) if entry is not None else None
        if entry is None or found is None:  # the crosswalk names a code this version lacks: say so, never drop it
            rows[key] = {"jurisdiction": c.jurisdiction.value, "code": shown_code, "relation": relation, "via": via,
                         "heading": "", "text": f"(not in the loaded {c.list_name} of {c.version})", "reasons": [],
                         "regime": "", "tags": [], "parameters": [], "list": c.list_name,
                         "version": c.version.isoformat(), "related": ""}
            return
        text, parameters = found
        rows[key] = {"jurisdiction": c.jurisdiction.value, "code": shown_code, "relation": relation, "via": via,
                     "heading": entry.heading, "text": text, "reasons": list(entry.reasons),
                     "regime": entry.regime.value, "tags": list(entry.tags), "parameters": parameters,
                     "list": c.list_name, "version": c.version.isoformat(), "related": entry.related}

    homes = [c for c in lists if (e := c.by_code().get(entry_code(code))) is not None and _entry_text(e, code)]
    if not homes:
        raise _unknown_code(lists, code)
    for c in homes:
        add(c, code, "listed", "")
    for c in homes:
        home = c.jurisdiction.value
        for other in lists:
            target = other.jurisdiction.value
            if target == home:
                continue
            for r in counterparts.rows(home, code, target):
                to_code = r["to_code"]
                if code.startswith(r["from_code"] + "."):  # an entry-level match, asked about one paragraph
                    below = to_code + code[len(r["from_code"]):]
                    if (e := other.by_code().get(entry_code(below))) is not None and _entry_text(e, below):
                        to_code = below
                add(other, to_code, r["relation"], f"crosswalk {home} {r['from_code']} -> {target} "
                                                   f"{r['to_code']} ({r['method']}, confidence {r['confidence']})")
    kept = [r for (j, _), r in rows.items() if j in shown]
    if not kept:
        raise UnknownControlId(f"{code!r} is listed by {', '.join(c.jurisdiction.value for c in homes)} and has no "
                               f"counterpart in {', '.join(sorted(shown))} (the jurisdictions asked for)")
    kept.sort(key=lambda r: (r["relation"] != "listed", r["jurisdiction"], r["code"]))
    return ResultTable.from_records("controls_entry", kept, SHOW_COLUMNS, meta={"code": code})


SHOW_COLUMNS = ["jurisdiction", "code", "relation", "via", "heading", "text", "reasons", "regime", "tags",
                "parameters", "list", "version", "related"]


def _unknown_code(lists: Sequence[ControlList], code: str) -> UnknownControlId:
    """No such entry, or no such paragraph in an entry that exists: name the closest codes."""
    loaded = ", ".join(f"{c.jurisdiction.value} {c.version}" for c in lists)
    entries = [c.by_code()[entry_code(code)] for c in lists if entry_code(code) in c.by_code()]
    if entries:
        paragraphs = {p.code for e in entries for p in e.paragraphs}
        return unknown("paragraph", code, paragraphs, where=f"in {entry_code(code)} ({loaded})")
    return unknown("entry", code, {e.code for c in lists for e in c.entries}, where=f"in the loaded lists ({loaded})")


def compare(ws: Workspace, first: str, second: str, scope: str | None = None) -> ResultTable:
    """``controls diff``: two jurisdictions (``US EU``, each at its latest version or ``@DATE``), or two versions of
    one (``US@2025-07-23 US@2026-07-23``: what changed). Unknown jurisdictions and versions name what there is."""
    from pinchpoint.controls.crosswalk import diff_versions
    from pinchpoint.controls.store import load_lists, load_version, versions_of

    a, _, a_date = first.strip().partition("@")
    b, _, b_date = second.strip().partition("@")
    lists = {c.jurisdiction.value: c for c in load_lists(ws)}
    a, b = check_jurisdiction(a, lists), check_jurisdiction(b, lists)
    if a == b:
        if not (a_date and b_date):
            raise ValueError(f"to compare {a} with itself, give two dates, e.g. {a}@DATE {a}@DATE (versions "
                             f"there are: {', '.join(v.isoformat() for v in versions_of(ws, a))})")
        return diff_versions(load_version(ws, a, a_date), load_version(ws, b, b_date), scope)
    if a_date:
        lists[a] = load_version(ws, a, a_date)
    if b_date:
        lists[b] = load_version(ws, b, b_date)
    return alignment(list(lists.values()), [a, b], scope)


def scoped(table: ResultTable, lists: Sequence[ControlList], scope: str | None) -> ResultTable:
    """Keep crosswalk rows whose source entry is in scope (rows about a paragraph count for its entry)."""
    if not scope:
        return table
    check_scope(lists, scope)
    entries = {e.key: e for c in lists for e in c.entries}
    keep = [r for r in table.rows
            if (e := entries.get(f"{r['from_jurisdiction']}:{entry_code(r['from_code'])}")) is not None
            and in_scope(e, scope)]
    return ResultTable(table.name, table.columns, tuple(keep), {**table.meta, "scope": scope})


def alignment_report(lists: Sequence[ControlList], jurisdictions: Sequence[str], scope: str | None,
                     out: Path, command: str = "") -> Path:
    """Write ``out/index.html`` and ``out/alignment.csv``: what each jurisdiction controls that the others do not.

    ``command`` (the command line that asked for the report) goes into the table's provenance and the report's.
    """
    from pinchpoint.reports import Report, bar_chart

    table = alignment(lists, jurisdictions, scope).with_command(command)
    out.mkdir(parents=True, exist_ok=True)
    write_table(table, out / "alignment.csv")
    chosen = [j.upper() for j in jurisdictions]
    report = Report(f"Export-control alignment: {' / '.join(chosen)}",
                    provenance={**({"command": command} if command else {}), "scope": scope or "all entries",
                                **{c.jurisdiction.value: f"{c.list_name} of {c.version}" for c in lists
                                   if c.jurisdiction.value in chosen}})
    counts = {j: (sum(1 for r in table.rows if r["jurisdiction"] == j),
                  sum(1 for r in table.rows if r["jurisdiction"] == j and r["status"] != "controlled by all"))
              for j in chosen}
    report.paragraph("Counterparts come from the crosswalk (shared Wassenaar numbering, the EU 5xx / U.S. 9xx "
                     "plurilateral pairs, text similarity, and the curated table for Japan); see docs/controls.md. "
                     "This is an analyst's aid, not a legal determination.")
    report.chart(bar_chart([f"{j}: entries in scope" for j in chosen] + [f"{j}: without counterpart" for j in chosen],
                           [float(counts[j][0]) for j in chosen] + [float(counts[j][1]) for j in chosen],
                           title="Entries in scope"))
    gaps = ResultTable(table.name, table.columns, tuple(r for r in table.rows if r["status"] != "controlled by all"),
                       table.meta)
    report.heading(f"Controlled by some but not all ({len(gaps)})")
    report.table(gaps, ["jurisdiction", "code", "heading", "status"], limit=200)
    differs = ResultTable(table.name, table.columns, tuple(r for r in table.rows if r["threshold_differences"]),
                          table.meta)
    report.heading(f"Thresholds that differ ({len(differs)})")
    report.table(differs, ["jurisdiction", "code", "threshold_differences"], limit=200)
    return report.write(out)
