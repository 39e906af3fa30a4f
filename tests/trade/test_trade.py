"""Trade flows on the real files: adapters, the published Comext figures, RCA against Stata, dependence."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pinchpoint.kernel.countries import from_m49, from_name, is_aggregate
from pinchpoint.trade.adapters import parse_period, read
from pinchpoint.trade.metrics import growth, parse_periods, rca, supplier_concentration
from pinchpoint.trade.store import flows, import_frame
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

TRADE = SHARED / "trade"

pytestmark = pytest.mark.skipif(not TRADE.exists(), reason="no ../shared/data beside the repository")



@pytest.fixture(scope="module")
def trade_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not TRADE.exists():
        pytest.skip(f"real data not found at {TRADE}")
    path = tmp_path_factory.mktemp("trade") / "ws"
    with Workspace(path) as ws:
        import_frame(ws, read("comext-relational", [TRADE / "comext-relational"]))
        import_frame(ws, read("baci", [TRADE / "baci-critical-materials"]))
    return path


def test_country_codes() -> None:
    assert from_name("European Union - 27 countries (AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, "
                     "IT, LT, LU, LV, MT, NL, PL, PT, RO, SE, SI, SK)") == "EU27_2020"
    assert from_name("Spain (incl. Canary Islands 'XB' from 1997)") == "ESP"
    assert from_name("Kyrgyzstan") == "KGZ" and from_name("Türkiye") == "TUR"
    assert from_m49(842) == "USA" and from_m49("699") == "IND" and from_m49("490") == "TWN" and from_m49(0) == "WLD"
    assert is_aggregate("EU27_2020") and is_aggregate(from_m49("899") or "") and not is_aggregate("DEU")


def test_periods() -> None:
    assert parse_period("Aug. 2024") == ("2024-08", "M")
    assert parse_period("Y2019") == ("2019", "A")
    assert parse_period("201952-Jan.-Dec. 2019") == ("2019", "A")
    assert parse_periods("2021-01..2021-11") == ("2021-01", "2021-11", "M")
    with pytest.raises(ValueError, match="runs backwards"):
        parse_periods("2021-11..2021-01")


def test_published_comext_figures(trade_ws: Path) -> None:
    """mary-lev/eu-export-sanctions: EU-27 exports to Kyrgyzstan +344.8% and to Russia -38.3%, 2022 vs 2021."""
    with Workspace(trade_ws) as ws:
        table = growth(flows(ws, ["comext-relational"]), ["EU27_2020"], ["KGZ", "RUS"], [], "2021", "2022")
    rows = {r["partner"]: r for r in table.rows}
    assert round(rows["KGZ"]["growth_pct"], 1) == 344.8
    assert round(rows["RUS"]["growth_pct"], 1) == -38.3
    assert rows["KGZ"]["currency"] == "EUR"


def test_month_ranges_and_no_double_counting(trade_ws: Path) -> None:
    with Workspace(trade_ws) as ws:
        rel = flows(ws, ["comext-relational"])
        year = growth(rel, ["EU27_2020"], ["KGZ"], [], "2021", "2022").rows[0]
        months = growth(rel, ["EU27_2020"], ["KGZ"], [], "2021-01..2021-12", "2022-01..2022-12").rows[0]
        assert year["base_value"] == pytest.approx(months["base_value"])
        # the EU-27 aggregate is its own reporter: member states are not added into it
        members = rel.filter("partner = 'KGZ' AND flow = 'export' AND substr(period, 1, 4) = '2021' "
                             "AND reporter NOT IN ('EU27_2020', 'EU_CHANGING', 'EA20', 'EA_CHANGING')").aggregate(
            "sum(value)").fetchall()[0][0]
        assert members == pytest.approx(year["base_value"], rel=0.01)  # members add up to the aggregate


def test_comext_bad_rows_are_reported_not_dropped() -> None:
    frame = read("comext-relational", [TRADE / "comext-relational"])
    assert frame.read_rows == len(frame) + frame.reported == len(frame) + len(frame.problems)
    assert any("duplicate of a row" in p for p in frame.problems)  # overlapping downloads, counted once
    assert all(", row " in p and "field '" in p for p in frame.problems)


def test_adapters_read_every_row_of_the_other_formats() -> None:
    baci = read("baci", [TRADE / "baci-critical-materials"])
    assert baci.read_rows == 23167 + 21723 and len(baci) == baci.read_rows
    legacy = read("comtrade-legacy", [TRADE / "comtrade-legacy"])
    assert len(legacy) == 2863 and set(legacy.columns["product"]) == {"848620", "903082", "903141"}
    assert {"import", "export"} <= set(legacy.columns["flow"])


def test_comtrade_raw_slice(tmp_path: Path) -> None:
    import gzip

    src = TRADE / "comtrade-raw" / "comtrade_2022.csv.gz"
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(2001)]
    lines.append("2022,56,300,250490,M,not-a-number,1,1,8\n")
    lines.append("2022,56,300,250491,M,12.5,1,several,8\n")  # a bad quantity is named as the quantity
    (tmp_path / "slice.csv").write_text("".join(lines), encoding="utf-8")
    frame = read("comtrade", [tmp_path / "slice.csv"])
    assert frame.read_rows == 2002
    assert any("row 2002, field 'value': not a number: 'not-a-number'" in p for p in frame.problems)
    assert any("row 2003, field 'qty': not a number: 'several'" in p for p in frame.problems)
    # every row is kept, or reported (a flow's repeated and breakdown rows each where it was read)
    assert len(frame) + frame.reported == 2002
    merged = [p for p in frame.problems if "this flow is filed" in p]
    assert merged and all(p.row > 1 and p.field == "value" for p in merged)
    assert frame.columns["reporter"][0] == "BEL" and frame.columns["partner"][0] == "WLD"


def test_rca_matches_stata() -> None:
    folder = TRADE / "ecomplexity-fixtures"
    data = list(csv.DictReader((folder / "trade_data_sample.csv").open(encoding="utf-8")))
    truth = list(csv.DictReader((folder / "stata_ground_truth.csv").open(encoding="utf-8")))
    for year in ("1995", "1996"):
        values = [(r["origin"], r["hs92"], float(r["export_val"])) for r in data if r["year"] == year]
        ours = rca(values)
        for t in truth:
            if t["year"] == year:
                assert ours[(t["origin"], t["hs92"])] == pytest.approx(float(t["rca"]), rel=1e-5)


def test_supplier_concentration_on_baci(trade_ws: Path) -> None:
    with Workspace(trade_ws) as ws:
        table = supplier_concentration(flows(ws, ["baci"]), ["JPN"], ["280469"], "2024", {"china": ["CHN"]})
    row = table.rows[0]
    assert row["importer"] == "JPN" and row["top_supplier"] == "CHN"
    assert 0 < row["hhi"] <= 10_000 and row["share_china"] == pytest.approx(row["top_share"])
    # the same figure straight from the file
    rows = [r for r in csv.DictReader((TRADE / "baci-critical-materials" / "baci_2024.csv").open())
            if r["j"] == "JPN" and r["cmd"] == "280469"]
    total = sum(float(r["value"]) for r in rows)
    chn = sum(float(r["value"]) for r in rows if r["i"] == "CHN")
    assert row["top_share"] == pytest.approx(chn / total * 100, abs=1e-3)
    by_exporter: dict[str, float] = {}
    for r in rows:
        by_exporter[r["i"]] = by_exporter.get(r["i"], 0.0) + float(r["value"])
    top3 = sorted(by_exporter.values(), reverse=True)[:3]
    assert row["cr3"] == pytest.approx(sum(top3) / total * 100, abs=1e-3)
    assert row["hhi"] == pytest.approx(sum((v / total * 100) ** 2 for v in by_exporter.values()), rel=1e-6)
    assert row["n_providers"] == len(by_exporter)


def test_import_is_idempotent_and_partitioned(trade_ws: Path) -> None:
    with Workspace(trade_ws) as ws:
        assert not import_frame(ws, read("baci", [TRADE / "baci-critical-materials"]))
        parts = sorted(p.name for p in (trade_ws / "trade" / "source=baci").iterdir())
    assert parts == ["year=2022", "year=2024"]
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{trade_ws}/trade/source=baci/*/*.parquet')").fetchall()[0][0]
    assert n == 23167 + 21723


def test_cli_growth_json(trade_ws: Path) -> None:
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["trade", "growth", "--reporter", "EU27_2020", "--partner", "KGZ",
                                      "--base", "2021", "--compare", "2022", "-f", "json", "--workspace",
                                      str(trade_ws)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["rows"][0]
    assert {"reporter", "partner", "codes", "base_value", "compare_value", "growth_pct"} <= set(record)
    assert round(record["growth_pct"], 1) == 344.8
    result = CliRunner().invoke(app, ["trade", "growth", "--reporter", "EU27_2020", "--partner", "KGZ",
                                      "--base", "21", "--workspace", str(trade_ws)])
    assert result.exit_code == 2 and "give a year" in result.stderr


@pytest.fixture(scope="module")
def xlsx_ws(trade_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real Comext spreadsheet (EU exports of sanctioned codes, 2020-01..2022-11) plus the relational totals."""
    with Workspace(trade_ws) as ws:
        import_frame(ws, read("comext-xlsx", [TRADE / "comext-xlsx" / "01_4624976_spreadsheet.xlsx"]))
    return trade_ws


