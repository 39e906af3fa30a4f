"""``pinchpoint web``: the workbench (pages and the JSON API, with accounts). Needs the 'web' extra."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinchpoint.cli.common import WorkspaceOpt, friendly_errors


def register(app: typer.Typer) -> None:
    @app.command("web")
    @friendly_errors
    def web(host: Annotated[str, typer.Option(help="Interface to listen on (behind a TLS reverse proxy: keep "
                                              "127.0.0.1).")] = "127.0.0.1",
            port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
            https_only: Annotated[bool, typer.Option("--https-only", help="Send the session cookie over HTTPS "
                                                     "only and add HSTS (set when a TLS proxy is in front).")]
            = False,
            workspace: WorkspaceOpt = None) -> None:
        """Run the workbench on the built-in data and the workspace. The first start makes an organisation 'main'
        and its 'admin' account: the password is $PINCHPOINT_ADMIN_PASSWORD, else generated and printed once."""
        start_web(host, port, Path(workspace) if workspace is not None else None, https_only=https_only)


def start_web(host: str, port: int, workspace: Path | None, *, https_only: bool) -> None:
    """Build the workbench, make the first admin if there is no account yet, and serve it."""
    from pinchpoint.errors import import_extra

    for module in ("fastapi", "jinja2", "argon2", "itsdangerous", "babel", "multipart"):
        import_extra(module, "web", "the workbench")
    uvicorn = import_extra("uvicorn", "web", "the workbench")
    from pinchpoint.web.app import create_web_app, ensure_first_admin

    app = create_web_app(workspace, https_only=https_only, warm=True)
    password = ensure_first_admin(app.state.web.store)
    if password is not None:
        typer.echo(f"first account: user 'admin', password {password} (shown once; change it or set "
                   "$PINCHPOINT_ADMIN_PASSWORD before the first start)", err=True)
    typer.echo(f"workbench on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port)
