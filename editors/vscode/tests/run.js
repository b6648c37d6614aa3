#!/usr/bin/env node
// The grammar's tests, in order:
//  1. the hand-written assertions (tests/*.test.split) with vscode-tmgrammar-test;
//  2. a negative control: tests/must-fail/*.split hold wrong assertions, and the
//     runner must report each of them (a runner that passes everything is caught);
//  3. snapshots of every ../../examples/*.split with vscode-tmgrammar-snap (the
//     examples are copied to tests/snap/, beside their committed .snap files);
//  4. node --test tests/*.test.js (coverage of the examples and the docs' blocks,
//     keywords in step with grammar/splitdsl.pest, the manifest).
// `node tests/run.js --update-snapshots` rewrites the snapshots after a deliberate
// change of the grammar or of an example: review the diff before committing.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = path.resolve(__dirname, '..');
const repo = path.resolve(here, '..', '..');
const bin = (name) => path.join(here, 'node_modules', '.bin', name);
const grammar = 'syntaxes/splitdsl.tmLanguage.json';
const update = process.argv.includes('--update-snapshots');
let passed = 0;
let failed = 0;

function step(title, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`ok   ${title}`);
  } else {
    failed += 1;
    console.log(`FAIL ${title}`);
    if (detail) console.log(detail);
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: here, encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}` };
}

// 1. Assertions.
const unit = fs.readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.test.split'));
for (const f of unit) {
  const r = run(bin('vscode-tmgrammar-test'), ['-g', grammar, `tests/${f}`]);
  step(`assertions tests/${f}`, r.status === 0, r.out);
}

// 2. Negative control.
const mustFail = path.join(here, 'tests', 'must-fail');
for (const f of fs.readdirSync(mustFail).filter((n) => n.endsWith('.split'))) {
  const text = fs.readFileSync(path.join(mustFail, f), 'utf8');
  const wanted = text.split('\n').filter((l) => /^#\s*(\^|<-)/.test(l)).length;
  const r = run(bin('vscode-tmgrammar-test'), ['-g', grammar, `tests/must-fail/${f}`]);
  const reported = (r.out.match(/^\s+at \[/gm) || []).length;
  step(`negative control tests/must-fail/${f} fails (${reported} of ${wanted} wrong assertions reported)`,
    r.status !== 0 && reported === wanted, r.out);
}

// 3. Snapshots of the examples.
const snapDir = path.join(here, 'tests', 'snap');
const examples = fs.readdirSync(path.join(repo, 'examples')).filter((f) => f.endsWith('.split')).sort();
for (const f of fs.readdirSync(snapDir)) {
  if (f.endsWith('.split')) fs.unlinkSync(path.join(snapDir, f));
}
for (const f of examples) {
  fs.copyFileSync(path.join(repo, 'examples', f), path.join(snapDir, f));
}
if (update) {
  for (const f of fs.readdirSync(snapDir)) {
    if (f.endsWith('.split.snap') && !examples.includes(f.replace(/\.snap$/, ''))) {
      fs.unlinkSync(path.join(snapDir, f));
    }
  }
} else {
  const snaps = fs.readdirSync(snapDir).filter((f) => f.endsWith('.split.snap'));
  const missing = examples.filter((f) => !snaps.includes(`${f}.snap`));
  const stale = snaps.filter((s) => !examples.includes(s.replace(/\.snap$/, '')));
  step('a snapshot for every examples/*.split, and none for a removed one',
    missing.length === 0 && stale.length === 0,
    `missing: ${missing.join(', ') || '-'}; stale: ${stale.join(', ') || '-'}\n` +
    'run `npm run snap:update` in editors/vscode and review the new snapshots');
}
const snapArgs = ['-g', grammar, ...(update ? ['--updateSnapshot'] : []),
  ...examples.map((f) => `tests/snap/${f}`)];
const s = run(bin('vscode-tmgrammar-snap'), snapArgs);
step(`snapshots of ${examples.length} examples${update ? ' (updated)' : ''}`, s.status === 0, s.out);

// 4. Node tests.
const nodeTests = fs.readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.test.js'))
  .map((f) => `tests/${f}`);
const n = run(process.execPath, ['--test', ...nodeTests]);
step(`node --test ${nodeTests.join(' ')}`, n.status === 0, n.out);
if (n.status === 0) {
  const m = n.out.match(/^# pass (\d+)/m);
  if (m) console.log(`     (${m[1]} node tests passed)`);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
