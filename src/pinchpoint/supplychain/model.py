"""The supply-chain domain model: immutable, validated records and the chain that holds them.

A :class:`SupplyChain` is the one type every loader produces and every analysis consumes
(as networkx has one graph type). Records are frozen Pydantic models; the chain checks
that ids are unique, references resolve and the relation graph is acyclic.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pinchpoint.kernel.countries import is_country_code, is_pseudo_region


class InputKind(StrEnum):
    PROCESS = "process"
    TOOL = "tool"
    MATERIAL = "material"
    DESIGN = "design"
    OUTPUT = "output"


class ProviderKind(StrEnum):
    COUNTRY = "country"
    ORGANISATION = "organisation"


class Level(StrEnum):
    """The level at which shares are read: by country, or by organisation (firm)."""

    COUNTRY = "country"
    ORGANISATION = "organisation"


class RelationKind(StrEnum):
    GOES_INTO = "goes_into"
    IS_TYPE_OF = "is_type_of"


class Mode(StrEnum):
    """How the inputs joined into one input combine: all needed, or any one will do."""

    COMPLEMENT = "complement"
    SUBSTITUTE = "substitute"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Source(_Record):
    id: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    url: str | None = None


class Stage(_Record):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""


class Input(_Record):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: InputKind
    stage: str | None = None
    description: str = ""
    market_size_usd: float | None = Field(default=None, ge=0)
    market_size_year: int | None = None
    market_size_text: str | None = None
    source: str | None = None


class Provider(_Record):
    """A country (id = ISO3 code or pseudo-region) or an organisation with its home country."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: ProviderKind
    country: str | None = None
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _country_codes(self) -> Provider:
        if self.kind is ProviderKind.COUNTRY:
            if not is_country_code(self.id):
                raise ValueError(f"country provider id {self.id!r} is not an ISO 3166 alpha-3 code "
                                 "or a pseudo-region (VAR, ROW, EUR)")
            if self.country not in (None, self.id):
                raise ValueError(f"country provider {self.id!r} cannot have home country {self.country!r}")
        elif self.country is not None and not is_country_code(self.country):
            raise ValueError(f"home country {self.country!r} is not an ISO 3166 alpha-3 code")
        return self

    @property
    def home_country(self) -> str | None:
        return self.id if self.kind is ProviderKind.COUNTRY else self.country

    @property
    def is_pseudo_region(self) -> bool:
        return self.kind is ProviderKind.COUNTRY and is_pseudo_region(self.id)


class Provision(_Record):
    """Provider ``provider`` holds ``share`` percent of input (or stage) ``input`` in ``year``."""

    provider: str = Field(min_length=1)
    input: str = Field(min_length=1)
    share: float | None = Field(default=None, ge=0, le=100)
    year: int = Field(ge=1900, le=2100)
    source: str | None = None
    note: str | None = None


class Relation(_Record):
    """``source`` goes into ``target``, or ``source`` is a type of ``target``."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    kind: RelationKind
    mode: Mode = Mode.COMPLEMENT

    @field_validator("target")
    @classmethod
    def _not_self(cls, target: str, info: Any) -> str:
        if info.data.get("source") == target:
            raise ValueError(f"relation joins {target!r} to itself")
        return target


class Finding(_Record):
    """A data-quality observation that does not stop loading, with how often it occurs."""

    code: str
    message: str
    count: int = Field(ge=0)
    examples: tuple[str, ...] = ()


class CycleError(ValueError):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("relation cycle: " + " -> ".join(cycle))


class SupplyChain(_Record):
    """A whole supply-chain dataset: stages, inputs, providers, provisions and relations."""

    name: str
    title: str = ""
    description: str = ""
    licence: str = ""
    origin: str = ""
    stages: tuple[Stage, ...] = ()
    inputs: tuple[Input, ...]
    providers: tuple[Provider, ...] = ()
    provisions: tuple[Provision, ...] = ()
    relations: tuple[Relation, ...] = ()
    sources: tuple[Source, ...] = ()
    findings: tuple[Finding, ...] = ()

    @model_validator(mode="after")
    def _integrity(self) -> SupplyChain:
        _unique("stage", (s.id for s in self.stages))
        _unique("input", (i.id for i in self.inputs))
        _unique("provider", (p.id for p in self.providers))
        _unique("source", (s.id for s in self.sources))
        stage_ids = {s.id for s in self.stages}
        input_ids = {i.id for i in self.inputs}
        if stage_ids & input_ids:
            raise ValueError(f"ids used by both a stage and an input: {sorted(stage_ids & input_ids)}")
        for i in self.inputs:
            if i.stage is not None and i.stage not in stage_ids:
                raise ValueError(f"input {i.id!r} names unknown stage {i.stage!r}")
        provider_ids = {p.id for p in self.providers}
        for pv in self.provisions:
            if pv.provider not in provider_ids:
                raise ValueError(f"provision names unknown provider {pv.provider!r}")
            if pv.input not in input_ids and pv.input not in stage_ids:
                raise ValueError(f"provision names unknown input {pv.input!r}")
        for r in self.relations:
            for end in (r.source, r.target):
                if end not in input_ids:
                    raise ValueError(f"relation names unknown input {end!r}")
        cycle = find_cycle(self.relations)
        if cycle:
            raise CycleError(cycle)
        return self

    # Lookups -----------------------------------------------------------------------------
    @cached_property
    def input_by_id(self) -> dict[str, Input]:
        return {i.id: i for i in self.inputs}

    @cached_property
    def provider_by_id(self) -> dict[str, Provider]:
        return {p.id: p for p in self.providers}

    @cached_property
    def stage_by_id(self) -> dict[str, Stage]:
        return {s.id: s for s in self.stages}

    @cached_property
    def source_by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    def input(self, ref: str) -> Input:
        """Find an input by id or (case-insensitive) name."""
        if ref in self.input_by_id:
            return self.input_by_id[ref]
        lowered = ref.strip().lower()
        for i in self.inputs:
            if i.name.lower() == lowered:
                return i
        raise KeyError(f"no input with id or name {ref!r} in dataset {self.name!r}")

    def outputs(self) -> list[Input]:
        return [i for i in self.inputs if i.kind is InputKind.OUTPUT]

    def years(self) -> list[int]:
        return sorted({p.year for p in self.provisions})


def _unique(what: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    dupes: list[str] = []
    for i in ids:
        if i in seen:
            dupes.append(i)
        seen.add(i)
    if dupes:
        raise ValueError(f"duplicate {what} ids: {sorted(set(dupes))}")


def find_cycle(relations: Iterable[Relation]) -> list[str] | None:
    """Return one cycle in the relation graph as a list of ids (first = last), or None."""
    children: dict[str, list[str]] = {}
    for r in relations:
        children.setdefault(r.source, []).append(r.target)
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    for start in list(children):
        if colour.get(start, white) != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, idx = stack.pop()
            if idx == 0:
                colour[node] = grey
                path.append(node)
            nxt = children.get(node, [])
            if idx < len(nxt):
                stack.append((node, idx + 1))
                child = nxt[idx]
                state = colour.get(child, white)
                if state == grey:
                    return path[path.index(child):] + [child]
                if state == white:
                    stack.append((child, 0))
            else:
                colour[node] = black
                path.pop()
    return None
