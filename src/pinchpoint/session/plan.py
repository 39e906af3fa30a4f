"""Planning use cases: the support-measures registry (awards, versions in the workspace, export, a partner's file
compared), the capacity pipeline (projects, the atlas check, the projection with its delay bands, national targets)
and the planner. Defaults (years, draws, delay models, the frontier's tables) live here, not in the interfaces.

Held: the built-in registry and projects (read once; re-read if their files change) and each stored version of the
awards (collection ``planning.awards``), whose stamp is the collection's versions in the workspace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError, DataError, NotFoundError, Problem
from pinchpoint.planning.params import MAX_FRONTIER_BUDGETS, PlanInputs, read_budgets
from pinchpoint.planning.params import OBJECTIVES as OBJECTIVES  # the interfaces' list, from one place
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.planning.measures import Measure
    from pinchpoint.planning.planner import PlanResult
    from pinchpoint.planning.projects import Baseline, Project
    from pinchpoint.planning.registry import Award, Registry
    from pinchpoint.stress.scenario import Scenario

#: The projection's years when none are given, and the widest span one request may ask for.
DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR, MAX_YEARS = 2025, 2034, 51
DEFAULT_DRAWS = 1000
#: Draws the plan report's projection uses (bands of the built-in pipeline beside the frontier).
REPORT_DRAWS = 1000
MAX_MEASURES_BYTES = 2 * 1024 * 1024  # an uploaded measures file

AWARD_COLUMNS = ["award_id", "recipient", "country", "amount", "currency", "amount_usd_m", "stage", "final"]
PROJECT_COLUMNS = ["project_id", "operator", "country", "node_class", "capacity_wspm", "status", "start"]
PROJECTION_COLUMNS = ["country", "node_class", "year", "capacity_deterministic", "capacity_mean", "capacity_low",
                      "capacity_high", "share_deterministic", "share_mean"]
TARGET_COLUMNS = ["target_id", "country", "year", "unit", "target", "level", "level_year", "gap"]
FRONTIER_COLUMNS = ["budget_musd_per_year", "risk", "reduction_pct", "proven_optimal", "mip_gap", "n_measures",
                    "spend_peak_year_musd"]
PORTFOLIO_COLUMNS = ["measure_id", "kind", "input_id", "country", "spend_total_musd", "contribution"]


def parse_date(value: str | dt.date | None, parameter: str) -> dt.date | None:
    """A day given as ``YYYY-MM-DD`` (or a date); anything else is a :class:`BadArgumentError`."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadArgumentError(f"{parameter} must be a date YYYY-MM-DD, not {value!r}", parameter=parameter) from None


def _files_stamp(*paths: Path) -> Hashable:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            out.append((str(p), -1, -1))
            continue
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class StoredAwards:
    """What storing awards did: the version written (or found unchanged) and how many awards it holds."""

    key: str
    version: str
    created: bool
    awards: int


