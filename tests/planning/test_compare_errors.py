"""``incentives --compare`` names every problem of both files it reads, each with its file, row and field, and an
unknown country suggests the closest countries by name (not the first twelve codes of the alphabet)."""

from __future__ import annotations

import csv
import gettext
from pathlib import Path

import pycountry
from typer.testing import CliRunner

from pinchpoint.kernel.countries import country_name, normalise_country
from pinchpoint.planning.registry import load_registry, write_awards


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _german_only(code: str) -> str | None:
    """The country's German ISO name where pinchpoint does not read it as a country name (a user's own spelling)."""
    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"]).gettext(country_name(code))
    return german if normalise_country(german) is None else None


def test_compare_names_every_bad_row_of_both_files_and_suggests_countries_by_name(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    ours = write_awards(load_registry().awards, tmp_path / "ours.csv")
    rows = _rows(ours)
    k, german = next((k, g) for k, r in enumerate(rows) if (g := _german_only(r["country"])))
    code = rows[k]["country"]
    bad = {k: ("country", german), (k + 1) % len(rows): ("amount", "lots"), (k + 2) % len(rows): ("stage", "done")}
    partner = [dict(r) for r in rows]
    for i, (field, value) in bad.items():
        partner[i][field] = value
    _write(tmp_path / "partner.csv", partner)
    mine = [dict(r) for r in rows]
    mine[(k + 3) % len(rows)]["country"] = "QQQQQQ"
    _write(tmp_path / "mine.csv", mine)

    result = CliRunner().invoke(app, ["incentives", "--compare", str(tmp_path / "partner.csv"),
                                      "--awards", str(tmp_path / "mine.csv")])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    for i, (field, _) in bad.items():  # a CSV's row is its line: the header is line 1
        assert f"partner.csv, row {i + 2}, field '{field}'" in out, out
    assert f"mine.csv, row {(k + 3) % len(rows) + 2}, field 'country'" in out, out
    # the German name suggests the country it names; a string like no country suggests nothing, and lists no codes
    assert f"unknown country {german!r}: did you mean {code} ({country_name(code)})" in out, out
    first_codes = sorted(c.alpha_3 for c in pycountry.countries)[:3]
    assert "QQQQQQ" in out and not any(c in out for c in first_codes), out


def test_a_good_partner_file_is_still_compared(tmp_path: Path) -> None:
    from pinchpoint.cli.main import app

    ours = write_awards(load_registry().awards, tmp_path / "ours.csv")
    result = CliRunner().invoke(app, ["incentives", "--compare", str(ours), "-f", "json"])
    assert result.exit_code == 0, result.output
