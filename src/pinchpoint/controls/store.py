"""Control lists in the workspace, versioned by jurisdiction and date (the collection ``controls.lists``: key the
jurisdiction, version the list's date, payload the list's JSON).

The rules are this module's own: a version dated like a stored one replaces it when its content differs, and a
version that looks wrong (empty, dated in the future, losing most entries) is refused unless forced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial

from pinchpoint.controls.model import ControlList
from pinchpoint.errors import WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, Items, Migration, OpenWorkspace, Version, register, sha256_16

# The table the previous code kept, as a view over the collection (same columns), for users' own SQL.
_VIEW_V1 = """
CREATE OR REPLACE VIEW controls_lists AS SELECT key AS jurisdiction, CAST(version AS DATE) AS version,
    json_extract_string(meta, '$.list_name') AS list_name, source, content_hash,
    CAST(json_extract(meta, '$.n_entries') AS INTEGER) AS n_entries,
    CAST(json_extract(meta, '$.n_problems') AS INTEGER) AS n_problems, created_at AS loaded_at,
    decode(payload) AS payload
FROM collection_items WHERE collection = 'controls.lists';
"""


def _from_previous_table(ws: OpenWorkspace) -> None:
    """Version 0 -> 1: the ``controls_lists`` table the code before collections wrote becomes collection items."""
    ws.con.execute("""
        INSERT INTO collection_items
        SELECT 'controls.lists', jurisdiction, strftime(version, '%Y-%m-%d'),
               (SELECT coalesce(max(seq), 0) FROM collection_items) + row_number() OVER (ORDER BY loaded_at, version),
               content_hash, loaded_at, coalesce(source, ''), strlen(payload),
               json_object('list_name', list_name, 'n_entries', n_entries, 'n_problems', n_problems)::VARCHAR,
               encode(payload)
        FROM controls_lists""")
    ws.con.execute("DROP TABLE controls_lists")
    ws.con.execute(_VIEW_V1)


CONTROL_LISTS = register(Collection(
    "controls.lists", version=1, order="version", ddl=_VIEW_V1, legacy_tables=("controls_lists",),
    migrations=(Migration(1, "the controls_lists table becomes collection items", _from_previous_table),)))


def _items(ws: Workspace) -> Items:
    return ws.collection(CONTROL_LISTS)


def _parse(items: Items, version: Version) -> ControlList:
    return ControlList.model_validate_json(items.payload(version))


# A new version that keeps fewer than this share of the previous version's entries is refused without --force:
# real lists grow or change a few dozen entries a year, a truncated or wrong file loses most of them.
MIN_KEPT_SHARE = 0.5


@dataclass(frozen=True)
class LoadReport:
    """What storing one list version did, against the version it follows (or replaces)."""

    jurisdiction: str
    version: date
    created: bool
    content_hash: str
    entries: int
    previous: date | None = None  # the version compared against (same date when it is replaced)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    def summary(self, limit: int = 10) -> str:
        if self.previous is None:
            return f"first {self.jurisdiction} version in the workspace"

        def codes(items: tuple[str, ...]) -> str:
            shown = ", ".join(items[:limit])
            return f" ({shown}{', ...' if len(items) > limit else ''})" if items else ""

        return (f"against {self.jurisdiction} {self.previous}: {len(self.added)} added{codes(self.added)}, "
                f"{len(self.removed)} removed{codes(self.removed)}, {len(self.changed)} changed{codes(self.changed)}")


def _on_or_before(items: Items, jurisdiction: str, day: date | None) -> Version | None:
    """The stored version of ``jurisdiction`` dated ``day`` or the latest before it (the latest of all without)."""
    for version in items.list(jurisdiction):  # latest date first
        if day is None or version.version <= day.isoformat():
            return version
    return None


def _previous(ws: Workspace, control_list: ControlList) -> ControlList | None:
    """The stored version with the same date (being replaced), else the latest one before it."""
    items = _items(ws)
    found = _on_or_before(items, control_list.jurisdiction.value, control_list.version)
    return _parse(items, found) if found is not None else None


def check_version(control_list: ControlList, previous: ControlList | None, today: date | None = None,
                  origin: str = "") -> list[str]:
    """Why a new version looks wrong (empty, dated in the future, losing most of the previous entries)."""
    today = today or datetime.now(UTC).date()
    reasons = []
    name = f"{control_list.jurisdiction.value} {control_list.version} ({origin or control_list.source})"
    if not control_list.entries:
        reasons.append(f"{name} has no entries" +
                       (f" ({len(control_list.problems)} could not be read)" if control_list.problems else ""))
    if control_list.version > today:
        reasons.append(f"{name} is dated in the future (today is {today}); as the latest version it would hide "
                       "the real one")
    if previous is not None and previous.entries and control_list.entries:
        kept = len({e.code for e in previous.entries} & {e.code for e in control_list.entries})
        if kept < MIN_KEPT_SHARE * len(previous.entries):
            reasons.append(f"{name} keeps {kept} of the {len(previous.entries)} entries of {previous.version} "
                           f"(less than {MIN_KEPT_SHARE:.0%})")
    return reasons


def store_list(ws: Workspace, control_list: ControlList, *, force: bool = False,
               today: date | None = None) -> LoadReport:
    """Store a list version and say what it adds and removes against the previous one (see :func:`store_lists`)."""
    return store_lists(ws, [control_list], force=force, today=today)[0]


def store_lists(ws: Workspace, control_lists: Sequence[ControlList], *, force: bool = False,
                today: date | None = None, origins: Sequence[str] = ()) -> list[LoadReport]:
    """Store list versions in one transaction (all or none), each compared with the version it follows. Same
    jurisdiction, date and content: no-op; same jurisdiction and date with new content replaces it.

    A version that has no entries, is dated after ``today`` or keeps less than half of the previous version's
    entries is refused (:class:`WorkspaceError`, nothing stored, naming the file from ``origins``) unless
    ``force``."""
    from pinchpoint.controls.crosswalk import diff_versions

    items = _items(ws)
    reports: list[LoadReport] = []
    with ws.transaction():
        for n, control_list in enumerate(control_lists):
            payload = control_list.model_dump_json()
            digest = sha256_16(payload.encode())
            jurisdiction, label = control_list.jurisdiction.value, control_list.version.isoformat()
            base = partial(LoadReport, jurisdiction, control_list.version, content_hash=digest,
                           entries=len(control_list.entries))
            stored = items.find(jurisdiction, label)
            if stored is not None and stored.content_hash == digest:
                reports.append(base(created=False, previous=control_list.version))
                continue
            previous = _previous(ws, control_list)  # sees the versions stored earlier in this call
            reasons = check_version(control_list, previous, today, origins[n] if n < len(origins) else "")
            if reasons and not force:
                raise WorkspaceError("refused: " + "; ".join(reasons) + " (nothing stored; forcing it stores it "
                                     "anyway)", option="force")
            changes: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
            if previous is not None:
                for r in diff_versions(previous, control_list).rows:
                    changes[r["change"]].append(r["code"])
            items.put(jurisdiction, payload, version=label, source=control_list.source, replace=True,
                      meta={"list_name": control_list.list_name, "n_entries": len(control_list.entries),
                            "n_problems": len(control_list.problems)})
            reports.append(base(created=True, previous=previous.version if previous else None,
                                added=tuple(changes["added"]), removed=tuple(changes["removed"]),
                                changed=tuple(changes["changed"])))
    return reports


def load_lists(ws: Workspace, jurisdictions: list[str] | None = None, as_of: str | None = None
               ) -> list[ControlList]:
    """The latest version of each jurisdiction's list (on or before ``as_of``, an ISO date, if given)."""
    items = _items(ws)
    day = date.fromisoformat(as_of) if as_of else None
    jurisdictions_stored = items.keys()
    latest = [_on_or_before(items, key, day) for key in jurisdictions_stored]
    lists = [_parse(items, v) for v in latest if v is not None]
    if jurisdictions:
        wanted = {j.upper() for j in jurisdictions}
        lists = [c for c in lists if c.jurisdiction.value in wanted]
        missing = wanted - {c.jurisdiction.value for c in lists}
        if missing:
            raise WorkspaceError(f"no control list for {', '.join(sorted(missing))} in {ws.path}",
                                 what="control lists")
    if not lists:
        raise WorkspaceError(f"no control lists in {ws.path}", what="control lists")
    return sorted(lists, key=lambda c: c.jurisdiction.value)


