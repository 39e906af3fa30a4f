"""A user's own native files (docs/native-format.md): a byte that is not UTF-8 is named on its row and field, shares
written as fractions of 1 are refused, a relation cycle names the row that closes it (trial 11, F8 and F17)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.analysis import concentration
from pinchpoint.errors import DataError
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.supplychain.load import load_chain
from pinchpoint.supplychain.model import (
    Input,
    InputKind,
    Provider,
    ProviderKind,
    Provision,
    Relation,
    RelationKind,
    SupplyChain,
)
from pinchpoint.supplychain.native import load_native
from pinchpoint.supplychain.quality import assess

# The trial's own chain (its mychain folder), in the documented CSV spelling.
INPUTS = [("id", "name", "kind", "stage"), ("wafer", "Silicon wafer", "material", "S1"),
          ("resist", "Photoresist", "material", "S1"), ("litho", "Lithography scanner", "tool", "S1"),
          ("fab", "Wafer fabrication", "process", "S1"), ("chip", "Finished chip", "output", "")]
PROVIDERS = [("id", "name", "kind", "country"), ("shinetsu", "Shin-Etsu Chemical", "organisation", "JPN"),
             ("sumco", "SUMCO", "organisation", "JPN"), ("gw", "GlobalWafers", "organisation", "TWN"),
             ("skssiltron", "SK Siltron", "organisation", "KOR"), ("asml", "ASML", "organisation", "NLD"),
             ("nikon", "Nikon", "organisation", "JPN"), ("canon", "Canon", "organisation", "JPN"),
             ("siltronic", "Siltronic AG", "organisation", "DEU")]
SHARES = [("JPN", "wafer", 55), ("TWN", "wafer", 17), ("DEU", "wafer", 13), ("KOR", "wafer", 10), ("CHN", "wafer", 5),
          ("JPN", "resist", 90), ("USA", "resist", 5), ("KOR", "resist", 5), ("NLD", "litho", 85),
          ("JPN", "litho", 15), ("TWN", "fab", 60), ("KOR", "fab", 20), ("CHN", "fab", 10), ("USA", "fab", 10),
          ("shinetsu", "wafer", 30), ("sumco", "wafer", 25), ("gw", "wafer", 17), ("siltronic", "wafer", 13),
          ("skssiltron", "wafer", 10), ("asml", "litho", 85), ("nikon", "litho", 15)]
RELATIONS = [("from", "to", "kind"), ("wafer", "fab", "goes_into"), ("resist", "fab", "goes_into"),
             ("litho", "fab", "goes_into"), ("fab", "chip", "goes_into")]


def _chain(folder: Path, *, shares: list[tuple[str, str, object]] = SHARES,
           relations: list[tuple[str, ...]] = RELATIONS) -> Path:
    folder.mkdir(parents=True)
    files: dict[str, list[tuple[object, ...]]] = {
        "stages.csv": [("id", "name"), ("S1", "Fabrication")], "inputs.csv": list(INPUTS),
        "providers.csv": list(PROVIDERS), "relations.csv": list(relations),
        "provisions.csv": [("provider", "input", "share", "year", "source"),
                           *[(p, i, s, 2024, "") for p, i, s in shares]],
    }
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def test_a_byte_that_is_not_utf8_is_named_on_its_row_and_field(tmp_path: Path) -> None:
    folder = _chain(tmp_path / "enc")
    path = folder / "providers.csv"
    data = path.read_bytes().replace(b"Siltronic AG", "Siltr\xf6nic AG".encode("cp1252"))
    path.write_bytes(data)  # a spreadsheet's "CSV" in Windows-1252: the header and 8 rows above are fine
    row = next(n for n, line in enumerate(data.splitlines(), 1) if b"\xf6" in line)
    with pytest.raises(DataError) as err:
        load_native(folder)  # the old reader: "row 1: cannot read the header: not UTF-8 CSV (... position 311...)"
    loc = err.value.location
    assert (loc.file, loc.row, loc.field) == (str(path), row, "name") and row == 9
    offset = data.index(b"\xf6")
    assert f"byte {offset:,} of the file, {data[offset:offset + 1]!r}" in str(err.value)
    assert "Siltr\ufffdnic AG" in str(err.value)


def test_a_byte_that_is_not_utf8_in_the_header_is_named_there(tmp_path: Path) -> None:
    folder = _chain(tmp_path / "enc")
    path = folder / "stages.csv"
    path.write_bytes(path.read_bytes().replace(b"name", "nam\xe9".encode("cp1252"), 1))
    with pytest.raises(DataError, match=r"not UTF-8 text .*in the header") as err:
        load_native(folder)
    assert (err.value.location.file, err.value.location.row) == (str(path), 1)


def test_shares_written_as_fractions_are_refused_naming_the_groups(tmp_path: Path) -> None:
    fractions = [(p, i, f"{s / 100:g}") for p, i, s in SHARES]  # 0.55, 0.17...: every group sums to 1
    folder = _chain(tmp_path / "frac", shares=fractions)
    with pytest.raises(DataError) as err:
        load_native(folder)  # the old loader: "no chokepoints; the largest top share is 0.9%"
    message = str(err.value)
    assert err.value.location.field == "share" and err.value.location.row == 2
    assert "look like fractions of 1" in message and "write 55, not 0.55" in message
    assert "wafer 2024 country 1 (rows 2, 3, 4, 5, 6)" in message
    chain = load_native(_chain(tmp_path / "pct"))  # the same figures as percentages load
    assert all(f.code != "shares-look-like-fractions" for f in chain.findings)


def test_shares_of_about_one_percent_with_a_percent_sign_load(tmp_path: Path) -> None:
    one = [("JPN", "wafer", "0.6%"), ("KOR", "wafer", "0.4%"), ("TWN", "fab", "1%")]
    chain = load_native(_chain(tmp_path / "one", shares=one))
    assert sorted(pv.share or 0.0 for pv in chain.provisions) == [0.4, 0.6, 1.0]


def test_a_chain_of_fractions_from_elsewhere_is_a_finding_and_a_caveat() -> None:
    chain = SupplyChain(  # a dataset stored before the loader refused fractions, or built in code
        name="frac", inputs=(Input(id="fab", name="Fab", kind=InputKind.PROCESS),
                             Input(id="chip", name="Chip", kind=InputKind.OUTPUT)),
        providers=(Provider(id="TWN", name="Taiwan", kind=ProviderKind.COUNTRY),
                   Provider(id="KOR", name="Korea", kind=ProviderKind.COUNTRY)),
        provisions=(Provision(provider="TWN", input="fab", share=0.6, year=2024),
                    Provision(provider="KOR", input="fab", share=0.4, year=2024)),
        relations=(Relation(source="fab", target="chip", kind=RelationKind.GOES_INTO),))

    assert "shares-look-like-fractions" in {f.code for f in assess(chain)}
    assert any("look like fractions of 1" in c for c in concentration(chain).meta["caveats"])


def test_published_data_are_not_fractions(eto_path: Path) -> None:
    for chain in (load_chain("builtin"), load_eto(eto_path)):
        assert "shares-look-like-fractions" not in {f.code for f in assess(chain)}
        assert not any("fractions" in c for c in concentration(chain).meta["caveats"])


def test_a_relation_cycle_names_the_row_that_closes_it_and_every_row_in_it(tmp_path: Path) -> None:
    folder = _chain(tmp_path / "cyc", relations=[*RELATIONS, ("chip", "wafer", "goes_into")])
    with pytest.raises(DataError) as err:
        load_native(folder)  # the old loader: "row 2, field 'to': relation cycle wafer -> fab -> chip -> wafer"
    loc = err.value.location
    assert (loc.file, loc.row, loc.field) == (str(folder / "relations.csv"), 6, "to")
    assert "closed by chip -> wafer" in str(err.value)
    assert "row 2 wafer -> fab, row 5 fab -> chip, row 6 chip -> wafer" in str(err.value)


def _edit(path: Path, row: int, column: str, value: str) -> None:
    """Set ``column`` of the record on line ``row`` (one line per record in these files)."""
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    records[row - 1][records[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(records)


def _places(err: DataError) -> list[tuple[str | None, int | None, str | None]]:
    return [(Path(p.file or "").name, p.row, p.field) for p in err.problems]


def test_every_bad_row_of_every_file_is_reported(tmp_path: Path) -> None:
    folder = _chain(tmp_path / "kind")
    _edit(folder / "inputs.csv", 4, "kind", "machine")  # litho: its provisions and relation are not blamed too
    _edit(folder / "provisions.csv", 10, "year", "20x4")
    _edit(folder / "relations.csv", 3, "to", "fabb")
    with pytest.raises(DataError) as err:
        load_native(folder)  # the old loader: the bad kind only
    assert _places(err.value) == [("inputs.csv", 4, "kind"), ("provisions.csv", 10, "year"),
                                  ("relations.csv", 3, "to")]
    assert "(and 2 more problems, in 3 files)" in str(err.value)


def test_an_unreadable_file_does_not_hide_the_others_or_blame_the_rows_naming_it(tmp_path: Path) -> None:
    folder = _chain(tmp_path / "enc")
    path = folder / "providers.csv"
    path.write_bytes(path.read_bytes().replace(b"Siltronic AG", "Siltr\xf6nic AG".encode("cp1252")))
    _edit(folder / "inputs.csv", 4, "kind", "machine")
    with pytest.raises(DataError) as err:
        load_native(folder)
    # not "unknown provider 'asml'" nor "gw" read as Guinea-Bissau's shares: only the two real problems
    assert _places(err.value) == [("inputs.csv", 4, "kind"), ("providers.csv", 9, "name")]


def test_every_bad_item_of_a_yaml_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text("name: tiny\ninputs:\n  - {id: wafer, name: Wafer, kind: metal}\n  - {id: chip, kind: output}\n"
                    "provisions:\n  - {provider: JPN, input: wafer, share: 5x, year: 2021}\n"
                    "relations:\n  - {from: wafer, to: chip, kind: goes_into}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_native(path)
    assert _places(err.value) == [("chain.yaml", 3, "kind"), ("chain.yaml", 4, "name"), ("chain.yaml", 6, "share")]


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    from pinchpoint.supplychain.native import MAX_PROBLEMS

    many = [("JPN", "wafer", "x") for _ in range(MAX_PROBLEMS + 30)]  # a column of text
    with pytest.raises(DataError) as err:
        load_native(_chain(tmp_path / "many", shares=many))
    problems = err.value.problems
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1].message == "... and 30 more"
    assert f"(and {MAX_PROBLEMS + 29} more problems)" in str(err.value)


def test_validate_prints_every_problem(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    folder = _chain(tmp_path / "kind")
    _edit(folder / "inputs.csv", 4, "kind", "machine")
    _edit(folder / "provisions.csv", 10, "year", "20x4")
    result = CliRunner().invoke(app, ["data", "validate", str(folder)])
    assert result.exit_code == 2
    assert f"{folder / 'inputs.csv'}, row 4, field 'kind': unknown kind 'machine'" in result.output
    assert f"{folder / 'provisions.csv'}, row 10, field 'year': expected a whole number, found '20x4'" in result.output


def test_findings_name_the_file_and_rows_of_each_example(tmp_path: Path) -> None:
    shares = [*SHARES[:-2], ("asml", "litho", 80)]  # litho's organisations sum to 80; nikon's row gone
    folder = _chain(tmp_path / "rows", shares=shares, relations=RELATIONS[:-1])  # fab -> chip gone
    chain = load_native(folder)
    examples = {f.code: f.examples for f in chain.findings}
    with (folder / "provisions.csv").open(encoding="utf-8", newline="") as fh:
        rows = [n for n, rec in enumerate(csv.reader(fh), 1) if rec[:2] == ["asml", "litho"]]
    assert "litho 2024 organisation: 80 (provisions.csv row " + str(rows[0]) + ")" in examples["shares-under-100"]
    wafer = [n for n, (p, i, _) in enumerate(shares, 2) if i == "wafer" and p.islower()]
    assert ("wafer 2024 organisation: 95 (provisions.csv rows " + ", ".join(map(str, wafer)) + ")"
            in examples["shares-under-100"])
    assert examples["unconnected-inputs"][0] == "wafer (inputs.csv row 2)"
    assert examples["unsourced-shares"][0] == "JPN wafer 2024 (provisions.csv row 2)"


def test_findings_of_a_yaml_file_name_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text("name: tiny\ninputs:\n  - {id: wafer, name: Wafer, kind: material}\n"
                    "  - {id: chip, name: Chip, kind: output}\nprovisions:\n"
                    "  - {provider: JPN, input: wafer, share: 50, year: 2021}\n"
                    "  - {provider: KOR, input: wafer, share: 20, year: 2021}\n"
                    "relations:\n  - {from: wafer, to: chip, kind: goes_into}\n", encoding="utf-8")
    examples = {f.code: f.examples for f in load_native(path).findings}
    assert examples["shares-under-100"] == ("wafer 2021 country: 70 (chain.yaml lines 6, 7)",)


def test_eto_cycle_names_the_appended_row_and_findings_name_rows(eto_copy: Path, eto_path: Path) -> None:
    path = eto_copy / "sequence.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        n_records = sum(1 for _ in csv.reader(fh))
    with path.open("a", encoding="utf-8", newline="") as fh:  # the finished chip goes into crystal growing furnaces
        csv.writer(fh).writerow(["Finished logic chip", "N99", "Crystal growing furnaces", "N8", "", ""])
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)  # the old loader: the row of the cycle's first relation, whichever it was
    assert (err.value.location.row, err.value.location.field) == (n_records + 1, "goes_into_id")
    assert "closed by N99 -> N8 on this row" in str(err.value)
    chain = load_eto(eto_path)
    examples = {f.code: f.examples for f in chain.findings}
    with (eto_path / "provision.csv").open(encoding="utf-8-sig", newline="") as fh:
        blank = [(n, rec["year"].strip()) for n, rec in enumerate(csv.DictReader(fh), 2)
                 if not rec["share_provided"].strip()]
    year = blank[0][1]
    rows = [n for n, y in blank if y == year]
    shown = ", ".join(str(n) for n in rows[:8])
    assert any(e.startswith(f"{year}: {len(rows)} (provision.csv rows {shown}") for e in examples["blank-shares"])
