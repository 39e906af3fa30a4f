"""The registry as result tables: what every interface shows about sources (``pinchpoint sources``)."""

from __future__ import annotations

from pathlib import Path

from pinchpoint.results import ResultTable
from pinchpoint.sources.registry import registry

CATALOGUE_COLUMNS = ("kind", "name", "description", "patterns", "columns", "registered")
VERDICT_COLUMNS = ("kind", "name", "matches", "confidence", "reason")


def catalogue(kind: str | None = None) -> ResultTable:
    """Every registered source (of ``kind``): kind, name, description, the files and columns it expects, and where
    it was registered. Sources that could not be registered are caveats."""
    found = registry()
    rows = [{"kind": s.kind, "name": s.name, "description": s.description, "patterns": " ".join(s.patterns),
             "columns": "; ".join(s.columns), "registered": s.origin} for s in found.of_kind(kind)]
    table = ResultTable.from_records("sources", rows, CATALOGUE_COLUMNS,
                                     meta={"analysis": "sources", "kind": kind or "all"})
    return table.with_caveats(*(f"not registered: {p}" for p in found.problems))


def verdicts(path: str | Path, kind: str | None = None) -> ResultTable:
    """What every source (of ``kind``) makes of ``path``: whether it reads it, how surely, and why (not). The
    source :func:`pinchpoint.sources.detect` would choose is the one caveat, or why none or several."""
    from pinchpoint.errors import DataError
    from pinchpoint.sources.registry import NoSourceMatched, SeveralSourcesMatched

    p = Path(path)
    if not p.exists():
        raise DataError("no such file or folder", file=str(p))
    found = sorted(registry().explain(p, kind), key=lambda sd: (not sd[1].matched, -sd[1].confidence))
    rows = [{"kind": s.kind, "name": s.name, "matches": d.matched, "confidence": d.confidence, "reason": d.reason}
            for s, d in found]
    table = ResultTable.from_records("source_detection", rows, VERDICT_COLUMNS,
                                     meta={"analysis": "source detection", "path": str(p), "kind": kind or "all"})
    try:
        chosen = registry().detect(p, kind)
        return table.with_caveats(f"read as {chosen.name} ({chosen.kind}) unless another source is named")
    except SeveralSourcesMatched as exc:
        return table.with_caveats(f"several sources match equally ({', '.join(exc.names)}): name one to read it")
    except NoSourceMatched:
        return table.with_caveats("no source reads this path")
