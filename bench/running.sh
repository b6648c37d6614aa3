#!/usr/bin/env bash
# Benchmark: the cost of a running total (`running lifetime = sum of price per seller`).
#
# Usage: bash bench/running.sh [N [K]]    (N rows, default 1000000; K sellers, default 10000)
#
# Generates a deterministic ledger of N rows with a `seller` column of K sellers
# (bench/gen_ledger.py --sellers K), then settles it with examples/lifetime.split and with
# the same agreement where the running total is a plain input (`input lifetime = 0.00 USD`),
# each with --threads 1 and 2, timed with GNU time (wall time, peak RSS). Checks that the
# running-total outputs of 1 and 2 threads are byte-identical.
#
# Environment: BENCH_DIR (default target/bench), SPLITDSL_BIN (default
# $CARGO_TARGET_DIR/release/splitdsl, built by you first), PYTHON (default python3).

set -euo pipefail
N="${1:-1000000}"
K="${2:-10000}"
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"
mkdir -p "$BENCH_DIR"
BIN="${SPLITDSL_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/splitdsl}"
LEDGER="$BENCH_DIR/ledger-$N-sellers-$K.csv"
PLAIN="$BENCH_DIR/lifetime-plain.split"

[[ -f "$LEDGER" ]] || "$PYTHON" bench/gen_ledger.py "$N" "$LEDGER" --sellers "$K"
sed 's/^running lifetime = sum of price per seller$/input lifetime = 0.00 USD/' \
  examples/lifetime.split > "$PLAIN"
grep -q '^input lifetime' "$PLAIN"

run() { # NAME AGREEMENT THREADS
  local out="$BENCH_DIR/out-$1-$3.csv" t="$BENCH_DIR/time-$1-$3"
  /usr/bin/time -o "$t" -f "$1 threads=$3: %e s wall, %M KiB peak RSS" \
    "$BIN" run "$2" --sales "$LEDGER" --out "$out" --threads "$3" > /dev/null 2>&1
  cat "$t"
}
for t in 1 2; do
  run plain "$PLAIN" "$t"
  run running examples/lifetime.split "$t"
done
cmp "$BENCH_DIR/out-running-1.csv" "$BENCH_DIR/out-running-2.csv"
echo "running-total outputs of 1 and 2 threads are identical"
