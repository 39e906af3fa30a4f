"""Control lists in the workspace, versioned by jurisdiction and date (table ``controls_lists``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

from pinchpoint.controls.model import ControlList
from pinchpoint.errors import WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.workspace import Workspace

_SCHEMA = """
CREATE TABLE IF NOT EXISTS controls_lists (
    jurisdiction VARCHAR, version DATE, list_name VARCHAR, source VARCHAR, content_hash VARCHAR,
    n_entries INTEGER, n_problems INTEGER, loaded_at TIMESTAMP, payload VARCHAR,
    PRIMARY KEY (jurisdiction, version)
)
"""


# A new version that keeps fewer than this share of the previous version's entries is refused without --force:
# real lists grow or change a few dozen entries a year, a truncated or wrong file loses most of them.
MIN_KEPT_SHARE = 0.5


@dataclass(frozen=True)
class LoadReport:
    """What storing one list version did, against the version it follows (or replaces)."""

    jurisdiction: str
    version: date
    created: bool
    content_hash: str
    entries: int
    previous: date | None = None  # the version compared against (same date when it is replaced)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def summary(self, limit: int = 10) -> str:
        if self.previous is None:
            return f"first {self.jurisdiction} version in the workspace"

        def codes(items: tuple[str, ...]) -> str:
            shown = ", ".join(items[:limit])
            return f" ({shown}{', ...' if len(items) > limit else ''})" if items else ""

        return (f"against {self.jurisdiction} {self.previous}: {len(self.added)} added{codes(self.added)}, "
                f"{len(self.removed)} removed{codes(self.removed)}, {len(self.changed)} changed{codes(self.changed)}")


def _previous(ws: Workspace, control_list: ControlList) -> ControlList | None:
    """The stored version with the same date (being replaced), else the latest one before it."""
    row = ws.con.execute("SELECT payload FROM controls_lists WHERE jurisdiction = ? AND version <= ? "
                         "ORDER BY version DESC LIMIT 1",
                         [control_list.jurisdiction.value, control_list.version]).fetchone()
    return ControlList.model_validate_json(row[0]) if row is not None else None


def check_version(control_list: ControlList, previous: ControlList | None, today: date | None = None,
                  origin: str = "") -> list[str]:
    """Why a new version looks wrong (empty, dated in the future, losing most of the previous entries)."""
    today = today or datetime.now(UTC).date()
    reasons = []
    name = f"{control_list.jurisdiction.value} {control_list.version} ({origin or control_list.source})"
    if not control_list.entries:
        reasons.append(f"{name} has no entries" +
                       (f" ({len(control_list.problems)} could not be read)" if control_list.problems else ""))
    if control_list.version > today:
        reasons.append(f"{name} is dated in the future (today is {today}); as the latest version it would hide "
                       "the real one")
    if previous is not None and previous.entries and control_list.entries:
        kept = len({e.code for e in previous.entries} & {e.code for e in control_list.entries})
        if kept < MIN_KEPT_SHARE * len(previous.entries):
            reasons.append(f"{name} keeps {kept} of the {len(previous.entries)} entries of {previous.version} "
                           f"(less than {MIN_KEPT_SHARE:.0%})")
    return reasons


def store_list(ws: Workspace, control_list: ControlList, *, force: bool = False,
               today: date | None = None) -> LoadReport:
    """Store a list version and say what it adds and removes against the previous one (see :func:`store_lists`)."""
    return store_lists(ws, [control_list], force=force, today=today)[0]


def store_lists(ws: Workspace, control_lists: Sequence[ControlList], *, force: bool = False,
                today: date | None = None, origins: Sequence[str] = ()) -> list[LoadReport]:
    """Store list versions in one transaction (all or none), each compared with the version it follows. Same
    jurisdiction, date and content: no-op; same jurisdiction and date with new content replaces it.

    A version that has no entries, is dated after ``today`` or keeps less than half of the previous version's
    entries is refused (:class:`WorkspaceError`, nothing stored, naming the file from ``origins``) unless
    ``force``."""
    from pinchpoint.controls.crosswalk import diff_versions

    ws.con.execute(_SCHEMA)
    reports: list[LoadReport] = []
    ws.con.execute("BEGIN TRANSACTION")
    try:
        for n, control_list in enumerate(control_lists):
            payload = control_list.model_dump_json()
            digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
            key = [control_list.jurisdiction.value, control_list.version]
            base = partial(LoadReport, control_list.jurisdiction.value, control_list.version, content_hash=digest,
                           entries=len(control_list.entries))
            row = ws.con.execute("SELECT content_hash FROM controls_lists WHERE jurisdiction = ? AND version = ?",
                                 key).fetchone()
            if row is not None and row[0] == digest:
                reports.append(base(created=False, previous=control_list.version))
                continue
            previous = _previous(ws, control_list)  # sees the versions stored earlier in this call
            reasons = check_version(control_list, previous, today, origins[n] if n < len(origins) else "")
            if reasons and not force:
                raise WorkspaceError("refused: " + "; ".join(reasons) +
                                     " (nothing stored; --force stores it anyway)")
            changes: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
            if previous is not None:
                for r in diff_versions(previous, control_list).rows:
                    changes[r["change"]].append(r["code"])
            ws.con.execute("DELETE FROM controls_lists WHERE jurisdiction = ? AND version = ?", key)
            ws.con.execute("INSERT INTO controls_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [*key, control_list.list_name, control_list.source, digest, len(control_list.entries),
                            len(control_list.problems), datetime.now(UTC).replace(tzinfo=None), payload])
            reports.append(base(created=True, previous=previous.version if previous else None,
                                added=tuple(changes["added"]), removed=tuple(changes["removed"]),
                                changed=tuple(changes["changed"])))
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    return reports


def load_lists(ws: Workspace, jurisdictions: list[str] | None = None, as_of: str | None = None
               ) -> list[ControlList]:
    """The latest version of each jurisdiction's list (on or before ``as_of``, an ISO date, if given)."""
    ws.con.execute(_SCHEMA)
    sql = ("SELECT payload FROM (SELECT payload, row_number() OVER (PARTITION BY jurisdiction ORDER BY version DESC) "
           "AS rank FROM controls_lists WHERE (? IS NULL OR version <= CAST(? AS DATE))) WHERE rank = 1")
    lists = [ControlList.model_validate_json(r[0]) for r in ws.con.execute(sql, [as_of, as_of]).fetchall()]
    if jurisdictions:
        wanted = {j.upper() for j in jurisdictions}
        lists = [c for c in lists if c.jurisdiction.value in wanted]
        missing = wanted - {c.jurisdiction.value for c in lists}
        if missing:
            raise WorkspaceError(f"no control list for {', '.join(sorted(missing))} in {ws.path}",
                                 what="control lists")
    if not lists:
        raise WorkspaceError(f"no control lists in {ws.path}", what="control lists")
    return sorted(lists, key=lambda c: c.jurisdiction.value)


