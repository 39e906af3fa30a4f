"""Every id a scenario names is checked against the chain it runs on: no silent zeros from a typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.errors import DataError
from pinchpoint.stress.engines import run_dynamic, run_static, run_tts
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import Scenario, load_scenario
from pinchpoint.supplychain import load_chain
from pinchpoint.supplychain.model import SupplyChain


@pytest.fixture(scope="module")
def builtin_net() -> StressNetwork:
    return StressNetwork.build(load_chain())


@pytest.fixture(scope="module")
def eto_net(eto_chain: SupplyChain) -> StressNetwork:
    return StressNetwork.build(eto_chain)


def blockade_with(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """The packaged Taiwan blockade with one line changed; returns the file and its text."""
    text = Path(load_scenario("taiwan_blockade").origin).read_text(encoding="utf-8")
    assert old in text
    changed = text.replace(old, new, 1)
    path = tmp_path / "scenario.yaml"
    path.write_text(changed, encoding="utf-8")
    return path, changed


def line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


@pytest.mark.parametrize("engine", ["static", "dynamic", "tts"])
def test_a_country_typo_is_an_error_naming_the_line_and_the_closest_code(
        tmp_path: Path, builtin_net: StressNetwork, engine: str) -> None:
    path, text = blockade_with(tmp_path, "country: TWN", "country: CHA")
    sc = load_scenario(path)
    run = {"static": run_static, "dynamic": run_dynamic, "tts": run_tts}[engine]
    with pytest.raises(DataError, match=r"unknown country 'CHA': did you mean CHN") as info:
        run(builtin_net, sc)
    assert info.value.location.file == str(path)
    assert info.value.location.row == line_of(text, "country: CHA")
    assert info.value.location.field == "shocks.0.country"


def test_a_country_that_supplies_nothing_in_the_dataset_is_an_error(tmp_path: Path, eto_net: StressNetwork) -> None:
    absent = next(c for c in ("ISL", "FJI", "MNG", "BOL") if c not in eto_net.compiled.countries)
    path, _ = blockade_with(tmp_path, "country: TWN", f"country: {absent}")
    with pytest.raises(DataError, match=f"{absent} .* supplies no input"):
        run_static(eto_net, load_scenario(path))


def test_unknown_inputs_on_eto_suggest_ids_by_spelling_and_by_name(tmp_path: Path, eto_net: StressNetwork) -> None:
    path, text = blockade_with(tmp_path, "    country: TWN\n", "    country: NLD\n    input: N2O\n")
    with pytest.raises(DataError, match=r"unknown input 'N2O'.*did you mean N20 \(EUV lithography tools\)") as info:
        run_static(eto_net, load_scenario(path))
    assert info.value.location.row == line_of(text, "input: N2O")
    path, _ = blockade_with(tmp_path, "    country: TWN\n", "    country: NLD\n    input: EUV lithography tool\n")
    with pytest.raises(DataError, match=r"did you mean N20 \(EUV lithography tools\)"):
        run_static(eto_net, load_scenario(path))


def test_a_country_that_does_not_supply_the_named_input_is_an_error(tmp_path: Path, eto_net: StressNetwork) -> None:
    # ETO: the Netherlands has no share of finished-chip testing (N78), directly or through its stage
    assert eto_net.country_shares("NLD")[eto_net.index("N78")] == 0
    path, _ = blockade_with(tmp_path, "    country: TWN\n", "    country: NLD\n    input: N78\n")
    with pytest.raises(DataError, match="NLD supplies none of N78"):
        run_static(eto_net, load_scenario(path))


def test_a_shock_to_a_category_reaches_its_types(tmp_path: Path, eto_net: StressNetwork) -> None:
    # Lithography tools (N19) is a category: its supply is its types' (EUV N20, ...). The shock used to change
    # nothing (shortfall 0); losing the Netherlands' lithography tools must hurt at least as much as losing EUV.
    category, _ = blockade_with(tmp_path, "    country: TWN\n", "    country: NLD\n    input: N19\n")
    by_category = {r["input_id"]: r for r in run_static(eto_net, load_scenario(category)).rows}
    euv = run_static(eto_net, load_scenario(blockade_with(tmp_path, "    country: TWN\n",
                                                          "    country: NLD\n    input: N20\n")[0]))
    assert by_category["N99"]["shortfall"] >= {r["input_id"]: r for r in euv.rows}["N99"]["shortfall"] > 0


def test_uncertainty_that_changes_nothing_is_an_error(tmp_path: Path, builtin_net: StressNetwork) -> None:
    path, text = blockade_with(tmp_path, "{target: duration, shock: 0,", "{target: duration, shock: 3,")
    with pytest.raises(DataError, match="shock 3 does not exist") as info:
        run_dynamic(builtin_net, load_scenario(path), runs=2)
    assert info.value.location.row == line_of(text, "shock: 3") and info.value.location.field == "uncertainty.0.shock"
    path, text = blockade_with(tmp_path, "{target: duration, shock: 0,", "{target: increase, shock: 0,")
    with pytest.raises(DataError, match="'increase' varies demand_surge shocks; shock 0 is a capacity_loss"):
        run_dynamic(builtin_net, load_scenario(path), runs=2)


def test_parameters_and_target_are_checked(tmp_path: Path, builtin_net: StressNetwork) -> None:
    path, text = blockade_with(tmp_path, "inventory_days: {material: 30,", "inventory_days: {materail: 30,")
    with pytest.raises(DataError, match="did you mean material") as info:
        run_dynamic(builtin_net, load_scenario(path))
    assert info.value.location.field == "parameters.inventory_days.materail"
    assert info.value.location.row == line_of(text, "materail")
    path, _ = blockade_with(tmp_path, "horizon_days: 540", "horizon_days: 540\ntarget: advanced_logic_chp")
    with pytest.raises(DataError, match="did you mean advanced_logic_chip"):
        run_tts(builtin_net, load_scenario(path))
    sc = Scenario.model_validate({"name": "p", "title": "p", "shocks": [{"type": "capacity_loss", "country": "TWN"}],
                                  "parameters": {"rationing": "priority", "priority": ["primary_gallium"]}})
    with pytest.raises(DataError, match="is not an output"):
        run_dynamic(builtin_net, sc)


def test_every_problem_is_listed_with_its_line(tmp_path: Path, builtin_net: StressNetwork) -> None:
    path, text = blockade_with(tmp_path, "country: TWN", "country: CHA")
    text = text.replace("{target: duration, shock: 0,", "{target: duration, shock: 7,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        run_static(builtin_net, load_scenario(path))
    message = str(info.value)
    assert "(and 1 more: " in message
    assert f"row {line_of(text, 'shock: 7')}, field 'uncertainty.0.shock': shock 7 does not exist" in message


def test_schema_errors_say_what_the_more_is(tmp_path: Path) -> None:
    path, text = blockade_with(tmp_path, "fraction: 1.0", "fraction: 1.5")
    text = text.replace("duration: 180", "duration: -4")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_scenario(path)
    message = str(info.value)
    # the old message ended "(and 2 more)" without saying which
    assert "more: " in message and "field 'shocks.0.duration'" in message and "field 'shocks.0.fraction'" in message
    assert f"row {line_of(text, 'duration: -4')}" in message


def test_export_ban_naming_an_input_the_country_lacks_gets_a_caveat(builtin_net: StressNetwork) -> None:
    sc = Scenario.model_validate({"name": "b", "title": "b", "shocks": [
        {"type": "export_ban", "country": "CHN", "inputs": ["primary_gallium", "euv_scanner"]}]})
    assert builtin_net.country_shares("CHN")[builtin_net.index("euv_scanner")] == 0
    table = run_static(builtin_net, sc)
    assert any("euv_scanner" in c and "changes nothing" in c for c in table.caveats)


def test_ario_unknown_sector_in_outputs_is_an_error_not_skipped() -> None:
    from pinchpoint.stress.ario import schedule
    from tests.stress.test_ario import mrio

    table = mrio()
    sc = Scenario.model_validate({"name": "a", "title": "a", "shocks": [
        {"type": "demand_surge", "increase": 0.2, "outputs": ["s1", "S2"]}]})
    with pytest.raises(DataError, match=r"'S2' is not a sector.*did you mean s2"):
        schedule(table, sc, 30)
    sc = Scenario.model_validate({"name": "a", "title": "a", "shocks": [
        {"type": "export_ban", "country": "r0", "inputs": ["s9"]}]})
    with pytest.raises(DataError, match=r"'s9' is not a sector"):
        schedule(table, sc, 30)


@pytest.mark.parametrize("name", ["nosuch_scen", "zzz"])
def test_an_unknown_scenario_lists_each_packaged_one_once(name: str) -> None:
    """``stress nosuch_scen`` once printed the packaged scenarios twice (the valid list and again in brackets)."""
    from pinchpoint.errors import NotFoundError
    from pinchpoint.session import Session
    from pinchpoint.stress.scenario import packaged_scenarios

    packaged = list(packaged_scenarios())
    for load in (load_scenario, Session(local_files=False).stress.scenario):
        with pytest.raises(NotFoundError) as caught:
            load(name)
        message = str(caught.value)
        assert all(message.count(p) <= 1 for p in packaged), message
        assert any(p in message for p in packaged), message


@pytest.mark.parametrize(("written", "shown"), [("step", "not 'step'"), ("[step]", "not a list"),
                                                ("60", "not 60")])
def test_a_recovery_written_as_a_word_names_its_line_and_the_shapes_it_takes(
        tmp_path: Path, written: str, shown: str) -> None:
    """``recovery: step`` is not a recovery (a mapping with a shape): one error at its line and field saying what
    shapes it takes, without the follow-on "shocks: Tuple should have at least 1 item" of the failed shock."""
    path, text = blockade_with(tmp_path, "recovery: {shape: linear, ramp_days: 180}", f"recovery: {written}")
    with pytest.raises(DataError) as info:
        load_scenario(path)
    message = str(info.value)
    assert info.value.location.file == str(path)
    assert info.value.location.row == line_of(text, f"recovery: {written}")
    assert info.value.location.field == "shocks.0.recovery"
    assert f"recovery is a mapping with a shape, {shown}: {{shape: step}}" in message
    assert "{shape: linear, ramp_days: DAYS}" in message and "{shape: points, points: [[DAY, CAPACITY]" in message
    assert "at least 1 item" not in message and "more:" not in message and "Value error" not in message


def test_errors_inside_a_shock_still_all_reported(tmp_path: Path) -> None:
    """Only the follow-on "too short" goes: two real errors in one file are both named."""
    path, _text = blockade_with(tmp_path, "recovery: {shape: linear, ramp_days: 180}",
                               "recovery: {shape: stepp, ramp_days: -1}")
    with pytest.raises(DataError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "field 'shocks.0.recovery.shape': Input should be 'step', 'linear' or 'points'" in message
    assert "field 'shocks.0.recovery.ramp_days'" in message and "at least 1 item" not in message
