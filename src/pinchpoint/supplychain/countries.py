"""Country codes: ISO 3166 alpha-3 plus a few documented pseudo-regions.

Country providers are always identified by their alpha-3 code so that results print the same
codes whatever the dataset called them. Pseudo-regions stand for shares that published sources
do not attribute to one country; analyses never treat them as a single country that can be lost.
"""

from __future__ import annotations

from functools import lru_cache

#: Codes for shares that sources give to no single country. Not ISO codes; documented here.
PSEUDO_REGIONS: dict[str, str] = {
    "VAR": "Various countries (fragmented, unattributed remainder)",
    "ROW": "Rest of world (unattributed remainder)",
    "EUR": "Europe (several European countries, not broken down)",
}

# Names some datasets use for pseudo-regions or countries, mapped to the codes above.
_ALIASES: dict[str, str] = {
    "various": "VAR",
    "various countries": "VAR",
    "other": "ROW",
    "others": "ROW",
    "rest of world": "ROW",
    "row": "ROW",
    "europe": "EUR",
    "eur": "EUR",
    "taiwan": "TWN",
    "south korea": "KOR",
    "korea": "KOR",
    "republic of korea": "KOR",
    "united states": "USA",
    "us": "USA",
    "u.s.": "USA",
    "uk": "GBR",
    "united kingdom": "GBR",
    "russia": "RUS",
    "netherlands": "NLD",
    "czech republic": "CZE",
    "china": "CHN",
    "hong kong": "HKG",
    "vietnam": "VNM",
    "iran": "IRN",
}


@lru_cache(maxsize=1)
def _iso3() -> dict[str, str]:
    import pycountry

    return {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def is_pseudo_region(code: str) -> bool:
    return code in PSEUDO_REGIONS


def is_country_code(code: str) -> bool:
    """True for an ISO 3166 alpha-3 code or a documented pseudo-region."""
    return code in PSEUDO_REGIONS or code in _iso3()


def country_name(code: str) -> str:
    if code in PSEUDO_REGIONS:
        return PSEUDO_REGIONS[code]
    return _iso3().get(code, code)


def normalise_country(value: str) -> str | None:
    """Return the alpha-3 code (or pseudo-region code) for ``value``, or None if unknown."""
    text = value.strip()
    if not text:
        return None
    upper = text.upper()
    if upper in PSEUDO_REGIONS or upper in _iso3():
        return upper
    alias = _ALIASES.get(text.lower())
    if alias:
        return alias
    import pycountry

    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return str(found.alpha_3)
