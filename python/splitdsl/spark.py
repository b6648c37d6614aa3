"""Settling a Spark DataFrame with a splitdsl agreement (imports pyspark)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from pyspark.sql.types import DecimalType, StringType, StructField, StructType

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql import DataFrame

    from . import Agreement


def output_schema(df_schema: StructType, agreement: "Agreement") -> StructType:
    """The Spark schema `settle` returns for a DataFrame of `df_schema`: its
    columns, then one ``DECIMAL(38, minor unit)`` per fee and share and
    ``unallocated``, then ``error`` (a string, null when the row settled)."""
    dp = agreement.minor_unit
    fields = list(df_schema.fields)
    fields += [StructField(n, DecimalType(38, dp), True) for n in agreement.amounts]
    fields.append(StructField("error", StringType(), True))
    return StructType(fields)


def settle(df: "DataFrame", agreement: "Agreement") -> "DataFrame":
    """Settles every row of `df` with `agreement`, inside Spark (``mapInArrow``).

    Columns named like the agreement's inputs set them (decimal, integer,
    string such as ``"100.00 USD"``, date, bool), ``kind`` = ``refund`` or
    ``chargeback`` negates the row. A running total of the agreement must be
    a column, computed by a Spark window function over the earlier rows.
    Only the agreement's source text is shipped: each task compiles it once
    and settles all its batches with it.
    """
    schema = output_schema(df.schema, agreement)
    text, name = agreement.text, agreement.name
    # Checks the columns now (a missing price, a float amount) rather than in a task.
    from pyspark.sql.pandas.types import to_arrow_schema

    agreement.output_schema(to_arrow_schema(df.schema))

    def run(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        from splitdsl import Agreement

        task_agreement = Agreement(text, name=name)  # once per task
        for batch in batches:
            yield task_agreement.settle(batch)

    return df.mapInArrow(run, schema)
