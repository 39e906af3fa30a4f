"""The screening index stored with the lists (screening.index_store) on the real UN and METI lists: loaded, it is
the index a build makes, attribute for attribute, and screens the same; one of other list versions, other code, or
damaged bytes is never used (the screener is built and says why); lists load stores it and a delta run says which
it used."""

from __future__ import annotations

import io
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from pinchpoint.screening import index_store
from pinchpoint.screening.index_store import (
    INDEX,
    LOADED,
    index_stored_lists,
    read_screener,
)
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from pinchpoint.screening.store import read_lists, store_list
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import sha256_16
from tests.screening.conftest import LISTS

FILES = ("un_sc_consolidated_20260227.xml", "meti_eul_20250929.xlsx")


def _same(a: Any, b: Any, path: str) -> None:
    """``a`` and ``b`` hold the same values, types and array dtypes, all the way down."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{k}]")
    elif isinstance(a, BaseModel | Enum):  # the lists and their entities: compared as values
        assert a == b, path
    elif hasattr(a, "__dict__"):
        assert set(vars(a)) == set(vars(b)), (path, set(vars(a)) ^ set(vars(b)))
        for k in vars(a):
            _same(vars(a)[k], vars(b)[k], f"{path}.{k}")
    else:
        assert a == b, (path, a, b)


@pytest.fixture()
def ws(lists: dict[str, ScreeningList], tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace(path) as opened:
        for file in FILES:
            store_list(opened, lists[file])
    return path


def _queries(screener: Screener) -> list[str]:
    """Listed names (every 25th), some with a letter dropped, and names in other scripts and acronyms, so the
    skeleton, coarse and initials indexes are used too."""
    names = [n.text for n in screener.names[::25]]
    return [*names, *(n[:3] + n[4:] for n in names if len(n) > 8), "عبد الرحمن", "ابو بكر البغدادي",
            "巴拉克·奥巴马", "KOREA MINING DEVELOPMENT TRADING CORPORATION", "KOMID", "ISIL"]


def test_the_stored_index_is_the_one_a_build_makes(ws: Path) -> None:
    built = index_stored_lists(ws)
    assert built.origin.startswith(index_store.BUILT) and "no stored index" in built.origin
    loaded = read_screener(ws)
    assert loaded.origin == LOADED
    fresh = Screener(read_lists(ws))
    queries = _queries(fresh)
    assert loaded.screen_batch(queries, limit=50) == fresh.screen_batch(queries, limit=50)
    for screener in (loaded, fresh):  # the parts built (or read) on first use
        screener.skeleton_index(), screener.coarse_index(), screener.initials_index()
    # the records' fingerprints a delta compares, stored with the index, are those worked out from the lists
    from pinchpoint.screening.delta import snapshot

    assert loaded.stored_part("fingerprints") is not None and fresh.stored_part("fingerprints") is None
    assert snapshot(loaded.lists, screener=loaded) == snapshot(fresh.lists)
    assert loaded._stored is not None
    loaded._stored = None
    del loaded.origin  # fresh has the class default
    _same(loaded, fresh, "screener")


def _index_rows(path: Path) -> list[tuple[Any, ...]]:
    with Workspace(path) as opened:
        return opened.con.execute("SELECT version, content_hash FROM collection_items WHERE collection = ?",
                                  [INDEX.name]).fetchall()


def test_an_index_of_other_lists_or_other_code_is_not_used(ws: Path, lists: dict[str, ScreeningList],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    index_stored_lists(ws)
    meti = lists[FILES[1]]
    update = meti.model_copy(update={"entities": meti.entities[1:], "version": "2025-10-01"})
    with Workspace(ws) as opened:
        store_list(opened, update)
    stale = read_screener(ws)
    assert stale.origin != LOADED and "other list versions" in stale.origin
    assert meti.entities[0].entity_id not in {e.entity_id for e in stale.entities}
    # a lists load/update stores the index of the new versions in place of the old one
    assert index_stored_lists(ws).origin != LOADED
    assert len(_index_rows(ws)) == 1 and read_screener(ws).origin == LOADED
    monkeypatch.setattr(index_store, "build_stamp", lambda: "0123456789abcdef")  # the code that builds changed
    assert read_screener(ws).origin != LOADED


def _replace_payload(path: Path, change: Any, rehash: bool) -> None:
    with Workspace(path) as opened:
        payload = bytes(opened.con.execute("SELECT payload FROM collection_items WHERE collection = ?",
                                           [INDEX.name]).fetchone()[0])
        damaged = change(payload)
        opened.con.execute("UPDATE collection_items SET payload = ?" + (", content_hash = ?" if rehash else "")
                           + " WHERE collection = ?", [damaged, *([sha256_16(damaged)] if rehash else []),
                                                       INDEX.name])


def _rewritten(payload: bytes, **changes: Any) -> bytes:
    """The stored arrays with ``changes`` (a well-formed file whose arrays no longer hold together)."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    out = io.BytesIO()
    np.savez(out, **{**arrays, **changes})
    return out.getvalue()


