"""An .xlsx is a zip: what it unzips to is checked against caps before anything parses it (trial 12, F11: a 2 MB
workbook whose sheet was 2 GB of blanks made the workbench hold 2.5 GB, and ``lists load --max-mb`` compared the
compressed size after reading everything). The bombs are built here from the real workbooks in ../shared/data."""

from __future__ import annotations

import ast
import struct
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint import sources
from pinchpoint.errors import DataError
from pinchpoint.screening.loaders import load_list
from pinchpoint.sources import zipcap
from pinchpoint.trade.adapters import read_comext_xlsx
from tests.conftest import ROOT, SHARED

METI = SHARED / "screening" / "lists" / "meti_eul_20250929.xlsx"
COMEXT = SHARED / "trade" / "comext-xlsx" / "19_4623968_spreadsheet.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024


def _rebuilt(real: Path, out: Path, *, pad: int = 0, extra_members: int = 0, level: int = 9) -> Path:
    """``real`` rewritten member by member, its first sheet with ``pad`` blanks before ``</worksheet>`` (still
    valid XML, as in the trial's bomb) and ``extra_members`` more members of 1 MB of blanks each."""
    blanks = b" " * MB
    with zipfile.ZipFile(real) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != SHEET or not pad:
                dst.writestr(info.filename, data)
                continue
            body, tail = data.rsplit(b"</worksheet>", 1)
            with dst.open(info.filename, "w") as fh:
                fh.write(body)
                for start in range(0, pad, MB):
                    fh.write(blanks[:min(MB, pad - start)])
                fh.write(b"</worksheet>" + tail)
        for n in range(extra_members):
            dst.writestr(f"xl/media/blank{n}.bin", blanks)
    return out


