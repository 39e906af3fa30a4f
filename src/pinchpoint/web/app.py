"""The workbench app: the JSON API plus pages, sign-in, CSRF checks, security headers and rate limits."""

from __future__ import annotations

import json
import os
import secrets
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from pinchpoint.accounts.jobs import JobRunner
from pinchpoint.accounts.model import Actor
from pinchpoint.accounts.store import AccountStore
from pinchpoint.web.security import RateLimiter, SecurityHeaders, csrf_ok
from pinchpoint.web.state import WebState

SECRET_ENV = "PINCHPOINT_SECRET_KEY"
WEB_WORKSPACE_ENV = "PINCHPOINT_WEB_WORKSPACE"  # the workspace of `pinchpoint web --workers N`'s processes
HTTPS_ENV = "PINCHPOINT_WEB_HTTPS_ONLY"
ADMIN_PASSWORD_ENV = "PINCHPOINT_ADMIN_PASSWORD"
SESSION_COOKIE = "pinchpoint_session"
SESSION_HOURS = 8
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PUBLIC_PREFIXES = ("/login", "/static/", "/healthz")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AuthGate:
    """Every route but sign-in and static files needs an actor: a signed-in session or an API key
    (``Authorization: Bearer pp_...``). Unauthenticated page requests go to the sign-in page; anything else gets
    401. A state-changing request authenticated by the cookie must carry the CSRF token: forms in a hidden field
    (checked by the route), scripts in the ``X-CSRF-Token`` header (checked here)."""

    def __init__(self, app: ASGIApp, store: AccountStore, pages: list[Any] | None = None) -> None:
        self.app, self.store = app, store
        self.pages = pages or []  # the workbench's own routes: their forms are checked by the routes

    def _is_page(self, scope: Scope) -> bool:
        from starlette.routing import Match

        return any(route.matches(scope)[0] is Match.FULL for route in self.pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        actor: Actor | None = None
        by_cookie = False
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            actor = self.store.actor_for_key(auth[7:].strip())
        else:
            session = scope.get("session") or {}
            uid = session.get("uid")
            if isinstance(uid, int):
                found = self.store.session_user(uid)
                # a cookie of an older generation was revoked (sign-out, password change): signed, yet dead
                if found is not None and not found[0].disabled and session.get("gen", 0) == found[1]:
                    via = "oidc" if session.get("via") == "oidc" else "password"
                    actor, by_cookie = found[0].actor(via), True
        scope.setdefault("state", {})["actor"] = actor
        if actor is None and not path.startswith(PUBLIC_PREFIXES):
            await _refuse(scope, send, headers)
            return
        if actor is not None and scope["method"] not in SAFE_METHODS and not self._is_page(scope):
            # the JSON API: a state-changing call runs or uploads something, which viewers may not do
            from pinchpoint.accounts.policy import AccessDenied, authorize

            try:
                authorize(actor, "run")
            except AccessDenied as exc:
                self.store.audit(actor, "access_denied", path[:200], {"action": "run", "reason": exc.reason})
                await _json(send, 403, {"detail": str(exc)})
                return
        if by_cookie and scope["method"] not in SAFE_METHODS:
            content_type = headers.get("content-type", "")
            is_form = content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
            if not is_form and not csrf_ok(scope.get("session") or {}, headers.get("x-csrf-token")):
                await _json(send, 403, {"detail": "missing or wrong CSRF token (X-CSRF-Token header)"})
                return
        from pinchpoint.accounts.hook import CURRENT_ACTOR

        token = CURRENT_ACTOR.set(actor)  # the API's shared Session authorises as this request's actor
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT_ACTOR.reset(token)


async def _json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
                ) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": data})


async def _refuse(scope: Scope, send: Send, headers: dict[str, str]) -> None:
    wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "")
    if wants_page:
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", b"/login"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await _json(send, 401, {"detail": "sign in, or send an API key: Authorization: Bearer pp_..."},
                [(b"www-authenticate", b"Bearer")])


