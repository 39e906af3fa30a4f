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
            workers: Annotated[int, typer.Option(help="Server processes (one per core; each holds its own "
                                                 "Session, job threads and rate limits).", min=1, max=64)] = 1,
            workspace: WorkspaceOpt = None) -> None:
        """Run the workbench on the built-in data and the workspace. The first start makes an organisation 'main'
        and its 'admin' account: the password is $PINCHPOINT_ADMIN_PASSWORD, else generated and printed once."""
        start_web(host, port, Path(workspace) if workspace is not None else None, https_only=https_only,
                  workers=workers)


def start_web(host: str, port: int, workspace: Path | None, *, https_only: bool, workers: int = 1) -> None:
    """Build the workbench, make the first admin if there is no account yet, and serve it (``workers``
    processes: accounts, jobs and the audit trail are shared through the account store, the session-cookie key
    through the workspace folder or $PINCHPOINT_SECRET_KEY)."""
    import os

    from pinchpoint.errors import import_extra

    for module in ("fastapi", "jinja2", "argon2", "itsdangerous", "babel", "multipart"):
        import_extra(module, "web", "the workbench")
    uvicorn = import_extra("uvicorn", "web", "the workbench")
    from pinchpoint.web.app import HTTPS_ENV, WEB_WORKSPACE_ENV, create_web_app, ensure_first_admin, web_folder

    if workers == 1:
        app = create_web_app(workspace, https_only=https_only, warm=True)
        store = app.state.web.store
    else:  # made once here, before the workers start: the first admin and the cookie key
        from pinchpoint.accounts.store import DSN_ENV, AccountStore
        from pinchpoint.web.app import secret_key

        folder = web_folder(workspace)
        secret_key(folder)
        store = AccountStore(os.environ.get(DSN_ENV) or folder)
        os.environ[WEB_WORKSPACE_ENV] = str(folder.resolve())
        os.environ[HTTPS_ENV] = "1" if https_only else ""
    password = ensure_first_admin(store)
    if password is not None:
        typer.echo(f"first account: user 'admin', password {password} (shown once; change it or set "
                   "$PINCHPOINT_ADMIN_PASSWORD before the first start)", err=True)
    typer.echo(f"workbench on http://{host}:{port}/" + (f" ({workers} processes)" if workers > 1 else ""),
               err=True)
    if workers == 1:
        uvicorn.run(app, host=host, port=port)
    else:
        uvicorn.run("pinchpoint.web.app:web_app_from_environment", factory=True, host=host, port=port,
                    workers=workers)
