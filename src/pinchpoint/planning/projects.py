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
from pinchpoint.planning.registry import Citation, _choice, _citations, _country, _date, _number, _records, _text
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
    if country:
        code = _country(country, file="", row=0, field="country")
        chosen = [p for p in chosen if p.country == code]
    if status:
        if status not in STATUSES:
            raise BadArgumentError(f"unknown status {status!r} (statuses: {', '.join(STATUSES)})", parameter="status")
        chosen = [p for p in chosen if p.status == status]
    rows = [{"project_id": p.id, "name": p.name, "operator": p.operator, "country": p.country, "site": p.site,
             "node_class": p.node_class, "wafer_mm": p.wafer_mm, "capacity_wspm": p.capacity_wspm,
             "status": p.status, "announced": p.announced.isoformat() if p.announced else None,
             "start": p.start.isoformat() if p.start else None, "ramp_years": p.ramp_years,
             "atlas_campus": p.atlas_campus or None, "sources": [s.url for s in p.sources]} for p in chosen]
    table = ResultTable.from_records("projects", rows, meta={"analysis": "projects"})
    missing = sum(p.capacity_wspm is None for p in chosen)
    return table.with_caveats(
        "capacity_wspm is 300 mm-equivalent wafer starts per month at full ramp, only where a cited source gives it"
        + (f"; {missing} of {len(chosen)} projects have none and add nothing to a projection." if missing else "."))


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
    frac = ramp_fraction(y, pipeline.start, pipeline.ramp) * pipeline.capacity[:, None]
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
    for lo_d in range(0, draws, chunk):
        hi_d = min(draws, lo_d + chunk)
        rel_start = (pipeline.start[None, :] + delay[lo_d:hi_d] - y[0]).astype(np.float32)
        frac = rel_years - rel_start[:, :, None]
        frac *= inv_ramp
        np.clip(frac, 0.0, 1.0, out=frac)
        frac *= (pipeline.capacity[None, :] * keep[lo_d:hi_d]).astype(np.float32)[:, :, None]
        out[lo_d:hi_d] = np.matmul(frac.transpose(0, 2, 1), onehot).transpose(0, 2, 1)
    return out


