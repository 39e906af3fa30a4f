"""POST /screen and GET /lists under hostile input and concurrent load (issue item 2)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pinchpoint.screening.model import ScreeningList

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def client(small_ws: Path) -> TestClient:
    from pinchpoint.api.app import create_app

    return TestClient(create_app(workspace=small_ws), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def japanese_names(lists: dict[str, ScreeningList]) -> list[str]:
    """Names METI gives in Japanese (kana or kanji), read from the list itself."""
    meti = lists["meti_eul_20250929.xlsx"]
    names = [n.text for e in meti.entities for n in e.names if JAPANESE.search(n.text)]
    assert len(names) >= 50
    return names


def _raw(client: TestClient, body: str | bytes) -> tuple[int, bytes]:
    response = client.post("/screen", content=body, headers={"content-type": "application/json"})
    return response.status_code, response.content


def test_nan_threshold_and_lone_surrogate_are_4xx(client: TestClient) -> None:
    for threshold in ("NaN", "Infinity", "-Infinity", '"high"', "1.5"):
        status, body = _raw(client, '{"names": ["Kim Jong Un"], "threshold": ' + threshold + "}")
        assert status == 422, (threshold, body)
        assert b"threshold" in body
    status, body = _raw(client, '{"names": ["Kim \\ud800 Jong Un"]}')  # a lone surrogate, escaped in JSON
    assert status == 422 and b"names" in body
    status, body = _raw(client, b'{"names": ["\xff\xfe"]}')  # not UTF-8
    assert 400 <= status < 500
    status, body = _raw(client, '{"names": ["Kim Jong Un"], "treshold": 0.5}')  # a misspelt option
    assert status == 422 and b"treshold" in body


def test_errors_do_not_echo_the_input(client: TestClient) -> None:
    marker = "ECHOED"
    body = '{"names": [' + ",".join(['"' + marker * 100 + '"'] * 2000) + "]}"  # too many names, each too long
    status, content = _raw(client, body)
    assert status == 422 and marker.encode() not in content and len(content) < 20_000
    status, content = _raw(client, '{"names": "' + marker * 1000 + '"}')  # a string where a list belongs
    assert status == 422 and marker.encode() not in content
    status, content = _raw(client, '{"names": ["' + marker)  # broken JSON
    assert status == 422 and marker.encode() not in content


def test_large_bodies_are_refused_before_being_read(small_ws: Path) -> None:
    from pinchpoint.api.app import create_app

    client = TestClient(create_app(workspace=small_ws, max_body_bytes=10_000), raise_server_exceptions=False)
    big = '{"names": ["' + "x" * 50_000 + '"]}'
    response = client.post("/screen", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and len(response.content) < 200
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        for k in range(100):
            sent.append(k)
            yield b"x" * 1000

    response = client.post("/screen", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    # a body within the limit still works
    assert client.post("/screen", json={"names": ["Kim Jong Un"]}).status_code == 200


def test_unknown_ids_and_empty_results(client: TestClient, lists: dict[str, ScreeningList]) -> None:
    response = client.post("/screen", json={"names": ["Kim Jong Un"], "lists": ["UN Security Council"]})
    # an unknown list is not found (404, via the app's one error handler), naming the closest loaded one
    assert response.status_code == 404 and "did you mean 'UN Security Council Consolidated List'" in response.text
    assert response.json()["suggestions"] == ["UN Security Council Consolidated List"]
    response = client.post("/screen", json={"names": ["Kim Jong Un"], "country": "XYZ"})
    assert response.status_code == 404 and "unknown country 'XYZ'" in response.text
    response = client.post("/screen", json={"names": ["Kim Jong Un"], "type": "persn"})
    assert response.status_code == 422
    body = client.post("/screen", json={"names": ["Co., Ltd.", "Zzyzx Qwerty Plumbing", " "]}).json()
    assert body["rows"] == []  # no matches; the caveats say which names could not be screened and why
    caveats = body["meta"]["caveats"]
    assert any(c.startswith("'Co., Ltd.' not screened: no distinctive token") for c in caveats)
    assert any(c.startswith("' ' not screened: nothing to screen") for c in caveats)
    assert not any(c.startswith("'Zzyzx") for c in caveats)
    assert any(c.startswith("no name scored 0.8 or more") for c in caveats)
    listed = {sl.list_name for sl in lists.values()}
    assert {r["list_name"] for r in client.get("/lists").json()["rows"]} <= listed
    assert client.get("/nowhere").status_code == 404


def test_japanese_names_with_testclient(client: TestClient, japanese_names: list[str]) -> None:
    response = client.post("/screen", json={"names": japanese_names[:50]})
    assert response.status_code == 200
    # a name screened in its own script finds itself on the list it came from
    found = {r["query"] for r in response.json()["rows"] if r["matched_name"] == r["query"]}
    assert len(found & set(japanese_names[:50])) >= 45


@pytest.fixture(scope="module")
def server(small_ws: Path) -> Iterator[str]:
    """A real uvicorn server on loopback, in a thread, answering from a thread pool as in production."""
    import uvicorn

    from pinchpoint.api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(workspace=small_ws), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert instance.started
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def test_concurrent_japanese_names_never_fail(server: str, japanese_names: list[str]) -> None:
    import httpx

    names = (japanese_names * 4)[:200]

    def post(name: str) -> int:
        with httpx.Client(timeout=120) as http:
            return http.post(f"{server}/screen", json={"names": [name]}).status_code

    with httpx.Client(timeout=120) as http:  # the index is built by the first request
        assert http.post(f"{server}/screen", json={"names": ["warm up"]}).status_code == 200
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(post, names))
    assert statuses.count(200) == len(names), {s: statuses.count(s) for s in set(statuses)}


def test_a_name_with_a_nul_byte_is_refused_as_the_batch_refuses_it(client: TestClient) -> None:
    """Trial 12, F10: the batch marked 'Bank Melli\\x00 Iran' unreadable while POST /screen screened it (1.00)."""
    response = client.post("/screen", json={"names": ["Kim Jong Un", "Bank Melli\x00 Iran"]})
    assert response.status_code == 422, response.text
    assert "name 2 holds a NUL byte" in response.json()["message"]


def test_a_query_string_that_is_not_utf8_or_holds_nul_is_422(client: TestClient) -> None:
    """Trial 12, F10: ``q=%ff%fe`` was searched as two U+FFFD characters and ``q=a%00b`` with a NUL in it."""
    for query, words in (("q=%ff%fe", "the query string is not UTF-8 text (decoded byte 2 is 0xff)"),
                         ("q=a%00b", "the query string holds a NUL byte")):
        response = client.get(f"/controls/search?{query}")
        assert response.status_code == 422 and response.json()["message"] == words, response.text
    fine = client.get("/controls/search?q=caf%C3%A9")  # percent-encoded UTF-8 passes to the route
    assert "query string" not in fine.text


def test_the_workbench_s_decision_spelling_is_taken_by_the_api(small_ws: Path, tmp_path: Path,
                                                                 lists: dict[str, ScreeningList]) -> None:
    """Trial 12, F10: POST /reviews refused 'false_positive' (422), the value the workbench's form posts."""
    import shutil

    from pinchpoint.api.app import create_app

    ws = tmp_path / "ws"
    shutil.copytree(small_ws, ws)  # the shared workspace keeps no decision
    client = TestClient(create_app(workspace=ws), raise_server_exceptions=False)
    name = lists["un_sc_consolidated_20260227.xml"].entities[0].primary_name
    match = client.post("/screen", json={"names": [name]}).json()["rows"][0]
    response = client.post("/reviews", json={"query": name, "entity_id": match["entity_id"],
                                             "decision": "false_positive", "reviewer": "analyst", "reason": "test"})
    assert response.status_code == 200, response.text
    decided = client.post("/screen", json={"names": [name]}).json()["rows"][0]
    assert decided["alert"] == "decided" and decided["review"]["decision"] == "false positive"
