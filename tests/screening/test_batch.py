"""Batch files: resuming only the same run, and rows a broken quote would swallow (issue items 1 and 5)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from tests.screening.conftest import BENCH, first_rows


def _names(file: str, start: int, n: int) -> list[str]:
    """Names without commas or quotes, so the hand-written CSV lines below need no quoting."""
    rows = [r["full_name"] for r in csv.DictReader((BENCH / file).open(encoding="utf-8"))]
    return [r for r in rows if "," not in r and '"' not in r][start:start + n]


def _write(path: Path, names: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name"], *[[n] for n in names]])
    return path


def _queries(out: Path) -> list[str]:
    return [r["query"] for r in first_rows(out)]


def test_another_input_is_screened_not_resumed(screener: Screener, tmp_path: Path) -> None:
    a_names = _names("yente_positives_un_treated.csv", 0, 2)
    b_names = _names("yente_positives_un_treated.csv", 2, 2)
    assert a_names != b_names
    a, b, out = _write(tmp_path / "A.csv", a_names), _write(tmp_path / "B.csv", b_names), tmp_path / "out.csv"
    screen_file(screener, a, out)
    assert _queries(out) == a_names
    summary = screen_file(screener, b, out)
    assert _queries(out) == b_names  # B screened: A's results gone, not passed off as B's
    assert "0 already screened" in summary and "not resumed" in summary and "A.csv" in summary
    # the expected matches: each name screened on its own
    rows = first_rows(out)
    assert [r["status"] == "match" for r in rows] == [bool(screener.screen(n)) for n in b_names]


def test_same_run_resumes_other_parameters_start_afresh(screener: Screener, tmp_path: Path) -> None:
    names = _names("yente_positives_un_treated.csv", 0, 3)
    src, out = _write(tmp_path / "in.csv", names), tmp_path / "out.csv"
    screen_file(screener, src, out, threshold=0.8)
    assert "3 already screened" in screen_file(screener, src, out, threshold=0.8)
    summary = screen_file(screener, src, out, threshold=0.95)
    assert "0 already screened" in summary and "threshold 0.8 is now 0.95" in summary
    summary = screen_file(screener, src, out, threshold=0.95, country="IRN")
    assert "0 already screened" in summary and "country None is now IRN" in summary
    # a run killed mid-row leaves a partial last row: it is screened again, not kept
    text = out.read_text(encoding="utf-8")
    out.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 8], encoding="utf-8")
    summary = screen_file(screener, src, out, threshold=0.95, country="IRN")
    assert "2 already screened" in summary and _queries(out) == names


def test_open_quote_does_not_swallow_rows(screener: Screener, tmp_path: Path) -> None:
    names = _names("yente_positives_un_treated.csv", 0, 4)
    src = tmp_path / "quote.csv"
    # the second name opens a quote it never closes: csv reads every later line into that one field
    src.write_text(f'name,city\n{names[0]},X\n"{names[1]},Y\n{names[2]},Z\n{names[3]},W\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = screen_file(screener, src, out)
    rows = first_rows(out)
    assert [r["row"] for r in rows] == ["2", "3"]
    assert rows[0]["status"] in ("match", "no match")
    assert rows[1]["status"].startswith("unreadable: quote left open") and "lines 3-5" in rows[1]["status"]
    assert f"{src}, row 3: quote left open" in summary
    # a quote opened in another column swallows the rows after it the same way
    src.write_text(f'name,city\n{names[0]},"X\n{names[1]},Y\n{names[2]},Z\n', encoding="utf-8")
    summary = screen_file(screener, src, out)
    rows = first_rows(out)
    assert [r["status"][:27] for r in rows] == ["unreadable: quote left open"] and "'city'" in rows[0]["status"]


def test_legal_line_breaks_and_rows_numbered_by_line(screener: Screener, tmp_path: Path) -> None:
    names = _names("yente_positives_un_treated.csv", 0, 2)
    src = tmp_path / "address.csv"
    src.write_text(f'name,address\n{names[0]},"1 Main St\nSpringfield"\n{names[1]},B\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    screen_file(screener, src, out)
    rows = first_rows(out)
    assert [(r["row"], r["query"]) for r in rows] == [("2", names[0]), ("4", names[1])]
    assert not any(r["status"].startswith("unreadable") for r in rows)


def test_missing_column_and_empty_file(screener: Screener, tmp_path: Path) -> None:
    from pinchpoint.errors import DataError

    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        screen_file(screener, empty, tmp_path / "o.csv")
    src = _write(tmp_path / "n.csv", ["x"])
    with pytest.raises(DataError, match="no column 'nom'"):
        screen_file(screener, src, tmp_path / "o.csv", name_column="nom")


def test_cli_batch_of_another_file_and_unknown_list(small_ws: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    a = _write(tmp_path / "A.csv", _names("yente_positives_un_untreated.csv", 0, 2))
    b = _write(tmp_path / "B.csv", _names("yente_positives_un_untreated.csv", 2, 3))
    out = tmp_path / "out.csv"
    runner = CliRunner()
    for src in (a, b):
        result = runner.invoke(app, ["screen", "--file", str(src), "-o", str(out), "--workers", "1",
                                     "--workspace", str(small_ws)])
        assert result.exit_code == 0, result.output
    assert "B.csv: 3 rows (0 already screened" in result.stderr
    assert _queries(out) == _names("yente_positives_un_untreated.csv", 2, 3)
    result = runner.invoke(app, ["screen", "Kim Jong Un", "--lists", "UN Security Counsil Consolidated List",
                                 "--workspace", str(small_ws)])
    assert result.exit_code == 2 and "did you mean 'UN Security Council Consolidated List'" in result.stderr


def test_header_only_nul_bytes_and_a_cut_last_row(screener: Screener, tmp_path: Path) -> None:
    from pinchpoint.errors import DataError

    names = _names("yente_positives_un_treated.csv", 0, 3)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("name,city\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2: no rows to screen"):
        screen_file(screener, src, out)
    # NUL bytes inside a name, and a last row cut short (fewer fields than the header, no line end)
    src.write_text(f"name,city\n{names[0]},X\n{names[1][:3]}\x00\x00{names[1][3:]},Y\n{names[2][:5]}",
                   encoding="utf-8")
    summary = screen_file(screener, src, out)
    status = [r["status"] for r in first_rows(out)]
    assert status[0] in ("match", "no match")
    assert status[1].startswith("unreadable: NUL bytes") and status[2].startswith("unreadable: the file ends inside")
    assert "2 problems reported" in summary and f"{src}, row 4: the file ends inside" in summary
    # a last row without a line end but whole (every field there) is screened as usual
    src.write_text(f"name,city\n{names[0]},X", encoding="utf-8")
    screen_file(screener, src, out)
    assert [r["status"] for r in first_rows(out)] == [status[0]]


def test_a_name_cell_with_a_line_break_is_screened_as_one_name(screener: Screener, tmp_path: Path) -> None:
    """A spreadsheet cell with a line break in it (Alt+Enter), exported as valid CSV with its quote closed, was
    refused as "quote left open ... close the quote" though nothing was open: the listed name went unscreened."""
    src = tmp_path / "nl.csv"
    src.write_text('id,name,country\n1,"BANCO NACIONAL\nDE CUBA",CUB\n2,Vladimir Putin,RUS\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    screen_file(screener, src, out)
    rows = first_rows(out)
    assert [(r["row"], r["query"], r["status"]) for r in rows] == [
        ("2", "BANCO NACIONAL DE CUBA", "match"), ("4", "Vladimir Putin", "match")]
    assert rows[0]["matched_name"] == "BANCO NACIONAL DE CUBA" and "line break" in rows[0]["input_note"]
