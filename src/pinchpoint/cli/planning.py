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


def register(app: typer.Typer) -> None:
    """Add ``plan``, ``incentives``, ``projects`` and ``projection`` to the main app."""
    register_registry(app)

    @app.command("plan")
    @friendly_errors
    def plan_command(
        measures: Annotated[str, typer.Option("--measures", "-m", help="Candidate measures: a CSV, YAML or JSON "
                                              "file, or 'example' (illustrative, for the built-in dataset).")],
        budget: Annotated[float, typer.Option(help="USD million that may be spent in any one year (0 to "
                                              "1,000,000).")],
        dataset: DatasetOpt = "builtin",
        objective: Annotated[str, typer.Option(help="max_share, tts or shortfall.")] = "max_share",
        horizon: Annotated[float, typer.Option(help="Years within which measures must be ready (up to 50).")
                           ] = 5.0,
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
        table: Annotated[str, typer.Option(help="With --format or --output: frontier, portfolio, effects, "
                                           "excluded or countries.")] = "portfolio",
        report: Annotated[Path | None, typer.Option(help="Also write an HTML report (frontier, before/after map, "
                                                    "the pipeline's projected capacity) and its CSVs to this "
                                                    "folder.")] = None,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Choose the support measures that most reduce a concentration risk for a budget, with the frontier."""
        from pinchpoint.cli.output import OutputFormat, emit
        from pinchpoint.session.plan import FRONTIER_COLUMNS, PORTFOLIO_COLUMNS

        group = session(workspace).plan
        result = group.plan(measures, budget=budget, dataset=dataset, objective=objective, horizon_years=horizon,
                            coalition=coalition, scenarios=scenario or [], inputs=inputs or None, target=target,
                            budgets=budgets, time_limit=time_limit, table=table)
        chosen = with_command(result.table(table))
        if report is not None:
            from pinchpoint.cli.output import command_line

            typer.echo(f"report: {group.report(result, report, command=command_line())}", err=True)
        if fmt in (None, OutputFormat.TABLE) and output is None:
            emit(with_command(result.frontier), fmt, None, title=f"Risk ({objective}) against budget",
                 columns=FRONTIER_COLUMNS)
            emit(with_command(result.portfolio), fmt, None, title=f"Measures chosen at USD {budget:g} m a year",
                 columns=PORTFOLIO_COLUMNS)
            emit(with_command(result.effects), fmt, None, title="Risk before and after")
            if len(result.excluded):
                emit(with_command(result.excluded), fmt, None, title="Candidates left out")
            return
        emit(chosen, fmt, output, title=table)


def register_registry(app: typer.Typer) -> None:
    """Add ``incentives``, ``projects`` and ``projection`` to the main app."""

    @app.command("incentives")
    @friendly_errors
    def incentives(
        awards: Annotated[Path | None, typer.Option(help="Awards file (YAML, JSON or CSV) instead of the built-in "
                                                    "registry; checked whole against the built-in programmes and "
                                                    "projects.")] = None,
        country: Annotated[str | None, typer.Option(help="Only awards in this country (ISO3).")] = None,
        programme: Annotated[str | None, typer.Option(help="Only this programme id.")] = None,
        stage: Annotated[str | None, typer.Option(help="preliminary, final, disbursed, amended or withdrawn.")] = None,
        since: Annotated[str | None, typer.Option(help="Only awards changed on or after this date (YYYY-MM-DD).")
                         ] = None,
        export: Annotated[Path | None, typer.Option(help="Write the selected awards, with every field and source, "
                                                    "to this .yaml, .json or .csv file (to share).")] = None,
        compare: Annotated[Path | None, typer.Option(help="A partner's awards file: report new, same and "
                                                     "conflicting awards; nothing is overwritten.")] = None,
        store: Annotated[str | None, typer.Option(help="Store the selected awards in the workspace as a new "
                                                  "version under this key (e.g. 'registry' or a partner's name).")
                         ] = None,
        stored: Annotated[str | None, typer.Option(help="Use the awards stored in the workspace under this key "
                                                   "(KEY or KEY@VERSION) instead of a file.")] = None,
        versions: Annotated[bool, typer.Option("--versions", help="List the award versions stored in the "
                                               "workspace.")] = False,
        fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
    ) -> None:
        """Support-measure awards (CHIPS Act, Japan's funds, EU State aid), each figure with its source."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.plan import AWARD_COLUMNS

        group = session(workspace).plan
        if versions:
            emit(with_command(group.award_versions()), fmt, output, title="Stored award versions")
            return
        if compare is not None:
            emit(with_command(group.compare_awards(compare, awards=awards, stored=stored)), fmt, output,
                 title=f"Awards in {compare.name} against ours")
            return
        filters = {"awards": awards, "stored": stored, "country": country, "programme": programme, "stage": stage,
                   "since": since}
        if store is not None:
            done = group.store_awards(store, **filters)
            state = "stored" if done.created else "already stored (unchanged)"
            typer.echo(f"{state}: {done.awards} awards as {done.key}@{done.version}", err=True)
            return
        if export is not None:
            written, count = group.export_awards(export, **filters)
            typer.echo(f"wrote {count} awards to {written}", err=True)
            return
        emit(with_command(group.incentives(**filters)), fmt, output, title="Support-measure awards",
             columns=AWARD_COLUMNS)

    @app.command("projects")
    @friendly_errors
    def projects(
        file: Annotated[Path | None, typer.Option("--projects", help="Projects file (YAML, JSON or CSV) instead of "
                                                  "the built-in pipeline.")] = None,
        country: Annotated[str | None, typer.Option(help="Only projects in this country (ISO3).")] = None,
        status: Annotated[str | None, typer.Option(help="announced, under_construction, ramping, operating, "
                                                   "delayed or cancelled.")] = None,
        atlas: Annotated[Path | None, typer.Option(help="atlas-campuses.csv of the AI chip fab atlas: compare "
                                                   "statuses with the linked campuses.")] = None,
        fmt: FormatOpt = None, output: OutputOpt = None,
    ) -> None:
        """The capacity pipeline: fab and plant projects with cited capacity, status and start."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.plan import PROJECT_COLUMNS

        group = session(None).plan
        if atlas is not None:
            emit(with_command(group.atlas_check(atlas, file=file)), fmt, output, title="Projects against the fab atlas")
            return
        emit(with_command(group.projects(file=file, country=country, status=status)), fmt, output, title="Projects",
             columns=PROJECT_COLUMNS)

    @app.command("projection")
    @friendly_errors
    def projection_command(
        file: Annotated[Path | None, typer.Option("--projects", help="Projects file (default: built-in).")] = None,
        baseline: Annotated[str | None, typer.Option(help="Capacity baseline: 'builtin' (default: SEMI's capacity "
                                                     "by region, each figure's basis stated), 'none' (the "
                                                     "pipeline's additions only, no shares) or a file (YAML or "
                                                     "JSON like the built-in one; CSV country,node_class,"
                                                     "capacity_wspm,source[,year]).")] = None,
        first: Annotated[int | None, typer.Option("--from", help="First year [default: 2025].")] = None,
        last: Annotated[int | None, typer.Option("--to", help="Last year [default: 2034].")] = None,
        draws: Annotated[int | None, typer.Option(help="Monte Carlo draws [default: 1000].", min=1,
                                                  max=1_000_000)] = None,
        seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bands.", min=0)] = 0,
        delays: Annotated[str, typer.Option(help="'default' (illustrative assumptions, see the caveats) or "
                                            "'none' (the deterministic sum).")] = "default",
        targets: Annotated[bool, typer.Option("--targets", help="Show the national targets (Japan 2030 sales, EU "
                                              "20% share) with the cited level and the gap instead.")] = False,
        country: Annotated[str | None, typer.Option(help="Only the rows of the region this country counts in "
                                                    "(DEU -> EUR).")] = None,
        fmt: FormatOpt = None, output: OutputOpt = None,
    ) -> None:
        """Capacity and shares by country, node class and year: baseline plus pipeline, with delay bands."""
        from pinchpoint.cli.output import emit
        from pinchpoint.session.plan import PROJECTION_COLUMNS, TARGET_COLUMNS

        group = session(None).plan
        if targets:
            emit(with_command(group.targets()), fmt, output, title="National targets and the gap to them",
                 columns=TARGET_COLUMNS)
            return
        table = group.projection(file=file, baseline=baseline, first=first, last=last, draws=draws, seed=seed,
                                 delays=delays, country=country)  # None: the session's default
        emit(with_command(table), fmt, output, title="Projected capacity (300 mm-equivalent wafer starts a month)",
             columns=PROJECTION_COLUMNS)
