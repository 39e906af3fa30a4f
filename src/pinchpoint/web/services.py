"""What the pages ask the library, with the workbench's access rules applied first. Until every domain has its
Session group this module is the glue; it holds no analysis of its own (each function calls the library and
returns its ResultTables or objects)."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinchpoint.accounts.model import Actor, Resource
from pinchpoint.accounts.policy import can_read
from pinchpoint.accounts.store import AccountStore
from pinchpoint.errors import DataError, PinchpointError
from pinchpoint.progress import ProgressCallback
from pinchpoint.results import ResultTable

BUILTIN = "builtin"
MAX_ZIP_MEMBERS = 2_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


@dataclass
class WebContext:
    """What the web process holds: the account store, the workspace folder, caches of loaded chains."""

    store: AccountStore
    workspace: Path
    jobs_dir: Path
    _chains: dict[str, tuple[str, Any]] = field(default_factory=dict)
    _tables: dict[tuple[str, str], tuple[str, ResultTable]] = field(default_factory=dict)
    _maps: dict[str, tuple[str, str]] = field(default_factory=dict)
    _listing: tuple[tuple[tuple[str, int, int], ...], list[dict[str, Any]]] | None = None
    _held: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # what -> (stamp, value)
    _stamps: dict[str, tuple[tuple[tuple[str, int, int], ...], Any]] = field(default_factory=dict)
    _build_lock: threading.Lock = field(default_factory=threading.Lock)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # datasets -----------------------------------------------------------------------------------
    def workspace_state(self) -> tuple[tuple[str, int, int], ...]:
        """``stat`` of the DuckDB file and its WAL: changes whenever anything is written (microseconds, where
        opening the file costs ~20 ms)."""
        out = []
        for f in (self.workspace / "workspace.duckdb", self.workspace / "workspace.duckdb.wal"):
            try:
                st = f.stat()
            except OSError:
                continue
            out.append((f.name, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def workspace_datasets(self) -> list[dict[str, Any]]:
        """The workspace's datasets (name, version, ...), re-read only when the workspace files changed."""
        from pinchpoint.workspace import Workspace

        state = self.workspace_state()
        if not state:
            return []
        listing = self._listing
        if listing is not None and listing[0] == state:
            return listing[1]
        with Workspace.open_reader(self.workspace) as ws:
            records = ws.list_datasets().records()
        self._listing = (state, records)
        return records

    def _stamp(self, what: str, read: Any) -> Any:
        """What the workspace holds for ``what`` (content hashes), re-read only when its files changed."""
        state = self.workspace_state()
        known = self._stamps.get(what)
        if known is not None and known[0] == state:
            return known[1]
        value = read()
        self._stamps[what] = (state, value)
        return value

    def _held_value(self, what: str, stamp: Any, build: Any) -> Any:
        held = self._held.get(what)
        if held is not None and held[0] == stamp:
            return held[1]
        with self._build_lock:  # one build at a time; the others wait for it rather than build it again
            held = self._held.get(what)
            if held is not None and held[0] == stamp:
                return held[1]
            value = build()
            self._held[what] = (stamp, value)
            return value

    def screening_lists(self) -> list[dict[str, Any]]:
        """The stored restricted-party lists (name, version, counts, content hash)."""
        from pinchpoint.screening.store import list_table
        from pinchpoint.workspace import Workspace

        def read() -> list[dict[str, Any]]:
            if not self.workspace_state():
                return []
            with Workspace.open_reader(self.workspace) as ws:
                return list_table(ws).records()

        return list(self._stamp("screening", read))

    def screener(self, actor: Actor) -> tuple[Any, dict[str, str]]:
        """The screener over the stored lists (built once per set of list versions) and those versions."""
        from pinchpoint.screening.matcher import Screener
        from pinchpoint.screening.store import read_lists

        self.store.check(actor, "run", "list", "*")
        records = self.screening_lists()
        if not records:
            raise PinchpointError("no restricted-party lists are loaded on this server yet (an operator loads them "
                                  "with the lists command)")
        stamp = tuple(str(r["content_hash"]) for r in records)

        def build() -> Any:
            screener = Screener(read_lists(self.workspace))
            screener.skeleton_index()  # built with the lists, not on a user's first Arabic query
            return screener

        return self._held_value("screener", stamp, build), list_versions(records)

    def control_lists(self, actor: Actor) -> list[Any]:
        """The latest control list of each jurisdiction, read once per set of stored versions."""
        from pinchpoint.controls.store import list_versions as control_versions
        from pinchpoint.controls.store import load_lists
        from pinchpoint.workspace import Workspace

        self.store.check(actor, "read", "list", "controls")

        def read() -> tuple[str, ...]:
            if not self.workspace_state():
                return ()
            with Workspace(self.workspace) as ws:
                return tuple(f"{r['jurisdiction']}{r['version']}{r['content_hash']}"
                             for r in control_versions(ws).rows)

        stamp = self._stamp("controls", read)
        if not stamp:
            raise PinchpointError("no export-control lists are loaded on this server yet (an operator loads them "
                                  "with the controls load command)")

        def build() -> list[Any]:
            with Workspace(self.workspace) as ws:
                return load_lists(ws)

        return list(self._held_value("controls", stamp, build))

    def world_map(self, actor: Actor, dataset: str) -> str:
        """The overview's choropleth of the end product's dependence on each country, drawn once per version."""
        from pinchpoint.kernel.countries import country_name
        from pinchpoint.reports.svg import choropleth

        version, _ = self.versioned_chain(actor, dataset)
        with self._lock:
            cached = self._maps.get(dataset)
            if cached is not None and cached[0] == version:
                return cached[1]
        exposure = self.analysis(actor, dataset, "exposure")
        dependence = {r["country"]: 100.0 * r["dependence"] for r in exposure.rows}
        svg = choropleth(dependence, title="Dependence by country", legend="Dependence (% of output lost)",
                         names={c: country_name(c) for c in dependence}, vmax=100.0, unit="%")
        with self._lock:
            self._maps[dataset] = (version, svg)
        return svg

    def warm(self) -> None:
        """Load and analyse the common datasets ahead of the first visitor (run in a thread at start-up)."""
        system = Actor.system()
        for name, resource in self.datasets(system):
            if resource.owner_org:
                continue
            try:
                self.world_map(system, name)
                self.analysis(system, name, "chokepoints")
            except PinchpointError:
                continue

    def datasets(self, actor: Actor) -> list[tuple[str, Resource]]:
        """(name, resource) of every dataset the actor may read, the built-in one first."""
        out = [(BUILTIN, Resource.unregistered("dataset", BUILTIN))]
        seen = set()
        for record in self.workspace_datasets():
            name = str(record["name"])
            if name in seen:
                continue
            seen.add(name)
            resource = self.store.resource_or_common("dataset", name)
            if can_read(actor, resource):
                out.append((name, resource))
        return out

    def chain(self, actor: Actor, name: str) -> Any:
        """The dataset ``name`` after the read check; loaded once per stored version."""
        return self.versioned_chain(actor, name)[1]

    def versioned_chain(self, actor: Actor, name: str) -> tuple[str, Any]:
        """(stored version, chain) of the dataset ``name`` after the read check."""
        from pinchpoint.supplychain.load import load_chain
        from pinchpoint.workspace import Workspace

        self.store.check(actor, "read", "dataset", name)
        if name == BUILTIN:
            version = BUILTIN
        else:
            known = {str(r["name"]): str(r["version"]) for r in self.workspace_datasets()}
            if name not in known:
                from pinchpoint.supplychain.suggest import did_you_mean

                raise PinchpointError(f"no dataset {name!r}: " + did_you_mean(name, dict.fromkeys(known, ""),
                                                                               "datasets"))
            version = known[name]
        with self._lock:
            cached = self._chains.get(name)
            if cached is not None and cached[0] == version:
                return cached
        if name == BUILTIN:
            chain = load_chain(None)
        else:
            with Workspace.open_reader(self.workspace) as ws:
                chain = ws.load(name)
        with self._lock:
            self._chains[name] = (version, chain)
        return version, chain

    def analysis(self, actor: Actor, dataset: str, which: str) -> ResultTable:
        from pinchpoint.analysis import chokepoints, concentration, exposure

        version, chain = self.versioned_chain(actor, dataset)
        with self._lock:
            cached = self._tables.get((dataset, which))
            if cached is not None and cached[0] == version:  # same stored version: same answer
                return cached[1]
        if which == "concentration":
            table = concentration(chain)
        elif which == "chokepoints":
            table = chokepoints(chain)
        elif which == "exposure":
            table = exposure(chain)
        else:
            raise PinchpointError(f"unknown analysis {which!r} (concentration, chokepoints or exposure)")
        table = table.with_command(f"pinchpoint {which} --dataset {dataset}")
        with self._lock:
            self._tables[(dataset, which)] = (version, table)
        return table

    def upload_dataset(self, actor: Actor, name: str, filename: str, data: bytes) -> dict[str, Any]:
        """Validate and import an uploaded dataset (native YAML, or a zip of a CSV/ETO folder) into the workspace,
        owned by the actor's organisation. A file that does not load raises DataError naming file, row and field,
        and stores nothing."""
        import tempfile

        from pinchpoint.supplychain.load import import_dataset
        from pinchpoint.workspace import Workspace

        self.store.check(actor, "upload")
        if not DATASET_NAME.match(name):
            raise PinchpointError("a dataset name is 1-48 lower-case letters, digits, '-' or '_'")
        if name == BUILTIN:
            raise PinchpointError("'builtin' is the built-in dataset's name")
        existing = self.store.resource("dataset", name)
        if existing is not None and existing.owner_org != actor.org:
            raise PinchpointError(f"the dataset name {name!r} is taken")
        if existing is None and name in {str(r["name"]) for r in self.workspace_datasets()}:
            raise PinchpointError(f"the dataset name {name!r} is taken by common data")
        suffix = Path(filename).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="pinchpoint-upload-") as tmp:
            root = Path(tmp)
            safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[:100] or "upload"
            if suffix in (".yaml", ".yml"):
                source = root / safe_name
                source.write_bytes(data)
            elif suffix == ".zip":
                source = unzip_safely(data, root / "dataset", filename)
            else:
                raise DataError("upload a native YAML file (.yaml) or a .zip of a CSV or ETO folder",
                                file=filename)
            try:
                with Workspace(self.workspace) as ws:
                    record = import_dataset(ws, source, name=name)
            except DataError as exc:
                raise DataError(exc.problem, file=_display(exc.location.file, root, filename),
                                row=exc.location.row, field=exc.location.field) from None
        self.store.register(actor, "dataset", name)
        self.store.audit(actor, "upload", f"dataset:{name}", {"file": filename[:200], "bytes": len(data),
                                                              "version": record.version})
        return {"name": name, "version": record.version, "inputs": record.n_inputs}


