"""Sources: every input format pinchpoint reads, in one registry that third parties extend.

A :class:`Source` has a name, a kind (``supplychain``, ``trade``, ``list``, ``controls``, ``indicators``,
``incentives``, ``projects``), a description, a detector and a reader. Sources are registered through the entry-point
group ``pinchpoint.sources`` (the built-ins too; see :mod:`pinchpoint.sources.registry`)::

    from pinchpoint import sources

    sources.detect("data/baci_2024.csv")               # -> the one Source that reads it (or a clear error)
    frame = sources.read("data/baci_2024.csv")         # detected, then read
    chain = sources.read("eto/", source="eto")          # named explicitly
    sources.explain("x.csv", kind="trade")              # every trade source's reason for (not) reading it
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinchpoint.sources.registry import (
    BUILTIN,
    GROUP,
    KINDS,
    Detection,
    Kind,
    NoSourceMatched,
    Registry,
    SeveralSourcesMatched,
    Source,
    UnknownSourceError,
    refresh,
    register,
    registry,
    unregister,
)

__all__ = ["BUILTIN", "GROUP", "KINDS", "Detection", "Kind", "NoSourceMatched", "Registry", "SeveralSourcesMatched",
           "Source", "UnknownSourceError", "all_sources", "detect", "explain", "get", "read", "refresh", "register",
           "registry", "unregister"]


def all_sources(kind: str | None = None) -> list[Source]:
    """Every registered source (of ``kind``), by kind then name, built-ins first."""
    return registry().of_kind(kind)


def get(name: str, kind: str | None = None) -> Source:
    """The source called ``name``; an error with the closest names if there is none (or it is of another kind)."""
    return registry().get(name, kind)


def detect(path: str | Path, kind: str | None = None) -> Source:
    """The one source (of ``kind``) that recognises ``path``. Raises :class:`NoSourceMatched` listing each
    source's reason, or :class:`SeveralSourcesMatched` naming the candidates."""
    return registry().detect(path, kind)


def explain(path: str | Path, kind: str | None = None) -> list[tuple[Source, Detection]]:
    """Every source (of ``kind``) with its verdict on ``path``: what :func:`detect` decides from."""
    return registry().explain(path, kind)


def read(path: str | Path | Sequence[str | Path], source: str | None = None, kind: str | None = None,
         **options: Any) -> Any:
    """Read ``path`` with the source named (or the one detected): the kind's domain object (``SupplyChain``,
    ``TradeFrame``, ``ScreeningList``, ``ControlList``...). ``options`` go to the source's reader."""
    return registry().read(path, source, kind, **options)
