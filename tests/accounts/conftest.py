from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("argon2", reason="accounts need the 'web' extra (argon2-cffi)")

from pinchpoint.accounts.model import Actor
from pinchpoint.accounts.store import AccountStore

PASSWORD = "correct horse battery"


POSTGRES_ENV = "PINCHPOINT_TEST_POSTGRES"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccountStore]:
    """An empty store in SQLite (a temporary folder) or PostgreSQL (a fresh schema of the server that
    $PINCHPOINT_TEST_POSTGRES names; .ci/run starts Debian's postgresql and sets it)."""
    if request.param == "sqlite":
        yield AccountStore(tmp_path)
        return
    dsn = os.environ.get(POSTGRES_ENV)
    if not dsn:
        pytest.skip(f"PostgreSQL tests need ${POSTGRES_ENV} (a DSN); .ci/run starts Debian's postgresql and sets it")
    schema = "test_" + uuid.uuid4().hex[:12]
    s = AccountStore(dsn, schema=schema)
    yield s
    s._connection().execute(f'DROP SCHEMA "{schema}" CASCADE')
    s.close()


@pytest.fixture
def store(backend: AccountStore, cheap_argon2: None) -> AccountStore:
    """Two ministries, each with an admin, an analyst and a viewer."""
    for org in ("meti", "commerce"):
        backend.create_org(org, org.upper())
        for role in ("admin", "analyst", "viewer"):
            backend.create_user(f"{org}-{role}", PASSWORD, org, role)
    return backend


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
