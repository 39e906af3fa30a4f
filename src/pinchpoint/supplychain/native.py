"""Loader for pinchpoint's native format: one YAML file or a folder of CSV files.

The format is documented in ``docs/native-format.md``. Both spellings go through the same
row-by-row checks, so an error always names the file, the row (CSV line, or YAML line) and
the field.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from pinchpoint.errors import DataError, Problem
from pinchpoint.kernel.countries import normalise_country, unknown_country_message
from pinchpoint.supplychain.csvio import (
    build_record,
    cycle_error,
    cycle_in,
    first_message,
    parse_float,
    parse_int,
    read_rows,
)
from pinchpoint.supplychain.model import (
    Input,
    Mode,
    Provider,
    ProviderKind,
    Provision,
    Relation,
    Source,
    Stage,
    SupplyChain,
    find_cycle,
)
from pinchpoint.supplychain.shares import OVERSHOOT_LIMIT, beyond_rounding, look_like_fractions
from pinchpoint.yamlio import load_yaml, read_yaml_document

SECTIONS = ("sources", "stages", "inputs", "providers", "provisions", "relations")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

Row = tuple[str, int, dict[str, Any]]  # (file label, line, fields)


@dataclass(frozen=True)
class FieldRule:
    """One field of a native section, as the model declares it: required or not, its type (``text``, ``number``,
    ``integer``, ``list``, ``choice``), its choices (an enumeration's values) and bounds."""

    name: str
    required: bool
    type: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Spelling:
    """How the native format spells one model: fields renamed (native name -> model field), model fields it
    leaves out, and the few places it differs from the model (each documented in docs/native-format.md)."""

    model: type[BaseModel]
    renamed: dict[str, str] = field(default_factory=dict)
    omitted: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # required by the model, defaulted by the format
    required: tuple[str, ...] = ()  # a column the format requires although the model has a default


SPELLINGS: dict[str, Spelling] = {
    "sources": Spelling(Source),
    "stages": Spelling(Stage),
    "inputs": Spelling(Input, omitted=("market_size_text",)),  # derived from ETO's text, not written by hand
    "providers": Spelling(Provider, optional=("kind",)),  # default: organisation
    "provisions": Spelling(Provision, required=("share",)),  # the column must be there; a blank share is allowed
    "relations": Spelling(Relation, renamed={"from": "source", "to": "target"}),
}


def _rule(name: str, info: FieldInfo, required: bool) -> FieldRule:
    annotation = info.annotation
    union = get_origin(annotation) in (Union, UnionType)
    base: Any = next(a for a in get_args(annotation) if a is not type(None)) if union else annotation
    minimum = next((float(m.ge) for m in info.metadata if hasattr(m, "ge")), None)
    maximum = next((float(m.le) for m in info.metadata if hasattr(m, "le")), None)
    if isinstance(base, type) and issubclass(base, Enum):
        return FieldRule(name, required, "choice", tuple(str(e.value) for e in base))
    if get_origin(base) is tuple:
        return FieldRule(name, required, "list")
    kind = {float: "number", int: "integer"}.get(base, "text")
    return FieldRule(name, required, kind, (), minimum, maximum)


def field_rules(section: str) -> dict[str, FieldRule]:
    """The rules of one section, generated from its Pydantic model's fields and the format's :data:`SPELLINGS`."""
    spelling = SPELLINGS[section]
    native_name = {model_name: native for native, model_name in spelling.renamed.items()}
    rules: dict[str, FieldRule] = {}
    for model_name, info in spelling.model.model_fields.items():
        if model_name in spelling.omitted:
            continue
        name = native_name.get(model_name, model_name)
        required = (info.is_required() and name not in spelling.optional) or name in spelling.required
        rules[name] = _rule(name, info, required)
    return rules


RULES: dict[str, dict[str, FieldRule]] = {section: field_rules(section) for section in SECTIONS}


def required_fields(section: str) -> tuple[str, ...]:
    return tuple(r.name for r in RULES[section].values() if r.required)


#: How many problems one dataset reports before it stops listing them (each names its file, row and field).
MAX_PROBLEMS = 200


class Problems:
    """The problems found in a dataset so far. ``row()`` wraps one row's checks: a failing check's problem is kept
    and the rest of that row skipped, so one read reports every bad row of every file, not only the first; the
    same place and field is reported once (a YAML item lacking a field fails its reading and its assembly). They
    are reported by file and row."""

    def __init__(self) -> None:
        self.found: list[Problem] = []
        self._seen: set[tuple[str | None, int | None, str | None]] = set()

    def add(self, exc: DataError) -> None:
        for problem in exc.problems:
            place = (problem.file, problem.row, problem.field)
            if place not in self._seen:
                self._seen.add(place)
                self.found.append(problem)

    @contextmanager
    def row(self) -> Iterator[None]:
        try:
            yield
        except DataError as exc:
            self.add(exc)

    def raise_if_any(self) -> None:
        """One :class:`DataError` holding every problem found (the first :data:`MAX_PROBLEMS`), if any."""
        if not self.found:
            return
        found = sorted(self.found, key=lambda p: (p.file or "", p.row or 0))  # as the files read, not as checked
        shown = found[:MAX_PROBLEMS]
        more = len(found) - len(shown)
        files = sorted({p.file for p in self.found if p.file})
        where = f", in {len(files)} files" if len(files) > 1 else ""
        also = (f" (and {len(self.found) - 1} more problem{'s' if len(self.found) > 2 else ''}{where})"
                if len(self.found) > 1 else "")
        raise DataError.from_problems(shown + ([Problem.at(f"... and {more} more", file=shown[0].file)]
                                               if more else []), also)


def load_native(path: str | Path, *, name: str | None = None) -> SupplyChain:
    """Load a native YAML file or CSV folder into a :class:`SupplyChain`; a dataset with errors is one
    :class:`DataError` holding every problem found (each naming its file, row and field)."""
    p = Path(path)
    problems = Problems()
    if p.is_dir():
        meta, sections, unreadable = _read_csv_folder(p, problems)
    else:
        meta, sections = _read_yaml(p, problems)
        unreadable = set()
    return _assemble(p, meta, sections, name, problems, unreadable)


# Reading ----------------------------------------------------------------------------------
def _read_yaml(path: Path, problems: Problems) -> tuple[dict[str, Any], dict[str, list[Row]]]:
    label = str(path)
    doc, lines = load_yaml(path)  # size, encoding and alias-expansion caps; the line of every key and item
    if not isinstance(doc, dict):
        raise DataError("expected a mapping with keys such as 'inputs' and 'provisions'", file=label, row=1)
    unknown = sorted(str(k) for k in doc if k not in SECTIONS and k not in
                     ("name", "title", "description", "licence", "license"))
    if unknown:
        raise DataError(f"unknown top-level key(s): {', '.join(unknown)}", file=label,
                        row=lines.get((unknown[0],), 1), field=unknown[0])
    sections: dict[str, list[Row]] = {}
    for key in SECTIONS:
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise DataError(f"'{key}' must be a list", file=label, row=lines.get((key,)), field=key)
        rows: list[Row] = []
        for idx, item in enumerate(items):
            line = lines.get((key, idx))
            if not isinstance(item, dict):
                problems.add(DataError(f"item {idx} of '{key}' must be a mapping", file=label, row=line, field=key))
                continue
            for missing in [c for c in required_fields(key) if c not in item]:
                problems.add(DataError(f"{key}[{idx}] lacks '{missing}'", file=label, row=line, field=missing))
            with problems.row():
                _no_unknown_fields(key, item, label, line)
            # kept although faulty: its id is still known to the rows naming it, and its other fields are checked
            rows.append((label, line or 0, {k: ("" if v is None else v) for k, v in item.items()}))
        sections[key] = rows
    meta = {k: doc.get(k) for k in ("name", "title", "description", "licence")}
    meta["licence"] = meta["licence"] or doc.get("license")
    return meta, sections


def _read_csv_folder(path: Path, problems: Problems) -> tuple[dict[str, Any], dict[str, list[Row]], set[str]]:
    """The dataset's metadata, its sections' rows, and the sections whose file could not be read (its problem
    kept): the other files are still checked, without the checks that need the unreadable one's ids."""
    meta: dict[str, Any] = {}
    meta_file = path / "dataset.yaml"
    if meta_file.exists():
        loaded = read_yaml_document(meta_file)[0] or {}
        if not isinstance(loaded, dict):
            raise DataError("expected a mapping", file=str(meta_file), row=1)
        meta = loaded
    sections: dict[str, list[Row]] = {}
    unreadable: set[str] = set()
    for key in SECTIONS:
        f = path / f"{key}.csv"
        sections[key] = []
        if not f.exists():
            if key in ("inputs",):
                raise DataError(f"missing {key}.csv", file=str(path))
            continue
        try:
            sections[key] = [(str(f), line, dict(row)) for line, row in read_rows(f, required_fields(key), str(f))]
        except DataError as exc:  # a file that cannot be read past a bad row: the others are still checked
            problems.add(exc)
            unreadable.add(key)
            continue
        if sections[key]:
            with problems.row():
                _no_unknown_fields(key, sections[key][0][2], str(f), 1)
    return meta, sections, unreadable


def _no_unknown_fields(section: str, item: dict[str, Any], label: str, line: int | None) -> None:
    """A misspelt or stray field would be silently lost: refuse it (in YAML, often an unquoted comma)."""
    unknown = sorted(str(k) for k in item if k not in RULES[section])
    if unknown:
        hint = " (a value with a comma needs quotes in YAML)" if any(item[k] in (None, "") for k in unknown) else ""
        raise DataError(f"unknown field {unknown[0]!r} in {section}; expected "
                        f"{', '.join(sorted(RULES[section]))}{hint}", file=label, row=line, field=unknown[0])


def _choice(section: str, name: str, value: str, what: str, file: str, line: int) -> str:
    """``value`` if it is one of the field's choices (the model's enumeration); an error listing them if not."""
    choices = RULES[section][name].choices
    if value not in choices:
        expected = " or ".join(choices) if len(choices) == 2 else "one of " + ", ".join(choices)
        raise DataError(f"unknown {what} {value!r} (expected {expected})", file=file, row=line, field=name)
    return value


def _number(section: str, name: str, row: dict[str, Any], file: str, line: int) -> float | None:
    """A number field parsed and checked against the model's bounds, naming the file, line and field."""
    rule = RULES[section][name]
    text = _text(row, name)
    value: float | None = (parse_int(text, file=file, row=line, field=name) if rule.type == "integer"
                           else parse_float(text, file=file, row=line, field=name,
                                            percent=(section, name) == ("provisions", "share")))
    if value is not None and ((rule.minimum is not None and value < rule.minimum)
                              or (rule.maximum is not None and value > rule.maximum)):
        low = "" if rule.minimum is None else f"{rule.minimum:g}"
        high = "" if rule.maximum is None else f"{rule.maximum:g}"
        bound = f"outside {low}-{high}" if low and high else (f"below {low}" if low else f"above {high}")
        raise DataError(f"{name} {value:g} is {bound}", file=file, row=line, field=name)
    return value


# Assembling -------------------------------------------------------------------------------
def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key, "")
    return "" if value is None else str(value).strip()


