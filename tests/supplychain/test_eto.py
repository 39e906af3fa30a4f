"""The ETO loader on the real files of both vintages."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from pinchpoint.errors import DataError
from pinchpoint.supplychain.eto import detect_vintage, load_eto, parse_market_size
from pinchpoint.supplychain.model import InputKind, ProviderKind, RelationKind, SupplyChain


def _raw(path: Path, name: str) -> list[dict[str, str]]:
    with (path / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_current_vintage_loads_everything(eto_path: Path, eto_chain: SupplyChain) -> None:
    assert detect_vintage(eto_path) == "current"
    raw_inputs = _raw(eto_path, "inputs.csv")
    raw_prov = _raw(eto_path, "provision.csv")
    raw_seq = _raw(eto_path, "sequence.csv")
    assert len(eto_chain.inputs) == len(raw_inputs) == 126
    assert len(eto_chain.provisions) == len(raw_prov) == 1300  # nothing dropped
    n_edges = sum(bool(r["goes_into_id"]) + bool(r["is_type_of_id"]) for r in raw_seq)
    assert len(eto_chain.relations) == n_edges == 139
    kinds = Counter(r.kind for r in eto_chain.relations)
    assert kinds[RelationKind.GOES_INTO] == 53 and kinds[RelationKind.IS_TYPE_OF] == 86
    assert Counter(i.kind for i in eto_chain.inputs)[InputKind.OUTPUT] == 1
    assert eto_chain.years() == [2019, 2021, 2022, 2025]


def test_countries_become_iso3_and_aliases_merge(eto_chain: SupplyChain) -> None:
    countries = {p.id for p in eto_chain.providers if p.kind is ProviderKind.COUNTRY}
    assert {"USA", "JPN", "TWN", "NLD", "KOR", "CHN", "VAR", "EUR"} <= countries
    onto = eto_chain.provider_by_id["P139"]
    assert onto.name == "Onto Innovation"
    assert {"Rudolph Technologies", "Nanometrics"} <= set(onto.aliases)
    assert eto_chain.provider_by_id["P88"].home_country == "NLD"  # ASML


def test_current_vintage_findings_count_what_is_there(eto_path: Path, eto_chain: SupplyChain) -> None:
    raw_prov = _raw(eto_path, "provision.csv")
    found = {f.code: f.count for f in eto_chain.findings}
    assert found["blank-shares"] == sum(1 for r in raw_prov if not r["share_provided"]) == 246
    assert found["stage-level-rows"] == sum(1 for r in raw_prov if r["provided_id"].startswith("S")) == 21
    assert found["category-and-types-shares"] == 57  # SOURCES.md: 57 of 86 pairs
    assert found["stale-provider-names"] == 8  # SOURCES.md: 8 stale organisation names
    raw_providers = _raw(eto_path, "providers.csv")
    repeated = [k for k, n in Counter(r["provider_id"] for r in raw_providers).items() if n > 1]
    assert found["provider-aliases"] == len(repeated) == 4
    over = {e.split(":")[0] for f in eto_chain.findings if f.code == "shares-over-100" for e in f.examples}
    assert any(e.startswith("N84 2019") for e in over)  # EDA software, 102 after rounding


def test_first_release_loads(eto_v1_path: Path) -> None:
    assert detect_vintage(eto_v1_path) == "v1"
    chain = load_eto(eto_v1_path)
    assert chain.name == "eto-v1"
    assert len(chain.inputs) == 79
    assert len(chain.provisions) == len(_raw(eto_v1_path, "provision.csv")) == 660
    found = {f.code: f.count for f in chain.findings}
    assert found["assumed-year"] == 660
    assert found["non-iso-country"] == 1  # MAL -> MYS
    usa_design = [p for p in chain.provisions if p.provider == "USA" and p.input == "S1"]
    assert [p.share for p in usa_design] == [61.0]  # "61%" parsed
    negligible = [p for p in chain.provisions if p.note == "negligible market share"]
    assert len(negligible) == 73


def test_market_size_parsing() -> None:
    assert parse_market_size("$574.1 billion (2022)") == (574.1e9, 2022)
    assert parse_market_size("$56.2 billion (microprocessors) (2019)") == (56.2e9, 2019)
    assert parse_market_size("Over $70 billion (2019)") == (70e9, 2019)
    assert parse_market_size("n/a") == (None, None)


# Malformed input: one clear error each, naming file, row and field -------------------------
def _rewrite(path: Path, transform) -> None:  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    fields, rows = transform(fields, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_missing_column(eto_copy: Path) -> None:
    _rewrite(eto_copy / "provision.csv", lambda f, r: ([c for c in f if c != "share_provided"], r))
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    assert err.value.location.file.endswith("provision.csv")
    assert err.value.location.row == 1 and err.value.location.field == "share_provided"
    assert "missing column" in str(err.value)


def test_text_in_share(eto_copy: Path) -> None:
    def bad(f, rows):  # type: ignore[no-untyped-def]
        rows[9]["share_provided"] = "about half"
        return f, rows

    _rewrite(eto_copy / "provision.csv", bad)
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    loc = err.value.location
    assert (Path(loc.file).name, loc.row, loc.field) == ("provision.csv", 11, "share_provided")
    assert "'about half'" in str(err.value)


def test_duplicate_input_id(eto_copy: Path) -> None:
    def dup(f, rows):  # type: ignore[no-untyped-def]
        rows[5]["input_id"] = rows[2]["input_id"]
        return f, rows

    _rewrite(eto_copy / "inputs.csv", dup)
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    assert err.value.location.field == "input_id"
    assert "duplicate id" in str(err.value) and "first on row" in str(err.value)


def test_unknown_provider(eto_copy: Path) -> None:
    def unknown(f, rows):  # type: ignore[no-untyped-def]
        rows[100]["provider_id"] = "P99999"
        return f, rows

    _rewrite(eto_copy / "provision.csv", unknown)
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    assert err.value.location.field == "provider_id"
    assert "P99999" in str(err.value)
    assert err.value.location.row is not None and err.value.location.row > 100


def test_relation_cycle(eto_copy: Path) -> None:
    def cycle(f, rows):  # type: ignore[no-untyped-def]
        # The finished chip now goes into crystal growing furnaces: a cycle through the whole chain.
        rows.append({"input_name": "Finished logic chip", "input_id": "N99", "goes_into_name": "Crystal growing "
                     "furnaces", "goes_into_id": "N8", "is_type_of_name": "", "is_type_of_id": ""})
        return f, rows

    _rewrite(eto_copy / "sequence.csv", cycle)
    with pytest.raises(DataError) as err:
        load_eto(eto_copy)
    assert "relation cycle" in str(err.value)
    assert "N99" in str(err.value) and "N8" in str(err.value)
    assert Path(err.value.location.file).name == "sequence.csv"


def test_share_out_of_range(eto_copy: Path) -> None:
    def big(f, rows):  # type: ignore[no-untyped-def]
        rows[0]["share_provided"] = "140"
        return f, rows

    _rewrite(eto_copy / "provision.csv", big)
    with pytest.raises(DataError, match="outside 0-100") as err:
        load_eto(eto_copy)
    assert err.value.location.row == 2
