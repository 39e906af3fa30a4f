"""The malformed-input sweep: every reader the CLI offers, fed the same kinds of damage, built from the real files.

Each case must end in one of two ways, never a traceback and never a silent accept:
* refused: a non-zero exit whose message names the file;
* read with its damage reported: exit 0 and a message that names the file and says what was reported.
The cases are listed here (reader x damage) so the sweep stays and grows with new readers.
"""

from __future__ import annotations

import gzip
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED


@dataclass(frozen=True)
class Reader:
    name: str
    source: Path  # the real file the damaged copy is made from
    command: Callable[[Path], list[str]]  # CLI arguments, given the damaged file (or its folder)
    keep_lines: int = 400  # a slice of the real file: the sweep tests damage, not size
    folder_with: tuple[Path, ...] = ()  # files the reader needs beside the damaged one (copied intact)
    setup: tuple[str, ...] = ()  # a command run first (e.g. load a list to screen against)
    header: bool = True  # False for JSON lines: the first line alone is a valid file of one record


LISTS = SHARED / "screening" / "lists"
READERS = [
    Reader("ofac-sdn", LISTS / "ofac_sdn_20240503.csv", lambda p: ["lists", "load", str(p)]),
    Reader("un-xml", LISTS / "un_sc_consolidated_20260227.xml", lambda p: ["lists", "load", str(p)], 3000),
    Reader("bis-dpl", LISTS / "us_bis_dpl_2022.txt", lambda p: ["lists", "load", str(p)]),
    Reader("ftm-json", LISTS / "yente_zala_entities.ftm.json", lambda p: ["lists", "load", str(p)], header=False),
    Reader("eu-annex", SHARED / "controls" / "eu-annex1" / "annex.json",
           lambda p: ["controls", "load", str(p.parent)], 0),
    Reader("jp-items", SHARED / "controls" / "jp" / "jp_sme_concordance.csv",
           lambda p: ["controls", "load", str(p.parent)]),
    Reader("baci", SHARED / "trade" / "baci-critical-materials" / "baci_2024.csv",
           lambda p: ["trade", "import", "baci", str(p)]),
    Reader("comtrade-legacy", next(iter(sorted((SHARED / "trade" / "comtrade-legacy").glob("*.csv"))), SHARED),
           lambda p: ["trade", "import", "comtrade-legacy", str(p)]),
    Reader("comext-relational", next(iter(sorted((SHARED / "trade" / "comext-relational").glob("*/*.csv"))), SHARED),
           lambda p: ["trade", "import", "comext-relational", str(p)]),
    Reader("eto-provision", SHARED / "supply-chain" / "eto" / "provision.csv",
           lambda p: ["data", "validate", str(p.parent)],
           folder_with=tuple(SHARED / "supply-chain" / "eto" / f for f in
                             ("stages.csv", "inputs.csv", "providers.csv", "sequence.csv"))),
    Reader("scenario", Path(__file__).resolve().parents[2] / "src" / "pinchpoint" / "stress" / "scenarios"
           / "taiwan_blockade.yaml", lambda p: ["stress", str(p)], 0),
    Reader("screen-file", SHARED / "screening" / "benchmarks" / "yente_positives_un_untreated.csv",
           lambda p: ["screen", "--file", str(p), "--name-column", "full_name", "--workers", "1",
                      "--output", str(p.with_name("out.csv"))], 60,
           setup=("lists", "load", str(LISTS / "us_bis_dpl_2022.txt"))),
    Reader("trends-fred", SHARED / "trends" / "us_fred_ipg3344s.csv", lambda p: ["trends", "import", str(p)]),
    Reader("trends-iip", SHARED / "trends" / "jp_iip_electronic_parts_devices.csv",
           lambda p: ["trends", "import", str(p)]),
]


def _empty(data: bytes) -> bytes:
    return b""


def _header_only(data: bytes) -> bytes:
    return data.split(b"\n", 1)[0] + b"\n"


def _cut_mid_record(data: bytes) -> bytes:
    cut = int(len(data) * 0.6)
    while cut < len(data) and data[cut:cut + 1] in b"\n\r\",<>":  # land inside a record, not between two
        cut += 1
    return data[:cut]


def _binary(data: bytes) -> bytes:
    return random.Random(7).randbytes(max(256, len(data) // 4))


def _utf16(data: bytes) -> bytes:
    return data.decode("utf-8", errors="replace").encode("utf-16")


def _html(data: bytes) -> bytes:
    return (b"<!DOCTYPE html><html><head><title>Page not found</title></head>"
            b"<body><h1>404</h1><p>The list moved.</p></body></html>\n")


def _nul_bytes(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + b"\x00" * 64 + data[middle:]


DAMAGE = {"empty": _empty, "header-only": _header_only, "cut-mid-record": _cut_mid_record, "binary": _binary,
          "utf16": _utf16, "html-page": _html, "nul-bytes": _nul_bytes}

CASES = [(r, d) for r in READERS for d in DAMAGE if r.header or d != "header-only"]

# Cases that fail today, each with what is wrong. Strict: a case that starts to pass fails the suite until it is
# taken off this list, so the list only shrinks.
KNOWN_GAPS: dict[tuple[str, str], str] = {}  # none left


def _slice(reader: Reader) -> bytes:
    raw = reader.source.read_bytes()
    if reader.source.suffix == ".gz":
        raw = gzip.decompress(raw)
    if reader.keep_lines:
        raw = b"\n".join(raw.split(b"\n")[: reader.keep_lines]) + b"\n"
    return raw


@pytest.mark.parametrize(("reader", "damage"), CASES, ids=[f"{r.name}-{d}" for r, d in CASES])
def test_damaged_input_is_refused_or_reported(reader: Reader, damage: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
                                              ) -> None:
    if not reader.source.exists():
        pytest.skip(f"real data not found: {reader.source}")
    if (reader.name, damage) in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[reader.name, damage], strict=True))
    from pinchpoint.cli.main import app

    folder = tmp_path / "input"
    folder.mkdir()
    for extra in reader.folder_with:
        shutil.copyfile(extra, folder / extra.name)
    target = folder / reader.source.name
    target.write_bytes(DAMAGE[damage](_slice(reader)))
    monkeypatch.setenv("PINCHPOINT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    if reader.setup:
        ready = CliRunner().invoke(app, list(reader.setup))
        assert ready.exit_code == 0, ready.output[-1500:]
    result = CliRunner().invoke(app, reader.command(target))
    said = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{reader.name}/{damage}: {type(result.exception).__name__}: {result.exception}\n{said[-1500:]}")
    assert "Traceback" not in said, said[-2000:]
    named = reader.source.name in said or str(folder) in said
    if result.exit_code != 0:
        assert named, f"{reader.name}/{damage}: refused without naming the file:\n{said[-1500:]}"
    elif damage != "utf16":  # UTF-16 loses nothing: a reader may decode it (tests of each reader check the result)
        counted = re.search(r"\b[1-9][\d,]*\s+(\w+\s+)?(problems?|reported|errors?)\b", said)
        reported = counted or "warning" in said.lower()
        assert named and reported, f"{reader.name}/{damage}: accepted silently:\n{said[-1500:]}"
