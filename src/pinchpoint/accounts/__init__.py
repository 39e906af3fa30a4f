"""Accounts, organisations, sharing and the audit trail (library only: no web code here).

* :mod:`~pinchpoint.accounts.model`: ``Actor``, ``Role``, ``Resource``, ``Visibility``.
* :mod:`~pinchpoint.accounts.policy`: :func:`authorize`, the one set of access rules every interface obeys.
* :mod:`~pinchpoint.accounts.store`: ``AccountStore`` (SQLite beside the workspace): users, API keys,
  organisations, ownership and shares, the hash-chained audit trail.
* :mod:`~pinchpoint.accounts.audit`: the chain itself and :func:`~pinchpoint.accounts.audit.verify`.
* :mod:`~pinchpoint.accounts.jobs`: long work off the request, with progress.
"""

from pinchpoint.accounts.model import Actor, Resource, Role, Visibility
from pinchpoint.accounts.policy import AccessDenied, authorize

__all__ = ["AccessDenied", "Actor", "Resource", "Role", "Visibility", "authorize"]
