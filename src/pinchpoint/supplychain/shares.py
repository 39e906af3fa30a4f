"""Operations on the model that choose which shares an analysis reads.

* **level**: read country rows, or organisation rows;
* **year**: one given year, or by default the latest year that has shares, chosen per input;
* **derivation**: where an input has organisation shares but no country breakdown for the chosen
  year, country shares are derived by summing organisations by home country.

Blank shares (provider known, share unknown) are never treated as zero: they are counted.

A group whose shares sum above 100 is scaled down to 100. Published figures overshoot by rounding (ETO: at most
102 in the current release, 104 in the first); :data:`OVERSHOOT_LIMIT` is where rounding stops explaining a sum.
The native loader refuses a group above it (and a repeated provider row) in a user's file; for data that reaches
an analysis anyway (a published release, a dataset stored before those checks), the caveats name such groups and
any provider whose rows were added.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from pinchpoint.supplychain.model import Level, Provision, SupplyChain

#: The largest sum (percent) of one group's shares read as rounding in published data; above it a figure is
#: wrong (a repeated row, a typo), not rounded. ETO's largest sums are 102 (current release) and 104 (first).
OVERSHOOT_LIMIT = 105.0


def beyond_rounding(total: float) -> bool:
    """Whether a group's shares summing to ``total`` percent exceed :data:`OVERSHOOT_LIMIT` (float noise aside)."""
    return total > OVERSHOOT_LIMIT + 1e-9

#: A share group summing within these bounds (percent) reads as fractions of 1 written where percentages belong
#: (0.55 for 55%) when every group of a dataset does so.
FRACTION_SUMS = (0.95, 1.05)


def look_like_fractions(totals: list[float], n_shares: int) -> bool:
    """Whether share groups summing to ``totals`` (percent), ``n_shares`` shares in all, are fractions of 1: every
    group sums to about 1 (:data:`FRACTION_SUMS`) and there are at least two shares (one share of 1 may be 1%)."""
    low, high = FRACTION_SUMS
    return n_shares >= 2 and bool(totals) and all(low <= t <= high for t in totals)


REPORTED = "reported"
DERIVED = "derived from organisations"


@dataclass(frozen=True)
class ShareSet:
    """The shares of one input (or stage) in one year at one level."""

    subject: str  # input or stage id
    year: int
    level: Level
    basis: str  # REPORTED or DERIVED
    shares: tuple[tuple[str, float], ...]  # (provider id, percent), largest first
    n_blank: int = 0  # providers listed with no share
    sources: tuple[str, ...] = ()
    summed: tuple[tuple[str, int], ...] = ()  # (provider, rows) where several rows of one provider were added

    @property
    def total(self) -> float:
        return sum(s for _, s in self.shares)


def _level_of(chain: SupplyChain, provider_id: str) -> Level:
    p = chain.provider_by_id[provider_id]
    return Level.COUNTRY if p.kind == "country" else Level.ORGANISATION


def _group(chain: SupplyChain) -> dict[tuple[str, Level, int], list[Provision]]:
    groups: dict[tuple[str, Level, int], list[Provision]] = defaultdict(list)
    for pv in chain.provisions:
        groups[(pv.input, _level_of(chain, pv.provider), pv.year)].append(pv)
    return groups


def _make(subject: str, year: int, level: Level, basis: str, rows: list[Provision],
          chain: SupplyChain | None = None) -> ShareSet:
    sums: dict[str, float] = defaultdict(float)
    counted: Counter[str] = Counter()  # rows with a share, per provider as given (before deriving)
    blank: set[str] = set()
    for pv in rows:
        if pv.share is None:
            blank.add(pv.provider)
            continue
        counted[pv.provider] += 1
        key = pv.provider
        if chain is not None:  # deriving: organisations -> home country (several organisations add up, by design)
            home = chain.provider_by_id[pv.provider].home_country
            key = home or "VAR"
        sums[key] += pv.share
    ordered = tuple(sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])))
    sources = tuple(sorted({pv.source for pv in rows if pv.source}))
    # one provider's repeated rows are added: the loaders refuse them, so only a stored or hand-built chain gets here
    summed = tuple(sorted((p, n) for p, n in counted.items() if n > 1))
    return ShareSet(subject, year, level, basis, ordered, len(blank - set(counted)), sources, summed)


