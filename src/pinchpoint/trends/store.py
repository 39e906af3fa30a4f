"""Series in the workspace, versioned: each stored series is kept by id and content hash (a revised vintage is
a new version; storing the same values again changes nothing). One transaction per import, so a failed import
leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pinchpoint.errors import NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.trends.series import Series

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trends_series (
    id VARCHAR NOT NULL, version VARCHAR NOT NULL, stored_at VARCHAR NOT NULL, document VARCHAR NOT NULL,
    PRIMARY KEY (id, version))
"""


@dataclass(frozen=True)
class Stored:
    id: str
    version: str
    created: bool


def series_version(series: Series) -> str:
    doc = series.to_document()
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def store_series(ws: Any, series: Sequence[Series]) -> list[Stored]:
    """Store ``series`` (all or none); unchanged series are not stored twice."""
    ws.con.execute(_SCHEMA)
    out: list[Stored] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ws.con.execute("BEGIN TRANSACTION")
    try:
        for s in series:
            version = series_version(s)
            exists = ws.con.execute("SELECT count(*) FROM trends_series WHERE id = ? AND version = ?",
                                    [s.id, version]).fetchone()[0]
            if not exists:
                ws.con.execute("INSERT INTO trends_series VALUES (?, ?, ?, ?)",
                               [s.id, version, now, json.dumps(s.to_document())])
            out.append(Stored(s.id, version, not exists))
        ws.con.execute("COMMIT")
    except BaseException:
        ws.con.execute("ROLLBACK")
        raise
    return out


def _ids(ws: Any) -> list[str]:
    ws.con.execute(_SCHEMA)
    return [r[0] for r in ws.con.execute("SELECT DISTINCT id FROM trends_series ORDER BY id").fetchall()]


def load_series(ws: Any, ref: str) -> Series:
    """``id`` (newest version) or ``id@version``; an unknown id names the closest held ids."""
    series_id, _, version = ref.partition("@")
    ws.con.execute(_SCHEMA)
    if version:
        row = ws.con.execute("SELECT document FROM trends_series WHERE id = ? AND version = ?",
                             [series_id, version]).fetchone()
    else:
        row = ws.con.execute("SELECT document FROM trends_series WHERE id = ? ORDER BY stored_at DESC, version "
                             "LIMIT 1", [series_id]).fetchone()
    if row is None:
        held = _ids(ws)
        if series_id in held:
            versions = [r[0] for r in ws.con.execute("SELECT version FROM trends_series WHERE id = ?",
                                                     [series_id]).fetchall()]
            raise NotFoundError(f"series {series_id} has no version {version!r}; it has {', '.join(versions)}",
                                suggestions=versions, what="series version", value=version)
        from difflib import get_close_matches

        near = get_close_matches(series_id, held, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise NotFoundError(f"no series {series_id!r} in the workspace{hint}; it holds "
                            f"{', '.join(held[:20]) or 'no series'}", suggestions=near, what="series",
                            value=series_id)
    return Series.from_document(json.loads(row[0]))


def list_series(ws: Any) -> ResultTable:
    """Every series held, newest version of each, with its metadata and number of versions."""
    ws.con.execute(_SCHEMA)
    rows = ws.con.execute("""
        SELECT id, version, stored_at, document, count(*) OVER (PARTITION BY id) AS versions FROM trends_series
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY stored_at DESC, version) = 1 ORDER BY id""").fetchall()
    records = []
    for series_id, version, stored_at, doc, versions in rows:
        s = Series.from_document(json.loads(doc))
        records.append({**s.describe(), "version": version, "versions": versions, "stored_at": stored_at,
                        "id": series_id})
    columns = ["id", "name", "unit", "frequency", "seasonal_adjustment", "first", "last", "n", "source", "vintage",
               "version", "versions", "stored_at"]
    return ResultTable.from_records("trends_series", records, columns, meta={"analysis": "trends list"})
