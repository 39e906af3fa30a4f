"""Choosing shares is an operation on the model: year, level, and derivation of country shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.supplychain.model import Level, SupplyChain
from pinchpoint.supplychain.native import load_native
from pinchpoint.supplychain.shares import DERIVED, REPORTED, normalised, select_shares

CHAIN = """\
name: shares
inputs:
  - {id: resist, name: Photoresist, kind: material}
  - {id: etch, name: Etch tools, kind: tool}
providers:
  - {id: jsr, name: JSR, country: JPN}
  - {id: tok, name: Tokyo Ohka Kogyo, country: JPN}
  - {id: dupont, name: DuPont, country: USA}
  - {id: lam, name: Lam Research, country: USA}
provisions:
  - {provider: jsr, input: resist, share: 30, year: 2021}
  - {provider: tok, input: resist, share: 25, year: 2021}
  - {provider: dupont, input: resist, share: 15, year: 2021}
  - {provider: jsr, input: resist, share: 28, year: 2019}
  - {provider: JPN, input: resist, share: 80, year: 2019}
  - {provider: USA, input: resist, share: 20, year: 2019}
  - {provider: lam, input: etch, share: 46, year: 2022}
  - {provider: lam, input: etch, share: 51, year: 2023}
  - {provider: USA, input: etch, share: , year: 2023}
  - {provider: USA, input: etch, share: 60, year: 2020}
  - {provider: JPN, input: etch, share: 35, year: 2020}
  - {provider: KOR, input: etch, share: 8, year: 2020}
"""


@pytest.fixture()
def chain(tmp_path: Path) -> SupplyChain:
    path = tmp_path / "shares.yaml"
    path.write_text(CHAIN, encoding="utf-8")
    return load_native(path)


def test_latest_year_per_input_and_derivation(chain: SupplyChain) -> None:
    shares = select_shares(chain, Level.COUNTRY)
    resist = shares["resist"]
    # 2021 has only firm shares: country shares are derived from home countries, and say so
    assert (resist.year, resist.basis) == (2021, DERIVED)
    assert dict(resist.shares) == {"JPN": 55.0, "USA": 15.0}
    # the 2023 country row is blank, so 2023 is derived from Lam's share (a blank is never a zero)
    etch = shares["etch"]
    assert (etch.year, etch.basis, dict(etch.shares)) == (2023, DERIVED, {"USA": 51.0})


def test_derivation_can_be_turned_off(chain: SupplyChain) -> None:
    shares = select_shares(chain, Level.COUNTRY, derive=False)
    assert (shares["resist"].year, shares["resist"].basis) == (2019, REPORTED)
    assert shares["etch"].year == 2020 and shares["etch"].n_blank == 0


def test_a_given_year(chain: SupplyChain) -> None:
    shares = select_shares(chain, "country", year=2019)
    assert set(shares) == {"resist"} and dict(shares["resist"].shares) == {"JPN": 80.0, "USA": 20.0}
    assert select_shares(chain, "organisation", year=2019)["resist"].shares == (("jsr", 28.0),)


def test_organisation_level_keeps_firms(chain: SupplyChain) -> None:
    resist = select_shares(chain, Level.ORGANISATION)["resist"]
    assert resist.shares == (("jsr", 30.0), ("tok", 25.0), ("dupont", 15.0))  # largest first
    assert resist.total == 70.0


def test_overshoot_is_scaled_to_100_and_shortfall_kept(chain: SupplyChain) -> None:
    etch_2020 = select_shares(chain, "country", year=2020, derive=False)["etch"]
    assert etch_2020.total == pytest.approx(103.0)
    fractions = dict(normalised(etch_2020))
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert fractions["USA"] == pytest.approx(60 / 103)
    resist = select_shares(chain, "country")["resist"]
    assert sum(f for _, f in normalised(resist)) == pytest.approx(0.70)  # the unknown 30% stays unknown
