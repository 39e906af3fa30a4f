"""The trends forecast page costs ~2 s of CPU a request: it is rate-limited per user like screening (429 with
Retry-After) and runs in a worker thread with a bounded number of forecasts at once, so other users' requests are
answered while one runs. Japan's IIP series from ../shared/data."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import ORGS, PASSWORD, sign_in
from tests.web.test_workbench_pages import IIP

SERIES = "jp_iip_epd_shipments"
FORECAST = {"series": SERIES, "view": "forecast"}


def _workbench(folder: Path, forecasts_per_minute: int) -> Any:
    from pinchpoint.session import Session
    from pinchpoint.web.app import create_web_app

    if not IIP.exists():
        pytest.skip(f"real data not found at {IIP}")
    Session(folder).trends.import_files([IIP])
    app = create_web_app(folder, key="test-secret-" + "x" * 40, sign_in_per_minute=1000,
                         forecasts_per_minute=forecasts_per_minute)
    store = app.state.web.store
    for org in ORGS:
        store.create_org(org, org.upper())
        store.create_user(f"{org}-analyst", PASSWORD, org, "analyst")
    return app


def test_forecasts_beyond_the_limit_get_429_with_retry_after(tmp_path: Path, cheap_hashes: None) -> None:
    app = _workbench(tmp_path, forecasts_per_minute=1)
    client = sign_in(app, "meti-analyst")
    first = client.get("/trends", params=FORECAST)
    assert first.status_code == 200 and 'class="error"' not in first.text
    assert "Backtest accuracy" in first.text  # the forecast ran
    second = client.get("/trends", params=FORECAST)
    assert second.status_code == 429
    wait = int(second.headers["retry-after"])
    assert 1 <= wait <= 61
    assert 'id="retry-after"' in second.text
    # the cheap views of the same series are not limited
    assert client.get("/trends", params={"series": SERIES, "view": "history"}).status_code == 200


@pytest.fixture()
def served(tmp_path: Path, cheap_hashes: None) -> Iterator[tuple[Any, str]]:
    import uvicorn

    app = _workbench(tmp_path, forecasts_per_minute=10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the workbench did not start"
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_a_running_forecast_does_not_hold_up_other_requests(served: tuple[Any, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    app, base = served
    trends = app.state.web.session.trends
    original = trends.forecast
    started, release = threading.Event(), threading.Event()

    def held_forecast(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)  # the forecast holds its thread until the other requests were answered
        return original(*args, **kwargs)

    monkeypatch.setattr(trends, "forecast", held_forecast)
    with httpx.Client(base_url=base) as analyst:
        token = re.search(r'name="csrf_token" value="([^"]+)"', analyst.get("/login").text).group(1)
        analyst.post("/login", data={"username": "meti-analyst", "password": PASSWORD, "csrf_token": token})
        result: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: result.setdefault("r", analyst.get("/trends", params=FORECAST,
                                                                                      timeout=120)))
        worker.start()
        assert started.wait(30), "the forecast did not start"
        try:
            t0 = time.monotonic()
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            other = httpx.get(f"{base}/login", timeout=10)
            assert other.status_code == 200
            answered_in = time.monotonic() - t0
        finally:
            release.set()
        worker.join(120)
    assert worker.is_alive() is False and result["r"].status_code == 200
    assert "Backtest accuracy" in result["r"].text and "class=\"error\"" not in result["r"].text
    assert answered_in < 10  # answered while the forecast was held, not after it
