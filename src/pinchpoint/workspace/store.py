"""A DuckDB file that holds imported datasets by name and version.

* A dataset's **version** is a content hash of the files it was read from, so re-importing the
  same files is a no-op and changed files make a new version (old versions stay queryable).
* Each import runs in one transaction: a failure leaves the workspace as it was.
* Besides an exact copy of the model (JSON, used to reload it), each version is also stored as
  plain tables (``inputs``, ``providers``, ``provisions``, ``relations``, and the view ``datasets``) for users' own
  SQL.
* Everything stored is in a collection (:mod:`pinchpoint.workspace.collections`): opening the workspace for
  writing creates or migrates every registered collection once; :meth:`Workspace.transaction` is the one
  transaction every write goes through.

Location: ``--workspace PATH``, else ``$PINCHPOINT_HOME``, else the user data directory.

**Locking.** DuckDB lets one process write a database file, or any number read it, never both at once. Readers
(``screen``, the API) open the file read-only for as short a time as they can (``Workspace.open_reader``) and
parse what they fetched after closing it; a writer that finds the file locked retries for up to
:data:`LOCK_WAIT_SECONDS` (``$PINCHPOINT_LOCK_WAIT``), saying which process holds the lock, then fails with an error
that names it. A writer that waits is not starved by readers that keep coming (a busy ``serve``): while it waits it
holds a turnstile (an exclusive ``flock`` on ``workspace.duckdb.turnstile``) that every reader passes through before
it opens the file, so new readers queue behind the writer while the ones already in finish.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import WorkspaceError
from pinchpoint.workspace import collections
from pinchpoint.workspace.collections import Collection, Items, Transaction
from pinchpoint.workspace.datasets import DatasetRecord

__all__ = ["DatasetRecord", "Workspace", "content_hash", "default_workspace_path"]

if TYPE_CHECKING:
    import duckdb

    from pinchpoint.results import ResultTable
    from pinchpoint.supplychain.model import SupplyChain

DB_FILE = "workspace.duckdb"
#: How long opening a workspace waits for another process's lock before giving up (``$PINCHPOINT_LOCK_WAIT``).
LOCK_WAIT_SECONDS = 30.0

_log = logging.getLogger("pinchpoint.workspace")


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


#: How many workspaces this process has open on each file: a reader opened while this process is already in the
#: file (a nested open) does not queue at the turnstile, where it would wait on a writer that waits for this process.
_OPEN_HERE: Counter[Path] = Counter()
_OPEN_HERE_LOCK = threading.Lock()


class _Turnstile:
    """Writer preference over DuckDB's file lock, which has none: a waiting writer holds ``<db>.turnstile``
    exclusively; a reader takes it shared for an instant before each attempt to open, so it waits while a writer
    does. Best effort: where ``flock`` or the file is unavailable (Windows, a read-only folder) it does nothing."""

    def __init__(self, db: Path) -> None:
        self.path = db.with_name(db.name + ".turnstile")
        self.fd: int | None = None

    def _open(self, create: bool) -> int | None:
        try:
            import fcntl  # noqa: F401  (POSIX only)

            return os.open(self.path, (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY, 0o644)
        except (ImportError, OSError):
            return None

    def hold(self, deadline: float) -> None:
        """Take the turnstile exclusively (readers only ever hold it for an instant), giving up at ``deadline``."""
        import fcntl

        fd = self._open(create=True)
        if fd is None:
            return
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return
            except BlockingIOError:  # another writer waits; queue behind it, then meet the file lock as before
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return
                time.sleep(0.01)
            except OSError:
                os.close(fd)
                return

    def pass_through(self, deadline: float) -> None:
        """Wait while a writer holds the turnstile (until ``deadline`` at most), then let go at once."""
        import fcntl

        fd = self._open(create=False)
        if fd is None:
            return
        try:
            delay = 0.005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        return  # then the open below fails with the error that names the holder
                    time.sleep(delay)
                    delay = min(delay * 2, 0.1)
        except OSError:
            return
        finally:
            os.close(fd)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops its lock
            self.fd = None


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
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot open workspace {db}: {exc}") from None
        turnstile = _Turnstile(db)
        with _OPEN_HERE_LOCK:
            inside = _OPEN_HERE[db] > 0
        if not read_only and not inside:
            turnstile.hold(deadline)  # released once connected (below), so readers queue only while we wait
        try:
            while True:
                if read_only and not inside:
                    turnstile.pass_through(deadline)
                try:
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
                        raise WorkspaceError(f"workspace {db} is still locked by {holder} after {wait:g} s; try "
                                             "again when it is done (or raise $PINCHPOINT_LOCK_WAIT)") from None
                    if not told:
                        (on_wait or _log.warning)(f"waiting up to {wait:g} s for workspace {db}: locked by {holder}")
                        told = True
                    time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                    delay = min(delay * 2, 0.25)
        finally:
            turnstile.release()
        self.path = db
        self.read_only = read_only
        self._transaction: Transaction | None = None
        self._ready: set[str] = set()
        try:
            # once per open: a writer creates or migrates every registered collection, a reader checks them
            self._schema = (collections.check_reader_schema(self) if read_only
                            else collections.setup(self))
        except BaseException:
            self.con.close()
            raise
        self._counted = True
        with _OPEN_HERE_LOCK:
            _OPEN_HERE[db] += 1

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
        if getattr(self, "_counted", False):
            self._counted = False
            with _OPEN_HERE_LOCK:
                _OPEN_HERE[self.path] -= 1
                if _OPEN_HERE[self.path] <= 0:
                    del _OPEN_HERE[self.path]

    # Collections ----------------------------------------------------------------------------------------------
    def collection(self, collection: Collection | str) -> Items:
        """A registered collection (object or name) on this workspace: put / latest / get / list / delete."""
        return collections.items(self, collection)

    def collection_ready(self, collection: Collection) -> bool:
        """Whether ``collection`` can be read here (created or migrated now if it was registered after this
        workspace was opened for writing; on a read-only workspace, False when it holds none of it)."""
        if collection.name in self._ready:
            return True
        if self.read_only:
            if not collections.check_readable(self, collection, self._schema):
                return False
        else:
            collections.migrate(self, collection, self._schema)
            self._schema = collections.stored_versions(self)
        self._ready.add(collection.name)
        return True

    @property
    def current_transaction(self) -> Transaction | None:
        return self._transaction

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """The one transaction every write goes through: everything written inside it (rows of any collection,
        files published) commits or rolls back as a whole. A transaction opened inside another joins it."""
        if self.read_only:
            raise WorkspaceError(f"workspace {self.path} is open read-only")
        if self._transaction is not None:
            yield self._transaction
            return
        tx = self._transaction = Transaction(self)
        committed = False
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield tx
            collections.before_commit(tx)
            self.con.execute("COMMIT")
            committed = True
        except BaseException:
            with suppress(Exception):  # when the commit itself failed, DuckDB has rolled back already
                self.con.execute("ROLLBACK")
            tx.undo_files()
            raise
        finally:
            self._transaction = None
            tx.finish_files(committed)

    # Supply-chain datasets (the collection in :mod:`pinchpoint.workspace.datasets`) ---------------------------
    def record(self, name: str, version: str) -> DatasetRecord | None:
        """The stored dataset ``name`` at ``version``, if any."""
        from pinchpoint.workspace import datasets

        return datasets.record(self, name, version)

    def store(self, chain: SupplyChain, *, version: str, source_path: str, fmt: str) -> DatasetRecord:
        """Store ``chain`` as ``version`` in one transaction (a no-op if that version exists)."""
        from pinchpoint.workspace import datasets

        return datasets.store(self, chain, version=version, source_path=source_path, fmt=fmt)

    def versions(self, name: str) -> list[str]:
        from pinchpoint.workspace import datasets

        return datasets.versions(self, name)

    def load(self, ref: str) -> SupplyChain:
        """Load ``name`` (latest version) or ``name@version``."""
        from pinchpoint.workspace import datasets

        return datasets.load(self, ref)

    def names(self) -> list[str]:
        from pinchpoint.workspace import datasets

        return datasets.names(self)

    def list_datasets(self) -> ResultTable:
        from pinchpoint.workspace import datasets

        return datasets.list_datasets(self)

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
