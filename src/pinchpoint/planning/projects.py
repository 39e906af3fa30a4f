"""The capacity pipeline: fab and plant projects, and their capacity and shares by year, with delays as bands.

A project has a site, operator, country, node class, wafer size, capacity in 300 mm-equivalent wafer starts per
month (only where a source gives it), a status, its planned start and ramp, and sources. The built-in projects
(``planning/data/projects.yaml``) are the ones the built-in awards fund, with the figures their sources give.

The projection adds each project's capacity to a baseline (by country and node class, given by the user or a
cited file): a project starting in year ``s`` with ramp ``r`` years contributes ``capacity x clip((y - s + 1) / r,
0, 1)`` in year ``y``. The Monte Carlo draws, per project, whether it is cancelled and how many years it slips,
from distributions by status (:class:`DelayModel`: every parameter says whether it is cited or an assumption), and
reports the mean and a band of capacity and shares by year. With no delays and no cancellations the projection is
the deterministic sum.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pinchpoint.errors import BadArgumentError, DataError
from pinchpoint.planning.registry import (
    Citation,
    _choice,
    _citations,
    _country,
    _date,
    _number,
    _records,
    _text,
    filter_country,
)
from pinchpoint.results import ResultTable

NODE_CLASSES = ("lt10nm", "10_22nm", "28_45nm", "gt45nm", "dram", "nand", "analog_power", "packaging", "materials",
                "other")
STATUSES = ("announced", "under_construction", "ramping", "operating", "delayed", "cancelled")
PROJECT_FIELDS = {"id", "name", "site", "operator", "country", "node_class", "wafer_mm", "capacity_wspm",
                  "capacity_note", "status", "announced", "start", "ramp_years", "atlas_campus", "sources",
                  "source_urls", "source_titles", "source_dates", "note", "updated"}


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    site: str
    operator: str
    country: str
    node_class: str
    status: str
    announced: dt.date | None = None
    start: dt.date | None = None  # planned start of volume production
    ramp_years: float = 2.0
    wafer_mm: int | None = None
    capacity_wspm: float | None = None  # 300 mm-equivalent wafer starts per month at full ramp (cited)
    capacity_note: str = ""
    atlas_campus: str = ""
    sources: tuple[Citation, ...] = ()
    note: str = ""
    updated: dt.date | None = None


def read_projects(path: str | Path) -> tuple[Project, ...]:
    """Projects from YAML, JSON or CSV; the whole file is checked before anything is returned."""
    p = Path(path)
    name = str(path)
    out: list[Project] = []
    seen: dict[str, int] = {}
    for row, rec in _records(p, "projects"):
        extra = sorted(str(k) for k in rec if k not in PROJECT_FIELDS)
        if extra:
            raise DataError(f"unknown field(s) {', '.join(map(repr, extra))}", file=name, row=row, field=extra[0])
        ident = _text(rec.get("id"))
        if not ident:
            raise DataError("a project needs an id", file=name, row=row, field="id")
        if ident in seen:
            raise DataError(f"project id {ident!r} repeats the one on row {seen[ident]}", file=name, row=row,
                            field="id")
        seen[ident] = row
        announced = _date(rec.get("announced"), file=name, row=row, field="announced")
        start = _date(rec.get("start"), file=name, row=row, field="start")
        if announced and start and start < announced:
            raise DataError(f"planned start {start} is before the announcement ({announced})", file=name, row=row,
                            field="start")
        wafer = _number(rec.get("wafer_mm"), file=name, row=row, field="wafer_mm", positive=True)
        if wafer is not None and wafer not in (100, 125, 150, 200, 300, 450):
            raise DataError(f"wafer size {wafer:g} mm is not one of 100, 125, 150, 200, 300, 450", file=name,
                            row=row, field="wafer_mm")
        capacity = _number(rec.get("capacity_wspm"), file=name, row=row, field="capacity_wspm")
        ramp = _number(rec.get("ramp_years"), file=name, row=row, field="ramp_years")
        sources = _citations(rec, file=name, row=row, required=True)
        out.append(Project(
            ident, _text(rec.get("name")) or ident, _text(rec.get("site")), _text(rec.get("operator")),
            _country(rec.get("country"), file=name, row=row, field="country"),
            _choice(rec.get("node_class"), NODE_CLASSES, file=name, row=row, field="node_class"),
            _choice(rec.get("status"), STATUSES, file=name, row=row, field="status"), announced, start,
            2.0 if ramp is None else ramp, int(wafer) if wafer is not None else None, capacity,
            _text(rec.get("capacity_note")), _text(rec.get("atlas_campus")), sources, _text(rec.get("note")),
            _date(rec.get("updated"), file=name, row=row, field="updated")))
    return tuple(out)


def load_projects(path: str | Path | None = None) -> tuple[Project, ...]:
    from pinchpoint.planning.registry import data_path

    return read_projects(path or data_path("projects.yaml"))


def projects_table(projects: Sequence[Project], *, country: str | None = None, status: str | None = None
                   ) -> ResultTable:
    chosen = list(projects)
    filters = []
    if country:
        code = filter_country(country)
        chosen = [p for p in chosen if p.country == code]
        filters.append(f"country {code}")
    if status:
        if status not in STATUSES:
            raise BadArgumentError(f"unknown status {status!r} (statuses: {', '.join(STATUSES)})", parameter="status")
        chosen = [p for p in chosen if p.status == status]
        filters.append(f"status {status}")
    rows = [{"project_id": p.id, "name": p.name, "operator": p.operator, "country": p.country, "site": p.site,
             "node_class": p.node_class, "wafer_mm": p.wafer_mm, "capacity_wspm": p.capacity_wspm,
             "status": p.status, "announced": p.announced.isoformat() if p.announced else None,
             "start": p.start.isoformat() if p.start else None, "ramp_years": p.ramp_years,
             "atlas_campus": p.atlas_campus or None, "sources": [s.url for s in p.sources]} for p in chosen]
    table = ResultTable.from_records("projects", rows, meta={"analysis": "projects"})
    missing = sum(p.capacity_wspm is None for p in chosen)
    table = table.with_caveats(
        "capacity_wspm is 300 mm-equivalent wafer starts per month at full ramp, only where a cited source gives it"
        + (f"; {missing} of {len(chosen)} projects have none and add nothing to a projection." if missing else "."))
    if not chosen and filters:
        table = table.with_caveats(
            f"No project matches {' and '.join(filters)}; the pipeline holds {len(projects)} projects in "
            f"{', '.join(sorted({p.country for p in projects}))} with statuses "
            f"{', '.join(sorted({p.status for p in projects}))}.")
    return table


def atlas_check(projects: Sequence[Project], atlas_csv: str | Path) -> ResultTable:
    """Each project linked to a campus of the AI chip fab atlas (``atlas-campuses.csv``) beside the atlas's own
    lifecycle status and its as-of date, so a stale status shows."""
    from pinchpoint.supplychain.csvio import read_rows

    path = Path(atlas_csv)
    campuses = {row["campus_id"]: (line, row) for line, row in read_rows(
        path, ("campus_id", "campus_name", "operator", "country_code", "lifecycle_status", "lifecycle_as_of_date"))}
    rows = []
    for p in projects:
        if not p.atlas_campus:
            continue
        if p.atlas_campus not in campuses:
            raise DataError(f"project {p.id!r} names atlas campus {p.atlas_campus!r}, which {path.name} does not "
                            "hold", file=str(path), field="campus_id")
        _, c = campuses[p.atlas_campus]
        rows.append({"project_id": p.id, "status": p.status, "atlas_campus": p.atlas_campus,
                     "atlas_name": c["campus_name"], "atlas_operator": c["operator"],
                     "atlas_country": c["country_code"], "atlas_status": c["lifecycle_status"],
                     "atlas_as_of": c["lifecycle_as_of_date"], "country_agrees": c["country_code"] == p.country})
    return ResultTable.from_records("atlas_check", rows, meta={"analysis": "projects atlas", "atlas": str(path)}
                                    ).with_caveats("The atlas covers AI-relevant logic campuses (31), not memory, "
                                                   "analog or packaging sites; statuses are its own, as of its date.")


# Projection ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusDelay:
    """Per status: the probability a project is cancelled and its delay in years (triangular: low, mode, high)."""

    cancel: float = 0.0
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    basis: str = "assumption"  # a citation, or 'assumption'


@dataclass(frozen=True)
class DelayModel:
    by_status: Mapping[str, StatusDelay] = field(default_factory=dict)

    @classmethod
    def none(cls) -> DelayModel:
        return cls({s: StatusDelay(basis="no delays") for s in STATUSES})

    @classmethod
    def default(cls) -> DelayModel:
        """Illustrative parameters, every one an ASSUMPTION (no published distribution of fab delays by status
        could be cited): later stages slip less and are cancelled less often."""
        a = "assumption"
        return cls({"announced": StatusDelay(0.25, 0.0, 1.0, 3.0, a),
                    "under_construction": StatusDelay(0.05, 0.0, 0.5, 2.0, a),
                    "delayed": StatusDelay(0.20, 0.5, 1.5, 4.0, a),
                    "ramping": StatusDelay(0.0, 0.0, 0.0, 1.0, a),
                    "operating": StatusDelay(0.0, 0.0, 0.0, 0.0, a),
                    "cancelled": StatusDelay(1.0, 0.0, 0.0, 0.0, "status: cancelled")})

    @classmethod
    def named(cls, name: str) -> DelayModel:
        """``default`` (the documented assumptions) or ``none`` (no delays, no cancellations)."""
        models = {"default": cls.default, "none": cls.none}
        if name not in models:
            raise BadArgumentError(f"unknown delay model {name!r} (one of: {', '.join(models)})", parameter="delays")
        return models[name]()

    def caveat(self) -> str:
        parts = [f"{s}: cancel {d.cancel:.0%}, delay {d.low:g}/{d.mode:g}/{d.high:g} y ({d.basis})"
                 for s, d in self.by_status.items()]
        return "Delay model (probability of cancellation; triangular delay low/mode/high in years; basis): " + \
            "; ".join(parts) + "."


@dataclass(frozen=True)
class Pipeline:
    """Projects as arrays: the projection's input."""

    countries: tuple[str, ...]
    node_classes: tuple[str, ...]
    capacity: NDArray[np.float64]  # (projects,)
    start: NDArray[np.float64]  # (projects,) fractional year of volume start
    ramp: NDArray[np.float64]  # (projects,) years
    status: NDArray[np.int64]  # (projects,) index into STATUSES
    group: NDArray[np.int64]  # (projects,) index of (country, node class) cell
    ids: tuple[str, ...] = ()
    #: (projects,) share of full capacity already counted in the baseline (ramped by the end of its year, as
    #: planned); the pipeline adds only what comes after it. None: nothing is in a baseline.
    already: NDArray[np.float64] | None = None

    @classmethod
    def from_projects(cls, projects: Iterable[Project]) -> tuple[Pipeline, list[str]]:
        usable = [p for p in projects if p.capacity_wspm is not None and p.start is not None]
        skipped = [p.id for p in projects if p not in usable]
        countries = tuple(sorted({p.country for p in usable}))
        nodes = tuple(n for n in NODE_CLASSES if any(p.node_class == n for p in usable))
        start = np.array([p.start.year + (p.start.timetuple().tm_yday - 1) / 365.0 for p in usable if p.start])
        return cls(countries, nodes, np.array([float(p.capacity_wspm or 0.0) for p in usable]), start,
                   np.array([max(p.ramp_years, 0.0) for p in usable]),
                   np.array([STATUSES.index(p.status) for p in usable], dtype=np.int64),
                   np.array([countries.index(p.country) * len(nodes) + nodes.index(p.node_class) for p in usable],
                            dtype=np.int64), tuple(p.id for p in usable)), skipped


