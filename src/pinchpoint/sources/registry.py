"""The source registry: every input format is a :class:`Source` (name, kind, detector, reader).

Sources are found through one mechanism, the Python entry-point group ``pinchpoint.sources`` (the way datasette
finds its plugins): pinchpoint declares its own in ``pyproject.toml`` and a third-party distribution declares its
own the same way, so a user adds a trade layout or a list format without editing pinchpoint. The built-ins are
also listed in :data:`BUILTIN` (the same ``module:attribute`` references), so a checkout that was never installed
still has them. :func:`detect` walks the registry once: one source must recognise a path; otherwise the error
says, for every source of the kind, why not, or which several matched and how to choose one by name.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from pinchpoint.errors import BadArgumentError, DataError, Location, NotFoundError, PinchpointError, Problem

Kind = Literal["supplychain", "trade", "list", "controls", "indicators", "incentives", "projects"]
#: What a source reads into: ``supplychain`` -> ``SupplyChain``, ``trade`` -> ``TradeFrame``, ``list`` ->
#: ``ScreeningList``, ``controls`` -> ``ControlList``; the later kinds belong to the capabilities that add them.
KINDS: tuple[str, ...] = get_args(Kind)
GROUP = "pinchpoint.sources"
#: what a file of each kind is called in messages
KIND_NOUNS = {"supplychain": "supply-chain dataset", "trade": "trade data file", "list": "screening list",
              "controls": "control list", "indicators": "indicator series", "incentives": "incentives table",
              "projects": "projects table"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")

#: The built-in sources as ``name -> "module:attribute"``: the same references ``pyproject.toml`` declares under
#: ``[project.entry-points."pinchpoint.sources"]`` (a test keeps the two equal). Used when pinchpoint runs from a
#: checkout whose metadata does not (yet) declare them.
BUILTIN: dict[str, str] = {
    "eto": "pinchpoint.supplychain.sources:ETO",
    "native-yaml": "pinchpoint.supplychain.sources:NATIVE_YAML",
    "native-csv": "pinchpoint.supplychain.sources:NATIVE_CSV",
    "comext-relational": "pinchpoint.trade.sources:COMEXT_RELATIONAL",
    "comext-xlsx": "pinchpoint.trade.sources:COMEXT_XLSX",
    "baci": "pinchpoint.trade.sources:BACI",
    "comtrade": "pinchpoint.trade.sources:COMTRADE",
    "comtrade-api": "pinchpoint.trade.sources:COMTRADE_API",
    "comtrade-bulk": "pinchpoint.trade.sources:COMTRADE_BULK",
    "comtrade-legacy": "pinchpoint.trade.sources:COMTRADE_LEGACY",
    "ofac-sdn": "pinchpoint.screening.sources:OFAC_SDN",
    "un-sc": "pinchpoint.screening.sources:UN_SC",
    "meti-eul": "pinchpoint.screening.sources:METI_EUL",
    "bis-dpl": "pinchpoint.screening.sources:BIS_DPL",
    "ftm": "pinchpoint.screening.sources:FTM",
    "us-csl": "pinchpoint.screening.sources:US_CSL",
    "eu-fsf": "pinchpoint.screening.sources:EU_FSF",
    "uk-sanctions": "pinchpoint.screening.sources:UK_SANCTIONS",
    "us-ccl": "pinchpoint.controls.sources:US_CCL",
    "eu-annex1": "pinchpoint.controls.sources:EU_ANNEX1",
    "jp-items": "pinchpoint.controls.sources:JP_ITEMS",
    "fred": "pinchpoint.trends.sources:FRED",
    "meti-iip": "pinchpoint.trends.sources:METI_IIP",
    "indicators-wide": "pinchpoint.trends.sources:INDICATORS_WIDE",
    "indicators-long": "pinchpoint.trends.sources:INDICATORS_LONG",
    "estat": "pinchpoint.trends.sources:ESTAT",
    "pinchpoint-awards": "pinchpoint.planning.sources:AWARDS",
    "pinchpoint-projects": "pinchpoint.planning.sources:PROJECTS",
}


class UnknownSourceError(NotFoundError):
    """A source name (or kind) no registered source has; ``suggestions`` holds the closest names."""

    def __init__(self, message: str, suggestions: Sequence[str] = (), value: str = "", what: str = "source") -> None:
        super().__init__(message, suggestions=suggestions, what=what, value=value)


class NoSourceMatched(DataError):
    """No registered source recognises a file; the message gives each candidate's reason."""

    def __init__(self, path: str, kind: str | None, reasons: Sequence[tuple[str, str]]) -> None:
        self.reasons = tuple(reasons)
        where = Location(path)
        problems = [Problem(where, f"{name}: {reason}") for name, reason in reasons]
        lines = "; ".join(f"{name}: {reason}" for name, reason in reasons) or "no sources are registered"
        thing = "folder" if Path(path).is_dir() else "file"
        if kind is None:
            message = f"no source recognises this {thing} ({lines})"
        else:
            message = f"not a {KIND_NOUNS.get(kind, kind)} any {kind} source reads ({lines})"
        super().__init__(message, file=path, problems=[Problem(where, message), *problems])


