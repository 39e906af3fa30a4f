"""Results say which limits of the dataset set them (issue: ETO's 28% against the built-in 92%, unexplained)."""

from __future__ import annotations

import csv
from pathlib import Path

from pinchpoint.stress.engines import run_dynamic, run_static
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import load_scenario
from pinchpoint.supplychain import load_chain
from pinchpoint.supplychain.model import SupplyChain


def test_eto_blockade_says_the_finished_chip_is_set_by_stage_wide_shares(eto_chain: SupplyChain,
                                                                           eto_path: Path) -> None:
    with (eto_path / "inputs.csv").open(encoding="utf-8") as fh:
        inputs = {r["input_id"]: r for r in csv.DictReader(fh)}
    with (eto_path / "provision.csv").open(encoding="utf-8") as fh:
        provided = {r["provided_id"] for r in csv.DictReader(fh) if r["share_provided"].strip()}
    # the source file: testing and packaging are ATP-stage processes with no shares of their own
    for node in ("N69", "N78"):
        assert inputs[node]["stage_id"] == "S3" and node not in provided
    sc = load_scenario("taiwan_blockade")
    net = StressNetwork.build(eto_chain)
    static = run_static(net, sc)
    chip = next(r for r in static.rows if r["input_id"] == "N99")
    caveat = next(c for c in static.caveats if "Finished logic chip (N99)" in c)
    assert "N69" in caveat and "N78" in caveat and "stage S3" in caveat
    assert f"{chip['shortfall']:.0%}" in caveat
    assert any("stage S3" in c for c in run_dynamic(net, sc).summary.caveats)


def test_builtin_blockade_needs_no_granularity_caveat() -> None:
    # the built-in data has Taiwan's own share of < 10 nm logic fabrication: nothing inherited sets the result
    table = run_static(StressNetwork.build(load_chain()), load_scenario("taiwan_blockade"))
    assert not [c for c in table.caveats if "as a whole" in c]
