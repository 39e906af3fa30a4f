"""Every real file in ../shared/data resolves to the source its folder says it is (SOURCES.md), with or without a
kind; the files that are no source's get each source's reason, built from what the file holds."""

from __future__ import annotations

import csv
import gzip
import tomllib
from pathlib import Path

import pytest

from pinchpoint import sources
from pinchpoint.errors import BadArgumentError, DataError
from tests.conftest import ROOT, SHARED

TRADE = SHARED / "trade"
LISTS = SHARED / "screening" / "lists"
CONTROLS = SHARED / "controls"


def expected_files() -> list[tuple[Path, str, str]]:
    """(path, kind, source) for every data file and folder the shared data holds, from its place in the tree."""
    cases: list[tuple[Path, str, str]] = [
        (SHARED / "supply-chain" / "eto", "supplychain", "eto"),
        (SHARED / "supply-chain" / "eto-v1", "supplychain", "eto"),
        (ROOT / "src" / "pinchpoint" / "supplychain" / "builtin" / "semiconductors.yaml", "supplychain",
         "native-yaml"),
        (TRADE / "baci-critical-materials", "trade", "baci"),
        (TRADE / "comtrade-raw", "trade", "comtrade"),
        (TRADE / "comtrade-legacy", "trade", "comtrade-legacy"),
        (TRADE / "comext-relational", "trade", "comext-relational"),
        (TRADE / "comext-xlsx", "trade", "comext-xlsx"),
        (LISTS / "ofac_sdn_20240503.csv", "list", "ofac-sdn"),
        (LISTS / "un_sc_consolidated_20260227.xml", "list", "un-sc"),
        (LISTS / "meti_eul_20250929.xlsx", "list", "meti-eul"),
        (LISTS / "us_bis_dpl_2022.txt", "list", "bis-dpl"),
        (LISTS / "yente_zala_entities.ftm.json", "list", "ftm"),
        (CONTROLS / "us-ccl", "controls", "us-ccl"),
        (CONTROLS / "us-ccl" / "ccl.json", "controls", "us-ccl"),
        (CONTROLS / "eu-annex1", "controls", "eu-annex1"),
        (CONTROLS / "eu-annex1" / "annex.json", "controls", "eu-annex1"),
        (CONTROLS / "jp", "controls", "jp-items"),
        (CONTROLS / "jp" / "jp_sme_concordance.csv", "controls", "jp-items"),
        (SHARED / "trends" / "us_fred_ipg3344s.csv", "indicators", "fred"),
        (SHARED / "trends" / "jp_iip_electronic_parts_devices.csv", "indicators", "meti-iip"),
    ]
    cases += [(f, "trade", "baci") for f in sorted((TRADE / "baci-critical-materials").glob("baci_*.csv"))]
    cases += [(f, "trade", "comtrade") for f in sorted((TRADE / "comtrade-raw").glob("*.csv.gz"))]
    cases += [(f, "trade", "comtrade-legacy") for f in sorted((TRADE / "comtrade-legacy").glob("*.csv"))]
    cases += [(f, "trade", "comext-relational") for f in sorted((TRADE / "comext-relational").rglob("*.csv"))]
    # the numbered data-browser downloads and the total-trade download of the same kind (SOURCES.md)
    cases += [(f, "trade", "comext-xlsx") for f in sorted((TRADE / "comext-xlsx").glob("*_spreadsheet.xlsx"))]
    return cases


CASES = expected_files()


def test_the_shared_data_is_all_covered() -> None:
    """The case list is not a convenient subset: it holds every file of these folders (563 Comext CSVs...)."""
    relational = [c for c in CASES if c[2] == "comext-relational" and c[0].is_file()]
    assert len(relational) == len(list((TRADE / "comext-relational").rglob("*.csv"))) > 500
    assert len([c for c in CASES if c[2] == "comext-xlsx" and c[0].is_file()]) == 23


@pytest.mark.parametrize("kind", ["supplychain", "trade", "list", "controls", "indicators"])
def test_every_real_file_resolves_to_its_source(kind: str) -> None:
    wrong = []
    for path, case_kind, expected in CASES:
        if case_kind != kind:
            continue
        for asked in (kind, None):
            try:
                found = sources.detect(path, kind=asked).name
            except DataError as exc:
                found = f"error: {exc}"
            if found != expected:
                wrong.append((str(path), asked, found))
    assert not wrong, wrong[:5]


