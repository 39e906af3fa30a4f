"""Exposure by organisation and a country's import side, on the real ETO files."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pinchpoint.analysis.exposure import exposure, import_exposure
from pinchpoint.errors import NotFoundError
from pinchpoint.supplychain.model import SupplyChain


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def rows_of(stdout: str) -> list[dict[str, Any]]:
    data = json.loads(stdout)
    return data["rows"] if isinstance(data, dict) else data


def latest_shares(eto_path: Path, kind: str) -> dict[str, dict[str, float]]:
    """input id -> provider name -> share, latest year with shares, for providers of ``kind`` (from the files)."""
    kinds = {r["provider_id"]: r["provider_type"] for r in read(eto_path / "providers.csv")}
    by_year: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in read(eto_path / "provision.csv"):
        if r["share_provided"].strip() and kinds.get(r["provider_id"]) == kind:
            by_year[r["provided_id"]][int(r["year"])][r["provider_name"]] = float(r["share_provided"])
    return {i: years[max(years)] for i, years in by_year.items()}


def test_organisation_exposure_finds_the_sole_euv_maker(eto_chain: SupplyChain, eto_path: Path) -> None:
    euv = latest_shares(eto_path, "organization")["N20"]
    sole = [name for name, share in euv.items() if share == 100.0]
    assert len(sole) == 1  # ASML, per provision.csv
    table = exposure(eto_chain, level="organisation")
    row = next(r for r in table.rows if r["organisation_name"] == sole[0])
    assert row["dependence"] == pytest.approx(1.0) and "EUV lithography tools" in row["critical_inputs"]
    organisations = {p.id for p in eto_chain.providers if p.kind.value == "organisation"}
    assert table.rows and all(r["organisation"] in organisations for r in table.rows)
    assert table.caveats


def test_import_side_exposure_of_japan(eto_chain: SupplyChain, eto_path: Path) -> None:
    countries = latest_shares(eto_path, "country")
    sequence = read(eto_path / "sequence.csv")
    feeds: dict[str, list[str]] = defaultdict(list)
    for r in sequence:
        if r["goes_into_id"]:
            feeds[r["goes_into_id"]].append(r["input_id"])
    table = import_exposure(eto_chain, "Japan")
    assert table.meta["country"] == "JPN" and all(r["supplier"] != "JPN" for r in table.rows)
    rows = {(r["input_id"], r["supplier"]): r for r in table.rows}
    # Wafer (N26): Japan's share from provision.csv; a furnace that goes into it has a sole foreign maker
    wafer_share = countries["N26"]["JPN"]
    sole = {next(iter(countries[c])) for c in feeds["N26"] if c in countries and list(countries[c].values()) == [100.0]}
    assert sole and "JPN" not in sole
    for supplier in sole:
        row = rows[("N26", supplier)]
        assert row["own_share"] == pytest.approx(wafer_share) and row["dependence"] == pytest.approx(1.0)
        assert row["lost_share_of_world"] == pytest.approx(wafer_share)
    # only what goes into an input counts: inputs with nothing listed going into them have no rows
    assert not [r for r in table.rows if not feeds[r["input_id"]]]
    with pytest.raises(NotFoundError, match="did you mean JPN") as info:
        import_exposure(eto_chain, "JNP")
    assert info.value.suggestions[0] == "JPN"


def test_cli_exposure_levels(eto_path: Path) -> None:
    from pinchpoint.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["exposure", "-d", str(eto_path), "--level", "organisation", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert {"organisation", "organisation_name", "dependence"} <= set(rows_of(result.stdout)[0])
    result = runner.invoke(app, ["exposure", "-d", str(eto_path), "--country", "JPN", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert {"input_id", "supplier", "lost_share_of_world"} <= set(rows_of(result.stdout)[0])
    result = runner.invoke(app, ["exposure", "-d", str(eto_path), "--target", "Finished logic chp"])
    assert result.exit_code == 2 and "did you mean N99" in result.stderr
