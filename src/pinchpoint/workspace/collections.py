"""Workspace collections: the one storage layer under every capability.

A :class:`Collection` is a named kind of stored thing (supply-chain datasets, control lists, restricted-party
lists, trade imports, and later indicator series, awards, accounts...). It declares a schema version, the DDL of
any tables of its own and an ordered list of :class:`Migration` s, and is registered once, at import::

    from pinchpoint.workspace.collections import Collection, register

    SERIES = register(Collection("trends.series", version=1))

    with Workspace(path) as ws:                      # opened for writing: every collection created or migrated
        series = ws.collection(SERIES)
        v = series.put("JPN/gdp", payload_bytes, source="wdi.csv", meta={"unit": "USD"})
        series.latest("JPN/gdp").version == v.version   # storing the same bytes again returns v, created=False
        series.get("JPN/gdp", v.version)               # the bytes

What every collection gets, so no capability re-implements it:

* **Versioned payloads** in one table (``collection_items``): a key, a version label (by default the content hash),
  the content hash (SHA-256 of the payload, or of the caller's own notion of content, such as the source files),
  when and from where, the size, a JSON ``meta`` and the payload bytes. Storing identical content under a key
  again is a no-op that returns the stored version.
* **One transaction**: :meth:`Workspace.transaction` (``with ws.transaction():``); every write goes through it, and
  writes inside it join it, so several puts, a collection's own tables and published files commit or roll back as
  a whole.
* **Files beside the database** (a collection with a ``folder``): written under a staging folder inside the
  workspace folder, moved into place inside the transaction and listed (``collection_files``) in it; readers read
  only listed files, a failed transaction deletes the files it moved, and whatever a killed process left (the
  staging folder, files no version lists) is deleted by the next write of that collection. So a kill at any point
  leaves the files and their rows both there or neither visible.
* **Schema versions** (``schema_versions(collection, version, migrated_at)``): a workspace opened for writing
  creates every registered collection it lacks and runs the migrations of those behind, once, at open; a read-only
  open never writes and refuses a collection whose stored schema is older than this code's, naming it and saying
  how to migrate (open the workspace for writing once). A collection a newer pinchpoint wrote is refused only where
  it is used ("upgrade pinchpoint"), so the others stay usable.
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pinchpoint.errors import NotFoundError, WorkspaceError

if TYPE_CHECKING:
    import duckdb

    from pinchpoint.results import ResultTable


class OpenWorkspace(Protocol):
    """What this layer needs of an open workspace (``workspace.store.Workspace`` is the one implementation); a
    protocol, so the layer below the store never imports it."""

    path: Path
    con: duckdb.DuckDBPyConnection

    @property
    def current_transaction(self) -> Transaction | None: ...

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def collection(self, collection: Collection | str) -> Items: ...

    def collection_ready(self, collection: Collection) -> bool: ...

#: The layer's own tables, a collection like any other (migrated first).
CORE = "workspace"
#: pinchpoint's own collections: name -> (the module that registers it, its schema version). A workspace opened for
#: writing imports the module of each one it lacks or holds at another version, so that every collection is created
#: or migrated at once, and imports nothing when all are current (the versions here must equal the collections';
#: a test checks). Other collections are created or migrated at their first use on a workspace open for writing.
BUILTIN_COLLECTIONS: dict[str, tuple[str, int]] = {
    "supplychain.datasets": ("pinchpoint.workspace.datasets", 1),
    "controls.lists": ("pinchpoint.controls.store", 1),
    "screening.lists": ("pinchpoint.screening.store", 1),
    "trade.imports": ("pinchpoint.trade.store", 1),
    "trends.series": ("pinchpoint.trends.store", 1),
}
STAGING = ".staging"

_CORE_DDL = """
CREATE TABLE schema_versions (collection VARCHAR PRIMARY KEY, version INTEGER NOT NULL, migrated_at TIMESTAMP NOT NULL);
CREATE TABLE collection_items (
    collection VARCHAR NOT NULL, key VARCHAR NOT NULL, version VARCHAR NOT NULL, seq BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL, size BIGINT NOT NULL,
    meta VARCHAR NOT NULL, payload BLOB NOT NULL);
