"""One normalised model for every restricted-party list."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pinchpoint.errors import Problem, as_problems


class NameKind(StrEnum):
    PRIMARY = "primary"
    ALIAS = "alias"
    ORIGINAL = "original-script"


class EntityType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class Name(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    kind: NameKind = NameKind.PRIMARY


class ListedEntity(BaseModel):
    model_config = ConfigDict(frozen=True)

    entity_id: str
    list_name: str
    list_version: str
    type: EntityType = EntityType.UNKNOWN
    names: tuple[Name, ...]
    countries: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    #: What the list says of why the entity is listed (OFAC remarks, the UN's comments, an FtM sanction's
    #: reason, the Federal Register citation of a denial order), as published; "" when the list says nothing.
    listing_reason: str = ""
    #: "male" or "female" where the list states it (UN, FtM persons), else "".
    gender: str = ""

    @property
    def primary_name(self) -> str:
        return next((n.text for n in self.names if n.kind is NameKind.PRIMARY), self.names[0].text)


class ScreeningList(BaseModel):
    model_config = ConfigDict(frozen=True)

    list_name: str
    version: str
    source: str
    entities: tuple[ListedEntity, ...]
    problems: tuple[Problem, ...] = ()  # what the loader could not read or read with a change (file, row, field)

    @field_validator("problems", mode="before")
    @classmethod
    def _stored_problems(cls, value: Any) -> Any:
        return as_problems(value)  # lists stored before problems were data hold them as text

    #: How the file was decoded: utf-8 when it is valid UTF-8, else cp1252 or latin-1 (see loaders.decode_text).
    encoding: str = ""
    #: Records read from the file. Every one is an entity, a duplicate, skipped by design (FtM relations) or
    #: dropped with a line in ``problems``: records == len(entities) + duplicates + skipped + dropped.
    records: int = 0
    duplicates: int = 0
    skipped: int = 0
    dropped: int = 0
    #: The content hash of the version the workspace stores (SHA-256 of its JSON, 16 hex digits, as ``lists list``
    #: shows it), set when read from the workspace; not part of the JSON it hashes. A version label may be reused
    #: or mistaken (a renamed file); the digest names the content a match was found in.
    digest: str = Field(default="", exclude=True)
