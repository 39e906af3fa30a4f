"""The restricted-party list sources (kind ``list``), each reading one file (maybe ``.gz``) into a
:class:`~pinchpoint.screening.model.ScreeningList`. Options: ``max_bytes`` (all), ``alt`` (OFAC's alternate-names
file; by default an ``*alt*.csv`` beside an ``*sdn*`` file)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pinchpoint.sources import Detection, Source
from pinchpoint.sources.sniff import head, header, shown

_OFAC_ALT_ROW = re.compile(rb"\s*\d+,\s*\d+,\s*\"?[afn]ka\b", re.IGNORECASE)
ALT_FILE_MESSAGE = "this is OFAC's alternate-names file: load the SDN file (its alt file is read with it)"


def _name(path: Path) -> str:
    return path.name.lower().removesuffix(".gz")


def _head(path: Path) -> bytes:
    """The first 4 kB as UTF-8 bytes (UTF-16 decoded), without a BOM or leading blanks."""
    data = head(path, 4000)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data[:len(data) // 2 * 2].decode("utf-16", "replace").encode("utf-8", "replace")
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")


def _file_only(path: Path) -> Detection | None:
    return Detection.miss("is a folder; this source reads one file") if path.is_dir() else None


def _detect_ofac(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    if _OFAC_ALT_ROW.match(data):
        return Detection.miss(ALT_FILE_MESSAGE)
    if re.match(rb"\d+,\"", data):
        return Detection.match("OFAC's legacy SDN CSV: rows start with an ent_num and a quoted name")
    return Detection.miss(f"expected rows like 36,\"NAME\",... (OFAC's legacy SDN CSV); found "
                          f"{data[:40].decode('latin-1')!r}")


def is_ofac_alternate_file(path: Path) -> bool:
    """Whether ``path`` is OFAC's alternate-names file (rows ``ent_num,alt_num,"aka",...``), judged by its content
    (a list named ``salt.csv`` is not one): it is read with the SDN file beside it, never as a list of its own."""
    try:
        return path.is_file() and bool(_OFAC_ALT_ROW.match(_head(path)))
    except OSError:
        return False


def alternate_file_beside(sdn: Path) -> Path | None:
    """The alternate-names file the SDN source reads with ``sdn``: the first ``*alt*.csv`` in its folder (never
    ``sdn`` itself), if ``sdn``'s name says it is the SDN file."""
    if "sdn" not in _name(sdn):
        return None
    return next((f for f in sorted(sdn.parent.glob("*alt*.csv")) if f.resolve() != sdn.resolve()), None)


def read_with_sdn_beside(path: Path) -> bool:
    """Whether the SDN source reads the alternate-names file ``path`` when it reads an SDN file in its folder."""
    found = [alternate_file_beside(f) for f in path.parent.iterdir() if f.is_file() and f != path]
    return any(f is not None and f.resolve() == path.resolve() for f in found)


def _read_ofac(path: Path, alt: str | Path | None = None, max_bytes: int | None = None) -> Any:
    from pinchpoint.screening.loaders import MAX_LIST_BYTES, load_ofac

    sibling = Path(alt) if alt else alternate_file_beside(path)
    return load_ofac(path, sibling, max_bytes=max_bytes or MAX_LIST_BYTES)


