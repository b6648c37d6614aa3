#!/usr/bin/env bash
# CI for editors/ (issue 15): the VS Code extension's grammar tests and the Neovim
# configuration's headless smoke test. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
command -v nvim >/dev/null || missing+=(neovim)
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "editors: node $(node --version), $(nvim --version | head -n1)"
# The grammar: assertions, a negative control, snapshots of every example, coverage.
(cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error && node tests/run.js)
# Neovim: filetype, options, syntax, and the server started as `splitdsl lsp` (stand-in).
bash editors/nvim/test/run.sh
