"""Accounts, organisations, ownership, shares, jobs and the audit trail in one SQLite file.

Why SQLite and not the DuckDB workspace: DuckDB lets one process write a file or many read it, never both, and
the web server, its job worker and an operator's ``pinchpoint audit verify`` all need this data at once. SQLite in
WAL mode gives any number of readers beside one writer across processes; writers queue (``busy_timeout``) rather
than fail, so concurrent users never see "database is locked". Analytics stay in DuckDB/Parquet.

The file is ``accounts.sqlite`` beside ``workspace.duckdb`` (``$PINCHPOINT_HOME``). Every change that matters for
an inspector writes its audit record in the same transaction, so the change and its record exist together or not
at all.

**PostgreSQL** for a shared deployment (several web servers, one database server): give a DSN instead of a path
(``AccountStore("postgresql://user:pass@host/db")``, or ``$PINCHPOINT_ACCOUNTS_DB``; needs the 'postgres' extra).
The SQL is the subset both understand (``ON CONFLICT``, ``RETURNING``); writers take one transaction-scoped advisory
lock, so the audit chain is appended one record at a time as SQLite's single writer does.
"""

from __future__ import annotations

import atexit
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pinchpoint.accounts import credentials
from pinchpoint.accounts.audit import GENESIS, AuditRecord, Verification, make_record, verify, verify_against
from pinchpoint.accounts.model import (
    RESOURCE_KINDS,
    Actor,
    Organisation,
    Resource,
    Role,
    Share,
    User,
    Visibility,
)
from pinchpoint.accounts.policy import AccessDenied, authorize
from pinchpoint.errors import BadArgumentError, NotFoundError, PinchpointError

