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
    open_chain,
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
        from rich.console import Console
        from rich.progress import Progress

        from pinchpoint.cli.output import emit
        from pinchpoint.errors import PinchpointError
        from pinchpoint.stress.engines import run_dynamic, run_static, run_tts
        from pinchpoint.stress.network import StressNetwork
        from pinchpoint.stress.scenario import load_scenario

        sc = load_scenario(scenario)
        if target is not None and engine != "tts":
            raise ValueError(f"--target applies to --engine tts; the {engine} engine reports every end product "
                             "(give the scenario a 'target' to choose which one the TTS analysis takes by default)")
        if engine == "ario":
            from pinchpoint.stress.ario import load_table, run_ario, schedule

            if mrio is None:
                raise ValueError("--engine ario needs --mrio: a pymrio text table folder or 'pymrio:test'")
            io = load_table(mrio)
            plan = schedule(io, sc, sc.horizon_days)
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task(f"{sc.name}: ARIO, {len(io.regions)} industries", total=sc.horizon_days)
                ario = run_ario(io, plan, sc.ario,
                                progress=lambda done, total: bar.update(task, completed=done))
            emit(with_command(ario.summary()), fmt, output, title=f"{sc.title} (ARIO, {io.source})",
                 columns=["region", "sector", "production_lost", "lost_days_of_output", "lowest_output",
                          "lowest_day", "final_demand_unmet"])
            return
        if dataset is not None:
            chain = open_chain(dataset, workspace)
        else:
            try:
                chain = open_chain(sc.dataset_ref(), workspace)
            except PinchpointError as exc:
                raise sc.dataset_error(exc) from None
        net = StressNetwork.build(chain)
        if engine == "static":
            table = run_static(net, sc)
            columns = ["input_id", "input_name", "kind", "own_loss", "shortfall"]
        elif engine == "tts":
            table = run_tts(net, sc, target=target)
            columns = ["country", "input_name", "share", "tts_days", "ttr_days", "vulnerable", "lost_output_days",
                       "in_scenario"]
        elif engine == "dynamic":
            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task(f"{sc.name}: {runs} run(s)", total=sc.horizon_days)
                result = run_dynamic(net, sc, runs=runs, seed=seed, workers=workers, scheduler=scheduler,
                                     progress=lambda done, total: bar.update(task, completed=done))
            table = result.summary
            columns = ["input_id", "input_name", "peak_shortfall", "shortfall_days", "recovery_day"]
            if report is not None:
                from pinchpoint.stress.report import write_report

                written = write_report(result, sc, report, chain=net.compiled.chain, command=command_line())
                typer.echo(f"report: {written}", err=True)
        else:
            raise ValueError(f"--engine must be static, tts, dynamic or ario, not {engine!r}")
        emit(with_command(table), fmt, output, columns=columns, title=f"{sc.title} ({engine})")

    @scenarios_app.command("list")
    @friendly_errors
    def list_(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
        """The packaged scenarios."""
        from pinchpoint.cli.output import emit
        from pinchpoint.results import ResultTable
        from pinchpoint.stress.scenario import load_scenario, packaged_scenarios

        rows = []
        for name in packaged_scenarios():
            sc = load_scenario(name)
            rows.append({"name": sc.name, "title": sc.title, "dataset": sc.dataset, "horizon_days": sc.horizon_days,
                         "shocks": [s.type for s in sc.shocks], "sources": [s.id for s in sc.sources]})
        emit(ResultTable.from_records("scenarios", rows), fmt, output,
             columns=["name", "title", "dataset", "horizon_days", "shocks"], title="Packaged scenarios")

    @scenarios_app.command("show")
    @friendly_errors
    def show(name: Annotated[str, typer.Argument(help="A packaged scenario name or a YAML file.")]) -> None:
        """Print a scenario's YAML (with its sources)."""
        from pinchpoint.stress.scenario import load_scenario

        sc = load_scenario(name)
        typer.echo(Path(sc.origin).read_text(encoding="utf-8"))