CREATE TABLE collection_files (collection VARCHAR NOT NULL, key VARCHAR NOT NULL, version VARCHAR NOT NULL,
    path VARCHAR NOT NULL);
"""
_ITEM_COLUMNS = "key, version, seq, content_hash, created_at, source, size, meta"


def now_utc() -> datetime:
    """Now, as stored (UTC, without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def sha256_16(data: bytes) -> str:
    """The content hash stored with a payload: SHA-256, first 16 hex digits."""
    return hashlib.sha256(data).hexdigest()[:16]


# Definitions ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Migration:
    """One step of a collection's schema, from ``to - 1`` to ``to``. ``run`` gets the workspace (its connection in
    ``ws.con``, inside the migration's transaction) and must not use the collection's *current* DDL, which a later
    version may change: it writes the statements it needs. Version 0 is "written before collections existed":
    a migration to 1 reads the tables the previous code wrote, when there are any."""

    to: int
    description: str
    run: Callable[[OpenWorkspace], None]


@dataclass(frozen=True)
class Collection:
    """A kind of stored thing. ``name`` is dotted by capability (``controls.lists``); ``ddl`` creates the tables
    of its own at ``version`` on a workspace that has none of them; ``migrations`` bring an older workspace to
    ``version`` (consecutive ``to`` values ending at ``version``); ``legacy_tables`` are tables the code before
    collections wrote, whose presence means version 0. ``row_tables`` are tables of its own whose first two columns
    are the key and the version (rows :meth:`Items.put` writes and :meth:`Items.delete` removes with a version).
    ``order`` says which version is the latest: the last stored (``created``) or the greatest label
    (``version``, e.g. ISO dates). ``folder``, if set, is the folder under the workspace folder that holds the
    collection's published files."""

    name: str
    version: int = 1
    ddl: str = ""
    migrations: tuple[Migration, ...] = ()
    legacy_tables: tuple[str, ...] = ()
    row_tables: tuple[str, ...] = ()
    order: Literal["created", "version"] = "created"
    folder: str | None = None

    def __post_init__(self) -> None:
        steps = [m.to for m in self.migrations]
        if self.version < 1 or any(b != a + 1 for a, b in itertools.pairwise(steps)) or \
                (steps and steps[-1] != self.version):
            raise ValueError(f"collection {self.name!r}: migrations must be consecutive steps ending at version "
                             f"{self.version} (got {steps})")
        if self.legacy_tables and (not steps or steps[0] != 1):
            raise ValueError(f"collection {self.name!r} reads legacy tables, so it needs a migration to version 1")


_REGISTRY: dict[str, Collection] = {}


def register(collection: Collection) -> Collection:
    """Register ``collection`` (once, at import of the module that defines it) and return it. Registering the same
    definition again is a no-op; a different one under the same name is an error."""
    known = _REGISTRY.get(collection.name)
    if known is not None and known != collection:
        raise ValueError(f"another collection is already registered as {collection.name!r}")
    _REGISTRY[collection.name] = collection
    return collection


def registered() -> list[Collection]:
    """Every collection registered so far in this process, the core first."""
    return [_CORE_COLLECTION, *(c for n, c in sorted(_REGISTRY.items()) if n != CORE)]


def load_builtin(stored: Mapping[str, int] | None = None) -> None:
    """Import the modules of pinchpoint's own collections (only of those not at their version in ``stored``)."""
    import importlib

    for name, (module, version) in BUILTIN_COLLECTIONS.items():
        if name not in _REGISTRY and (stored is None or stored.get(name) != version):
            importlib.import_module(module)


# Stored versions --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Version:
    """One stored version of a key. ``created`` is False when :meth:`Items.put` found the same content stored."""

    collection: str
    key: str
    version: str
    content_hash: str
    created_at: datetime
    source: str
    size: int
    meta: Mapping[str, Any] = field(default_factory=dict)
    created: bool = field(default=False, compare=False)
    seq: int = 0

    def record(self) -> dict[str, Any]:
        """A flat record for a :class:`ResultTable` (meta as compact JSON text)."""
        return {"key": self.key, "version": self.version, "content_hash": self.content_hash,
                "created_at": self.created_at.isoformat(timespec="seconds"), "source": self.source,
                "size": self.size, "meta": json.dumps(dict(self.meta), sort_keys=True, separators=(",", ":"))}


def _version(collection: str, row: Sequence[Any], created: bool = False) -> Version:
    key, version, seq, digest, created_at, source, size, meta = row
    return Version(collection, key, version, digest, created_at, source, int(size), json.loads(meta), created,
                   int(seq))


class Transaction:
    """What one :meth:`Workspace.transaction` does besides the database: files it moved into place (deleted if it
    rolls back), files it retired (deleted once it commits) and its staging folders (deleted either way)."""

    def __init__(self, ws: OpenWorkspace) -> None:
        self.ws = ws
        self.published: list[Path] = []
        self.retired: list[Path] = []
        self.staging: list[Path] = []
        self.swept: set[str] = set()

    def undo_files(self) -> None:
        for path in self.published:
            path.unlink(missing_ok=True)

    def finish_files(self, committed: bool) -> None:
        if committed:
            for path in self.retired:
                path.unlink(missing_ok=True)
        for folder in self.staging:
            shutil.rmtree(folder, ignore_errors=True)
            with suppress(OSError):  # the staging folder itself, once no other write uses it
                folder.parent.rmdir()


def before_commit(tx: Transaction) -> None:
    """Called just before a transaction commits (a seam for fault-injection tests)."""


@dataclass
class Items:
    """A collection on an open workspace: ``ws.collection(COLLECTION)``."""

    ws: OpenWorkspace
    collection: Collection

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def _readable(self) -> bool:
        return self.ws.collection_ready(self.collection)

    # Writing ------------------------------------------------------------------------------------------------------
    def put(self, key: str, payload: bytes | str = b"", *, version: str | None = None, source: str = "",
            meta: Mapping[str, Any] | None = None, content_hash: str | None = None,
            rows: Mapping[str, Iterable[Sequence[Any]]] | None = None, replace: bool = False) -> Version:
        """Store ``payload`` (and ``rows`` for the collection's row tables) as a version of ``key``.

        The content hash is the payload's SHA-256 unless ``content_hash`` gives the caller's own (such as the hash
        of the files the payload was read from). Identical content already stored under ``key`` is a no-op that
        returns that version (``created=False``). ``version`` labels the new version (default: the content hash);
        a label that exists with other content is an error unless ``replace``, which replaces it."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        digest = content_hash or sha256_16(data)
        label = version if version is not None else digest
        with self.ws.transaction():
            same = self.ws.con.execute(
                f"SELECT {_ITEM_COLUMNS} FROM collection_items WHERE collection = ? AND key = ? AND content_hash = ? "
                "ORDER BY seq DESC LIMIT 1", [self.name, key, digest]).fetchone()
            if same is not None and (version is None or same[1] == label):
                return _version(self.name, same)
            clash = self.find(key, label)
            if clash is not None:
                if not replace:
                    raise WorkspaceError(f"{self.name} {key!r} already holds version {label!r} with other content "
                                         f"(stored {clash.created_at:%Y-%m-%d %H:%M}); replace it explicitly")
                self.delete(key, label)
            row = self.ws.con.execute("SELECT coalesce(max(seq), 0) + 1 FROM collection_items").fetchone()
            seq = int(row[0]) if row else 1
            stored = Version(self.name, key, label, digest, now_utc(), source, len(data), dict(meta or {}),
                             created=True, seq=seq)
            self.ws.con.execute(
                "INSERT INTO collection_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [self.name, key, label, seq, digest, stored.created_at, source, len(data),
                 json.dumps(dict(stored.meta), sort_keys=True, default=str), data])
            for table, table_rows in (rows or {}).items():
                if table not in self.collection.row_tables:
                    raise ValueError(f"{table!r} is not a row table of collection {self.name!r}")
                insert_rows(self.ws, table, [[key, label, *r] for r in table_rows])
            return stored

    def delete(self, key: str, version: str | None = None) -> int:
        """Delete one version of ``key`` (or all of them), with its rows and files (the files once the
        transaction commits). Returns how many versions went."""
        with self.ws.transaction() as tx:
            params = [self.name, key] + ([version] if version is not None else [])
            where = "collection = ? AND key = ?" + (" AND version = ?" if version is not None else "")
            row = self.ws.con.execute(f"SELECT count(*) FROM collection_items WHERE {where}", params).fetchone()
            for table in self.collection.row_tables:
                key_column, version_column = _row_columns(self.ws, table)
                self.ws.con.execute(f"DELETE FROM {table} WHERE {key_column} = ?"
                                    + (f" AND {version_column} = ?" if version is not None else ""), params[1:])
            if self.collection.folder is not None:
                for (path,) in self.ws.con.execute(f"SELECT path FROM collection_files WHERE {where}",
                                                   params).fetchall():
                    tx.retired.append(self.folder / path)
                self.ws.con.execute(f"DELETE FROM collection_files WHERE {where}", params)
            self.ws.con.execute(f"DELETE FROM collection_items WHERE {where}", params)
            return int(row[0]) if row else 0

    # Reading ------------------------------------------------------------------------------------------------------
    def list(self, key: str | None = None) -> builtins.list[Version]:
        """Every stored version (of one key), by key, latest first."""
        if not self._readable:
            return []
        order = "seq DESC" if self.collection.order == "created" else "version DESC, seq DESC"
        rows = self.ws.con.execute(
            f"SELECT {_ITEM_COLUMNS} FROM collection_items WHERE collection = ? AND (? IS NULL OR key = ?) "
            f"ORDER BY key, {order}", [self.name, key, key]).fetchall()
        return [_version(self.name, r) for r in rows]

    def keys(self) -> builtins.list[str]:
        if not self._readable:
            return []
        return [r[0] for r in self.ws.con.execute(
            "SELECT DISTINCT key FROM collection_items WHERE collection = ? ORDER BY key", [self.name]).fetchall()]

    def latest(self, key: str) -> Version | None:
        """The latest version of ``key`` (see :attr:`Collection.order`), if any."""
        versions = self.list(key)
        return versions[0] if versions else None

    def latest_each(self) -> builtins.list[Version]:
        """The latest version of every key, by key."""
        latest: dict[str, Version] = {}
        for version in self.list():  # by key, latest first
            latest.setdefault(version.key, version)
        return builtins.list(latest.values())

    def find(self, key: str, version: str) -> Version | None:
        """The version of ``key`` labelled ``version``, if any."""
        if not self._readable:
            return None
        row = self.ws.con.execute(f"SELECT {_ITEM_COLUMNS} FROM collection_items WHERE collection = ? AND key = ? "
                                  "AND version = ?", [self.name, key, version]).fetchone()
        return _version(self.name, row) if row is not None else None

    def get(self, key: str, version: str | None = None) -> bytes:
        """The payload of ``key`` at ``version`` (default: the latest). An unknown key or version is a
        :class:`NotFoundError` naming what is stored."""
        found = self.latest(key) if version is None else self.find(key, version)
        if found is None:
            import difflib

            have = [v.version for v in self.list(key)] if version is not None else self.keys()
            wanted = version if version is not None else key
            what = f"version {version!r} of {key!r}" if version is not None else repr(key)
            raise NotFoundError(f"no {what} in {self.name} in {self.ws.path} (stored: {', '.join(have) or 'none'})",
                                suggestions=difflib.get_close_matches(wanted, have, n=3, cutoff=0.3),
                                what=self.name, value=wanted)
        return self.payload(found)

    def payload(self, version: Version) -> bytes:
        row = self.ws.con.execute("SELECT payload FROM collection_items WHERE collection = ? AND key = ? AND "
                                  "version = ?", [self.name, version.key, version.version]).fetchone()
        if row is None:
            raise WorkspaceError(f"version {version.version!r} of {version.key!r} is no longer in {self.name}")
        return bytes(row[0])

    def table(self, key: str | None = None, *, name: str | None = None) -> ResultTable:
        """:meth:`list` as a ResultTable (key, version, content_hash, created_at, source, size, meta)."""
        from pinchpoint.results import ResultTable

        columns = ["key", "version", "content_hash", "created_at", "source", "size", "meta"]
        return ResultTable.from_records(name or self.name, [v.record() for v in self.list(key)], columns,
                                        meta={"workspace": str(self.ws.path), "collection": self.name})

    # Files --------------------------------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        if self.collection.folder is None:
            raise ValueError(f"collection {self.name!r} has no folder")
        return self.ws.path.parent / self.collection.folder

    def files(self, key: str | None = None) -> builtins.list[Path]:
        """The published files (of one key), by path."""
        if not self._readable or self.collection.folder is None:
            return []
        rows = self.ws.con.execute("SELECT path FROM collection_files WHERE collection = ? AND (? IS NULL OR key = ?) "
                                   "ORDER BY path", [self.name, key, key]).fetchall()
        return [self.folder / p for (p,) in rows]

    def file_versions(self) -> builtins.list[tuple[str, str, Path]]:
        """(key, version, path) of every published file."""
        if not self._readable or self.collection.folder is None:
            return []
        rows = self.ws.con.execute("SELECT key, version, path FROM collection_files WHERE collection = ? "
                                   "ORDER BY path", [self.name]).fetchall()
        return [(k, v, self.folder / p) for k, v, p in rows]

    def sweep(self) -> builtins.list[Path]:
        """Delete what an interrupted write left in the folder: the staging folder and files no version lists.
        Returns the files deleted. (The database admits one writer, so no other write is under way.)"""
        folder = self.folder
        listed: set[Path] = set(self.files())
        removed = [f for f in folder.rglob("*") if f.is_file() and STAGING not in f.relative_to(folder).parts
                   and f not in listed] if folder.exists() else []
        for f in removed:
            f.unlink()
        if (folder / STAGING).exists():
            shutil.rmtree(folder / STAGING, ignore_errors=True)
        return removed

    def staging(self) -> Path:
        """A new empty folder to write files in, inside the collection's folder (so a move into place is a rename
        on one file system), deleted when the transaction ends. Must be called inside ``ws.transaction()``; the
        first call in a transaction first sweeps what an interrupted write left."""
        tx = self._current()
        if self.name not in tx.swept:
            self.sweep()
            tx.swept.add(self.name)
        path = self.folder / STAGING / uuid.uuid4().hex[:12]
        path.mkdir(parents=True)
        tx.staging.append(path)
        return path

    def publish(self, staged: Path, path: str, *, key: str, version: str) -> Path:
        """Move ``staged`` to ``path`` (relative to the folder) and list it under ``key`` and ``version``, inside
        the current transaction: if it rolls back, the file is deleted again."""
        tx = self._current()
        rel = Path(path)
        if rel.is_absolute() or ".." in rel.parts or (rel.parts and rel.parts[0] == STAGING):
            raise ValueError(f"not a path inside the collection's folder: {path}")
        target = self.folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        tx.published.append(target)
        self.ws.con.execute("INSERT INTO collection_files VALUES (?, ?, ?, ?)",
                            [self.name, key, version, rel.as_posix()])
        return target

    def retire_file(self, path: Path) -> None:
        """Stop listing a published file now and delete it once the current transaction commits."""
        tx = self._current()
        rel = path.relative_to(self.folder).as_posix()
        self.ws.con.execute("DELETE FROM collection_files WHERE collection = ? AND path = ?", [self.name, rel])
        tx.retired.append(path)

    def _current(self) -> Transaction:
        tx = self.ws.current_transaction
        if tx is None:
            raise WorkspaceError(f"{self.name}: files are published inside ws.transaction() only")
        return tx


def insert_rows(ws: OpenWorkspace, table: str, rows: list[list[Any]]) -> None:
    """Insert many rows into ``table`` at once (columns in table order)."""
    if not rows:
        return
    import numpy as np

    columns = [d[0] for d in ws.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    frame = {c: np.array([r[k] for r in rows], dtype=object) for k, c in enumerate(columns)}
    ws.con.register("_collection_rows", frame)
    try:
        ws.con.execute(f"INSERT INTO {table} SELECT * FROM _collection_rows")
    finally:
        ws.con.unregister("_collection_rows")


def _row_columns(ws: OpenWorkspace, table: str) -> tuple[str, str]:
    """The key and version columns of a row table (its first two)."""
    columns = [d[0] for d in ws.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    return columns[0], columns[1]


# Schema versions --------------------------------------------------------------------------------------------------
def has_table(ws: OpenWorkspace, name: str) -> bool:
    row = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def stored_versions(ws: OpenWorkspace) -> dict[str, int]:
    """Collection -> stored schema version (empty on a workspace without collections)."""
    import duckdb

    try:
        rows = ws.con.execute("SELECT collection, version FROM schema_versions").fetchall()
    except duckdb.CatalogException:
        return {}
    return {name: int(v) for name, v in rows}


def _stored_version(ws: OpenWorkspace, collection: Collection, stored: Mapping[str, int]) -> int | None:
    """The collection's schema version in ``ws``: None if absent, 0 if only the pre-collections tables hold it."""
    if collection.name in stored:
        return stored[collection.name]
    if any(has_table(ws, t) for t in collection.legacy_tables):
        return 0
    return None


