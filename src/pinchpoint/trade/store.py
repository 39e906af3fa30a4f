"""Trade data in the workspace: Parquet partitioned by source and year, sorted by product code, queried by DuckDB.

Files live under ``<workspace folder>/trade/source=<s>/year=<y>/``. Each import is a version of the collection
``trade.imports`` (key the source, version the content hash of the files read; meta: records read, rows kept,
records reported) and the Parquet files that make up the store are that collection's published files. Re-importing
the same files is a no-op.

**Atomic imports.** Files are written to a staging folder inside the workspace folder and published (moved into
their partition folders and listed) in the same transaction as the import's version (the shared file step of
:mod:`pinchpoint.workspace.collections`): readers (:func:`flows`) read only listed files, so an import killed at any
point leaves the store as it was or holds the whole import. Whatever an interrupted import left (the staging folder,
files never listed) is deleted when the next import starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError, WorkspaceError
from pinchpoint.trade.table import COLUMNS, TradeFrame
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, Items, Migration, OpenWorkspace, has_table, register

_KEY = "period, reporter, partner, flow, product"
_PRODUCTS_V1 = """
CREATE TABLE IF NOT EXISTS trade_products (source VARCHAR, product VARCHAR, description VARCHAR,
                                           PRIMARY KEY (source, product));
"""


# The tables the previous code kept, as views over the collection (same columns), for users' own SQL.
_VIEWS_V1 = """
CREATE OR REPLACE VIEW trade_imports AS SELECT key AS source, version,
    CAST(json_extract(meta, '$.rows_read') AS BIGINT) AS rows_read,
    CAST(json_extract(meta, '$.rows_kept') AS BIGINT) AS rows_kept,
    CAST(json_extract(meta, '$.problems') AS BIGINT) AS problems, created_at AS imported_at
