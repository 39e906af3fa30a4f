"""Export-control use cases: search, an entry across jurisdictions, crosswalks, alignment and diffs, what changed
since a date, CHPL codes to controls, the alignment report, loading lists. The latest lists, their
:class:`~pinchpoint.controls.search.ControlIndex` and their :class:`~pinchpoint.controls.crosswalk.Counterparts`
are built once and rebuilt when the stored lists change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pinchpoint.errors import BadArgumentError, WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.controls.crosswalk import Counterparts
    from pinchpoint.controls.model import ControlList
    from pinchpoint.controls.store import LoadReport

VERSION_COLUMNS = ["jurisdiction", "version", "list_name", "n_entries", "n_problems"]
CHANGE_COLUMNS = ["jurisdiction", "code", "change", "when", "heading"]
SEARCH_COLUMNS = ["jurisdiction", "paragraph", "score", "matched_text"]
SHOW_COLUMNS = ["jurisdiction", "code", "relation", "text"]
CROSSWALK_COLUMNS = ["from_code", "to_code", "relation", "confidence", "method"]
CHPL_COLUMNS = ["hs6", "description", "paragraph", "score", "strength", "reason"]
DIFF_COLUMNS = ["code", "change", "paragraphs", "heading"]


def listing_view(table: ResultTable) -> tuple[list[str], str]:
    """The columns a terminal shows of :meth:`ControlsGroup.listing`'s table, and its title."""
    if table.name == "control_lists":
        return VERSION_COLUMNS, "Control lists"
    return CHANGE_COLUMNS, f"Entries added or changed since {table.meta.get('since')}"


def compare_columns(table: ResultTable) -> list[str]:
    """The columns a terminal shows of :meth:`ControlsGroup.diff`'s table (a version diff or an alignment)."""
    if table.name == "controls_diff":
        return DIFF_COLUMNS
    a, b = (j for j in table.meta["lists"])
    return ["jurisdiction", "code", f"in_{a}", f"in_{b}", "status", "threshold_differences"]


@dataclass(frozen=True)
class HeldLists:
    """The latest version of each stored list, with the counterparts (crosswalks, TF-IDF index) over them."""

    lists: tuple[ControlList, ...]
    counterparts: Counterparts


