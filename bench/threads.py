#!/usr/bin/env python3
"""Wall time of `splitdsl run --threads 2` against `--threads 1` (issue 18: ≤ 0.55× on an idle
2-core machine), side by side in one run.

Usage: python3 bench/threads.py [N] [ROUNDS] [BIN]

    N       rows of the ledger (default 1000000; bench/gen_ledger.py writes it to
            BENCH_DIR/ledger-N.csv if missing; BENCH_DIR defaults to target/bench)
    ROUNDS  runs of each (default 10), alternating 1 and 2 threads
    BIN     the splitdsl binary (default target/release/splitdsl; build it first with
            `cargo build --release --no-default-features --features cli`)

Each run settles examples/hotmart.split into a fresh file (the previous output is removed,
and `sync` run, before the clock starts, so replacing it costs nothing in the figure); wall time is
measured around the process (time.perf_counter), CPU time from its rusage. Every output
must be byte-identical to the first one-thread output, else exit 1. Prints the median and
best wall time of each and the ratios; the median ratio is the figure to quote (this VM's
single runs vary by ±10%).

The outputs are written in the temporary folder (THREADS_OUT_DIR to choose another).
With THREADS_OUT=/dev/null the output goes to /dev/null instead (written straight through,
no temporary file, no fsync): the settling alone, without the kernel's work of writing the
file (outputs are then not compared).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    args = sys.argv[1:]
    if len(args) > 3 or any(a in ("-h", "--help") for a in args):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    n = int(args[0]) if len(args) > 0 else 1_000_000
    rounds = int(args[1]) if len(args) > 1 else 10
    binary = args[2] if len(args) > 2 else os.path.join(ROOT, "target", "release", "splitdsl")
    bench_dir = os.environ.get("BENCH_DIR", os.path.join(ROOT, "target", "bench"))
    os.makedirs(bench_dir, exist_ok=True)
    ledger = os.path.join(bench_dir, f"ledger-{n}.csv")
    if not os.path.exists(ledger):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_ledger.py"), str(n), ledger],
                       check=True, stdout=subprocess.DEVNULL)
    agreement = os.path.join(ROOT, "examples", "hotmart.split")
    devnull = os.environ.get("THREADS_OUT") == "/dev/null"
    # The outputs go to the temporary folder: writing 58 MB into a folder of a
    # crowded block group (target/, beside the build) cost this VM's kernel
    # 50-80 ms more CPU a run with two threads, and the figure with it.
    out_dir = os.environ.get("THREADS_OUT_DIR", tempfile.gettempdir())
    out = "/dev/null" if devnull else os.path.join(out_dir, "splitdsl-threads-out.csv")
    reference = os.path.join(out_dir, "splitdsl-threads-ref.csv")
    with open("/proc/loadavg", encoding="ascii") as f:
        load_before = " ".join(f.read().split()[:3])
    print(f"ledger: {ledger} ({n} rows); {os.cpu_count()} CPUs; load average before: {load_before}")
    runs = {1: [], 2: []}
    for r in range(rounds):
        for threads in (1, 2):
            if not devnull and os.path.exists(out):
                os.remove(out)
            os.sync()  # the removal's and the comparison's disk work, not in the next run
            start = time.perf_counter()
            proc = subprocess.Popen(
                [binary, "run", agreement, "--sales", ledger, "--out", out, "--threads", str(threads)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            if status != 0:
                print(f"FAILED: --threads {threads} (status {status})", file=sys.stderr)
                return 1
            if devnull:
                pass
            elif r == 0 and threads == 1:
                os.replace(out, reference)
            elif not same(out, reference):
                print(f"FAILED: --threads {threads} wrote another output than --threads 1", file=sys.stderr)
                return 1
            runs[threads].append((wall, usage.ru_utime + usage.ru_stime))
    med = {t: statistics.median(w for w, _ in runs[t]) for t in runs}
    best = {t: min(w for w, _ in runs[t]) for t in runs}
    cpu = {t: statistics.median(c for _, c in runs[t]) for t in runs}
    for t in (1, 2):
        print(f"  --threads {t}: wall median {med[t]:.3f} s, best {best[t]:.3f} s; CPU median {cpu[t]:.3f} s")
    print("outputs: to /dev/null, not compared" if devnull
          else f"outputs: byte-identical ({rounds * 2} runs)")
    print(f"2 threads / 1 thread, wall: median {med[2] / med[1]:.3f}x, best {best[2] / best[1]:.3f}x"
          "   (goal ≤ 0.55x)")
    with open("/proc/loadavg", encoding="ascii") as f:
        print("load average after:", " ".join(f.read().split()[:3]))
    return 0


def same(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


if __name__ == "__main__":
    sys.exit(main())
