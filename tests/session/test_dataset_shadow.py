"""A bare ``--dataset NAME`` that is both a folder in the working directory and a workspace dataset is refused, and a
path dataset records its absolute path and digest (trial 12, F19: the folder silently won, 54 ETO rows instead of the
workspace dataset's 10, with nothing in the provenance to tell which).

The folder is a symbolic link to the real ETO release, read in place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.errors import BadArgumentError
from pinchpoint.results.table import reproducible_command
from pinchpoint.session import Session
from pinchpoint.supplychain.load import builtin_path
from pinchpoint.workspace.store import content_hash


def test_a_name_that_is_both_a_folder_and_a_dataset_is_refused(
        tmp_path: Path, eto_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = Session(tmp_path / "ws")
    session.supplychain.import_dataset(builtin_path(), name="evil")
    here = tmp_path / "here"
    here.mkdir()
    (here / "evil").symlink_to(eto_path, target_is_directory=True)
    monkeypatch.chdir(here)

    with pytest.raises(BadArgumentError) as caught:
        session.supplychain.chokepoints("evil")
    message = str(caught.value)
    assert "./evil" in message and "evil@" in message and str(eto_path.resolve()) in message

    stored = session.supplychain.chokepoints("evil@")  # the workspace dataset, as asked
    assert stored.meta["dataset"] == "evil" and stored.meta["dataset_version"] == content_hash(builtin_path())
    assert "dataset_path" not in stored.meta

    folder = session.supplychain.chokepoints("./evil")  # the folder, as asked
    assert folder.meta["dataset"] == "eto"
    assert folder.meta["dataset_path"] == str(eto_path.resolve())
    assert folder.meta["dataset_version"] == content_hash(eto_path.resolve())
    assert len(folder) != len(stored)
    # the command to reproduce names the folder by its absolute path: it reads the same files from anywhere
    command = "pinchpoint chokepoints --dataset ./evil -f json"
    assert reproducible_command(command, folder.meta) == (
        f"pinchpoint chokepoints --dataset {eto_path.resolve()} -f json")

    monkeypatch.chdir(tmp_path)  # no folder of that name here: the name is the workspace dataset
    assert session.supplychain.chokepoints("evil").rows == stored.rows
