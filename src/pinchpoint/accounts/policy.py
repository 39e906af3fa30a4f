"""The one set of access rules. ``Session.authorize`` asks :func:`authorize`, so the CLI, the API and the web pages
obey the same rules.

* **read**: the owning organisation, organisations a shared resource names, everyone for public ones.
* **run** (analyses, stress runs, screening) and **export** need read access; **run** also needs an analyst.
* **upload** (a new dataset, scenario, trade import, screening batch) and **review** (an alert decision):
  analysts and admins, into their own organisation.
* **modify** / **delete**: analysts and admins of the owning organisation only; a partner that was shared a
  resource sees it read-only. Common data (``owner_org`` empty) is modified by admins only.
* **share** (visibility, partner list) and **update_lists**: admins of the owning organisation.
* **manage_users**: admins, for users of their own organisation.

The system actor (the operator at the server's own terminal, with the files and the database in reach anyway) may
do everything. The anonymous actor (an API served without sign-in over a workspace with accounts) reads, runs and
exports what is common or public, and changes nothing.
"""

from __future__ import annotations

from typing import Literal

from pinchpoint.accounts.model import Actor, Resource, Role, Visibility
from pinchpoint.errors import PinchpointError

#: Why an unauthenticated caller may change nothing, and what to do instead.
UNAUTHENTICATED = ("nobody signs in here and the workspace has accounts, so changes are refused: make them signed "
                   "in, with an account or API key, or at the server's terminal")

Action = Literal["read", "run", "export", "upload", "review", "modify", "delete", "share", "update_lists",
                 "manage_users"]
ACTIONS: tuple[str, ...] = ("read", "run", "export", "upload", "review", "modify", "delete", "share",
                            "update_lists", "manage_users")


class AccessDenied(PinchpointError):
    """The actor may not do this; the message says which rule refused it (never what the resource holds)."""

    def __init__(self, actor: Actor, action: str, resource: Resource | None, reason: str) -> None:
        self.actor, self.action, self.resource, self.reason = actor, action, resource, reason
        what = f" {resource.kind} '{resource.key}'" if resource is not None else ""
        who = "a caller without sign-in" if actor.via == "anonymous" else \
            f"{actor.username} ({actor.role.value}, {actor.org})"
        super().__init__(f"{who} may not {action}{what}: {reason}")


def can_read(actor: Actor, resource: Resource) -> bool:
    if resource.visibility is Visibility.PUBLIC or resource.owner_org == actor.org:
        return True
    return resource.shared_with(actor.org) is not None


def authorize(actor: Actor, action: str, resource: Resource | None = None) -> None:
    """Return if ``actor`` may do ``action`` on ``resource`` (None: an action on no one resource, such as an
    upload into the actor's organisation); raise :class:`AccessDenied` naming the rule otherwise."""
    if action not in ACTIONS:
        raise AccessDenied(actor, action, resource, f"unknown action (one of {', '.join(ACTIONS)})")

    def deny(reason: str) -> None:
        raise AccessDenied(actor, action, resource, reason)

    if actor.via == "system":
        return
    if actor.via == "anonymous" and action not in ("read", "run", "export"):
        # an API without sign-in over a workspace with accounts: a change there would be nobody's, yet would apply
        # to every organisation (a review decision silencing their alerts), with no one to audit
        deny(UNAUTHENTICATED)

    if resource is not None and not can_read(actor, resource):
        deny("it is private to another organisation" if resource.visibility is Visibility.PRIVATE
             else "it is not shared with your organisation")
    if action == "read" or action == "export":
        return
    if action in ("run", "upload", "review"):
        if not actor.role.at_least(Role.ANALYST):
            deny("viewers read; running, uploading and reviewing need an analyst")
        return
    if action in ("modify", "delete"):
        if resource is not None and resource.owner_org != actor.org:
            if resource.owner_org:
                deny(f"it belongs to {resource.owner_org}; partners see it read-only")
            if actor.role is not Role.ADMIN:
                deny("common data is changed by admins only")
        if not actor.role.at_least(Role.ANALYST):
            deny("viewers read; changing needs an analyst")
        return
    # share, update_lists, manage_users
    if actor.role is not Role.ADMIN:
        deny("only admins manage sharing, lists and users")
    if action == "share" and resource is not None and resource.owner_org and resource.owner_org != actor.org:
        deny(f"it belongs to {resource.owner_org}; only its owners share it")
