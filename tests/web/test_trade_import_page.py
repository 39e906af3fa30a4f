"""Trade import from the page: a real Comext slice from ../shared/data with planted bad rows is imported as a job,
and its page shows every problem by file, row and field, grouped by reason, with all of them downloadable."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED
from tests.web.conftest import csrf_of, make_workbench, sign_in
from tests.web.test_pages import _wait

KYRGYZ = SHARED / "trade" / "comext-relational" / "kyrgyz_import_yearly.csv"
UPLOAD = "kyrgyz-slice.csv"
BAD_VALUE_LINES = (10, 25)  # file lines (the header is line 1)
BAD_PARTNER_LINE = 30


def _planted_slice() -> tuple[bytes, int]:
    """The header and the first 40 records of the real file, three of them spoiled; and the records it holds."""
    if not KYRGYZ.exists():
        pytest.skip(f"real data not found at {KYRGYZ}")
    rows = list(csv.reader(io.StringIO(KYRGYZ.read_text(encoding="utf-8"))))[:41]
    header = rows[0]
    for line in BAD_VALUE_LINES:
        rows[line - 1][header.index("VALUE_IN_EUR")] = "12.3x4"
    rows[BAD_PARTNER_LINE - 1][header.index("PARTNER")] = "Atlantis"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(), len(rows) - 1


@pytest.fixture()
def bench(tmp_path: Path, cheap_hashes: None) -> Any:
    return make_workbench(tmp_path)


def _import(client: Any, name: str, data: bytes, fmt: str = "auto") -> tuple[str, Any]:
    token = csrf_of(client.get("/trade").text)
    response = client.post("/trade/import", data={"csrf_token": token, "format": fmt},
                           files={"file": (name, data, "text/csv")}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    job_url = response.headers["location"]
    assert _wait(client, job_url)["status"] == "done"
    return job_url, client.get(job_url)


def test_import_shows_each_problem_by_file_row_and_field_grouped_by_reason(bench: Any) -> None:
    data, records = _planted_slice()
    client = sign_in(bench, "meti-analyst")
    job_url, page = _import(client, UPLOAD, data)
    html = page.text
    assert 'id="trade-import-result"' in html
    reported = re.search(r'id="reported-count">([\d,]+)<', html)
    assert reported and int(reported.group(1).replace(",", "")) == 3
    assert f"<strong>{records}</strong>" in html  # records read: the slice's 40, counted here with csv
    assert f"<strong>{records - 3}</strong>" in html  # rows kept: every other record
    # grouped: the two bad values are one reason, the unknown partner another
    kinds = html[html.index('id="problem-kinds"'):html.index('id="problems"')]
    assert "not a number" in kinds and "unknown country" in kinds
    # every problem on the page with the upload's name, its line and its field
    shown = html[html.index('id="problems"'):]
    for line in BAD_VALUE_LINES:
        assert re.search(rf"<td>{UPLOAD}</td><td>{line}</td><td>VALUE_IN_EUR</td>", shown)
    assert re.search(rf"<td>{UPLOAD}</td><td>{BAD_PARTNER_LINE}</td><td>PARTNER</td>", shown)
    assert "pinchpoint-trade-upload" not in html  # never the server's temporary folder
    # the downloads hold every problem and the grouping
    full = list(csv.DictReader(io.StringIO(client.get(f"{job_url}/files/problems.csv").text)))
    assert sorted((int(r["row"]), r["field"]) for r in full) == [(10, "VALUE_IN_EUR"), (25, "VALUE_IN_EUR"),
                                                                (30, "PARTNER")]
    assert all(r["file"] == UPLOAD and r["severity"] == "error" for r in full)
    by_reason = client.get(f"{job_url}/files/problems-by-reason.json").json()
    counts = {r["kind"]: (r["problems"], r["first_row"]) for r in by_reason["rows"]}
    assert counts == {"not a number: '…'": (2, 10), "unknown country '…'": (1, 30)}
    # stored: the imports table lists it, and the audit trail has the upload
    imports = client.get("/trade").text
    assert "comext-relational" in imports
    uploads = [r for r in bench.state.web.store.audit_records() if r.action == "upload"
               and r.target == "trade:comext-relational"]
    assert uploads and uploads[-1].actor == "meti-analyst" and '"reported":3' in uploads[-1].details


def test_a_zip_names_the_file_inside_it_and_an_unreadable_upload_stores_nothing(bench: Any) -> None:
    data, _ = _planted_slice()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("2019/kyrgyz.csv", data)
    client = sign_in(bench, "meti-analyst")
    job_url, _ = _import(client, "batch.zip", packed.getvalue(), fmt="comext-relational")
    full = list(csv.DictReader(io.StringIO(client.get(f"{job_url}/files/problems.csv").text)))
    assert {r["file"] for r in full} == {"batch.zip: 2019/kyrgyz.csv"} and len(full) == 3
    # a file no trade format reads: refused whole, with the reason, and nothing stored
    _, refused = _import(client, "notes.csv", b"just,some\nwords,here\n", fmt="comext-relational")
    assert "Nothing was stored" in refused.text and "notes.csv" in refused.text
    assert "pinchpoint-trade-upload" not in refused.text


def test_a_viewer_cannot_import_trade(bench: Any) -> None:
    client = sign_in(bench, "meti-viewer")
    page = client.get("/trade").text
    assert 'id="trade-import-form"' not in page
    response = client.post("/trade/import", data={"csrf_token": csrf_of(page)},
                           files={"file": ("x.csv", b"a,b\n", "text/csv")}, follow_redirects=False)
    assert response.status_code == 403
