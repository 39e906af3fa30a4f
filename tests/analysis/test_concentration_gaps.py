"""Concentration says which inputs it leaves out and which HHIs are lower bounds (trial 12, F23).

Expected inputs are read here from the built-in YAML itself: organisations are the ids its ``providers`` block
declares, every other provider is a country (or pseudo-region).
"""

from __future__ import annotations

import re
from collections import defaultdict

from pinchpoint.analysis import concentration
from pinchpoint.supplychain.load import builtin_path, load_chain
from pinchpoint.yamlio import load_yaml


def _provisions() -> tuple[set[str], list[dict[str, object]]]:
    doc = load_yaml(builtin_path())[0]
    return {p["id"] for p in doc["providers"]}, list(doc["provisions"])


def test_organisation_level_names_the_inputs_without_organisation_shares() -> None:
    organisations, rows = _provisions()
    by_org = {str(r["input"]) for r in rows if r["provider"] in organisations and r.get("share") is not None}
    by_country = {str(r["input"]) for r in rows if r["provider"] not in organisations and r.get("share") is not None}
    missing = sorted(by_country - by_org)
    assert missing, "the built-in data has inputs with country shares only"
    table = concentration(load_chain("builtin"), level="organisation")
    assert {r["input_id"] for r in table.rows} == by_org
    [caveat] = [c for c in table.meta["caveats"] if "no organisation shares" in c]
    assert caveat.startswith(f"{len(missing)} of the {len(missing) + len(by_org)} inputs")
    assert caveat.split(": ")[-1].split(". ")[0].split(", ") == missing
    # with a year, the inputs that year's country rows cover but no organisation row does
    years = sorted({int(str(r["year"])) for r in rows if r["provider"] in organisations})
    year = years[0]
    in_year = {str(r["input"]) for r in rows if int(str(r["year"])) == year and r["provider"] not in organisations}
    org_year = {str(r["input"]) for r in rows if int(str(r["year"])) == year and r["provider"] in organisations}
    dated = concentration(load_chain("builtin"), level="organisation", year=year).meta["caveats"]
    gap = sorted(in_year - org_year)
    found = [c for c in dated if "no organisation shares" in c]
    assert (f"for {year}" in found[0] and all(i in found[0] for i in gap)) if gap else not found


def test_country_level_says_which_hhis_are_lower_bounds() -> None:
    organisations, rows = _provisions()
    latest: dict[str, int] = {}
    for r in rows:
        if r["provider"] not in organisations:
            latest[str(r["input"])] = max(latest.get(str(r["input"]), 0), int(str(r["year"])))
    total: dict[str, float] = defaultdict(float)
    for r in rows:
        if r["provider"] not in organisations and int(str(r["year"])) == latest[str(r["input"])]:
            total[str(r["input"])] += float(str(r["share"]))
    partial = {i for i, t in total.items() if t < 99.5}
    assert partial
    table = concentration(load_chain("builtin"))
    [caveat] = [c for c in table.meta["caveats"] if "HHI is a lower bound" in c]
    assert re.search(rf"for {len(partial)} of the rows", caveat)
    lowest = min(partial, key=lambda i: total[i])
    name = load_chain("builtin").input_by_id[lowest].name
    assert f"({name} {total[lowest]:g}%" in caveat
