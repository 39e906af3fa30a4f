"""Cheap looks at a file for detectors: its first bytes, its CSV header, the files of a folder.

Detectors read at most :data:`HEAD_BYTES` of a file (gunzipped if it ends in ``.gz``) and never raise for a file
they cannot read: they say so, and the registry shows it as that source's reason.
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from pinchpoint.sources.registry import Detection

HEAD_BYTES = 65536
_MAX_FOLDER_FILES = 2000  # a folder is judged on its first files, so detection never walks a whole disk


def head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of ``path`` (decompressed for ``.gz``); ``b""`` if it cannot be read."""
    try:
        with path.open("rb") as raw:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as gz:
                    return gz.read(size)
            return raw.read(size)
    except (OSError, EOFError, zlib.error):
        return b""


def text_head(path: Path, size: int = HEAD_BYTES) -> str:
    """:func:`head` as text: UTF-8 (BOM dropped), UTF-16 with a BOM, else Latin-1 (every byte is a character)."""
    data = head(path, size)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[:len(data) // 2 * 2].decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # a character cut by the read size
            return data[:exc.start].decode("utf-8-sig")
        return data.decode("latin-1")


def header(path: Path) -> list[str]:
    """The first row of a CSV or tab-separated file, stripped ([] when empty or unreadable)."""
    first = text_head(path).splitlines()[:1]
    if not first:
        return []
    delimiter = "\t" if "\t" in first[0] else ","
    try:
        return [c.strip() for c in next(csv.reader(io.StringIO(first[0]), delimiter=delimiter), [])]
    except csv.Error:
        return []


def shown(columns: Sequence[str], limit: int = 12) -> str:
    text = ",".join(c[:40] for c in columns[:limit]) + (",..." if len(columns) > limit else "")
    return text or "nothing (an empty file)"


def columns_detection(path: Path, expected: Sequence[str], what: str) -> Detection:
    """A match when the header holds every ``expected`` column; otherwise the columns it lacks and found."""
    found = header(path)
    missing = [c for c in expected if c not in found]
    if not missing:
        return Detection.match(f"{what}: columns {','.join(expected)}")
    return Detection.miss(f"expected columns {','.join(expected)}; found {shown(found)}")


def matches(path: Path, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path.name.lower(), p.lower()) for p in patterns)


def folder_files(folder: Path, patterns: Sequence[str], recursive: bool = True) -> list[Path]:
    """Files in ``folder`` (and below it when ``recursive``) whose names fit ``patterns``, sorted."""
    walk = folder.rglob("*") if recursive else folder.glob("*")
    found: list[Path] = []
    for n, p in enumerate(walk):
        if n >= _MAX_FOLDER_FILES * 5:
            break
        if p.is_file() and matches(p, patterns):
            found.append(p)
    return sorted(found)[:_MAX_FOLDER_FILES]


def by_file(path: Path, patterns: Sequence[str], detect_file: Callable[[Path], Detection],
            recursive: bool = True) -> Detection:
    """Detect a file with ``detect_file``, or a folder by the files in it that fit ``patterns``: it matches when
    some of them do (the reader then reports any that do not)."""
    if path.is_file():
        return detect_file(path)
    files = folder_files(path, patterns, recursive)
    if not files:
        return Detection.miss(f"no {' or '.join(patterns)} files in the folder")
    results = [(f, detect_file(f)) for f in files[:50]]
    hits = [(f, d) for f, d in results if d.matched]
    if not hits:
        f, d = results[0]
        return Detection.miss(f"{f.name}: {d.reason}" + (f" (and {len(results) - 1} more files)"
                                                          if len(results) > 1 else ""))
    f, d = max(hits, key=lambda h: h[1].confidence)
    return Detection.match(f"{len(hits)} of the {len(results)} {' or '.join(patterns)} files looked at, "
                           f"e.g. {f.name}: {d.reason}", d.confidence)


