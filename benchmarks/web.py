"""The workbench under load: 50 simulated users (a bounded async httpx client on loopback) mixing page views,
one-name screenings and a stress run against `pinchpoint web` in its own process; and the overview page on ETO
from a cold start of the server.

Users sign in first (argon2 at its default cost: a sign-in storm is not what the page goals are about), then each
browses with a think time between requests (uniform 0.5-1.5 s, seeded: an analyst reads a page before the next
click, as load tools' simulated users do), so the figures are latencies at 50 users, not the queue of a closed loop
with no pause; ``--no-think`` runs that closed loop too (then every figure is about 50 x the server's time per
request). The server's CPU time per request is printed beside the latencies: it does not depend on the machine's
load, the latencies do.

Goals: zero errors, p95 page time < 300 ms, p95 single screening < 50 ms, overview on ETO < 1 s from a cold start.
Baselines in the same run: GET /healthz under the same load (the server's floor), and the overview computed in this
process by the library (exposure + chokepoints + map) without HTTP.
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UN_LIST = SHARED / "screening" / "lists" / "un_sc_consolidated_20260227.xml"
ETO = SHARED / "supply-chain" / "eto"
POSITIVES = SHARED / "screening" / "benchmarks" / "yente_positives_un_treated.csv"
USERS = 50
ROUNDS = 6  # each user: overview, supply chain, screening page, one-name screening ... ROUNDS times
PASSWORD = "benchmark password 1"
GOAL_PAGE_P95 = 0.300
GOAL_SCREEN_P95 = 0.050
GOAL_COLD_OVERVIEW = 1.0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def _prepare(home: Path) -> list[str]:
    """A workspace with the UN list and ETO imported, and 50 analysts; return names to screen."""
    from pinchpoint.accounts.store import AccountStore
    from pinchpoint.screening.loaders import load_list
    from pinchpoint.screening.store import store_list
    from pinchpoint.supplychain.load import import_dataset
    from pinchpoint.workspace import Workspace

    with Workspace(home) as ws:
        store_list(ws, load_list(UN_LIST))
        import_dataset(ws, ETO, name="eto")
    store = AccountStore(home)
    store.create_org("main", "Main")
    for k in range(USERS):
        store.create_user(f"user{k:02d}", PASSWORD, "main", "analyst")
    with open(POSITIVES, encoding="utf-8") as f:
        listed = [r["full_name"] for r in csv.DictReader(f)][:100]
    return listed + [f"Example Trading Company {k}" for k in range(100)]


def _start(home: Path, workers: int = 1) -> tuple[subprocess.Popen[bytes], str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PINCHPOINT_HOME": str(home), "PINCHPOINT_SECRET_KEY": "b" * 48}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pinchpoint", "web", "--port", str(port), "--workers",
                             str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}", t0


async def _sign_in(client: Any, username: str) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = await client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in of {username} failed: {answer.status_code}")
    return token


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError("the server exited: " + proc.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start in 30 s")


async def _cold_overview(url: str) -> tuple[float, float]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await _sign_in(client, "user00")
        t0 = time.perf_counter()
        first = await client.get("/", params={"dataset": "eto"})
        cold = time.perf_counter() - t0
        if first.status_code != 200 or "<svg" not in first.text:
            raise RuntimeError(f"overview on ETO failed: {first.status_code}")
        t0 = time.perf_counter()
        await client.get("/", params={"dataset": "eto"})
        return cold, time.perf_counter() - t0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (the worker processes; Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _load(url: str, names: list[str], think: bool, server_pid: int) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=USERS)
    pause = random.Random(17)
    pages: list[float] = []
    screens: list[float] = []
    floor: list[float] = []
    errors: list[str] = []
    stress: dict[str, Any] = {}

    clients: list[Any] = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for _ in range(USERS)]
    signed = await asyncio.gather(*(_sign_in(client, f"user{k:02d}") for k, client in enumerate(clients)),
                                  return_exceptions=True)
    failed = [k for k, outcome in enumerate(signed) if isinstance(outcome, BaseException)]
    errors += [f"sign-in: {type(signed[k]).__name__}" for k in failed]
    for k in failed:  # a user whose sign-in failed tries once more, or stays out of the load (counted above)
        try:
            await _sign_in(clients[k], f"user{k:02d}")
        except Exception:
            clients[k] = None
    waits = [[pause.uniform(0.5, 1.5) if think else 0.0 for _ in range(4 * ROUNDS + 1)] for _ in range(USERS)]
    cpu_start = _cpu_seconds(server_pid)  # after the sign-ins (argon2): the browsing's own cost from here

    async def user(k: int) -> None:
        client = clients[k]
        if client is None:
            return
        await asyncio.sleep(waits[k][-1])  # users start their browsing spread over a second
        page = (await client.get("/stress")).text  # a fresh session after sign-in: its own CSRF token
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        if k == 0:  # one user runs a scenario while the others browse
            t0 = time.perf_counter()
            started = await client.post("/stress/start", data={"scenario": "renesas_naka_fire",
                                                             "csrf_token": token})
            job = started.headers.get("location", "")
            while job:
                status = (await client.get(job + "/status")).json()
                if status["status"] in ("done", "failed"):
                    stress.update(status=status["status"], seconds=time.perf_counter() - t0)
                    break
                await asyncio.sleep(0.2)
        for r in range(ROUNDS):
            for step, (path, params, bucket) in enumerate((
                    ("/", None, pages), ("/supply-chain", None, pages), ("/healthz", None, floor),
                    ("/screening", {"q": names[(k * ROUNDS + r) % len(names)]}, screens))):
                await asyncio.sleep(waits[k][4 * r + step])
                t0 = time.perf_counter()
                try:
                    answer = await client.get(path, params=params)
                except httpx.HTTPError as exc:
                    errors.append(f"{path}: {type(exc).__name__}")
                    continue
                bucket.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    errors.append(f"{path}: {answer.status_code}")

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(user(k) for k in range(USERS)))
    finally:
        for client in clients:
            if client is not None:
                await client.aclose()
    return {"pages": pages, "screens": screens, "floor": floor, "errors": errors, "stress": stress,
            "wall": time.perf_counter() - t0, "cpu": _cpu_seconds(server_pid) - cpu_start}


SINGLE = 200  # sequential one-name screenings by one user after the load: the server's own time per request


async def _single(url: str, names: list[str], server_pid: int) -> dict[str, list[float] | float]:
    """One user, one request at a time: latency and the server's CPU per request of a one-name screening and of
    /healthz (the floor: the same middleware, no route work), with nothing queued ahead of them."""
    import httpx

    out: dict[str, list[float] | float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await _sign_in(client, "user00")
        for name in names[:5]:  # the screener is warm already; the user's first screenings are not timed
            await client.get("/screening", params={"q": name})
        for path, key in (("/screening", "screen"), ("/healthz", "floor")):
            times: list[float] = []
            cpu = _cpu_seconds(server_pid)
            for k in range(SINGLE):
                params = {"q": names[k % len(names)]} if path == "/screening" else None
                t0 = time.perf_counter()
                answer = await client.get(path, params=params)
                times.append(time.perf_counter() - t0)
                assert answer.status_code == 200, (path, answer.status_code)
            out[key] = times
            out[f"{key}_cpu"] = (_cpu_seconds(server_pid) - cpu) / SINGLE
    return out


def _library_overview() -> float:
    from pinchpoint.analysis import chokepoints, exposure
    from pinchpoint.reports.svg import choropleth
    from pinchpoint.supplychain import load_chain

    t0 = time.perf_counter()
    chain = load_chain(ETO)
    table = exposure(chain)
    chokepoints(chain)
    choropleth({r["country"]: 100.0 * r["dependence"] for r in table.rows}, title="t", legend="l", vmax=100.0)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    think = "--no-think" not in args
    workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 1  # server processes
    if not UN_LIST.exists() or not ETO.exists():
        print(f"skipped: {UN_LIST} or {ETO} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        names = _prepare(home)
        proc, url, started = _start(home, workers)
        try:
            asyncio.run(_wait_up(url, proc))
            up = time.perf_counter() - started
            cold, warm = asyncio.run(_cold_overview(url))
            start_to_overview = time.perf_counter() - started  # includes one sign-in (argon2)
            library = _library_overview()
            ok_cold = cold < GOAL_COLD_OVERVIEW
            print(f"{'server up (process start to /healthz)':<48} {up:8.3f} s   process start to the ETO overview "
                  f"rendered (with a sign-in): {start_to_overview:.3f} s")
            print(f"{'overview on ETO, first request after start':<48} {cold:8.3f} s   warm {warm:7.3f} s   "
                  f"library baseline (load+analyses+map) {library:7.3f} s   ratio {cold / library:5.2f}x   "
                  f"goal < {GOAL_COLD_OVERVIEW:g} s: {'met' if ok_cold else 'MISSED'}")
            result = asyncio.run(_load(url, names, think, proc.pid))
            server_cpu = result["cpu"]
            single = asyncio.run(_single(url, names, proc.pid))
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
    pages, screens, floor = result["pages"], result["screens"], result["floor"]
    errors = result["errors"]
    p95_page, p95_screen, p95_floor = _p(pages, 95), _p(screens, 95), _p(floor, 95)
    ok = not errors and p95_page < GOAL_PAGE_P95 and p95_screen < GOAL_SCREEN_P95
    n_requests = len(pages) + len(screens) + len(floor) + 1
    print(f"{USERS} users x {ROUNDS} rounds in {result['wall']:.1f} s "
          f"({'think time 0.5-1.5 s between requests' if think else 'closed loop, no think time'}; {workers} server "
          f"process{'es' if workers > 1 else ''}); stress run "
          f"during the load: {result['stress'].get('status')} in {result['stress'].get('seconds', float('nan')):.1f} "
          f"s; server CPU after the sign-ins {server_cpu:.1f} s = {1000 * server_cpu / n_requests:.1f} ms per "
          f"request (the stress run included)")
    print(f"{'GET /healthz under the same load (baseline)':<48} p50 {_p(floor, 50) * 1000:7.1f} ms   "
          f"p95 {p95_floor * 1000:7.1f} ms   n {len(floor)}")
    print(f"{'pages (overview, supply chain)':<48} p50 {_p(pages, 50) * 1000:7.1f} ms   "
          f"p95 {p95_page * 1000:7.1f} ms   n {len(pages)}   ratio to baseline p95 {p95_page / p95_floor:5.2f}x   "
          f"goal < {GOAL_PAGE_P95 * 1000:.0f} ms: {'met' if p95_page < GOAL_PAGE_P95 else 'MISSED'}")
    print(f"{'one-name screening page':<48} p50 {_p(screens, 50) * 1000:7.1f} ms   "
          f"p95 {p95_screen * 1000:7.1f} ms   n {len(screens)}   ratio to baseline p95 "
          f"{p95_screen / p95_floor:5.2f}x   goal < {GOAL_SCREEN_P95 * 1000:.0f} ms: "
          f"{'met' if p95_screen < GOAL_SCREEN_P95 else 'MISSED'}")
    for key, label in (("screen", "single screening, one at a time"), ("floor", "GET /healthz, one at a time")):
        times, cpu = single[key], single[key + "_cpu"]
        assert isinstance(times, list) and isinstance(cpu, float)
        print(f"{label:<48} p50 {_p(times, 50) * 1000:7.1f} ms   p95 {_p(times, 95) * 1000:7.1f} ms   n {len(times)}"
              f"   server CPU {1000 * cpu:5.2f} ms a request")
    print(f"{'load average (1, 5, 15 min) at the end':<48} {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"errors: {len(errors)} {sorted(set(errors))[:5]}   tracebacks in the server log: "
          f"{err.decode(errors='replace').count('Traceback')}")
    return 0 if ok and ok_cold else 1


if __name__ == "__main__":
    raise SystemExit(main())
