"""Comtrade's current layout (API JSON and bulk files), built from real Comtrade reports, and the store's
one-row-per-flow rule across overlapping imports."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from pinchpoint.trade.adapters import read
from pinchpoint.trade.store import import_frame, trade_folder
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

RAW = SHARED / "trade" / "comtrade-raw" / "comtrade_2022.csv.gz"

pytestmark = pytest.mark.skipif(not RAW.exists(), reason="no ../shared/data beside the repository")


def _raw_rows(n: int) -> list[dict[str, str]]:
    with gzip.open(RAW, "rt", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return [row for _, row in zip(range(n), reader, strict=False)]


def _as_current(row: dict[str, str], **extra: object) -> dict[str, object]:
    """A raw report row in Comtrade's current field names (as the API and the bulk files name them)."""
    return {"typeCode": "C", "freqCode": "A", "refYear": int(row["year"]), "period": row["year"],
            "reporterCode": int(row["reporter"]), "partnerCode": int(row["partner"]), "partner2Code": 0,
            "flowCode": row["flow"], "classificationCode": "H6", "cmdCode": row["cmd"], "customsCode": "C00",
            "motCode": 0, "mosCode": "0", "qty": float(row["qty"]) if row["qty"] else None,
            "qtyUnitAbbr": row["qtyunit"], "netWgt": row["netwgt"], "primaryValue": float(row["value"]),
            "isReported": True, **extra}


@pytest.fixture(scope="module")
def single_flows() -> list[dict[str, str]]:
    """Raw rows whose flow is filed once (the raw adapter merges repeated rows: compare only single ones)."""
    rows = _raw_rows(3000)
    counts = Counter((r["year"], r["reporter"], r["partner"], r["flow"], r["cmd"]) for r in rows)
    return [r for r in rows if counts[(r["year"], r["reporter"], r["partner"], r["flow"], r["cmd"])] == 1]


def _flows(frame: object) -> dict[tuple[str, ...], float]:
    cols = frame.columns  # type: ignore[attr-defined]
    return {(cols["period"][k], cols["reporter"][k], cols["partner"][k], cols["flow"][k], cols["product"][k]):
            cols["value_usd"][k] for k in range(len(cols["period"]))}


def test_api_json_equals_the_raw_reports(single_flows: list[dict[str, str]], tmp_path: Path) -> None:
    records = [_as_current(r) for r in single_flows]
    breakdown = _as_current(single_flows[0], motCode=2100, primaryValue=12.0)  # by sea: part of the total above
    bad = _as_current(single_flows[1], primaryValue="n/a-value", cmdCode="999999")
    (tmp_path / "api.json").write_text(json.dumps({"elapsedTime": "1s", "count": len(records) + 2,
                                                   "data": [*records, breakdown, bad]}), encoding="utf-8")
    raw = tmp_path / "raw.csv"
    with raw.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(single_flows[0]))
        writer.writeheader()
        writer.writerows(single_flows)
    frame = read("comtrade-api", [tmp_path / "api.json"])
    assert _flows(frame) == _flows(read("comtrade", [raw]))
    assert frame.read_rows == len(records) + 2 == len(frame) + len(frame.problems)
    n = len(records)
    assert any(p.startswith(f"{tmp_path / 'api.json'}, row {n + 1}, field 'motCode'") for p in frame.problems)
    assert any(f"row {n + 2}, field 'primaryValue': not a number" in p for p in frame.problems)
    assert set(frame.columns["revision"]) == {"HS2022"} and frame.columns["reporter"][0] == "BEL"


def test_bulk_tab_separated_monthly(single_flows: list[dict[str, str]], tmp_path: Path) -> None:
    records = [_as_current(r, freqCode="M", period=f"{r['year']}03") for r in single_flows]
    n = len(records)
    records.append(dict(records[0]))  # the same flow twice: counted once
    path = tmp_path / "bulk.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(records)
    frame = read("comtrade-bulk", [path])
    assert n > 50 and len(frame) == n and set(frame.columns["period"]) == {"2022-03"}
    assert set(frame.columns["frequency"]) == {"M"}
    assert any(f"row {n + 2}, field 'cmdCode': duplicate" in p for p in frame.problems)


def test_overlapping_imports_never_double_count(tmp_path: Path) -> None:
    baci = SHARED / "trade" / "baci-critical-materials"
    with Workspace(tmp_path / "ws") as ws:
        first = read("baci", [baci / "baci_2022.csv"])
        import_frame(ws, first)
        both = read("baci", [baci])  # the folder again: 2022 is already in
        assert import_frame(ws, both)
        assert both.rows_kept == len(both) - len(first)
        assert any("already imported" in p for p in both.problems)
        rows, total = ws.con.execute(
            f"SELECT count(*), sum(value_usd) FROM read_parquet('{trade_folder(ws)}/source=baci/*/*.parquet')"
        ).fetchall()[0]
    assert rows == len(both)
    assert total == pytest.approx(sum(both.columns["value_usd"]))


def test_a_file_of_another_layout_is_refused_by_name() -> None:
    from pinchpoint.errors import DataError

    with pytest.raises(DataError, match="format 'comtrade'") as err:
        read("comtrade-bulk", [RAW])
    assert err.value.location.row == 1 and err.value.location.field == "reporterCode"  # the header
