"""One entry point that loads a supply chain from whatever the user names.

``ref`` may be ``builtin`` (the built-in semiconductor dataset), a path to an ETO folder (either
vintage), a native YAML file or CSV folder, or the name of a dataset imported into a workspace
(``name`` or ``name@version``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pinchpoint.errors import DataError, WorkspaceError
from pinchpoint.supplychain.model import SupplyChain

if TYPE_CHECKING:
    from pinchpoint.workspace.store import DatasetRecord, Workspace

BUILTIN_NAMES = ("builtin", "semiconductors-builtin")


def builtin_path() -> Path:
    from importlib.resources import files

    return Path(str(files("pinchpoint.supplychain") / "builtin" / "semiconductors.yaml"))


def detect_format(path: Path) -> str:
    """``eto``, ``native-yaml`` or ``native-csv``; raises :class:`DataError` for anything else."""
    from pinchpoint.supplychain.eto import is_eto_folder

    if not path.exists():
        raise DataError("no such file or folder", file=str(path))
    if path.is_dir():
        if is_eto_folder(path):
            return "eto"
        if (path / "inputs.csv").exists():
            return "native-csv"
        raise DataError("folder is neither an ETO dataset (stages, inputs, providers, provision, sequence "
                        ".csv) nor a native CSV dataset (inputs.csv, ...)", file=str(path))
    if path.suffix.lower() in (".yaml", ".yml"):
        return "native-yaml"
    raise DataError("unrecognised file type: expected a .yaml file or a dataset folder", file=str(path))


def load_path(path: str | Path, *, name: str | None = None) -> SupplyChain:
    """Load a dataset from a file or folder, detecting its format."""
    p = Path(path)
    fmt = detect_format(p)
    if fmt == "eto":
        from pinchpoint.supplychain.eto import load_eto

        return load_eto(p, name=name)
    from pinchpoint.supplychain.native import load_native

    return load_native(p, name=name)


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


def import_dataset(workspace: Workspace, path: str | Path, *, name: str | None = None) -> DatasetRecord:
    """Load, validate and store a dataset in ``workspace``; idempotent for unchanged files.

    It lives here, above the workspace, so that the workspace stores chains without knowing how files are read.
    """
    from pinchpoint.workspace.store import content_hash

    src = Path(path).expanduser().resolve()
    fmt = detect_format(src)
    version = content_hash(src)
    if name is not None:
        known = workspace.record(name, version)
        if known is not None:  # same files already imported and validated
            return known
    chain = load_path(src, name=name)
    return workspace.store(chain, version=version, source_path=str(src), fmt=fmt)
