#!/usr/bin/env python3
"""Benchmark (issue 17): rows per second settling the same 1,000,000 sales with
examples/hotmart.split through the `splitdsl` CLI (CSV), the Python package
in-process (pyarrow), DuckDB (fetch_record_batch) and Spark local[2]
(mapInArrow, splitdsl.spark.settle) reading Parquet. Every path's producer
total must equal the CLI's statement, to the cent.

Usage: python bench/engines.py [N]   (default 1000000; run with the venv of
       .ci/python.sh, which has the wheel, pyarrow, duckdb and pyspark)
Environment: SPLITDSL_BIN (default $CARGO_TARGET_DIR/release/splitdsl, else
             target/release/splitdsl), BENCH_DIR (default target/bench).
"""

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import splitdsl
import splitdsl.spark

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = os.environ.get("SPLITDSL_BIN", str(TARGET / "release" / "splitdsl"))
DIR = Path(os.environ.get("BENCH_DIR", TARGET / "bench"))
AGREEMENT = ROOT / "examples" / "hotmart.split"


def timed(label, n, f):
    t = time.perf_counter()
    result = f()
    s = time.perf_counter() - t
    print(f"| {label} | {n:,} | {s:.2f} s | {n / s:,.0f} |", flush=True)
    return result


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    DIR.mkdir(parents=True, exist_ok=True)
    csv_path, parquet = DIR / f"engines-{n}.csv", DIR / f"engines-{n}.parquet"
    if not csv_path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_ledger.py"), str(n), str(csv_path)], check=True)
    if not parquet.exists():
        t = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(
            column_types={"sale_id": pa.string(), "date": pa.date32(), "price": pa.decimal128(18, 2)}))
        pq.write_table(t, parquet, row_group_size=131072)
    a = splitdsl.Agreement.load(str(AGREEMENT))
    print(f"load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    print("| path | rows | wall | rows/s |\n|---|---|---|---|")

    st = DIR / "engines-statement.json"
    timed("CLI `splitdsl run --sales` CSV, --threads 2", n, lambda: subprocess.run(
        [BIN, "run", str(AGREEMENT), "--sales", str(csv_path), "--out", str(DIR / "engines-out.csv"),
         "--statement", str(st), "--threads", "2"], check=True))
    want = {line["name"]: Decimal(line["net"]) for line in json.loads(st.read_text())["lines"]}["producer"]

    table = pq.read_table(parquet)
    out = timed("pyarrow in-process `Agreement.settle(table)` (1 thread)", n, lambda: a.settle(table))
    assert pa.compute.sum(out["producer"]).as_py() == want

    import duckdb

    def duck():
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        reader = con.sql(f"SELECT * FROM read_parquet('{parquet}')").fetch_record_batch(131072)
        settled = pa.Table.from_batches([a.settle(b) for b in reader])
        con.register("settled", settled)
        return con.execute("SELECT SUM(producer), COUNT(error) FROM settled").fetchone()

    total, errors = timed("DuckDB read_parquet → fetch_record_batch → settle → SUM", n, duck)
    assert total == want and errors == 0

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


    t0 = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"(Spark session start: {time.perf_counter() - t0:.1f} s, not counted)")

    def spark_run():
        df = spark.read.parquet(str(parquet))
        return splitdsl.spark.settle(df, a).selectExpr("SUM(producer) AS p", "COUNT(error) AS e").collect()[0]

    row = timed("Spark local[2] read.parquet → mapInArrow settle → SUM", n, spark_run)
    assert row["p"] == want and row["e"] == 0
    spark.stop()
    print(f"producer total {want} USD in every path")


if __name__ == "__main__":
    main()
