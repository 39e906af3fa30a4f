"""Chokepoints and multi-tier exposure on the real ETO data, and on a small chain with known answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pinchpoint.analysis import chokepoints, exposure
from pinchpoint.analysis.exposure import default_target, upstream
from pinchpoint.supplychain.model import SupplyChain
from pinchpoint.supplychain.native import load_native
from tests.supplychain.test_native import TINY


def test_lithography_chokepoints_feed_the_finished_chip(eto_chain: SupplyChain) -> None:
    table = chokepoints(eto_chain)
    rows = {r["input_id"]: r for r in table.rows}
    for input_id, share in (("N20", 100.0), ("N22", 99.3)):
        assert rows[input_id]["top_provider"] == "NLD"
        assert rows[input_id]["top_share"] == pytest.approx(share)
        assert "Finished logic chip" in rows[input_id]["feeds"]
    assert all(r["top_share"] >= 65 for r in table.rows)
    shares = [r["top_share"] for r in table.rows]
    assert shares == sorted(shares, reverse=True)  # ranked


def test_a_higher_threshold_keeps_a_subset(eto_chain: SupplyChain) -> None:
    at_65 = {r["input_id"] for r in chokepoints(eto_chain).rows}
    at_90 = {r["input_id"] for r in chokepoints(eto_chain, threshold=90).rows}
    assert at_90 < at_65
    # every input with a country share of at least 65% and no pseudo-region on top is a chokepoint
    from pinchpoint.analysis import concentration

    expected = {r["input_id"] for r in concentration(eto_chain).rows if r["top_share"] >= 65}
    assert at_65 == expected


def test_finished_chip_exposure_on_eto(eto_chain: SupplyChain) -> None:
    table = exposure(eto_chain)
    assert default_target(eto_chain) == "N99"
    rows = {r["country"]: r for r in table.rows}
    assert all(0.0 <= r["dependence"] <= 1.0 for r in table.rows)
    assert rows["NLD"]["dependence"] == pytest.approx(1.0)
    assert "EUV lithography tools" in rows["NLD"]["critical_inputs"]
    # Taiwan fabricates most leading-edge logic but several countries can do each step: partial dependence
    assert 0.1 < rows["TWN"]["dependence"] < 1.0
    deps = [(-r["dependence"], -r["n_impaired_inputs"]) for r in table.rows]
    assert deps == sorted(deps)
    n_up = len(upstream(eto_chain, "N99"))
    assert all(r["n_impaired_inputs"] <= n_up for r in table.rows)


def test_n_impaired_inputs_counts_upstream_inputs_only_on_eto(eto_chain: SupplyChain) -> None:
    """docs/analyses.md: n_impaired_inputs counts upstream inputs with A_c < 1. Counted here another way, one
    upstream input at a time as its own target (A_c(u) < 1 is its dependence on c above 0); the finished chip
    itself is not an input of itself (it was counted: JPN 97 for 96 impaired inputs)."""
    from pinchpoint.analysis.exposure import compile_chain

    cc = compile_chain(eto_chain)
    table = exposure(eto_chain, compiled=cc)
    counted = {r["country"]: r["n_impaired_inputs"] for r in table.rows}
    hand = dict.fromkeys(counted, 0)
    for u in sorted(upstream(eto_chain, "N99")):
        for r in exposure(eto_chain, target=u, compiled=cc).rows:
            hand[r["country"]] += r["dependence"] > 1e-12
    assert counted == hand
    assert counted["JPN"] > 0 and {r["country"]: r["dependence"] for r in table.rows}["JPN"] > 0


def test_exposure_is_invariant_to_row_order(eto_chain: SupplyChain) -> None:
    rng = random.Random(3)
    provisions, relations = list(eto_chain.provisions), list(eto_chain.relations)
    rng.shuffle(provisions)
    rng.shuffle(relations)
    shuffled = eto_chain.model_copy(update={"provisions": tuple(provisions), "relations": tuple(relations)})
    a = {r["country"]: r["dependence"] for r in exposure(eto_chain).rows}
    b = {r["country"]: r["dependence"] for r in exposure(shuffled).rows}
    assert a.keys() == b.keys()
    assert all(a[c] == pytest.approx(b[c], abs=1e-9) for c in a)


def test_n_impaired_inputs_by_hand_on_small_chains(tmp_path: Path) -> None:
    """Two inputs into one output, a1 (USA 70, JPN 30) and a2 (CHN 90): each country impairs one input, not two.
    TINY: JPN supplies wafers and resist (2), TWN wafers, USA resist, KOR the other resist (1 each)."""
    two = tmp_path / "two.yaml"
    two.write_text("""\
