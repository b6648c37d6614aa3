"""PySpark in local[2] mode: a Parquet ledger settled inside Spark
(mapInArrow), totals by Spark's own SUM; a running total by a window
function matches the command line's."""

import csv
import os
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import splitdsl
from conftest import EXAMPLES, Cli


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter (the venv with the wheel and
    # pyarrow), not whatever `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    s = (SparkSession.builder.master("local[2]").appName("splitdsl-tests")
         .config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.driver.bindAddress", "127.0.0.1")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def test_spark_settles_a_parquet_ledger_like_the_cli(spark, hotmart, ledger):
    import splitdsl.spark

    df = spark.read.parquet(str(ledger["parquet"])).repartition(3)
    settled = splitdsl.spark.settle(df, hotmart)
    assert settled.schema.fieldNames()[-len(hotmart.amounts) - 1:] == hotmart.amounts + ["error"]
    settled.createOrReplaceTempView("settled")
    cols = ", ".join(f"SUM(`{n}`) AS `{n}`" for n in hotmart.amounts)
    row = spark.sql(f"SELECT {cols}, COUNT(error) AS errors FROM settled").collect()[0]
    cli_run = ledger["typed_cli"]
    for n in hotmart.amounts:
        assert row[n] == cli_run.net[n], n
    assert row["errors"] == cli_run.rejected > 0
    # Row by row too (by id and kind: Spark may reorder).
    mine = {(r["sale_id"], r["kind"] or ""): r for r in settled.where("error IS NULL").collect()}
    assert len(mine) == len(cli_run.rows)
    for theirs in cli_run.rows:
        r = mine[(theirs["sale_id"], theirs["kind"])]
        assert str(r["producer"]) == theirs["producer"]


def test_a_spark_window_running_total_matches_the_cli(spark, tmp_path):
    import splitdsl.spark
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    agreement = splitdsl.Agreement.load(str(EXAMPLES / "lifetime.split"))
    ledger = EXAMPLES / "lifetime-sales.csv"
    with open(ledger, newline="") as f:
        rows = list(csv.DictReader(f))
    table = pa.table({
        "seq": pa.array(range(len(rows)), pa.int64()),
        "sale_id": [r["sale_id"] for r in rows],
        "seller": [r["seller"] for r in rows],
        "price": pa.array([Decimal(r["price"]) for r in rows], pa.decimal128(18, 2)),
        "kind": [r["kind"] for r in rows],
    })
    pq.write_table(table, tmp_path / "lifetime.parquet")
    df = spark.read.parquet(str(tmp_path / "lifetime.parquet"))
    # lifetime = the signed prices of the seller's earlier rows.
    signed = F.when(F.col("kind").isin("refund", "chargeback"), -F.col("price")).otherwise(F.col("price"))
    w = Window.partitionBy("seller").orderBy("seq").rowsBetween(Window.unboundedPreceding, -1)
    df = df.withColumn("lifetime", F.coalesce(F.sum(signed).over(w), F.lit(0).cast("decimal(18,2)")))
    settled = splitdsl.spark.settle(df, agreement).orderBy("seq").collect()
    cli_run = Cli(EXAMPLES / "lifetime.split", ledger, tmp_path / "cli")
    assert [r["error"] for r in settled] == [None] * len(rows)
    got = [(r["sale_id"], str(r["platform"]), str(r["payout"])) for r in settled]
    want = [(r["sale_id"], r["platform"], r["payout"]) for r in cli_run.rows]
    assert got == want
    # The tier changed within the ledger: 10% before, 3% after.
    assert {"1.50", "20.00"} <= {g[1] for g in got}
