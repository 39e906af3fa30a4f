"""The FastAPI application. Each domain contributes one router module under ``pinchpoint.api``.

Hostile input is normal input: request bodies are capped before they are read whole (413), and a malformed
request is answered 422 with where and what is wrong, never with the input itself (a 50 MB body must not come back
as a 50 MB error), nor with a traceback. Errors the core raises are mapped in one handler (``error_status``):
not found 404, bad argument or data 422, missing extra 501, nothing loaded in the workspace 503, each answered
``{"error": kind, "message": ..., "problems": [...]}``.
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import pinchpoint
from pinchpoint.errors import (
    BadArgumentError,
    MissingExtraError,
    NotFoundError,
    PinchpointError,
    WorkspaceError,
    validation_message,
)

if TYPE_CHECKING:
    from pinchpoint.session import Session

# Modules under pinchpoint.api that define ``router`` (a fastapi.APIRouter). Domains append themselves here.
ROUTER_MODULES: list[str] = ["supplychain", "stress", "trade", "controls", "screening", "planning"]
ROUTER_MODULES.append("trends")  # monthly indicators (issue #19)
ROUTER_MODULES.append("sources")  # the source registry (GET /sources)

# 1,000 names of 500 characters, each character escaped in JSON (\uXXXX), fit in 3 MB
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_REPORTED_ERRORS = 20
WORKSPACE_ENV = "PINCHPOINT_API_WORKSPACE"  # the workspace of `serve --workers N`'s worker processes

log = logging.getLogger("pinchpoint.api")


class BodyLimit:
    """Answer 413 to a body over ``limit`` bytes: at once from its Content-Length, or as soon as a body sent
    without one (chunked) passes the limit, so an oversized body is never held whole in memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(self.limit, send)
            return
        received = 0
        over = answered = False

        async def limited_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def checked_send(message: Message) -> None:
            nonlocal answered
            if not over:
                await send(message)
            elif not answered:  # the route turned the aborted read into an error of its own: answer 413 instead
                answered = True
                await _too_large(self.limit, send)

        try:
            await self.app(scope, limited_receive, checked_send)
        except _TooLarge:
            if not answered:
                await _too_large(self.limit, send)


class _TooLarge(Exception):
    pass


class QueryText:
    """Answer 422 to a query string that, percent-decoded, is not UTF-8 text or holds a NUL byte: decoded leniently,
    ``q=%ff%fe`` would be searched as two U+FFFD characters and ``q=a%00b`` with a NUL in it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string") or b""
        if scope["type"] == "http" and b"%" in query:
            from urllib.parse import unquote_to_bytes

            raw = unquote_to_bytes(query)
            problem = ""
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"the query string is not UTF-8 text (decoded byte {exc.start:,} is {raw[exc.start]:#04x})"
            if not problem and b"\x00" in raw:
                problem = "the query string holds a NUL byte"
            if problem:
                body = json.dumps(error_body(BadArgumentError(problem))).encode()
                await send({"type": "http.response.start", "status": 422, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def _too_large(limit: int, send: Send) -> None:
    body = json.dumps({"detail": f"request body over {limit:,} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic's errors without what was sent: where (``loc``), what (``msg``, ``type``), at most 20 of them."""
    out = []
    for error in list(errors)[:MAX_REPORTED_ERRORS]:
        out.append({"loc": [part if isinstance(part, int) else str(part)[:100] for part in error.get("loc", ())],
                    "msg": validation_message(error)[:300], "type": str(error.get("type", ""))[:100]})
    return out


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(status_code=422, content={"detail": validation_errors(errors)})


# What the API adds to a core error about something missing from its workspace: how an operator adds it on the
# server (the core never names a command)
HINTS: dict[str, str] = {
    "control lists": "load them on the server: pinchpoint controls load PATH...",
    "restricted-party lists": "load them on the server: pinchpoint lists load PATH...",
    "trade data": "import some on the server: pinchpoint trade import FORMAT PATH...",
    "datasets": "import one on the server: pinchpoint data import PATH",
    "sign-in": "this server was started without --web; serve the API with sign-in: pinchpoint serve --web (or "
               "pinchpoint web), then send a signed-in session or an API key",
}


