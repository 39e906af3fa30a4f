"""Capacity pipeline and projection: zero delays give the deterministic sum, bands contain the mean, the atlas
check reads the real atlas file, and bad project files are refused naming file, row and field."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from pinchpoint.errors import DataError
from pinchpoint.planning.projects import (
    DelayModel,
    Pipeline,
    Project,
    StatusDelay,
    atlas_check,
    deterministic,
    load_projects,
    projection,
    read_projects,
    simulate,
)
from tests.conftest import SHARED

ATLAS = SHARED / "fabs" / "atlas-campuses.csv"


def _random_projects(n: int, seed: int = 0) -> list[Project]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        start = dt.date(int(rng.integers(2024, 2031)), int(rng.integers(1, 13)), 1)
        out.append(Project(f"p{k}", f"p{k}", "", "", str(rng.choice(["USA", "JPN", "TWN", "KOR", "DEU"])),
                           str(rng.choice(["lt10nm", "dram", "28_45nm"])),
                           str(rng.choice(["announced", "under_construction", "ramping", "delayed"])),
                           start=start, ramp_years=float(rng.uniform(0, 3)),
                           capacity_wspm=float(rng.uniform(5_000, 100_000))))
    return out


def test_zero_delays_equal_the_deterministic_sum() -> None:
    projects = _random_projects(60)
    years = list(range(2024, 2036))
    pipe, skipped = Pipeline.from_projects(projects)
    assert not skipped
    det = deterministic(pipe, years)
    sims = simulate(pipe, years, DelayModel.none(), draws=50, seed=3)
    assert np.allclose(sims, det[None], rtol=1e-5, atol=1e-2)  # every draw is the sum (float32 arrays)
    # and the sum is what the ramp rule gives, computed here by hand for one project and year
    p = projects[0]
    start = p.start.year + (p.start.timetuple().tm_yday - 1) / 365.0  # type: ignore[union-attr]
    year = 2030
    frac = min(max((year + 1 - start) / p.ramp_years, 0.0), 1.0) if p.ramp_years > 0 else float(year + 1 > start)
    cell = pipe.group[0]
    others = sum(deterministic(Pipeline(pipe.countries, pipe.node_classes, pipe.capacity[k:k + 1],
                                        pipe.start[k:k + 1], pipe.ramp[k:k + 1], pipe.status[k:k + 1],
                                        pipe.group[k:k + 1]), [year])[cell, 0]
                 for k in range(1, len(projects)))
    assert det[cell, years.index(year)] == pytest.approx(frac * p.capacity_wspm + others, rel=1e-9)  # type: ignore[operator]


def test_projection_table_with_no_delays_and_with_cancellation() -> None:
    projects = _random_projects(20, seed=1)
    baseline = {("TWN", "lt10nm"): 100_000.0, ("USA", "lt10nm"): 20_000.0}
    table = projection(projects, baseline, [2025, 2030], draws=20)
    for r in table.records():
        assert r["capacity_mean"] == pytest.approx(r["capacity_deterministic"], rel=1e-5, abs=0.05)
    all_cancelled = DelayModel({s: StatusDelay(cancel=1.0) for s in ("announced", "under_construction", "ramping",
                                                                     "delayed", "operating", "cancelled")})
    gone = projection(projects, baseline, [2030], model=all_cancelled, draws=20).records()
    twn = next(r for r in gone if r["country"] == "TWN" and r["node_class"] == "lt10nm")
    assert twn["capacity_mean"] == 100_000.0
    assert twn["share_mean"] == pytest.approx(100_000 / 120_000, rel=1e-6)


def test_delays_lower_the_mean_and_bands_hold_it() -> None:
    projects = _random_projects(40, seed=2)
    det = projection(projects, {}, [2028], draws=10).records()
    mc = projection(projects, {}, [2028], model=DelayModel.default(), draws=400, seed=5)
    again = projection(projects, {}, [2028], model=DelayModel.default(), draws=400, seed=5)
    assert mc.records() == again.records()  # a seed gives the same result
    total_det = sum(r["capacity_deterministic"] for r in det)
    total_mc = sum(r["capacity_mean"] for r in mc.records())
    assert total_mc < total_det
    for r in mc.records():
        assert r["capacity_low"] - 1e-6 <= r["capacity_mean"] <= r["capacity_high"] + 1e-6
    assert any("assumption" in c for c in mc.caveats)


def test_builtin_projects_and_atlas_check() -> None:
    projects = load_projects()
    if not ATLAS.exists():
        pytest.skip("atlas file not found")
    table = atlas_check(projects, ATLAS)
    with ATLAS.open(encoding="utf-8", newline="") as fh:
        atlas = {r["campus_id"]: r for r in csv.DictReader(fh)}
    linked = [p for p in projects if p.atlas_campus]
    assert len(table) == len(linked) > 0
    for r in table.records():
        assert r["atlas_status"] == atlas[r["atlas_campus"]]["lifecycle_status"]
        assert r["country_agrees"]


def test_builtin_projection_uses_cited_capacities_only() -> None:
    projects = load_projects()
    cited = [p for p in projects if p.capacity_wspm is not None and p.start is not None]
    table = projection(projects, {}, [2035])
    total = sum(r["capacity_deterministic"] for r in table.records())
    assert total == pytest.approx(sum(p.capacity_wspm or 0 for p in cited))  # all fully ramped by 2035
    assert any("left out" in c for c in table.caveats)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "projects.csv"
    path.write_text("id,name,country,node_class,status,announced,start,capacity_wspm,source_urls,source_titles\n"
                    "a,A,USA,dram,announced,2024-01-01,2026-01-01,1000,https://x.example/a,A\n" + body,
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "field", "words"), [
    ("b,B,ZZZ,dram,announced,2024-01-01,2026-01-01,1000,https://x.example/b,B", "country", "unknown country"),
    ("b,B,USA,dram,announced,2024-01-01,2026-01-01,-1,https://x.example/b,B", "capacity_wspm", "non-negative"),
    ("b,B,USA,dram,announced,2024-01-01,2023-01-01,1000,https://x.example/b,B", "start", "before the announcement"),
    ("a,B,USA,dram,announced,2024-01-01,2026-01-01,1000,https://x.example/b,B", "id", "repeats"),
    ("b,B,USA,dram,built,2024-01-01,2026-01-01,1000,https://x.example/b,B", "status", "unknown status"),
    ("b,B,USA,dram,announced,2024-01-01,2026-01-01,1000,,", "sources", "cites a source"),
])
def test_bad_project_rows(tmp_path: Path, row: str, field: str, words: str) -> None:
    path = _write(tmp_path, row + "\n")
    with pytest.raises(DataError) as err:
        read_projects(path)
    assert (err.value.location.file, err.value.location.row, err.value.location.field) == (str(path), 3, field)
    assert words in str(err.value)


def test_negative_seed_is_a_bad_argument() -> None:
    from pinchpoint.errors import BadArgumentError

    with pytest.raises(BadArgumentError, match="seed"):
        projection(_random_projects(3), {}, [2030], seed=-1)


def test_targets_gap_is_target_minus_cited_level() -> None:
    import yaml

    from pinchpoint.planning.projects import targets_table
    from pinchpoint.planning.registry import data_path

    raw = {t["id"]: t for t in yaml.safe_load(data_path("targets.yaml").read_text(encoding="utf-8"))["targets"]}
    rows = {r["target_id"]: r for r in targets_table().records()}
    assert set(rows) == {"jpn-2030-domestic-sales", "eu-2030-global-share"}
    for key, r in rows.items():
        assert r["gap"] == pytest.approx(raw[key]["target"] - raw[key]["level"])
        assert r["sources"]


def test_cli_incentives_projects_projection(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from pinchpoint.cli.main import app

    runner = CliRunner()
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["incentives", "--country", "USA", "--stage", "final", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["rows"]
    assert rows and {r["country"] for r in rows} == {"USA"} and {r["stage"] for r in rows} == {"final"}
    shared = tmp_path / "share.csv"
    result = runner.invoke(app, ["incentives", "--since", "2025-01-01", "--export", str(shared)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["incentives", "--compare", str(shared), "-f", "json"])
    doc = json.loads(result.stdout)
    assert doc["meta"]["conflict"] == 0 and doc["meta"]["same"] == len(doc["rows"]) > 0
    bad = runner.invoke(app, ["incentives", "--since", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    result = runner.invoke(app, ["projection", "--delays", "none", "--from", "2030", "--to", "2030", "-f", "json"])
    assert result.exit_code == 0, result.output
    proj = json.loads(result.stdout)["rows"]
    assert all(r["capacity_mean"] == pytest.approx(r["capacity_deterministic"], abs=0.05) for r in proj)
