"""Trade queries on the real files: code levels, empty results, EU-27 from members, coverage caveats, code lists.

Expected figures are read straight from the Comext spreadsheets (python-calamine) and the BACI csv, not from the
store."""

from __future__ import annotations

import csv
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
    from pinchpoint.kernel.countries import from_name
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


def test_backfill_says_what_it_covers_and_counts_each_flow_once(xlsx_ws: Path, sheets: dict[str, Any]) -> None:
    """EU reporters only: China is not covered (empty, not 0%), the caveats name the reporters, and a heading's
    trade counts once (heading 8471, not also its CN8 lines)."""
    from pinchpoint.analysis.coalitions import COALITIONS
    from pinchpoint.trade.circumvention import backfill
    from pinchpoint.trade.query import select_sources

    groups = {"china": ("CHN", "HKG", "MAC"), "g7": COALITIONS["g7"], "eu27": COALITIONS["eu27"]}
    with Workspace(xlsx_ws) as ws:
        table = backfill(select_sources(ws, ["comext-xlsx"]), target="RUS", groups=groups)
    row = next(r for r in table.rows if r["period"] == "2021-03")
    assert row["share_china"] is None and row["share_eu27"] == 100.0 and 0 < row["share_g7"] < 100
    assert any("share_china not covered" in c and "not 0%" in c for c in table.caveats)
    assert any("exports of the 27 reporters it holds (AUT, BEL" in c and "unknown, not zero" in c
               for c in table.caveats)
    assert any("share_g7 covers DEU, FRA, ITA only" in c for c in table.caveats)
    # the same total from the spreadsheets: every code with no coarser code of the files above it, at the ECB's
    # 2021 average of 1.1827 USD per EUR
    rows = [(code, v) for name in (HEADINGS, CN8_8471) for code, _r, p, v in sheets[name]
            if p.startswith("Russian Federation")]
    codes = {code for code, _ in rows}
    top = {c for c in codes if not any(c != o and c.startswith(o) for o in codes)}
    assert "8471" in top and "84715000" not in top
    expected = sum(v.get("2021-03", 0.0) for code, v in rows if code in top) * 1.1827
    assert row["imports_usd"] == pytest.approx(expected, rel=1e-9)
    result = cli("backfill", "--target", "RUZ", "--source", "comext-xlsx", "--workspace", str(xlsx_ws))
    assert result.exit_code == 2 and "unknown target 'RUZ'" in result.stderr and "RUS" in result.stderr


def test_mirror_rows_carry_their_year(tmp_path: Path) -> None:
    """comtrade_2024.csv.gz has no year column: its rows had an empty period (the year is in the file name)."""
    import gzip

    from pinchpoint.trade.metrics import mirror_gaps
    from pinchpoint.trade.query import select_sources

    src = TRADE / "comtrade-raw" / "comtrade_2024.csv.gz"
    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, read("comtrade", [src]))
        table = mirror_gaps(select_sources(ws, ["comtrade"]), importers=["RUS"])
    assert table.rows and {r["period"] for r in table.rows} == {"2024"}
    # China's exports to Russia as China filed them (M49 156 -> 643), the largest row of each flow
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        filed = [r for r in csv.DictReader(fh) if r["reporter"] == "156" and r["partner"] == "643" and r["flow"] == "X"]
    best: dict[str, float] = {}
    for r in filed:
        best[r["cmd"]] = max(best.get(r["cmd"], 0.0), float(r["value"]))
    chn = {r["product"]: r for r in table.rows if r["exporter"] == "CHN"}
    assert chn and all(r["exporter_reported"] == pytest.approx(best[p], abs=0.01) for p, r in chn.items())


