"""One way to spread screening work over forked worker processes (the matcher's batches, the delta's analysis of
stored names and its prefilter): the workers inherit what they read (a screener, the stored rows) copy-on-write
when they fork, so each is sent only the range of items to work on, never the items themselves."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_SHARED: tuple[Callable[..., Any], tuple[Any, ...]] | None = None  # what forked workers inherit


def _run(span: tuple[int, int]) -> Any:
    assert _SHARED is not None
    work, args = _SHARED
    return work(*args, span[0], span[1])


def forked_map(work: Callable[..., T], args: tuple[Any, ...], n: int, chunk: int, workers: int | None = None
               ) -> list[T]:
    """``work(*args, start, stop)`` for the consecutive ranges of ``chunk`` items of ``n``, in order. The ranges
    run in forked processes (``workers``, one per core by default) when there are two full ranges or more and the
    platform forks; else here, one after the other."""
    chunk = max(1, chunk)
    spans = [(i, min(i + chunk, n)) for i in range(0, n, chunk)]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or n < 2 * chunk or "fork" not in mp.get_all_start_methods():
        return [work(*args, start, stop) for start, stop in spans]
    global _SHARED
    _SHARED = (work, args)
    try:
        with mp.get_context("fork").Pool(min(workers, len(spans))) as pool:
            return pool.map(_run, spans, chunksize=1)
    finally:
        _SHARED = None
