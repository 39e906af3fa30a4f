"""Fuzzing every trade parser over the real files' structure: real rows, mutated (fields dropped or repeated, bad
numbers, odd encodings, cut short). No traceback, no hang, and every record is either kept or reported."""

from __future__ import annotations

import gzip
import json
import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pinchpoint.errors import DataError
from pinchpoint.trade.adapters import read, read_sheet
from pinchpoint.trade.table import TradeFrame
from tests.conftest import SHARED

TRADE = SHARED / "trade"
pytestmark = pytest.mark.skipif(not TRADE.exists(), reason="no ../shared/data beside the repository")

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BAD = st.sampled_from(["NaN", "nan", "inf", "-inf", "1e309", "-1", "-0.0", "", ":", "abc", "<script>", '"',
                       "1,2", "1,234.5", "0x10", "١٢", "∞", "1_000", "  7 ", "XYZ", "\x00", "é", "TOTAL", "2022",
                       "999999999999999999999999"])


@contextmanager
def _no_hang(seconds: int = 20) -> Iterator[None]:
    def fail(*_: object) -> None:
        raise AssertionError(f"the parser ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _head(path: Path, n: int = 12) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return [fh.readline() for _ in range(n + 1)]


@st.composite
def mutated_csv(draw: st.DrawFn, lines: list[str], delimiter: str = ",") -> bytes:
    """Real lines with a few mutations of fields, whole lines, encoding and length."""
    rows = [line.rstrip("\r\n").split(delimiter) for line in lines]
    for _ in range(draw(st.integers(0, 6))):
        k = draw(st.integers(0, len(rows) - 1))
        row = rows[k]
        op = draw(st.sampled_from(["set", "drop", "repeat", "dup_line", "blank", "quote", "text"]))
        j = draw(st.integers(0, max(len(row) - 1, 0)))
        if op == "set" and row:
            row[j] = draw(BAD)
        elif op == "drop" and row:
            del row[j]
        elif op == "repeat" and row:
            row.insert(j, row[j])
        elif op == "dup_line":
            rows.insert(k, list(row))
        elif op == "blank":
            rows[k] = []
        elif op == "quote" and row:
            row[j] = '"' + row[j]
        elif op == "text" and row:
            row[j] = draw(st.text(max_size=8))
    data = "".join(delimiter.join(r) + "\n" for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    raw = data.encode(encoding, errors="replace")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


def _check(fmt: str, path: Path) -> str:
    with _no_hang():
        try:
            frame = read(fmt, [path])
        except DataError as err:
            assert str(path) in str(err)
            event("refused with an error naming the file")
            return "refused"
    assert frame.read_rows == len(frame) + frame.reported
    assert all(math.isfinite(v) and v >= 0 for v in frame.columns["value"])
    assert all(p.file and p.row >= 0 and p.field for p in frame.problems)
    return "read with problems" if frame.problems else "read"


CSV_CASES = [
    ("baci", TRADE / "baci-critical-materials" / "baci_2024.csv", "baci_2024.csv", ","),
    ("comtrade", TRADE / "comtrade-raw" / "comtrade_2022.csv.gz", "comtrade_2022.csv", ","),
    ("comtrade", TRADE / "comtrade-raw" / "comtrade_2024.csv.gz", "comtrade_2024.csv", ","),
    ("comtrade-legacy", next(iter(sorted((TRADE / "comtrade-legacy").glob("*.csv"))), TRADE), "legacy.csv", ","),
    ("comext-relational", TRADE / "comext-relational" / "kyrgyz_import_yearly.csv", "comext.csv", ","),
]


@pytest.mark.parametrize(("fmt", "source", "name", "delimiter"), CSV_CASES, ids=[c[2] for c in CSV_CASES])
def test_csv_parsers_survive_mutated_real_rows(tmp_path: Path, fmt: str, source: Path, name: str,
                                               delimiter: str) -> None:
    lines = _head(source)
    outcomes: set[str] = set()

    @SETTINGS
    @given(data=mutated_csv(lines, delimiter), gz=st.booleans())
    def run(data: bytes, gz: bool) -> None:
        path = tmp_path / (name + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data)[: None if data else 10] if gz else data)
        outcomes.add(_check(fmt, path))

    run()
    assert "read with problems" in outcomes  # the mutations reach the row checks, not only the file checks


def _current_records() -> list[dict[str, object]]:
    lines = _head(TRADE / "comtrade-raw" / "comtrade_2022.csv.gz", 10)
    header = lines[0].strip().split(",")
    rows = [dict(zip(header, line.strip().split(","), strict=True)) for line in lines[1:]]
    return [{"freqCode": "A", "period": r["year"], "reporterCode": r["reporter"], "partnerCode": r["partner"],
             "flowCode": r["flow"], "classificationCode": "H6", "cmdCode": r["cmd"], "customsCode": "C00",
             "motCode": 0, "partner2Code": 0, "qty": r["qty"], "qtyUnitAbbr": "kg", "primaryValue": float(r["value"])}
            for r in rows]


JSON_BAD = st.one_of(BAD, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                          max_size=2))


