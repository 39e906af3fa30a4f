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
