"""``pinchpoint`` commands. Each one parses options, calls the library and presents the result.

Heavy modules (NumPy, DuckDB, Pydantic) are imported inside the commands so ``--help`` is fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from pinchpoint.cli.common import (
    DatasetOpt,
    FormatOpt,
    LevelOpt,
    OutputOpt,
    WorkspaceOpt,
    YearOpt,
    command_line,
    friendly_errors,
    open_chain,
    open_workspace,
    with_command,
)
from pinchpoint.cli.output import OutputFormat

app = typer.Typer(
    name="pinchpoint", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Map, measure and stress-test critical-technology supply chains.",
)
data_app = typer.Typer(no_args_is_help=True, help="Import, list, validate and fetch datasets.")
app.add_typer(data_app, name="data")

def _level(value: str) -> Any:
    from pinchpoint.supplychain.model import Level

    aliases = {"organization": "organisation", "org": "organisation", "firm": "organisation"}
    try:
        return Level(aliases.get(value.lower(), value.lower()))
    except ValueError:
        raise ValueError(f"--level must be 'country' or 'organisation', not {value!r}") from None


# Analyses -------------------------------------------------------------------------------------
@app.command()
@friendly_errors
def concentration(
    dataset: DatasetOpt = "builtin", year: YearOpt = None, level: LevelOpt = "country",
    coalitions: Annotated[Path | None, typer.Option(help="YAML or CSV file of extra coalitions.")] = None,
    fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """HHI, CR1, CR3, top provider and coalition shares for every input."""
    from pinchpoint.analysis.coalitions import COALITIONS, load_coalitions
    from pinchpoint.analysis.concentration import concentration as run

    groups = dict(COALITIONS)
    if coalitions is not None:
        groups.update(load_coalitions(coalitions))
    table = with_command(run(open_chain(dataset, workspace), level=_level(level), year=year, coalitions=groups))
    from pinchpoint.cli.output import emit

    emit(table, fmt, output, columns=["input_id", "input_name", "year", "hhi", "cr1", "cr3", "top_provider",
                                      "top_share", "n_providers", "share_chip4", "share_concern"],
         title=f"Concentration ({table.meta['level']} level)")


@app.command()
@friendly_errors
def chokepoints(
    dataset: DatasetOpt = "builtin", year: YearOpt = None, level: LevelOpt = "country",
    threshold: Annotated[float, typer.Option(help="Minimum top-provider share, percent (SIA/BCG: 65).")] = 65.0,
    fmt: FormatOpt = None, output: OutputOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Inputs where one provider holds at least --threshold percent."""
    from pinchpoint.analysis.chokepoints import chokepoints as run
    from pinchpoint.cli.output import emit

    table = with_command(run(open_chain(dataset, workspace), threshold=threshold, level=_level(level), year=year))
    emit(table, fmt, output, columns=["input_id", "input_name", "kind", "top_provider", "top_share", "hhi", "feeds"],
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
    from pinchpoint.analysis.exposure import exposure as run
    from pinchpoint.analysis.exposure import import_exposure
    from pinchpoint.cli.output import emit

    chain = open_chain(dataset, workspace)
    lvl = _level(level)
    if country is not None:
        if lvl.value != "country" or target is not None:
            raise ValueError("--country gives a country's import side over every input it supplies; it takes no "
                             "--target and works at --level country")
        table = with_command(import_exposure(chain, country, year=year))
        emit(table, fmt, output, columns=["input_name", "own_share", "supplier", "dependence", "lost_share_of_world",
                                          "critical_inputs"],
             title=f"Import-side exposure of {table.meta['country']}: inputs it supplies, by foreign supplier")
        return
    table = with_command(run(chain, target=target, year=year, level=lvl))
    name = table.rows[0]["target_name"] if table.rows else target
    if lvl.value == "organisation":
        emit(table, fmt, output, columns=["organisation_name", "country", "dependence", "n_impaired_inputs",
                                          "critical_inputs"], title=f"Exposure of {name} by organisation")
        return
    emit(table, fmt, output, columns=["country", "dependence", "n_impaired_inputs", "critical_inputs"],
         title=f"Exposure of {name} by country")


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

    chain = open_chain(dataset, workspace)
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

    with open_workspace(workspace) as ws:
        table = ws.list_datasets()
    emit(table, fmt, output, columns=["name", "version", "format", "imported_at", "n_inputs", "n_provisions",
                                      "source_path"], title=f"Datasets in {table.meta['workspace']}")


@data_app.command("import")
@friendly_errors
def data_import(
    path: Annotated[Path, typer.Argument(help="ETO folder, native YAML file or native CSV folder.")],
    name: Annotated[str | None, typer.Option(help="Name to store it under (default: the dataset's own).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Validate a dataset and store it in the workspace (idempotent)."""
    from pinchpoint.supplychain.load import import_dataset

    with open_workspace(workspace) as ws:
        rec = import_dataset(ws, path, name=name)
        where = ws.path
    state = "imported" if rec.created else "already imported (unchanged)"
    typer.echo(f"{rec.name}@{rec.version}: {state}; {rec.n_inputs} inputs, {rec.n_provisions} provisions "
               f"({rec.format}) in {where}")


@data_app.command("validate")
@friendly_errors
def data_validate(
    path: Annotated[Path, typer.Argument(help="ETO folder, native YAML file or native CSV folder.")],
    fmt: FormatOpt = None, output: OutputOpt = None,
) -> None:
    """Check a dataset and report every data-quality finding with its count."""
    from pinchpoint.cli.output import emit
    from pinchpoint.results import ResultTable
    from pinchpoint.supplychain.load import load_path

    chain = load_path(path)
    rows = [{"code": f.code, "count": f.count, "message": f.message, "examples": list(f.examples)}
            for f in chain.findings]
    table = ResultTable.from_records("findings", rows, ["code", "count", "message", "examples"],
                                     meta={"dataset": chain.name, "path": str(path)})
    summary = (f"{path}: {len(chain.inputs)} inputs, {len(chain.providers)} providers, "
               f"{len(chain.provisions)} provisions, {len(chain.relations)} relations; "
               f"{len(rows)} kinds of finding")
    typer.echo(summary, err=fmt not in (None, OutputFormat.TABLE) or output is not None)
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
    from pinchpoint.supplychain.fetch import fetch_eto
    from pinchpoint.supplychain.load import import_dataset

    if source != "eto":
        raise ValueError(f"unknown source {source!r}; available: eto")
    with open_workspace(workspace) as ws:
        target = dest or ws.path.parent / "downloads" / "eto"
        folder = fetch_eto(target, from_dir=from_dir, progress=lambda m: typer.echo(m, err=True))
        rec = import_dataset(ws, folder, name="eto")
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
                                      "then needs a signed-in session or an API key (as `pinchpoint web`; one "
                                      "process).")] = False,
) -> None:
    """Run the HTTP API (FastAPI; OpenAPI schema at /docs). Needs the 'api' extra."""
    from pinchpoint.errors import import_extra

    uvicorn = import_extra("uvicorn", "api", "the HTTP API")
    import_extra("fastapi", "api", "the HTTP API")
    from pinchpoint.api.app import WORKSPACE_ENV, create_app

    if web:
        from pinchpoint.cli.web import start_web

        start_web(host, port, workspace, https_only=False)
        return

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
from pinchpoint.cli import stress as _stress  # noqa: E402
from pinchpoint.cli import trade as _trade  # noqa: E402
from pinchpoint.cli import trends as _trends  # noqa: E402
from pinchpoint.cli import web as _web  # noqa: E402

for _domain in (_stress, _screening, _trade, _controls, _planning, _accounts, _web, _trends):
    _domain.register(app)


def main() -> None:  # pragma: no cover - console-script entry point
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
