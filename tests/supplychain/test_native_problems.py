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
