"""Supply-chain use cases: datasets in the workspace, importing and checking them, concentration, chokepoints and
exposure. Chains are loaded once per dataset version and held by the session."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import BadArgumentError, DataError, NotFoundError
from pinchpoint.results import ResultTable
from pinchpoint.session import Group

if TYPE_CHECKING:
    from pinchpoint.analysis.exposure import CompiledChain
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.supplychain.model import Level, SupplyChain
    from pinchpoint.workspace.store import DatasetRecord

LEVEL_ALIASES = {"organization": "organisation", "org": "organisation", "firm": "organisation"}

#: Display columns per result (the CLI's terminal tables show these; files and JSON hold every column).
CONCENTRATION_COLUMNS = ["input_id", "input_name", "year", "hhi", "cr1", "cr3", "top_provider", "top_share",
                         "n_providers", "share_chip4", "share_concern"]
CHOKEPOINT_COLUMNS = ["input_id", "input_name", "kind", "top_provider", "top_share", "hhi", "feeds"]
EXPOSURE_COLUMNS = ["country", "dependence", "n_impaired_inputs", "critical_inputs"]
EXPOSURE_ORG_COLUMNS = ["organisation_name", "country", "dependence", "n_impaired_inputs", "critical_inputs"]
IMPORT_EXPOSURE_COLUMNS = ["input_name", "own_share", "supplier", "dependence", "lost_share_of_world",
                           "critical_inputs"]
ANALYSES = ("concentration", "chokepoints", "exposure")
DATASET_COLUMNS = ["name", "version", "format", "imported_at", "n_inputs", "n_provisions", "source_path"]
STORED_DATASET_COLUMNS = ["name", "version", "format", "title", "imported_at", "n_inputs", "n_providers",
                          "n_provisions", "n_relations", "source_path"]
#: Public datasets :meth:`SupplyChainGroup.fetch` downloads (with the publisher's licence).
FETCHABLE = ("eto",)


def exposure_view(table: ResultTable, target: str | None = None) -> tuple[list[str], str]:
    """The columns a terminal shows of :meth:`SupplyChainGroup.exposure`'s table, and its title: a country's import
    side, or a target's exposure by country or by organisation."""
    if table.name == "import_exposure":
        return IMPORT_EXPOSURE_COLUMNS, (f"Import-side exposure of {table.meta['country']}: inputs it supplies, "
                                         "by foreign supplier")
    name = table.rows[0]["target_name"] if table.rows else target
    if table.meta.get("level") == "organisation":
        return EXPOSURE_ORG_COLUMNS, f"Exposure of {name} by organisation"
    return EXPOSURE_COLUMNS, f"Exposure of {name} by country"


def parse_level(value: str | Level) -> Level:
    """``country`` or ``organisation`` (also ``organization``, ``org``, ``firm``)."""
    from pinchpoint.supplychain.model import Level

    if isinstance(value, Level):
        return value
    try:
        return Level(LEVEL_ALIASES.get(value.lower(), value.lower()))
    except ValueError:
        raise BadArgumentError(f"level must be 'country' or 'organisation', not {value!r}", parameter="level"
                               ) from None


@dataclass(frozen=True)
class LoadedChain:
    """A chain as the session holds it: the model, what it was loaded from, and its version (a content hash)."""

    chain: SupplyChain
    ref: str
    version: str
    pinned: str = ""  # a workspace dataset's ``name@version``: the reference that gives this version again
    resource: str = ""  # what access was checked on: ``dataset:<name>`` (never the reference as typed)
    path: str = ""  # a file or folder dataset: its absolute path (``version`` is the digest of its files)

    def provenance(self, table: ResultTable) -> ResultTable:
        """``table`` with the dataset reference and version in its meta (kept if the analysis set them), and for a
        workspace dataset the reference pinned to this version (``dataset_pinned``), which the command to reproduce
        the result names (:meth:`ResultTable.with_command`); for a file or folder its absolute path
        (``dataset_path``), which the command to reproduce names too, so it reads the same files from any folder."""
        pin = {"dataset_pinned": self.pinned} if self.pinned and self.pinned != self.ref else {}
        where = {"dataset_path": self.path} if self.path else {}
        meta = {"dataset_ref": self.ref, "dataset_version": self.version, **where, **pin, **dict(table.meta)}
        return ResultTable(table.name, table.columns, table.rows, meta)