def best_file(path: Path, patterns: Sequence[str], detect_file: Callable[[Path], Detection],
              recursive: bool = True) -> Path | None:
    """``path`` itself if a file, else the file in the folder ``detect_file`` is surest of (first by name)."""
    if path.is_file():
        return path
    scored = [(d.confidence, f) for f in folder_files(path, patterns, recursive)[:50]
              if (d := detect_file(f)).matched]
    return min(scored, key=lambda s: (-s[0], str(s[1])))[1] if scored else None


def json_top_keys(text: str) -> list[str]:
    """The keys of the outermost JSON object that ``text`` (the head of a file) spells out, in order: a scan that
    tracks strings and nesting, so a key of a nested object is never taken for a top-level one."""
    keys: list[str] = []
    depth = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                break
            rest = text[end + 1:end + 40].lstrip()
            if depth == 1 and rest.startswith(":"):
                keys.append(text[i + 1:end])
            i = end + 1
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        i += 1
    return keys


# File signatures ("magic numbers") of what people hand a reader of text by mistake: (leading bytes, what it is,
# what to do). A zip is looked into (:func:`binary_kind`): an Office or OpenDocument file is one.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or another old Office file",
     "open it in Excel, save it as 'CSV UTF-8 (Comma delimited)' and give that file"),
    (b"%PDF-", "a PDF document", "export the table to CSV (UTF-8) from the program that made it and give that file"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it (gunzip) and give the file inside"),
    (b"\x7fELF", "a program (an ELF executable)", "give the CSV file itself"),
    (b"MZ", "a Windows program or library", "give the CSV file itself"),
    (b"\xcf\xfa\xed\xfe", "a program (a Mach-O executable)", "give the CSV file itself"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "give the CSV file itself"),
    (b"\xff\xd8\xff", "a JPEG image", "give the CSV file itself"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it and give the CSV file inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it and give the CSV file inside"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table to CSV (UTF-8) and give that file"),
    (b"PAR1", "a Parquet file", "export it to CSV (UTF-8) and give that file"),
)
_ZIP_KINDS: tuple[tuple[str, str, str], ...] = (
    ("xl/", "an Excel workbook (.xlsx)", "open it in Excel, save the sheet as 'CSV UTF-8 (Comma delimited)' "
     "(File > Save As) and give that file"),
    ("word/", "a Word document (.docx)", "put the table in a spreadsheet, save it as CSV (UTF-8) and give that "
     "file"),
    ("ppt/", "a PowerPoint presentation (.pptx)", "put the table in a spreadsheet, save it as CSV (UTF-8) and give "
     "that file"),
)
_OPENDOCUMENT = b"mimetypeapplication/vnd.oasis.opendocument."


def binary_kind(data: bytes) -> tuple[str, str] | None:
    """What a file that is not text is, by its signature, and what to do: ``("an Excel workbook (.xlsx)", "open
    it in Excel and save it as ...")``; None when no known signature starts ``data``. A zip's own directory says
    whether it is an Office or OpenDocument file (read from ``data``, never unpacked)."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if data[30:30 + len(_OPENDOCUMENT)] == _OPENDOCUMENT:  # the first member, 'mimetype', stored
            kind = data[30 + len(_OPENDOCUMENT):30 + len(_OPENDOCUMENT) + 12].decode("ascii", "replace")
            what = "an OpenDocument spreadsheet (.ods)" if kind.startswith("spreadsheet") \
                else "an OpenDocument file (.odt, .odp...)"
            return what, "open it, save it as CSV (UTF-8) and give that file"
        try:
            import io
            import zipfile

            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            names = []
        for prefix, what, do in _ZIP_KINDS:
            if any(n.startswith(prefix) for n in names):
                return what, do
        return "a zip archive", "unzip it and give the CSV file inside"
    for signature, what, do in _SIGNATURES:
        # "MZ" could start a line of text: a Windows program has NUL bytes in its first 64
        if data.startswith(signature) and (signature != b"MZ" or b"\x00" in data[:64]):
            return what, do
    return None
