"""The one country vocabulary on the real files: every country code or label in ../shared/data resolves or is
reported, the named groups hold what their citations say, and no group is written out in the code any more."""

from __future__ import annotations

import ast
import csv
import gzip
from datetime import date
from pathlib import Path

import pycountry
import pytest

from pinchpoint.errors import BadArgumentError, NotFoundError
from pinchpoint.kernel import countries
from pinchpoint.kernel.countries import (
    BACI_CODES,
    from_m49,
    from_name,
    group,
    group_members,
    groups,
    is_aggregate,
    known_code,
    normalise_country,
)
from tests.conftest import ETO, SHARED

TRADE = SHARED / "trade"
SRC = Path(__file__).resolve().parents[2] / "src" / "pinchpoint"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    return path


def _reported_values(problems: list[str]) -> str:
    return "\n".join(str(p) for p in problems)


def test_every_baci_code_resolves_or_is_reported() -> None:
    from pinchpoint.trade.adapters import read_baci

    folder = _need(TRADE / "baci-critical-materials")
    raw: set[str] = set()
    for f in sorted(folder.glob("baci_*.csv")):
        with f.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                raw.update((row["i"], row["j"]))
    unresolved = {c for c in raw if not known_code(BACI_CODES.get(c, c))}
    assert len(raw) > 200 and not unresolved, unresolved
    assert BACI_CODES["S19"] == "TWN" and "S19" in raw  # Taiwan is in the files as BACI's "Other Asia, nes"
    frame = read_baci([folder / "baci_2022.csv"])
    assert "TWN" in set(frame.columns["reporter"]) | set(frame.columns["partner"])
    assert not [p for p in frame.problems if "unknown country" in p]


def test_baci_country_table_agrees_with_the_m49_reading() -> None:
    # CEPII's own table pairs each numeric code with an ISO3 code: an independent check of from_m49
    table = _need(TRADE / "baci-critical-materials" / "country_codes_V202601.csv")
    with table.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    disagree = {}
    for row in rows:
        iso3 = BACI_CODES.get(row["country_iso3"], row["country_iso3"])
        got = from_m49(row["country_code"])
        if got != iso3:
            disagree[row["country_code"]] = (row["country_name"], iso3, got)
    # historic states (CSK, DDR, SUN, SCG, ANT...) have no current code: they are reported, never guessed;
    # 711 is SACU up to 1999 in BACI and South Africa in Comtrade's reading (where Comtrade uses it)
    historic = {k for k, (name, iso3, got) in disagree.items() if got is None and "..." in name}
    assert set(disagree) - historic <= {"711", "697", "849"}, disagree
    assert len(rows) - len(disagree) > 220  # the rest agree


def test_every_comtrade_code_resolves_or_is_reported() -> None:
    from pinchpoint.trade.adapters import read_comtrade

    files = sorted(_need(TRADE / "comtrade-raw").glob("*.csv.gz"))
    raw: set[str] = set()
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                raw.update((row["reporter"], row["partner"]))
    unresolved = {c for c in raw if from_m49(c) is None}
    frame = read_comtrade(files[:1])
    reported = _reported_values(frame.problems)
    assert all(f"'{c}'" in reported for c in unresolved), unresolved
    assert from_m49("490") == "TWN" and from_m49("0") == "WLD" and is_aggregate("WLD")


def test_every_comtrade_legacy_code_resolves() -> None:
    f = _need(TRADE / "comtrade-legacy" / "comtrade_2021-08-16_848620_903082_903141_2016-2020.csv")
    with f.open(encoding="utf-8-sig") as fh:
        pairs = {(r[f"{side} ISO"].strip(), r[f"{side} Code"]) for r in csv.DictReader(fh)
                 for side in ("Reporter", "Partner")}
    assert len(pairs) > 150
    assert not [p for p in pairs if not known_code(p[0] or from_m49(p[1]) or "")]