#: Ramps shorter than this many years are steps (capacity arrives at once at the start).
RAMP_STEP = 1e-6


def ramp_fraction(years: NDArray[np.float64], start: NDArray[np.float64], ramp: NDArray[np.float64]
                  ) -> NDArray[np.float64]:
    """(projects, years[, draws]) share of full capacity at the end of each year."""
    elapsed = years[None, :] + 1.0 - start[:, None]
    out: NDArray[np.float64] = np.clip(elapsed / np.maximum(ramp, RAMP_STEP)[:, None], 0.0, 1.0)
    return out


def deterministic(pipeline: Pipeline, years: Sequence[int]) -> NDArray[np.float64]:
    """(cells, years): capacity added by the pipeline, no delays."""
    y = np.asarray(years, dtype=float)
    frac = ramp_fraction(y, pipeline.start, pipeline.ramp)
    if pipeline.already is not None:
        frac = np.maximum(frac - pipeline.already[:, None], 0.0)
    frac = frac * pipeline.capacity[:, None]
    cells = len(pipeline.countries) * len(pipeline.node_classes)
    out = np.zeros((cells, len(y)))
    np.add.at(out, pipeline.group, frac)
    return out


def simulate(pipeline: Pipeline, years: Sequence[int], model: DelayModel, draws: int = 1000, seed: int = 0,
             chunk: int = 1000) -> NDArray[np.float64]:
    """(draws, cells, years): capacity added in each Monte Carlo draw. All random numbers are drawn first, from one
    seeded generator, so a seed always gives the same result."""
    rng = np.random.default_rng(seed)
    n = len(pipeline.capacity)
    params = np.array([[model.by_status.get(s, StatusDelay()).cancel, model.by_status.get(s, StatusDelay()).low,
                        model.by_status.get(s, StatusDelay()).mode, model.by_status.get(s, StatusDelay()).high]
                       for s in STATUSES])[pipeline.status] if n else np.zeros((0, 4))
    keep = rng.random((draws, n), dtype=np.float32) >= params[:, 0][None, :]
    lo, mode, hi = params[:, 1], params[:, 2], params[:, 3]
    # triangular delays by inverse CDF, drawn only for the projects whose status gives a range
    delay = np.repeat(lo[None, :], draws, axis=0)
    varied = np.flatnonzero(hi > lo)
    if len(varied):
        lo_v, mode_v, hi_v = lo[varied], mode[varied], hi[varied]
        width = hi_v - lo_v
        cut = (mode_v - lo_v) / width
        u = rng.random((draws, len(varied)))
        low_side = u < cut
        delay[:, varied] = np.where(low_side, lo_v + np.sqrt(np.where(low_side, u, 0.0) * width * (mode_v - lo_v)),
                                    hi_v - np.sqrt(np.where(low_side, 0.0, 1.0 - u) * width * (hi_v - mode_v)))
    y = np.asarray(years, dtype=np.float64)
    cells = len(pipeline.countries) * len(pipeline.node_classes)
    out = np.zeros((draws, cells, len(y)))
    # Per chunk of draws, (draws, projects, years) in single precision on times relative to the first year (so
    # rounding stays near 1e-6 years), then one matrix product onto the (country, node class) cells.
    onehot = np.zeros((n, cells), dtype=np.float32)
    onehot[np.arange(n), pipeline.group] = 1.0
    inv_ramp = (1.0 / np.maximum(pipeline.ramp, RAMP_STEP)).astype(np.float32)[None, :, None]
    rel_years = (y - y[0] + 1.0).astype(np.float32)[None, None, :]
    already = None if pipeline.already is None else pipeline.already.astype(np.float32)[None, :, None]
    for lo_d in range(0, draws, chunk):
        hi_d = min(draws, lo_d + chunk)
        rel_start = (pipeline.start[None, :] + delay[lo_d:hi_d] - y[0]).astype(np.float32)
        frac = rel_years - rel_start[:, :, None]
        frac *= inv_ramp
        np.clip(frac, 0.0, 1.0, out=frac)
        if already is not None:  # only what ramps after the baseline's year is added to it
            frac -= already
            np.maximum(frac, 0.0, out=frac)
        frac *= (pipeline.capacity[None, :] * keep[lo_d:hi_d]).astype(np.float32)[:, :, None]
        out[lo_d:hi_d] = np.matmul(frac.transpose(0, 2, 1), onehot).transpose(0, 2, 1)
    return out


