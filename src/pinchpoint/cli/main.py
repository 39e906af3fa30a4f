"""``pinchpoint`` commands. Each one parses options, calls the library and presents the result.

Heavy modules (NumPy, DuckDB, Pydantic) are imported inside the commands so ``--help`` is fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import (
    DatasetOpt,
    FormatOpt,
    LevelOpt,
    OutputOpt,
    SourceOpt,
    WorkspaceOpt,
    YearOpt,
    command_line,
    friendly_errors,
    session,
    with_command,
)
from pinchpoint.cli.output import OutputFormat

app = typer.Typer(
    name="pinchpoint", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Map, measure and stress-test critical-technology supply chains.",
)
data_app = typer.Typer(no_args_is_help=True, help="Import, list, validate and fetch datasets.")
app.add_typer(data_app, name="data")

# Analyses -------------------------------------------------------------------------------------
@app.command()
@friendly_errors
def concentration(
    dataset: DatasetOpt = "builtin", year: YearOpt = None, level: LevelOpt = "country",
    coalitions: Annotated[Path | None, typer.Option(help="YAML or CSV file of extra coalitions.")] = None,
    fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """HHI, CR1, CR3, top provider and coalition shares for every input."""
    from pinchpoint.cli.output import emit
    from pinchpoint.session.supplychain import CONCENTRATION_COLUMNS

    table = session(workspace).supplychain.concentration(dataset, year=year, level=level, coalitions=coalitions)
    emit(with_command(table), fmt, output, columns=CONCENTRATION_COLUMNS,
         title=f"Concentration ({table.meta['level']} level)")


@app.command()
@friendly_errors
def chokepoints(
    dataset: DatasetOpt = "builtin", year: YearOpt = None, level: LevelOpt = "country",
    threshold: Annotated[float, typer.Option(help="Minimum top-provider share, percent (SIA/BCG: 65).")] = 65.0,
    fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Inputs where one provider holds at least --threshold percent."""
    from pinchpoint.cli.output import emit
    from pinchpoint.session.supplychain import CHOKEPOINT_COLUMNS

    table = session(workspace).supplychain.chokepoints(dataset, threshold=threshold, level=level, year=year)
    emit(with_command(table), fmt, output, columns=CHOKEPOINT_COLUMNS,
         title=f"Chokepoints (top share >= {threshold:g}%)")


@app.command()
@friendly_errors
def exposure(
    dataset: DatasetOpt = "builtin", year: YearOpt = None,
    target: Annotated[str | None, typer.Option(help="Input id or name (default: the dataset's output).")] = None,
    level: LevelOpt = "country",
    country: Annotated[str | None, typer.Option(help="Import side: what this country's own producers depend on "
                                                "from other countries (every input it supplies).")] = None,
    fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Multi-tier dependence of the target on each country (or organisation), or a country's import side."""
    from pinchpoint.cli.output import emit
    from pinchpoint.session.supplychain import exposure_view

    table = with_command(session(workspace).supplychain.exposure(dataset, target=target, year=year, level=level,
                                                                 country=country))
    columns, title = exposure_view(table, target)
    emit(table, fmt, output, columns=columns, title=title)


@app.command()
@friendly_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "--output", "-o", help="Folder for the HTML report.")]
    = Path("pinchpoint-demo"),
    dataset: DatasetOpt = "builtin", workspace: WorkspaceOpt = None,
) -> None:
    """Top chokepoints and the finished chip's exposure by country, plus an HTML report."""
    from pinchpoint.cli.output import print_table
    from pinchpoint.reports.demo import build_demo

    chain = session(workspace).supplychain.chain(dataset)
    result = build_demo(chain, out, command=command_line())
    print_table(result.chokepoints, ["input_name", "kind", "top_provider", "top_share", "hhi"],
                title=f"Top chokepoints in {chain.title} (one country >= 65%)", limit=15)
    print_table(result.exposure, ["country", "dependence", "n_impaired_inputs", "critical_inputs"],
                title=f"Exposure of {result.target_name} by country", limit=12)
    typer.echo(f"report: {result.report}")