def test_comext_spreadsheet_adapter() -> None:
    frame = read("comext-xlsx", [TRADE / "comext-xlsx" / "01_4624976_spreadsheet.xlsx"])
    assert set(frame.columns["partner"]) == {"ARM", "BLR", "GEO", "KAZ", "KGZ", "RUS", "UZB"}
    assert min(frame.columns["period"]) == "2020-01" and max(frame.columns["period"]) <= "2022-12"
    assert all(v > 0 or v == 0 for v in frame.columns["value"])
    assert any("confidential or missing (':')" in p for p in frame.problems)
    # Austria -> Kyrgyzstan, Food preparations n.e.s. (2106), 2020-02: 1,803 EUR in the spreadsheet
    rows = [k for k in range(len(frame)) if frame.columns["reporter"][k] == "AUT" and frame.columns["partner"][k] ==
            "KGZ" and frame.columns["product"][k] == "2106" and frame.columns["period"][k] == "2020-02"]
    assert [frame.columns["value"][k] for k in rows] == [1803.0]


def test_circumvention_scan_finds_hub_surges(xlsx_ws: Path) -> None:
    from pinchpoint.trade.circumvention import scan, substitution_ratio

    with Workspace(xlsx_ws) as ws:
        table = scan(flows(ws, ["comext-xlsx"]), control=flows(ws, ["comext-relational"]))
        top = table.rows[:20]
        assert top and top[0]["score"] >= top[-1]["score"]
        assert all(r["hub"] in ("ARM", "GEO", "KAZ", "KGZ", "UZB") for r in top)
        assert all(r["baseline_mean"] * 25 >= 500_000 / 2 for r in top)  # tiny flows are left out
        assert sum(r["corroborated"] for r in top) >= 10  # most top alerts: direct exports to Russia fell
        assert all(r["evidence"] for r in top)
        ratios = substitution_ratio(flows(ws, ["comext-xlsx"]))
        assert any(r["substitution_ratio"] is not None and r["substitution_ratio"] > 0 for r in ratios.rows)


