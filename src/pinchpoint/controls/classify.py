"""Documented rules that derive an entry's regime of origin, its tags and the thresholds its text states.

Regime from the code (``<category><group><reason digit><two digits>``, shared by the U.S. CCL and EU Annex I):
reason digit 0 Wassenaar (category 0: Nuclear Suppliers Group), 1 MTCR, 2 NSG, 3 Australia Group, 4 Chemical Weapons
Convention; EU 5 and U.S. 90-series plurilateral controls agreed outside the regimes (EU 3B503 = U.S. 3B903);
U.S. 600 series Wassenaar munitions; other U.S. 5 and 9 series unilateral (0Y521, anti-terrorism, crime control).
"""

from __future__ import annotations

import re

from pinchpoint.controls.model import Jurisdiction, Parameter, Regime

CODE = re.compile(r"^(\d)([A-E])(\d)(\d)(\d)$")

TAG_RULES: dict[str, re.Pattern[str]] = {
    "semiconductor-equipment": re.compile(
        r"semiconductor (?:devices|wafer|manufactur)|lithograph|epitax|ion implant|photoresist|\beuv\b|pellicle|"
        r"wafer (?:handling|prober|fabrication)|(?:dry|wet) etch|\betch(?:ing)? equipment|deposition equipment|"
        r"mask (?:substrate|blank)|\bsteppers?\b"),
    "advanced-computing": re.compile(
        r"total processing performance|\btpp\b|performance density|adjusted peak performance|supercomput|"
        r"digital processing units?"),
    "quantum": re.compile(r"quantum|qubit|cryogenic|dilution refrigerator|cryo-?cmos|parametric (?:signal )?amplifier|"
                          r"isotopically enriched"),
    "surveillance": re.compile(
        r"intercept|intrusion software|surveillance|biometric|facial recognition|police|forensic|spyware|"
        r"monitoring of (?:the )?communications|penetration testing|\bimsi\b"),
}
# (patterns are lower case and run on lower-cased text: much faster than re.IGNORECASE)

# Reasons for control that mark a U.S. entry as human-rights relevant (crime control, regional stability for
# surveillance items).
SURVEILLANCE_REASONS = {"CC"}


def regime_of(jurisdiction: Jurisdiction, code: str) -> Regime:
    match = CODE.match(code)
    if match is None:
        return Regime.PLURILATERAL if jurisdiction is Jurisdiction.JP else Regime.UNILATERAL
    category, _group, reason, second, _third = match.groups()
    if reason == "0":
        return Regime.NSG if category == "0" else Regime.WASSENAAR
    if reason == "1":
        return Regime.MTCR
    if reason == "2":
        return Regime.NSG
    if reason == "3":
        return Regime.AUSTRALIA_GROUP
    if reason == "4":
        return Regime.CWC
    if reason == "5":
        return Regime.PLURILATERAL if jurisdiction is Jurisdiction.EU else Regime.UNILATERAL
    if reason == "6":
        return Regime.WASSENAAR_MUNITIONS
    if reason == "9" and second == "0":
        return Regime.PLURILATERAL
    return Regime.UNILATERAL


def tags_of(code: str, text: str, reasons: tuple[str, ...] = ()) -> tuple[str, ...]:
    lowered = text.lower()
    found = {tag for tag, pattern in TAG_RULES.items() if pattern.search(lowered)}
    if code[:2] == "3B":
        found.add("semiconductor-equipment")
    if "semiconductor-equipment" in found and code[:2] not in ("3B", "2B", "6-", "3D", "3E") and \
            not code.startswith("6-17"):
        # a passing mention (e.g. "EUV" in an optics entry) does not make a whole entry fab equipment
        found.discard("semiconductor-equipment")
    if SURVEILLANCE_REASONS & set(reasons):
        found.add("surveillance")
    return tuple(sorted(found))


