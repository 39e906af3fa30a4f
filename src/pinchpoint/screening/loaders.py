"""Loaders for the OFAC SDN legacy CSV (+ alternate names), the UN consolidated XML, METI's End User List
spreadsheet, the BIS Denied Persons List and FollowTheMoney JSON lines. Unreadable records are reported in
``problems`` (file, row, field), never silently dropped."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError
from pinchpoint.screening.model import EntityType, ListedEntity, Name, NameKind, ScreeningList
from pinchpoint.trade.countries import from_name


def _country(label: str) -> str | None:
    text = label.strip()
    if not text:
        return None
    return from_name(text.split("\n")[-1]) or from_name(text)


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    try:
        return path.read_bytes().decode(encoding)
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not {encoding} text (byte {exc.start})", file=str(path)) from None


def _blank(value: str | None) -> str:
    text = (value or "").strip()
    return "" if text in ("-0-", "-0- ") else text


_OFAC_TYPES = {"individual": EntityType.PERSON, "vessel": EntityType.VESSEL, "aircraft": EntityType.AIRCRAFT}


def load_ofac(sdn: Path, alt: Path | None = None, version: str | None = None) -> ScreeningList:
    """OFAC SDN legacy CSV (Latin-1, ends with 0x1A, ``-0-`` for empty): ent_num, name, type, programme, ..."""
    text = _read_text(sdn, "latin-1").rstrip("\x1a").rstrip()
    if version is None:
        found = re.search(r"(\d{8})", sdn.name)
        version = found.group(1) if found else ""
    aliases: dict[str, list[str]] = defaultdict(list)
    problems: list[str] = []
    if alt is not None:
        alt_text = _read_text(alt, "latin-1").rstrip("\x1a").rstrip()
        for n, row in enumerate(csv.reader(io.StringIO(alt_text)), start=1):
            if len(row) < 4 or not _blank(row[3]):
                problems.append(f"{alt}, row {n}, field 'alt_name': missing")
                continue
            aliases[row[0].strip()].append(_blank(row[3]))
    entities = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if len(row) < 4 or not _blank(row[1]):
            problems.append(f"{sdn}, row {n}, field 'name': missing or short row ({len(row)} fields)")
            continue
        ent = row[0].strip()
        kind = _OFAC_TYPES.get(_blank(row[2]).lower(), EntityType.ORGANISATION)
        remarks = _blank(row[11]) if len(row) > 11 else ""
        names = [Name(text=_blank(row[1]))] + [Name(text=a, kind=NameKind.ALIAS) for a in aliases.get(ent, [])]
        births = tuple(re.findall(r"DOB (\d{1,2} \w{3} \d{4}|\d{4})", remarks))
        entities.append(ListedEntity(entity_id=f"ofac-{ent}", list_name="OFAC SDN", list_version=version,
                                     type=kind, names=tuple(names), programmes=(_blank(row[3]),),
                                     birth_dates=births))
    return ScreeningList(list_name="OFAC SDN", version=version, source=str(sdn), entities=tuple(entities),
                         problems=tuple(problems))


def load_un(path: Path) -> ScreeningList:
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"not a readable XML file: {exc}", file=str(path)) from None
    version = (root.get("dateGenerated") or "")[:10]
    entities, problems = [], []
    for tag, kind in (("INDIVIDUALS/INDIVIDUAL", EntityType.PERSON), ("ENTITIES/ENTITY", EntityType.ORGANISATION)):
        for n, node in enumerate(root.findall(tag)):
            parts = [(node.findtext(f) or "").strip() for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                                                "FOURTH_NAME")]
            primary = " ".join(p for p in parts if p)
            if not primary:
                problems.append(f"{path}, {tag} {n}, field 'FIRST_NAME': missing")
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
            births = tuple(sorted({(d.findtext("DATE") or d.findtext("YEAR") or "").strip()
                                   for d in node.findall("INDIVIDUAL_DATE_OF_BIRTH")} - {""}))
            entities.append(ListedEntity(
                entity_id=f"un-{(node.findtext('REFERENCE_NUMBER') or node.findtext('DATAID') or '').strip()}",
                list_name="UN Security Council Consolidated List", list_version=version, type=kind,
                names=tuple(names), countries=tuple(sorted(countries)), birth_dates=births,
                programmes=((node.findtext("UN_LIST_TYPE") or "").strip(),)))
    return ScreeningList(list_name="UN Security Council Consolidated List", version=version, source=str(path),
                         entities=tuple(entities), problems=tuple(problems))


_PAREN_ORIGINAL = re.compile(r"[（(]([^()（）]*[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af][^()（）]*)[)）]")


def load_meti(path: Path) -> ScreeningList:
    """METI End User List: No., country, company name (original script in parentheses), aliases ('・' bullets)."""
    from python_calamine import CalamineWorkbook

    version = m.group(1) if (m := re.search(r"(\d{8})", path.name)) else ""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's own error types
        raise DataError(f"cannot read as a spreadsheet: {exc}", file=str(path)) from None
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    entities, problems = [], []
    for n, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row]
        if len(cells) < 3 or not cells[2]:
            problems.append(f"{path}, row {n}, field 'Company or Organization': missing")
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
        entities.append(ListedEntity(entity_id=f"meti-{number}", list_name="METI End User List",
                                     list_version=version, type=EntityType.ORGANISATION, names=tuple(names),
                                     countries=(country,) if country else (),
                                     programmes=(cells[4].replace("\n", " "),) if len(cells) > 4 else ()))
    return ScreeningList(list_name="METI End User List", version=version, source=str(path),
                         entities=tuple(entities), problems=tuple(problems))


def load_dpl(path: Path) -> ScreeningList:
    """BIS Denied Persons List, legacy tab-separated format with a header row."""
    text = _read_text(path, "utf-8") if path.read_bytes()[:3] != b"\xef\xbb\xbf" else _read_text(path, "utf-8-sig")
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    if "Name" not in (reader.fieldnames or []):
        raise DataError("missing column 'Name'", file=str(path), row=1, field="Name")
    version = m.group(1) if (m := re.search(r"(\d{4})", path.name)) else ""
    entities, problems = [], []
    for n, row in enumerate(reader, start=2):
        name = (row.get("Name") or "").strip()
        if not name:
            problems.append(f"{path}, row {n}, field 'Name': missing")
            continue
        country = (row.get("Country") or "").strip()
        iso = from_name(country) if country else None
        address = ", ".join(x for x in (row.get("Street_Address"), row.get("City"), row.get("State"), country)
                            if x and x.strip())
        entities.append(ListedEntity(entity_id=f"dpl-{n - 1}", list_name="BIS Denied Persons List",
                                     list_version=version, names=(Name(text=name),),
                                     countries=(iso,) if iso else (), addresses=(address,) if address else ()))
    return ScreeningList(list_name="BIS Denied Persons List", version=version, source=str(path),
                         entities=tuple(entities), problems=tuple(problems))


_FTM_TYPES = {"Person": EntityType.PERSON, "Organization": EntityType.ORGANISATION, "Company": EntityType.ORGANISATION,
              "LegalEntity": EntityType.ORGANISATION, "Vessel": EntityType.VESSEL, "Airplane": EntityType.AIRCRAFT}


def load_ftm(path: Path, list_name: str = "FollowTheMoney entities") -> ScreeningList:
    entities, problems = [], []
    for n, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}, row {n}, field 'json': {exc.msg}")
            continue
        props = doc.get("properties") or {}
        names = [Name(text=t) for t in props.get("name", [])[:1]]
        names += [Name(text=t, kind=NameKind.ALIAS) for t in props.get("name", [])[1:] + props.get("alias", [])]
        if not names:
            if doc.get("schema") in _FTM_TYPES:
                problems.append(f"{path}, row {n}, field 'name': missing")
            continue  # relationship records (sanctions, ownership) carry no names
        countries = {c for c in (from_name(x.upper()) for x in props.get("country", []) + props.get(
            "nationality", [])) if c}
        entities.append(ListedEntity(entity_id=str(doc.get("id")), list_name=list_name, list_version="",
                                     type=_FTM_TYPES.get(str(doc.get("schema")), EntityType.UNKNOWN),
                                     names=tuple(names), countries=tuple(sorted(countries)),
                                     birth_dates=tuple(props.get("birthDate", []))))
    return ScreeningList(list_name=list_name, version="", source=str(path), entities=tuple(entities),
                         problems=tuple(problems))


def load_list(path: str | Path, alt: str | Path | None = None) -> ScreeningList:
    """Detect the format from the file and load it."""
    p = Path(path)
    if not p.exists():
        raise DataError("no such file", file=str(p))
    name = p.name.lower()
    if p.suffix == ".xlsx":
        return load_meti(p)
    if p.suffix == ".xml":
        return load_un(p)
    head = p.read_bytes()[:400]
    if head.lstrip().startswith(b"{"):
        return load_ftm(p)
    if b"\t" in head and b"Name" in head:
        return load_dpl(p)
    if re.match(rb"\d+,\"", head):
        sibling = Path(alt) if alt else next(iter(sorted(p.parent.glob("*alt*.csv"))), None)
        return load_ofac(p, sibling if "sdn" in name else None)
    raise DataError("cannot tell the list format (OFAC SDN CSV, UN XML, METI xlsx, BIS DPL txt, FtM JSON lines)",
                    file=str(p))
