"""The built wheel holds every data file: it is built offline, unpacked, and each capability runs from that copy.

A file left out of the package data (as ``controls/data/jp_crosswalk.csv`` once was: csv was not listed, so
``controls crosswalk --from JP`` failed on every installed copy) works in the checkout; only the wheel shows it.
(This replaces ``tests/controls/test_packaging.py``, which checked the file list only.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "pinchpoint"


def _build_tools_present() -> bool:
    try:
        return int(version("setuptools").split(".")[0]) >= 68 and bool(version("wheel"))
    except Exception:  # a missing distribution: PackageNotFoundError
        return False


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout without network or build isolation, unpacked."""
    if not _build_tools_present():
        pytest.skip("building the wheel offline needs setuptools>=68 and wheel (the 'test' extra installs them)")
    base = tmp_path_factory.mktemp("wheel")
    tree = base / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(base / "dist")], check=True, env=env, cwd=base, timeout=300)
    (wheel,) = (base / "dist").glob("pinchpoint-*.whl")
    site = base / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def test_every_file_of_the_package_is_in_the_wheel(unpacked: Path) -> None:
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}

    in_source = files(SRC)
    in_wheel = files(unpacked / "pinchpoint")
    assert in_source - in_wheel == set()
    assert {"controls/data/jp_crosswalk.csv", "kernel/data/country_groups.yaml",
            "screening/data/unihan_khangul.tsv", "reports/world_110m.json", "py.typed"} <= in_wheel


def run_from_wheel(site: Path, code: str, tmp_path: Path) -> str:
    """Run ``code`` in a fresh interpreter that imports pinchpoint from the unpacked wheel only."""
    prelude = textwrap.dedent(f"""
        import pinchpoint, sys
        assert pinchpoint.__file__.startswith({str(site)!r}), pinchpoint.__file__
        SHARED = {str(SHARED)!r}
    """)
    env = {**os.environ, "PYTHONPATH": str(site), "PINCHPOINT_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


CAPABILITIES = {
    "demo on the built-in dataset (YAML data, world map JSON)": """
        from pathlib import Path
        from pinchpoint.reports.demo import build_demo
        from pinchpoint.supplychain import load_chain
        result = build_demo(load_chain("builtin"), Path("demo"), command="test")
        html = (Path("demo") / "index.html").read_text(encoding="utf-8")
        assert len(result.chokepoints) > 0 and "<svg" in html
        print("ok demo")
    """,
    "Japanese crosswalk (controls/data/jp_crosswalk.csv)": """
        from pinchpoint.controls.crosswalk import curated_jp
        from pinchpoint.controls.model import Jurisdiction
        table = curated_jp(Jurisdiction.EU)
        assert len(table) > 10, len(table)
        print("ok crosswalk", len(table))
    """,
    "packaged stress scenario": """
        from pinchpoint.stress.engines import run_static
        from pinchpoint.stress.network import StressNetwork
        from pinchpoint.stress.scenario import load_scenario, packaged_scenarios
        from pinchpoint.supplychain import load_chain
        assert "taiwan_blockade" in packaged_scenarios()
        table = run_static(StressNetwork.build(load_chain("builtin")), load_scenario("taiwan_blockade"))
        assert len(table) > 0
        print("ok stress")
    """,
    "screening list from ../shared/data, hanja readings (screening/data)": """
        from pathlib import Path
        from pinchpoint.screening.loaders import load_list
        from pinchpoint.screening.matcher import Screener
        screener = Screener([load_list(Path(SHARED) / "screening" / "lists" / "un_sc_consolidated_20260227.xml")])
        matches = screener.screen("金英哲")  # KIM YONG CHOL, read through Unihan's Korean readings (a packaged TSV)
        assert matches and matches[0]["explanation"]["reading"]["script"] == "hanja", matches[:1]
        print("ok screening")
    """,
    "trade query on a small real file, groups from the country vocabulary": """
        from pathlib import Path
        from pinchpoint.kernel.countries import group_members
        from pinchpoint.trade.adapters import read
        from pinchpoint.trade.metrics import supplier_concentration
        from pinchpoint.trade.store import flows, import_frame
        from pinchpoint.workspace import Workspace
        frame = read("baci", [Path(SHARED) / "trade" / "baci-critical-materials" / "baci_2022.csv"])
        with Workspace(Path("ws")) as ws:
            import_frame(ws, frame)
            table = supplier_concentration(flows(ws), ["JPN"], ["811292"], None,
                                           {"china": group_members("CHN+HKG+MAC")})
        assert len(table) == 1 and table.rows[0]["share_china"] > 0, table.rows
        print("ok trade")
    """,
}


@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_each_capability_runs_from_the_wheel(unpacked: Path, capability: str, tmp_path: Path) -> None:
    if ("shared/data" in capability or "real file" in capability) and not SHARED.exists():
        pytest.skip("no ../shared/data beside the repository")
    out = run_from_wheel(unpacked, CAPABILITIES[capability], tmp_path)
    assert out.startswith("ok ")
