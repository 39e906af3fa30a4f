"""A DuckDB file that holds imported datasets by name and version.

* A dataset's **version** is a content hash of the files it was read from, so re-importing the
  same files is a no-op and changed files make a new version (old versions stay queryable).
* Each import runs in one transaction: a failure leaves the workspace as it was.
* Besides an exact copy of the model (JSON, used to reload it), each version is also stored as
  plain tables (``inputs``, ``providers``, ``provisions``, ``relations``) for users' own SQL.

Location: ``--workspace PATH``, else ``$PINCHPOINT_HOME``, else the user data directory.

**Locking.** DuckDB lets one process write a database file, or any number read it, never both at once. Readers
(``screen``, the API) open the file read-only for as short a time as they can (``Workspace.open_reader``) and
parse what they fetched after closing it; a writer that finds the file locked retries for up to
:data:`LOCK_WAIT_SECONDS` (``$PINCHPOINT_LOCK_WAIT``), saying which process holds the lock, then fails with an error
that names it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import WorkspaceError

if TYPE_CHECKING:
    import duckdb

    from pinchpoint.results import ResultTable
    from pinchpoint.supplychain.model import SupplyChain

DB_FILE = "workspace.duckdb"
SCHEMA_VERSION = 1
#: How long opening a workspace waits for another process's lock before giving up (``$PINCHPOINT_LOCK_WAIT``).
LOCK_WAIT_SECONDS = 30.0

_log = logging.getLogger("pinchpoint.workspace")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR, version VARCHAR, source_path VARCHAR, format VARCHAR, title VARCHAR,
    imported_at TIMESTAMP, n_inputs INTEGER, n_providers INTEGER, n_provisions INTEGER,
    n_relations INTEGER, payload VARCHAR, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS inputs (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, stage VARCHAR, market_size_usd DOUBLE, market_size_year INTEGER);
CREATE TABLE IF NOT EXISTS providers (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, country VARCHAR);
CREATE TABLE IF NOT EXISTS provisions (dataset VARCHAR, version VARCHAR, provider VARCHAR,
    input VARCHAR, share DOUBLE, year INTEGER, source VARCHAR);
CREATE TABLE IF NOT EXISTS relations (dataset VARCHAR, version VARCHAR, source VARCHAR,
    target VARCHAR, kind VARCHAR, mode VARCHAR);
"""


def default_workspace_path() -> Path:
    home = os.environ.get("PINCHPOINT_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("pinchpoint", appauthor=False))


def lock_wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("PINCHPOINT_LOCK_WAIT", LOCK_WAIT_SECONDS)))
    except ValueError:
        return LOCK_WAIT_SECONDS


def _lock_holder(message: str) -> str | None:
    """Who holds a DuckDB lock, from its error message ("... held in /usr/bin/python3 (PID 123)"), with the
    command line when it can be read."""
    found = re.search(r"held in (.*?) \(PID (\d+)\)", message)
    if not found:
        return None
    pid = found.group(2)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = found.group(1)
    return f"process {pid} ({command[:120]})"


