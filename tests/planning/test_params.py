"""The planner's limits are the library's: CLI, API, workbench and a library caller accept the same values and
refuse the rest with one message that states the allowed range, upper limit included."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pinchpoint.errors import BadArgumentError
from pinchpoint.planning.measures import load_measures
from pinchpoint.planning.params import (
    MAX_BUDGET,
    MAX_FRONTIER_BUDGETS,
    MAX_HORIZON_YEARS,
    MIN_BUDGET,
    PlanInputs,
    read_budgets,
)
from pinchpoint.planning.planner import plan
from pinchpoint.supplychain.load import load_chain

pytest.importorskip("highspy")

RANGE = f"from {MIN_BUDGET:,.0f} to {MAX_BUDGET:,.0f}"
TOO_MUCH = MAX_BUDGET * 1000  # a budget typed in USD rather than USD million


def _cli(*args: str) -> Any:
    from pinchpoint.cli.main import app

    return CliRunner().invoke(app, ["plan", "-m", "example", *args])


@pytest.mark.parametrize("budget", [TOO_MUCH, -1.0, float("inf")])
def test_a_budget_out_of_range_is_refused_by_the_library_stating_the_range(budget: float) -> None:
    with pytest.raises(BadArgumentError) as err:
        plan(load_chain("builtin"), load_measures("example"), budget=budget)
    assert RANGE in str(err.value) and err.value.parameter == "budget"


def test_the_cli_states_the_same_range_for_a_budget_too_high_or_negative() -> None:
    for budget in (str(TOO_MUCH), "-1"):
        result = _cli("--budget", budget)
        assert result.exit_code == 2 and RANGE in result.output, result.output
    assert "USD million" in _cli("--budget", str(TOO_MUCH)).output
    horizon = _cli("--budget", "100", "--horizon", str(MAX_HORIZON_YEARS + 1))
    assert horizon.exit_code == 2 and f"at most {MAX_HORIZON_YEARS:,.0f}" in horizon.output
    frontier = _cli("--budget", "100", "--budgets", ",".join(["1"] * (MAX_FRONTIER_BUDGETS + 1)))
    assert frontier.exit_code == 2 and f"at most {MAX_FRONTIER_BUDGETS} budgets" in frontier.output


def test_typed_fields_are_read_once_for_every_interface() -> None:
    inputs = PlanInputs.from_text({"budget": " 300 ", "horizon": "", "budgets": "0, 100;300", "scenario": "a b"})
    assert (inputs.budget, inputs.horizon_years, inputs.budgets, inputs.scenarios) == (300, 5, (0, 100, 300),
                                                                                      ("a", "b"))
    assert inputs.arguments() == {"budget": 300, "objective": "max_share", "horizon_years": 5, "coalition": None,
                                  "scenarios": ["a", "b"], "target": None, "budgets": [0, 100, 300]}
    for fields, parameter in (({"budget": "lots"}, "budget"), ({"budget": "nan"}, "budget"),
                              ({"budget": str(TOO_MUCH)}, "budget"), ({"horizon": "0"}, "horizon"),
                              ({"budgets": "0,x"}, "budgets"), ({"budgets": f"0,{TOO_MUCH}"}, "budgets"),
                              ({"objective": "hhi"}, "objective")):
        with pytest.raises(BadArgumentError) as err:
            PlanInputs.from_text(fields)
        assert err.value.parameter == parameter, fields
    with pytest.raises(BadArgumentError, match="at most 3 budgets"):
        read_budgets("1,2,3,4", max_points=3)


def test_the_api_refuses_a_budget_above_the_range(tmp_path: Any) -> None:
    from pinchpoint.api.app import create_app

    client = TestClient(create_app(workspace=tmp_path / "ws"))
    measures = [{"id": "m", "kind": "capacity", "input": "neon", "country": "USA", "capacity": 0.1, "cost": 10}]
    refused = client.post("/planning/plan", json={"measures": measures, "budget": TOO_MUCH})
    assert refused.status_code == 422
    assert client.post("/planning/plan", json={"measures": measures, "budget": MAX_BUDGET,
                                               "table": "frontier"}).status_code == 200
