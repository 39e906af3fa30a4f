"""Password hashes (argon2id, via argon2-cffi) and API keys (random, stored only as SHA-256 digests).

An API key is ``pp_<key id>_<secret>``: the id finds the row, the secret (32 random bytes) is compared as a digest
in constant time. A slow hash is not needed for keys (they are random, not chosen by people), so checking one costs
microseconds, which matters for scripts that call the API in a loop.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from pinchpoint.errors import BadArgumentError

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length, but a 10 MB "password" is a denial of service


def _hasher() -> Any:
    from pinchpoint.errors import import_extra

    return import_extra("argon2", "web", "accounts (argon2 password hashes)").PasswordHasher()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadArgumentError(f"a password needs at least {MIN_PASSWORD_CHARS} characters", parameter="password")
    if len(password) > MAX_PASSWORD_CHARS:
        raise BadArgumentError(f"a password has at most {MAX_PASSWORD_CHARS} characters", parameter="password")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return str(_hasher().hash(password))


def verify_password(stored_hash: str, password: str) -> bool:
    if not stored_hash or len(password) > MAX_PASSWORD_CHARS:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


#: Verified against when a user name is unknown, so the time taken does not tell which names exist.
def dummy_verify(password: str) -> None:
    verify_password(_DUMMY.hash, password)


class _Dummy:
    _hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = str(_hasher().hash(secrets.token_urlsafe(16)))
        return self._hash


_DUMMY = _Dummy()


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (the full key shown once to its owner, its id, the digest to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"pp_{key_id}_{secret}", key_id, digest(secret)


def split_api_key(key: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    if len(key) > 200 or not key.startswith("pp_"):
        return None
    parts = key.split("_", 2)
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
