"""The account rules as a ``Session`` authoriser, so the CLI, the API and the web obey the same rules.

``pinchpoint.session.Session(actor=..., authorizer=session_authorizer(store))`` calls the authoriser with the
session's actor, an action named ``"<domain>.<verb>"`` (``"supplychain.analyse"``, ``"stress.run"``) and a resource
``"<kind>:<key>"`` (``"dataset:eto"``, ``"lists:*"``). This module maps those onto
:func:`pinchpoint.accounts.policy.authorize`: the verb to one of its actions, the kind to a resource kind, and the
resource to what the store records (its owner, visibility and shares), or common data when nobody registered it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from pinchpoint.accounts.model import Actor, Role
from pinchpoint.accounts.policy import UNAUTHENTICATED, AccessDenied, authorize
from pinchpoint.accounts.store import AccountStore

#: Who the current request acts for, set by the web server around each request: a server holds one Session for
#: every user (its caches are shared), so the authoriser asks this first and the session's own actor second.
CURRENT_ACTOR: ContextVar[Actor | None] = ContextVar("pinchpoint_current_actor", default=None)

#: Session verbs by the account action they need; a verb not listed needs "run" (an analyst). The standard
#: analyses of a dataset (concentration, chokepoints, exposure: deterministic views of its figures) are reading
#: it, so a viewer sees the overview; running a scenario, a screening or a trade query is work an analyst does.
VERBS: dict[str, str] = {
    **dict.fromkeys(("read", "list", "lists", "show", "search", "scenario", "scenarios", "datasets", "headline",
                     "versions", "entry", "crosswalk", "diff", "quality", "analyse", "analyze", "compare"), "read"),
    **dict.fromkeys(("run", "screen", "query", "growth", "dependence", "circumvention"), "run"),
    **dict.fromkeys(("import", "upload", "fetch", "batch"), "upload"),
    **dict.fromkeys(("load", "update", "lists_load"), "update_lists"),
    "review": "review", "export": "export", "share": "share", "delete": "delete", "modify": "modify",
}
#: Session resource kinds by the kind the account store records.
KINDS: dict[str, str] = {"dataset": "dataset", "scenario": "scenario", "list": "list", "lists": "list",
                         "trade": "trade_import", "trade_import": "trade_import", "job": "screening_job",
                         "screening_job": "screening_job", "stress_job": "stress_job", "review": "review"}


def account_actor(actor: Any) -> Actor:
    """An accounts ``Actor`` for a session's actor: one already, or (user, organisation, role); the local,
    all-powerful user of a CLI session (role 'owner', no organisation) is the system actor."""
    if isinstance(actor, Actor):
        return actor
    role = str(getattr(actor, "role", "owner"))
    org = getattr(actor, "organisation", None)
    if role == "owner" and not org:
        return Actor.system()
    return Actor(0, str(getattr(actor, "user", "?")), str(org or ""), Role(role), via="session")


def action_of(session_action: str) -> str:
    verb = session_action.rsplit(".", 1)[-1].lower()
    return VERBS.get(verb, "run")


class SessionAuthorizer:
    """The account rules as a ``Session`` authoriser: calling it raises
    :class:`~pinchpoint.accounts.policy.AccessDenied` naming the rule (and records the refusal in the audit trail);
    :meth:`permits` answers the same question quietly, for listings."""

    def __init__(self, store: AccountStore, unauthenticated: Actor | None = None) -> None:
        """``unauthenticated``: who a request with no signed-in actor is (an API served without sign-in over a
        workspace with accounts: :data:`~pinchpoint.accounts.model.Actor.anonymous`), instead of the session's own
        actor."""
        self.store = store
        self.unauthenticated = unauthenticated

    def _who(self, actor: Any) -> Actor:
        return CURRENT_ACTOR.get() or self.unauthenticated or account_actor(actor)

    def _decide(self, actor: Any, action: str, resource: str) -> tuple[Actor, Any]:
        who = self._who(actor)
        kind, _, key = resource.partition(":")
        stored_kind = KINDS.get(kind)
        target = None
        if stored_kind == "dataset":
            key = key.partition("@")[0]  # 'evil@', 'evil@2' are dataset 'evil': rules apply to what is named
        if stored_kind is not None and key and key != "*":
            target = self.store.resource_or_common(stored_kind, key)
        return who, target

    def __call__(self, actor: Any, action: str, resource: str) -> None:
        who, target = self._decide(actor, action, resource)
        try:
            authorize(who, action_of(action), target)
        except AccessDenied as exc:
            self.store.audit(who, "access_denied", resource[:200], {"action": action, "reason": exc.reason})
            raise _as_session_error(exc) from None

    def organisation(self, actor: Any) -> str:
        """The organisation the current request acts for (a server's one Session serves every user), else the
        session actor's; "" for the operator (whose review decisions every organisation sees)."""
        who = self._who(actor)
        return "" if who.via == "system" else who.org

    def account_user(self, actor: Any) -> str | None:
        """The user name of the account the current request acts for; None for the operator (the system actor),
        who may record under any name."""
        who = self._who(actor)
        return None if who.via == "system" else who.username

    def is_operator(self, actor: Any) -> bool:
        """Whether the current request acts for the operator (the system actor), who sees every organisation's
        review decisions and stored screenings."""
        return self._who(actor).via == "system"

    def permits(self, actor: Any, action: str, resource: str) -> bool:
        who, target = self._decide(actor, action, resource)
        try:
            authorize(who, action_of(action), target)
        except AccessDenied:
            return False
        return True


def session_authorizer(store: AccountStore, unauthenticated: Actor | None = None) -> SessionAuthorizer:
    """An authoriser for ``Session`` over the account store's rules and resources (``unauthenticated``: see
    :class:`SessionAuthorizer`)."""
    return SessionAuthorizer(store, unauthenticated)


def account_store_location(workspace: Any) -> str | None:
    """Where the account store of ``workspace`` (its folder or DuckDB file; None: ``$PINCHPOINT_HOME``) is, if it
    has one, i.e. the workspace serves a workbench: ``$PINCHPOINT_ACCOUNTS_DB`` if set, else its
    ``accounts.sqlite``; None for a local, single-user workspace."""
    import os
    from pathlib import Path

    from pinchpoint.accounts.store import DB_FILE, DSN_ENV
    from pinchpoint.workspace.store import default_workspace_path

    dsn = os.environ.get(DSN_ENV)
    if dsn:
        return dsn
    folder = Path(workspace).expanduser() if workspace is not None else default_workspace_path()
    if folder.suffix == ".duckdb":
        folder = folder.parent
    return str(folder / DB_FILE) if (folder / DB_FILE).exists() else None


def session_recorder(store: AccountStore) -> Callable[[Any, str, str, Mapping[str, Any], bool], None]:
    """A recorder for ``Session``: each event becomes an audit record (action = the event) of the request's actor,
    and a created resource (``"dataset:name"``) is registered as owned by the actor's organisation. The record of a
    creation is committed before the call returns; other records (screenings, exports, runs) go to the store's
    audit writer (:meth:`AccountStore.audit_later`), so a request does not wait for the disk."""

    def record(actor: Any, event: str, resource: str, details: Mapping[str, Any], created: bool) -> None:
        who = CURRENT_ACTOR.get() or account_actor(actor)
        if created:
            kind, _, key = resource.partition(":")
            stored_kind = KINDS.get(kind)
            if stored_kind is not None and key:
                store.register(who, stored_kind, key)
            store.audit(who, event, resource[:200], dict(details))
            return
        store.audit_later(who, event, resource[:200], dict(details))

    return record


def operator_recorder(workspace: Any) -> Callable[[Any, str, str, Mapping[str, Any], bool], None] | None:
    """A recorder for the operator's own Session (the CLI at the server's terminal) where ``workspace`` (its folder
    or DuckDB file; None: ``$PINCHPOINT_HOME``) has an account store, i.e. serves a workbench: what the operator
    does to the data users see (a review decision every organisation sees, a list load) goes into the same audit
    trail as the users' own actions, under the operator's system account and login name. None where there is no
    store: a local, single-user workspace keeps no trail."""
    import getpass

    location = account_store_location(workspace)
    if location is None:
        return None
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        login = "unknown"
    operator = Actor(0, f"system ({login[:60]})", "local", Role.ADMIN, via="system")

    def record(actor: Any, event: str, resource: str, details: Mapping[str, Any], created: bool) -> None:
        store = AccountStore(location)
        try:
            store.audit(operator, event, resource[:200], dict(details))  # committed before the command returns
        finally:
            store.close()

    return record


def _as_session_error(exc: AccessDenied) -> Exception:
    """The refusal as the Session's own AccessDenied where there is one, so every interface maps it alike (the
    API answers 403)."""
    import importlib

    try:
        session_error = getattr(importlib.import_module("pinchpoint.session"), "AccessDenied", None)
    except ImportError:
        return exc
    if session_error is None or isinstance(exc, session_error):
        return exc
    error: Exception = session_error(str(exc))
    if exc.reason == UNAUTHENTICATED:
        error.what = "sign-in"  # type: ignore[attr-defined]  # what the interface tells how to do (its hint)
    return error
