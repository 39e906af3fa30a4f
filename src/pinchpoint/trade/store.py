"""Trade data in the workspace: Parquet partitioned by source and year, sorted by product code, queried by DuckDB.

Files live under ``<workspace folder>/trade/source=<s>/year=<y>/``; the table ``trade_imports`` records each
import (source, content hash, rows read, rows kept, problems). Re-importing the same files is a no-op.
"""

from __future__ import annotations

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
)
"""


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


def import_frame(ws: Workspace, frame: TradeFrame) -> bool:
    """Write ``frame`` as Parquet into the workspace; False if this exact content was imported before."""
    ws.con.execute(_SCHEMA)
    known = ws.con.execute("SELECT 1 FROM trade_imports WHERE source = ? AND version = ?",
                           [frame.source, frame.version]).fetchone()
    if known is not None:
        return False
    folder = trade_folder(ws)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_duckdb(ws.con, "_trade_new")
    try:
        kept = frame.rows_kept = _keep_one_row_per_flow(ws, frame)
        target = str(folder).replace("'", "''")
        ws.con.execute(
            f"COPY (SELECT *, substr(period, 1, 4) AS year FROM _trade_new ORDER BY product, period) TO '{target}' "
            "(FORMAT parquet, PARTITION_BY (source, year), OVERWRITE_OR_IGNORE, FILENAME_PATTERN "
            f"'{frame.version}_{{i}}')")
        if frame.labels:  # the source's own product descriptions (Comext spreadsheets), shown beside codes
            ws.con.execute(_LABELS)
            ws.con.executemany("INSERT OR REPLACE INTO trade_products VALUES (?, ?, ?)",
                               [[frame.source, code, label] for code, label in sorted(frame.labels.items())])
        ws.con.execute("INSERT INTO trade_imports VALUES (?, ?, ?, ?, ?, ?)",
                       [frame.source, frame.version, frame.read_rows, kept, len(frame.problems),
                        datetime.now(UTC).replace(tzinfo=None)])
    finally:
        ws.con.execute("DROP TABLE IF EXISTS _trade_new")
    return True


_KEY = "period, reporter, partner, flow, product"


def _keep_one_row_per_flow(ws: Workspace, frame: TradeFrame) -> int:
    """The store holds one row per flow and source, which analyses rely on (HHI without a pre-aggregation).
    Adapters report their own duplicates; rows already imported from other files of the same source are kept
    out here and reported, so overlapping imports never double-count. Returns the rows kept."""
    twice = ws.con.execute(f"SELECT {_KEY}, count(*) FROM _trade_new GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
                           ).fetchone()
    if twice is not None:  # an adapter bug, not bad input: say which flow
        raise DataError(f"the {frame.source} adapter produced {twice[5]} rows for one flow {twice[:5]}",
                        file=frame.source)
    earlier = sorted(trade_folder(ws).glob(f"source={frame.source}/year=*/*.parquet"))
    if earlier:
        files = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in earlier) + "]"
        found = ws.con.execute(f"SELECT count(*) FROM _trade_new SEMI JOIN read_parquet({files}) USING ({_KEY})"
                               ).fetchone()
        if found and found[0]:
            ws.con.execute(f"DELETE FROM _trade_new WHERE ({_KEY}) IN (SELECT ({_KEY}) FROM read_parquet({files}))")
            frame.problems.append(f"{frame.source}: {found[0]} rows are flows already imported from other files of "
                                  "this source: kept once, not added again")
    count = ws.con.execute("SELECT count(*) FROM _trade_new").fetchone()
    return int(count[0]) if count else 0


def flows(ws: Workspace, sources: list[str] | None = None) -> Any:
    """A DuckDB relation over every imported flow (optionally only some sources)."""
    folder = trade_folder(ws)
    if not any(folder.glob("source=*/year=*/*.parquet")):
        raise WorkspaceError(f"no trade data in {folder} (import some: pinchpoint trade import FORMAT PATH...)")
    pattern = str(folder / "source=*" / "year=*" / "*.parquet").replace("'", "''")
    cols = ", ".join(COLUMNS)
    rel = ws.con.sql(f"SELECT {cols} FROM read_parquet('{pattern}', hive_partitioning = true)")
    if sources:
        quoted = ", ".join("'" + s.replace("'", "''") + "'" for s in sources)
        rel = rel.filter(f"source IN ({quoted})")
    return rel
