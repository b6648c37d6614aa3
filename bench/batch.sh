#!/usr/bin/env bash
# Benchmark: settle a sales ledger with the Hotmart split (examples/hotmart.split).
#
# Usage: bash bench/batch.sh [N]          (N rows, default 1000000; runnable from any cwd)
#
# Steps: generate a deterministic ledger of N rows (bench/gen_ledger.py), build the floor
# (bench/floor, release) and the main binary (release), then time with GNU time -v
# (wall time and peak RSS):
#   (a) floor    bench/floor/target/release/splitdsl-floor LEDGER OUT
#   (b) python   python3 bench/floor.py LEDGER OUT
#   (c) splitdsl target/release/splitdsl run examples/hotmart.split --sales LEDGER --out OUT --threads 1
#   (d) splitdsl ... --threads 2
# and check that every output is byte-identical to the floor's (cmp), then print the ratios
# splitdsl-1thread/floor, splitdsl-2threads/floor and python/splitdsl-2threads.
#
# A failure of (c) or (d) (e.g. the batch mode does not exist yet) is reported and the
# script goes on. Exit status: 0 when (a) and (b) succeed and every output that was produced
# matches the floor's; 1 otherwise; 2 on a usage error.
#
# Environment:
#   BENCH_DIR=DIR           where ledgers and outputs go (default: target/bench in the repo)
#   BENCH_SKIP_MAIN_BUILD=1 do not run `cargo build --release` at the repo root (use the
#                           target/release/splitdsl that is there, if any)
#   BENCH_STRICT=1          also exit 1 when (c) or (d) fail to run
#   SPLITDSL_BIN=PATH       the splitdsl binary for (c) and (d) (default target/release/splitdsl)
#   PYTHON=python3          the Python interpreter for (b) and the generator
#
# GNU time is the Debian package `time` (apt-get install time); without it the script falls
# back to bash's `time` and reports the peak RSS as n/a.

set -euo pipefail

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; }

N="${1:-1000000}"
if [[ $# -gt 1 || ! "$N" =~ ^[1-9][0-9]*$ ]]; then
  usage
  exit 2
fi

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"
mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd -- "$BENCH_DIR" && pwd)"

LEDGER="$BENCH_DIR/ledger-$N.csv"
FLOOR_BIN="$ROOT/bench/floor/target/release/splitdsl-floor"
# The main crate builds into $CARGO_TARGET_DIR when it is set (as in the team's worktrees).
MAIN_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
MAIN_BIN="${SPLITDSL_BIN:-$MAIN_TARGET/release/splitdsl}"
AGREEMENT="examples/hotmart.split"

STATUS=0
say()  { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; STATUS=1; }

if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
  GNU_TIME=/usr/bin/time
else
  GNU_TIME=""
  warn "GNU time not found (/usr/bin/time -v); install it with 'apt-get install time'. Falling back to bash 'time'; peak RSS will be n/a."
fi

# Results, by key: floor, python, st1, st2.
declare -A WALL=() RSS=() OK=() LABEL=() CPU=()

# run_timed KEY LABEL OUTFILE CMD...: runs CMD with stdout+stderr to $BENCH_DIR/KEY.log and
# the timing report to $BENCH_DIR/KEY.time; sets WALL[KEY] (seconds), RSS[KEY] (KiB), OK[KEY].
run_timed() {
  local key="$1" label="$2" out="$3"
  shift 3
  local log="$BENCH_DIR/$key.log" tfile="$BENCH_DIR/$key.time" rc=0
  LABEL[$key]="$label"
  rm -f "$out" "$log" "$tfile"
  say ""
  say "== ($key) $label"
  say "   \$ $*"
  # Wall time is measured here, to the millisecond (GNU time's own figure has only 10 ms
  # resolution); GNU time -v gives the peak RSS (and its full report is kept in KEY.time).
  local t0 t1
  t0="$(now)"
  if [[ -n "$GNU_TIME" ]]; then
    "$GNU_TIME" -v -o "$tfile" "$@" >"$log" 2>&1 || rc=$?
    t1="$(now)"
    RSS[$key]="$(awk -F': ' '/Maximum resident set size/ {print $NF}' "$tfile" 2>/dev/null || true)"
    # User + system CPU seconds: steadier than the wall time on a shared machine.
    CPU[$key]="$(awk -F': ' '/User time|System time/ {s += $NF} END {printf "%.2f", s}' "$tfile" 2>/dev/null || true)"
  else
    local TIMEFORMAT='real %R'
    { time "$@" >"$log" 2>&1; } 2>"$tfile" || rc=$?
    t1="$(now)"
    RSS[$key]=""
    CPU[$key]=""
  fi
  WALL[$key]="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  [[ -n "${WALL[$key]}" ]] || WALL[$key]="n/a"
  [[ -n "${RSS[$key]}" ]] || RSS[$key]="n/a"
  [[ -n "${CPU[$key]}" ]] || CPU[$key]="n/a"
  if [[ $rc -eq 0 && -f "$out" ]]; then
    OK[$key]=1
    say "   ok: wall ${WALL[$key]} s, CPU ${CPU[$key]} s, peak RSS $(fmt_rss "${RSS[$key]}")"
    if [[ -s "$log" ]]; then sed 's/^/   | /' "$log" | tail -n 5; fi
  else
    OK[$key]=0
    if [[ $rc -eq 0 ]]; then
      say "   FAILED: exit status 0 but no output file $out"
    else
      say "   FAILED: exit status $rc (wall ${WALL[$key]} s)"
    fi
    if [[ -s "$log" ]]; then sed 's/^/   | /' "$log" | tail -n 15; fi
  fi
  return 0
}

# now: the current time in seconds, with microseconds.
now() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    printf '%s' "${EPOCHREALTIME/,/.}"
  else
    date +%s.%N
  fi
}

