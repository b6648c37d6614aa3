"""splitdsl: revenue-split agreements with exact cents, inside pyarrow, Spark,
DuckDB and Polars.

    import splitdsl
    a = splitdsl.Agreement.load("examples/hotmart.split")
    a.evaluate(price="197.00 USD")          # dict: the JSON of `splitdsl run --format json`
    out = a.settle(batch)                   # pyarrow RecordBatch (or Table) in, same kind out
    a.output_schema(batch.schema)           # the schema settle returns
    splitdsl.spark.settle(sales_df, a)      # a Spark DataFrame, via mapInArrow

Every amount comes from the same Rust core as the `splitdsl` command line.
`settle` appends one ``decimal128(38, minor unit)`` column per fee and share
(in deduction order) and ``unallocated``, then ``error`` (a string, null when
the row settled): a bad row never aborts the batch.
"""

from ._native import Agreement, AgreementError

__all__ = ["Agreement", "AgreementError", "spark"]


def __getattr__(name):
    # `splitdsl.spark` imports pyspark only when used.
    if name == "spark":
        import importlib

        return importlib.import_module(".spark", __name__)
    raise AttributeError(f"module 'splitdsl' has no attribute {name!r}")
