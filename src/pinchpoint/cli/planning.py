"""CLI commands for planning (issue #18): ``plan``. Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import (
    DatasetOpt,
    FormatOpt,
    OutputOpt,
    WorkspaceOpt,
    friendly_errors,
    session,
    with_command,
)

PLAN_TABLES = ("frontier", "portfolio", "effects", "excluded")


def register(app: typer.Typer) -> None:
    """Add ``plan`` to the main app."""

    @app.command("plan")
    @friendly_errors
    def plan_command(
        measures: Annotated[str, typer.Option("--measures", "-m", help="Candidate measures: a CSV, YAML or JSON "
                                              "file, or 'example' (illustrative, for the built-in dataset).")],
        budget: Annotated[float, typer.Option(help="USD million that may be spent in any one year.", min=0)],
        dataset: DatasetOpt = "builtin",
        objective: Annotated[str, typer.Option(help="max_share, tts or shortfall.")] = "max_share",
        horizon: Annotated[float, typer.Option(help="Years within which measures must be ready.", min=0)] = 5.0,
        coalition: Annotated[str | None, typer.Option(help="Countries that count as secure: a name (us_japan, "
                                                      "chip4, g7, eu27) or ISO3 codes separated by commas.")] = None,
        scenario: Annotated[list[str] | None, typer.Option("--scenario", "-s", help="Stress scenario (packaged "
                                                           "name or YAML file) for --objective shortfall; "
                                                           "repeat for several.")] = None,
        inputs: Annotated[list[str] | None, typer.Option("--input", help="Input the max_share / tts risk scores "
                                                         "(repeat; default: the inputs the measures act on).")] = None,
        target: Annotated[str | None, typer.Option(help="End product for the shortfall objective.")] = None,
        budgets: Annotated[str | None, typer.Option(help="Frontier budgets, comma-separated (default: 11 from 0 "
                                                    "to --budget).")] = None,
        time_limit: Annotated[float, typer.Option(help="Seconds per frontier point before reporting the MIP gap.",
                                                  min=0.1)] = 30.0,
        table: Annotated[str, typer.Option(help="With --format or --output: frontier, portfolio, effects or "
                                           "excluded.")] = "portfolio",
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Choose the support measures that most reduce a concentration risk for a budget, with the frontier."""
        from pinchpoint.cli.output import OutputFormat, emit
        from pinchpoint.errors import BadArgumentError
        from pinchpoint.planning.measures import load_measures
        from pinchpoint.planning.planner import plan, resolve_coalition
        from pinchpoint.stress.scenario import load_scenario

        if table not in PLAN_TABLES:
            raise BadArgumentError(f"--table must be one of {', '.join(PLAN_TABLES)}, not {table!r}")
        candidates = load_measures(measures)
        chain = session(workspace).supplychain.chain(dataset)
        points = None
        if budgets:
            try:
                points = [float(b) for b in budgets.split(",") if b.strip()]
            except ValueError:
                raise BadArgumentError(f"--budgets must be numbers separated by commas, not {budgets!r}") from None
        result = plan(chain, candidates, budget=budget, horizon_years=horizon, objective=objective,
                      coalition=resolve_coalition(coalition), scenarios=[load_scenario(s) for s in scenario or []],
                      inputs=inputs or None, target=target, budgets=points, time_limit=time_limit)
        tables = {t.name.removeprefix("plan_"): with_command(t) for t in result.tables()}
        if fmt in (None, OutputFormat.TABLE) and output is None:
            emit(tables["frontier"], fmt, None, title=f"Risk ({objective}) against budget",
                 columns=["budget_musd_per_year", "risk", "reduction_pct", "proven_optimal", "mip_gap",
                          "n_measures", "spend_peak_year_musd"])
            emit(tables["portfolio"], fmt, None, title=f"Measures chosen at USD {budget:g} m a year",
                 columns=["measure_id", "kind", "input_id", "country", "spend_total_musd", "contribution"])
            emit(tables["effects"], fmt, None, title="Risk before and after")
            if len(tables["excluded"]):
                emit(tables["excluded"], fmt, None, title="Candidates left out")
            return
        emit(tables[table], fmt, output, title=table)


__all__ = ["Path", "register"]
