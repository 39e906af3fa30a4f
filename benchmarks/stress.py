"""Speed goals of the stress-test engines (issue #3), with baselines timed in the same run.

* 10,000 Monte Carlo runs of a 365-day scenario on the ETO network: goal < 10 s on 2 cores; baseline: the same
  engine one run at a time (a per-run loop), timed on 50 runs and scaled to 10,000.
* TTS/TTR for every country-input of the ETO network: goal < 2 s; baseline: the same programmes built afresh for
  every pair instead of re-solved warm.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report  # noqa: E402

ETO = ROOT.parent / "shared" / "data" / "supply-chain" / "eto"


def main() -> int:
    if not ETO.exists():
        print(f"skipped: {ETO} not found")
        return 0
    from pinchpoint.stress.engines import run_dynamic, run_tts
    from pinchpoint.stress.network import StressNetwork
    from pinchpoint.stress.scenario import load_scenario
    from pinchpoint.supplychain import load_chain

    net = StressNetwork.build(load_chain(str(ETO)))
    scenario = load_scenario("taiwan_blockade").model_copy(update={"horizon_days": 365})
    workers = min(2, os.cpu_count() or 1)
    results = []

    t0 = time.perf_counter()
    run_dynamic(net, scenario, runs=10_000, seed=1, workers=workers)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k in range(50):
        run_dynamic(net, scenario, runs=1, seed=k)
    loop = (time.perf_counter() - t0) / 50 * 10_000
    results.append(report(f"10,000 runs x 365 days on ETO ({workers} workers)", ours, loop, "per-run loop (scaled)",
                          10.0))

    t0 = time.perf_counter()
    table = run_tts(net, scenario)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    cold_table = run_tts(net, scenario, rebuild_each=True)
    cold = time.perf_counter() - t0
    assert cold_table.rows == table.rows, "warm and cold solves disagree"
    results.append(report(f"TTS/TTR for {len(table)} country-inputs on ETO", ours, cold, "programme rebuilt per pair",
                          2.0))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
