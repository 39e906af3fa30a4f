"""List updates that would silently lose names, and list versions a match can be cited by (trial 11 F15, F9), on
the real files: an OFAC SDN file updated without its alternate-names file dropped all 18,018 aliases with "0
problems"; OFAC's file as published (``sdn.csv``) loaded with a blank version every match then cited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.screening.loaders import load_list
from pinchpoint.screening.model import NameKind
from pinchpoint.screening.store import MAX_LOST_NAMES_SHARE, load_lists
from pinchpoint.workspace import Workspace
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

SDN = LISTS / "ofac_sdn_20240503.csv"
ALT = LISTS / "ofac_alt_20250227.csv"


def cli(*args: str) -> tuple[int, str, str]:
    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.stdout.split()), " ".join(result.stderr.split())  # lines wrapped


def test_an_sdn_update_without_its_alt_file_is_refused_unless_forced(tmp_path: Path) -> None:
    solo = tmp_path / "solo" / SDN.name
    solo.parent.mkdir()
    shutil.copyfile(SDN, solo)
    alone = load_list(solo)
    assert any(p.message.startswith("no alternate-names file given") and p.severity == "warning"
               for p in alone.problems)  # a stated problem, not "0 problems"
    full = load_list(SDN)
    primary = {e.entity_id: {n.text for n in e.names} for e in alone.entities}
    # the aliases whose text the SDN file alone does not give (18,005 of the 18,018 alias rows; 13 repeat a name)
    aliases = sum(n.kind is NameKind.ALIAS and n.text not in primary[e.entity_id] for e in full.entities
                  for n in e.names)
    names = sum(len(e.names) for e in full.entities)
    assert aliases / names > MAX_LOST_NAMES_SHARE
    ws = str(tmp_path / "ws")
    assert cli("lists", "load", str(SDN), "--workspace", ws)[0] == 0  # its alt file beside it is read too
    code, out, err = cli("lists", "update", str(solo), "--workspace", ws)
    assert code == 2 and out == ""
    assert f"drops {aliases:,} of the {names:,} names of version 20240503" in err
    assert f"{aliases:,} of them aliases" in err and "no alternate-names file given" in err
    with Workspace(Path(ws)) as w:
        assert sum(len(e.names) for e in load_lists(w)[0].entities) == names  # the loaded version stays
    assert "ofac-306" in cli("screen", "National Bank of Cuba", "--workspace", ws, "-f", "csv")[1]
    code, out, err = cli("lists", "update", str(solo), "--force", "--workspace", ws)
    assert code == 0 and "forced past" in out and f"drops {aliases:,} of the {names:,} names" in out
    assert "problem: " in err and "no alternate-names file given" in err
    with Workspace(Path(ws)) as w:
        assert sum(len(e.names) for e in load_lists(w)[0].entities) == len(alone.entities)
