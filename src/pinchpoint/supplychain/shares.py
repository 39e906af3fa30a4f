"""Operations on the model that choose which shares an analysis reads.

* **level**: read country rows, or organisation rows;
* **year**: one given year, or by default the latest year that has shares, chosen per input;
* **derivation**: where an input has organisation shares but no country breakdown for the chosen
  year, country shares are derived by summing organisations by home country.

Blank shares (provider known, share unknown) are never treated as zero: they are counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from pinchpoint.supplychain.model import Level, Provision, SupplyChain

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
    blank = 0
    for pv in rows:
        if pv.share is None:
            blank += 1
            continue
        key = pv.provider
        if chain is not None:  # deriving: organisations -> home country
            home = chain.provider_by_id[pv.provider].home_country
            key = home or "VAR"
        sums[key] += pv.share
    ordered = tuple(sorted(sums.items(), key=lambda kv: (-kv[1], kv[0])))
    sources = tuple(sorted({pv.source for pv in rows if pv.source}))
    return ShareSet(subject, year, level, basis, ordered, blank, sources)


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
    """Shares as fractions of 1; totals above 100 (rounding overshoot) are scaled down to 100."""
    total = shares.total
    scale = 100.0 / total if total > 100.0 else 1.0
    return [(p, s * scale / 100.0) for p, s in shares.shares]


#: A group summing to more than 100 by less than this is float noise (33.3 + 33.3 + 33.4), not a scaled group.
_SCALE_TOLERANCE = 1e-6


def share_caveats(used: Mapping[str, ShareSet], noun: str = "input", nouns: str = "inputs") -> list[str]:
    """Caveats on the shares behind a result, ``used`` mapping each input (or stage) it covers to the shares read
    for it: shares from more than one survey year set side by side, and groups summing over 100 scaled down."""
    def count(n: int) -> str:
        return f"{n} {noun if n == 1 else nouns}"

    caveats: list[str] = []
    by_year = Counter(ss.year for ss in used.values())
    if len(by_year) > 1:
        listed = ", ".join(f"{y} ({count(n)})" for y, n in sorted(by_year.items()))
        caveats.append(f"Shares come from {len(by_year)} different survey years (the latest each {noun} reports): "
                       f"{listed}. Figures from different years are set side by side as if simultaneous; choose "
                       "one year to compare like with like.")
    over = {key: ss.total for key, ss in used.items() if ss.total > 100.0 + _SCALE_TOLERANCE}
    if over:
        worst = max(over, key=lambda key: (over[key], key))
        caveats.append(f"The shares of {count(len(over))} summed to more than 100% (at most "
                       f"{over[worst]:.6g}%, {worst}) and were scaled down in proportion to sum to 100%, so each "
                       "provider shows less than the source states.")
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