def migrate(ws: OpenWorkspace, collection: Collection, stored: Mapping[str, int]) -> bool:
    """Create or migrate one collection in ``ws`` (open for writing), in one transaction. True if it did."""
    have = _stored_version(ws, collection, stored)
    if have == collection.version:
        return False
    if have is not None and have > collection.version:
        raise WorkspaceError(f"workspace {ws.path} holds collection {collection.name!r} at schema version {have}, "
                             f"newer than this pinchpoint knows ({collection.version}): upgrade pinchpoint")
    with ws.transaction():
        if have is None:
            if collection.ddl.strip():
                ws.con.execute(collection.ddl)
        else:
            for step in collection.migrations:
                if step.to > have:
                    step.run(ws)
        ws.con.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?, ?)",
                       [collection.name, collection.version, now_utc()])
    return True


def setup(ws: OpenWorkspace) -> dict[str, int]:
    """Create or migrate every collection (the core first) in a workspace open for writing: pinchpoint's own and
    any registered so far. Returns the stored versions afterwards."""
    stored = stored_versions(ws)
    load_builtin(stored)
    for collection in registered():
        if stored.get(collection.name, 0) > collection.version:
            continue  # written by a newer pinchpoint: refused when used, the others stay usable
        if migrate(ws, collection, stored):
            stored = stored_versions(ws)
    return stored