def test_comtrade_api_survives_mutated_real_records(tmp_path: Path) -> None:
    records = _current_records()
    outcomes: set[str] = set()

    @SETTINGS
    @given(st.data())
    def run(data: st.DataObject) -> None:
        docs = [dict(r) for r in records]
        for _ in range(data.draw(st.integers(0, 6))):
            rec = docs[data.draw(st.integers(0, len(docs) - 1))]
            key = data.draw(st.sampled_from(sorted(rec)))
            if data.draw(st.booleans()):
                rec[key] = data.draw(JSON_BAD)
            else:
                del rec[key]
        shape = data.draw(st.sampled_from(["data", "list", "nested", "scalar"]))
        doc: object = {"data": docs} if shape == "data" else docs if shape == "list" else \
            {"data": [[docs]]} if shape == "nested" else 7
        text = json.dumps(doc, allow_nan=True).encode()
        if data.draw(st.booleans()):
            text = text[: data.draw(st.integers(0, len(text)))]
        path = tmp_path / ("api.json.gz" if data.draw(st.booleans()) else "api.json")
        path.write_bytes(gzip.compress(text) if path.suffix == ".gz" else text)
        outcomes.add(_check("comtrade-api", path))

    run()
    assert {"read with problems", "refused"} <= outcomes


def test_comtrade_bulk_survives_mutated_real_rows(tmp_path: Path) -> None:
    records = _current_records()
    header = list(records[0])
    lines = ["\t".join(header) + "\n"] + ["\t".join(str(r[h]) for h in header) + "\n" for r in records]
    outcomes: set[str] = set()

    @SETTINGS
    @given(data=mutated_csv(lines, "\t"))
    def run(data: bytes) -> None:
        path = tmp_path / "bulk.txt"
        path.write_bytes(data)
        outcomes.add(_check("comtrade-bulk", path))

    run()
    assert "read with problems" in outcomes


def test_spreadsheet_sheets_survive_mutated_real_rows() -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(TRADE / "comext-xlsx" / "01_4624976_spreadsheet.xlsx"))
    real = book.get_sheet_by_name("Sheet 1").to_python()[:30]
    cells = st.one_of(BAD, st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**12), st.none(),
                      st.booleans(), st.text(max_size=6))

    @SETTINGS
    @given(st.data())
    def run(data: st.DataObject) -> None:
        rows = [list(r) for r in real]
        for _ in range(data.draw(st.integers(0, 8))):
            k = data.draw(st.integers(0, len(rows) - 1))
            op = data.draw(st.sampled_from(["set", "drop", "cut", "dup", "blank"]))
            if op == "set" and rows[k]:
                rows[k][data.draw(st.integers(0, len(rows[k]) - 1))] = data.draw(cells)
            elif op == "drop" and rows[k]:
                del rows[k][data.draw(st.integers(0, len(rows[k]) - 1))]
            elif op == "cut":
                rows[k] = rows[k][: data.draw(st.integers(0, len(rows[k])))]
            elif op == "dup":
                rows.insert(k, list(rows[k]))
            else:
                rows[k] = []
        frame = TradeFrame("comext-xlsx", "v", unit="cells")
        with _no_hang():
            read_sheet(frame, "fuzz.xlsx#Sheet 1", rows, set())
        assert frame.read_rows == len(frame) + frame.reported
        assert all(math.isfinite(v) and v >= 0 for v in frame.columns["value"])

    run()
