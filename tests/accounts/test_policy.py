"""Organisations, roles and sharing, at library level (the rules every interface obeys)."""

from __future__ import annotations

import pytest

from pinchpoint.accounts.model import Visibility
from pinchpoint.accounts.policy import AccessDenied, authorize
from pinchpoint.accounts.store import AccountStore
from tests.accounts.conftest import actor


def test_org_a_cannot_see_b_private_dataset_then_reads_it_after_b_shares(store: AccountStore) -> None:
    b_analyst, b_admin = actor(store, "commerce-analyst"), actor(store, "commerce-admin")
    a_analyst = actor(store, "meti-analyst")
    store.check(b_analyst, "upload")
    store.register(b_analyst, "dataset", "fabs-2025")

    with pytest.raises(AccessDenied, match="private to another organisation"):
        store.check(a_analyst, "read", "dataset", "fabs-2025")
    assert [r.key for r in store.visible(a_analyst, "dataset")] == []

    shared = store.share(b_admin, "dataset", "fabs-2025", ["meti"])
    assert shared.visibility is Visibility.SHARED
    store.check(a_analyst, "read", "dataset", "fabs-2025")  # no error now
    store.check(a_analyst, "run", "dataset", "fabs-2025")  # analyses on it too
    assert [r.key for r in store.visible(a_analyst, "dataset")] == ["fabs-2025"]
    share = shared.shared_with("meti")
    assert share is not None and share.shared_by == "commerce-admin" and share.shared_at
    # read-only: the partner can neither change nor re-share it
    with pytest.raises(AccessDenied, match="belongs to commerce; partners see it read-only"):
        store.check(a_analyst, "modify", "dataset", "fabs-2025")
    with pytest.raises(AccessDenied, match="only its owners share it"):
        store.share(actor(store, "meti-admin"), "dataset", "fabs-2025", ["meti"])
    # the share and who made it are in the audit trail
    share_records = [r for r in store.audit_records() if r.action == "share"]
    assert [(r.actor, r.target, r.details_dict()) for r in share_records] == [
        ("commerce-admin", "dataset:fabs-2025", {"with": ["meti"]})]


def test_unshare_takes_read_access_away(store: AccountStore) -> None:
    owner = actor(store, "commerce-admin")
    store.register(owner, "scenario", "taiwan-variant")
    store.share(owner, "scenario", "taiwan-variant", ["meti"])
    store.unshare(owner, "scenario", "taiwan-variant", ["meti"])
    with pytest.raises(AccessDenied):
        store.check(actor(store, "meti-viewer"), "read", "scenario", "taiwan-variant")


def test_public_resource_is_read_by_everyone_and_changed_by_owner_only(store: AccountStore) -> None:
    owner = actor(store, "meti-admin")
    store.register(owner, "dataset", "open-data")
    store.set_visibility(owner, "dataset", "open-data", "public")
    store.check(actor(store, "commerce-viewer"), "read", "dataset", "open-data")
    with pytest.raises(AccessDenied):
        store.check(actor(store, "commerce-admin"), "delete", "dataset", "open-data")


def test_viewer_cannot_upload_run_or_review_and_the_refusal_is_audited(store: AccountStore) -> None:
    viewer = actor(store, "meti-viewer")
    for action in ("upload", "run", "review"):
        with pytest.raises(AccessDenied, match="viewers read"):
            store.check(viewer, action)
    denied = [r for r in store.audit_records() if r.action == "access_denied"]
    assert [r.details_dict()["action"] for r in denied] == ["upload", "run", "review"]
    store.check(viewer, "read", "dataset", "builtin")  # common data is readable


def test_only_admins_share_update_lists_and_manage_users(store: AccountStore) -> None:
    analyst = actor(store, "meti-analyst")
    store.register(analyst, "list", "meti-watchlist")
    for action in ("share", "update_lists", "manage_users"):
        with pytest.raises(AccessDenied, match="only admins"):
            authorize(analyst, action)
    with pytest.raises(AccessDenied):
        store.share(analyst, "list", "meti-watchlist", ["commerce"])
    authorize(actor(store, "meti-admin"), "update_lists")


def test_admin_manages_only_own_organisation(store: AccountStore) -> None:
    admin = actor(store, "meti-admin")
    store.set_role("meti-viewer", "analyst", by=admin)
    assert store.user("meti-viewer") is not None and store.user("meti-viewer").role.value == "analyst"  # type: ignore[union-attr]
    with pytest.raises(AccessDenied, match="belongs to commerce"):
        store.set_role("commerce-viewer", "admin", by=admin)
    with pytest.raises(AccessDenied, match="own organisation"):
        store.create_user("spy", "long enough password", "commerce", "admin", by=admin)
    change = [r for r in store.audit_records() if r.action == "role_change"]
    assert [(r.actor, r.target, r.details_dict()) for r in change] == [
        ("meti-admin", "user:meti-viewer", {"from": "viewer", "to": "analyst"})]


def test_a_name_taken_by_another_org_is_refused(store: AccountStore) -> None:
    store.register(actor(store, "meti-analyst"), "dataset", "fabs")
    with pytest.raises(AccessDenied, match="taken by meti"):
        store.register(actor(store, "commerce-analyst"), "dataset", "fabs")


def test_unknown_action_is_refused() -> None:
    from pinchpoint.accounts.model import Actor

    with pytest.raises(AccessDenied, match="unknown action"):
        authorize(Actor.system(), "launch")
