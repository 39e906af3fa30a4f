"""Files of names that are not what a batch expects (trial 12): a cell too long for the csv module (F3) marks its row
unreadable, naming the row, the field and its length, and the other rows are screened."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.screening.batch import CUT_CELL_CHARS, MAX_CELL_CHARS, run_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

UN_FILE = "un_sc_consolidated_20260227.xml"


def _customers(un: ScreeningList, path: Path) -> Path:
    """The trial's file: 11 names (listed UN names and others), row 13 a 200,000-character name, and after it a
    quoted name over the cap spanning two lines, then one more listed name."""
    listed = [e.primary_name for e in un.entities[:6]]
    names = [*listed, "Acme Widgets GmbH", "Tokyo Precision KK", "Nordic Optics AB", "Lumen Foundry SA",
             "Pacific Wafer Ltd"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "country"])
        writer.writerows([n, "DEU"] for n in names)  # rows 2-12
        writer.writerow(["bank melli iran " * 12_500, "IRN"])  # row 13: 200,000 characters
        writer.writerow(["two\nlines " + "y" * 140_000, "IRN"])  # rows 14-15, quoted by the writer
        writer.writerow([un.entities[6].primary_name, "DEU"])  # row 16
    return path


def test_a_cell_over_the_cap_marks_its_row_unreadable_and_the_rest_are_screened(
        lists: dict[str, ScreeningList], small_ws: Path, tmp_path: Path) -> None:
    un = lists[UN_FILE]
    source = _customers(un, tmp_path / "customers.csv")
    out = tmp_path / "out1.csv"
    run = run_file(Screener([un]), source, out, top=1)
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == [str(k) for k in [*range(2, 15), 16]]  # every record, nothing lost
    by_row = {r["row"]: r for r in rows}
    for row, length in (("13", 200_000), ("14", len("two\nlines ") + 140_000)):
        assert by_row[row]["status"] == (f"unreadable: field 'name' is {length:,} characters, more than the "
                                         f"{MAX_CELL_CHARS:,} a cell may hold (its first {CUT_CELL_CHARS:,} are "
                                         "kept in this output)")
        assert len(by_row[row]["name"]) == CUT_CELL_CHARS and by_row[row]["country"] == "IRN"
    matched = {r["row"]: r["entity_id"] for r in rows if r["status"] == "match"}
    assert {matched.get(str(k)) for k in range(2, 8)} == {e.entity_id for e in un.entities[:6]}
    assert matched.get("16") == un.entities[6].entity_id  # the row after the long ones is read in its place
    assert "13" in run.summary and "14" in run.summary
    # the CLI as the trial ran it: screened, with the unreadable rows named, not refused
    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)
    result = CliRunner().invoke(app, ["screen", "--file", str(source), "--name-column", "name", "--country-column",
                                      "country", "--output", str(tmp_path / "cli.csv"), "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    assert "200,000 characters" in result.output + result.stderr


def test_the_screen_again_hint_is_quoted_for_a_shell(lists: dict[str, ScreeningList], small_ws: Path,
                                                     tmp_path: Path) -> None:
    """F13: the hint printed after ``--store`` is pasted into a shell: every value in it is quoted."""
    import shlex
    import subprocess

    un = lists[UN_FILE]
    source = tmp_path / "one.csv"
    source.write_text(f"name\n{un.entities[0].primary_name}\n", encoding="utf-8")
    ws = tmp_path / "my ws"
    shutil.copytree(small_ws, ws)
    pwned = tmp_path / "PWNED"
    store = f"q3 $(touch {pwned})"
    result = CliRunner().invoke(app, ["screen", "--file", str(source), "--name-column", "name", "--output",
                                      str(tmp_path / "out_s.csv"), "--store", store, "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    hint = result.stderr.split("screen it again against what changed: ", 1)[1].strip()
    words = shlex.split(hint)
    assert words == ["pinchpoint", "screen", "--since-last", "--store", store, "--workspace", str(ws)]
    # pasted into a shell (pinchpoint replaced by printf), it runs nothing and passes the name whole
    echoed = subprocess.run(["sh", "-c", "printf '%s\\n' " + hint.removeprefix("pinchpoint ")], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    assert echoed == words[1:] and not pwned.exists()
    again = CliRunner().invoke(app, words[1:])  # and it screens the stored file again
    assert again.exit_code == 0, again.output


def test_a_workbook_zip_or_program_given_as_names_is_named_for_what_it_is(
        lists: dict[str, ScreeningList], small_ws: Path, tmp_path: Path) -> None:
    """F22: an Excel workbook (or any binary) was called 'UTF-16 text without a byte-order mark', advice that sends
    a compliance team the wrong way; it is named, with what to do."""
    import zipfile

    from pinchpoint.errors import DataError
    from pinchpoint.screening.batch import screen_file
    from pinchpoint.session import Session
    from pinchpoint.trends.readers import read_series_file

    workbook = tmp_path / "customers.xlsx"
    shutil.copyfile(LISTS / "meti_eul_20250929.xlsx", workbook)  # a real workbook
    zipped = tmp_path / "c.csv"  # a zip named .csv, as the trial uploaded it
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(LISTS / "us_bis_dpl_2022.txt", "dpl.txt")
    program = tmp_path / "bin.csv"
    program.write_bytes(Path(shutil.which("ls") or "/bin/ls").read_bytes()[:3000])
    expected = {workbook: "this is an Excel workbook (.xlsx), not a CSV file of names: open it in Excel, save the "
                          "sheet as 'CSV UTF-8 (Comma delimited)'",
                zipped: "this is a zip archive, not a CSV file of names: unzip it and give the CSV file inside",
                program: "this is a program (an ELF executable), not a CSV file of names"}
    screener = Screener([lists[UN_FILE]])
    for path, words in expected.items():
        with pytest.raises(DataError) as err:
            screen_file(screener, path, tmp_path / "o.csv")
        assert err.value.location.file == str(path) and err.value.location.row == 1
        assert words in str(err.value) and "UTF-16" not in str(err.value)
    with pytest.raises(DataError, match=r"^c\.csv, row 1: this is a zip archive"):  # the workbench's batch form
        Session(small_ws).screening.check_upload("c.csv", zipped.read_bytes())
    with pytest.raises(DataError, match=r"this is an Excel workbook \(\.xlsx\), not a CSV text file"):
        read_series_file(workbook)  # trends import: it said "not UTF-8 or Shift_JIS text"
    result = CliRunner().invoke(app, ["screen", "--file", str(workbook), "--output", str(tmp_path / "o.csv"),
                                      "--workspace", str(small_ws)])
    assert result.exit_code == 2 and "this is an Excel workbook (.xlsx)" in result.stderr


def test_nul_and_bidi_overrides_are_shown_as_escapes_in_csv_and_html_kept_in_json(
        lists: dict[str, ScreeningList], tmp_path: Path) -> None:
    """F2: a NUL byte and a right-to-left override from the input reached the CSV output and the job page raw (a
    spreadsheet showed the row reversed); CSV and HTML now show them as escapes, JSON keeps the text exactly."""
    import json

    from pinchpoint.reports.html import Report
    from pinchpoint.results import ResultTable
    from pinchpoint.web.pages import _env

    un = lists[UN_FILE]
    listed = un.entities[0].primary_name
    reversed_name = "Bank\u202eilleM\u202c Iran"
    source = tmp_path / "customers.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name", "note"], [listed, "ok"], [reversed_name, "x"], ["Bank Melli\x00 Iran", "y"]])
    out_csv, out_json = tmp_path / "out1.csv", tmp_path / "out1.json"
    screener = Screener([un])
    run_file(screener, source, out_csv, top=1)
    run_file(screener, source, out_json, top=1)
    raw = out_csv.read_text(encoding="utf-8")
    assert "\x00" not in raw and "\u202e" not in raw and "\u202c" not in raw
    assert "Bank\\u202eilleM\\u202c Iran" in raw and "Bank Melli\\u0000 Iran" in raw
    kept = {r["row"]: r["name"] for r in json.loads(out_json.read_text(encoding="utf-8"))["rows"]}
    assert kept[3] == reversed_name and kept[4] == "Bank Melli\x00 Iran"  # JSON keeps the text exactly
    page = _env().from_string("<td>{{ name }}</td>").render(name=reversed_name + "\x00")  # every workbench page
    assert page == "<td>Bank\\u202eilleM\\u202c Iran\\u0000</td>"
    report = Report("r").table(ResultTable.from_records("t", [{"name": reversed_name}], ["name"])).html()
    assert "\u202e" not in report and "Bank\\u202eilleM" in report


def test_a_name_longer_than_the_matcher_reads_is_refused_not_screened_cut(
        lists: dict[str, ScreeningList], small_ws: Path, tmp_path: Path) -> None:
    """Trial 12, F10: the API refused names over 500 characters; the CLI and the batch screened their first 500,
    silently (a listed name after them was never read)."""
    from pinchpoint.screening.matcher import MAX_QUERY_CHARS

    listed = lists[UN_FILE].entities[0].primary_name
    padded = "acme holdings " * 40 + listed  # 560 + characters: the listed name past the 500th
    result = CliRunner().invoke(app, ["screen", padded, "--workspace", str(small_ws)])
    assert result.exit_code == 2
    assert f"name 1 is {len(padded):,} characters, more than the {MAX_QUERY_CHARS:,} a name may have" in result.stderr
    source = tmp_path / "long.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name"], [listed], [padded]])
    out = tmp_path / "out.csv"
    run_file(Screener([lists[UN_FILE]]), source, out, top=1)
    with out.open(encoding="utf-8", newline="") as fh:
        status = {r["row"]: r["status"] for r in csv.DictReader(fh)}
    assert status["2"] == "match"
    assert status["3"] == (f"unreadable: name is {len(padded):,} characters, more than the {MAX_QUERY_CHARS:,} a "
                           "name may have (is it several fields in one?)")
