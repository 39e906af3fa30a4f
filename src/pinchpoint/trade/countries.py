"""Country codes of trade statistics -> ISO 3166 alpha-3, with aggregates kept distinct from their members.

Schemes: ISO3 (BACI extracts, Comtrade legacy), M49 numeric (UN Comtrade, with its own codes for France 251,
India 699, Norway 579, Switzerland 757, United States 842 and Taiwan "Other Asia, nes" 490), BACI numeric (its
country table), and Eurostat's labels in English (long forms such as "France (incl. Saint Barthélemy ...)") and in
French or German (the data browser downloads in the user's language): ISO 3166 names in those languages from
pycountry's translations, plus Eurostat's own wordings where they differ.
"""

from __future__ import annotations

import re
from functools import cache

# Aggregates keep their own codes and never enter sums over member states.
AGGREGATES = {
    "WLD": "World", "EU27_2020": "European Union, 27 members (from 2020)", "EU28": "European Union, 28 members",
    "EU_CHANGING": "European Union, changing composition", "EA20": "Euro area, 20 members",
    "EA_CHANGING": "Euro area, changing composition", "EXTRA_EU27": "Extra-EU27 partners (from 2020)",
    "INTRA_EU27": "Intra-EU27 partners (from 2020)",
}
_EUROSTAT_PREFIXES = (
    ("European Union - 27 countries", "EU27_2020"), ("European Union - 28 countries", "EU28"),
    ("European Union (", "EU_CHANGING"), ("Euro area - 20 countries", "EA20"), ("Euro area (", "EA_CHANGING"),
    ("Union européenne - 27 pays", "EU27_2020"), ("Extra-EU27", "EXTRA_EU27"), ("Intra-EU27", "INTRA_EU27"),
)
_COMTRADE_M49 = {"0": "WLD", "251": "FRA", "699": "IND", "579": "NOR", "757": "CHE", "842": "USA", "490": "TWN",
                 "381": "ITA", "58": "BEL", "711": "ZAF", "841": "USA"}
_NAMES = {"kosovo": "XKX", "turkey": "TUR", "turkiye": "TUR", "russia": "RUS", "czechia": "CZE",
          "north macedonia": "MKD", "moldova": "MDA", "iran": "IRN", "south korea": "KOR", "korea, republic of": "KOR",
          "taiwan": "TWN", "vietnam": "VNM", "viet nam": "VNM", "hong kong": "HKG", "united states": "USA",
          "united kingdom": "GBR", "bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA", "syria": "SYR",
          "laos": "LAO", "brunei": "BRN", "cape verde": "CPV", "ivory coast": "CIV", "eswatini": "SWZ",
          "virgin islands, united states": "VIR", "united states virgin islands": "VIR", "cocos islands": "CCK",
          "south georgia and south sandwich islands": "SGS", "korea, democratic people’s republic of": "PRK",
          "korea, dpr of": "PRK", "korea (dprk)": "PRK", "korea (dpr)": "PRK", "korea (rok)": "KOR",
          "korea": "KOR", "falkland islands": "FLK", "holy see": "VAT", "vatican": "VAT",
          "st kitts and nevis": "KNA", "st lucia": "LCA", "st pierre and miquelon": "SPM",
          "st vincent and the grenadines": "VCT", "lao people’s democratic republic": "LAO",
          "occupied palestinian territory": "PSE", "state of palestine": "PSE", "congo, democratic republic of": "COD",
          "democratic republic of the congo": "COD", "côte d’ivoire": "CIV", "cote d' ivoire": "CIV",
          "sint maarten": "SXM", "bosnia herzegovina": "BIH", "босния и герцеговина": "BIH", "monako": "MCO",
          "bouvet": "BVT", "macedonia": "MKD", "sar-hong kong": "HKG", "republic of korea": "KOR",
          "the republic of korea": "KOR", "saint helena": "SHN", "svalbard and jan mayen islands": "SJM",
          "wallis and futuna islands": "WLF", "северные марианские острова": "MNP", "словакия": "SVK",
          "eastern samoa": "ASM", "salvador": "SLV", "saint-barth?lemy": "BLM", "macau": "MAC", "swaziland": "SWZ",
          "world": "WLD", "melilla": "NES_XL", "ceuta": "NES_XC", "netherlands antilles": "NES_ANT",
          # groups of partners: kept as groups, never summed with countries
          "africa": "REGION_AFRICA", "america": "REGION_AMERICA", "asia": "REGION_ASIA", "europe": "REGION_EUROPE",
          "australia and oceania": "REGION_OCEANIA", "commonwealth of independent states": "REGION_CIS",
          "eurasian economic union": "REGION_EAEU", "non-eaeu countries": "REGION_NON_EAEU",
          "non-eu countries": "REGION_NON_EU", "rest of the world": "REGION_REST_OF_WORLD",
          "other countries": "REGION_OTHER", "shanghai cooperation organisation": "REGION_SCO",
          "high seas": "NES_HIGH_SEAS", "unknown country": "NES_UNKNOWN"}


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
    key = _fold(label)
    for wording, code in _EUROSTAT_TRANSLATED.items():
        if key == wording or key.startswith(wording + " "):
            return code
    return _translated_names().get(_fold(re.sub(r"\s*\(.*$", "", label)))


