"""Every command README.md and docs/ print runs as printed, in order, on the real files (issue: docs that do not run).

Each document gets a fresh workspace and a scratch folder laid out like the repository's (``../shared/data``
resolves, ``.venv/bin/pinchpoint`` exists), so outputs land in the scratch folder, not the checkout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SHARED
from tests.docs.doc_commands import DOC_FILES, ROOT, DocCommand, DocFigure, doc_commands, doc_figures

BIN = Path(sys.executable).parent
TIMEOUT = 600


def _scratch(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (tmp_path / "shared").symlink_to(SHARED.parent)
    work = tmp_path / "work"
    (work / ".venv").mkdir(parents=True)
    (work / ".venv" / "bin").symlink_to(BIN)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PINCHPOINT_HOME": str(tmp_path / "home"), "COLUMNS": "160", "NO_COLOR": "1"}
    return work, env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cmd: DocCommand, work: Path, env: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen(f"{cmd.command} --port {port}", shell=True, cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except urllib.error.HTTPError as exc:  # the workbench answers 401 before sign-in: it is up
                assert exc.code == 401, f"{cmd}: /openapi.json answered {exc.code}"
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    _, err = proc.communicate(timeout=5)
                    pytest.fail(f"{cmd}: the server did not start:\n{err.decode(errors='replace')[-3000:]}")
                time.sleep(0.3)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def _run(cmd: DocCommand, work: Path, env: dict[str, str]) -> None:
    if cmd.serves:
        _serve(cmd, work, env)
        return
    done = subprocess.run(["bash", "-c", cmd.command], cwd=work, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    said = (done.stdout[-2000:] + "\n" + done.stderr[-3000:]).strip()
    assert "Traceback" not in done.stderr, f"{cmd}: traceback\n{said}"
    if cmd.needs and done.returncode != 0:
        # Offline here, or the peer is not installed: the failure must say what is missing.
        assert cmd.needs in said.lower(), f"{cmd}: fails without naming {cmd.needs!r}\n{said}"
        return
    assert done.returncode == 0, f"{cmd}: exit {done.returncode}\n{said}"


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_every_printed_command_runs(doc: Path, tmp_path: Path) -> None:
    commands = doc_commands([doc])
    work, env = _scratch(tmp_path)
    failures: list[str] = []
    for cmd in commands:
        try:
            _run(cmd, work, env)
        except (AssertionError, subprocess.TimeoutExpired, pytest.fail.Exception) as exc:
            failures.append(str(exc))  # later commands still run: one report lists every stale line
    for figure in doc_figures([doc]):  # after the commands: the figures read the data they loaded
        problem = _check_figure(figure, work, env)
        if problem:
            failures.append(problem)
    assert not failures, "\n\n".join(failures)


def _check_figure(figure: DocFigure, work: Path, env: dict[str, str]) -> str | None:
    if figure.quote not in figure.context:
        return f"{figure}: the quote is not in the text above its check"
    done = subprocess.run(["bash", "-c", figure.command], cwd=work, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    if done.returncode != 0:
        return f"{figure}: {figure.command}: exit {done.returncode}\n{done.stderr[-2000:]}"
    rows = [r for r in json.loads(done.stdout)["rows"] if all(str(r.get(k)) == v for k, v in figure.filters)]
    if len(rows) != 1:
        return f"{figure}: {len(rows)} rows match {figure.filters} in the output of {figure.command}"
    actual = rows[0].get(figure.column)
    if not isinstance(actual, (int, float)) or not figure.matches(float(actual)):
        return f"{figure}: the command gives {figure.column} = {actual!r}, the docs say {figure.quote}"
    return None


def test_the_docs_print_commands() -> None:
    """Guards the extractor: if it found nothing, the test above would pass on any docs."""
    found = doc_commands()
    assert {c.file for c in found} >= {"README.md", "docs/trade.md", "docs/stress.md", "docs/controls.md",
                                        "docs/screening.md"}
    assert any(c.command.endswith("pinchpoint demo") for c in found if c.file == "README.md")
    assert all(c.line > 0 for c in found) and str(ROOT)
    figures = doc_figures()
    assert figures and all(f.command.startswith("pinchpoint ") for f in figures)


def test_a_figure_check_compares_at_the_quoted_precision() -> None:
    fig = DocFigure("x.md", 1, "+344.8%", "pinchpoint x", (), "growth_pct", "+344.8%")
    assert fig.matches(344.8071) and not fig.matches(344.7) and not fig.matches(-344.8)
    assert DocFigure("x.md", 1, "14,965 entities", "", (), "n", "").matches(14965)
    assert DocFigure("x.md", 1, "−38.3%", "", (), "n", "").matches(-38.3105)