def _flipped(payload: bytes) -> bytes:
    return payload[:1000] + bytes([payload[1000] ^ 1]) + payload[1001:]


@pytest.mark.parametrize(("change", "rehash", "why"), [
    (_flipped, False, "damaged"),  # one bit flipped on disk
    (_flipped, True, "unusable"),  # the same, its digest stored with it: the file's own checksums refuse it
    (lambda p: p[: len(p) // 2], True, "unusable"),  # cut short
    (lambda p: _rewritten(p, **{"names.entity": np.full(10, 10**6)}), True, "unusable"),  # names of no entity
    (lambda p: _rewritten(p, token_flat=np.zeros(3, dtype=np.int64)), True, "unusable"),  # tokens that don't add up
])
def test_a_damaged_index_is_not_used(ws: Path, change: Any, rehash: bool, why: str) -> None:
    index_stored_lists(ws)
    _replace_payload(ws, change, rehash)
    screener = read_screener(ws)
    assert screener.origin != LOADED and why in screener.origin
    fresh = Screener(read_lists(ws))
    queries = _queries(fresh)
    assert screener.screen_batch(queries, limit=50) == fresh.screen_batch(queries, limit=50)


def test_lists_load_stores_the_index_and_the_delta_says_which_it_used(tmp_path: Path) -> None:
    from pinchpoint.screening.delta import STORED, StoredRow, make_stored, store_screening
    from pinchpoint.session import Session

    ws = tmp_path / "ws"
    session = Session(ws)
    loads = session.screening.load([LISTS / FILES[0]])
    assert all(done.error is None for done in loads)
    versions = _index_rows(ws)
    assert len(versions) == 1
    screener = Session(ws).screening.screener()
    assert screener.origin == LOADED
    name = screener.entities[0].primary_name
    stored = make_stored("customers", "customers.csv", ["name"], "name", {"threshold": 0.8},
                         [StoredRow(2, name)], {2: screener.screen(name)}, screener)
    with Workspace(ws) as opened:
        store_screening(opened, stored)
        assert opened.collection(STORED).keys() == ["customers"]
    delta = Session(ws).screening.since_last()
    assert delta.alerts.meta["index"] == LOADED
    assert not any("screening index" in c for c in delta.alerts.meta.get("caveats", []))
    # a workspace whose index is gone (stored by an earlier pinchpoint): built, said, and kept for the next run
    with Workspace(ws) as opened:
        opened.collection(INDEX).delete(index_store.KEY)
    delta = Session(ws).screening.since_last()
    assert delta.alerts.meta["index"] != LOADED
    assert any("screening index was built" in c for c in delta.alerts.meta["caveats"])
    assert len(_index_rows(ws)) == 1 and Session(ws).screening.screener().origin == LOADED


def test_an_index_stored_by_a_newer_pinchpoint_is_left_alone(ws: Path) -> None:
    """A workspace whose screening.index a newer pinchpoint wrote (another schema version): screening builds its
    index and lists load still loads, instead of failing on the collection."""
    with Workspace(ws) as opened:
        opened.collection(INDEX).keys()  # the collection is created at this schema version
        opened.con.execute("UPDATE schema_versions SET version = 99 WHERE collection = ?", [INDEX.name])
    screener = read_screener(ws)
    assert screener.origin != LOADED and "another version of pinchpoint" in screener.origin
    assert index_stored_lists(ws).origin != LOADED  # stored nothing, failed on nothing
    with Workspace(ws) as opened:
        assert opened.con.execute("SELECT version FROM schema_versions WHERE collection = ?",
                                  [INDEX.name]).fetchone() == (99,)
