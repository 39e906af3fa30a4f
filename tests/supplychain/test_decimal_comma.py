"""A decimal comma ("1,3" as a European spreadsheet writes 1.3) is an error naming file, row and field, never read
as a thousands separator (13); a comma is read only in the strict 1,234,567 pattern, and never in a share."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from pinchpoint.analysis.concentration import concentration
from pinchpoint.errors import DataError
from pinchpoint.planning.measures import example_measures_path, load_measures
from pinchpoint.planning.registry import load_registry, read_awards, write_awards
from pinchpoint.supplychain.eto import load_eto
from pinchpoint.supplychain.native import load_native
from tests.supplychain.folders import write_csv_folder

# The trial's chain (docs/native-format.md, CSV folder spelling): wafer JPN 55, TWN 17, KOR 10, DEU 1.3, CHN 0.5.
WAFER = [("JPN", "55"), ("TWN", "17"), ("DEU", "1.3"), ("KOR", "10"), ("CHN", "0.5")]


def _folder(tmp_path: Path, wafer: list[tuple[str, str]], market_size: str = "12000000000") -> Path:
    folder = tmp_path / "mine"
    folder.mkdir(parents=True)
    (folder / "dataset.yaml").write_text("name: mine\n", encoding="utf-8")
    files = {
        "sources.csv": [("id", "citation"), ("s1", "Trial, Test figures (2026), p. 1")],
        "stages.csv": [("id", "name"), ("S1", "Fabrication")],
        "inputs.csv": [("id", "name", "kind", "stage", "market_size_usd", "market_size_year"),
                       ("wafer", "Silicon wafer", "material", "S1", market_size, "2024"),
                       ("chip", "Finished chip", "output", "", "", "")],
        "provisions.csv": [("provider", "input", "share", "year", "source", "note"),
                           *[(c, "wafer", s, "2024", "s1", "") for c, s in wafer]],
        "relations.csv": [("from", "to", "kind"), ("wafer", "chip", "goes_into")],
    }
    return write_csv_folder(folder, files)


def test_the_trial_file_is_refused_and_its_decimal_point_spelling_figures_by_hand(tmp_path: Path) -> None:
    comma = [(c, s.replace(".", ",")) for c, s in WAFER]  # "1,3" and "0,5", as the trial wrote them
    with pytest.raises(DataError):
        load_native(_folder(tmp_path / "comma", comma))  # the old reader: DEU 13, CHN 5, HHI 3,608, coverage 100
    row = concentration(load_native(_folder(tmp_path / "point", WAFER))).rows[0]
    # 55² + 17² + 10² + 1.3² + 0.5² = 3025 + 289 + 100 + 1.69 + 0.25; the group covers 83.8% (no rescaling)
    assert row["hhi"] == pytest.approx(3415.94)
    assert row["coverage"] == pytest.approx(83.8)
    assert (row["cr1"], row["share_eu27"], row["share_concern"]) == (55.0, pytest.approx(1.3), pytest.approx(0.5))


@pytest.mark.parametrize("text", ["1,3", "1,3%", "1,300"])
def test_a_comma_in_a_csv_share_names_file_row_and_field(tmp_path: Path, text: str) -> None:
    wafer = [(c, text if c == "DEU" else s) for c, s in WAFER]
    folder = _folder(tmp_path, wafer)
    with pytest.raises(DataError) as err:
        load_native(folder)  # the old reader took "1,3" for 13 and "1,300" for 1300 (then out of range)
    loc = err.value.location
    assert (loc.file, loc.row, loc.field) == (str(folder / "provisions.csv"), 4, "share")
    assert "decimal comma is not read" in str(err.value)
    if text == "1,3":
        assert "write 1.3, not 1,3" in str(err.value)


def test_a_comma_in_a_yaml_share_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text(
        "name: tiny\n"
        "inputs:\n"
        "  - {id: wafer, name: Silicon wafer, kind: material}\n"
        "provisions:\n"
        "  - {provider: JPN, input: wafer, share: 76, year: 2021}\n"
        "  - {provider: TWN, input: wafer, share: \"1,5\", year: 2021}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_native(path)  # the old reader took it for 15 (HHI 6,001 = 76² + 15²)
    loc = err.value.location
    assert (loc.row, loc.field) == (6, "share")
    assert "write 1.5, not 1,5" in str(err.value)


def test_a_thousands_separator_is_read_only_in_its_strict_pattern(tmp_path: Path) -> None:
    chain = load_native(_folder(tmp_path / "a", WAFER, market_size="12,000,000,000"))
    assert chain.input_by_id["wafer"].market_size_usd == 12e9
    with pytest.raises(DataError) as err:
        load_native(_folder(tmp_path / "b", WAFER, market_size="12,5"))  # the old reader: 125 dollars
    assert (err.value.location.row, err.value.location.field) == (2, "market_size_usd")
    assert "write 12.5, not 12,5" in str(err.value)


def test_eto_share_with_a_decimal_comma_is_an_error(eto_copy: Path) -> None:
    path = eto_copy / "provision.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    k = next(i for i, r in enumerate(rows) if r["share_provided"] and float(r["share_provided"]) < 10)
    rows[k]["share_provided"] = rows[k]["share_provided"].replace(".", ",") if "." in rows[k]["share_provided"] \
        else rows[k]["share_provided"] + ",5"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    assert (err.value.location.row, err.value.location.field) == (k + 2, "share_provided")
    assert "decimal comma" in str(err.value)


def test_a_planning_capacity_with_a_decimal_comma_is_an_error(tmp_path: Path) -> None:
    rows = yaml.safe_load(example_measures_path().read_text(encoding="utf-8"))
    rows = rows["measures"] if isinstance(rows, dict) else rows
    k = next(i for i, r in enumerate(rows) if r.get("capacity"))
    rows[k]["capacity"] = "0,05"  # 5% of world supply; the old reader took it for 5 (500%)
    path = tmp_path / "measures.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({c for r in rows for c in r}))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as err:
        load_measures(path)
    assert (err.value.location.row, err.value.location.field) == (k + 2, "capacity")
    assert "write 0.05, not 0,05" in str(err.value)


def test_an_award_amount_with_a_decimal_comma_is_an_error(tmp_path: Path) -> None:
    registry = load_registry()
    path = write_awards(registry.awards[:3], tmp_path / "awards.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[1]["amount"] = "6,6"  # the old reader: 66
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as err:
        read_awards(path, programmes=[p.id for p in registry.programmes], projects=registry.project_ids)
    assert (err.value.location.row, err.value.location.field) == (3, "amount")
    assert "write 6.6, not 6,6" in str(err.value)
