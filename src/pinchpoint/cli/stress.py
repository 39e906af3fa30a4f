"""CLI commands for stress tests (issue #3). Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import (
    FormatOpt,
    OutputOpt,
    WorkspaceOpt,
    command_line,
    friendly_errors,
    session,
    with_command,
)

scenarios_app = typer.Typer(no_args_is_help=True, help="Packaged stress-test scenarios.")


def register(app: typer.Typer) -> None:
    """Add ``stress`` and the ``scenarios`` group to the main app."""
    app.add_typer(scenarios_app, name="scenarios")

    @app.command("stress")
    @friendly_errors
    def stress(
        scenario: Annotated[str, typer.Argument(help="A scenario YAML file or a packaged scenario name.")],
        dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="Run on this dataset instead of the "
                                                    "scenario's.")] = None,
        engine: Annotated[str, typer.Option(help="static, tts, dynamic, or ario (an input-output table).")] = "dynamic",
        mrio: Annotated[str | None, typer.Option(help="ario engine: a pymrio text table folder (Z.txt, Y.txt) or "
                                                 "'pymrio:test' (needs pymrio, GPL, installed separately: "
                                                 "pip install pymrio).")] = None,
        runs: Annotated[int, typer.Option(help="Monte Carlo runs (dynamic engine); 1 = the central values.",
                                          min=1, max=100_000)] = 1,
        seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same result.")] = 0,
        workers: Annotated[int, typer.Option(help="Processes (or Dask batches) for Monte Carlo runs; the result is "
                                             "the same for any number.", min=1, max=1024)] = 1,
        scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786) to run the "
                                                      "Monte Carlo batches on a cluster.")] = None,
        target: Annotated[str | None, typer.Option(help="End product for the TTS/TTR analysis.")] = None,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
        report: Annotated[Path | None, typer.Option(help="Also write an HTML report to this folder.")] = None,
    ) -> None:
        """Stress-test a supply chain: which end products fall short, by how much, for how long."""
        from pinchpoint.cli.output import emit
        from pinchpoint.cli.progress import progress_bar

        with progress_bar(f"{scenario}: {engine}") as progress:
            run = session(workspace).stress.run(scenario, engine=engine, dataset=dataset, mrio=mrio, runs=runs,
                                                seed=seed, workers=workers, scheduler=scheduler, target=target,
                                                report=report, command=command_line(), progress=progress)
        if run.report is not None:
            typer.echo(f"report: {run.report}", err=True)
        emit(with_command(run.headline), fmt, output, columns=run.columns, title=run.title)

    @scenarios_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
        """The packaged scenarios."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.stress import SCENARIO_COLUMNS

        emit(session(None).stress.scenarios(), fmt, output, columns=SCENARIO_COLUMNS, title="Packaged scenarios")

    @scenarios_app.command("show")
    @friendly_errors
    def show(name: Annotated[str, typer.Argument(help="A packaged scenario name or a YAML file.")]) -> None:
        """Print a scenario's YAML (with its sources)."""
        typer.echo(session(None).stress.scenario_text(name))
