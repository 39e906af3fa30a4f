"""Trade-flow use cases: import files, growth, import dependence and exporter concentration, mirror gaps,
circumvention via hubs, backfill of a target's suppliers. Default sources and country groups live here, not in the
interfaces."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError, DataError
from pinchpoint.kernel.countries import group_members
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.progress import ProgressCallback
    from pinchpoint.trade.codes import CodeList
    from pinchpoint.trade.table import TradeFrame
    from pinchpoint.workspace import Workspace

#: China with Hong Kong and Macao: how supplier shares count China (re-exports through Hong Kong included).
CHINA = group_members("CHN+HKG+MAC")
#: Sources a query reads when none is named (None: every source the workspace holds).
DEFAULT_SOURCES: dict[str, list[str] | None] = {
    "growth": None, "dependence": None, "backfill": None, "circumvention": ["comext-xlsx"], "mirror": ["comtrade"],
}
#: The totals circumvention corroborates hub exports with, where the workspace holds them.
DEFAULT_CONTROL_SOURCES = ["comext-relational"]

GROWTH_COLUMNS = ["source", "reporter", "partner", "codes", "description", "base_value", "compare_value",
                  "growth_pct", "currency"]
SUPPLIER_COLUMNS = ["importer", "product", "description", "period", "source", "hhi", "top_supplier", "top_share",
                    "share_us_japan", "share_china"]
CIRCUMVENTION_COLUMNS = ["exporter", "hub", "product", "description", "score", "own_z", "growth_pct",
                         "direct_to_target_growth_pct", "corroborated"]
MIRROR_TITLE = "Mirror gaps (flagged first)"

def exporter_columns(exporters: Sequence[str]) -> list[str]:
    return ["product", "description", "period", "source", "world_exports_usd", "hhi", "top_exporter", "top_share",
            *(f"share_{e}" for e in exporters)]


def dependence_view(table: ResultTable) -> tuple[list[str], str]:
    """The columns a terminal shows of :meth:`TradeGroup.dependence`'s table, and its title (import or export
    side)."""
    if table.name == "exporter_concentration":
        shares = [c.removeprefix("share_") for c in table.columns if c.startswith("share_")]
        return exporter_columns(shares), "Exporter concentration (world exports)"
    return SUPPLIER_COLUMNS, "Supplier concentration"


def growth_title(base: str, compare: str) -> str:
    return f"Growth {base} -> {compare}"


def circumvention_title(target: str, event: str) -> str:
    return f"Possible circumvention via hubs to {target.strip().upper()} after {event}"


def backfill_title(target: str) -> str:
    return f"Suppliers of {target.strip().upper()}"


def upper(values: Sequence[str] | None) -> list[str]:
    """Country or product codes, upper case, from repeated or comma-separated values."""
    return [v.strip().upper() for item in values or [] for v in item.split(",") if v.strip()]


def lower(values: Sequence[str] | None) -> list[str]:
    """Source names, lower case, from repeated or comma-separated values."""
    return [v.lower() for v in upper(values)]


class TradeGroup(Group):
    name = "trade"

    @contextmanager
    def _flows(self, action: str) -> Iterator[Workspace]:
        self.session.authorize(f"trade.{action}", "trade:*")
        with self.session.open_workspace() as ws:
            yield ws

    @staticmethod
    def _pinned(ws: Workspace, sources: Sequence[str] | None, trade_state: str | None,
                run: Callable[[], ResultTable]) -> ResultTable:
        """``run()``'s table with the imports it read in its meta (``trade_imports``, ``trade_state``; the CLI's
        ``meta.reproduce`` pins the state), after refusing a ``trade_state`` the store no longer matches."""
        from pinchpoint.trade.store import check_state

        state = check_state(ws, list(sources) if sources else None, trade_state)
        table = run()
        return ResultTable(table.name, table.columns, table.rows, {**table.meta, **state})

    def _code_list(self, chpl: Path | None, codes_from: Path | None, revision: str,
                   codes: Sequence[str]) -> CodeList | None:
        """The code list a CHPL table or a code file names (in the data's HS revision), or None."""
        from pinchpoint.trade.codes import load_chpl, load_code_list

        if sum(x is not None and x != [] for x in (chpl, codes_from, list(codes) or None)) > 1:
            raise BadArgumentError("give one of codes, a CHPL table and a code file", parameter="codes")
        if (chpl is not None or codes_from is not None) and not self.session.local_files:
            raise BadArgumentError("this session reads no local code files: give the codes", parameter="chpl")
        if chpl is not None:
            return load_chpl(chpl).in_revision(revision)
        if codes_from is not None:
            return load_code_list(codes_from).in_revision(revision)
        return None

    # Import ------------------------------------------------------------------------------------------------
    def import_files(self, fmt: str, paths: Sequence[Path], *, rates: Path | None = None, replace: bool = False,
                     progress: ProgressCallback | None = None) -> TradeFrame:
        """Read trade files of one format and store them (Parquet by source and year); the returned frame says
        what was kept, reported and replaced."""
        from pinchpoint.trade.adapters import read
        from pinchpoint.trade.rates import load_rates
        from pinchpoint.trade.store import import_frame

        self.session.authorize("trade.import", "trade:*")
        if not self.session.local_files:
            raise BadArgumentError("this session imports no local files", parameter="paths")
        frame = read(fmt, paths, load_rates(rates) if rates else None, progress=progress)
        with self.session.open_workspace() as ws:
            import_frame(ws, frame, replace=replace)
        return frame

    def upload(self, fmt: str, filename: str, data: bytes, *, replace: bool = False,
               progress: ProgressCallback | None = None) -> TradeFrame:
        """Read trade files sent as bytes (one file, or a zip of files of one format; ``fmt`` a trade source or
        ``auto``) and store them as :meth:`import_files` does. Problems name the upload's file (and the path inside
        a zip), row and field; a file that cannot be read at all raises DataError and stores nothing."""
        import tempfile

        from pinchpoint.trade.adapters import read
        from pinchpoint.trade.store import import_frame
        from pinchpoint.trade.upload import relabel_error, relabel_frame, stage_trade_upload

        session = self.session
        session.authorize("trade.import", "trade:*")
        name = Path(filename).name[:200] or "upload"
        with tempfile.TemporaryDirectory(prefix="pinchpoint-trade-upload-") as tmp:
            folder = Path(tmp)
            try:
                paths = stage_trade_upload(data, name, folder)
                frame = relabel_frame(read(fmt, paths, progress=progress), folder, name)
            except DataError as exc:
                raise relabel_error(exc, folder, name) from None
            try:
                with session.open_workspace() as ws:
                    import_frame(ws, frame, replace=replace)
            except DataError as exc:
                raise relabel_error(exc, folder, name) from None
            # the store reports flows it holds already (duplicates, revisions) by the staged file's path
            frame = relabel_frame(frame, folder, name)
        session.record("upload", f"trade:{frame.source}", {
            "file": name, "bytes": len(data), "format": fmt, "version": frame.version, "read": frame.read_rows,
            "kept": frame.kept, "reported": frame.reported, "status": frame.status})
        return frame

    def imports(self) -> ResultTable:
        """Every trade import the workspace holds: source, version, records read, rows kept, records reported."""
        from pinchpoint.trade.store import imports_table

        session = self.session
        session.authorize("trade.list", "trade:*")
        columns = ["source", "version", "rows_read", "rows_kept", "problems", "imported_at"]

        def read() -> ResultTable:
            if not session.workspace_exists():
                return ResultTable("trade_imports", tuple(columns), ())
            with session.open_reader() as ws:
                records = imports_table(ws)
            return ResultTable.from_records("trade_imports", records, columns)

        table = session.stamp("trade_imports", read)
        assert isinstance(table, ResultTable)
        table = ResultTable(table.name, table.columns, table.rows, {"analysis": "trade imports"})
        if not table.rows:
            return table.with_caveats("no trade data imported in this workspace")
        return table.with_caveats("'problems' counts the records each import reported (kept aside, not stored); "
                                  "the import's own output lists each one by file, row and field")

    # Queries -----------------------------------------------------------------------------------------------
    def growth(self, reporters: Sequence[str], partners: Sequence[str], *, codes: Sequence[str] = (),
               chpl: Path | None = None, codes_from: Path | None = None, revision: str = "HS2022",
               base: str = "2021", compare: str = "2022", flow: str = "export",
               sources: Sequence[str] | None = None, trade_state: str | None = None) -> ResultTable:
        """Growth of flows between two periods (years or month ranges) per reporter, partner and source; codes
        are summed one level per branch (never a heading with the lines under it)."""
        from pinchpoint.trade.metrics import growth
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        reporters, partners, codes = upper(reporters), upper(partners), upper(codes)
        if not reporters or not partners:
            raise BadArgumentError("give at least one reporter and one partner", parameter="reporters")
        code_list = self._code_list(chpl, codes_from, revision, codes)
        names = lower(sources) or DEFAULT_SOURCES["growth"]
        with self._flows("query") as ws:
            return self._pinned(ws, names, trade_state, lambda: growth(
                select_sources(ws, names), reporters, partners, codes, base, compare, flow.lower(),
                code_list=code_list, descriptions=product_descriptions(ws)))

    def dependence(self, importers: Sequence[str] | None = None, *, codes: Sequence[str] = (),
                   chpl: Path | None = None, codes_from: Path | None = None, revision: str = "HS2022",
                   period: str | None = None, sources: Sequence[str] | None = None, side: str = "import",
                   exporters: Sequence[str] | None = None, trade_state: str | None = None) -> ResultTable:
        """Each importer's suppliers per product: HHI, top supplier, coalition shares (China with Hong Kong and
        Macao); with ``side="export"``, :meth:`exporter_concentration` of the ``exporters`` instead."""
        from pinchpoint.analysis.coalitions import COALITIONS
        from pinchpoint.trade.metrics import supplier_concentration
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        side = side.strip().lower()
        if side not in ("import", "export"):
            raise BadArgumentError(f"side {side!r}: give import or export", parameter="side")
        if side == "export":
            if upper(importers):
                raise BadArgumentError("importers are for the import side; on the export side give exporters",
                                       parameter="importers")
            return self.exporter_concentration(exporters, codes=codes, chpl=chpl, codes_from=codes_from,
                                               revision=revision, period=period, sources=sources,
                                               trade_state=trade_state)
        if upper(exporters):
            raise BadArgumentError("exporters are for the export side", parameter="exporters")
        code_list = self._code_list(chpl, codes_from, revision, upper(codes))
        groups = {**COALITIONS, "china": CHINA}
        names = lower(sources) or DEFAULT_SOURCES["dependence"]
        with self._flows("query") as ws:
            return self._pinned(ws, names, trade_state, lambda: supplier_concentration(
                select_sources(ws, names), upper(importers) or None, upper(codes), period, groups,
                code_list=code_list, descriptions=product_descriptions(ws)))

    def exporter_concentration(self, exporters: Sequence[str] | None = None, *, codes: Sequence[str] = (),
                               chpl: Path | None = None, codes_from: Path | None = None, revision: str = "HS2022",
                               period: str | None = None, sources: Sequence[str] | None = None,
                               trade_state: str | None = None) -> ResultTable:
        """Exporters' concentration of world exports of each code (HHI, top exporter, the named exporters'
        shares)."""
        from pinchpoint.trade.metrics import exporter_concentration
        from pinchpoint.trade.query import select_sources
        from pinchpoint.trade.store import product_descriptions

        code_list = self._code_list(chpl, codes_from, revision, upper(codes))
        names = lower(sources) or DEFAULT_SOURCES["dependence"]
        with self._flows("query") as ws:
            return self._pinned(ws, names, trade_state, lambda: exporter_concentration(
                select_sources(ws, names), upper(codes), period, upper(exporters), code_list=code_list,
                descriptions=product_descriptions(ws)))

    def mirror(self, *, exporters: Sequence[str] | None = None, importers: Sequence[str] | None = None,
               cif_margin: float = 0.06, tolerance: float = 0.25, sources: Sequence[str] | None = None,
               trade_state: str | None = None) -> ResultTable:
        """Exporter-reported against importer-reported values of the same flows (flagged first)."""
        from pinchpoint.trade.metrics import mirror_gaps
        from pinchpoint.trade.query import select_sources

        names = lower(sources) or DEFAULT_SOURCES["mirror"]
        with self._flows("query") as ws:
            return self._pinned(ws, names, trade_state, lambda: mirror_gaps(
                select_sources(ws, names), cif_margin=cif_margin, tolerance=tolerance,
                exporters=upper(exporters) or None, importers=upper(importers) or None))

    def circumvention(self, *, target: str = "RUS", hubs: Sequence[str] | None = None, chpl: Path | None = None,
                      codes_file: Path | None = None, event: str = "2022-02", min_baseline: float = 5e5,
                      sources: Sequence[str] | None = None, control_sources: Sequence[str] | None = None,
                      limit: int = 100, trade_state: str | None = None) -> ResultTable:
        """Exporter -> hub -> product series whose exports jumped after the event, ranked, with evidence
        (corroborated against Comext totals where the workspace holds them)."""
        from pinchpoint.trade.circumvention import DEFAULT_HUBS, scan
        from pinchpoint.trade.query import held, select_sources
        from pinchpoint.trade.store import product_descriptions

        code_list = self._code_list(chpl, codes_file, "HS2022", ())
        with self._flows("query") as ws:
            rel = select_sources(ws, lower(sources) or DEFAULT_SOURCES["circumvention"])
            controls = lower(control_sources)
            if not controls:  # the default: Comext totals, where the workspace holds them
                controls = [c for c in DEFAULT_CONTROL_SOURCES if c in held(select_sources(ws, None), "source")]
            control = select_sources(ws, controls) if controls else None
            names = sorted({*(lower(sources) or DEFAULT_SOURCES["circumvention"] or []), *controls})
            return self._pinned(ws, names, trade_state, lambda: scan(
                rel, target=target.upper(), hubs=upper(hubs) or DEFAULT_HUBS, codes=code_list, event=event,
                descriptions=product_descriptions(ws), control=control, min_baseline=min_baseline, limit=limit))

    def circumvention_report(self, table: ResultTable, out: Path) -> Path:
        """The circumvention alerts as an HTML report (and CSV) in ``out``."""
        from pinchpoint.trade.report import write_circumvention_report

        return write_circumvention_report(table, out)

    def backfill(self, *, target: str = "RUS", chpl: Path | None = None, revision: str = "HS2022",
                 sources: Sequence[str] | None = None, trade_state: str | None = None) -> ResultTable:
        """Who supplies the target's imports of the codes, per period: China (with Hong Kong and Macao), the G7
        and the EU."""
        from pinchpoint.trade.circumvention import BACKFILL_GROUPS, backfill
        from pinchpoint.trade.query import select_sources

        groups: dict[str, Any] = {label: group_members(name) for label, name in BACKFILL_GROUPS.items()}
        code_list = self._code_list(chpl, None, revision, ())
        names = lower(sources) or DEFAULT_SOURCES["backfill"]
        with self._flows("query") as ws:
            return self._pinned(ws, names, trade_state, lambda: backfill(
                select_sources(ws, names), target=target.upper(), codes=code_list, groups=groups))