def error_message(exc: PinchpointError) -> str:
    """The error's message with the API's hint for what is missing, if any."""
    hint = HINTS.get(getattr(exc, "what", ""))
    message = str(exc)
    return f"{message} ({hint})" if hint and hint not in message else message


def error_status(exc: PinchpointError) -> int:
    """The one place the API maps core errors to HTTP statuses."""
    from pinchpoint.session import AccessDenied

    if isinstance(exc, AccessDenied) or type(exc).__name__ == "AccessDenied":  # the session's or the accounts'
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, MissingExtraError):
        return 501
    if isinstance(exc, WorkspaceError):
        return 503  # nothing loaded yet (no lists, no trade data): the service is not ready for this request
    return 422  # bad argument, bad data, any other user error


def error_body(exc: PinchpointError) -> dict[str, Any]:
    """``{"error": kind, "message": ..., "problems": [...]}``, plus ``suggestions`` for an unknown id."""
    body: dict[str, Any] = {"error": exc.kind, "message": error_message(exc)[:2000],
                            "problems": [p.to_dict() for p in exc.problems[:MAX_REPORTED_ERRORS]]}
    if isinstance(exc, NotFoundError):
        body["suggestions"] = exc.suggestions
    if isinstance(exc, MissingExtraError):
        body["extra"] = exc.extra
    return body


async def _pinchpoint_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, PinchpointError):  # pragma: no cover - registered for PinchpointError only
        return await _unexpected(request, exc)
    return JSONResponse(status_code=error_status(exc), content=error_body(exc))


async def _bad_argument(request: Request, exc: Exception) -> JSONResponse:
    """A ``ValueError`` or ``KeyError`` from the library: a bad argument (422), answered like one."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    return JSONResponse(status_code=422, content=error_body(BadArgumentError(str(message))))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # a bug, not the client's fault: logged with its traceback here, never sent to the client
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(status_code=500, content={"detail": f"internal error ({type(exc).__name__})"})


def create_app(workspace: Path | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               session: Session | None = None) -> FastAPI:
    """Build the app around one :class:`~pinchpoint.session.Session` (``session``, or one over ``workspace``,
    default the user's) that answers every request: lists, screener, control index and chains are built once per
    version, not per request. The session reads no caller-named local files and warms its indexes; without one
    given, it is :func:`unauthenticated_session`'s."""

    app = FastAPI(title="pinchpoint", version=pinchpoint.__version__,
                  description="Economic-security analysis of critical-technology supply chains.")
    app.state.session = session or unauthenticated_session(workspace)
    app.state.workspace = workspace
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(PinchpointError, _pinchpoint_error)
    for kind in (ValueError, KeyError):  # what library functions below the session still raise for bad arguments
        app.add_exception_handler(kind, _bad_argument)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(QueryText)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(f"pinchpoint.api.{name}").router)
    return app


def unauthenticated_session(workspace: Path | None) -> Session:
    """The Session of an API served without sign-in (``pinchpoint serve`` without ``--web``). Over a local,
    single-user workspace it may do everything, as the CLI may. Over a workspace with accounts (one that serves a
    workbench) every request is the anonymous actor under the account rules: it reads and runs analyses on common
    and public data only, and changes nothing (403 naming what to do: a review decision posted here would be
    nobody's yet silence every organisation's alert); the refusals go to the audit trail."""
    from pinchpoint.accounts.hook import account_store_location
    from pinchpoint.session import Session

    location = account_store_location(workspace)
    if location is None:
        return Session(workspace, local_files=False, warm=True)
    from pinchpoint.accounts.hook import session_authorizer
    from pinchpoint.accounts.model import Actor
    from pinchpoint.accounts.store import AccountStore

    authorizer = session_authorizer(AccountStore(location), unauthenticated=Actor.anonymous())
    return Session(workspace, local_files=False, warm=True, authorizer=authorizer)


def app_from_environment() -> FastAPI:
    """The app each worker process of ``pinchpoint serve --workers N`` builds (the workspace from
    ``PINCHPOINT_API_WORKSPACE``, else the user's)."""
    import os

    workspace = os.environ.get(WORKSPACE_ENV)
    return create_app(Path(workspace) if workspace else None)
