"""A file of names saved by a spreadsheet is read whatever Unicode encoding it declares with a byte-order mark
(Excel's "Unicode text" is tab-separated UTF-16 LE; "CSV UTF-8" has a UTF-8 mark); a file in another encoding is
an error naming the file and the row, never names read misspelt."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.errors import DataError
from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import NameKind, ScreeningList
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

UN_FILE = "un_sc_consolidated_20260227.xml"


@pytest.fixture(scope="module")
def un(lists: dict[str, ScreeningList]) -> ScreeningList:
    return lists[UN_FILE]


@pytest.fixture(scope="module")
def un_screener(un: ScreeningList) -> Screener:
    return Screener([un])


def customers(un: ScreeningList) -> list[tuple[str, str]]:
    """(name, customer id): five listed primary names, five names in their original (non-Latin) script, and a name
    with an accent that no list holds."""
    primary = [e.primary_name for e in un.entities[:5]]
    original = [n.text for e in un.entities for n in e.names if n.kind is NameKind.ORIGINAL][:5]
    return [(name, f"C{k}") for k, name in enumerate([*primary, *original, "Société Générale d'Éclairage Zyx"])]


def write(path: Path, rows: list[tuple[str, str]], encoding: str, separator: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=separator)
        writer.writerow(["name", "customer"])
        writer.writerows(rows)
    return path


def results(screener: Screener, source: Path, out: Path) -> list[tuple[str, str, str, str, str]]:
    screen_file(screener, source, out)
    with out.open(encoding="utf-8", newline="") as fh:
        return [(r["name"], r["customer"], r["status"], r["entity_id"], r["score"]) for r in csv.DictReader(fh)]


@pytest.mark.parametrize(("encoding", "separator"), [
    ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 LE with its byte-order mark, tab-separated
    ("utf-16", ","),
    ("utf-16-be", ","),  # no mark of its own: written after one below
    ("utf-8-sig", ";"),  # Excel's "CSV UTF-8" where the decimal mark is a comma
])
def test_files_with_a_byte_order_mark_screen_as_utf8_does(un: ScreeningList, un_screener: Screener,
                                                          tmp_path: Path, encoding: str, separator: str) -> None:
    rows = customers(un)
    expected = results(un_screener, write(tmp_path / "plain.csv", rows, "utf-8"), tmp_path / "plain-out.csv")
    assert sum(status == "match" for _, _, status, _, _ in expected) >= 10
    source = write(tmp_path / "in.csv", rows, encoding, separator)
    if encoding == "utf-16-be":
        source.write_bytes(b"\xfe\xff" + source.read_bytes())
    assert results(un_screener, source, tmp_path / "out.csv") == expected


def test_the_cli_screens_a_unicode_text_file(un: ScreeningList, small_ws: Path, tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)  # the shared workspace stays without a stored screening
    source = write(tmp_path / "customers.txt", customers(un), "utf-16", "\t")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, [
        "screen", "--file", str(source), "-o", str(out), "--store", "customers", "--workspace", str(ws)])
    assert result.exit_code == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        found = {r["customer"]: r["entity_id"] for r in csv.DictReader(fh)}
    assert {found[f"C{k}"] for k in range(5)} == {e.entity_id for e in un.entities[:5]}


def test_a_file_in_another_encoding_is_an_error_naming_file_and_row(un: ScreeningList, un_screener: Screener,
                                                                  tmp_path: Path) -> None:
    rows = [(un.entities[0].primary_name, "C0"), (un.entities[1].primary_name, "C1"),
            ("Société Générale d'Éclairage Zyx", "C2")]
    source = write(tmp_path / "latin.csv", rows, "cp1252")  # the accents are not UTF-8
    with pytest.raises(DataError) as info:
        screen_file(un_screener, source, tmp_path / "out.csv")
    assert info.value.problems[0].file == str(source) and info.value.problems[0].row == 4
    assert "not UTF-8 text" in str(info.value)
    # UTF-16 without its byte-order mark: said so, rather than every row read as NUL bytes
    bare = write(tmp_path / "bare.csv", rows, "utf-16-le")
    with pytest.raises(DataError, match="UTF-16 text without a byte-order mark") as info:
        screen_file(un_screener, bare, tmp_path / "out.csv")
    assert info.value.problems[0].file == str(bare) and info.value.problems[0].row == 1