# Thresholds ---------------------------------------------------------------------------------------------------
_COMPARATORS = [
    (r"equal to or (?:less|smaller|lower|shorter) than|not (?:more|greater) than|not exceeding|at most|up to|"
     r"≤|<=", "<="),
    (r"equal to or (?:more|greater|higher|larger|longer) than|not less than|at least|of at least|≥|>=", ">="),
    (r"(?:less|smaller|lower|shorter|fewer)(?: \((?:better|shorter)\))? than|below|<", "<"),
    (r"(?:more|greater|higher|larger|longer)(?: \(better\))? than|exceeding|above|in excess of|>", ">"),
]
_UNITS = (r"nm|µm|μm|mm|cm|GHz|MHz|kHz|Hz|mK|K|°C|kV|V|mW|µW|uW|kW|W|kPa|MPa|Pa|dB|percent|%|bits?|ns|ps|ms|"
          r"g/cc|eV|qubits?|pixels?|:1")
_NUMBER = r"(\d{1,3}(?:[ ,]\d{3})+|\d+(?:[.,]\d+)?)"
_COMPARATOR_AT_END = re.compile(r"(?P<cmp>" + "|".join(p for p, _ in _COMPARATORS) + r")\s*(?:a |an |the )?$")
_VALUE = re.compile(r"(?<![\w.])" + _NUMBER + r"\s*(?P<unit>(?i:" + _UNITS + r"))?(?![\w])")
_OR_MORE = re.compile(_NUMBER + r"\s*(?P<unit>" + _UNITS + r")?\s+or (?P<dir>more|greater|less|fewer)\b", re.I)
QUANTITIES = (
    "wavelength", "overlay", "resolution", "total processing performance", "TPP", "performance density", "frequency",
    "temperature", "power", "accuracy", "thickness", "pitch", "aspect ratio", "selectivity", "qubits", "pixels",
    "accelerating voltage", "beam current", "beam energy", "spot size", "beam size", "bandwidth", "noise figure",
    "gain", "placement", "width", "pressure", "work function", "dielectric constant", "density", "fidelity",
    "error", "speed", "data rate", "energy",
)
_DIGIT = re.compile(r"\d")
_QUANTITY = re.compile("|".join(re.escape(q) for q in sorted(QUANTITIES, key=len, reverse=True)), re.I)


def _number(text: str) -> float:
    cleaned = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")
    return float(cleaned.replace(",", "."))  # EU texts write decimals with a comma ("2,5 %")


def _quantity_before(text: str, start: int) -> str:
    window = text[max(0, start - 80):start]
    found = list(_QUANTITY.finditer(window))
    return found[-1].group(0).lower() if found else ""


def parameters_of(paragraph: str, text: str) -> list[Parameter]:
    """Thresholds stated in ``text`` (one paragraph), with the quantity named just before them."""
    out: list[Parameter] = []
    if _DIGIT.search(text) is None:
        return out
    lowered = text.lower()
    for m in _VALUE.finditer(lowered):
        # a value is a threshold when a comparator stands just before it
        before = _COMPARATOR_AT_END.search(lowered[max(0, m.start() - 45):m.start()])
        if before is None:
            continue
        words = before.group("cmp")
        comparator = next(sym for pattern, sym in _COMPARATORS if re.fullmatch(pattern, words))
        unit = text[m.start("unit"):m.end("unit")] if m.group("unit") else ""
        unit = unit.replace("μ", "µ").replace("percent", "%")
        start = m.start() - len(before.group(0))
        quantity = _quantity_before(text, start)
        if not unit and not quantity:
            continue  # a bare number without unit or quantity is rarely a threshold
        out.append(Parameter(paragraph=paragraph, quantity=quantity, comparator=comparator,
                             value=_number(m.group(1)), unit=unit, text=text[start:m.end()].strip()))
    for m in _OR_MORE.finditer(text):
        quantity = _quantity_before(text, m.start())
        unit = m.group("unit") or ""
        if not quantity and not unit:
            continue
        comparator = ">=" if m.group("dir").lower() in ("more", "greater") else "<="
        out.append(Parameter(paragraph=paragraph, quantity=quantity, comparator=comparator,
                             value=_number(m.group(1)), unit=unit, text=m.group(0).strip()))
    return out
