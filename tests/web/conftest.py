"""A workbench over a temporary workspace holding the real UN consolidated list, with two organisations (a
ministry 'meti' and a partner 'commerce'), each with an admin, an analyst and a viewer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("argon2", reason="the workbench needs the 'web' extra")
pytest.importorskip("jinja2", reason="the workbench needs the 'web' extra")

from tests.conftest import SHARED

PASSWORD = "correct horse battery"
UN_LIST = SHARED / "screening" / "lists" / "un_sc_consolidated_20260227.xml"
BUILTIN_YAML = Path(__file__).parents[2] / "src" / "pinchpoint" / "supplychain" / "builtin" / "semiconductors.yaml"
ORGS = ("meti", "commerce")


@pytest.fixture(scope="session")
def cheap_hashes() -> Iterator[None]:
    """Argon2 with small costs: these tests check behaviour, not hash strength."""
    from argon2 import PasswordHasher

    from pinchpoint.accounts import credentials

    original = credentials._hasher
    credentials._hasher = lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # type: ignore[assignment]
    yield
    credentials._hasher = original  # type: ignore[assignment]


@pytest.fixture(scope="session")
def lists_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the UN list loaded (read in place from ../shared/data)."""
    from pinchpoint.screening.loaders import load_list
    from pinchpoint.screening.store import store_list
    from pinchpoint.workspace import Workspace

    if not UN_LIST.exists():
        pytest.skip(f"{UN_LIST} is not there")
    path = tmp_path_factory.mktemp("web-lists")
    with Workspace(path) as ws:
        store_list(ws, load_list(UN_LIST))
    return path


def make_workbench(folder: Path) -> Any:
    from pinchpoint.web.app import create_web_app

    app = create_web_app(folder, key="test-secret-" + "x" * 40, sign_in_per_minute=1000)
    store = app.state.web.store
    for org in ORGS:
        store.create_org(org, org.upper())
        for role in ("admin", "analyst", "viewer"):
            store.create_user(f"{org}-{role}", PASSWORD, org, role)
    return app


@pytest.fixture(scope="session")
def workbench(lists_workspace: Path, cheap_hashes: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A workbench over its own copy of the lists workspace: the decisions its tests take must not reach the
    fixtures that copy ``lists_workspace`` later (the batch parity test compares a page with no decisions taken)."""
    import shutil

    folder = tmp_path_factory.mktemp("web-workbench")
    shutil.copy(lists_workspace / "workspace.duckdb", folder / "workspace.duckdb")
    return make_workbench(folder)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


def upload_dataset(client: Any, name: str, filename: str = "chain.yaml") -> None:
    """Upload the built-in dataset's YAML as ``name`` through the supply-chain page's form, as a signed-in user."""
    token = csrf_of(client.get("/supply-chain").text)
    uploaded = client.post("/supply-chain/upload", data={"name": name, "csrf_token": token},
                           files={"file": (filename, BUILTIN_YAML.read_bytes(), "application/yaml")},
                           follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text[:300]