def test_mirror_against_an_importer_that_files_nothing(tmp_path: Path) -> None:
    """Russia (M49 643) files no report in either Comtrade extract: its partners' exports have nothing to be
    compared with, so no ratio, no gap, no flag, and a caveat naming it; Japan files imports, so a flow it does not
    record stays ratio 0 and flagged."""
    import gzip

    from pinchpoint.trade.metrics import mirror_gaps
    from pinchpoint.trade.query import select_sources

    files = sorted((TRADE / "comtrade-raw").glob("comtrade_*.csv.gz"))
    importers: dict[str, set[str]] = {}
    for f in files:
        year = re.search(r"(\d{4})", f.name).group(1)  # type: ignore[union-attr]
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            importers[year] = {r["reporter"] for r in csv.DictReader(fh) if r["flow"] == "M"}
    assert set(importers) == {"2022", "2024"}
    assert all("643" not in reporters and "392" in reporters for reporters in importers.values())
    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, read("comtrade", files))
        rus = mirror_gaps(select_sources(ws, ["comtrade"]), importers=["RUS"])
        jpn = mirror_gaps(select_sources(ws, ["comtrade"]), importers=["JPN"])
    assert rus.rows and {r["period"] for r in rus.rows} == {"2022", "2024"}
    assert all(r["importer_reported"] is None and r["ratio"] is None and r["gap"] is None and not r["flagged"]
               and r["exporter_reported"] > 0 for r in rus.rows)
    assert any(c.startswith("RUS filed no import reports in comtrade 2022, 2024: nothing to compare")
               for c in rus.meta["caveats"])
    unrecorded = [r for r in jpn.rows if r["importer_reported"] is None]
    assert unrecorded and all(r["ratio"] == 0 and r["flagged"] for r in unrecorded)
    assert all(r["gap"] == pytest.approx(-r["exporter_reported"] * 1.06, abs=0.01) for r in unrecorded)
    assert not any("JPN filed no import reports" in c for c in jpn.meta["caveats"])


