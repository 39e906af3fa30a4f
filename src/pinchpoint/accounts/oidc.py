"""OpenID Connect sign-in for an organisation's own identity provider: what is configured, and who a verified ID
token is.

The protocol (authorization-code flow with PKCE, state, nonce, the ID token's signature, issuer, audience and expiry)
is the web's part (``pinchpoint.web.oidc``, with Authlib); this module holds the rules both sides of it need and no
network: each organisation's provider (discovery URL, client id, and *where* its client secret is, an environment
variable or a file, never the secret itself), and the mapping of a verified identity (issuer, subject) to one account
of that organisation, created on first sign-in with the viewer role or refused when the organisation provisions its
users itself. Every sign-in, refusal, link and configuration change is a record in the audit trail.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinchpoint.accounts.model import Actor, Role
from pinchpoint.accounts.policy import authorize
from pinchpoint.accounts.store import AccountStore, check_name, now
from pinchpoint.errors import BadArgumentError, NotFoundError, PinchpointError

PROVISIONING = ("auto", "pre")  # auto: a first sign-in makes a viewer; pre: only accounts an admin made
USERNAME_CLAIMS = ("preferred_username", "email", "sub")
MAX_SECRET_BYTES = 4096



def check_secret_file(path: str | Path) -> Path:
    """``path`` if it can hold a client secret: an existing, non-empty regular file that only its owner may read
    or write. Like ssh with a private key, a file open to the group or others is refused (the secret would be one
    ``cat`` away from every local user), with the ``chmod`` that fixes it; a missing file is an error at once, not
    at the first sign-in. Returns the absolute path."""
    p = Path(path).expanduser().absolute()  # the server reads it later, from its own working folder
    try:
        st = p.stat()
    except FileNotFoundError:
        raise NotFoundError(f"no client secret file {str(p)!r}: no such file", what="secret file",
                            value=str(p)) from None
    except OSError as exc:
        raise BadArgumentError(f"client secret file {str(p)!r} cannot be read: {exc.strerror or exc}",
                               parameter="secret_file") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadArgumentError(f"client secret file {str(p)!r} is not a regular file", parameter="secret_file")
    if os.name == "posix" and st.st_mode & 0o077:
        raise BadArgumentError(f"client secret file {str(p)!r} is open to the group or others (mode "
                               f"{stat.S_IMODE(st.st_mode):04o}): a secret must be readable by its owner only; "
                               f"run: chmod 600 {shlex.quote(str(p))}", parameter="secret_file")
    if st.st_size == 0:
        raise BadArgumentError(f"client secret file {str(p)!r} is empty: it should hold the client secret",
                               parameter="secret_file")
    return p


_DDL = """
CREATE TABLE IF NOT EXISTS oidc_providers (org TEXT PRIMARY KEY REFERENCES orgs(name), discovery_url TEXT NOT NULL,
    client_id TEXT NOT NULL, secret_env TEXT NOT NULL DEFAULT '', secret_file TEXT NOT NULL DEFAULT '',
    provisioning TEXT NOT NULL, username_claim TEXT NOT NULL, label TEXT NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS oidc_identities (issuer TEXT NOT NULL, subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id), linked_at TEXT NOT NULL, PRIMARY KEY (issuer, subject));
"""


class SignInRefused(PinchpointError):
    """A verified identity that may not sign in here (no account in pre-provisioned mode, another organisation's
    account, a disabled account); ``reason`` is what the audit trail records."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class OidcProvider:
    """One organisation's identity provider. The client secret is read from ``secret_env`` (an environment
    variable's name) or ``secret_file`` (a path) when a sign-in needs it; neither set: a public client (PKCE only)."""

    org: str
    discovery_url: str
    client_id: str
    secret_env: str = ""
    secret_file: str = ""
    provisioning: str = "auto"
    username_claim: str = "preferred_username"
    label: str = ""
    updated_at: str = ""
    updated_by: str = ""

    @property
    def title(self) -> str:
        return self.label or self.org

    @property
    def secret_reference(self) -> str:
        """Where the secret is, as shown in pages and the audit trail (never the secret)."""
        if self.secret_env:
            return f"env:{self.secret_env}"
        if self.secret_file:
            return f"file:{self.secret_file}"
        return "none (public client)"

    def client_secret(self) -> str | None:
        """The client secret from its variable or file (None for a public client); an error names the variable or
        file when it is missing or empty, never a value."""
        if self.secret_env:
            value = os.environ.get(self.secret_env, "").strip()
            if not value:
                raise PinchpointError(f"the client secret of {self.org}'s identity provider is not set: the server's "
                                      f"environment has no ${self.secret_env}")
            return value
        if self.secret_file:
            path = Path(self.secret_file)
            try:
                check_secret_file(path)  # checked again at each use: a file's mode can change after configure()
            except PinchpointError as exc:
                raise PinchpointError(f"the client secret of {self.org}'s identity provider: {exc}") from None
            try:
                data = path.read_bytes()[:MAX_SECRET_BYTES + 1]
            except OSError as exc:
                raise PinchpointError(f"the client secret of {self.org}'s identity provider cannot be read from "
                                      f"{path}: {exc.strerror or exc}") from None
            if len(data) > MAX_SECRET_BYTES:
                raise PinchpointError(f"{path}: a client secret file holds the secret only (at most "
                                      f"{MAX_SECRET_BYTES} bytes)")
            value = data.decode("utf-8", "replace").strip()
            if not value:
                raise PinchpointError(f"{path} is empty: it should hold the client secret of {self.org}'s identity "
                                      "provider")
            return value
        return None


