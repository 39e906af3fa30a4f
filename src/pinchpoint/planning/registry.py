"""The support-measures registry: programmes, awards and the projects they fund, each figure with its citation.

Data, not code: the built-in registry is ``planning/data/{programmes,awards,projects}.yaml`` (every figure cites
its source: URL, title and date; see ``docs/planning.md`` for what is in it and what could not be verified).
Users read and write the same records as YAML, JSON or CSV (lists joined with `` | `` in CSV). A file is checked
whole before anything is kept: an unknown country, a negative amount, a repeated id, an award naming a project or
programme that does not exist, or a final date before the announcement is an error naming the file, the row (the
record's line in YAML, its line in CSV, its position in JSON) and the field.

Information sharing: :func:`changes_since` lists what changed since a date; :func:`compare_registries` reads a
partner's file against ours and reports the awards both hold with different figures as conflicts, keeping both.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from pinchpoint.errors import DataError, Problem
from pinchpoint.kernel.countries import is_country_code, normalise_country
from pinchpoint.results import ResultTable
from pinchpoint.supplychain.csvio import number_text

INSTRUMENTS = ("grant", "loan", "tax_credit", "equity", "guarantee")
STAGES = ("preliminary", "final", "disbursed", "amended", "withdrawn")
LIST_SEPARATOR = " | "


@dataclass(frozen=True)
class Citation:
    url: str
    title: str
    date: dt.date | None = None  # publication date of the source


@dataclass(frozen=True)
class Programme:
    id: str
    name: str
    country: str  # ISO3, or EU for the Union's framework
    currency: str
    description: str = ""
    sources: tuple[Citation, ...] = ()
    updated: dt.date | None = None


@dataclass(frozen=True)
class Award:
    id: str
    programme: str
    recipient: str
    country: str
    amount: float  # in ``currency``, as announced
    currency: str
    instrument: str
    stage: str
    announced: dt.date
    project: str = ""  # what it funds, in words
    final: dt.date | None = None  # date the award was made final (stage final or later)
    usd_per_unit: float | None = None  # USD per unit of ``currency``
    rate_date: dt.date | None = None
    rate_source: str = ""
    conditions: str = ""
    projects: tuple[str, ...] = ()  # ids in the project registry
    sources: tuple[Citation, ...] = ()
    updated: dt.date | None = None  # when this record last changed (defaults to the latest of its dates)
    note: str = ""

    @property
    def amount_usd(self) -> float | None:
        return None if self.usd_per_unit is None else self.amount * self.usd_per_unit

    @property
    def changed(self) -> dt.date:
        return self.updated or max(d for d in (self.announced, self.final) if d is not None)

    def figures(self) -> dict[str, Any]:
        """What a partner's copy must agree on for the two to be the same award."""
        return {"recipient": self.recipient, "country": self.country, "amount": self.amount,
                "currency": self.currency, "instrument": self.instrument, "stage": self.stage,
                "announced": self.announced, "final": self.final, "programme": self.programme}


@dataclass(frozen=True)
class Registry:
    programmes: tuple[Programme, ...] = ()
    awards: tuple[Award, ...] = ()
    project_ids: frozenset[str] = field(default_factory=frozenset)
    origin: str = ""

    def award(self, award_id: str) -> Award:
        for a in self.awards:
            if a.id == award_id:
                return a
        from pinchpoint.errors import NotFoundError
        from pinchpoint.supplychain.suggest import did_you_mean

        names = {a.id: a.recipient for a in self.awards}
        raise NotFoundError(f"no award {award_id!r}: " + did_you_mean(award_id, names, "award ids"), what="award",
                            value=award_id)


# Reading ------------------------------------------------------------------------------------------------------
def _date(raw: Any, *, file: str, row: int, field: str, required: bool = False) -> dt.date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise DataError("a date is required (YYYY-MM-DD)", file=file, row=row, field=field)
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise DataError(f"expected a date YYYY-MM-DD, found {raw!r}", file=file, row=row, field=field) from None


