"""The CLI end to end on the real ETO files: keys of JSON records, exports, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_concentration_json_records(eto_path: Path) -> None:
    code, out, _ = run("concentration", "--dataset", str(eto_path), "--format", "json")
    assert code == 0
    records = json.loads(out)["rows"]
    assert isinstance(records, list) and len(records) > 90
    required = {"input_id", "input_name", "year", "level", "hhi", "cr1", "cr3", "top_provider", "top_share",
                "n_providers"}
    assert required <= set(records[0])
    euv = next(r for r in records if r["input_id"] == "N20")
    assert euv["top_provider"] == "NLD" and euv["hhi"] == 10000


def test_chokepoints_and_exposure_json(eto_path: Path) -> None:
    code, out, _ = run("chokepoints", "-d", str(eto_path), "-f", "json", "--threshold", "90")
    assert code == 0
    records = json.loads(out)["rows"]
    assert {"input_id", "input_name", "top_provider", "top_share", "feeds"} <= set(records[0])
    assert all(r["top_share"] >= 90 for r in records)
    assert "Finished logic chip" in next(r for r in records if r["input_id"] == "N20")["feeds"]
    code, out, _ = run("exposure", "-d", str(eto_path), "-f", "json")
    assert code == 0
    records = json.loads(out)["rows"]
    assert {"country", "dependence", "critical_inputs"} <= set(records[0])
    assert all(len(r["country"]) == 3 for r in records)  # countries print as ISO3


def test_organisation_level_and_year(eto_path: Path) -> None:
    code, out, _ = run("concentration", "-d", str(eto_path), "--level", "organisation", "--year", "2021",
                       "-f", "json")
    assert code == 0
    records = json.loads(out)["rows"]
    assert records and all(r["year"] == 2021 and r["level"] == "organisation" for r in records)


def test_a_format_the_output_name_contradicts_is_refused(eto_path: Path, tmp_path: Path) -> None:
    # `-f json -o conc.csv` wrote JSON into a .csv file with no word (trial 11): a spreadsheet opened one column
    code, _, err = run("concentration", "-d", str(eto_path), "-f", "json", "-o", str(tmp_path / "conc.csv"))
    assert code == 2 and "conc.csv ends in .csv but the format asked for is json" in err
    assert not list(tmp_path.iterdir())
    code, _, err = run("concentration", "-d", str(eto_path), "-f", "csv", "-o", str(tmp_path / "conc.out"))
    assert code == 0 and (tmp_path / "conc.out").read_text(encoding="utf-8").startswith("input_id,")


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_every_result_exports(eto_path: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"conc.{suffix}"
    code, _, err = run("concentration", "-d", str(eto_path), "--output", str(out))
    assert code == 0 and out.exists() and "wrote" in err
    if suffix == "csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        n, first = len(rows), rows[0]["input_id"]
    elif suffix == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
        n, first = len(rows), rows[0]["input_id"]
    else:
        n = duckdb.sql(f"SELECT count(*) FROM '{out}'").fetchall()[0][0]
        first = duckdb.sql(f"SELECT input_id FROM '{out}' LIMIT 1").fetchall()[0][0]
    code, out_json, _ = run("concentration", "-d", str(eto_path), "-f", "json")
    reference = json.loads(out_json)["rows"]
    assert n == len(reference) and first == reference[0]["input_id"]


def test_validate_prints_findings_with_counts(eto_path: Path) -> None:
    code, out, _ = run("data", "validate", str(eto_path), "-f", "json")
    assert code == 0
    findings = {f["code"]: f["count"] for f in json.loads(out)["rows"]}
    assert findings["blank-shares"] == 246
    assert findings["stage-level-rows"] == 21


def test_bad_input_is_one_line_without_traceback(eto_copy: Path) -> None:
    path = eto_copy / "provision.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[1]]))
    row[header.index("share_provided")] = "plenty"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    path.write_text("".join([lines[0], out.getvalue(), *lines[2:]]), encoding="utf-8")
    code, _, err = run("concentration", "-d", str(eto_copy))
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err
    assert "provision.csv" in err and "row 2" in err and "share_provided" in err


def test_import_list_and_use_a_workspace_dataset(eto_path: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    code, out, _ = run("data", "import", str(eto_path), "--name", "eto", "--workspace", str(ws))
    assert code == 0 and "imported" in out
    code, out, _ = run("data", "import", str(eto_path), "--name", "eto", "--workspace", str(ws))
    assert "already imported" in out
    code, out, _ = run("data", "list", "--workspace", str(ws), "-f", "json")
    assert [d["name"] for d in json.loads(out)["rows"]] == ["eto"]
    code, out, _ = run("chokepoints", "-d", "eto", "--workspace", str(ws), "-f", "json")
    assert code == 0 and any(r["input_id"] == "N20" for r in json.loads(out)["rows"])
    code, _, err = run("chokepoints", "-d", "nope", "--workspace", str(ws))
    assert code == 2 and "no dataset 'nope'" in err


def test_fetch_offline_from_a_local_copy(eto_path: Path, tmp_path: Path) -> None:
    code, out, _ = run("data", "fetch", "eto", "--from", str(eto_path), "--dest", str(tmp_path / "dl"),
                       "--workspace", str(tmp_path / "ws"))
    assert code == 0 and "126 inputs" in out
    assert (tmp_path / "dl" / "provision.csv").exists()


def test_parquet_to_stdout_is_refused(eto_path: Path) -> None:
    code, _, err = run("concentration", "-d", str(eto_path), "-f", "parquet")
    assert code == 2 and "--output" in err


def test_every_output_records_command_and_caveats(eto_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """JSON, CSV (file and stdout) and terminal tables carry the command line and the caveats."""
    from pinchpoint.analysis import concentration
    from pinchpoint.cli.output import OutputFormat, emit
    from pinchpoint.supplychain.eto import load_eto

    argv = ["pinchpoint", "concentration", "-d", str(eto_path)]
    monkeypatch.setattr("sys.argv", argv)
    table = concentration(load_eto(eto_path)).with_caveats("Firm shares are estimates.")
    emit(table, OutputFormat.JSON, None)
    doc = json.loads(capsys.readouterr().out)
    assert doc["meta"]["command"] == "pinchpoint concentration -d " + str(eto_path)
    assert doc["meta"]["dataset"] == table.meta["dataset"] and doc["meta"]["caveats"] == list(table.caveats)
    assert doc["meta"]["caveats"][-1] == "Firm shares are estimates."
    assert len(doc["rows"]) == len(table)
    emit(table, OutputFormat.CSV, None)
    out, err = capsys.readouterr()
    assert len(list(csv.DictReader(io.StringIO(out)))) == len(table)
    assert "# command: pinchpoint concentration" in err and "# caveat: Firm shares are estimates." in err
    emit(table, None, tmp_path / "c.csv")
    sidecar = json.loads((tmp_path / "c.csv.meta.json").read_text(encoding="utf-8"))
    assert sidecar["meta"]["command"].startswith("pinchpoint concentration")
    assert sidecar["meta"]["caveats"] == list(table.caveats)
    emit(table, None, None, columns=["input_id", "hhi"])
    assert "caveat: Firm shares are estimates." in capsys.readouterr().out


def test_cli_json_is_an_object_with_the_command(eto_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["chokepoints", "-d", str(eto_path), "-f", "json"]
    monkeypatch.setattr("sys.argv", ["pinchpoint", *args])  # what the shell would pass
    code, out, _ = run(*args)
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"table", "meta", "columns", "rows"} and doc["table"] == "chokepoints"
    assert doc["meta"]["command"].startswith("pinchpoint chokepoints") and isinstance(doc["meta"]["caveats"], list)
    assert doc["meta"]["dataset"] and list(doc["rows"][0]) == doc["columns"]


def test_piped_table_is_full_width_with_whole_headers(eto_path: Path) -> None:
    """Not a terminal (CliRunner, like a pipe): one line per row, headers and names whole, no 80-column folding."""
    code, out, _ = run("concentration", "-d", str(eto_path), "--level", "organisation")
    assert code == 0
    code, out_json, _ = run("concentration", "-d", str(eto_path), "--level", "organisation", "-f", "json")
    doc = json.loads(out_json)
    body = [line for line in out.splitlines() if line.startswith("│")]
    assert len(body) == len(doc["rows"])  # one line per row: nothing folded onto a second line
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == [
        "input_id", "input_name", "year", "hhi", "cr1", "cr3", "top_provider", "top_share", "n_providers",
        "share_chip4", "share_concern"]
    longest = max(doc["rows"], key=lambda r: len(r["input_name"]))
    assert any(longest["input_name"] in line and longest["input_id"] in line for line in body)
    assert max(len(line) for line in out.splitlines()) > 80


@pytest.mark.parametrize("args", [["concentration"], ["chokepoints"], ["exposure"], ["data", "validate"],
                                  ["scenarios", "list"], ["stress", "taiwan_blockade"], ["data", "list"]])
def test_json_output_starts_with_the_object(eto_path: Path, tmp_path: Path, args: list[str]) -> None:
    extra = [str(eto_path)] if args == ["data", "validate"] else \
        ["-d", str(eto_path)] if args[0] in ("concentration", "chokepoints", "exposure") else \
        ["--workspace", str(tmp_path / "ws")] if args == ["data", "list"] else []
    code, out, err = run(*args, *extra, "-f", "json")
    assert code == 0, err
    assert out.startswith("{") and isinstance(json.loads(out)["rows"], list)


def test_terminal_table_shows_bracketed_names_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Rich markup in a cell ("[bold]", "[/]") used to vanish or raise; names are shown exactly."""
    from pinchpoint.cli.output import print_table
    from pinchpoint.results import ResultTable

    names = ["[bold]Acme[/bold] Ltd", "Trading [/] Co", "[OAO] Zavod"]
    print_table(ResultTable.from_records("t", [{"name": n, "score": 0.9} for n in names]), title="[red]x")
    out = capsys.readouterr().out
    assert all(n in out for n in names) and "[red]x" in out


