"""CLI commands for planning (issue #18): ``plan``. Module level imports only Typer (fast --help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import (
    DatasetOpt,
    FormatOpt,
    OutputOpt,
    WorkspaceOpt,
    friendly_errors,
    open_workspace,
    session,
    with_command,
)

PLAN_TABLES = ("frontier", "portfolio", "effects", "excluded", "countries")


def register(app: typer.Typer) -> None:
    """Add ``plan``, ``incentives``, ``projects`` and ``projection`` to the main app."""
    register_registry(app)

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
        table: Annotated[str, typer.Option(help="With --format or --output: frontier, portfolio, effects, "
                                           "excluded or countries.")] = "portfolio",
        report: Annotated[Path | None, typer.Option(help="Also write an HTML report (frontier, before/after map, "
                                                    "the pipeline's projected capacity) and its CSVs to this "
                                                    "folder.")] = None,
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
        if report is not None:
            from pinchpoint.cli.output import command_line
            from pinchpoint.planning.projects import DelayModel, load_projects, projection
            from pinchpoint.planning.report import write_plan_report

            projected = projection(load_projects(), {}, list(range(2025, 2035)), model=DelayModel.default(),
                                   draws=1000)
            written = write_plan_report(result, report, projection=projected, command=command_line())
            typer.echo(f"report: {written}", err=True)
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
        from dataclasses import replace

        from pinchpoint.cli.output import emit
        from pinchpoint.planning.registry import (
            awards_table,
            compare_registries,
            load_registry,
            read_awards,
            write_awards,
        )

        registry = load_registry(awards)
        if versions or stored is not None:
            from pinchpoint.planning.store import stored_awards, stored_versions

            with open_workspace(workspace) as ws:
                if versions:
                    emit(with_command(stored_versions(ws)), fmt, output, title="Stored award versions")
                    return
                key, _, label = (stored or "").partition("@")
                registry = replace(registry, awards=stored_awards(ws, registry, key, label or None),
                                   origin=f"workspace {key}@{label or 'latest'}")
        day = _date_option(since, "--since")
        if compare is not None:
            theirs = read_awards(compare, programmes=[p.id for p in registry.programmes],
                                 projects=registry.project_ids)
            emit(with_command(compare_registries(registry, theirs, partner=compare.name)), fmt, output,
                 title=f"Awards in {compare.name} against ours")
            return
        table = with_command(awards_table(registry, country=country, programme=programme, stage=stage, since=day))
        if store is not None:
            from pinchpoint.planning.store import store_awards

            chosen = {r["award_id"] for r in table.rows}
            with open_workspace(workspace) as ws:
                version = store_awards(ws, [a for a in registry.awards if a.id in chosen], key=store,
                                       source=str(awards) if awards else "builtin")
            state = "stored" if version.created else "already stored (unchanged)"
            typer.echo(f"{state}: {len(chosen)} awards as {store}@{version.version}", err=True)
            return
        if export is not None:
            chosen = {r["award_id"] for r in table.rows}
            written = write_awards([a for a in registry.awards if a.id in chosen], export)
            typer.echo(f"wrote {len(chosen)} awards to {written}", err=True)
            return
        emit(table, fmt, output, title="Support-measure awards",
             columns=["award_id", "recipient", "country", "amount", "currency", "amount_usd_m", "stage", "final"])

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
        from pinchpoint.planning.projects import atlas_check, load_projects, projects_table

        items = load_projects(file)
        if atlas is not None:
            emit(with_command(atlas_check(items, atlas)), fmt, output, title="Projects against the fab atlas")
            return
        emit(with_command(projects_table(items, country=country, status=status)), fmt, output, title="Projects",
             columns=["project_id", "operator", "country", "node_class", "capacity_wspm", "status", "start"])

    @app.command("projection")
    @friendly_errors
    def projection_command(
        file: Annotated[Path | None, typer.Option("--projects", help="Projects file (default: built-in).")] = None,
        baseline: Annotated[Path | None, typer.Option(help="Baseline capacity CSV: country,node_class,"
                                                      "capacity_wspm,source.")] = None,
        first: Annotated[int, typer.Option("--from", help="First year.")] = 2025,
        last: Annotated[int, typer.Option("--to", help="Last year.")] = 2034,
        draws: Annotated[int, typer.Option(help="Monte Carlo draws.", min=1, max=1_000_000)] = 1000,
        seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bands.", min=0)] = 0,
        delays: Annotated[str, typer.Option(help="'default' (illustrative assumptions, see the caveats) or "
                                            "'none' (the deterministic sum).")] = "default",
        targets: Annotated[bool, typer.Option("--targets", help="Show the national targets (Japan 2030 sales, EU "
                                              "20% share) with the cited level and the gap instead.")] = False,
        fmt: FormatOpt = None, output: OutputOpt = None,
    ) -> None:
        """Capacity and shares by country, node class and year: baseline plus pipeline, with delay bands."""
        from pinchpoint.cli.output import emit
        from pinchpoint.errors import BadArgumentError
        from pinchpoint.planning.projects import DelayModel, load_projects, projection, read_baseline, targets_table

        if targets:
            emit(with_command(targets_table()), fmt, output, title="National targets and the gap to them",
                 columns=["target_id", "country", "year", "unit", "target", "level", "level_year", "gap"])
            return

        if last < first:
            raise BadArgumentError(f"--to ({last}) is before --from ({first})", parameter="to")
        models = {"default": DelayModel.default, "none": DelayModel.none}
        if delays not in models:
            raise BadArgumentError(f"--delays must be 'default' or 'none', not {delays!r}", parameter="delays")
        base, source = read_baseline(baseline) if baseline is not None else ({}, "")
        table = projection(load_projects(file), base, list(range(first, last + 1)), model=models[delays](),
                           draws=draws, seed=seed, baseline_source=source)
        emit(with_command(table), fmt, output, title="Projected capacity (300 mm-equivalent wafer starts a month)",
             columns=["country", "node_class", "year", "capacity_deterministic", "capacity_mean", "capacity_low",
                      "capacity_high", "share_mean"])


def _date_option(text: str | None, option: str) -> Any:
    import datetime as dt

    from pinchpoint.errors import BadArgumentError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadArgumentError(f"{option} must be a date YYYY-MM-DD, not {text!r}", parameter=option) from None
