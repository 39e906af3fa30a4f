"""Matches of equal score: the exact name first, then fewer extra tokens, then by entity id (new-user trial:
"Bank Melli Iran" listed MB BANK's alias "BANK MELLI IRAN ZAO" before SDN 25578 "BANK MELLI IRAN")."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import ScreeningList
from tests.screening.conftest import LISTS, first_rows

QUERY = "Bank Melli Iran"


def _ofac_ids_named(name: str) -> tuple[set[str], set[str]]:
    """OFAC entity numbers whose primary name (SDN file) or alias (alt file) is exactly ``name``."""
    with (LISTS / "ofac_sdn_20240503.csv").open(encoding="utf-8", errors="replace") as fh:
        primary = {row[0] for row in csv.reader(fh) if len(row) > 1 and row[1].strip() == name}
    with (LISTS / "ofac_alt_20250227.csv").open(encoding="utf-8", errors="replace") as fh:
        alias = {row[0] for row in csv.reader(fh) if len(row) > 3 and row[3].strip() == name}
    return primary, alias


@pytest.fixture(scope="module")
def exact_and_longer() -> tuple[str, str]:
    exact, _ = _ofac_ids_named(QUERY.upper())
    _, longer = _ofac_ids_named(QUERY.upper() + " ZAO")  # ZAO is a legal form: same tokens, one form more
    assert len(exact) == 1 and len(longer) == 1 and exact != longer
    return f"ofac-{exact.pop()}", f"ofac-{longer.pop()}"


@pytest.fixture(scope="module")
def ofac(lists: dict[str, ScreeningList]) -> Screener:
    return Screener([lists["ofac_sdn_20240503.csv"]])


def test_exact_name_ranks_first_at_equal_score(ofac: Screener, exact_and_longer: tuple[str, str]) -> None:
    exact, longer = exact_and_longer
    matches = ofac.screen(QUERY)
    ids = [m["entity_id"] for m in matches]
    assert ids.index(exact) == 0 and longer in ids
    assert matches[0]["score"] == matches[ids.index(longer)]["score"]  # the order changed, not the scores
    # equal scores: never an extra-token name before an exact one; the order is the same every time
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert ofac.screen(QUERY) == matches


def test_batch_best_match_is_the_exact_entity(ofac: Screener, exact_and_longer: tuple[str, str],
                                              tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(f"name\n{QUERY}\n", encoding="utf-8")
    screen_file(ofac, src, out)
    row = first_rows(out)[0]
    assert row["entity_id"] == exact_and_longer[0] and row["matched_name"] == QUERY.upper()


def test_api_and_cli_list_the_exact_entity_first(lists: dict[str, ScreeningList], exact_and_longer: tuple[str, str],
                                                 tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from pinchpoint.api.app import create_app
    from pinchpoint.cli.main import app
    from pinchpoint.screening.store import store_list
    from pinchpoint.workspace import Workspace

    ofac = lists["ofac_sdn_20240503.csv"]
    # a small slice of the real list: every entity with a name containing MELLI (store the whole list is slow)
    melli = ScreeningList(list_name=ofac.list_name, version=ofac.version, source=ofac.source,
                          entities=tuple(e for e in ofac.entities if any("MELLI" in n.text.upper() for n in e.names)))
    ws = tmp_path / "ws"
    with Workspace(ws) as w:
        store_list(w, melli)
    client = TestClient(create_app(workspace=ws), raise_server_exceptions=False)
    response = client.post("/screen", json={"names": [QUERY]})
    assert response.status_code == 200, response.text
    ids = [m["entity_id"] for m in response.json()["rows"]]
    assert ids[0] == exact_and_longer[0] and exact_and_longer[1] in ids
    result = CliRunner().invoke(app, ["screen", QUERY, "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    # the terminal table shows names, not ids: the exact name's row comes before the ZAO alias's row
    rows = [line for line in result.output.splitlines() if QUERY.upper() in line]
    assert "ZAO" not in rows[0] and any("ZAO" in line for line in rows[1:]), result.output
