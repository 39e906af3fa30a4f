"""The third-party path, for real: a distribution written into a temporary folder (a module and its
``*.dist-info/entry_points.txt``) adds a trade layout that pinchpoint knows nothing of. It is detected and read
through the public ``sources.read`` and through the CLI in a fresh process, without editing pinchpoint."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pinchpoint import sources
from tests.conftest import SHARED

BACI = SHARED / "trade" / "baci-critical-materials" / "baci_2022.csv"

PLUGIN = '''
"""A made-up exporter's layout: exporter_iso3;importer_iso3;hs6;year;usd (semicolons)."""
import csv
from pathlib import Path

from pinchpoint.sources import Detection
from pinchpoint.trade.sources import trade_source
from pinchpoint.trade.table import TradeFrame

COLUMNS = ("exporter_iso3", "importer_iso3", "hs6", "year", "usd")


def detect_file(path: Path) -> Detection:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline().strip().split(";")
    if first == list(COLUMNS):
        return Detection.match("ACME layout: " + ";".join(COLUMNS))
    return Detection.miss("expected columns " + ";".join(COLUMNS) + "; found " + ";".join(first)[:80])


def read(paths, progress=None):
    frame = TradeFrame("acme-trade", "v1")
    for f in paths:
        with Path(f).open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh, delimiter=";"), start=2):
                frame.read_rows += 1
                try:
                    value = float(row["usd"])
                except ValueError:
                    frame.problem(str(f), n, "usd", "not a number: " + repr(row["usd"][:20]))
                    continue
                frame.add(period=row["year"], frequency="A", reporter=row["exporter_iso3"],
                          partner=row["importer_iso3"], flow="export", classification="HS", revision="HS2017",
                          product=row["hs6"], value_usd=value, value=value, currency="USD", quantity=None,
                          unit=None, source="acme-trade", version=frame.version, flags="", origin=(str(f), n))
    return frame


SOURCE = trade_source("acme-trade", "ACME's semicolon trade extract", read, detect_file, ("*.csv",), COLUMNS)
# a plugin may not take a built-in's name, nor declare one source under another's name
BACI = trade_source("baci", "not CEPII's BACI", read, detect_file, ("*.csv",), COLUMNS)
'''


@pytest.fixture()
def plugin_dir(tmp_path: Path) -> Path:
    """A folder holding an installed-looking distribution: module + dist-info with entry points (one broken)."""
    site = tmp_path / "site"
    (site / "acme_trade").mkdir(parents=True)
    (site / "acme_trade" / "__init__.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "acme_trade-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-trade\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[pinchpoint.sources]\nacme-trade = acme_trade:SOURCE\nacme-broken = acme_trade:NOT_THERE\n"
        "baci = acme_trade:BACI\nacme-alias = acme_trade:SOURCE\n", encoding="utf-8")
    return site


@pytest.fixture()
def acme_file(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    """200 real BACI rows rewritten in the plugin's layout."""
    with BACI.open(encoding="utf-8", newline="") as fh:
        rows = [r for _, r in zip(range(200), csv.DictReader(fh), strict=False)]
    path = tmp_path / "acme_2022.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("exporter_iso3;importer_iso3;hs6;year;usd\n")
        for r in rows:
            out.write(f"{r['i']};{r['j']};{r['cmd']};2022;{r['value']}\n")
    return path, rows


def test_a_source_from_another_distribution_is_detected_and_read(
        plugin_dir: Path, acme_file: tuple[Path, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch) -> None:
    path, rows = acme_file
    with pytest.raises(sources.NoSourceMatched, match="baci: expected columns t,i,j,k,v,q or i,j,cmd,value; found "
                                                      "exporter_iso3;importer_iso3"):
        sources.detect(path, kind="trade")  # before the distribution is on the path
    monkeypatch.syspath_prepend(str(plugin_dir))
    try:
        found = sources.detect(path, kind="trade")
        assert found.name == "acme-trade"
        assert found.origin == "entry point acme-trade = acme_trade:SOURCE from acme-trade 1.0"
        frame = sources.read(path)
        assert frame.source == "acme-trade" and len(frame) == frame.read_rows == len(rows) == 200
        assert sum(frame.columns["value_usd"]) == pytest.approx(sum(float(r["value"]) for r in rows))
        assert frame.columns["reporter"][:3] == [r["i"] for r in rows[:3]]
        # a broken entry point and a plugin taking a built-in's name are reported, and nothing else is lost
        problems = sources.registry().problems
        assert any(p.startswith("'acme-broken'") and "could not be loaded: AttributeError" in p for p in problems)
        assert any(p.startswith("'baci' from entry point baci = acme_trade:BACI from acme-trade 1.0 is ignored: "
                                "the name is taken by built-in") for p in problems)
        assert any(p.startswith("'acme-alias'") and "names a source called 'acme-trade'" in p for p in problems)
        assert len(problems) == 3
        assert sources.get("baci").origin.startswith("built-in")
        with pytest.raises(sources.UnknownSourceError, match=r"acme-broken.*could not be loaded"):
            sources.get("acme-broken")
    finally:
        sources.refresh()
    monkeypatch.undo()
    assert "acme-trade" not in {s.name for s in sources.all_sources()}


def _cli(args: list[str], plugin_dir: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]),
           "PINCHPOINT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "pinchpoint", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_the_cli_imports_and_lists_a_third_party_source(
        plugin_dir: Path, acme_file: tuple[Path, list[dict[str, str]]], tmp_path: Path) -> None:
    path, rows = acme_file
    home = tmp_path / "home"
    listed = _cli(["sources", "-f", "json"], plugin_dir, home)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    by_name = {r["name"]: r for r in doc["rows"]}
    assert by_name["acme-trade"]["kind"] == "trade"
    assert by_name["acme-trade"]["registered"] == "entry point acme-trade = acme_trade:SOURCE from acme-trade 1.0"
    assert any("acme-broken" in c for c in doc["meta"]["caveats"])
    done = _cli(["trade", "import", "acme-trade", str(path)], plugin_dir, home)
    assert done.returncode == 0, done.stderr
    assert f"acme-trade@v1: imported; {len(rows)} rows read: {len(rows)} kept, 0 reported" in done.stdout
    # detected rather than named: the same file is recognised (and already stored)
    again = _cli(["trade", "import", "auto", str(path)], plugin_dir, home)
    assert again.returncode == 0, again.stderr
    assert "acme-trade@v1: already imported (unchanged)" in again.stdout
    # without the distribution, the name is unknown and the error lists the trade sources there are
    gone = subprocess.run([sys.executable, "-m", "pinchpoint", "trade", "import", "acme-trade", str(path)],
                          capture_output=True, text=True, env={**os.environ, "PINCHPOINT_HOME": str(home)},
                          timeout=120, check=False)
    assert gone.returncode == 2 and "unknown trade source 'acme-trade'" in gone.stderr
