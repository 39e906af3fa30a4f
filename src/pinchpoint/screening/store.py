"""Restricted-party lists in the workspace (table ``screening_lists``): versioned, replaced atomically, and
checked against the version they replace.

A new version is refused (:class:`ListRefused`, unless ``force=True``) when it holds no entities, when it lacks
more than :data:`MAX_REMOVED_SHARE` of the previous version's entities (a cut-short or wrong file, far more
likely than a real delisting of that size), or when it is dated after tomorrow (UTC). Every store reports what
the new version adds, removes and changes against the previous one (:class:`ListChange`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pinchpoint.errors import NotFoundError, PinchpointError, WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.screening.model import ListedEntity, ScreeningList
from pinchpoint.workspace import Workspace

#: Largest share of the previous version's entities a new version may lack without ``--force``. Real updates
#: delist a few entities at a time (the 2024 and 2025 OFAC files differ by well under 5%); a file cut short
#: loses far more.
MAX_REMOVED_SHARE = 0.2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS screening_lists (
    list_name VARCHAR, version VARCHAR, content_hash VARCHAR, n_entities INTEGER, n_names INTEGER,
    n_problems INTEGER, source VARCHAR, loaded_at TIMESTAMP, payload VARCHAR, PRIMARY KEY (list_name)
);
ALTER TABLE screening_lists ADD COLUMN IF NOT EXISTS encoding VARCHAR;
ALTER TABLE screening_lists ADD COLUMN IF NOT EXISTS n_duplicates INTEGER;
"""


class ListRefused(PinchpointError):
    """A new list version that looks wrong (empty, most entities gone, dated in the future)."""


@dataclass(frozen=True)
class ListChange:
    """What storing a list version did, against the version it replaced."""

    list_name: str
    version: str
    previous_version: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    stored: bool  # False when the same content was already loaded
    forced: tuple[str, ...] = ()  # the checks --force overrode

    def summary(self) -> str:
        if not self.stored:
            return "already loaded (unchanged)"
        against = (f"against {self.previous_version or '(unversioned)'}" if self.previous_version is not None
                   else "new list")
        text = (f"loaded ({against}): {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} "
                f"changed, {self.unchanged} unchanged")
        return text + "".join(f"; forced past: {reason}" for reason in self.forced)


def _version_date(version: str) -> date | None:
    """The date a version string names (YYYYMMDD, YYYY-MM-DD or a year), if any."""
    text = version.strip()
    try:
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d").date()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1)
    except ValueError:
        return None
    return None


def _comparable(entity: ListedEntity) -> ListedEntity:
    return entity.model_copy(update={"list_version": ""})


def compare(previous: ScreeningList | None, new: ScreeningList) -> ListChange:
    """Entity ids the new version adds, removes and changes (same id, different content) against ``previous``."""
    before = {e.entity_id: _comparable(e) for e in previous.entities} if previous else {}
    after = {e.entity_id: _comparable(e) for e in new.entities}
    added = tuple(i for i in after if i not in before)
    removed = tuple(i for i in before if i not in after)
    changed = tuple(i for i in after if i in before and before[i] != after[i])
    return ListChange(new.list_name, new.version, previous.version if previous else None, added, removed, changed,
                      unchanged=len(after) - len(added) - len(changed), stored=True)


def check_update(change: ListChange, previous: ScreeningList | None, new: ScreeningList,
                 today: date | None = None) -> list[str]:
    """Why ``new`` should not replace ``previous`` without ``--force`` (empty when it may)."""
    reasons = []
    if not new.entities:
        reasons.append(f"{new.source} holds no entities")
    if previous is not None and previous.entities:
        share = len(change.removed) / len(previous.entities)
        if share > MAX_REMOVED_SHARE:
            reasons.append(f"{new.source} lacks {len(change.removed):,} of the {len(previous.entities):,} entities "
                           f"of version {previous.version or '(unversioned)'} ({share:.0%}, more than the "
                           f"{MAX_REMOVED_SHARE:.0%} a real update removes): is it cut short or another file?")
    dated = _version_date(new.version)
    today = today or datetime.now(UTC).date()
    if dated is not None and dated > today + timedelta(days=1):
        reasons.append(f"{new.source} is dated {new.version}, after today ({today.isoformat()})")
    return reasons


def _ensure_schema(ws: Workspace) -> None:
    ws.con.execute(_SCHEMA)


def _has_table(ws: Workspace) -> bool:
    row = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'screening_lists'").fetchone()
    return bool(row and row[0])


def stored_list(ws: Workspace, list_name: str) -> ScreeningList | None:
    """The stored version of one list, if any."""
    if not _has_table(ws):
        return None
    row = ws.con.execute("SELECT payload FROM screening_lists WHERE list_name = ?", [list_name]).fetchone()
    return ScreeningList.model_validate_json(row[0]) if row else None