def versions_of(ws: Workspace, jurisdiction: str) -> list[date]:
    return sorted(date.fromisoformat(v.version) for v in _items(ws).list(jurisdiction.upper()))


def load_version(ws: Workspace, jurisdiction: str, version: str) -> ControlList:
    """One stored version; an unknown jurisdiction, a malformed date or a missing version names what there is."""
    from pinchpoint.controls.ids import check_jurisdiction, unknown

    items = _items(ws)
    code = check_jurisdiction(jurisdiction, items.keys())
    have = [v.isoformat() for v in versions_of(ws, code)]
    try:
        wanted = date.fromisoformat(version.strip())
    except ValueError:
        raise unknown(f"{code} version", version, have, where="(give a date as YYYY-MM-DD)") from None
    found = items.find(code, wanted.isoformat())
    if found is None:
        raise unknown(f"{code} control list of", wanted.isoformat(), have, where=f"in {ws.path}")
    return _parse(items, found)


def all_versions(ws: Workspace, jurisdiction: str) -> list[ControlList]:
    """Every stored version of one jurisdiction's list, oldest first."""
    items = _items(ws)
    return [_parse(items, v) for v in reversed(items.list(jurisdiction.upper()))]


_COLUMNS = ["jurisdiction", "version", "list_name", "n_entries", "n_problems", "content_hash", "loaded_at", "source"]


def list_versions(ws: Workspace) -> ResultTable:
    rows = [{"jurisdiction": v.key, "version": v.version, "list_name": v.meta.get("list_name"),
             "n_entries": v.meta.get("n_entries"), "n_problems": v.meta.get("n_problems"),
             "content_hash": v.content_hash, "loaded_at": v.created_at.isoformat(timespec="seconds"),
             "source": v.source} for v in _items(ws).list()]
    table = ResultTable.from_records("control_lists", rows, _COLUMNS, meta={"workspace": str(ws.path)})
    if not len(table):  # "missing": what is missing, in the errors' vocabulary (each interface says how to load it)
        table = ResultTable(table.name, table.columns, table.rows, {**table.meta, "missing": "control lists"}
                            ).with_caveats(f"No control lists in {ws.path}.")
    return table
