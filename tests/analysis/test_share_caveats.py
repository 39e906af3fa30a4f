"""Results that mix survey years, or scale down groups summing over 100, say so in their caveats.

Expected counts are derived here from ETO's provision.csv (and inputs.csv / sequence.csv for what lies upstream of the
target), not from the analyses: by default each input reads its latest year with a share (country rows, or
organisation rows summed by home country where a year has no country rows), and a group over 100 is scaled to 100.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

from pinchpoint.analysis import chokepoints, concentration, exposure
from pinchpoint.supplychain.model import SupplyChain


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _latest_shares(eto: Path) -> dict[str, tuple[int, float]]:
    """provided_id -> (latest year with a share, sum of the shares read that year)."""
    kind = {r["provider_id"]: r["provider_type"] for r in _read(eto / "providers.csv")}
    by_year: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for r in _read(eto / "provision.csv"):
        if r["share_provided"].strip():
            by_year[r["provided_id"]][int(r["year"])][kind[r["provider_id"]]] += float(r["share_provided"])
    latest = {}
    for subject, years in by_year.items():
        year = max(years)
        sums = years[year]
        latest[subject] = (year, sums["country"] if "country" in sums else sums["organization"])
    return latest


def _expected(latest: dict[str, tuple[int, float]], ids: set[str]) -> tuple[Counter[int], int, float, str]:
    years = Counter(latest[i][0] for i in ids)
    over = {i: latest[i][1] for i in ids if latest[i][1] > 100.0 + 1e-6}
    worst = max(over, key=lambda i: (over[i], i))
    return years, len(over), over[worst], worst


def _check(caveats: tuple[str, ...], expected: tuple[Counter[int], int, float, str]) -> None:
    years, n_over, top, worst = expected
    assert len(years) > 1 and n_over > 0  # the real data mixes years and overshoots 100
    mixed = [c for c in caveats if c.startswith(f"Shares come from {len(years)} different survey years")]
    assert len(mixed) == 1, caveats
    shown = {int(y): int(n) for y, n in re.findall(r"(\d{4}) \((\d+) input", mixed[0])}
    assert shown == dict(years)
    scaled = [c for c in caveats if "summed to more than 100%" in c]
    assert len(scaled) == 1, caveats
    assert scaled[0].startswith(f"The shares of {n_over} input") and f"at most {top:.6g}%, {worst})" in scaled[0]


def test_concentration_says_which_years_and_which_groups_were_scaled(eto_chain: SupplyChain, eto_path: Path) -> None:
    latest = _latest_shares(eto_path)
    table = concentration(eto_chain)
    assert {r["input_id"] for r in table.rows} == set(latest)
    expected = _expected(latest, set(latest))
    assert expected[3] == "N84" and expected[2] == 102  # the trial's example: EDA software, USA 96 of 102
    _check(table.caveats, expected)
    # one chosen year: no mix of years to report
    assert not any("different survey years" in c for c in concentration(eto_chain, year=2025).caveats)


def test_chokepoints_caveats_count_the_rows_shown(eto_chain: SupplyChain, eto_path: Path) -> None:
    latest = _latest_shares(eto_path)
    table = chokepoints(eto_chain)
    _check(table.caveats, _expected(latest, {r["input_id"] for r in table.rows}))


def test_exposure_caveats_count_the_inputs_from_the_target_down(eto_chain: SupplyChain, eto_path: Path) -> None:
    latest = _latest_shares(eto_path)
    inputs = {r["input_id"]: r for r in _read(eto_path / "inputs.csv")}
    target = next(i for i, r in inputs.items() if r["type"] == "ultimate_output")  # the only output
    feeds_into: dict[str, list[str]] = defaultdict(list)
    category: dict[str, str] = {}
    for r in _read(eto_path / "sequence.csv"):
        for parent in (r["goes_into_id"], r["is_type_of_id"]):
            if parent:
                feeds_into[parent].append(r["input_id"])
        if r["is_type_of_id"]:
            category[r["input_id"]] = r["is_type_of_id"]
    nodes, stack = {target}, [target]
    while stack:
        for child in feeds_into[stack.pop()]:
            if child not in nodes:
                nodes.add(child)
                stack.append(child)

    def shares_of(i: str) -> str | None:  # own, else the category's, else (a process) its stage's
        if i in latest:
            return i
        if i in category:
            return shares_of(category[i])
        stage = inputs[i]["stage_id"]
        return stage if inputs[i]["type"] == "process" and stage in latest else None

    read = {i: s for i in nodes if (s := shares_of(i)) is not None}
    years = Counter(latest[s][0] for s in read.values())
    over = {i: latest[s][1] for i, s in read.items() if latest[s][1] > 100.0 + 1e-6}
    worst = max(over.values())
    table = exposure(eto_chain)
    assert table.rows[0]["target_id"] == target
    scaled = next(c for c in table.caveats if "summed to more than 100%" in c)
    assert f"at most {worst:.6g}%" in scaled and scaled.startswith(f"The shares of {len(over)} inputs")
    mixed = next(c for c in table.caveats if "different survey years" in c)
    assert {int(y): int(n) for y, n in re.findall(r"(\d{4}) \((\d+) input", mixed)} == dict(years)
