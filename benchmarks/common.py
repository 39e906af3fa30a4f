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
