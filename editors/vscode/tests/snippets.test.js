// The snippets (snippets/splitdsl.json), expanded with their default texts: no token is
// `invalid` for the grammar, and the whole-agreement snippet passes `splitdsl check` and
// `splitdsl test` (with the example snippet) when a built program is at hand
// ($SPLITDSL_BIN, else target/debug/splitdsl).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { tokenize } = require('./tokenize');

const here = path.resolve(__dirname, '..');
const repo = path.resolve(here, '..', '..');
const snippets = JSON.parse(fs.readFileSync(path.join(here, 'snippets', 'splitdsl.json'), 'utf8'));

// ${1:text} → text, $1 → the text of ${1:…}, $0 → nothing.
function expand(body) {
  const text = body.join('\n');
  const defaults = {};
  for (const m of text.matchAll(/\$\{(\d+):([^}]*)\}/g)) defaults[m[1]] ??= m[2];
  return text
    .replace(/\$\{(\d+):([^}]*)\}/g, (_, n, d) => d.replace(/\$(\d+)/g, (__, k) => defaults[k] ?? ''))
    .replace(/\$(\d+)/g, (_, n) => defaults[n] ?? '');
}

test('the manifest contributes the snippets for splitdsl', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.snippets, [{ language: 'splitdsl', path: './snippets/splitdsl.json' }]);
});

test('every snippet, expanded, is free of invalid scopes', async () => {
  assert.ok(Object.keys(snippets).length >= 8);
  for (const [name, s] of Object.entries(snippets)) {
    const text = expand(s.body);
    assert.doesNotMatch(text, /\$/, `${name}: unexpanded ${text}`);
    for (const [i, line] of (await tokenize(text)).entries()) {
      for (const t of line) {
        if (t.text.trim() === '') continue;
        assert.ok(!t.scopes.some((x) => x.startsWith('invalid')),
          `${name} line ${i + 1}: ${JSON.stringify(t.text)} is ${t.scopes.join(' ')}`);
      }
    }
  }
});

test('the agreement snippet passes `splitdsl check` and its example `splitdsl test`', (t) => {
  const bin = process.env.SPLITDSL_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(repo, 'target'), 'debug', 'splitdsl');
  if (!fs.existsSync(bin)) {
    t.skip(`no ${bin}`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitdsl-snippet-'));
  const file = path.join(dir, 'agreement.split');
  // With the example snippet expecting the platform's fee: 9.9% of 100.00 + 0.50 = 10.40.
  const example = expand(snippets.Example.body).replace('expect name = 10.00 USD', 'expect platform = 10.40 USD');
  fs.writeFileSync(file, `${expand(snippets.Agreement.body)}\n${example}\n`);
  const check = spawnSync(bin, ['check', file], { encoding: 'utf8' });
  const run = spawnSync(bin, ['test', file], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /1 passed, 0 failed/);
});
