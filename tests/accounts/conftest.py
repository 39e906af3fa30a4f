from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("argon2", reason="accounts need the 'web' extra (argon2-cffi)")

from pinchpoint.accounts.model import Actor
from pinchpoint.accounts.store import AccountStore

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path, cheap_argon2: None) -> AccountStore:
    """Two ministries, each with an admin, an analyst and a viewer."""
    s = AccountStore(tmp_path)
    for org in ("meti", "commerce"):
        s.create_org(org, org.upper())
        for role in ("admin", "analyst", "viewer"):
            s.create_user(f"{org}-{role}", PASSWORD, org, role)
    return s


def actor(store: AccountStore, username: str) -> Actor:
    user = store.user(username)
    assert user is not None
    return user.actor()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with small costs: the tests check behaviour, not hash strength (the defaults take ~0.1 s each)."""
    from argon2 import PasswordHasher

    from pinchpoint.accounts import credentials

    monkeypatch.setattr(credentials, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
