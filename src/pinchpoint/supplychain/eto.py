"""Loader for the ETO Advanced Semiconductor Supply Chain Dataset (both published vintages).

* current release (2023-): ``provision.csv`` has a ``year`` and a ``source`` column, numeric shares;
* first release (2022): shares written as text (``61%``), a ``negligible_market_share`` column, no year.

The vintage is detected from the provision header. Country providers are mapped to ISO 3166
alpha-3 codes; organisations keep the dataset's ids. Nothing is dropped: every row becomes a
record, and oddities become :class:`~pinchpoint.supplychain.model.Finding` s.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from pinchpoint.errors import DataError
from pinchpoint.kernel.countries import normalise_country, unknown_country_message
from pinchpoint.supplychain.csvio import (
    GROUPED,
    build_record,
    cycle_error,
    cycle_in,
    first_message,
    parse_float,
    parse_int,
    read_rows,
)
from pinchpoint.supplychain.model import (
    Finding,
    Input,
    InputKind,
    Provider,
    ProviderKind,
    Provision,
    Relation,
    RelationKind,
    Stage,
    SupplyChain,
)

#: The first release has no year column; its figures come from the CSET report (Khan, Mann and
#: Peterson, January 2021), whose market shares are for 2019.
V1_DEFAULT_YEAR = 2019
V1_SOURCE = ("Saif M. Khan, Alexandra Mann, Dahlia Peterson, 'The Semiconductor Supply Chain: "
             "Assessing National Competitiveness', CSET, January 2021 (via ETO dataset, first release)")

#: the files of an ETO dataset folder (both releases)
ETO_FILES = ("stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv")

_KINDS = {
    "process": InputKind.PROCESS,
    "tool_resource": InputKind.TOOL,
    "material_resource": InputKind.MATERIAL,
    "design_resource": InputKind.DESIGN,
    "ultimate_output": InputKind.OUTPUT,
}
# Non-ISO codes seen in ETO releases.
_COUNTRY_FIXES = {"MAL": "MYS"}

_SIZE = re.compile(r"\$\s*([\d.,]+)\s*([a-z]+\b)?", re.I)
_YEAR = re.compile(r"\((\d{4})\)")
# a word after the number that is not a scale (``$5 gazillion``, a typo) gives no size rather than $5
_SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6,
          "thousand": 1e3, "k": 1e3, None: 1.0}
_NOT_A_SCALE = {"in", "of", "for", "per", "and", "usd", "us", "worldwide", "global", "annual", "total"}


def is_eto_folder(path: Path) -> bool:
    return path.is_dir() and all((path / f).exists() for f in ETO_FILES)


def detect_vintage(path: Path) -> str:
    """Return ``"current"`` or ``"v1"`` from the provision file's header."""
    from pinchpoint.yamlio import decode_text

    provision = path / "provision.csv"
    try:
        with provision.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise DataError(f"cannot read file: {exc.strerror}", file=str(provision)) from None
    header = decode_text(head.split(b"\n", 1)[0], str(provision))
    if "negligible_market_share" in header and "year" not in header.split(","):
        return "v1"
    return "current"


def parse_market_size(text: str) -> tuple[float | None, int | None]:
    """``'$574.1 billion (2022)'`` -> ``(574.1e9, 2022)``."""
    size = _SIZE.search(text)
    year = _YEAR.search(text)
    value = None
    if size:
        word = size.group(2).lower() if size.group(2) else None
        if word in _NOT_A_SCALE:
            word = None
        digits = size.group(1).rstrip(".,")
        try:  # a comma only as a thousands separator: "$5,2 billion" (a decimal comma) gives no size, not $52bn
            grouped = "," not in digits or GROUPED.fullmatch(digits)
            value = float(digits.replace(",", "")) * _SCALE[word] if word in _SCALE and grouped else None
        except ValueError:
            value = None
    return value, int(year.group(1)) if year else None


def _country_code(raw: str, file: str, row: int, field: str, fixes: dict[str, int]) -> str:
    text = raw.strip()
    if text in _COUNTRY_FIXES:
        fixes[f"{text}->{_COUNTRY_FIXES[text]}"] += 1
        return _COUNTRY_FIXES[text]
    code = normalise_country(text)
    if code is None:
        raise DataError(unknown_country_message(raw), file=file, row=row, field=field)
    return code


