#!/usr/bin/env bash
# Benchmark: the same ledger settled as CSV and as Parquet (examples/hotmart.split).
#
# Usage: bash bench/parquet.sh [N]        (N rows, default 1000000; runnable from any cwd)
#
# Generates N rows with bench/gen_ledger.py, converts them with bench/to_parquet.py
# (pyarrow: a venv under $BENCH_DIR/venv is made when `python3 -c 'import pyarrow'` fails;
# price DECIMAL(18, 2), row groups of 131,072 rows), then times with GNU time, --threads 1
# and 2, three rounds each (the best and the worst wall time, CPU, peak RSS):
#   csv->csv      run --sales L.csv     --out O.csv
#   parquet->csv  run --sales L.parquet --out O.csv      (output compared with csv->csv: cmp)
#   parquet->pq   run --sales L.parquet --out O.parquet
#   csv->pq       run --sales L.csv     --out O.parquet
#
# Environment: BENCH_DIR (default /tmp/splitdsl-parquet-bench), SPLITDSL_BIN (default
# target/release/splitdsl, built with `cargo build --release` when missing).

set -euo pipefail
N="${1:-1000000}"
cd "$(dirname "$0")/.."
DIR="${BENCH_DIR:-/tmp/splitdsl-parquet-bench}"
BIN="${SPLITDSL_BIN:-target/release/splitdsl}"
mkdir -p "$DIR"
[[ -x "$BIN" ]] || cargo build --release --locked
PY=python3
if ! $PY -c 'import pyarrow' 2>/dev/null; then
  [[ -x "$DIR/venv/bin/python" ]] || { python3 -m venv "$DIR/venv" && "$DIR/venv/bin/pip" install -q pyarrow; }
  PY="$DIR/venv/bin/python"
fi
L="$DIR/l$N"
[[ -f "$L.csv" ]] || python3 bench/gen_ledger.py "$N" "$L.csv"
[[ -f "$L.parquet" ]] || $PY bench/to_parquet.py "$L.csv" "$L.parquet" >/dev/null
ls -l "$L.csv" "$L.parquet"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in 1 2; do
  for case in csv:csv parquet:csv parquet:parquet csv:parquet; do
    in="${case%%:*}"; out="${case##*:}"
    walls=()
    for round in 1 2 3; do
      /usr/bin/time -f "%e %U %S %M" -o "$DIR/time" "$BIN" run examples/hotmart.split \
        --sales "$L.$in" --out "$DIR/out-$in-$threads.$out" --threads "$threads" 2>/dev/null
      read -r wall user sys rss < "$DIR/time"
      walls+=("$wall")
    done
    sorted=$(printf '%s\n' "${walls[@]}" | sort -n | tr '\n' ' ')
    printf '%-16s threads %s  wall %s s  cpu %.2f s  peak RSS %d MiB  rows/s (best) %.0f\n' \
      "$in->$out" "$threads" "$sorted" "$(echo "$user + $sys" | bc)" "$((rss / 1024))" \
      "$(echo "$N / $(printf '%s\n' "${walls[@]}" | sort -n | head -1)" | bc -l)"
  done
  cmp "$DIR/out-csv-$threads.csv" "$DIR/out-parquet-$threads.csv" && echo "parquet->csv = csv->csv (cmp)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
