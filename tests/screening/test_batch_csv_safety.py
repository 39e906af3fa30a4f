"""The batch screening output is inert in spreadsheets, whatever names the customer file holds."""

from __future__ import annotations

import csv
from pathlib import Path

from pinchpoint.screening.matcher import Screener

HOSTILE = ['=HYPERLINK("http://evil.example","Banco Nacional de Cuba")', "+cmd|' /C calc'!A0", "-2+3+cmd|x",
           "@SUM(1+1)*cmd|x", "\t=1+1"]


def test_batch_output_neutralises_formula_names(screener: Screener, tmp_path: Path) -> None:
    from pinchpoint.screening.batch import screen_file

    src = tmp_path / "customers.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name"], *[[n] for n in HOSTILE], ["Banco Nacional de Cuba"]])
    out = tmp_path / "results.csv"
    screen_file(screener, src, out, top=1)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == [str(k) for k in range(2, 3 + len(HOSTILE))]  # nothing lost
    assert [r["query"] for r in rows[:len(HOSTILE)]] == ["'" + n.strip() for n in HOSTILE]  # the batch trims names
    assert rows[-1]["query"] == "Banco Nacional de Cuba" and rows[-1]["status"] == "match"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
