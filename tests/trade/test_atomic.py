"""Fault injection: an import killed (SIGKILL) at random points leaves the store as it was, or holds the whole
import; never a part of it, and the next import succeeds."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pinchpoint.trade.adapters import read
from pinchpoint.trade.store import flows, import_frame, imports_table, stored_files
from pinchpoint.workspace import Workspace
from tests.conftest import SHARED

BACI = SHARED / "trade" / "baci-critical-materials"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not BACI.exists(), reason="no ../shared/data beside the repository")

# The child runs the real CLI command; it only announces the points where a kill hurts most (before the Parquet
# is written, before each file is moved into place, just before the commit of the files' rows and the import's
# version, after the commit) so that the parent can kill it there. The move and the commit are the shared publish
# step of the workspace collections.
_CHILD = """
import os, shutil, sys
import pinchpoint.trade.store as store
import pinchpoint.workspace.collections as collections

class Announce:
    def __init__(self, module, name, point):
        self._module, self._name, self._point = module, name, point
    def __getattr__(self, attr):
        real = getattr(self._module, attr)
        if attr != self._name:
            return real
        def wrapped(*args, **kwargs):
            print(self._point, flush=True)
            return real(*args, **kwargs)
        return wrapped

collections.os = Announce(os, "replace", "move")
collections.shutil = Announce(shutil, "rmtree", "cleanup")
before_commit = collections.before_commit
def announced_commit(tx):
    print("commit", flush=True)
    return before_commit(tx)
collections.before_commit = announced_commit
publish = store._publish
def announced_publish(*args, **kwargs):
    print("publish", flush=True)
    return publish(*args, **kwargs)
store._publish = announced_publish
from pinchpoint.cli.main import app
sys.argv = ["pinchpoint", *sys.argv[1:]]
app()
"""


def _state(ws_path: Path) -> tuple[tuple[object, ...], ...]:
    with Workspace(ws_path) as ws:
        imports = sorted((r["source"], r["version"], r["rows_kept"]) for r in imports_table(ws))
        counts = flows(ws).aggregate("period, count(*) AS n, sum(value_usd) AS v", "period").order("period").fetchall()
    return tuple(map(tuple, imports)), tuple(map(tuple, counts))


def test_killed_imports_leave_the_store_whole(tmp_path: Path) -> None:
    first, second = BACI / "baci_2022.csv", BACI / "baci_2024.csv"
    reference = tmp_path / "reference"
    with Workspace(reference) as ws:
        import_frame(ws, read("baci", [first]))
    before = _state(reference)
    with Workspace(reference) as ws:
        import_frame(ws, read("baci", [second]))
    after = _state(reference)
    assert before != after
    rng = random.Random(20261130)
    points_hit: set[str] = set()
    for run in range(5):
        ws_path = tmp_path / f"ws{run}"
        with Workspace(ws_path) as ws:
            import_frame(ws, read("baci", [first]))
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        child = subprocess.Popen([sys.executable, "-c", _CHILD, "trade", "import", "baci", str(second),
                                  "--workspace", str(ws_path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, env=env)
        assert child.stdout is not None
        # a random point among those announced (publish, each move, commit, cleanup), then a random few ms
        target = ("publish", "move", "commit", "cleanup", rng.choice(["publish", "move", "commit"]))[run]
        for line in child.stdout:
            if line.strip() == target:
                time.sleep(rng.uniform(0, 0.05))
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        points_hit.add(target)
        state = _state(ws_path)  # every command still works on what the kill left
        assert state in (before, after), f"run {run}: killed after {target!r} left a part of the import"
        # the next import cleans up and succeeds; the store then equals a clean import of both files
        with Workspace(ws_path) as ws:
            frame = read("baci", [second])
            import_frame(ws, frame)
            assert frame.status in ("imported", "unchanged")
            assert not list((ws_path / "trade" / ".staging").glob("*"))
        assert _state(ws_path) == after
        with Workspace(ws_path) as ws:
            listed = set(stored_files(ws))
        on_disk = set((ws_path / "trade").glob("source=*/*/*"))
        assert on_disk == listed  # nothing half-written left behind
    assert points_hit == {"publish", "move", "commit", "cleanup"}


def test_a_half_written_parquet_file_breaks_nothing(tmp_path: Path) -> None:
    """What kill -9 left mid-write (a cut Parquet file in a partition folder) made every trade command and any
    re-import fail with a traceback until deleted by hand."""
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        import_frame(ws, read("baci", [BACI / "baci_2022.csv"]))
    before = _state(ws_path)
    written = next((ws_path / "trade").glob("source=baci/year=2022/*.parquet"))
    cut = written.parent / f"{'0' * 16}_0.parquet"  # named as an import writes them
    cut.write_bytes(written.read_bytes()[: written.stat().st_size // 2])
    assert _state(ws_path) == before
    result = CliRunner().invoke(app, ["trade", "dependence", "--importer", "JPN", "--period", "2022",
                                      "--workspace", str(ws_path)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["trade", "import", "baci", str(BACI / "baci_2024.csv"),
                                      "--workspace", str(ws_path)])
    assert result.exit_code == 0, result.output
    assert not cut.exists()  # cleaned by the next import