def _display(file: str | None, root: Path, upload_name: str) -> str:
    """A problem's file as the user knows it: the upload's name and the path inside it, never our temp folder."""
    if not file:
        return upload_name
    try:
        inner = Path(file).resolve().relative_to(root.resolve())
    except ValueError:
        return Path(file).name
    parts = inner.parts[1:] if inner.parts and inner.parts[0] == "dataset" else inner.parts
    return f"{upload_name}: {'/'.join(parts)}" if parts else upload_name


def unzip_safely(data: bytes, dest: Path, label: str) -> Path:
    """Extract a zip with caps (members, total size) and no path outside ``dest``; return the dataset folder (the
    single top folder if the zip has one)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DataError("not a readable zip file", file=label) from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise DataError(f"more than {MAX_ZIP_MEMBERS:,} files in the zip", file=label)
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise DataError(f"unzips to more than {MAX_UNZIPPED_BYTES // 2**20} MB", file=label)
    dest.mkdir(parents=True)
    for m in members:
        target = (dest / m.filename).resolve()
        if not target.is_relative_to(dest.resolve()) or m.filename.startswith("/"):
            raise DataError("a file in the zip points outside it", file=label, field=m.filename[:200])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(m))
    tops = {Path(m.filename).parts[0] for m in members if Path(m.filename).parts}
    if len(tops) == 1 and (dest / next(iter(tops))).is_dir():
        return dest / next(iter(tops))
    return dest


# screening ------------------------------------------------------------------------------------------
REVIEW_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (org TEXT NOT NULL, query_key TEXT NOT NULL, list_name TEXT NOT NULL,
    entity_id TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL, PRIMARY KEY (org, query_key, list_name, entity_id));
"""
DECISIONS = ("true_match", "false_positive")


