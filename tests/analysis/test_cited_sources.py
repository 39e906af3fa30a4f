"""An exported supply-chain table carries the citation and URL of every source its rows name, not only the id
(trial 12, F14: ``chokepoints -f csv`` gave ``lasertec2022`` with nothing in ``ck.csv.meta.json`` to resolve it).

Expected citations are read from the built-in YAML's ``sources`` block."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint.analysis import chokepoints, concentration
from pinchpoint.results.table import sidecar_path, write_table
from pinchpoint.supplychain.load import builtin_path, load_chain
from pinchpoint.yamlio import load_yaml


@pytest.mark.parametrize("analysis", [chokepoints, concentration])
def test_the_csv_sidecar_cites_every_source_the_rows_name(analysis: object, tmp_path: Path) -> None:
    declared = {s["id"]: s for s in load_yaml(builtin_path())[0]["sources"]}
    out = write_table(analysis(load_chain("builtin")), tmp_path / "out.csv")  # type: ignore[operator]
    with out.open(encoding="utf-8") as fh:
        named = {s for row in csv.DictReader(fh) for s in row["sources"].split("; ") if s}
    assert named
    cited = json.loads(sidecar_path(out).read_text(encoding="utf-8"))["meta"]["sources"]
    assert set(cited) == named
    for source_id in named:
        assert cited[source_id]["citation"] == " ".join(str(declared[source_id]["citation"]).split())
        assert cited[source_id]["url"] == declared[source_id].get("url")
