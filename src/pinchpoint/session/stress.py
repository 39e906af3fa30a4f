"""Stress-test use cases: the packaged scenarios, a scenario from a file, a name or posted YAML, and a run with any
engine (static, TTS/TTR, dynamic Monte Carlo, ARIO on an input-output table) returning a :class:`StressRun`."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError, DataError, NotFoundError, PinchpointError
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.progress import ProgressCallback
    from pinchpoint.stress.scenario import Scenario

ENGINES = ("static", "tts", "dynamic", "ario")

#: The headline table of each engine and the columns a terminal shows of it.
HEADLINE: dict[str, tuple[str, list[str]]] = {
    "static": ("shortfall", ["input_id", "input_name", "kind", "own_loss", "shortfall"]),
    "tts": ("tts", ["country", "input_name", "share", "tts_days", "tts_beyond_horizon", "ttr_days", "vulnerable",
                    "lost_output_days", "in_scenario"]),
    "dynamic": ("summary", ["input_id", "input_name", "peak_shortfall", "shortfall_days", "recovery_day",
                            "runs_not_recovered"]),
    "ario": ("summary", ["region", "sector", "production_lost", "lost_days_of_output", "lowest_output",
                         "lowest_day", "final_demand_unmet"]),
}
SCENARIO_COLUMNS = ["name", "title", "dataset", "horizon_days", "shocks"]
MAX_POSTED_SCENARIO_BYTES = 256 * 1024
POSTED = "posted scenario"


@dataclass(frozen=True)
class StressRun:
    """A stress run's named result tables (``summary`` first), the engine that made them and, for the terminal,
    the headline table's title and columns. Every table's meta names the scenario, engine and dataset."""

    engine: str
    scenario: str
    title: str
    tables: Mapping[str, ResultTable]
    columns: list[str]
    report: Path | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> ResultTable:
        return self.tables[HEADLINE[self.engine][0]]

    def table(self, name: str | None = None) -> ResultTable:
        """One table of the run by name (default the headline); an unknown name is a bad argument naming the
        tables the run has."""
        if name is None:
            return self.headline
        if name not in self.tables:
            raise BadArgumentError(f"the {self.engine} run has no table {name!r}; it has {', '.join(self.tables)}",
                                   parameter="table")
        return self.tables[name]


class StressGroup(Group):
    name = "stress"

    # Scenarios ---------------------------------------------------------------------------------------------
    def scenarios(self) -> ResultTable:
        """The packaged scenarios: name, title, dataset, horizon, shocks and sources."""
        from pinchpoint.stress.scenario import load_scenario, packaged_scenarios

        self.session.authorize("stress.scenarios", "scenarios:*")
        rows = []
        for name in packaged_scenarios():
            sc = load_scenario(name)
            rows.append({"name": sc.name, "title": sc.title, "dataset": sc.dataset, "horizon_days": sc.horizon_days,
                         "shocks": [s.type for s in sc.shocks], "sources": [s.id for s in sc.sources]})
        return ResultTable.from_records("scenarios", rows, meta={"analysis": "scenarios"})

    def scenario(self, ref: str | Path) -> Scenario:
        """A packaged scenario by name, or (in a session that reads local files) a YAML file."""
        from pinchpoint.stress.scenario import load_scenario, packaged_scenarios

        self.session.authorize("stress.scenario", f"scenario:{ref}")
        text = str(ref)
        if not self.session.local_files:
            # a server session reads packaged scenarios only, and never looks at the file system for a name (it
            # must not tell which paths exist, nor let a file in its folder shadow a packaged scenario)
            packaged = packaged_scenarios()
            if text in packaged:
                return load_scenario(packaged[text])
            if isinstance(ref, Path) or any(c in text for c in "/\\") or text.startswith((".", "~")) or \
                    text.lower().endswith((".yaml", ".yml")):
                raise BadArgumentError(f"{text!r}: this session runs packaged or posted scenarios, not files",
                                       parameter="scenario")
            from pinchpoint.supplychain.suggest import closest, did_you_mean

            choices = {k: "" for k in packaged}
            near = closest(text, choices)
            # did_you_mean lists every packaged scenario when none is close: list them once
            raise NotFoundError(f"no packaged scenario {text!r}: " + did_you_mean(text, choices, "packaged scenarios")
                                + (f" (packaged: {', '.join(packaged)})" if near else ""), suggestions=near,
                                what="scenario", value=text)
        return load_scenario(ref)  # an unknown name is a NotFoundError naming the closest packaged ones

    def scenario_text(self, ref: str | Path) -> str:
        """A scenario's YAML as written (with its sources)."""
        return Path(self.scenario(ref).origin).read_text(encoding="utf-8")

    def scenario_from_yaml(self, text: str | bytes, *, based_on: str | None = None) -> Scenario:
        """A scenario from YAML text (an upload), validated like a file; errors name the line and field.
        ``based_on``: the packaged scenario the text was edited from, whose dataset file (a path relative to the
        packaged scenarios) it may keep naming."""
        from pinchpoint.stress.scenario import load_scenario, packaged_scenarios, scenario_folder

        self.session.authorize("stress.scenario", "scenario:posted")
        raw = text.encode("utf-8") if isinstance(text, str) else text
        if len(raw) > MAX_POSTED_SCENARIO_BYTES:
            raise DataError(f"scenario of {len(raw):,} bytes: at most {MAX_POSTED_SCENARIO_BYTES:,}", file=POSTED)
        with tempfile.TemporaryDirectory(prefix="pinchpoint-scenario-") as folder:
            path = Path(folder) / "scenario.yaml"
            path.write_bytes(raw)
            try:
                sc = load_scenario(path)
            except DataError as exc:  # name the upload, not the temporary file
                raise DataError(exc.problem.replace(str(path), POSTED), file=POSTED, row=exc.location.row,
                                field=exc.location.field) from None
        update: dict[str, Any] = {"origin": POSTED}
        if based_on in packaged_scenarios() and sc.dataset not in ("builtin", "semiconductors-builtin"):
            packaged = (scenario_folder() / sc.dataset).resolve()
            if packaged.is_relative_to(scenario_folder().resolve()) and packaged.exists():
                update["dataset"] = str(packaged)
        return sc.model_copy(update=update)

    # Running -----------------------------------------------------------------------------------------------
    def run(self, scenario: str | Path | Scenario, *, engine: str = "dynamic", dataset: str | None = None,
            mrio: str | None = None, runs: int = 1, seed: int = 0, workers: int = 1, scheduler: str | None = None,
            target: str | None = None, report: Path | None = None, command: str = "",
            progress: ProgressCallback | None = None) -> StressRun:
        """Run ``scenario`` (a packaged name, a file, or a :class:`Scenario`) with ``engine`` on ``dataset`` (default:
        the scenario's), or with ``engine="ario"`` on the input-output table ``mrio``. ``report`` writes the
        dynamic run's HTML report to that folder (``command`` recorded in it)."""
        from pinchpoint.stress.scenario import Scenario, packaged_scenarios, scenario_folder

        sc = scenario if isinstance(scenario, Scenario) else self.scenario(scenario)
        if engine not in ENGINES:
            raise BadArgumentError(f"engine must be static, tts, dynamic or ario, not {engine!r}", parameter="engine")
        if target is not None and engine != "tts":
            raise BadArgumentError(f"a target applies to the tts engine; the {engine} engine reports every end product "
                                   "(give the scenario a 'target' to choose which one the TTS analysis takes by "
                                   "default)", parameter="target")
        if report is not None and engine != "dynamic":
            raise BadArgumentError(f"the HTML report shows a dynamic run; the {engine} engine writes none",
                                   parameter="report")
        if not 1 <= runs <= 100_000:
            raise BadArgumentError(f"runs must be between 1 and 100,000, not {runs}", parameter="runs")
        self.session.authorize("stress.run", f"scenario:{sc.name}")
        parameters: dict[str, Any] = {"scenario": sc.name, "engine": engine}
        if engine == "ario":
            return self._ario(sc, mrio, parameters, progress)
        packaged = sc.origin and Path(sc.origin).parent == scenario_folder() and sc.name in packaged_scenarios()
        ref = sc.dataset_ref()
        # a dataset file shipped with the packaged scenarios is part of the install, not a caller's local file
        shipped = Path(ref).is_absolute() and Path(ref).resolve().is_relative_to(scenario_folder().resolve())
        supplychain = self.session.supplychain
        try:
            loaded = supplychain.open(dataset) if dataset is not None else \
                supplychain.open_trusted(ref, bool(packaged) or shipped or self.session.local_files)
        except PinchpointError as exc:
            if dataset is not None:
                raise
            raise sc.dataset_error(exc) from None
        net = supplychain.network_of(loaded)
        parameters.update({"dataset_ref": loaded.ref, "dataset_version": loaded.version})
        title = f"{sc.title} ({engine})"
        if engine == "static":
            from pinchpoint.stress.engines import run_static

            tables = {"shortfall": run_static(net, sc)}
        elif engine == "tts":
            from pinchpoint.stress.engines import run_tts

            tables = {"tts": run_tts(net, sc, target=target)}
            parameters["target"] = target
        else:
            from pinchpoint.stress.engines import run_dynamic

            result = run_dynamic(net, sc, runs=runs, seed=seed, workers=workers, scheduler=scheduler,
                                 progress=progress)
            tables = {"summary": result.summary, "series": result.series, "binding": result.binding,
                      "capacity": result.capacity}
            parameters.update({"runs": runs, "seed": seed})
            if report is not None:
                from pinchpoint.stress.report import write_report

                written = write_report(result, sc, report, chain=loaded.chain, command=command)
                return self._bundle(engine, sc.name, title, tables, parameters, written)
        return self._bundle(engine, sc.name, title, tables, parameters)

    def compare(self, first: ResultTable, second: ResultTable) -> ResultTable:
        """Two dynamic runs' summaries side by side, with the change per end product
        (:func:`pinchpoint.stress.compare.compare_runs`)."""
        from pinchpoint.stress.compare import compare_runs

        self.session.authorize("stress.compare", "scenarios:*")
        return compare_runs(first, second)

    def _ario(self, sc: Scenario, mrio: str | None, parameters: dict[str, Any],
              progress: ProgressCallback | None) -> StressRun:
        from pinchpoint.stress.ario import load_table, run_ario, schedule

        if mrio is None:
            raise BadArgumentError("the ario engine needs an input-output table: a pymrio text table folder or "
                                   "'pymrio:test'", parameter="mrio")
        if mrio != "pymrio:test" and not self.session.local_files:
            raise BadArgumentError("the ario engine here reads only 'pymrio:test'", parameter="mrio")
        io = self.session.cache.get(("iotable", mrio), _table_stamp(mrio), lambda: load_table(mrio))
        plan = schedule(io, sc, sc.horizon_days)
        result = run_ario(io, plan, sc.ario, progress=progress)
        parameters.update({"mrio": mrio, "source": io.source})
        tables = {"summary": result.summary(), "series": result.series()}
        return self._bundle("ario", sc.name, f"{sc.title} (ARIO, {io.source})", tables, parameters)

    @staticmethod
    def _bundle(engine: str, scenario: str, title: str, tables: dict[str, ResultTable], parameters: dict[str, Any],
                report: Path | None = None) -> StressRun:
        stamped = {name: ResultTable(t.name, t.columns, t.rows, {**parameters, **dict(t.meta)})
                   for name, t in tables.items()}
        return StressRun(engine, scenario, title, stamped, HEADLINE[engine][1], report, parameters)


def _table_stamp(ref: str) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of an IO table folder's files (it is re-read when they change)."""
    path = Path(ref)
    if not path.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.iterdir()) if p.is_file())
