"""Trade at scale (issue #5): a full supplier-HHI pass over a generated BACI-shaped table, against pandas doing the
same work in the same run. Goal: under 7 s for 50 million rows on 2 cores. Set PINCHPOINT_BENCH_ROWS to change
the size (the generator is part of the benchmark: random exporters, importers, HS6 codes and values)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import report  # noqa: E402


def main() -> int:
    import duckdb

    from pinchpoint.trade.metrics import supplier_concentration_relation

    rows = int(os.environ.get("PINCHPOINT_BENCH_ROWS", "50000000"))
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(f"""CREATE TABLE flows AS SELECT '2024' AS period, 'A' AS frequency,
        'C' || lpad(CAST((hash(r) % 200) AS VARCHAR), 3, '0') AS reporter,
        'C' || lpad(CAST((hash(r * 7 + 1) % 200) AS VARCHAR), 3, '0') AS partner, 'export' AS flow,
        'HS' AS classification, 'HS2017' AS revision, lpad(CAST(100000 + hash(r * 13 + 5) % 5000 AS VARCHAR), 6, '0')
        AS product, (hash(r * 31 + 3) % 1000000) / 10.0 AS value_usd, NULL::DOUBLE AS value
        FROM range({rows}) t(r)""")
    print(f"generated {rows:,} BACI-shaped rows in {time.perf_counter() - t0:.1f} s")
    rel = con.table("flows")
    t0 = time.perf_counter()
    supplier_concentration_relation(rel).create("hhi")  # materialised, as pandas materialises its frame
    ours = time.perf_counter() - t0
    pairs = con.execute("SELECT count(*) FROM hhi").fetchall()[0][0]
    print(f"supplier HHI for {pairs:,} importer-product pairs")
    try:
        import pandas as pd  # noqa: F401
    except ImportError:
        print("pandas is not installed (the 'bench' extra): no baseline")
        return 0 if ours < 7 else 1
    df = con.execute("SELECT partner, product, reporter, value_usd FROM flows").df()
    t0 = time.perf_counter()
    g = df.groupby(["partner", "product", "reporter"], sort=False)["value_usd"].sum().reset_index()
    g = g[g["value_usd"] > 0]
    g["s"] = g["value_usd"] / g.groupby(["partner", "product"], sort=False)["value_usd"].transform("sum")
    g["s2"] = g["s"] ** 2
    pandas_hhi = g.groupby(["partner", "product"], sort=False).agg(hhi=("s2", "sum"), cr1=("s", "max"),
                                                                   n=("s", "size"))
    base = time.perf_counter() - t0
    assert len(pandas_hhi) == pairs, "pandas and pinchpoint disagree on the number of pairs"
    return 0 if report(f"supplier HHI, {rows:,} rows", ours, base, "pandas", 7.0) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
