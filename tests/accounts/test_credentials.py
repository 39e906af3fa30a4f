from __future__ import annotations

import pytest

from pinchpoint.accounts.store import AccountStore
from pinchpoint.errors import PinchpointError
from tests.accounts.conftest import PASSWORD, actor


def test_password_is_stored_as_argon2id_and_checked(store: AccountStore) -> None:
    row = store._read("SELECT password_hash FROM users WHERE username = 'meti-admin'")[0]
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]
    signed_in = store.authenticate("meti-admin", PASSWORD, source="test")
    assert signed_in is not None and signed_in.org == "meti" and signed_in.role.value == "admin"
    assert store.authenticate("meti-admin", PASSWORD + "x") is None
    assert store.authenticate("nobody", PASSWORD) is None
    actions = [(r.actor, r.action) for r in store.audit_records() if r.action.startswith("sign_in")]
    assert actions == [("meti-admin", "sign_in"), ("meti-admin", "sign_in_failed"), ("nobody", "sign_in_failed")]


def test_short_password_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = AccountStore(tmp_path)
    s.create_org("x")
    with pytest.raises(PinchpointError, match="at least 10 characters"):
        s.create_user("u", "short", "x")


def test_api_key_is_stored_as_digest_works_and_can_be_revoked(store: AccountStore) -> None:
    analyst = actor(store, "meti-analyst")
    key = store.create_api_key(analyst, "nightly screening")
    stored = [(r["key_id"], r["digest"]) for r in store._read("SELECT key_id, digest FROM api_keys")]
    assert len(stored) == 1 and key.split("_", 2)[2] not in stored[0][1]
    via_key = store.actor_for_key(key)
    assert via_key is not None and via_key.username == "meti-analyst" and via_key.via == "api_key"
    assert store.actor_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.actor_for_key("pp_nothing") is None
    store.revoke_api_key(stored[0][0], analyst)
    assert store.actor_for_key(key) is None


def test_unknown_org_names_the_known_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = AccountStore(tmp_path)
    s.create_org("meti")
    with pytest.raises(PinchpointError, match=r"unknown organisation 'metti' \(known: meti\)"):
        s.create_user("u", "long enough password", "metti")


def test_password_change_by_self_or_own_admin_only(store: AccountStore) -> None:
    from pinchpoint.accounts.policy import AccessDenied

    store.set_password("meti-viewer", "a brand new passphrase", actor(store, "meti-viewer"))
    assert store.authenticate("meti-viewer", PASSWORD) is None
    assert store.authenticate("meti-viewer", "a brand new passphrase") is not None
    store.set_password("meti-viewer", "the admin's reset value", actor(store, "meti-admin"))
    assert store.authenticate("meti-viewer", "the admin's reset value") is not None
    with pytest.raises(AccessDenied):
        store.set_password("meti-viewer", "an analyst may not do it", actor(store, "meti-analyst"))
    with pytest.raises(AccessDenied, match="belongs to meti"):
        store.set_password("meti-viewer", "nor a partner's admin!", actor(store, "commerce-admin"))
    changes = [r for r in store.audit_records() if r.action == "password_change"]
    assert [(r.actor, r.target) for r in changes] == [("meti-viewer", "user:meti-viewer"),
                                                      ("meti-admin", "user:meti-viewer")]
    assert all("passphrase" not in r.details and "reset" not in r.details for r in changes)


def test_cli_password_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    s = AccountStore(tmp_path)
    s.create_org("meti")
    s.create_user("alice", "first long password", "meti", "analyst")
    result = CliRunner().invoke(app, ["users", "password", "alice", "--workspace", str(tmp_path)],
                                env={"PINCHPOINT_PASSWORD": "second long password"})
    assert result.exit_code == 0, result.output
    assert s.authenticate("alice", "second long password") is not None
