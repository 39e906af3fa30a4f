"""What every trade query shares: choosing sources, naming the filter that emptied a result and what the source
holds, reporters and partners that are groups of countries (EU-27 built from its members), and code levels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pinchpoint.errors import BadArgumentError, WorkspaceError
from pinchpoint.kernel.countries import AGGREGATES, check_country, did_you_mean, group_members
from pinchpoint.trade.codes import CodeLevels, resolve_levels
from pinchpoint.trade.table import sql_list


class NoRowsError(WorkspaceError):
    """A query whose filters match no row: the message names the filter and what the source holds."""


def held(rel: Any, column: str) -> list[str]:
    """The distinct non-null values of ``column`` in ``rel``, sorted."""
    return sorted(str(v) for (v,) in rel.aggregate(column, column).fetchall() if v is not None)


def listing(values: Sequence[str], limit: int = 30) -> str:
    """``AUT, BEL, ... (and 12 more)``; months as one range."""
    if values and all(re.fullmatch(r"\d{4}(-\d{2})?", v) for v in values) and len(values) > 3:
        return f"{values[0]}..{values[-1]} ({len(values)} periods)"
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "") if values else "nothing"


def select_sources(ws: Any, names: Sequence[str] | None) -> Any:
    """The workspace's flows from the named sources (all when none is named); a source the workspace does not
    hold is an error naming the ones it does."""
    from pinchpoint.trade.store import flows

    rel = flows(ws)
    if not names:
        return rel
    sources = held(rel, "source")
    for name in names:
        if name not in sources:
            raise NoRowsError(f"no rows for source {name!r} in the workspace; it holds sources {listing(sources)}"
                              f"{did_you_mean(name, sources)}")
    return rel.filter(f"source IN ({sql_list(list(names))})")


def check_codes(codes: Sequence[str]) -> list[str]:
    """Product codes as given (digits, or TOTAL); anything else is an error."""
    out = []
    for code in codes:
        if not re.fullmatch(r"\d{2,10}|TOTAL", code):
            raise BadArgumentError(f"not a product code: {code!r} (give HS/CN digits such as 8471 or 847130, or "
                                   "TOTAL)", parameter="codes")
        out.append(code)
    return out


def closest_codes(code: str, products: Sequence[str], n: int = 3) -> str:
    """``" (did you mean 8471, 8473?)"``: the held codes sharing the longest leading digits with ``code``."""
    for k in range(len(code), 1, -1):
        near = sorted((p for p in products if p.startswith(code[:k])), key=lambda p: (len(p), p))
        if near:
            return f" (did you mean {', '.join(near[:n])}?)"
    return ""


@dataclass
class Countries:
    """Requested reporters (or partners) resolved against one source: each to the codes its rows carry."""

    actual: dict[str, tuple[str, ...]] = field(default_factory=dict)  # requested -> codes of its rows
    built: dict[str, tuple[str, ...]] = field(default_factory=dict)  # groups built from members (member rows held)
    absent: list[str] = field(default_factory=list)  # requested codes with no rows in the source

    def all_codes(self) -> list[str]:
        return sorted({c for codes in self.actual.values() for c in codes})


def resolve_countries(requested: Sequence[str], held_codes: Sequence[str], role: str) -> Countries:
    """Each requested code as the source holds it: its own rows, or, for a group such as EU27_2020 that the source
    does not hold as a row, the rows of its members (``kernel/data/country_groups.yaml``). Unknown codes are
    errors."""
    out = Countries()
    held_set = set(held_codes)
    for code in requested:
        check_country(code, role)
        # only a trade aggregate with a fixed membership (EU27_2020, EU28) is built from its members' rows
        members = group_members(code) if code in AGGREGATES else ()
        if code in held_set:
            out.actual[code] = (code,)
        elif members and held_set & set(members):
            out.actual[code] = tuple(m for m in members if m in held_set)
            out.built[code] = out.actual[code]
        else:
            out.absent.append(code)
    return out


def built_caveat(code: str, members: tuple[str, ...], source: str, role: str) -> str:
    everyone = group_members(code)
    lacking = [m for m in everyone if m not in members]
    return (f"{role} {code} in {source}: the sum of its member states' rows ({len(members)} of {len(everyone)} "
            f"members hold rows), as the source has no {code} row"
            + (f"; no rows for {', '.join(lacking)}" if lacking else ""))


def levels_for(rel: Any, codes: Sequence[str]) -> CodeLevels:
    """The product codes a total over ``codes`` adds up in ``rel`` (one source), one level per branch."""
    return resolve_levels(codes, held(rel, "product"))
