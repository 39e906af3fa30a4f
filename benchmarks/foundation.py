"""Speed goals of the foundation (issue #2), each printed as a ratio against a baseline timed in the same run.

* ETO end to end (load, validate, store in a fresh workspace, concentration, chokepoints, exposure): goal < 0.5 s;
  baseline: just reading the five CSV files with the csv module.
* ``pinchpoint --help`` start-up: goal < 0.5 s; baseline: ``python -c pass``.
* Exposure over a synthetic firm-level network of 100,000 inputs and 1,000,000 relations: goal < 2 s;
  baseline: a straightforward networkx implementation of the same definition (tests/analysis/reference.py).
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import best_of, report  # noqa: E402

ETO = ROOT.parent / "shared" / "data" / "supply-chain" / "eto"
sys.path.insert(0, str(ROOT))


def eto_end_to_end() -> bool:
    from pinchpoint.analysis import chokepoints, concentration, exposure
    from pinchpoint.supplychain.load import import_dataset
    from pinchpoint.workspace import Workspace

    def ours() -> None:
        with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp)) as ws:
            import_dataset(ws, ETO, name="eto")
            chain = ws.load("eto")
            concentration(chain)
            chokepoints(chain)
            exposure(chain)

    def baseline() -> None:
        for f in sorted(ETO.glob("*.csv")):
            with f.open(encoding="utf-8", newline="") as fh:
                list(csv.reader(fh))

    ours()  # warm imports
    return report("ETO import + analyses, end to end", best_of(ours), best_of(baseline), "csv read", 0.5)


def cli_startup() -> bool:
    exe = Path(sys.executable).with_name("pinchpoint")

    def ours() -> None:
        subprocess.run([str(exe), "--help"], check=True, capture_output=True)

    def baseline() -> None:
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)

    ours()
    return report("pinchpoint --help", best_of(ours, 5), best_of(baseline, 5), "python -c pass", 0.5)


def synthetic_network(n: int, m: int, n_countries: int, tiers: int = 10, seed: int = 0) -> dict[str, Any]:
    """A tiered firm-level supply network: raw materials in tier 0 up to end products in the last tier.

    Each relation joins a supplier to a buyer in a higher tier (mostly the next one, as in real networks);
    10% of relations are substitutes; 5% of firms also get an ``is_type_of`` child. Exactly ``m`` distinct
    relations.
    """
    rng = np.random.default_rng(seed)
    tier = np.sort(rng.integers(0, tiers, size=n))
    starts = np.searchsorted(tier, np.arange(tiers + 1))
    pairs: set[tuple[int, int]] = set()
    src_parts, dst_parts = [], []
    while len(pairs) < m:
        k = int((m - len(pairs)) * 1.1) + 10
        dst = rng.integers(starts[1], n, size=k)
        gap = 1 + (rng.random(k) < 0.2) * rng.integers(1, 3, size=k)  # mostly the tier just below
        src_tier = np.maximum(tier[dst] - gap, 0)
        lo, hi = starts[src_tier], starts[src_tier + 1]
        src = lo + (rng.random(k) * (hi - lo)).astype(np.int64)
        for a, b in zip(src.tolist(), dst.tolist(), strict=True):
            if len(pairs) >= m:
                break
            if (a, b) not in pairs:
                pairs.add((a, b))
                src_parts.append(a)
                dst_parts.append(b)
    src_arr, dst_arr = np.array(src_parts, dtype=np.int64), np.array(dst_parts, dtype=np.int64)
    is_type = np.zeros(m, dtype=bool)
    is_type[rng.choice(m, size=n // 20, replace=False)] = True
    substitute = rng.random(m) < 0.10
    weights = rng.uniform(0.5, 5.0, size=m)
    home = rng.integers(0, n_countries, size=n)  # each firm's country: losing it removes the firm's supply
    return {"n": n, "src": src_arr, "dst": dst_arr, "is_type": is_type, "substitute": substitute,
            "weights": weights, "home": home}


def large_exposure() -> bool:
    from tests.analysis.reference import reference_availability, reference_graph

    from pinchpoint.analysis.availability import AvailabilityGraph

    n_countries = 20
    net = synthetic_network(100_000, 1_000_000, n_countries)
    n = net["n"]
    print(f"  synthetic network: {n:,} inputs, {len(net['src']):,} relations, {n_countries} countries")

    def ours() -> np.ndarray:
        graph = AvailabilityGraph.build(n, net["src"], net["dst"], net["is_type"], net["substitute"], net["weights"])
        own = np.ones((n, n_countries))
        own[np.arange(n), net["home"]] = 0.0  # column c: country c is lost
        return 1.0 - graph.propagate(own)  # dependence of every input on every country

    dependence = ours()
    t_ours = best_of(ours, 2)

    edges = list(zip(net["src"].tolist(), net["dst"].tolist(), net["is_type"].tolist(), net["substitute"].tolist(),
                     net["weights"].tolist(), strict=True))

    def baseline() -> list[float]:
        graph = reference_graph(n, edges)
        own = (net["home"] != 0).astype(float).tolist()  # one country only
        return reference_availability(graph, own)

    t0 = time.perf_counter()
    ref = baseline()
    t_ref_one = time.perf_counter() - t0
    assert np.allclose(1.0 - np.array(ref), dependence[:, 0]), "engine and reference disagree"
    ok = report(f"exposure, {n_countries} countries (sparse levels)", t_ours, t_ref_one * n_countries,
                f"networkx x{n_countries}", 2.0)
    report("  per country", t_ours / n_countries, t_ref_one, "networkx", None)
    return ok


def main() -> int:
    print(f"pinchpoint foundation benchmarks (python {sys.version.split()[0]})")
    results = []
    if ETO.exists():
        results.append(eto_end_to_end())
    else:
        print(f"skipped ETO end to end: {ETO} not found")
    results.append(cli_startup())
    results.append(large_exposure())
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
