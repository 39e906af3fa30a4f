"""The trends chart: shaded contractions, the forecast band, a log scale for series that grow a hundredfold."""

from __future__ import annotations

import itertools
import re

from pinchpoint.reports.svg import time_chart


def test_time_chart_draws_spans_band_and_log_labels() -> None:
    pts = [(2000 + k / 12, 10 ** (k / 60)) for k in range(240)]  # 1 to ~10,000
    svg = time_chart({"<series>": pts}, title="a & b", y_label="index", shaded=[(2001.0, 2002.0)],
                     shaded_label="contraction", band=("80% interval", [(2020.0, 9000.0, 11000.0),
                                                                        (2021.0, 8000.0, 13000.0)]), log_y=True)
    assert "&lt;series&gt;" in svg and "a &amp; b" in svg and "<script" not in svg
    assert "index (log scale)" in svg and svg.count("<polygon") == 1 and "<rect" in svg
    labels = [float(x.replace(",", "")) for x in re.findall(r'text-anchor="end">([\d.,]+)</text>', svg)]
    # five ticks spread evenly in log space: each about the same multiple of the one before
    ratios = [b / a for a, b in itertools.pairwise(labels)]
    assert len(labels) == 5 and max(ratios) / min(ratios) < 1.1 and labels[-1] > 1000 * labels[0]
