"""Restricted-party lists in the workspace (table ``screening_lists``): versioned, replaced atomically."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pinchpoint.errors import WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.screening.model import ScreeningList
from pinchpoint.workspace import Workspace

_SCHEMA = """
CREATE TABLE IF NOT EXISTS screening_lists (
    list_name VARCHAR, version VARCHAR, content_hash VARCHAR, n_entities INTEGER, n_names INTEGER,
    n_problems INTEGER, source VARCHAR, loaded_at TIMESTAMP, payload VARCHAR, PRIMARY KEY (list_name)
)
"""


def store_list(ws: Workspace, screening_list: ScreeningList) -> bool:
    """Make ``screening_list`` the list of its name: replaces the previous version in one transaction, so a
    screen never sees half a list. False when the same content is already loaded."""
    ws.con.execute(_SCHEMA)
    payload = screening_list.model_dump_json()
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    row = ws.con.execute("SELECT content_hash FROM screening_lists WHERE list_name = ?",
                         [screening_list.list_name]).fetchone()
    if row is not None and row[0] == digest:
        return False
    ws.con.execute("BEGIN TRANSACTION")
    try:
        ws.con.execute("DELETE FROM screening_lists WHERE list_name = ?", [screening_list.list_name])
        ws.con.execute("INSERT INTO screening_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            screening_list.list_name, screening_list.version, digest, len(screening_list.entities),
            sum(len(e.names) for e in screening_list.entities), len(screening_list.problems),
            screening_list.source, datetime.now(UTC).replace(tzinfo=None), payload])
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    return True


def load_lists(ws: Workspace, names: list[str] | None = None) -> list[ScreeningList]:
    ws.con.execute(_SCHEMA)
    rows = ws.con.execute("SELECT list_name, payload FROM screening_lists ORDER BY list_name").fetchall()
    lists = [ScreeningList.model_validate_json(p) for n, p in rows if not names or n in names]
    if not lists:
        raise WorkspaceError(f"no restricted-party lists in {ws.path} (load them: pinchpoint lists load PATH...)")
    return lists


def list_table(ws: Workspace) -> ResultTable:
    ws.con.execute(_SCHEMA)
    return ws.query_table("screening_lists", "SELECT list_name, version, n_entities, n_names, n_problems, "
                          "content_hash, loaded_at, source FROM screening_lists ORDER BY list_name")