#: The node classes whose capacity is front-end wafer fabrication (what "all" counts): packaging and materials
#: plants start no wafers of chips.
FAB_NODE_CLASSES = tuple(n for n in NODE_CLASSES if n not in ("packaging", "materials"))
#: A baseline may give each region's total over the fab node classes as node class "all".
ALL_NODES = "all"
BASELINE_NODE_CLASSES = (*NODE_CLASSES, ALL_NODES)
@dataclass(frozen=True)
class Baseline:
    """Capacity by region and node class in one year, each figure with its basis (cited, derived, assumption)."""

    year: int | None  # None: the file gave none (projects are added whole)
    capacity: Mapping[tuple[str, str], float]
    source: str = ""
    caveats: tuple[str, ...] = ()
    records: tuple[Mapping[str, Any], ...] = ()


def baseline_region(country: str, regions: Iterable[str]) -> str:
    """The region of a baseline that a project in ``country`` counts in: the country itself if the baseline holds
    it, else ``EUR`` for an EU member state (the kernel's group ``EU27_2020``) if the baseline holds EUR, else
    ``ROW`` if it holds ROW, else the country. SEMI's "Europe & Mideast" also holds non-EU countries (Israel, the
    United Kingdom...); the kernel has no group for it, so a project there counts in ROW, and the projection's
    caveats list every such move."""
    from pinchpoint.kernel.countries import group_members

    held = set(regions)
    if country in held:
        return country
    if "EUR" in held and country in group_members("EU27_2020"):
        return "EUR"
    return "ROW" if "ROW" in held else country


