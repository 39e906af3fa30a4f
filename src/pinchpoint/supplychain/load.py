"""One entry point that loads a supply chain from whatever the user names.

``ref`` may be ``builtin`` (the built-in semiconductor dataset), a path to an ETO folder (either
vintage), a native YAML file or CSV folder, or the name of a dataset imported into a workspace
(``name`` or ``name@version``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pinchpoint.errors import WorkspaceError
from pinchpoint.supplychain.model import SupplyChain

if TYPE_CHECKING:
    from pinchpoint.workspace.store import DatasetRecord, Workspace

BUILTIN_NAMES = ("builtin", "semiconductors-builtin")


def builtin_path() -> Path:
    from importlib.resources import files

    return Path(str(files("pinchpoint.supplychain") / "builtin" / "semiconductors.yaml"))


def detect_format(path: Path) -> str:
    """The name of the one supply-chain source (:mod:`pinchpoint.sources`) that reads ``path``: ``eto``,
    ``native-yaml``, ``native-csv`` or a third party's; a :class:`DataError` saying why none (or several) do."""
    from pinchpoint import sources

    return sources.detect(path, kind="supplychain").name


def load_path(path: str | Path, *, name: str | None = None, source: str | None = None) -> SupplyChain:
    """Load a dataset from a file or folder with the supply-chain source named, or the one detected."""
    from pinchpoint import sources

    chain: SupplyChain = sources.read(Path(path), source=source, kind="supplychain", name=name)
    return chain


def load_chain(ref: str | Path | None = None, *, workspace: Workspace | None = None) -> SupplyChain:
    """Load the dataset ``ref`` names (default: the built-in dataset)."""
    if ref is None or str(ref) in BUILTIN_NAMES:
        from pinchpoint.supplychain.native import load_native

        return load_native(builtin_path())
    text = str(ref)
    path = Path(text).expanduser()
    if path.exists():
        return load_path(path)
    if workspace is not None:
        return _load_named(workspace, text)
    from pinchpoint.workspace.store import Workspace

    # a reader: open read-only for as long as the fetch takes and close, so no writer is kept waiting
    with Workspace.open_reader() as reader:
        return _load_named(reader, text)


def _load_named(workspace: Workspace, ref: str) -> SupplyChain:
    try:
        return workspace.load(ref)
    except WorkspaceError as exc:
        raise WorkspaceError(f"{ref!r} is neither a file or folder nor a dataset in the workspace "
                             f"({exc})") from None


def import_dataset(workspace: Workspace, path: str | Path, *, name: str | None = None,
                   source: str | None = None, source_label: str | None = None) -> DatasetRecord:
    """Load, validate and store a dataset in ``workspace``; idempotent for unchanged files. ``source_label`` is
    what the record names as its source instead of the path (an upload's own file name, not a temporary folder).

    It lives here, above the workspace, so that the workspace stores chains without knowing how files are read.
    """
    from pinchpoint.workspace.store import content_hash

    src = Path(path).expanduser().resolve()
    fmt = source or detect_format(src)
    version = content_hash(src)
    if name is not None:
        known = workspace.record(name, version)
        if known is not None:  # same files already imported and validated
            return known
    chain = load_path(src, name=name, source=fmt)
    return workspace.store(chain, version=version, source_path=source_label or str(src), fmt=fmt)
