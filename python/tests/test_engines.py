"""DuckDB and Polars: batches from the engine, settled, summed by the engine;
the totals equal the command line's statement to the cent."""

import warnings
from decimal import Decimal

import pyarrow as pa


def _engine_totals_equal_statement(sums, cli_run, amounts):
    for name in amounts:
        assert Decimal(sums[name]) == cli_run.net[name], name


def test_duckdb_batches_and_sum_equal_the_cli_statement(hotmart, ledger):
    import duckdb

    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{ledger['parquet']}')")
    with warnings.catch_warnings():  # DuckDB 2 renamed it to_arrow_reader
        warnings.simplefilter("ignore", DeprecationWarning)
        reader = rel.fetch_record_batch(1000)
    batches = []
    for batch in reader:
        batches.append(hotmart.settle(batch))
    assert len(batches) >= 3
    settled = pa.Table.from_batches(batches)
    con.register("settled", settled)
    cols = ", ".join(f'SUM("{n}") AS "{n}"' for n in hotmart.amounts)
    row = con.execute(f"SELECT {cols}, COUNT(error) AS errors FROM settled").fetchone()
    sums = dict(zip(hotmart.amounts + ["errors"], row))
    cli_run = ledger["typed_cli"]
    _engine_totals_equal_statement(sums, cli_run, hotmart.amounts)
    assert sums["errors"] == cli_run.rejected > 0
    # Refunds negative: the engine sees them.
    neg = con.execute("SELECT COUNT(*) FROM settled WHERE kind IN ('refund', 'chargeback') AND producer < 0").fetchone()[0]
    assert neg == sum(1 for r in cli_run.rows if r["kind"] in ("refund", "chargeback"))


def test_polars_large_strings_and_sum_equal_the_cli_statement(hotmart, ledger):
    import polars as pl

    df = pl.read_parquet(ledger["parquet"])
    table = df.to_arrow(compat_level=pl.CompatLevel.oldest())
    assert table.schema.field("kind").type == pa.large_string()
    settled = pl.from_arrow(hotmart.settle(table))
    sums = settled.select([pl.col(n).sum() for n in hotmart.amounts]).row(0, named=True)
    cli_run = ledger["typed_cli"]
    _engine_totals_equal_statement(sums, cli_run, hotmart.amounts)
    assert settled["error"].is_not_null().sum() == cli_run.rejected
    refunds = settled.filter(pl.col("kind") == "refund")
    assert refunds.height > 0 and (refunds["producer"] < 0).all()
