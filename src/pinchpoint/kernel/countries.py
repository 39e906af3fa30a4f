"""The one country vocabulary: ISO 3166 alpha-3 codes, documented pseudo-regions and trade aggregates, one alias
table, and named groups of countries as data.

* **Countries** are ISO 3166 alpha-3 codes (pycountry), plus Kosovo's ``XKX`` (used by the UN and the EU, not in
  ISO 3166) and historic codes in old trade years (:func:`known_code`).
* **Pseudo-regions** (``VAR``, ``ROW``, ``EUR``) stand for supply-chain shares that published sources give to no
  single country; analyses never treat them as one country that can be lost.
* **Trade aggregates** keep codes of their own and never enter sums over countries: ``WLD``, Eurostat's
  ``EU27_2020``, ``EU28``..., and the partners that are not countries (``NES_*``: not specified, bunkers, free
  zones; ``REGION_*``: a continent or a bloc as a partner).
* **Names**: one alias table (:data:`ALIASES`) of the spellings sources use for countries, shared by the
  supply-chain loaders (:func:`normalise_country`) and the trade adapters and list loaders (:func:`from_name`,
  which also reads Eurostat's English, French and German labels and its aggregate rows).
  "Europe" is the one name the two read differently: a supply-chain share of "Europe" is the pseudo-region
  ``EUR`` (some European countries, not broken down), a trade partner "Europe" the partner group
  ``REGION_EUROPE`` (stored trade data holds that code).
* **Groups** (``kernel/data/country_groups.yaml``): named groups with their members, a citation and, where
  membership changes, dates: ``CHN+HKG+MAC``, ``EU27_2020``, ``EU`` (changing), ``G7``, ``CHIP4``, ``WASSENAAR``...
  Look one up with :func:`group` (by name or alias) or :func:`group_members`.

:func:`is_aggregate` is the one test for "this code is not one country".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from pinchpoint.errors import BadArgumentError, DataError, NotFoundError

# Pseudo-regions ------------------------------------------------------------------------------------------------
#: Codes for supply-chain shares that sources give to no single country. Not ISO codes; documented here.
PSEUDO_REGIONS: dict[str, str] = {
    "VAR": "Various countries (fragmented, unattributed remainder)",
    "ROW": "Rest of world (unattributed remainder)",
    "EUR": "Europe (several European countries, not broken down)",
}
#: Names supply-chain datasets use for the pseudo-regions.
PSEUDO_REGION_NAMES: dict[str, str] = {
    "various": "VAR", "various countries": "VAR", "other": "ROW", "others": "ROW", "rest of world": "ROW",
    "row": "ROW", "europe": "EUR", "eur": "EUR",
}

# Trade aggregates ----------------------------------------------------------------------------------------------
#: Aggregates of trade statistics: they keep their own codes and never enter sums over member states.
AGGREGATES: dict[str, str] = {
    "WLD": "World", "EU27_2020": "European Union, 27 members (from 2020)", "EU28": "European Union, 28 members",
    "EU_CHANGING": "European Union, changing composition", "EA20": "Euro area, 20 members",
    "EA_CHANGING": "Euro area, changing composition", "EXTRA_EU27": "Extra-EU27 partners (from 2020)",
    "INTRA_EU27": "Intra-EU27 partners (from 2020)",
}
#: Prefixes of codes for partners that are not countries: ``NES_`` (not elsewhere specified: confidential,
#: bunkers, free zones, areas) and ``REGION_`` (a continent or a bloc reported as one partner).
AGGREGATE_PREFIXES = ("NES_", "REGION_")
#: Codes outside ISO 3166 that name one country.
EXTRA_COUNTRIES: dict[str, str] = {"XKX": "Kosovo"}

# Names -> codes ------------------------------------------------------------------------------------------------
#: The one alias table: spellings of countries that pycountry's lookup misses or reads differently, as sources
#: write them (lower case). Values are ISO3 codes (or ``XKX``).
ALIASES: dict[str, str] = {
    "taiwan": "TWN", "south korea": "KOR", "korea": "KOR", "republic of korea": "KOR",
    "the republic of korea": "KOR", "korea, republic of": "KOR", "korea (rok)": "KOR",
    "korea, democratic people’s republic of": "PRK", "korea, dpr of": "PRK", "korea (dprk)": "PRK",
    "korea (dpr)": "PRK", "united states": "USA", "us": "USA", "u.s.": "USA", "uk": "GBR",
    "united kingdom": "GBR", "russia": "RUS", "netherlands": "NLD", "czech republic": "CZE", "czechia": "CZE",
    "china": "CHN", "hong kong": "HKG", "sar-hong kong": "HKG", "macau": "MAC", "vietnam": "VNM", "viet nam": "VNM",
    "iran": "IRN", "kosovo": "XKX", "turkey": "TUR", "turkiye": "TUR", "north macedonia": "MKD", "macedonia": "MKD",
    "north macedonia, the republic of": "MKD",
    "moldova": "MDA", "bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA", "syria": "SYR", "laos": "LAO",
    "lao people’s democratic republic": "LAO", "brunei": "BRN", "cape verde": "CPV", "ivory coast": "CIV",
    "côte d’ivoire": "CIV", "cote d' ivoire": "CIV", "eswatini": "SWZ", "swaziland": "SWZ",
    "virgin islands, united states": "VIR", "united states virgin islands": "VIR", "cocos islands": "CCK",
    "south georgia and south sandwich islands": "SGS", "falkland islands": "FLK", "holy see": "VAT",
    "vatican": "VAT", "st kitts and nevis": "KNA", "st lucia": "LCA", "st pierre and miquelon": "SPM",
    "st vincent and the grenadines": "VCT", "occupied palestinian territory": "PSE", "state of palestine": "PSE",
    "congo, democratic republic of": "COD", "democratic republic of the congo": "COD", "sint maarten": "SXM",
    "bosnia herzegovina": "BIH", "босния и герцеговина": "BIH", "monako": "MCO", "bouvet": "BVT",
    "saint helena": "SHN", "svalbard and jan mayen islands": "SJM", "wallis and futuna islands": "WLF",
    "северные марианские острова": "MNP", "словакия": "SVK", "eastern samoa": "ASM", "salvador": "SLV",
    "saint-barth?lemy": "BLM", "burma": "MMR",
    # as the U.S. lists (OFAC's "nationality Korea, North"), the CIA World Factbook, the State Department and the
    # World Bank write them: "Congo (Kinshasa)" is the Democratic Republic, which the brackets' removal read as the
    # Republic of the Congo
    "korea, north": "PRK", "korea, south": "KOR", "korea, dem. people's rep.": "PRK", "korea, rep.": "KOR",
    "north korea": "PRK", "dprk": "PRK", "rok": "KOR",
    "congo, democratic republic of the": "COD", "congo, the democratic republic of the": "COD",
    "democratic republic of congo": "COD", "dr congo": "COD", "d.r. congo": "COD", "drc": "COD",
    "congo (kinshasa)": "COD", "congo-kinshasa": "COD", "congo, dem. rep.": "COD", "zaire": "COD",
    "congo (brazzaville)": "COG", "congo-brazzaville": "COG", "republic of the congo": "COG",
    "congo, republic of the": "COG", "congo, rep.": "COG",
    "iran, islamic rep.": "IRN", "egypt, arab rep.": "EGY", "yemen, rep.": "YEM", "venezuela, rb": "VEN",
    "lao pdr": "LAO", "micronesia": "FSM", "micronesia, fed. sts.": "FSM", "palestine": "PSE",
    "palestinian": "PSE", "east timor": "TLS", "great britain": "GBR", "britain": "GBR", "u.k.": "GBR",
    "u.s.a.": "USA", "united states of america": "USA", "holland": "NLD", "hong kong sar, china": "HKG",
    "macao sar, china": "MAC", "st. kitts and nevis": "KNA", "st. lucia": "LCA",
    "st. vincent and the grenadines": "VCT", "cabo verde": "CPV", "timor leste": "TLS",
}
#: Trade labels for partners that are not one country (English, lower case): aggregates kept apart, never summed.
TRADE_LABELS: dict[str, str] = {
    "world": "WLD", "melilla": "NES_XL", "ceuta": "NES_XC", "netherlands antilles": "NES_ANT",
    "africa": "REGION_AFRICA", "america": "REGION_AMERICA", "asia": "REGION_ASIA", "europe": "REGION_EUROPE",
    "australia and oceania": "REGION_OCEANIA", "commonwealth of independent states": "REGION_CIS",
    "eurasian economic union": "REGION_EAEU", "non-eaeu countries": "REGION_NON_EAEU",
    "non-eu countries": "REGION_NON_EU", "rest of the world": "REGION_REST_OF_WORLD",
    "other countries": "REGION_OTHER", "shanghai cooperation organisation": "REGION_SCO",
    "high seas": "NES_HIGH_SEAS", "unknown country": "NES_UNKNOWN",
}
_EUROSTAT_PREFIXES = (
    ("European Union - 27 countries", "EU27_2020"), ("European Union - 28 countries", "EU28"),
    ("European Union (", "EU_CHANGING"), ("Euro area - 20 countries", "EA20"), ("Euro area (", "EA_CHANGING"),
    ("Union européenne - 27 pays", "EU27_2020"), ("Extra-EU27", "EXTRA_EU27"), ("Intra-EU27", "INTRA_EU27"),
)
# Eurostat's French and German wordings that differ from the ISO 3166 translations, folded (see _fold).
_EUROSTAT_TRANSLATED = {
    "iles heard et mcdonald": "HMD", "ile christmas": "CXR", "niue": "NIU", "iles cocos": "CCK",
    "iles georgie du sud et sandwich du sud": "SGS", "territoire britannique de locean indien": "IOT",
    "tokelaou": "TKL", "iles salomon": "SLB", "iles turks et caicos": "TCA", "iles falkland": "FLK",
    "iles vierges des etats unis": "VIR", "saint siege": "VAT", "saint christophe et nevis": "KNA",
    "republique democratique populaire lao": "LAO", "sint maarten": "SXM", "territoire palestinien occupe": "PSE",
    "republique arabe syrienne": "SYR", "congo republique democratique du": "COD", "moldavie republique de": "MDA",
    "bielorussie": "BLR", "haute mer": "NES_HIGH_SEAS", "extra ue27": "EXTRA_EU27", "intra ue27": "INTRA_EU27",
}
#: Eurostat labels that mean another country in a download in that language than the same words in English,
#: folded (see _fold). Comext's French downloads label Guinea-Bissau "Guinea" beside "Guinée" (Guinea): the 2016
#: EU27 export file (eu_year_export, French) has both and no other row for Guinea-Bissau, and its "Guinea" row,
#: EUR 125.7 m, is Guinea-Bissau's order of size (EUR 116.5 m in 2015, 148.0 m in 2017), not Guinea's
#: ("Guinée" EUR 901.4 m; 840.1 m and 1,155.2 m). Read in English, that row became a second Guinea.
EUROSTAT_LANGUAGE_LABELS: dict[str, dict[str, str]] = {"fr": {"guinea": "GNB"}}
# UN Comtrade's own M49 codes (France 251, India 699, Norway 579, Switzerland 757, the United States 842 and 841,
# Taiwan as "Other Asia, nes" 490...) and its partner codes that are not countries.
_COMTRADE_M49 = {"0": "WLD", "251": "FRA", "699": "IND", "579": "NOR", "757": "CHE", "842": "USA", "490": "TWN",
                 "381": "ITA", "58": "BEL", "711": "ZAF", "841": "USA"}
#: CEPII BACI's codes that are not ISO3: 490 "Other Asia, nes" is Taiwan (the UN convention); the others are groups.
BACI_CODES = {"S19": "TWN", "R20": "NES_EFTA", "ZA1": "NES_SACU"}
_M49_GROUPS = {"527": "NES_OCEANIA", "568": "NES_EUROPE", "577": "NES_AFRICA", "636": "NES_AMERICA",
               "837": "NES_BUNKERS", "838": "NES_FREE_ZONES", "839": "NES_SPECIAL", "899": "NES_AREAS"}


# Codes ---------------------------------------------------------------------------------------------------------
@cache
def _iso3() -> dict[str, str]:
    import pycountry

    return {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def iso3_codes() -> list[str]:
    """Every current ISO 3166 alpha-3 code, sorted."""
    return sorted(_iso3())


def is_pseudo_region(code: str) -> bool:
    return code in PSEUDO_REGIONS


def is_country_code(code: str) -> bool:
    """True for an ISO 3166 alpha-3 code, ``XKX`` or a documented pseudo-region (the codes of a supply chain)."""
    return code in PSEUDO_REGIONS or code in _iso3() or code in EXTRA_COUNTRIES


def is_aggregate(code: str) -> bool:
    """True for a code that is not one country: a trade aggregate (``WLD``, ``EU27_2020``...), a partner that is
    not a country (``NES_*``, ``REGION_*``), or a pseudo-region (``VAR``, ``ROW``, ``EUR``)."""
    return code in AGGREGATES or code in PSEUDO_REGIONS or code.startswith(AGGREGATE_PREFIXES)


def aggregate_sql(column: str) -> str:
    """The SQL twin of :func:`is_aggregate` for a column (``column`` is a trusted column name, not input)."""
    names = ", ".join(f"'{a}'" for a in sorted({*AGGREGATES, *PSEUDO_REGIONS}))
    prefixes = " OR ".join(f"starts_with({column}, '{p}')" for p in AGGREGATE_PREFIXES)
    return f"({column} IN ({names}) OR {prefixes})"


def country_name(code: str, language: str = "en") -> str:
    """The name of a code (pseudo-regions, aggregates and groups included); the code itself if unknown. With
    ``language`` (``ja``, ``fr``...), a country's ISO 3166 name in that language from pycountry's catalogues
    (the Debian iso-codes translations); pseudo-regions, aggregates and names without a translation stay English."""
    if code in PSEUDO_REGIONS:
        return PSEUDO_REGIONS[code]
    if code in AGGREGATES:
        return AGGREGATES[code]
    english = _iso3().get(code)
    if english is None:
        return EXTRA_COUNTRIES.get(code, code)
    return english if language == "en" else _translator(language)(english)


@cache
def _translator(language: str) -> Callable[[str], str]:
    """gettext for pycountry's ISO 3166 catalogue in ``language`` (identity when the catalogue is absent)."""
    import gettext

    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext
    except OSError:
        return str