FROM collection_items WHERE collection = 'trade.imports';
CREATE OR REPLACE VIEW trade_files AS SELECT key AS source, version, path
FROM collection_files WHERE collection = 'trade.imports';
"""


def _from_previous_tables(ws: OpenWorkspace) -> None:
    """Version 0 -> 1: the ``trade_imports`` and ``trade_files`` tables the code before collections wrote become
    collection items and published files. A store written before ``trade_files`` existed lists the files of its
    recorded imports from their names (``{version}_{i}.parquet``)."""
    ws.con.execute(_PRODUCTS_V1)
    ws.con.execute("""
        INSERT INTO collection_items
        SELECT 'trade.imports', source, version,
               (SELECT coalesce(max(seq), 0) FROM collection_items) + row_number() OVER (ORDER BY imported_at, source),
               version, imported_at, '', 0,
               json_object('rows_read', rows_read, 'rows_kept', rows_kept, 'problems', problems)::VARCHAR, ''::BLOB
        FROM trade_imports""")
    if has_table(ws, "trade_files"):
        ws.con.execute("INSERT INTO collection_files SELECT 'trade.imports', source, version, path FROM trade_files")
        ws.con.execute("DROP TABLE trade_files")
    else:
        folder = ws.path.parent / "trade"
        known = set(ws.con.execute("SELECT source, version FROM trade_imports").fetchall())
        for f in sorted(folder.glob("source=*/year=*/*.parquet")):
            source, version = f.parent.parent.name.removeprefix("source="), f.name.split("_")[0]
            if (source, version) in known:
                ws.con.execute("INSERT INTO collection_files VALUES ('trade.imports', ?, ?, ?)",
                               [source, version, f.relative_to(folder).as_posix()])
    ws.con.execute("DROP TABLE trade_imports")
    ws.con.execute(_VIEWS_V1)


TRADE_IMPORTS = register(Collection(
    "trade.imports", version=1, folder="trade", ddl=_PRODUCTS_V1 + _VIEWS_V1, legacy_tables=("trade_imports",),
    migrations=(Migration(1, "trade_imports and trade_files become collection items and files",
                          _from_previous_tables),)))


def _items(ws: Workspace) -> Items:
    return ws.collection(TRADE_IMPORTS)


def product_descriptions(ws: Workspace, sources: list[str] | None = None) -> dict[str, str]:
    """Product code -> the description a source gave it (the Comext spreadsheets' labels), where any did."""
    if not ws.collection_ready(TRADE_IMPORTS):
        return {}
    rows = ws.con.execute("SELECT source, product, description FROM trade_products ORDER BY source, product"
                          ).fetchall()
    return {product: text for source, product, text in rows if not sources or source in sources}


def trade_folder(ws: Workspace) -> Path:
    return _items(ws).folder


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clean_interrupted(ws: Workspace) -> list[Path]:
    """Delete what an interrupted import left: the staging folder and Parquet files no import lists. Returns the
    files deleted. (The workspace's DuckDB file admits one writer, so no other import is running.)"""
    return _items(ws).sweep()


def stored_files(ws: Workspace, sources: list[str] | None = None) -> list[Path]:
    """The Parquet files that make up the store (of some sources), as imports recorded them."""
    return [path for source, _, path in _items(ws).file_versions() if sources is None or source in sources]


def import_frame(ws: Workspace, frame: TradeFrame, *, replace: bool = False) -> bool:
    """Write ``frame`` as Parquet into the workspace, atomically; False if nothing was written (this exact
    content was imported before, or every row is a flow the store holds already).

    Rows of flows the store holds are kept out and reported: as duplicates when the value is the same, as
    revisions when it differs. With ``replace`` the revised values replace the stored ones
    (``frame.replaced`` says how many)."""
    clean_interrupted(ws)
    if _items(ws).find(frame.source, frame.version) is not None:
        frame.rows_kept, frame.status = 0, "unchanged"
        return False
    frame.to_duckdb(ws.con, "_trade_new", with_origin=True)
    try:
        replaced_files = _keep_one_row_per_flow(ws, frame, replace)
        kept = frame.rows_kept = _count(ws, "SELECT count(*) FROM _trade_new")
        if kept == 0 and not frame.replaced:
            frame.status = "nothing new"
            return False
        _publish(ws, frame, replaced_files)
        frame.status = "imported"
    finally:
        ws.con.execute("DROP TABLE IF EXISTS _trade_new")
        ws.con.execute("DROP TABLE IF EXISTS _trade_revised")
    return True


def _count(ws: Workspace, sql: str) -> int:
    row = ws.con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _parquet_list(files: list[Path]) -> str:
    return "[" + ", ".join(_quote(str(f)) for f in files) + "]"


def _keep_one_row_per_flow(ws: Workspace, frame: TradeFrame, replace: bool) -> list[Path]:
    """The store holds one row per flow and source, which analyses rely on (HHI without a pre-aggregation).
    Adapters report their own duplicates; flows the store already holds are kept out here and reported, each
    under the file and row it was read from. Returns the stored files that hold values a revision replaces."""
    twice = ws.con.execute(f"SELECT {_KEY}, count(*) FROM _trade_new GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
                           ).fetchone()
    if twice is not None:  # an adapter bug, not bad input: say which flow
        raise DataError(f"the {frame.source} adapter produced {twice[5]} rows for one flow {twice[:5]}",
                        file=frame.source)
    earlier = stored_files(ws, [frame.source])
    if not earlier:
        return []
    ws.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _trade_revised AS
        SELECT n._file, n._row, n.value AS new_value, s.value AS old_value, n.quantity AS new_quantity,
               s.quantity AS old_quantity, s.version AS old_version,
               (n.value IS DISTINCT FROM s.value OR n.quantity IS DISTINCT FROM s.quantity) AS differs, {_KEY}
        FROM _trade_new n JOIN read_parquet({_parquet_list(earlier)}) s USING ({_KEY})""")
    for file, row, new, old, new_q, old_q, version, differs in ws.con.execute(
            "SELECT _file, _row, new_value, old_value, new_quantity, old_quantity, old_version, differs "
            "FROM _trade_revised ORDER BY _file, _row").fetchall():
        if not differs:
            frame.problem(file, row, "value", f"a flow already imported (version {version}): kept once, not added "
                          "again", kind="a flow already imported: kept once, not added again",
                          severity="warning")  # the flow is in the store: a note, as a duplicate in one file is
        elif replace:
            frame.replaced += 1
        else:
            what = f"value {new:g} where the store holds {old:g}" if new != old else \
                f"quantity {new_q} where the store holds {old_q}"
            frame.problem(file, row, "value" if new != old else "quantity",
                          f"a revision: {what} (version {version}); kept the stored value (importing with replace "
                          "takes the revision)",
                          kind="a revision of a stored flow: kept the stored value (replace takes the revision)")
    ws.con.execute(f"DELETE FROM _trade_new WHERE ({_KEY}) IN (SELECT ({_KEY}) FROM _trade_revised "
                   f"WHERE NOT differs OR NOT {replace})")
    if not replace or not frame.replaced:
        return []
    rows = ws.con.execute(f"""
        SELECT DISTINCT filename FROM read_parquet({_parquet_list(earlier)}, filename = true) s
        SEMI JOIN (SELECT {_KEY} FROM _trade_revised WHERE differs) r USING ({_KEY})""").fetchall()
    return [Path(f) for (f,) in rows]


def _publish(ws: Workspace, frame: TradeFrame, replaced_files: list[Path]) -> None:
    """Write the new files to a staging folder and publish them with the import's version in one transaction."""
    items = _items(ws)
    folder = items.folder
    with ws.transaction():
        staging = items.staging()
        token = staging.name
        cols = ", ".join(COLUMNS)
        ws.con.execute(
            f"COPY (SELECT {cols}, substr(period, 1, 4) AS year FROM _trade_new ORDER BY product, period) "
            f"TO {_quote(str(staging))} (FORMAT parquet, PARTITION_BY (source, year), OVERWRITE_OR_IGNORE, "
            f"FILENAME_PATTERN '{frame.version}_{token}_{{i}}')")
        for old in replaced_files:  # the stored rows a revision does not replace, as a new file beside the old one
            rel = old.relative_to(folder)
            target = staging / rel.parent / f"{old.stem}_{token}r.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            ws.con.execute(
                f"COPY (SELECT * FROM read_parquet({_quote(str(old))}, hive_partitioning = false) s "
                f"ANTI JOIN (SELECT {_KEY} FROM _trade_revised WHERE differs) r USING ({_KEY}) "
                f"ORDER BY product, period) TO {_quote(str(target))} (FORMAT parquet)")
        for f in sorted(staging.rglob("*.parquet")):
            rel = f.relative_to(staging)
            source = rel.parts[0].removeprefix("source=")
            version = frame.version if not f.stem.endswith(f"{token}r") else f.name.split("_")[0]
            items.publish(f, rel.as_posix(), key=source, version=version)
        if frame.labels:  # the source's own product descriptions (Comext spreadsheets), shown beside codes
            ws.con.executemany("INSERT OR REPLACE INTO trade_products VALUES (?, ?, ?)",
                               [[frame.source, code, label] for code, label in sorted(frame.labels.items())])
        for old in replaced_files:
            items.retire_file(old)
        items.put(frame.source, b"", version=frame.version, content_hash=frame.version,
                  meta={"rows_read": frame.read_rows, "rows_kept": frame.rows_kept, "problems": frame.reported})


