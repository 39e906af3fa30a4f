"""What a screening's refinements (country, type, birth date, gender) accept, read once for every interface: an
option given for all names (``screen --country``, ``POST /screen``) and a batch file's cell (``--country-column``)
accept the same values and read them the same way. An option that holds no such value is an error naming the
parameter and the value; a cell that holds none is a note, and the row is screened without it.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from pinchpoint.errors import BadArgumentError, NotFoundError

#: The refinements, as the library's parameters are called.
REFINEMENTS = ("country", "entity_type", "birth_date", "gender")
TYPES = {"person": "person", "individual": "person", "natural person": "person", "p": "person",
         "organisation": "organisation", "organization": "organisation", "company": "organisation",
         "entity": "organisation", "legal entity": "organisation", "business": "organisation", "o": "organisation",
         "vessel": "vessel", "ship": "vessel", "aircraft": "aircraft", "airplane": "aircraft"}
GENDERS = {"male": "male", "m": "male", "man": "male", "female": "female", "f": "female", "woman": "female"}
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
FIRST_YEAR, LAST_YEAR = 1800, 2100  # birth years a list or a customer file can hold


def country(value: str, parameter: str = "country") -> str:
    """A party's country: an ISO 3166 alpha-3 or alpha-2 code (any case) or an English name, as
    :func:`pinchpoint.kernel.countries.resolve_country` reads it -> its alpha-3 code."""
    from pinchpoint.kernel.countries import resolve_country

    return resolve_country(value, role=parameter)


def entity_type(value: str, parameter: str = "entity_type") -> str:
    """person, organisation, vessel or aircraft (and the words lists and files use for them: individual,
    company, ship...)."""
    import difflib

    found = TYPES.get(value.strip().casefold())
    if found:
        return found
    close = difflib.get_close_matches(value.strip().casefold(), list(TYPES), n=1, cutoff=0.5)
    hint = f"; did you mean {TYPES[close[0]]}?" if close else ""
    raise BadArgumentError(f"{parameter} {value[:60]!r} is not a type (person, organisation, vessel or "
                           f"aircraft){hint}", parameter=parameter)


def gender(value: str, parameter: str = "gender") -> str:
    """male or female (M, F, man, woman)."""
    found = GENDERS.get(value.strip().casefold())
    if found:
        return found
    raise BadArgumentError(f"{parameter} {value[:60]!r} is not a gender (male, female, M or F)", parameter=parameter)


def birth_date(value: str, parameter: str = "birth_date") -> str:
    """A birth date or its year and month, as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (``/`` or ``.`` between the
    parts, one-digit months and days read too) -> the ISO form. A month or day that does not exist (1969-13-45,
    1969-02-30) is an error: read as its year alone it would raise the score of everyone born that year."""
    text = value.strip()
    found = _DATE.fullmatch(text)
    why = "give YYYY, YYYY-MM or YYYY-MM-DD"
    if found:
        year, month, day = found.groups()
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            why = f"the year is not between {FIRST_YEAR} and {LAST_YEAR}"
        elif month is not None and not 1 <= int(month) <= 12:
            why = f"there is no month {int(month)}"
        else:
            try:
                datetime.date(int(year), int(month or 1), int(day or 1))
            except ValueError:
                why = f"{year}-{int(month or 1):02d} has no day {int(day or 0)}"
            else:
                return year + "".join(f"-{int(g):02d}" for g in (month, day) if g)
    raise BadArgumentError(f"{parameter} {value[:60]!r} is not a birth date: {why}", parameter=parameter)


_READERS = {"country": country, "entity_type": entity_type, "birth_date": birth_date, "gender": gender}


def refinement(option: str, value: str) -> str:
    """``value`` read as the refinement ``option`` (one of :data:`REFINEMENTS`); an error names the parameter."""
    return _READERS[option](value, option)


def refinements(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with each refinement given (not None) read as :func:`refinement` reads it: "Syria" becomes
    SYR, "1969-7-10" 1969-07-10; one that holds no such value is an error naming the parameter and the value."""
    return {k: refinement(k, v) if k in _READERS and v is not None else v for k, v in options.items()}


def cell(option: str, value: str) -> tuple[str | None, str | None]:
    """A batch file's cell read as the refinement ``option``: (the value, None), (None, None) for an empty cell, or
    (None, a note saying why it is not one, with the closest values where there are some)."""
    if not value.strip():
        return None, None
    try:
        return refinement(option, value), None
    except (BadArgumentError, NotFoundError) as exc:
        message = str(exc)
        prefix = f"{option} "
        return None, message[len(prefix):] if message.startswith(prefix) else message
