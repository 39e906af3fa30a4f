"""Closest valid ids for an unknown one: the "did you mean CHN?" of every unknown-id error."""

from __future__ import annotations

import difflib
from collections.abc import Mapping


def _distance(a: str, b: str) -> int:
    """Edit distance: insertions, deletions, substitutions and swaps of two neighbours (``NDL`` -> ``NLD`` is 1)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[i - 2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def closest(value: str, choices: Mapping[str, str], n: int = 3) -> list[str]:
    """Ids from ``choices`` (id -> name) nearest to ``value``, matched case-insensitively on the id and the name:
    fewest edits first (``N2O`` -> ``N20``, ``CHA`` -> ``CHN``), then difflib's similarity and name prefixes."""
    wanted = value.strip().lower()
    keys: dict[str, str] = {}
    for ident, name in choices.items():
        keys.setdefault(ident.lower(), ident)
        if name:
            keys.setdefault(name.lower(), ident)
    if wanted in keys:
        return [keys[wanted]]
    limit = max(1, len(wanted) // 3)
    scored: list[tuple[int, int, bool, float, str]] = []
    for key, ident in keys.items():
        if abs(len(key) - len(wanted)) <= limit:
            d = _distance(wanted, key)
            if d <= limit:
                similarity = difflib.SequenceMatcher(None, wanted, key).ratio()
                # the same letters in another order (a swap) before other one-edit neighbours
                scored.append((d, abs(len(key) - len(wanted)), sorted(key) != sorted(wanted), -similarity, ident))
    found: list[str] = []
    for *_, ident in sorted(scored):
        if ident not in found:
            found.append(ident)
    for key in difflib.get_close_matches(wanted, list(keys), n=n * 2, cutoff=0.6):
        if keys[key] not in found:
            found.append(keys[key])
    # a prefix of a name ("lithography" for "Lithography tools") is as good a hint as a near spelling
    for key, ident in keys.items():
        if len(wanted) >= 3 and key.startswith(wanted) and ident not in found:
            found.append(ident)
    return found[:n]


def label(ident: str, choices: Mapping[str, str]) -> str:
    name = choices.get(ident, "")
    return f"{ident} ({name})" if name and name != ident else ident


def did_you_mean(value: str, choices: Mapping[str, str], what: str = "ids", n: int = 3, listed: int = 12) -> str:
    """``did you mean CHN (China)?``, or the valid ids when none is close (all of them up to ``listed``)."""
    near = closest(value, choices, n)
    if near:
        return "did you mean " + " or ".join(label(i, choices) for i in near) + "?"
    ids = sorted(choices)
    if not ids:
        return f"the dataset has no {what}"
    shown = ", ".join(ids[:listed])
    rest = f", ... ({len(ids)} in all)" if len(ids) > listed else ""
    return f"valid {what}: {shown}{rest}"
