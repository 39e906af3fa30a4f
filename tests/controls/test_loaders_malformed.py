"""Malformed control-list files: a clear error naming the file and the place in it, never a traceback.

The fuzz tests mutate the structure of slices of the real files (a node replaced by another JSON type or removed;
CSV lines cut, shifted, duplicated, garbled) and check that every loader either loads, keeping or reporting each
entry, or raises a DataError naming the file."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.controls.crosswalk import curated_jp
from pinchpoint.controls.loaders import load_any, load_eu_annex1, load_jp_items, load_us_ccl
from pinchpoint.controls.model import ControlList, Jurisdiction
from pinchpoint.errors import DataError
from tests.conftest import CONTROLS

pytestmark = pytest.mark.skipif(not CONTROLS.exists(), reason="no ../shared/data beside the repository")
runner = CliRunner()
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _slice(path: Path, keep: set[str], key: str) -> dict[str, Any]:
    """The real file with a few entries (the first three and those in ``keep``): same structure, fast to load."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    doc["entries"] = [e for n, e in enumerate(doc["entries"]) if n < 3 or e.get(key) in keep]
    return doc


US_DOC = _slice(CONTROLS / "us-ccl" / "ccl.json", {"3B001", "3B903", "4A906"}, "eccn") if CONTROLS.exists() else {}
EU_DOC = _slice(CONTROLS / "eu-annex1" / "annex.json", {"3B001", "3B503"}, "entry_code") if CONTROLS.exists() else {}


def paths(node: Any, prefix: tuple[Any, ...] = (), depth: int = 4) -> list[tuple[Any, ...]]:
    """Every place in a JSON document down to ``depth`` (dict keys and list indexes)."""
    out = [prefix]
    if depth == 0:
        return out
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k), depth - 1)
    elif isinstance(node, list):
        for i, v in enumerate(node[:6]):
            out += paths(v, (*prefix, i), depth - 1)
    return out


WRONG = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(max_size=6), st.lists(st.integers(0, 3), max_size=2),
                  st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=2), st.just("DELETE"))


def mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        places = paths(doc)
        where = data.draw(st.sampled_from(places))
        value = data.draw(WRONG)
        if not where:
            return value  # type: ignore[no-any-return]  # the whole document replaced
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        if value == "DELETE" and isinstance(parent, dict):
            del parent[where[-1]]
        elif value == "DELETE" and isinstance(parent, list):
            parent.pop(where[-1])
        else:
            parent[where[-1]] = value
    return doc


def check(load: Callable[[Path], ControlList], path: Path, doc: Any) -> None:
    try:
        cl = load(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if isinstance(entries, list):  # each entry kept or reported
        errors = [p for p in cl.problems if p.severity == "error"]  # entries left out; warnings are kept entries
        assert len(cl.entries) + len(errors) == len(entries)
    assert all(p.file == str(path) for p in cl.problems)


@FUZZ
@given(data=st.data())
def test_fuzz_us_ccl_structure(tmp_path: Path, data: st.DataObject) -> None:
    doc = mutate(US_DOC, data)
    path = tmp_path / "ccl.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(load_us_ccl, path, doc)


@FUZZ
@given(data=st.data())
def test_fuzz_eu_annex_structure(tmp_path: Path, data: st.DataObject) -> None:
    doc = mutate(EU_DOC, data)
    path = tmp_path / "annex.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(load_eu_annex1, path, doc)


def _garble(text: str, data: st.DataObject) -> bytes:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["cut", "drop", "dup", "cell", "quote", "bytes", "header"]))
        k = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            break
        if op == "cut":
            lines[k] = lines[k][: data.draw(st.integers(0, len(lines[k])))]
        elif op == "drop":
            lines.pop(k)
        elif op == "dup":
            lines.insert(k, lines[k])
        elif op == "cell":
            lines[k] = lines[k].replace(",", ",,", 1)
        elif op == "quote":
            lines[k] = '"' + lines[k]
        elif op == "header":
            lines[0] = lines[0].replace(data.draw(st.sampled_from(lines[0].strip().split(",") or [""])), "x", 1)
    raw = "".join(lines).encode("utf-8")
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\xff\xfe" + raw[at:]
    return raw


@FUZZ
@given(data=st.data())
def test_fuzz_jp_items_csv(tmp_path: Path, data: st.DataObject) -> None:
    text = (CONTROLS / "jp" / "jp_sme_concordance.csv").read_text(encoding="utf-8")
    path = tmp_path / "jp_sme_concordance.csv"
    path.write_bytes(_garble(text, data))
    try:
        cl = load_jp_items(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    assert all(p.file == str(path) for p in cl.problems)


@FUZZ
@given(data=st.data())
def test_fuzz_curated_crosswalk_csv(tmp_path: Path, data: st.DataObject) -> None:
    from pinchpoint.controls.crosswalk import jp_crosswalk_path

    path = tmp_path / "jp_crosswalk.csv"
    path.write_bytes(_garble(jp_crosswalk_path().read_text(encoding="utf-8"), data))
    try:
        curated_jp(Jurisdiction.US, path)
    except DataError as exc:
        assert str(path) in str(exc)


def test_ccl_whose_entries_are_not_objects(tmp_path: Path) -> None:
    doc = copy.deepcopy(US_DOC)
    n = len(doc["entries"])
    doc["entries"][1] = "3B001"
    doc["entries"][2]["items"] = {"a": "text"}
    path = tmp_path / "ccl.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    cl = load_us_ccl(path)
    assert len(cl.entries) == n - 1
    assert f"{path}, entry 1, field 'entries[1]': expected an object, got a string" in map(str, cl.problems)
    assert any("field 'entries[2].items': expected a list, got an object" in str(p) for p in cl.problems)
    assert [(p.row, p.severity) for p in cl.problems] == [(1, "error"), (2, "warning")]  # entry 2 kept
    # every entry a string: nothing to store; the CLI says why, names the file and the path, no traceback
    doc["entries"] = ["3B001", "3B002"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["controls", "load", str(path), "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}, entry 0, field 'entries[0]': expected an object" in result.stderr
    assert "has no entries" in result.stderr
    path.write_text(json.dumps({"ecfrIssueDate": "2026-07-23", "entries": {"3B001": {}}}), encoding="utf-8")
    with pytest.raises(DataError, match=r"field 'entries': expected a list of 'entries', got an object"):
        load_any(path)


def test_jp_csv_with_a_shifted_row_is_reported(tmp_path: Path) -> None:
    text = (CONTROLS / "jp" / "jp_sme_concordance.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    rows[3] = [*rows[3], "stray"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "jp.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    cl = load_jp_items(path)
    assert len(cl.entries) == len(rows) - 2
    assert [str(p) for p in cl.problems] == [f"{path}, row 4: 1 cells more than the 6 columns"]
    path.write_bytes(b"jp_item,jp_status\n\xff\n")
    with pytest.raises(DataError, match="not UTF-8"):
        load_any(path)