def content_hash(path: Path) -> str:
    """SHA-256 (first 16 hex digits) over a file, or over a folder's files in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(f.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        digest.update(b"\0")
        digest.update(f.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    version: str
    source_path: str
    format: str
    title: str
    imported_at: datetime
    n_inputs: int
    n_provisions: int
    created: bool  # False when the same content was already imported


class Workspace:
    """An open workspace. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False,
                 lock_wait: float | None = None, on_wait: Callable[[str], None] | None = None) -> None:
        """Open (or create) the workspace. When another process holds the file, retry for ``lock_wait``
        seconds (default :func:`lock_wait_seconds`), telling ``on_wait`` (default: the log) once what it waits
        for."""
        import duckdb

        p = Path(path).expanduser()
        db = p if p.suffix == ".duckdb" else p / DB_FILE
        if not db.exists() and (not create or read_only):
            raise WorkspaceError(f"no workspace at {db}", what="datasets")
        wait = lock_wait_seconds() if lock_wait is None else lock_wait
        deadline = time.monotonic() + wait
        delay, told = 0.02, False
        while True:
            try:
                db.parent.mkdir(parents=True, exist_ok=True)
                self.con: duckdb.DuckDBPyConnection = duckdb.connect(str(db), read_only=read_only)
                break
            except OSError as exc:
                raise WorkspaceError(f"cannot open workspace {db}: {exc}") from None
            except duckdb.Error as exc:
                if read_only and "different configuration" in str(exc):
                    read_only = False  # this process has it open for writing already: share that instance
                    continue
                holder = _lock_holder(str(exc)) if "lock" in str(exc).lower() else None
                if holder is None:
                    raise WorkspaceError(f"cannot open workspace {db}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise WorkspaceError(f"workspace {db} is still locked by {holder} after {wait:g} s; try again "
                                         "when it is done (or raise $PINCHPOINT_LOCK_WAIT)") from None
                if not told:
                    (on_wait or _log.warning)(f"waiting up to {wait:g} s for workspace {db}: locked by {holder}")
                    told = True
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.25)
        self.path = db
        self.read_only = read_only
        if not read_only:
            self.con.execute(_SCHEMA)
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    @classmethod
    def open_default(cls, *, create: bool = True, on_wait: Callable[[str], None] | None = None) -> Workspace:
        return cls(default_workspace_path(), create=create, on_wait=on_wait)

    @classmethod
    def open_reader(cls, path: Path | None = None, *, on_wait: Callable[[str], None] | None = None) -> Workspace:
        """Open read-only, for a reader that fetches what it needs and closes at once: any number of readers
        share the file, and a writer waits only while one is open."""
        return cls(path if path is not None else default_workspace_path(), read_only=True, on_wait=on_wait)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # Import ---------------------------------------------------------------------------------
    def record(self, name: str, version: str) -> DatasetRecord | None:
        """The stored dataset ``name`` at ``version``, if any."""
        row = self.con.execute(
            "SELECT source_path, format, title, imported_at, n_inputs, n_provisions FROM datasets "
            "WHERE name = ? AND version = ?", [name, version]).fetchone()
        if row is None:
            return None
        return DatasetRecord(name, version, row[0], row[1], row[2], row[3], row[4], row[5], created=False)

    def store(self, chain: SupplyChain, *, version: str, source_path: str, fmt: str) -> DatasetRecord:
        """Store ``chain`` as ``version`` in one transaction (a no-op if that version exists)."""
        existing = self.record(chain.name, version)
        if existing is not None:
            return existing
        now = datetime.now(UTC).replace(tzinfo=None)  # stored as UTC
        key = [chain.name, version]
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key + [source_path, fmt, chain.title, now, len(chain.inputs), len(chain.providers),
                       len(chain.provisions), len(chain.relations), chain.model_dump_json()])
            self._insert("inputs", [key + [i.id, i.name, i.kind.value, i.stage, i.market_size_usd,
                                           i.market_size_year] for i in chain.inputs])
            self._insert("providers", [key + [p.id, p.name, p.kind.value, p.home_country] for p in chain.providers])
            self._insert("provisions", [key + [v.provider, v.input, v.share, v.year, v.source]
                                        for v in chain.provisions])
            self._insert("relations", [key + [r.source, r.target, r.kind.value, r.mode.value]
                                       for r in chain.relations])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return DatasetRecord(chain.name, version, source_path, fmt, chain.title, now, len(chain.inputs),
                             len(chain.provisions), created=True)

    def _insert(self, table: str, rows: list[list[Any]]) -> None:
        if not rows:
            return
        import numpy as np

        columns = [d[0] for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
        frame = {c: np.array([r[k] for r in rows], dtype=object) for k, c in enumerate(columns)}
        self.con.register("_frame", frame)
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
        finally:
            self.con.unregister("_frame")

    # Reading --------------------------------------------------------------------------------
    def versions(self, name: str) -> list[str]:
        rows = self.con.execute("SELECT version FROM datasets WHERE name = ? ORDER BY imported_at DESC",
                                [name]).fetchall()
        return [r[0] for r in rows]

    def load(self, ref: str) -> SupplyChain:
        """Load ``name`` (latest version) or ``name@version``."""
        from pinchpoint.supplychain.model import SupplyChain

        name, _, version = ref.partition("@")
        if version:
            row = self.con.execute("SELECT payload FROM datasets WHERE name = ? AND version LIKE ?",
                                   [name, version + "%"]).fetchall()
        else:
            row = self.con.execute("SELECT payload FROM datasets WHERE name = ? ORDER BY imported_at DESC LIMIT 1",
                                   [name]).fetchall()
        if not row:
            known = ", ".join(self.names()) or "none"
            raise WorkspaceError(f"no dataset {ref!r} in workspace {self.path} (datasets: {known})")
        if len(row) > 1:
            raise WorkspaceError(f"version prefix {version!r} of {name!r} is ambiguous")
        return SupplyChain.model_validate_json(row[0][0])

    def names(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT name FROM datasets ORDER BY name").fetchall()]

    def query_table(self, name: str, sql: str, params: list[Any] | None = None) -> ResultTable:
        """Run ``sql`` and return its rows as a ResultTable (dates and times as ISO text)."""
        from datetime import date, datetime

        from pinchpoint.results import ResultTable

        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        rows = []
        for values in cur.fetchall():
            rows.append({c: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else
                             v.isoformat() if isinstance(v, date) else v) for c, v in zip(cols, values, strict=True)})
        return ResultTable.from_records(name, rows, cols, meta={"workspace": str(self.path)})

    def list_datasets(self) -> ResultTable:
        return self.query_table(
            "datasets", "SELECT name, version, format, title, imported_at, n_inputs, n_providers, n_provisions, "
            "n_relations, source_path FROM datasets ORDER BY name, imported_at DESC")
