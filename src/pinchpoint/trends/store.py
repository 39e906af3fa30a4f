"""Series in the workspace, as the versioned collection ``trends.series``: each series is kept by id, one version
per content (a revised vintage is a new version; storing the same values again changes nothing). The series of one
import are stored in one transaction, so a failed import leaves the workspace as it was.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from pinchpoint.errors import NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.trends.series import Series
from pinchpoint.workspace.collections import Collection, register

SERIES = register(Collection("trends.series", version=1))
LIST_COLUMNS = ["id", "name", "unit", "frequency", "seasonal_adjustment", "first", "last", "n", "source", "vintage",
                "version", "versions", "stored_at"]


@dataclass(frozen=True)
class Stored:
    id: str
    version: str
    created: bool


def _payload(series: Series) -> str:
    return json.dumps(series.to_document(), sort_keys=True)


def store_series(ws: Any, series: Sequence[Series]) -> list[Stored]:
    """Store ``series`` (all or none); unchanged series are not stored twice."""
    items = ws.collection(SERIES)
    out: list[Stored] = []
    with ws.transaction():
        for s in series:
            v = items.put(s.id, _payload(s), source=s.source[:500], meta=s.describe())
            out.append(Stored(s.id, v.version, v.created))
    return out


def load_series(ws: Any, ref: str) -> Series:
    """``id`` (newest version) or ``id@version``; an unknown id names the closest held ids."""
    series_id, _, version = ref.partition("@")
    items = ws.collection(SERIES)
    found = items.find(series_id, version) if version else items.latest(series_id)
    if found is None:
        held = items.keys()
        if series_id in held:
            versions = [v.version for v in items.list(series_id)]
            raise NotFoundError(f"series {series_id} has no version {version!r}; it has {', '.join(versions)}",
                                suggestions=versions, what="series version", value=version)
        near = get_close_matches(series_id, held, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise NotFoundError(f"no series {series_id!r} in the workspace{hint}; it holds "
                            f"{', '.join(held[:20]) or 'no series'}", suggestions=near, what="series",
                            value=series_id)
    return Series.from_document(json.loads(items.payload(found)))


def held_ids(ws: Any) -> list[str]:
    return list(ws.collection(SERIES).keys())


def list_series(ws: Any) -> ResultTable:
    """Every series held, newest version of each, with its metadata and number of versions."""
    items = ws.collection(SERIES)
    every = items.list()
    counts: dict[str, int] = {}
    for v in every:
        counts[v.key] = counts.get(v.key, 0) + 1
    records = []
    for v in items.latest_each():
        meta = dict(v.meta)
        records.append({**{c: meta.get(c) for c in LIST_COLUMNS}, "id": v.key, "version": v.version,
                        "versions": counts[v.key], "stored_at": v.created_at.isoformat(timespec="seconds")})
    return ResultTable.from_records("trends_series", records, LIST_COLUMNS,
                                    meta={"analysis": "trends list", "collection": SERIES.name})