# Comtrade partner codes that are not countries: kept as groups so their flows are neither lost nor summed in.
_M49_GROUPS = {"527": "NES_OCEANIA", "568": "NES_EUROPE", "577": "NES_AFRICA", "636": "NES_AMERICA",
               "837": "NES_BUNKERS", "838": "NES_FREE_ZONES", "839": "NES_SPECIAL", "899": "NES_AREAS"}


@cache
def group_members(group: str) -> tuple[str, ...]:
    """Member states of an aggregate, from ``country_groups.tsv`` (the one definition of EU-27 membership the
    package uses); empty for a code that is not a group of countries defined there."""
    from importlib.resources import files

    text = files("pinchpoint.trade").joinpath("country_groups.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines()[1:] if line.strip()]
    return tuple(member.strip() for name, member in rows if name.strip() == group)


def known_codes() -> set[str]:
    """Every country or aggregate code a query may name: ISO 3166 alpha-3 plus the aggregates above."""
    import pycountry

    return {c.alpha_3 for c in pycountry.countries} | set(AGGREGATES) | {"XKX"}


def check_country(code: str, role: str = "country") -> str:
    """``code`` if it names a country or an aggregate (``NES_*``, ``REGION_*`` included), else a ValueError with
    the closest valid codes."""
    if code in known_codes() or code.startswith(("NES_", "REGION_")):
        return code
    raise ValueError(f"unknown {role} {code!r}{did_you_mean(code, sorted(known_codes()))}")


def did_you_mean(value: str, candidates: list[str], n: int = 3) -> str:
    """``" (did you mean DEU?)"`` with the closest candidates, or an empty string."""
    import difflib

    close = difflib.get_close_matches(value, candidates, n=n, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def is_aggregate(code: str) -> bool:
    return code in AGGREGATES or code.startswith(("NES_", "REGION_"))


def aggregate_sql(column: str) -> str:
    """The SQL twin of :func:`is_aggregate` for a column."""
    names = ", ".join(f"'{a}'" for a in sorted(AGGREGATES))
    return f"({column} IN ({names}) OR starts_with({column}, 'NES_') OR starts_with({column}, 'REGION_'))"


def from_m49(code: str | int) -> str | None:
    import pycountry

    text = str(code).strip().lstrip("0") or "0"
    if text in _COMTRADE_M49:
        return _COMTRADE_M49[text]
    if text in _M49_GROUPS:
        return _M49_GROUPS[text]
    country = pycountry.countries.get(numeric=text.zfill(3))
    return country.alpha_3 if country else None


@cache
def from_name(label: str) -> str | None:
    """Eurostat and other English country labels -> ISO3 (or an aggregate code)."""
    import pycountry

    text = label.strip()
    for prefix, code in _EUROSTAT_PREFIXES:
        if text.startswith(prefix):
            return code
    if unallocated := _eurostat_unallocated(text):
        return unallocated
    if text.lower() in _NAMES:  # before the brackets go: "Korea (DPRK)" is not "Korea"
        return _NAMES[text.lower()]
    base = re.sub(r"\s*\(.*$", "", text).strip()  # "Spain (incl. Canary Islands ...)" -> "Spain"
    key = base.lower()
    if key in _NAMES:
        return _NAMES[key]
    if re.fullmatch(r"[A-Z]{3}", base) and pycountry.countries.get(alpha_3=base):
        return base
    if re.fullmatch(r"[A-Z]{2}", base):
        found = pycountry.countries.get(alpha_2={"EL": "GR", "UK": "GB"}.get(base, base))
        return found.alpha_3 if found else None
    try:
        return str(pycountry.countries.lookup(base).alpha_3)
    except LookupError:
        pass
    if key.startswith("ireland"):
        return "IRL"
    return _from_translated(text)


@cache
def known_code(code: str) -> bool:
    """An ISO3 code (current or historic, as old trade years hold them), Kosovo's XKX, or an aggregate code."""
    import pycountry

    if is_aggregate(code) or code == "XKX":
        return True
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and (
        pycountry.countries.get(alpha_3=code) is not None or pycountry.historic_countries.get(alpha_3=code) is not None)


@cache
def closest_codes(code: str) -> tuple[str, ...]:
    """The ISO3 codes nearest to an unknown one (for "did you mean ...?")."""
    import difflib

    import pycountry

    return tuple(difflib.get_close_matches(code.upper(), [c.alpha_3 for c in pycountry.countries], n=3,
                                           cutoff=0.6))


def unknown_code_message(code: str) -> str:
    near = closest_codes(code[:12])
    return f"unknown country code {code[:40]!r}" + (f" (did you mean {', '.join(near)}?)" if near else "")