class ControlsGroup(Group):
    name = "controls"

    # Held objects ------------------------------------------------------------------------------------------
    def stored_versions(self) -> tuple[tuple[str, str, str], ...]:
        """(jurisdiction, version, content hash) of every stored list version: the stamp of :meth:`held`."""
        session = self.session
        if not session.workspace_exists():
            return ()

        def read() -> tuple[tuple[str, str, str], ...]:
            from pinchpoint.controls.store import list_versions

            with session.open_reader() as ws:
                rows = list_versions(ws).rows
            return tuple((str(r["jurisdiction"]), str(r["version"]), str(r["content_hash"])) for r in rows)

        stamp = session.stamp("control_lists", read)
        assert isinstance(stamp, tuple)
        return stamp

    def held(self) -> HeldLists:
        """The latest lists and their counterparts, built once per set of stored versions."""
        from pinchpoint.controls.crosswalk import Counterparts
        from pinchpoint.controls.store import load_lists

        session = self.session

        def build() -> HeldLists:
            if not session.workspace_exists():
                raise WorkspaceError(f"no control lists in {session.db_path()} (no workspace there yet)",
                                     what="control lists")
            with session.open_workspace() as ws:
                lists = tuple(load_lists(ws))
            held = HeldLists(lists, Counterparts(lists))
            if session.warm:
                held.counterparts.index  # noqa: B018  # the TF-IDF index, built now rather than on a first search
            return held

        return session.cache.get(("control_lists",), self.stored_versions(), build)

    def lists(self, jurisdictions: Sequence[str] | None = None) -> list[ControlList]:
        """The latest stored list of each jurisdiction (or of those named; a missing one is an error)."""
        held = list(self.held().lists)
        if not jurisdictions:
            return held
        wanted = {j.upper() for j in jurisdictions}
        missing = wanted - {c.jurisdiction.value for c in held}
        if missing:
            raise WorkspaceError(f"no control list for {', '.join(sorted(missing))} in {self.session.db_path()}",
                                 what="control lists")
        return [c for c in held if c.jurisdiction.value in wanted]

    # Use cases ---------------------------------------------------------------------------------------------
    def versions(self) -> ResultTable:
        """The stored lists with their versions."""
        from pinchpoint.controls.store import list_versions

        self.session.authorize("controls.list", "controls:*")
        with self.session.open_workspace() as ws:
            return list_versions(ws)

    def listing(self, added: str | None = None, jurisdictions: Sequence[str] | None = None,
                scope: str | None = None) -> ResultTable:
        """The stored lists with their versions or, with ``added`` (a date), :meth:`changes` since it
        (``jurisdictions`` and ``scope`` narrow the changes only)."""
        if added is not None:
            return self.changes(added, jurisdictions, scope)
        if jurisdictions or scope:
            raise BadArgumentError("jurisdictions and scope narrow the entries added since a date: give the date",
                                   parameter="added")
        return self.versions()

    def changes(self, since: str, jurisdictions: Sequence[str] | None = None,
                scope: str | None = None) -> ResultTable:
        """Entries added or changed at or after ``since`` (YYYY, YYYY-MM or YYYY-MM-DD): from the data's own dates
        and from the versions stored in the workspace."""
        from pinchpoint.controls.changes import added_in_workspace, parse_since

        self.session.authorize("controls.read", "controls:*")
        when = parse_since(since)
        with self.session.open_workspace() as ws:
            return added_in_workspace(ws, when, list(jurisdictions) if jurisdictions else None, scope)

    def search(self, query: str, *, limit: int = 15, jurisdictions: Sequence[str] | None = None) -> ResultTable:
        """Entries in every jurisdiction ranked by TF-IDF similarity to ``query``, with the matching text."""
        self.session.authorize("controls.read", "controls:*")
        index = self.held().counterparts.index
        return index.search(query, limit=limit, jurisdictions=list(jurisdictions) if jurisdictions else None)

    def show(self, code: str, jurisdictions: Sequence[str] | None = None) -> ResultTable:
        """An entry (or one paragraph) in every jurisdiction that has it, with its counterparts elsewhere."""
        from pinchpoint.controls.views import show_entry

        self.session.authorize("controls.read", "controls:*")
        held = self.held()
        return show_entry(held.lists, code, list(jurisdictions) if jurisdictions else None,
                          counterparts=held.counterparts)

    def crosswalk(self, source: str, target: str, scope: str | None = None) -> ResultTable:
        """Equivalent entries from ``source`` to ``target`` with their evidence and confidence."""
        from pinchpoint.controls.crosswalk import crosswalk
        from pinchpoint.controls.views import scoped

        self.session.authorize("controls.read", "controls:*")
        held = self.held()
        if source.strip().upper() == target.strip().upper():
            return crosswalk(held.lists, source, target)  # refused, naming why
        # the whole walk is computed once per pair and held with the lists (the same rows crosswalk() gives)
        return scoped(held.counterparts.walk(source.strip(), target.strip()), held.lists, scope)

    def alignment(self, jurisdictions: Sequence[str], scope: str | None = None) -> ResultTable:
        """For each entry in scope, its counterparts in the other jurisdictions and whether thresholds differ."""
        from pinchpoint.controls.crosswalk import alignment

        self.session.authorize("controls.read", "controls:*")
        held = self.held()
        return alignment(held.lists, jurisdictions, scope, counterparts=held.counterparts)

    def diff(self, first: str, second: str, scope: str | None = None) -> ResultTable:
        """Two jurisdictions (each ``J`` or ``J@DATE``): what one controls that the other does not; or two versions
        of one (``US@DATE US@DATE``): what changed."""
        from pinchpoint.controls.views import compare

        self.session.authorize("controls.read", "controls:*")
        if "@" not in first + second and first.strip().upper() != second.strip().upper():
            # the latest versions of two lists: the held lists and counterparts
            return self.alignment([first.strip(), second.strip()], scope)
        with self.session.open_workspace() as ws:
            return compare(ws, first, second, scope)

    def chpl(self, path: Path, *, leads: bool = False) -> ResultTable:
        """The control entries each CHPL HS code most likely corresponds to, with score and reason."""
        from pinchpoint.controls.crosswalk import chpl_controls

        self.session.authorize("controls.read", "controls:*")
        if not self.session.local_files:
            raise BadArgumentError("this session reads no local files", parameter="path")
        return chpl_controls(Path(path), list(self.held().lists), leads=leads)

    def report(self, jurisdictions: Sequence[str], out: Path, *, scope: str | None = None,
               command: str = "") -> Path:
        """Write the alignment report (HTML and CSV) to ``out``; returns the HTML file."""
        from pinchpoint.controls.views import alignment_report

        self.session.authorize("controls.read", "controls:*")
        return alignment_report(list(self.held().lists), jurisdictions, scope, out, command=command)

    def read(self, paths: Sequence[Path], source: str | None = None) -> list[ControlList]:
        """Read control-list files (CCL JSON, EU Annex I JSON, Japan's items CSV; format detected); each list
        carries the problems found."""
        from pinchpoint.controls.loaders import load_any

        self.session.authorize("controls.load", "controls:*")
        if not self.session.local_files:
            raise BadArgumentError("this session reads no local files", parameter="paths")
        return [load_any(path, source) for path in paths]  # source: a format name, else detected

    def store(self, lists: Sequence[ControlList], origins: Sequence[str], *, force: bool = False
              ) -> list[LoadReport]:
        """Store lists read by :meth:`read` in one transaction (all or none), versioned by date; idempotent."""
        from pinchpoint.controls.store import store_lists

        self.session.authorize("controls.load", "controls:*")
        with self.session.open_workspace() as ws:
            return store_lists(ws, list(lists), force=force, origins=list(origins))