def test_backfill_share_from_baci(trade_ws: Path) -> None:
    from pinchpoint.trade.circumvention import backfill
    from pinchpoint.trade.codes import load_chpl
    from pinchpoint.trade.query import NoRowsError

    with Workspace(trade_ws) as ws:
        table = backfill(flows(ws, ["baci"]), target="RUS")
        with pytest.raises(NoRowsError, match="no rows for codes CHPL 2024-02 in baci"):
            backfill(flows(ws, ["baci"]), target="RUS", codes=load_chpl(TRADE / "chpl.csv"))
    rows = {r["period"]: r for r in table.rows}
    assert set(rows) == {"2022", "2024"}
    assert all(0 < r["share_china"] < 100 for r in rows.values())
    # the same share straight from the file
    data = [r for r in csv.DictReader((TRADE / "baci-critical-materials" / "baci_2024.csv").open()) if r["j"] == "RUS"]
    china = sum(float(r["value"]) for r in data if r["i"] in ("CHN", "HKG", "MAC"))
    assert rows["2024"]["share_china"] == pytest.approx(china / sum(float(r["value"]) for r in data) * 100, abs=1e-3)


def test_mirror_gaps_on_comtrade(tmp_path: Path) -> None:
    from pinchpoint.trade.metrics import mirror_gaps

    frame = read("comtrade", [TRADE / "comtrade-raw" / "comtrade_2022.csv.gz"])
    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, frame)
        table = mirror_gaps(flows(ws, ["comtrade"]))
    rows = {(r["exporter"], r["importer"], r["product"]): r for r in table.rows}
    # Australia's coal to Japan: both sides report about the same (the raw file repeats the exporter's row twice)
    coal = rows[("AUS", "JPN", "270112")]
    assert coal["exporter_reported"] == pytest.approx(39_467_109_847.221)
    assert coal["importer_reported"] == pytest.approx(38_688_037_823.959)
    assert not coal["flagged"]
    flagged = [r for r in table.rows if r["flagged"]]
    assert flagged and all(r["ratio"] is not None for r in flagged)
    assert all(not (0.75 <= r["ratio"] <= 1.31) for r in flagged)


