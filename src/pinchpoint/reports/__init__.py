"""Self-contained HTML reports with inline SVG charts (no scripts, fonts or images from elsewhere)."""

from pinchpoint.reports.html import Report
from pinchpoint.reports.svg import bar_chart, choropleth, line_chart

__all__ = ["Report", "bar_chart", "choropleth", "line_chart"]
