"""A trade file none of whose rows is usable is refused naming the file, row and field of the first bad record
(it named only the file and a reason with the value elided), and every refused record is in the error's problems."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.errors import DataError
from pinchpoint.trade.adapters import read
from tests.conftest import SHARED

BACI = SHARED / "trade" / "baci-critical-materials" / "baci_2024.csv"


def test_a_file_with_no_usable_row_names_row_and_field(tmp_path: Path) -> None:
    if not BACI.exists():
        pytest.skip(f"real data not found at {BACI}")
    with BACI.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [next(reader) for _ in range(3)]
    for row in rows:
        row["value"] = f"{row['value']} tonnes"  # text in the numeric column of every row
    path = tmp_path / BACI.name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as err:
        read("baci", [path])
    assert err.value.location.file == str(path)
    assert err.value.location.row == 2  # the first record, under the header
    assert err.value.location.field == "value"
    assert f"{rows[0]['value']!r}" in str(err.value)  # the value itself, not an ellipsis
    assert len(err.value.problems) == len(rows)  # every refused record is reported
