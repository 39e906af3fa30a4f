"""The control-list model: one entry per list item (an ECCN, an EU Annex I entry, a METI item), with its paragraphs.

Paragraph codes are written in full (``3B001.f.1.b``) so that references between jurisdictions and from trade
alerts are unambiguous. Entries are immutable and validated (Pydantic).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pinchpoint.errors import Problem, as_problems


class Jurisdiction(StrEnum):
    US = "US"
    EU = "EU"
    JP = "JP"


class Regime(StrEnum):
    WASSENAAR = "Wassenaar"
    WASSENAAR_MUNITIONS = "Wassenaar (munitions)"
    MTCR = "MTCR"
    NSG = "NSG"
    AUSTRALIA_GROUP = "Australia Group"
    CWC = "CWC"
    PLURILATERAL = "plurilateral (outside the regimes)"
    UNILATERAL = "unilateral"


class Parameter(BaseModel):
    """A threshold stated in the text, e.g. wavelength < 193 nm."""

    model_config = ConfigDict(frozen=True)

    paragraph: str
    quantity: str  # e.g. "wavelength", "overlay", "TPP"; "" when the text does not say
    comparator: str  # one of < <= > >= =
    value: float
    unit: str  # "" for dimensionless quantities such as TPP
    text: str  # the words it was read from


class Paragraph(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str  # full code, e.g. "3B001.f.1"
    text: str
    notes: tuple[str, ...] = ()


class ControlEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    jurisdiction: Jurisdiction
    list_name: str
    version: date
    code: str = Field(min_length=1)
    category: str
    heading: str
    paragraphs: tuple[Paragraph, ...] = ()
    reasons: tuple[str, ...] = ()
    regime: Regime
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    related: str = ""
    status: str = ""  # Japan: when the item was added
    full_text: bool = True  # False where the source gives only the heading (CCL categories not captured)

    @property
    def key(self) -> str:
        return f"{self.jurisdiction.value}:{self.code}"

    @property
    def text(self) -> str:
        """The heading and every paragraph, one per line."""
        lines = [self.heading] + [f"{p.code} {p.text}" for p in self.paragraphs]
        return "\n".join(lines)


class ControlList(BaseModel):
    """One jurisdiction's list at one version date, plus what the loader could not read."""

    model_config = ConfigDict(frozen=True)

    jurisdiction: Jurisdiction
    list_name: str
    version: date
    source: str
    entries: tuple[ControlEntry, ...]
    problems: tuple[Problem, ...] = ()  # malformed entries: reported, never silently dropped

    @field_validator("problems", mode="before")
    @classmethod
    def _stored_problems(cls, value: Any) -> Any:
        return as_problems(value)  # lists stored before problems were data hold them as text

    def by_code(self) -> dict[str, ControlEntry]:
        return {e.code: e for e in self.entries}
