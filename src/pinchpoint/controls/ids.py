"""Unknown jurisdictions, codes and versions: errors that name what there is and the closest valid ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from pinchpoint.controls.model import Jurisdiction
from pinchpoint.errors import NotFoundError


class UnknownControlId(NotFoundError):
    """A jurisdiction, entry code or list version that is not loaded; the message names the closest ones."""


def closest(value: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates most like ``value``: same spelling ignoring case first, then by similarity, then by
    shared prefix (so '3B0' suggests '3B001')."""
    pool = sorted(set(candidates))
    upper = {c.upper(): c for c in pool}
    if value.upper() in upper:
        return [upper[value.upper()]]
    found = [upper[m] for m in difflib.get_close_matches(value.upper(), list(upper), n=n, cutoff=0.6)]
    prefix = value.upper()
    while len(found) < n and prefix:  # then those sharing the longest prefix ('3Z' -> '3A', '3B'...)
        found += [c for c in pool if c.upper().startswith(prefix) and c not in found][: n - len(found)]
        if found:
            break
        prefix = prefix[:-1]
    return found


def unknown(kind: str, value: str, candidates: Iterable[str], where: str = "", what: str = "") -> UnknownControlId:
    """The error for an unknown id: what was asked, the closest valid ids (``suggestions``), how many there are;
    ``what`` names what is missing for an interface's hint ("control lists": load one)."""
    pool = sorted(set(candidates))
    near = closest(value, pool)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    if not pool:
        have = "none"
    elif len(pool) <= 12:
        have = ", ".join(pool)
    else:
        have = f"{len(pool)} of them"
    return UnknownControlId(f"no {kind} {value!r}{' ' + where if where else ''}{hint} (there are: {have})",
                            suggestions=near, what=what or kind, value=value)


def check_jurisdiction(value: str, loaded: Mapping[str, Any] | Iterable[str]) -> str:
    """``value`` as a loaded jurisdiction code (US, EU, JP), or an error naming the closest loaded one."""
    code = value.strip().upper()
    known = {j.value for j in Jurisdiction}
    if code not in known:
        raise unknown("jurisdiction", value, known)
    have = set(loaded)
    if code not in have:
        raise unknown("loaded control list for", code, have, where="in the workspace", what="control lists")
    return code
