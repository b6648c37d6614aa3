#!/usr/bin/env python3
"""The Hotmart split of examples/hotmart.split over a sales ledger, in plain Python.

Usage: floor.py IN.csv OUT.csv

The Python counterpart of bench/floor (splitdsl-floor): same rules, same output bytes.
IN.csv must have a `price` column (USD, at most 2 decimals); every other column passes
through, in order, then come price, hotmart, affiliate, coproducer, producer, unallocated,
each with exactly two decimals. Exact decimals (`decimal`, 28 digits), ROUND_HALF_UP (half
away from zero) to the cent. The totals line goes to stderr:
`rows=N price=... fees=... shares=... unallocated=...`.
"""

import csv
import sys
from decimal import ROUND_HALF_UP, Decimal, DecimalException, InvalidOperation, localcontext

CENT = Decimal("0.01")
FEE_RATE = Decimal("0.099")  # 9.9%
FEE_FIXED = Decimal("0.50")  # 0.50 USD
AFFILIATE_RATE = Decimal("0.35")
COPRODUCER_RATE = Decimal("0.10")
OUT_AMOUNTS = ["price", "hotmart", "affiliate", "coproducer", "producer", "unallocated"]


class RowError(Exception):
    pass


def take(name, amount, pool):
    if amount < 0:
        raise RowError(f"{name} is negative ({amount}); pool {pool}")
    if amount > pool:
        raise RowError(f"{name} ({amount}) is larger than the pool ({pool})")
    return pool - amount


def parse_price(text):
    s = text.strip()
    try:
        p = Decimal(s)
    except InvalidOperation:
        raise RowError(f"price {s!r} is not a decimal") from None
    if not p.is_finite():
        raise RowError(f"price {s!r} is not a decimal")
    if p.as_tuple().exponent < -2:
        raise RowError(f"price {s!r} has more than 2 decimals (USD)")
    if p < 0:
        raise RowError(f"price {s!r} is negative")
    return p


def main(argv):
    if len(argv) != 2:
        print("usage: floor.py IN.csv OUT.csv", file=sys.stderr)
        return 2
    in_path, out_path = argv
    rows = 0
    t_price = t_fees = t_shares = t_unalloc = Decimal("0.00")
    with localcontext() as ctx:
        ctx.prec = 28
        ctx.rounding = ROUND_HALF_UP
        # Overflow, invalid operations etc. raise instead of giving a silent wrong number.
        ctx.traps[InvalidOperation] = True
        try:
            with open(in_path, newline="", encoding="utf-8") as fin, open(
                out_path, "w", newline="", encoding="utf-8"
            ) as fout:
                rdr = csv.reader(fin)
                wtr = csv.writer(fout, lineterminator="\n")
                header = next(rdr, None)
                if header is None or "price" not in header:
                    raise RowError("no `price` column")
                pc = header.index("price")
                for name in OUT_AMOUNTS[1:]:
                    if name in header:
                        raise RowError(f"column `{name}` clashes with an output column")
                pass_cols = [i for i in range(len(header)) if i != pc]
                wtr.writerow([header[i] for i in pass_cols] + OUT_AMOUNTS)
                q = CENT
                writerow = wtr.writerow
                line = 1
                for rec in rdr:
                    line += 1
                    try:
                        if pc >= len(rec):
                            raise RowError("missing price")
                        price = parse_price(rec[pc])
                        pool = price
                        hotmart = (FEE_RATE * price + FEE_FIXED).quantize(q)
                        pool = take("hotmart", hotmart, pool)
                        net = price - hotmart
                        affiliate = (AFFILIATE_RATE * net).quantize(q)
                        pool = take("affiliate", affiliate, pool)
                        coproducer = (COPRODUCER_RATE * pool).quantize(q)
                        pool = take("coproducer", coproducer, pool)
                        producer = pool.quantize(q)
                        pool = take("producer", producer, pool)
                        unallocated = pool
                    except (RowError, DecimalException) as e:
                        raise RowError(f"{in_path}:{line}: {e}") from None
                    shares = affiliate + coproducer + producer
                    if hotmart + shares + unallocated != price:
                        raise RowError(f"{in_path}:{line}: invariant broken")
                    rows += 1
                    t_price += price
                    t_fees += hotmart
                    t_shares += shares
                    t_unalloc += unallocated
                    writerow(
                        [rec[i] for i in pass_cols]
                        + [
                            str(price.quantize(q)),
                            str(hotmart),
                            str(affiliate),
                            str(coproducer),
                            str(producer),
                            str(unallocated.quantize(q)),
                        ]
                    )
        except (RowError, OSError, csv.Error, DecimalException) as e:
            print(f"floor.py: error: {e}", file=sys.stderr)
            return 1
        print(
            f"rows={rows} price={t_price.quantize(q)} fees={t_fees.quantize(q)} "
            f"shares={t_shares.quantize(q)} unallocated={t_unalloc.quantize(q)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
