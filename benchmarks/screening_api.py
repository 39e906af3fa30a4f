"""`pinchpoint serve` under load: a real uvicorn server on loopback, screened with names in five scripts.

1. 200 POST /screen requests at once, one name each, mixed scripts: Latin (OFAC SDN), Japanese (METI, kana and
   kanji), Arabic and Cyrillic (UN), Korean (yente's global name set: no list here writes Hangul). Goal: no 5xx.
2. 1,000 POST /screen requests, 50 in flight: no errors, p95 under 100 ms (2 cores). The baseline, measured in the
   same run the same way, is GET /lists (the server's own overhead: routing, JSON and one workspace read).

    python benchmarks/run.py screening_api
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import ServedLists  # noqa: E402
from screening import BENCH, FILES, LISTS  # noqa: E402  (one list of the real files for every screening benchmark)

SCRIPTS = {"japanese": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"), "arabic": re.compile(r"[\u0600-\u06ff]"),
           "cyrillic": re.compile(r"[\u0400-\u04ff]"), "korean": re.compile(r"[\uac00-\ud7a3]")}
GOAL_P95 = 0.100


def mixed_names(lists: list, per_script: int = 40) -> list[str]:  # type: ignore[type-arg]
    """``per_script`` names of each script, interleaved, from the real lists (Korean from yente's name set)."""
    by_list = {lst.list_name: [n.text for e in lst.entities for n in e.names] for lst in lists}
    latin = [t for t in by_list["OFAC SDN"] if t.isascii()][:per_script]
    meti = by_list["METI End User List"]
    un = by_list["UN Security Council Consolidated List"]
    japanese = [t for t in meti if SCRIPTS["japanese"].search(t)][:per_script]
    arabic = [t for t in un if SCRIPTS["arabic"].search(t)][:per_script]
    cyrillic = [t for t in un + meti if SCRIPTS["cyrillic"].search(t)][:per_script]
    with (BENCH / "yente_negatives_global.csv").open(encoding="utf-8") as fh:
        korean = [r["full_name"] for r in csv.DictReader(fh) if SCRIPTS["korean"].search(r["full_name"])][:per_script]
    groups = [latin, japanese, arabic, cyrillic, korean]
    return [g[k % len(g)] for k in range(per_script) for g in groups if g]


async def _load(url: str, requests: list[tuple[str, dict | None]], parallel: int  # type: ignore[type-arg]
                ) -> tuple[list[float], dict[str, int]]:
    """Send ``requests`` (path, JSON body or None for GET) with at most ``parallel`` in flight; the latency of
    each and a count of outcomes by status (or exception name)."""
    import httpx

    times: list[float] = []
    outcomes: dict[str, int] = {}
    gate = asyncio.Semaphore(parallel)
    # idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them under a request
    limits = httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def one(path: str, body: dict | None) -> None:  # type: ignore[type-arg]
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await (client.post(path, json=body) if body is not None else client.get(path))
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                times.append(time.perf_counter() - t0)
                outcomes[key] = outcomes.get(key, 0) + 1

        await asyncio.gather(*(one(p, b) for p, b in requests))
    return times, outcomes


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _p(times: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(times, q)) if times else float("nan")


def main() -> int:
    if not LISTS.exists():
        print(f"skipped: {LISTS} not found")
        return 0
    from pinchpoint.screening.loaders import load_list

    lists = [load_list(LISTS / f) for f in FILES]
    names = mixed_names(lists)
    workers = min(2, os.cpu_count() or 1)  # one process per core: screening is CPU-bound under one GIL each
    t0 = time.perf_counter()
    with ServedLists(lists, workers) as served:
        url = served.url
        # every worker builds its index on its first request: enough at once that each gets some
        _, warm = asyncio.run(_load(url, [("/screen", {"names": [n]}) for n in names[:20]], parallel=20))
        if set(warm) != {"200"}:
            print(f"warm-up failed: {warm}")
            return 1
        print(f"server ({workers} workers) up with {sum(len(lst.entities) for lst in lists):,} entities in "
              f"{time.perf_counter() - t0:.1f} s; {len(names)} names in 5 scripts")
        burst = [("/screen", {"names": [names[k % len(names)]]}) for k in range(200)]
        times, outcomes = asyncio.run(_load(url, burst, parallel=200))
        errors_5xx = sum(n for k, n in outcomes.items() if k.startswith("5"))
        burst_ok = errors_5xx == 0 and outcomes.get("200", 0) == 200
        print(f"{'200 concurrent POST /screen, 5 scripts':<48} p50 {_p(times, 50) * 1000:7.1f} ms   "
              f"p95 {_p(times, 95) * 1000:7.1f} ms   outcomes {outcomes}   5xx: {errors_5xx} "
              f"(goal 0: {'met' if burst_ok else 'MISSED'})")
        steady = [("/screen", {"names": [names[k % len(names)]]}) for k in range(1000)]
        base_wall, (base_times, base_outcomes) = _timed(lambda: asyncio.run(_load(url, [("/lists", None)] * 1000,
                                                                                      parallel=50)))
        wall, (times, outcomes) = _timed(lambda: asyncio.run(_load(url, steady, parallel=50)))
        failed = sum(n for k, n in outcomes.items() if k != "200")
        p95, base_p95 = _p(times, 95), _p(base_times, 95)
        steady_ok = failed == 0 and p95 < GOAL_P95
        print(f"{'GET /lists x1,000, 50 in flight (baseline)':<48} p50 {_p(base_times, 50) * 1000:7.1f} ms   "
              f"p95 {base_p95 * 1000:7.1f} ms   {1000 / base_wall:6.0f} req/s   outcomes {base_outcomes}")
        print(f"{'POST /screen x1,000, 50 in flight':<48} p50 {_p(times, 50) * 1000:7.1f} ms   "
              f"p95 {p95 * 1000:7.1f} ms   {1000 / wall:6.0f} req/s   outcomes {outcomes}   "
              f"ratio to baseline p95 {p95 / base_p95:5.2f}x   "
              f"goal no errors, p95 < {GOAL_P95 * 1000:.0f} ms: {'met' if steady_ok else 'MISSED'}")
    tracebacks = served.stderr.count("Traceback")
    if tracebacks:
        print(f"server logged {tracebacks} tracebacks")
    return 0 if burst_ok and steady_ok and not tracebacks else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