def test_exporter_concentration_against_the_baci_file(baci_ws: Path) -> None:
    """China's share of world exports of permanent magnets (850511) in BACI 2024, and the exporters' HHI, from
    the csv; the extract's values are USD (they were read as thousand USD: every value 1,000 times too big)."""
    import json

    by_exporter: dict[str, float] = {}
    with (TRADE / "baci-critical-materials" / "baci_2024.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["cmd"] == "850511":
                by_exporter[r["i"]] = by_exporter.get(r["i"], 0.0) + float(r["value"])
    world = sum(by_exporter.values())
    result = cli("dependence", "--side", "export", "--codes", "850511", "--period", "2024", "--exporter", "CHN,JPN",
                 "--source", "baci", "-f", "json", "--workspace", str(baci_ws))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    row = (doc["rows"] if isinstance(doc, dict) else doc)[0]
    assert row["world_exports_usd"] == pytest.approx(world, rel=1e-9)  # about USD 5.0 billion
    assert row["share_CHN"] == pytest.approx(by_exporter["CHN"] / world * 100, abs=1e-3)
    assert row["share_JPN"] == pytest.approx(by_exporter["JPN"] / world * 100, abs=1e-3)
    assert row["top_exporter"] == "CHN" and row["n_exporters"] == len(by_exporter)
    assert row["hhi"] == pytest.approx(sum((v / world * 100) ** 2 for v in by_exporter.values()), rel=1e-6)
    result = cli("dependence", "--side", "export", "--codes", "850511", "--period", "2023", "--source", "baci",
                 "--workspace", str(baci_ws))
    assert result.exit_code == 2 and "no rows for period 2023" in result.stderr and "2022, 2024" in result.stderr
    result = cli("dependence", "--importer", "JPX", "--codes", "850511", "--workspace", str(baci_ws))
    assert result.exit_code == 2 and "unknown importer 'JPX'" in result.stderr and "JPN" in result.stderr


def test_dependence_with_a_code_list(baci_ws: Path, tmp_path: Path) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("# magnets and silicon\n850511\n280469\n", encoding="utf-8")
    from pinchpoint.trade.codes import load_code_list
    from pinchpoint.trade.metrics import supplier_concentration
    from pinchpoint.trade.query import NoRowsError, select_sources

    with Workspace(baci_ws) as ws:
        table = supplier_concentration(select_sources(ws, ["baci"]), ["JPN"], period="2024",
                                       code_list=load_code_list(codes))
        assert {r["product"] for r in table.rows} == {"850511", "280469"}
        with pytest.raises(NoRowsError, match="no rows for code 854231"):
            supplier_concentration(select_sources(ws, ["baci"]), ["JPN"], ["854231"], "2024")


def test_substitution_ratio_counts_a_heading_once(xlsx_ws: Path, sheets: dict[str, Any], tmp_path: Path) -> None:
    """Germany's extra exports of 8471 to the hubs: the heading's series alone (not also its CN8 lines)."""
    from pinchpoint.trade.circumvention import substitution_ratio
    from pinchpoint.trade.codes import load_code_list
    from pinchpoint.trade.query import select_sources

    listed = tmp_path / "codes.txt"
    listed.write_text("8471\n", encoding="utf-8")
    hubs = ("Armenia", "Georgia", "Kazakhstan", "Kyrgyzstan", "Uzbekistan")
    extra = 0.0
    for code, r, p, v in sheets[HEADINGS]:
        if code == "8471" and r.startswith("Germany") and p in hubs:
            before = [x for m, x in v.items() if m < "2022-02"]
            after = [x for m, x in v.items() if m > "2022-02"]
            extra += sum(after) / (len(after) or 1) - sum(before) / (len(before) or 1)
    with Workspace(xlsx_ws) as ws:
        table = substitution_ratio(select_sources(ws, ["comext-xlsx"]), codes=load_code_list(listed))
    deu = next(r for r in table.rows if r["exporter"] == "DEU")
    assert deu["extra_to_hubs"] == pytest.approx(extra, abs=0.01)


def test_doc_figures_are_true(xlsx_ws: Path, sheets: dict[str, Any]) -> None:
    """docs/trade.md's scan figures: recomputed from the spreadsheet (monthly means before and after 2022-02, in
    USD at the ECB annual averages the docs list, and in euros) and as the scan gives them."""
    from pinchpoint.trade.circumvention import scan
    from pinchpoint.trade.query import select_sources

    doc = (Path(__file__).resolve().parents[2] / "docs" / "trade.md").read_text(encoding="utf-8")
    rate = {"2020": 1.1422, "2021": 1.1827, "2022": 1.0530}

    def pct(reporter: str, partner: str, code: str, usd: bool) -> float:
        values = next(v for c, r, p, v in sheets[HEADINGS] if c == code and r.startswith(reporter)
                      and p.startswith(partner))
        conv = {m: x * (rate[m[:4]] if usd else 1.0) for m, x in values.items()}
        before = [x for m, x in conv.items() if m < "2022-02"]
        after = [x for m, x in conv.items() if m > "2022-02"]
        return (sum(after) / len(after)) / (sum(before) / len(before)) * 100 - 100

    cars, cars_eur = pct("Germany", "Kyrgyz", "8703", True), pct("Germany", "Kyrgyz", "8703", False)
    direct, direct_eur = pct("Germany", "Russia", "8703", True), pct("Germany", "Russia", "8703", False)
    computers, computers_eur = pct("Lithuania", "Georgia", "8471", True), pct("Lithuania", "Georgia", "8471", False)
    flat = " ".join(doc.split())
    assert f"heading 8703: +{cars:,.0f}%, direct exports to Russia −{-direct:.0f}%" in flat
    assert f"heading 8471: +{computers:,.0f}%, direct −{-pct('Lithuania', 'Russia', '8471', True):.0f}%" in flat
    ltu_direct_eur = pct("Lithuania", "Russia", "8471", False)
    assert (f"+{cars_eur:,.0f}% and +{computers_eur:,.0f}% (direct −{-direct_eur:.0f}% and −{-ltu_direct_eur:.0f}%)"
            in " ".join(doc.split()))
    with Workspace(xlsx_ws) as ws:
        table = scan(select_sources(ws, ["comext-xlsx"]), hubs=("KGZ", "GEO"), limit=500)
    alerts = {(r["exporter"], r["hub"], r["product"]): r for r in table.rows}
    assert alerts[("DEU", "KGZ", "8703")]["growth_pct"] == pytest.approx(cars, abs=0.01)
    assert alerts[("DEU", "KGZ", "8703")]["direct_to_target_growth_pct"] == pytest.approx(direct, abs=0.01)
    assert alerts[("LTU", "GEO", "8471")]["growth_pct"] == pytest.approx(computers, abs=0.01)
    assert any("values are in USD" in c for c in table.caveats)
    assert any("same trade, not separate evidence" in c for c in table.caveats)
    # the magnets figure, from the BACI csv
    by_exporter: dict[str, float] = {}
    with (TRADE / "baci-critical-materials" / "baci_2024.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["cmd"] == "850511":
                by_exporter[r["i"]] = by_exporter.get(r["i"], 0.0) + float(r["value"])
    world = sum(by_exporter.values())
    hhi = sum((v / world * 100) ** 2 for v in by_exporter.values())
    assert (f"China held {by_exporter['CHN'] / world * 100:.2f}% of world exports of permanent magnets (850511) in "
            f"BACI 2024 (USD {by_exporter['CHN'] / 1e9:.2f} billion of {world / 1e9:.2f} billion; HHI {hhi:,.0f})"
            ) in " ".join(doc.split())


def test_circumvention_means_say_how_many_months_they_use(xlsx_ws: Path, sheets: dict[str, Any]) -> None:
    """DEU -> KGZ 8703: 4 of the 25 baseline months are ':' in the spreadsheet; the baseline mean is over the 21
    with a value (counting them as 0 would give a lower mean), which the result now says: the rule in a caveat, the
    months each mean uses in baseline_n / post_n."""
    from pinchpoint.trade.circumvention import scan
    from pinchpoint.trade.query import select_sources

    values = next(v for c, r, p, v in sheets[HEADINGS] if c == "8703" and r.startswith("Germany")
                  and p.startswith("Kyrgyz"))
    # the months the source holds: those with a value in some cell of the two spreadsheets in the workspace
    window = sorted({m for rows in sheets.values() for _c, _r, _p, v in rows for m in v})
    base_window = [m for m in window if m < "2022-02"]
    post_window = [m for m in window if m > "2022-02"]
    base = [m for m in base_window if m in values]
    post = [m for m in post_window if m in values]
    assert len(base) < len(base_window)  # ':' months in the baseline
    rate = {"2020": 1.1422, "2021": 1.1827, "2022": 1.0530}
    with Workspace(xlsx_ws) as ws:
        table = scan(select_sources(ws, ["comext-xlsx"]), hubs=("KGZ", "GEO"), limit=500)
    row = next(r for r in table.rows if (r["exporter"], r["hub"], r["product"]) == ("DEU", "KGZ", "8703"))
    assert (row["baseline_n"], row["post_n"]) == (len(base), len(post))
    assert row["baseline_mean"] == pytest.approx(sum(values[m] * rate[m[:4]] for m in base) / len(base), abs=0.01)
    assert all(r["baseline_n"] <= len(base_window) and r["post_n"] <= len(post_window) for r in table.rows)
    rule = next(c for c in table.caveats if c.startswith("Means (baseline, post, direct and control)"))
    assert "left out of the denominator, not counted as 0" in rule
    assert f"The source holds {len(base_window)} baseline and {len(post_window)} post months" in rule
    short = sum(r["baseline_n"] < len(base_window) or r["post_n"] < len(post_window) for r in table.rows)
    assert f"({short} of the {len(table)} alerts use fewer" in rule


def test_descriptions_beside_codes_come_from_the_sources(xlsx_ws: Path) -> None:
    """The spreadsheets' own product labels, and the CHPL's descriptions; nothing made up."""
    import json

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(XLSX / HEADINGS))
    labels = {}
    for sheet in book.sheet_names:
        for row in book.get_sheet_by_name(sheet).to_python()[:12]:
            if row and str(row[0]).startswith("PRODUCT") and (m := re.search(r"^(.*)\[(\d+)\]\s*$", str(row[2]))):
                labels[m.group(2)] = m.group(1).strip()
    result = cli("growth", "--reporter", "DEU", "--partner", "KGZ", "--codes", "8471", "--base", "2021-01..2021-11",
                 "--compare", "2022-01..2022-11", "-f", "json", "--workspace", str(xlsx_ws))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    row = (doc["rows"] if isinstance(doc, dict) else doc)[0]
    assert row["description"] == labels["8471"] and "data-processing" in row["description"].lower()

    from pinchpoint.trade.codes import load_chpl
    from pinchpoint.trade.metrics import exporter_concentration
    from pinchpoint.trade.query import select_sources
    from pinchpoint.trade.store import product_descriptions

    chpl = load_chpl(TRADE / "chpl.csv")
    with (TRADE / "chpl.csv").open(encoding="utf-8") as fh:
        listed = {r["hs6"]: r["description_short"] for r in csv.DictReader(fh)}
    assert chpl.descriptions == listed
    with Workspace(xlsx_ws) as ws:
        table = exporter_concentration(select_sources(ws, ["comext-xlsx"]), ["8471"], "2021-03",
                                       descriptions=product_descriptions(ws), code_list=None)
    described = {r["product"]: r["description"] for r in table.rows}
    assert described["8471"] == labels["8471"]


def test_mirror_on_a_source_of_world_totals_says_so(tmp_path: Path) -> None:
    """The legacy Comtrade file holds reporters' trade with the World only: no bilateral flow to compare."""
    with (TRADE / "comtrade-legacy").glob("*.csv").__next__().open(encoding="utf-8") as fh:
        partners = {r["Partner ISO"] or r["Partner"] for r in csv.DictReader(fh)}
    assert partners <= {"WLD", "World"}
    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, read("comtrade-legacy", [TRADE / "comtrade-legacy"]))
    result = cli("mirror", "--importer", "NZL", "--source", "comtrade-legacy", "--workspace", str(tmp_path / "ws"))
    assert result.exit_code == 2 and "no rows for importer NZL in comtrade-legacy" in result.stderr
    assert "every partner is a group such as WLD" in result.stderr


