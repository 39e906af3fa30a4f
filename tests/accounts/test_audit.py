"""The audit chain detects an edited, a deleted and a reordered record, in the store and in an export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pinchpoint.accounts.audit import read_jsonl, verify, write_jsonl
from pinchpoint.accounts.store import AccountStore
from tests.accounts.conftest import actor


@pytest.fixture
def trail(store: AccountStore) -> AccountStore:
    analyst = actor(store, "meti-analyst")
    for k in range(5):
        store.audit(analyst, "screening", "query", {"query": f"name {k}", "lists": {"un": "2025-01-01"},
                                                    "results": k, "decision": None})
    return store


def _db(store: AccountStore) -> Any:
    """A connection that changes the stored rows directly, as someone with access to the database could."""
    return store._connection()


def test_intact_trail_verifies(trail: AccountStore) -> None:
    result = trail.verify_audit()
    assert result.ok and result.checked == len(trail.audit_records()) > 10


def test_edited_record_is_found(trail: AccountStore) -> None:
    target = trail.audit_records()[-3]
    _db(trail).execute("UPDATE audit SET details = replace(details, 'name', 'NAME') WHERE seq = ?", [target.seq])
    result = trail.verify_audit()
    assert (result.ok, result.problem, result.seq) == (False, "altered", target.seq)


def test_edited_and_rehashed_record_is_found_by_the_next_link(trail: AccountStore) -> None:
    from pinchpoint.accounts.audit import record_hash

    r = trail.audit_records()[-3]
    forged = record_hash(r.seq, r.at, "someone-else", r.org, r.action, r.target, r.details, r.prev_hash)
    _db(trail).execute("UPDATE audit SET actor = 'someone-else', hash = ? WHERE seq = ?", [forged, r.seq])
    result = trail.verify_audit()
    assert (result.ok, result.problem, result.seq) == (False, "altered", r.seq)


def test_deleted_record_is_found(trail: AccountStore) -> None:
    seq = trail.audit_records()[-3].seq
    _db(trail).execute("DELETE FROM audit WHERE seq = ?", [seq])
    result = trail.verify_audit()
    assert (result.ok, result.problem, result.seq) == (False, "missing", seq)
    assert f"record(s) {seq} missing before record {seq + 1}" in str(result)


def test_deleted_last_record_is_found_by_the_head(trail: AccountStore) -> None:
    last = trail.audit_records()[-1].seq
    _db(trail).execute("DELETE FROM audit WHERE seq = ?", [last])
    result = trail.verify_audit()
    assert (result.ok, result.problem, result.seq) == (False, "truncated", last)


def test_reordered_records_are_found(trail: AccountStore) -> None:
    records = trail.audit_records()
    a, b = records[-4], records[-3]
    db = _db(trail)
    cols = ["seq", "at", "actor", "org", "action", "target", "details", "prev_hash", "hash"]
    sets = ", ".join(f"{c} = ?" for c in cols)
    db.execute("BEGIN")
    db.execute(f"UPDATE audit SET {sets} WHERE seq = ?", [*[getattr(b, c) for c in cols], a.seq])
    db.execute(f"UPDATE audit SET {sets} WHERE pos = (SELECT max(pos) FROM audit WHERE seq = ?) ",
               [*[getattr(a, c) for c in cols], b.seq])
    db.execute("COMMIT")
    assert [r.seq for r in trail.audit_records()][-4:-2] == [b.seq, a.seq]
    result = trail.verify_audit()
    assert (result.ok, result.problem, result.seq) == (False, "reordered", a.seq)


def test_export_round_trip_and_tampered_export(trail: AccountStore, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    n = write_jsonl(trail.audit_records(), out, trail.audit_head())
    records, head = read_jsonl(out)
    assert len(records) == n and verify(records, head).ok
    lines = out.read_text(encoding="utf-8").splitlines()
    # swap two lines: reordered
    lines[3], lines[4] = lines[4], lines[3]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify(*read_jsonl(out))
    assert (result.problem, result.seq) == ("reordered", 4)
    # drop one line: missing
    del lines[3]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert verify(*read_jsonl(out)).problem in ("missing", "reordered")


def test_cli_verify_and_export(trail: AccountStore, tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    if trail.postgres:
        pytest.skip("the CLI's --workspace names a folder; PostgreSQL is chosen by $PINCHPOINT_ACCOUNTS_DB")
    runner = CliRunner()
    out = tmp_path / "export.jsonl"
    result = runner.invoke(app, ["audit", "export", "-o", str(out), "--workspace", str(trail.path.parent)])
    assert result.exit_code == 0, result.output
    ok = runner.invoke(app, ["audit", "verify", "--file", str(out)])
    assert ok.exit_code == 0 and "intact" in ok.output
    seq = trail.audit_records()[2].seq
    _db(trail).execute("UPDATE audit SET target = 'x' WHERE seq = ?", [seq])
    broken = runner.invoke(app, ["audit", "verify", "--workspace", str(trail.path.parent)])
    assert broken.exit_code == 1 and f"broken at record {seq}" in broken.output


def test_concurrent_appends_keep_one_chain(store: AccountStore) -> None:
    import threading

    analyst = actor(store, "meti-analyst")

    def work(k: int) -> None:
        for j in range(20):
            store.audit(analyst, "screening", "q", {"k": k, "j": j})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = store.verify_audit()
    assert result.ok and result.checked == len(store.audit_records())
    assert sum(1 for r in store.audit_records() if r.action == "screening") == 120


def test_records_cut_off_the_end_with_the_head_moved_back_are_found_against_an_export(
        trail: AccountStore, tmp_path: Path) -> None:
    """Trial 12 F21: deleting the newest records and setting the head to the last one left passed `audit verify`
    (nothing in the store remembers them); an earlier export kept elsewhere does."""
    from pinchpoint.cli.main import app

    if trail.postgres:
        pytest.skip("the CLI's --workspace names a folder; PostgreSQL is chosen by $PINCHPOINT_ACCOUNTS_DB")
    runner = CliRunner()
    export = tmp_path / "export.jsonl"
    assert runner.invoke(app, ["audit", "export", "-o", str(export), "--workspace", str(trail.path.parent)]
                         ).exit_code == 0
    records = trail.audit_records()
    intact = runner.invoke(app, ["audit", "verify", "--workspace", str(trail.path.parent), "--against", str(export)])
    assert intact.exit_code == 0, intact.output
    # the head is printed, to write down
    assert f"head: record {records[-1].seq}, hash {records[-1].hash}" in intact.output
    assert "unchanged" in intact.output

    # cut the newest three (the export's own record among them) and move the head back, as the trial did
    keep = records[-4]
    db = _db(trail)
    db.execute("DELETE FROM audit WHERE seq > ?", [keep.seq])
    db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [keep.seq, keep.hash])
    alone = runner.invoke(app, ["audit", "verify", "--workspace", str(trail.path.parent)])
    assert alone.exit_code == 0  # undetectable from the store alone
    against = runner.invoke(app, ["audit", "verify", "--workspace", str(trail.path.parent), "--against", str(export)])
    assert against.exit_code == 1, against.output
    assert f"trail now ends at record {keep.seq}" in against.output
    # a rewritten record the export holds is found too
    assert trail.verify_audit(against=(keep.seq, "0" * 64)).problem == "altered"
