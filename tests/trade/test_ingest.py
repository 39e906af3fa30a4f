"""The import side on the real files: units, refusals, counts, atomic publishing, bad values, revisions."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.trade.adapters import read
from tests.conftest import SHARED

TRADE = SHARED / "trade"
BACI = TRADE / "baci-critical-materials"

pytestmark = pytest.mark.skipif(not TRADE.exists(), reason="no ../shared/data beside the repository")


def _records(stdout: str) -> list[dict[str, object]]:
    """JSON output: a bare list of records, or an object with "rows"."""
    doc = json.loads(stdout)
    return list(doc["rows"] if isinstance(doc, dict) else doc)


def test_baci_extract_is_in_usd_and_raw_baci_in_thousands(tmp_path: Path) -> None:
    """SOURCES.md: the extract's values are USD. Japan's 2024 imports of silicon (280469) are the file's own sum,
    not 1,000 times it; CEPII's raw layout (t,i,j,k,v,q) is in thousand USD and is multiplied."""
    from pinchpoint.cli.main import app

    rows = [r for r in csv.DictReader((BACI / "baci_2024.csv").open(encoding="utf-8"))
            if r["j"] == "JPN" and r["cmd"] == "280469"]
    expected = sum(float(r["value"]) for r in rows)
    assert 1e8 < expected < 1e9  # hundreds of millions of USD (the bug said $381.9 bn)
    ws = tmp_path / "ws"
    runner = CliRunner()
    result = runner.invoke(app, ["trade", "import", "baci", str(BACI), "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["trade", "dependence", "--importer", "JPN", "--codes", "280469", "--period", "2024",
                                 "-f", "json", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    [record] = _records(result.stdout)
    assert record["imports"] == pytest.approx(expected)
    frame = read("baci", [BACI / "baci_2024.csv"])
    assert set(frame.columns["flags"]) == {"value:USD"}
    # the same rows in CEPII's own layout: numeric codes from its country table, values in thousand USD
    codes = {r["country_iso3"]: r["country_code"] for r in
             csv.DictReader((BACI / "country_codes_V202601.csv").open(encoding="utf-8"))}
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "country_codes_V202601.csv").write_bytes((BACI / "country_codes_V202601.csv").read_bytes())
    with (raw / "BACI_HS17_Y2024_V202601.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["t", "i", "j", "k", "v", "q"])
        writer.writerows(["2024", codes[r["i"]], codes[r["j"]], r["cmd"], float(r["value"]) / 1000, ""] for r in rows)
    thousands = read("baci", [raw])
    assert sum(thousands.columns["value_usd"]) == pytest.approx(expected)
    assert set(thousands.columns["flags"]) == {"value:kUSD"}


def test_comtrade_quantities_carry_their_unit_and_no_quantity_is_not_zero() -> None:
    """Comtrade's numeric unit codes (8 kg, 12 m3 for gases, -1 and 1 no quantity, where the files write 0)."""
    import gzip

    with gzip.open(TRADE / "comtrade-raw" / "comtrade_2022.csv.gz", "rt", encoding="utf-8") as fh:
        rows = [r for _, r in zip(range(4000), csv.DictReader(fh), strict=False)]
    frame = read("comtrade", [TRADE / "comtrade-raw" / "comtrade_2022.csv.gz"])
    cols = frame.columns
    units = {(cols["period"][k], cols["reporter"][k], cols["partner"][k], cols["product"][k]): cols["unit"][k]
             for k in range(len(frame))}
    assert set(cols["unit"]) <= {"kg", "m³", None}
    no_quantity = [k for k in range(len(frame)) if cols["unit"][k] is None]
    assert no_quantity and all(cols["quantity"][k] is None for k in no_quantity)  # not 0.0
    assert sum(1 for r in rows if r["qtyunit"] == "-1") > 0
    assert "m³" in units.values() and "kg" in units.values()
    legacy = read("comtrade-legacy", [TRADE / "comtrade-legacy"])
    with next((TRADE / "comtrade-legacy").glob("*.csv")).open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    no_qty = sum(1 for r in source if r["Qty Unit"] == "No Quantity")
    assert no_qty > 1000
    assert sum(1 for q in legacy.columns["quantity"] if q is None) >= no_qty
    assert set(legacy.columns["unit"]) == {None, "u", "kg", "l"}
    assert set(legacy.columns["flow"]) == {"import", "export", "re-import", "re-export"}  # as in every source


def test_comtrade_report_without_a_year_column_takes_the_file_names_year() -> None:
    """comtrade_2024.csv.gz has no year column: its flows were stored with an empty period."""
    import gzip

    path = TRADE / "comtrade-raw" / "comtrade_2024.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert "year" not in next(csv.reader(fh))
    frame = read("comtrade", [path])
    assert set(frame.columns["period"]) == {"2024"}
    assert frame.read_rows == len(frame) + frame.reported


def _cli(*args: str) -> object:
    from pinchpoint.cli.main import app

    return CliRunner().invoke(app, list(args))


def _imports(ws: Path) -> list[tuple[object, ...]]:
    from pinchpoint.trade.store import imports_table
    from pinchpoint.workspace import Workspace

    with Workspace(ws) as w:
        return sorted(tuple(r.values()) for r in imports_table(w))


def test_files_that_hold_nothing_usable_are_refused_by_name(tmp_path: Path) -> None:
    """A non-trade CSV, an empty file and a header-only file were "imported; 0 kept" and recorded."""
    ws = tmp_path / "ws"
    chpl = TRADE / "chpl.csv"  # a real CSV, but a code list
    result = _cli("trade", "import", "comtrade", str(chpl), "--workspace", str(ws))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert str(chpl) in err and "expected the columns" in err and "found " + next(
        csv.reader(chpl.open(encoding="utf-8")))[0] in err
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    header_only = tmp_path / "baci_2024_header.csv"
    with (BACI / "baci_2024.csv").open(encoding="utf-8") as fh:
        header_only.write_text(fh.readline(), encoding="utf-8")
    for path, fmt, says in ((empty, "baci", "empty file"), (header_only, "baci", "no data rows"),
                            (empty, "comext-relational", "empty file"), (header_only, "comtrade", "not ")):
        result = _cli("trade", "import", fmt, str(path), "--workspace", str(ws))
        assert result.exit_code == 2, (fmt, path, result.output)  # type: ignore[attr-defined]
        assert str(path) in result.stderr and says in result.stderr  # type: ignore[attr-defined]
    assert _imports(ws) == []


def test_truncated_gzip_and_deep_json_are_clear_errors(tmp_path: Path) -> None:
    raw = (TRADE / "comtrade-raw" / "comtrade_2022.csv.gz").read_bytes()
    cut = tmp_path / "comtrade_2022.csv.gz"
    cut.write_bytes(raw[: len(raw) // 2])
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    api = tmp_path / "api.json.gz"
    api.write_bytes(raw[:1000])  # not even JSON, and cut short
    for fmt, path in (("comtrade", cut), ("comtrade-api", deep), ("comtrade-api", api)):
        result = _cli("trade", "import", fmt, str(path), "--workspace", str(tmp_path / "ws"))
        assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
        assert f"error: {path}" in result.stderr and "Traceback" not in result.output  # type: ignore[attr-defined]
    assert "nested too deeply" in _cli("trade", "import", "comtrade-api", str(deep), "--workspace",
                                       str(tmp_path / "ws")).stderr  # type: ignore[attr-defined]


def _slice_with(tmp_path: Path, source: Path, name: str, changes: list[dict[str, str]], n: int = 30
                ) -> tuple[Path, list[int]]:
    """The header and first ``n`` rows of a real file, then copies of its first row with ``changes``; returns the
    file and the line numbers of the changed rows."""
    import gzip

    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for _, r in zip(range(n), reader, strict=False)]
        fields = list(reader.fieldnames or [])
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        writer.writerows({**rows[0], **change} for change in changes)
    return path, [n + 2 + k for k in range(len(changes))]


@pytest.mark.parametrize(("fmt", "source", "name", "changes"), [
    ("baci", BACI / "baci_2024.csv", "baci_2024.csv",
     [{"value": "NaN"}, {"value": "1e309"}, {"value": "-5.0"}, {"i": "XYZ"}, {"j": "<script>"}, {"value": ""},
      {"value": "12,5"}, {"cmd": "28x469"}]),
    ("comtrade", TRADE / "comtrade-raw" / "comtrade_2022.csv.gz", "comtrade_2022.csv",
     [{"value": "nan"}, {"value": "1e309"}, {"value": "-1"}, {"reporter": "<script>"}, {"qty": "-3"},
      {"year": ""}, {"cmd": ""}]),
    ("comtrade-legacy", next((TRADE / "comtrade-legacy").glob("*.csv")), "legacy.csv",
     [{"Trade Value (US$)": "NaN"}, {"Trade Value (US$)": "1e309"}, {"Reporter ISO": "XYZ"},
      {"Reporter ISO": "<script>"}, {"Trade Value (US$)": "-7"}, {"Trade Flow": "Sideways"}]),
    ("comext-relational", TRADE / "comext-relational" / "armenia_import_yearly.csv", "comext.csv",
     [{"VALUE_IN_EUR": "NaN"}, {"VALUE_IN_EUR": "1e309"}, {"VALUE_IN_EUR": "-2"}, {"REPORTER": "<script>"},
      {"PARTNER": "XYZ"}]),
])
def test_bad_values_are_reported_where_they_are(tmp_path: Path, fmt: str, source: Path, name: str,
                                                changes: list[dict[str, str]]) -> None:
    """NaN was stored as NULL, 1e309 as infinity, negative values, 'XYZ' and '<script>' as countries: each is a
    problem naming file, row and field, and its row is kept out."""
    import math

    path, lines = _slice_with(tmp_path, source, name, changes)
    frame = read(fmt, [path])
    for line, change in zip(lines, changes, strict=True):
        found = [p for p in frame.problems if p.file == str(path) and p.row == line]
        assert found, (line, change, frame.problems)
        assert found[0].field in change or (found[0].field in ("year", "Period") and not change.get("year", "x"))
    assert all(math.isfinite(v) and v >= 0 for v in frame.columns["value"])
    assert all(q is None or (math.isfinite(q) and q >= 0) for q in frame.columns["quantity"])
    assert not {"XYZ", "<script>"} & (set(frame.columns["reporter"]) | set(frame.columns["partner"]))
    assert frame.read_rows == len(frame) + frame.reported


def test_a_quote_left_open_is_reported_not_swallowed(tmp_path: Path) -> None:
    source = TRADE / "comext-relational" / "armenia_import_yearly.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)[:41]
    broken = lines[:10] + [lines[10].replace(",IMPORT,", ',"IMPORT,', 1)] + lines[11:]
    path = tmp_path / "open_quote.csv"
    path.write_text("".join(broken), encoding="utf-8")
    frame = read("comext-relational", [path])
    assert frame.read_rows == 40 == len(frame) + frame.reported  # every line after the quote is counted
    [quote] = [p for p in frame.problems if "quote" in p]
    # the open quote runs to the next quote character in the file: those lines, and no others, are reported
    closing = next(k for k in range(11, len(broken)) if '"' in broken[k]) + 1
    assert quote.row == 11 and quote.field == "FLOW" and quote.records == closing - 11 + 1
    assert len(frame) + len(frame.problems) - 1 == 40 - quote.records  # the lines after it are read again


def test_a_revised_file_is_named_a_revision_and_replaced_only_when_asked(tmp_path: Path) -> None:
    """A revised file (one value changed) kept 0 rows and dropped the correction without a word."""
    import duckdb

    ws = tmp_path / "ws"
    original = BACI / "baci_2022.csv"
    assert _cli("trade", "import", "baci", str(original), "--workspace", str(ws)).exit_code == 0  # type: ignore[attr-defined]
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    i, j, cmd, value = lines[5].strip().split(",")
    revised_value = float(value) * 2 + 1
    lines[5] = f"{i},{j},{cmd},{revised_value}\n"
    revised = tmp_path / "revised" / "baci_2022.csv"
    revised.parent.mkdir()
    revised.write_text("".join(lines), encoding="utf-8")

    def stored() -> tuple[int, float]:
        files = [str(p) for p in (ws / "trade").glob("source=baci/*/*.parquet")]
        return duckdb.sql(f"SELECT count(*), any_value(value_usd) FILTER (WHERE reporter = '{i}' AND partner = "
                          f"'{j}' AND product = '{cmd}') FROM read_parquet({files})").fetchall()[0]

    before = stored()
    assert before == (len(lines) - 1, float(value))
    result = _cli("trade", "import", "baci", str(revised), "--workspace", str(ws))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "revision" in result.stderr and "--replace" in result.stderr  # type: ignore[attr-defined]
    assert f"{revised}, row 6, field 'value': a revision" in result.stderr  # type: ignore[attr-defined]
    assert stored() == before
    result = _cli("trade", "import", "baci", str(revised), "--replace", "--workspace", str(ws))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "1 stored values replaced" in result.stdout  # type: ignore[attr-defined]
    assert stored() == (len(lines) - 1, revised_value)


def test_spreadsheet_counts_progress_and_every_problem(tmp_path: Path) -> None:
    """comext-xlsx said "441882 rows read, 1141670 kept, 441882 reported": rows read, cells kept, rows reported."""
    from python_calamine import CalamineWorkbook

    xlsx = TRADE / "comext-xlsx" / "01_4624976_spreadsheet.xlsx"
    # the cells, counted straight from the workbook: a value per data row and month; ':' marks a missing one
    book = CalamineWorkbook.from_path(str(xlsx))
    cells = missing = 0
    for sheet in (s for s in book.sheet_names if s.startswith("Sheet")):
        rows = book.get_sheet_by_name(sheet).to_python()
        start = next(k for k, r in enumerate(rows) if str(r[0]).startswith("REPORTER")) + 1
        time = next(r for r in rows if str(r[0]) == "TIME")
        months = [k for k, p in enumerate(time) if k >= 2 and str(p)[:2] == "20"]
        for r in rows[start:]:
            if not str(r[0]).strip():
                break
            cells += len(months)
            missing += sum(1 for k in months if str(r[k]).strip() in ("", ":"))
    calls: list[tuple[int, int]] = []
    frame = read("comext-xlsx", [xlsx], progress=lambda done, total, what: calls.append((done, total)))
    assert frame.read_rows == cells and frame.unit == "cells"
    assert len(frame) + frame.reported == cells
    assert dict(frame.summary())["months confidential or missing (':')"] == missing
    assert calls and calls[-1][0] == calls[-1][1] == xlsx.stat().st_size
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))  # it only goes forward
    problems = tmp_path / "problems.csv"
    result = _cli("trade", "import", "comext-xlsx", str(xlsx), "--problems", str(problems), "--workspace",
                  str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert f"{cells:,} cells read" in result.stdout  # type: ignore[attr-defined]
    assert f"{len(frame):,} kept, {frame.reported:,} reported" in result.stdout  # type: ignore[attr-defined]
    assert f"{missing:>10,}  months confidential or missing" in result.stderr  # type: ignore[attr-defined]
    with problems.open(encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == len(frame.problems) > 10
    assert sum(int(r["records"]) for r in written) == frame.reported
    assert {"file", "row", "field", "reason"} <= set(written[0])
