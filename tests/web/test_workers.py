"""`pinchpoint web --workers 2`: two server processes share accounts, the session-cookie key and one audit chain
(each process's audit writer appends to the same chain; nothing is lost or forked)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("argon2", reason="the workbench needs the 'web' extra")
httpx = pytest.importorskip("httpx")

PASSWORD = "a long admin passphrase"
DOWNLOADS = 24


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_share_sign_in_and_one_audit_chain(tmp_path: Path) -> None:
    from pinchpoint.accounts.store import AccountStore

    port = _port()
    env = {**os.environ, "PINCHPOINT_HOME": str(tmp_path), "PINCHPOINT_ADMIN_PASSWORD": PASSWORD}
    env.pop("PINCHPOINT_SECRET_KEY", None)  # the key the command makes in the workspace folder, shared
    server = subprocess.Popen([sys.executable, "-m", "pinchpoint", "web", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the workbench did not start"
            time.sleep(0.2)
        # a new connection per request, so both processes answer some (the kernel spreads the accepts)
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=url, limits=fresh, timeout=60) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token
            signed = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                                 "csrf_token": token.group(1)})
            assert signed.status_code == 303
            for _ in range(DOWNLOADS):  # the session cookie is honoured by whichever process answers
                answer = client.get("/supply-chain/builtin/chokepoints.csv")
                assert answer.status_code == 200 and answer.text.startswith("input_id")
        store = AccountStore(tmp_path)
        deadline = time.monotonic() + 30
        while sum(r.action == "export" for r in store._audit_rows()) < DOWNLOADS and time.monotonic() < deadline:
            time.sleep(0.1)  # each process's audit writer commits its queue by itself
        records = store._audit_rows()
        assert sum(r.action == "export" for r in records) == DOWNLOADS
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        assert store.verify_audit().ok
    finally:
        server.terminate()
        server.wait(30)
