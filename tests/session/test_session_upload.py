"""Session.supplychain.upload (a dataset sent as bytes), Session.permits (listings show only what the actor may
read) and Session.record (what was done, told to the recorder)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pinchpoint.errors import BadArgumentError, DataError
from pinchpoint.session import AccessDenied, Actor, Session
from tests.conftest import SHARED

BUILTIN_YAML = Path(__file__).parents[2] / "src" / "pinchpoint" / "supplychain" / "builtin" / "semiconductors.yaml"


def test_upload_stores_records_and_refuses_bad_files_naming_the_upload(tmp_path: Path) -> None:
    events: list[tuple[str, str, bool]] = []

    def recorder(actor: Actor, event: str, resource: str, details: Mapping[str, Any], created: bool) -> None:
        events.append((event, resource, created))

    session = Session(tmp_path, recorder=recorder)
    record = session.supplychain.upload("fabs", "my fabs.yaml", BUILTIN_YAML.read_bytes())
    assert record.n_inputs == len(session.supplychain.chain("fabs").inputs)
    assert events == [("upload", "dataset:fabs", True)]
    again = session.supplychain.upload("fabs", "my fabs.yaml", BUILTIN_YAML.read_bytes())
    assert events[-1] == ("upload", "dataset:fabs", False) and again.version == record.version  # a new version, not new

    lines = BUILTIN_YAML.read_text(encoding="utf-8").splitlines()
    row = next(k for k, line in enumerate(lines, 1) if "share: 74," in line)
    lines[row - 1] = lines[row - 1].replace("share: 74,", "share: 740,")
    with pytest.raises(DataError) as caught:
        session.supplychain.upload("broken", "my chain.yaml", "\n".join(lines).encode())
    assert caught.value.location.file == "my chain.yaml" and caught.value.location.row == row
    assert all("pinchpoint-upload-" not in str(p) for p in caught.value.problems)  # never the temporary folder
    assert "broken" not in {r["name"] for r in session.supplychain.datasets().rows}
    for name in ("Bad Name", "builtin", "../x"):
        with pytest.raises(BadArgumentError):
            session.supplychain.upload(name, "x.yaml", b"x")
    with pytest.raises(DataError, match="upload a native YAML file"):
        session.supplychain.upload("csvfile", "x.csv", b"a,b\n1,2\n")


def test_listings_show_only_what_the_actor_may_read(tmp_path: Path) -> None:
    Session(tmp_path).supplychain.upload("secret", "s.yaml", BUILTIN_YAML.read_bytes())
    Session(tmp_path).supplychain.upload("open", "o.yaml", BUILTIN_YAML.read_bytes())
    asked: list[tuple[str, str]] = []

    def rules(actor: Actor, action: str, resource: str) -> None:
        asked.append((action, resource))
        if resource == "dataset:secret":
            raise AccessDenied("private to another organisation")

    session = Session(tmp_path, authorizer=rules)
    assert [r["name"] for r in session.supplychain.datasets().rows] == ["open"]
    assert not session.permits("supplychain.read", "dataset:secret") and session.permits("supplychain.read",
                                                                                          "dataset:open")
    with pytest.raises(AccessDenied):
        session.supplychain.chokepoints("secret")
    with pytest.raises(AccessDenied):  # a new version of a dataset is a change to it, refused alike
        session.supplychain.upload("secret", "s.yaml", BUILTIN_YAML.read_bytes())
    assert ("supplychain.modify", "dataset:secret") in asked


def test_a_trade_upload_of_flows_already_stored_names_the_upload_not_the_temporary_folder(tmp_path: Path) -> None:
    # the real Comext export of 2021 imported from its file, then the same rows sent from the page under another
    # name: the store reports each as already imported, and the report must name the upload (its file as the user
    # knows it), not the server's temporary folder the upload was staged in
    source = SHARED / "trade" / "comext-relational" / "eu_year_export" / "Relational_View_2024-11-17T08_31_35.486Z.csv"
    session = Session(tmp_path)
    session.trade.import_files("comext-relational", [source])
    lines = source.read_bytes().splitlines(keepends=True)[:6]  # the header and five flows
    frame = session.trade.upload("comext-relational", "my export.csv", b"".join(lines))
    assert frame.rows_kept == 0 and len(frame.problems) == 5
    assert {p.file for p in frame.problems} == {"my export.csv"}
    assert [p.row for p in frame.problems] == [2, 3, 4, 5, 6]
    assert all("pinchpoint-trade-upload-" not in p.reason for p in frame.problems)
    # each flow is kept once (in the store): a note, as the problems table's caveat describes a duplicate, not a
    # record kept out
    assert {p.severity for p in frame.problems} == {"warning"}


def test_an_upload_records_the_file_as_uploaded_not_the_temporary_folder(tmp_path: Path) -> None:
    """Trial 12, F10: ``data list`` gave an upload's source as ``/tmp/pinchpoint-upload-.../evil_22__svg_...yaml``, a
    deleted temporary path with a mangled name."""
    name = 'evil"><svg onload=alert(8)>.yaml'
    Session(tmp_path).supplychain.upload("evil", name, BUILTIN_YAML.read_bytes())
    rows = {r["name"]: r for r in Session(tmp_path).supplychain.datasets().records()}
    assert rows["evil"]["source_path"] == f"upload {name}"
