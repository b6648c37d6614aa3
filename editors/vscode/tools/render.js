#!/usr/bin/env node
// Renders a .split file to HTML as VS Code shows it: colours from this extension's TextMate
// grammar (tokenized by vscode-textmate, as VS Code does), and — when a `splitdsl` with the
// `lsp` command is given — the language server's inlay hints, code lenses and one hover.
// Nothing here computes a figure: every amount shown is the server's answer.
//
//   node tools/render.js FILE OUT.html [--bin PATH/TO/splitdsl] [--hover NAME]
// tools/picture.sh turns the HTML into docs/editor-grammar.png with Debian's chromium.
'use strict';
const fs = require('fs');
const path = require('path');
const { tokenize } = require('../tests/tokenize');
const { Probe } = require('./lsp-probe');

// VS Code's "Dark Modern" colours, most specific scope first.
const THEME = [
  ['invalid', '#f44747'],
  ['comment', '#6a9955'],
  ['constant.character.escape', '#d7ba7d'],
  ['string', '#ce9178'],
  ['keyword.other.unit', '#b5cea8'],
  ['constant.numeric', '#b5cea8'],
  ['support.constant.currency', '#4ec9b0'],
  ['constant.language', '#569cd6'],
  ['variable.language', '#569cd6'],
  ['keyword.control', '#c586c0'],
  ['keyword.operator.logical', '#569cd6'],
  ['keyword.operator.of', '#569cd6'],
  ['keyword.operator', '#d4d4d4'],
  ['keyword', '#569cd6'],
  ['entity.name.function', '#dcdcaa'],
  ['support.function', '#dcdcaa'],
  ['variable.function', '#dcdcaa'],
  ['entity.name', '#4fc1ff'],
  ['variable', '#9cdcfe'],
];

function colour(scopes) {
  for (let i = scopes.length - 1; i >= 0; i--) {
    for (const [prefix, c] of THEME) {
      if (scopes[i] === prefix || scopes[i].startsWith(`${prefix}.`)) return c;
    }
  }
  return '#cccccc';
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// A little markdown: paragraphs, **bold**, `code`, fenced blocks (split blocks coloured).
async function markdown(md) {
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i]);
    if (fence) {
      const body = [];
      for (i += 1; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      if (fence[1] === 'split') {
        out.push(`<pre class="code">${await colourLines(body.join('\n'))}</pre>`);
      } else {
        out.push(`<pre class="code">${esc(body.join('\n'))}</pre>`);
      }
    } else if (lines[i].trim() !== '') {
      out.push(`<p>${esc(lines[i]).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`);
    }
  }
  return out.join('\n');
}