def _assemble(path: Path, meta: dict[str, Any], sections: dict[str, list[Row]], name: str | None,
              problems: Problems, unreadable: set[str]) -> SupplyChain:
    """The chain the rows describe, every row checked: a bad row's problem is kept and the row left out, and the
    ids of rows left out (or of a file that could not be read) still count as declared, so the rows naming them
    are not blamed too. Any problem found is raised at the end, all of them in one :class:`DataError`."""
    ds_name = name or meta.get("name") or path.stem.lower()
    if not _NAME.match(str(ds_name)):
        problems.add(DataError(f"dataset name {ds_name!r} must be lower-case letters, digits, '-', '_' or '.'",
                               file=str(path), field="name"))

    def declared(section: str) -> set[str]:
        return {_text(r, "id") for _, _, r in sections[section]} - {""}

    def known(value: str, ids: set[str], *of: str) -> bool:
        """Whether ``value`` is declared, or might be in a file that could not be read."""
        return value in ids or any(section in unreadable for section in of)

    sources: list[Source] = []
    for f, line, r in sections["sources"]:
        with problems.row():
            sources.append(build_record(Source, f, line, id=_text(r, "id"), citation=_text(r, "citation"),
                                        url=_text(r, "url") or None))
    _unique(sections["sources"], "id", problems)

    stages: list[Stage] = []
    for f, line, r in sections["stages"]:
        with problems.row():
            stages.append(build_record(Stage, f, line, id=_text(r, "id"), name=_text(r, "name"),
                                       description=_text(r, "description")))
    stage_ids = declared("stages")
    _unique(sections["stages"], "id", problems)

    inputs: list[Input] = []
    for f, line, r in sections["inputs"]:
        with problems.row():
            kind = _choice("inputs", "kind", _text(r, "kind"), "kind", f, line)
            stage = _text(r, "stage") or None
            if stage is not None and not known(stage, stage_ids, "stages"):
                raise DataError(f"unknown stage {stage!r}", file=f, row=line, field="stage")
            inputs.append(build_record(
                Input, f, line, id=_text(r, "id"), name=_text(r, "name"), kind=kind, stage=stage,
                description=_text(r, "description"),
                market_size_usd=_number("inputs", "market_size_usd", r, f, line),
                market_size_year=_number("inputs", "market_size_year", r, f, line),
                source=_text(r, "source") or None,
            ))
    _unique(sections["inputs"], "id", problems, also=stage_ids)
    input_ids = declared("inputs")

    providers: dict[str, Provider] = {}
    faulty_providers: set[str] = set()  # declared on a row with a problem: the provisions naming them are skipped
    for f, line, r in sections["providers"]:
        pid = _text(r, "id")
        with problems.row():
            faulty_providers.add(pid)
            kind = _text(r, "kind") or "organisation"
            if kind == "organization":
                kind = "organisation"
            kind = _choice("providers", "kind", kind, "provider kind", f, line)
            aliases = r.get("aliases") or ()
            if isinstance(aliases, str):
                aliases = tuple(a.strip() for a in aliases.split(";") if a.strip())
            if kind == "country":
                code = normalise_country(pid)
                if code is None:
                    raise DataError(f"unknown country {pid!r} (use ISO 3166 alpha-3 or VAR/ROW/EUR)",
                                    file=f, row=line, field="id")
                pid, country = code, None
            else:
                raw = _text(r, "country")
                if not raw:
                    raise DataError("organisations need a home country (ISO3)", file=f, row=line, field="country")
                country = normalise_country(raw)
                if country is None:
                    raise DataError(unknown_country_message(raw), file=f, row=line, field="country")
            if pid in providers:
                raise DataError(f"duplicate provider id {pid!r}", file=f, row=line, field="id")
            providers[pid] = build_record(Provider, f, line, id=pid, name=_text(r, "name"), kind=kind,
                                          country=country, aliases=tuple(str(a) for a in aliases))
            faulty_providers.discard(_text(r, "id"))

    provisions: list[Provision] = []
    provision_rows: dict[tuple[str, str, int], int] = {}
    places: dict[tuple[str, str, int], list[tuple[str, int]]] = defaultdict(list)
    percent_sign = False
    groups: dict[tuple[str, int, bool], list[tuple[int, Provision]]] = defaultdict(list)
    for f, line, r in sections["provisions"]:
        with problems.row():
            ref = _text(r, "provider")
            if ref in faulty_providers:
                continue  # its provider's row has a problem, reported there
            if ref not in providers and "providers" in unreadable:
                # an organisation of the unreadable file, or a country: unknown, so the row's own fields are
                # checked but it joins no share group ("gw" would be read as Guinea-Bissau's GW)
                _check_fields_of_provision(r, f, line, input_ids | stage_ids, unreadable)
                continue
            if ref not in providers:
                code = normalise_country(ref)
                if code is None:
                    raise DataError(f"unknown provider {ref!r} (declare organisations under 'providers'; "
                                    "countries are ISO3 codes)", file=f, row=line, field="provider")
                if code not in providers:
                    from pinchpoint.kernel.countries import country_name

                    providers[code] = Provider(id=code, name=country_name(code), kind=ProviderKind.COUNTRY)
                ref = code
            target, share, year = _check_fields_of_provision(r, f, line, input_ids | stage_ids, unreadable)
            key = (ref, target, int(year))
            if key in provision_rows:  # analyses would add the two shares (TWN 60 twice read as 120)
                raise DataError(f"{ref} already has a share of {target!r} for {int(year)} on row "
                                f"{provision_rows[key]}: one row per provider, input and year (to revise a figure, "
                                "edit that row; analyses would add the two)", file=f, row=line, field="provider")
            provision_rows[key] = line
            provisions.append(build_record(Provision, f, line, provider=ref, input=target, share=share, year=year,
                                           source=_text(r, "source") or None,
                                           note=_text(r, "note") or None))
            places[key].append((f, line))
            groups[(target, int(year), providers[ref].kind is ProviderKind.COUNTRY)].append((line, provisions[-1]))
            percent_sign = percent_sign or "%" in _text(r, "share")
    provisions_file = sections["provisions"][0][0] if sections["provisions"] else str(path)
    if not percent_sign:  # "55%" says percent outright: a file of 1% shares is not refused
        with problems.row():
            _no_fractions(groups, provisions_file)
    _no_overshoot(groups, provisions_file, problems)

    relations: list[Relation] = []
    edge_rows: dict[tuple[str, str], tuple[str, int]] = {}
    for f, line, r in sections["relations"]:
        with problems.row():
            src, dst = _text(r, "from"), _text(r, "to")
            for end, value in (("from", src), ("to", dst)):
                if not known(value, input_ids, "inputs"):
                    raise DataError(f"unknown input {value!r}", file=f, row=line, field=end)
            kind = _choice("relations", "kind", _text(r, "kind"), "relation kind", f, line)
            mode = _choice("relations", "mode", _text(r, "mode") or Mode.COMPLEMENT.value, "mode", f, line)
            if (src, dst) in edge_rows:
                raise DataError(f"duplicate relation {src} -> {dst} (first on row {edge_rows[(src, dst)][1]})",
                                file=f, row=line, field="to")
            relations.append(build_record(Relation, f, line, source=src, target=dst, kind=kind, mode=mode))
            edge_rows[(src, dst)] = (f, line)
    cycle = find_cycle(relations)
    if cycle:
        problems.add(cycle_error(cycle, edge_rows, str(path)))
    problems.raise_if_any()

    from pinchpoint.supplychain.quality import RowIndex, with_quality_findings

    rows = RowIndex(provisions=dict(places), inputs={_text(r, "id"): (f, line) for f, line, r in sections["inputs"]},
                    relations=edge_rows)
    try:
        return with_quality_findings(SupplyChain(
            name=str(ds_name), title=str(meta.get("title") or ds_name),
            description=str(meta.get("description") or ""), licence=str(meta.get("licence") or ""),
            origin=str(path), sources=tuple(sources), stages=tuple(stages), inputs=tuple(inputs),
            providers=tuple(providers.values()), provisions=tuple(provisions), relations=tuple(relations),
        ), rows)
    except ValidationError as exc:
        found = cycle_in(exc)
        if found:
            raise cycle_error(found, edge_rows, str(path)) from None
        raise DataError(first_message(exc), file=str(path)) from None


