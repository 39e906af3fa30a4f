"""Who acts (``Actor``), on what (``Resource``), and with which role: plain frozen records, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Viewers read; analysts also run and upload; admins also manage users, lists and sharing."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "analyst": 1, "admin": 2}[self.value]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class Visibility(StrEnum):
    """Who besides the owning organisation sees a resource: nobody, the organisations it is shared with, everyone."""

    PRIVATE = "private"
    SHARED = "shared"
    PUBLIC = "public"


#: Kinds of things that belong to an organisation.
RESOURCE_KINDS = ("dataset", "scenario", "trade_import", "list", "screening_job", "review", "stress_job")


@dataclass(frozen=True)
class Actor:
    """The person (or script, through an API key) a Session acts for."""

    user_id: int
    username: str
    org: str
    role: Role
    via: str = "password"  # "password", "api_key" or "system"

    @classmethod
    def system(cls) -> Actor:
        """The operator at the server's own terminal (CLI without an account): an admin of the 'local' org."""
        return cls(0, "system", "local", Role.ADMIN, via="system")

    @classmethod
    def anonymous(cls) -> Actor:
        """Whoever calls an API served without sign-in (``pinchpoint serve`` without ``--web``) over a workspace
        with accounts: reads and runs analyses on common data, changes nothing (:mod:`pinchpoint.accounts.policy`)."""
        return cls(0, "anonymous", "", Role.ANALYST, via="anonymous")


@dataclass(frozen=True)
class Share:
    org: str
    shared_by: str
    shared_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Resource:
    """Something an organisation owns. ``shares`` name the organisations that see it read-only."""

    kind: str
    key: str
    owner_org: str
    visibility: Visibility = Visibility.PRIVATE
    created_by: str = ""
    created_at: str = ""
    shares: tuple[Share, ...] = field(default=())

    @classmethod
    def unregistered(cls, kind: str, key: str) -> Resource:
        """What the operator put in the workspace outside any account (the built-in dataset, packaged scenarios,
        lists loaded with the CLI): common data, public to every signed-in user, changed only by admins."""
        return cls(kind, key, owner_org="", visibility=Visibility.PUBLIC, created_by="system")

    def shared_with(self, org: str) -> Share | None:
        if self.visibility is not Visibility.SHARED:
            return None
        return next((s for s in self.shares if s.org == org), None)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    org: str
    role: Role
    created_at: str
    disabled: bool = False

    def actor(self, via: str = "password") -> Actor:
        return Actor(self.id, self.username, self.org, self.role, via)


@dataclass(frozen=True)
class Organisation:
    name: str
    title: str
    created_at: str