def secret_key(workspace: Path) -> str:
    """``$PINCHPOINT_SECRET_KEY``, else a random key kept in the workspace folder (mode 0600), so sessions
    survive a restart; several server processes must share one (set the variable)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    path = workspace / "web-secret.key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    workspace.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)
    return key


def ensure_first_admin(store: AccountStore, password: str | None = None, org: str = "main",
                       username: str = "admin") -> str | None:
    """With no account yet, make organisation ``org`` and its admin; return the password if it was generated
    (the caller prints it once), None if given (``$PINCHPOINT_ADMIN_PASSWORD``) or accounts exist already."""
    if store.users():
        return None
    given = password or os.environ.get(ADMIN_PASSWORD_ENV)
    chosen = given or secrets.token_urlsafe(12)
    if org not in {o.name for o in store.orgs()}:
        store.create_org(org, "Main organisation")
    store.create_user(username, chosen, org, "admin")
    return None if given else chosen


def create_web_app(workspace: Path | None = None, *, key: str | None = None, https_only: bool = False,
                   job_workers: int = 2, max_upload_bytes: int = MAX_UPLOAD_BYTES,
                   sign_in_per_minute: int = 10, screenings_per_minute: int = 600, forecasts_per_minute: int = 10,
                   warm: bool = False) -> FastAPI:
    """The API app with the workbench's pages; ``workspace`` is the folder holding the DuckDB workspace and the
    account store (default: ``$PINCHPOINT_HOME``). ``warm``: at start-up, load and analyse the common datasets and
    build the screening index in a background thread, so the first visitors do not wait for them."""
    from fastapi.staticfiles import StaticFiles
    from starlette.middleware.sessions import SessionMiddleware

    from pinchpoint.api.app import create_app
    from pinchpoint.web import oidc, pages

    folder = web_folder(workspace)
    from pinchpoint.accounts.store import DSN_ENV

    store = AccountStore(os.environ.get(DSN_ENV) or folder)  # PostgreSQL for a shared deployment
    from pinchpoint.accounts.hook import session_authorizer, session_recorder
    from pinchpoint.session import Session

    # one Session answers the API and the pages, as each request's actor: the account rules are its authoriser,
    # the audit trail its recorder, so every interface over it obeys and records alike
    session = Session(folder, local_files=False, warm=True, authorizer=session_authorizer(store),
                      recorder=session_recorder(store))
    app = create_app(folder, max_body_bytes=max_upload_bytes, session=session)
    app.state.web = WebState(session, store, folder, folder / "web-jobs", JobRunner(store, workers=job_workers),
                             RateLimiter(sign_in_per_minute, 60.0), RateLimiter(10 * sign_in_per_minute, 60.0),
                             RateLimiter(screenings_per_minute, 60.0), https_only,
                             forecast_limit=RateLimiter(forecasts_per_minute, 60.0))
    app.include_router(pages.router)
    app.include_router(oidc.router)
    app.mount("/static", StaticFiles(directory=str(files("pinchpoint.web") / "static")), name="static")
    app.add_middleware(AuthGate, store=store, pages=[*pages.router.routes, *oidc.router.routes])
    app.add_middleware(SessionMiddleware, secret_key=key or secret_key(folder), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=https_only)
    app.add_middleware(SecurityHeaders, hsts=https_only)
    if warm:
        _warm_in_background(app)  # starts now, while the server binds its port
    return app


def web_folder(workspace: Path | None) -> Path:
    """The folder holding the workspace and the account store (made if absent; default ``$PINCHPOINT_HOME``)."""
    from pinchpoint.workspace.store import default_workspace_path

    folder = Path(workspace).expanduser() if workspace is not None else default_workspace_path()
    if folder.suffix == ".duckdb":
        folder = folder.parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def web_app_from_environment() -> FastAPI:
    """The app each process of ``pinchpoint web --workers N`` builds (workspace and HTTPS setting from the
    environment the command set)."""
    workspace = os.environ.get(WEB_WORKSPACE_ENV)
    return create_web_app(Path(workspace) if workspace else None, https_only=bool(os.environ.get(HTTPS_ENV)),
                          warm=True)


def _warm_in_background(app: FastAPI) -> None:
    import logging
    import threading

    def run() -> None:
        from pinchpoint.accounts.hook import CURRENT_ACTOR
        from pinchpoint.errors import PinchpointError
        from pinchpoint.web import pages

        CURRENT_ACTOR.set(Actor.system())  # this thread's own context: the warm-up acts as the operator
        web = app.state.web
        for name in pages.common_datasets(web.session):
            try:
                pages.overview_tables(web, name)
            except PinchpointError as exc:
                logging.getLogger("pinchpoint.web").info("dataset %s not analysed at start-up: %s", name, exc)
        try:  # the screening index, as the first screening would build it
            web.session.screening.screener()
        except PinchpointError as exc:  # no lists loaded yet: the first screening says so
            logging.getLogger("pinchpoint.web").info("screening index not built at start-up: %s", exc)

    threading.Thread(target=run, name="pinchpoint-warm", daemon=True).start()
