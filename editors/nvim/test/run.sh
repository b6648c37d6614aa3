#!/usr/bin/env bash
# Neovim tests of editors/nvim: headless, no user configuration, this folder on the runtime path.
#  1. smoke.lua with a stand-in `splitdsl` on PATH (test/fake-splitdsl): filetype, options,
#     syntax, and the server started as `splitdsl lsp`;
#  2. real.lua with the real program, when one with the `lsp` command is found
#     ($SPLITDSL_BIN, else the cargo build's target/debug/splitdsl): the amounts of
#     examples/hotmart.split as inlay hints, and a diagnostic.
# Needs nvim (>= 0.7) and node. Usage: bash editors/nvim/test/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SPLITDSL_EXAMPLE="$repo/examples/hotmart.split"
export SPLITDSL_REPO="$repo"
export XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
cd "$repo"
headless() {
  timeout 120 nvim --headless -u NONE -i NONE -n \
    --cmd "set runtimepath^=$repo/editors/nvim" \
    --cmd 'filetype plugin on' \
    -c "luafile $1" </dev/null
}

mkdir -p "$tmp/fake" "$tmp/real"
ln -s "$here/fake-splitdsl" "$tmp/fake/splitdsl"
PATH="$tmp/fake:$PATH" SPLITDSL_FAKE_LOG="$tmp/fake.log" headless "$here/smoke.lua"

real="${SPLITDSL_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/splitdsl}"
if [[ -x "$real" ]] && "$real" lsp --help >/dev/null 2>&1; then
  ln -s "$(cd "$(dirname "$real")" && pwd)/$(basename "$real")" "$tmp/real/splitdsl"
  PATH="$tmp/real:$PATH" headless "$here/real.lua"
else
  echo "editors/nvim: the real server test is skipped: no $real with the lsp command"
fi
