"""Charts as inline SVG strings: a world choropleth, a horizontal bar chart and a line chart.

Plain functions of the values they draw, so every report (exposure, stress tests, trade flows) can reuse them.
All text is escaped; nothing refers to an external resource.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

# Sequential blue scale, light to dark. The light end is well apart from the sea (#f7fbff) so that the smallest value
# still shows (it used to start at #eff3ff, and a country at 1% of the maximum vanished into the background).
LIGHT = (189, 215, 238)
DARK = (8, 48, 107)
NO_DATA = "#d9d9d9"
# Fonts with Japanese and Korean glyphs before the generic one, as in the report's CSS (charts may stand alone).
FONT = ('font-family="system-ui,-apple-system,Segoe UI,Roboto,Noto Sans,Noto Sans CJK JP,Hiragino Sans,Yu Gothic,'
        'Meiryo,Noto Sans CJK KR,Malgun Gothic,sans-serif"')
SMALL_AREA = 40.0  # px²: outlines smaller than this (Taiwan, the Netherlands, Armenia) also get a marker
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def colour(fraction: float) -> str:
    """A colour on the sequential scale for ``fraction`` in [0, 1]."""
    f = min(max(fraction, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * f) for lo, hi in zip(LIGHT, DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


@cache
def world_geometry() -> dict[str, Any]:
    """Country outlines (ISO3 -> SVG path) and markers for small countries; see tools/build_world_map.py."""
    text = (files("pinchpoint.reports") / "world_110m.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return f"{text}{unit}"


def _compact(value: float, unit: str) -> str:
    """At most 4 significant characters before the unit (12.3k, 4.5M), for labels that must fit a 50 px step."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


@cache
def small_shape_markers() -> dict[str, tuple[float, float]]:
    """Countries whose 1:110m outline is too small to see (area < SMALL_AREA px²): ISO3 -> marker position."""
    out: dict[str, tuple[float, float]] = {}
    for code, d in world_geometry()["shapes"].items():
        rings = [[tuple(map(float, xy.split(","))) for xy in part.split("L")] for part in re.findall(r"M([^Z]*)Z", d)]
        areas = [abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(r, r[1:] + r[:1], strict=True))) / 2
                 for r in rings]
        if rings and sum(areas) < SMALL_AREA:
            largest = rings[areas.index(max(areas))]
            out[code] = (round(sum(x for x, _ in largest) / len(largest), 1),
                         round(sum(y for _, y in largest) / len(largest), 1))
    return out


