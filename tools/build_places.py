"""Build ``src/pinchpoint/screening/data/places.txt``: the towns, cities and regions restricted-party lists name.

A listed organisation's name followed by a place ("BANK MELLI IRAN London Branch") is a unit of it
(:mod:`pinchpoint.screening.units`); the places come from the lists' own place fields, so the vocabulary is what
the lists write, not a gazetteer: OFAC SDN places of birth (``POB Moscow, Russia`` in the remarks), the UN
Consolidated List's address and place-of-birth cities and provinces, and the BIS Denied Persons List's cities.
Kept: parts of one to three words, letters only, four letters or more; left out: a one-word place that is also a
word of a listed person's name in these lists (MERCEDES, VICTORIA, ANTHONY name people as often as places), and
the words countries are (``kernel.countries`` holds those). To these, national capitals and financial centres in
their English spelling (``CURATED``: Madrid, Frankfurt, Seoul are nobody's place of birth on these lists). The file
is data the matcher reads as it is, the same whatever lists a workspace loads (a delta re-screening's scores equal a
full screening's).

Usage (from the project root, with ../shared/data beside it):

    python tools/build_places.py ../shared/data/screening/lists > src/pinchpoint/screening/data/places.txt
"""

from __future__ import annotations

import csv
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from pinchpoint.kernel.countries import from_name
from pinchpoint.screening.loaders import load_list
from pinchpoint.screening.model import EntityType
from pinchpoint.screening.normalize import analyse

OFAC, UN, DPL = "ofac_sdn_20240503.csv", "un_sc_consolidated_20260227.xml", "us_bis_dpl_2022.txt"
# words of addresses, not places on their own (a part "Road" or "District"), and the words a part may begin with
ADDRESS_WORDS = frozenset({"road", "street", "avenue", "city", "town", "village", "district", "province", "region",
                           "area", "settlement", "governorate", "governate", "state", "county", "oblast", "rayon",
                           "territory", "republic", "municipality", "camp", "unknown"})
LEADING = frozenset({"of", "the", "in", "at", "and"})
# National capitals and financial centres in their English spelling, which a branch of a bank or an airline's office
# is named by and which no one on these lists happens to be born in (Madrid, Frankfurt, Seoul): written here
CURATED = """
Abu Dhabi, Abuja, Accra, Addis Ababa, Algiers, Amman, Amsterdam, Ankara, Antwerp, Asuncion, Astana, Athens,
Auckland, Baku, Bangkok, Barcelona, Beijing, Beirut, Belgrade, Berlin, Bern, Bishkek, Bogota, Brasilia,
Bratislava, Brussels, Bucharest, Budapest, Buenos Aires, Cairo, Canberra, Cape Town, Caracas, Casablanca, Chennai,
Chicago, Colombo, Copenhagen, Dakar, Damascus, Dar es Salaam, Delhi, Dhaka, Doha, Dubai, Dublin, Dushanbe,
Edinburgh, Frankfurt, Geneva, Guangzhou, Hamburg, Hanoi, Havana, Helsinki, Ho Chi Minh City, Houston, Islamabad,
Istanbul, Jakarta, Jeddah, Johannesburg, Kabul, Kampala, Karachi, Kathmandu, Khartoum, Kyiv, Kiev, Kuala Lumpur,
Kuwait City, Lagos, Lahore, La Paz, Lima, Lisbon, Ljubljana, London, Los Angeles, Luanda, Luxembourg, Lyon,
Madrid, Managua, Manama, Manila, Marseille, Melbourne, Mexico City, Miami, Milan, Minsk, Montevideo, Montreal,
Moscow, Mumbai, Munich, Muscat, Nairobi, New Delhi, New York, Nicosia, Osaka, Oslo, Ottawa, Panama City, Paris,
Prague, Pretoria, Pyongyang, Quito, Rabat, Riga, Riyadh, Rome, Rotterdam, Saint Petersburg, Santiago,
Santo Domingo, Sao Paulo, Sarajevo, Seoul, Shanghai, Shenzhen, Skopje, Sofia, Stockholm, Sydney, Taipei,
Tallinn, Tashkent, Tbilisi, Tehran, Tel Aviv, Tirana, Tokyo, Toronto, Tripoli, Tunis, Ulaanbaatar, Vancouver,
Vienna, Vilnius, Warsaw, Washington, Wellington, Yangon, Yerevan, Zagreb, Zurich
"""


def parts(text: str) -> list[str]:
    """A place statement's parts: split at commas, brackets, semicolons and "near"."""
    return [p.strip(" .-") for p in re.split(r"[,;()/]|\bnear\b", text) if p.strip(" .-")]


def ofac_places(path: Path) -> list[str]:
    raw = path.read_bytes().decode("latin-1")
    return [p for pob in re.findall(r"POB ([^;\"]+)", raw) for p in parts(pob)]


def un_places(path: Path) -> list[str]:
    out = []
    for element in ET.parse(path).iter():
        if element.tag in ("CITY", "STATE_PROVINCE") and element.text:
            out += parts(element.text)
    return out


def dpl_places(path: Path) -> list[str]:
    with path.open(encoding="latin-1", newline="") as fh:
        return [p for row in csv.DictReader(fh, delimiter="\t") for p in parts(row.get("City") or "")]


def main(folder: str) -> int:
    root = Path(folder)
    person_words = {t for f in (OFAC, UN, DPL) for e in load_list(root / f).entities
                    if e.type is EntityType.PERSON for n in e.names for t in analyse(n.text)[0]}
    found: dict[str, set[str]] = {}
    for source, names in (("OFAC SDN places of birth", ofac_places(root / OFAC)),
                          ("UN addresses and places of birth", un_places(root / UN)),
                          ("BIS DPL cities", dpl_places(root / DPL)),
                          ("curated", [c.strip() for c in CURATED.split(",")])):
        for name in names:
            tokens = analyse(name)[0]
            while tokens and tokens[0] in LEADING:
                tokens = tokens[1:]
            if all(t in ADDRESS_WORDS for t in tokens):
                continue
            if not 1 <= len(tokens) <= 3 or not all(t.isalpha() for t in tokens) or len("".join(tokens)) < 4:
                continue
            if len(tokens) == 1 and tokens[0] in person_words and source != "curated":
                continue
            if from_name(" ".join(tokens)) is not None:  # a country: kernel.countries has it
                continue
            found.setdefault(" ".join(tokens), set()).add(source)
    print("# Places restricted-party lists name (built by tools/build_places.py; see its docstring), one a line,")
    print("# folded as the matcher folds names. Sources: OFAC SDN 2024-05-03 places of birth (U.S. government work),")
    print("# UN Security Council Consolidated List 2026-02-27 cities and provinces (UN public data), BIS Denied")
    print("# Persons List 2022 cities (U.S. government work); and national capitals and financial centres in English")
    print("# (tools/build_places.py CURATED).")
    for place in sorted(found):
        print(place)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/screening/lists"))
