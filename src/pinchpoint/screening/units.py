"""Branches, offices and places written after (or before) a listed organisation's name.

Customer files and payment messages name a unit of an organisation by its name and the unit: "Bank Melli Iran
London Branch", "Mahan Air Dubai Office", "Sucursal Madrid del Banco X". The matcher
(:meth:`pinchpoint.screening.matcher.Screener._unit_containment`) scores such a query as a strong match of the
listed organisation when its other words are only these: unit designations (:data:`UNIT_WORDS`, in the languages
the listed names use, with the words that qualify them, :data:`UNIT_QUALIFIERS`, and a branch number), places
(country names from :mod:`pinchpoint.kernel.countries`, and the towns, cities and regions the lists name,
``data/places.txt``, built by ``tools/build_places.py``) and linking words (of, de, der...). Any other word
("Watch Committee", "Fans Club") is not a unit, and the rule does not apply.

The vocabulary is data of the package, the same whatever lists a workspace holds, so a delta re-screening scores
as a full one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from pinchpoint.screening.normalize import analyse

#: Words that designate a unit of an organisation, folded as names are (lower case, no accents), in the languages
#: of the listed names: English, German, French, Spanish, Portuguese, Italian, and Russian and Persian as
#: romanised (filial, predstavitelstvo, otdelenie; shobeh).
UNIT_WORDS = frozenset({
    "branch", "branches", "office", "offices", "agency", "agencies", "subsidiary", "division", "department",
    "representation", "bureau", "headquarters", "hq",
    "filiale", "niederlassung", "zweigniederlassung", "zweigstelle", "geschaftsstelle", "vertretung",
    "reprasentanz", "succursale", "agence", "sucursal", "oficina", "agencia", "delegacion", "representacion",
    "filial", "escritorio", "representacao", "ufficio", "sede", "predstavitelstvo", "otdelenie", "ofis",
    "shobeh", "shobe", "shoabe",
})
#: Words that qualify a unit designation (Head Office, Representative Office, Main Branch): counted only beside one.
UNIT_QUALIFIERS = frozenset({
    "head", "main", "regional", "region", "central", "liaison", "foreign", "overseas", "offshore", "sales", "local",
    "representative", "rep", "registered", "principal", "city", "country", "area", "district", "provincial",
    "international", "operations", "no", "nr", "number", "num",
})
#: Linking words between a name, a unit and a place ("London Branch of ...", "Sucursal de ...", "Filiale der ..."):
#: a listed name may leave them out or a query add them.
LINK_WORDS = frozenset({"and", "of", "the", "for", "in", "at", "de", "du", "la", "le", "les", "des", "del", "der",
                        "die", "das", "di", "da", "do", "dos", "em", "en", "a", "au", "aux", "et", "y", "und"})
MAX_PLACE_WORDS = 4  # the longest place name looked for (DEMOCRATIC REPUBLIC OF THE CONGO is one by its aliases)


@cache
def places() -> frozenset[tuple[str, ...]]:
    """Every place name the rule knows, as the matcher's tokens: the countries ``kernel.countries`` reads (ISO
    3166 names, its aliases, French and German names) and the places of ``data/places.txt``."""
    from pinchpoint.kernel.countries import country_spellings

    found: set[tuple[str, ...]] = set()
    text = files("pinchpoint.screening").joinpath("data/places.txt").read_text("utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    for name in (*names, *country_spellings()):
        tokens = analyse(name)[0]
        if tokens and len(tokens) <= MAX_PLACE_WORDS and not any(t.startswith("#") for t in tokens):
            found.add(tokens)
    return frozenset(found)


@cache
def place_words() -> frozenset[str]:
    """The one-word places."""
    return frozenset(p[0] for p in places() if len(p) == 1)


@cache
def _place_tokens() -> frozenset[str]:
    return frozenset(t for p in places() for t in p)


def is_place(tokens: Sequence[str]) -> bool:
    """Whether ``tokens`` are wholly place names (one or several, linked or not)."""
    known = _place_tokens()
    if any(t not in known and t not in LINK_WORDS for t in tokens):  # most names: a word of no place
        return False
    found = read_extras([list(tokens)])
    return found is not None and not found.units and bool(found.places)


@dataclass(frozen=True)
class Extras:
    """What the words a query adds to a listed name are: unit designations and places, as written."""

    units: tuple[str, ...]
    places: tuple[str, ...]


def read_extras(runs: Sequence[Sequence[str]]) -> Extras | None:
    """The unit designations and places that make up every run of words (tokens) a query adds to a listed name, or
    None when a word is none of these (nor a linking word, a qualifier or number beside a unit designation) or the
    runs hold neither a unit designation nor a place. Places are read longest first."""
    known = places()
    units: list[str] = []
    found: list[str] = []
    qualified = False  # a qualifier or a number, which needs a unit designation beside it
    for run in runs:
        k = 0
        while k < len(run):
            for n in range(min(MAX_PLACE_WORDS, len(run) - k), 0, -1):
                if tuple(run[k:k + n]) in known:
                    found.append(" ".join(run[k:k + n]))
                    k += n
                    break
            else:
                t = run[k]
                if t in UNIT_WORDS:
                    units.append(t)
                elif t in UNIT_QUALIFIERS or t.isdigit():
                    qualified = True
                elif t not in LINK_WORDS:
                    return None
                k += 1
    if (qualified and not units) or not (units or found):
        return None
    return Extras(tuple(units), tuple(found))
