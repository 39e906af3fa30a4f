"""Every store's readers work on a workspace opened read-only (what a reader should open, briefly): datasets,
control lists, restricted-party lists and trade queries, with the same answers as on a workspace open for writing.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from pinchpoint.controls.loaders import load_any
from pinchpoint.controls.store import list_versions, load_lists, load_version, store_list, versions_of
from pinchpoint.screening import store as screening_store
from pinchpoint.screening.loaders import load_list
from pinchpoint.supplychain.load import import_dataset
from pinchpoint.trade.adapters import read
from pinchpoint.trade.store import flows, import_frame, product_descriptions, stored_files
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

BACI = SHARED / "trade" / "baci-critical-materials" / "baci_2022.csv"
DPL = SHARED / "screening" / "lists" / "us_bis_dpl_2022.txt"

pytestmark = pytest.mark.skipif(not SHARED.exists(), reason="no ../shared/data beside the repository")


def test_every_store_reads_on_a_read_only_workspace(eto_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    control_list = load_any(SHARED / "controls" / "jp")
    with Workspace(folder) as ws:
        import_dataset(ws, eto_path, name="eto")
        store_list(ws, control_list, today=date(2100, 1, 1))
        screening_store.store_list(ws, load_list(DPL))
        frame = read("baci", [BACI])
        import_frame(ws, frame)
        written = (list_versions(ws).rows, screening_store.list_table(ws).rows, stored_files(ws))
    with Workspace.open_reader(folder) as ws:
        assert ws.read_only
        assert len(ws.load("eto").inputs) == 126
        assert load_lists(ws) == [control_list]
        code = control_list.jurisdiction.value
        assert versions_of(ws, code) == [control_list.version]
        assert load_version(ws, code, control_list.version.isoformat()) == control_list
        assert (list_versions(ws).rows, screening_store.list_table(ws).rows, stored_files(ws)) == written
        assert [s.list_name for s in screening_store.load_lists(ws)] == [load_list(DPL).list_name]
        assert product_descriptions(ws) == {}
        # every record of the file is a stored row or a reported one
        with BACI.open(encoding="utf-8") as fh:
            records = sum(1 for _ in csv.DictReader(fh))
        (n,) = flows(ws).aggregate("count(*)").fetchall()[0]
        assert n == frame.rows_kept and n + frame.reported == records
        with pytest.raises(Exception, match="read-only"):
            store_list(ws, control_list, today=date(2100, 1, 1), force=True)
