"""What was added to or changed in the control lists at or after a date (``controls list --added 2023``).

Two sources of dates, both reported with the row they produced:

* **dates in the data**: Japan's items carry when they were added (``jp_status``: ``2023-07-23``, ``pre-2023``,
  ``post-2023``, ``present-2026; absent 2022-12-06``...). Each is read as an interval; an item whose interval
  starts on or after the date is ``added``, one whose interval ends before it (at the latest, the version date of
  the list that holds it) is left out, and one whose interval spans the date is ``added? (date uncertain)``,
  never dropped silently;
* **versions in the workspace**: for a jurisdiction with a version dated before the date, the consecutive versions
  from that one to the latest are diffed; each entry added or changed is reported with the two versions it
  changed between. A jurisdiction without such a version cannot answer; a caveat says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pinchpoint.controls.crosswalk import check_scope, diff_versions, in_scope
from pinchpoint.controls.model import ControlList
from pinchpoint.results import ResultTable

if TYPE_CHECKING:
    from pinchpoint.workspace import Workspace

ADDED_COLUMNS = ["jurisdiction", "code", "change", "when", "basis", "heading"]
_SINCE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def parse_since(text: str) -> date:
    """``2023`` -> 2023-01-01, ``2023-07`` -> 2023-07-01, ``2023-07-23`` as is."""
    m = _SINCE.match(text.strip())
    try:
        if m is None:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        raise ValueError(f"not a date: {text!r} (give YYYY, YYYY-MM or YYYY-MM-DD)") from None


def added_interval(status: str) -> tuple[date | None, date | None]:
    """When an item was added, as (earliest, latest) read from its status; None where the status does not say."""
    status = status.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", status):
        day = date.fromisoformat(status)
        return day, day
    lo: date | None = None
    hi: date | None = None
    if m := re.match(r"pre-(\d{4})", status):
        hi = date(int(m.group(1)) - 1, 12, 31)
    if m := re.match(r"post-(\d{4})", status):
        lo = date(int(m.group(1)), 1, 1)
    if m := re.search(r"absent (\d{4}-\d{2}-\d{2})", status):
        lo = date.fromisoformat(m.group(1)) + timedelta(days=1)
    if m := re.match(r"present-(\d{4})", status):
        hi = date(int(m.group(1)), 12, 31)
    return lo, hi


def _dated_rows(latest: ControlList, since: date, scope: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for e in latest.entries:
        if not in_scope(e, scope):
            continue
        lo, hi = added_interval(e.status)
        hi = min(hi or latest.version, latest.version)  # it is in this version, so it was added by then
        if lo is not None and lo >= since:
            change = "added"
        elif hi is not None and hi < since:
            continue
        else:
            change = "added? (date uncertain)"
        rows.append({"jurisdiction": e.jurisdiction.value, "code": e.code, "change": change, "when": e.status,
                     "basis": f"date of the item in the source ({latest.version})", "heading": e.heading})
    return rows


def _diff_rows(versions: Sequence[ControlList], since: date, scope: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for old, new in itertools.pairwise(versions):
        for r in diff_versions(old, new, scope).rows:
            if r["change"] == "removed":
                continue
            rows.append({"jurisdiction": new.jurisdiction.value, "code": r["code"], "change": r["change"],
                         "when": f"between {old.version} and {new.version}",
                         "basis": f"version diff {old.version} -> {new.version}", "heading": r["heading"]})
    return rows


def added_since(versions: Mapping[str, Sequence[ControlList]], since: date, scope: str | None = None
                ) -> ResultTable:
    """Entries added or changed at or after ``since``, by jurisdiction (``versions``: each list's versions)."""
    rows: list[dict[str, Any]] = []
    caveats: list[str] = []
    latest_lists = [sorted(v, key=lambda c: c.version)[-1] for v in versions.values() if v]
    check_scope(latest_lists, scope)
    for jurisdiction, stored in sorted(versions.items()):
        chain = sorted(stored, key=lambda c: c.version)
        if not chain:
            continue
        latest = chain[-1]
        baseline = [c for c in chain if c.version < since]
        dated = any(e.status for e in latest.entries)
        if dated:
            found = _dated_rows(latest, since, scope)
            rows += found
            uncertain = sum(1 for r in found if r["change"] != "added")
            if uncertain:
                caveats.append(f"{jurisdiction}: {uncertain} items have no date precise enough to say whether they "
                               f"were added before or after {since} (listed as 'added? (date uncertain)').")
            undated = sum(1 for e in latest.entries if in_scope(e, scope) and added_interval(e.status) == (None, None))
            if undated:
                caveats.append(f"{jurisdiction}: {undated} items carry no date the tool can read.")
        if baseline:
            start = chain.index(baseline[-1])
            rows += [r for r in _diff_rows(chain[start:], since, scope)
                     if not any(d["jurisdiction"] == r["jurisdiction"] and d["code"] == r["code"]
                                and d["change"] == "added" and r["change"] == "added" for d in rows)]
            removed = sum(1 for old, new in itertools.pairwise(chain[start:])
                          for r in diff_versions(old, new, scope).rows if r["change"] == "removed")
            if removed:
                caveats.append(f"{jurisdiction}: {removed} entries were removed since {baseline[-1].version} "
                               "(see controls diff).")
        elif not dated:
            caveats.append(
                f"{jurisdiction}: no version dated before {since} in the workspace (versions: "
                f"{', '.join(c.version.isoformat() for c in chain)}) and the source dates no entries, so what was "
                f"added since {since} cannot be told; load an older version to compare.")
    table = ResultTable.from_records("controls_added", rows, ADDED_COLUMNS,
                                     meta={"analysis": "controls added since", "since": since.isoformat(),
                                           "scope": scope or "all",
                                           "lists": {j: [c.version.isoformat() for c in v]
                                                     for j, v in sorted(versions.items())}})
    if not rows:
        caveats.append(f"Nothing added or changed at or after {since} that the loaded lists can show.")
    return table.with_caveats(*caveats) if caveats else table


def added_in_workspace(ws: Workspace, since: date, jurisdictions: Sequence[str] | None = None,
                       scope: str | None = None) -> ResultTable:
    """:func:`added_since` over every version stored in the workspace (of ``jurisdictions``, default all)."""
    from pinchpoint.controls.ids import check_jurisdiction
    from pinchpoint.controls.store import all_versions, load_lists

    loaded = [c.jurisdiction.value for c in load_lists(ws)]
    chosen = [check_jurisdiction(j, loaded) for j in jurisdictions or []] or loaded
    return added_since({j: all_versions(ws, j) for j in chosen}, since, scope)
