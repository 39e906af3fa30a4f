"""Loaders for three published government lists, written from their published formats:

* the U.S. **Consolidated Screening List** (trade.gov; CSV or JSON): the export screening lists of Commerce
  (Entity List, Military End-User List, Unverified List, Denied Persons), State (ITAR debarred, nonproliferation
  sanctions) and the Treasury (SDN and the non-SDN lists) in one file, one record per listed party. The CSV's
  columns are ``_id, source, entity_number, type, programs, name, title, addresses, federal_register_notice,
  start_date, end_date, standard_order, license_requirement, license_policy, call_sign, vessel_type,
  gross_tonnage, gross_registered_tonnage, vessel_flag, vessel_owner, remarks, source_list_url, alt_names,
  citizenships, dates_of_birth, nationalities, places_of_birth, source_information_url, ids``; several values in
  one cell are separated by "; ", and an address ends with its country's ISO 3166 alpha-2 code. The JSON file
  (``{"results": [...]}``) has the same keys, with lists and address objects;
* the **EU Financial Sanctions File** (XML, schema ``http://eu.europa.ec/fpi/fsd/export``): ``sanctionEntity``
  elements (``logicalId``, ``euReferenceNumber``, ``designationDate``) holding ``regulation`` (``programme``,
  ``numberTitle``, ``publicationDate``), ``subjectType`` (``code`` person / enterprise), ``nameAlias``
  (``wholeName``, ``gender``, ``strong``), ``citizenship`` and ``address`` (``countryIso2Code``), ``birthdate``
  (``birthdate`` or ``year``), ``identification`` (``number``, ``identificationTypeDescription``) and ``remark``;
* the **UK Sanctions List** (FCDO; CSV): a title row ("Report Date: ..."), then a header; one row per name of a
  designation, grouped by ``Unique ID``: ``Name 6`` (the family or entity name) and ``Name 1``-``Name 5``,
  ``Name type`` (Primary Name / Alias), ``Name non-latin script``, ``Regime Name``, ``Designation Type``
  (Individual / Entity / Ship), ``UK Statement of Reasons``, ``Other Information``, ``Address Country``,
  ``D.O.B``, ``Nationality(/ies)``, ``Gender``, ``Date Designated``. OFSI's older Consolidated List CSV (``Group
  ID``, ``Group Type``, ``Alias Type``, ``Regime``, ``DOB``, ``Country``, ``Listed On``) is read the same way.

Every record is kept (an entity, a duplicate folded into its id, or a problem naming file, row and field).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError, Problem
from pinchpoint.kernel.countries import from_name, normalise_country
from pinchpoint.screening.loaders import MAX_LIST_BYTES, _finish, decode_text, read_bytes
from pinchpoint.screening.model import EntityType, ListedEntity, Name, NameKind, ScreeningList

CSL_NAME = "U.S. Consolidated Screening List"
EU_NAME = "EU Financial Sanctions File"
UK_NAME = "UK Sanctions List"
CSL_COLUMNS = ("_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
               "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
               "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
               "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
               "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids")
CSL_REQUIRED = ("source", "name")
_CSL_TYPES = {"individual": EntityType.PERSON, "entity": EntityType.ORGANISATION, "vessel": EntityType.VESSEL,
              "aircraft": EntityType.AIRCRAFT}


def _version_from(path: Path, dates: list[str]) -> str:
    """The version a file names (a date in its name), else the newest date its records carry."""
    if m := re.search(r"(\d{4})-?(\d{2})-?(\d{2})", path.name):
        return "".join(m.groups())
    return max((d[:10] for d in dates if re.match(r"\d{4}-\d{2}-\d{2}", d)), default="")


def _country(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    code = normalise_country(text) if len(text) in (2, 3) else None
    return code or from_name(text)


def _split(value: Any) -> list[str]:
    """A CSL cell's values: a list (JSON) or text separated by "; " (CSV)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(";") if v.strip()]


def _csl_address(value: Any) -> tuple[str, str | None]:
    """An address as text and the country it ends with (an ISO alpha-2 code in the CSV, a field in the JSON)."""
    if isinstance(value, dict):
        parts = [str(value.get(k) or "").strip() for k in ("address", "city", "state", "postal_code", "country")]
        return ", ".join(p for p in parts if p), _country(str(value.get("country") or ""))
    text = str(value).strip()
    last = text.rsplit(",", 1)[-1].strip()
    return text, _country(last) if re.fullmatch(r"[A-Z]{2}", last) else None


