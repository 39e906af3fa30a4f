"""The native format: YAML and CSV spellings load the same chain; bad input names file, row and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pinchpoint.errors import DataError
from pinchpoint.supplychain.load import detect_format, load_path
from pinchpoint.supplychain.model import InputKind, Mode, ProviderKind
from pinchpoint.supplychain.native import load_native

TINY = """\
name: tiny
title: A two-tier example
sources:
  - id: s1
    citation: "Example Org, Example Report (2024), p. 3"
stages:
  - {id: S1, name: Fabrication}
inputs:
  - {id: wafer, name: Silicon wafer, kind: material, stage: S1, market_size_usd: 1.2e10, market_size_year: 2021,
     source: s1}
  - {id: resist, name: Photoresist, kind: material, stage: S1}
  - {id: alt_resist, name: Other resist, kind: material, stage: S1}
  - {id: chip, name: Chip, kind: output}
providers:
  - {id: shinetsu, name: Shin-Etsu Chemical, country: JPN, aliases: [Shin-Etsu]}
provisions:
  - {provider: JPN, input: wafer, share: 56, year: 2021, source: s1}
  - {provider: TWN, input: wafer, share: 44, year: 2021, source: s1}
  - {provider: shinetsu, input: wafer, share: 30, year: 2021, source: s1}
  - {provider: JPN, input: resist, share: 90, year: 2021, source: s1}
  - {provider: USA, input: resist, share: 10, year: 2021, source: s1}
  - {provider: KOR, input: alt_resist, share: 100, year: 2021, source: s1}
relations:
  - {from: wafer, to: chip, kind: goes_into}
  - {from: resist, to: chip, kind: goes_into, mode: substitute}
  - {from: alt_resist, to: chip, kind: goes_into, mode: substitute}