DB_FILE = "accounts.sqlite"
DSN_ENV = "PINCHPOINT_ACCOUNTS_DB"
WRITER_LOCK = 7_151_712  # the advisory lock every PostgreSQL write transaction takes
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
log = logging.getLogger("pinchpoint.accounts")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS orgs (name TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
    org TEXT NOT NULL REFERENCES orgs(name), role TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    digest TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS resources (kind TEXT NOT NULL, key TEXT NOT NULL, owner_org TEXT NOT NULL,
    visibility TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS shares (kind TEXT NOT NULL, key TEXT NOT NULL, org TEXT NOT NULL,
    shared_by TEXT NOT NULL, shared_at TEXT NOT NULL, PRIMARY KEY (kind, key, org));
CREATE TABLE IF NOT EXISTS audit (pos INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, at TEXT NOT NULL,
    actor TEXT NOT NULL, org TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, details TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,
    hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_sessions (user_id INTEGER PRIMARY KEY REFERENCES users(id),
    generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner_org TEXT NOT NULL,
    username TEXT NOT NULL, status TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '{}', result TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, finished_at TEXT);
"""


def is_dsn(location: str | Path) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def portable_ddl(sql: str, postgres: bool) -> str:
    """DDL in SQLite's words for either database (only the self-numbering keys differ)."""
    return sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY") if postgres else sql


class Connection:
    """One connection of either kind, with SQLite's ``?`` placeholders (turned into ``%s`` for PostgreSQL)."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw, self.postgres = raw, postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.postgres:
            return self.raw.execute(sql.replace("?", "%s"), list(params) if params else None)
        return self.raw.execute(sql, list(params))

    def script(self, sql: str) -> None:
        if self.postgres:
            self.raw.execute(portable_ddl(sql, True))
        else:
            self.raw.executescript(sql)

    def close(self) -> None:
        self.raw.close()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def check_name(value: str, what: str) -> str:
    if not NAME_PATTERN.match(value):
        raise BadArgumentError(f"{what} {value[:80]!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
                              "letter or digit")
    return value


class AccountStore:
    """Accounts, organisations, resources and shares, and the audit trail. Safe to share between threads (each
    call opens its own connection) and between processes (SQLite WAL)."""

    def __init__(self, location: str | Path, *, schema: str | None = None) -> None:
        """``location``: a folder (the file is ``accounts.sqlite`` in it), a ``.sqlite`` file, or a PostgreSQL DSN;
        ``schema``: for PostgreSQL, the schema that holds the tables (made if absent; default: the search path)."""
        self.postgres = is_dsn(location)
        self.schema = schema
        self.dsn = str(location) if self.postgres else ""
        if self.postgres:
            self.path = Path(DB_FILE)  # unused with PostgreSQL; str(store) names the server
        else:
            path = Path(location).expanduser()
            self.path = path / DB_FILE if path.is_dir() or path.suffix == "" else path
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # This process's writers queue on a lock here rather than in SQLite's busy handler, which sleeps up to
        # 100 ms between tries: under many threads those sleeps, not the writes, were the latency (re-entrant so
        # a batch of audit records can be written inside it). Other processes still queue in SQLite.
        self._write_lock = threading.RLock()
        self._pending: list[_PendingAudit] = []
        self._pending_lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self.audit_batches = 0  # how many transactions wrote audit records through audit() (group commits)
        db = self._connection()
        db.script(_SCHEMA)  # CREATE ... IF NOT EXISTS: idempotent
        db.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING", [str(SCHEMA_VERSION)])

    def __str__(self) -> str:
        if self.postgres:
            where = re.sub(r"//[^@/]*@", "//", self.dsn)  # never print a password
            return f"PostgreSQL {where}" + (f" (schema {self.schema})" if self.schema else "")
        return str(self.path)

    # connections ------------------------------------------------------------------------------
    def _connection(self) -> Connection:
        db: Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect_postgres() if self.postgres else self._connect_sqlite()
            self._local.db = db
        return db

    def _connect_sqlite(self) -> Connection:
        raw = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                              check_same_thread=True)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.row_factory = sqlite3.Row
        return Connection(raw, False)

    def _connect_postgres(self) -> Connection:
        from pinchpoint.errors import import_extra

        psycopg = import_extra("psycopg", "postgres", "accounts in PostgreSQL")
        rows = import_extra("psycopg.rows", "postgres", "accounts in PostgreSQL")
        raw = psycopg.connect(self.dsn, autocommit=True, row_factory=rows.dict_row)
        if self.schema:
            check_name(self.schema, "schema")
            raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            raw.execute(f'SET search_path TO "{self.schema}"')
        return Connection(raw, True)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One write transaction. Writers queue rather than fail: SQLite takes its write lock at once (BEGIN
        IMMEDIATE, waiting up to the busy timeout); PostgreSQL waits for one advisory lock."""
        db = self._connection()
        with self._write_lock:
            db.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
            try:
                if self.postgres:
                    db.execute("SELECT pg_advisory_xact_lock(?)", [WRITER_LOCK])
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self._connection().execute(sql, params))

    def script(self, sql: str) -> None:
        """Run DDL (``CREATE TABLE IF NOT EXISTS ...``) written in SQLite's words, for either database."""
        self._connection().script(sql)

    def close(self) -> None:
        self.flush_audit()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # audit --------------------------------------------------------------------------------------
    def _append(self, db: Connection, actor: Actor | str, action: str, target: str = "",
                details: dict[str, Any] | None = None) -> AuditRecord:
        name, org = (actor.username, actor.org) if isinstance(actor, Actor) else (actor, "")
        head = db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        seq, prev = (head["seq"] + 1, head["hash"]) if head else (1, GENESIS)
        record = make_record(seq, now(), name, org, action, target, details or {}, prev)
        db.execute("INSERT INTO audit (seq, at, actor, org, action, target, details, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [record.seq, record.at, record.actor, record.org, record.action, record.target,
                    record.details, record.prev_hash, record.hash])
        db.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
                   "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                   [record.seq, record.hash])
        return record

    def audit(self, actor: Actor | str, action: str, target: str = "",
              details: dict[str, Any] | None = None) -> AuditRecord:
        """Append one record to the trail and return it once it is committed (durable: the caller's answer never
        runs ahead of its record). Records that this process's threads append while a transaction is being
        written go together into the next one (group commit): one commit, in arrival order, each chained to the
        one before, instead of one commit each, queued."""
        item = self._enqueue(actor, action, target, details)
        with self._write_lock:  # the writer before us may have written ours already
            if not item.done:
                self._write_pending()
        if item.error is not None:
            raise item.error
        assert item.record is not None
        return item.record

    def audit_later(self, actor: Actor | str, action: str, target: str = "",
                    details: dict[str, Any] | None = None) -> None:
        """Queue one record for this process's audit writer and return at once: the writer commits what is queued
        in one transaction as soon as it can (milliseconds; group commit, arrival order, the same chain as
        :meth:`audit`), so a request does not wait for the disk. Readers of the trail in this process
        (:meth:`audit_records`, :meth:`verify_audit`) flush the queue first, and so does the process at exit; a
        crash of the process can lose only records queued and not yet committed. A failed commit is retried."""
        self._enqueue(actor, action, target, details, waits=False)
        with self._pending_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_queued, name="pinchpoint-audit", daemon=True)
                self._writer.start()
                atexit.register(self.flush_audit)
        self._wake.set()

    def flush_audit(self) -> None:
        """Commit every queued audit record now."""
        with self._write_lock:
            self._write_pending()

    def _enqueue(self, actor: Actor | str, action: str, target: str, details: dict[str, Any] | None,
                 waits: bool = True) -> _PendingAudit:
        item = _PendingAudit(actor, action, target, details or {}, waits)
        with self._pending_lock:
            self._pending.append(item)
        return item

    def _write_pending(self) -> None:
        """Write every queued record in one transaction (the caller holds the write lock). On failure the batch
        is put back at the head of the queue (a later flush retries it) and the error raised."""
        with self._pending_lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            with self._tx() as db:
                records = [self._append(db, it.actor, it.action, it.target, it.details) for it in batch]
        except BaseException as exc:
            for it in batch:
                it.error = exc
            with self._pending_lock:
                waiting = [it for it in batch if it.waits]  # a caller of audit() gets the error and may retry
                self._pending[:0] = [it for it in batch if not it.waits]
            for it in waiting:
                it.done = True
            raise
        self.audit_batches += 1
        for it, record in zip(batch, records, strict=True):
            it.record, it.error, it.done = record, None, True

    def _write_queued(self) -> None:
        """The audit writer: commits what :meth:`audit_later` queued, as it comes."""
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.flush_audit()
            except Exception:  # kept queued; retried on the next wake or a second from now
                log.exception("audit records not committed yet; retrying")
                time.sleep(1.0)
                self._wake.set()

    def audit_records(self, since_seq: int = 0, limit: int | None = None) -> list[AuditRecord]:
        self.flush_audit()  # what this process queued is part of the trail
        return self._audit_rows(since_seq, limit)

    def _audit_rows(self, since_seq: int = 0, limit: int | None = None) -> list[AuditRecord]:
        sql = "SELECT seq, at, actor, org, action, target, details, prev_hash, hash FROM audit WHERE seq > ? " \
              "ORDER BY pos"
        rows = self._read(sql + (f" LIMIT {int(limit)}" if limit else ""), [since_seq])
        return [AuditRecord(**dict(row)) for row in rows]

    def audit_head(self) -> tuple[int, str] | None:
        self.flush_audit()
        return self._head_row()

    def _head_row(self) -> tuple[int, str] | None:
        rows = self._read("SELECT seq, hash FROM audit_head WHERE id = 1")
        return (rows[0]["seq"], rows[0]["hash"]) if rows else None

    def verify_audit(self, against: tuple[int, str] | None = None) -> Verification:
        """The chain checked (:func:`~pinchpoint.accounts.audit.verify`); with ``against`` (an earlier export's
        last seq and hash), also that the trail still holds that record unchanged (records cut off the end with the
        head moved back are found so)."""
        self.flush_audit()
        # one read transaction, so records and head are seen as of the same moment
        db = self._connection()
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if self.postgres else "BEGIN")
        try:
            records = self._audit_rows()
            head = self._head_row()
        finally:
            db.execute("COMMIT")
        return verify(records, head) if against is None else verify_against(records, head, against)

    # organisations and users ------------------------------------------------------------------
    def create_org(self, name: str, title: str = "", by: Actor | None = None) -> Organisation:
        check_name(name, "organisation")
        if by is not None:
            authorize(by, "manage_users")
        with self._tx() as db:
            if db.execute("SELECT 1 FROM orgs WHERE name = ?", [name]).fetchone():
                raise PinchpointError(f"organisation {name!r} exists already")
            created = now()
            db.execute("INSERT INTO orgs VALUES (?, ?, ?)", [name, title or name, created])
            self._append(db, by or Actor.system(), "org_created", f"org:{name}", {"title": title or name})
        return Organisation(name, title or name, created)

    def orgs(self) -> list[Organisation]:
        return [Organisation(r["name"], r["title"], r["created_at"])
                for r in self._read("SELECT * FROM orgs ORDER BY name")]

    def create_user(self, username: str, password: str, org: str, role: Role | str = Role.VIEWER,
                    by: Actor | None = None) -> User:
        check_name(username, "user name")
        role = Role(role)
        if by is not None:
            authorize(by, "manage_users")
            if by.via != "system" and by.org != org:
                raise AccessDenied(by, "manage_users", None, f"admins add users to their own organisation, not {org}")
        password_hash = credentials.hash_password(password)
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM orgs WHERE name = ?", [org]).fetchone():
                known = [r["name"] for r in db.execute("SELECT name FROM orgs ORDER BY name")]
                raise NotFoundError(f"unknown organisation {org!r} (known: {', '.join(known) or 'none'})",
                                    suggestions=known, what="organisation", value=org)
            if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
                raise PinchpointError(f"user {username!r} exists already")
            created = now()
            cur = db.execute("INSERT INTO users (username, org, role, password_hash, created_at) "
                             "VALUES (?, ?, ?, ?, ?) RETURNING id", [username, org, role.value, password_hash,
                                                                     created])
            user_id = int(cur.fetchone()["id"])
            self._append(db, by or Actor.system(), "user_created", f"user:{username}",
                         {"org": org, "role": role.value})
        return User(user_id, username, org, role, created)

    def user(self, username: str) -> User | None:
        rows = self._read("SELECT * FROM users WHERE username = ?", [username])
        return _user(rows[0]) if rows else None

    def user_by_id(self, user_id: int) -> User | None:
        rows = self._read("SELECT * FROM users WHERE id = ?", [user_id])
        return _user(rows[0]) if rows else None

    def session_user(self, user_id: int) -> tuple[User, int] | None:
        """The user a session cookie names and the user's session generation now (a cookie carrying an older one
        was revoked: by a sign-out or a password change), in one query: it is asked on every request."""
        rows = self._read("SELECT u.*, COALESCE(s.generation, 0) AS generation FROM users u "
                          "LEFT JOIN user_sessions s ON s.user_id = u.id WHERE u.id = ?", [user_id])
        return (_user(rows[0]), int(rows[0]["generation"])) if rows else None

    def session_generation(self, user_id: int) -> int:
        """The generation a new session of ``user_id`` carries (0 until the first revocation)."""
        rows = self._read("SELECT generation FROM user_sessions WHERE user_id = ?", [user_id])
        return int(rows[0]["generation"]) if rows else 0

    @staticmethod
    def _revoke_sessions(db: Connection, user_id: int) -> None:
        """Every session cookie of ``user_id`` issued so far stops working (the generation it carries is old)."""
        db.execute("INSERT INTO user_sessions (user_id, generation) VALUES (?, 1) ON CONFLICT (user_id) "
                   "DO UPDATE SET generation = user_sessions.generation + 1", [user_id])

    def sign_out(self, actor: Actor) -> int:
        """End every session of ``actor``'s account (a copied or left-behind cookie included), audited in the same
        transaction; returns the new generation."""
        with self._tx() as db:
            self._revoke_sessions(db, actor.user_id)
            self._append(db, actor, "sign_out", f"user:{actor.username}", {"sessions": "revoked"})
        return self.session_generation(actor.user_id)

    def users(self, org: str | None = None) -> list[User]:
        if org is None:
            return [_user(r) for r in self._read("SELECT * FROM users ORDER BY username")]
        return [_user(r) for r in self._read("SELECT * FROM users WHERE org = ? ORDER BY username", [org])]

    def set_role(self, username: str, role: Role | str, by: Actor) -> User:
        role = Role(role)
        target = self.user(username)
        if target is None:
            raise NotFoundError(f"unknown user {username!r}", what="user", value=username)
        authorize(by, "manage_users")
        if by.via != "system" and by.org != target.org:
            raise AccessDenied(by, "manage_users", None, f"{username} belongs to {target.org}")
        with self._tx() as db:
            db.execute("UPDATE users SET role = ? WHERE username = ?", [role.value, username])
            self._append(db, by, "role_change", f"user:{username}", {"from": target.role.value, "to": role.value})
        return User(target.id, target.username, target.org, role, target.created_at, target.disabled)

    def set_password(self, username: str, password: str, by: Actor) -> None:
        """A new password for ``username``: the user's own, or set by an admin of their organisation (audited,
        the password itself never). Every session of the user ends (see :meth:`session_user`)."""
        target = self.user(username)
        if target is None:
            raise NotFoundError(f"unknown user {username!r}", what="user", value=username)
        if by.username != username or by.via == "api_key":
            authorize(by, "manage_users")
            if by.via != "system" and by.org != target.org:
                raise AccessDenied(by, "manage_users", None, f"{username} belongs to {target.org}")
        password_hash = credentials.hash_password(password)
        with self._tx() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, username])
            self._revoke_sessions(db, target.id)  # a stolen cookie dies with the password it was signed in with
            self._append(db, by, "password_change", f"user:{username}", {"sessions": "revoked"})

    def check_password(self, username: str, password: str) -> bool:
        """Whether ``password`` is ``username``'s (to confirm a change; not a sign-in, so not audited)."""
        rows = self._read("SELECT password_hash FROM users WHERE username = ?", [username[:64]])
        return bool(rows) and credentials.verify_password(rows[0]["password_hash"], password)

    def authenticate(self, username: str, password: str, *, source: str = "") -> Actor | None:
        """The actor for a correct user name and password, else None; both outcomes are audited."""
        rows = self._read("SELECT * FROM users WHERE username = ?", [username[:64]])
        if not rows or rows[0]["disabled"]:
            credentials.dummy_verify(password[: credentials.MAX_PASSWORD_CHARS])
            self.audit(username[:64], "sign_in_failed", f"user:{username[:64]}", {"source": source})
            return None
        row = rows[0]
        if not credentials.verify_password(row["password_hash"], password):
            self.audit(username[:64], "sign_in_failed", f"user:{username[:64]}", {"source": source})
            return None
        actor = _user(row).actor("password")
        self.audit(actor, "sign_in", f"user:{username}", {"source": source})
        return actor

    # API keys -------------------------------------------------------------------------------------
    def create_api_key(self, actor: Actor, label: str = "") -> str:
        """A new key for ``actor`` (shown once: only its digest is kept)."""
        if actor.via == "system":
            raise PinchpointError("API keys belong to a user account")
        key, key_id, digest = credentials.new_api_key()
        with self._tx() as db:
            db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                       [key_id, actor.user_id, digest, label[:100], now()])
            self._append(db, actor, "api_key_created", f"key:{key_id}", {"label": label[:100]})
        return key

    def actor_for_key(self, key: str) -> Actor | None:
        parts = credentials.split_api_key(key)
        if parts is None:
            return None
        key_id, secret = parts
        rows = self._read("SELECT k.digest, k.revoked_at, u.* FROM api_keys k JOIN users u ON u.id = k.user_id "
                          "WHERE k.key_id = ?", [key_id])
        if not rows or rows[0]["revoked_at"] or rows[0]["disabled"]:
            return None
        if not credentials.same_digest(rows[0]["digest"], credentials.digest(secret)):
            return None
        return _user(rows[0]).actor("api_key")

    def revoke_api_key(self, key_id: str, by: Actor) -> None:
        rows = self._read("SELECT u.username, u.org FROM api_keys k JOIN users u ON u.id = k.user_id "
                          "WHERE k.key_id = ?", [key_id])
        if not rows:
            raise NotFoundError(f"unknown API key {key_id!r}", what="API key", value=key_id)
        if rows[0]["username"] != by.username:
            authorize(by, "manage_users")
        with self._tx() as db:
            db.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", [now(), key_id])
            self._append(db, by, "api_key_revoked", f"key:{key_id}")

    # resources and sharing --------------------------------------------------------------------
    def register(self, actor: Actor, kind: str, key: str, visibility: Visibility | str = Visibility.PRIVATE,
                 ) -> Resource:
        """Record that ``actor``'s organisation owns a new resource (after ``authorize(actor, 'upload')``)."""
        if kind not in RESOURCE_KINDS:
            raise BadArgumentError(f"unknown resource kind {kind!r} (one of {', '.join(RESOURCE_KINDS)})",
                                   parameter="kind")
        existing = self.resource(kind, key)
        if existing is not None and existing.owner_org != actor.org:
            raise AccessDenied(actor, "modify", existing, f"the name is taken by {existing.owner_org or 'common data'}")
        if existing is not None:
            return existing
        created = now()
        vis = Visibility(visibility)
        with self._tx() as db:
            db.execute("INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?)",
                       [kind, key, actor.org, vis.value, actor.username, created])
        return Resource(kind, key, actor.org, vis, actor.username, created)

    def resource(self, kind: str, key: str) -> Resource | None:
        rows = self._read("SELECT * FROM resources WHERE kind = ? AND key = ?", [kind, key])
        if not rows:
            return None
        shares = tuple(Share(s["org"], s["shared_by"], s["shared_at"]) for s in
                       self._read("SELECT * FROM shares WHERE kind = ? AND key = ? ORDER BY org", [kind, key]))
        r = rows[0]
        return Resource(kind, key, r["owner_org"], Visibility(r["visibility"]), r["created_by"], r["created_at"],
                        shares)

    def resource_or_common(self, kind: str, key: str) -> Resource:
        """The registered resource, or common data (public) when nobody registered it."""
        return self.resource(kind, key) or Resource.unregistered(kind, key)

    def resources(self, kind: str) -> list[Resource]:
        keys = [r["key"] for r in self._read("SELECT key FROM resources WHERE kind = ? ORDER BY key", [kind])]
        return [res for key in keys if (res := self.resource(kind, key)) is not None]

    def visible(self, actor: Actor, kind: str) -> list[Resource]:
        """Registered resources of ``kind`` that ``actor`` may read."""
        from pinchpoint.accounts.policy import can_read

        return [r for r in self.resources(kind) if can_read(actor, r)]

    def share(self, actor: Actor, kind: str, key: str, orgs: Sequence[str]) -> Resource:
        """Share a resource read-only with the named organisations (visibility becomes 'shared' if private)."""
        resource = self.resource_or_common(kind, key)
        authorize(actor, "share", resource)
        known = {o.name for o in self.orgs()}
        for org in orgs:
            if org not in known:
                raise NotFoundError(f"unknown organisation {org!r} (known: {', '.join(sorted(known))})",
                                    suggestions=sorted(known), what="organisation", value=org)
        at = now()
        with self._tx() as db:
            if resource.visibility is Visibility.PRIVATE:
                db.execute("UPDATE resources SET visibility = 'shared' WHERE kind = ? AND key = ?", [kind, key])
            for org in orgs:
                db.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", [kind, key, org,
                                                                                   actor.username, at])
            self._append(db, actor, "share", f"{kind}:{key}", {"with": sorted(orgs)})
        return self.resource_or_common(kind, key)

    def unshare(self, actor: Actor, kind: str, key: str, orgs: Sequence[str]) -> Resource:
        resource = self.resource_or_common(kind, key)
        authorize(actor, "share", resource)
        with self._tx() as db:
            for org in orgs:
                db.execute("DELETE FROM shares WHERE kind = ? AND key = ? AND org = ?", [kind, key, org])
            self._append(db, actor, "unshare", f"{kind}:{key}", {"with": sorted(orgs)})
        return self.resource_or_common(kind, key)

    def set_visibility(self, actor: Actor, kind: str, key: str, visibility: Visibility | str) -> Resource:
        resource = self.resource_or_common(kind, key)
        authorize(actor, "share", resource)
        vis = Visibility(visibility)
        with self._tx() as db:
            db.execute("UPDATE resources SET visibility = ? WHERE kind = ? AND key = ?", [vis.value, kind, key])
            self._append(db, actor, "share", f"{kind}:{key}", {"visibility": vis.value})
        return self.resource_or_common(kind, key)

    def check(self, actor: Actor, action: str, kind: str | None = None, key: str | None = None) -> Resource | None:
        """:func:`authorize` on a stored resource (or none); a refusal is audited before it is raised."""
        resource = self.resource_or_common(kind, key) if kind is not None and key is not None else None
        try:
            authorize(actor, action, resource)
        except AccessDenied as exc:
            self.audit(actor, "access_denied", f"{kind}:{key}" if kind else "", {"action": action,
                                                                                  "reason": exc.reason})
            raise
        return resource


