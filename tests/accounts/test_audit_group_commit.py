"""Audit records appended by many threads at once are written in group commits: every record committed before its
append returns, in one chain that verifies, with fewer transactions than records; a record that cannot be written
is raised to its caller and leaves the chain whole."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pinchpoint.accounts.store import AccountStore
from tests.accounts.conftest import actor

THREADS = 16
EACH = 25


def test_concurrent_appends_are_grouped_committed_and_chained(store: AccountStore) -> None:
    who = actor(store, "meti-analyst")
    before = len(store.audit_records())
    start = threading.Barrier(THREADS)
    seen_after_return: list[bool] = []

    def append(k: int) -> list[int]:
        start.wait()
        seqs = []
        for j in range(EACH):
            record = store.audit(who, "screening", "query", {"query": f"name {k}-{j}"})
            seqs.append(record.seq)
        # committed before audit() returned: a fresh connection (another process's view) sees the last one
        fresh = AccountStore(store.dsn or store.path, schema=store.schema)
        seen_after_return.append(any(r.seq == seqs[-1] for r in fresh.audit_records(since_seq=seqs[-1] - 1)))
        fresh.close()
        return seqs

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(append, range(THREADS)))
    records = store.audit_records()[before:]
    assert len(records) == THREADS * EACH
    assert sorted(s for seqs in results for s in seqs) == [r.seq for r in records]  # every append, once
    assert all(seqs == sorted(seqs) for seqs in results)  # each thread's records in the order it appended them
    assert all(seen_after_return)
    assert store.verify_audit().ok
    assert store.audit_batches < THREADS * EACH  # grouped: fewer transactions than records
    queries = {r.details_dict()["query"] for r in records}
    assert queries == {f"name {k}-{j}" for k in range(THREADS) for j in range(EACH)}


def test_a_failed_commit_is_raised_and_leaves_the_chain_whole(store: AccountStore,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    who = actor(store, "meti-analyst")
    before = store.audit_records()
    original = store._append

    def failing(db, actor, action, target="", details=None):  # type: ignore[no-untyped-def]
        if action == "boom":
            raise RuntimeError("disk full")
        return original(db, actor, action, target, details)

    monkeypatch.setattr(store, "_append", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        store.audit(who, "boom", "query", {"query": "lost"})
    assert store.audit_records() == before  # rolled back: nothing half-written
    record = store.audit(who, "screening", "query", {"query": "fine"})
    assert store.audit_records()[-1] == record and store.verify_audit().ok


def test_records_queued_for_the_writer_are_committed_in_order_and_chained(store: AccountStore) -> None:
    """audit_later returns at once; the writer commits the queue in arrival order, interleaved correctly with
    records appended by audit(); a reader in this process sees them all; another process sees them once the writer
    has committed, which happens without any reader asking."""
    import time

    who = actor(store, "meti-analyst")
    before = len(store.audit_records())
    for k in range(30):
        store.audit_later(who, "screening", "query", {"query": f"later {k}"})
        if k == 10:
            store.audit(who, "share", "dataset:x", {"with": ["commerce"]})
    fresh = AccountStore(store.dsn or store.path, schema=store.schema)
    deadline = time.monotonic() + 10
    while len(fresh._audit_rows()) < before + 31 and time.monotonic() < deadline:
        time.sleep(0.02)  # the writer commits by itself
    committed = fresh._audit_rows()[before:]
    fresh.close()
    assert [r.details_dict().get("query", "share") for r in committed] == (
        [f"later {k}" for k in range(11)] + ["share"] + [f"later {k}" for k in range(11, 30)])
    assert store.verify_audit().ok
