"""The account rules as a ``Session`` authoriser, so the CLI, the API and the web obey the same rules.

``pinchpoint.session.Session(actor=..., authorizer=session_authorizer(store))`` calls the authoriser with the
session's actor, an action named ``"<domain>.<verb>"`` (``"supplychain.analyse"``, ``"stress.run"``) and a resource
``"<kind>:<key>"`` (``"dataset:eto"``, ``"lists:*"``). This module maps those onto
:func:`pinchpoint.accounts.policy.authorize`: the verb to one of its actions, the kind to a resource kind, and the
resource to what the store records (its owner, visibility and shares), or common data when nobody registered it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from pinchpoint.accounts.model import Actor, Role
from pinchpoint.accounts.policy import AccessDenied, authorize
from pinchpoint.accounts.store import AccountStore

#: Who the current request acts for, set by the web server around each request: a server holds one Session for
#: every user (its caches are shared), so the authoriser asks this first and the session's own actor second.
CURRENT_ACTOR: ContextVar[Actor | None] = ContextVar("pinchpoint_current_actor", default=None)

#: Session verbs by the account action they need; a verb not listed needs "run" (an analyst).
VERBS: dict[str, str] = {
    **dict.fromkeys(("read", "list", "lists", "show", "search", "scenario", "scenarios", "datasets", "headline",
                     "versions", "entry", "crosswalk", "diff", "quality"), "read"),
    **dict.fromkeys(("analyse", "analyze", "run", "screen", "query", "growth", "dependence", "circumvention"),
                    "run"),
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


def session_authorizer(store: AccountStore) -> Callable[[Any, str, str], None]:
    """An authoriser for ``Session``: raises :class:`~pinchpoint.accounts.policy.AccessDenied` naming the rule."""

    def check(actor: Any, action: str, resource: str) -> None:
        who = CURRENT_ACTOR.get() or account_actor(actor)
        kind, _, key = resource.partition(":")
        stored_kind = KINDS.get(kind)
        target = None
        if stored_kind is not None and key and key != "*":
            target = store.resource_or_common(stored_kind, key)
        try:
            authorize(who, action_of(action), target)
        except AccessDenied as exc:
            store.audit(who, "access_denied", resource[:200], {"action": action, "reason": exc.reason})
            raise _as_session_error(exc) from None

    return check


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
    return error
