"""The capacity baseline: the built-in figures are SEMI's (checked against the file itself), a project adds only
what ramps after the baseline's year, shares exist only where the baseline covers a node class, node class 'all'
is the baseline total plus the fab projects, and a bad baseline file names file, row and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from pinchpoint.errors import DataError
from pinchpoint.planning.projects import (
    AREA_200_TO_300,
    FAB_NODE_CLASSES,
    Project,
    baseline_region,
    deterministic,
    load_baseline,
    load_projects,
    projection,
)
from pinchpoint.planning.registry import Citation, data_path

SOURCE = (Citation("https://example.org/fab", "test source"),)


def _project(ident: str, country: str, node: str, capacity: float, start: str, ramp: float = 1.0,
             status: str = "under_construction") -> Project:
    return Project(ident, ident, "", "", country, node, status, start=dt.date.fromisoformat(start),
                   ramp_years=ramp, capacity_wspm=capacity, sources=SOURCE)


def test_builtin_baseline_is_the_files_figures_in_300mm_equivalents() -> None:
    raw = yaml.safe_load(data_path("baseline.yaml").read_text(encoding="utf-8"))
    base = load_baseline()
    assert base.year == raw["year"] == 2025
    assert raw["unit"] == "200mm_equivalent_wpm"
    for rec in raw["records"]:
        assert base.capacity[(rec["region"], rec["node_class"])] == pytest.approx(rec["capacity"] / 2.25)
    # the regions add up to SEMI's world total (33.7 million 200 mm-equivalent wafers a month)
    assert sum(base.capacity.values()) * AREA_200_TO_300 == pytest.approx(raw["world"], rel=1e-6)
    # every figure that is not stated by a source is named as such in the caveats
    derived = [r["region"] for r in raw["records"] if r["basis"] != "cited"]
    assert derived and all(f"{r}/all (derived" in " ".join(base.caveats) for r in derived)


def test_a_project_adds_only_what_ramps_after_the_baseline_year() -> None:
    projects = [_project("before", "USA", "dram", 1000, "2023-01-01", ramp=1),    # fully in the 2025 baseline
                _project("half", "USA", "dram", 1000, "2025-01-01", ramp=2),      # half ramped by the end of 2025
                _project("after", "USA", "dram", 1000, "2027-01-01", ramp=1)]     # all of it is new
    base = {("USA", "all"): 50_000.0, ("ROW", "all"): 50_000.0}
    rows = {(r["country"], r["node_class"], r["year"]): r
            for r in projection(projects, base, [2025, 2026, 2027], baseline_year=2025).records()}
    assert ("USA", "dram", 2025) not in rows  # nothing new in the baseline's own year: no row
    assert rows[("USA", "dram", 2026)]["capacity_deterministic"] == pytest.approx(500.0)
    assert rows[("USA", "dram", 2027)]["capacity_deterministic"] == pytest.approx(1500.0)
    assert rows[("USA", "all", 2027)]["capacity_deterministic"] == pytest.approx(51_500.0)
    assert rows[("USA", "all", 2027)]["share_deterministic"] == pytest.approx(51_500 / 101_500, abs=1e-6)
    # without a baseline year every project is added whole (the old behaviour, said in the caveats)
    whole = {(r["country"], r["node_class"], r["year"]): r
             for r in projection(projects, base, [2027]).records()}
    assert whole[("USA", "dram", 2027)]["capacity_deterministic"] == pytest.approx(3000.0)


def test_zero_delays_with_a_baseline_year_is_the_deterministic_sum() -> None:
    projects = load_projects()
    table = projection(projects, load_baseline(), list(range(2025, 2036)), draws=50, seed=3)
    for r in table.records():
        assert r["capacity_mean"] == pytest.approx(r["capacity_deterministic"], abs=0.05)
        assert r["capacity_low"] <= r["capacity_mean"] + 1e-6 <= r["capacity_high"] + 2e-6


def test_shares_only_where_the_baseline_covers_the_node_class() -> None:
    """A baseline for 'all' nodes is no world total for DRAM alone: the old code gave the pipeline's DRAM projects
    100% of 'the world' whenever any baseline was given."""
    projects = [_project("mem", "USA", "dram", 1000, "2027-01-01")]
    rows = projection(projects, {("USA", "all"): 10.0, ("ROW", "all"): 90.0}, [2030], baseline_year=2025).records()
    dram = [r for r in rows if r["node_class"] == "dram"]
    assert dram and all(r["share_mean"] is None and r["share_deterministic"] is None for r in dram)
    node = projection(projects, {("USA", "dram"): 1000.0, ("KOR", "dram"): 2000.0}, [2030],
                      baseline_year=2025).records()
    usa = next(r for r in node if r["country"] == "USA")
    assert usa["share_deterministic"] == pytest.approx(2000 / 4000)


def test_all_is_the_baseline_plus_the_fab_projects_of_the_region() -> None:
    projects = load_projects()
    base = load_baseline()
    years = [2030, 2034]
    rows = {(r["country"], r["node_class"], r["year"]): r
            for r in projection(projects, base, years).records()}
    regions = sorted({c for c, _ in base.capacity})
    for region in regions:
        mine = [p for p in projects if p.capacity_wspm is not None and p.start is not None
                and baseline_region(p.country, regions) == region and p.node_class in FAB_NODE_CLASSES]
        for yi, year in enumerate(years):
            adds = 0.0
            if mine:
                from pinchpoint.planning.projects import Pipeline, ramp_fraction

                pipe, _ = Pipeline.from_projects(mine)
                already = ramp_fraction(np.array([float(base.year or 0)]), pipe.start, pipe.ramp)[:, 0]
                adds = float(deterministic(Pipeline(pipe.countries, pipe.node_classes, pipe.capacity, pipe.start,
                                                    pipe.ramp, pipe.status, pipe.group, pipe.ids, already),
                                           years)[:, yi].sum())
            expected = base.capacity[(region, "all")] + adds
            assert rows[(region, "all", year)]["capacity_deterministic"] == pytest.approx(expected, abs=0.01)
    total = sum(rows[(r, "all", 2034)]["share_deterministic"] for r in regions)
    assert total == pytest.approx(1.0, abs=1e-5)
    # Crolles and ESMC are counted in SEMI's Europe & Mideast region, said in the caveats
    table = projection(projects, base, years)
    assert any("DEU -> EUR" in c and "FRA -> EUR" in c for c in table.meta["caveats"])


def _write(tmp_path: Path, records: list[dict[str, object]], **top: object) -> Path:
    doc = {"year": 2025, "unit": "300mm_equivalent_wpm", **top, "records": records}
    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"region": "USB"}, "region", "unknown country"),
    ({"capacity": -5}, "capacity", "non-negative"),
    ({"basis": "derived"}, "derivation", "says how it was obtained"),
    ({"node_class": "7nm"}, "node_class", "unknown node_class"),
    ({"sources": []}, "sources", "cites a source"),
])
def test_a_bad_baseline_names_file_row_and_field(tmp_path: Path, change: dict[str, object], field: str,
                                                  words: str) -> None:
    good = {"region": "USA", "node_class": "all", "capacity": 100, "basis": "cited",
            "sources": [{"url": "https://example.org/a", "title": "a"}]}
    path = _write(tmp_path, [good, {**good, "region": "JPN", **change}])
    with pytest.raises(DataError) as err:
        load_baseline(path)
    assert err.value.location.file == str(path) and err.value.location.field == field
    assert err.value.location.row is not None and err.value.location.row > 3  # the second record's line
    assert words in str(err.value)


def test_a_baseline_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    rec = {"region": "USA", "node_class": "all", "capacity": 100, "basis": "cited",
           "sources": [{"url": "https://example.org/a", "title": "a"}]}
    with pytest.raises(DataError, match="do not add up to the world total"):
        load_baseline(_write(tmp_path, [rec, {**rec, "region": "JPN"}], world=300))
    with pytest.raises(DataError, match="repeats the figure on row"):
        load_baseline(_write(tmp_path, [rec, rec]))
    assert load_baseline(_write(tmp_path, [rec, {**rec, "region": "JPN"}], world=200)).capacity[("JPN", "all")] == 100


def test_a_country_inside_a_region_gets_its_regions_rows_with_a_caveat() -> None:
    """The web page and ``projection --country DEU`` once filtered the rows by the raw code and showed an empty
    table; the built-in baseline holds Europe as one region, so DEU's rows are EUR's, and the caveat says so."""
    from pinchpoint.errors import NotFoundError
    from pinchpoint.planning.projects import projection_rows_for
    from pinchpoint.session import Session

    table = Session().plan.projection(draws=20, first=2025, last=2027)
    regions = {r["country"] for r in table.rows}
    assert "DEU" not in regions and "EUR" in regions  # the premise: Europe is one region of SEMI's baseline
    german = projection_rows_for(table, "deu")
    assert german.rows and german.rows == tuple(r for r in table.rows if r["country"] == "EUR")
    assert any("DEU" in c and "EUR" in c for c in german.caveats)
    japanese = projection_rows_for(table, "JPN")
    assert japanese.rows == tuple(r for r in table.rows if r["country"] == "JPN")
    assert not any("not a region" in c for c in japanese.caveats)
    with pytest.raises(NotFoundError):
        projection_rows_for(table, "DEX")