def versions_of(ws: Workspace, jurisdiction: str) -> list[date]:
    ws.con.execute(_SCHEMA)
    return [r[0] for r in ws.con.execute("SELECT version FROM controls_lists WHERE jurisdiction = ? ORDER BY version",
                                         [jurisdiction.upper()]).fetchall()]


def load_version(ws: Workspace, jurisdiction: str, version: str) -> ControlList:
    """One stored version; an unknown jurisdiction, a malformed date or a missing version names what there is."""
    from pinchpoint.controls.ids import check_jurisdiction, unknown

    ws.con.execute(_SCHEMA)
    loaded = [r[0] for r in ws.con.execute("SELECT DISTINCT jurisdiction FROM controls_lists").fetchall()]
    code = check_jurisdiction(jurisdiction, loaded)
    have = [v.isoformat() for v in versions_of(ws, code)]
    try:
        wanted = date.fromisoformat(version.strip())
    except ValueError:
        raise unknown(f"{code} version", version, have, where="(give a date as YYYY-MM-DD)") from None
    row = ws.con.execute("SELECT payload FROM controls_lists WHERE jurisdiction = ? AND version = ?",
                         [code, wanted]).fetchone()
    if row is None:
        raise unknown(f"{code} control list of", wanted.isoformat(), have, where=f"in {ws.path}")
    return ControlList.model_validate_json(row[0])


def all_versions(ws: Workspace, jurisdiction: str) -> list[ControlList]:
    """Every stored version of one jurisdiction's list, oldest first."""
    ws.con.execute(_SCHEMA)
    rows = ws.con.execute("SELECT payload FROM controls_lists WHERE jurisdiction = ? ORDER BY version",
                          [jurisdiction.upper()]).fetchall()
    return [ControlList.model_validate_json(r[0]) for r in rows]


def list_versions(ws: Workspace) -> ResultTable:
    ws.con.execute(_SCHEMA)
    table = ws.query_table("control_lists", "SELECT jurisdiction, version, list_name, n_entries, n_problems, "
                           "content_hash, loaded_at, source FROM controls_lists ORDER BY jurisdiction, version DESC")
    if not len(table):
        table = table.with_caveats(f"No control lists in {ws.path} (load them: pinchpoint controls load PATH...).")
    return table
