#!/usr/bin/env python3
"""Deterministic generator of a sales ledger for the splitdsl benchmarks.

Usage: gen_ledger.py N OUT.csv [--seed SEED] [--sellers K]

Writes a CSV with the header `sale_id,date,price` and N data rows:
  * row 1 is the reference sale of the Hotmart worked example:
    S0000000,2025-01-01,100.00 (hotmart 10.40, affiliate 31.36,
    coproducer 5.82, producer 52.42);
  * rows 2..N are S0000001, S0000002, ... with an ISO date in 2025 and a
    price between 1.00 and 2000.00 with exactly two decimals.

With --sellers K the header is `sale_id,date,seller,price` and each row has a
seller `V00000` .. `V{K-1}` drawn uniformly (for running totals `per seller`);
without it the output is exactly as before.

The same N, seed and K always give the same bytes (default seed 20250101).
"""

import argparse
import random
import sys

DAYS_IN_MONTH_2025 = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MIN_CENTS = 100  # 1.00
MAX_CENTS = 200_000  # 2000.00
CHUNK = 50_000


def main(argv):
    ap = argparse.ArgumentParser(description="Generate a deterministic sales ledger CSV.")
    ap.add_argument("n", type=int, help="number of data rows (>= 1; the first is S0000000 at 100.00)")
    ap.add_argument("out", help="output CSV path ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=20250101, help="RNG seed (default 20250101)")
    ap.add_argument("--sellers", type=int, default=0, help="add a `seller` column with K sellers")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be at least 1")
    if args.n > 10_000_000:
        ap.error("N must be at most 10000000 (sale ids have 7 digits)")

    rng = random.Random(args.seed)
    # All dates of 2025 as strings, picked by index: cheap and exact.
    dates = [
        f"2025-{m:02d}-{d:02d}"
        for m, days in enumerate(DAYS_IN_MONTH_2025, start=1)
        for d in range(1, days + 1)
    ]
    ndates = len(dates)
    span = MAX_CENTS - MIN_CENTS + 1
    rand = rng.random
    k = args.sellers
    if k < 0 or k > 100_000:
        ap.error("--sellers must be between 1 and 100000")

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii", newline="")
    try:
        write = out.write
        if k:
            write("sale_id,date,seller,price\n")
            write("S0000000,2025-01-01,V00000,100.00\n")
        else:
            write("sale_id,date,price\n")
            write("S0000000,2025-01-01,100.00\n")
        i = 1
        while i < args.n:
            end = min(i + CHUNK, args.n)
            lines = []
            append = lines.append
            for r in range(i, end):
                cents = MIN_CENTS + int(rand() * span)
                date = dates[int(rand() * ndates)]
                if k:
                    append(f"S{r:07d},{date},V{int(rand() * k):05d},{cents // 100}.{cents % 100:02d}\n")
                else:
                    append(f"S{r:07d},{date},{cents // 100}.{cents % 100:02d}\n")
            write("".join(lines))
            i = end
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
