#!/usr/bin/env bash
# Side by side, in one run: splitdsl --threads 1, the decimal floor (bench/floor) and the
# integer floor (bench/floor, binary splitdsl-floor-int) on the same ledger; prints each one's
# CPU time (user + system, GNU time) and wall time, and the two ratios
# splitdsl / decimal floor and splitdsl / integer floor (issue 18's goal: CPU ≤ 3× the
# integer floor). Every output must be byte-identical (cmp), else exit 1.
#
# Usage: bash bench/ratio.sh [N] [ROUNDS]     (N rows, default 1000000; ROUNDS runs of each
#                                               program, alternating, default 3; the best CPU
#                                               time of each is compared)
# Environment: BENCH_DIR (default target/bench), SPLITDSL_BIN (default
# $CARGO_TARGET_DIR/release/splitdsl, built with `cargo build --release` unless
# BENCH_SKIP_MAIN_BUILD=1 or SPLITDSL_BIN is set), PYTHON (default python3).
set -euo pipefail

N="${1:-1000000}"
ROUNDS="${2:-3}"
if [[ $# -gt 2 || ! "$N" =~ ^[1-9][0-9]*$ || ! "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
  sed -n '9,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"
mkdir -p "$BENCH_DIR"
MAIN_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
MAIN_BIN="${SPLITDSL_BIN:-$MAIN_TARGET/release/splitdsl}"
FLOORS="$ROOT/bench/floor/target/release"
LEDGER="$BENCH_DIR/ledger-$N.csv"

[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
[[ -f "$LEDGER" ]] || "$PYTHON" bench/gen_ledger.py "$N" "$LEDGER"
cargo build --release --quiet --manifest-path bench/floor/Cargo.toml --target-dir bench/floor/target
if [[ "${BENCH_SKIP_MAIN_BUILD:-0}" != 1 && -z "${SPLITDSL_BIN:-}" ]]; then
  cargo build --release --quiet
fi

echo "ledger: $LEDGER ($N rows); machine: $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A BEST=() WALL=() ALL=()
# run KEY OUT CMD...: one timed run; keeps the best CPU time (and its wall time) of KEY.
run() {
  local key="$1" out="$2"
  shift 2
  rm -f "$out"
  /usr/bin/time -f '%U %S %e' -o "$BENCH_DIR/$key.t" "$@" >/dev/null 2>"$BENCH_DIR/$key.err" || {
    echo "FAILED: $key: $*" >&2
    cat "$BENCH_DIR/$key.err" >&2
    exit 1
  }
  local cpu wall
  cpu="$(awk '{printf "%.3f", $1 + $2}' "$BENCH_DIR/$key.t")"
  wall="$(awk '{print $3}' "$BENCH_DIR/$key.t")"
  printf '  %-10s CPU %6s s  wall %6s s\n' "$key" "$cpu" "$wall"
  ALL[$key]="${ALL[$key]:-} $cpu"
  if [[ -z "${BEST[$key]:-}" ]] || awk -v a="$cpu" -v b="${BEST[$key]}" 'BEGIN { exit !(a < b) }'; then
    BEST[$key]="$cpu"
    WALL[$key]="$wall"
  fi
}
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r"
  run int "$BENCH_DIR/out-int.csv" "$FLOORS/splitdsl-floor-int" "$LEDGER" "$BENCH_DIR/out-int.csv"
  run decimal "$BENCH_DIR/out-dec.csv" "$FLOORS/splitdsl-floor" "$LEDGER" "$BENCH_DIR/out-dec.csv"
  run splitdsl "$BENCH_DIR/out-st1.csv" "$MAIN_BIN" run examples/hotmart.split --sales "$LEDGER" \
    --out "$BENCH_DIR/out-st1.csv" --threads 1
done
cmp "$BENCH_DIR/out-int.csv" "$BENCH_DIR/out-dec.csv"
cmp "$BENCH_DIR/out-int.csv" "$BENCH_DIR/out-st1.csv"
echo "outputs: byte-identical (integer floor, decimal floor, splitdsl --threads 1)"
echo "best CPU of $ROUNDS: integer floor ${BEST[int]} s, decimal floor ${BEST[decimal]} s, splitdsl ${BEST[splitdsl]} s"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
# median KEY: the median CPU time of KEY's runs (the best is the usual figure; on a
# shared machine the median says how far apart the two really are).
median() { tr ' ' '\n' <<<"${ALL[$1]}" | grep . | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "splitdsl / decimal floor (CPU): $(ratio "${BEST[splitdsl]}" "${BEST[decimal]}")"
echo "splitdsl / integer floor (CPU): $(ratio "${BEST[splitdsl]}" "${BEST[int]}")   (goal ≤ 3x)"
echo "median CPU of $ROUNDS: integer floor $(median int) s, decimal floor $(median decimal) s, splitdsl $(median splitdsl) s;" \
  "splitdsl / integer floor $(ratio "$(median splitdsl)" "$(median int)")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