def _tables(store: AccountStore) -> None:
    store.script(_DDL)


def configure(store: AccountStore, org: str, discovery_url: str, client_id: str, *, by: Actor,
              secret_env: str = "", secret_file: str = "", provisioning: str = "auto",
              username_claim: str = "preferred_username", label: str = "") -> OidcProvider:
    """Set (or replace) ``org``'s identity provider; audited with where the secret is, never the secret."""
    authorize(by, "manage_users")
    if by.via != "system" and by.org != org:
        from pinchpoint.accounts.policy import AccessDenied

        raise AccessDenied(by, "manage_users", None, f"admins configure sign-in for their own organisation, not {org}")
    check_name(org, "organisation")
    if org not in {o.name for o in store.orgs()}:
        known = sorted(o.name for o in store.orgs())
        raise NotFoundError(f"unknown organisation {org!r} (known: {', '.join(known) or 'none'})",
                            suggestions=known, what="organisation", value=org)
    url = discovery_url.strip()
    if not re.match(r"^https://[^\s/]+", url) and not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])[:/]", url):
        raise BadArgumentError(f"discovery URL {url[:200]!r}: an https:// URL (plain http only on the loopback "
                               "address, for tests)", parameter="discovery_url")
    if not url.rstrip("/").endswith("/.well-known/openid-configuration"):
        url = url.rstrip("/") + "/.well-known/openid-configuration"  # an issuer URL: its discovery document
    if not client_id.strip() or len(client_id) > 500:
        raise BadArgumentError("client id: 1-500 characters", parameter="client_id")
    if secret_env and secret_file:
        raise BadArgumentError("the client secret comes from an environment variable or a file, not both",
                               parameter="secret")
    if secret_file:
        secret_file = str(check_secret_file(secret_file))
    if secret_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", secret_env):
        raise BadArgumentError(f"{secret_env[:130]!r} is not an environment variable's name", parameter="secret_env")
    if provisioning not in PROVISIONING:
        raise BadArgumentError(f"provisioning: 'auto' (a first sign-in makes a viewer) or 'pre' (only accounts an "
                               f"admin made), not {provisioning!r}", parameter="provisioning")
    if username_claim not in USERNAME_CLAIMS:
        raise BadArgumentError(f"username claim: one of {', '.join(USERNAME_CLAIMS)}", parameter="username_claim")
    provider = OidcProvider(org, url, client_id.strip(), secret_env, str(Path(secret_file).expanduser())
                            if secret_file else "", provisioning, username_claim, label.strip()[:100], now(),
                            by.username)
    _tables(store)
    with store._tx() as db:
        db.execute("INSERT INTO oidc_providers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org) DO UPDATE SET "
                   "discovery_url = excluded.discovery_url, client_id = excluded.client_id, "
                   "secret_env = excluded.secret_env, secret_file = excluded.secret_file, "
                   "provisioning = excluded.provisioning, username_claim = excluded.username_claim, "
                   "label = excluded.label, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                   [provider.org, provider.discovery_url, provider.client_id, provider.secret_env,
                    provider.secret_file, provider.provisioning, provider.username_claim, provider.label,
                    provider.updated_at, provider.updated_by])
        store._append(db, by, "oidc_configured", f"org:{org}", {
            "discovery_url": provider.discovery_url, "client_id": provider.client_id,
            "secret": provider.secret_reference, "provisioning": provisioning, "username_claim": username_claim})
    return provider


def providers(store: AccountStore) -> list[OidcProvider]:
    """Every configured provider, by organisation."""
    _tables(store)
    return [_provider(r) for r in store._read("SELECT * FROM oidc_providers ORDER BY org")]


def provider(store: AccountStore, org: str) -> OidcProvider:
    _tables(store)
    rows = store._read("SELECT * FROM oidc_providers WHERE org = ?", [org[:64]])
    if not rows:
        known = [p.org for p in providers(store)]
        raise NotFoundError(f"organisation {org[:64]!r} has no single sign-on configured"
                            + (f" (configured: {', '.join(known)})" if known else ""), suggestions=known,
                            what="identity provider", value=org[:64])
    return _provider(rows[0])


