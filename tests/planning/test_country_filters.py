"""Country filters of the registry and the pipeline: an unknown code is a NotFoundError with the closest ISO3 codes
(not a data error at "row 0" listing country names), a file's unknown country suggests codes, and a filter that
empties the projects table says so and what the pipeline holds."""

from __future__ import annotations

import csv
from pathlib import Path

import pycountry
import pytest
import yaml

from pinchpoint.errors import DataError, NotFoundError
from pinchpoint.planning.measures import example_measures_path, load_measures
from pinchpoint.planning.projects import load_projects, projects_table
from pinchpoint.planning.registry import awards_table, data_path, load_registry


def _japan() -> str:
    japan = pycountry.countries.get(name="Japan")
    assert japan is not None
    return str(japan.alpha_3)


@pytest.mark.parametrize("table", ["awards", "projects"])
def test_unknown_country_filter_is_not_found_with_codes(table: str) -> None:
    def run(country: str) -> object:
        if table == "awards":
            return awards_table(load_registry(), country=country)
        return projects_table(load_projects(), country=country)

    with pytest.raises(NotFoundError) as err:
        run("JAP")
    assert err.value.location.row is None  # a parameter, not row 0 of a file
    assert "row 0" not in str(err.value)
    assert _japan() in err.value.suggestions
    # a mistyped name gets the closest country by name, not the first twelve codes of the alphabet
    with pytest.raises(NotFoundError) as misspelt:
        run("Japna")
    assert misspelt.value.suggestions[0] == _japan() and f"{_japan()} (Japan)" in str(misspelt.value)
    with pytest.raises(NotFoundError) as far:
        run("QQQQQQ")
    first_codes = sorted(c.alpha_3 for c in pycountry.countries)[:2]
    assert not far.value.suggestions and not any(code in str(far.value) for code in first_codes)
    assert "neither an ISO 3166 alpha-3 code nor a country name" in str(far.value)


def test_unknown_country_in_a_file_suggests_the_code(tmp_path: Path) -> None:
    rows = yaml.safe_load(example_measures_path().read_text(encoding="utf-8"))
    rows = rows["measures"] if isinstance(rows, dict) else rows
    target = next(r for r in rows if r.get("country"))
    target["country"] = "JAP"
    path = tmp_path / "measures.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError) as err:
        load_measures(path)
    assert err.value.location.field == "country"
    assert err.value.location.row == rows.index(target) + 2  # under the header, 1-based
    assert "did you mean" in str(err.value) and f"{_japan()} (Japan)" in str(err.value)


def test_empty_projects_filter_says_which_filter_and_what_the_pipeline_holds() -> None:
    raw = yaml.safe_load(data_path("projects.yaml").read_text(encoding="utf-8"))["projects"]
    held = {str(p["country"]) for p in raw}
    absent = next(c for c in ("CHN", "TWN", "KOR", "SGP", "ISR") if c not in held)
    table = projects_table(load_projects(), country=absent)
    assert not table.rows
    emptied = [c for c in table.meta["caveats"] if f"country {absent}" in c]
    assert emptied, table.meta["caveats"]
    assert all(code in emptied[0] for code in held)


def test_unknown_coalition_country_names_codes_and_coalitions() -> None:
    from pinchpoint.analysis.coalitions import COALITIONS
    from pinchpoint.planning.planner import plan, resolve_coalition
    from pinchpoint.supplychain.load import load_chain

    pytest.importorskip("highspy")
    with pytest.raises(NotFoundError) as err:
        plan(load_chain("builtin"), load_measures(example_measures_path()), budget=10,
             coalition=resolve_coalition("USA,JAP"))
    assert _japan() in err.value.suggestions
    assert "Japan" in str(err.value) and "Jamaica, " not in str(err.value)
    with pytest.raises(NotFoundError) as far:
        plan(load_chain("builtin"), load_measures(example_measures_path()), budget=10,
             coalition=resolve_coalition("nosuch"))
    assert "Afghanistan" not in str(far.value)  # codes, not names
    assert all(name in str(far.value) for name in COALITIONS)  # what a coalition name may be
