"""What every benchmark shares: timing and the one-line report of a result against its same-run baseline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def report(name: str, ours: float, baseline: float, baseline_name: str, goal: float | None) -> bool:
    """Print our time, the baseline's, their ratio and whether the goal is met; return whether it is."""
    ok = goal is None or ours < goal
    goal_text = f"goal < {goal:g} s: {'met' if ok else 'MISSED'}" if goal is not None else ""
    print(f"{name:<48} {ours:8.3f} s   {baseline_name} {baseline:9.3f} s   ratio {ours / baseline:7.3f}x   {goal_text}")
    return ok


class ServedLists:
    """``pinchpoint serve`` on loopback over a temporary workspace holding ``lists``; ``stderr`` after it stops."""

    def __init__(self, lists: list[Any], workers: int = 1) -> None:
        self.lists, self.workers = lists, workers
        self.url = ""
        self.stderr = ""

    def __enter__(self) -> ServedLists:
        import socket
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        import httpx

        from pinchpoint.screening.store import store_list
        from pinchpoint.workspace import Workspace

        self._tmp = tempfile.TemporaryDirectory()
        ws_path = Path(self._tmp.name) / "ws"
        with Workspace(ws_path) as ws:
            for lst in self.lists:
                store_list(ws, lst)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self._server = subprocess.Popen(
            [sys.executable, "-m", "pinchpoint", "serve", "--port", str(port), "--workers", str(self.workers),
             "--workspace", str(ws_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=300) as client:
            for _ in range(600):
                try:
                    client.get(f"{self.url}/lists")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        import subprocess

        self._server.terminate()
        try:
            _, err = self._server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._server.kill()
            _, err = self._server.communicate()
        self.stderr = err.decode(errors="replace")
        self._tmp.cleanup()