def query_key(query: str) -> str:
    """The form under which a decision is remembered: case, spacing and punctuation do not make a new name."""
    from pinchpoint.screening.normalize import fold

    return " ".join(fold(query).split())[:500]


class Reviews:
    """Alert decisions (true match / false positive, with a reason), owned by an organisation and remembered by
    later screenings of the same name against the same listed entity."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store
        store.script(REVIEW_SCHEMA)

    def decide(self, actor: Actor, query: str, list_name: str, entity_id: str, decision: str, reason: str) -> None:
        if decision not in DECISIONS:
            raise PinchpointError(f"decision must be one of {', '.join(DECISIONS)}")
        reason = reason.strip()
        if not reason:
            raise PinchpointError("a decision needs a reason")
        self.store.check(actor, "review")
        from pinchpoint.accounts.store import now

        with self.store._tx() as db:
            db.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org, query_key, list_name, "
                       "entity_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason, "
                       "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
                       [actor.org, query_key(query), list_name[:200], entity_id[:200], decision, reason[:1000],
                        actor.username, now()])
            self.store._append(db, actor, "review", f"alert:{list_name}:{entity_id}",
                               {"query": query[:500], "decision": decision, "reason": reason[:1000]})

    def for_query(self, actor: Actor, query: str) -> dict[tuple[str, str], dict[str, Any]]:
        rows = self.store._read("SELECT * FROM reviews WHERE org = ? AND query_key = ?", [actor.org,
                                                                                          query_key(query)])
        return {(r["list_name"], r["entity_id"]): dict(r) for r in rows}

    def annotate(self, actor: Actor, query: str, matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Matches with the organisation's earlier decision on each (``review``), false positives last."""
        known = self.for_query(actor, query)
        out = [{**m, "review": known.get((str(m["list"]), str(m["entity_id"])))} for m in matches]
        return sorted(out, key=lambda m: bool(m["review"] and m["review"]["decision"] == "false_positive"))


