"""Trade queries on the real files: code levels, empty results, EU-27 from members, coverage caveats, code lists.

Expected figures are read straight from the Comext spreadsheets (python-calamine) and the BACI csv, not from the
store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pinchpoint.trade.adapters import read
from pinchpoint.trade.store import import_frame
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

TRADE = SHARED / "trade"
XLSX = TRADE / "comext-xlsx"
HEADINGS = "01_4624976_spreadsheet.xlsx"  # HS4 headings, among them 8471 and 8703
CN8_8471 = "17_4606328_spreadsheet.xlsx"  # the CN8 lines of 8471
CN8_8542 = "19_4623968_spreadsheet.xlsx"  # the CN8 lines of 8542 (CHPL tier 1)
EU27 = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
        "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE")

pytestmark = pytest.mark.skipif(not XLSX.exists(), reason="no ../shared/data beside the repository")


def sheet_rows(name: str) -> list[tuple[str, str, str, dict[str, float]]]:
    """(product code, reporter label, partner label, {month: EUR}) of every data row of a spreadsheet, read
    directly: the code in brackets after PRODUCT, the months from the TIME row, numbers only (':' is no value)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(XLSX / name))
    out = []
    for sheet in book.sheet_names:
        if not sheet.startswith("Sheet"):
            continue
        rows = book.get_sheet_by_name(sheet).to_python()
        code, months, start = None, [], None
        for n, row in enumerate(rows):
            head = str(row[0]).strip() if row else ""
            if head.startswith("PRODUCT"):
                found = re.search(r"\[(\d+)\]\s*$", str(row[2]))
                code = found.group(1) if found else None
            elif head == "TIME":
                months = [str(c).strip() for c in row[2:]]
            elif head.startswith("REPORTER"):
                start = n + 1
                break
        if code is None or start is None:
            continue
        for row in rows[start:]:
            if not row or not str(row[0]).strip():
                break
            values = {m: float(v) for m, v in zip(months, row[2:], strict=False)
                      if re.fullmatch(r"\d{4}-\d{2}", m) and isinstance(v, (int, float))}
            out.append((code, str(row[0]).strip(), str(row[1]).strip(), values))
    return out


@pytest.fixture(scope="module")
def sheets() -> dict[str, list[tuple[str, str, str, dict[str, float]]]]:
    return {name: sheet_rows(name) for name in (HEADINGS, CN8_8471)}


