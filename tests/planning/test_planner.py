"""The planner: its optimum is brute force's, its frontier is monotone, a zero budget changes nothing, its risk is
the stress engine's, and bad candidate files are refused naming file, row and field."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinchpoint.errors import DataError
from pinchpoint.planning.measures import Measure, MeasureKind, load_measures
from pinchpoint.planning.planner import plan
from pinchpoint.planning.problem import build_problem
from pinchpoint.planning.solve import Programme, brute_force
from pinchpoint.stress.engines import run_static
from pinchpoint.stress.network import StressNetwork
from pinchpoint.stress.scenario import Scenario, load_scenario
from pinchpoint.supplychain.load import load_chain
from pinchpoint.supplychain.model import RelationKind

pytest.importorskip("highspy")

BUILTIN_SCENARIOS = ("taiwan_blockade", "china_gallium_germanium", "shortage_2021")


@pytest.fixture(scope="module")
def builtin_net() -> StressNetwork:
    return StressNetwork.build(load_chain("builtin"))


@pytest.fixture(scope="module")
def eto_net(eto_chain) -> StressNetwork:  # type: ignore[no-untyped-def]
    return StressNetwork.build(eto_chain)


def _leaves(net: StressNetwork) -> list[str]:
    """Inputs a measure can act on: not categories, with country shares."""
    cats = {r.target for r in net.compiled.chain.relations if r.kind is RelationKind.IS_TYPE_OF}
    return [i for k, i in enumerate(net.compiled.ids) if i not in cats and net.compiled.loss[k].sum() > 0]


measure_strategy = st.tuples(
    st.sampled_from(["capacity", "qualification", "stockpile", "coalition_sourcing"]),
    st.integers(0, 10_000), st.integers(0, 10_000), st.floats(0.01, 0.6), st.floats(5, 200),
    st.floats(1, 100), st.floats(0, 10), st.floats(0, 5))


def _measures(net: StressNetwork, specs: list[tuple[str, int, int, float, float, float, float, float]]
              ) -> list[Measure]:
    leaves = _leaves(net)
    countries = net.compiled.countries
    out = []
    for k, (kind, i, c, cap, days, cost, annual, lead) in enumerate(specs):
        located = kind in ("capacity", "qualification")
        out.append(Measure(f"m{k}", MeasureKind(kind), leaves[i % len(leaves)],
                           countries[c % len(countries)] if located else None,
                           0.0 if kind == "stockpile" else cap, days if kind == "stockpile" else 0.0, cost, annual,
                           lead))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(measure_strategy, min_size=1, max_size=10),
       objective=st.sampled_from(["max_share", "tts", "shortfall"]), budget=st.floats(0, 120),
       coalition=st.sampled_from([None, ("USA", "JPN"), ("USA", "JPN", "KOR", "NLD")]))
def test_optimum_equals_brute_force_on_random_instances(builtin_net: StressNetwork, specs, objective, budget,
                                                        coalition) -> None:  # type: ignore[no-untyped-def]
    scenarios = [load_scenario(s) for s in BUILTIN_SCENARIOS] if objective == "shortfall" else []
    problem = build_problem(builtin_net, _measures(builtin_net, specs), objective=objective, horizon_years=4,
                            coalition=coalition, scenarios=scenarios)
    best, _ = brute_force(problem, budget)
    sol = Programme(problem).solve(budget)
    assert sol.optimal
    assert sol.risk == pytest.approx(best, abs=1e-7)
    assert sol.objective == pytest.approx(sol.risk, abs=1e-6)  # the programme's value is the exact evaluation


def _eto_scenarios() -> list[Scenario]:
    """Loss of each of the four largest suppliers in turn, whole and half."""
    out = []
    for k, (country, fraction) in enumerate([(c, f) for c in ("TWN", "USA", "JPN", "KOR") for f in (1.0, 0.5)]):
        out.append(Scenario.model_validate({"name": f"loss{k}", "title": f"{country} loses {fraction:.0%}",
                                            "shocks": [{"type": "capacity_loss", "country": country,
                                                        "fraction": fraction, "duration": 60 + 30 * k}]}))
    return out


@pytest.mark.parametrize("objective", ["max_share", "tts", "shortfall"])
def test_optimum_equals_brute_force_on_eto_with_12_candidates(eto_net: StressNetwork, objective: str) -> None:
    # the 12 inputs with the largest single-country share in the real ETO file, each with one measure
    leaves = _leaves(eto_net)
    cc = eto_net.compiled
    top = sorted(leaves, key=lambda i: -cc.loss[cc.index[i]].max())[:12]
    measures = []
    for k, i in enumerate(top):
        biggest = cc.countries[int(np.argmax(cc.loss[cc.index[i]]))]
        other = "USA" if biggest != "USA" else "JPN"
        kind = (MeasureKind.STOCKPILE if k % 4 == 3 and objective != "max_share"
                else [MeasureKind.CAPACITY, MeasureKind.QUALIFICATION][k % 2])
        measures.append(Measure(f"m{k}", kind, i, None if kind is MeasureKind.STOCKPILE else other,
                                0.0 if kind is MeasureKind.STOCKPILE else 0.1 + 0.05 * (k % 5),
                                60.0 if kind is MeasureKind.STOCKPILE else 0.0, 10.0 + 7 * k, 0.0, k % 3))
    problem = build_problem(eto_net, measures, objective=objective, horizon_years=3,
                            scenarios=_eto_scenarios() if objective == "shortfall" else ())
    assert len(problem.measures) == 12
    programme = Programme(problem)
    for budget in (0.0, 20.0, 45.0, 90.0):
        best, _ = brute_force(problem, budget)
        assert programme.solve(budget).risk == pytest.approx(best, abs=1e-7)


def test_frontier_is_monotone_and_zero_budget_changes_nothing(builtin_net: StressNetwork) -> None:
    measures = load_measures("example")
    scenarios = [load_scenario(s) for s in BUILTIN_SCENARIOS]
    for objective in ("max_share", "tts", "shortfall"):
        result = plan(builtin_net, measures, budget=3000, objective=objective, horizon_years=5,
                      scenarios=scenarios if objective == "shortfall" else ())
        rows = result.frontier.records()
        assert len(rows) >= 11
        risks = [r["risk"] for r in rows]
        assert all(b <= a + 1e-12 for a, b in itertools.pairwise(risks))
        zero = rows[0]
        assert zero["budget_musd_per_year"] == 0
        assert zero["n_measures"] == 0 and zero["risk"] == zero["risk_before"]
        assert all(r["proven_optimal"] for r in rows)
        if objective == "shortfall":
            assert risks[-1] < risks[0]  # the example's measures do help in these scenarios


def test_zero_budget_effects_equal_before(builtin_net: StressNetwork) -> None:
    result = plan(builtin_net, load_measures("example"), budget=0, objective="tts")
    assert len(result.portfolio) == 0
    for r in result.effects.records():
        assert r["uncovered_after"] == r["uncovered_before"]
        assert r["hhi_after"] == r["hhi_before"]


def test_shortfall_before_is_the_static_engine(builtin_net: StressNetwork) -> None:
    scenarios = [load_scenario(s) for s in BUILTIN_SCENARIOS]
    problem = build_problem(builtin_net, load_measures("example"), objective="shortfall", scenarios=scenarios,
                            target="advanced_logic_chip")
    short = problem.shortfall(np.zeros((len(problem.measures), 1)))[0]
    for s, sc in enumerate(scenarios):
        static = {r["input_id"]: r["shortfall"] for r in run_static(builtin_net, sc).records()}
        assert short[s] == pytest.approx(static["advanced_logic_chip"], abs=1e-9)


def test_measure_in_a_scenario_country_helps_only_where_it_is_not_hit(builtin_net: StressNetwork) -> None:
    # new TWN capacity of < 10 nm logic does nothing in a blockade of Taiwan; KOR capacity does
    blockade = [load_scenario("taiwan_blockade")]
    twn = Measure("twn", MeasureKind.CAPACITY, "logic_fab_lt10nm", "TWN", 0.2, 0.0, 10.0)
    kor = Measure("kor", MeasureKind.CAPACITY, "logic_fab_lt10nm", "KOR", 0.2, 0.0, 10.0)
    problem = build_problem(builtin_net, [twn, kor], objective="shortfall", scenarios=blockade,
                            target="advanced_logic_chip")
    none, only_twn, only_kor = problem.evaluate(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert only_twn == none
    assert only_kor == pytest.approx(none - 0.2, abs=1e-9)  # TWN's 92% gone: availability 0.08 + 0.2


def _write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "id,kind,input,country,capacity,days,cost,annual_cost,lead_time_years,source\n"


@pytest.mark.parametrize(("row", "field", "words"), [
    ("a,capacity,neon,XYZ,0.1,,10,,1,x", "country", "unknown country"),
    ("a,capacity,neon,USA,-0.1,,10,,1,x", "capacity", "negative"),
    ("a,capacity,neon,USA,0.1,,-10,,1,x", "cost", "negative"),
    ("a,capacity,neon,,0.1,,10,,1,x", "country", "names the country"),
    ("a,stockpile,neon,,,0,10,,,x", "days", "positive number of days"),
    ("a,capacity,neon,USA,0.1,,0,0,1,x", "cost", "costs something"),
    ("a,rebate,neon,USA,0.1,,10,,1,x", "kind", "unknown kind"),
])
def test_bad_rows_name_file_row_and_field(tmp_path: Path, row: str, field: str, words: str) -> None:
    path = _write(tmp_path, HEADER + "ok,capacity,neon,USA,0.1,,10,,1,x\n" + row + "\n")
    with pytest.raises(DataError) as err:
        load_measures(path)
    assert err.value.location.file == str(path)
    assert err.value.location.row == 3
    assert err.value.location.field == field
    assert words in str(err.value)


def test_duplicate_id_and_unknown_input_are_errors(tmp_path: Path, builtin_net: StressNetwork) -> None:
    path = _write(tmp_path, HEADER + "a,capacity,neon,USA,0.1,,10,,1,x\na,capacity,atp,USA,0.1,,10,,1,x\n")
    with pytest.raises(DataError, match="repeats the one on row 2") as err:
        load_measures(path)
    assert (err.value.location.row, err.value.location.field) == (3, "id")
    path = _write(tmp_path, HEADER + "a,capacity,neonn,USA,0.1,,10,,1,x\n")
    with pytest.raises(DataError, match=r"did you mean|neon") as err:
        plan(builtin_net, load_measures(path), budget=10)
    assert (err.value.location.file, err.value.location.row, err.value.location.field) == (str(path), 2, "input")


def test_measure_on_a_category_is_an_error(tmp_path: Path, eto_net: StressNetwork) -> None:
    # a category's supply is its types' (availability replaces its own), so a measure on it would count nothing
    category = next(r.target for r in eto_net.compiled.chain.relations if r.kind is RelationKind.IS_TYPE_OF)
    path = _write(tmp_path, HEADER + f"a,capacity,{category},USA,0.1,,10,,1,x\n")
    with pytest.raises(DataError, match="category") as err:
        plan(eto_net, load_measures(path), budget=10)
    assert (err.value.location.row, err.value.location.field) == (2, "input")


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "measures:\n  - {id: a, kind: capacity, input: neon, country: USA, capacity: 0.1, "
                  "cost: 1}\n  - {id: b, kind: capacity, input: neon, country: USA, capacity: 0.1, cost: -1}\n",
                  "m.yaml")
    with pytest.raises(DataError) as err:
        load_measures(path)
    assert (err.value.location.row, err.value.location.field) == (3, "cost")


def test_cli_plan_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    out = tmp_path / "frontier.json"
    result = CliRunner().invoke(app, ["plan", "-m", "example", "--budget", "500", "--objective", "shortfall",
                                      "-s", "taiwan_blockade", "-s", "china_gallium_germanium", "--table",
                                      "frontier", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert len(doc["rows"]) == 11 and doc["meta"]["objective"] == "shortfall"
    assert doc["meta"]["caveats"]
    bad = CliRunner().invoke(app, ["plan", "-m", "example", "--budget", "5", "--objective", "hhi"])
    assert bad.exit_code == 2 and "unknown objective" in bad.output
