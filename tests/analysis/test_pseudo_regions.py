"""A share given to a region (``EUR``, "Europe, countries not split") or to many unnamed providers (``VAR``) is never
dropped without a word: exposure, concentration, chokepoints and the TTS stress test each name it, with its shares.

Expected shares are read here from the built-in YAML itself; the dependence a region's loss would cause is checked
against the same dataset with the region's rows given to one country (Antarctica, ``ATA``, which supplies nothing
else), whose exposure row is then computed like any country's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pinchpoint.analysis import chokepoints, concentration, exposure
from pinchpoint.supplychain.load import builtin_path, load_chain
from pinchpoint.supplychain.model import SupplyChain
from pinchpoint.yamlio import load_yaml


def _rows_of(provider: str) -> dict[str, float]:
    doc = load_yaml(builtin_path())[0]
    return {p["input"]: float(p["share"]) for p in doc["provisions"] if p["provider"] == provider}


@pytest.fixture(scope="module")
def builtin() -> SupplyChain:
    return load_chain("builtin")


def _caveat(caveats: list[str], code: str) -> str:
    found = [c for c in caveats if c.startswith(f"{code}, ")]
    assert len(found) == 1, caveats
    return found[0]


def test_exposure_names_europe_and_what_losing_it_costs(builtin: SupplyChain, tmp_path: Path) -> None:
    eur = _rows_of("EUR")
    assert eur, "the built-in data gives Europe shares"
    table = exposure(builtin, target="wafer_fab_all")
    assert "EUR" not in {r["country"] for r in table.rows}  # a region is not a country row
    text = _caveat(table.meta["caveats"], "EUR")
    for input_id, share in eur.items():
        assert f"{share:g}% of {builtin.input_by_id[input_id].name} ({input_id}, " in text
    # the same rows given to one country: its dependence is what the caveat says losing Europe costs
    moved = tmp_path / "moved.yaml"
    moved.write_text(builtin_path().read_text(encoding="utf-8").replace("provider: EUR,", "provider: ATA,"),
                     encoding="utf-8")
    as_country = {r["country"]: r["dependence"] for r in exposure(load_chain(moved), target="wafer_fab_all").rows}
    assert as_country["ATA"] > 0
    assert f"a dependence of {round(as_country['ATA'], 4):g}." in text
    # the default target (< 10 nm logic) reads Europe's equipment share only
    default = _caveat(exposure(builtin).meta["caveats"], "EUR")
    assert "fab_equipment" in default and "wafer_fab_all" not in default


def test_exposure_names_the_unattributed_remainder(builtin: SupplyChain) -> None:
    var = _rows_of("VAR")
    text = _caveat(exposure(builtin, target="wafer_fab_all").meta["caveats"], "VAR")
    for input_id, share in var.items():
        assert f"{share:g}% of {builtin.input_by_id[input_id].name} ({input_id}, " in text
    assert "no row" in text


def test_concentration_says_which_coalition_shares_leave_europe_out(builtin: SupplyChain) -> None:
    eur = _rows_of("EUR")
    table = concentration(builtin)
    text = _caveat(table.meta["caveats"], "EUR")
    for input_id, share in eur.items():
        assert f"{share:g}% of {builtin.input_by_id[input_id].name} ({input_id}, " in text
        row = next(r for r in table.rows if r["input_id"] == input_id)
        assert row["share_eu27"] >= share  # eu27 counts the region in full
    assert "share_eu27 counts all of it" in text
    g7_europeans = re.search(r"g7: ([A-Z, ]+)\)", text)
    assert g7_europeans and set(g7_europeans.group(1).split(", ")) == {"DEU", "FRA", "GBR", "ITA"}


def test_chokepoints_say_a_remainder_at_the_threshold_is_not_listed(eto_chain: SupplyChain) -> None:
    shares = {}
    for pv in eto_chain.provisions:
        if pv.provider == "VAR" and pv.share is not None:
            latest = max(p.year for p in eto_chain.provisions if p.input == pv.input and p.share is not None
                         and eto_chain.provider_by_id[p.provider].kind == "country")
            if pv.year == latest:
                shares[pv.input] = pv.share
    whole = sorted(i for i, s in shares.items() if s >= 65 and i in eto_chain.input_by_id)
    assert whole, "ETO gives 'various countries' at least 65% of some inputs"
    table = chokepoints(eto_chain)
    assert not {r["input_id"] for r in table.rows} & set(whole)
    text = next(c for c in table.meta["caveats"] if c.startswith("VAR, ") and "at least 65%" in c)
    for input_id in whole:
        assert f"({input_id}, " in text


def test_tts_says_no_row_tests_europe(builtin: SupplyChain) -> None:
    from pinchpoint.stress.engines import run_tts
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario

    table = run_tts(StressNetwork.build(builtin), load_scenario("taiwan_blockade"))
    assert "EUR" not in {r["country"] for r in table.rows}
    text = _caveat(table.meta["caveats"], "EUR")
    assert f"{_rows_of('EUR')['fab_equipment']:g}% of " in text and "no row tests its supply" in text


def test_import_exposure_of_a_region_says_it_is_a_region(builtin: SupplyChain) -> None:
    from pinchpoint.analysis.exposure import import_exposure
    from pinchpoint.errors import BadArgumentError

    assert _rows_of("EUR")  # it holds shares: "no share of any input" (the old message) was wrong
    with pytest.raises(BadArgumentError, match=r"EUR, Europe .* is a region the source does not split"):
        import_exposure(builtin, "EUR")