def _header(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return ",".join(next(csv.reader(fh)))


@pytest.mark.parametrize("path", [TRADE / "ecomplexity-fixtures" / "trade_data_sample.csv", TRADE / "chpl.csv",
                                  SHARED / "trends" / "us_fred_ipg3344s.csv", SHARED / "fabs" / "atlas-campuses.csv",
                                  TRADE / "baci-critical-materials" / "country_codes_V202601.csv"])
def test_a_table_that_is_no_trade_source_gets_every_reason(path: Path) -> None:
    found = _header(path)
    with pytest.raises(sources.NoSourceMatched) as err:
        sources.detect(path, kind="trade")
    message = str(err.value)
    assert message.startswith(f"{path}: not a trade data file any trade source reads")
    reasons = dict(err.value.reasons)
    assert set(reasons) == {s.name for s in sources.all_sources("trade")}
    if not path.name.startswith("country_codes"):
        assert reasons["baci"] == f"expected columns t,i,j,k,v,q or i,j,cmd,value; found {found[:400]}"[
            :len(reasons["baci"])]
    assert reasons["comtrade"].startswith("expected columns reporter,partner,cmd,flow,value; found ")
    assert reasons["comext-xlsx"] == "expected an .xlsx file"


def test_the_files_beside_the_data_are_refused_with_reasons() -> None:
    alt = LISTS / "ofac_alt_20250227.csv"
    with pytest.raises(sources.NoSourceMatched, match="ofac-sdn: this is OFAC's alternate-names file"):
        sources.detect(alt, kind="list")
    chart = CONTROLS / "us-ccl" / "country-chart.json"
    with pytest.raises(sources.NoSourceMatched) as err:
        sources.detect(chart, kind="controls")
    reason = dict(err.value.reasons)["us-ccl"]
    assert reason.startswith("an eCFR JSON file without CCL entries (no top-level 'entries')")
    # the peer's tidy table among the Comext downloads is not a data-browser workbook
    peer = TRADE / "comext-xlsx" / "eu_export_sanctioned.xlsx"
    with pytest.raises(sources.NoSourceMatched, match=r"comext-xlsx: expected data-browser sheets 'Sheet 1'.*Sheet1"):
        sources.detect(peer, kind="trade")


def test_a_folder_is_judged_by_its_files(tmp_path: Path) -> None:
    with pytest.raises(sources.NoSourceMatched, match=r"baci: no \*\.csv or \*\.csv\.gz files in the folder"):
        sources.detect(tmp_path, kind="trade")
    with pytest.raises(DataError, match="no such file or folder"):
        sources.detect(tmp_path / "absent.csv")


def test_read_detects_and_reads_what_the_loader_reads() -> None:
    from pinchpoint.controls.loaders import load_jp_items
    from pinchpoint.screening.loaders import load_dpl

    jp = CONTROLS / "jp" / "jp_sme_concordance.csv"
    assert sources.read(CONTROLS / "jp").entries == load_jp_items(jp).entries
    dpl = LISTS / "us_bis_dpl_2022.txt"
    assert sources.read(dpl, kind="list").entities == load_dpl(dpl).entities
    with pytest.raises(BadArgumentError, match="source 'baci' reads trade, not list"):
        sources.read(dpl, source="baci", kind="list")
    with pytest.raises(sources.UnknownSourceError, match="did you mean bis-dpl"):
        sources.read(dpl, source="bis-dlp")


def test_two_sources_claiming_one_file_are_named_and_either_can_be_chosen() -> None:
    baci = sources.get("baci")
    copy = sources.Source(name="baci-again", kind="trade", description="a second reader of BACI extracts",
                          detect=baci.detect, read=baci.read, multiple=True)
    sources.register(copy)
    try:
        path = TRADE / "baci-critical-materials" / "baci_2022.csv"
        with pytest.raises(sources.SeveralSourcesMatched) as err:
            sources.detect(path, kind="trade")
        assert err.value.names == ("baci", "baci-again")
        assert "name the source to read it with (one of baci, baci-again)" in str(err.value)
        with open(path, encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
        assert len(sources.read(path, source="baci-again")) == rows
    finally:
        sources.unregister("baci-again")
    assert sources.detect(TRADE / "baci-critical-materials" / "baci_2022.csv").name == "baci"


def test_pyproject_declares_exactly_the_builtin_sources() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["entry-points"]["pinchpoint.sources"]
    assert declared == sources.BUILTIN
    assert {s.name for s in sources.all_sources()} >= set(sources.BUILTIN)
    assert not sources.registry().problems