@pytest.fixture(scope="module")
def xlsx_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The headings spreadsheet and the CN8 lines of 8471: the store holds heading 8471 beside its CN8 lines."""
    path = tmp_path_factory.mktemp("queries") / "ws"
    with Workspace(path) as ws:
        import_frame(ws, read("comext-xlsx", [XLSX / HEADINGS, XLSX / CN8_8471]))
    return path


def months(lo: str, hi: str, values: dict[str, float]) -> float:
    return sum(v for m, v in values.items() if lo <= m <= hi)


def cli(*args: str) -> Any:
    from pinchpoint.cli.main import app

    return CliRunner().invoke(app, ["trade", *args])


def test_a_heading_is_not_added_to_its_cn8_lines(xlsx_ws: Path, sheets: dict[str, Any]) -> None:
    """Germany -> Kyrgyzstan, 8471, Jan-Nov 2021: the heading alone (EUR 433,664), not heading + lines (867,328)."""
    from pinchpoint.trade.metrics import growth
    from pinchpoint.trade.query import select_sources

    heading = [v for code, r, p, v in sheets[HEADINGS]
               if code == "8471" and r.startswith("Germany") and p == "Kyrgyzstan"]
    lines = [v for code, r, p, v in sheets[CN8_8471]
             if code.startswith("8471") and r.startswith("Germany") and p == "Kyrgyzstan"]
    expected = months("2021-01", "2021-11", heading[0])
    assert len(heading) == 1 and len(lines) > 3
    assert sum(months("2021-01", "2021-11", v) for v in lines) == pytest.approx(expected)  # the lines add up to it
    with Workspace(xlsx_ws) as ws:
        table = growth(select_sources(ws, ["comext-xlsx"]), ["DEU"], ["KGZ"], ["8471"], "2021-01..2021-11",
                       "2022-01..2022-11")
    row = table.rows[0]
    assert row["base_value"] == pytest.approx(expected)  # 433,664 (was 867,328)
    assert row["compare_value"] == pytest.approx(months("2022-01", "2022-11", heading[0]))
    assert table.meta["code_levels"]["comext-xlsx"] == {"8471": {4: 1}}
    assert any("HS4 heading" in c and "not added again" in c for c in table.caveats)
    # a CN8 line of 8471 on its own is summed at its own level
    with Workspace(xlsx_ws) as ws:
        one = growth(select_sources(ws, ["comext-xlsx"]), ["DEU"], ["KGZ"], ["84715000"], "2021-01..2021-11",
                     "2022-01..2022-11")
    line = [v for code, r, p, v in sheets[CN8_8471]
            if code == "84715000" and r.startswith("Germany") and p == "Kyrgyzstan"]
    assert one.rows[0]["base_value"] == pytest.approx(months("2021-01", "2021-11", line[0]))


def test_eu27_from_member_states_with_a_caveat(xlsx_ws: Path, sheets: dict[str, Any]) -> None:
    from pinchpoint.trade.countries import from_name
    from pinchpoint.trade.metrics import growth
    from pinchpoint.trade.query import select_sources

    members = [v for code, r, p, v in sheets[HEADINGS] if code == "8471" and p == "Kyrgyzstan"
               and from_name(r) in EU27]
    expected = sum(months("2021-01", "2021-12", v) for v in members)
    with Workspace(xlsx_ws) as ws:
        table = growth(select_sources(ws, ["comext-xlsx"]), ["EU27_2020"], ["KGZ"], ["8471"], "2021", "2022")
    assert table.rows[0]["base_value"] == pytest.approx(expected)
    assert any("EU27_2020 in comext-xlsx: the sum of its member states' rows" in c for c in table.caveats)
    assert any("2022 in comext-xlsx: the sum of the 11 months" in c for c in table.caveats)  # data ends 2022-11


def test_empty_results_name_the_filter_and_what_the_source_holds(xlsx_ws: Path) -> None:
    ws = ["--workspace", str(xlsx_ws)]
    # the spreadsheets hold product lines, not total trade: zeros before, now an error naming the filter
    result = cli("growth", "--reporter", "EU27_2020", "--partner", "KGZ", "--source", "comext-xlsx", *ws)
    assert result.exit_code == 2 and "no rows for code TOTAL" in result.stderr and "in comext-xlsx" in result.stderr
    result = cli("growth", "--reporter", "USA", "--partner", "KGZ", "--codes", "8471", "--source", "comext-xlsx",
                 *ws)
    assert result.exit_code == 2
    assert "no rows for reporter USA in comext-xlsx; it holds reporters AUT, BEL, BGR" in result.stderr
    result = cli("growth", "--reporter", "DEX", "--partner", "KGZ", "--codes", "8471", *ws)
    assert result.exit_code == 2 and "unknown reporter 'DEX'" in result.stderr and "DEU" in result.stderr
    result = cli("growth", "--reporter", "DEU", "--partner", "KGZ", "--codes", "8471", "--base", "2019", *ws)
    assert result.exit_code == 2 and "no rows for period 2019 in comext-xlsx; it holds periods 2020-01..2022-11" \
        in result.stderr
    result = cli("growth", "--reporter", "DEU", "--partner", "KGZ", "--codes", "8499", *ws)
    assert result.exit_code == 2 and "no rows for code 8499" in result.stderr and "did you mean 84" in result.stderr
    result = cli("growth", "--reporter", "DEU", "--partner", "KGZ", "--codes", "8471", "--source", "comext", *ws)
    assert result.exit_code == 2 and "no rows for source 'comext'" in result.stderr
    assert "did you mean comext-xlsx" in result.stderr