@dataclass
class _PendingAudit:
    """An audit record waiting for the next group commit, and what became of it."""

    actor: Actor | str
    action: str
    target: str
    details: dict[str, Any]
    waits: bool = True  # a caller of audit() waits for it; audit_later()'s are retried until written
    done: bool = False
    record: AuditRecord | None = None
    error: BaseException | None = None


def _user(row: Any) -> User:
    return User(row["id"], row["username"], row["org"], Role(row["role"]), row["created_at"], bool(row["disabled"]))


def default_store() -> AccountStore:
    """``$PINCHPOINT_ACCOUNTS_DB`` (a PostgreSQL DSN) if set, else ``accounts.sqlite`` in the default workspace."""
    import os

    from pinchpoint.workspace.store import default_workspace_path

    return AccountStore(os.environ.get(DSN_ENV) or default_workspace_path())


def audit_table(store: AccountStore, limit: int | None = None) -> Any:
    """The trail as a ResultTable (newest last), with its verification as a caveat when it is broken."""
    from pinchpoint.results import ResultTable

    records = store.audit_records()
    check = verify(records, store.audit_head())
    shown = records[-limit:] if limit else records
    table = ResultTable.from_records(
        "audit", [{"seq": r.seq, "at": r.at, "actor": r.actor, "org": r.org, "action": r.action, "target": r.target,
                   "details": r.details, "hash": r.hash[:16]} for r in shown],
        columns=["seq", "at", "actor", "org", "action", "target", "details", "hash"],
        meta={"analysis": "audit", "store": str(store), "records": len(records), "verified": check.ok})
    return table if check.ok else table.with_caveats(str(check))