def test_empty_table_still_shows_its_caveats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pinchpoint.cli.output import emit
    from pinchpoint.results import ResultTable

    table = ResultTable.from_records("t", [], ["a"]).with_caveats("Only 2021 shares were loaded.")
    emit(table, None, None)
    assert "caveat: Only 2021 shares were loaded." in capsys.readouterr().err
    emit(table, None, tmp_path / "t.csv")
    assert "t.csv.meta.json" in capsys.readouterr().err


def test_report_folders_take_the_usual_output_option(tmp_path: Path) -> None:
    # Every other command writes with -o/--output; the report commands took only --out ("No such option: -o").
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    result = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "index.html").exists() or any((tmp_path / "demo").glob("*.html"))


def test_the_command_to_reproduce_names_the_dataset_version(eto_path: Path, eto_v1_path: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """meta.command is the command as typed (``-d eto``); after the dataset is imported again it gives other figures.
    meta.reproduce pins the version the result was computed on, and running it gives the same figures."""
    import shlex
    import sys

    def run(*args: str) -> tuple[int, str, str]:  # as typed at a shell: the command line is what the CLI records
        monkeypatch.setattr(sys, "argv", ["pinchpoint", *args])
        result = runner.invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    ws = tmp_path / "ws"
    assert run("data", "import", str(eto_path), "--name", "eto", "--workspace", str(ws))[0] == 0
    code, out, _ = run("concentration", "-d", "eto", "--workspace", str(ws), "-f", "json")
    first = json.loads(out)
    version = first["meta"]["dataset_version"]
    assert first["meta"]["command"].endswith("concentration -d eto --workspace " + str(ws) + " -f json")
    assert f"-d eto@{version} " in first["meta"]["reproduce"]
    assert run("data", "import", str(eto_v1_path), "--name", "eto", "--workspace", str(ws))[0] == 0
    code, out, _ = run("concentration", "-d", "eto", "--workspace", str(ws), "-f", "json")
    assert json.loads(out)["rows"] != first["rows"]  # the name now means the other release
    code, out, _ = run(*shlex.split(first["meta"]["reproduce"])[1:])
    again = json.loads(out)
    assert code == 0 and again["rows"] == first["rows"] and again["meta"]["dataset_version"] == version
    # a file or the built-in data names its content already: nothing to pin
    code, out, _ = run("concentration", "-f", "json")
    assert "reproduce" not in json.loads(out)["meta"]