def _understated(path: Path, member: str, size: int) -> None:
    """Make the zip at ``path`` declare ``member`` unzips to ``size`` bytes (central directory and local header)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        length, = struct.unpack_from("<H", data, at + 28)
        if bytes(data[at + 46:at + 46 + length]) == name:
            struct.pack_into("<L", data, at + 24, size)
            local, = struct.unpack_from("<L", data, at + 42)
            struct.pack_into("<L", data, local + 22, size)
        at += 4
    path.write_bytes(bytes(data))


def test_a_sheet_of_blanks_is_refused_by_its_ratio_before_it_is_read(tmp_path: Path) -> None:
    bomb = _rebuilt(METI, tmp_path / "meti_eul_20260101.xlsx", pad=40 * MB)
    assert bomb.stat().st_size < METI.stat().st_size + 100_000  # 40 MB more sheet, under 100 kB more file
    unzipped = zipfile.ZipFile(bomb).getinfo(SHEET).file_size
    for read in (lambda: load_list(bomb), lambda: load_list(bomb, source="meti-eul")):
        with pytest.raises(DataError) as err:
            read()
        assert err.value.location.file == str(bomb)
        assert f"member '{SHEET}' unzips to {unzipped:,} bytes" in str(err.value) and "a zip bomb?" in str(err.value)
    # the same workbook as a Comext download: the detector says why, the reader refuses it
    comext = _rebuilt(COMEXT, tmp_path / "19_bomb.xlsx", pad=40 * MB)
    with pytest.raises(DataError, match=rf"19_bomb.xlsx: member '{SHEET}' unzips to .*a zip bomb\?"):
        read_comext_xlsx([comext])
    reason = dict((s.name, d.reason) for s, d in sources.explain(comext, kind="trade"))["comext-xlsx"]
    assert "a zip bomb?" in reason


def test_max_mb_caps_what_a_workbook_unzips_to_not_its_compressed_size(tmp_path: Path) -> None:
    # the real METI workbook: 87,269 bytes as stored, 522,406 unzipped; a 300 kB cap passed it before
    with pytest.raises(DataError, match=r"unzips to more than 300,000 bytes, the cap for a workbook") as err:
        load_list(METI, max_bytes=300_000)
    assert err.value.location.file == str(METI) and err.value.option == "max_bytes"
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["lists", "load", str(METI), "--max-mb", "0.3", "--workspace",
                                      str(tmp_path / "ws")])
    assert result.exit_code == 2, result.output
    assert "unzips to more than" in result.stderr and "--max-mb" in result.stderr
    assert len(load_list(METI, max_bytes=600_000).entities) > 0  # above what it unzips to, it loads


def test_many_small_members_are_held_to_the_total_cap(tmp_path: Path) -> None:
    # 201 members of 1 MB of blanks each: no member is over the ratio's 1 MB grace, together 201 MB
    bomb = _rebuilt(COMEXT, tmp_path / "19_many.xlsx", extra_members=201, level=1)
    with pytest.raises(DataError, match=r"unzips to more than 200 MB, the cap for a workbook \(all members") as err:
        read_comext_xlsx([bomb])
    assert err.value.location.file == str(bomb)
    for path in [METI, *sorted((SHARED / "trade" / "comext-xlsx").glob("*.xlsx"))]:  # the real ones pass
        members = zipcap.check_zip(path, str(path), what="workbook")
        assert sum(m.file_size for m in members) < zipcap.MAX_UNZIPPED_BYTES


def test_a_directory_that_understates_a_member_is_caught_by_inflating_it(tmp_path: Path) -> None:
    bomb = _rebuilt(METI, tmp_path / "meti_eul_20260102.xlsx", pad=8 * MB)
    _understated(bomb, SHEET, 300_000)  # what the directory declares: under the ratio's grace
    with pytest.raises(DataError, match=rf"member '{SHEET}' unzips to more than the 300,000 bytes its zip "
                                        r"directory declares \(a tampered file\)"):
        load_list(bomb, source="meti-eul")


def test_an_uploaded_zip_gets_the_same_checks_naming_the_upload(tmp_path: Path) -> None:
    from pinchpoint.trade.upload import stage_trade_upload

    bomb = _rebuilt(COMEXT, tmp_path / "inner.xlsx", pad=40 * MB)
    with pytest.raises(DataError, match=rf"^flows.xlsx: member '{SHEET}' unzips to .*a zip bomb\?"):
        zipcap.open_workbook(bomb.read_bytes(), "flows.xlsx")
    carrier = tmp_path / "carrier.zip"
    with zipfile.ZipFile(carrier, "w", zipfile.ZIP_DEFLATED) as z, zipfile.ZipFile(bomb) as inner:
        z.writestr("blank.csv", inner.read(SHEET))  # the 40 MB sheet as one member of an upload
    with pytest.raises(DataError, match=r"^upload.zip: member 'blank.csv' unzips to .*a zip bomb\?"):
        stage_trade_upload(carrier.read_bytes(), "upload.zip", tmp_path / "staged")
    assert not (tmp_path / "staged").exists()  # refused before anything was written


def test_every_workbook_is_opened_through_the_capped_opener() -> None:
    """No module but :mod:`pinchpoint.sources.zipcap` imports the spreadsheet parser, so no reader skips the caps."""
    src = ROOT / "src" / "pinchpoint"
    importers = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "python_calamine" for n in names):
                importers.add(path.relative_to(src).as_posix())
    assert importers == {"sources/zipcap.py"}


def test_a_zip_inside_an_uploaded_zip_is_named_not_read_as_text(tmp_path: Path) -> None:
    """Trial 12, F10: a zip holding a zip was read as CSV ("'utf-8' codec can't decode byte 0x8b")."""
    from pinchpoint.trade.upload import stage_trade_upload

    inner = tmp_path / "a.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(SHARED / "trade" / "baci-critical-materials" / "baci_2022.csv", "baci_2022.csv")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as z:
        z.write(inner, "a.zip")
    with pytest.raises(DataError, match=r"^nested\.zip: a\.zip: a zip inside the zip is not read"):
        stage_trade_upload(nested.read_bytes(), "nested.zip", tmp_path / "staged")
    # a Comext workbook inside a zip is a workbook, read as one
    with zipfile.ZipFile(tmp_path / "books.zip", "w") as z:
        z.write(COMEXT, COMEXT.name)
    staged = stage_trade_upload((tmp_path / "books.zip").read_bytes(), "books.zip", tmp_path / "staged2")
    assert [p.name for p in staged] == [COMEXT.name]
