"""Comparison peers under GPL (BoARIO, pymrio): installed on demand from the package registry into a cache outside
the repository and run in their own processes, never imported by pinchpoint. Shared by tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BOARIO = ("boario", "pymrio", "progressbar2")


def peer_env(folder: Path) -> dict[str, str]:
    """Environment for a subprocess that imports the peers installed in ``folder``."""
    return {**os.environ, "PYTHONPATH": str(folder)}


def install_peers(packages: tuple[str, ...] = BOARIO, imports: str = "boario, pymrio, progressbar") -> Path | str:
    """The folder holding ``packages`` (installed now if missing), or the reason they cannot be had."""
    cache = Path(os.environ.get("PINCHPOINT_PEERS") or Path.home() / ".cache" / "pinchpoint" / "peers")
    probe = [sys.executable, "-c", f"import {imports}"]
    if cache.is_dir() and subprocess.run(probe, env=peer_env(cache), capture_output=True).returncode == 0:
        return cache
    staging = cache.with_name(cache.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--target", str(staging), *packages], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{', '.join(packages)} could not be installed ({err})"
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return f"{', '.join(packages)} could not be installed from the package registry (pip: {last[0]})"
    shutil.rmtree(cache, ignore_errors=True)
    staging.rename(cache)
    return cache
