"""Restricted-party lists in the workspace (the collection ``screening.lists``: key the list's name, one current
version, payload the list's JSON): replaced atomically, and checked against the version they replace.

A new version is refused (:class:`ListRefused`, unless ``force=True``) when it holds no entities, when it lacks
more than :data:`MAX_REMOVED_SHARE` of the previous version's entities (a cut-short or wrong file, far more
likely than a real delisting of that size), when the entities it keeps lose more than :data:`MAX_LOST_NAMES_SHARE`
of the previous version's names (an OFAC SDN file without its alternate-names file), or when it is dated after
tomorrow (UTC). Every store reports what the new version adds, removes and changes against the previous one
(:class:`ListChange`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pinchpoint.errors import DataError, NotFoundError, PinchpointError, WorkspaceError
from pinchpoint.results import ResultTable
from pinchpoint.screening.loaders import NO_ALT_FILE, read_stored
from pinchpoint.screening.model import ListedEntity, NameKind, ScreeningList
from pinchpoint.screening.reviews import Review, latest_reviews  # registers the screening.reviews collection
from pinchpoint.workspace import Workspace
from pinchpoint.workspace.collections import Collection, Items, Migration, OpenWorkspace, register, sha256_16

#: Largest share of the previous version's entities a new version may lack without ``--force``. Real updates
#: delist a few entities at a time (the 2024 and 2025 OFAC files differ by well under 5%); a file cut short
#: loses far more.
MAX_REMOVED_SHARE = 0.2
#: Largest share of the previous version's names a new version may drop from the entities it keeps, without
#: ``--force``. Real updates rename a few entities at a time; an OFAC SDN file read without its alternate-names
#: file drops every alias (18,018 of the 32,983 names of the 2024-05-03 version, 55%).
MAX_LOST_NAMES_SHARE = 0.2



# The table the previous code kept, as a view over the collection (same columns), for users' own SQL.
_VIEW_V1 = """
CREATE OR REPLACE VIEW screening_lists AS SELECT key AS list_name,
    json_extract_string(meta, '$.list_version') AS version, content_hash,
    CAST(json_extract(meta, '$.n_entities') AS INTEGER) AS n_entities,
    CAST(json_extract(meta, '$.n_names') AS INTEGER) AS n_names,
    CAST(json_extract(meta, '$.n_problems') AS INTEGER) AS n_problems, source, created_at AS loaded_at,
    decode(payload) AS payload, json_extract_string(meta, '$.encoding') AS encoding,
    CAST(json_extract(meta, '$.n_duplicates') AS INTEGER) AS n_duplicates
