"""Caps on what a zip unzips to, checked before anything is parsed: the one opener of ``.xlsx`` workbooks (an
``.xlsx`` is a zip of XML parts) and the check every zip upload gets.

A 2 MB workbook can hold a 2 GB sheet (deflate reaches about 1,000:1), and a spreadsheet parser holds what it
unzips. So before a workbook is opened, every member of the zip's central directory is checked: how many there are
(:data:`MAX_MEMBERS`), their declared sizes together (:data:`MAX_UNZIPPED_BYTES`, or the caller's cap), each one's
compression ratio (:data:`MAX_RATIO` for a member over :data:`RATIO_GRACE_BYTES`, as Apache POI does) and its
compression method (stored or deflated; no encryption). The directory's sizes are the sender's word, so each member's
deflate stream is then inflated here, in 1 MB steps and discarded, to check it unzips to no more than it declares:
a parser that trusts the stream rather than the directory is held to the same cap. Every refusal is a
:class:`~pinchpoint.errors.DataError` naming the file and the member.

The real files stay far inside the caps: Eurostat's Comext data-browser workbooks unzip to 43-45 MB (at most 23:1),
METI's End User List to 0.5 MB (14:1).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from pinchpoint.errors import DataError

#: Largest total a workbook or an uploaded zip may unzip to, in bytes (all members together).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Most members a workbook or an uploaded zip may hold (Comext's workbooks hold 124).
MAX_MEMBERS = 10_000
#: Highest compression ratio (unzipped / zipped) of a member larger than :data:`RATIO_GRACE_BYTES`: real
#: spreadsheet parts stay under 25:1; deflate's ceiling is about 1,032:1, what a zip bomb uses.
MAX_RATIO = 100
#: Members up to this size unzipped are not held to :data:`MAX_RATIO` (a small, blank part can compress very well).
RATIO_GRACE_BYTES = 1024 * 1024
#: Largest workbook file read (as stored, compressed); the unzipped cap is what protects memory.
MAX_WORKBOOK_FILE_BYTES = 100 * 1024 * 1024

_STEP = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # the zip format's local file header (APPNOTE 4.3.7)
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size:,} bytes"


def check_zip(source: Path | bytes, label: str, *, max_bytes: int = MAX_UNZIPPED_BYTES, what: str = "zip",
              option: str | None = None, inflate: bool = True) -> list[zipfile.ZipInfo]:
    """Check the zip ``source`` (a path or its bytes) against the caps before anything reads it; return its members.

    ``label`` names the file in errors (an upload's own name, not a temporary path); ``what`` says what the zip is
    ("workbook", "zip"); ``option`` is the caller's option that raises ``max_bytes`` (``max_bytes`` for
    ``lists load --max-mb``). With ``inflate`` (the default), each deflated member is also inflated and counted, so
    a directory that understates a member's size is caught."""
    if isinstance(source, bytes):
        return _check_open(io.BytesIO(source), label, max_bytes, what, option, inflate)
    try:
        with Path(source).open("rb") as raw:
            return _check_open(raw, label, max_bytes, what, option, inflate)
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=label) from None


def _check_open(raw: IO[bytes], label: str, max_bytes: int, what: str, option: str | None,
                inflate: bool) -> list[zipfile.ZipInfo]:
    try:
        archive = zipfile.ZipFile(raw)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        kind = "an .xlsx workbook is a zip" if what == "workbook" else "a zip"
        raise DataError(f"not a readable {what} ({kind}; this one is not: {exc})", file=label) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise DataError(f"more than {MAX_MEMBERS:,} members in the {what} ({len(members):,}): refused "
                            "unread", file=label)
        declared = 0
        for m in members:
            _check_member(m, label)
            declared += m.file_size
            if declared > max_bytes:
                raise DataError(
                    f"unzips to more than {_mb(max_bytes)}, the cap for a {what} (all members together; member "
                    f"'{_shown(m.filename)}' alone unzips to {m.file_size:,} bytes): refused before reading it",
                    file=label, option=option)
        if inflate:
            for m in members:
                if m.compress_type == _DEFLATED and m.file_size:
                    _check_inflated(raw, m, label)
    return members


