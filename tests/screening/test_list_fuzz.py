"""Bounded fuzzing of every list parser on slices of the real files: lines dropped, repeated and swapped, files cut
at any byte, delimiters and quotes replaced, bytes inserted. A parser either refuses the file with a DataError that
names it, or loads it with every record kept, collapsed as a duplicate, skipped by design or reported; never a
traceback, never a hang."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinchpoint.errors import DataError
from pinchpoint.screening.loaders import load_dpl, load_ftm, load_list, load_meti, load_ofac, load_un
from pinchpoint.screening.model import ScreeningList
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

FUZZ = settings(max_examples=40, deadline=timedelta(seconds=30), derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

Mutation = tuple[str, int, int, bytes]
SYNTAX = [b",", b"\t", b'"', b"<", b">", b"/", b"{", b"}", b"[", b":", b"\n", b"\r\n", b"\x1a", b"-0-", b""]


def mutations() -> st.SearchStrategy[list[Mutation]]:
    one = st.tuples(st.sampled_from(["cut", "drop_line", "repeat_line", "swap_lines", "insert", "replace_syntax"]),
                    st.integers(0, 10**6), st.integers(0, 10**6),
                    st.one_of(st.sampled_from(SYNTAX), st.binary(max_size=8)))
    return st.lists(one, min_size=1, max_size=3)


def mutate(data: bytes, ops: list[Mutation]) -> bytes:
    for op, a, b, blob in ops:
        lines = data.splitlines(keepends=True)
        if op == "cut":
            data = data[: a % (len(data) + 1)]
        elif op == "drop_line" and lines:
            del lines[a % len(lines)]
            data = b"".join(lines)
        elif op == "repeat_line" and lines:
            i = a % len(lines)
            lines.insert(b % len(lines), lines[i])
            data = b"".join(lines)
        elif op == "swap_lines" and lines:
            i, j = a % len(lines), b % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            data = b"".join(lines)
        elif op == "insert":
            at = a % (len(data) + 1)
            data = data[:at] + blob + data[at:]
        elif op == "replace_syntax":
            hits = [m.start() for m in re.finditer(rb'[,\t"<>/{}\[\]:\n\x1a]', data)]
            if hits:
                at = hits[a % len(hits)]
                data = data[:at] + blob + data[at + 1:]
    return data


def check(load: Callable[[Path], ScreeningList], path: Path, data: bytes, mutated: Path | None = None
          ) -> ScreeningList | None:
    """The parser's contract on any input: a DataError naming the (mutated) file, or every record accounted for."""
    path.write_bytes(data)
    try:
        sl = load(path)
    except DataError as exc:
        assert str(exc).startswith(str(mutated or path)), exc
        return None
    assert sl.entities
    assert sl.records == len(sl.entities) + sl.duplicates + sl.skipped + sl.dropped
    assert len(sl.problems) >= sl.dropped
    return sl


