#!/usr/bin/env bash
# The workbook (`splitdsl serve`, issue 16) end to end in a real browser:
# Debian's chromium driven by playwright-core (never a browser download).
# Idempotent: installs only what is missing. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
apt_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=900 "$@"
}
if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
# The lean library has no server crate (the `serve` feature is the binary's).
if cargo tree --locked --no-default-features -e normal --prefix none | sort -u \
    | grep -E '^(axum|axum-core|tokio|hyper|hyper-util|futures-util|tower) v'; then
  echo "error: the library without default features depends on the server crates above" >&2
  exit 1
fi
# playwright-core, exactly as locked (tests/web/package-lock.json).
if [ ! -f tests/web/node_modules/playwright-core/package.json ]; then
  (cd tests/web && npm ci --no-audit --no-fund)
fi
cargo build --locked --bin splitdsl
target_dir=$(cargo metadata --locked --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
SPLITDSL_BIN="$target_dir/debug/splitdsl" node --test tests/web/workbook.test.mjs tests/web/kinds.test.mjs
