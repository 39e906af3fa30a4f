"""Sweep of the supply-chain and stress commands: empty results say why, unknown ids suggest, units are explicit."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.analysis.chokepoints import chokepoints
from pinchpoint.analysis.exposure import exposure
from pinchpoint.cli.main import app
from pinchpoint.errors import NotFoundError
from pinchpoint.supplychain.model import SupplyChain


def share_years(eto_path: Path) -> list[int]:
    with (eto_path / "provision.csv").open(encoding="utf-8-sig") as fh:
        return sorted({int(r["year"]) for r in csv.DictReader(fh) if r["share_provided"].strip()})


def test_a_year_without_shares_is_an_error_naming_the_years_held(eto_path: Path) -> None:
    years = share_years(eto_path)
    absent = min(years) - 1
    runner = CliRunner()
    for command in (["concentration"], ["chokepoints"], ["exposure"], ["exposure", "--level", "organisation"]):
        result = runner.invoke(app, [*command, "-d", str(eto_path), "--year", str(absent)])
        assert result.exit_code == 2, (command, result.stdout)  # was exit 0 with "no rows"
        assert f"year {absent}" in result.stderr and str(years[-1]) in result.stderr


def test_exposure_for_one_year_says_how_many_inputs_it_covers(eto_chain: SupplyChain, eto_path: Path) -> None:
    year = share_years(eto_path)[-1]
    table = exposure(eto_chain, year=year)
    assert any(f"in {year}" in c and "count as unaffected" in c for c in table.caveats)
    assert not [c for c in exposure(eto_chain).caveats if "count as unaffected" in c]


def test_empty_chokepoints_and_a_fraction_threshold_say_so(eto_chain: SupplyChain) -> None:
    empty = chokepoints(eto_chain, threshold=100, year=2021)
    assert len(empty) == 0 and any("No input has a provider holding 100%" in c for c in empty.caveats)
    loose = chokepoints(eto_chain, threshold=0.65)
    assert any("for 65% give 65" in c for c in loose.caveats)
    assert not any("threshold" in c or "No input" in c for c in chokepoints(eto_chain).caveats)


def test_stress_command_ids_and_options() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["stress", "taiwan_blockad"])
    assert result.exit_code == 2 and "did you mean taiwan_blockade?" in result.stderr
    result = runner.invoke(app, ["stress", "taiwan_blockade", "--engine", "static", "--target", "x"])
    assert result.exit_code == 2 and "a target applies to the tts engine" in result.stderr  # was silently ignored
    result = runner.invoke(app, ["stress", "taiwan_blockade", "--engine", "tts", "--target", "advanced_logic_chp"])
    assert result.exit_code == 2 and "did you mean advanced_logic_chip" in result.stderr


def test_unknown_coalition_country_suggests(tmp_path: Path, eto_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("friends: [JPN, NDL]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["concentration", "-d", str(eto_path), "--coalitions", str(path)])
    assert result.exit_code == 2 and str(path) in result.stderr and "did you mean NLD (Netherlands)" in result.stderr


@pytest.mark.parametrize("level", ["country", "organisation"])
def test_an_unknown_exposure_target_suggests_at_both_levels(eto_chain: SupplyChain, level: str) -> None:
    with pytest.raises(NotFoundError, match="did you mean"):
        exposure(eto_chain, target="Photolithograph", level=level)


def test_market_size_units(eto_path: Path) -> None:
    from pinchpoint.supplychain.eto import parse_market_size

    assert parse_market_size("$5.2 bn (2021)") == (5.2e9, 2021)  # was $5.20
    assert parse_market_size("$300 thousand")[0] == pytest.approx(3e5)  # was $300
    assert parse_market_size("$5 gazillion (2020)") == (None, 2020)  # an unknown scale is no size, not $5
    scale = {"trillion": 1e12, "billion": 1e9, "million": 1e6}
    with (eto_path / "inputs.csv").open(encoding="utf-8-sig") as fh:
        cells = [r["market_share_chart_global_market_size_info"] for r in csv.DictReader(fh)]
    checked = 0
    for text in cells:
        words = text.replace("(", " ").split()
        if not text.startswith("$") or len(words) < 2 or words[1] not in scale:
            continue
        expected = float(words[0].lstrip("$").replace(",", "")) * scale[words[1]]
        assert parse_market_size(text)[0] == pytest.approx(expected), text
        checked += 1
    assert checked > 20
