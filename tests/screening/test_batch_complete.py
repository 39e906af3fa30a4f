"""Batch results are complete (issue #16 item 2): a customer file as a new user would make it, from the real lists
and names that are on none of them; every input row and column is in the output, per-row country, type and birth
date are used, every match above the threshold is a row, and --format is honoured."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint.screening.batch import screen_file
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import EntityType, NameKind, ScreeningList
from tests.screening.conftest import BENCH, first_rows

HEADER = ["customer_id", "name", "country", "kind", "born", "notes"]


@pytest.fixture(scope="module")
def customers(lists: dict[str, ScreeningList], screener: Screener, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, list[dict[str, str]], dict[str, str]]:
    """200 rows: 80 primary names of listed entities (27 evenly spread Latin-script names of each of the UN, OFAC
    and METI lists that the matcher can screen), 120 synthetic names of people on no list (yente's negatives)."""
    listed: list[tuple[str, str, str, str, str]] = []
    for file in ("un_sc_consolidated_20260227.xml", "ofac_sdn_20240503.csv", "meti_eul_20250929.xlsx"):
        pool = [e for e in lists[file].entities
                if e.names[0].kind is NameKind.PRIMARY and e.names[0].text.isascii()
                and screener.unscreenable(e.names[0].text) is None]
        for e in pool[::max(1, len(pool) // 27)][:27]:
            kind = "person" if e.type is EntityType.PERSON else "company"
            born = e.birth_dates[0] if e.birth_dates and e.birth_dates[0][:4].isdigit() else ""
            listed.append((e.names[0].text, e.entity_id, e.countries[0] if e.countries else "", kind, born[:10]))
    listed = listed[:80]
    negatives = [r["full_name"] for r in csv.DictReader((BENCH / "yente_negatives_global.csv").open(encoding="utf-8"))]
    rows: list[dict[str, str]] = []
    expected: dict[str, str] = {}
    for k in range(200):
        if k % 5 < 2 and len(expected) < len(listed):  # listed names spread through the file
            name, entity_id, country, kind, born = listed[len(expected)]
            expected[f"C{k:04d}"] = entity_id
        else:
            name, country, kind, born = negatives[k * 7], "DEU", "person", ""
        rows.append({"customer_id": f"C{k:04d}", "name": name, "country": country, "kind": kind, "born": born,
                     "notes": f"account opened 20{k % 25:02d}, branch \"{k % 7}\""})
    path = tmp_path_factory.mktemp("customers") / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path, rows, expected


def test_every_row_and_column_kept_and_listed_names_found(screener: Screener, customers: tuple[
        Path, list[dict[str, str]], dict[str, str]], tmp_path: Path) -> None:
    path, rows, expected = customers
    assert len(expected) == 80
    out = tmp_path / "results.csv"
    summary = screen_file(screener, path, out, country_column="country", type_column="kind",
                          birth_date_column="born")
    with out.open(encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    # every input row is in the output, in order, with every column as read
    firsts = first_rows(out)
    assert [r["customer_id"] for r in firsts] == [r["customer_id"] for r in rows]
    for row, out_row in zip(rows, firsts, strict=True):
        assert {k: out_row[k] for k in HEADER} == row
    # one row per match, ranked; the group's size is its n_matches; no-match rows are their own row
    by_customer: dict[str, list[dict[str, str]]] = {}
    for r in written:
        by_customer.setdefault(r["customer_id"], []).append(r)
    for group in by_customer.values():
        if group[0]["status"] == "match":
            assert [int(r["match_rank"]) for r in group] == list(range(1, int(group[0]["n_matches"]) + 1))
            assert [float(r["score"]) for r in group] == sorted((float(r["score"]) for r in group), reverse=True)
            assert all(float(r["score"]) >= 0.8 for r in group)
        else:
            assert len(group) == 1 and group[0]["n_matches"] == "0"
    # each listed name finds its own entity, with the list's programme and a readable reason
    for customer, entity_id in expected.items():
        hits = {r["entity_id"]: r for r in by_customer[customer]}
        assert entity_id in hits, (customer, by_customer[customer][0]["name"])
        assert hits[entity_id]["reason"] and json.loads(hits[entity_id]["programmes"])
    assert f"{len(rows)} rows" in summary and str(out) in summary
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text(encoding="utf-8"))
    assert meta["meta"]["parameters"]["country_column"] == "country" and meta["meta"]["caveats"]


def test_per_row_values_refine_and_bad_cells_are_noted(screener: Screener, tmp_path: Path) -> None:
    # a listed person (UN and OFAC: born 1984, North Korean) with his listed birth year and nationality, then wrong
    # ones (at threshold 0.6, so the penalised match is still shown)
    src = tmp_path / "in.csv"
    src.write_text("name,nat,kind,dob\nKim Jong Un,PRK,person,1984\nKim Jong Un,France,company,1950\n"
                   "Kim Jong Un,Atlantis,robot,born in spring\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = screen_file(screener, src, out, country_column="nat", type_column="kind", birth_date_column="dob",
                          top=1, threshold=0.6)
    right, wrong, bad = first_rows(out)
    assert float(right["score"]) == 1.0 and "x0." not in right["reason"]
    # an organisation born 1950: each is a penalty the reason names (the best entity, OFAC's, lists no country)
    assert "type organisation" in wrong["reason"] and "born 1950" in wrong["reason"]
    assert float(wrong["score"]) == pytest.approx(0.85 * 0.85, abs=1e-3)
    # cells that hold no country, type or date: screened without them, and said so
    assert bad["status"] == "match" and float(bad["score"]) == 1.0
    assert "unknown country 'Atlantis'" in bad["input_note"] and "'robot' is not a type" in bad["input_note"]
    assert "'born in spring' is not a birth date" in bad["input_note"] and "1 rows screened without" in summary
    from pinchpoint.errors import DataError

    with pytest.raises(DataError, match="no column 'land'"):
        screen_file(screener, src, out, country_column="land")


def test_a_birth_date_with_no_such_month_or_day_is_noted_not_read_as_its_year(screener: Screener,
                                                                               tmp_path: Path) -> None:
    # Kim Jong Un is listed born 1984 (UN and OFAC): 1984-13-45 and 1984-02-30 are no dates; read as the year 1984
    # they raised the score as an agreeing birth year would, and the row said nothing
    src = tmp_path / "in.csv"
    src.write_text("name,dob\nKim Jong Un,1984-13-45\nKim Jong Un,1984-02-30\nKim Jong Un,1984-02-29\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = screen_file(screener, src, out, birth_date_column="dob", top=1)
    month, day, leap = first_rows(out)
    for row in (month, day):
        assert f"'{row['dob']}' is not a birth date" in row["input_note"]
        assert "raises" not in json.loads(row["explanation"])
    # 1984 was a leap year: the date is read and compared as a day (listed 8 January 1984: another day, x0.95)
    leap_why = json.loads(leap["explanation"])
    assert leap["input_note"] == "" and any("born 1984-02-29" in said for said in
                                            leap_why.get("penalties", []) + leap_why.get("raises", []))
    assert "2 rows screened without" in summary


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_format_is_honoured(screener: Screener, customers: tuple[Path, list[dict[str, str]], dict[str, str]],
                            tmp_path: Path, fmt: str) -> None:
    path, rows, _ = customers
    out = tmp_path / f"results.{fmt}"
    screen_file(screener, path, out, top=2)
    if fmt == "json":
        document = json.loads(out.read_text(encoding="utf-8"))
        records, caveats = document["rows"], document["meta"]["caveats"]
    else:
        import duckdb

        con = duckdb.connect()
        records = [dict(zip([d[0] for d in con.execute(f"SELECT * FROM '{out}'").description], r, strict=True))
                   for r in con.execute(f"SELECT * FROM '{out}' ORDER BY row, match_rank").fetchall()]
        caveats = ["?"]
    assert [r["customer_id"] for r in records if r["match_rank"] in (None, 1)] == [r["customer_id"] for r in rows]
    assert all(r["notes"] == row["notes"] for r, row in zip(
        [r for r in records if r["match_rank"] in (None, 1)], rows, strict=True))
    matched = [r for r in records if r["status"] == "match"]
    assert matched and all(isinstance(r["score"], float) and r["match_rank"] <= 2 for r in matched)
    assert caveats and not out.with_name(out.name + ".partial.csv").exists()
    if fmt == "json":
        assert all(isinstance(r["explanation"], dict) for r in matched)


def test_per_row_gender_scores_as_the_gender_option(lists: dict[str, ScreeningList], screener: Screener,
                                                    tmp_path: Path) -> None:
    # a UN-listed person whose record states a gender, screened by the exact listed name with each row's own
    # gender: the listed one, the other (x GENDER_FACTOR, as --gender does), none, and a cell that is no gender
    from pinchpoint.screening.matcher import GENDER_FACTOR

    person = next(e for e in lists["un_sc_consolidated_20260227.xml"].entities
                  if e.type is EntityType.PERSON and e.gender in ("male", "female") and e.names[0].text.isascii()
                  and len(e.names[0].text.split()) >= 3 and screener.unscreenable(e.names[0].text) is None)
    name = person.names[0].text
    listed, other = ("M", "F") if person.gender == "male" else ("F", "M")
    src = tmp_path / "in.csv"
    src.write_text(f"name,sex\n\"{name}\",{listed}\n\"{name}\",{other}\n\"{name}\",\n\"{name}\",unknown\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = screen_file(screener, src, out, gender_column="sex", threshold=0.5)
    with out.open(encoding="utf-8", newline="") as fh:
        own = [r for r in csv.DictReader(fh) if r["entity_id"] == person.entity_id]
    same, differs, blank, bad = own
    plain = float(blank["score"])
    assert float(same["score"]) == plain and "gender" not in same["reason"]
    assert float(differs["score"]) == pytest.approx(plain * GENDER_FACTOR, abs=1e-4)
    assert f"listed {person.gender}" in differs["reason"]
    # the same as the gender option for all rows
    assert float(differs["score"]) == pytest.approx(
        next(m["score"] for m in screener.screen(name, threshold=0.5, gender="female" if other == "F" else "male")
             if m["entity_id"] == person.entity_id), abs=1e-4)
    assert float(bad["score"]) == plain and "'unknown' is not a gender" in bad["input_note"]
    assert "1 rows screened without" in summary
    from pinchpoint.errors import DataError

    with pytest.raises(DataError, match="no column 'gender'"):
        screen_file(screener, src, out, gender_column="gender")


def test_cli_reads_the_gender_column(lists: dict[str, ScreeningList], small_ws: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    person = next(e for e in lists["un_sc_consolidated_20260227.xml"].entities
                  if e.type is EntityType.PERSON and e.gender == "male" and e.names[0].text.isascii()
                  and len(e.names[0].text.split()) >= 3)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(f"name,sex\n\"{person.names[0].text}\",female\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", "--file", str(src), "-o", str(out), "--gender-column", "sex",
                                      "--threshold", "0.5", "--workers", "1", "--workspace", str(small_ws)])
    assert result.exit_code == 0, result.output
    row = next(r for r in first_rows(out) if r["entity_id"] == person.entity_id)
    assert "gender female, listed male" in row["reason"]
    result = CliRunner().invoke(app, ["screen", "Kim Jong Un", "--gender-column", "sex", "--workspace", str(small_ws)])
    assert result.exit_code == 2 and "--gender-column" in result.stderr


def test_a_column_read_twice_in_the_header_or_a_format_the_file_name_contradicts_is_refused(
        screener: Screener, tmp_path: Path) -> None:
    from pinchpoint.errors import DataError

    # two `name` columns: the second (a listed name) was carried as `input_name` and never screened, with no word
    src = tmp_path / "dupcol.csv"
    src.write_text("name,country,name\nAcme Widgets,DEU,Vladimir Putin\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(DataError, match=r"2 columns 'name' \(columns 1, 3\)") as err:
        screen_file(screener, src, out)
    assert (err.value.location.file, err.value.location.row, err.value.location.field) == (str(src), 1, "name")
    twice = tmp_path / "twice.csv"
    twice.write_text("name,nat,nat\nKim Jong Un,PRK,USA\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"2 columns 'nat'.*each row's country"):
        screen_file(screener, twice, out, country_column="nat")
    assert not out.exists()
    # --format json into a .csv file: JSON under a name that says CSV; refused before anything is screened
    once = tmp_path / "once.csv"
    once.write_text("name\nKim Jong Un\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"out.csv ends in .csv but the format asked for is json: name the file "
                                         r"out.json"):
        screen_file(screener, once, out, fmt="json")
    assert not out.exists() and not list(tmp_path.glob("out.csv*"))
    screen_file(screener, once, tmp_path / "out.txt", fmt="json")  # a suffix that names no format is no conflict
    assert json.loads((tmp_path / "out.txt").read_text(encoding="utf-8"))["rows"][0]["query"] == "Kim Jong Un"
