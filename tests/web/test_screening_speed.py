"""Where a one-name screening runs: in a worker thread while the screener or the reviews may need (re)loading, on
the event loop once they are loaded for the workspace as it is (no thread hop), and back in a worker thread after
the workspace changes (a review decision) or when a screening turns out slow. The answer is the same either way."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import csrf_of, make_workbench, sign_in

NAME = "JANAN AGHA"  # on the UN list


@pytest.fixture()
def bench(lists_workspace: Path, tmp_path: Path, cheap_hashes: None) -> Any:
    import shutil

    shutil.copy(lists_workspace / "workspace.duckdb", tmp_path / "workspace.duckdb")
    return make_workbench(tmp_path)


def _entities(html: str) -> list[str]:
    return re.findall(r'data-entity="([^"]+)"', html)


def test_warm_screenings_run_on_the_event_loop_and_a_change_sends_the_next_to_a_thread(
        bench: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pinchpoint.web import pages

    group = bench.state.web.session.screening
    original = group.screen
    threads: list[str] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(group, "screen", recording)
    client = sign_in(bench, "meti-analyst")
    first = client.get("/screening", params={"q": NAME}).text
    second = client.get("/screening", params={"q": NAME}).text
    assert _entities(first) and _entities(first) == _entities(second)  # same matches either way
    assert threads[0].startswith("AnyIO worker") and not threads[1].startswith("AnyIO worker")
    # a review decision writes the workspace: the next screening re-reads in a thread, and shows the decision
    entity = re.search(r'data-entity="([^"]+)" data-alert="new"', second)
    listed = re.search(r'name="list_name" value="([^"]+)"', second)
    assert entity and listed
    decided = client.post("/screening/review", data={
        "query": NAME, "list_name": listed.group(1), "entity_id": entity.group(1), "decision": "false_positive",
        "reason": "another person", "csrf_token": csrf_of(second)}, follow_redirects=False)
    assert decided.status_code == 303
    third = client.get("/screening", params={"q": NAME}).text
    assert threads[2].startswith("AnyIO worker")
    assert f'data-entity="{entity.group(1)}" data-alert="decided"' in third
    # a screening slower than the bound sends the following ones to a thread
    monkeypatch.setattr(pages, "MAX_INLINE_SCREENING_S", -1.0)
    client.get("/screening", params={"q": NAME})
    client.get("/screening", params={"q": NAME})
    assert not threads[3].startswith("AnyIO worker") and threads[4].startswith("AnyIO worker")
