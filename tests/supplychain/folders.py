"""A native CSV folder (docs/native-format.md) written from rows, for the tests that build a user's own dataset."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path


def write_csv_folder(folder: Path, files: Mapping[str, Sequence[Sequence[str]]]) -> Path:
    """``folder`` (made) holding one CSV file per name in ``files``, each its rows (the header first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder
