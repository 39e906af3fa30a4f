"""The workbench's journeys in a real Chromium (Debian's ``chromium`` package, driven by Playwright with its
``executable_path``; no browser is downloaded). With ``PINCHPOINT_SCREENSHOTS=1`` the same run writes a
screenshot of each page to docs/screenshots/."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONTROLS
from tests.web.conftest import BUILTIN_YAML, PASSWORD, make_workbench
from tests.web.test_pages import _customer_file

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (the 'test' extra)")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium); "
                ".ci/run installs it", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(lists_workspace: Path, cheap_hashes: None, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:
    """The workbench on a free loopback port, in a thread of this process, over its own copy of the lists, and
    that workspace's folder."""
    import uvicorn

    folder = tmp_path_factory.mktemp("browser-ws")
    shutil.copy(lists_workspace / "workspace.duckdb", folder / "workspace.duckdb")
    _add_data(folder, tmp_path_factory.mktemp("browser-ccl"))
    app = make_workbench(folder)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the workbench did not start in 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", folder
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def server(served: tuple[str, Path]) -> str:
    return served[0]


def _add_data(folder: Path, scratch: Path) -> None:
    """Trade (BACI extract, Comext monthly 8542), two dated versions of the U.S. control list and the EU and
    Japanese lists, and Japan's IIP series, from ../shared/data (skipped pieces are not there)."""
    from pinchpoint.session import Session
    from tests.web.test_workbench_pages import COMEXT_XLSX, IIP, TRADE, _later_ccl

    session = Session(folder)
    if TRADE.exists() and COMEXT_XLSX.exists():
        session.trade.import_files("baci", [TRADE])
        session.trade.import_files("comext-xlsx", [COMEXT_XLSX])
    if CONTROLS.exists():
        lists = session.controls.read([CONTROLS / "us-ccl", CONTROLS / "eu-annex1", CONTROLS / "jp"])
        session.controls.store(lists, ["us-ccl", "eu-annex1", "jp"])
        session.controls.store(session.controls.read([_later_ccl(scratch)]), ["later"])
    if IIP.exists():
        session.trends.import_files([IIP])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _shot(page: Any, name: str) -> None:
    if os.environ.get("PINCHPOINT_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def _signed_in(browser: Any, server: str, username: str, shot: str | None = None) -> Any:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(90_000)  # a loaded CI machine: generous, the journeys still end by themselves
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if shot:
        _shot(page, shot)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.console_errors = errors  # CSP violations show up here
    return page


def test_sign_in_and_overview_map(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-analyst", shot="sign-in")
    world = page.locator("#world-map svg")
    assert world.is_visible()
    assert world.locator("path").count() > 100  # country outlines drawn
    assert page.locator("#top-risks tbody tr").count() > 0
    _shot(page, "overview")
    for path, name in (("/supply-chain", "supply-chain"), ("/supply-chain/builtin", "dataset"),
                       ("/controls", "controls"), ("/trade", "trade")):
        page.goto(path)
        _shot(page, name)
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    page.context.close()


def test_run_a_packaged_scenario_and_see_its_result(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-analyst")
    page.goto("/stress")
    _shot(page, "stress")
    page.click("button[data-run=renesas_naka_fire]")
    page.wait_for_selector("#stress-result", timeout=120_000)  # app.js follows the job and reloads
    assert page.locator("#stress-result table tbody tr").count() > 0
    assert page.locator("#job-state").inner_text() == "done"
    _shot(page, "stress-result")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    page.context.close()


def test_batch_screening_download_and_false_positive_remembered(browser: Any, server: str,
                                                                tmp_path: Path) -> None:
    data, positives = _customer_file()
    upload = tmp_path / "customers.csv"
    upload.write_bytes(data)
    page = _signed_in(browser, server, "meti-analyst")
    page.goto("/screening")
    page.set_input_files("#batch-form input[type=file]", str(upload))
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#screening-result", timeout=180_000)
    _shot(page, "screening-batch")
    assert int(page.inner_text("#alert-count")) > 0
    with page.expect_download() as download_info:
        page.click("a[href$='/files/results.csv']")
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert {int(r["row"]) for r in rows} == set(range(2, 202))

    page.click("#review-alerts")
    first = page.locator("#alerts tbody tr").first
    query = first.locator("td").nth(1).inner_text()
    entity = first.get_attribute("data-entity")
    assert query in positives
    first.locator("input[name=reason]").fill("another person: date of birth differs")
    _shot(page, "alerts")
    first.locator("button[value=false_positive]").click()
    page.wait_for_selector(f"#alerts tr[data-entity='{entity}'] .decision.false_positive")

    page.goto("/screening?q=" + query.replace(" ", "+"))
    remembered = page.locator(f"#matches tr[data-entity='{entity}']")
    assert "another person: date of birth differs" in remembered.inner_text()
    assert remembered.locator(".decision.false_positive").count() == 1
    _shot(page, "screening")
    page.context.close()


def test_batch_form_with_row_columns_gives_the_cli_files_and_names_rows_not_screened(
        browser: Any, served: tuple[str, Path], tmp_path: Path) -> None:
    """The form's country / birth date / type / gender columns, and the downloads the CLI writes for the same file
    and options; commerce has taken no decisions, so it sees what the CLI (the operator) sees."""
    from tests.web.test_batch_parity import OPTIONS, customer_file
    from tests.web.test_batch_parity import _cli as cli_batch

    server, folder = served
    data, lines = customer_file()
    upload = tmp_path / "customers.csv"
    upload.write_bytes(data)
    page = _signed_in(browser, server, "commerce-analyst")
    page.goto("/screening")
    page.set_input_files("#batch-form input[type=file]", str(upload))
    for field, value in OPTIONS.items():
        page.fill(f"#batch-form input[name={field}]", value)
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#screening-result", timeout=180_000)
    _shot(page, "screening-batch-problems")
    assert int(page.inner_text("#unreadable-count")) == len(lines)
    listed = {int(r) for r in page.locator("#batch-problems tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.row)")}
    assert set(lines.values()) <= listed
    cli = tmp_path / "cli"
    cli.mkdir()
    cli_batch(folder, upload, cli / "results.csv")
    for name in ("results.csv", "results.csv.meta.json"):
        with page.expect_download() as download_info:
            page.click(f"a[href$='/files/{name}']")
        assert Path(download_info.value.path()).read_bytes() == (cli / name).read_bytes(), name
    page.context.close()


def test_viewer_cannot_upload(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-viewer")
    page.goto("/supply-chain")
    assert page.locator("#upload-form").count() == 0 and page.locator("#no-upload").is_visible()
    page.goto("/screening")
    assert page.locator("#batch-form").count() == 0
    page.context.close()


def test_org_a_sees_b_private_dataset_only_after_b_shares(browser: Any, server: str) -> None:
    owner = _signed_in(browser, server, "commerce-analyst")
    owner.goto("/supply-chain")
    owner.fill("#upload-form input[name=name]", "partner-fabs")
    owner.set_input_files("#upload-form input[type=file]", str(BUILTIN_YAML))
    owner.click("#upload-form button[type=submit]")
    owner.wait_for_url(f"{server}/supply-chain/partner-fabs")
    owner.context.close()

    partner = _signed_in(browser, server, "meti-analyst")
    partner.goto("/supply-chain")
    assert partner.locator("tr[data-dataset=partner-fabs]").count() == 0

    admin = _signed_in(browser, server, "commerce-admin")
    admin.goto("/supply-chain/partner-fabs")
    admin.check("#share input[value=shared]")
    admin.check("#share input[name=orgs][value=meti]")
    _shot(admin, "sharing")
    admin.click("#share button[type=submit]")
    admin.wait_for_selector(".flash")
    admin.context.close()

    partner.goto("/supply-chain")
    row = partner.locator("tr[data-dataset=partner-fabs]")
    assert row.count() == 1 and "commerce-admin" in row.inner_text()
    partner.click("tr[data-dataset=partner-fabs] a")
    assert "read-only" in partner.inner_text(".meta")
    partner.context.close()


def test_switch_to_japanese(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-admin")
    page.click("button[data-lang=ja]")
    page.wait_for_selector("html[lang=ja]")
    assert "サインアウト" in page.inner_text("header") and "概要" in page.inner_text("header")
    _shot(page, "overview-ja")
    page.goto("/admin")
    _shot(page, "admin-ja")
    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")
    page.goto("/admin")
    assert "audit trail intact" in page.inner_text("#audit-verification")
    _shot(page, "admin")
    page.context.close()


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"real data not found at {path}")


def test_trade_circumvention_alerts_with_their_evidence(browser: Any, server: str) -> None:
    from tests.web.test_workbench_pages import COMEXT_XLSX

    _need(COMEXT_XLSX)
    page = _signed_in(browser, server, "meti-analyst")
    page.goto("/trade")
    assert page.locator("#imports tbody tr").count() == 2  # baci and comext-xlsx
    page.click("nav.tabs a[href$='query=circumvention']")
    page.click("#trade-form button[type=submit]")
    page.wait_for_selector("#trade-result figure.evidence svg polyline")
    assert page.locator("#trade-result table tbody tr").count() > 0
    _shot(page, "trade")
    page.locator("figure.evidence").first.scroll_into_view_if_needed()
    _shot(page, "trade-evidence")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    page.context.close()


def test_controls_diff_between_two_dated_versions(browser: Any, server: str) -> None:
    from tests.web.test_workbench_pages import LATER, _ccl

    _need(CONTROLS)
    page = _signed_in(browser, server, "meti-viewer")
    page.goto("/controls")
    page.fill("#diff-form input[name=first]", f"US@{_ccl()['ecfrIssueDate']}")
    page.fill("#diff-form input[name=second]", f"US@{LATER}")
    page.fill("#diff-form input[name=scope]", "3B")
    page.click("#diff-form button[type=submit]")
    page.wait_for_selector("#diff table")
    text = page.inner_text("#diff")
    assert "3B999" in text and "3B903" in text
    _shot(page, "controls-diff")
    page.context.close()


def test_two_runs_compared_with_the_shortfall_chart(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-analyst")
    jobs = []
    for runs in ("1", "4"):
        page.goto("/stress?scenario=renesas_naka_fire")
        page.fill("input[name=runs]", runs)
        page.click("form:has(textarea) button:not([name=validate_only])")
        page.wait_for_selector("#stress-result", timeout=120_000)
        jobs.append(page.url.rsplit("/", 1)[1])
    assert page.locator("#shortfall-chart svg polyline").count() > 0
    _shot(page, "stress-result")
    page.select_option("#compare-form select[name=second]", jobs[0])
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#comparison table tbody tr")
    assert "different numbers of Monte Carlo draws" in page.inner_text("main")
    _shot(page, "stress-compare")
    page.context.close()


def test_planner_runs_from_the_plan_page_and_its_table_downloads(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "meti-analyst")
    page.goto("/plan?tab=planner")
    page.fill("#planner-form input[name=budget]", "300")
    page.fill("#planner-form input[name=budgets]", "0,100,300")
    page.click("#planner-form button[type=submit]")
    page.wait_for_selector("#planner-portfolio table tbody tr")
    shown = [r.split("\t")[0].strip() for r in page.locator("#planner-portfolio table tbody tr").all_inner_texts()]
    assert shown and all(shown)
    assert page.locator("#planner-frontier table tbody tr").count() == 3
    assert "pinchpoint plan --measures example --budget 300" in page.inner_text("#planner-command")
    _shot(page, "plan-planner")
    with page.expect_download() as info:
        page.click("#planner-result a[href*='table=portfolio'][href*='fmt=csv']")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [r["measure_id"] for r in rows] == shown  # the file holds the table the page shows
    # the analyst's own measures file: uploaded with the form, and a download re-runs the same plan
    from tests.web.test_planner_page import MEASURES_CSV

    page.set_input_files("#planner-form input[name=measures_file]",
                         files=[{"name": "ours.csv", "mimeType": "text/csv", "buffer": MEASURES_CSV.encode()}])
    page.click("#planner-form button[type=submit]")
    page.wait_for_selector("#planner-measures")
    ours = [r.split("\t")[0].strip() for r in page.locator("#planner-portfolio table tbody tr").all_inner_texts()]
    assert ours and set(ours) <= {"ours_neon", "ours_gallium"}
    with page.expect_download() as info:
        page.click("form.download-form[data-table=portfolio][data-format=csv] button")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [r["measure_id"] for r in rows] == ours
    assert not page.console_errors
    page.context.close()


def test_plan_and_trends_pages(browser: Any, server: str) -> None:
    from tests.web.test_workbench_pages import IIP

    page = _signed_in(browser, server, "meti-viewer")
    page.goto("/plan?tab=incentives&country=JPN")
    assert page.locator("#plan-result table tbody tr").count() > 0
    _shot(page, "plan")
    _need(IIP)
    page.goto("/trends")
    page.select_option("#trends-form select[name=series]", "jp_iip_epd_shipments")
    page.click("#trends-form button[type=submit]")
    page.wait_for_selector("#trends-chart svg polyline")
    _shot(page, "trends")
    page.context.close()