def _check_fields_of_provision(r: dict[str, Any], f: str, line: int, targets: set[str], unreadable: set[str]
                               ) -> tuple[str, float | None, int]:
    """A provision row's input (or stage), share and year, checked."""
    target = _text(r, "input")
    if target not in targets and not unreadable & {"inputs", "stages"}:
        raise DataError(f"unknown input or stage {target!r}", file=f, row=line, field="input")
    share = _number("provisions", "share", r, f, line)
    year = _number("provisions", "year", r, f, line)
    if year is None:
        raise DataError("year is blank", file=f, row=line, field="year")
    return target, share, int(year)


def _no_fractions(groups: dict[tuple[str, int, bool], list[tuple[int, Provision]]], file: str) -> None:
    """Shares written as fractions of 1 (0.55 for 55%) would load as shares below 1% and hide every chokepoint:
    when every share group sums to about 1 (:func:`~pinchpoint.supplychain.shares.look_like_fractions`), refuse
    the file, naming the groups."""
    totals = {key: [(line, pv) for line, pv in rows if pv.share is not None] for key, rows in groups.items()}
    totals = {key: rows for key, rows in totals.items() if rows}
    sums = {key: sum(pv.share or 0.0 for _, pv in rows) for key, rows in totals.items()}
    if not look_like_fractions(list(sums.values()), sum(len(rows) for rows in totals.values())):
        return
    first = min(line for rows in totals.values() for line, _ in rows)
    listed = ", ".join(f"{target} {year} {'country' if country else 'organisation'} {total:.4g} (rows "
                       f"{', '.join(str(line) for line, _ in rows)})"
                       for (target, year, country), rows in list(totals.items())[:5]
                       for total in [sums[(target, year, country)]])
    more = f" and {len(totals) - 5} more groups" if len(totals) > 5 else ""
    example = next(pv.share for rows in totals.values() for _, pv in rows if pv.share)
    raise DataError(f"shares look like fractions of 1: every share group sums to about 1, not 100 ({listed}{more}); "
                    f"shares are percentages: write {example * 100:.4g}, not {example:g} (if these really are "
                    "shares of about 1%, write them with a percent sign: 1%)", file=file, row=first, field="share")


