"""The DuckDB workspace: versioned, idempotent, atomic imports of real datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinchpoint.errors import WorkspaceError
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.supplychain.load import import_dataset
from pinchpoint.workspace import Workspace


def count(ws: Workspace, table: str) -> int:
    row = ws.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_import_then_load_round_trips(eto_path: Path, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        rec = import_dataset(ws, eto_path, name="eto")
        assert rec.created and rec.n_inputs == 126 and rec.n_provisions == 1300
        assert len(rec.version) == 16
        loaded = ws.load("eto")
        assert loaded == load_eto(eto_path.resolve())  # the workspace records the resolved path
        assert ws.load(f"eto@{rec.version[:6]}") == loaded
        assert count(ws, "provisions") == 1300 and count(ws, "relations") == 139
        listing = ws.list_datasets()
        assert [r["name"] for r in listing.rows] == ["eto"] and listing.rows[0]["n_inputs"] == 126


def test_reimport_is_idempotent_and_a_change_is_a_new_version(eto_copy: Path, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        first = import_dataset(ws, eto_copy, name="eto")
        again = import_dataset(ws, eto_copy, name="eto")
        assert not again.created and again.version == first.version
        assert count(ws, "datasets") == 1 and count(ws, "provisions") == 1300
        with (eto_copy / "provision.csv").open("a", encoding="utf-8") as fh:
            fh.write("\n")  # any change to the files is a new version, even a harmless one
        changed = import_dataset(ws, eto_copy, name="eto")
        assert changed.created and changed.version != first.version
        assert ws.versions("eto") == [changed.version, first.version]


def test_a_failed_import_leaves_the_workspace_as_it_was(eto_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from pinchpoint.workspace import collections

    with Workspace(tmp_path / "ws") as ws:
        original = collections.insert_rows

        def failing(ws: Workspace, table: str, rows: list) -> None:  # type: ignore[type-arg]
            if table == "relations":
                raise OSError("disk full")
            original(ws, table, rows)

        monkeypatch.setattr(collections, "insert_rows", failing)
        with pytest.raises(OSError, match="disk full"):
            import_dataset(ws, eto_path, name="eto")
        for table in ("datasets", "inputs", "providers", "provisions", "relations"):
            assert count(ws, table) == 0, table
        monkeypatch.setattr(collections, "insert_rows", original)
        assert import_dataset(ws, eto_path, name="eto").created  # and it works once the fault is gone


def test_invalid_data_never_reaches_the_workspace(eto_copy: Path, tmp_path: Path) -> None:
    text = (eto_copy / "sequence.csv").read_text(encoding="utf-8")
    cycle = "Finished logic chip,N99,Crystal growing furnaces,N8,,\n"  # the chip goes into a tool that makes it
    (eto_copy / "sequence.csv").write_text(text.rstrip("\n") + "\n" + cycle, encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        with pytest.raises(Exception, match="cycle"):
            import_dataset(ws, eto_copy, name="eto")
        assert count(ws, "datasets") == 0


def test_unknown_dataset_lists_what_exists(eto_path: Path, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        import_dataset(ws, eto_path, name="eto")
        with pytest.raises(WorkspaceError, match=r"no dataset 'etoo'.*datasets: eto"):
            ws.load("etoo")


def test_read_only_open_of_a_missing_workspace_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace(tmp_path / "nowhere", create=False)


def test_load_chain_reads_the_default_workspace_briefly_and_closes_it(eto_path: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """load_chain opened the default workspace for writing and never closed it, so the next writer (another
    process) waited for a lock nobody released."""
    from pinchpoint.supplychain.load import load_chain

    monkeypatch.setenv("PINCHPOINT_HOME", str(tmp_path / "home"))
    with Workspace(tmp_path / "home") as ws:
        import_dataset(ws, eto_path, name="eto")
    opened: list[Workspace] = []
    closed: list[Workspace] = []
    real_init, real_close = Workspace.__init__, Workspace.close

    def tracking_init(self: Workspace, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    def tracking_close(self: Workspace) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(Workspace, "__init__", tracking_init)
    monkeypatch.setattr(Workspace, "close", tracking_close)
    chain = load_chain("eto")
    assert len(chain.inputs) == 126
    assert opened and all(ws.read_only for ws in opened), "load_chain opened the workspace for writing"
    assert closed == opened, "load_chain left the workspace open"
    monkeypatch.undo()
    with Workspace(tmp_path / "home", lock_wait=0):  # and a writer gets it at once
        pass
