#!/usr/bin/env bash
# Takes docs/editor-neovim.png: real Neovim in tmux on examples/hotmart.split
# with `splitdsl lsp` (inlay hints beside the lines, code lenses, a hover),
# captured with `tmux capture-pane -e`, turned into HTML, shot by chromium.
#   SPLITDSL=target/debug/splitdsl bash docs/screenshot/neovim.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${SPLITDSL:-target/debug/splitdsl}")
work=$(mktemp -d)
trap 'tmux kill-session -t splitdsl-shot 2>/dev/null || true; rm -rf "$work"' EXIT
tmux new-session -d -s splitdsl-shot -x 150 -y 48 \
  "SPLITDSL=$bin nvim --clean -u tests/nvim/init.lua -c 'hi NormalFloat ctermbg=236 ctermfg=252' examples/hotmart.split"
sleep 3
# The cursor on `coproducer` in the example block (line 19), then hover.
tmux send-keys -t splitdsl-shot ':call cursor(19, 10)' Enter
sleep 0.5
tmux send-keys -t splitdsl-shot ':lua vim.lsp.buf.hover()' Enter
sleep 2
tmux capture-pane -t splitdsl-shot -e -p > "$work/screen.ansi"
python3 docs/screenshot/ansi2html.py "$work/screen.ansi" > "$work/screen.html"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --window-size=1400,940 \
  --screenshot="$PWD/docs/editor-neovim.png" "file://$work/screen.html" 2>/dev/null
echo "wrote docs/editor-neovim.png"