def _no_overshoot(groups: dict[tuple[str, int, bool], list[tuple[int, Provision]]], file: str,
                  problems: Problems) -> None:
    """A group (input, year, level) whose shares sum above :data:`~pinchpoint.supplychain.shares.OVERSHOOT_LIMIT`
    is a wrong figure, not rounding: scaling it down would change every provider's share, so refuse it (every such
    group, each a problem at its largest figure)."""
    for (target, year, country), rows in groups.items():
        given = [(line, pv) for line, pv in rows if pv.share is not None]
        total = sum(pv.share or 0.0 for _, pv in given)
        if not beyond_rounding(total):
            continue
        line = max(given, key=lambda item: (item[1].share or 0.0, -item[0]))[0]  # the largest figure
        listed = ", ".join(f"row {n} {pv.provider} {pv.share:g}" for n, pv in given)
        problems.add(DataError(
            f"the {'country' if country else 'organisation'} shares of {target!r} for {year} sum to {total:g}% "
            f"({listed}): above {OVERSHOOT_LIMIT:g}%, more than rounding in published figures explains; correct the "
            "figure that is wrong (a typo, or a row repeated under another source?)", file=file, row=line,
            field="share"))


def _unique(rows: Iterable[Row], key: str, problems: Problems, also: set[str] | None = None) -> None:
    seen: dict[str, int] = {}
    for f, line, r in rows:
        value = _text(r, key)
        if not value:
            problems.add(DataError("id is blank", file=f, row=line, field=key))
        elif value in seen:
            problems.add(DataError(f"duplicate id {value!r} (first on row {seen[value]})", file=f, row=line,
                                   field=key))
        elif also and value in also:
            problems.add(DataError(f"id {value!r} is already a stage id", file=f, row=line, field=key))
        else:
            seen[value] = line
