"""What the web process holds besides the Session, in its own module so that the pages (which read it) and the app
(which builds it) both sit above it instead of importing each other."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pinchpoint.accounts.jobs import JobRunner
    from pinchpoint.accounts.store import AccountStore
    from pinchpoint.session import Session
    from pinchpoint.web.security import RateLimiter


@dataclass
class WebState:
    """What the web process holds besides the Session (``app.state.session``): accounts, jobs, limits and the
    drawn maps (presentation only, by dataset version)."""

    session: Session
    store: AccountStore
    workspace: Path
    jobs_dir: Path
    jobs: JobRunner
    sign_in_limit: RateLimiter  # per address and user name
    sign_in_address_limit: RateLimiter  # per address (ten times as many: an office shares one address)
    screening_limit: RateLimiter
    https_only: bool
    forecast_limit: RateLimiter | None = None  # per user: a forecast is ~2 s of CPU
    # forecasts computed at once in this process (others wait for a slot, then get 503): a burst of them would
    # otherwise hold every worker thread and the CPU while other users' pages wait
    forecast_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(2))
    drawn: dict[tuple[str, ...], str] = field(default_factory=dict)
    # the workspace's state (files' size and time) when a screening last loaded what it needs: while unchanged, a
    # screening is answered on the event loop (see pages.screening_page)
    screening_loaded_for: Hashable | None = None