def test_circumvention_report(xlsx_ws: Path, tmp_path: Path) -> None:
    from pinchpoint.trade.circumvention import scan
    from pinchpoint.trade.report import write_circumvention_report

    with Workspace(xlsx_ws) as ws:
        table = scan(flows(ws, ["comext-xlsx"]), control=flows(ws, ["comext-relational"]), limit=20)
    path = write_circumvention_report(table, tmp_path / "rep")
    html = path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "<script" not in html and " src=" not in html
    top = table.rows[0]
    assert f"{top['exporter']} -&gt; {top['hub']}, product {top['product']}" in html
    with (tmp_path / "rep" / "circumvention.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(table)


def test_chpl_by_revision() -> None:
    from pinchpoint.trade.codes import load_chpl

    chpl = load_chpl(TRADE / "chpl.csv")
    assert len(chpl.codes) == 50 and chpl.tiers["854231"] == "1"
    hs17 = chpl.in_revision("HS2017")
    assert "854890" in hs17.codes and "854800" not in hs17.codes  # re-numbered in HS2022
    assert "852580" in hs17.codes and "852589" not in hs17.codes  # HS2022 split of 852580
    assert len(hs17.codes) < 50  # codes that merge back into one HS2017 parent count once
    assert hs17.matches("85489000") and not hs17.matches("85480000")  # CN8 under its HS6


def test_scan_scores_recomputed_from_the_evidence(xlsx_ws: Path) -> None:
    """The scan runs in DuckDB; its figures for the top alerts match a plain recomputation from their series."""
    import math
    import statistics

    from pinchpoint.trade.circumvention import scan

    with Workspace(xlsx_ws) as ws:
        table = scan(flows(ws, ["comext-xlsx"]), limit=5)
    assert table.meta["frequency"] == "M" and table.meta["series_scored"] > 100
    for r in table.rows:
        series = {m: float(v) for m, v in (item.split(": ") for item in r["evidence"])}
        base = [v for m, v in series.items() if m < "2022-02"]
        post = [v for m, v in series.items() if m > "2022-02"]
        assert r["growth_pct"] == pytest.approx((statistics.mean(post) / statistics.mean(base) - 1) * 100, abs=0.05)
        logs = [math.log(v + 1) for v in base]
        med = statistics.median(logs)
        mad = 1.4826 * statistics.median([abs(x - med) for x in logs])
        assert r["own_z"] == pytest.approx((math.log(statistics.mean(post) + 1) - med) / mad, abs=0.01)
        assert r["control_log_growth"] is None and r["did"] == r["log_growth"]  # no control given
        # EU reporters only: no hub reports its own exports to Russia, so corroboration rests on direct exports
        assert r["hub_to_target_growth_pct"] is None
        assert r["corroborated"] == (r["direct_to_target_growth_pct"] is not None
                                     and r["direct_to_target_growth_pct"] < 0)


def test_code_list_sql_filter_selects_what_matches_selects(xlsx_ws: Path) -> None:
    from pinchpoint.trade.codes import load_chpl

    chpl = load_chpl(TRADE / "chpl.csv")
    with Workspace(xlsx_ws) as ws:
        rel = flows(ws)
        products = {p for (p,) in rel.aggregate("product", "product").fetchall()}
        selected = {p for (p,) in rel.filter(chpl.sql_filter()).aggregate("product", "product").fetchall()}
    assert selected == {p for p in products if chpl.matches(p)}
    assert selected  # the spreadsheets hold CHPL headings (8542...) and the BACI extract none of the codes


def test_euro_values_get_usd_at_ecb_rates(tmp_path: Path) -> None:
    from pinchpoint.errors import DataError
    from pinchpoint.trade.rates import ECB_ANNUAL_USD_PER_EUR, fill_usd, load_rates

    frame = read("comext-xlsx", [TRADE / "comext-xlsx" / "01_4624976_spreadsheet.xlsx"])
    k = next(i for i, p in enumerate(frame.columns["period"]) if p == "2022-03")
    assert frame.columns["value_usd"][k] == pytest.approx(frame.columns["value"][k] * 1.0530)
    assert "usd:A" in frame.columns["flags"][k]
    monthly = tmp_path / "ecb.csv"
    monthly.write_text("DATE,TIME_PERIOD,OBS_VALUE\n2022-03-31,2022-03,1.1017\n", encoding="utf-8")
    rates = load_rates(monthly)
    assert rates.rate("2022-03") == (1.1017, "M") and rates.rate("2022-04") == (ECB_ANNUAL_USD_PER_EUR["2022"], "A")
    frame.columns["value_usd"][k] = None
    assert fill_usd(frame, rates) == 0
    assert frame.columns["value_usd"][k] == pytest.approx(frame.columns["value"][k] * 1.1017)
    monthly.write_text("TIME_PERIOD,OBS_VALUE\n2022-03,1.1017\n2022-04,one\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_rates(monthly)
    assert err.value.location.row == 3 and err.value.location.field == "OBS_VALUE"


def test_hs_concordance_both_ways(tmp_path: Path) -> None:
    from pinchpoint.errors import DataError
    from pinchpoint.trade.codes import load_chpl, load_code_list, load_concordance

    chpl = load_chpl(TRADE / "chpl.csv")
    hs17 = chpl.in_revision("HS2017")
    assert hs17.revision == "HS2017" and hs17.tiers["854890"] == chpl.tiers["854800"]
    back = hs17.in_revision("HS2022", chpl.concordance())  # HS2017 -> HS2022: a parent maps to its split codes
    assert set(back.codes) == set(chpl.codes)
    # the same pairs as a correlation table file; a user's HS2017 list converted with it
    table = tmp_path / "hs2022_hs2017.csv"
    table.write_text("HS2022,HS2017\n" + "".join(f"{a},{b}\n" for a, b in chpl.concordance().pairs), encoding="utf-8")
    mine = tmp_path / "mine.txt"
    mine.write_text("852580  # cameras, HS2017\n854239\n", encoding="utf-8")
    user = load_code_list(mine, revision="HS2017")
    converted = user.in_revision("HS2022", load_concordance(table))
    assert "854239" in converted.codes and "852580" not in converted.codes
    assert {c for c in converted.codes if c.startswith("8525")} == {c for c in chpl.codes if c.startswith("8525")}
    table.write_text("HS2022,HS2017\n854800,854890\n8548xx,854890\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_concordance(table)
    assert err.value.location.row == 3 and err.value.location.field == "HS2022"


def test_backfill_counts_reporters_per_period(trade_ws: Path) -> None:
    """BACI's exporters differ by year: each period's row and the caveat count that year's reporters."""
    from pinchpoint.kernel.countries import is_aggregate
    from pinchpoint.trade.circumvention import backfill

    expected = {}
    for year in ("2022", "2024"):
        with (TRADE / "baci-critical-materials" / f"baci_{year}.csv").open(encoding="utf-8") as fh:
            expected[year] = len({r["i"] for r in csv.DictReader(fh) if not is_aggregate(r["i"])})
    assert expected["2022"] != expected["2024"]
    with Workspace(trade_ws) as ws:
        table = backfill(flows(ws, ["baci"]), target="RUS")
    assert {r["period"]: r["reporters"] for r in table.rows} == expected
    assert any(f"{expected['2022']} in 2022, {expected['2024']} in 2024" in c for c in table.meta["caveats"])


def test_duplicate_names_the_file_with_its_folder() -> None:
    """Two folders hold a file of the same name: the problem says which folder's file the row repeats."""
    name = "Relational_View_2024-11-17T07_25_35.876Z.csv"
    first = TRADE / "comext-relational" / "kazakhstan_export_eurostat" / name
    second = TRADE / "comext-relational" / "kazahstan_export_eurostat" / name
    frame = read("comext-relational", [first, second])
    duplicates = [p for p in frame.problems if "duplicate of a row" in p]
    assert duplicates and len(frame) + frame.reported == frame.read_rows
    assert all(p.reason == f"duplicate of a row in kazakhstan_export_eurostat/{name}: counted once"
               for p in duplicates)


def test_growth_empty_codes_says_what_the_filters_left_and_what_the_source_holds(trade_ws: Path) -> None:
    """EU27_2020 -> KGZ in BACI with no --codes: the codes listed are those left after the reporter and partner
    filters (named), beside every code BACI holds, both counted from the files."""
    from pinchpoint.kernel.countries import group_members
    from pinchpoint.trade.query import NoRowsError

    members = set(group_members("EU27_2020"))
    everything, to_kgz = set(), set()
    for year in ("2022", "2024"):
        with (TRADE / "baci-critical-materials" / f"baci_{year}.csv").open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                everything.add(r["cmd"])
                if r["j"] == "KGZ" and r["i"] in members:
                    to_kgz.add(r["cmd"])
    assert 0 < len(to_kgz) < len(everything)
    with Workspace(trade_ws) as ws, pytest.raises(NoRowsError) as caught:
        growth(flows(ws, ["baci"]), ["EU27_2020"], ["KGZ"], [], "2021", "2025")
    message = str(caught.value)
    assert "reporter EU27_2020 and partner KGZ" in message
    assert f"{len(to_kgz)} codes remain: {', '.join(sorted(to_kgz)[:12])}" in message
    assert f"baci holds {len(everything)} codes over all its rows" in message


def test_dependence_says_it_is_mirror_data_and_compares_the_importers_own_filing(tmp_path: Path) -> None:
    """JPN 811292 in 2024 from Comtrade as filed: the result is built from partners' exports, and the caveats give
    Japan's own reported imports (its World row, reporter 392, flow M) beside that total."""
    raw = TRADE / "comtrade-raw" / "comtrade_2024.csv.gz"
    with gzip.open(raw, "rt", encoding="utf-8") as fh:
        own = sum(float(r["value"]) for r in csv.DictReader(fh)
                  if r["reporter"] == "392" and r["partner"] == "0" and r["flow"] == "M" and r["cmd"] == "811292")
    with Workspace(tmp_path / "ws") as ws:
        import_frame(ws, read("comtrade", [raw]))
        table = supplier_concentration(flows(ws, ["comtrade"]), ["JPN"], ["811292"], "2024")
    (row,) = table.rows
    caveats = table.meta["caveats"]
    assert any("partners' reported exports (mirror data, FOB)" in c for c in caveats)
    assert (f"JPN's own reported imports of 811292 in 2024 (comtrade): USD {own / 1e6:,.1f} m against "
            f"{row['imports'] / 1e6:,.1f} m from partners' exports") in caveats
