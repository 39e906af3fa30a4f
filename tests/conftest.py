"""Shared fixtures: the real public datasets in ../shared/data, read in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ETO = SHARED / "supply-chain" / "eto"
ETO_V1 = SHARED / "supply-chain" / "eto-v1"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (the tests read ../shared/data beside the repository)")
    return path


@pytest.fixture(scope="session")
def eto_path() -> Path:
    return _need(ETO)


@pytest.fixture(scope="session")
def eto_v1_path() -> Path:
    return _need(ETO_V1)


@pytest.fixture(scope="session")
def eto_chain(eto_path: Path):  # type: ignore[no-untyped-def]
    from pinchpoint.supplychain.eto import load_eto

    return load_eto(eto_path)


@pytest.fixture()
def eto_copy(eto_path: Path, tmp_path: Path) -> Path:
    """A writable copy of the real ETO folder, for tests that break one thing in it."""
    dest = tmp_path / "eto"
    shutil.copytree(eto_path, dest)
    return dest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real workspace."""
    monkeypatch.setenv("PINCHPOINT_HOME", str(tmp_path_factory.mktemp("home")))


CONTROLS = SHARED / "controls"


@pytest.fixture(scope="session")
def control_lists():  # type: ignore[no-untyped-def]
    """The U.S., EU and Japanese lists, loaded once from the real files."""
    from pinchpoint.controls.loaders import load_eu_annex1, load_jp_items, load_us_ccl

    folder = _need(CONTROLS)
    return [load_us_ccl(folder / "us-ccl"), load_eu_annex1(folder / "eu-annex1"), load_jp_items(folder / "jp")]


@pytest.fixture(scope="session")
def controls_workspace(control_lists, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """A workspace holding the three lists."""
    from pinchpoint.controls.store import store_list
    from pinchpoint.workspace import Workspace

    path = tmp_path_factory.mktemp("controls") / "ws"
    with Workspace(path) as ws:
        for cl in control_lists:
            store_list(ws, cl)
    return path
