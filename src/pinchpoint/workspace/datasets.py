"""Supply-chain datasets as a workspace collection (``supplychain.datasets``).

A dataset's key is its name and its version the content hash of the files it was read from, so re-importing the
same files is a no-op and changed files make a new version (old versions stay queryable). The payload is the
model's exact JSON (used to reload it); each version is also stored as plain rows (``inputs``, ``providers``,
``provisions``, ``relations``, whose first two columns are the dataset and version) and listed by the view
``datasets``, for users' own SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import WorkspaceError
from pinchpoint.workspace.collections import Collection, Migration, OpenWorkspace, Version, register

if TYPE_CHECKING:
    from pinchpoint.results import ResultTable
    from pinchpoint.supplychain.model import SupplyChain

_ROW_TABLES_V1 = """
CREATE TABLE IF NOT EXISTS inputs (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, stage VARCHAR, market_size_usd DOUBLE, market_size_year INTEGER);
CREATE TABLE IF NOT EXISTS providers (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, country VARCHAR);
CREATE TABLE IF NOT EXISTS provisions (dataset VARCHAR, version VARCHAR, provider VARCHAR,
    input VARCHAR, share DOUBLE, year INTEGER, source VARCHAR);
CREATE TABLE IF NOT EXISTS relations (dataset VARCHAR, version VARCHAR, source VARCHAR,
    target VARCHAR, kind VARCHAR, mode VARCHAR);
"""
# The listing the previous code kept as a table, now a view over the collection (same columns).
_VIEW_V1 = """
CREATE OR REPLACE VIEW datasets AS SELECT key AS name, version, source AS source_path,
    json_extract_string(meta, '$.format') AS format, json_extract_string(meta, '$.title') AS title,
    created_at AS imported_at, CAST(json_extract(meta, '$.n_inputs') AS INTEGER) AS n_inputs,
    CAST(json_extract(meta, '$.n_providers') AS INTEGER) AS n_providers,
    CAST(json_extract(meta, '$.n_provisions') AS INTEGER) AS n_provisions,
    CAST(json_extract(meta, '$.n_relations') AS INTEGER) AS n_relations, decode(payload) AS payload
FROM collection_items WHERE collection = 'supplychain.datasets';
"""


def _from_previous_tables(ws: OpenWorkspace) -> None:
    """Version 0 -> 1: the ``datasets`` table the code before collections wrote becomes collection items (the row
    tables keep their layout)."""
    ws.con.execute(_ROW_TABLES_V1)
    ws.con.execute("""
        INSERT INTO collection_items
        SELECT 'supplychain.datasets', name, version,
               (SELECT coalesce(max(seq), 0) FROM collection_items) + row_number() OVER (ORDER BY imported_at, name),
               version, imported_at, coalesce(source_path, ''), strlen(payload),
               json_object('format', format, 'title', title, 'n_inputs', n_inputs, 'n_providers', n_providers,
                           'n_provisions', n_provisions, 'n_relations', n_relations)::VARCHAR,
               encode(payload)
        FROM datasets""")
    ws.con.execute("DROP TABLE datasets")
    ws.con.execute(_VIEW_V1)


DATASETS = register(Collection(
    "supplychain.datasets", version=1, ddl=_ROW_TABLES_V1 + _VIEW_V1,
    migrations=(Migration(1, "the datasets table becomes collection items", _from_previous_tables),),
    legacy_tables=("datasets",), row_tables=("inputs", "providers", "provisions", "relations")))


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    version: str
    source_path: str
    format: str
    title: str
    imported_at: datetime
    n_inputs: int
    n_provisions: int
    created: bool  # False when the same content was already imported


def _record(v: Version) -> DatasetRecord:
    return DatasetRecord(v.key, v.version, v.source, str(v.meta.get("format", "")), str(v.meta.get("title", "")),
                         v.created_at, int(v.meta.get("n_inputs", 0)), int(v.meta.get("n_provisions", 0)),
                         created=v.created)


def record(ws: OpenWorkspace, name: str, version: str) -> DatasetRecord | None:
    found = ws.collection(DATASETS).find(name, version)
    return _record(found) if found is not None else None


def store(ws: OpenWorkspace, chain: SupplyChain, *, version: str, source_path: str, fmt: str) -> DatasetRecord:
    meta = {"format": fmt, "title": chain.title, "n_inputs": len(chain.inputs), "n_providers": len(chain.providers),
            "n_provisions": len(chain.provisions), "n_relations": len(chain.relations)}
    rows: dict[str, list[list[Any]]] = {
        "inputs": [[i.id, i.name, i.kind.value, i.stage, i.market_size_usd, i.market_size_year]
                   for i in chain.inputs],
        "providers": [[p.id, p.name, p.kind.value, p.home_country] for p in chain.providers],
        "provisions": [[v.provider, v.input, v.share, v.year, v.source] for v in chain.provisions],
        "relations": [[r.source, r.target, r.kind.value, r.mode.value] for r in chain.relations],
    }
    stored = ws.collection(DATASETS).put(chain.name, chain.model_dump_json(), version=version, content_hash=version,
                                         source=source_path, meta=meta, rows=rows)
    return _record(stored)


def versions(ws: OpenWorkspace, name: str) -> list[str]:
    return [v.version for v in ws.collection(DATASETS).list(name)]


def names(ws: OpenWorkspace) -> list[str]:
    return ws.collection(DATASETS).keys()


def load(ws: OpenWorkspace, ref: str) -> SupplyChain:
    """Load ``name`` (latest version) or ``name@version`` (a version may be abbreviated to a unique prefix)."""
    from pinchpoint.supplychain.model import SupplyChain

    datasets = ws.collection(DATASETS)
    name, _, prefix = ref.partition("@")
    stored = datasets.list(name)
    found = [v for v in stored if v.version.startswith(prefix)] if prefix else stored[:1]
    if not found:
        known = ", ".join(names(ws)) or "none"
        raise WorkspaceError(f"no dataset {ref!r} in workspace {ws.path} (datasets: {known})")
    if len(found) > 1:
        raise WorkspaceError(f"version prefix {prefix!r} of {name!r} is ambiguous")
    return SupplyChain.model_validate_json(datasets.payload(found[0]))


def list_datasets(ws: OpenWorkspace) -> ResultTable:
    from pinchpoint.results import ResultTable

    columns = ["name", "version", "format", "title", "imported_at", "n_inputs", "n_providers", "n_provisions",
               "n_relations", "source_path"]
    rows = [{"name": v.key, "version": v.version, "format": v.meta.get("format"), "title": v.meta.get("title"),
             "imported_at": v.created_at.isoformat(timespec="seconds"), "n_inputs": v.meta.get("n_inputs"),
             "n_providers": v.meta.get("n_providers"), "n_provisions": v.meta.get("n_provisions"),
             "n_relations": v.meta.get("n_relations"), "source_path": v.source}
            for v in ws.collection(DATASETS).list()]
    return ResultTable.from_records("datasets", rows, columns, meta={"workspace": str(ws.path)})

