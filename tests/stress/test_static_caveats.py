"""A static stress run says which survey years its shares mix and what of the scenario it leaves out (trial 12, F9:
``stress taiwan_blockade --engine static`` printed no caveat at all, though it mixes 2019 and 2020 shares).

Expected years are read from the built-in YAML: the latest year of each cut input's own shares."""

from __future__ import annotations

import re
from collections import Counter

from pinchpoint.stress.engines import run_static
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import load_scenario
from pinchpoint.supplychain.load import builtin_path, load_chain
from pinchpoint.yamlio import load_yaml


def test_static_run_says_which_years_it_mixes_and_what_it_ignores() -> None:
    scenario = load_scenario("taiwan_blockade")
    table = run_static(StressNetwork.build(load_chain("builtin")), scenario)
    cut = {r["input_id"] for r in table.rows if r["own_loss"] > 0}
    provisions = load_yaml(builtin_path())[0]["provisions"]
    latest = {i: max(int(p["year"]) for p in provisions if p["input"] == i) for i in cut}
    years = Counter(latest.values())
    assert len(years) > 1, "the scenario cuts inputs surveyed in different years"
    [mixed] = [c for c in table.meta["caveats"] if c.startswith("Shares come from")]
    for year, n in years.items():
        assert re.search(rf"\b{year} \({n} inputs?\)", mixed)
    [ignored] = [c for c in table.meta["caveats"] if c.startswith("The static engine")]
    params = scenario.parameters
    assert f"spare_capacity ({params.spare_capacity:g})" in ignored
    assert f"qualification_days ({params.qualification_days:g})" in ignored
    assert "inventory_days" in ignored