def list_versions(records: list[dict[str, Any]]) -> dict[str, str]:
    return {str(r["list_name"]): str(r["version"]) for r in records}


def read_names(data: bytes, filename: str, name_column: str, max_rows: int) -> list[tuple[int, str, str]]:
    """(row number, name, problem or "") of an uploaded CSV, through the batch reader (errors name file, row,
    field)."""
    from pinchpoint.screening.batch import read_rows

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", file=filename) from None
    try:
        rows = read_rows(text, Path(filename), name_column)
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", file=filename) from None
    if not rows:
        raise DataError("no rows to screen below the header", file=filename, row=2)
    if len(rows) > max_rows:
        raise DataError(f"{len(rows):,} rows: a batch from the page takes at most {max_rows:,} (use the CLI for "
                        "more)", file=filename)
    return [(r.line, r.name, r.problem or "") for r in rows]


def screen_batch(screener: Any, reviews: Reviews, actor: Actor, rows: list[tuple[int, str, str]], threshold: float,
                 out_dir: Path, progress: ProgressCallback) -> dict[str, Any]:
    """Screen every row (all matches above the threshold, not only the best), remember-aware; write the results
    as CSV and JSON in ``out_dir``; return a summary with the alerts for review."""
    from pinchpoint.results.table import write_table

    records: list[dict[str, Any]] = []
    started = time.monotonic()
    for k, (line, name, problem) in enumerate(rows):
        matches = [] if problem else reviews.annotate(actor, name, screener.screen(name, threshold=threshold))
        note = problem or screener.unscreenable(name) or ""
        if not matches:
            status = "unreadable" if problem else "unscreenable" if note else "no match"
            records.append({"row": line, "query": name, "matched_name": "", "entity_id": "", "list": "",
                            "list_version": "", "score": None, "status": status,
                            "note": note, "decision": "", "reason": ""})
        for m in matches:
            review = m["review"] or {}
            records.append({"row": line, "query": name, "matched_name": m["matched_name"],
                            "entity_id": m["entity_id"], "list": m["list"], "list_version": m["list_version"],
                            "score": m["score"], "status": "alert" if not review else review["decision"],
                            "note": note, "decision": review.get("decision", ""), "reason": review.get("reason", "")})
        progress(k + 1, len(rows), "screening")
    table = ResultTable.from_records(
        "screening_batch", records,
        columns=["row", "query", "matched_name", "entity_id", "list", "list_version", "score", "status", "note",
                 "decision", "reason"],
        meta={"analysis": "screening batch", "threshold": threshold, "rows": len(rows),
              "seconds": round(time.monotonic() - started, 2)})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(table, out_dir / "results.csv")
    write_table(table, out_dir / "results.json")
    alerts = [r for r in records if r["status"] == "alert"]
    return {"rows": len(rows), "alerts": len(alerts),
            "remembered": sum(1 for r in records if r["status"] == "false_positive"),
            "true_matches": sum(1 for r in records if r["status"] == "true_match"),
            "files": ["results.csv", "results.json"]}