def _detect_un(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    if data.startswith(b"<"):
        if b"CONSOLIDATED_LIST" in data:
            return Detection.match("XML with the root CONSOLIDATED_LIST")
        # XML or markup of another kind: the loader says what it found instead
        return Detection.match("markup starting with '<' (no CONSOLIDATED_LIST seen in its first 4 kB)", 0.5)
    if _name(path).endswith(".xml"):
        return Detection.match("named .xml (its content does not start with '<')", 0.3)
    return Detection.miss("expected the UN consolidated list's XML (<CONSOLIDATED_LIST ...>)")


def _detect_meti(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    if not (_name(path).endswith(".xlsx") or head(path, 4).startswith(b"PK\x03\x04")):
        return Detection.miss("expected METI's .xlsx workbook")
    try:
        from pinchpoint.screening.loaders import MAX_LIST_BYTES
        from pinchpoint.sources.zipcap import open_workbook

        if path.stat().st_size <= MAX_LIST_BYTES and not path.name.endswith(".gz"):
            book = open_workbook(path, max_bytes=MAX_LIST_BYTES)  # capped: a zip bomb is refused unread
            rows = book.get_sheet_by_name(book.sheet_names[0]).to_python(nrows=1)
            first = " ".join(str(c) for c in rows[0]) if rows else ""
            if "Company" in first:
                return Detection.match("a workbook whose first row has 'Company or Organization'")
    except Exception:  # unreadable here: the loader reports why
        pass
    return Detection.match("an .xlsx workbook (no 'Company or Organization' column seen)", 0.5)


def _detect_dpl(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    first = data.split(b"\n", 1)[0]
    if b"\t" in first and b"Name" in first:
        return Detection.match("tab-separated with a Name column (BIS's legacy DPL layout)")
    found = shown(header(path)) if b"\t" in first else repr(first[:40].decode("latin-1"))
    return Detection.miss(f"expected a tab-separated header with Name, Street_Address, City...; found {found}")


def _detect_ftm(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    named_json = _name(path).endswith((".json", ".jsonl", ".ndjson"))
    if data[:1] in (b"{", b"["):
        first, complete = data.split(b"\n", 1)[0], b"\n" in data
        if complete:  # JSON lines: the first line is one whole entity
            try:
                record = json.loads(first)
            except (ValueError, RecursionError):
                if named_json:
                    return Detection.match("named .json; its first line is not a whole JSON value", 0.3)
                return Detection.miss("JSON, but its first line is not a whole JSON object (not JSON lines)")
            if isinstance(record, dict) and "schema" in record:
                return Detection.match("JSON lines of FollowTheMoney entities (a 'schema' key)")
            # JSON lines of something else: the loader reports each line that is not an entity
            return Detection.match("JSON lines whose first line is not a FollowTheMoney entity", 0.5)
        if b'"schema"' in data:
            return Detection.match("JSON with a 'schema' key (a first line longer than the look-ahead)", 0.5)
        return Detection.miss("JSON without FollowTheMoney's 'schema' key in its first 4 kB")
    if named_json and not data.startswith(b"<"):
        return Detection.match("named .json (its content does not start with '{')", 0.3)
    return Detection.miss("expected FollowTheMoney JSON lines ({\"id\": ..., \"schema\": ...} a line)")


def _detect_csl(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    if data[:1] in (b"{", b"["):
        if b'"results"' in data and (b'"entity_number"' in data or b'"source_list_url"' in data):
            return Detection.match("JSON with the CSL's 'results' and 'entity_number' keys")
        return Detection.miss("JSON without the CSL's 'results' and 'entity_number' keys in its first 4 kB")
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    columns = [c.strip().strip('"') for c in first.split(",")]
    if {"source", "entity_number", "alt_names"} <= set(columns):
        return Detection.match("CSV with the CSL's source, entity_number and alt_names columns")
    return Detection.miss(f"expected the CSL's columns _id, source, entity_number, type, programs, name, ...; "
                          f"found {first[:60]!r}")


def _detect_eu_fsf(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    data = _head(path)
    if data.startswith(b"<") and (b"fpi/fsd/export" in data or (b"<export" in data and b"sanctionEntity" in data)):
        return Detection.match("XML of the EU Financial Sanctions File (export / sanctionEntity)")
    return Detection.miss("expected the EU Financial Sanctions File's XML (<export xmlns=\"http://eu.europa.ec/fpi/"
                          "fsd/export\"> with sanctionEntity elements)")


def _detect_uk(path: Path) -> Detection:
    if (no := _file_only(path)) is not None:
        return no
    lines = _head(path).split(b"\n")[:5]
    for line in lines:
        if b"Name 6" in line and (b"Unique ID" in line or b"Group ID" in line):
            return Detection.match("CSV with the UK Sanctions List's Name 6 and Unique ID (or OFSI's Group ID) "
                                   "columns")
    return Detection.miss("expected the UK Sanctions List CSV (a title row, then Last Updated, Unique ID, ..., "
                          "Name 6, Name 1, ...)")


def _official(name: str) -> Any:
    def read(path: Path, max_bytes: int | None = None) -> Any:
        from pinchpoint.screening import loaders, official

        return getattr(official, name)(path, max_bytes=max_bytes or loaders.MAX_LIST_BYTES)
    return read


def _loader(name: str) -> Any:
    def read(path: Path, max_bytes: int | None = None) -> Any:
        from pinchpoint.screening import loaders

        return getattr(loaders, name)(path, max_bytes=max_bytes or loaders.MAX_LIST_BYTES)
    return read


OFAC_SDN = Source(
    name="ofac-sdn", kind="list", description="OFAC Specially Designated Nationals, legacy CSV (with its alt.csv)",
    detect=_detect_ofac, read=_read_ofac, patterns=("*sdn*.csv", "*.csv", "*.csv.gz"),
    columns=("ent_num", "SDN_Name", "SDN_Type", "Program", "...", "Remarks (12 fields, no header)"))
UN_SC = Source(
    name="un-sc", kind="list", description="UN Security Council Consolidated List (XML)",
    detect=_detect_un, read=_loader("load_un"), patterns=("*.xml", "*.xml.gz"),
    columns=("CONSOLIDATED_LIST", "INDIVIDUALS", "ENTITIES"))
METI_EUL = Source(
    name="meti-eul", kind="list", description="Japan METI End User List (METI's .xlsx)",
    detect=_detect_meti, read=_loader("load_meti"), patterns=("*.xlsx",),
    columns=("No.", "Country or Region", "Company or Organization", "Also Known As", "Type of WMD"))
BIS_DPL = Source(
    name="bis-dpl", kind="list", description="BIS Denied Persons List, legacy tab-separated text",
    detect=_detect_dpl, read=_loader("load_dpl"), patterns=("*.txt", "*.txt.gz"),
    columns=("Name", "Street_Address", "City", "State", "Country", "Effective_Date"))
FTM = Source(
    name="ftm", kind="list", description="FollowTheMoney entities as JSON lines (OpenSanctions exports)",
    detect=_detect_ftm, read=_loader("load_ftm"), patterns=("*.json", "*.jsonl", "*.ndjson", "*.json.gz"),
    columns=("id", "schema", "properties"))
US_CSL = Source(
    name="us-csl", kind="list", description="U.S. Consolidated Screening List (trade.gov CSV or JSON: Entity List, "
    "MEU, Unverified, DPL, SDN...)", detect=_detect_csl, read=_official("load_csl"),
    patterns=("*.csv", "*.json", "*.csv.gz", "*.json.gz"),
    columns=("_id", "source", "entity_number", "type", "programs", "name", "...", "alt_names", "...", "ids"))
EU_FSF = Source(
    name="eu-fsf", kind="list", description="EU Financial Sanctions File (consolidated list, XML)",
    detect=_detect_eu_fsf, read=_official("load_eu_fsf"), patterns=("*.xml", "*.xml.gz"),
    columns=("export", "sanctionEntity", "nameAlias", "regulation", "subjectType"))
UK_SANCTIONS = Source(
    name="uk-sanctions", kind="list", description="UK Sanctions List (FCDO CSV; OFSI's Consolidated List CSV too)",
    detect=_detect_uk, read=_official("load_uk"), patterns=("*.csv", "*.csv.gz"),
    columns=("Unique ID", "Name 6", "Name 1", "...", "Name type", "Regime Name", "Designation Type"))
