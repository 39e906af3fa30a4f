"""Workspace collections: versioned payloads, one transaction, schema versions and migrations, published files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pinchpoint.errors import NotFoundError, WorkspaceError
from pinchpoint.workspace import Collection, Migration, Workspace
from pinchpoint.workspace import collections as coll
from tests.conftest import SHARED

LIST_FILE = SHARED / "screening" / "lists" / "us_bis_dpl_2022.txt"


@pytest.fixture
def things(monkeypatch: pytest.MonkeyPatch) -> Collection:
    """A collection registered for one test only (the registry is process-wide)."""
    collection = Collection("test.things", version=1, folder="things")
    monkeypatch.setitem(coll._REGISTRY, collection.name, collection)
    return collection


def test_put_latest_get_list(things: Collection, tmp_path: Path) -> None:
    payload = LIST_FILE.read_bytes()[:20000]
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(things)
        first = items.put("dpl", payload, source=LIST_FILE.name, meta={"rows": 3})
        assert first.created and first.version == first.content_hash
        assert first.content_hash == hashlib.sha256(payload).hexdigest()[:16]  # computed here independently
        assert first.size == len(payload)
        again = items.put("dpl", payload, source="elsewhere")
        assert not again.created and again.version == first.version and again.source == LIST_FILE.name
        second = items.put("dpl", payload + b"\n")
        assert items.latest("dpl") == second
        assert items.get("dpl") == payload + b"\n" and items.get("dpl", first.version) == payload
        assert [v.version for v in items.list("dpl")] == [second.version, first.version]
        assert items.list()[1].meta == {"rows": 3}
        table = items.table()
        assert list(table.columns[:2]) == ["key", "version"] and len(table) == 2
        with pytest.raises(NotFoundError, match=r"no version 'nope' of 'dpl' .*stored: " + second.version):
            items.get("dpl", "nope")
        with pytest.raises(NotFoundError, match="stored: dpl") as unknown:
            items.get("dpx")
        assert unknown.value.suggestions == ["dpl"]


def test_a_label_is_not_silently_overwritten(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(things)
        items.put("EU", b"first", version="2025-01-01")
        with pytest.raises(WorkspaceError, match="already holds version '2025-01-01' with other content"):
            items.put("EU", b"second", version="2025-01-01")
        assert items.get("EU", "2025-01-01") == b"first"
        replaced = items.put("EU", b"second", version="2025-01-01", replace=True)
        assert replaced.created and items.get("EU") == b"second" and len(items.list("EU")) == 1


def test_the_latest_by_label(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dated = Collection("test.dated", order="version")
    monkeypatch.setitem(coll._REGISTRY, dated.name, dated)
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(dated)
        items.put("US", b"new", version="2025-09-01")
        items.put("US", b"old", version="2024-01-15")  # stored later, dated earlier
        latest = items.latest("US")
        assert latest is not None and latest.version == "2025-09-01"


def test_one_transaction_commits_or_rolls_back_as_a_whole(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(things)
        with pytest.raises(RuntimeError), ws.transaction():
            items.put("a", b"1")
            items.put("b", b"2")
            raise RuntimeError("failed half-way")
        assert items.keys() == []
        with ws.transaction():
            items.put("a", b"1")
            with ws.transaction():  # joins the outer one
                items.put("b", b"2")
        assert items.keys() == ["a", "b"]


def test_schema_is_set_up_once_at_open_not_per_call(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        stamp = ws.con.execute("SELECT migrated_at FROM schema_versions WHERE collection = 'test.things'").fetchone()
    with Workspace(tmp_path / "ws") as ws:
        ws.collection(things).put("a", b"1")
        again = ws.con.execute("SELECT migrated_at FROM schema_versions WHERE collection = 'test.things'").fetchone()
        names = {r[0] for r in ws.con.execute("SELECT collection FROM schema_versions").fetchall()}
    assert stamp is not None and stamp == again
    # every built-in collection is created at the first open for writing
    assert {"workspace", "supplychain.datasets"} <= names


def test_an_older_schema_is_migrated_by_a_writer_and_named_to_a_reader(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    v1 = Collection("test.notes", version=1, ddl="CREATE TABLE notes (key VARCHAR, version VARCHAR, text VARCHAR)",
                    row_tables=("notes",))
    monkeypatch.setitem(coll._REGISTRY, v1.name, v1)
    with Workspace(tmp_path / "ws") as ws:
        ws.collection(v1).put("k", b"payload", rows={"notes": [["hello"]]})

    def add_length(ws: Workspace) -> None:
        ws.con.execute("ALTER TABLE notes ADD COLUMN length INTEGER")
        ws.con.execute("UPDATE notes SET length = strlen(text)")

    v2 = Collection("test.notes", version=2, row_tables=("notes",),
                    ddl="CREATE TABLE notes (key VARCHAR, version VARCHAR, text VARCHAR, length INTEGER)",
                    migrations=(Migration(2, "notes get their length", add_length),))
    monkeypatch.setitem(coll._REGISTRY, v2.name, v2)
    with pytest.raises(WorkspaceError, match=r"'test.notes' at schema version 1; .* reads version 2: open it for "
                                             r"writing once"):
        Workspace.open_reader(tmp_path / "ws")
    with Workspace(tmp_path / "ws") as ws:
        assert ws.con.execute("SELECT text, length FROM notes").fetchall() == [("hello", 5)]
        assert ws.collection(v2).get("k") == b"payload"
    with Workspace.open_reader(tmp_path / "ws") as ws:
        assert ws.collection(v2).get("k") == b"payload"


def test_a_reader_finds_nothing_where_a_collection_was_never_written(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws"):
        pass
    late = Collection("test.late")
    coll._REGISTRY[late.name] = late
    try:
        with Workspace.open_reader(tmp_path / "ws") as ws:
            assert ws.collection(late).list() == [] and ws.collection(late).files() == []
            with pytest.raises(WorkspaceError, match="read-only"):
                ws.collection(late).put("k", b"x")
    finally:
        del coll._REGISTRY[late.name]


def test_published_files_commit_with_their_rows_or_not_at_all(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(things)
        with pytest.raises(RuntimeError), ws.transaction():
            staged = items.staging() / "part.bin"
            staged.write_bytes(b"data")
            target = items.publish(staged, "k/part.bin", key="k", version="v1")
            items.put("k", b"", version="v1")
            assert target.read_bytes() == b"data"
            raise RuntimeError("killed before the commit")
        assert not target.exists() and items.files() == [] and items.list() == []
        assert not (items.folder / coll.STAGING).exists() or not any((items.folder / coll.STAGING).iterdir())
        with ws.transaction():
            staged = items.staging() / "part.bin"
            staged.write_bytes(b"data")
            items.publish(staged, "k/part.bin", key="k", version="v1")
            items.put("k", b"", version="v1")
        assert items.files() == [items.folder / "k" / "part.bin"] and target.read_bytes() == b"data"
        # what a killed writer leaves (a file no version lists, a staging folder) goes at the next write
        orphan = items.folder / "k" / "half.bin"
        orphan.write_bytes(b"da")
        (items.folder / coll.STAGING / "abc").mkdir(parents=True)
        with ws.transaction():
            items.staging()
        assert not orphan.exists() and target.exists() and not (items.folder / coll.STAGING / "abc").exists()
        # deleting a version retires its files once the deletion commits
        items.delete("k")
        assert not target.exists() and items.files() == []


def test_a_path_outside_the_folder_is_refused(things: Collection, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        items = ws.collection(things)
        with pytest.raises(ValueError, match="not a path inside"), ws.transaction():
            staged = items.staging() / "x"
            staged.write_bytes(b"x")
            items.publish(staged, "../escape", key="k", version="v")


def test_migrations_must_be_consecutive() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        Collection("test.bad", version=3, migrations=(Migration(1, "", lambda ws: None),
                                                      Migration(3, "", lambda ws: None)))


def test_the_builtin_manifest_matches_the_collections() -> None:
    import importlib

    for name, (module, version) in coll.BUILTIN_COLLECTIONS.items():
        importlib.import_module(module)
        assert coll._REGISTRY[name].version == version, name


def test_an_up_to_date_workspace_opens_without_importing_the_capabilities(tmp_path: Path) -> None:
    """Opening for writing imported every capability's store (about 0.4 s) to check schemas that were current."""
    import subprocess
    import sys

    with Workspace(tmp_path / "ws"):
        pass
    probe = ("import sys; from pinchpoint.workspace import Workspace; Workspace(sys.argv[1]).close(); "
             "print(sorted(m for m in sys.modules if m.endswith('.store')))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "ws")], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['pinchpoint.workspace.store']"
    with Workspace.open_reader(tmp_path / "ws") as ws:
        names = {r[0] for r in ws.con.execute("SELECT collection FROM schema_versions").fetchall()}
    assert set(coll.BUILTIN_COLLECTIONS) <= names


def test_a_collection_of_a_newer_pinchpoint_is_refused_when_used_not_at_open(things: Collection,
                                                                              tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ws.con.execute("UPDATE schema_versions SET version = 5 WHERE collection = ?", [things.name])
    with Workspace(tmp_path / "ws") as ws:  # the other collections stay usable
        assert ws.names() == []
        with pytest.raises(WorkspaceError, match=r"'test.things' at schema version 5, newer than this pinchpoint "
                                                 r"knows \(1\): upgrade pinchpoint"):
            ws.collection(things).put("k", b"x")
    with Workspace.open_reader(tmp_path / "ws") as ws:
        assert ws.names() == []
        with pytest.raises(WorkspaceError, match=r"'test\.things' at schema version 5; this pinchpoint reads "
                                                 r"version 1: upgrade pinchpoint"):
            ws.collection(things).list()
