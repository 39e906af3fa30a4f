"""The built wheel carries every data file of the package (the Japanese crosswalk was left out: csv was not listed
as package data, so `controls crosswalk --from JP` failed on an installed copy)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "pinchpoint"


def _payload(tmp_path: Path) -> set[str]:
    """Paths (``pinchpoint/...``) the wheel built from a copy of the sources holds; offline, a few seconds.

    With the ``wheel`` package at hand, a real wheel (``pip wheel --no-deps --no-build-isolation``); without it
    (setuptools < 70.1 has no bdist_wheel of its own), setuptools' ``build_py``, the step that picks the files
    bdist_wheel packs."""
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(PACKAGE, src / "pinchpoint", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if importlib.util.find_spec("wheel") is not None:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(tmp_path / "dist"), str(tmp_path)], check=True, capture_output=True,
                       timeout=300)
        (wheel,) = (tmp_path / "dist").glob("pinchpoint-*.whl")
        return {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("pinchpoint/")}
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "--build-lib",
                    str(out)], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_wheel_holds_every_data_file(tmp_path: Path) -> None:
    data_files = {f"pinchpoint/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
                  if p.is_file() and "data" in p.relative_to(PACKAGE).parts and "__pycache__" not in p.parts}
    assert "pinchpoint/controls/data/jp_crosswalk.csv" in data_files
    payload = _payload(tmp_path)
    assert not data_files - payload, f"left out of the wheel: {sorted(data_files - payload)}"
    # and every other file the package reads at run time (YAML scenarios, the world map, py.typed)
    resources = {f"pinchpoint/{p.relative_to(PACKAGE).as_posix()}" for p in PACKAGE.rglob("*")
                 if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert not resources - payload, f"left out of the wheel: {sorted(resources - payload)}"