class SeveralSourcesMatched(DataError):
    """More than one source recognises a file equally well: the caller must name one."""

    def __init__(self, path: str, matches: Sequence[tuple[str, str]]) -> None:
        self.names = tuple(name for name, _ in matches)
        found = "; ".join(f"{name} ({reason})" for name, reason in matches)
        super().__init__(f"several sources recognise this file: {found}; name the source to read it with "
                         f"(one of {', '.join(self.names)})", file=path)


@dataclass(frozen=True)
class Detection:
    """A detector's answer: whether it reads the path, why (or why not), and how sure it is (1.0: the content
    carries the format's signature, such as its columns; 0.5: only the file name or extension fits). Among
    several matches, the most confident wins; a tie is an error naming them."""

    matched: bool
    reason: str
    confidence: float = 1.0

    @classmethod
    def match(cls, reason: str, confidence: float = 1.0) -> Detection:
        return cls(True, reason, confidence)

    @classmethod
    def miss(cls, reason: str) -> Detection:
        return cls(False, reason, 0.0)


Detector = Callable[[Path], "Detection | None"]


@dataclass(frozen=True)
class Source:
    """One input format. ``detect(path)`` looks at a file or folder cheaply (a header, a few kB) and returns a
    :class:`Detection` (``None`` counts as "not recognised"); ``read(path, **options)`` returns the kind's domain
    object. ``patterns`` are the file names it reads (globs) and ``columns`` the columns or keys it expects: both
    are shown to users choosing a source. ``multiple``: ``read`` takes a list of paths as well as one path."""

    name: str
    kind: str
    description: str
    detect: Detector
    read: Callable[..., Any]
    patterns: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    multiple: bool = False
    #: where it was registered (filled in by the registry)
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise BadArgumentError(f"source name {self.name!r} must be lower-case letters, digits, '-', '_' or '.'",
                                   parameter="name")
        if self.kind not in KINDS:
            raise BadArgumentError(f"source {self.name!r} has kind {self.kind!r}; kinds are {', '.join(KINDS)}",
                                   parameter="kind")

    def check(self, path: str | Path) -> Detection:
        """This source's detection of ``path``: a detector that fails counts as a miss saying why."""
        p = Path(path)
        try:
            found = self.detect(p)
        except PinchpointError as exc:
            return Detection.miss(str(getattr(exc, "problem", exc)))
        except Exception as exc:  # a broken third-party detector must not hide every other source
            return Detection.miss(f"its detector failed: {type(exc).__name__}: {str(exc)[:200]}")
        return found if found is not None else Detection.miss("not recognised")


@dataclass(frozen=True)
class Registry:
    """The sources found, by name, and what could not be registered (a plugin that fails to import, a
    name taken twice): those are reported, never fatal, so one broken plugin does not disable the others."""

    sources: tuple[Source, ...]
    problems: tuple[str, ...] = ()

    def names(self, kind: str | None = None) -> list[str]:
        return [s.name for s in self.of_kind(kind)]

    def of_kind(self, kind: str | None = None) -> list[Source]:
        if kind is not None and kind not in KINDS:
            raise UnknownSourceError(f"unknown source kind {kind!r}; kinds are {', '.join(KINDS)}",
                                     difflib.get_close_matches(kind, KINDS, n=3), kind, "source kind")
        return [s for s in self.sources if kind is None or s.kind == kind]

    def get(self, name: str, kind: str | None = None) -> Source:
        for s in self.sources:
            if s.name == name:
                if kind is not None and s.kind != kind:
                    raise BadArgumentError(f"source {name!r} reads {s.kind}, not {kind} (the {kind} sources: "
                                           f"{', '.join(self.names(kind))})", parameter="source")
                return s
        pool = self.names(kind)
        close = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
        broken = [p for p in self.problems if p.startswith(f"{name!r}") or f" {name!r} " in p]
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        why = f" ({broken[0]})" if broken else ""
        raise UnknownSourceError(f"unknown {kind + ' ' if kind else ''}source {name!r}{why}{hint} (known: "
                                 f"{', '.join(pool)})", close, name)

    def explain(self, path: str | Path, kind: str | None = None) -> list[tuple[Source, Detection]]:
        """Every source of ``kind`` with its detection of ``path``."""
        return [(s, s.check(path)) for s in self.of_kind(kind)]

    def detect(self, path: str | Path, kind: str | None = None) -> Source:
        """The one source that reads ``path``; an error listing why none does, or which several do."""
        p = Path(path)
        if not p.exists():
            raise DataError("no such file or folder", file=str(p))
        found = self.explain(p, kind)
        matches = [(s, d) for s, d in found if d.matched]
        if not matches:
            raise NoSourceMatched(str(p), kind, [(s.name, d.reason) for s, d in found])
        best = max(d.confidence for _, d in matches)
        top = [(s, d) for s, d in matches if d.confidence == best]
        if len(top) > 1:
            raise SeveralSourcesMatched(str(p), [(s.name, d.reason) for s, d in top])
        return top[0][0]

    def read(self, path: str | Path | Sequence[str | Path], source: str | None = None, kind: str | None = None,
             **options: Any) -> Any:
        """Read ``path`` (or several paths, for sources that take several) with ``source``, or with the one
        source detected for it."""
        paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
        if not paths:
            raise BadArgumentError("no file or folder given to read", parameter="path")
        if source is not None:
            chosen = self.get(source, kind)
        else:
            detected = {str(p): self.detect(p, kind) for p in paths}
            names = sorted({s.name for s in detected.values()})
            if len(names) > 1:
                raise BadArgumentError("the files given are of different formats (" + "; ".join(
                    f"{p}: {s.name}" for p, s in detected.items()) + "): read them one format at a time",
                    parameter="path")
            chosen = next(iter(detected.values()))
        if len(paths) > 1 and not chosen.multiple:
            raise BadArgumentError(f"source {chosen.name!r} reads one file or folder at a time; {len(paths)} were "
                                   "given", parameter="path")
        return chosen.read(paths if chosen.multiple else paths[0], **options)


