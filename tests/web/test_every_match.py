"""Screening a name without ``top`` answers every match at or above the threshold, in the Session, the CLI, the API
and the workbench page alike (the matcher's own default keeps 10); with ``top`` the cut is said in the caveats,
with how many matches there were. On every real list: "Saddam Hussein Al-Tikriti" matches more than 10 listed
entities (OFAC's and the UN's entries for him and his sons)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import make_workbench, sign_in

NAME = "Saddam Hussein Al-Tikriti"


@pytest.fixture(scope="module")
def every_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with every real list of ../shared/data loaded, as ``pinchpoint lists load lists/*`` does."""
    from pinchpoint.session import Session
    from tests.conftest import SHARED

    files = sorted((SHARED / "screening" / "lists").glob("*"))
    if not files:
        pytest.skip("the real lists are not there")
    folder = tmp_path_factory.mktemp("every-list")
    loads = Session(folder).screening.load(files)
    assert not [done.error for done in loads if done.error is not None]
    return folder


@pytest.fixture(scope="module")
def every_match(every_list: Path) -> list[tuple[str, str, float]]:
    """The name's matches as a batch file screens it (no cap: every match at or above the threshold)."""
    import csv

    from pinchpoint.screening.batch import run_file
    from pinchpoint.session import Session

    folder = every_list.parent / "every-match"
    folder.mkdir(exist_ok=True)
    (folder / "names.csv").write_text(f"name\n{NAME}\n", encoding="utf-8")
    run_file(Session(every_list).screening.screener(), folder / "names.csv", folder / "out.csv")
    with (folder / "out.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["list"], r["entity_id"], float(r["score"])) for r in csv.DictReader(fh)]


def _ids(rows: Any) -> list[tuple[str, str, float]]:
    return [(r["list"], r["entity_id"], float(r["score"])) for r in rows]


def test_session_answers_every_match_and_says_what_top_cut(every_list: Path,
                                                           every_match: list[tuple[str, str, float]]) -> None:
    from pinchpoint.session import Session

    assert len(every_match) > 10  # more than the matcher's default keeps
    screening = Session(every_list).screening
    table = screening.screen([NAME])
    assert _ids(table.rows) == every_match
    assert table.meta["top"] is None and not any("cut" in c for c in table.caveats)

    cut = screening.screen([NAME], top=10)
    assert _ids(cut.rows) == every_match[:10]
    assert [c for c in cut.caveats if "cut" in c] == [
        f"{NAME!r}: {len(every_match)} matches at or above the threshold, the best 10 shown (top 10); "
        f"{len(every_match) - 10} cut"]
    # a name given twice is answered twice, each cut alike
    twice = screening.screen([NAME, NAME], top=3)
    assert _ids(twice.rows) == every_match[:3] * 2 and len([c for c in twice.caveats if "cut" in c]) == 1


def test_cli_and_api_answer_every_match(every_list: Path, every_match: list[tuple[str, str, float]]) -> None:
    import json

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from pinchpoint.api.app import create_app
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["screen", NAME, "-f", "json", "--workspace", str(every_list)])
    assert result.exit_code == 0, result.output
    assert _ids(json.loads(result.stdout)["rows"]) == every_match
    api = TestClient(create_app(workspace=every_list))
    answer = api.post("/screen", json={"names": [NAME]})
    assert answer.status_code == 200, answer.text
    assert _ids(answer.json()["rows"]) == every_match
    capped = api.post("/screen", json={"names": [NAME], "top": 10}).json()
    assert len(capped["rows"]) == 10 and any(f"{len(every_match)} matches" in c for c in capped["meta"]["caveats"])


def test_workbench_page_shows_every_match(every_list: Path, every_match: list[tuple[str, str, float]],
                                          cheap_hashes: None) -> None:
    client = sign_in(make_workbench(every_list), "meti-analyst")
    page = client.get("/screening", params={"q": NAME}).text
    shown = re.findall(r'<tr class="[^"]*" data-entity="([^"]+)"', page)
    assert sorted(shown) == sorted(entity for _, entity, _ in every_match)
    assert f"{len(every_match)} matches for" in page