fmt_rss() {
  if [[ "$1" =~ ^[0-9]+$ ]]; then
    awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'
  else
    printf 'n/a'
  fi
}

# ratio A B: A/B with two decimals, or n/a.
ratio() {
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a (0 s)" }'
  else
    printf 'n/a'
  fi
}

# --- 1. the ledger -----------------------------------------------------------------------
say "splitdsl ledger benchmark: N=$N rows, files in $BENCH_DIR"
say "machine: $(nproc 2>/dev/null || echo '?') CPUs, $(uname -srm)"
# The machine may be shared: the load average says how far to trust the wall times.
say "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
say ""
say "== generating $LEDGER"
if ! "$PYTHON" bench/gen_ledger.py "$N" "$LEDGER"; then
  fail "could not generate the ledger"
  exit 1
fi
say "   $(wc -l <"$LEDGER") lines, $(du -h "$LEDGER" | cut -f1)"

# --- 2. builds ---------------------------------------------------------------------------
say ""
say "== building the floor (release)"
# --target-dir: the floor stays in bench/floor/target even when CARGO_TARGET_DIR is set.
if ! cargo build --release --quiet --manifest-path bench/floor/Cargo.toml --target-dir bench/floor/target; then
  fail "cargo build of bench/floor failed"
  exit 1
fi

MAIN_SKIP=""   # why (c) and (d) cannot run, if they cannot
if [[ "${BENCH_SKIP_MAIN_BUILD:-0}" == 1 ]]; then
  say "== BENCH_SKIP_MAIN_BUILD=1: not building the main binary"
elif [[ -n "${SPLITDSL_BIN:-}" ]]; then
  say "== SPLITDSL_BIN set: not building the main binary, using $MAIN_BIN"
else
  say "== building splitdsl (release)"
  if ! cargo build --release --quiet; then
    MAIN_SKIP="cargo build --release at the repo root failed"
    say "   FAILED: $MAIN_SKIP; (c) and (d) are skipped"
  fi
fi
if [[ -z "$MAIN_SKIP" && ! -x "$MAIN_BIN" ]]; then
  MAIN_SKIP="no executable $MAIN_BIN"
fi

# --- 3. runs -----------------------------------------------------------------------------
OUT_FLOOR="$BENCH_DIR/out-floor-$N.csv"
OUT_PY="$BENCH_DIR/out-python-$N.csv"
OUT_ST1="$BENCH_DIR/out-splitdsl-t1-$N.csv"
OUT_ST2="$BENCH_DIR/out-splitdsl-t2-$N.csv"

run_timed floor "floor (hand-written Rust, 1 thread)" "$OUT_FLOOR" \
  "$FLOOR_BIN" "$LEDGER" "$OUT_FLOOR"
[[ "${OK[floor]}" == 1 ]] || fail "the floor failed"

