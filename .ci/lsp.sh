#!/usr/bin/env bash
# CI for `splitdsl lsp` with a real client: Debian's Neovim, headless,
# against the built binary (tests/nvim/lsp_test.lua: diagnostics, hover,
# inlay hints, rename, a fix clearing the diagnostics). Idempotent: installs
# neovim only when it is missing. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvim >/dev/null 2>&1; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends neovim
fi
# The server's crates stay out of the lean library (like the terminal crates).
if cargo tree --locked --no-default-features -e normal --prefix none | sort -u \
    | grep -E "^(lsp-server|lsp-types) v"; then
  echo "error: the library without default features depends on the LSP crates above" >&2
  exit 1
fi
cargo build --locked --bin splitdsl
bin="${CARGO_TARGET_DIR:-target}/debug/splitdsl"
SPLITDSL="$bin" timeout 300 nvim --headless --clean -u tests/nvim/init.lua \
  -c "luafile tests/nvim/lsp_test.lua"
echo "lsp: the Neovim client test passed"