# Data -----------------------------------------------------------------------------------------
@data_app.command("list")
@friendly_errors
def data_list(fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Datasets imported into the workspace, newest version first."""
    from pinchpoint.cli.output import emit
    from pinchpoint.session.supplychain import DATASET_COLUMNS

    table = session(workspace).supplychain.datasets()
    emit(table, fmt, output, columns=DATASET_COLUMNS, title=f"Datasets in {table.meta['workspace']}")


@data_app.command("import")
@friendly_errors
def data_import(
    path: Annotated[Path, typer.Argument(help="ETO folder, native YAML file or native CSV folder.")],
    name: Annotated[str | None, typer.Option(help="Name to store it under (default: the dataset's own).")] = None,
    source: SourceOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Validate a dataset and store it in the workspace (idempotent)."""
    current = session(workspace)
    rec = current.supplychain.import_dataset(path, name=name, source=source)
    state = "imported" if rec.created else "already imported (unchanged)"
    typer.echo(f"{rec.name}@{rec.version}: {state}; {rec.n_inputs} inputs, {rec.n_provisions} provisions "
               f"({rec.format}) in {current.db_path()}")


@data_app.command("validate")
@friendly_errors
def data_validate(
    path: Annotated[Path, typer.Argument(help="ETO folder, native YAML file or native CSV folder.")],
    source: SourceOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
) -> None:
    """Check a dataset and report every data-quality finding with its count."""
    from pinchpoint.cli.output import emit

    table = session(None).supplychain.validate(path, source=source)
    typer.echo(f"{path}: {table.meta['summary']}",
               err=fmt not in (None, OutputFormat.TABLE) or output is not None)
    emit(table, fmt, output, title="Data-quality findings")


@data_app.command("fetch")
@friendly_errors
def data_fetch(
    source: Annotated[str, typer.Argument(help="What to fetch: 'eto'.")],
    dest: Annotated[Path | None, typer.Option(help="Folder to save the files in.")] = None,
    from_dir: Annotated[Path | None, typer.Option("--from", help="Copy from a local folder instead of "
                                                  "downloading (offline use).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Download a public dataset (with the publisher's licence) and import it."""
    rec, folder = session(workspace).supplychain.fetch(source, dest, from_dir=from_dir,
                                                       say=lambda m: typer.echo(m, err=True))
    typer.echo(f"eto@{rec.version}: {rec.n_inputs} inputs, {rec.n_provisions} provisions in {folder} "
               "(CC BY-NC 4.0: Emerging Technology Observatory / CSET)")


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (each holds its own screening index).",
                                         min=1, max=64)] = 1,
    workspace: WorkspaceOpt = None,
    web: Annotated[bool, typer.Option("--web", help="Serve the workbench's pages too, with accounts: every route "
                                      "then needs a signed-in session or an API key (as `pinchpoint web`).")]
    = False,
) -> None:
    """Run the HTTP API (FastAPI; OpenAPI schema at /docs). Needs the 'api' extra."""
    from pinchpoint.errors import import_extra

    uvicorn = import_extra("uvicorn", "api", "the HTTP API")
    import_extra("fastapi", "api", "the HTTP API")
    from pinchpoint.api.app import WORKSPACE_ENV, create_app

    if web:
        from pinchpoint.cli.web import start_web

        start_web(host, port, workspace, https_only=False, workers=workers)
        return

    from pinchpoint.accounts.hook import account_store_location

    if account_store_location(workspace) is not None:
        typer.echo("note: this workspace has accounts (it serves a workbench): without --web nobody signs in, so "
                   "this API reads and runs on common data only and takes no changes (403); serve with --web for "
                   "sign-in (docs/api.md)", err=True)
    if workers == 1:
        uvicorn.run(create_app(workspace=workspace), host=host, port=port)
        return
    # worker processes build the app themselves, from an import string; the workspace goes by environment
    if workspace is not None:
        os.environ[WORKSPACE_ENV] = str(Path(workspace).expanduser().resolve())
    uvicorn.run("pinchpoint.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers)


# Other domains add their commands from their own CLI modules (each imports only Typer up front).
from pinchpoint.cli import accounts as _accounts  # noqa: E402
from pinchpoint.cli import controls as _controls  # noqa: E402
from pinchpoint.cli import planning as _planning  # noqa: E402
from pinchpoint.cli import screening as _screening  # noqa: E402
from pinchpoint.cli import sources as _sources  # noqa: E402
from pinchpoint.cli import stress as _stress  # noqa: E402
from pinchpoint.cli import trade as _trade  # noqa: E402
from pinchpoint.cli import trends as _trends  # noqa: E402
from pinchpoint.cli import web as _web  # noqa: E402

for _domain in (_stress, _screening, _trade, _controls, _planning, _accounts, _web, _trends, _sources):
    _domain.register(app)


def main() -> None:  # pragma: no cover - console-script entry point
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