def select_shares(chain: SupplyChain, level: Level | str = Level.COUNTRY, year: int | None = None,
                  derive: bool = True) -> dict[str, ShareSet]:
    """Pick one :class:`ShareSet` per input or stage.

    With ``year=None`` the latest year with at least one non-blank share at the level is used,
    per input. With ``derive=True`` and ``level='country'``, a year with organisation shares but no
    country shares yields country shares derived from the organisations' home countries.
    """
    level = Level(level)
    groups = _group(chain)
    by_subject: dict[str, dict[int, ShareSet]] = defaultdict(dict)
    for (subject, lvl, yr), rows in groups.items():
        if year is not None and yr != year:
            continue
        if not any(pv.share is not None for pv in rows):
            continue
        if lvl is level:
            by_subject[subject][yr] = _make(subject, yr, level, REPORTED, rows)
    if level is Level.COUNTRY and derive:
        for (subject, lvl, yr), rows in groups.items():
            if lvl is not Level.ORGANISATION or (year is not None and yr != year):
                continue
            if yr in by_subject.get(subject, {}) or not any(pv.share is not None for pv in rows):
                continue
            by_subject[subject][yr] = _make(subject, yr, level, DERIVED, rows, chain)
    return {subject: years[max(years)] for subject, years in by_subject.items()}


def normalised(shares: ShareSet) -> list[tuple[str, float]]:
    """Shares as fractions of 1; totals above 100 are scaled down to 100 (:func:`share_caveats` says so)."""
    total = shares.total
    scale = 100.0 / total if total > 100.0 else 1.0
    return [(p, s * scale / 100.0) for p, s in shares.shares]


#: A group summing to more than 100 by less than this is float noise (33.3 + 33.3 + 33.4), not a scaled group.
_SCALE_TOLERANCE = 1e-6


def share_caveats(used: Mapping[str, ShareSet], noun: str = "input", nouns: str = "inputs") -> list[str]:
    """Caveats on the shares behind a result, ``used`` mapping each input (or stage) it covers to the shares read
    for it: shares from more than one survey year set side by side, groups summing over 100 scaled down (those
    beyond :data:`OVERSHOOT_LIMIT`, which rounding does not explain, named), and rows of one provider added."""
    def count(n: int) -> str:
        return f"{n} {noun if n == 1 else nouns}"

    caveats: list[str] = []
    by_year = Counter(ss.year for ss in used.values())
    if len(by_year) > 1:
        listed = ", ".join(f"{y} ({count(n)})" for y, n in sorted(by_year.items()))
        caveats.append(f"Shares come from {len(by_year)} different survey years (the latest each {noun} reports): "
                       f"{listed}. Figures from different years are set side by side as if simultaneous; choose "
                       "one year to compare like with like.")
    given = [ss for ss in used.values() if ss.shares]
    if look_like_fractions([ss.total for ss in given], sum(len(ss.shares) for ss in given)):
        caveats.append(f"Every {noun}'s shares sum to about 1, not 100: they look like fractions of 1 written where "
                       "percentages belong (0.55 for 55%), so every share, concentration and exposure figure here "
                       "is 100 times too small. Write percentages (55, not 0.55).")
    over = {key: ss.total for key, ss in used.items() if ss.total > 100.0 + _SCALE_TOLERANCE
            and not beyond_rounding(ss.total)}
    if over:
        worst = max(over, key=lambda key: (over[key], key))
        caveats.append(f"The shares of {count(len(over))} summed to more than 100% (at most "
                       f"{over[worst]:.6g}%, {worst}) and were scaled down in proportion to sum to 100%, so each "
                       "provider shows less than the source states.")
    beyond = sorted(((ss.total, key) for key, ss in used.items() if beyond_rounding(ss.total)), reverse=True)
    if beyond:
        listed = ", ".join(f"{key} ({total:.6g}%)" for total, key in beyond)
        caveats.append(f"The shares of {count(len(beyond))} summed to more than {OVERSHOOT_LIMIT:g}%, which "
                       f"rounding does not explain: {listed}. They were scaled down in proportion to sum to 100%, "
                       "but a figure there is likely wrong (a repeated row or a typo): check it against the source.")
    summed = [(key, ss) for key, ss in sorted(used.items()) if ss.summed]
    if summed:
        listed = "; ".join(f"{key} {ss.year}: " + ", ".join(f"{p} ({n} rows)" for p, n in ss.summed)
                           for key, ss in summed)
        caveats.append(f"Several rows of one provider, input and year were added together as one share: {listed}. "
                       "If a row repeats or revises another, that provider's share is overstated: keep one row per "
                       "provider, input and year.")
    return caveats


def check_year(chain: SupplyChain, year: int | None, level: Level | str = Level.COUNTRY) -> None:
    """An error when ``year`` has no shares at ``level`` (an empty result would not say why), naming the years
    that do. Country level counts organisation years too (country shares are derived from them)."""
    if year is None:
        return
    level = Level(level)
    years = sorted({pv.year for pv in chain.provisions if pv.share is not None
                    and (level is Level.COUNTRY or _level_of(chain, pv.provider) is level)})
    if year not in years:
        from pinchpoint.errors import DataError

        held = ", ".join(str(y) for y in years) if years else "none"
        raise DataError(f"no {level.value}-level shares for year {year} in dataset {chain.name!r} "
                        f"(years with shares: {held})", field="year")

