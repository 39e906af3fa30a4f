"""Control lists in the workspace, versioned by jurisdiction and date (table ``controls_lists``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

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


def store_list(ws: Workspace, control_list: ControlList) -> tuple[bool, str]:
    """Store a list version; returns (created, content hash). Same jurisdiction, date and content: no-op;
    same jurisdiction and date with new content replaces it in one transaction."""
    ws.con.execute(_SCHEMA)
    payload = control_list.model_dump_json()
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    key = [control_list.jurisdiction.value, control_list.version]
    row = ws.con.execute("SELECT content_hash FROM controls_lists WHERE jurisdiction = ? AND version = ?",
                         key).fetchone()
    if row is not None and row[0] == digest:
        return False, digest
    ws.con.execute("BEGIN TRANSACTION")
    try:
        ws.con.execute("DELETE FROM controls_lists WHERE jurisdiction = ? AND version = ?", key)
        ws.con.execute("INSERT INTO controls_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [*key, control_list.list_name, control_list.source, digest, len(control_list.entries),
                        len(control_list.problems), datetime.now(UTC).replace(tzinfo=None), payload])
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    return True, digest


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
            raise WorkspaceError(f"no control list for {', '.join(sorted(missing))} in {ws.path} "
                                 "(load one: pinchpoint controls load PATH)")
    if not lists:
        raise WorkspaceError(f"no control lists in {ws.path} (load them: pinchpoint controls load PATH...)")
    return sorted(lists, key=lambda c: c.jurisdiction.value)


def load_version(ws: Workspace, jurisdiction: str, version: str) -> ControlList:
    ws.con.execute(_SCHEMA)
    row = ws.con.execute("SELECT payload FROM controls_lists WHERE jurisdiction = ? AND version = CAST(? AS DATE)",
                         [jurisdiction.upper(), version]).fetchone()
    if row is None:
        raise WorkspaceError(f"no {jurisdiction.upper()} control list of {version} in {ws.path}")
    return ControlList.model_validate_json(row[0])


def list_versions(ws: Workspace) -> ResultTable:
    ws.con.execute(_SCHEMA)
    return ws.query_table("control_lists", "SELECT jurisdiction, version, list_name, n_entries, n_problems, "
                          "content_hash, loaded_at, source FROM controls_lists ORDER BY jurisdiction, version DESC")
