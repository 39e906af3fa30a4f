"""The support-measures registry versioned in the workspace (collection ``planning.awards``).

Each stored version is the full set of awards under a key (``registry`` for one's own, a partner's name for a
partner's file), as JSON in the file format :func:`~pinchpoint.planning.registry.read_awards` reads; the version
label is the content hash, so storing the same awards again is a no-op. Reading a version checks it again against
the programmes and projects, like any file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pinchpoint.planning.registry import Award, Registry, award_record, read_awards
from pinchpoint.results import ResultTable
from pinchpoint.workspace.collections import Collection, Version, register

if TYPE_CHECKING:
    from pinchpoint.workspace.store import Workspace

AWARDS = register(Collection("planning.awards", version=1))


def store_awards(ws: Workspace, awards: Sequence[Award], *, key: str = "registry", source: str = "") -> Version:
    """Store ``awards`` as a version of ``key`` (a no-op returning the stored version if they are unchanged)."""
    payload = json.dumps({"awards": [award_record(a) for a in awards]}, sort_keys=True, ensure_ascii=False)
    return ws.collection(AWARDS).put(key, payload, source=source, meta={"awards": len(awards)})


def stored_awards(ws: Workspace, registry: Registry, key: str = "registry", version: str | None = None
                  ) -> tuple[Award, ...]:
    """The awards stored under ``key`` (latest version unless ``version``), checked against ``registry``'s
    programmes and projects."""
    data = ws.collection(AWARDS).get(key, version)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{key.replace('/', '_')}@{version or 'latest'}.json"
        path.write_bytes(data)
        return read_awards(path, programmes=[p.id for p in registry.programmes], projects=registry.project_ids)


def stored_versions(ws: Workspace, key: str | None = None) -> ResultTable:
    return ws.collection(AWARDS).table(key, name="award_versions")
