"""What every router shares: the app's one :class:`~pinchpoint.session.Session` and the JSON document every table
is returned as (the CLI's ``-f json`` shape). Errors are mapped to statuses in one handler (``api.app``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request

if TYPE_CHECKING:
    from pinchpoint.results import ResultTable
    from pinchpoint.session import Session

def session(request: Request) -> Session:
    """The session the app holds (one per app: every request is answered from the same held objects)."""
    held: Session = request.app.state.session
    return held


def document(table: ResultTable) -> dict[str, Any]:
    """``{"table", "meta", "columns", "rows"}``: what ``pinchpoint ... -f json`` prints for the same table."""
    from pinchpoint.results.table import to_document

    doc = to_document(table)
    return _jsonable(doc)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    """Values JSON holds as the CLI writes them (``json.dumps(..., default=str)``): dates and paths as text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
