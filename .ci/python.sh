#!/usr/bin/env bash
# CI for the Python package (python/, issue 17): a virtual environment with
# the real engines from PyPI, the wheel built by `pip install ./python` (the
# README's command: maturin from PyPI as the build backend), then pytest
# against pyarrow, DuckDB, Polars and PySpark local[2] and the `splitdsl`
# binary. Idempotent: the venv and the cargo target dir are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
venv=$target/python-venv
if ! command -v java >/dev/null; then
  # PySpark needs a JVM (17 or later).
  apt-get update && apt-get install -y --no-install-recommends default-jre-headless
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
  maturin pyarrow duckdb polars pyspark 'pandas<3' pytest
# The command line the tests compare with (built already by `cargo test`).
cargo build --locked --quiet
# The wheel is built unoptimised here (the README's `pip install ./python` is an
# optimised release build): an optimised Arrow + PyO3 build costs minutes of a
# cold CI run and the tests' batches are small. Same code, same results.
CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./python
# Not from the source tree: the installed wheel.
cd python/tests
SPLITDSL_BIN="$target/debug/splitdsl" PYSPARK_PYTHON="$venv/bin/python" "$venv/bin/python" -m pytest -q -p no:cacheprovider .
