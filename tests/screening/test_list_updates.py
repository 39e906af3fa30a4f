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


def test_a_list_version_comes_from_content_or_is_given_and_matches_cite_its_digest(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    sdn, alt, un = plain / "sdn.csv", plain / "alt.csv", plain / "consolidated.xml"  # the names as published
    shutil.copyfile(SDN, sdn)
    shutil.copyfile(ALT, alt)
    shutil.copyfile(LISTS / "un_sc_consolidated_20260227.xml", un)
    ws = str(tmp_path / "ws")
    # OFAC's legacy CSV holds no date and its published name none: refused without --version, nothing stored
    code, out, err = cli("lists", "load", str(sdn), str(alt), "--workspace", ws)
    assert code == 2 and "no version" in err and "--version" in err
    assert "No restricted-party lists" in " ".join(cli("lists", "list", "--workspace", ws)[1:])
    code, out, err = cli("lists", "load", str(sdn), str(alt), "--version", "2024-05-03", "--workspace", ws)
    assert code == 0 and "OFAC SDN 2024-05-03 (content " in out, err
    # the UN's XML states its date (dateGenerated): read from the content whatever the name; another is refused
    assert "UN Security Council Consolidated List 2026-02-27 (content " in cli(
        "lists", "load", str(un), "--workspace", ws)[1]
    code, _, err = cli("lists", "load", str(un), "--version", "2026-03-01", "--workspace", ws)
    assert code == 2 and "states its own version, 2026-02-27" in err
    # a match cites the version and the content hash 'lists list' shows for it
    with Workspace(Path(ws)) as w:
        from pinchpoint.screening.store import list_table

        hashes = {r["list_name"]: r["content_hash"] for r in list_table(w).rows}
    assert hashes["OFAC SDN"] and len(hashes["OFAC SDN"]) == 16
    import json

    code, out, _ = cli("screen", "Vladimir Putin", "-f", "json", "--workspace", ws)
    document = json.loads(out)
    row = next(r for r in document["rows"] if r["entity_id"] == "ofac-35096")
    assert row["list_version"] == "2024-05-03" and row["list_digest"] == hashes["OFAC SDN"]
    assert document["columns"][-1] == "list_digest" and document["meta"]["list_digests"] == hashes
    # a batch's match rows cite it too (they cited the version label only)
    customers, found = tmp_path / "customers.csv", tmp_path / "found.csv"
    customers.write_text("name\nVladimir Putin\nAl-Qaida\n", encoding="utf-8")
    code, _, err = cli("screen", "--file", str(customers), "-o", str(found), "--workspace", ws)
    assert code == 0, err
    import csv

    with found.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cited = {(r["list"], r["list_digest"]) for r in rows if r["status"] == "match"}
    assert ("OFAC SDN", hashes["OFAC SDN"]) in cited
    assert ("UN Security Council Consolidated List", hashes["UN Security Council Consolidated List"]) in cited
    assert all(digest == hashes[name] for name, digest in cited)
    # a renamed copy takes the date its name gives, and its digest is the same content's
    dated = tmp_path / "dated" / "ofac_sdn_20240517.csv"
    dated.parent.mkdir()
    shutil.copyfile(SDN, dated)
    assert load_list(dated).version == "20240517" and load_list(sdn, version="x").version == "x"
