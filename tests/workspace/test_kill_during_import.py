"""Fault injection: each kind of import killed (SIGKILL) at seeded random moments leaves every list and dataset in
the workspace whole or absent, never half-written, and the next import succeeds with the same result as an import
that was never interrupted.

Trade imports have their own, finer test (tests/trade); this one covers datasets, restricted-party lists and
control lists, the other writers of the workspace.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SHARED

KILLS_PER_IMPORT = 3

IMPORTS = {
    "dataset": (["data", "import", str(SHARED / "supply-chain" / "eto"), "--name", "eto"], ["data", "list"]),
    "lists": (["lists", "load", str(SHARED / "screening" / "lists" / "un_sc_consolidated_20260227.xml"),
               str(SHARED / "screening" / "lists" / "us_bis_dpl_2022.txt")], ["lists", "list"]),
    "controls": (["controls", "load", str(SHARED / "controls" / "eu-annex1"), str(SHARED / "controls" / "jp")],
                 ["controls", "list"]),
}
# Columns that differ between two correct imports of the same files (when they ran).
VOLATILE = {"loaded_at", "imported_at", "created_at", "stored_at"}


def _cli(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PINCHPOINT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pinchpoint", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _state(listing: list[str], home: Path) -> list[dict[str, object]]:
    done = _cli([*listing, "-f", "json"], home, timeout=120)
    assert done.returncode == 0, f"{' '.join(listing)} fails after a killed import:\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    rows = json.loads(done.stdout)["rows"] if done.stdout.strip() else []
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows]


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_a_killed_import_leaves_the_workspace_whole(kind: str, tmp_path: Path) -> None:
    if not SHARED.exists():
        pytest.skip("real data not found")
    load, listing = IMPORTS[kind]
    # The uninterrupted import, in a workspace of its own: what a finished import looks like, and how long it takes.
    clean_home = tmp_path / "clean"
    started = time.monotonic()
    done = _cli(load, clean_home)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    finished = _state(listing, clean_home)
    assert finished, f"{kind}: the clean import stored nothing"

    home = tmp_path / "killed"
    _cli(["data", "list"], home)  # an initialised, empty workspace
    empty = _state(listing, home)
    rng = random.Random(f"kill-{kind}")
    for _ in range(KILLS_PER_IMPORT):
        env = {**os.environ, "PINCHPOINT_HOME": str(home)}
        proc = subprocess.Popen([sys.executable, "-m", "pinchpoint", *load], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, max(0.4, duration * 0.95)))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        state = _state(listing, home)
        # Each list or dataset is all or nothing: a command that loads several files stores each in a
        # transaction of its own, so a kill between two leaves the first whole and no trace of the second.
        half = [row for row in state if row not in finished and row not in empty]
        assert not half, f"{kind}: half-written workspace after a kill:\n{half}"
        if state == finished:  # the import had finished before the kill: start again from empty
            home = tmp_path / f"killed-{rng.random():.6f}"
            _cli(["data", "list"], home)
    done = _cli(load, home)
    assert done.returncode == 0, f"{kind}: the import after kills fails:\n{done.stderr[-2000:]}"
    assert _state(listing, home) == finished


# The shared publish step of workspace collections, killed at each of its points: a writer that stages three files,
# publishes them and stores the version that lists them, announcing each point so that the parent can kill it there.
_PUBLISHER = """
import os, sys
from pinchpoint.workspace import Collection, Workspace, register
from pinchpoint.workspace import collections

FILES = register(Collection("test.killed_files", folder="killed"))
real_replace, real_before_commit = os.replace, collections.before_commit

class Announcing:
    def __getattr__(self, name):
        return getattr(os, name)
    def replace(self, *args):
        print("move", flush=True)
        return real_replace(*args)

def announced_commit(tx):
    print("commit", flush=True)
    real_before_commit(tx)

collections.os = Announcing()
collections.before_commit = announced_commit
with Workspace(sys.argv[1]) as ws:
    items = ws.collection(FILES)
    with ws.transaction():
        staging = items.staging()
        for n in range(3):
            (staging / f"part{n}.bin").write_bytes(os.urandom(1 << 16))
        print("staged", flush=True)
        for n in range(3):
            items.publish(staging / f"part{n}.bin", f"v1/part{n}.bin", key="k", version="v1")
        items.put("k", b"", version="v1")
    print("committed", flush=True)
"""


@pytest.mark.parametrize("point", ["staged", "move", "commit", "committed"])
def test_a_publish_killed_at_any_point_leaves_files_and_rows_together(point: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from pinchpoint.workspace import Collection, Workspace, collections

    files = Collection("test.killed_files", folder="killed")
    monkeypatch.setitem(collections._REGISTRY, files.name, files)
    ws_path = tmp_path / "ws"
    with Workspace(ws_path):
        pass
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    child = subprocess.Popen([sys.executable, "-c", _PUBLISHER, str(ws_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    assert child.stdout is not None
    seen = 0
    for line in child.stdout:
        seen += line.strip() == point
        if seen == (2 if point == "move" else 1):  # a move: after the first file is in place, before the second
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert seen, f"the child never reached {point!r}"
    with Workspace(ws_path) as ws:
        items = ws.collection(files)
        listed = items.files()
        stored = items.list()
        # both or neither: the version is stored exactly when its three files are listed, and listed files exist
        assert (len(stored), len(listed)) in ((0, 0), (1, 3)), (point, stored, listed)
        assert all(f.exists() for f in listed)
        if point == "committed":
            assert len(stored) == 1
        elif point in ("staged", "move"):
            assert not stored
        with ws.transaction():  # the next write of the collection deletes what the kill left
            items.staging()
        on_disk = {f for f in items.folder.rglob("*") if f.is_file()}
        assert on_disk == set(listed)
