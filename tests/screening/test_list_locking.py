"""Readers (``screen``, ``serve``) and a writer (``lists load``) on one workspace, as separate processes on the
real lists: readers hold the DuckDB file only while fetching, and a writer that finds it locked waits (bounded) and
says for whom."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pinchpoint.screening.loaders import load_list
from pinchpoint.screening.store import store_list
from pinchpoint.workspace import Workspace
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

DPL = LISTS / "us_bis_dpl_2022.txt"
UN = LISTS / "un_sc_consolidated_20260227.xml"
PINCHPOINT = str(Path(sys.executable).parent / "pinchpoint")

# What `pinchpoint serve` and `pinchpoint screen` do for every list check: fetch the stored lists and their table.
READER_LOOP = """
import sys, time
from pathlib import Path
from pinchpoint.screening.store import list_table, read_lists
from pinchpoint.workspace import Workspace
ws, end, n = Path(sys.argv[1]), time.monotonic() + float(sys.argv[2]), 0
print("ready", flush=True)
while time.monotonic() < end:
    read_lists(ws)
    with Workspace.open_reader(ws) as w:
        list_table(w)
    n += 1
print(n, flush=True)
"""

WRITER_LOOP = """
import sys
from pinchpoint.cli.main import app
ws, files = sys.argv[1], sys.argv[2:]
codes = [app(["lists", "load", files[i % 2], "--workspace", ws], standalone_mode=False) or 0 for i in range(6)]
print(" ".join(str(c) for c in codes))
"""

HOLD_READ_LOCK = """
import sys, time
from pathlib import Path
from pinchpoint.workspace import Workspace
with Workspace.open_reader(Path(sys.argv[1])):
    print("ready", flush=True)
    sys.stdin.readline()  # held until the test says so
"""


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.communicate()
    return proc


def _run_while_held(holder: subprocess.Popen[str], command: list[str], wait: str = "30"
                    ) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``command`` while ``holder`` holds the workspace; release it once the command says it is waiting."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PINCHPOINT_LOCK_WAIT": wait})
    assert proc.stderr is not None
    said = proc.stderr.readline()  # the first thing a waiting command says (EOF if it never waited)
    holder.communicate("release\n", timeout=30)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, out, said + err), said


def _load(ws: Path, path: Path, wait: str = "30") -> subprocess.CompletedProcess[str]:
    return subprocess.run([PINCHPOINT, "lists", "load", str(path), "--workspace", str(ws)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PINCHPOINT_LOCK_WAIT": wait})


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    with Workspace(ws) as w:
        store_list(w, load_list(UN))
        store_list(w, load_list(DPL))
    return ws


def test_loads_succeed_while_a_reader_loops(workspace: Path, tmp_path: Path) -> None:
    shorter = tmp_path / "us_bis_dpl_2022.txt"  # a real update: the last ten rows delisted
    shorter.write_text("".join(DPL.read_text(encoding="utf-8").splitlines(keepends=True)[:-10]), encoding="utf-8")
    reader = _start(READER_LOOP, str(workspace), "60")
    try:  # six `lists load` runs in one writer process (a process start costs more than the load)
        writer = subprocess.run([sys.executable, "-c", WRITER_LOOP, str(workspace), str(shorter), str(DPL)],
                                capture_output=True, text=True, timeout=300)
    finally:
        reader.terminate()
        reader.wait(timeout=30)
    codes = writer.stdout.strip().splitlines()[-1]
    assert codes == "0 0 0 0 0 0", writer.stdout + writer.stderr
    assert writer.stdout.count("0 added, 10 removed") == 3 and writer.stdout.count("10 added, 0 removed") == 3


def test_a_writer_waits_for_a_reader_and_says_for_whom(workspace: Path, tmp_path: Path) -> None:
    shorter = tmp_path / "us_bis_dpl_2022.txt"
    shorter.write_text("".join(DPL.read_text(encoding="utf-8").splitlines(keepends=True)[:-10]), encoding="utf-8")
    load = [PINCHPOINT, "lists", "load", str(shorter), "--workspace", str(workspace)]
    holder = _start(HOLD_READ_LOCK, str(workspace))
    result, said = _run_while_held(holder, load)
    assert f"waiting up to 30 s for workspace {workspace / 'workspace.duckdb'}: locked by process {holder.pid}" \
        in said
    assert result.returncode == 0 and "0 added, 10 removed" in result.stdout, result.stderr
    holder = _start(HOLD_READ_LOCK, str(workspace))
    try:  # the wait is bounded, and the error names the holder
        started = time.monotonic()
        result = _load(workspace, DPL, wait="0.5")
        assert time.monotonic() - started < 30
    finally:
        holder.communicate("release\n", timeout=30)
    assert result.returncode == 2 and f"still locked by process {holder.pid}" in result.stderr


HOLD_WRITE_LOCK = """
import sys, time
from pathlib import Path
from pinchpoint.workspace import Workspace
with Workspace(Path(sys.argv[1])):
    print("ready", flush=True)
    sys.stdin.readline()  # held until the test says so
"""


def test_screen_waits_for_a_load_in_progress(workspace: Path) -> None:
    writer = _start(HOLD_WRITE_LOCK, str(workspace))  # a `lists load` storing its list
    result, said = _run_while_held(writer, [PINCHPOINT, "screen", "DAQING ZHOU", "--workspace", str(workspace)])
    assert f"locked by process {writer.pid}" in said
    assert result.returncode == 0 and "DAQING ZHOU" in result.stdout, result.stderr
