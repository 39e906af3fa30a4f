"""Trade data in the workspace: Parquet partitioned by source and year, sorted by product code, queried by DuckDB.

Files live under ``<workspace folder>/trade/source=<s>/year=<y>/``. The table ``trade_imports`` records each
import (source, content hash, records read, rows kept, records reported) and ``trade_files`` the Parquet files
that make up the store. Re-importing the same files is a no-op.

**Atomic imports.** Files are written under ``trade/.staging/``, moved into their partition folders, and only
then listed in ``trade_files`` in the same DuckDB transaction as the import's ``trade_imports`` row: readers
(:func:`flows`) read only listed files, so an import killed at any point leaves the store as it was. Whatever an
interrupted import left (the staging folder, files never listed) is deleted when the next import starts.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError, WorkspaceError
from pinchpoint.trade.table import COLUMNS, TradeFrame
from pinchpoint.workspace import Workspace

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trade_imports (
    source VARCHAR, version VARCHAR, rows_read BIGINT, rows_kept BIGINT, problems BIGINT, imported_at TIMESTAMP,
    PRIMARY KEY (source, version)
);
CREATE TABLE IF NOT EXISTS trade_files (source VARCHAR, version VARCHAR, path VARCHAR PRIMARY KEY);
"""
_KEY = "period, reporter, partner, flow, product"
_STAGING = ".staging"


_LABELS = """
CREATE TABLE IF NOT EXISTS trade_products (source VARCHAR, product VARCHAR, description VARCHAR,
                                           PRIMARY KEY (source, product))
"""


def product_descriptions(ws: Workspace, sources: list[str] | None = None) -> dict[str, str]:
    """Product code -> the description a source gave it (the Comext spreadsheets' labels), where any did."""
    ws.con.execute(_LABELS)
    rows = ws.con.execute("SELECT source, product, description FROM trade_products ORDER BY source, product"
                          ).fetchall()
    return {product: text for source, product, text in rows if not sources or source in sources}


def trade_folder(ws: Workspace) -> Path:
    return ws.path.parent / "trade"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ensure_schema(ws: Workspace) -> None:
    had_files = ws.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'trade_files'"
                               ).fetchone()
    ws.con.execute(_SCHEMA)
    if had_files and had_files[0]:
        return
    # a store written before trade_files existed: list the files of its recorded imports ({version}_{i}.parquet)
    folder = trade_folder(ws)
    known = set(ws.con.execute("SELECT source, version FROM trade_imports").fetchall())
    for f in sorted(folder.glob("source=*/year=*/*.parquet")):
        source, version = f.parent.parent.name.removeprefix("source="), f.name.split("_")[0]
        if (source, version) in known:
            ws.con.execute("INSERT OR IGNORE INTO trade_files VALUES (?, ?, ?)",
                           [source, version, f.relative_to(folder).as_posix()])


def clean_interrupted(ws: Workspace) -> list[Path]:
    """Delete what an interrupted import left: the staging folder and Parquet files no import lists. Returns the
    files deleted. (The workspace's DuckDB file admits one writer, so no other import is running.)"""
    _ensure_schema(ws)
    folder = trade_folder(ws)
    listed = {folder / p for (p,) in ws.con.execute("SELECT path FROM trade_files").fetchall()}
    removed = [f for f in folder.glob("source=*/year=*/*") if f.is_file() and f not in listed]
    for f in removed:
        f.unlink()
    if (folder / _STAGING).exists():
        shutil.rmtree(folder / _STAGING, ignore_errors=True)
    return removed


def stored_files(ws: Workspace, sources: list[str] | None = None) -> list[Path]:
    """The Parquet files that make up the store (of some sources), as imports recorded them."""
    _ensure_schema(ws)
    folder = trade_folder(ws)
    rows = ws.con.execute("SELECT source, path FROM trade_files ORDER BY path").fetchall()
    return [folder / p for s, p in rows if sources is None or s in sources]


def import_frame(ws: Workspace, frame: TradeFrame, *, replace: bool = False) -> bool:
    """Write ``frame`` as Parquet into the workspace, atomically; False if nothing was written (this exact
    content was imported before, or every row is a flow the store holds already).

    Rows of flows the store holds are kept out and reported: as duplicates when the value is the same, as
    revisions when it differs. With ``replace`` the revised values replace the stored ones
    (``frame.replaced`` says how many)."""
    clean_interrupted(ws)
    known = ws.con.execute("SELECT 1 FROM trade_imports WHERE source = ? AND version = ?",
                           [frame.source, frame.version]).fetchone()
    if known is not None:
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
                          "again", kind="a flow already imported: kept once, not added again")
        elif replace:
            frame.replaced += 1
        else:
            what = f"value {new:g} where the store holds {old:g}" if new != old else \
                f"quantity {new_q} where the store holds {old_q}"
            frame.problem(file, row, "value" if new != old else "quantity",
                          f"a revision: {what} (version {version}); kept the stored value (import with --replace "
                          "to take the revision)",
                          kind="a revision of a stored flow: kept the stored value (--replace takes the revision)")
    ws.con.execute(f"DELETE FROM _trade_new WHERE ({_KEY}) IN (SELECT ({_KEY}) FROM _trade_revised "
                   f"WHERE NOT differs OR NOT {replace})")
    if not replace or not frame.replaced:
        return []
    rows = ws.con.execute(f"""
        SELECT DISTINCT filename FROM read_parquet({_parquet_list(earlier)}, filename = true) s
        SEMI JOIN (SELECT {_KEY} FROM _trade_revised WHERE differs) r USING ({_KEY})""").fetchall()
    return [Path(f) for (f,) in rows]


def _publish(ws: Workspace, frame: TradeFrame, replaced_files: list[Path]) -> None:
    """Stage the new files, move them in, and list them with the import's row in one transaction."""
    folder = trade_folder(ws)
    token = uuid.uuid4().hex[:12]
    staging = folder / _STAGING / token
    staging.mkdir(parents=True, exist_ok=True)
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
    new_files = sorted(f for f in staging.rglob("*.parquet"))
    moved: list[tuple[str, str, str]] = []
    try:
        for f in new_files:
            rel = f.relative_to(staging)
            source = rel.parts[0].removeprefix("source=")
            version = frame.version if not f.stem.endswith(f"{token}r") else f.name.split("_")[0]
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, folder / rel)
            moved.append((source, version, rel.as_posix()))
        ws.con.execute("BEGIN TRANSACTION")
        try:
            ws.con.executemany("INSERT INTO trade_files VALUES (?, ?, ?)", moved)
            if frame.labels:  # the source's own product descriptions (Comext spreadsheets), shown beside codes
                ws.con.execute(_LABELS)
                ws.con.executemany("INSERT OR REPLACE INTO trade_products VALUES (?, ?, ?)",
                                   [[frame.source, code, label] for code, label in sorted(frame.labels.items())])
            for old in replaced_files:
                ws.con.execute("DELETE FROM trade_files WHERE path = ?", [old.relative_to(folder).as_posix()])
            ws.con.execute("INSERT INTO trade_imports VALUES (?, ?, ?, ?, ?, ?)",
                           [frame.source, frame.version, frame.read_rows, frame.rows_kept, frame.reported,
                            datetime.now(UTC).replace(tzinfo=None)])
            ws.con.execute("COMMIT")
        except BaseException:
            ws.con.execute("ROLLBACK")
            raise
    except BaseException:
        for _, _, rel_path in moved:
            (folder / rel_path).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(folder / _STAGING, ignore_errors=True)
    for old in replaced_files:
        old.unlink(missing_ok=True)


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