def _csl_entity(record: dict[str, Any], version: str) -> ListedEntity:
    source = str(record.get("source") or "").strip()
    name = str(record.get("name") or "").strip()
    addresses, countries = [], []
    raw_addresses = record.get("addresses")
    for value in (raw_addresses if isinstance(raw_addresses, list) else _split(raw_addresses)):
        text, country = _csl_address(value)
        if text:
            addresses.append(text)
        if country:
            countries.append(country)
    for value in _split(record.get("nationalities")) + _split(record.get("citizenships")):
        if code := _country(value):
            countries.append(code)
    ids = record.get("ids")
    identifiers = [", ".join(str(v) for v in i.values() if v) if isinstance(i, dict) else str(i)
                   for i in (ids if isinstance(ids, list) else _split(ids))]
    key = str(record.get("_id") or record.get("id") or "").strip()
    if not key:  # no id in the file: a digest of what names the record
        key = hashlib.sha256("\t".join((source, name, *addresses)).encode()).hexdigest()[:12]
    reason = "; ".join(f"{label}: {v}" for label, v in (
        ("Federal Register", record.get("federal_register_notice")), ("license requirement",
                                                                      record.get("license_requirement")),
        ("license policy", record.get("license_policy")), ("listed", record.get("start_date")),
        ("remarks", record.get("remarks"))) if v and str(v).strip())
    short = m.group(1) if (m := re.search(r"\(([A-Z-]+)\)", source)) else source
    return ListedEntity(
        entity_id=f"csl-{key}", list_name=CSL_NAME, list_version=version,
        type=_CSL_TYPES.get(str(record.get("type") or "").strip().lower(), EntityType.UNKNOWN),
        names=(Name(text=name), *(Name(text=a, kind=NameKind.ALIAS) for a in _split(record.get("alt_names"))
                                  if a != name)),
        countries=tuple(dict.fromkeys(countries)), birth_dates=tuple(_split(record.get("dates_of_birth"))),
        identifiers=tuple(i for i in identifiers if i), addresses=tuple(addresses),
        programmes=tuple(dict.fromkeys([p for p in (source, short) if p] + _split(record.get("programs")))),
        listing_reason=reason)


def _csl_records(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not readable as JSON: {exc.msg}", file=str(path), row=exc.lineno) from None
        except RecursionError:  # the parser's stack, under 1,000 levels: the CSL nests 3
            raise DataError("not readable as JSON: nested too deeply to be the Consolidated Screening List",
                            file=str(path)) from None
        results = doc.get("results") if isinstance(doc, dict) else doc
        if not isinstance(results, list):
            raise DataError("no 'results' list (the CSL JSON holds its records there)", file=str(path),
                            field="results")
        for k, record in enumerate(results, start=1):
            yield k, record if isinstance(record, dict) else {"_not_an_object": record}
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in CSL_REQUIRED if c not in header]
    if missing:
        raise DataError(f"missing column {missing[0]!r} (a CSL CSV has {', '.join(CSL_COLUMNS[:8])}, ...; found "
                        f"{', '.join(header[:8]) or 'nothing'})", file=str(path), row=1, field=missing[0])
    try:
        for record in reader:
            if None in record:  # more fields than the header
                yield reader.line_num, {**record, "_extra": record.pop(None)}
            else:
                yield reader.line_num, record
    except csv.Error as exc:
        raise DataError(f"unreadable row: {exc}", file=str(path), row=reader.line_num) from None