def _shown(name: str) -> str:
    return name[:200]


def _check_member(m: zipfile.ZipInfo, label: str) -> None:
    member = _shown(m.filename)
    if m.flag_bits & 0x1:
        raise DataError(f"member '{member}' is encrypted: save the file without a password", file=label)
    if m.compress_type not in (_STORED, _DEFLATED):
        raise DataError(f"member '{member}' is compressed with zip method {m.compress_type}; only stored and "
                        "deflated members are read (what Excel and LibreOffice write)", file=label)
    if m.compress_type == _STORED and m.compress_size != m.file_size:
        raise DataError(f"member '{member}' is stored unzipped, yet its zip directory gives it two sizes "
                        f"({m.compress_size:,} and {m.file_size:,} bytes): a tampered file", file=label)
    if m.file_size > RATIO_GRACE_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
        ratio = m.file_size / max(m.compress_size, 1)
        raise DataError(f"member '{member}' unzips to {m.file_size:,} bytes from {m.compress_size:,} (a ratio "
                        f"of {ratio:,.0f}:1, over the {MAX_RATIO}:1 allowed for a member over "
                        f"{_mb(RATIO_GRACE_BYTES)}): a zip bomb? Refused before reading it", file=label)


def _check_inflated(raw: IO[bytes], m: zipfile.ZipInfo, label: str) -> None:
    """Inflate ``m``'s deflate stream in steps, counting, and refuse it if it yields more than it declares."""
    member = _shown(m.filename)
    raw.seek(m.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise DataError(f"member '{member}': its local header is missing or broken", file=label)
    fields: tuple[Any, ...] = _LOCAL_HEADER.unpack(header)
    raw.seek(fields[10] + fields[11], io.SEEK_CUR)  # the name and the extra field
    left = m.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data and left > 0:
                data = raw.read(min(_STEP, left))
                left -= len(data)
            out = inflater.decompress(data, _STEP)  # b"" in drains what zlib still holds
            produced += len(out)
            if produced > m.file_size:
                raise DataError(f"member '{member}' unzips to more than the {m.file_size:,} bytes its zip "
                                "directory declares (a tampered file): refused before reading it", file=label)
            if not out and not data:
                break  # the stream is cut short: the parser reports it
    except zlib.error as exc:
        raise DataError(f"member '{member}' is corrupt ({exc})", file=label) from None


def read_workbook_bytes(path: Path, label: str | None = None, *, max_bytes: int = MAX_UNZIPPED_BYTES,
                        option: str | None = None) -> bytes:
    """The bytes of the workbook at ``path``, checked by :func:`check_zip` (a snapshot: what is checked is what is
    parsed, even if the file changes meanwhile)."""
    name = label or str(path)
    try:
        if path.is_dir():
            raise DataError("is a folder, not a workbook", file=name)
        size = path.stat().st_size
        limit = min(max_bytes, MAX_WORKBOOK_FILE_BYTES)
        if size > limit:
            raise DataError(f"{size:,} bytes is over the {limit:,}-byte cap for a workbook file", file=name,
                            option=option)
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=name) from None
    check_zip(data, name, max_bytes=max_bytes, what="workbook", option=option)
    return data


def open_workbook(source: Path | bytes, label: str | None = None, *, max_bytes: int = MAX_UNZIPPED_BYTES,
                  option: str | None = None) -> Any:
    """A python-calamine ``CalamineWorkbook`` of the ``.xlsx`` at ``source`` (a path, or a file's bytes already
    read), opened only once :func:`check_zip` has passed: every reader of a workbook opens it here. ``max_bytes``
    caps what it unzips to; ``label`` names it in errors. A file calamine cannot read is a :class:`DataError`
    naming it."""
    from python_calamine import CalamineWorkbook

    name = label or str(source if isinstance(source, Path) else "workbook")
    if isinstance(source, bytes):
        check_zip(source, name, max_bytes=max_bytes, what="workbook", option=option)
        data = source
    else:
        data = read_workbook_bytes(source, name, max_bytes=max_bytes, option=option)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine's own error types
        raise DataError(f"cannot read as a spreadsheet: {str(exc)[:200]}", file=name) from None
