"""The account rules behind a Session's authorize hook (action 'domain.verb', resource 'kind:key')."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pinchpoint.accounts.hook import account_actor, action_of, session_authorizer
from pinchpoint.accounts.store import AccountStore
from pinchpoint.errors import PinchpointError
from tests.accounts.conftest import actor


@dataclass(frozen=True)
class SessionActor:  # the shape of pinchpoint.session.Actor
    user: str = "local"
    organisation: str | None = None
    role: str = "owner"


def test_verbs_map_to_account_actions() -> None:
    assert [action_of(a) for a in ("supplychain.analyse", "supplychain.read", "supplychain.import",
                                   "screening.load", "screening.review", "stress.run", "trends.something")] == [
        "read", "read", "upload", "update_lists", "review", "run", "run"]


def test_a_viewer_sees_analyses_but_runs_nothing(store: AccountStore) -> None:
    """The overview's analyses are reading a dataset; a stress run or a screening is an analyst's work."""
    check = session_authorizer(store)
    viewer = SessionActor("meti-viewer", "meti", "viewer")
    check(viewer, "supplychain.analyse", "dataset:builtin")
    for action, resource in (("stress.run", "scenario:renesas_naka_fire"), ("screening.screen", "lists:*"),
                             ("trade.query", "trade:*")):
        with pytest.raises(PinchpointError, match="viewers read"):
            check(viewer, action, resource)
    assert not check.permits(viewer, "stress.run", "scenario:x") and check.permits(viewer, "supplychain.read",
                                                                                   "dataset:builtin")


def test_session_hook_applies_ownership_and_sharing(store: AccountStore) -> None:
    check = session_authorizer(store)
    owner = actor(store, "commerce-analyst")
    store.register(owner, "dataset", "fabs")
    meti = SessionActor("meti-analyst", "meti", "analyst")
    with pytest.raises(PinchpointError, match="private to another organisation"):
        check(meti, "supplychain.analyse", "dataset:fabs")
    store.share(actor(store, "commerce-admin"), "dataset", "fabs", ["meti"])
    check(meti, "supplychain.analyse", "dataset:fabs")
    check(meti, "supplychain.analyse", "dataset:builtin")  # common data
    with pytest.raises(PinchpointError, match="viewers read"):
        check(SessionActor("meti-viewer", "meti", "viewer"), "supplychain.import", "dataset:new")
    check(SessionActor("meti-viewer", "meti", "viewer"), "supplychain.list", "datasets:*")
    with pytest.raises(PinchpointError, match="only admins"):
        check(meti, "screening.load", "lists:*")


def test_local_cli_user_is_the_system_actor() -> None:
    local = account_actor(SessionActor())
    assert (local.username, local.role.value, local.via) == ("system", "admin", "system")


def test_the_request_actor_overrides_the_session_actor(store: AccountStore) -> None:
    """A server holds one Session for every user: the authoriser checks the request's actor (CURRENT_ACTOR)."""
    from pinchpoint.accounts.hook import CURRENT_ACTOR

    check = session_authorizer(store)
    store.register(actor(store, "commerce-analyst"), "dataset", "fabs")
    check(SessionActor(), "supplychain.analyse", "dataset:fabs")  # the local owner may
    token = CURRENT_ACTOR.set(actor(store, "meti-analyst"))
    try:
        with pytest.raises(PinchpointError, match="meti-analyst"):
            check(SessionActor(), "supplychain.analyse", "dataset:fabs")
    finally:
        CURRENT_ACTOR.reset(token)