run_timed python "Python decimal floor" "$OUT_PY" \
  "$PYTHON" bench/floor.py "$LEDGER" "$OUT_PY"
[[ "${OK[python]}" == 1 ]] || fail "the Python floor failed"

for t in 1 2; do
  key="st$t"
  out="$OUT_ST1"; [[ $t == 2 ]] && out="$OUT_ST2"
  if [[ -z "$MAIN_SKIP" ]]; then
    run_timed "$key" "splitdsl run --threads $t" "$out" \
      "$MAIN_BIN" run "$AGREEMENT" --sales "$LEDGER" --out "$out" --threads "$t"
    if [[ "${OK[$key]}" != 1 ]]; then
      say "   -> splitdsl's batch mode (run --sales/--out/--threads) did not produce the ledger;"
      say "      full log: $BENCH_DIR/$key.log"
    fi
  else
    LABEL[$key]="splitdsl run --threads $t"
    OK[$key]=0; WALL[$key]="n/a"; RSS[$key]="n/a"
    say ""
    say "== ($key) ${LABEL[$key]}"
    say "   SKIPPED: $MAIN_SKIP"
  fi
  if [[ "${OK[$key]}" != 1 && "${BENCH_STRICT:-0}" == 1 ]]; then
    fail "splitdsl --threads $t did not run (BENCH_STRICT=1)"
  fi
done

# --- 4. outputs must be byte-identical to the floor's ------------------------------------
say ""
say "== comparing outputs with the floor's"
declare -A SAME=()
for key in python st1 st2; do
  case $key in
    python) out="$OUT_PY" ;;
    st1) out="$OUT_ST1" ;;
    st2) out="$OUT_ST2" ;;
  esac
  if [[ "${OK[floor]}" != 1 || "${OK[$key]}" != 1 ]]; then
    SAME[$key]="n/a"
    say "   ${LABEL[$key]}: not compared (a run failed)"
  elif cmp -- "$OUT_FLOOR" "$out"; then
    SAME[$key]="identical"
    say "   ${LABEL[$key]}: identical"
  else
    SAME[$key]="DIFFERENT"
    fail "${LABEL[$key]}: output differs from the floor's ($out vs $OUT_FLOOR)"
  fi
done

if [[ "${OK[floor]}" == 1 ]]; then
  first="$(sed -n 2p "$OUT_FLOOR")"
  expected="S0000000,2025-01-01,100.00,10.40,31.36,5.82,52.42,0.00"
  if [[ "$first" == "$expected" ]]; then
    say "   spot check: $first"
  else
    fail "spot check: first row is '$first', expected '$expected'"
  fi
fi

# --- 5. summary --------------------------------------------------------------------------
say ""
say "== summary (N=$N)"
printf '   %-38s %10s %8s %12s  %s\n' "run" "wall (s)" "CPU (s)" "peak RSS" "output vs floor"
for key in floor python st1 st2; do
  case $key in floor) same="(reference)" ;; *) same="${SAME[$key]}" ;; esac
  if [[ "${OK[$key]}" == 1 ]]; then
    printf '   %-38s %10s %8s %12s  %s\n' "${LABEL[$key]}" "${WALL[$key]}" "${CPU[$key]}" "$(fmt_rss "${RSS[$key]}")" "$same"
  else
    printf '   %-38s %10s %8s %12s  %s\n' "${LABEL[$key]}" "FAILED" "-" "-" "$same"
  fi
done

w() { if [[ "${OK[$1]}" == 1 ]]; then printf '%s' "${WALL[$1]}"; else printf 'n/a'; fi; }
say ""
say "   splitdsl-1thread  / floor             $(ratio "$(w st1)" "$(w floor)")"
say "   splitdsl-2threads / floor             $(ratio "$(w st2)" "$(w floor)")"
say "   python            / splitdsl-2threads $(ratio "$(w python)" "$(w st2)")"
say "   python            / floor             $(ratio "$(w python)" "$(w floor)")"
c() { if [[ "${OK[$1]}" == 1 ]]; then printf '%s' "${CPU[$1]}"; else printf 'n/a'; fi; }
say "   CPU time: splitdsl-1thread / floor    $(ratio "$(c st1)" "$(c floor)")"
say "   load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"

if [[ $STATUS -ne 0 ]]; then
  say ""
  say "RESULT: FAILED (see the messages above)"
fi
exit "$STATUS"