def _number(raw: Any, *, file: str, row: int, field: str, required: bool = False,
            positive: bool = False) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise DataError("a number is required", file=file, row=row, field=field)
        return None
    if isinstance(raw, bool):
        raise DataError(f"expected a number, found {raw!r}", file=file, row=row, field=field)
    try:
        value = float(number_text(raw, file=file, row=row, field=field)) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise DataError(f"expected a number, found {raw!r}", file=file, row=row, field=field) from None
    if not math.isfinite(value):
        raise DataError(f"expected a finite number, found {raw!r}", file=file, row=row, field=field)
    if value < 0 or (positive and value == 0):
        raise DataError(f"must be {'positive' if positive else 'non-negative'}, found {raw!r}", file=file, row=row,
                        field=field)
    return value


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _country(raw: Any, *, file: str, row: int, field: str, allow_eu: bool = False) -> str:
    text = _text(raw)
    if allow_eu and text.upper() == "EU":
        return "EU"
    code = normalise_country(text) if text else None
    if code is None or not is_country_code(code):
        from pinchpoint.kernel.countries import unknown_country_message

        raise DataError(unknown_country_message(text), file=file, row=row, field=field)
    return code


def filter_country(raw: str, *, allow_eu: bool = False) -> str:
    """The ISO3 code a ``country`` filter names (a code, alias or English name); an unknown one is a
    NotFoundError with the closest codes (a filter is a parameter, not a row of a file)."""
    text = raw.strip()
    if allow_eu and text.upper() == "EU":
        return "EU"
    code = normalise_country(text) if text else None
    if code is None or not is_country_code(code):
        from pinchpoint.errors import NotFoundError
        from pinchpoint.kernel.countries import closest_countries, unknown_country_message

        raise NotFoundError(unknown_country_message(text), suggestions=closest_countries(text), what="country",
                            value=text, field="country")
    return code


def _choice(raw: Any, options: Sequence[str], *, file: str, row: int, field: str) -> str:
    text = _text(raw).lower()
    if text not in options:
        raise DataError(f"unknown {field} {raw!r} (one of: {', '.join(options)})", file=file, row=row, field=field)
    return text


