#!/usr/bin/env python3
"""Converts a ledger of bench/gen_ledger.py to Parquet, for the Parquet benchmark.

Usage: to_parquet.py LEDGER.csv OUT.parquet   (needs pyarrow: `pip install pyarrow` in a venv)

sale_id a string, date a DATE32, price a DECIMAL(18, 2) (read exactly); row groups of
131,072 rows, snappy.
"""
import sys, pyarrow as pa, pyarrow.csv as pc, pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
opts = pc.ConvertOptions(column_types={"sale_id": pa.string(), "date": pa.date32(), "price": pa.decimal128(18, 2)})
t = pc.read_csv(src, convert_options=opts)
pq.write_table(t, dst, row_group_size=131072, compression="snappy")
print(t.schema, t.num_rows, pq.ParquetFile(dst).metadata.num_row_groups)