def _slice_lines(path: Path, n: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


SDN_SLICE = _slice_lines(LISTS / "ofac_sdn_20240503.csv", 40) + b"\x1a"
SDN_IDS = [r[0] for r in csv.reader(io.StringIO(SDN_SLICE.decode("latin-1").rstrip("\x1a"))) if r]
ALT_SLICE = b"".join(line for line in (LISTS / "ofac_alt_20250227.csv").read_bytes().splitlines(keepends=True)
                     if line.split(b",")[0].decode("latin-1") in SDN_IDS) + b"\x1a"
DPL_SLICE = _slice_lines(LISTS / "us_bis_dpl_2022.txt", 40)
FTM_SLICE = _slice_lines(LISTS / "yente_zala_entities.ftm.json", 30)


def _un_slice() -> bytes:
    text = (LISTS / "un_sc_consolidated_20260227.xml").read_text(encoding="utf-8")
    head = text[: text.index("<INDIVIDUALS>")]
    people = re.findall(r"<INDIVIDUAL>.*?</INDIVIDUAL>", text, flags=re.S)[:5]
    firms = re.findall(r"<ENTITY>.*?</ENTITY>", text, flags=re.S)[:3]
    body = f"<INDIVIDUALS>\n{''.join(people)}\n</INDIVIDUALS>\n<ENTITIES>\n{''.join(firms)}\n</ENTITIES>\n"
    return (head + body + "</CONSOLIDATED_LIST>\n").encode("utf-8")


UN_SLICE = _un_slice()


def _csv_records(data: bytes, delimiter: str = ",") -> int:
    text = data.decode("utf-8") if _is_utf8(data) else data.decode("latin-1")
    return sum(1 for r in csv.reader(io.StringIO(text.rstrip().removesuffix("\x1a")), delimiter=delimiter)
               if any(c.strip() for c in r))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_slices_load_unmutated(tmp_path: Path) -> None:
    assert len(check(lambda p: load_ofac(p), tmp_path / "sdn.csv", SDN_SLICE).entities) == 40  # type: ignore[union-attr]
    assert check(load_un, tmp_path / "un.xml", UN_SLICE).records == 8  # type: ignore[union-attr]
    assert check(load_dpl, tmp_path / "dpl.txt", DPL_SLICE).records == 39  # type: ignore[union-attr]
    assert check(load_ftm, tmp_path / "ftm.json", FTM_SLICE).records == 30  # type: ignore[union-attr]


@FUZZ
@given(ops=mutations())
def test_ofac_sdn_csv(tmp_path: Path, ops: list[Mutation]) -> None:
    data = mutate(SDN_SLICE, ops)
    sl = check(lambda p: load_ofac(p), tmp_path / "sdn.csv", data)
    if sl is not None:  # every record of the file, as the csv module reads it, is accounted for
        assert sl.records == _csv_records(data)
        assert all(e.entity_id.removeprefix("ofac-").encode() in data for e in sl.entities)


@FUZZ
@given(ops=mutations())
def test_ofac_alt_csv(tmp_path: Path, ops: list[Mutation]) -> None:
    sdn, alt = tmp_path / "sdn.csv", tmp_path / "alt.csv"
    sdn.write_bytes(SDN_SLICE)
    alt.write_bytes(mutate(ALT_SLICE, ops))
    sl = check(lambda p: load_ofac(sdn, alt), sdn, SDN_SLICE, mutated=alt)
    if sl is None:
        return
    aliases = sum(1 for e in sl.entities for n in e.names if n.kind == "alias")
    alt_rows = _csv_records(alt.read_bytes())
    reported = sum(int(m.group(1)) for p in sl.problems if (m := re.search(r": (\d+) alternate names", str(p))))
    missing = sum(1 for p in sl.problems if (p.field, p.message) == ("alt_name", "missing"))
    repeated = sum(int(m.group(1)) for p in sl.problems if (m := re.search(r": (\d+) rows repeat", str(p))))
    assert aliases + reported + missing + repeated == alt_rows  # each alt row is an alias or reported


@FUZZ
@given(ops=mutations())
def test_un_xml(tmp_path: Path, ops: list[Mutation]) -> None:
    data = mutate(UN_SLICE, ops)
    sl = check(load_un, tmp_path / "un.xml", data)
    if sl is not None:
        root = ET.fromstring(data)
        assert sl.records == len(root.findall("INDIVIDUALS/INDIVIDUAL")) + len(root.findall("ENTITIES/ENTITY"))


@FUZZ
@given(ops=mutations())
def test_dpl(tmp_path: Path, ops: list[Mutation]) -> None:
    data = mutate(DPL_SLICE, ops)
    sl = check(load_dpl, tmp_path / "dpl.txt", data)
    if sl is not None:
        assert sl.records == _csv_records(data, "\t") - 1  # less the header


@FUZZ
@given(ops=mutations())
def test_ftm_json_lines(tmp_path: Path, ops: list[Mutation]) -> None:
    data = mutate(FTM_SLICE, ops)
    sl = check(load_ftm, tmp_path / "entities.ftm.json", data)
    if sl is not None:
        text = data.decode(sl.encoding)
        assert sl.records == sum(1 for line in text.splitlines() if line.strip())
        ids = {str(d.get("id")) for line in text.splitlines() if line.strip()
               for d in [_json_or_none(line)] if isinstance(d, dict)}
        assert {e.entity_id for e in sl.entities} <= ids


def _json_or_none(line: str) -> object:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


@settings(max_examples=25, deadline=timedelta(seconds=30), derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["cut", "insert"]), st.integers(0, 10**6), st.integers(0, 0),
                              st.binary(min_size=1, max_size=8)), min_size=1, max_size=2))
def test_meti_xlsx_container(tmp_path: Path, ops: list[Mutation]) -> None:
    """The spreadsheet is a zip: cut or corrupted, it is refused with the file named (cells are not mutated)."""
    data = mutate((LISTS / "meti_eul_20250929.xlsx").read_bytes(), ops)
    check(load_meti, tmp_path / "meti.xlsx", data)


@FUZZ
@given(ops=mutations(), which=st.sampled_from(["sdn.csv", "un.xml", "dpl.txt", "entities.ftm.json"]))
def test_format_detection(tmp_path: Path, ops: list[Mutation], which: str) -> None:
    """Whatever a mutated file looks like, load_list picks a parser or says it cannot tell; never a traceback."""
    source = {"sdn.csv": SDN_SLICE, "un.xml": UN_SLICE, "dpl.txt": DPL_SLICE, "entities.ftm.json": FTM_SLICE}
    path = tmp_path / f"x_{which}"
    check(load_list, path, mutate(source[which], ops))