def check_readable(ws: OpenWorkspace, collection: Collection, stored: Mapping[str, int]) -> bool:
    """Whether a read-only workspace holds ``collection`` at this code's schema version (False: it holds none of
    it, so reads find nothing); an older or newer schema is an error naming the collection."""
    have = _stored_version(ws, collection, stored)
    if have is None:
        return False
    if have != collection.version:
        newer = have > collection.version
        how = "upgrade pinchpoint" if newer else "open it for writing once (any command that stores something, " \
            "or Workspace(path) in Python) and it is migrated"
        raise WorkspaceError(f"workspace {ws.path} holds collection {collection.name!r} at schema version {have}; "
                             f"this pinchpoint reads version {collection.version}: {how}")
    return True


_CORE_COLLECTION = Collection(CORE, version=1, ddl=_CORE_DDL)


def check_reader_schema(ws: OpenWorkspace) -> dict[str, int]:
    """For a read-only open: the stored versions, after checking the collections registered so far (an older
    schema is an error saying which collection needs migrating and how)."""
    stored = stored_versions(ws)
    for collection in registered()[1:]:
        if stored.get(collection.name, 0) > collection.version:
            continue  # written by a newer pinchpoint: refused when used, the others stay readable
        if collection.name in stored or any(has_table(ws, t) for t in collection.legacy_tables):
            check_readable(ws, collection, stored)
    return stored


def items(ws: OpenWorkspace, collection: Collection | str) -> Items:
    if isinstance(collection, str):
        found = _REGISTRY.get(collection)
        if found is None:
            load_builtin()
            found = _REGISTRY.get(collection)
        if found is None:
            raise WorkspaceError(f"no collection {collection!r} is registered (known: {', '.join(sorted(_REGISTRY))})")
        collection = found
    return Items(ws, collection)