"""


def write_yaml(tmp_path: Path, text: str = TINY) -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def yaml_to_csv_folder(chain_path: Path, folder: Path) -> Path:
    """Spell the same dataset as a CSV folder, to check both spellings agree."""
    import yaml

    doc = yaml.safe_load(chain_path.read_text(encoding="utf-8"))
    folder.mkdir()
    (folder / "dataset.yaml").write_text(yaml.safe_dump({"name": doc["name"], "title": doc["title"]}))
    for key in ("sources", "stages", "inputs", "providers", "provisions", "relations"):
        rows = doc[key]
        cols = sorted({c for r in rows for c in r})
        with (folder / f"{key}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, cols)
            w.writeheader()
            for r in rows:
                w.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in r.items()})
    return folder


def test_yaml_loads_every_record(tmp_path: Path) -> None:
    chain = load_native(write_yaml(tmp_path))
    assert chain.name == "tiny"
    assert [i.id for i in chain.inputs] == ["wafer", "resist", "alt_resist", "chip"]
    assert chain.input("wafer").market_size_usd == 1.2e10
    assert chain.input("chip").kind is InputKind.OUTPUT
    shinetsu = chain.provider_by_id["shinetsu"]
    assert shinetsu.home_country == "JPN" and shinetsu.aliases == ("Shin-Etsu",)
    # countries need no declaration: they are created from ISO3 codes
    assert chain.provider_by_id["TWN"].kind is ProviderKind.COUNTRY
    assert len(chain.provisions) == 6
    modes = {(r.source, r.target): r.mode for r in chain.relations}
    assert modes[("resist", "chip")] is Mode.SUBSTITUTE and modes[("wafer", "chip")] is Mode.COMPLEMENT
    assert detect_format(tmp_path / "chain.yaml") == "native-yaml"


def test_csv_folder_is_the_same_dataset(tmp_path: Path) -> None:
    from_yaml = load_native(write_yaml(tmp_path))
    folder = yaml_to_csv_folder(tmp_path / "chain.yaml", tmp_path / "csv")
    assert detect_format(folder) == "native-csv"
    from_csv = load_path(folder)
    assert {i.id: i.market_size_usd for i in from_csv.inputs} == {i.id: i.market_size_usd for i in from_yaml.inputs}
    assert sorted((p.provider, p.input, p.share) for p in from_csv.provisions) == sorted(
        (p.provider, p.input, p.share) for p in from_yaml.provisions)
    assert {(r.source, r.target, r.mode) for r in from_csv.relations} == {
        (r.source, r.target, r.mode) for r in from_yaml.relations}
    assert from_csv.provider_by_id["shinetsu"].aliases == ("Shin-Etsu",)


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("{provider: USA, input: resist, share: 10,", "{provider: USA, input: resist, share: ten,", "share",
     "expected a number"),
    ("{provider: KOR, input: alt_resist,", "{provider: XXQ, input: alt_resist,", "provider", "unknown provider"),
    ("{provider: JPN, input: resist,", "{provider: JPN, input: resits,", "input", "unknown input"),
    ("{id: alt_resist, name: Other resist, kind: material", "{id: resist, name: Other resist, kind: material",
     "id", "duplicate id"),
    ("kind: material, stage: S1}\n  - {id: chip", "kind: metal, stage: S1}\n  - {id: chip", "kind",
     "unknown kind"),
    ("{id: shinetsu, name: Shin-Etsu Chemical, country: JPN,", "{id: shinetsu, name: Shin-Etsu Chemical,",
     "country", "home country"),
    ("share: 56, year: 2021", "share: 156, year: 2021", "share", "outside 0-100"),
])
def test_bad_yaml_names_the_line_and_field(tmp_path: Path, old: str, new: str, field: str, words: str) -> None:
    assert old in TINY
    line = TINY[: TINY.index(old)].count("\n") + 1
    path = write_yaml(tmp_path, TINY.replace(old, new, 1))
    with pytest.raises(DataError) as info:
        load_native(path)
    err = info.value
    assert err.location.file == str(path)
    assert err.location.row == line
    assert err.location.field == field
    assert words in str(err)


def test_relation_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    text = TINY + "  - {from: chip, to: wafer, kind: goes_into}\n"
    with pytest.raises(DataError, match="relation cycle") as info:
        load_native(write_yaml(tmp_path, text))
    assert "wafer" in str(info.value) and "chip" in str(info.value)


def test_broken_yaml_syntax_names_the_line(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, TINY.replace("  - {id: S1, name: Fabrication}", "  - {id: S1, name: [Fab"))
    with pytest.raises(DataError, match="not valid YAML") as info:
        load_native(path)
    assert info.value.location.row is not None


def test_csv_folder_error_names_the_csv_line(tmp_path: Path) -> None:
    write_yaml(tmp_path)
    folder = yaml_to_csv_folder(tmp_path / "chain.yaml", tmp_path / "csv")
    text = (folder / "provisions.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = text[3].split(",")
    cells[header.index("share")] = "lots"
    text[3] = ",".join(cells)
    (folder / "provisions.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_path(folder)
    assert info.value.location.file.endswith("provisions.csv")
    assert info.value.location.row == 4
    assert info.value.location.field == "share"


def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    """A provisions block appended further down the file replaced the first one silently: photoresist's 90% JPN
    share (a chokepoint) was gone and validation found nothing."""
    text = TINY + "provisions:\n  - {provider: CHN, input: wafer, share: 10, year: 2021, source: s1}\n"
    first = TINY.splitlines().index("provisions:") + 1
    with pytest.raises(DataError, match="key 'provisions' is given twice") as info:
        load_native(write_yaml(tmp_path, text))
    second = len(TINY.splitlines()) + 1
    assert f"lines {first} and {second}" in str(info.value)
    assert info.value.location.row == second and info.value.location.field == "provisions"
    # inside a record too: {provider: JPN, provider: USA, ...}
    inner = TINY.replace("{provider: USA, input: resist,", "{provider: USA, provider: KOR, input: resist,")
    with pytest.raises(DataError, match="key 'provider' is given twice"):
        load_native(write_yaml(tmp_path, inner))


def test_unknown_top_level_key_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown top-level key") as info:
        load_native(write_yaml(tmp_path, TINY + "provisons: []\n"))
    assert info.value.location.field == "provisons"


def test_an_unquoted_comma_is_not_silently_lost(tmp_path: Path) -> None:
    text = TINY.replace("{id: S1, name: Fabrication}", "{id: S1, name: Assembly, test and packaging}")
    with pytest.raises(DataError, match="needs quotes") as info:
        load_native(write_yaml(tmp_path, text))
    assert info.value.location.field == "test and packaging"


def test_a_misspelt_field_is_refused(tmp_path: Path) -> None:
    old = "{provider: JPN, input: wafer, share: 56,"
    text = TINY.replace(old, "{provider: JPN, input: wafer, shares: 56, share: 5,")
    with pytest.raises(DataError, match="unknown field 'shares'") as info:
        load_native(write_yaml(tmp_path, text))
    assert info.value.location.row == TINY[: TINY.index("{provider: JPN, input: wafer")].count("\n") + 1
