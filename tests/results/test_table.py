"""Result tables export losslessly to CSV, JSON and Parquet, with provenance in Parquet metadata."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from pinchpoint.results import ResultTable
from pinchpoint.results.table import write_table

TABLE = ResultTable.from_records(
    "demo",
    [{"country": "NLD", "dependence": 1.0, "critical_inputs": ["EUV lithography tools", "a, b"], "n": 3},
     {"country": "JPN", "dependence": float("nan"), "critical_inputs": [], "n": None},
     {"country": "O'Brien \"quoted\"", "dependence": 0.25, "critical_inputs": ["x"], "n": 1}],
    meta={"analysis": "exposure", "command": "pinchpoint exposure -d eto"},
)


def test_csv_joins_lists_and_blanks_missing(tmp_path: Path) -> None:
    rows = list(csv.DictReader(write_table(TABLE, tmp_path / "t.csv").open(encoding="utf-8")))
    assert rows[0]["critical_inputs"] == "EUV lithography tools; a, b"
    assert rows[1]["dependence"] == "" and rows[1]["n"] == ""
    assert rows[2]["country"] == "O'Brien \"quoted\""


def test_json_is_one_object_with_meta_columns_and_records(tmp_path: Path) -> None:
    doc = json.loads(write_table(TABLE.with_caveats("Shares are of 2021 capacity."), tmp_path / "t.json")
                     .read_text(encoding="utf-8"))
    assert set(doc) == {"table", "meta", "columns", "rows"} and doc["table"] == "demo"
    assert doc["meta"]["command"] == "pinchpoint exposure -d eto"
    assert doc["meta"]["caveats"] == ["Shares are of 2021 capacity."]
    assert doc["columns"] == ["country", "dependence", "critical_inputs", "n"]
    records = doc["rows"]
    assert len(records) == len(TABLE)
    assert records[0] == {"country": "NLD", "dependence": 1.0, "critical_inputs": ["EUV lithography tools", "a, b"],
                          "n": 3}
    assert records[1]["dependence"] is None  # NaN is not JSON


def test_parquet_keeps_types_and_provenance(tmp_path: Path) -> None:
    path = write_table(TABLE, tmp_path / "t.parquet")
    rows = duckdb.sql(f"SELECT country, dependence, critical_inputs, n FROM '{path}'").fetchall()
    assert rows[0] == ("NLD", 1.0, ["EUV lithography tools", "a, b"], 3)
    assert rows[1][1] is None and rows[1][3] is None
    meta = duckdb.sql(f"SELECT value FROM parquet_kv_metadata('{path}') WHERE key = 'pinchpoint'").fetchall()
    assert json.loads(meta[0][0])["command"] == "pinchpoint exposure -d eto"


def test_parquet_carries_caveats_in_its_metadata(tmp_path: Path) -> None:
    caveat = "Ignores inventories; O'Brien's \"quoted\" note."
    path = write_table(TABLE.with_caveats(caveat), tmp_path / "t.parquet")
    kv = dict(duckdb.sql(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')").fetchall())
    assert json.loads(kv["caveats"]) == [caveat]
    assert json.loads(kv["pinchpoint"])["caveats"] == [caveat]


def test_csv_stays_a_plain_table_with_a_meta_sidecar(tmp_path: Path) -> None:
    path = write_table(TABLE.with_caveats("Excludes re-exports."), tmp_path / "t.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == list(TABLE.columns) and len(lines) == len(TABLE) + 1  # nothing but header and rows
    sidecar = json.loads((tmp_path / "t.csv.meta.json").read_text(encoding="utf-8"))
    assert sidecar["table"] == "demo" and sidecar["n_rows"] == len(TABLE)
    assert sidecar["meta"]["command"] == "pinchpoint exposure -d eto"
    assert sidecar["meta"]["caveats"] == ["Excludes re-exports."]


def test_rows_must_carry_every_column() -> None:
    with pytest.raises(ValueError, match="lack columns"):
        ResultTable.from_records("bad", [{"a": 1}], ["a", "b"])


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="suffix"):
        write_table(TABLE, tmp_path / "t.xlsx")


def test_structured_cells_are_json_in_csv_and_parquet(tmp_path: Path) -> None:
    table = ResultTable.from_records("t", [{"q": "x", "explanation": {"pairs": [["a", "b", 1.0]], "note": "ü"}}])
    rows = list(csv.DictReader(write_table(table, tmp_path / "t.csv").open(encoding="utf-8")))
    assert json.loads(rows[0]["explanation"]) == {"pairs": [["a", "b", 1.0]], "note": "ü"}
    path = write_table(table, tmp_path / "t.parquet")
    assert json.loads(duckdb.sql(f"SELECT explanation FROM '{path}'").fetchall()[0][0])["note"] == "ü"


def test_people_see_small_values_not_zero() -> None:
    from pinchpoint.results.table import format_float

    # a 0.04% share printed as 0.000 reads as "no supply"; NaN is shown blank, not as "nan"
    assert [format_float(v) for v in (0.0004, 0.25, 0.0, 1234.5, -0.00002, float("nan"))] == \
        ["4.00e-04", "0.250", "0.00", "1,234.50", "-2.00e-05", ""]


def test_list_items_holding_semicolons_are_not_split_in_csv(tmp_path: Path) -> None:
    table = ResultTable.from_records("t", [{"names": ["Rosoboronexport; JSC", "ROE"]}, {"names": ["a", "b"]}])
    rows = list(csv.DictReader(write_table(table, tmp_path / "t.csv").open(encoding="utf-8")))
    assert json.loads(rows[0]["names"]) == ["Rosoboronexport; JSC", "ROE"]  # "; "-joined it read as three items
    assert rows[1]["names"] == "a; b"


def test_parquet_accepts_any_column_name(tmp_path: Path) -> None:
    table = ResultTable.from_records("t", [{'share "%"': 1.5, "name": "x"}])
    path = write_table(table, tmp_path / "t.parquet")
    assert duckdb.sql(f"SELECT * FROM '{path}'").fetchall() == [(1.5, "x")]


def test_a_command_naming_no_dataset_records_nothing_to_reproduce() -> None:
    """The CLI's command line is "pinchpoint " + its arguments: with none (or no --dataset among them), there is no
    pinned command to add (a re-quoted copy of the command was recorded as meta.reproduce)."""
    from pinchpoint.results.table import ResultTable

    pinned = {"dataset_ref": "eto", "dataset_pinned": "eto@ccf1ecf79b5954ee"}
    table = ResultTable.from_records("t", [{"a": 1}], ["a"], meta=pinned)
    for command in ("pinchpoint ", "pinchpoint concentration -f json", "pinchpoint concentration -d 'eto'x"):
        assert "reproduce" not in table.with_command(command).meta, command
    assert table.with_command("pinchpoint concentration -d eto -f json").meta["reproduce"] == \
        "pinchpoint concentration -d eto@ccf1ecf79b5954ee -f json"
