"""One ``Session`` under every interface: what is expensive to build, held once, and one method per use case.

    from pinchpoint.session import Session

    session = Session()                                  # the default workspace ($PINCHPOINT_HOME, ...)
    session.supplychain.concentration("builtin")         # -> ResultTable with provenance and caveats
    session.stress.run("taiwan-strait-blockade")         # -> StressRun (typed bundle of named ResultTables)

The CLI and the HTTP API are thin shells over it: they parse their input, call one method and present the
``ResultTable`` it returns, so a library user, a command and an endpoint give the same answer to the same question.

**Held once** (per session, per workspace): loaded supply chains and their compiled stress networks (by dataset
version), the restricted-party lists and their ``Screener``, the control lists and their ``ControlIndex``. Each is
cached with a *stamp* of what it was built from (a dataset's version, the lists' content hashes); before use, a
cheap check of the workspace files (:func:`workspace_state`, a ``stat`` of the DuckDB file and its WAL) says
whether the workspace changed at all, and only then are the stamps re-read and changed resources rebuilt. A
rebuild is done by one thread; concurrent callers keep being answered from the previous value meanwhile.

**Groups.** Methods are grouped by domain, one module each (``pinchpoint/session/<domain>.py`` defining a
:class:`Group` subclass with ``name = "<domain>"``); ``session.<domain>`` imports it on first use, so a new
capability adds its module (and one annotation line in :class:`Session` for type checkers) without editing the
others.

**Actor and authorisation.** A session acts for an :class:`Actor` (default: the local, all-powerful user). Every
method calls :meth:`Session.authorize` with an action (``"screening.screen"``) and a resource (``"lists:*"``)
before it reads anything; the default authoriser allows everything, a multi-user shell passes its own.
:meth:`Session.permits` asks the same question without raising (to list only what the actor may read), and
:meth:`Session.record` tells a *recorder* what was done (a multi-user shell's audit trail and ownership of what the
actor created), so every interface over a session is audited alike.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pinchpoint.errors import PinchpointError

if TYPE_CHECKING:
    from pinchpoint.session.controls import ControlsGroup
    from pinchpoint.session.plan import PlanGroup
    from pinchpoint.session.screening import ScreeningGroup
    from pinchpoint.session.stress import StressGroup
    from pinchpoint.session.supplychain import SupplyChainGroup
    from pinchpoint.session.trade import TradeGroup
    from pinchpoint.session.trends import TrendsGroup
    from pinchpoint.workspace import Workspace

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who a session acts for. ``role`` and ``organisation`` are for the authoriser to interpret."""

    user: str = "local"
    organisation: str | None = None
    role: str = "owner"


LOCAL_ACTOR = Actor()


class AccessDenied(PinchpointError):
    """The session's actor may not do this (raised by an authoriser)."""


Authorizer = Callable[[Actor, str, str], None]
#: ``recorder(actor, event, resource, details, created)``: told after a use case did something worth recording
#: (``created``: the actor's organisation now owns ``resource``).
Recorder = Callable[[Actor, str, str, Mapping[str, Any], bool], None]


def allow_all(actor: Actor, action: str, resource: str) -> None:
    """The default authoriser: a local user may do everything."""


def record_nothing(actor: Actor, event: str, resource: str, details: Mapping[str, Any], created: bool) -> None:
    """The default recorder: a local session keeps no audit trail."""


@dataclass(frozen=True)
class WorkspaceState:
    """A cheap fingerprint of a workspace's files: changes whenever anything is written to it."""

    path: str
    files: tuple[tuple[str, int, int], ...]  # (name, size, mtime_ns) of the DuckDB file and its WAL, if present


def workspace_state(db: Path) -> WorkspaceState:
    """``stat`` of the DuckDB file and its write-ahead log (a few microseconds; opening the file costs ~20 ms)."""
    files = []
    for f in (db, db.with_name(db.name + ".wal")):
        try:
            st = f.stat()
        except OSError:
            continue
        files.append((f.name, st.st_size, st.st_mtime_ns))
    return WorkspaceState(str(db), tuple(files))


@dataclass
class _Entry:
    stamp: Hashable
    value: Any


@dataclass
class Cache:
    """Values by key, each with the stamp it was built from; rebuilt when the stamp changes. Thread-safe: a build
    runs once per key at a time, and while it runs other threads are answered with the previous value (if any)."""

    entries: dict[Hashable, _Entry] = field(default_factory=dict)
    builds: dict[Hashable, int] = field(default_factory=dict)  # how often each key was built (tests, metrics)
    _locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Hashable, stamp: Hashable, build: Callable[[], T]) -> T:
        entry = self.entries.get(key)
        if entry is not None and entry.stamp == stamp:
            return entry.value  # type: ignore[no-any-return]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if entry is not None and not lock.acquire(blocking=False):
            return entry.value  # type: ignore[no-any-return]  # another thread is rebuilding: no downtime
        if entry is None:
            lock.acquire()
        try:
            entry = self.entries.get(key)
            if entry is not None and entry.stamp == stamp:
                return entry.value  # type: ignore[no-any-return]
            value = build()
            self.entries[key] = _Entry(stamp, value)
            self.builds[key] = self.builds.get(key, 0) + 1
            return value
        finally:
            lock.release()

    def clear(self) -> None:
        self.entries.clear()


class Group:
    """A domain's methods on a session. Subclasses set ``name`` (the attribute: ``session.<name>``)."""

    name: ClassVar[str] = ""

    def __init__(self, session: Session) -> None:
        self.session = session