def projection(projects: Sequence[Project], baseline: Mapping[tuple[str, str], float] | Baseline,
               years: Sequence[int], *, model: DelayModel | None = None, draws: int = 1000, seed: int = 0,
               band: tuple[float, float] = (5, 95), baseline_source: str = "", baseline_year: int | None = None
               ) -> ResultTable:
    """Capacity (wafer starts per month, 300 mm-equivalent) and share of the world total by region, node class
    and year: baseline plus pipeline, mean and band over ``draws`` Monte Carlo draws (``model``; no delays if None).

    ``baseline`` maps (region, node class) to capacity at the end of ``baseline_year`` (or is a :class:`Baseline`);
    node class ``all`` is a region's total over the fab node classes. With a baseline year, a project adds only the
    part of its capacity that ramps after that year (as planned): what ran before is in the baseline already.
    Projects in countries the baseline does not hold count in its ``EUR`` or ``ROW`` region
    (:func:`baseline_region`). Shares are computed only for node classes the baseline covers: a pipeline alone is
    not the world."""
    extra_caveats: list[str] = []
    if isinstance(baseline, Baseline):
        baseline_year = baseline.year if baseline_year is None else baseline_year
        baseline_source = baseline_source or baseline.source
        extra_caveats = list(baseline.caveats)
        baseline = baseline.capacity
    if not years:
        raise BadArgumentError("a projection needs at least one year", parameter="years")
    if draws < 1:
        raise BadArgumentError(f"draws must be at least 1, not {draws}", parameter="draws")
    if seed < 0:
        raise BadArgumentError(f"the seed must be a non-negative integer, not {seed}", parameter="seed")
    for (c, n), v in baseline.items():
        if n not in BASELINE_NODE_CLASSES:
            raise BadArgumentError(f"baseline node class {n!r} unknown (classes: {', '.join(BASELINE_NODE_CLASSES)})")
        if not math.isfinite(v) or v < 0:
            raise BadArgumentError(f"baseline capacity for {c}/{n} must be a non-negative number, not {v}")
    pipe, skipped = Pipeline.from_projects(projects)
    base_regions = {c for c, _ in baseline}
    region_of = {c: baseline_region(c, base_regions) if baseline else c for c in pipe.countries}
    moved = sorted(f"{c} -> {r}" for c, r in region_of.items() if c != r)
    regions = tuple(sorted(set(region_of.values()) | base_regions))
    nodes = tuple(n for n in NODE_CLASSES if n in pipe.node_classes or any(k == n for _, k in baseline))
    remap = np.array([regions.index(region_of[c]) * len(nodes) + nodes.index(n) for c in pipe.countries
                      for n in pipe.node_classes], dtype=np.int64)
    already = None
    if baseline_year is not None:
        already = ramp_fraction(np.array([float(baseline_year)]), pipe.start, pipe.ramp)[:, 0]
    pipe = Pipeline(regions, nodes, pipe.capacity, pipe.start, pipe.ramp, pipe.status,
                    remap[pipe.group] if len(pipe.group) else pipe.group, pipe.ids, already)
    shape = (len(regions), len(nodes))
    base = np.zeros(shape)
    base_all = np.zeros(len(regions))
    for (c, n), v in baseline.items():
        if n == ALL_NODES:
            base_all[regions.index(c)] = v
        else:
            base[regions.index(c), nodes.index(n)] = v
    covered = [any(k == n for _, k in baseline) for n in nodes]
    model = model or DelayModel.none()
    adds = simulate(pipe, years, model, draws=draws, seed=seed).reshape(draws, *shape, len(years))
    det_adds = deterministic(pipe, years).reshape(*shape, len(years))
    cap = adds + base[None, :, :, None]
    det = det_adds + base[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        total = cap.sum(axis=1, keepdims=True)
        share = np.where(total > 0, cap / total, np.nan)
        det_total = det.sum(axis=0, keepdims=True)
        det_share = np.where(det_total > 0, det / det_total, np.nan)
    share[:, :, ~np.array(covered, dtype=bool)] = np.nan
    det_share[:, ~np.array(covered, dtype=bool)] = np.nan
    fab = np.array([n in FAB_NODE_CLASSES for n in nodes], dtype=bool)
    with_all = bool(base_all.any())
    if with_all:
        all_cap = adds[:, :, fab].sum(axis=2) + base_all[None, :, None]  # (draws, regions, years)
        all_det = det_adds[:, fab].sum(axis=1) + base_all[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            all_share = all_cap / all_cap.sum(axis=1, keepdims=True)
            all_det_share = all_det / all_det.sum(axis=0, keepdims=True)
    rows = []

    def row(region: str, node: str, year: int, cv: NDArray[np.float64], dv: float, sv: NDArray[np.float64],
            ds: float) -> dict[str, Any]:
        has_share = bool(np.isfinite(sv).any())
        return {"country": region, "node_class": node, "year": int(year),
                "capacity_deterministic": round(float(dv), 3), "capacity_mean": round(float(cv.mean()), 3),
                "capacity_low": round(float(np.percentile(cv, band[0])), 3),
                "capacity_high": round(float(np.percentile(cv, band[1])), 3),
                "share_deterministic": round(float(ds), 6) if np.isfinite(ds) else None,
                "share_mean": round(float(np.nanmean(sv)), 6) if has_share else None,
                "share_low": round(float(np.nanpercentile(sv, band[0])), 6) if has_share else None,
                "share_high": round(float(np.nanpercentile(sv, band[1])), 6) if has_share else None}

    for ri, r in enumerate(regions):
        if with_all:
            for yi, y in enumerate(years):
                rows.append(row(r, ALL_NODES, y, all_cap[:, ri, yi], all_det[ri, yi], all_share[:, ri, yi],
                                all_det_share[ri, yi]))
        for ni, n in enumerate(nodes):
            for yi, y in enumerate(years):
                cv = cap[:, ri, ni, yi]
                if not cv.any() and not det[ri, ni, yi]:
                    continue
                rows.append(row(r, n, y, cv, det[ri, ni, yi], share[:, ri, ni, yi], det_share[ri, ni, yi]))
    meta = {"analysis": "projection", "draws": draws, "seed": seed, "band": list(band), "years": list(years),
            "projects": len(pipe.ids), "baseline": baseline_source or ("none" if not baseline else "given"),
            "baseline_year": baseline_year}
    caveats = [model.caveat(),
               "Capacity is 300 mm-equivalent wafer starts per month" + (
                   f"; the baseline ({baseline_source or 'given'}) is capacity at the end of {baseline_year}, and a "
                   "project adds only what ramps after that year as planned" if baseline and baseline_year else
                   (f" (baseline: {baseline_source or 'given'})" if baseline else
                    ": no baseline was given, so capacity is the pipeline's addition only and no share is computed"))
               + ".",
               f"Bands are the {band[0]:g}th-{band[1]:g}th percentiles over {draws:,} draws (seed {seed})."]
    if baseline:
        uncovered = [n for n, c in zip(nodes, covered, strict=True) if not c]
        caveats.append("Shares are of the world total the baseline and the pipeline give in each node class"
                       + (f"; none for {', '.join(uncovered)}, which the baseline does not cover (the pipeline "
                          "alone is not the world)" if uncovered else "") + "."
                       + (" Node class 'all' is each region's baseline total plus the pipeline's fab node classes "
                          "(packaging and materials plants start no wafers)." if with_all else ""))
        caveats.append("The world grows here only by the projects in the pipeline and the baseline: capacity other "
                       "regions add outside the pipeline is not counted, so the pipeline regions' later shares are "
                       "upper bounds.")
    if moved:
        caveats.append("Projects in countries the baseline does not hold count in its regions: " + ", ".join(moved)
                       + ".")
    caveats.extend(extra_caveats)
    if skipped:
        caveats.append(f"{len(skipped)} project(s) have no cited capacity or start and are left out: "
                       + ", ".join(skipped[:12]) + ("..." if len(skipped) > 12 else "") + ".")
    return ResultTable.from_records("projection", rows, meta=meta).with_caveats(*caveats)


def projection_rows_for(table: ResultTable, country: str) -> ResultTable:
    """The rows of a :func:`projection` table for the region ``country`` counts in (``DEU`` -> ``EUR`` when the
    baseline holds Europe as one region), with a caveat naming the region; an unknown code is a NotFoundError
    with the closest codes. The projection is by the baseline's regions, so a country inside a region has no rows
    of its own: filtering by the raw code would answer an empty table that says nothing."""
    from pinchpoint.kernel.countries import check_country

    code = country.strip().upper()
    regions = sorted({str(r["country"]) for r in table.rows})
    if code not in regions:
        check_country(code)
    region = baseline_region(code, regions)
    rows = tuple(r for r in table.rows if r["country"] == region)
    filtered = ResultTable(table.name, table.columns, rows, {**table.meta, "country": code, "region": region})
    if region != code:
        filtered = filtered.with_caveats(f"{code} is not a region of the baseline: the rows are those of {region}, "
                                         f"the region {code} counts in.")
    if not rows:
        filtered = filtered.with_caveats(f"The projection has no rows for {region}; its regions are "
                                         f"{', '.join(regions) or 'none'}.")
    return filtered


def read_baseline(path: str | Path) -> tuple[dict[tuple[str, str], float], str]:
    """A baseline CSV (country,node_class,capacity_wspm,source): capacity by country and node class."""
    from pinchpoint.supplychain.csvio import read_rows

    p = Path(path)
    name = str(path)
    out: dict[tuple[str, str], float] = {}
    sources: set[str] = set()
    for row, rec in read_rows(p, ("country", "node_class", "capacity_wspm", "source"), name):
        key = (_country(rec["country"], file=name, row=row, field="country"),
               _choice(rec["node_class"], BASELINE_NODE_CLASSES, file=name, row=row, field="node_class"))
        if key in out:
            raise DataError(f"{key[0]}/{key[1]} is given twice", file=name, row=row, field="node_class")
        value = _number(rec["capacity_wspm"], file=name, row=row, field="capacity_wspm", required=True)
        if not rec["source"].strip():
            raise DataError("every baseline figure cites its source", file=name, row=row, field="source")
        sources.add(rec["source"].strip())
        out[key] = float(value or 0.0)
    return out, "; ".join(sorted(sources))


#: 300 mm-equivalent wafers per 200 mm-equivalent wafer: the ratio of the wafers' areas, (300 / 200) ** 2.
AREA_200_TO_300 = 2.25
BASELINE_UNITS = {"200mm_equivalent_wpm": 1.0 / AREA_200_TO_300, "300mm_equivalent_wpm": 1.0}
BASES = ("cited", "derived", "assumption")
#: How far the regions' sum may stray from a stated world total (rounding of the cited figures).
WORLD_TOLERANCE = 0.005


def load_baseline(path: str | Path | None = None) -> Baseline:
    """The capacity baseline: the built-in one (``planning/data/baseline.yaml``, SEMI's figures with a basis per
    figure) or a file: YAML or JSON like the built-in one, or CSV (``country,node_class,capacity_wspm,source`` in
    300 mm equivalents, with an optional ``year`` column). The whole file is checked before anything is used."""
    from pinchpoint.planning.registry import data_path

    p = Path(path) if path is not None else data_path("baseline.yaml")
    name = str(p)
    if p.suffix.lower() == ".csv":
        return _baseline_csv(p)
    if p.suffix.lower() in (".yaml", ".yml"):
        from pinchpoint.yamlio import load_yaml

        doc, _ = load_yaml(p)
    elif p.suffix.lower() == ".json":
        from pinchpoint.yamlio import read_json

        doc = read_json(p)  # capped: size, encoding, nesting
    else:
        raise DataError("unrecognised file type for a baseline: expected .yaml, .yml, .json or .csv", file=name)
    if not isinstance(doc, dict):
        raise DataError("expected a mapping with year, unit and records", file=name, row=1)
    year = _year(doc.get("year"), file=name, row=None)
    unit = _text(doc.get("unit"))
    if unit not in BASELINE_UNITS:
        raise DataError(f"unit must be one of {', '.join(BASELINE_UNITS)}, not {unit!r}", file=name, field="unit")
    factor = BASELINE_UNITS[unit]
    capacity: dict[tuple[str, str], float] = {}
    seen: dict[tuple[str, str], int] = {}
    records: list[dict[str, Any]] = []
    sources: set[str] = set()
    for row, rec in _records(p, "records"):
        key = (_country(rec.get("region"), file=name, row=row, field="region"),
               _choice(rec.get("node_class"), BASELINE_NODE_CLASSES, file=name, row=row, field="node_class"))
        if key in seen:
            raise DataError(f"{key[0]}/{key[1]} repeats the figure on row {seen[key]}", file=name, row=row,
                            field="region")
        seen[key] = row
        value = _number(rec.get("capacity"), file=name, row=row, field="capacity", required=True)
        basis = _choice(rec.get("basis"), BASES, file=name, row=row, field="basis")
        derivation = _text(rec.get("derivation"))
        if basis != "cited" and not derivation:
            raise DataError(f"a {basis} figure says how it was obtained (derivation)", file=name, row=row,
                            field="derivation")
        cites = _citations(rec, file=name, row=row, required=True)
        sources.update(c.url for c in cites)
        capacity[key] = float(value or 0.0) * factor
        records.append({"region": key[0], "node_class": key[1], "capacity_wspm": round(capacity[key], 1),
                        "basis": basis, "derivation": derivation, "sources": [c.url for c in cites]})
    world = _number(doc.get("world"), file=name, row=1, field="world")
    totals = sum(v for (_, n), v in capacity.items() if n == ALL_NODES)
    if world is not None and abs(totals - world * factor) > WORLD_TOLERANCE * world * factor:
        raise DataError(f"the regions' totals ({totals / factor:,.0f}) do not add up to the world total "
                        f"({world:,.0f})", file=name, field="world")
    not_cited = [f"{r['region']}/{r['node_class']} ({r['basis']}: {r['derivation']})" for r in records
                 if r["basis"] != "cited"]
    caveats = [f"Baseline: capacity at the end of {year} by region from {name if path is not None else 'SEMI'}"
               + (", converted from 200 mm to 300 mm equivalents (/ 2.25)" if factor != 1.0 else "") + "."]
    if not_cited:
        caveats.append("Baseline figures not stated by a source: " + "; ".join(not_cited))
    return Baseline(year, capacity, "built-in (SEMI World Fab Forecast)" if path is None else name, tuple(caveats),
                    tuple(records))


def _baseline_csv(p: Path) -> Baseline:
    from pinchpoint.supplychain.csvio import read_rows

    name = str(p)
    table, source = read_baseline(p)
    years = {(r.get("year") or "").strip() for _, r in read_rows(p, ("country",), name)} - {""}
    if len(years) > 1:
        raise DataError(f"a baseline is one year's capacity; the file gives {', '.join(sorted(years))}", file=name,
                        field="year")
    if years:
        return Baseline(_year(next(iter(years)), file=name, row=None), table, source)
    return Baseline(None, table, source, ("The baseline file gives no year, so projects are added whole, whenever "
                                          "they started: a project already running in the baseline counts twice.",))


def _year(raw: Any, *, file: str, row: int | None) -> int:
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError):
        raise DataError(f"expected a year such as 2025, found {raw!r}", file=file, row=row, field="year") from None
    if not 1950 <= year <= 2100:
        raise DataError(f"year {year} is out of range (1950-2100)", file=file, row=row, field="year")
    return year


def _unused(x: Any) -> None:  # pragma: no cover - keeps imports explicit for type checkers
    del x


# National targets ---------------------------------------------------------------------------------------------
def targets_table(path: str | Path | None = None) -> ResultTable:
    """National targets (Japan's 2030 domestic sales goal, the EU's 20% share goal) with the cited level or
    forecast and the gap between them."""
    from pinchpoint.planning.registry import data_path

    p = Path(path) if path is not None else data_path("targets.yaml")
    name = str(p)
    rows = []
    for row, rec in _records(p, "targets"):
        target = _number(rec.get("target"), file=name, row=row, field="target", required=True)
        level = _number(rec.get("level"), file=name, row=row, field="level", required=True)
        assert target is not None and level is not None
        sources = _citations(rec, file=name, row=row, required=True)
        rows.append({"target_id": _text(rec.get("id")),
                     "country": _country(rec.get("country"), file=name, row=row, field="country", allow_eu=True),
                     "year": int(rec.get("year") or 0), "measure": _text(rec.get("measure")),
                     "unit": _text(rec.get("unit")), "target": target, "level": level,
                     "level_year": int(rec.get("level_year") or 0), "level_kind": _text(rec.get("level_kind")),
                     "gap": round(target - level, 6), "sources": [s.url for s in sources]})
    return ResultTable.from_records("targets", rows, meta={"analysis": "targets", "file": name}).with_caveats(
        "The gap is the target minus the cited level or forecast (level_kind says which), in the target's own "
        "unit; the targets count sales or market share, which a capacity projection does not measure.")
