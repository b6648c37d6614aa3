#!/usr/bin/env bash
# docs/editor-grammar.png: examples/hotmart.split rendered by tools/render.js, shot with
# Debian's chromium (headless, no network). BIN: a splitdsl with the `lsp` command (its
# hints, lenses and hover are drawn); without it, the grammar's colours alone.
# Usage (from editors/vscode, after npm ci): bash tools/picture.sh [BIN] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
out="${2:-../../docs/editor-grammar.png}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node tools/render.js ../../examples/hotmart.split "$tmp/page.html" ${bin:+--bin "$bin" --hover coproducer}
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$tmp/profile" --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1580,548 --screenshot="$tmp/shot.png" "file://$tmp/page.html" 2>/dev/null
cp "$tmp/shot.png" "$out"
echo "wrote $out"