def test_mirror_leaves_out_a_source_with_one_figure_per_flow(tmp_path: Path) -> None:
    """BACI reconciles each flow into one figure, read as the exporter's: it has no importer's report to compare,
    so mirror gaps on it alone are refused, and beside Comtrade its rows are left out with one caveat (it gave one
    'filed no import reports' caveat per importer, and rows with no ratio)."""
    from pinchpoint.trade.metrics import mirror_gaps
    from pinchpoint.trade.query import NoRowsError, select_sources

    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, read("baci", [TRADE / "baci-critical-materials"]))
        with pytest.raises(NoRowsError, match="baci holds no import reports"):
            mirror_gaps(select_sources(ws, ["baci"]))
        import_frame(ws, read("comtrade", sorted((TRADE / "comtrade-raw").glob("comtrade_*.csv.gz"))))
        both = mirror_gaps(select_sources(ws, ["baci", "comtrade"]), importers=["JPN"])
        alone = mirror_gaps(select_sources(ws, ["comtrade"]), importers=["JPN"])
    assert both.rows and {r["source"] for r in both.rows} == {"comtrade"} and both.rows == alone.rows
    caveats = both.meta["caveats"]
    assert [c for c in caveats if c.startswith("baci left out: it holds no import reports")] and \
        not any("filed no import reports" in c for c in caveats)
