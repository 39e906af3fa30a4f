"""The built-in dataset: every figure cited, the published figures in place, the analyses meaningful."""

from __future__ import annotations

import pytest

from pinchpoint.analysis import chokepoints, exposure
from pinchpoint.supplychain import load_chain
from pinchpoint.supplychain.model import SupplyChain


@pytest.fixture(scope="module")
def chain() -> SupplyChain:
    return load_chain()


def test_every_figure_cites_a_declared_source(chain: SupplyChain) -> None:
    sources = {s.id: s for s in chain.sources}
    assert all(s.citation.strip() for s in sources.values())
    for p in chain.provisions:
        assert p.share is not None, p
        assert p.source in sources, f"{p.provider} {p.input}: source {p.source!r} not declared"
        assert p.note, f"{p.provider} {p.input}: say what the figure measures"
    for i in chain.inputs:
        if i.market_size_usd is not None:
            assert i.source in sources and i.market_size_year is not None, i.id
    cited = {p.source for p in chain.provisions} | {i.source for i in chain.inputs if i.source}
    assert cited == set(sources), "declared sources nobody cites"


def test_leading_edge_capacity_is_taiwan_92_korea_8(chain: SupplyChain) -> None:
    shares = {p.provider: p.share for p in chain.provisions if p.input == "logic_fab_lt10nm"}
    assert shares == {"TWN": 92, "KOR": 8}


def test_known_chokepoints_feed_the_chip(chain: SupplyChain) -> None:
    rows = {r["input_id"]: r for r in chokepoints(chain).rows}
    assert (rows["euv_scanner"]["top_provider"], rows["euv_scanner"]["top_share"]) == ("NLD", 100.0)
    assert (rows["primary_gallium"]["top_provider"], rows["primary_gallium"]["top_share"]) == ("CHN", 98.0)
    for input_id in ("photoresist", "abf_film", "euv_coater_developer"):
        assert rows[input_id]["top_provider"] == "JPN"
    for input_id in ("euv_scanner", "photoresist", "abf_film", "logic_fab_lt10nm"):
        assert "Advanced logic chip (< 10 nm)" in rows[input_id]["feeds"]
    assert rows["primary_gallium"]["feeds"] == ["Compound semiconductor devices (GaAs, GaN)"]


def test_only_expected_findings(chain: SupplyChain) -> None:
    # shares below 100 are expected (we record only the sourced countries); nothing else may appear
    assert {f.code for f in chain.findings} <= {"shares-under-100"}


def test_exposure_of_the_chip(chain: SupplyChain) -> None:
    rows = {r["country"]: r for r in exposure(chain).rows}
    assert all(0 <= r["dependence"] <= 1 for r in rows.values())
    assert rows["NLD"]["dependence"] == 1.0 and rows["JPN"]["dependence"] == 1.0
    assert rows["TWN"]["dependence"] == pytest.approx(0.92)
    assert rows["TWN"]["critical_inputs"] == ["Logic wafer fabrication, < 10 nm"]
    assert rows["KOR"]["dependence"] == pytest.approx(0.08)
