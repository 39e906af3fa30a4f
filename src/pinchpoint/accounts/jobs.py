"""Long work (stress runs, screening batches) off the request: a jobs table and a worker pool.

A job is a row in the account store (status, progress ``done``/``total``/``label`` from the library's
``progress(done, total, label)`` callback, result or error), owned by the submitter's organisation like any other
resource, so the same access rules decide who sees it. The pool runs in the web process (threads: the heavy parts
are NumPy, DuckDB and HiGHS, which release the GIL); progress writes are throttled so a tight loop does not queue
hundreds of small transactions.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pinchpoint.accounts.model import Actor
from pinchpoint.accounts.store import AccountStore, now
from pinchpoint.errors import PinchpointError
from pinchpoint.progress import ProgressCallback

log = logging.getLogger("pinchpoint.jobs")
PROGRESS_INTERVAL_S = 0.25

JobFunction = Callable[[ProgressCallback], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    owner_org: str
    username: str
    status: str  # queued, running, done, failed
    done: int
    total: int
    label: str
    params: dict[str, Any]
    result: dict[str, Any]
    error: str
    created_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class JobRunner:
    """Submit work; read its state from the store (any process can)."""

    def __init__(self, store: AccountStore, workers: int = 2) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pinchpoint-job")

    @staticmethod
    def new_id() -> str:
        """A fresh job id, for work that needs to know its id (to name its files) before it is submitted."""
        return secrets.token_hex(8)

    def submit(self, actor: Actor, kind: str, fn: JobFunction, params: dict[str, Any] | None = None,
               job_id: str | None = None) -> str:
        job_id = job_id or self.new_id()
        with self.store._tx() as db:
            db.execute("INSERT INTO jobs (id, kind, owner_org, username, status, params, created_at) "
                       "VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                       [job_id, kind, actor.org, actor.username, json.dumps(params or {}, default=str), now()])
            db.execute("INSERT INTO resources VALUES (?, ?, ?, 'private', ?, ?)",
                       [kind, job_id, actor.org, actor.username, now()])
        # the work runs in the submitter's context: the request's actor (accounts.hook.CURRENT_ACTOR) is who the
        # Session authorises and records as inside the job, not the worker thread's nobody
        self.pool.submit(contextvars.copy_context().run, self._run, job_id, fn)
        return job_id

    def _run(self, job_id: str, fn: JobFunction) -> None:
        self._update(job_id, status="running")
        last = 0.0

        def progress(done: int, total: int, label: str = "") -> None:
            nonlocal last
            t = time.monotonic()
            if t - last >= PROGRESS_INTERVAL_S or (total and done >= total):
                last = t
                fields: dict[str, Any] = {"done": done, "total": total}
                if label:
                    fields["label"] = label[:200]
                self._update(job_id, **fields)

        try:
            result = fn(progress)
        except PinchpointError as exc:
            self._update(job_id, status="failed", error=str(exc)[:2000], finished_at=now())
            return
        except Exception as exc:  # a bug: logged in full, the user sees its kind only
            log.exception("job %s failed", job_id)
            self._update(job_id, status="failed", error=f"internal error ({type(exc).__name__})", finished_at=now())
            return
        self._update(job_id, status="done", result=json.dumps(result, default=str), finished_at=now())

    def _update(self, job_id: str, **fields: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self.store._tx() as db:
            db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*fields.values(), job_id])

    def job(self, job_id: str) -> Job | None:
        return get_job(self.store, job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job is None:
                raise PinchpointError(f"unknown job {job_id!r}")
            if job.finished or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def get_job(store: AccountStore, job_id: str) -> Job | None:
    rows = store._read("SELECT * FROM jobs WHERE id = ?", [job_id])
    if not rows:
        return None
    r = dict(rows[0])
    return Job(r["id"], r["kind"], r["owner_org"], r["username"], r["status"], r["done"], r["total"], r["label"],
               json.loads(r["params"] or "{}"), json.loads(r["result"]) if r["result"] else {}, r["error"],
               r["created_at"], r["finished_at"])


def recent_jobs(store: AccountStore, actor: Actor, kind: str, limit: int = 20) -> list[Job]:
    """The actor's organisation's jobs of ``kind``, newest first."""
    rows = store._read("SELECT id FROM jobs WHERE kind = ? AND owner_org = ? ORDER BY created_at DESC LIMIT ?",
                       [kind, actor.org, limit])
    return [job for r in rows if (job := get_job(store, r["id"])) is not None]
