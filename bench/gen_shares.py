#!/usr/bin/env python3
"""Writes an agreement of N shares, for the `check` benchmark (BENCHMARKS.md, issue 18).

Usage: python3 bench/gen_shares.py N OUT

    agreement "many"
    price = 100.00 USD
    fee platform = 9.9% of price + 0.50 USD
    share s0 = 0.01% of remaining
    ...                                (N lines)
    share creator = remaining
"""
import sys


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: gen_shares.py N OUT")
    n = int(sys.argv[1])
    lines = [
        'agreement "many"',
        "price = 100.00 USD",
        "fee platform = 9.9% of price + 0.50 USD",
    ]
    lines += [f"share s{i} = 0.01% of remaining" for i in range(n)]
    lines.append("share creator = remaining")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
