"""Restricted-party screening use cases: screen names, screen a CSV file, the loaded lists, load (or update) lists,
record and list review decisions. The stored lists and their one
:class:`~pinchpoint.screening.matcher.Screener` are built once and rebuilt only when a list is loaded or updated
(the stamp: each stored list's content hash in the workspace collection ``screening.lists``); the review decisions
(collection ``screening.reviews``) are re-read only when the workspace changed."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError, DataError, NotFoundError, PinchpointError, WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.screening.options import refinements
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.progress import ProgressCallback
    from pinchpoint.screening.batch import BatchRun
    from pinchpoint.screening.delta import DeltaScreening
    from pinchpoint.screening.matcher import Screener
    from pinchpoint.screening.model import ScreeningList
    from pinchpoint.screening.reviews import Review
    from pinchpoint.screening.store import ListChange

#: What a terminal shows of :meth:`ScreeningGroup.screen` (every column is in CSV, JSON and the API).
SCREEN_COLUMNS = ["query", "matched_name", "list", "list_version", "score", "alert"]
#: What a terminal shows of :meth:`ScreeningGroup.lists`.
LIST_COLUMNS = ["list_name", "version", "n_entities", "n_names", "n_problems", "n_duplicates", "encoding"]
LISTS_TITLE = "Restricted-party lists"
#: What a terminal shows of :meth:`ScreeningGroup.changes` (every column is in CSV and JSON).
CHANGE_COLUMNS = ["list_name", "change", "entity_id", "name", "type", "fields", "detail"]
CHANGES_TITLE = "Entities added, removed and changed"
#: What a terminal shows of :meth:`ScreeningGroup.since_last` (every column is in CSV, JSON and the API).
DELTA_COLUMNS = ["row", "query", "change", "entity_change", "list", "entity_id", "matched_name", "previous_score",
                 "score"]
DELTA_TITLE = "New and resolved alerts since the last screening"
REVIEWS_TITLE = "Decisions on screening alerts"
#: Largest list file read by default (bytes, uncompressed).
MAX_LIST_BYTES = 100 * 1024 * 1024
_NO_LISTS = "restricted-party lists"  # the ``what`` of the error when none are loaded (interfaces add how to load)


def screen_title(threshold: float) -> str:
    return f"Matches at or above {threshold:g}"


@dataclass(frozen=True)
class ListLoad:
    """One file of :meth:`ScreeningGroup.load`: loaded (``screening_list`` and ``change``), skipped (``skipped``
    says why) or failed (``error``); a failed file does not stop the others."""

    path: Path
    screening_list: ScreeningList | None = None
    change: ListChange | None = None
    skipped: str | None = None
    error: PinchpointError | None = None


class ScreeningGroup(Group):
    name = "screening"

    # Held objects ------------------------------------------------------------------------------------------
    def stored_lists(self) -> tuple[tuple[str, str], ...]:
        """(list name, content hash) of every stored list: the stamp the screener is built from, re-read only when
        the workspace files changed."""
        session = self.session
        if not session.workspace_exists():
            return ()

        def read() -> tuple[tuple[str, str], ...]:
            from pinchpoint.screening.store import list_table

            with session.open_reader() as ws:
                return tuple((str(r["list_name"]), str(r["content_hash"])) for r in list_table(ws).rows)

        stamp = session.stamp("screening.list_hashes", read)
        assert isinstance(stamp, tuple)
        return stamp

    def screener(self) -> Screener:
        """The one screener over every stored list, built once per set of list versions (concurrent callers are
        answered by the previous one while a new version is indexed)."""
        from pinchpoint.screening.index_store import read_screener

        session = self.session
        stamp = self.stored_lists()

        def build() -> Screener:
            if not stamp:
                raise WorkspaceError(f"no restricted-party lists in {session.db_path()}", what=_NO_LISTS)
            # the workspace is open only while the stored lists and index are fetched, not while they are parsed;
            # the index stored with the lists is used when it is theirs, else one is built
            screener = read_screener(session.db_path(), on_wait=session.on_wait)
            if session.warm:  # a service builds the skeleton index with the lists, not on a user's first query
                screener.skeleton_index()
            return screener

        return session.cache.get(("screener",), stamp, build)

    def reviews(self) -> dict[str, Review]:
        """The latest decision on every reviewed (input, list, entity), re-read only when the workspace changed."""
        from pinchpoint.screening.reviews import latest_reviews

        session = self.session
        if not session.workspace_exists():
            return {}

        def read() -> tuple[tuple[str, Review], ...]:
            with session.open_reader() as ws:
                return tuple(sorted(latest_reviews(ws).items()))

        held = session.stamp("screening_reviews", read)
        assert isinstance(held, tuple)
        return dict(held)

    def _authorize(self, action: str, lists: Sequence[str] | None) -> None:
        for resource in ([f"list:{name}" for name in lists] if lists else ["lists:*"]):
            self.session.authorize(action, resource)

    # Use cases ---------------------------------------------------------------------------------------------
    def lists(self) -> ResultTable:
        """The loaded lists: name, version, counts, how the file was decoded, content hash, when and from where."""
        from pinchpoint.screening.store import list_table

        session = self.session
        session.authorize("screening.lists", "lists:*")
        if not session.workspace_exists():  # nothing loaded, and nothing created by asking
            db = session.db_path()
            return ResultTable.from_records("screening_lists", [], _list_columns(),
                                            meta={"workspace": str(db), "missing": _NO_LISTS}
                                            ).with_caveats(f"No restricted-party lists are loaded in {db}.")

        def build() -> ResultTable:
            with session.open_reader() as ws:
                return list_table(ws)

        return session.cache.get(("screening_list_table",), self.stored_lists(), build)

    def update(self, paths: Sequence[Path], *, force: bool = False, max_bytes: int = MAX_LIST_BYTES,
               source: str | None = None) -> list[ListLoad]:
        """Load newer versions of lists: :meth:`load` (each version is checked against the one it replaces)."""
        return self.load(paths, force=force, max_bytes=max_bytes, source=source)

    @staticmethod
    def changes(loads: Sequence[ListLoad]) -> ResultTable:
        """The entities the loaded versions of :meth:`load` added, removed and changed against the versions they
        replaced, one row each with its id, name and what changed (``screening.store.change_table``)."""
        from pinchpoint.screening.store import change_table

        return change_table([done.change for done in loads if done.change is not None])

    def screen(self, names: Sequence[str], *, threshold: float = 0.8, country: str | None = None,
               entity_type: str | None = None, birth_date: str | None = None, lists: Sequence[str] | None = None,
               top: int | None = None, organisation: str | None = None, gender: str | None = None) -> ResultTable:
        """Every match of every name at or above ``threshold`` (best first per name, ``top`` at most each), with
        its explanation, list version and the decision taken on it before (``alert``: new, decided, record
        changed; ``organisation``'s own decision first, default the actor's, else the operator's). Names that
        cannot be screened, and an empty result, are explained in the caveats. An unknown list or country is a
        :class:`~pinchpoint.errors.NotFoundError` naming the closest loaded one."""
        self._authorize("screening.screen", lists)
        if not names:
            raise BadArgumentError("give names to screen", parameter="names")
        damaged = [k for k, name in enumerate(names, start=1) if "\x00" in name]
        if damaged:  # as a batch row with one is unreadable: every interface refuses the same input alike
            raise BadArgumentError(f"name {damaged[0]} holds a NUL byte (a damaged or binary input?): not screened",
                                   parameter="names")
        from pinchpoint.screening.matcher import MAX_QUERY_CHARS

        long = [(k, len(name)) for k, name in enumerate(names, start=1) if len(name.strip()) > MAX_QUERY_CHARS]
        if long:  # the matcher reads the first 500 characters: a longer name would be screened cut, silently
            raise BadArgumentError(f"name {long[0][0]} is {long[0][1]:,} characters, more than the "
                                   f"{MAX_QUERY_CHARS:,} a name may have: not screened", parameter="names")
        if top is not None and top < 1:
            raise BadArgumentError(f"top {top}: give 1 or more matches per name", parameter="top")
        options: dict[str, Any] = {"threshold": threshold, "country": country, "entity_type": entity_type,
                                   "lists": list(lists) if lists else None, "birth_date": birth_date,
                                   "gender": gender}
        options = refinements(options)  # "Syria" as SYR; a value that is none is an error naming its parameter
        screener, reviews = self.screener(), self.reviews()  # one of each for the whole call
        # The matcher keeps 10 matches per name unless told otherwise: ask for every one, so that no top means
        # all, and a top given is applied here, where what it cut can be counted and said.
        names = list(names)
        table = screener.screen_many(names, reviews=reviews, **options, limit=max(len(screener.entities), 1))
        rows, cut = _keep_top(names, table.rows, top)
        meta = {k: v for k, v in table.meta.items() if k != "limit"}
        table = ResultTable(table.name, table.columns, tuple(rows), {**meta, "top": top})
        from pinchpoint.screening.store import with_list_digests

        table = with_list_digests(table, screener.lists)  # each match cites its list's content, not the label only
        if cut:
            table = table.with_caveats(*cut)
        org = self._organisation(organisation)
        if not org or not table.rows:
            return table
        from pinchpoint.screening.reviews import annotate  # the organisation's own decisions before the operator's

        annotated = annotate([{k: v for k, v in r.items() if k not in ("alert", "review")} for r in table.rows],
                             reviews, screener.entity_index(), org, refinements=options)
        return ResultTable(table.name, table.columns, tuple(annotated), table.meta)

    def _organisation(self, organisation: str | None) -> str:
        return organisation if organisation is not None else self.session.organisation()

    def screen_file(self, source: Path, output: Path, *, name_column: str = "name", workers: int | None = None,
                    top: int | None = None, fmt: str | None = None, country_column: str | None = None,
                    type_column: str | None = None, birth_date_column: str | None = None,
                    gender_column: str | None = None, threshold: float = 0.8, country: str | None = None,
                    entity_type: str | None = None,
                    birth_date: str | None = None, lists: Sequence[str] | None = None,
                    progress: ProgressCallback | None = None, store: str | None = None,
                    gender: str | None = None, organisation: str | None = None) -> BatchRun:
        """Screen every row of a CSV file into ``output`` (csv, json or parquet: ``fmt``, else the suffix): every
        input row kept with all its columns, once per match (best first, ``top`` at most) or once saying why there
        is none; review decisions shown (``organisation``'s own before the operator's, default the actor's);
        resumable (:mod:`pinchpoint.screening.batch`). ``workers``: processes
        (default one per core). Progress goes to ``progress``. ``store`` keeps the screened file under that name
        in the workspace (collection ``screening.stored``: its rows, parameters and alerts), for
        :meth:`since_last`; storing is asked for, never implied, because a customer file holds personal data."""
        self._authorize("screening.batch", lists)
        if not self.session.local_files:
            raise BadArgumentError("this session reads and writes no local files", parameter="source")
        collector = None
        if store is not None:
            from pinchpoint.screening.delta import RowCollector, check_storable

            check_storable(store, top)
            collector = RowCollector()
        options: dict[str, Any] = refinements({"threshold": threshold, "country": country,
                                               "entity_type": entity_type, "lists": list(lists) if lists else None,
                                               "birth_date": birth_date, "gender": gender})
        screener = self.screener()
        columns = {"country_column": country_column, "type_column": type_column,
                   "birth_date_column": birth_date_column, "gender_column": gender_column}
        run = self._run_file(screener, Path(source), Path(output), name_column, columns, options, top=top, fmt=fmt,
                             workers=workers or os.cpu_count() or 1, progress=progress,
                             reviews=self._reviews_for(organisation), on_row=collector)
        if store is None or collector is None:
            return run
        from dataclasses import replace

        from pinchpoint.screening.delta import store_screening

        stored = collector.stored(store, Path(source), name_column, options, screener, workers or os.cpu_count() or 1)
        with self.session.open_workspace() as ws:
            version = store_screening(ws, stored, organisation=self._organisation(organisation))
        return replace(run, summary=f"{run.summary}\nstored as {stored.key!r} (version {version}): "
                                    f"{len(stored.rows)} rows, {len(stored.alerts)} alerts")

    def check_upload(self, filename: str, data: bytes, *, name_column: str = "name",
                     country_column: str | None = None, type_column: str | None = None,
                     birth_date_column: str | None = None, gender_column: str | None = None,
                     max_rows: int | None = None) -> int:
        """The number of records of a CSV of names sent as bytes, read as :meth:`screen_upload` will read it; a
        file that cannot be (not text, no such column, no rows, more than ``max_rows``) is a
        :class:`~pinchpoint.errors.DataError` naming the upload's file, row and field. For an interface to refuse
        an upload at once rather than in a job."""
        import csv

        from pinchpoint.screening.batch import decode_input, read_header, read_rows

        name = upload_name(filename)
        text = decode_input(data, name)  # UTF-8, or UTF-16 with its byte-order mark (Excel's Unicode text)
        try:
            rows = read_rows(text, Path(name), name_column)
        except csv.Error as exc:
            raise DataError(f"not readable as CSV: {exc}", file=name) from None
        if not rows:
            raise DataError("no rows to screen below the header", file=name, row=2)
        header = read_header(text, Path(name))
        for option, column in (("country", country_column), ("type", type_column),
                               ("birth date", birth_date_column), ("gender", gender_column)):
            if column is not None and column not in header:
                raise DataError(f"no column {column!r} for each row's {option} (columns: {', '.join(header)})",
                                file=name, row=1, field=column)
        if max_rows is not None and len(rows) > max_rows:
            raise DataError(f"{len(rows):,} rows: at most {max_rows:,} are taken here (screen larger files with "
                            "the command line)", file=name)
        return len(rows)

    def screen_upload(self, filename: str, data: bytes, folder: Path, *, formats: Sequence[str] = ("csv", "json"),
                      name_column: str = "name", country_column: str | None = None, type_column: str | None = None,
                      birth_date_column: str | None = None, gender_column: str | None = None,
                      threshold: float = 0.8, country: str | None = None, entity_type: str | None = None,
                      birth_date: str | None = None, lists: Sequence[str] | None = None, top: int | None = None,
                      gender: str | None = None, organisation: str | None = None, workers: int = 1,
                      max_rows: int | None = None, progress: ProgressCallback | None = None) -> list[BatchRun]:
        """:meth:`screen_file` of a CSV of names sent as bytes (a workbench upload), with the same batch, options
        and output as the command line's ``screen --file <filename> --output results.<fmt>``: one
        ``results.<fmt>`` per format in ``folder`` (the interface's own folder, such as a job's; never a path a
        user gives), a CSV with its ``results.csv.meta.json`` beside it (input digest, list digests, parameters,
        caveats). The upload is screened under its own file name, so the outputs name it as the command line's
        name the file; errors and summaries name the upload, never where it was staged."""
        import tempfile

        self._authorize("screening.batch", lists)
        name = upload_name(filename)
        columns = {"country_column": country_column, "type_column": type_column,
                   "birth_date_column": birth_date_column, "gender_column": gender_column}
        self.check_upload(name, data, name_column=name_column, max_rows=max_rows, **columns)
        options: dict[str, Any] = refinements({"threshold": threshold, "country": country,
                                               "entity_type": entity_type, "lists": list(lists) if lists else None,
                                               "birth_date": birth_date, "gender": gender})
        screener, reviews = self.screener(), self._reviews_for(organisation)  # one of each for every format
        runs = []
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="pinchpoint-screen-upload-") as tmp:
            staged = Path(tmp) / name
            staged.write_bytes(data)
            for k, fmt in enumerate(formats):
                output = folder / f"results.{fmt}"
                step = _Step(progress, k, len(formats)) if progress is not None else None
                try:
                    run = self._run_file(screener, staged, output, name_column, columns, options, top=top, fmt=fmt,
                                         workers=workers, progress=step, reviews=reviews)
                except DataError as exc:
                    raise _relabel(exc, staged, name) from None
                runs.append(_relabel_run(run, staged, name))
        return runs

    def _reviews_for(self, organisation: str | None) -> dict[str, Review]:
        from pinchpoint.screening.reviews import for_organisation

        return for_organisation(self.reviews(), self._organisation(organisation) or "")

    @staticmethod
    def _run_file(screener: Screener, source: Path, output: Path, name_column: str, columns: dict[str, str | None],
                  options: dict[str, Any], *, top: int | None, fmt: str | None, workers: int,
                  progress: ProgressCallback | None, reviews: dict[str, Review], on_row: Any = None) -> BatchRun:
        from pinchpoint.screening.batch import run_file

        return run_file(screener, source, output, name_column, workers=workers, top=top, fmt=fmt,
                        country_column=columns["country_column"], type_column=columns["type_column"],
                        birth_date_column=columns["birth_date_column"], gender_column=columns["gender_column"],
                        progress=progress, reviews=reviews, on_row=on_row, **options)

    def since_last(self, store: str | None = None, *, workers: int | None = None) -> DeltaScreening:
        """Screen a stored file again against only the entities added or changed in the lists since it was last
        screened, with the parameters it was stored with: new alerts, alerts resolved (entity removed, or its
        changed record no longer matching) and alerts on changed records (:mod:`pinchpoint.screening.delta`).
        The result is stored as the next version, so the next run is since this one. ``store`` names the stored
        file (needed when several are stored); an unknown name is a NotFoundError naming the stored ones."""
        from pinchpoint.screening.delta import rescreen_since_last, store_screening, stored_screening

        self._authorize("screening.batch", None)
        session = self.session
        stored = self._stored_keys()
        keys = sorted(stored)
        where = f" in {session.db_path()}" if session.local_files else ""  # a server tells no paths
        if not keys:
            raise NotFoundError(f"no screened file is stored{where}: screen one and store it first",
                                what="stored screening", value=store or "")
        if store is None:
            if len(keys) != 1:
                raise BadArgumentError(f"name the stored screening: {', '.join(keys)}", parameter="store")
            store = keys[0]
        if store not in stored:  # unknown, or another organisation's: the same answer, naming only the caller's
            import difflib

            close = difflib.get_close_matches(store, keys, n=3, cutoff=0.3)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise NotFoundError(f"no stored screening {store!r}{where} ({hint}stored: {', '.join(keys)})",
                                suggestions=close, what="stored screening", value=store)
        from pinchpoint.screening.index_store import LOADED, pack, save_index

        with session.open_reader() as ws:
            before = stored_screening(ws, store)
        screener = self.screener()
        delta = rescreen_since_last(before, screener, workers=workers or os.cpu_count() or 1,
                                    reviews=self._reviews_for(stored[store]))
        # a workspace whose lists were stored before indexes were: the index built for this run is kept with them
        index = pack(screener) if screener.origin != LOADED else None
        with session.open_workspace() as ws:
            store_screening(ws, delta.stored, organisation=stored[store])
            if index is not None:
                save_index(ws, screener, index)
        return delta

    def _stored_keys(self) -> dict[str, str]:
        """The stored screenings the actor may see, by key, with the organisation each was stored for ("" the
        operator's): the operator sees every one, anyone else their own organisation's (a stored screening holds
        a customer file)."""
        from pinchpoint.screening.delta import STORED

        session = self.session
        if not session.workspace_exists():
            return {}
        with session.open_reader() as ws:
            owners = {v.key: str(v.meta.get("organisation") or "") for v in ws.collection(STORED).latest_each()}
        if session.is_operator():
            return owners
        org = session.organisation()
        return {k: o for k, o in owners.items() if org and o == org}

    def stored_screenings(self) -> ResultTable:
        """Every version of every stored screening the actor may see (name, when, rows, alerts, threshold,
        lists); a server session names no paths."""
        from pinchpoint.screening.delta import STORED_COLUMNS, stored_table

        session = self.session
        session.authorize("screening.read", "lists:*")
        visible = self._stored_keys()
        if not visible:
            where = f" in {session.db_path()}" if session.local_files else ""
            return ResultTable.from_records("screening_stored", [], STORED_COLUMNS).with_caveats(
                f"no screened files are stored{where}")
        with session.open_reader() as ws:
            table = stored_table(ws)
        rows = tuple(r for r in table.rows if r["key"] in visible)
        meta = dict(table.meta) if session.local_files else {k: v for k, v in table.meta.items() if k != "workspace"}
        return ResultTable(table.name, table.columns, rows, meta)

    def load(self, paths: Sequence[Path], *, force: bool = False, max_bytes: int = MAX_LIST_BYTES,
             source: str | None = None, version: str | None = None) -> list[ListLoad]:
        """Read each list file (format detected, or the list source named) and store it, replacing the loaded
        version after the update checks (``force`` loads a version that holds no entities, lacks most of the
        loaded one's or is dated in the future). Each file is read and checked before the workspace is opened, so
        it is locked only while storing. OFAC's alternate-names file is skipped when the SDN file beside it reads
        it. A file that fails is reported in its :class:`ListLoad`; the others are still loaded. ``version`` labels
        the one list file given whose content holds no date (``screening.loaders.load_list``): a file with no date
        in its content or name is refused without it."""
        from pinchpoint.screening.index_store import index_stored_lists
        from pinchpoint.screening.loaders import load_list
        from pinchpoint.screening.sources import is_ofac_alternate_file, read_with_sdn_beside
        from pinchpoint.screening.store import store_list

        self.session.authorize("screening.load", "lists:*")
        if not self.session.local_files:
            raise BadArgumentError("this session reads no local files", parameter="paths")
        lists = [p for p in map(Path, paths) if source is not None or not is_ofac_alternate_file(p)
                 or not read_with_sdn_beside(p)]
        if version is not None and len(lists) != 1:
            raise BadArgumentError(f"version labels one list file; {len(lists)} were given: load them one at a time",
                                   parameter="version")
        out = []
        for path in map(Path, paths):
            if source is None and is_ofac_alternate_file(path) and read_with_sdn_beside(path):
                out.append(ListLoad(path, skipped="OFAC's alternate names are read with the SDN file beside them"))
                continue
            try:
                screening_list = load_list(path, max_bytes=max_bytes, source=source, version=version)
                with self.session.open_workspace() as ws:
                    change = store_list(ws, screening_list, force=force)
            except PinchpointError as exc:
                out.append(ListLoad(path, error=exc))
                continue
            out.append(ListLoad(path, screening_list, change))
        if any(done.change is not None for done in out):
            # the index of the lists now stored, built once here so that every later run loads it
            # (screening.index_store); a load that changed nothing makes one only when it is missing
            index_stored_lists(self.session.db_path(), on_wait=self.session.on_wait)
        return out

    def review(self, query: str, entity_id: str, decision: str, reviewer: str | None, reason: str = "",
               list_name: str | None = None, organisation: str | None = None, *, country: str | None = None,
               entity_type: str | None = None, birth_date: str | None = None, gender: str | None = None) -> Review:
        """Record a decision ("true match" or "false positive") on the alert of ``query`` against a listed entity,
        for ``organisation`` (default the actor's; none: the operator's, seen by every organisation); later
        screenings show it and do not alert again for the same input and entity unless the entity's record
        changes. ``reviewer``: who decided; behind accounts it is the signed-in user, and another name is refused
        (:class:`~pinchpoint.errors.BadArgumentError`), as is another ``organisation``. The input is the name with
        the refinements it was screened with (``country``, ``entity_type``, ``birth_date``, ``gender``, as
        :meth:`screen` reads them): a decision on "Aleksandar Vulin" born 1985 is not one on "Aleksandar Vulin" born
        1972. An unknown list or entity is a :class:`~pinchpoint.errors.NotFoundError`."""
        from pinchpoint.screening.matcher import check_list_names
        from pinchpoint.screening.reviews import record_review

        self._authorize("screening.review", [list_name] if list_name else None)
        signed_in = self.session.account_user()
        if signed_in is not None:  # behind accounts a decision is the signed-in user's, never a name typed
            named = (reviewer or "").strip()
            if named and named != signed_in:
                raise BadArgumentError(f"reviewer {named[:60]!r} is not the signed-in user: a decision is recorded "
                                       f"under the account that takes it ({signed_in}); leave reviewer out or give "
                                       f"{signed_in!r}", parameter="reviewer")
            reviewer = signed_in
        if organisation is not None and organisation != self.session.organisation() and \
                not self.session.is_operator():
            raise BadArgumentError("a decision is taken for your own organisation only", parameter="organisation")
        screener = self.screener()
        check_list_names([list_name] if list_name else None, [lst.list_name for lst in screener.lists])
        with self.session.open_workspace() as ws:
            review = record_review(ws, screener.lists, query, entity_id, decision, reviewer or "", reason, list_name,
                                   organisation=self._organisation(organisation),
                                   refinements={"country": country, "entity_type": entity_type,
                                                "birth_date": birth_date, "gender": gender})
        self.session.record("review", f"alert:{review.list}:{review.entity_id}"[:200],
                            {"query": review.query[:500], "decision": review.decision, "reason": review.reason,
                             **review.refinements()})
        return review

    def review_table(self) -> ResultTable:
        """The latest decision on every reviewed input and entity that the actor may see: the operator every one,
        anyone else their own organisation's and the operator's."""
        from pinchpoint.screening.reviews import REVIEW_COLUMNS, review_table

        session = self.session
        session.authorize("screening.read", "review:*")
        if not session.workspace_exists():
            return ResultTable.from_records("screening_reviews", [], REVIEW_COLUMNS).with_caveats(
                "no decisions recorded in this workspace")
        with session.open_reader() as ws:
            table = review_table(ws)
        if session.is_operator():
            return table
        # the caller's organisation's decisions and the operator's (which apply to every organisation), never
        # another organisation's: their reasons name that organisation's customers
        org = session.organisation()
        rows = tuple(r for r in table.rows if r["organisation"] in ("", org))
        return ResultTable(table.name, table.columns, rows, dict(table.meta))


def batch_outcome(run: BatchRun, max_listed: int = 200) -> dict[str, Any]:
    """What a batch written as JSON did, for a page to show: input rows per status, match rows, alerts still to
    review and decisions remembered, every row that was not screened (row, name, why: the first ``max_listed``,
    ``n_problems`` all of them), the caveats, the input's and the lists' digests and the parameters. JSON-ready."""
    import json

    document = json.loads(run.output.read_text(encoding="utf-8"))
    rows = document["rows"]
    matches = [r for r in rows if r["status"] == "match"]
    decided = [r for r in matches if r.get("alert") == "decided"]
    problems = [{"row": r["row"], "query": r["query"], "status": r["status"], "input_note": r.get("input_note")}
                for r in rows if r["status"] != "match" and r["status"] != "no match"]
    inputs = {str(r["status"]): int(r["inputs"]) for r in run.counts.rows}
    meta = document["meta"]
    return {"rows": sum(inputs.values()), "inputs": inputs, "screened": inputs["match"] + inputs["no match"],
            "match_rows": len(matches), "alerts": len(matches) - len(decided),
            "record_changed": sum(1 for r in matches if r.get("alert") == "record changed"),
            "false_positives": sum(1 for r in decided if r.get("review_decision") == "false positive"),
            "true_matches": sum(1 for r in decided if r.get("review_decision") == "true match"),
            "problems": problems[:max_listed], "n_problems": len(problems),
            "caveats": list(meta.get("caveats", [])), "input": meta.get("input", {}), "lists": meta.get("lists", {}),
            "parameters": meta.get("parameters", {}), "summary": run.summary}


def batch_row_refinements(parameters: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, str]:
    """The refinements a row of a batch's output was screened with: the batch's options (``meta.parameters``) with
    the row's own country, type, birth date and gender read from the columns named, as the batch read them
    (a cell that holds none leaves the option). A decision on the row's alert is on the name with these."""
    from pinchpoint.screening.batch import OUTPUT_COLUMNS, ROW_OPTIONS, parse_row_option
    from pinchpoint.screening.reviews import refinements_of

    out = dict(refinements_of(parameters))
    for option in ROW_OPTIONS:
        column = parameters.get(f"{option}_column")
        if not column:
            continue
        # an input column named as one the batch writes comes out as input_<name> (batch.input_columns)
        value, _ = parse_row_option(option, str(row.get(f"input_{column}" if column in OUTPUT_COLUMNS else column)
                                                 or ""))
        if value is not None:
            out[option] = value
    return out


def upload_name(filename: str) -> str:
    """An upload's file name as outputs and errors name it: its last part, without control characters."""
    name = "".join(c for c in Path(filename.replace("\\", "/")).name if c.isprintable())[:100].strip()
    return name if name not in ("", ".", "..") else "upload.csv"


def _relabel(exc: DataError, staged: Path, name: str) -> DataError:
    """A batch's error on a staged upload, naming the upload as the user knows it."""
    from dataclasses import replace

    from pinchpoint.errors import Problem

    def named(text: str | None) -> str | None:
        return text.replace(str(staged), name) if text is not None else None

    problems = [Problem(replace(p.location, file=named(p.location.file)), p.message.replace(str(staged), name),
                        p.severity) for p in exc.problems]
    loc = exc.location
    return DataError(exc.problem.replace(str(staged), name), file=named(loc.file), row=loc.row, field=loc.field,
                     problems=problems, unit=loc.unit)


def _relabel_run(run: BatchRun, staged: Path, name: str) -> BatchRun:
    from dataclasses import replace

    summary = run.summary.replace(str(staged), name).replace(str(run.output), run.output.name)
    return replace(run, summary=summary)


@dataclass(frozen=True)
class _Step:
    """The progress of one of ``of`` runs over the same rows, as one bar."""

    progress: ProgressCallback
    k: int
    of: int

    def __call__(self, done: int, total: int, label: str = "") -> None:
        self.progress(self.k * total + done, self.of * total, label)


def _keep_top(names: Sequence[str], rows: Sequence[Mapping[str, Any]], top: int | None
              ) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The first ``top`` matches of each name (rows come grouped by name, in the order of ``names``, best first),
    and a caveat for each name that had more: how many it had and how many are shown."""
    if top is None:
        return list(rows), []
    from itertools import groupby

    kept: list[Mapping[str, Any]] = []
    cut: list[str] = []
    at = 0
    for name, repeats in ((n, len(list(g))) for n, g in groupby(names)):
        run = at
        while run < len(rows) and rows[run]["query"] == name:
            run += 1
        # a name given several times in a row is screened each time alike: its rows split evenly
        size = (run - at) // repeats
        for k in range(repeats):
            group = rows[at + k * size:at + (k + 1) * size]
            kept += group[:top]
            if len(group) > top:
                cut.append(f"{name!r}: {len(group)} matches at or above the threshold, the best {top} shown "
                           f"(top {top}); {len(group) - top} cut")
        at = run
    return kept, cut


def _list_columns() -> list[str]:
    from pinchpoint.screening.store import _LIST_COLUMNS

    return list(_LIST_COLUMNS)
