"""A screening's refinements read the same whether given for every name (``screen --country``, ``--birth-date``)
or per row of a file (``--country-column``...): ISO codes and English names of countries alike; a date that does
not exist is an error naming the option and the value (a cell holding one is noted), an unknown country suggests
the closest country names."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pinchpoint.cli.main import app
from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import EntityType, ListedEntity, ScreeningList
from tests.screening.conftest import LISTS

pytestmark = pytest.mark.skipif(not LISTS.exists(), reason="no ../shared/data beside the repository")

OTHER_COUNTRY = ["SYR", "sy", "Syria", "Syrian Arab Republic"]


@pytest.fixture(scope="module")
def person(lists: dict[str, ScreeningList]) -> ListedEntity:
    """The first UN-listed person with one nationality (not Syria) and one full birth date."""
    return next(e for e in lists["un_sc_consolidated_20260227.xml"].entities
                if e.type is EntityType.PERSON and len(e.countries) == 1 and e.countries[0] != "SYR"
                and len(e.birth_dates) == 1 and len(e.birth_dates[0]) == 10)


def same_country(person: ListedEntity) -> list[str]:
    """The person's nationality as codes and names: alpha-3 in both cases, alpha-2, the ISO 3166 name."""
    import pycountry

    found = pycountry.countries.get(alpha_3=person.countries[0])
    return [found.alpha_3, found.alpha_3.lower(), found.alpha_2, found.name]


def _screen(ws: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["screen", *args, "--workspace", str(ws)])
    return result.exit_code, result.stdout, result.stderr


def _scores(out: str) -> dict[str, float]:
    return {r["entity_id"]: r["score"] for r in json.loads(out)["rows"]}


def test_a_birth_date_that_does_not_exist_is_an_error_naming_the_option(small_ws: Path,
                                                                        person: ListedEntity) -> None:
    name = person.primary_name
    for value, why in (("1969-13-45", "there is no month 13"), ("1984-02-30", "1984-02 has no day 30")):
        code, out, err = _screen(small_ws, "--birth-date", value, name)
        assert code == 2 and out == "" and "Traceback" not in err
        assert f"--birth-date '{value}' is not a birth date: {why}" in err
    # a year, or a year and month, is a birth date as before; so is a day
    born = person.birth_dates[0]
    for value in (born[:4], born[:7], born):
        code, out, err = _screen(small_ws, "--birth-date", value, name, "-f", "json")
        assert code == 0, err
        assert person.entity_id in _scores(out)


def test_country_option_and_column_accept_codes_and_names_alike(small_ws: Path, screener: Screener,
                                                               person: ListedEntity, tmp_path: Path) -> None:
    name, listed, same = person.primary_name, person.entity_id, same_country(person)
    code, out, err = _screen(small_ws, name, "-f", "json")
    plain = _scores(out)
    for value in same + OTHER_COUNTRY:
        code, out, err = _screen(small_ws, name, "--country", value, "-f", "json", "--threshold", "0.5")
        assert code == 0, (value, err)
        expected = plain[listed] * (0.9 if value in OTHER_COUNTRY else 1.0)
        assert _scores(out)[listed] == pytest.approx(expected, abs=1e-4), value
    # the same values as a file's country column: read the same, none noted as unreadable
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "country"])
        writer.writerows([name, v] for v in same + OTHER_COUNTRY)
    out_file = tmp_path / "out.csv"
    screen_file(screener, src, out_file, country_column="country", threshold=0.5, lists=[
        "UN Security Council Consolidated List"])
    with out_file.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["entity_id"] == listed]
    assert [r["input_note"] for r in rows] == [""] * len(rows)
    assert {r["country"]: float(r["score"]) for r in rows} == pytest.approx(
        {v: plain[listed] * (0.9 if v in OTHER_COUNTRY else 1.0) for v in same + OTHER_COUNTRY}, abs=1e-4)


def test_an_unknown_country_suggests_the_closest_names(small_ws: Path, screener: Screener, tmp_path: Path) -> None:
    code, _, err = _screen(small_ws, "Kim Jong Un", "--country", "Syra")
    assert code == 2 and "unknown --country 'Syra': did you mean SYR (Syria)" in err
    code, _, err = _screen(small_ws, "Kim Jong Un", "--country", "Noth Korea")
    assert code == 2 and "did you mean PRK (North Korea" in err
    # a cell: noted with the same suggestions, the row screened without it
    src = tmp_path / "in.csv"
    src.write_text("name,country\nKim Jong Un,Syra\n", encoding="utf-8")
    out_file = tmp_path / "out.csv"
    screen_file(screener, src, out_file, country_column="country", top=1)
    with out_file.open(encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert "unknown country 'Syra': did you mean SYR (Syria)" in row["input_note"]



def test_an_ambiguous_country_is_no_penalty_but_a_note(small_ws: Path, screener: Screener, tmp_path: Path) -> None:
    """"Korea" names two countries: refused as an option naming both, and a cell holding it is noted and the row
    screened without a country (before, it was read as KOR and the UN's North Koreans lost 10%)."""
    code, _, err = _screen(small_ws, "Ri Je Son", "--country", "Korea")
    assert code == 2 and "--country 'Korea' names more than one country: KOR (South Korea) or PRK" in err
    src = tmp_path / "in.csv"
    src.write_text("name,country\nRi Je Son,Korea\nRi Je Son,\n", encoding="utf-8")
    out_file = tmp_path / "out.csv"
    screen_file(screener, src, out_file, country_column="country", top=1)
    with out_file.open(encoding="utf-8") as fh:
        noted, plain = list(csv.DictReader(fh))
    assert "names more than one country" in noted["input_note"] and noted["score"] == plain["score"]
    assert noted["entity_id"] == plain["entity_id"] != ""
