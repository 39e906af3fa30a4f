"""What the screening pages add to the Session's screening group: the decision on each alert of a batch as of now
(taken at the run or since). Screening, batches of an uploaded file (``Session.screening.screen_upload``, the
command line's batch), review decisions and their store (the workspace collection ``screening.reviews``, which
``pinchpoint review add | list`` and ``screen`` use too) are :attr:`Session.screening`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pinchpoint.session import Session


def current_decisions(session: Session, organisation: str, matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``matches`` (query, list, entity_id, and the ``refinements`` the input was screened with) with the decision
    on each as of now (the organisation's own, else the operator's), in the order given: for results screened
    before a decision was taken."""
    from pinchpoint.screening.reviews import annotate

    screening = session.screening
    reviews, entities = screening.reviews(), screening.screener().entity_index()
    return [annotate([m], reviews, entities, organisation, refinements=m.get("refinements"))[0] for m in matches]


def status_of(match: dict[str, Any]) -> str:
    """A match's status in the results: 'alert' until decided on this record, else the decision
    ('false_positive', 'true_match')."""
    review = match.get("review") or {}
    if match.get("alert") != "decided" or not review:
        return "alert"
    return str(review["decision"]).replace(" ", "_")
