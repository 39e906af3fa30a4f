"""Concentration on the real ETO data, and HHI / CR-n bounds as properties."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinchpoint.analysis import concentration, concentration_metrics
from pinchpoint.analysis.coalitions import COALITIONS, load_coalitions
from pinchpoint.supplychain.model import SupplyChain


def by_id(table: Any) -> dict[str, dict[str, Any]]:
    return {r["input_id"]: dict(r) for r in table.rows}


def test_euv_and_arf_immersion_on_eto(eto_chain: SupplyChain) -> None:
    rows = by_id(concentration(eto_chain))
    euv, arfi = rows["N20"], rows["N22"]
    assert euv["input_name"] == "EUV lithography tools"
    assert (euv["top_provider"], euv["top_share"], euv["hhi"], euv["cr1"], euv["n_providers"]) == (
        "NLD", 100.0, 10000.0, 100.0, 1)
    assert euv["share_eu27"] == 100.0 and euv["share_us_japan"] == 0.0
    assert arfi["input_name"] == "ArF immersion (DUV) lithography tools"
    assert arfi["top_provider"] == "NLD" and arfi["top_share"] == pytest.approx(99.3)
    assert arfi["year"] == 2025


def test_organisation_level_names_firms(eto_chain: SupplyChain) -> None:
    rows = by_id(concentration(eto_chain, level="organisation"))
    assert rows["N20"]["top_provider"] == "ASML"
    assert rows["N20"]["level"] == "organisation"
    # every organisation-level coalition share is computed from the firms' home countries
    assert rows["N20"]["share_eu27"] == 100.0


def test_every_row_obeys_the_bounds(eto_chain: SupplyChain) -> None:
    table = concentration(eto_chain)
    assert len(table) > 90
    for r in table.rows:
        assert 0 <= r["hhi"] <= 10_000
        assert 0 <= r["cr1"] <= r["cr3"] <= 100 + 1e-9
        assert r["cr1"] ** 2 - 1e-3 <= r["hhi"] <= 100 * r["cr1"] + 1e-3
        assert r["top_provider"] not in ("VAR", "ROW")  # pseudo-regions are never the top provider
        for g in COALITIONS:
            assert 0 <= r[f"share_{g}"] <= 100 + 1e-9


def test_row_order_does_not_matter(eto_chain: SupplyChain) -> None:
    provisions = list(eto_chain.provisions)
    random.Random(7).shuffle(provisions)
    shuffled = eto_chain.model_copy(update={"provisions": tuple(provisions)})
    assert concentration(shuffled).rows == concentration(eto_chain).rows


def test_user_coalitions_from_a_file(eto_chain: SupplyChain, tmp_path: Any) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("quad: [USA, JPN, IND, AUS]\nbenelux: [BEL, NLD, LUX]\n", encoding="utf-8")
    groups = load_coalitions(path)
    rows = by_id(concentration(eto_chain, coalitions=groups))
    assert rows["N20"]["share_benelux"] == 100.0 and rows["N20"]["share_quad"] == 0.0


def test_a_coalition_named_concern_is_the_users_countries_of_concern(eto_chain: SupplyChain, tmp_path: Any) -> None:
    """A file's "concern: [JPN]" gave two share_concern columns, both the built-in list's figures (0 for a JPN
    input), and -f parquet died on the duplicate column; a user "chip4" replaced the built-in one with no word."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    path = tmp_path / "groups.yaml"
    path.write_text("concern: [JPN]\njapan: [JPN]\nchip4: [USA]\nus: [USA]\n", encoding="utf-8")
    table = concentration(eto_chain, coalitions={**COALITIONS, **load_coalitions(path)})
    assert table.columns.count("share_concern") == 1
    assert all(r["share_concern"] == r["share_japan"] and r["share_chip4"] == r["share_us"] for r in table.rows)
    assert any(r["share_japan"] > 50 for r in table.rows)
    caveats = table.meta["caveats"]
    assert any(c.startswith("countries of concern (share_concern): the given coalition 'concern' (JPN)")
               for c in caveats) and any(c.startswith("coalition chip4 (share_chip4): the given") for c in caveats)
    out = tmp_path / "c.parquet"
    result = CliRunner().invoke(app, ["concentration", "--coalitions", str(path), "-f", "parquet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


shares_strategy = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=12).map(
    lambda xs: [x / max(1.0, sum(xs)) for x in xs])


@settings(max_examples=200, deadline=None)
@given(shares_strategy, st.randoms(use_true_random=False))
def test_hhi_and_crn_bounds_and_order_invariance(fractions: list[float], rnd: Any) -> None:
    pairs = [(f"P{i}", s) for i, s in enumerate(fractions)]
    m = concentration_metrics(pairs)
    assert 0 <= m["hhi"] <= 10_000 + 1e-6
    assert m["cr1"] <= m["cr3"] <= 100 + 1e-6
    # HHI lies between the square of the largest share and the largest share times the total
    assert m["cr1"] ** 2 - 1e-3 <= m["hhi"] <= 100 * m["cr1"] + 1e-3
    if m["effective_n"] is not None:
        assert m["effective_n"] >= 1 - 1e-9
    rnd.shuffle(pairs)
    assert concentration_metrics(pairs) == m


def test_aggregates_count_towards_coverage_not_hhi() -> None:
    m = concentration_metrics([("NLD", 0.6), ("VAR", 0.4)], aggregate={"VAR"})
    assert m["hhi"] == pytest.approx(3600) and m["n_providers"] == 1 and m["cr3"] == pytest.approx(60)
