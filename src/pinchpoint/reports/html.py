"""A report is a list of sections written to one self-contained ``index.html`` (inline CSS and SVG only).

All text is escaped; the only markup taken from text is a markdown link ``[label](https://...)`` or an autolink
``<https://...>``, rendered as an escaped ``<a>`` (http and https only). Text in Japanese or Korean script is
marked with its ``lang`` so browsers pick a font that has its glyphs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape as _html_escape
from pathlib import Path
from typing import Any

import pinchpoint
from pinchpoint.results import ResultTable
from pinchpoint.results.table import format_float, format_int, visible_controls

# Fonts covering Japanese (kanji and kana) and Korean on every common system, before the generic fallback, so item
# codes and names in those scripts never show as empty boxes where only a Latin font is the default.
FONTS = ('system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","Noto Sans JP","Hiragino Sans",'
         '"Hiragino Kaku Gothic ProN","Yu Gothic","Meiryo","Noto Sans CJK KR","Malgun Gothic",sans-serif')

CSS = f"""
body{{font-family:{FONTS};margin:2rem auto;
max-width:1000px;padding:0 1rem;color:#1b1b1b;line-height:1.45}}svg text{{font-family:{FONTS}}}
h1{{font-size:1.6rem;margin-bottom:.2rem}}h2{{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}}
.provenance,.credit{{color:#555;font-size:.85rem;margin:.2rem 0}}.chart{{width:100%;height:auto;margin:.5rem 0}}
table{{border-collapse:collapse;font-size:.85rem;width:100%}}th,td{{border-bottom:1px solid #eee;padding:.25rem .4rem;
text-align:left;vertical-align:top}}th{{background:#f4f6f8}}td.num{{text-align:right;font-variant-numeric:tabular-nums}}
.note{{color:#555;font-size:.85rem}}
.caveats{{border:2px solid #b45309;background:#fff7ed;padding:.5rem 1rem;margin:1rem 0}}
.caveats h2{{font-size:1rem;margin:.2rem 0;border:0}}code{{background:#f4f6f8;padding:0 .2rem}}
@media print{{body{{margin:0;max-width:none}}h2{{page-break-after:avoid}}.chart{{page-break-inside:avoid}}}}
"""

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)|<(https?://[^\s>]+)>")
# An absolute local path (POSIX, home or Windows drive) as a word of its own: shown by its last part only.
_LOCAL_PATH = re.compile(r"(?<![\w.:/\\])(?:~?/|[A-Za-z]:\\)[^\s'\"()<>]*")


def escape(text: str, quote: bool = True) -> str:
    """HTML-escaped, with control and bidi-override characters shown as escapes (a hostile name cannot reverse or
    hide text on the page)."""
    return _html_escape(visible_controls(text), quote=quote)


def lang_of(text: str) -> str | None:
    """``ja`` for text with kana, ``ko`` for Hangul, else None (the page's language applies)."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    return None


def _lang_attr(text: str) -> str:
    lang = lang_of(text)
    return f' lang="{lang}"' if lang else ""


def inline(text: str) -> str:
    """``text`` escaped, with markdown links and ``<https://...>`` autolinks as escaped ``<a>`` elements."""
    out, last = [], 0
    for m in _LINK.finditer(text):
        out.append(escape(text[last:m.start()]))
        label, url = (m.group(1), m.group(2)) if m.group(2) else (m.group(3), m.group(3))
        out.append(f'<a href="{escape(url, quote=True)}">{escape(label)}</a>')
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def without_local_paths(text: str) -> str:
    """``text`` with absolute local paths cut to their last part (reports are shared; home folders are not)."""
    return _LOCAL_PATH.sub(lambda m: Path(m.group(0).rstrip("/\\").replace("\\", "/")).name or m.group(0), text)


def _cell(value: Any, column: str = "", percent: bool = False) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if percent and isinstance(value, (int, float)):
        pct = 100.0 * value
        return (f"{pct:.2g}" if 0 < abs(pct) < 0.05 else f"{pct:,.1f}"), True  # a tiny share is not 0.0%
    if isinstance(value, float):
        return format_float(value), True
    if isinstance(value, int):
        return format_int(value, column), True
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value), False
    return str(value), False


def table_html(table: ResultTable, columns: Sequence[str] | None = None, limit: int | None = 25,
               units: Mapping[str, str] | None = None, percent: Sequence[str] = ()) -> str:
    """An HTML table; ``units`` labels column headers ("hhi" -> "hhi (0-10,000)"); ``percent`` names columns of
    fractions shown as percentages (header labelled "%"), so a table agrees with a chart drawn in percent."""
    cols = list(columns or table.columns)
    labels = {c: f"{c} (%)" if c in percent else f"{c} ({units[c]})" if units and c in units else c for c in cols}
    rows = table.rows if limit is None else table.rows[:limit]
    out = ["<table><thead><tr>", *(f"<th>{escape(labels[c])}</th>" for c in cols), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>")
        for c in cols:
            text, numeric = _cell(r[c], c, c in percent)
            out.append(f'<td class="num">{escape(text)}</td>' if numeric
                       else f"<td{_lang_attr(text)}>{inline(text)}</td>")
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
    credits: list[str] = field(default_factory=list)  # data credits and licences, shown under the provenance

    def caveats(self, items: Sequence[str]) -> Report:
        """Add what the results cannot answer (tables added with :meth:`table` bring their own)."""
        for c in items:
            if c and c not in self.limits:
                self.limits.append(c)
        return self

    def credit(self, text: str) -> Report:
        """Credit a data source under the title (its name, licence and required attribution)."""
        if text and text not in self.credits:
            self.credits.append(text)
        return self

    def heading(self, text: str) -> Report:
        self.parts.append(f"<h2{_lang_attr(text)}>{escape(text)}</h2>")
        return self

    def paragraph(self, text: str) -> Report:
        self.parts.append(f"<p{_lang_attr(text)}>{inline(text)}</p>")
        return self

    def chart(self, svg: str, caption: str = "") -> Report:
        """Add an SVG made by :mod:`pinchpoint.reports.svg` (already escaped)."""
        self.parts.append(f"<figure>{svg}" + (f"<figcaption class='note'>{inline(caption)}</figcaption>"
                                              if caption else "") + "</figure>")
        return self

    def table(self, table: ResultTable, columns: Sequence[str] | None = None, limit: int | None = 25,
              units: Mapping[str, str] | None = None, percent: Sequence[str] = ()) -> Report:
        self.parts.append(table_html(table, columns, limit, units, percent))
        return self.caveats(table.caveats)

    def bullets(self, items: Sequence[str]) -> Report:
        self.parts.append("<ul>" + "".join(f"<li{_lang_attr(i)}>{inline(i)}</li>" for i in items) + "</ul>")
        return self

    def html(self) -> str:
        made = dict(self.provenance)
        made.setdefault("pinchpoint", pinchpoint.__version__)
        made.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        prov = " · ".join(f"{escape(k)}: {escape(without_local_paths(str(v)))}" for k, v in made.items())
        credit = "".join(f"<p class='credit'>{inline(without_local_paths(c))}</p>" for c in self.credits)
        box = ("<section class='caveats' role='note'><h2>What these results cannot answer</h2><ul>"
               + "".join(f"<li>{inline(c)}</li>" for c in self.limits) + "</ul></section>") if self.limits else ""
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{escape(self.title)}</title><style>{CSS}</style></head><body>"
                f"<h1{_lang_attr(self.title)}>{escape(self.title)}</h1><p class='provenance'>{prov}</p>{credit}{box}"
                + "".join(self.parts) + "</body></html>")

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "index.html"
        path.write_text(self.html(), encoding="utf-8")
        return path