def _list(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [p.strip() for p in raw.split("|") if p.strip()]
    if isinstance(raw, list):
        return raw
    return [raw]


def _positional(raw: Any) -> list[Any]:
    """A list given as text separated by ``|`` whose empty items keep their place (a source without a date)."""
    if isinstance(raw, str):
        parts = [p.strip() for p in raw.split("|")]
        return parts if any(parts) else []
    return _list(raw)


def _citations(rec: Mapping[str, Any], *, file: str, row: int, required: bool) -> tuple[Citation, ...]:
    raw = rec.get("sources")
    out: list[Citation] = []
    if isinstance(raw, list) and raw and all(isinstance(s, Mapping) for s in raw):
        for k, s in enumerate(raw):
            url, title = _text(s.get("url")), _text(s.get("title"))
            if not url.startswith(("https://", "http://")) or not title:
                raise DataError("a source needs an http(s) url and a title", file=file, row=row,
                                field=f"sources.{k}")
            out.append(Citation(url, title, _date(s.get("date"), file=file, row=row, field=f"sources.{k}.date")))
    else:  # flat form (CSV): source_urls, source_titles, source_dates
        urls, titles = _list(rec.get("source_urls")), _list(rec.get("source_titles"))
        dates = _positional(rec.get("source_dates"))
        if len(titles) != len(urls) or (dates and len(dates) != len(urls)):
            raise DataError("source_urls, source_titles and source_dates must list as many items each", file=file,
                            row=row, field="source_titles")
        for k, url in enumerate(urls):
            if not str(url).startswith(("https://", "http://")):
                raise DataError(f"a source url must start with http(s)://, found {url!r}", file=file, row=row,
                                field="source_urls")
            out.append(Citation(str(url), str(titles[k]),
                                _date(dates[k], file=file, row=row, field="source_dates") if dates else None))
    if required and not out:
        raise DataError("every figure cites a source (url and title)", file=file, row=row, field="sources")
    return tuple(out)


def _records(path: Path, key: str) -> list[tuple[int, dict[str, Any]]]:
    """``(row, record)`` pairs from a YAML (a list or a mapping with ``key``), JSON or CSV file."""
    name = str(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError("no such file", file=name)
    if suffix == ".csv":
        from pinchpoint.supplychain.csvio import read_rows

        return [(row, dict(rec)) for row, rec in read_rows(path, ("id",), name)]
    if suffix == ".json":
        from pinchpoint.yamlio import read_json

        doc: Any = read_json(path)  # capped: size, encoding, nesting
        lines: dict[tuple[Any, ...], int] = {}
    elif suffix in (".yaml", ".yml"):
        from pinchpoint.yamlio import load_yaml

        doc, lines = load_yaml(path)
    else:
        raise DataError("unrecognised file type: expected .yaml, .yml, .json or .csv", file=name)
    items = doc.get(key) if isinstance(doc, dict) else doc
    prefix: tuple[Any, ...] = (key,) if isinstance(doc, dict) else ()
    if not isinstance(items, list):
        raise DataError(f"expected a list of {key} (or a mapping with a '{key}' list)", file=name, row=1)
    from pinchpoint.yamlio import locate

    out = []
    for k, item in enumerate(items):
        row = (locate(lines, (*prefix, k)) if lines else None) or k + 1
        if not isinstance(item, dict):
            raise DataError(f"item {k + 1} is not a mapping of fields", file=name, row=row)
        out.append((row, item))
    return out


PROGRAMME_FIELDS = {"id", "name", "country", "currency", "description", "sources", "source_urls", "source_titles",
                    "source_dates", "updated"}
AWARD_FIELDS = {"id", "programme", "recipient", "project", "country", "amount", "currency", "instrument", "stage",
                "announced", "final", "usd_per_unit", "rate_date", "rate_source", "conditions", "projects",
                "sources", "source_urls", "source_titles", "source_dates", "updated", "note", "amount_usd"}


def _unknown_fields(rec: Mapping[str, Any], allowed: set[str], *, file: str, row: int) -> None:
    extra = sorted(str(k) for k in rec if k not in allowed)
    if extra:
        raise DataError(f"unknown field(s) {', '.join(map(repr, extra))}", file=file, row=row, field=extra[0])


def read_programmes(path: str | Path) -> tuple[Programme, ...]:
    p = Path(path)
    name = str(path)
    out: list[Programme] = []
    seen: dict[str, int] = {}
    for row, rec in _records(p, "programmes"):
        _unknown_fields(rec, PROGRAMME_FIELDS, file=name, row=row)
        ident = _text(rec.get("id"))
        if not ident:
            raise DataError("a programme needs an id", file=name, row=row, field="id")
        if ident in seen:
            raise DataError(f"programme id {ident!r} repeats the one on row {seen[ident]}", file=name, row=row,
                            field="id")
        seen[ident] = row
        out.append(Programme(ident, _text(rec.get("name")) or ident,
                             _country(rec.get("country"), file=name, row=row, field="country", allow_eu=True),
                             _currency(rec.get("currency"), file=name, row=row), _text(rec.get("description")),
                             _citations(rec, file=name, row=row, required=True),
                             _date(rec.get("updated"), file=name, row=row, field="updated")))
    return tuple(out)


def _currency(raw: Any, *, file: str, row: int) -> str:
    text = _text(raw).upper()
    if len(text) != 3 or not text.isalpha():
        raise DataError(f"expected an ISO 4217 currency code such as USD, JPY or EUR, found {raw!r}", file=file,
                        row=row, field="currency")
    return text


#: How many problems one awards file reports before it stops looking (each names its row and field).
MAX_PROBLEMS = 200


class _Problems:
    """The problems found in a file so far: ``take(check, ...)`` runs one field's check and, where it fails,
    keeps its problem and gives None, so one read reports every bad field of every row, not only the first."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def take(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except DataError as exc:
            self.found.extend(exc.problems)
            return None

    def failed(self, field: str, *, since: int) -> bool:
        """Whether ``field`` already has a problem among those found from position ``since`` (this row's)."""
        return any(p.field == field for p in self.found[since:])

    def add(self, message: str, *, file: str, row: int, field: str) -> None:
        self.found.append(Problem.at(message, file=file, row=row, field=field))

    def raise_if_any(self) -> None:
        if self.found:
            shown = self.found[:MAX_PROBLEMS]
            more = len(self.found) - len(shown)
            also = f" (and {len(self.found) - 1} more problem{'s' if len(self.found) > 2 else ''})" \
                if len(self.found) > 1 else ""
            raise DataError.from_problems(shown + ([Problem.at(f"... and {more} more", file=shown[0].file)]
                                                   if more else []), also)


def read_awards(path: str | Path, *, programmes: Iterable[str], projects: Iterable[str]) -> tuple[Award, ...]:
    """Awards from a file, checked against the programme and project ids they may name. Nothing is returned
    unless the whole file is valid; a file with errors is one :class:`DataError` holding every problem (each with
    its row and field), up to :data:`MAX_PROBLEMS`."""
    p = Path(path)
    name = str(path)
    programme_ids, project_ids = set(programmes), set(projects)
    out: list[Award] = []
    seen: dict[str, int] = {}
    problems = _Problems()
    for row, rec in _records(p, "awards"):
        before = len(problems.found)
        problems.take(_unknown_fields, rec, AWARD_FIELDS, file=name, row=row)
        ident = _text(rec.get("id"))
        if not ident:
            problems.add("an award needs an id", file=name, row=row, field="id")
        elif ident in seen:
            problems.add(f"award id {ident!r} repeats the one on row {seen[ident]}", file=name, row=row, field="id")
        else:
            seen[ident] = row
        programme = _text(rec.get("programme"))
        if programme not in programme_ids:
            from pinchpoint.supplychain.suggest import did_you_mean

            problems.add(f"award {ident!r} names programme {programme!r}, which the registry does not hold: "
                         + did_you_mean(programme, {k: "" for k in programme_ids}, "programmes"), file=name,
                         row=row, field="programme")
        linked = tuple(str(x) for x in _list(rec.get("projects")))
        for pid in linked:
            if pid not in project_ids:
                from pinchpoint.supplychain.suggest import did_you_mean

                problems.add(f"award {ident!r} is linked to project {pid!r}, which the project registry does not "
                             "hold: " + did_you_mean(pid, {k: "" for k in project_ids}, "project ids"), file=name,
                             row=row, field="projects")
        announced = problems.take(_date, rec.get("announced"), file=name, row=row, field="announced", required=True)
        final = problems.take(_date, rec.get("final"), file=name, row=row, field="final")
        if final is not None and announced is not None and final < announced:
            problems.add(f"final date {final} is before the announcement ({announced})", file=name, row=row,
                         field="final")
        stage = problems.take(_choice, rec.get("stage"), STAGES, file=name, row=row, field="stage")
        if stage in ("final", "disbursed") and final is None and not problems.failed("final", since=before):
            problems.add(f"a {stage} award gives the date it was made final", file=name, row=row, field="final")
        rate = problems.take(_number, rec.get("usd_per_unit"), file=name, row=row, field="usd_per_unit",
                             positive=True)
        currency = problems.take(_currency, rec.get("currency"), file=name, row=row)
        if currency == "USD" and rate is None:
            rate = 1.0
        rate_source = _text(rec.get("rate_source"))
        rate_date = problems.take(_date, rec.get("rate_date"), file=name, row=row, field="rate_date")
        if currency not in (None, "USD") and rate is not None and (not rate_source or rate_date is None):
            problems.add("a conversion to USD cites its rate: give rate_source and rate_date", file=name, row=row,
                         field="rate_source" if not rate_source else "rate_date")
        amount = problems.take(_number, rec.get("amount"), file=name, row=row, field="amount", required=True)
        country = problems.take(_country, rec.get("country"), file=name, row=row, field="country")
        instrument = problems.take(_choice, rec.get("instrument"), INSTRUMENTS, file=name, row=row,
                                   field="instrument")
        sources = problems.take(_citations, rec, file=name, row=row, required=True)
        updated = problems.take(_date, rec.get("updated"), file=name, row=row, field="updated")
        if len(problems.found) > before:
            continue
        out.append(Award(
            ident, programme, _text(rec.get("recipient")) or ident, country, amount, currency, instrument, stage,
            announced, _text(rec.get("project")), final, rate, rate_date, rate_source, _text(rec.get("conditions")),
            linked, sources, updated, _text(rec.get("note"))))
    problems.raise_if_any()
    return tuple(out)


def data_path(name: str) -> Path:
    return Path(str(files("pinchpoint.planning") / "data" / name))


def load_registry(awards: str | Path | None = None, *, programmes: str | Path | None = None,
                  project_ids: Iterable[str] | None = None) -> Registry:
    """The built-in registry, or ``awards`` checked against the built-in programmes and projects (or the given
    ones). Nothing is returned unless the whole file is valid."""
    prog = read_programmes(programmes or data_path("programmes.yaml"))
    if project_ids is None:  # the ids of the built-in projects (planning.projects validates the file itself)
        project_ids = [_text(rec.get("id")) for _, rec in _records(data_path("projects.yaml"), "projects")]
    ids = frozenset(project_ids)
    path = awards or data_path("awards.yaml")
    return Registry(prog, read_awards(path, programmes=[p.id for p in prog], projects=ids), ids, str(path))


# Writing ------------------------------------------------------------------------------------------------------
def award_record(a: Award, *, flat: bool = False) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": a.id, "programme": a.programme, "recipient": a.recipient, "project": a.project, "country": a.country,
        "amount": a.amount, "currency": a.currency, "instrument": a.instrument, "stage": a.stage,
        "announced": a.announced.isoformat(), "final": a.final.isoformat() if a.final else None,
        "usd_per_unit": a.usd_per_unit, "rate_date": a.rate_date.isoformat() if a.rate_date else None,
        "rate_source": a.rate_source, "conditions": a.conditions, "projects": list(a.projects),
        "updated": a.updated.isoformat() if a.updated else None, "note": a.note}
    sources = [{"url": s.url, "title": s.title, "date": s.date.isoformat() if s.date else None} for s in a.sources]
    if flat:
        rec["projects"] = LIST_SEPARATOR.join(a.projects)
        rec["source_urls"] = LIST_SEPARATOR.join(s["url"] or "" for s in sources)
        rec["source_titles"] = LIST_SEPARATOR.join((s["title"] or "").replace("|", "/") for s in sources)
        # every source keeps its place: a source without a date is an empty item
        rec["source_dates"] = LIST_SEPARATOR.join(s["date"] or "" for s in sources) if any(
            s["date"] for s in sources) else ""
    else:
        rec["sources"] = sources
    return rec


def write_awards(awards: Iterable[Award], path: str | Path) -> Path:
    """Awards as YAML, JSON or CSV (by the file's suffix), readable by :func:`read_awards`."""
    p = Path(path)
    suffix = p.suffix.lower()
    items = list(awards)
    if suffix == ".csv":
        from pinchpoint.results.table import SpreadsheetSafeDictWriter

        rows = [award_record(a, flat=True) for a in items]
        columns = list(rows[0]) if rows else list(award_record(_EMPTY, flat=True))
        with p.open("w", newline="", encoding="utf-8") as fh:
            writer = SpreadsheetSafeDictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for r in rows:
                writer.writerow({k: "" if v is None else v for k, v in r.items()})
    elif suffix == ".json":
        p.write_text(json.dumps({"awards": [award_record(a) for a in items]}, indent=1, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    elif suffix in (".yaml", ".yml"):
        import yaml

        p.write_text(yaml.safe_dump({"awards": [award_record(a) for a in items]}, sort_keys=False,
                                    allow_unicode=True), encoding="utf-8")
    else:
        raise DataError("unrecognised file type: expected .yaml, .yml, .json or .csv", file=str(path))
    return p


_EMPTY = Award("", "", "", "USA", 0.0, "USD", "grant", "final", dt.date(2000, 1, 1))


# Views --------------------------------------------------------------------------------------------------------
AWARD_COLUMNS = ("award_id", "programme", "recipient", "project", "country", "amount", "currency", "amount_usd_m",
                 "usd_per_unit", "rate_date", "instrument", "stage", "announced", "final", "projects", "sources")


def _row(a: Award) -> dict[str, Any]:
    usd = a.amount_usd
    return {"award_id": a.id, "programme": a.programme, "recipient": a.recipient, "project": a.project,
            "country": a.country, "amount": a.amount, "currency": a.currency,
            "amount_usd_m": round(usd / 1e6, 1) if usd is not None else None, "usd_per_unit": a.usd_per_unit,
            "rate_date": a.rate_date.isoformat() if a.rate_date else None, "instrument": a.instrument,
            "stage": a.stage, "announced": a.announced.isoformat(), "final": a.final.isoformat() if a.final else None,
            "projects": list(a.projects), "sources": [s.url for s in a.sources]}


def awards_table(registry: Registry, *, country: str | None = None, programme: str | None = None,
                 stage: str | None = None, since: dt.date | None = None) -> ResultTable:
    """Awards (filtered), amounts as announced and in USD at each record's cited rate. An empty result says which
    filter emptied it and what the awards before it hold (their countries, programmes, stages or dates)."""
    steps: list[tuple[str, Callable[[Award], bool], Callable[[list[Award]], str]]] = []
    if country:
        code = filter_country(country, allow_eu=True)
        steps.append((f"country {code}", lambda a: a.country == code,
                      lambda held: "their countries are " + _counted(a.country for a in held)))
    if programme:
        if programme not in {p.id for p in registry.programmes}:
            from pinchpoint.errors import NotFoundError
            from pinchpoint.supplychain.suggest import did_you_mean

            raise NotFoundError(f"unknown programme {programme!r}: " + did_you_mean(
                programme, {p.id: p.name for p in registry.programmes}, "programmes"), what="programme",
                value=programme)
        steps.append((f"programme {programme}", lambda a: a.programme == programme,
                      lambda held: "their programmes are " + _counted(a.programme for a in held)))
    if stage:
        if stage not in STAGES:
            from pinchpoint.errors import BadArgumentError

            raise BadArgumentError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})", parameter="stage")
        steps.append((f"stage {stage}", lambda a: a.stage == stage,
                      lambda held: "their stages are " + _counted(a.stage for a in held)))
    if since:
        steps.append((f"changed since {since}", lambda a: a.changed >= since,
                      lambda held: "each was last announced, made final or edited between "
                                   f"{min(a.changed for a in held)} and {max(a.changed for a in held)}"))
    chosen = list(registry.awards)
    filters = [label for label, _, _ in steps]
    emptied = ""
    for k, (label, keep, held) in enumerate(steps):
        before, chosen = chosen, [a for a in chosen if keep(a)]
        if before and not chosen:
            many = "the one award" if len(before) == 1 else f"the {len(before)} awards"
            earlier = f"{many} left by {', '.join(filters[:k])}" if k else f"{many} of the registry"
            what = ("was announced, made final or edited on or after " + str(since) if label.startswith("changed")
                    else f"has {label}")
            emptied = f"No award matches: none of {earlier} {what}; {held(before)}."
    chosen.sort(key=lambda a: (a.country, a.announced, a.id))
    table = ResultTable.from_records("awards", [_row(a) for a in chosen], AWARD_COLUMNS,
                                     meta={"analysis": "incentives", "registry": registry.origin,
                                           "filters": filters})
    caveats = ["Amounts are the announced maxima ('up to'), in the announced currency; amount_usd_m (USD million) "
               "converts at each "
               "record's cited, dated rate (usd_per_unit, rate_date), not at today's rate.",
               "The registry holds what could be verified from a readable source; docs/planning.md lists the awards "
               "left out for want of one."]
    if emptied:
        caveats.append(emptied)
    elif not chosen:
        caveats.append("The registry holds no award.")
    totals = country_totals(chosen)
    if totals:
        caveats.append("Country totals add amount_usd_m (USD million, at each award's cited rate) of the awards "
                       "selected; withdrawn awards and amended ones, whose successors carry the current figures, "
                       "are not counted; preliminary terms are counted and each total says how much of it they are; "
                       "an award without a USD figure is not converted at a rate of our choosing: it is left out "
                       "and named with its sum in its own currency.")
        caveats += [_total_text(t) for t in totals]
        table = ResultTable(table.name, table.columns, table.rows, {**table.meta, "country_totals": totals})
    return table.with_caveats(*caveats)


def _money(currency: str, amount: float) -> str:
    """``JPY 1,087.4 bn``, ``EUR 920 m``: a sum in its own currency, never converted."""
    value, unit = (amount / 1e9, "bn") if amount >= 1e9 else (amount / 1e6, "m")
    text = f"{value:,.1f}"
    return f"{currency} {text[:-2] if text.endswith('.0') else text} {unit}"


def country_totals(awards: Iterable[Award]) -> list[dict[str, Any]]:
    """Per country, the USD total of the awards that count (not withdrawn, not amended), how many of them it
    adds, how much of it is preliminary, and the awards left out for want of a USD figure with their sums in their
    own currencies (a total that silently dropped them would read as the country's whole support)."""
    by_country: dict[str, list[Award]] = {}
    for a in awards:
        if a.stage not in ("withdrawn", "amended"):
            by_country.setdefault(a.country, []).append(a)
    out: list[dict[str, Any]] = []
    for country, items in sorted(by_country.items()):
        counted = [a for a in items if a.amount_usd is not None]
        prelim = [a for a in counted if a.stage == "preliminary"]
        left: dict[str, float] = {}
        for a in items:
            if a.amount_usd is None:
                left[a.currency] = left.get(a.currency, 0.0) + a.amount
        out.append({"country": country, "usd_m": round(sum(a.amount_usd or 0.0 for a in counted) / 1e6, 1),
                    "awards_counted": len(counted), "awards": len(items),
                    "preliminary_awards": len(prelim),
                    "preliminary_usd_m": round(sum(a.amount_usd or 0.0 for a in prelim) / 1e6, 1),
                    "not_counted": [a.id for a in items if a.amount_usd is None],
                    "not_counted_amounts": {c: left[c] for c in sorted(left)}})
    return out


def _total_text(t: dict[str, Any]) -> str:
    n, counted = t["awards"], t["awards_counted"]
    of = f"{counted} of {n} awards" if counted != n else f"{n} award" + ("s" if n != 1 else "")
    text = (f"Total {t['country']}: USD {t['usd_m']:,.0f} m from {of}" if counted else
            f"Total {t['country']}: no USD total (none of its {n} award{'s' if n != 1 else ''} has a USD figure)")
    if t["preliminary_awards"]:
        k = t["preliminary_awards"]
        text += (f", including {k} preliminary award{'s' if k != 1 else ''} (terms not final) of USD "
                 f"{t['preliminary_usd_m']:,.0f} m")
    missing = len(t["not_counted"])
    if missing and counted:
        text += (f"; not counted: {missing} award{'s' if missing != 1 else ''} "
                 f"{' + '.join(_money(c, v) for c, v in t['not_counted_amounts'].items())} without a USD figure "
                 f"({', '.join(t['not_counted'])})")
    elif missing:
        text += (f": {' + '.join(_money(c, v) for c, v in t['not_counted_amounts'].items())} "
                 f"({', '.join(t['not_counted'])})")
    return text + "."


def _counted(values: Iterable[str]) -> str:
    """Distinct values with how many times each occurs, most frequent first: "USA (30), JPN (12)"."""
    counts = Counter(values)
    return ", ".join(f"{v} ({n})" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def changes_since(registry: Registry, since: dt.date) -> tuple[Award, ...]:
    """Awards whose record changed on or after ``since`` (announced, made final, or edited)."""
    return tuple(a for a in registry.awards if a.changed >= since)


def compare_registries(ours: Registry, theirs: Sequence[Award], *, partner: str = "partner") -> ResultTable:
    """A partner's awards against ours: ``new`` (only theirs), ``same``, or ``conflict`` (same id, different
    figures: one row per differing field, both values). Neither side is changed."""
    by_id = {a.id: a for a in ours.awards}
    rows: list[dict[str, Any]] = []
    for a in theirs:
        mine = by_id.get(a.id)
        if mine is None:
            rows.append({"award_id": a.id, "status": "new", "field": None, "ours": None, "theirs": None,
                         "recipient": a.recipient})
            continue
        diffs = {k: (v, a.figures()[k]) for k, v in mine.figures().items() if v != a.figures()[k]}
        if not diffs:
            rows.append({"award_id": a.id, "status": "same", "field": None, "ours": None, "theirs": None,
                         "recipient": a.recipient})
        for k, (v_ours, v_theirs) in diffs.items():
            rows.append({"award_id": a.id, "status": "conflict", "field": k, "ours": _plain(v_ours),
                         "theirs": _plain(v_theirs), "recipient": mine.recipient})
    counts = {s: len({r["award_id"] for r in rows if r["status"] == s}) for s in ("new", "same", "conflict")}
    table = ResultTable.from_records("award_comparison", rows, ["award_id", "recipient", "status", "field", "ours",
                                                                "theirs"],
                                     meta={"analysis": "incentives compare", "partner": partner, **counts})
    return table.with_caveats(f"{partner}: {counts['new']} new, {counts['same']} the same, {counts['conflict']} in "
                              "conflict (same award id, different figures); no record on either side was changed.")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def merged(ours: Registry, theirs: Sequence[Award]) -> Registry:
    """Ours plus the partner's awards we lack; conflicting ones keep our figures (see :func:`compare_registries`)."""
    have = {a.id for a in ours.awards}
    return replace(ours, awards=ours.awards + tuple(a for a in theirs if a.id not in have))


def read_csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])