def projection(projects: Sequence[Project], baseline: Mapping[tuple[str, str], float], years: Sequence[int], *,
               model: DelayModel | None = None, draws: int = 1000, seed: int = 0, band: tuple[float, float] = (5, 95),
               baseline_source: str = "") -> ResultTable:
    """Capacity (wafer starts per month, 300 mm-equivalent) and share of the world total by country, node class
    and year: baseline plus pipeline, mean and band over ``draws`` Monte Carlo draws (``model``; no delays if None).
    ``baseline`` maps (country, node class) to capacity in the baseline year; countries not in it count only
    through their projects."""
    if not years:
        raise BadArgumentError("a projection needs at least one year", parameter="years")
    if draws < 1:
        raise BadArgumentError(f"draws must be at least 1, not {draws}", parameter="draws")
    if seed < 0:
        raise BadArgumentError(f"the seed must be a non-negative integer, not {seed}", parameter="seed")
    for (c, n), v in baseline.items():
        if n not in NODE_CLASSES:
            raise BadArgumentError(f"baseline node class {n!r} unknown (classes: {', '.join(NODE_CLASSES)})")
        if not math.isfinite(v) or v < 0:
            raise BadArgumentError(f"baseline capacity for {c}/{n} must be a non-negative number, not {v}")
    pipe, skipped = Pipeline.from_projects(projects)
    countries = tuple(sorted(set(pipe.countries) | {c for c, _ in baseline}))
    nodes = tuple(n for n in NODE_CLASSES if n in pipe.node_classes or any(k == n for _, k in baseline))
    remap = np.array([countries.index(c) * len(nodes) + nodes.index(n) for c in pipe.countries
                      for n in pipe.node_classes], dtype=np.int64)
    pipe = Pipeline(countries, nodes, pipe.capacity, pipe.start, pipe.ramp, pipe.status,
                    remap[pipe.group] if len(pipe.group) else pipe.group, pipe.ids)
    base = np.zeros(len(countries) * len(nodes))
    for (c, n), v in baseline.items():
        base[countries.index(c) * len(nodes) + nodes.index(n)] = v
    model = model or DelayModel.none()
    sims = simulate(pipe, years, model, draws=draws, seed=seed) + base[None, :, None]
    total_by_node = sims.reshape(draws, len(countries), len(nodes), len(years)).sum(axis=1)  # (draws, nodes, years)
    cap = sims.reshape(draws, len(countries), len(nodes), len(years))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_by_node[:, None] > 0, cap / total_by_node[:, None], np.nan)
    det = deterministic(pipe, years).reshape(len(countries), len(nodes), len(years)) + \
        base.reshape(len(countries), len(nodes))[:, :, None]
    if not baseline:
        share[:] = np.nan  # a pipeline alone is not the world: no shares without a baseline
    rows = []
    for ci, c in enumerate(countries):
        for ni, n in enumerate(nodes):
            for yi, y in enumerate(years):
                cv = cap[:, ci, ni, yi]
                sv = share[:, ci, ni, yi]
                if not cv.any() and not det[ci, ni, yi]:
                    continue
                rows.append({"country": c, "node_class": n, "year": int(y),
                             "capacity_deterministic": round(float(det[ci, ni, yi]), 3),
                             "capacity_mean": round(float(cv.mean()), 3),
                             "capacity_low": round(float(np.percentile(cv, band[0])), 3),
                             "capacity_high": round(float(np.percentile(cv, band[1])), 3),
                             "share_mean": round(float(np.nanmean(sv)), 6) if np.isfinite(sv).any() else None,
                             "share_low": round(float(np.nanpercentile(sv, band[0])), 6) if np.isfinite(sv).any()
                             else None,
                             "share_high": round(float(np.nanpercentile(sv, band[1])), 6) if np.isfinite(sv).any()
                             else None})
    meta = {"analysis": "projection", "draws": draws, "seed": seed, "band": list(band), "years": list(years),
            "projects": len(pipe.ids), "baseline": baseline_source or ("none" if not baseline else "given")}
    caveats = [model.caveat(),
               "Capacity is 300 mm-equivalent wafer starts per month; shares are of the world total in each node "
               "class over the countries present" + (f" (baseline: {baseline_source or 'given'})." if baseline else
                                                     ": no baseline was given, so capacity is the pipeline's "
                                                     "addition only and no share is computed."),
               f"Bands are the {band[0]:g}th-{band[1]:g}th percentiles over {draws:,} draws (seed {seed})."]
    if skipped:
        caveats.append(f"{len(skipped)} project(s) have no cited capacity or start and are left out: "
                       + ", ".join(skipped[:12]) + ("..." if len(skipped) > 12 else "") + ".")
    return ResultTable.from_records("projection", rows, meta=meta).with_caveats(*caveats)


def read_baseline(path: str | Path) -> tuple[dict[tuple[str, str], float], str]:
    """A baseline file (CSV: country,node_class,capacity_wspm,source): capacity by country and node class."""
    from pinchpoint.supplychain.csvio import read_rows

    p = Path(path)
    name = str(path)
    out: dict[tuple[str, str], float] = {}
    sources: set[str] = set()
    for row, rec in read_rows(p, ("country", "node_class", "capacity_wspm", "source"), name):
        key = (_country(rec["country"], file=name, row=row, field="country"),
               _choice(rec["node_class"], NODE_CLASSES, file=name, row=row, field="node_class"))
        if key in out:
            raise DataError(f"{key[0]}/{key[1]} is given twice", file=name, row=row, field="node_class")
        value = _number(rec["capacity_wspm"], file=name, row=row, field="capacity_wspm", required=True)
        if not rec["source"].strip():
            raise DataError("every baseline figure cites its source", file=name, row=row, field="source")
        sources.add(rec["source"].strip())
        out[key] = float(value or 0.0)
    return out, "; ".join(sorted(sources))


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