def choropleth(values: Mapping[str, float], *, title: str, legend: str, names: Mapping[str, str] | None = None,
               vmax: float | None = None, unit: str = "") -> str:
    """A world map coloured by ``values`` (ISO3 -> number); grey where there is no value (None or NaN).

    The scale runs from 0 (or the lowest value, if negative) to ``vmax`` (or the highest value, if higher).
    """
    geo = world_geometry()
    x0, y0, width, height = geo["viewbox"]
    known = {c: float(v) for c, v in values.items() if v is not None and math.isfinite(v)}
    lo = min([0.0, *known.values()])
    top = max([vmax if vmax is not None else lo, *known.values()])
    top = top if top > lo else lo + 1.0
    names = names or {}

    def tip(code: str) -> str:
        label = names.get(code, code)
        shown = _fmt(known[code], unit) if code in known else "no data"
        return f"<title>{escape(label)} ({code}): {escape(shown)}</title>"

    def fill(code: str) -> str:
        return colour((known[code] - lo) / (top - lo)) if code in known else NO_DATA

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0} {y0} {width} {height + 56}" role="img" '
             f'class="chart map" aria-label="{escape(title)}" {FONT}>']
    clip = f"frame-{abs(hash((title, legend))) % 10**8}"  # ids must be unique when a page holds several maps
    parts.append(f'<clipPath id="{clip}"><rect x="0" y="0" width="{width}" height="{height}"/></clipPath>'
                 f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f7fbff"/><g clip-path="url(#{clip})">')
    for code, d in geo["shapes"].items():
        parts.append(f'<path data-iso="{code}" d="{d}" fill="{fill(code)}" stroke="#fff" stroke-width="0.4">'
                     f"{tip(code)}</path>")
    for code, (x, y) in {**geo["markers"], **small_shape_markers()}.items():
        if code in known:  # small countries only where they carry a value
            parts.append(f'<circle data-iso="{code}" cx="{x}" cy="{y}" r="4" fill="{fill(code)}" stroke="#333" '
                         f'stroke-width="0.6">{tip(code)}</circle>')
    parts.append("</g>")
    # legend: its title on a line of its own, then a five-step scale from 0 to the maximum with one compact label
    # centred under each step boundary (labels are at most ~7 characters, well inside the 50 px steps)
    ly = height + 22
    parts.append(f'<text x="10" y="{height + 14}" font-size="11">{escape(legend)}</text>')
    for k in range(6):
        parts.append(f'<rect x="{10 + k * 50}" y="{ly}" width="50" height="12" fill="{colour(k / 5)}"/>')
    for k in range(6):
        label = _compact(lo + (top - lo) * k / 5, unit)
        parts.append(f'<text x="{10 + k * 50}" y="{ly + 26}" font-size="10" '
                     f'text-anchor="{"start" if k == 0 else "middle"}">{escape(label)}</text>')
    parts.append(f'<rect x="350" y="{ly}" width="14" height="12" fill="{NO_DATA}"/>'
                 f'<text x="368" y="{ly + 11}" font-size="10">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, unit: str = "",
              vmax: float | None = None, highlight: Sequence[str] = (), width: int = 720) -> str:
    """Horizontal bars, one per label, lengths proportional to the values."""
    label_w, bar_h, gap = 230, 18, 6
    plot_w = width - label_w - 70
    # a value above vmax widens the scale rather than running off the chart
    top = max([vmax if vmax is not None else 0.0, *(v for v in values if math.isfinite(v))]) or 1.0
    height = len(labels) * (bar_h + gap) + 10
    hl = set(highlight)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart bars" '
             f'aria-label="{escape(title)}" {FONT}>']
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + k * (bar_h + gap)
        w = max(value, 0.0) / top * plot_w if math.isfinite(value) else 0.0
        fill = "#d62728" if label in hl else "#2c6fad"
        shown = _shorten(label, 34)  # a longer label would run off the left edge; the tooltip keeps it whole
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{escape(shown)}</text>'
                     f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.2f}" height="{bar_h}" fill="{fill}">'
                     f"<title>{escape(label)}: {escape(_fmt(value, unit))}</title></rect>"
                     f'<text x="{label_w + w + 4:.2f}" y="{y + 13}" font-size="11">{escape(_fmt(value, unit))}'
                     "</text>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: Mapping[str, Sequence[tuple[float, float]]], *, title: str, x_label: str = "",
               y_label: str = "", x_ticks: Mapping[float, str] | None = None, width: int = 720,
               height: int = 300) -> str:
    """Lines of ``(x, y)`` points, one per named series, with axes and a legend."""
    right, top_m, bottom = 20, 20, 60
    points = [p for pts in series.values() for p in pts]
    xs = [p[0] for p in points] or [0.0, 1.0]
    ys = [p[1] for p in points] or [0.0, 1.0]
    x_lo, x_hi = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_lo, y_hi = min(0.0, min(ys)), max(ys) if max(ys) > min(0.0, min(ys)) else 1.0
    widest = max(len(_fmt(y_lo + (y_hi - y_lo) * k / 4, "")) for k in range(5))
    left = max(60, 7 * widest + 30)  # room for the tick labels and the axis title
    pw, ph = width - left - right, height - top_m - bottom

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * pw

    def sy(y: float) -> float:
        return top_m + ph - (y - y_lo) / (y_hi - y_lo) * ph

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart lines" '
             f'aria-label="{escape(title)}" {FONT}>',
             f'<line x1="{left}" y1="{top_m + ph}" x2="{left + pw}" y2="{top_m + ph}" stroke="#333"/>',
             f'<line x1="{left}" y1="{top_m}" x2="{left}" y2="{top_m + ph}" stroke="#333"/>']
    for k in range(5):
        yv = y_lo + (y_hi - y_lo) * k / 4
        parts.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" font-size="10" text-anchor="end">'
                     f"{escape(_fmt(yv, ''))}</text>")
    for xv, label in (x_ticks or {}).items():
        parts.append(f'<text x="{sx(xv):.1f}" y="{top_m + ph + 14}" font-size="10" text-anchor="middle">'
                     f"{escape(label)}</text>")
    for k, (name, pts) in enumerate(series.items()):
        colour_k = PALETTE[k % len(PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour_k}" stroke-width="1.6">'
                     f"<title>{escape(name)}</title></polyline>")
        ly = height - 30 + (k // 4) * 14
        lx = left + (k % 4) * 160
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour_k}"/>'
                     f'<text x="{lx + 14}" y="{ly + 1}" font-size="11">{escape(_shorten(name, 22))}</text>')
    if x_label:
        parts.append(f'<text x="{left + pw / 2}" y="{height - 2}" font-size="11" text-anchor="middle">'
                     f"{escape(x_label)}</text>")
    if y_label:
        parts.append(f'<text x="12" y="{top_m + ph / 2}" font-size="11" transform="rotate(-90 12 {top_m + ph / 2})" '
                     f'text-anchor="middle">{escape(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def time_chart(series: Mapping[str, Sequence[tuple[float, float]]], *, title: str, y_label: str = "",
               shaded: Sequence[tuple[float, float]] = (), shaded_label: str = "",
               band: tuple[str, Sequence[tuple[float, float, float]]] | None = None, zero_line: bool = False,
               log_y: bool = False, width: int = 720, height: int = 300) -> str:
    """Lines over time (x in fractional years), with shaded spans (cycle contractions) and a shaded band (a
    forecast's interval: ``(name, [(x, low, high)])``); year ticks are drawn on the x axis. ``log_y`` draws the
    values on a log scale (labels stay in the values' unit), for series that grow a hundredfold."""
    if log_y:
        def lg(v: float) -> float:
            return math.log10(v) if v > 0 else math.nan

        series = {k: [(x, lg(y)) for x, y in pts] for k, pts in series.items()}
        if band is not None:
            band = (band[0], [(x, lg(lo), lg(hi)) for x, lo, hi in band[1]])
    right, top_m, bottom = 20, 20, 60
    band_pts = list(band[1]) if band else []
    xs = [p[0] for pts in series.values() for p in pts] + [b[0] for b in band_pts]
    ys = [p[1] for pts in series.values() for p in pts] + [v for b in band_pts for v in b[1:]]
    finite = [y for y in ys if math.isfinite(y)]
    if not xs or not finite:
        xs, finite = [0.0, 1.0], [0.0, 1.0]
    x_lo, x_hi = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_lo, y_hi = min(finite), max(finite)
    if zero_line:
        y_lo, y_hi = min(y_lo, 0.0), max(y_hi, 0.0)
    if y_hi <= y_lo:
        y_hi = y_lo + 1.0
    pad = (y_hi - y_lo) * 0.05
    y_lo, y_hi = y_lo - pad, y_hi + pad
    widest = max(len(_fmt(y_lo + (y_hi - y_lo) * k / 4, "")) for k in range(5))
    left = max(60, 7 * widest + 30)
    pw, ph = width - left - right, height - top_m - bottom

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * pw

    def sy(y: float) -> float:
        return top_m + ph - (y - y_lo) / (y_hi - y_lo) * ph

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart time" '
             f'aria-label="{escape(title)}" {FONT}>']
    for a, b in shaded:
        a, b = max(a, x_lo), min(b, x_hi)
        if b > a:
            parts.append(f'<rect x="{sx(a):.1f}" y="{top_m}" width="{sx(b) - sx(a):.1f}" height="{ph}" '
                         f'fill="#e0e0e0"><title>{escape(shaded_label)}</title></rect>')
    parts += [f'<line x1="{left}" y1="{top_m + ph}" x2="{left + pw}" y2="{top_m + ph}" stroke="#333"/>',
              f'<line x1="{left}" y1="{top_m}" x2="{left}" y2="{top_m + ph}" stroke="#333"/>']
    for k in range(5):
        yv = y_lo + (y_hi - y_lo) * k / 4
        label = _fmt(10 ** yv, "") if log_y else _fmt(yv, "")
        parts.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" font-size="10" text-anchor="end">'
                     f"{escape(label)}</text>")
    span = x_hi - x_lo
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if span / s <= 12)
    year = math.ceil(x_lo / step) * step
    while year <= x_hi:
        parts.append(f'<text x="{sx(year):.1f}" y="{top_m + ph + 14}" font-size="10" text-anchor="middle">'
                     f"{int(year)}</text>")
        year += step
    if zero_line and y_lo < 0 < y_hi:
        parts.append(f'<line x1="{left}" y1="{sy(0):.1f}" x2="{left + pw}" y2="{sy(0):.1f}" stroke="#888" '
                     'stroke-dasharray="3,3"/>')
    legend: list[tuple[str, str, bool]] = []
    if band_pts:
        upper = " ".join(f"{sx(x):.1f},{sy(hi):.1f}" for x, _, hi in band_pts)
        lower = " ".join(f"{sx(x):.1f},{sy(lo):.1f}" for x, lo, _ in reversed(band_pts))
        parts.append(f'<polygon points="{upper} {lower}" fill="#9ecae1" fill-opacity="0.6">'
                     f"<title>{escape(band[0] if band else '')}</title></polygon>")
        legend.append((band[0] if band else "", "#9ecae1", True))
    for k, (name, pts) in enumerate(series.items()):
        colour_k = PALETTE[k % len(PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts if math.isfinite(y))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour_k}" stroke-width="1.4">'
                     f"<title>{escape(name)}</title></polyline>")
        legend.append((name, colour_k, False))
    if shaded and shaded_label:
        legend.append((shaded_label, "#e0e0e0", True))
    for k, (name, col, _) in enumerate(legend):
        ly = height - 30 + (k // 3) * 14
        lx = left + (k % 3) * 220
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{col}"/>'
                     f'<text x="{lx + 14}" y="{ly + 1}" font-size="11">{escape(_shorten(name, 32))}</text>')
    if y_label:
        text = f"{y_label} (log scale)" if log_y else y_label
        parts.append(f'<text x="12" y="{top_m + ph / 2}" font-size="11" transform="rotate(-90 12 {top_m + ph / 2})" '
                     f'text-anchor="middle">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
