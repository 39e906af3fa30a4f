"""A workspace written by the code before collections (commit c37c4ac) opens with the new code and keeps all its
data: supply-chain datasets, control lists, restricted-party lists and trade imports with their Parquet files.

The fixture is the previous code's DDL, copied here verbatim, filled with rows built from the real files the way
that code wrote them."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pinchpoint.controls.loaders import load_any
from pinchpoint.errors import WorkspaceError
from pinchpoint.screening.loaders import load_list
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.trade.adapters import read
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.store import content_hash
from tests.conftest import SHARED

ETO = SHARED / "supply-chain" / "eto"
CONTROLS = SHARED / "controls" / "jp"
DPL = SHARED / "screening" / "lists" / "us_bis_dpl_2022.txt"
BACI = SHARED / "trade" / "baci-critical-materials" / "baci_2022.csv"

pytestmark = pytest.mark.skipif(not SHARED.exists(), reason="no ../shared/data beside the repository")

# --- the previous code's DDL (workspace/store.py, controls/store.py, screening/store.py, trade/store.py) ----------
OLD_WORKSPACE = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR, version VARCHAR, source_path VARCHAR, format VARCHAR, title VARCHAR,
    imported_at TIMESTAMP, n_inputs INTEGER, n_providers INTEGER, n_provisions INTEGER,
    n_relations INTEGER, payload VARCHAR, PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS inputs (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, stage VARCHAR, market_size_usd DOUBLE, market_size_year INTEGER);
CREATE TABLE IF NOT EXISTS providers (dataset VARCHAR, version VARCHAR, id VARCHAR, name VARCHAR,
    kind VARCHAR, country VARCHAR);
CREATE TABLE IF NOT EXISTS provisions (dataset VARCHAR, version VARCHAR, provider VARCHAR,
    input VARCHAR, share DOUBLE, year INTEGER, source VARCHAR);
CREATE TABLE IF NOT EXISTS relations (dataset VARCHAR, version VARCHAR, source VARCHAR,
    target VARCHAR, kind VARCHAR, mode VARCHAR);
"""
OLD_CONTROLS = """
CREATE TABLE IF NOT EXISTS controls_lists (
    jurisdiction VARCHAR, version DATE, list_name VARCHAR, source VARCHAR, content_hash VARCHAR,
    n_entries INTEGER, n_problems INTEGER, loaded_at TIMESTAMP, payload VARCHAR,
    PRIMARY KEY (jurisdiction, version)
)
"""
OLD_SCREENING = """
CREATE TABLE IF NOT EXISTS screening_lists (
    list_name VARCHAR, version VARCHAR, content_hash VARCHAR, n_entities INTEGER, n_names INTEGER,
    n_problems INTEGER, source VARCHAR, loaded_at TIMESTAMP, payload VARCHAR, PRIMARY KEY (list_name)
);
ALTER TABLE screening_lists ADD COLUMN IF NOT EXISTS encoding VARCHAR;
ALTER TABLE screening_lists ADD COLUMN IF NOT EXISTS n_duplicates INTEGER;
"""
OLD_TRADE = """
CREATE TABLE IF NOT EXISTS trade_imports (
    source VARCHAR, version VARCHAR, rows_read BIGINT, rows_kept BIGINT, problems BIGINT, imported_at TIMESTAMP,
    PRIMARY KEY (source, version)
);
CREATE TABLE IF NOT EXISTS trade_files (source VARCHAR, version VARCHAR, path VARCHAR PRIMARY KEY);
"""
OLD_LABELS = """
CREATE TABLE IF NOT EXISTS trade_products (source VARCHAR, product VARCHAR, description VARCHAR,
                                           PRIMARY KEY (source, product))
"""
LOADED_AT = datetime(2026, 3, 1, 12, 0, 0)


def _old_workspace(folder: Path, *, with_trade_files: bool = True) -> dict[str, object]:
    """Write a workspace as the previous code did; return what went in."""
    chain = load_eto(ETO.resolve())
    version = content_hash(ETO.resolve())
    control_list = load_any(CONTROLS)
    screening_list = load_list(DPL)
    frame = read("baci", [BACI])
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "workspace.duckdb"))
    con.execute(OLD_WORKSPACE)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '1')")
    key = [chain.name, version]
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key + [str(ETO.resolve()), "eto", chain.title, LOADED_AT, len(chain.inputs), len(chain.providers),
                       len(chain.provisions), len(chain.relations), chain.model_dump_json()])
    con.executemany("INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [key + [i.id, i.name, i.kind.value, i.stage, i.market_size_usd, i.market_size_year]
                     for i in chain.inputs])
    con.executemany("INSERT INTO provisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [key + [v.provider, v.input, v.share, v.year, v.source] for v in chain.provisions])
    con.execute(OLD_CONTROLS)
    payload = control_list.model_dump_json()
    con.execute("INSERT INTO controls_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [control_list.jurisdiction.value, control_list.version, control_list.list_name, control_list.source,
                 "0123456789abcdef", len(control_list.entries), len(control_list.problems), LOADED_AT, payload])
    con.execute(OLD_SCREENING)
    con.execute("INSERT INTO screening_lists (list_name, version, content_hash, n_entities, n_names, n_problems, "
                "source, loaded_at, payload, encoding, n_duplicates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [screening_list.list_name, screening_list.version, "fedcba9876543210", len(screening_list.entities),
                 sum(len(e.names) for e in screening_list.entities), len(screening_list.problems),
                 screening_list.source, LOADED_AT, screening_list.model_dump_json(), screening_list.encoding,
                 screening_list.duplicates])
    con.execute(OLD_TRADE)
    if not with_trade_files:  # a store written before trade_files existed
        con.execute("DROP TABLE trade_files")
    con.execute(OLD_LABELS)
    con.execute("INSERT INTO trade_products VALUES ('baci', '850511', 'Permanent magnets of metal')")
    frame.to_duckdb(con, "_trade_new")
    partition = folder / "trade" / "source=baci" / "year=2022"
    partition.mkdir(parents=True)
    name = f"{frame.version}_{uuid.uuid4().hex[:12]}_0.parquet"
    con.execute(f"COPY (SELECT * EXCLUDE (source) FROM _trade_new ORDER BY product, period) "
                f"TO '{partition / name}' (FORMAT parquet)")
    con.execute("DROP TABLE _trade_new")
    con.execute("INSERT INTO trade_imports VALUES (?, ?, ?, ?, ?, ?)",
                ["baci", frame.version, frame.read_rows, len(frame), frame.reported, LOADED_AT])
    if with_trade_files:
        con.execute("INSERT INTO trade_files VALUES (?, ?, ?)",
                    ["baci", frame.version, f"source=baci/year=2022/{name}"])
    con.close()
    return {"chain": chain, "version": version, "control_list": control_list, "screening_list": screening_list,
            "frame": frame}