class SupplyChainGroup(Group):
    name = "supplychain"

    # Loading -----------------------------------------------------------------------------------------------
    def open(self, ref: str | Path = "builtin", *, source: str | None = None) -> LoadedChain:
        """The dataset ``ref`` names ('builtin', a path, or a workspace dataset ``name[@version]``), loaded once per
        version and held by the session; a path is read with ``source`` if named, else the source detected."""
        return self.open_trusted(ref, self.session.local_files, source=source)

    def open_trusted(self, ref: str | Path, allow_path: bool, *, source: str | None = None) -> LoadedChain:
        """:meth:`open`, reading a path only if ``allow_path`` (a packaged scenario's own dataset file is read
        even by a session that reads no caller-named files)."""
        from pinchpoint.supplychain.load import BUILTIN_NAMES, builtin_path, load_chain, load_path
        from pinchpoint.workspace.store import content_hash

        session = self.session
        text = str(ref)
        if text in BUILTIN_NAMES:
            session.authorize("supplychain.read", f"dataset:{text}")
            path = builtin_path()
            stamp: Hashable = content_hash(path)
            return session.cache.get(("chain", "builtin"), stamp, lambda: LoadedChain(
                load_chain(None), "builtin", str(stamp), resource=f"dataset:{text}"))
        path = Path(text).expanduser()
        if not allow_path:
            # judged by the name, never by whether such a path exists (a server must not tell which paths exist,
            # nor let a file in its folder shadow a workspace dataset of the same name)
            if isinstance(ref, Path) or any(c in text for c in "/\\") or text.startswith((".", "~")):
                raise BadArgumentError(f"dataset {text!r}: only 'builtin' and datasets in the workspace can be "
                                       "named here", parameter="dataset")
        elif path.exists():
            session.authorize("supplychain.read", f"dataset:{text}")
            resolved = path.resolve()
            self._refuse_shadowed(text, resolved)
            version = content_hash(resolved)
            absolute = str(resolved)
            return session.cache.get(("chain", "path", absolute, source or ""), version, lambda: LoadedChain(
                load_path(resolved, source=source), text, version, absolute if absolute != text else "",
                resource=f"dataset:{text}", path=absolute))
        if source is not None:
            raise BadArgumentError(f"source {source!r} reads files; {text!r} is not a file or folder",
                                   parameter="source")
        name, _, prefix = text.partition("@")
        # access is decided on the dataset the reference names (evil, evil@, evil@2 are all 'evil'), before its
        # versions are looked at, so no form of reference reaches a dataset its name may not
        resource = f"dataset:{name}"
        session.authorize("supplychain.read", resource)
        datasets = session.stamp("datasets", self._dataset_versions)
        assert isinstance(datasets, tuple)
        matches = [v for n, v in datasets if n == name and v.startswith(prefix)]
        if not matches:
            from pinchpoint.supplychain.suggest import closest, did_you_mean

            if not session.workspace_exists():
                raise NotFoundError(f"{text!r} is neither a file or folder nor a dataset in the workspace "
                                    f"(no workspace at {session.db_path()})", what="datasets", value=text)
            # suggest only what the actor may read: another organisation's private names are not told
            held = {n: "" for n in {n for n, _ in datasets}
                    if session.permits("supplychain.read", f"dataset:{n}")}
            if name in held:
                versions = [v for n, v in datasets if n == name]
                raise NotFoundError(f"no version {prefix!r} of dataset {name!r}: versions "
                                    f"{', '.join(versions)}", suggestions=versions, what="dataset version",
                                    value=text)
            raise NotFoundError(f"no dataset {text!r} in the workspace (and not 'builtin' nor a file or folder): "
                                + did_you_mean(name, held, "datasets"), suggestions=closest(name, held),
                                what="dataset", value=text)
        if prefix and len(matches) > 1:
            raise BadArgumentError(f"version prefix {prefix!r} of {name!r} is ambiguous: {', '.join(matches)}",
                                   parameter="dataset")
        version = matches[0]  # latest first

        def build() -> LoadedChain:
            with session.open_reader() as ws:
                return LoadedChain(load_chain(f"{name}@{version}", workspace=ws), text, version, f"{name}@{version}",
                                   resource)

        return session.cache.get(("chain", "workspace", name, prefix), (version, len(matches)), build)

    def _refuse_shadowed(self, text: str, resolved: Path) -> None:
        """A bare name that is both a file or folder here and a workspace dataset is refused: which one it means
        would depend on the working directory, and the same command would give other figures elsewhere."""
        if any(c in text for c in "/\\@") or text.startswith((".", "~")) or Path(text).is_absolute():
            return
        if not self.session.workspace_exists():
            return
        datasets = self.session.stamp("datasets", self._dataset_versions)
        assert isinstance(datasets, tuple)
        if any(n == text for n, _ in datasets):
            kind = "folder" if resolved.is_dir() else "file"
            raise BadArgumentError(
                f"dataset {text!r} is both a {kind} here ({resolved}) and a dataset in the workspace: write "
                f"./{text} for the {kind} or {text}@ for the workspace dataset (its latest version; {text}@VERSION "
                "for another)", parameter="dataset")

    def chain(self, ref: str | Path = "builtin") -> SupplyChain:
        """The :class:`~pinchpoint.supplychain.model.SupplyChain` ``ref`` names (see :meth:`open`)."""
        return self.open(ref).chain

    def network(self, ref: str | Path = "builtin") -> StressNetwork:
        """The dataset compiled for stress tests, built once per dataset version."""
        return self.network_of(self.open(ref))

    def network_of(self, loaded: LoadedChain) -> StressNetwork:
        """``loaded`` compiled for stress tests, once per dataset version."""
        from pinchpoint.stress.network import StressNetwork

        return self.session.cache.get(("network", loaded.ref), loaded.version,
                                      lambda: StressNetwork.build(loaded.chain))

    def compiled(self, ref: str | Path = "builtin", year: int | None = None) -> CompiledChain:
        """The dataset as arrays for exposure (country level), built once per dataset version and year."""
        from pinchpoint.analysis.exposure import compile_chain

        loaded = self.open(ref)
        return self.session.cache.get(("compiled", str(ref), year), loaded.version,
                                      lambda: compile_chain(loaded.chain, year=year))

    def _dataset_versions(self) -> tuple[tuple[str, str], ...]:
        """(name, version) of every stored dataset, latest first per name: the stamp chains are held by."""
        from pinchpoint.workspace.datasets import DATASETS

        if not self.session.workspace_exists():
            return ()
        with self.session.open_reader() as ws:
            return tuple((v.key, v.version) for v in ws.collection(DATASETS).list())

    # Workspace datasets ------------------------------------------------------------------------------------
    def datasets(self) -> ResultTable:
        """Datasets imported into the workspace that the actor may read, newest version first."""
        session = self.session
        session.authorize("supplychain.list", "datasets:*")
        def read() -> ResultTable:
            if not session.workspace_exists():
                return ResultTable("datasets", tuple(STORED_DATASET_COLUMNS), (), {"workspace": str(session.db_path())})
            with session.open_reader() as ws:
                return ws.list_datasets()

        table = session.stamp("dataset_listing", read)  # re-read only when the workspace changed
        assert isinstance(table, ResultTable)
        readable = {name: session.permits("supplychain.read", f"dataset:{name}")
                    for name in {str(r["name"]) for r in table.rows}}
        rows = tuple(r for r in table.rows if readable[str(r["name"])])
        return ResultTable(table.name, table.columns, rows, dict(table.meta))

    def upload(self, name: str, filename: str, data: bytes) -> DatasetRecord:
        """Validate a dataset sent as bytes (native YAML, or a zip of a CSV or ETO folder) and store it as ``name``
        (a new dataset of the actor's organisation, or a new version of one it may change). A file that does not
        load raises DataError naming the upload's file, row and field, and stores nothing."""
        import tempfile

        from pinchpoint.supplychain.load import BUILTIN_NAMES, import_dataset
        from pinchpoint.supplychain.upload import DATASET_NAME, relabel, stage_upload

        session = self.session
        if not DATASET_NAME.match(name):
            raise BadArgumentError(f"dataset name {name[:60]!r}: 1-48 lower-case letters, digits, '-' or '_', "
                                   "starting with a letter or digit", parameter="name")
        if name in BUILTIN_NAMES:
            raise BadArgumentError(f"{name!r} is the built-in dataset's name", parameter="name")
        stored = session.stamp("datasets", self._dataset_versions)
        assert isinstance(stored, tuple)
        exists = any(n == name for n, _ in stored)
        # a new version of a stored dataset changes it (its owners, or admins for common data); a new name is an upload
        session.authorize("supplychain.modify" if exists else "supplychain.upload", f"dataset:{name}")
        with tempfile.TemporaryDirectory(prefix="pinchpoint-upload-") as tmp:
            folder = Path(tmp)
            try:
                source = stage_upload(data, filename, folder)
                with session.open_workspace() as ws:
                    # the record names the file as uploaded, not the temporary folder deleted below
                    record = import_dataset(ws, source, name=name, source_label=f"upload {filename[:200]}")
            except DataError as exc:
                raise relabel(exc, folder, filename) from None
        session.record("upload", f"dataset:{name}", {"file": filename[:200], "bytes": len(data),
                                                     "version": record.version}, created=not exists)
        return record

    def import_dataset(self, path: str | Path, name: str | None = None, *,
                       source: str | None = None) -> DatasetRecord:
        """Validate a dataset and store it in the workspace (idempotent for unchanged files). ``source``: the
        supply-chain source (:mod:`pinchpoint.sources`) that reads it, instead of the one detected; an unknown
        name is a :class:`~pinchpoint.errors.NotFoundError` naming the closest ones."""
        from pinchpoint.supplychain.load import import_dataset

        self.session.authorize("supplychain.import", f"dataset:{name or path}")
        self._local(path)
        self._source(source)
        with self.session.open_workspace() as ws:
            return import_dataset(ws, path, name=name, source=source)

    def validate(self, path: str | Path, *, source: str | None = None) -> ResultTable:
        """Every data-quality finding of the dataset files at ``path`` (read with ``source``, or the source
        detected), with its count and examples; ``meta["summary"]`` counts what was read."""
        from pinchpoint.errors import DataError

        self._local(path)
        self._source(source)
        if not Path(path).expanduser().exists():  # files only: a stored dataset was validated when imported
            raise DataError("no such file or folder", file=str(path))
        return self.quality(path, source=source)

    def _source(self, source: str | None) -> None:
        """A source name checked before any file is read: unknown, or of another kind, is an error at once."""
        if source is not None:
            from pinchpoint import sources

            sources.get(source, kind="supplychain")

    def fetch(self, source: str, dest: Path | None = None, from_dir: Path | None = None,
              say: Any = None) -> tuple[DatasetRecord, Path]:
        """Download (or copy from ``from_dir``) a public dataset (:data:`FETCHABLE`) and import it under its
        name; an unknown name is a :class:`~pinchpoint.errors.NotFoundError`."""
        if source.strip().lower() not in FETCHABLE:
            import difflib

            close = difflib.get_close_matches(source.strip().lower(), FETCHABLE, n=1, cutoff=0.4)
            hint = f"did you mean {close[0]}? " if close else ""
            raise NotFoundError(f"no public dataset {source!r} to fetch ({hint}available: {', '.join(FETCHABLE)})",
                                suggestions=close, what="fetchable dataset", value=source)
        return self.fetch_eto(dest, from_dir=from_dir, say=say)

    def fetch_eto(self, dest: Path | None = None, from_dir: Path | None = None,
                  say: Any = None) -> tuple[DatasetRecord, Path]:
        """Download (or copy from ``from_dir``) the ETO dataset and import it as 'eto'."""
        from pinchpoint.supplychain.fetch import fetch_eto
        from pinchpoint.supplychain.load import import_dataset

        self.session.authorize("supplychain.import", "dataset:eto")
        with self.session.open_workspace() as ws:
            target = dest or ws.path.parent / "downloads" / "eto"
            folder = fetch_eto(target, from_dir=from_dir, progress=say)
            return import_dataset(ws, folder, name="eto"), folder

    def quality(self, path: str | Path, *, source: str | None = None) -> ResultTable:
        """Every data-quality finding of the dataset at ``path`` (or named), with its count and examples."""
        loaded = self.open(path, source=source)
        chain = loaded.chain
        rows = [{"code": f.code, "count": f.count, "message": f.message, "examples": list(f.examples)}
                for f in chain.findings]
        summary = (f"{len(chain.inputs)} inputs, {len(chain.providers)} providers, {len(chain.provisions)} "
                   f"provisions, {len(chain.relations)} relations; {len(rows)} kinds of finding")
        table = ResultTable.from_records("findings", rows, ["code", "count", "message", "examples"],
                                         meta={"dataset": chain.name, "path": str(path), "summary": summary})
        return loaded.provenance(table)

    # Analyses ----------------------------------------------------------------------------------------------
    def concentration(self, dataset: str | Path = "builtin", *, year: int | None = None,
                      level: str | Level = "country",
                      coalitions: Mapping[str, Sequence[str]] | str | Path | None = None) -> ResultTable:
        """HHI, CR1, CR3, top provider and coalition shares for every input (built-in coalitions plus
        ``coalitions``: a mapping, or a YAML/CSV file of them)."""
        from pinchpoint.analysis.coalitions import COALITIONS, load_coalitions
        from pinchpoint.analysis.concentration import concentration

        groups: dict[str, Sequence[str]] = dict(COALITIONS)
        if isinstance(coalitions, (str, Path)):
            self._local(coalitions)
            groups.update(load_coalitions(coalitions))
        elif coalitions is not None:
            groups.update(coalitions)
        loaded = self.open(dataset)
        self.session.authorize("supplychain.analyse", loaded.resource)
        lvl = parse_level(level)

        def build() -> ResultTable:
            return loaded.provenance(concentration(loaded.chain, level=lvl, year=year, coalitions=groups))

        if coalitions is not None:  # the caller's own groups: computed for this call only
            return build()
        return self._held(("concentration", lvl.value, year), loaded, build)

    def chokepoints(self, dataset: str | Path = "builtin", *, threshold: float = 65.0, year: int | None = None,
                    level: str | Level = "country") -> ResultTable:
        """Inputs where one provider holds at least ``threshold`` percent (SIA/BCG: 65)."""
        from pinchpoint.analysis.chokepoints import chokepoints

        loaded = self.open(dataset)
        self.session.authorize("supplychain.analyse", loaded.resource)
        lvl = parse_level(level)
        return self._held(("chokepoints", float(threshold), lvl.value, year), loaded, lambda: loaded.provenance(
            chokepoints(loaded.chain, threshold=threshold, level=lvl, year=year)))

    def exposure(self, dataset: str | Path = "builtin", *, target: str | None = None, year: int | None = None,
                 level: str | Level = "country", country: str | None = None) -> ResultTable:
        """Multi-tier dependence of ``target`` (default: the dataset's output) on each country or organisation;
        with ``country``, that country's import side over every input it supplies."""
        from pinchpoint.analysis.exposure import exposure, import_exposure

        lvl = parse_level(level)
        loaded = self.open(dataset)
        self.session.authorize("supplychain.analyse", loaded.resource)
        if country is not None:
            if lvl.value != "country" or target is not None:
                raise BadArgumentError("a country's import side covers every input it supplies: it takes no target "
                                       "and works at the country level", parameter="country")
            return loaded.provenance(import_exposure(loaded.chain, country, year=year,
                                                     compiled=self.compiled(dataset, year)))
        compiled = self.compiled(dataset, year) if lvl.value == "country" else None
        return self._held(("exposure", target, year, lvl.value), loaded, lambda: loaded.provenance(
            exposure(loaded.chain, target=target, year=year, level=lvl, compiled=compiled)))

    def _held(self, key: tuple[Any, ...], loaded: LoadedChain, build: Callable[[], ResultTable]) -> ResultTable:
        """A result of an analysis with its arguments ``key`` on ``loaded``, computed once per dataset version and
        held by the session (a dataset version never changes, so neither does the answer; rows are shared: treat
        them as read-only)."""
        return self.session.cache.get(("result", loaded.ref, *key), loaded.version, build)

    def analyse(self, analysis: str, dataset: str | Path = "builtin", *, year: int | None = None,
                level: str | Level = "country") -> ResultTable:
        """One of :data:`ANALYSES` by name, with its defaults but ``year`` and ``level`` (what a page or an endpoint
        picks from a list; the same calls, and checks, as ``pinchpoint <analysis> --year --level``)."""
        if analysis == "concentration":
            return self.concentration(dataset, year=year, level=level)
        if analysis == "chokepoints":
            return self.chokepoints(dataset, year=year, level=level)
        if analysis == "exposure":
            return self.exposure(dataset, year=year, level=level)
        from pinchpoint.supplychain.suggest import closest

        raise NotFoundError(f"no analysis {analysis!r} (one of {', '.join(ANALYSES)})",
                            suggestions=closest(analysis, dict.fromkeys(ANALYSES, "")), what="analysis",
                            value=analysis)

    def export(self, analysis: str, dataset: str | Path = "builtin", fmt: str = "csv", *, year: int | None = None,
               level: str | Level = "country") -> ResultTable:
        """:meth:`analyse` for taking away: the actor needs the export right on the dataset, and the export is
        recorded (who took which figures, in which format)."""
        loaded = self.open(dataset)  # the export right is checked on the dataset the reference resolves to
        self.session.authorize("supplychain.export", loaded.resource)
        table = self.analyse(analysis, dataset, year=year, level=level)
        chosen = {k: v for k, v in (("year", year), ("level", str(table.meta.get("level", "country"))))
                  if v is not None and v != "country"}
        self.session.record("export", loaded.resource, {"analysis": analysis, "format": fmt, "rows": len(table),
                                                        "version": loaded.version, **chosen})
        return table

    def _local(self, path: str | Path) -> None:
        if not self.session.local_files:
            raise BadArgumentError(f"{path}: this session does not read local files", parameter="path")
