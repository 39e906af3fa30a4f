"""Views over loaded lists shared by the CLI and the HTTP API: one entry across jurisdictions, scoped crosswalks,
and the alignment report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinchpoint.controls.crosswalk import alignment, in_scope
from pinchpoint.controls.model import ControlList
from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table


def show_entry(lists: Sequence[ControlList], code: str) -> ResultTable:
    """An entry, or one paragraph with the paragraphs below it, in every jurisdiction that has the code."""
    code = code.strip()
    entry_code = code.split(".")[0]
    rows: list[dict[str, Any]] = []
    for c in lists:
        entry = c.by_code().get(entry_code) or c.by_code().get(code)
        if entry is None:
            continue
        if entry.code == code:
            text = entry.text
        else:
            lines = [f"{p.code} {p.text}" for p in entry.paragraphs if p.code == code or p.code.startswith(code + ".")]
            if not lines:
                continue
            text = "\n".join(lines)
        rows.append({"jurisdiction": c.jurisdiction.value, "code": code, "heading": entry.heading, "text": text,
                     "reasons": list(entry.reasons), "regime": entry.regime.value, "tags": list(entry.tags),
                     "parameters": [f"{p.paragraph}: {p.quantity} {p.comparator} {p.value:g} {p.unit}".rstrip()
                                    for p in entry.parameters if p.paragraph == code or
                                    p.paragraph.startswith(code + ".") or entry.code == code],
                     "list": c.list_name, "version": c.version.isoformat(), "related": entry.related})
    if not rows:
        raise KeyError(f"no entry {code!r} in the loaded lists ({', '.join(c.jurisdiction.value for c in lists)})")
    return ResultTable.from_records("controls_entry", rows, meta={"code": code})


def scoped(table: ResultTable, lists: Sequence[ControlList], scope: str | None) -> ResultTable:
    """Keep crosswalk rows whose source entry is in scope."""
    if not scope:
        return table
    entries = {e.key: e for c in lists for e in c.entries}
    keep = [r for r in table.rows if (e := entries.get(f"{r['from_jurisdiction']}:{r['from_code']}")) is not None
            and in_scope(e, scope)]
    return ResultTable(table.name, table.columns, tuple(keep), {**table.meta, "scope": scope})


def alignment_report(lists: Sequence[ControlList], jurisdictions: Sequence[str], scope: str | None,
                     out: Path) -> Path:
    """Write ``out/index.html`` and ``out/alignment.csv``: what each jurisdiction controls that the others do not."""
    from pinchpoint.reports import Report, bar_chart

    table = alignment(lists, jurisdictions, scope)
    out.mkdir(parents=True, exist_ok=True)
    write_table(table, out / "alignment.csv")
    chosen = [j.upper() for j in jurisdictions]
    report = Report(f"Export-control alignment: {' / '.join(chosen)}",
                    provenance={"scope": scope or "all entries",
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
