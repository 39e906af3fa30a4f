"""The stress report names products by name, explains its columns and assumptions, and prints years as years."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pinchpoint.stress.engines import run_dynamic
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.report import COLUMN_NOTES, write_report
from pinchpoint.stress.scenario import load_scenario
from pinchpoint.supplychain.model import SupplyChain


def test_eto_report_uses_names_and_explains_itself(eto_chain: SupplyChain, eto_path: Path, tmp_path: Path) -> None:
    with (eto_path / "inputs.csv").open(encoding="utf-8-sig") as fh:
        names = {r["input_id"]: r["input_name"] for r in csv.DictReader(fh)}
    with (eto_path / "provision.csv").open(encoding="utf-8-sig") as fh:
        years = sorted({int(r["year"]) for r in csv.DictReader(fh) if r["share_provided"].strip()})
    sc = load_scenario("taiwan_blockade")
    result = run_dynamic(StressNetwork.build(eto_chain), sc, runs=3, seed=1)
    html = write_report(result, sc, tmp_path / "rep", chain=eto_chain).read_text(encoding="utf-8")
    assert "Shortfall of N99" not in html
    assert f"Shortfall of {names['N99']} (N99)" in html
    for column, note in COLUMN_NOTES.items():
        assert f"{column}: {note}" in html
    assert "Assumptions" in html and "Taiwan (TWN) loses 100% of its supply" in html
    assert "in full for 180 days, then back linearly over 180 days" in html
    assert "drawn uniformly between 0.5 and 2" in html
    assert f"years {years[0]}–{years[-1]}" in html
    assert not re.search(r"\b\d,\d{3}\b(?! days)", html.split("<table")[0])  # no year printed as 2,022
    assert "stage S3" in html  # the granularity caveat reaches the report