name: two
stages: [{id: S1, name: Fabrication}]
inputs:
  - {id: a1, name: Tool, kind: tool, stage: S1}
  - {id: a2, name: Material, kind: material, stage: S1}
  - {id: out, name: Chip, kind: output, stage: S1}
provisions:
  - {provider: USA, input: a1, share: 70, year: 2024}
  - {provider: JPN, input: a1, share: 30, year: 2024}
  - {provider: CHN, input: a2, share: 90, year: 2024}
relations:
  - {from: a1, to: out, kind: goes_into}
  - {from: a2, to: out, kind: goes_into}
""", encoding="utf-8")
    rows = {r["country"]: r for r in exposure(load_native(two), target="out").rows}
    assert rows["CHN"]["dependence"] == pytest.approx(0.9)
    assert {c: r["n_impaired_inputs"] for c, r in rows.items()} == {"CHN": 1, "USA": 1, "JPN": 1}
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY, encoding="utf-8")
    rows = {r["country"]: r for r in exposure(load_native(tiny), target="chip").rows}
    assert {c: r["n_impaired_inputs"] for c, r in rows.items()} == {"JPN": 2, "TWN": 1, "USA": 1, "KOR": 1}
    orgs = {r["organisation"]: r for r in exposure(load_native(tiny), target="chip", level="organisation").rows}
    assert orgs["shinetsu"]["n_impaired_inputs"] == 1  # wafers only


def test_complements_bind_and_substitutes_add(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    chain = load_native(path)
    rows = {r["country"]: r for r in exposure(chain, target="chip").rows}
    # wafers (a complement): JPN 56%, TWN 44% -> losing JPN leaves 44% of wafers, and wafers bind
    assert rows["JPN"]["dependence"] == pytest.approx(0.56)
    assert rows["JPN"]["critical_inputs"] == ["Silicon wafer"]
    # resists are substitutes of equal weight (no market sizes): losing USA costs 10% of one of two -> 5%
    assert rows["USA"]["dependence"] == pytest.approx(0.05)
    # KOR supplies all of the alternative resist: half of the resist capacity goes
    assert rows["KOR"]["dependence"] == pytest.approx(0.5)
    assert rows["TWN"]["dependence"] == pytest.approx(0.44)


def test_unknown_target_is_a_clear_error(eto_chain: SupplyChain) -> None:
    from pinchpoint.errors import NotFoundError

    with pytest.raises(NotFoundError, match=r"no input .*warp drive"):
        exposure(eto_chain, target="warp drive")
    with pytest.raises(NotFoundError, match=r"did you mean N99 \(Finished logic chip\)") as info:
        exposure(eto_chain, target="Finished logic chips")
    assert info.value.suggestions[0] == "N99" and info.value.location.field == "target"


def test_chokepoints_say_which_hhi_is_a_lower_bound() -> None:
    # the built-in file gives EDA only the USA's 74%: its HHI (74 squared) leaves out the other 26%, whoever holds
    # it, so it is a lower bound; the caveat names each chokepoint whose given shares, read from the file itself,
    # sum to less than 100%
    import yaml

    from pinchpoint.supplychain import load_chain

    path = Path(__file__).parents[2] / "src" / "pinchpoint" / "supplychain" / "builtin" / "semiconductors.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = chokepoints(load_chain())
    firms = {p["id"] for p in doc["providers"]}  # organisations; the country level reads the ISO3 rows
    expected = []
    for row in table.rows:
        total = sum(p["share"] for p in doc["provisions"] if p["input"] == row["input_id"] and p["provider"] not in
                    firms and p.get("year") == row["year"] and p.get("share") is not None)
        if total < 99.5:
            expected.append(f"{row['input_name']} {total:g}%")
    assert "EDA software and core IP 74%" in expected
    [caveat] = [c for c in table.caveats if "HHI is a lower bound" in c]
    assert f"for {len(expected)} of these inputs ({', '.join(expected)})" in caveat
