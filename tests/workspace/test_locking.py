"""A writer is not starved by readers that keep coming: DuckDB's file lock prefers no one, so a busy reader (a
``serve`` answering request after request) left a waiting ``lists load`` almost no gap to open the file in, and the
load failed after its wait (CI, session 11: one load of six, under load)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pinchpoint.workspace import Workspace

# A reader that opens, reads for 50 ms, closes and opens again at once; two of them (a server's two workers) keep
# the file open between them all the time.
BUSY_READER = """
import sys, time
from pathlib import Path
from pinchpoint.workspace import Workspace
ws, end, n = Path(sys.argv[1]), time.monotonic() + float(sys.argv[2]), 0
print("ready", flush=True)
while time.monotonic() < end:
    with Workspace.open_reader(ws) as w:
        w.con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        time.sleep(0.05)
    n += 1
print(n, flush=True)
"""

WRITER = """
import sys
from pathlib import Path
from pinchpoint.workspace import Workspace
with Workspace(Path(sys.argv[1])) as w:
    w.con.execute("CREATE TABLE IF NOT EXISTS written (n INTEGER)")
    w.con.execute("INSERT INTO written VALUES (1)")
print("written", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the turnstile uses flock (POSIX)")
def test_a_writer_gets_in_between_a_busy_readers_reads(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace(ws).close()
    readers = [subprocess.Popen([sys.executable, "-c", BUSY_READER, str(ws), "40"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for reader in readers:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready", reader.communicate()
    try:
        writers = [subprocess.run([sys.executable, "-c", WRITER, str(ws)], capture_output=True, text=True,
                                  timeout=120, env={**os.environ, "PINCHPOINT_LOCK_WAIT": "2"}) for _ in range(6)]
    finally:
        for reader in readers:
            reader.terminate()
            reader.wait(timeout=30)
    for writer in writers:
        assert writer.returncode == 0 and "written" in writer.stdout, writer.stderr
    with Workspace.open_reader(ws) as w:
        assert w.con.execute("SELECT count(*) FROM written").fetchone() == (6,)


def test_readers_still_share_the_file_and_a_reader_alone_needs_no_turnstile(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    Workspace(ws).close()
    (ws / "workspace.duckdb.turnstile").unlink(missing_ok=True)  # a workspace from before the turnstile
    with Workspace.open_reader(ws) as first, Workspace.open_reader(ws) as second:
        assert first.read_only and second.read_only


@pytest.mark.skipif(sys.platform == "win32", reason="the turnstile uses flock (POSIX)")
def test_a_nested_reader_does_not_queue_behind_a_writer_that_waits_for_its_own_process(tmp_path: Path) -> None:
    # this process is in the file; a writer waits for it at the turnstile; this process opens the file again before
    # it closes the first (as a request handler that reads inside a read). Queued behind the writer, the nested open
    # waited out its own deadline while the writer waited for this process: the writer failed after its wait.
    ws = tmp_path / "ws"
    Workspace(ws).close()
    outer = Workspace(ws, read_only=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ws)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**os.environ, "PINCHPOINT_LOCK_WAIT": "4"})
    try:
        assert writer.stderr is not None and "waiting up to 4 s" in writer.stderr.readline()
        with Workspace(ws, read_only=True, lock_wait=8) as nested:
            assert nested.con.execute("SELECT 1").fetchone() == (1,)
    finally:
        outer.close()
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0 and "written" in out, err
