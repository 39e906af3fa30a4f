"""A report is a list of sections written to one self-contained ``index.html`` (inline CSS and SVG only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pinchpoint
from pinchpoint.results import ResultTable
from pinchpoint.results.table import format_float

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans JP",sans-serif;margin:2rem auto;
max-width:1000px;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.provenance{color:#555;font-size:.85rem}.chart{width:100%;height:auto;margin:.5rem 0}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border-bottom:1px solid #eee;padding:.25rem .4rem;
text-align:left;vertical-align:top}th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.85rem}
.caveats{border:2px solid #b45309;background:#fff7ed;padding:.5rem 1rem;margin:1rem 0}
.caveats h2{font-size:1rem;margin:.2rem 0;border:0}code{background:#f4f6f8;padding:0 .2rem}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}.chart{page-break-inside:avoid}}
"""


def _cell(value: Any) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, float):
        return format_float(value), True
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value), False
    return str(value), False


def table_html(table: ResultTable, columns: Sequence[str] | None = None, limit: int | None = 25) -> str:
    cols = list(columns or table.columns)
    rows = table.rows if limit is None else table.rows[:limit]
    out = ["<table><thead><tr>", *(f"<th>{escape(c)}</th>" for c in cols), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>")
        for c in cols:
            text, numeric = _cell(r[c])
            out.append(f'<td class="num">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if limit is not None and len(table) > limit:
        out.append(f'<p class="note">{len(table) - limit} more rows in the exported table.</p>')
    return "".join(out)


@dataclass
class Report:
    """Build a report section by section, then :meth:`write` it."""

    title: str
    provenance: dict[str, str] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # caveats, shown in a box under the title

    def caveats(self, items: Sequence[str]) -> Report:
        """Add what the results cannot answer (tables added with :meth:`table` bring their own)."""
        for c in items:
            if c and c not in self.limits:
                self.limits.append(c)
        return self

    def heading(self, text: str) -> Report:
        self.parts.append(f"<h2>{escape(text)}</h2>")
        return self

    def paragraph(self, text: str) -> Report:
        self.parts.append(f"<p>{escape(text)}</p>")
        return self

    def chart(self, svg: str, caption: str = "") -> Report:
        """Add an SVG made by :mod:`pinchpoint.reports.svg` (already escaped)."""
        self.parts.append(f"<figure>{svg}" + (f"<figcaption class='note'>{escape(caption)}</figcaption>"
                                              if caption else "") + "</figure>")
        return self

    def table(self, table: ResultTable, columns: Sequence[str] | None = None, limit: int | None = 25) -> Report:
        self.parts.append(table_html(table, columns, limit))
        return self.caveats(table.caveats)

    def bullets(self, items: Sequence[str]) -> Report:
        self.parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        return self

    def html(self) -> str:
        made = dict(self.provenance)
        made.setdefault("pinchpoint", pinchpoint.__version__)
        made.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        prov = " · ".join(f"{escape(k)}: {escape(v)}" for k, v in made.items())
        box = ("<section class='caveats' role='note'><h2>What these results cannot answer</h2><ul>"
               + "".join(f"<li>{escape(c)}</li>" for c in self.limits) + "</ul></section>") if self.limits else ""
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{escape(self.title)}</title><style>{CSS}</style></head><body>"
                f"<h1>{escape(self.title)}</h1><p class='provenance'>{prov}</p>{box}"
                + "".join(self.parts) + "</body></html>")

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "index.html"
        path.write_text(self.html(), encoding="utf-8")
        return path