class PlanGroup(Group):
    name = "plan"

    # Held objects ------------------------------------------------------------------------------------------
    def builtin_registry(self) -> Registry:
        """The built-in programmes and awards, read once (again only if the packaged files change)."""
        from pinchpoint.planning.registry import data_path, load_registry

        files = [data_path(n) for n in ("programmes.yaml", "awards.yaml", "projects.yaml")]
        return self.session.cache.get(("planning.registry",), _files_stamp(*files), load_registry)

    def builtin_projects(self) -> tuple[Project, ...]:
        """The built-in capacity pipeline, read once."""
        from pinchpoint.planning.projects import load_projects
        from pinchpoint.planning.registry import data_path

        return self.session.cache.get(("planning.projects",), _files_stamp(data_path("projects.yaml")),
                                      load_projects)

    def builtin_baseline(self) -> Baseline:
        """The built-in capacity baseline, read once."""
        from pinchpoint.planning.projects import load_baseline
        from pinchpoint.planning.registry import data_path

        return self.session.cache.get(("planning.baseline",), _files_stamp(data_path("baseline.yaml")),
                                      load_baseline)

    def stored_versions_stamp(self) -> tuple[tuple[str, str, str], ...]:
        """(key, version, content hash) of every version in ``planning.awards``: the stamp stored awards are held
        by (re-read only when the workspace changed)."""
        session = self.session
        if not session.workspace_exists():
            return ()

        def read() -> tuple[tuple[str, str, str], ...]:
            from pinchpoint.planning.store import AWARDS

            with session.open_reader() as ws:
                return tuple((v.key, v.version, v.content_hash) for v in ws.collection(AWARDS).list())

        stamp = session.stamp("planning.awards", read)
        assert isinstance(stamp, tuple)
        return stamp

    def registry(self, awards: str | Path | None = None, *, stored: str | None = None) -> Registry:
        """The registry a question is asked of: built in, an awards file (checked whole against the built-in
        programmes and projects), or a version stored in the workspace (``KEY`` or ``KEY@VERSION``)."""
        from pinchpoint.planning.registry import load_registry

        if awards is not None and stored is not None:
            raise BadArgumentError("give an awards file or a stored key, not both", parameter="stored")
        builtin = self.builtin_registry()
        if awards is not None:
            self._local(awards, "awards")
            return load_registry(awards)
        if stored is None:
            return builtin
        key, _, label = stored.partition("@")
        if not key.strip():
            raise BadArgumentError(f"a stored registry is KEY or KEY@VERSION, not {stored!r}", parameter="stored")
        stamp = self.stored_versions_stamp()
        held = {(k, v) for k, v, _ in stamp}
        latest = next((v for k, v, _ in stamp if k == key), None)  # versions come latest first per key
        version = label or latest
        if version is None or (key, version) not in held:
            return replace(builtin, awards=self._read_stored(builtin, key, label or None),
                           origin=f"workspace {key}@{label or 'latest'}")  # raises NotFoundError naming the stored
        awards_held = self.session.cache.get(("planning.awards", key, version), version,
                                             lambda: self._read_stored(builtin, key, version))
        return replace(builtin, awards=awards_held, origin=f"workspace {key}@{version}")

    def _read_stored(self, builtin: Registry, key: str, version: str | None) -> tuple[Award, ...]:
        from pinchpoint.planning.store import stored_awards

        self.session.authorize("plan.read", f"awards:{key}")
        if not self.session.workspace_exists():
            raise NotFoundError(f"no awards stored under {key!r}: there is no workspace at {self.session.db_path()}",
                                what="planning.awards", value=key)
        with self.session.open_reader() as ws:
            return stored_awards(ws, builtin, key, version)

    # Awards ------------------------------------------------------------------------------------------------
    def incentives(self, *, awards: str | Path | None = None, stored: str | None = None, country: str | None = None,
                   programme: str | None = None, stage: str | None = None, since: str | dt.date | None = None
                   ) -> ResultTable:
        """Support-measure awards (filtered), each figure with its source and its USD amount at a cited rate."""
        from pinchpoint.planning.registry import awards_table

        self.session.authorize("plan.read", "awards:*")
        return awards_table(self.registry(awards, stored=stored), country=country, programme=programme,
                            stage=stage, since=parse_date(since, "since"))

    def selected_awards(self, **filters: Any) -> list[Award]:
        """The awards :meth:`incentives` selects with the same arguments, as records (to export or store)."""
        registry = self.registry(filters.pop("awards", None), stored=filters.pop("stored", None))
        from pinchpoint.planning.registry import awards_table

        chosen = {r["award_id"] for r in awards_table(registry, country=filters.get("country"),
                                                      programme=filters.get("programme"), stage=filters.get("stage"),
                                                      since=parse_date(filters.get("since"), "since")).rows}
        return [a for a in registry.awards if a.id in chosen]

    def export_awards(self, path: str | Path, **filters: Any) -> tuple[Path, int]:
        """Write the selected awards, every field and source, as YAML, JSON or CSV (by suffix), to share."""
        from pinchpoint.planning.registry import write_awards

        self.session.authorize("plan.export", "awards:*")
        self._local(path, "export")
        chosen = self.selected_awards(**filters)
        return write_awards(chosen, path), len(chosen)

    def store_awards(self, key: str, **filters: Any) -> StoredAwards:
        """Store the selected awards as a new version of ``key`` in the workspace (a no-op if unchanged)."""
        from pinchpoint.planning.store import store_awards

        self.session.authorize("plan.store", f"awards:{key}")
        if not key.strip() or "@" in key:
            raise BadArgumentError(f"a storage key is a name without '@', not {key!r}", parameter="store")
        source = str(filters.get("awards") or filters.get("stored") or "builtin")
        chosen = self.selected_awards(**filters)
        with self.session.open_workspace() as ws:
            version = store_awards(ws, chosen, key=key, source=source)
        return StoredAwards(key, version.version, version.created, len(chosen))

    def award_versions(self, key: str | None = None) -> ResultTable:
        """The award versions stored in the workspace (key, version, content hash, when, source)."""
        from pinchpoint.planning.store import AWARDS

        self.session.authorize("plan.read", "awards:*")
        if not self.session.workspace_exists():
            return ResultTable.from_records("award_versions", [], ["key", "version", "content_hash", "created_at",
                                                                   "source", "size", "meta"],
                                            meta={"workspace": str(self.session.db_path()),
                                                  "collection": AWARDS.name}).with_caveats(
                "No workspace exists yet, so no award versions are stored.")
        with self.session.open_reader() as ws:
            return ws.collection(AWARDS).table(key, name="award_versions")

    def compare_awards(self, partner: str | Path, *, awards: str | Path | None = None, stored: str | None = None,
                       partner_name: str | None = None) -> ResultTable:
        """A partner's awards file against ours: new, the same, or in conflict (both figures kept)."""
        from pinchpoint.planning.registry import compare_registries, read_awards

        self.session.authorize("plan.read", "awards:*")
        self._local(partner, "compare")
        # both inputs are read before either is refused, so one run names every problem of both files
        found: list[Problem] = []
        try:
            ours = self.registry(awards, stored=stored)
        except DataError as exc:
            found += exc.problems
            ours = self.builtin_registry()  # the partner's file is still checked, against the built-in programmes
        try:
            theirs = read_awards(partner, programmes=[p.id for p in ours.programmes], projects=ours.project_ids)
        except DataError as exc:
            found += exc.problems
        if found:
            files = sorted({p.file for p in found if p.file})
            also = f" (and {len(found) - 1} more, in {' and '.join(files)})" if len(found) > 1 else ""
            raise DataError.from_problems(found, also)
        return compare_registries(ours, theirs, partner=partner_name or Path(partner).name)

    # Capacity pipeline -------------------------------------------------------------------------------------
    def load_projects(self, file: str | Path | None = None) -> tuple[Project, ...]:
        from pinchpoint.planning.projects import load_projects

        if file is None:
            return self.builtin_projects()
        self._local(file, "projects")
        return load_projects(file)

    def projects(self, *, file: str | Path | None = None, country: str | None = None, status: str | None = None
                 ) -> ResultTable:
        """The capacity pipeline: projects with cited capacity, status and start."""
        from pinchpoint.planning.projects import projects_table

        self.session.authorize("plan.read", "projects:*")
        return projects_table(self.load_projects(file), country=country, status=status)

    def atlas_check(self, atlas: str | Path, *, file: str | Path | None = None) -> ResultTable:
        """Projects linked to a campus of the AI chip fab atlas beside the atlas's own status and date."""
        from pinchpoint.planning.projects import atlas_check

        self.session.authorize("plan.read", "projects:*")
        self._local(atlas, "atlas")
        return atlas_check(self.load_projects(file), atlas)

    def projection(self, *, file: str | Path | None = None, baseline: str | Path | None = None,
                   first: int | None = None, last: int | None = None, draws: int | None = None, seed: int = 0,
                   delays: str = "default", country: str | None = None) -> ResultTable:
        """Capacity and shares by region, node class and year: baseline plus pipeline, with Monte Carlo bands.
        ``country``: only the rows of the region that country counts in (``DEU`` -> ``EUR``), said in a caveat.
        ``baseline``: ``builtin`` (default: SEMI's capacity by region, each figure's basis stated), ``none`` (the
        pipeline's additions only, no shares) or a file. ``delays``: ``default`` (the documented assumptions) or
        ``none`` (the deterministic sum). Years default to :data:`DEFAULT_FIRST_YEAR`-:data:`DEFAULT_LAST_YEAR`,
        draws to :data:`DEFAULT_DRAWS`."""
        from pinchpoint.planning.projects import DelayModel, projection

        self.session.authorize("plan.read", "projects:*")
        first = DEFAULT_FIRST_YEAR if first is None else first
        last = DEFAULT_LAST_YEAR if last is None else last
        draws = DEFAULT_DRAWS if draws is None else draws
        if last < first:
            raise BadArgumentError(f"the last year ({last}) is before the first ({first})", parameter="to")
        if last - first + 1 > MAX_YEARS:
            raise BadArgumentError(f"at most {MAX_YEARS} years, not {last - first + 1}", parameter="to")
        model = DelayModel.named(delays)
        base: Baseline | dict[tuple[str, str], float] = {}
        if baseline is None or str(baseline) == "builtin":
            base = self.builtin_baseline()
        elif str(baseline) != "none":
            from pinchpoint.planning.projects import load_baseline

            self._local(baseline, "baseline")
            base = load_baseline(baseline)
        table = projection(self.load_projects(file), base, list(range(first, last + 1)), model=model, draws=draws,
                           seed=seed)
        if country:
            from pinchpoint.planning.projects import projection_rows_for

            table = projection_rows_for(table, country)
        return table

    def targets(self) -> ResultTable:
        """National targets (Japan's 2030 sales goal, the EU's 20% share) with the cited level and the gap."""
        from pinchpoint.planning.projects import targets_table

        self.session.authorize("plan.read", "targets:*")
        return targets_table()

    # The planner -------------------------------------------------------------------------------------------
    def measures(self, measures: str | Path | Sequence[Mapping[str, Any]] | Sequence[Measure]
                 ) -> tuple[Measure, ...]:
        """Candidate measures: a file (CSV, YAML, JSON), ``example`` (the packaged illustration for the built-in
        dataset) or records with the file format's fields (checked whole: row numbers count from 1)."""
        from pinchpoint.planning.measures import Measure, check_unique, load_measures, measure_from_record

        if isinstance(measures, (str, Path)):
            if str(measures) != "example":
                self._local(measures, "measures")
            return load_measures(measures)
        if measures and all(isinstance(m, Measure) for m in measures):  # read already (measures_from_upload)
            return tuple(m for m in measures if isinstance(m, Measure))
        out = []
        for k, rec in enumerate(measures):
            if not isinstance(rec, Mapping):
                raise BadArgumentError("give measures as records or as read measures, not both",
                                       parameter="measures")
            out.append(measure_from_record(dict(rec), file="request", row=k + 1))
        if not out:
            raise BadArgumentError("give at least one candidate measure", parameter="measures")
        check_unique(out, list(range(1, len(out) + 1)), "request")
        return tuple(out)

    def measures_from_upload(self, filename: str, data: bytes) -> tuple[Measure, ...]:
        """Candidate measures sent as bytes (a web upload: CSV, YAML or JSON as :meth:`measures` reads them), checked
        whole; problems name the upload's file, row and field."""
        import re
        import tempfile

        from pinchpoint.planning.measures import load_measures
        from pinchpoint.supplychain.upload import relabel

        self.session.authorize("plan.run", "measures:upload")
        name = Path(filename).name[:200] or "measures"
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".yaml", ".yml", ".json"):
            raise DataError("candidate measures: a .csv, .yaml or .json file", file=name)
        if len(data) > MAX_MEASURES_BYTES:
            raise DataError(f"a measures file of at most {MAX_MEASURES_BYTES // 1024} KB", file=name)
        with tempfile.TemporaryDirectory(prefix="pinchpoint-measures-") as tmp:
            folder = Path(tmp)
            path = folder / re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100]
            path.write_bytes(data)
            try:
                found = load_measures(path)
            except DataError as exc:
                raise relabel(exc, folder, name) from None
        return tuple(replace(m, origin=name) for m in found)

    def read_inputs(self, fields: Mapping[str, str], *, max_budgets: int = MAX_FRONTIER_BUDGETS) -> PlanInputs:
        """The planner's question from typed fields (a form: ``budget``, ``objective``, ``horizon``, ``coalition``,
        ``scenario``, ``target``, ``budgets``), checked against the limits every interface shares
        (:mod:`pinchpoint.planning.params`); :meth:`plan` takes ``inputs.arguments()``."""
        return PlanInputs.from_text(fields, max_budgets=max_budgets)

    def plan(self, measures: str | Path | Sequence[Mapping[str, Any]] | Sequence[Measure], *, budget: float,
             dataset: str = "builtin",
             objective: str = "max_share", horizon_years: float = 5.0, coalition: str | Sequence[str] | None = None,
             scenarios: Sequence[str | Path | Scenario] = (), inputs: Sequence[str] | None = None,
             target: str | None = None, budgets: str | Sequence[float] | None = None, time_limit: float = 30.0,
             table: str | None = None) -> PlanResult:
        """The portfolio of measures that most reduces ``objective`` for ``budget`` (USD million a year), with the
        frontier over ``budgets`` (numbers, or text separated by commas; default: 11 from 0 to ``budget``).
        ``table``: the result table the caller will show (frontier, portfolio, effects, excluded, countries),
        checked before the solver runs. The limits are :mod:`pinchpoint.planning.params`'s."""
        from pinchpoint.planning.planner import check_table, plan, resolve_coalition
        from pinchpoint.stress.scenario import Scenario

        if table is not None:
            check_table(table)  # an unknown name fails now, not after minutes of solving
        loaded = self.session.supplychain.open(dataset)  # read access checked on the dataset it resolves to
        self.session.authorize("plan.run", loaded.resource)
        if objective not in OBJECTIVES:
            raise BadArgumentError(f"unknown objective {objective!r} (objectives: {', '.join(OBJECTIVES)})",
                                   parameter="objective")
        candidates = self.measures(measures)
        chosen = [s if isinstance(s, Scenario) else self.session.stress.scenario(s) for s in scenarios]
        network = self.session.supplychain.network_of(loaded)
        return plan(network, candidates, budget=budget, horizon_years=horizon_years, objective=objective,
                    coalition=resolve_coalition(coalition), scenarios=chosen, inputs=list(inputs) if inputs else None,
                    target=target, budgets=read_budgets(budgets), time_limit=time_limit)

    def report(self, result: PlanResult, out: str | Path, *, command: str = "") -> Path:
        """The plan's HTML report (frontier, before/after map) with the built-in pipeline's projection."""
        from pinchpoint.planning.report import write_plan_report

        self._local(out, "report")
        projected = self.projection(draws=REPORT_DRAWS)
        return write_plan_report(result, Path(out), projection=projected, command=command)

    # Helpers -----------------------------------------------------------------------------------------------
    def _local(self, path: str | Path, parameter: str) -> None:
        if not self.session.local_files:
            raise BadArgumentError(f"{path}: this session does not read or write local files", parameter=parameter)