class Session:
    """One per user (or per process): holds the expensive objects and offers one method per use case.

    ``workspace_path``: a workspace folder or ``.duckdb`` file (default: ``$PINCHPOINT_HOME`` or the user data
    directory, read when needed). ``on_wait`` hears when another process holds the workspace locked (the CLI
    prints it). ``local_files``: whether methods may read files named by the caller (datasets, code lists,
    scenario files); a server session sets it False, so a request can name only what the workspace holds.
    Thread-safe: the API serves every request from one session.
    """

    if TYPE_CHECKING:  # the groups, imported on first use (see __getattr__); a new group adds one line here
        supplychain: SupplyChainGroup
        stress: StressGroup
        controls: ControlsGroup
        trade: TradeGroup
        trends: TrendsGroup
        plan: PlanGroup
        screening: ScreeningGroup

    def __init__(self, workspace_path: str | Path | None = None, *, actor: Actor | None = None,
                 authorizer: Authorizer | None = None, on_wait: Callable[[str], None] | None = None,
                 local_files: bool = True, warm: bool = False, recorder: Recorder | None = None) -> None:
        self.workspace_path = Path(workspace_path).expanduser() if workspace_path is not None else None
        self.actor = actor or LOCAL_ACTOR
        self.authorizer = authorizer or allow_all
        self.recorder = recorder or record_nothing
        self.on_wait = on_wait
        self.local_files = local_files
        self.warm = warm
        self.cache = Cache()
        self._groups: dict[str, Group] = {}
        self._groups_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._state: WorkspaceState | None = None
        self._stamps: dict[str, Hashable] = {}

    # Groups ------------------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        with self._groups_lock:
            group = self._groups.get(name)
            if group is None:
                group = self._make_group(name)
                self._groups[name] = group
        return group

    def _make_group(self, name: str) -> Group:
        try:
            module = importlib.import_module(f"pinchpoint.session.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pinchpoint.session.{name}":
                raise
            raise AttributeError(f"Session has no group {name!r}") from None
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Group) and value.name == name:
                return value(self)
        raise AttributeError(f"pinchpoint.session.{name} defines no Group named {name!r}")

    # Authorisation -----------------------------------------------------------------------------------------
    def authorize(self, action: str, resource: str) -> None:
        """Raise :class:`AccessDenied` (or another error of the authoriser's) if the actor may not do this."""
        self.authorizer(self.actor, action, resource)

    def organisation(self) -> str:
        """The organisation the session acts for now: the authoriser's answer where it knows each request's actor
        (a server's shared session), else the session actor's ("" for the local operator)."""
        probe = getattr(self.authorizer, "organisation", None)
        if callable(probe):
            return str(probe(self.actor) or "")
        return self.actor.organisation or ""

    def account_user(self) -> str | None:
        """The user name of the signed-in account the session acts for now (the authoriser's answer where it knows
        accounts), None where there are no accounts or the actor is the operator: what a decision is recorded
        under, whatever a request says."""
        probe = getattr(self.authorizer, "account_user", None)
        if callable(probe):
            found = probe(self.actor)
            return None if found is None else str(found)
        return None

    def is_operator(self) -> bool:
        """Whether the session acts for the operator (the server's own terminal, or a local single-user session),
        who sees what every organisation keeps (review decisions, stored screenings); anyone else sees their own
        organisation's and the operator's (the authoriser's answer where it knows each request's actor)."""
        probe = getattr(self.authorizer, "is_operator", None)
        if callable(probe):
            return bool(probe(self.actor))
        return not self.actor.organisation and self.actor.role == LOCAL_ACTOR.role

    def permits(self, action: str, resource: str) -> bool:
        """Whether :meth:`authorize` would allow this, asked quietly (an authoriser with a ``permits`` method is
        asked that, so a listing does not record one refusal per hidden item)."""
        quiet = getattr(self.authorizer, "permits", None)
        if quiet is not None:
            return bool(quiet(self.actor, action, resource))
        try:
            self.authorizer(self.actor, action, resource)
        except PinchpointError:
            return False
        return True

    def record(self, event: str, resource: str, details: Mapping[str, Any] | None = None, *,
               created: bool = False) -> None:
        """Tell the recorder what was done (``event``: ``"supplychain.upload"``; ``resource``: ``"dataset:eto"``)."""
        self.recorder(self.actor, event, resource, details or {}, created)

    # Workspace ---------------------------------------------------------------------------------------------
    def db_path(self) -> Path:
        """The DuckDB file of the workspace (it may not exist yet)."""
        from pinchpoint.workspace.store import DB_FILE, default_workspace_path

        base = self.workspace_path if self.workspace_path is not None else default_workspace_path()
        return base if base.suffix == ".duckdb" else base / DB_FILE

    def open_workspace(self, *, create: bool = True) -> Workspace:
        """The workspace, opened for writing (waits, bounded, while another process holds it)."""
        from pinchpoint.workspace import Workspace

        return Workspace(self.db_path(), create=create, on_wait=self.on_wait)

    def open_reader(self) -> Workspace:
        """The workspace opened read-only, for fetching and closing at once (raises if there is none)."""
        from pinchpoint.workspace import Workspace

        return Workspace.open_reader(self.db_path(), on_wait=self.on_wait)

    def stamp(self, name: str, read: Callable[[], Hashable]) -> Hashable:
        """What the workspace holds for ``name`` (e.g. the screening lists' content hashes), re-read with
        ``read`` only when the workspace files changed since it was last read."""
        state = workspace_state(self.db_path())
        with self._state_lock:
            if state != self._state:
                self._stamps.clear()
                self._state = state
            if name in self._stamps:
                return self._stamps[name]
        value = read()
        with self._state_lock:
            if self._state == state:
                self._stamps[name] = value
        return value

    def workspace_exists(self) -> bool:
        return self.db_path().exists()
