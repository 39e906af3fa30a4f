"""Trend use cases: import indicator series (files through the source registry, posted CSV text, or monthly flows
from the trade store), list and show them (growth, shipment-inventory balance, lead/lag, STL), forecast with the
rolling-origin backtest, date the cycle, backtest the early warning, evaluate alert rules, write the HTML report.

Series read from the workspace are held in the session's cache, stamped with the ``trends.series`` collection's
versions: a series is read and decoded once per stored version, and re-read only after an import changed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.progress import ProgressCallback
    from pinchpoint.trends.forecast import Forecast
    from pinchpoint.trends.series import Series, SeriesFile
    from pinchpoint.trends.warning import EarlyWarning

IMPORT_COLUMNS = ["id", "version", "state", "months", "first", "last", "seasonal_adjustment", "unit", "source_format",
                  "file"]
LIST_COLUMNS = ["id", "name", "unit", "seasonal_adjustment", "first", "last", "n", "version", "versions"]
FORECAST_COLUMNS = ["month", "horizon", "model", "forecast", "lower_80", "upper_80", "backtest_mase",
                    "backtest_coverage_80"]
BACKTEST_COLUMNS = ["model", "horizon", "n", "mase", "smape", "bias_pct", "coverage_80"]
ALERT_COLUMNS = ["rule", "series", "month", "value", "unit", "condition", "triggered", "since", "new"]
SHOW_VIEWS = ("growth", "balance", "lead", "stl")


@dataclass(frozen=True)
class Show:
    """A series seen one way (``view``: growth, balance, lead or stl) and the title it is shown under."""

    table: ResultTable
    view: str
    title: str


class TrendsGroup(Group):
    name = "trends"

    # Held series -------------------------------------------------------------------------------------------
    def stored_versions(self) -> tuple[tuple[str, str, str], ...]:
        """(id, version, content hash) of every stored series version: the stamp of what :meth:`series` holds."""
        session = self.session
        if not session.workspace_exists():
            return ()

        def read() -> tuple[tuple[str, str, str], ...]:
            from pinchpoint.trends.store import SERIES

            with session.open_reader() as ws:
                every = ws.collection(SERIES).list()
            return tuple(sorted((v.key, v.version, v.content_hash) for v in every))

        stamp = session.stamp("trends.series", read)
        assert isinstance(stamp, tuple)
        return stamp

    def series(self, ref: str) -> Series:
        """A stored series, ``id`` (newest version) or ``id@version``; unknown ids name the closest held ones."""
        from pinchpoint.trends.store import load_series

        session = self.session
        session.authorize("trends.read", f"series:{ref.partition('@')[0]}")

        def build() -> Series:
            with session.open_workspace() as ws:
                return load_series(ws, ref)

        return session.cache.get(("trends.series", ref), self.stored_versions(), build)

    def held_ids(self) -> list[str]:
        return sorted({key for key, _, _ in self.stored_versions()})

    # Import ------------------------------------------------------------------------------------------------
    def read_files(self, paths: Sequence[Path], *, source: str = "auto",
                   meta: dict[str, Any] | None = None) -> list[tuple[SeriesFile, str]]:
        """Read files (each detected among the ``indicators`` sources, or the source named) without storing them:
        each file's series and problems, and the source that read it."""
        from pinchpoint import sources

        if not self.session.local_files:
            raise BadArgumentError("this session reads no local files: post the CSV text", parameter="paths")
        if not paths:
            raise BadArgumentError("give files to read", parameter="paths")
        out = []
        for path in paths:
            src = sources.detect(path, kind="indicators") if source == "auto" else sources.get(source, "indicators")
            out.append((src.read(path, meta=meta), src.name))
        return out

    def import_files(self, paths: Sequence[Path], *, source: str = "auto", layout: str = "auto",
                     meta: dict[str, Any] | None = None) -> ResultTable:
        """Read and store series from files, all of them or none: a file with an error stops the import, naming
        file, row and field; warnings go to the table's caveats. ``layout`` (fred, wide, long, estat) names the
        source by the file's shape when ``source`` is auto."""
        from pinchpoint.trends.sources import source_for_layout

        self.session.authorize("trends.import", "series:*")
        by_layout = source_for_layout(layout)  # checked even when a source is named: a typo is never ignored
        source = by_layout if source == "auto" else source
        got = self.read_files(paths, source=source, meta=meta)
        return self._store(got)

    def import_text(self, text: str, *, label: str = "posted file", source: str = "auto",
                    meta: dict[str, Any] | None = None) -> ResultTable:
        """Read and store series from CSV text (an API request's body), as :meth:`import_files`."""
        from pinchpoint import sources
        from pinchpoint.trends.readers import read_series_text
        from pinchpoint.trends.sources import LAYOUT_OF_SOURCE

        self.session.authorize("trends.import", "series:*")
        if source != "auto":
            sources.get(source, "indicators")  # an unknown or wrong-kind name is an error with the closest names
            if source not in LAYOUT_OF_SOURCE:
                raise BadArgumentError(f"source {source!r} reads files only; post one of "
                                       f"{', '.join(LAYOUT_OF_SOURCE)} or auto", parameter="source")
        layout = "auto" if source == "auto" else LAYOUT_OF_SOURCE[source]
        got = read_series_text(text, label, layout, meta=meta)
        return self._store([(got, source if source != "auto" else f"auto ({got.layout})")])

    def import_trade(self, *, reporter: str, partner: str, codes: Sequence[str] = (), flow: str = "export",
                     source: str | None = None, series_id: str | None = None,
                     missing_as_zero: bool = False) -> ResultTable:
        """Derive a monthly series from the trade store (``reporter`` -> ``partner``, ``codes`` or total trade)
        and store it."""
        from pinchpoint.trends.series import SeriesFile
        from pinchpoint.trends.trade_series import trade_series

        self.session.authorize("trends.import", "series:*")
        if not reporter or not partner:
            raise BadArgumentError("a trade series takes a reporter and a partner", parameter="reporter")
        with self.session.open_workspace() as ws:
            s = trade_series(ws, reporter=reporter.upper(), partner=partner.upper(),
                             codes=[c.strip() for c in codes if c.strip()], flow=flow, source=source,
                             series_id=series_id, missing_as_zero=missing_as_zero)
        return self._store([(SeriesFile("trade store", "trade", [s]), "trade store")])

    def _store(self, got: Sequence[tuple[SeriesFile, str]]) -> ResultTable:
        from pinchpoint.trends.series import month_label
        from pinchpoint.trends.store import store_series

        warnings = [str(p) for f, _ in got for p in f.problems if p.severity == "warning"]
        for f, _ in got:
            f.check()
        found = [(s, f.path, name) for f, name in got for s in f.series]
        with self.session.open_workspace() as ws:
            stored = store_series(ws, [s for s, _, _ in found])
        rows = [{"id": s.id, "version": rec.version, "state": "imported" if rec.created else "unchanged",
                 "months": len(s.values), "first": month_label(s.start), "last": month_label(s.end),
                 "seasonal_adjustment": s.seasonal_adjustment, "unit": s.unit, "source_format": name, "file": path}
                for (s, path, name), rec in zip(found, stored, strict=True)]
        table = ResultTable.from_records("trends_import", rows, IMPORT_COLUMNS,
                                         meta={"analysis": "trends import", "warnings": warnings})
        return table.with_caveats(*warnings) if warnings else table

    # Queries -----------------------------------------------------------------------------------------------
    def list(self) -> ResultTable:
        """Every series held (newest version of each), with its metadata and number of versions."""
        from pinchpoint.trends.store import list_series

        self.session.authorize("trends.read", "series:*")
        if not self.session.workspace_exists():
            from pinchpoint.trends.store import LIST_COLUMNS as STORED

            return ResultTable.from_records("trends_series", [], STORED, meta={"analysis": "trends list"}
                                            ).with_caveats(f"no workspace at {self.session.db_path()} yet")
        with self.session.open_reader() as ws:
            return list_series(ws)

    def show(self, ref: str, *, inventories: str | None = None, lead: str | None = None,
             stl: bool = False) -> Show:
        """A series with its growth rates; or its shipment-inventory balance with ``inventories``; or the
        lead/lag of ``lead`` against it; or its STL decomposition."""
        from pinchpoint.trends import analysis

        if sum(bool(x) for x in (inventories, lead, stl)) > 1:
            raise BadArgumentError("give inventories, lead or stl, one at a time", parameter="inventories")
        s = self.series(ref)
        if inventories:
            other = self.series(inventories)
            return Show(analysis.shipment_inventory_balance(s, other), "balance",
                        f"Shipment-inventory balance: {s.id} vs {other.id}")
        if lead:
            other = self.series(lead)
            return Show(analysis.lead_lag(other, s), "lead",
                        f"Lead/lag: {other.id} against {s.id} (positive: {other.id} leads)")
        if stl:
            return Show(analysis.stl_adjust(s)[1], "stl", f"{s.name}: STL decomposition")
        return Show(analysis.growth(s), "growth", f"{s.name} ({s.unit}, {s.seasonal_adjustment})")

    def forecast(self, ref: str, *, horizon: int = 12, origins_from: str | None = None, refit_every: int = 12,
                 score_from: str | None = None, progress: ProgressCallback | None = None) -> Forecast:
        """Every model's forecast with the rolling-origin backtest (MASE, sMAPE, bias, 80% coverage) behind it;
        months as ``YYYY-MM``."""
        from pinchpoint.trends.forecast import forecast

        first, scored = _month(origins_from, "origins_from"), _month(score_from, "score_from")
        return forecast(self.series(ref), horizon=horizon, origins_from=first, refit_every=refit_every,
                        score_from=scored, progress=progress)

    def cycle(self, ref: str, *, min_phase: int = 6, min_cycle: int = 15) -> ResultTable:
        """Turning points (peaks and troughs) by the Bry-Boschan rules."""
        from pinchpoint.trends.analysis import cycle

        return cycle(self.series(ref), min_phase=min_phase, min_cycle=min_cycle)

    def warning(self, ref: str, *, signals: Sequence[str] = (), horizon: int = 6, origins_from: str | None = None,
                min_phase: int = 6, min_cycle: int = 15, threshold_rule: str = "past-alarms",
                features: str = "momentum") -> EarlyWarning:
        """The backtested early warning of downturns of ``ref`` from its own history and the ``signals``: series
        ids, or ``SHIPMENTS/INVENTORIES`` for the shipment-inventory balance of two series; ``threshold_rule``
        ``past-alarms`` (chosen on earlier months' out-of-sample alarms) or ``youden``; ``features`` the target's
        own feature set, ``momentum``, ``cycle`` or ``growth``."""
        from pinchpoint.trends.warning import balance_series, early_warning

        target = self.series(ref)
        found = []
        for x in signals:
            shipments, slash, inventories = x.partition("/")
            found.append(balance_series(self.series(shipments), self.series(inventories)) if slash
                         else self.series(x))
        return early_warning(target, found, horizon=horizon, origins_from=_month(origins_from, "origins_from"),
                             min_phase=min_phase, min_cycle=min_cycle, threshold_rule=threshold_rule,
                             feature_set=features)

    def watch(self, rules: str, *, text: str | None = None) -> ResultTable:
        """Every alert rule evaluated on the latest month of its series: ``rules`` names a packaged rule set
        (``chip-cycle``) or, in a session that reads local files, a YAML file; ``text`` is posted YAML."""
        from pinchpoint.trends.alerts import check_series, evaluate, load_rules, load_rules_text, packaged_rules

        self.session.authorize("trends.read", "series:*")
        if text is not None:
            parsed = load_rules_text(text)
        elif rules in packaged_rules() or self.session.local_files:
            parsed = load_rules(rules)
        else:
            raise BadArgumentError(f"this session reads no local rule files: name a packaged rule set "
                                   f"({', '.join(packaged_rules())}) or post the YAML", parameter="rules")
        check_series(parsed, self.held_ids())
        return evaluate(parsed, self.series)

    def report(self, ref: str, out: Path, *, forecast_result: Forecast | None = None, command: str = "") -> Path:
        """The HTML report of a series (history with cycle phases, forecast fan, balance, alerts) in ``out``."""
        from pinchpoint.trends.report import write_report

        return write_report(self.series(ref), out, forecast_result=forecast_result, command=command)


def _month(text: str | None, parameter: str) -> int | None:
    """``text`` as a month index; one that is no month is an error naming ``parameter`` and the value."""
    from pinchpoint.trends.series import parse_month

    if text is None:
        return None
    try:
        return parse_month(text)
    except BadArgumentError:
        raise BadArgumentError(f"{parameter} {text[:40]!r} is not a month: give YYYY-MM (a month 01 to 12)",
                               parameter=parameter) from None