def store_list(ws: Workspace, screening_list: ScreeningList, *, force: bool = False,
               today: date | None = None) -> ListChange:
    """Make ``screening_list`` the list of its name, replacing the previous version in one transaction (a screen
    never sees half a list). Raises :class:`ListRefused` when :func:`check_update` objects, unless ``force``."""
    _ensure_schema(ws)
    payload = screening_list.model_dump_json()
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    row = ws.con.execute("SELECT content_hash, payload FROM screening_lists WHERE list_name = ?",
                         [screening_list.list_name]).fetchone()
    previous = ScreeningList.model_validate_json(row[1]) if row is not None else None
    change = compare(previous, screening_list)
    if row is not None and row[0] == digest:
        return ListChange(change.list_name, change.version, change.previous_version, (), (), (),
                          len(screening_list.entities), stored=False)
    reasons = check_update(change, previous, screening_list, today)
    if reasons and not force:
        raise ListRefused(f"not loaded: {'; '.join(reasons)} (the loaded version stays; --force loads it anyway)")
    ws.con.execute("BEGIN TRANSACTION")
    try:
        ws.con.execute("DELETE FROM screening_lists WHERE list_name = ?", [screening_list.list_name])
        ws.con.execute(
            "INSERT INTO screening_lists (list_name, version, content_hash, n_entities, n_names, n_problems, "
            "source, loaded_at, payload, encoding, n_duplicates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                screening_list.list_name, screening_list.version, digest, len(screening_list.entities),
                sum(len(e.names) for e in screening_list.entities), len(screening_list.problems),
                screening_list.source, datetime.now(UTC).replace(tzinfo=None), payload, screening_list.encoding,
                screening_list.duplicates])
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    return ListChange(change.list_name, change.version, change.previous_version, change.added, change.removed,
                      change.changed, change.unchanged, stored=True, forced=tuple(reasons))


def _stored_payloads(ws: Workspace) -> list[tuple[str, str]]:
    if not _has_table(ws):
        return []
    return [(str(n), str(p)) for n, p in
            ws.con.execute("SELECT list_name, payload FROM screening_lists ORDER BY list_name").fetchall()]


def _parse(where: Path, rows: list[tuple[str, str]], names: list[str] | None) -> list[ScreeningList]:
    if not rows:
        raise WorkspaceError(f"no restricted-party lists in {where}", what="restricted-party lists")
    known = [n for n, _ in rows]
    for wanted in names or []:
        if wanted not in known:
            close = difflib.get_close_matches(wanted, known, n=2, cutoff=0.3)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise NotFoundError(f"no list {wanted!r} in {where} ({hint}loaded: {', '.join(known)})",
                                suggestions=close, what="restricted-party list", value=wanted)
    return [ScreeningList.model_validate_json(p) for n, p in rows if not names or n in names]


def load_lists(ws: Workspace, names: list[str] | None = None) -> list[ScreeningList]:
    """The stored lists (all, or those named; an unknown name is an error naming the loaded ones)."""
    return _parse(ws.path, _stored_payloads(ws), names)


def _db_path(workspace: Path | None) -> Path:
    from pinchpoint.workspace.store import DB_FILE, default_workspace_path

    path = Path(workspace).expanduser() if workspace is not None else default_workspace_path()
    return path if path.suffix == ".duckdb" else path / DB_FILE


def read_lists(workspace: Path | None = None, names: list[str] | None = None,
               on_wait: Callable[[str], None] | None = None) -> list[ScreeningList]:
    """:func:`load_lists` for readers: opens the workspace read-only just long enough to fetch the stored text,
    so a writer (``lists load``) waits milliseconds, not the seconds parsing and indexing take."""
    db = _db_path(workspace)
    if not db.exists():
        raise WorkspaceError(f"no restricted-party lists in {db}: no workspace there yet (load them: pinchpoint "
                             "lists load PATH...)")
    with Workspace.open_reader(db, on_wait=on_wait) as ws:
        rows = _stored_payloads(ws)
    return _parse(db, rows, names)


_LIST_COLUMNS = ["list_name", "version", "n_entities", "n_names", "n_problems", "n_duplicates", "encoding",
                 "content_hash", "loaded_at", "source"]


def list_table(ws: Workspace) -> ResultTable:
    """The loaded lists: name, version, counts, how the file was decoded, content hash, when and from where."""
    if not _has_table(ws):
        table = ResultTable.from_records("screening_lists", [], _LIST_COLUMNS, meta={"workspace": str(ws.path)})
    else:
        present = {r[0] for r in ws.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'screening_lists'").fetchall()}
        # a workspace written before a column existed (and opened read-only, so not migrated) shows it empty
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in _LIST_COLUMNS)
        table = ws.query_table("screening_lists", f"SELECT {select} FROM screening_lists ORDER BY list_name")
    if not table.rows:
        table = table.with_caveats(f"No restricted-party lists are loaded in {ws.path}; load them with "
                                   "'pinchpoint lists load PATH...'.")
    return table