@pytest.mark.parametrize("with_trade_files", [True, False])
def test_a_workspace_of_the_previous_code_opens_and_keeps_everything(tmp_path: Path, with_trade_files: bool) -> None:
    from pinchpoint.controls.store import list_versions
    from pinchpoint.controls.store import load_lists as load_control_lists
    from pinchpoint.screening.store import list_table, read_lists
    from pinchpoint.trade.store import flows, imports_table, product_descriptions, stored_files

    folder = tmp_path / "ws"
    old = _old_workspace(folder, with_trade_files=with_trade_files)
    # a reader cannot migrate: it says which collection is behind and how to bring it up to date
    with pytest.raises(WorkspaceError, match=r"collection '[a-z.]+' at schema version 0; .*open it for writing once"):
        Workspace.open_reader(folder)
    with Workspace(folder) as ws:  # opened for writing: migrated, once; the old tables are views now
        tables = {r[0] for r in ws.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not tables & {"datasets", "controls_lists", "screening_lists", "trade_imports", "trade_files"}
    with Workspace.open_reader(folder) as ws:
        chain = old["chain"]
        assert ws.load("eto") == chain and ws.versions("eto") == [old["version"]]
        listing = ws.list_datasets().rows[0]
        assert (listing["n_inputs"], listing["n_provisions"], listing["format"]) == (126, 1300, "eto")
        assert listing["imported_at"] == LOADED_AT.isoformat()
        # users' SQL over the plain tables and the datasets listing still works
        row = ws.con.execute("SELECT n_inputs, title FROM datasets WHERE name = 'eto'").fetchone()
        assert row == (126, chain.title)  # type: ignore[attr-defined]
        assert ws.con.execute("SELECT count(*) FROM provisions").fetchone() == (1300,)
        assert load_control_lists(ws) == [old["control_list"]]
        versions = list_versions(ws).rows
        assert [(r["jurisdiction"], r["version"], r["content_hash"]) for r in versions] == [
            (old["control_list"].jurisdiction.value, old["control_list"].version.isoformat(),  # type: ignore[attr-defined]
             "0123456789abcdef")]
        lists = list_table(ws).rows
        assert [(r["list_name"], r["version"], r["encoding"]) for r in lists] == [
            (old["screening_list"].list_name, old["screening_list"].version,  # type: ignore[attr-defined]
             old["screening_list"].encoding)]  # type: ignore[attr-defined]
        frame = old["frame"]
        assert [(r["source"], r["version"], r["rows_kept"]) for r in imports_table(ws)] == [
            ("baci", frame.version, len(frame))]  # type: ignore[attr-defined,arg-type]
        assert len(stored_files(ws)) == 1
        n, total = flows(ws).aggregate("count(*), sum(value_usd)").fetchall()[0]
        assert n == len(frame)  # type: ignore[arg-type]
        assert total == pytest.approx(sum(v for v in frame.columns["value_usd"] if v is not None))  # type: ignore[attr-defined]
        assert product_descriptions(ws) == {"850511": "Permanent magnets of metal"}
        # the old tables' names still answer users' SQL, as views over the collections
        assert ws.con.execute("SELECT jurisdiction, version, n_entries FROM controls_lists").fetchall() == [
            (old["control_list"].jurisdiction.value, old["control_list"].version,  # type: ignore[attr-defined]
             len(old["control_list"].entries))]  # type: ignore[attr-defined]
        assert ws.con.execute("SELECT list_name, n_entities FROM screening_lists").fetchall() == [
            (old["screening_list"].list_name, len(old["screening_list"].entities))]  # type: ignore[attr-defined]
        assert ws.con.execute("SELECT source, rows_kept FROM trade_imports").fetchall() == [("baci", len(frame))]  # type: ignore[arg-type]
        assert ws.con.execute("SELECT count(*) FROM trade_files").fetchall() == [(1,)]
    # as stored, with the stored content's hash (a list read from the workspace carries its digest)
    assert [lst.model_copy(update={"digest": ""}) for lst in read_lists(folder)] == [old["screening_list"]]
    # and the migrated workspace takes new writes on top of the old data
    with Workspace(folder) as ws:
        again = ws.collection("screening.lists").list()
        assert len(again) == 1 and ws.load("eto") == old["chain"]