def test_every_comext_label_resolves_and_aggregates_stay_apart() -> None:
    folder = _need(TRADE / "comext-relational")
    labels: set[str] = set()
    for f in folder.rglob("*.csv"):
        with f.open(encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                labels.update((row["REPORTER"], row["PARTNER"]))
    codes = {label: from_name(label) for label in labels}
    assert len(labels) > 500 and not [k for k, v in codes.items() if v is None]
    eu = [k for k in labels if k.startswith("European Union - 27 countries")]
    assert eu and all(codes[k] == "EU27_2020" and is_aggregate("EU27_2020") for k in eu)
    assert {codes[k] for k in labels if k.startswith("Europe") and k.strip() == "Europe"} <= {"REGION_EUROPE"}


def test_every_eto_country_resolves_to_iso3_or_a_documented_pseudo_region() -> None:
    with (_need(ETO) / "providers.csv").open(encoding="utf-8") as fh:
        names = {r["provider_name"] for r in csv.DictReader(fh) if r["provider_type"].lower() == "country"}
    codes = {n: normalise_country(n) for n in names}
    assert len(names) > 20 and None not in codes.values(), codes
    assert all(countries.is_country_code(c) for c in codes.values() if c)
    # a share given to "Europe" in a supply chain is the pseudo-region, a trade partner "Europe" the partner group
    assert normalise_country("Europe") == "EUR" and from_name("Europe") == "REGION_EUROPE"
    assert is_aggregate("EUR") and is_aggregate("VAR") and not is_aggregate("TWN")


# Groups ---------------------------------------------------------------------------------------------------------
def test_groups_hold_what_their_citations_say() -> None:
    every = groups()
    assert all(g.citation and g.members for g in every.values())
    assert group("china").codes == ("CHN", "HKG", "MAC") == group_members("CHN+HKG+MAC")
    eu27 = group_members("EU27_2020")
    assert len(eu27) == 27 and "GBR" not in eu27
    eu = group("EU")
    assert len(eu.members_on("2020-01-31")) == 28 and "GBR" in eu.members_on("2020-01-31")
    assert set(eu.members_on("2020-02-01")) == set(eu27)  # the UK left at the end of 31 January 2020
    assert "HRV" not in eu.members_on(date(2013, 6, 30)) and "HRV" in eu.members_on(date(2013, 7, 1))
    assert len(eu.members_on("1958-01-01")) == 6
    assert set(group_members("EU28")) == set(eu27) | {"GBR"}
    assert sorted(group_members("G7")) == ["CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"]
    assert group_members("chip4") == ("USA", "JPN", "KOR", "TWN")
    wassenaar = group("wassenaar")
    assert len(wassenaar.codes) == 42 and "IND" in wassenaar.codes and "CHN" not in wassenaar.codes
    with pytest.raises(BadArgumentError, match="recorded from 2017-12-08"):
        wassenaar.members_on("2010-01-01")
    with pytest.raises(NotFoundError, match="did you mean WASSENAAR") as info:
        group("wasenaar")
    assert info.value.suggestions == ["WASSENAAR"]
    assert group_members("not a group") == ()


def test_coalitions_and_defaults_come_from_the_groups() -> None:
    from pinchpoint.analysis.coalitions import COALITIONS, CONCERN
    from pinchpoint.trade.circumvention import DEFAULT_HUBS

    assert COALITIONS["g7"] == group_members("G7") and COALITIONS["chip4"] == group_members("CHIP4")
    assert COALITIONS["eu27"] == (*group_members("EU27_2020"), "EUR")  # EUR: an upper bound, said in coalitions
    assert group_members("CONCERN") == CONCERN and group_members("RUSSIA_HUBS") == DEFAULT_HUBS


def _iso3_collections(path: Path) -> list[tuple[int, list[str]]]:
    iso3 = {c.alpha_3 for c in pycountry.countries}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) >= 2 and len(values) == len(node.elts) and all(v in iso3 for v in values):
                found.append((node.lineno, values))
    return found


def test_no_country_group_is_written_out_in_the_code() -> None:
    written = {str(p.relative_to(SRC)): hits for p in sorted(SRC.rglob("*.py")) if (hits := _iso3_collections(p))}
    assert written == {}, "groups belong in kernel/data/country_groups.yaml: " + repr(written)


def test_the_old_vocabularies_are_gone_and_screening_does_not_import_trade() -> None:
    assert not (SRC / "supplychain" / "countries.py").exists() and not (SRC / "trade" / "countries.py").exists()
    for path in (SRC / "screening").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in modules if m.startswith("pinchpoint.trade")], path


@pytest.mark.parametrize(("typed", "meant"), [("CHA", "CHN"), ("NDL", "NLD"), ("Syra", "SYR"), ("Germny", "DEU"),
                                              ("PRKK", "PRK")])
def test_an_unknown_country_is_worded_once_and_suggests_the_nearest_codes(typed: str, meant: str) -> None:
    # the screening option, a planning file's cell and a supply-chain file say the same words
    message = countries.unknown_country_message(typed)
    assert message.startswith(f"unknown country {typed!r}: did you mean ") and f"{meant} (" in message
    with pytest.raises(NotFoundError) as info:
        countries.resolve_country(typed)
    assert str(info.value) == message and meant in info.value.suggestions
    # a code one swap or one letter away comes before a code that merely looks alike (CHA was THA, TCA, LCA)
    if len(typed) == 3:
        assert meant in countries.closest_codes(typed)


@pytest.mark.parametrize(("label", "code"), [
    ("Congo (Kinshasa)", "COD"), ("Congo (Brazzaville)", "COG"), ("Congo, Democratic Republic of the", "COD"),
    ("DR Congo", "COD"), ("Korea, North", "PRK"), ("KOREA, SOUTH", "KOR"), ("Gambia, The", "GMB"),
    ("The Bahamas", "BHS"), ("North Macedonia, The Republic of", "MKD"), ("Palestinian", "PSE"),
    ("U.S.A.", "USA"), ("Great Britain", "GBR"), ("East Timor", "TLS")])
def test_country_names_as_us_lists_and_the_world_bank_write_them(label: str, code: str) -> None:
    """The forms of OFAC's remarks, the CIA World Factbook and the World Bank: "Congo (Kinshasa)" was read as the
    Republic of the Congo (the brackets dropped), "Korea, North" as nothing."""
    assert countries.from_name(label) == code
    assert countries.resolve_country(label) == code


@pytest.mark.parametrize(("name", "both"), [("Korea", {"KOR", "PRK"}), ("the Congo", {"COD", "COG"}),
                                            ("Virgin Islands", {"VGB", "VIR"})])
def test_a_name_of_two_countries_is_refused_naming_both(name: str, both: set[str]) -> None:
    """A customer's "Korea" was read as KOR, and a UN-listed North Korean lost 10% (RI JE-SON below 0.8)."""
    with pytest.raises(NotFoundError, match="names more than one country") as info:
        countries.resolve_country(name)
    assert set(info.value.suggestions) == both and all(code in str(info.value) for code in both)
    assert countries.resolve_country("Korea, North") == "PRK" and countries.resolve_country("South Korea") == "KOR"
