#!/usr/bin/env bash
# Neovim smoke test of editors/nvim: headless, no user config, a stand-in `splitdsl` on PATH.
# Needs nvim (>= 0.7) and node. Usage: bash editors/nvim/test/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
ln -s "$here/fake-splitdsl" "$tmp/bin/splitdsl"
export PATH="$tmp/bin:$PATH"
export SPLITDSL_FAKE_LOG="$tmp/fake.log"
export SPLITDSL_EXAMPLE="$repo/examples/hotmart.split"
export SPLITDSL_REPO="$repo"
export XDG_STATE_HOME="$tmp/state" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
cd "$repo"
timeout 120 nvim --headless -u NONE -i NONE -n \
  --cmd "set runtimepath^=$repo/editors/nvim" \
  --cmd 'filetype plugin on' \
  -c "luafile $here/smoke.lua" </dev/null