async function colourLines(text, hintsByLine = new Map()) {
  const lines = await tokenize(text);
  return lines.map((toks, i) => {
    const hints = (hintsByLine.get(i) || []).sort((a, b) => a.character - b.character);
    let html = '';
    // Walk the tokens, inserting hints at their UTF-16 columns.
    let pos = 0;
    for (const t of toks) {
      let text = t.text;
      while (hints.length && hints[0].character >= pos && hints[0].character < pos + text.length) {
        const cut = hints[0].character - pos;
        html += `<span style="color:${colour(t.scopes)}">${esc(text.slice(0, cut))}</span>`;
        html += `<span class="hint">${esc(hints.shift().label)}</span>`;
        pos += cut;
        text = text.slice(cut);
      }
      html += `<span style="color:${colour(t.scopes)}">${esc(text)}</span>`;
      pos += text.length;
    }
    for (const h of hints) html += `<span class="hint">${esc(h.label)}</span>`;
    return html;
  }).join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const bin = opt('--bin');
  const hoverName = opt('--hover');
  const [file, out] = args;
  if (!file || !out) {
    console.error('usage: node tools/render.js FILE OUT.html [--bin splitdsl] [--hover NAME]');
    process.exit(2);
  }
  const text = fs.readFileSync(file, 'utf8').replace(/\n$/, '');
  const lines = text.split('\n');
  const hints = new Map();
  const lenses = new Map();
  let hoverHtml = '';
  let hoverTitle = '';
  if (bin) {
    const probe = new Probe(bin);
    const uri = `file://${path.resolve(file)}`;
    await probe.open(uri, `${text}\n`);
    const range = { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } };
    for (const h of (await probe.request('textDocument/inlayHint', { textDocument: { uri }, range })) || []) {
      const label = Array.isArray(h.label) ? h.label.map((p) => p.value).join('') : h.label;
      if (!hints.has(h.position.line)) hints.set(h.position.line, []);
      hints.get(h.position.line).push({ character: h.position.character, label });
    }
    for (const l of (await probe.request('textDocument/codeLens', { textDocument: { uri } })) || []) {
      if (!l.command) continue;
      const line = l.range.start.line;
      lenses.set(line, [...(lenses.get(line) || []), { character: l.range.start.character, title: l.command.title }]);
    }
    if (hoverName) {
      const line = lines.findIndex((l) => new RegExp(`^\\s*(fee|share|input)?\\s*${hoverName}\\b`).test(l));
      const character = lines[line].indexOf(hoverName);
      const hover = await probe.request('textDocument/hover', { textDocument: { uri }, position: { line, character } });
      if (hover) {
        const md = typeof hover.contents === 'string' ? hover.contents : hover.contents.value;
        hoverHtml = await markdown(md);
        hoverTitle = `hover on <code>${esc(hoverName)}</code>, line ${line + 1}`;
      }
    }
    await probe.close();
  }
  const body = (await colourLines(text, hints)).split('\n');
  const rows = [];
  body.forEach((html, i) => {
    for (const l of lenses.get(i) || []) {
      const indent = ' '.repeat(l.character);
      rows.push(`<div class="row"><span class="ln"></span><span class="lens">${indent}${esc(l.title)}</span></div>`);
    }
    rows.push(`<div class="row"><span class="ln">${i + 1}</span><span class="src">${html || ' '}</span></div>`);
  });
  const source = bin ? 'colours: the TextMate grammar of editors/vscode (vscode-textmate) · hints, lenses, hover: <code>splitdsl lsp</code>'
    : 'colours: the TextMate grammar of editors/vscode (vscode-textmate)';
  const html = `<!doctype html><meta charset="utf-8"><title>${esc(path.basename(file))}</title>
<style>
body{margin:0;background:#181818;font:14px/20px "DejaVu Sans Mono",monospace;color:#ccc;display:flex;gap:16px;padding:0 16px 12px 0}
.editor{background:#1f1f1f;padding:10px 0;flex:none}
.tab{font:13px "DejaVu Sans",sans-serif;color:#fff;background:#1f1f1f;border-top:1px solid #0078d4;padding:6px 14px;margin:0 0 6px 0;display:inline-block}
.row{white-space:pre;height:20px}
.ln{display:inline-block;width:44px;text-align:right;color:#6e7681;padding-right:22px}
.hint{color:#969696;background:#2c2c2c;border-radius:3px;padding:0 4px;margin-left:6px;font-size:13px}
.lens{color:#999;font:12px "DejaVu Sans",sans-serif}
.hover{background:#202020;border:1px solid #454545;border-radius:4px;padding:4px 12px;margin-top:58px;max-width:760px;font:13px/18px "DejaVu Sans",sans-serif;color:#ccc;align-self:flex-start}
.hover h4{margin:6px 0;font-weight:normal;color:#999}
.hover p{margin:6px 0}.hover code{font-family:"DejaVu Sans Mono",monospace;color:#d7ba7d}
.code{font:12.5px/17px "DejaVu Sans Mono",monospace;margin:6px 0;white-space:pre}
.caption{font:12px "DejaVu Sans",sans-serif;color:#888;padding:10px 16px 0}
</style>
<div class="editor"><div class="tab">${esc(path.basename(file))}</div>
${rows.join('\n')}
<div class="caption">${source}</div></div>
${hoverHtml ? `<div class="hover"><h4>${hoverTitle}</h4>${hoverHtml}</div>` : ''}
`;
  fs.writeFileSync(out, html);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