def remove(store: AccountStore, org: str, *, by: Actor) -> None:
    authorize(by, "manage_users")
    provider(store, org)
    with store._tx() as db:
        db.execute("DELETE FROM oidc_providers WHERE org = ?", [org])
        store._append(db, by, "oidc_removed", f"org:{org}")


def _provider(row: Any) -> OidcProvider:
    return OidcProvider(row["org"], row["discovery_url"], row["client_id"], row["secret_env"], row["secret_file"],
                        row["provisioning"], row["username_claim"], row["label"], row["updated_at"],
                        row["updated_by"])


def username_from_claims(claims: dict[str, Any], claim: str) -> str:
    """The account name an identity asks for: the configured claim (an e-mail address gives its local part),
    folded to the characters user names allow."""
    value = str(claims.get(claim) or claims.get("email") or claims.get("sub") or "")
    if claim == "email" or ("@" in value and claim != "sub"):
        value = value.partition("@")[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-._")[:64]
    return name


def sign_in(store: AccountStore, prov: OidcProvider, issuer: str, claims: dict[str, Any], *, source: str = ""
            ) -> Actor:
    """The account of ``prov.org`` for an identity whose ID token the caller has verified (signature, issuer,
    audience, expiry, nonce). Known (issuer, subject): its account. Otherwise the organisation's account named by
    the configured claim, linked now; none, and provisioning 'auto': a new viewer. A refusal raises
    :class:`SignInRefused`; sign-in and refusal are both audited."""
    subject = str(claims.get("sub") or "")
    if not subject or not issuer:
        raise SignInRefused("the identity provider's token names no subject", "no subject")
    details = {"source": source, "via": "oidc", "issuer": issuer, "subject": subject[:200]}
    _tables(store)
    try:
        actor = _map(store, prov, issuer, subject, claims, details)
    except SignInRefused as exc:
        store.audit(f"oidc:{prov.org}", "sign_in_failed", f"org:{prov.org}", {**details, "reason": exc.reason})
        raise
    store.audit(actor, "sign_in", f"user:{actor.username}", details)
    return actor


def _map(store: AccountStore, prov: OidcProvider, issuer: str, subject: str, claims: dict[str, Any],
         details: dict[str, Any]) -> Actor:
    from pinchpoint.accounts.store import _user

    with store._tx() as db:
        row = db.execute("SELECT u.* FROM oidc_identities i JOIN users u ON u.id = i.user_id "
                         "WHERE i.issuer = ? AND i.subject = ?", [issuer, subject]).fetchone()
        if row is not None:
            user = _user(row)
        else:
            wanted = username_from_claims(claims, prov.username_claim)
            existing = db.execute("SELECT * FROM users WHERE username = ?", [wanted]).fetchone() if wanted else None
            if existing is not None and existing["org"] == prov.org:
                linked = db.execute("SELECT 1 FROM oidc_identities WHERE user_id = ? AND issuer = ?",
                                    [existing["id"], issuer]).fetchone()
                if linked:
                    raise SignInRefused(f"the account {wanted} is linked to another identity of this provider",
                                        "account linked to another subject")
                if existing["role"] == Role.ADMIN.value:  # a name claim must not open an administrator's account
                    raise SignInRefused(f"{wanted} is an administrator's account: administrators sign in with "
                                        "their password", "administrator account not linked")
                user = _user(existing)
            elif prov.provisioning == "pre":
                raise SignInRefused(f"{prov.title} signs in only accounts an administrator made: ask yours to add "
                                    f"{wanted or 'you'}", "no pre-provisioned account")
            else:
                name = _free_name(db, wanted or "user")
                created = now()
                cur = db.execute("INSERT INTO users (username, org, role, password_hash, created_at) "
                                 "VALUES (?, ?, ?, '', ?) RETURNING id", [name, prov.org, Role.VIEWER.value, created])
                user_id = int(cur.fetchone()["id"])
                store._append(db, f"oidc:{prov.org}", "user_created", f"user:{name}",
                              {"org": prov.org, "role": Role.VIEWER.value, **details})
                user = _user(db.execute("SELECT * FROM users WHERE id = ?", [user_id]).fetchone())
            if user.org != prov.org:
                raise SignInRefused("this identity's account belongs to another organisation", "other organisation")
            db.execute("INSERT INTO oidc_identities VALUES (?, ?, ?, ?)", [issuer, subject, user.id, now()])
            store._append(db, f"oidc:{prov.org}", "oidc_linked", f"user:{user.username}", details)
    if user.org != prov.org:
        raise SignInRefused("this identity's account belongs to another organisation", "other organisation")
    if user.disabled:
        raise SignInRefused("this account is disabled", "account disabled")
    return user.actor("oidc")


def _free_name(db: Any, wanted: str) -> str:
    name = wanted if re.match(r"^[A-Za-z0-9]", wanted) else f"u{wanted}"[:64]
    base, n = name[:58], 1
    while db.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
        n += 1
        name = f"{base}-{n}"
    return name