def imports_table(ws: Workspace) -> list[dict[str, Any]]:
    """Every recorded import: source, version, records read, rows kept, records reported, when."""
    return [{"source": v.key, "version": v.version, "rows_read": v.meta.get("rows_read"),
             "rows_kept": v.meta.get("rows_kept"), "problems": v.meta.get("problems"),
             "imported_at": v.created_at} for v in _items(ws).list()]


def store_state(ws: Workspace, sources: list[str] | None = None) -> dict[str, Any]:
    """What a query over ``sources`` (all when None) reads: ``trade_imports`` (each source's import versions whose
    files are listed now) and ``trade_state``, a digest of those files (source, version, path). A re-import with
    ``--replace`` or a new import changes the digest, so a result records which data gave its figures."""
    import hashlib

    folder = _items(ws).folder
    listed = sorted((key, version, path.relative_to(folder).as_posix()) for key, version, path
                    in _items(ws).file_versions() if sources is None or key in sources)
    imports: dict[str, list[str]] = {}
    for key, version, _ in listed:
        if version not in imports.setdefault(key, []):
            imports[key].append(version)
    digest = hashlib.sha256("".join(f"{k}\t{v}\t{p}\n" for k, v, p in listed).encode()).hexdigest()[:16]
    return {"trade_imports": {k: sorted(v) for k, v in sorted(imports.items())}, "trade_state": digest}


def check_state(ws: Workspace, sources: list[str] | None, pinned: str | None) -> dict[str, Any]:
    """:func:`store_state`, refusing a ``pinned`` digest the store no longer matches: the figures would differ."""
    state = store_state(ws, sources)
    if pinned and pinned.strip().lower() != state["trade_state"]:
        from pinchpoint.errors import BadArgumentError

        held = "; ".join(f"{k}: {', '.join(v)}" for k, v in state["trade_imports"].items()) or "none"
        raise BadArgumentError(
            f"trade state {pinned!r} is not what the workspace holds now ({state['trade_state']}: imports {held}): "
            "trade data were imported or replaced since, so these figures would differ from the pinned result. "
            "Leave out --trade-state to compute on the current imports.", parameter="trade_state")
    return state


def flows(ws: Workspace, sources: list[str] | None = None) -> Any:
    """A DuckDB relation over every imported flow (optionally only some sources)."""
    folder = trade_folder(ws)
    files = stored_files(ws)
    if not files:
        raise WorkspaceError(f"no trade data in {folder}", what="trade data")
    cols = ", ".join(COLUMNS)
    rel = ws.con.sql(f"SELECT {cols} FROM read_parquet({_parquet_list(files)}, hive_partitioning = true)")
    if sources:
        quoted = ", ".join(_quote(s) for s in sources)
        rel = rel.filter(f"source IN ({quoted})")
    return rel