def load_eto(path: str | Path, *, name: str | None = None) -> SupplyChain:
    """Load an ETO dataset folder (either vintage) into a :class:`SupplyChain`."""
    folder = Path(path)
    if not folder.is_dir():
        raise DataError("not a folder", file=str(folder))
    missing = [f for f in ETO_FILES if not (folder / f).exists()]
    if missing:
        raise DataError(f"not an ETO dataset folder: missing {', '.join(missing)}", file=str(folder))
    vintage = detect_vintage(folder)
    findings: list[Finding] = []

    def f(n: str) -> Path:
        return folder / n

    def label(n: str) -> str:
        return str(folder / n)

    # Stages -------------------------------------------------------------------------------
    stages: list[Stage] = []
    stage_rows: dict[str, int] = {}
    for line, r in read_rows(f("stages.csv"), ["stage_id", "stage_name"], label("stages.csv")):
        _check_unique(r["stage_id"], stage_rows, label("stages.csv"), line, "stage_id")
        stages.append(build_record(Stage, label("stages.csv"), line, id=r["stage_id"], name=r["stage_name"],
                             description=r.get("description", "")))

    # Inputs -------------------------------------------------------------------------------
    inputs: list[Input] = []
    input_rows: dict[str, int] = {}
    for line, r in read_rows(f("inputs.csv"), ["input_id", "input_name", "type"], label("inputs.csv")):
        _check_unique(r["input_id"], input_rows, label("inputs.csv"), line, "input_id")
        if r["input_id"] in stage_rows:
            raise DataError(f"id {r['input_id']!r} is also a stage id", file=label("inputs.csv"), row=line,
                            field="input_id")
        kind = _KINDS.get(r["type"])
        if kind is None:
            raise DataError(f"unknown input type {r['type']!r} (expected one of {', '.join(_KINDS)})",
                            file=label("inputs.csv"), row=line, field="type")
        stage = r.get("stage_id") or None
        if stage is not None and stage not in stage_rows:
            raise DataError(f"unknown stage {stage!r}", file=label("inputs.csv"), row=line, field="stage_id")
        size_text = r.get("market_share_chart_global_market_size_info", "")
        size, size_year = parse_market_size(size_text) if size_text else (None, None)
        inputs.append(build_record(
            Input, label("inputs.csv"), line, id=r["input_id"], name=r["input_name"], kind=kind, stage=stage,
            description=r.get("description", ""), market_size_usd=size, market_size_year=size_year,
            market_size_text=size_text or None, source=r.get("market_share_chart_source") or None,
        ))

    # Providers (ids repeat once per alias) --------------------------------------------------
    fixes: dict[str, int] = defaultdict(int)
    provider_map: dict[str, str] = {}  # dataset id -> model id
    names_by_id: dict[str, set[str]] = defaultdict(set)
    providers: dict[str, Provider] = {}
    repeated: set[str] = set()
    plabel = label("providers.csv")
    for line, r in read_rows(f("providers.csv"), ["provider_name", "provider_id", "provider_type"], plabel):
        pid, pname, ptype = r["provider_id"], r["provider_name"], r["provider_type"]
        alias = r.get("alias", "")
        names_by_id[pid].update(n for n in (pname, alias) if n)
        if pid in provider_map:
            repeated.add(pid)
            existing = providers[provider_map[pid]]
            extra = tuple(n for n in (pname, alias) if n and n != existing.name and n not in existing.aliases)
            providers[existing.id] = existing.model_copy(update={"aliases": existing.aliases + extra})
            continue
        if ptype == "country":
            code = _country_code(pname, plabel, line, "provider_name", fixes)
            display = alias or pname
            model = build_record(Provider, plabel, line, id=code, name=display if display != code else code,
                           kind=ProviderKind.COUNTRY, aliases=tuple(n for n in (pname,) if n != code and n != display))
        elif ptype in ("organization", "organisation"):
            country_raw = r.get("country", "")
            home = _country_code(country_raw, plabel, line, "country", fixes) if country_raw else None
            model = build_record(Provider, plabel, line, id=pid, name=pname, kind=ProviderKind.ORGANISATION,
                           country=home, aliases=(alias,) if alias and alias != pname else ())
        else:
            raise DataError(f"unknown provider type {ptype!r} (expected country or organization)",
                            file=plabel, row=line, field="provider_type")
        if model.id in providers:
            raise DataError(f"provider {model.id!r} is declared twice with different ids", file=plabel,
                            row=line, field="provider_id")
        provider_map[pid] = model.id
        providers[model.id] = model
    if repeated:
        findings.append(Finding(code="provider-aliases", count=len(repeated),
                                message="provider ids listed once per alias (merged into one provider)",
                                examples=tuple(sorted(repeated))))
    if fixes:
        findings.append(Finding(code="non-iso-country", count=sum(fixes.values()),
                                message="non-ISO country codes normalised", examples=tuple(sorted(fixes))))

    # Provisions ---------------------------------------------------------------------------
    provisions: list[Provision] = []
    required = ["provider_id", "provided_id", "share_provided"] + (["year"] if vintage == "current" else [])
    vlabel = label("provision.csv")
    stale: set[tuple[str, str]] = set()
    given: dict[tuple[str, str, int], tuple[int, bool]] = {}  # (provider, input, year) -> (row, has a share)
    places: dict[tuple[str, str, int], list[tuple[str, int]]] = defaultdict(list)  # for the findings' examples
    for line, r in read_rows(f("provision.csv"), required, vlabel):
        pid = r["provider_id"]
        if pid not in provider_map:
            raise DataError(f"unknown provider {pid!r} (not in providers.csv)", file=vlabel, row=line,
                            field="provider_id")
        target = r["provided_id"]
        if target not in input_rows and target not in stage_rows:
            raise DataError(f"unknown input or stage {target!r}", file=vlabel, row=line, field="provided_id")
        pname = r.get("provider_name", "")
        if pname and pname not in names_by_id[pid]:
            stale.add((pid, pname))
        share = parse_float(r["share_provided"], file=vlabel, row=line, field="share_provided", percent=True)
        if share is not None and not 0 <= share <= 100:
            raise DataError(f"share {share} is outside 0-100", file=vlabel, row=line, field="share_provided")
        if vintage == "current":
            year = parse_int(r["year"], file=vlabel, row=line, field="year")
            if year is None:
                raise DataError("year is blank", file=vlabel, row=line, field="year")
            source = r.get("source") or None
            note = None
        else:
            year = V1_DEFAULT_YEAR
            source = V1_SOURCE
            note = "negligible market share" if r.get("negligible_market_share") else None
        # a repeated row with a share would be added to the first (60 twice read as 120); repeated blanks change
        # no share (the first release lists P57 for S3 twice) and stay a finding
        key = (provider_map[pid], target, year)
        if key in given and (share is not None or given[key][1]):
            raise DataError(f"provider {pid!r} already has a share of {target!r} for {year} on row {given[key][0]}: "
                            "one row per provider, input and year (analyses would add the two)", file=vlabel,
                            row=line, field="provider_id")
        given.setdefault(key, (line, share is not None))
        places[key].append((vlabel, line))
        provisions.append(build_record(Provision, vlabel, line, provider=provider_map[pid], input=target, share=share,
                                 year=year, source=source, note=note))
    if stale:
        findings.append(Finding(code="stale-provider-names", count=len(stale),
                                message="provider names in provision.csv that differ from providers.csv "
                                        "(the id is used)",
                                examples=tuple(sorted(f"{p}: {n}" for p, n in stale))[:10]))
    if vintage == "v1":
        findings.append(Finding(code="assumed-year", count=len(provisions),
                                message=f"first-release rows carry no year: {V1_DEFAULT_YEAR} assumed "
                                        "(the CSET 2021 report's reference year)"))

    # Relations ----------------------------------------------------------------------------
    relations: list[Relation] = []
    slabel = label("sequence.csv")
    edge_rows: dict[tuple[str, str], tuple[str, int]] = {}
    for line, r in read_rows(f("sequence.csv"), ["input_id", "goes_into_id", "is_type_of_id"], slabel):
        src = r["input_id"]
        if src not in input_rows:
            raise DataError(f"unknown input {src!r}", file=slabel, row=line, field="input_id")
        for field, rkind in (("goes_into_id", RelationKind.GOES_INTO), ("is_type_of_id", RelationKind.IS_TYPE_OF)):
            dst = r[field]
            if not dst:
                continue
            if dst not in input_rows:
                raise DataError(f"unknown input {dst!r}", file=slabel, row=line, field=field)
            edge_rows[(src, dst)] = (slabel, line)
            relations.append(build_record(Relation, slabel, line, source=src, target=dst, kind=rkind))

    try:
        chain = SupplyChain(
            name=name or ("eto" if vintage == "current" else "eto-v1"),
            title="ETO Advanced Semiconductor Supply Chain Dataset"
                  + (" (first release)" if vintage == "v1" else ""),
            description=f"Loaded from {folder} ({vintage} vintage).",
            licence="CC BY-NC 4.0; attribute Emerging Technology Observatory / CSET",
            origin=str(folder),
            stages=tuple(stages), inputs=tuple(inputs), providers=tuple(providers.values()),
            provisions=tuple(provisions), relations=tuple(relations), findings=tuple(findings),
        )
    except ValidationError as exc:
        cycle = cycle_in(exc)
        if cycle:
            err = cycle_error(cycle, edge_rows, slabel)
            raise DataError(err.problem, file=slabel, row=err.location.row, field="goes_into_id") from None
        raise DataError(first_message(exc), file=str(folder)) from None
    from pinchpoint.supplychain.quality import RowIndex, with_quality_findings

    inputs_file = label("inputs.csv")
    return with_quality_findings(chain, RowIndex(provisions=dict(places), relations=edge_rows,
                                                 inputs={i: (inputs_file, n) for i, n in input_rows.items()}))


def _check_unique(key: str, seen: dict[str, int], file: str, line: int, field: str) -> None:
    if not key:
        raise DataError("id is blank", file=file, row=line, field=field)
    if key in seen:
        raise DataError(f"duplicate id {key!r} (first on row {seen[key]})", file=file, row=line, field=field)
    seen[key] = line