def _dist_of(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return f" from {dist.name} {dist.version}" if dist is not None else ""


def _origin_of(ep: Any) -> str:
    return f"entry point {ep.name} = {ep.value}{_dist_of(ep)}"


def _as_sources(value: Any, label: str) -> list[Source]:
    """An entry point may name a Source, an iterable of Sources, or a function returning either."""
    if callable(value) and not isinstance(value, Source):
        value = value()
    if isinstance(value, Source):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = list(value)
        if items and all(isinstance(v, Source) for v in items):
            return items
    raise BadArgumentError(f"{label} is a {type(value).__name__}, not a pinchpoint.sources.Source")


def _load_reference(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attribute.split(".") if attribute else ():
        obj = getattr(obj, part)
    return obj


def build_registry(extra: Iterable[Source] = ()) -> Registry:
    """Load every source: the entry points of group ``pinchpoint.sources``, the built-ins any installed
    metadata lacks, then ``extra`` (sources registered in code). The first to take a name keeps it."""
    from importlib.metadata import entry_points

    taken: dict[str, Source] = {}
    problems: list[str] = []

    def add(found: Source, origin: str) -> None:
        if found.name in taken:
            problems.append(f"{found.name!r} from {origin} is ignored: the name is taken by {taken[found.name].origin}")
            return
        taken[found.name] = replace(found, origin=origin)

    points = list(entry_points(group=GROUP))
    # the built-ins first whichever way they are found, so a plugin can never take a built-in's name
    points.sort(key=lambda ep: (not (ep.name in BUILTIN and ep.value == BUILTIN[ep.name]), ep.name))
    declared = {ep.name for ep in points if ep.name in BUILTIN and ep.value == BUILTIN[ep.name]}
    for name, reference in BUILTIN.items():
        if name not in declared:
            add(_as_sources(_load_reference(reference), reference)[0], f"built-in ({reference}; not installed)")
    for ep in points:
        builtin = ep.name in BUILTIN and ep.value == BUILTIN[ep.name]
        try:
            loaded = _as_sources(ep.load(), f"entry point {ep.name} = {ep.value}")
        except Exception as exc:  # a broken plugin is reported, never fatal
            if builtin:
                raise
            problems.append(f"{ep.name!r} ({_origin_of(ep)}) could not be loaded: {type(exc).__name__}: "
                            f"{str(exc)[:200]}")
            continue
        if len(loaded) == 1 and loaded[0].name != ep.name:
            problems.append(f"{ep.name!r} ({_origin_of(ep)}) is ignored: it names a source called "
                            f"{loaded[0].name!r}; an entry point of one source carries that source's name")
            continue
        for s in loaded:
            add(s, f"built-in (entry point{_dist_of(ep)})" if builtin else _origin_of(ep))
    for s in extra:
        add(s, s.origin or "registered in code")
    order = {k: i for i, k in enumerate(KINDS)}
    ordered = sorted(taken.values(), key=lambda s: (order[s.kind], s.name not in BUILTIN, s.name))
    return Registry(tuple(ordered), tuple(problems))


_registered: list[Source] = []
_cache: dict[tuple[str, ...], Registry] = {}


def registry() -> Registry:
    """The registry for the current ``sys.path`` (built once per path, so a distribution added at run time is
    found once the path changes, or after :func:`refresh`)."""
    key = (*sys.path, *(f"{s.name}@{id(s)}" for s in _registered))
    if key not in _cache:
        _cache.clear()
        _cache[key] = build_registry(_registered)
    return _cache[key]


def refresh() -> None:
    """Forget the loaded registry: the next call looks for entry points again."""
    _cache.clear()


def register(source: Source) -> Source:
    """Register ``source`` in this process (tests, notebooks). Distributions use the entry-point group."""
    _registered.append(source if source.origin else replace(source, origin="registered in code"))
    refresh()
    return source


def unregister(name: str) -> None:
    """Remove a source registered with :func:`register` in this process."""
    _registered[:] = [s for s in _registered if s.name != name]
    refresh()