def load_csl(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """The U.S. Consolidated Screening List, CSV or JSON (see the module). Each record keeps its source list
    (Entity List, MEU, Unverified, SDN...) and programmes as ``programmes``, and its Federal Register citation,
    licence requirement and policy, listing date and remarks as ``listing_reason``."""
    text, encoding = decode_text(path, read_bytes(path, max_bytes))
    rows = list(_csl_records(path, text))
    dates = [str(r.get("start_date") or "") for _, r in rows]
    version = _version_from(path, dates)
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    dropped = 0
    last_line = len(text.splitlines())
    for n, record in rows:
        if "_not_an_object" in record:
            problems.append(Problem.at("not a record object", file=str(path), row=n))
            dropped += 1
            continue
        if "_extra" in record:
            problems.append(Problem.at("more fields than the header; the extra fields are ignored", file=str(path),
                                       row=n, severity="warning"))
        if None in record.values() and not text.lstrip().startswith(("{", "[")):  # fewer fields than the header
            if n >= last_line and not text.endswith(("\n", "\r")):
                raise DataError("the file ends inside this row (fewer fields than the header): it looks cut short",
                                file=str(path), row=n)
            problems.append(Problem.at("fewer fields than the header; the missing ones read as blank",
                                       file=str(path), row=n, severity="warning"))
        if not str(record.get("name") or "").strip():
            problems.append(Problem.at("missing", file=str(path), row=n, field="name"))
            dropped += 1
            continue
        if not str(record.get("source") or "").strip():
            problems.append(Problem.at("missing (which list the record comes from)", file=str(path), row=n,
                                       field="source"))
            dropped += 1
            continue
        records.append((n, _csl_entity(record, version)))
    return _finish(CSL_NAME, version, path, encoding, records, n_records=len(rows), problems=problems,
                   dropped=dropped)


# EU Financial Sanctions File ----------------------------------------------------------------------------------------
_EU_TYPES = {"person": EntityType.PERSON, "enterprise": EntityType.ORGANISATION}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def load_eu_fsf(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """The EU's consolidated Financial Sanctions File (XML, see the module). Programmes are the regulations'
    programme codes and numbers; the listing reason is the entity's remark and designation details."""
    data = read_bytes(path, max_bytes)
    if b"<!DOCTYPE" in data[:2000] or b"<!ENTITY" in data[:2000]:
        raise DataError("XML with a document type declaration is refused (entity expansion)", file=str(path))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, _ = exc.position
        what = "cut short" if "no element found" in str(exc) or "unclosed token" in str(exc) else "not well-formed"
        raise DataError(f"XML {what}: {exc}", file=str(path), row=line) from None
    if _local(root.tag) != "export":
        raise DataError(f"root element {_local(root.tag)!r}, expected 'export' (the EU Financial Sanctions "
                        "File)", file=str(path), row=1)
    generated = (root.get("generationDate") or "")[:10]
    version = generated.replace("-", "") if generated else _version_from(path, [])
    records: list[tuple[int, ListedEntity]] = []
    problems: list[Problem] = []
    entities = _children(root, "sanctionEntity")
    dropped = 0
    for k, element in enumerate(entities, start=1):
        where = f"sanctionEntity {k}"
        logical = (element.get("logicalId") or "").strip()
        names: list[Name] = []
        genders: list[str] = []
        for alias in _children(element, "nameAlias"):
            whole = " ".join((alias.get("wholeName") or "").split())
            if not whole:
                whole = " ".join(p for p in (alias.get("firstName"), alias.get("middleName"), alias.get("lastName"))
                                 if p and p.strip())
            if whole and whole not in {n.text for n in names}:
                names.append(Name(text=whole, kind=NameKind.PRIMARY if not names else NameKind.ALIAS))
            if (g := (alias.get("gender") or "").upper()) in ("M", "F"):
                genders.append("male" if g == "M" else "female")
        if not logical:
            problems.append(Problem.at("missing", file=str(path), row=k, field="logicalId"))
            dropped += 1
            continue
        if not names:
            problems.append(Problem.at(f"{where} (logicalId {logical}) has no nameAlias with a name", file=str(path),
                                       row=k, field="nameAlias"))
            dropped += 1
            continue
        subject = next(iter(_children(element, "subjectType")), None)
        code = (subject.get("code") or "").lower() if subject is not None else ""
        countries = [c for c in (_country(e.get("countryIso2Code") or "") or _country(e.get("countryDescription")
                                                                                        or "")
                                 for e in _children(element, "citizenship") + _children(element, "address")) if c]
        births = [b.get("birthdate") or b.get("year") or "" for b in _children(element, "birthdate")]
        addresses = [", ".join(v for v in (a.get("street"), a.get("poBox"), a.get("city"), a.get("zipCode"),
                                           a.get("region"), a.get("countryDescription")) if v and v.strip())
                     for a in _children(element, "address")]
        identifiers = [" ".join(v for v in (i.get("identificationTypeDescription") or i.get("identificationTypeCode"),
                                            i.get("number"), i.get("countryIso2Code")) if v and v.strip())
                       for i in _children(element, "identification")]
        programmes = []
        for regulation in _children(element, "regulation"):
            programmes += [v for v in (regulation.get("programme"), regulation.get("numberTitle")) if v]
        remarks = [" ".join((r.text or "").split()) for r in _children(element, "remark")]
        reason = "; ".join(v for v in (element.get("designationDetails"), *remarks,
                                       f"EU reference {element.get('euReferenceNumber')}"
                                       if element.get("euReferenceNumber") else "",
                                       f"designated {element.get('designationDate')}"
                                       if element.get("designationDate") else "") if v and v.strip())
        records.append((k, ListedEntity(
            entity_id=f"eu-{logical}", list_name=EU_NAME, list_version=version,
            type=_EU_TYPES.get(code, EntityType.UNKNOWN), names=tuple(names),
            countries=tuple(dict.fromkeys(countries)), birth_dates=tuple(b for b in births if b),
            identifiers=tuple(i for i in identifiers if i), addresses=tuple(a for a in addresses if a),
            programmes=tuple(dict.fromkeys(programmes)), listing_reason=reason,
            gender=genders[0] if genders and len(set(genders)) == 1 else "")))
    return _finish(EU_NAME, version, path, "utf-8", records, n_records=len(entities), problems=problems,
                   dropped=dropped)


# UK Sanctions List ----------------------------------------------------------------------------------------------
#: Each field the loader reads, under its UK Sanctions List name and OFSI's Consolidated List name.
UK_FIELDS = {"id": ("Unique ID", "Group ID"), "type": ("Designation Type", "Group Type"),
             "name_type": ("Name type", "Alias Type"), "regime": ("Regime Name", "Regime"),
             "reasons": ("UK Statement of Reasons",), "other": ("Other Information",),
             "country": ("Address Country", "Country"), "dob": ("D.O.B", "DOB"),
             "nationality": ("Nationality(/ies)", "Nationality"), "gender": ("Gender",),
             "designated": ("Date Designated", "Listed On"), "non_latin": ("Name non-latin script",
                                                                            "Name Non-Latin Script"),
             "updated": ("Last Updated",)}
_UK_TYPES = {"individual": EntityType.PERSON, "entity": EntityType.ORGANISATION, "ship": EntityType.VESSEL}
_UK_NAME_PARTS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")


def _uk_date(text: str) -> str:
    """DD/MM/YYYY (with 00 for an unknown day or month) as YYYY-MM-DD, YYYY-MM or YYYY; other text unchanged."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if not m:
        return text.strip()
    day, month, year = m.groups()
    if month in ("0", "00"):
        return year
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day not in ("0", "00") else "")


def load_uk(path: Path, max_bytes: int = MAX_LIST_BYTES) -> ScreeningList:
    """The UK Sanctions List CSV (or OFSI's Consolidated List CSV), one entity per designation (see the module)."""
    text, encoding = decode_text(path, read_bytes(path, max_bytes))
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    title = ""
    try:
        for cells in reader:
            if "Name 6" in cells:
                header = [c.strip() for c in cells]
                break
            title = title or " ".join(c for c in cells if c.strip())
            if reader.line_num > 5:
                break
        if not header:
            raise DataError("no header row with 'Name 6' in the first 5 rows (a UK Sanctions List CSV has a title "
                            "row, then Last Updated, Unique ID, ..., Name 6, Name 1, ...)", file=str(path), row=1,
                            field="Name 6")
        column = {key: next((header.index(c) for c in names if c in header), None) for key, names in UK_FIELDS.items()}
        if column["id"] is None:
            raise DataError("missing column 'Unique ID' (or OFSI's 'Group ID')", file=str(path),
                            row=reader.line_num, field="Unique ID")
        parts = [header.index(p) for p in _UK_NAME_PARTS if p in header]
        groups: dict[str, list[tuple[int, list[str]]]] = {}
        problems: list[Problem] = []
        n_records = dropped = 0
        for cells in reader:
            n = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            n_records += 1
            if len(cells) < len(header):
                if n_records and not text.endswith(("\n", "\r")) and text.rstrip("\r\n").endswith(cells[-1]):
                    raise DataError(f"{len(cells)} of the header's {len(header)} fields and no line end: the file "
                                    "looks cut short", file=str(path), row=n)
                cells = cells + [""] * (len(header) - len(cells))
                problems.append(Problem.at(f"fewer fields than the header ({len(header)}); the missing ones read as "
                                           "blank", file=str(path), row=n, severity="warning"))
            key = cells[column["id"]].strip()
            if not key:
                problems.append(Problem.at("missing", file=str(path), row=n, field=header[column["id"]]))
                dropped += 1
                continue
            groups.setdefault(key, []).append((n, cells))
    except csv.Error as exc:
        raise DataError(f"unreadable row: {exc}", file=str(path), row=reader.line_num) from None

    def cell(cells: list[str], key: str) -> str:
        k = column[key]
        return cells[k].strip() if k is not None and k < len(cells) else ""

    version = m.group(1) if (m := re.search(r"(\d{1,2}[-/ ][A-Za-z]{3}[-/ ]\d{4}|\d{4}-\d{2}-\d{2})", title)) else ""
    if version:
        from datetime import datetime

        for fmt in ("%d-%b-%Y", "%d/%b/%Y", "%d %b %Y", "%Y-%m-%d"):
            try:
                version = datetime.strptime(version, fmt).strftime("%Y%m%d")
                break
            except ValueError:
                continue
    version = version or _version_from(path, [])
    records: list[tuple[int, ListedEntity]] = []
    kept_rows: list[int] = []
    for key, rows in groups.items():
        names: list[Name] = []
        primary: list[Name] = []
        for _, cells in rows:
            whole = " ".join(cells[k].strip() for k in parts if cells[k].strip())
            kind = NameKind.PRIMARY if cell(cells, "name_type").lower().startswith("primary") else NameKind.ALIAS
            if whole and whole not in {x.text for x in names + primary}:
                (primary if kind is NameKind.PRIMARY else names).append(Name(text=whole, kind=kind))
            if (script := cell(cells, "non_latin")) and script not in {x.text for x in names}:
                names.append(Name(text=script, kind=NameKind.ORIGINAL))
        first_row = rows[0][0]
        if not primary and not names:
            problems.append(Problem.at(f"designation {key} has no name in any of its {len(rows)} rows",
                                       file=str(path), row=first_row, field="Name 6"))
            dropped += len(rows)
            continue
        ordered = primary[:1] + [x.model_copy(update={"kind": NameKind.ALIAS}) for x in primary[1:]] + names
        if not primary:
            ordered[0] = ordered[0].model_copy(update={"kind": NameKind.PRIMARY})

        def values(field: str, rows: list[tuple[int, list[str]]] = rows) -> list[str]:
            return list(dict.fromkeys(v for _, c in rows for v in [cell(c, field)] if v))

        countries = [c for v in values("country") + values("nationality") for part in re.split(r"[;,]\s*", v)
                     if (c := _country(part))]
        genders = {g.lower() for g in values("gender") if g.lower() in ("male", "female")}
        reason = "; ".join(v for v in (*values("reasons"), *values("other"),
                                       *(f"designated {_uk_date(d)}" for d in values("designated"))) if v)
        kept_rows.append(len(rows))
        records.append((first_row, ListedEntity(
            entity_id=f"uk-{key}", list_name=UK_NAME, list_version=version,
            type=_UK_TYPES.get(cell(rows[0][1], "type").lower(), EntityType.UNKNOWN), names=tuple(ordered),
            countries=tuple(dict.fromkeys(countries)), birth_dates=tuple(_uk_date(d) for d in values("dob")),
            programmes=tuple(values("regime")), listing_reason=reason,
            gender=genders.pop() if len(genders) == 1 else "")))
    # the rows after the first of a designation are its other names: read, and folded into it
    duplicates = sum(n - 1 for n in kept_rows)
    return _finish(UK_NAME, version, path, encoding, records, n_records=n_records, problems=problems,
                   dropped=dropped, duplicates=duplicates)

