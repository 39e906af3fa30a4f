"""HTTP routes for screening: POST /screen (one or many names), GET /lists, GET /reviews; answered by the app's one
Session (one screener, rebuilt only when a list is loaded or updated), each as the JSON document the matching
command prints with ``-f json``. Errors are mapped in the app's one handler (an unknown list: 404)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from pinchpoint.api.common import document, session
from pinchpoint.screening.matcher import MAX_QUERY_CHARS

router = APIRouter(tags=["screening"])
MAX_NAMES = 1000


QueryName = Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)]  # an empty one gets a note


class ScreenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option ("treshold") is an error, not ignored

    names: list[QueryName] = Field(min_length=1, max_length=MAX_NAMES,
                                   description=f"1 to {MAX_NAMES:,} names of at most {MAX_QUERY_CHARS} characters")
    threshold: float = Field(0.8, ge=0, le=1, allow_inf_nan=False)
    country: str | None = Field(None, min_length=2, max_length=80,
                                description="ISO 3166 code or English name (read by the library: Syria is SYR)")
    type: Literal["person", "organisation", "vessel", "aircraft"] | None = None
    lists: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(None, max_length=20)
    birth_date: str | None = Field(None, max_length=40, description="YYYY, YYYY-MM or YYYY-MM-DD (a date that does "
                                   "not exist is refused by the library, naming it)")
    top: int | None = Field(None, ge=1, le=1000, description="At most this many matches per name (default: all at or "
                        "above the threshold; a cut is said in meta.caveats)")
    gender: Literal["male", "female"] | None = None

    @field_validator("names")
    @classmethod
    def _unicode(cls, names: list[str]) -> list[str]:
        for k, name in enumerate(names):
            try:
                name.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"name {k} is not valid Unicode text (a lone surrogate at character "
                                 f"{exc.start})") from None
        return names


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: QueryName = Field(min_length=1, description="The input as screened")
    entity_id: str = Field(min_length=1, max_length=200, description="The listed entity's id (entity_id of the "
                           "match)")
    # the spellings the library reads; "false_positive" is what the workbench's form posts
    decision: Literal["true match", "false positive", "true-match", "false-positive", "true_match", "false_positive"]
    reviewer: str | None = Field(None, min_length=1, max_length=200, description="Who decided. Behind accounts "
                                 "(the workbench, `serve --web`) the signed-in user, always: leave it out, or give "
                                 "that user's name (another name is refused, 422). Without accounts: required")
    reason: str = Field("", max_length=1000)
    list: str | None = Field(None, max_length=200, description="The entity's list (if ids clash)")
    country: str | None = Field(None, max_length=100, description="The country the input was screened with")
    entity_type: str | None = Field(None, max_length=40, description="The type it was screened with")
    birth_date: str | None = Field(None, max_length=40, description="The birth date it was screened with")
    gender: str | None = Field(None, max_length=20, description="The gender it was screened with")


@router.post("/screen")
def screen(request: Request, body: ScreenRequest) -> dict[str, Any]:
    """Every match of every name (best first per name), each with its explanation, list version and review state,
    as ``pinchpoint screen -f json`` prints it: ``meta.lists`` the list versions, ``meta.caveats`` the names that
    could not be screened and why."""
    table = session(request).screening.screen(body.names, threshold=body.threshold, country=body.country,
                                               entity_type=body.type, lists=body.lists, birth_date=body.birth_date,
                                               top=body.top, gender=body.gender)
    return document(table)


class SinceLastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str | None = Field(None, min_length=1, max_length=200, description="The stored screening (needed when "
                              "several are stored)")


@router.post("/screen/since-last")
def since_last(request: Request, body: SinceLastRequest) -> dict[str, Any]:
    """``screen --since-last``: a stored screening screened again against only the entities added or changed
    since, stored as its next version; new, still-alerted and resolved alerts, as the command prints them with
    ``-f json``."""
    return document(session(request).screening.since_last(body.store).alerts)


@router.get("/screenings")
def screenings(request: Request) -> dict[str, Any]:
    """Every version of every stored screening (name, when, rows, alerts, threshold, lists)."""
    return document(session(request).screening.stored_screenings())


@router.get("/lists")
def lists(request: Request) -> dict[str, Any]:
    """The loaded lists (name, version, counts, content hash), as ``pinchpoint lists list -f json`` prints them."""
    return document(session(request).screening.lists())


@router.get("/reviews")
def reviews(request: Request) -> dict[str, Any]:
    """The latest decision on every reviewed input and entity (``pinchpoint review list -f json``)."""
    return document(session(request).screening.review_table())


@router.post("/reviews")
def review(request: Request, body: ReviewRequest) -> dict[str, Any]:
    """``review add``: record a decision on an alert; later screenings show it (``alert`` "decided") and do not alert
    again for the same input and entity unless the entity's record changes. Answers the decision as stored."""
    from dataclasses import asdict

    decided = session(request).screening.review(body.query, body.entity_id, body.decision, body.reviewer or "",
                                                body.reason, body.list, country=body.country,
                                                entity_type=body.entity_type, birth_date=body.birth_date,
                                                gender=body.gender)
    return asdict(decided)
