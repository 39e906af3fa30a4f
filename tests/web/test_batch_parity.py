"""The workbench's batch screening is the command line's batch (``screen --file``) behind a form: for the same file
and options its results.csv, results.csv.meta.json and results.json are the CLI's, byte for byte, and the page
counts and names every row that was not screened (empty name, more fields than the header, a quote left open that
swallowed the rows after it). Customers are real UN-listed names, with broken and hostile rows among them."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import UN_LIST, csrf_of, make_workbench, sign_in
from tests.web.test_pages import _wait

OPTIONS = {"name_column": "name", "country_column": "country", "birth_date_column": "dob", "type_column": "type",
           "gender_column": "gender", "threshold": "0.8"}
CLI_OPTIONS = ["--name-column", "name", "--country-column", "country", "--birth-date-column", "dob",
               "--type-column", "type", "--gender-column", "gender", "--threshold", "0.8"]
FORMULA = '=HYPERLINK("http://example.com","click")'
SCRIPT = "<script>alert(1)</script>"


def customer_file() -> tuple[bytes, dict[str, int]]:
    """Customers named as UN-listed persons and organisations (with their country, birth date, type and gender),
    and the broken rows' lines: an empty name, a row with more fields than the header, a quote left open (which
    swallows the four customers after it), a formula and a script for a name, a cell that is no country."""
    from pinchpoint.screening.loaders import load_list

    listed = load_list(UN_LIST).entities
    persons = [e for e in listed if e.type.value == "person" and e.birth_dates and e.countries][:6]
    orgs = [e for e in listed if e.type.value == "organisation"][:2]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "name", "country", "dob", "type", "gender"])
    for k, e in enumerate(persons[:4]):
        writer.writerow([f"P{k}", e.names[0].text.title(), e.countries[0], e.birth_dates[0], "person", e.gender])
    writer.writerow(["P4", persons[4].names[0].text, "Atlantis", "1999-13-45", "person", "x"])
    for k, e in enumerate(orgs):
        writer.writerow([f"O{k}", e.names[0].text, "", "", "organisation", ""])
    lines = {"empty": 9}
    writer.writerow(["E1", "", "IRQ", "", "person", ""])
    writer.writerow(["F1", FORMULA, "", "", "", ""])
    writer.writerow(["S1", f"{SCRIPT} {persons[5].names[0].text}", "", "", "", ""])
    text = out.getvalue()
    lines["extra"] = text.count("\n") + 1
    text += f"X1,{SCRIPT} {persons[0].names[0].text},COD,,person,,extra,fields\n"
    lines["open quote"] = text.count("\n") + 1
    text += f'Q1,"{persons[1].names[0].text},RWA,,person,\n'
    for k, e in enumerate(persons[2:5]):
        text += f"Q{k + 2},{e.names[0].text},{e.countries[0]},,person,\n"
    text += 'Q5,Closing "quote",,,,\n'
    text += f"O9,{orgs[0].names[0].text},,,organisation,\n"
    return text.encode("utf-8"), lines


@pytest.fixture(scope="module")
def bench(lists_workspace: Path, cheap_hashes: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """A workbench over its own copy of the UN list (no decisions taken: the CLI and the page see the same)."""
    folder = tmp_path_factory.mktemp("batch-parity")
    shutil.copy(lists_workspace / "workspace.duckdb", folder / "workspace.duckdb")
    return make_workbench(folder), folder


def _cli(folder: Path, source: Path, output: Path) -> str:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["screen", "--file", str(source), "--output", str(output), "--workers", "1",
                                      *CLI_OPTIONS, "--workspace", str(folder)])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_page_batch_equals_the_cli_batch_and_names_every_row_not_screened(bench: tuple[Any, Path],
                                                                          tmp_path: Path) -> None:
    app, folder = bench
    data, lines = customer_file()
    source = tmp_path / "customers.csv"
    source.write_bytes(data)
    summary = _cli(folder, source, tmp_path / "results.csv")
    _cli(folder, source, tmp_path / "results.json")

    client = sign_in(app, "meti-analyst")
    started = client.post("/screening/batch", data={**OPTIONS, "csrf_token": csrf_of(client.get("/screening").text)},
                          files={"file": ("customers.csv", data, "text/csv")}, follow_redirects=False)
    job_url = started.headers["location"]
    assert _wait(client, job_url)["status"] == "done"
    for name in ("results.csv", "results.csv.meta.json", "results.json"):
        page_file = client.get(f"{job_url}/files/{name}")
        assert page_file.status_code == 200, name
        assert page_file.content == (tmp_path / name).read_bytes(), f"{name} differs from the CLI's"

    # every input column kept, every row answered, the broken ones as unreadable with the reason
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results.csv").read_text(encoding="utf-8"))))
    header = data.decode().splitlines()[0].split(",")
    assert all(column in rows[0] for column in header)
    unreadable = {int(r["row"]): r["status"] for r in rows if r["status"].startswith("unreadable")}
    assert set(unreadable) == set(lines.values())
    assert "empty name" in unreadable[lines["empty"]] and "more fields" in unreadable[lines["extra"]]
    assert "quote left open" in unreadable[lines["open quote"]]
    not_screened = {int(r["row"]) for r in rows if r["status"].startswith("not screened")}
    # a formula for a name is neutralised in the CSV, exactly as the CLI writes it
    assert any(r["name"] == "'" + FORMULA for r in rows)

    page = client.get(job_url).text
    assert f'id="unreadable-count">{len(unreadable)}<' in page
    assert f'id="not-screened-count">{len(not_screened)}<' in page
    inputs = {r["row"] for r in rows}
    screened = {r["row"] for r in rows if r["status"] in ("match", "no match")}
    assert f'id="screened-count">{len(screened)}<' in page and len(screened) < len(inputs)
    listed = {int(n) for n in re.findall(r'<tr data-row="(\d+)">', page.split('id="batch-problems"')[1])}
    assert listed == set(unreadable) | not_screened
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # names reach the page escaped
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["meta"]["input"]["sha256"] in page  # the input's digest on the page, as in the download
    assert f"{len(unreadable)} unreadable" in summary


def test_page_refuses_a_column_the_file_lacks_naming_file_row_and_field(bench: tuple[Any, Path]) -> None:
    app, _ = bench
    data, _ = customer_file()
    client = sign_in(app, "meti-analyst")
    response = client.post("/screening/batch", data={**OPTIONS, "birth_date_column": "born",
                                                     "csrf_token": csrf_of(client.get("/screening").text)},
                           files={"file": ("customers.csv", data, "text/csv")}, follow_redirects=False)
    assert response.status_code == 400
    assert "customers.csv" in response.text and "row 1" in response.text and "born" in response.text
    assert "pinchpoint-screen-upload" not in response.text


def test_a_decision_on_a_batch_alert_is_on_the_row_as_screened(bench: tuple[Any, Path]) -> None:
    """A row screened with its country, birth date, type and gender: the alerts page's decision carries them, so
    the next batch of the file remembers it for that row (a decision is on the name with its refinements)."""
    import html

    app, _ = bench
    data, _ = customer_file()
    client = sign_in(app, "commerce-analyst")  # meti's parity run above sees no decision of commerce's

    def batch() -> tuple[str, list[dict[str, str]]]:
        token = csrf_of(client.get("/screening").text)
        started = client.post("/screening/batch", data={**OPTIONS, "csrf_token": token},
                              files={"file": ("customers.csv", data, "text/csv")}, follow_redirects=False)
        url = started.headers["location"]
        assert _wait(client, url)["status"] == "done"
        return url, list(csv.DictReader(io.StringIO(client.get(url + "/files/results.csv").text)))

    url, rows = batch()
    first = next(r for r in rows if r["status"] == "match" and r["country"] and r["dob"])
    page = client.get(url + "/alerts").text
    block = re.search(rf'<tr data-entity="{re.escape(first["entity_id"])}" data-row="{first["row"]}".*?</tr>', page,
                      re.S)
    assert block
    hidden = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"',
                                                         block.group(0))}
    assert hidden["country"] == first["country"] and hidden["birth_date"] == first["dob"]
    reviewed = client.post("/screening/review", data={**hidden, "decision": "false_positive",
                                                      "reason": "another person"}, follow_redirects=False)
    assert reviewed.status_code == 303
    after = client.get(url + "/alerts").text
    assert re.search(rf'data-entity="{re.escape(first["entity_id"])}" data-row="{first["row"]}" class="false_positive"',
                     after)
    _, again = batch()
    decided = [r for r in again if r["alert"] == "decided"]
    assert [(r["row"], r["entity_id"], r["review_decision"], r["review_reason"]) for r in decided] == [
        (first["row"], first["entity_id"], "false positive", "another person")]
