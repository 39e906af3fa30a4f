"""A dataset sent as bytes (a web upload, an API post): a native YAML file or a zip of a CSV or ETO folder, laid out
in a temporary folder with caps (files, unzipped size, no path outside it), and its problems named by the upload's
own name and the path inside it, never the temporary folder's."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

from pinchpoint.errors import DataError, Location, Problem
from pinchpoint.sources.zipcap import MAX_UNZIPPED_BYTES, check_zip

MAX_ZIP_MEMBERS = 2_000
#: What a dataset sent as bytes may be called: lower-case letters, digits, '-' and '_' (a workspace key, a URL part).
DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
UPLOAD_SUFFIXES = (".yaml", ".yml", ".zip")


def stage_upload(data: bytes, filename: str, folder: Path) -> Path:
    """Write the upload into ``folder`` as the loaders read it and return the file or dataset folder."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name)[:100] or "upload.yaml"
        source = folder / safe_name
        source.write_bytes(data)
        return source
    if suffix == ".zip":
        return unzip_safely(data, folder / "dataset", filename)
    raise DataError("upload a native YAML file (.yaml) or a .zip of a CSV or ETO folder", file=filename)


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
    check_zip(data, label, max_bytes=MAX_UNZIPPED_BYTES)  # sizes, ratios, methods: the caps every zip gets
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


def display_name(file: str | None, folder: Path, upload_name: str) -> str:
    """A problem's file as the user knows it: the upload's name and the path inside it."""
    if not file:
        return upload_name
    try:
        inner = Path(file).resolve().relative_to(folder.resolve())
    except ValueError:
        return Path(file).name
    parts = inner.parts[1:] if inner.parts and inner.parts[0] == "dataset" else inner.parts
    if len(parts) == 1 and parts[0] == re.sub(r"[^A-Za-z0-9._-]", "_", Path(upload_name).name)[:100]:
        return upload_name  # the YAML file itself
    return f"{upload_name}: {'/'.join(parts)}" if parts else upload_name


def relabel(exc: DataError, folder: Path, upload_name: str) -> DataError:
    """``exc`` with every problem's file named as the user knows it (see :func:`display_name`)."""

    def moved(location: Location) -> Location:
        return replace(location, file=display_name(location.file, folder, upload_name))

    problems = [Problem(moved(p.location), p.message.replace(str(folder), upload_name), p.severity)
                for p in exc.problems]
    first = problems[0] if problems else Problem(moved(exc.location), exc.problem)
    return DataError(first.message, file=first.location.file, row=first.location.row, field=first.location.field,
                     problems=problems, unit=first.location.unit)