FROM collection_items WHERE collection = 'screening.lists';
"""


def _from_previous_table(ws: OpenWorkspace) -> None:
    """Version 0 -> 1: the ``screening_lists`` table the code before collections wrote (with or without the
    columns added later) becomes collection items."""
    present = {r[0] for r in ws.con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'screening_lists'").fetchall()}
    encoding = "encoding" if "encoding" in present else "NULL"
    duplicates = "n_duplicates" if "n_duplicates" in present else "NULL"
    ws.con.execute(f"""
        INSERT INTO collection_items
        SELECT 'screening.lists', list_name, content_hash,
               (SELECT coalesce(max(seq), 0) FROM collection_items) + row_number() OVER (ORDER BY loaded_at, list_name),
               content_hash, loaded_at, coalesce(source, ''), strlen(payload),
               json_object('list_version', version, 'n_entities', n_entities, 'n_names', n_names,
                           'n_problems', n_problems, 'encoding', {encoding}, 'n_duplicates', {duplicates})::VARCHAR,
               encode(payload)
        FROM screening_lists""")
    ws.con.execute("DROP TABLE screening_lists")
    ws.con.execute(_VIEW_V1)


SCREENING_LISTS = register(Collection(
    "screening.lists", version=1, ddl=_VIEW_V1, legacy_tables=("screening_lists",),
    migrations=(Migration(1, "the screening_lists table becomes collection items", _from_previous_table),)))


def _items(ws: Workspace) -> Items:
    return ws.collection(SCREENING_LISTS)


class ListRefused(PinchpointError):
    """A new list version that looks wrong (empty, most entities gone, dated in the future); ``force`` loads it."""

    option = "force"


#: The fields of a listed record a change is described by (in this order); the list version label is not one.
_CHANGE_FIELDS = ("names", "type", "countries", "birth_dates", "gender", "identifiers", "addresses", "programmes",
                  "listing_reason")
_MAX_DETAIL = 300  # characters of each field's before -> after shown


@dataclass(frozen=True)
class EntityChange:
    """One entity a new list version adds, removes or changes: its id, its primary name (the new record's; the
    old one's for a removed entity), its type, and for a changed entity what changed, field by field."""

    change: str  # "added", "removed" or "changed"
    entity_id: str
    name: str
    type: str
    previous_name: str = ""  # the old primary name, when it changed
    fields: tuple[str, ...] = ()  # the fields that differ (see _CHANGE_FIELDS)
    detail: str = ""  # "names: +ALIAS, -OLD; programmes: SDGT -> SDGT, IRGC"


def _shown(values: object) -> str:
    text = ", ".join(str(v) for v in values) if isinstance(values, tuple) else str(values)
    return text or "-"


def entity_change(before: ListedEntity, after: ListedEntity) -> EntityChange:
    """How ``after`` differs from ``before`` (the same id): names added and removed, other fields before -> after."""
    fields: list[str] = []
    parts: list[str] = []
    for name in _CHANGE_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if name == "names":
            old_names, new_names = [n.text for n in old], [n.text for n in new]
            gained = [n for n in new_names if n not in old_names]
            lost = [n for n in old_names if n not in new_names]
            if not gained and not lost and [(n.text, n.kind) for n in old] == [(n.text, n.kind) for n in new]:
                continue
            fields.append(name)
            words = [f"+{n}" for n in gained] + [f"-{n}" for n in lost]
            parts.append(f"names: {', '.join(words) if words else 'the same names, other kinds or order'}")
            continue
        if old == new:
            continue
        fields.append(name)
        shown = f"{_shown(old)} -> {_shown(new)}"
        parts.append(f"{name.replace('_', ' ')}: " + (shown if len(shown) <= _MAX_DETAIL else
                                                     shown[:_MAX_DETAIL - 1] + "…"))
    return EntityChange("changed", after.entity_id, after.primary_name, after.type.value,
                        before.primary_name if before.primary_name != after.primary_name else "", tuple(fields),
                        "; ".join(parts))


@dataclass(frozen=True)
class ListChange:
    """What storing a list version did, against the version it replaced."""

    list_name: str
    version: str
    previous_version: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    stored: bool  # False when the same content was already loaded
    forced: tuple[str, ...] = ()  # the checks --force overrode
    digest: str = ""  # the stored version's content hash (SHA-256 of its JSON, 16 hex digits)
    #: Each entity added, removed or changed, with its name and what changed (empty for a list loaded afresh:
    #: every entity of a new list is "added")
    entities: tuple[EntityChange, ...] = ()
    #: The replaced version's content hash when it carried the same version label as this other content
    relabelled_from: str = ""

    def warnings(self) -> list[str]:
        """What the load did that a reader of the version label alone would miss: one label, two contents."""
        if not (self.stored and self.relabelled_from):
            return []
        return [f"{self.list_name}: the version label {self.version!r} now names other content ({self.digest}) than "
                f"the content it replaced ({self.relabelled_from}): matches found before and after cite the same "
                "label, so cite the content hash (lists list, list_digest, meta.list_digests), and give the "
                "download's own version (--version) to keep the two apart"]

    def summary(self) -> str:
        if not self.stored:
            return "already loaded (unchanged)"
        against = (f"against {self.previous_version or '(unversioned)'}" if self.previous_version is not None
                   else "new list")
        text = (f"loaded ({against}): {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} "
                f"changed, {self.unchanged} unchanged")
        return text + "".join(f"; forced past: {reason}" for reason in self.forced)


def _version_date(version: str) -> date | None:
    """The date a version string names (YYYYMMDD, YYYY-MM-DD or a year), if any."""
    text = version.strip()
    try:
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d").date()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1)
    except ValueError:
        return None
    return None


def _comparable(entity: ListedEntity) -> ListedEntity:
    return entity.model_copy(update={"list_version": ""})


def compare(previous: ScreeningList | None, new: ScreeningList) -> ListChange:
    """Entity ids the new version adds, removes and changes (same id, different content) against ``previous``."""
    before = {e.entity_id: _comparable(e) for e in previous.entities} if previous else {}
    after = {e.entity_id: _comparable(e) for e in new.entities}
    added = tuple(i for i in after if i not in before)
    removed = tuple(i for i in before if i not in after)
    changed = tuple(i for i in after if i in before and before[i] != after[i])
    entities: tuple[EntityChange, ...] = ()
    if previous is not None:
        entities = (*(EntityChange("added", i, after[i].primary_name, after[i].type.value) for i in added),
                    *(EntityChange("removed", i, before[i].primary_name, before[i].type.value) for i in removed),
                    *(entity_change(before[i], after[i]) for i in changed))
    return ListChange(new.list_name, new.version, previous.version if previous else None, added, removed, changed,
                      unchanged=len(after) - len(added) - len(changed), stored=True, entities=entities)


def names_lost(previous: ScreeningList, new: ScreeningList) -> tuple[int, int, int]:
    """Names of ``previous`` that ``new`` no longer gives the entities it keeps (those it removes are counted by
    the removal check), how many of them are aliases, and how many names ``previous`` holds."""
    kept = {e.entity_id: {n.text for n in e.names} for e in new.entities}
    lost = aliases = total = 0
    for entity in previous.entities:
        total += len(entity.names)
        names = kept.get(entity.entity_id)
        if names is None:
            continue
        for name in entity.names:
            if name.text not in names:
                lost += 1
                aliases += name.kind is NameKind.ALIAS
    return lost, aliases, total


def check_update(change: ListChange, previous: ScreeningList | None, new: ScreeningList,
                 today: date | None = None) -> list[str]:
    """Why ``new`` should not replace ``previous`` without ``--force`` (empty when it may)."""
    reasons = []
    if not new.entities:
        reasons.append(f"{new.source} holds no entities")
    if previous is not None and previous.entities:
        share = len(change.removed) / len(previous.entities)
        if share > MAX_REMOVED_SHARE:
            reasons.append(f"{new.source} lacks {len(change.removed):,} of the {len(previous.entities):,} entities "
                           f"of version {previous.version or '(unversioned)'} ({share:.0%}, more than the "
                           f"{MAX_REMOVED_SHARE:.0%} a real update removes): is it cut short or another file?")
    if previous is not None and previous.entities:
        lost, aliases, total = names_lost(previous, new)
        if total and lost / total > MAX_LOST_NAMES_SHARE:
            no_alt = any(p.message.startswith(NO_ALT_FILE) for p in new.problems)
            why = (f"{NO_ALT_FILE}, so none of OFAC's aliases is read (put OFAC's alt.csv beside the SDN file)"
                   if no_alt else "is it cut short or another file?")
            reasons.append(f"{new.source} drops {lost:,} of the {total:,} names of version "
                           f"{previous.version or '(unversioned)'} from entities it keeps ({lost / total:.0%}, "
                           f"{aliases:,} of them aliases; more than the {MAX_LOST_NAMES_SHARE:.0%} a real update "
                           f"changes): {why}")
    dated = _version_date(new.version)
    today = today or datetime.now(UTC).date()
    if dated is not None and dated > today + timedelta(days=1):
        reasons.append(f"{new.source} is dated {new.version}, after today ({today.isoformat()})")
    return reasons


def stored_list(ws: Workspace, list_name: str) -> ScreeningList | None:
    """The stored version of one list, if any."""
    items = _items(ws)
    found = items.latest(list_name)
    return read_stored(items.payload(found)) if found is not None else None


def store_list(ws: Workspace, screening_list: ScreeningList, *, force: bool = False,
               today: date | None = None) -> ListChange:
    """Make ``screening_list`` the list of its name, replacing the previous version in one transaction (a screen
    never sees half a list). Raises :class:`ListRefused` when :func:`check_update` objects, unless ``force``."""
    if not screening_list.version.strip():
        raise DataError("no version: the file holds no date and its name none (such as ofac_sdn_20240503.csv), so "
                        "matches could not cite the version they were found in; give the version of the download",
                        file=screening_list.source, option="version")
    items = _items(ws)
    payload = screening_list.model_dump_json().encode()
    digest = sha256_16(payload)
    stored = items.latest(screening_list.list_name)
    previous = read_stored(items.payload(stored)) if stored is not None else None
    change = compare(previous, screening_list)
    if stored is not None and stored.content_hash == digest:
        return ListChange(change.list_name, change.version, change.previous_version, (), (), (),
                          len(screening_list.entities), stored=False, digest=digest)
    reasons = check_update(change, previous, screening_list, today)
    if reasons and not force:
        raise ListRefused(f"not loaded: {'; '.join(reasons)} (the loaded version stays; forcing the load loads it "
                          "anyway)")
    with ws.transaction():
        items.delete(screening_list.list_name)  # one current version per list
        items.put(screening_list.list_name, payload, source=screening_list.source, meta={
            "list_version": screening_list.version, "n_entities": len(screening_list.entities),
            "n_names": sum(len(e.names) for e in screening_list.entities),
            "n_problems": len(screening_list.problems), "encoding": screening_list.encoding,
            "n_duplicates": screening_list.duplicates})
    same_label = stored is not None and previous is not None and previous.version == screening_list.version
    return ListChange(change.list_name, change.version, change.previous_version, change.added, change.removed,
                      change.changed, change.unchanged, stored=True, forced=tuple(reasons), entities=change.entities,
                      digest=digest, relabelled_from=stored.content_hash if same_label and stored else "")


def stored_payloads(ws: Workspace) -> list[tuple[str, bytes]]:
    items = _items(ws)
    return [(v.key, items.payload(v)) for v in items.latest_each()]


def parse_payloads(where: Path, rows: list[tuple[str, bytes]], names: list[str] | None) -> list[ScreeningList]:
    if not rows:
        raise WorkspaceError(f"no restricted-party lists in {where}", what="restricted-party lists")
    known = [n for n, _ in rows]
    for wanted in names or []:
        if wanted not in known:
            close = difflib.get_close_matches(wanted, known, n=2, cutoff=0.3)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise NotFoundError(f"no list {wanted!r} in {where} ({hint}loaded: {', '.join(known)})",
                                suggestions=close, what="restricted-party list", value=wanted)
    return [read_stored(p) for n, p in rows if not names or n in names]


def load_lists(ws: Workspace, names: list[str] | None = None) -> list[ScreeningList]:
    """The stored lists (all, or those named; an unknown name is an error naming the loaded ones)."""
    return parse_payloads(ws.path, stored_payloads(ws), names)


def _db_path(workspace: Path | None) -> Path:
    from pinchpoint.workspace.store import DB_FILE, default_workspace_path

    path = Path(workspace).expanduser() if workspace is not None else default_workspace_path()
    return path if path.suffix == ".duckdb" else path / DB_FILE


def read_reviews(workspace: Path | None = None, on_wait: Callable[[str], None] | None = None
                 ) -> dict[str, Review]:
    """The latest review decisions (:mod:`pinchpoint.screening.reviews`), read the way :func:`read_lists` reads."""
    db = _db_path(workspace)
    if not db.exists():
        return {}
    with Workspace.open_reader(db, on_wait=on_wait) as ws:
        return latest_reviews(ws)


def read_lists(workspace: Path | None = None, names: list[str] | None = None,
               on_wait: Callable[[str], None] | None = None) -> list[ScreeningList]:
    """:func:`load_lists` for readers: opens the workspace read-only just long enough to fetch the stored text,
    so a writer (``lists load``) waits milliseconds, not the seconds parsing and indexing take."""
    db = _db_path(workspace)
    if not db.exists():
        raise WorkspaceError(f"no restricted-party lists in {db}: no workspace there yet",
                             what="restricted-party lists")  # each interface adds how to load them
    with Workspace.open_reader(db, on_wait=on_wait) as ws:
        rows = stored_payloads(ws)
    return parse_payloads(db, rows, names)


_LIST_COLUMNS = ["list_name", "version", "n_entities", "n_names", "n_problems", "n_duplicates", "encoding",
                 "content_hash", "loaded_at", "source"]


CHANGE_COLUMNS = ("list_name", "version", "previous_version", "change", "entity_id", "name", "type",
                  "previous_name", "fields", "detail")


def change_table(changes: Sequence[ListChange]) -> ResultTable:
    """Every entity the stored list versions added, removed or changed against the versions they replaced, one row
    each (list, versions, change, id, name, type, the fields that changed and how). A list loaded afresh, or a
    version already loaded, adds no rows; the caveats say which."""
    rows = [{"list_name": c.list_name, "version": c.version, "previous_version": c.previous_version,
             "change": e.change, "entity_id": e.entity_id, "name": e.name, "type": e.type,
             "previous_name": e.previous_name, "fields": ", ".join(e.fields), "detail": e.detail}
            for c in changes if c.stored for e in c.entities]
    caveats = [f"{c.list_name} {c.version}: loaded afresh (no earlier version), so its {len(c.added):,} entities "
               "are not listed as added" for c in changes if c.stored and c.previous_version is None]
    caveats += [f"{c.list_name} {c.version}: already loaded, nothing changed" for c in changes if not c.stored]
    caveats += [w for c in changes for w in c.warnings()]
    if not rows and not caveats:
        caveats.append("no list version was stored")
    table = ResultTable.from_records("screening_list_changes", rows, CHANGE_COLUMNS, meta={
        "lists": {c.list_name: {"version": c.version, "content_hash": c.digest,
                                "previous_version": c.previous_version, "added": len(c.added),
                                "removed": len(c.removed), "changed": len(c.changed), "unchanged": c.unchanged}
                  for c in changes}})
    return table.with_caveats(*caveats) if caveats else table


def with_list_digests(table: ResultTable, lists: Sequence[ScreeningList]) -> ResultTable:
    """``table``'s match rows with the content hash of the list version each was found in (``list_digest``, the
    ``content_hash`` ``lists list`` shows), added as the last column and in ``meta.list_digests``: a version label can
    be reused or wrong (a renamed file), the digest names the content, so a match can be cited and checked later."""
    digests = {lst.list_name: lst.digest for lst in lists}
    columns = (*table.columns, "list_digest") if "list_digest" not in table.columns else tuple(table.columns)
    rows = tuple({**row, "list_digest": digests.get(str(row.get("list")), "")} for row in table.rows)
    return ResultTable(table.name, columns, rows, {**table.meta, "list_digests": digests})


def list_table(ws: Workspace) -> ResultTable:
    """The loaded lists: name, version, counts, how the file was decoded, content hash, when and from where."""
    rows = [{"list_name": v.key, "version": v.meta.get("list_version"), "n_entities": v.meta.get("n_entities"),
             "n_names": v.meta.get("n_names"), "n_problems": v.meta.get("n_problems"),
             "n_duplicates": v.meta.get("n_duplicates"), "encoding": v.meta.get("encoding"),
             "content_hash": v.content_hash, "loaded_at": v.created_at.isoformat(timespec="seconds"),
             "source": v.source} for v in _items(ws).list()]
    table = ResultTable.from_records("screening_lists", rows, _LIST_COLUMNS, meta={"workspace": str(ws.path)})
    if not table.rows:
        table = ResultTable(table.name, table.columns, table.rows, {**table.meta, "missing": "restricted-party lists"}
                            ).with_caveats(f"No restricted-party lists are loaded in {ws.path}.")
    return table