def known_codes() -> set[str]:
    """Every country or aggregate code a trade query may name: ISO 3166 alpha-3, ``XKX`` and the aggregates."""
    return set(_iso3()) | set(AGGREGATES) | set(EXTRA_COUNTRIES)


@cache
def known_code(code: str) -> bool:
    """An ISO3 code (current or historic, as old trade years hold them), ``XKX``, or an aggregate code."""
    import pycountry

    if is_aggregate(code) or code in EXTRA_COUNTRIES:
        return True
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and (
        code in _iso3() or pycountry.historic_countries.get(alpha_3=code) is not None)


def did_you_mean(value: str, candidates: Sequence[str], n: int = 3) -> str:
    """``" (did you mean DEU?)"`` with the closest candidates, or an empty string."""
    close = difflib.get_close_matches(value, list(candidates), n=n, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


@cache
def closest_codes(code: str) -> tuple[str, ...]:
    """The ISO3 codes nearest to an unknown one (for "did you mean ...?"): one edit away first, two neighbours
    swapped before other single edits (NDL -> NLD before NZL or NPL: the commonest slip of the keyboard), then
    difflib's near spellings."""
    from rapidfuzz.distance import OSA

    wanted = code.upper()
    near = sorted((c for c in _iso3() if OSA.distance(wanted, c) == 1), key=lambda c: (sorted(c) != sorted(wanted), c))
    found = list(dict.fromkeys([*near, *difflib.get_close_matches(wanted, list(_iso3()), n=3, cutoff=0.6)]))
    return tuple(found[:3])


@cache
def _name_keys() -> dict[str, str]:
    """Every spelling pinchpoint reads as a country, folded (see _fold) -> ISO3: codes, ISO 3166 names (short,
    official, common), the alias table and the French and German translations; the first code claiming a key wins."""
    import pycountry

    keys: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_3", "name", "official_name", "common_name"):
            if value := getattr(country, attr, None):
                keys.setdefault(_fold(value), country.alpha_3)
    for alias, code in ALIASES.items():
        if code in _iso3() or code in EXTRA_COUNTRIES:
            keys.setdefault(_fold(alias), code)
    for name, code in _translated_names().items():
        keys.setdefault(name, code)
    keys.pop("", None)
    return keys


def country_spellings() -> frozenset[str]:
    """Every name pinchpoint reads as a country (ISO 3166 names, the alias table, French and German names), folded
    (lower case, letters and digits), without the alpha-3 codes: the places a restricted-party screening reads as a
    country in a name ("Bank X Iran Branch")."""
    codes = {code.lower() for code in (*_iso3(), *EXTRA_COUNTRIES)}
    return frozenset(key for key in _name_keys() if key not in codes)


def closest_countries(text: str, n: int = 3) -> list[str]:
    """The codes of the countries whose code or name (in any spelling :func:`_name_keys` holds) is closest to
    ``text``, best first: "JAP" -> JPN (Japan), "Germny" -> DEU, "Untied States" -> USA. Empty when nothing is
    close: a list of unrelated codes helps nobody."""
    key = _fold(text)
    if not key:
        return []
    keys = _name_keys()
    found: list[str] = []

    def add(code: str) -> None:
        if code not in found:
            found.append(code)

    if key in keys:
        add(keys[key])
    if re.fullmatch(r"[a-z]{3}", key):  # a mistyped code: the nearest codes first
        for code in closest_codes(key.upper()):
            add(code)
    # a near spelling ("Germny", "Guinee Bisau"), a country's name as words of the text ("Republic of Germany"),
    # then looser spellings ("Japna")
    for near in difflib.get_close_matches(key, list(keys), n=n, cutoff=0.85):
        add(keys[near])
    padded = f" {key} "
    for name, code in sorted(keys.items(), key=lambda kv: -len(kv[0])):
        if len(name) >= 4 and f" {name} " in padded:
            add(code)
    for near in difflib.get_close_matches(key, list(keys), n=n * 3, cutoff=0.8):
        add(keys[near])
    if len(key) >= 3:  # the start of a name ("jap", "south afr") is as good a hint as a near spelling
        for name, code in sorted(keys.items()):
            if name.startswith(key) and len(found) < n:
                add(code)
    return found[:n]


def unknown_country_message(text: str, role: str = "country") -> str:
    """``unknown country 'Germny': did you mean DEU (Germany)?``: the closest countries by code and name (see
    :func:`closest_countries`), never a list of unrelated codes. The one wording of a value that is no country at
    all, wherever it comes from (a file's cell, an option, a scenario); ``role`` names what the value was given as
    (country, coalition country, or the parameter, which the CLI shows as its option)."""
    near = closest_countries(text)
    shown = repr(text[:80])
    if not near:
        return (f"unknown {role} {shown}: neither an ISO 3166 alpha-3 code nor a country name pinchpoint knows "
                "(e.g. DEU or Germany)")
    return f"unknown {role} {shown}: did you mean " + " or ".join(f"{c} ({country_name(c)})" for c in near) + "?"


def unknown_code_message(code: str) -> str:
    near = closest_codes(code[:12])
    return f"unknown country code {code[:40]!r}" + (f" (did you mean {', '.join(near)}?)" if near else "")


def check_country(code: str, role: str = "country") -> str:
    """``code`` if it names a country or an aggregate (``NES_*``, ``REGION_*`` included), else a
    :class:`NotFoundError` with the closest valid codes (``role`` names the parameter: reporter, partner...)."""
    if code in known_codes() or code.startswith(AGGREGATE_PREFIXES):
        return code
    close = difflib.get_close_matches(code, sorted(known_codes()), n=3, cutoff=0.5)
    raise NotFoundError(f"unknown {role} {code!r}{did_you_mean(code, sorted(known_codes()))}", suggestions=close,
                        what="country", value=code, field=role)


# Names ---------------------------------------------------------------------------------------------------------
def normalise_country(value: str) -> str | None:
    """The alpha-3 code (or pseudo-region code) of a country as a supply-chain dataset names it, or None."""
    text = value.strip()
    if not text:
        return None
    upper = text.upper()
    if upper in PSEUDO_REGIONS or upper in _iso3():
        return upper
    key = text.lower()
    alias = PSEUDO_REGION_NAMES.get(key) or ALIASES.get(key)
    if alias:
        return alias
    if (bare := _without_article(key)) != key:  # "The Gambia", "Bahamas, The"
        return normalise_country(bare)
    import pycountry

    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return str(found.alpha_3)


def _without_article(key: str) -> str:
    """A lower-case name without its article, leading or trailing as lists invert it: "the gambia", "gambia, the"
    -> "gambia"."""
    return re.sub(r"^the\s+|,\s*the$", "", key).strip()


def _fold(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _eurostat_unallocated(label: str) -> str | None:
    """Eurostat's partners that are not countries, kept apart by kind and by trade regime.

    "Not specified for commercial or military reasons" (confidential), "not specified" (not determined) and
    "stores and provisions" are different rows, each for intra- and extra-EU trade: giving them one code made
    six rows one flow (five were dropped as duplicates).
    """
    key = _fold(label)
    if key.startswith(("countries and territories not specified", "pays et territoires non")):
        kind = "CONFIDENTIAL" if ("commercial" in key or "militair" in key) else "NOT_SPECIFIED"
    elif key.startswith(("stores and provisions", "avitaillement et soutage")):
        kind = "STORES"
    else:
        return None
    regime = "_INTRA" if ("intra" in key) else "_EXTRA" if ("extra" in key or "pays tiers" in key) else ""
    return f"NES_{kind}{regime}"


@cache
def _translated_names() -> dict[str, str]:
    """Folded French and German ISO 3166 names -> ISO3, only where a name points to one country."""
    import gettext

    import pycountry

    found: dict[str, set[str]] = {}
    for language in ("fr", "de"):
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:  # a pycountry build without its locales: the English names still work
            continue
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                name = getattr(country, attr, None)
                if name:
                    found.setdefault(_fold(tr.gettext(name)), set()).add(country.alpha_3)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def _from_translated(label: str) -> str | None:
    """Eurostat's French and German wordings and the ISO 3166 translations, matched whole (the label, or the label
    without its bracketed note): a prefix match would read one country's name as another's that starts with it."""
    for key in dict.fromkeys((_fold(label), _fold(re.sub(r"\s*\(.*$", "", label)))):
        if code := _EUROSTAT_TRANSLATED.get(key) or _translated_names().get(key):
            return code
    return None


def _label_code(key: str) -> str | None:
    return TRADE_LABELS.get(key) or ALIASES.get(key)


@cache
def from_name(label: str, language: str | None = None) -> str | None:
    """A country label as trade statistics and restricted-party lists write it -> ISO3, or an aggregate code:
    English names and ISO codes, Eurostat's long forms ("France (incl. Saint Barthélemy ...)"), its French and
    German labels, its aggregate and "not specified" rows.

    ``language`` (``fr``...) is the language the label's file is written in, where known: the few labels that
    mean another country in that language's downloads (:data:`EUROSTAT_LANGUAGE_LABELS`) are read as such."""
    import pycountry

    text = label.strip()
    if language and (own := EUROSTAT_LANGUAGE_LABELS.get(language, {}).get(_fold(text))):
        return own
    for prefix, code in _EUROSTAT_PREFIXES:
        if text.startswith(prefix):
            return code
    if unallocated := _eurostat_unallocated(text):
        return unallocated
    found = _label_code(text.lower()) or _label_code(_without_article(text.lower()))  # before the brackets go:
    if found:  # "Korea (DPRK)" is not "Korea", "Congo (Kinshasa)" not the Republic of the Congo
        return found
    base = re.sub(r"\s*\(.*$", "", text).strip()  # "Spain (incl. Canary Islands ...)" -> "Spain"
    key = base.lower()
    found = _label_code(key)
    if found:
        return found
    if re.fullmatch(r"[A-Z]{3}", base) and base in _iso3():
        return base
    if re.fullmatch(r"[A-Z]{2}", base):
        two = pycountry.countries.get(alpha_2={"EL": "GR", "UK": "GB"}.get(base, base))
        return two.alpha_3 if two else None
    for name in dict.fromkeys((base, _without_article(key))):
        try:
            return str(pycountry.countries.lookup(name).alpha_3)
        except LookupError:
            pass
    if key.startswith("ireland"):
        return "IRL"
    return _from_translated(text)


#: Names a user may give a party's country that stand for two countries which sanctions treat oppositely: refused,
#: naming both, rather than read as one (a customer file's "Korea" read as KOR cost UN-listed North Koreans 10%).
AMBIGUOUS_NAMES: dict[str, tuple[str, ...]] = {
    "korea": ("Korea, South", "Korea, North"), "congo": ("Congo (Kinshasa)", "Congo (Brazzaville)"),
    "virgin islands": ("Virgin Islands, British", "Virgin Islands, U.S.")}


def resolve_country(value: str, role: str = "country") -> str:
    """One country, as a user names a party's country: an ISO 3166 alpha-3 or alpha-2 code (any case) or an
    English name (with the alias table's spellings: Syria, Russia, South Korea...) -> its alpha-3 code (``XKX`` for
    Kosovo). Pseudo-regions and trade aggregates are not a country and are refused, and so is a name that stands for
    two countries (:data:`AMBIGUOUS_NAMES`: "Korea", "Congo"), naming both. An unknown value is a
    :class:`NotFoundError` naming ``role`` (the parameter) and the closest countries by name and code
    (:func:`closest_countries`)."""
    text = value.strip()
    if not text:
        raise NotFoundError(f"{role} is empty: give an ISO 3166 code or an English name", what="country",
                            value=value, parameter=role)
    if text.upper() in EXTRA_COUNTRIES:
        return text.upper()
    if names := AMBIGUOUS_NAMES.get(_without_article(text.casefold())):
        both = [code for name in names if (code := from_name(name))]
        raise NotFoundError(f"{role} {text[:60]!r} names more than one country: "
                            + " or ".join(f"{c} ({country_name(c)})" for c in both) + "; give the code",
                            suggestions=list(both), what="country", value=value, parameter=role)
    code = normalise_country(text) or from_name(text)
    if code and (code in _iso3() or code in EXTRA_COUNTRIES):
        return code
    raise NotFoundError(unknown_country_message(value, role), suggestions=closest_countries(text), what="country",
                        value=value, parameter=role)


def from_m49(code: str | int) -> str | None:
    """A UN M49 numeric code (with Comtrade's own codes) -> ISO3 or an aggregate code; None if unknown."""
    import pycountry

    text = str(code).strip().lstrip("0") or "0"
    if text in _COMTRADE_M49:
        return _COMTRADE_M49[text]
    if text in _M49_GROUPS:
        return _M49_GROUPS[text]
    country = pycountry.countries.get(numeric=text.zfill(3))
    return country.alpha_3 if country else None


# Groups --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    code: str
    since: date | None = None  # first day in the group (None: from before the group's records start)
    until: date | None = None  # last day in the group (None: still a member)

    def on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class CountryGroup:
    """A named group of countries with its citation; members may carry dates."""

    name: str
    title: str
    citation: str
    members: tuple[Member, ...]
    aliases: tuple[str, ...] = ()
    complete_from: date | None = None  # the first date the member list is complete for

    @property
    def codes(self) -> tuple[str, ...]:
        """Today's members (a member whose ``until`` has passed is not one)."""
        return self.members_on(date.today())

    def members_on(self, day: date | str) -> tuple[str, ...]:
        """The members on a date (ISO text or a date); before ``complete_from`` an error, since earlier
        accessions are not recorded."""
        when = date.fromisoformat(day) if isinstance(day, str) else day
        if self.complete_from is not None and when < self.complete_from:
            raise BadArgumentError(f"the members of {self.name} are recorded from {self.complete_from.isoformat()}, "
                                   f"not for {when.isoformat()}", parameter="date")
        return tuple(m.code for m in self.members if m.on(when))


def _date(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"not a date (YYYY-MM-DD): {value!r}", file="country_groups.yaml", field=where) from None


@cache
def groups() -> dict[str, CountryGroup]:
    """Every named group of ``kernel/data/country_groups.yaml``, by name; each member checked against ISO 3166."""
    from importlib.resources import as_file, files

    from pinchpoint.yamlio import read_yaml_document

    with as_file(files("pinchpoint.kernel").joinpath("data", "country_groups.yaml")) as path:
        doc = read_yaml_document(path)[0]
    out: dict[str, CountryGroup] = {}
    for name, spec in doc.items():
        members: list[Member] = []
        for raw in spec["members"]:
            entry = raw if isinstance(raw, dict) else {"code": raw}
            code = str(entry["code"])
            if code not in _iso3() and code not in EXTRA_COUNTRIES:
                raise DataError(f"{code!r} is not an ISO 3166 alpha-3 code", file="country_groups.yaml",
                                field=f"{name}.members")
            members.append(Member(code, _date(entry.get("since"), f"{name}.{code}.since"),
                                  _date(entry.get("until"), f"{name}.{code}.until")))
        out[str(name)] = CountryGroup(str(name), str(spec["title"]), " ".join(str(spec["citation"]).split()),
                                      tuple(members), tuple(str(a) for a in spec.get("aliases", ())),
                                      _date(spec.get("complete_from"), f"{name}.complete_from"))
    return out


@cache
def _group_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name, g in groups().items():
        for key in (name, *g.aliases):
            keys.setdefault(key.lower(), name)
    return keys


def find_group(name: str) -> CountryGroup | None:
    """The group called ``name`` (its name or an alias, any case), or None."""
    key = _group_keys().get(name.strip().lower())
    return groups()[key] if key else None


def group(name: str) -> CountryGroup:
    """The group called ``name`` (its name or an alias, any case); an unknown name is a :class:`NotFoundError`
    naming the closest groups."""
    found = find_group(name)
    if found is None:
        keys = _group_keys()
        near = list(dict.fromkeys(keys[k] for k in difflib.get_close_matches(name.lower(), list(keys), n=3,
                                                                               cutoff=0.5)))
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise NotFoundError(f"no country group {name!r}{hint} (groups: {', '.join(groups())})", suggestions=near,
                            what="country group", value=name)
    return found


def group_members(name: str, on: date | str | None = None) -> tuple[str, ...]:
    """The member codes of a group (today's, or on a date); empty for a name that is not a group, so a code can
    be tried as a group first (``EU27_2020`` is both a trade aggregate and a group)."""
    found = find_group(name)
    if found is None:
        return ()
    return found.codes if on is None else found.members_on(on)
