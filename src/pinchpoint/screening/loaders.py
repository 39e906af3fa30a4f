"""Loaders for the OFAC SDN legacy CSV (+ alternate names), the UN consolidated XML, METI's End User List
spreadsheet, the BIS Denied Persons List and FollowTheMoney JSON lines.

Every record read is kept, folded into an earlier record with the same id (a duplicate), skipped by design (FtM
relation records) or dropped with a line in ``problems`` naming file, row and field. Evidence that a file is cut
short (it ends mid-record, lacks OFAC's end-of-file mark or the closing XML tag, a row has fewer fields than the
format) is a :class:`DataError`, never a silently shorter list. Files are capped at :data:`MAX_LIST_BYTES`
(gzip-compressed files are read transparently, the cap applying to the uncompressed size; METI's workbook is a zip,
and the cap applies to what its members unzip to, checked before it is parsed: :mod:`pinchpoint.sources.zipcap`).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinchpoint.errors import DataError, Problem
from pinchpoint.kernel.countries import from_name
from pinchpoint.screening.model import EntityType, ListedEntity, Name, NameKind, ScreeningList

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

#: Largest list file read (uncompressed), in bytes. The real lists are 0.1-4 MB; OpenSanctions' full
#: FtM export is larger, so raise it for that (``max_bytes=`` / ``pinchpoint lists load --max-mb``).
MAX_LIST_BYTES = 100 * 1024 * 1024


_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
#: The longest version label taken from ``version=`` (``--version``).
MAX_VERSION_CHARS = 40


def name_version(path: Path) -> str:
    """The version a file's name gives, for the formats that hold no date of their own (OFAC's legacy CSV, METI's
    spreadsheet, BIS's DPL text): a date that exists, as YYYYMMDD (``ofac_sdn_20240503.csv``, ``sdn_2024-05-03.csv``),
    else a year (``us_bis_dpl_2022.txt``); "" when the name gives none (``sdn.csv`` as OFAC publishes it)."""
    for found in _NAME_DATE.finditer(path.name):
        try:
            date(*map(int, found.groups()))
        except ValueError:
            continue
        return "".join(found.groups())
    year = _NAME_YEAR.search(path.name)
    return year.group(1) if year else ""


def _country(label: str) -> str | None:
    text = label.strip()
    if not text:
        return None
    return from_name(text.split("\n")[-1]) or from_name(text)


def read_bytes(path: Path, max_bytes: int = MAX_LIST_BYTES) -> bytes:
    """The file's bytes, gunzipped when it is gzip, refused over ``max_bytes``."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DataError("is a folder, not a list file", file=str(path))
        if size > max_bytes:
            raise DataError(f"{size:,} bytes is over the {max_bytes:,}-byte cap for a list file "
                            "(raise the cap if the file is right)", file=str(path), option="max_bytes")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    if data[:2] != b"\x1f\x8b":
        return data
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1 << 20):
                out += chunk
                if len(out) > max_bytes:
                    raise DataError(f"uncompressed size is over the {max_bytes:,}-byte cap for a list file "
                                    "(raise the cap if the file is right)", file=str(path), option="max_bytes")
    except EOFError:
        raise DataError(f"gzip file is cut short: it ends after {len(out):,} uncompressed bytes",
                        file=str(path), row=out.count(b"\n") + 1) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"corrupt gzip file after {len(out):,} uncompressed bytes: {exc}",
                        file=str(path), row=out.count(b"\n") + 1) from None
    return bytes(out)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: a byte-order mark decides (UTF-8, UTF-16); else valid UTF-8 is
    UTF-8, else cp1252 (Windows Latin-1, when its typographic bytes 0x80-0x9F occur) or Latin-1."""
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                line = data[:exc.start].decode(encoding, "replace").count("\n") + 1
                raise DataError(f"not {encoding} text despite its byte-order mark (byte {exc.start})",
                                file=str(path), row=line) from None
    from pinchpoint.sources.sniff import binary_kind

    if (found := binary_kind(data)) is not None:  # a workbook, a zip, a PDF...: named, with what to do
        raise DataError(f"this is {found[0]}, not a text list file: {found[1]}", file=str(path), row=1)
    if b"\x00" in data:
        at = data.index(b"\x00")
        raise DataError(f"binary content (a NUL byte at byte {at}): not a text list file; UTF-16 needs a "
                        "byte-order mark", file=str(path), row=data[:at].count(b"\n") + 1)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if any(0x80 <= b <= 0x9F for b in data):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


def _blank(value: str | None) -> str:
    text = (value or "").strip()
    return "" if text == "-0-" else text


def _merge(first: ListedEntity, other: ListedEntity) -> ListedEntity:
    """One entity holding what two records with the same id say (names and facts in first-seen order)."""
    def union(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(a + b))

    return first.model_copy(update={
        "names": union(first.names, other.names), "countries": union(first.countries, other.countries),
        "birth_dates": union(first.birth_dates, other.birth_dates),
        "identifiers": union(first.identifiers, other.identifiers),
        "addresses": union(first.addresses, other.addresses),
        "programmes": union(first.programmes, other.programmes)})


def _finish(list_name: str, version: str, path: Path, encoding: str, records: Iterable[tuple[int, ListedEntity]],
            *, n_records: int, problems: list[Problem], dropped: int, skipped: int = 0,
            duplicates: int = 0) -> ScreeningList:
    """Collapse records that repeat an entity id into one entity (identical ones silently counted as duplicates,
    differing ones merged and reported), and refuse a file that yields no entity at all."""
    by_id: dict[str, ListedEntity] = {}
    first_row: dict[str, int] = {}
    for row, entity in records:
        seen = by_id.get(entity.entity_id)
        if seen is None:
            by_id[entity.entity_id] = entity
            first_row[entity.entity_id] = row
            continue
        duplicates += 1
        if seen != entity:
            merged = _merge(seen, entity)
            if merged != seen:
                by_id[entity.entity_id] = merged
                problems.append(Problem.at(f"repeats {entity.entity_id} of row {first_row[entity.entity_id]} with "
                                           "different content; merged into one entity", file=str(path), row=row,
                                           severity="warning"))
    if not by_id:
        first = f"; first problem: {problems[0]}" if problems else ""
        raise DataError(f"no {list_name} entities in the file ({n_records} records read, {dropped} unreadable"
                        f"{first})", file=str(path))
    return ScreeningList(list_name=list_name, version=version, source=str(path), entities=tuple(by_id.values()),
                         problems=tuple(problems), encoding=encoding, records=n_records, duplicates=duplicates,
                         skipped=skipped, dropped=dropped)


_OFAC_TYPES = {"individual": EntityType.PERSON, "vessel": EntityType.VESSEL, "aircraft": EntityType.AIRCRAFT}
_OFAC_SDN_FIELDS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
#                        Vess_flag, Vess_owner, Remarks
_OFAC_ALT_FIELDS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
#: The start of the problem line of an SDN file read without its alternate-names file (the update check names it).
NO_ALT_FILE = "no alternate-names file given"
_OFAC_ALT_ROW = re.compile(r"\s*\d+,\s*\d+,\s*\"?[afn]ka\b", re.IGNORECASE)


#: The longest span of birth years a range stands for (OFAC's "DOB 1951 to 1953", the UN's BETWEEN 1977 and 1982):
#: each year in it is listed, so a stated year inside the range agrees with it; a wider span is kept as its ends.
MAX_BIRTH_RANGE_YEARS = 15
#: How far either side of an approximate birth year ("DOB circa 1960", the UN's APPROXIMATELY) a stated year still
#: agrees: the list gives no width, and a year derived from an age is off by one as often as not (the birthday
#: falls before or after the date the age was taken). A stated year further away is another year, as for any date.
CIRCA_YEARS = 1
#: An OFAC remarks' birth-date statement: "DOB" (or "DOB:") up to the next ";" (or the end of the remarks).
_OFAC_DOB = re.compile(r"\bDOB\b:?\s*([^;]*)")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_BIRTH_PART = re.compile(r"(?:(\d{1,2})\s+)?(?:([A-Za-z]{3,9})\.?\s+)?(\d{4})|([A-Za-z]{3,9})\.?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-\d{2})?")
_CIRCA = re.compile(r"(?:circa|approximately|approx\.?|about|c\.)\s+", re.IGNORECASE)


def _year_range(first: int, last: int) -> list[str]:
    """The years ``first`` to ``last`` (both ends listed; only the ends when the span is implausibly wide)."""
    if last <= first:
        return [str(first)]
    if last - first > MAX_BIRTH_RANGE_YEARS:
        return [str(first), str(last)]
    return [str(year) for year in range(first, last + 1)]


def _birth_part(text: str) -> tuple[str, int | None] | None:
    """One date of a statement as written ("10 Jul 1969", "Feb 1943", "1947"; a month alone, "Aug.", as in the
    UN's "Between Aug. and Sep. 1977") and its year (None for a month alone); None when it is no date."""
    iso = _ISO_DATE.fullmatch(text.strip())
    if iso:  # the UN's and the EU's 1979-03-03 (a year-month too)
        return (iso.group(0), int(iso.group(1))) if 1 <= int(iso.group(2)) <= 12 else None
    found = _BIRTH_PART.fullmatch(text.strip())
    if found is None:
        return None
    day, month, year, month_only = found.groups()
    month = month or month_only
    if month is not None and not any(name.startswith(month.lower()) for name in _MONTH_NAMES):
        return None  # "Jul", "July", "Sept" are months; another word is no date
    if day is not None and (month is None or not 1 <= int(day) <= 31):
        return None
    return text.strip().rstrip("."), int(year) if year else None


def read_birth_statement(statement: str) -> tuple[str, ...] | None:
    """A birth-date statement as the birth dates the matcher compares, or None when it cannot be read.

    A date is kept as written ("10 Jul 1969", "Feb 1943", "1947"); a range ("1951 to 1953", "01 Jan 1961 to 31 Dec
    1962", "Mar 1959 to Mar 1960", "1979-1982", "Between Aug. and Sep. 1977") lists its start as written and every
    later year of it (:data:`MAX_BIRTH_RANGE_YEARS`); an approximate one ("circa 1960", "circa 1979-1982") is one
    entry that says so and names each year it agrees with, :data:`CIRCA_YEARS` either side ("circa 1960 (years
    1959, 1960, 1961)")."""
    text = " ".join(statement.split()).rstrip(".").strip()
    circa = _CIRCA.match(text)
    if circa:
        text = text[circa.end():]
    if text.lower().startswith("between "):
        text = text[len("between "):]
    parts = re.split(r"\s+(?:to|and)\s+|\s*[-\u2013]\s*(?=\d{4}$|(?:[A-Za-z]{3,9}\.?\s+)?\d{4}$)", text)
    if len(parts) > 2:
        return None
    read = [_birth_part(p) for p in parts]
    if any(r is None for r in read):
        return None
    dates = [r for r in read if r is not None]
    years = [y for _, y in dates]
    if years[-1] is None:
        return None
    if years[0] is None:  # "Aug. and Sep. 1977": the first month is of the second's year
        dates[0] = (f"{dates[0][0]} {years[-1]}", years[-1])
        years[0] = years[-1]
    first, last = years[0], years[-1]
    assert first is not None and last is not None
    if last < first:
        return None
    if not circa:
        return (dates[0][0], *_year_range(first, last)[1:])
    span = _year_range(first - CIRCA_YEARS, last + CIRCA_YEARS)
    return (f"circa {text} (years {', '.join(span)})",)


def _ofac_births(remarks: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The birth dates an SDN row's remarks state (see :func:`read_birth_statement`) and the "DOB ..." statements
    that could not be read, as written."""
    births: list[str] = []
    unread: list[str] = []
    for statement in _OFAC_DOB.findall(remarks):
        read = read_birth_statement(statement)
        if read is None:
            unread.append(f"DOB {statement.strip()}")
        else:
            births += read
    return tuple(dict.fromkeys(births)), tuple(unread)


def _unread_births(path: Path, row: int, field: str, entity: str, unread: Sequence[str],
                   problems: list[Problem]) -> None:
    """The problem line for birth-date statements not read: the entity's other birth dates are not compared
    either, since a stated birth year matching only an unread statement would otherwise be penalised."""
    problems.append(Problem.at(
        f"{entity}: birth date{'s' if len(unread) > 1 else ''} {'; '.join(repr(u) for u in unread)} not read, so none "
        "of its birth dates is compared (a birth date given when screening neither lowers nor raises its score)",
        file=str(path), row=row, field=field, severity="warning"))


_OFAC_GENDER = re.compile(r"\bGender (Male|Female)\b")


def ofac_gender(remarks: str) -> str:
    """The gender an SDN row's remarks state ("Gender Male", "Gender Female"), "male" or "female"; "" when they
    state none, or both (never guessed)."""
    stated = {g.lower() for g in _OFAC_GENDER.findall(remarks)}
    return stated.pop() if len(stated) == 1 else ""


_OFAC_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;]+?)\s*(?:;|\.(?:\s|$)|$)")


def ofac_countries(remarks: str) -> tuple[str, ...]:
    """The countries an SDN row's remarks state as a nationality or citizenship ("nationality Korea, North;",
    "citizen Iran;"), as ISO3 codes in the order stated; a hedged one ("possibly Palestinian") is not read."""
    from pinchpoint.kernel.countries import from_name

    return tuple(dict.fromkeys(code for label in _OFAC_NATIONALITY.findall(remarks)
                               if not label.lower().startswith("possibly") and (code := from_name(label))))


def read_stored(payload: bytes | str) -> ScreeningList:
    """A list as the workspace stores it (its JSON), with what an earlier pinchpoint did not read from the list's
    own text read now (OFAC persons' gender from the remarks), so a list loaded before needs no reloading and a
    new version is not reported as changing every such record."""
    from pinchpoint.workspace.collections import sha256_16

    digest = sha256_16(payload if isinstance(payload, bytes) else payload.encode())
    lst = ScreeningList.model_validate_json(payload).model_copy(update={"digest": digest})
    if lst.list_name != "OFAC SDN":
        return lst
    upgraded = [e.model_copy(update={"gender": gender}) if e.type is EntityType.PERSON and not e.gender and
                (gender := ofac_gender(e.listing_reason)) else e for e in lst.entities]
    upgraded = [e.model_copy(update={"countries": countries}) if not e.countries and
                (countries := ofac_countries(e.listing_reason)) else e for e in upgraded]
    if all(a is b for a, b in zip(upgraded, lst.entities, strict=True)):
        return lst
    return lst.model_copy(update={"entities": tuple(upgraded)})


_UN_DATE_TYPES = ("EXACT", "APPROXIMATELY", "BETWEEN", "")


def _un_births(node: Element) -> tuple[str, ...] | None:
    """A UN birth date (:func:`read_birth_statement`'s forms): its DATE or YEAR, for TYPE_OF_DATE BETWEEN the years
    FROM_YEAR to TO_YEAR, else what its NOTE says ("Nov. 1973", "Between Aug. and Sep. 1977"); approximate when
    TYPE_OF_DATE is APPROXIMATELY or the NOTE says "Approximately". None when it states something not read (a
    Hijri date, "30-35 years old"); () when it states nothing."""
    def text(tag: str) -> str:
        return " ".join((node.findtext(tag) or "").split())

    kind, note = text("TYPE_OF_DATE").upper(), text("NOTE")
    circa = "circa " if kind == "APPROXIMATELY" or note.lower().startswith("approx") else ""
    first, last = text("FROM_YEAR"), text("TO_YEAR")
    if kind not in _UN_DATE_TYPES:
        return None  # BEFORE, AFTER...: not a date or range the matcher can compare
    if text("DATE") or text("YEAR"):
        statement = text("DATE") or text("YEAR")
    elif first or last:
        statement = f"{first} to {last}" if first and last else first or last
    elif note:
        statement = note
    else:
        return ()
    return read_birth_statement(circa + statement)


def _lines(text: str, end: int) -> Iterator[str]:
    """``text[:end]`` line by line, without copying it whole (a list file may be 100 MB)."""
    start = 0
    while start < end:
        newline = text.find("\n", start, end)
        stop = end if newline < 0 else newline + 1
        yield text[start:stop]
        start = stop


def _ofac_rows(path: Path, text: str, n_fields: int, what: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of an OFAC legacy CSV, which ends with the end-of-file mark 0x1A: without it, or with a row
    short of ``n_fields``, the file was cut short."""
    end = len(text)
    while end and text[end - 1] in " \t\r\n":
        end -= 1
    if not end or text[end - 1] != "\x1a":
        raise DataError(f"no end-of-file mark (0x1A) after the last row: the {what} file is cut short "
                        f"(or not OFAC's legacy CSV)", file=str(path), row=max(1, text.count("\n", 0, end) + 1))
    reader = csv.reader(_lines(text, end - 1))
    try:
        for row in reader:
            if not row:
                continue
            if len(row) < n_fields:
                raise DataError(f"{len(row)} of the {what} file's {n_fields} fields: the row is cut short",
                                file=str(path), row=reader.line_num)
            yield reader.line_num, row
    except csv.Error as exc:
        raise DataError(f"unreadable CSV: {exc}", file=str(path), row=reader.line_num) from None


def load_ofac(sdn: Path, alt: Path | None = None, version: str | None = None,
              max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """OFAC SDN legacy CSV (``-0-`` for empty, ends with 0x1A): ent_num, name, type, programme, ..., remarks;
    alternate names from OFAC's ``alt.csv`` when given. Rows are read as a stream, and a verbatim repeat of a row
    is counted as a duplicate without being built again, so a file of repeated rows costs no more than its
    distinct rows."""
    text, encoding = decode_text(sdn, read_bytes(sdn, max_bytes))
    if version is None:
        version = name_version(sdn)  # the legacy CSV holds no date
    if _OFAC_ALT_ROW.match(text):
        raise DataError("this is OFAC's alternate-names file: load the SDN file (its alt file is read with it)",
                        file=str(sdn))
    rows = _ofac_rows(sdn, text, _OFAC_SDN_FIELDS, "SDN")
    problems: list[Problem] = []
    dropped = 0
    aliases: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)  # ent_num -> alt_num -> (row, name)
    alt_repeats = 0
    if alt is None:
        problems.append(Problem.at(f"{NO_ALT_FILE}: the list holds each entity's primary name only, none of OFAC's "
                                   "aliases (aka, fka, nka); put OFAC's alt.csv beside the SDN file",
                                   file=str(sdn), severity="warning"))
    else:
        alt_text, _ = decode_text(alt, read_bytes(alt, max_bytes))
        for n, row in _ofac_rows(alt, alt_text, _OFAC_ALT_FIELDS, "alternate-names"):
            if not _blank(row[3]):
                problems.append(Problem.at("missing", file=str(alt), row=n, field="alt_name"))
                continue
            known = aliases[row[0].strip()]
            if row[1].strip() in known:
                alt_repeats += 1
                continue
            known[row[1].strip()] = (n, _blank(row[3]))
        del alt_text
        if alt_repeats:
            problems.append(Problem.at(f"{alt_repeats} rows repeat an alternate name already read (same ent_num "
                                       "and alt_num); each is read once", file=str(alt), severity="warning"))
    records = []
    first_rows: dict[str, list[str]] = {}
    n_rows = repeats = 0
    for n, row in rows:
        n_rows += 1
        ent = row[0].strip()
        if first_rows.get(ent) == row:
            repeats += 1
            continue
        first_rows.setdefault(ent, row)
        if not _blank(row[1]):
            problems.append(Problem.at("missing", file=str(sdn), row=n, field="SDN_Name"))
            dropped += 1
            continue
        kind = _OFAC_TYPES.get(_blank(row[2]).lower(), EntityType.ORGANISATION)
        remarks = _blank(row[11])
        names = [Name(text=_blank(row[1]))] + [Name(text=a, kind=NameKind.ALIAS)
                                               for _, a in aliases.get(ent, {}).values()]
        births, unread = _ofac_births(remarks)
        if unread:  # a partial set would penalise a birth year only the unread statement holds
            _unread_births(sdn, n, "Remarks", f"ofac-{ent}", unread, problems)
            births = ()
        records.append((n, ListedEntity(entity_id=f"ofac-{ent}", list_name="OFAC SDN", list_version=version,
                                        type=kind, names=tuple(names),
                                        programmes=tuple(p.strip() for p in re.split(r"\]\s*\[", _blank(row[3]))
                                                         if p.strip()),
                                        birth_dates=births, listing_reason=remarks,
                                        countries=ofac_countries(remarks),
                                        gender=ofac_gender(remarks) if kind is EntityType.PERSON else "")))
    orphans = [a for ent, found in aliases.items() if ent not in first_rows for a in found.values()]
    if orphans:
        problems.append(Problem.at(f"{len(orphans)} alternate names belong to entities the SDN file does not hold "
                                   f"(first: row {min(n for n, _ in orphans)}); are the two files of the same date?",
                                   file=str(alt)))
    return _finish("OFAC SDN", version, sdn, encoding, records, n_records=n_rows, problems=problems,
                   dropped=dropped, duplicates=repeats)


def load_un(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """The UN Security Council consolidated list (XML, root ``CONSOLIDATED_LIST``)."""
    import xml.etree.ElementTree as ET

    data = read_bytes(path, max_bytes)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise DataError(f"not well-formed XML (cut short, or not XML): {exc}", file=str(path), row=line) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise DataError(f"not the UN consolidated list: the root element is <{root.tag[:60]}>, not "
                        "<CONSOLIDATED_LIST>", file=str(path))
    declared = re.match(rb"<\?xml[^>]*encoding=[\"']([\w.-]+)", data.lstrip(b"\xef\xbb\xbf"))
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    version = (root.get("dateGenerated") or "")[:10]
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    n_records = dropped = 0
    for tag, kind in (("INDIVIDUALS/INDIVIDUAL", EntityType.PERSON), ("ENTITIES/ENTITY", EntityType.ORGANISATION)):
        for n, node in enumerate(root.findall(tag), start=1):
            n_records += 1
            parts = [(node.findtext(f) or "").strip() for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                                                "FOURTH_NAME")]
            primary = " ".join(p for p in parts if p)
            reference = (node.findtext("REFERENCE_NUMBER") or node.findtext("DATAID") or "").strip()
            if not primary or not reference:
                field = "FIRST_NAME" if not primary else "REFERENCE_NUMBER"
                problems.append(Problem.at("missing", file=str(path), row=n, field=field, unit=tag.split("/")[1]))
                dropped += 1
                continue
            names = [Name(text=primary)]
            original = (node.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
            if original:
                names.append(Name(text=original, kind=NameKind.ORIGINAL))
            for alias in node.findall("INDIVIDUAL_ALIAS") + node.findall("ENTITY_ALIAS"):
                a = (alias.findtext("ALIAS_NAME") or "").strip()
                if a:
                    names.append(Name(text=a, kind=NameKind.ALIAS))
            countries = {c for c in (_country(v.text or "") for v in node.findall("NATIONALITY/VALUE")) if c}
            stated = [(d, _un_births(d)) for d in node.findall("INDIVIDUAL_DATE_OF_BIRTH")]
            unread = [" ".join(" ".join(d.itertext()).split()) for d, read in stated if read is None]
            births = tuple(sorted({b for _, read in stated for b in read or ()}))
            if unread:  # a partial set would penalise a birth year only the unread statement holds
                _unread_births(path, n, "INDIVIDUAL_DATE_OF_BIRTH", f"un-{reference}", unread, problems)
                births = ()
            records.append((n, ListedEntity(
                entity_id=f"un-{reference}", list_name="UN Security Council Consolidated List",
                list_version=version, type=kind, names=tuple(names), countries=tuple(sorted(countries)),
                birth_dates=births, programmes=((node.findtext("UN_LIST_TYPE") or "").strip(),),
                listing_reason=" ".join((node.findtext("COMMENTS1") or "").split()),
                gender=(node.findtext("GENDER") or "").strip().lower())))
    return _finish("UN Security Council Consolidated List", version, path, encoding, records, n_records=n_records,
                   problems=problems, dropped=dropped)


_PAREN_ORIGINAL = re.compile(r"[（(]([^()（）]*[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af][^()（）]*)[)）]")


def load_meti(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """METI End User List: No., country, company name (original script in parentheses), aliases ('・' bullets)."""
    from pinchpoint.sources.zipcap import open_workbook

    version = name_version(path)  # the spreadsheet holds no date of its own
    try:
        # the cap applies to what the workbook unzips to, checked before it is parsed
        book = open_workbook(read_bytes(path, max_bytes), str(path), max_bytes=max_bytes, option="max_bytes")
        rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    except DataError:
        raise
    except Exception as exc:  # calamine's own error types
        raise DataError(f"cannot read as a spreadsheet: {exc}", file=str(path)) from None
    header = " ".join(str(c) for c in rows[0]) if rows else ""
    if "Company" not in header:
        raise DataError("not METI's End User List: no 'Company or Organization' column in the first row",
                        file=str(path), row=1)
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    n_records = dropped = 0
    for n, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row]
        if not any(cells):
            continue
        n_records += 1
        if len(cells) < 3 or not cells[2] or not cells[0]:
            field = "No." if len(cells) >= 3 and cells[2] else "Company or Organization"
            problems.append(Problem.at("missing", file=str(path), row=n, field=field))
            dropped += 1
            continue
        raw = cells[2]
        names = []
        for m in _PAREN_ORIGINAL.finditer(raw):
            names.append(Name(text=m.group(1).strip(), kind=NameKind.ORIGINAL))
        primary = _PAREN_ORIGINAL.sub("", raw).strip()
        names.insert(0, Name(text=primary or raw))
        for alias in re.split(r"[\n・]+", cells[3] if len(cells) > 3 else ""):
            a = alias.strip()
            if a:
                originals = [x.group(1).strip() for x in _PAREN_ORIGINAL.finditer(a)]
                base = _PAREN_ORIGINAL.sub("", a).strip()
                if base:
                    names.append(Name(text=base, kind=NameKind.ALIAS))
                names.extend(Name(text=o, kind=NameKind.ORIGINAL) for o in originals)
        country = _country(cells[1]) if len(cells) > 1 else None
        number = cells[0].removesuffix(".0")
        records.append((n, ListedEntity(entity_id=f"meti-{number}", list_name="METI End User List",
                                        list_version=version, type=EntityType.ORGANISATION, names=tuple(names),
                                        countries=(country,) if country else (),
                                        programmes=(cells[4].replace("\n", " "),) if len(cells) > 4 else ())))
    return _finish("METI End User List", version, path, "xlsx", records, n_records=n_records, problems=problems,
                   dropped=dropped)


def load_dpl(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """BIS Denied Persons List, legacy tab-separated format with a header row. It has no ids: an entry's id is a
    digest of its name, address and effective date, so it stays the same when rows move between versions."""
    text, encoding = decode_text(path, read_bytes(path, max_bytes))
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise DataError(f"unreadable header: {exc}", file=str(path), row=1) from None
    if "Name" not in header:
        raise DataError("missing column 'Name'", file=str(path), row=1, field="Name")
    version = name_version(path)  # the legacy text holds no date of its own
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    n_records = dropped = 0
    try:
        for cells in reader:
            n = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            n_records += 1
            if len(cells) < len(header):
                raise DataError(f"{len(cells)} of the header's {len(header)} fields: the row is cut short",
                                file=str(path), row=n)
            if len(cells) > len(header):
                problems.append(Problem.at(f"{len(cells)} fields, the header has {len(header)}; the extra fields are "
                                           "ignored", file=str(path), row=n, severity="warning"))
            row = dict(zip(header, cells, strict=False))
            name = row["Name"].strip()
            if not name:
                problems.append(Problem.at("missing", file=str(path), row=n, field="Name"))
                dropped += 1
                continue
            country = (row.get("Country") or "").strip()
            iso = from_name(country) if country else None
            address = ", ".join(x.strip() for x in (row.get("Street_Address"), row.get("City"), row.get("State"),
                                                     country) if x and x.strip())
            key = "\t".join((name, address, (row.get("Effective_Date") or "").strip()))
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            records.append((n, ListedEntity(entity_id=f"dpl-{digest}", list_name="BIS Denied Persons List",
                                            list_version=version, names=(Name(text=name),),
                                            countries=(iso,) if iso else (),
                                            addresses=(address,) if address else (),
                                            programmes=("Denied Persons List",),
                                            listing_reason=" ".join(f"{label}: {v}" for label, v in (
                                                ("Federal Register", (row.get("FR_Citation") or "").strip()),
                                                ("effective", (row.get("Effective_Date") or "").strip()))
                                                if v))))
    except csv.Error as exc:
        raise DataError(f"unreadable row: {exc}", file=str(path), row=reader.line_num) from None
    return _finish("BIS Denied Persons List", version, path, encoding, records, n_records=n_records,
                   problems=problems, dropped=dropped)


_FTM_TYPES = {"Person": EntityType.PERSON, "Organization": EntityType.ORGANISATION, "Company": EntityType.ORGANISATION,
              "LegalEntity": EntityType.ORGANISATION, "Vessel": EntityType.VESSEL, "Airplane": EntityType.AIRCRAFT}


def _strings(props: dict[str, Any], key: str) -> list[str]:
    values = props.get(key, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(key)
    return [v for v in values if v.strip()]


def load_ftm(path: Path, list_name: str = "FollowTheMoney entities",
             max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """FollowTheMoney JSON lines: one entity object a line; records without names (sanctions, ownership,
    other relations) are skipped by design. The version is the date of the newest ``last_change``."""
    text, encoding = decode_text(path, read_bytes(path, max_bytes))
    lines = text.splitlines()
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    n_records = dropped = skipped = 0
    sanctions: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))  # entity: programmes, reasons
    newest = ""  # the version: the date of the newest change the records carry (FtM's last_change)
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        n_records += 1
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines) and not text.endswith("\n"):
                raise DataError(f"the last line is cut short ({exc.msg})", file=str(path), row=n) from None
            problems.append(Problem.at(exc.msg, file=str(path), row=n, field="json"))
            dropped += 1
            continue
        except RecursionError:
            problems.append(Problem.at("nested too deeply", file=str(path), row=n, field="json"))
            dropped += 1
            continue
        if not isinstance(doc, dict):
            problems.append(Problem.at(f"a JSON {type(doc).__name__}, not an entity object", file=str(path), row=n))
            dropped += 1
            continue
        changed = doc.get("last_change")
        if isinstance(changed, str) and re.match(r"\d{4}-\d{2}-\d{2}", changed):
            newest = max(newest, changed[:10])
        props = doc.get("properties") or {}
        schema = doc.get("schema")
        entity_id = doc.get("id")
        try:
            if not isinstance(props, dict):
                raise TypeError("properties")
            all_names = _strings(props, "name")
            aliases = _strings(props, "alias")
            country_names = _strings(props, "country") + _strings(props, "nationality")
            births = _strings(props, "birthDate")
            genders = _strings(props, "gender")
        except TypeError as exc:
            problems.append(Problem.at("not a list of strings", file=str(path), row=n, field=str(exc)))
            dropped += 1
            continue
        if schema == "Sanction":
            # a sanction names the entity it lists (``entity``) and says under which programme and why
            try:
                for target in _strings(props, "entity"):
                    sanctions[target][0].extend(_strings(props, "program") or _strings(props, "authority"))
                    sanctions[target][1].extend(_strings(props, "reason") or _strings(props, "summary"))
            except TypeError as exc:
                problems.append(Problem.at("not a list of strings (the sanction's programme or reason is not read)",
                                           file=str(path), row=n, field=str(exc), severity="warning"))
        if not all_names and not aliases:
            if schema in _FTM_TYPES:
                problems.append(Problem.at("missing", file=str(path), row=n, field="name"))
                dropped += 1
            else:
                skipped += 1  # relationship records (sanctions, ownership) carry no names
            continue
        if not isinstance(entity_id, str | int) or not str(entity_id).strip():
            problems.append(Problem.at("missing", file=str(path), row=n, field="id"))
            dropped += 1
            continue
        names = [Name(text=t) for t in all_names[:1]]
        names += [Name(text=t, kind=NameKind.ALIAS) for t in all_names[1:] + aliases]
        countries = {c for c in (from_name(x.upper()) for x in country_names) if c}
        records.append((n, ListedEntity(entity_id=str(entity_id), list_name=list_name, list_version="",
                                        type=_FTM_TYPES.get(str(schema), EntityType.UNKNOWN), names=tuple(names),
                                        countries=tuple(sorted(countries)), birth_dates=tuple(births),
                                        gender=genders[0].lower() if genders else "")))

    def listed(e: ListedEntity) -> dict[str, Any]:
        programmes, reasons = sanctions.get(e.entity_id, ([], []))
        return {"list_version": newest, "programmes": tuple(dict.fromkeys(programmes)),
                "listing_reason": "; ".join(dict.fromkeys(" ".join(r.split()) for r in reasons))}

    records = [(n, e.model_copy(update=listed(e))) for n, e in records]
    return _finish(list_name, newest, path, encoding, records, n_records=n_records, problems=problems,
                   dropped=dropped, skipped=skipped)


def load_list(path: str | Path, alt: str | Path | None = None, max_bytes: int = MAX_LIST_BYTES,
              source: str | None = None, version: str | None = None) -> ScreeningList:
    """Read a list file (gzip-compressed or not) with the list source named, or the one detected
    (:mod:`pinchpoint.sources`, kind ``list``); ``alt`` is OFAC's alternate-names file.

    The version is the date the file's content states (the UN's ``dateGenerated``, the EU's ``generationDate``, the
    UK list's title, FtM's newest ``last_change``), else the date its name gives (:func:`name_version`): OFAC's
    legacy CSV, METI's and BIS's files hold none. ``version`` labels a file whose content states no date (a name's
    date included); one that differs from the date the content states is an error, not a relabelling."""
    from pinchpoint import sources

    options: dict[str, Any] = {"max_bytes": max_bytes}
    if alt is not None:
        options["alt"] = alt
    found: ScreeningList = sources.read(Path(path), source=source, kind="list", **options)
    if version is None:
        return found
    label = " ".join(version.split())
    if not label or len(label) > MAX_VERSION_CHARS or not label.isprintable():
        raise DataError(f"version {version[:60]!r} is not a version label (1 to {MAX_VERSION_CHARS} printable "
                        "characters, such as the download's date 2024-05-19)", file=str(path), option="version")
    if found.version and found.version not in (label, name_version(Path(path))):
        raise DataError(f"the file states its own version, {found.version}; version {label!r} differs (a version "
                        "labels only a file whose content holds no date)", file=str(path), option="version")
    return found.model_copy(update={"version": label, "entities": tuple(
        e.model_copy(update={"list_version": label}) for e in found.entities)})
