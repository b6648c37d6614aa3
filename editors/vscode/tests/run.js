#!/usr/bin/env node
// The grammar's tests, in order:
//  1. the hand-written assertions (tests/*.test.split) with vscode-tmgrammar-test;
//  2. a negative control: tests/must-fail/*.split hold wrong assertions, and the
//     runner must report each of them (a runner that passes everything is caught);
//  3. snapshots of every ../../examples/*.split with vscode-tmgrammar-snap (the
//     examples are copied to tests/snap/, beside their committed .snap files); a new
//     example, or one changed since its snapshot, is recorded afresh and reported;
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
// The source lines a snapshot was recorded from (its `>` lines).
const recordedFrom = (snap) => fs.readFileSync(snap, 'utf8').split('\n')
  .filter((l) => l.startsWith('>')).map((l) => l.slice(1)).join('\n');
const snapOf = (f) => path.join(snapDir, `${f}.snap`);
let rerecord = [];
if (update) {
  for (const f of fs.readdirSync(snapDir)) {
    if (f.endsWith('.split.snap') && !examples.includes(f.replace(/\.snap$/, ''))) {
      fs.unlinkSync(path.join(snapDir, f));
    }
  }
} else {
  // A snapshot guards the grammar on a text it was recorded from. An example that is new,
  // or whose text changed since (another change of the repository), has no such baseline:
  // its snapshot is recorded now and reported, to be committed with `npm run snap:update`
  // (the coverage test below still checks every one of its tokens).
  rerecord = examples.filter((f) => !fs.existsSync(snapOf(f))
    || recordedFrom(snapOf(f)).replace(/\n+$/, '') !== fs.readFileSync(path.join(snapDir, f), 'utf8')
      .split(/\r?\n/).join('\n').replace(/\n+$/, ''));
  for (const f of rerecord) {
    console.log(`note examples/${f} is new or changed since its snapshot: recorded again; ` +
      'run `npm run snap:update` in editors/vscode, review and commit the snapshot');
  }
  const stale = fs.readdirSync(snapDir).filter((f) => f.endsWith('.split.snap'))
    .filter((s) => !examples.includes(s.replace(/\.snap$/, '')));
  step('no snapshot of a removed example', stale.length === 0,
    `stale: ${stale.join(', ')}; run \`npm run snap:update\` in editors/vscode`);
}
const compared = examples.filter((f) => !rerecord.includes(f));
if (rerecord.length) {
  const r = run(bin('vscode-tmgrammar-snap'), ['-g', grammar, '--updateSnapshot',
    ...rerecord.map((f) => `tests/snap/${f}`)]);
  if (r.status !== 0) step('recording snapshots', false, r.out);
}
const snapArgs = ['-g', grammar, ...(update ? ['--updateSnapshot'] : []),
  ...(update ? examples : compared).map((f) => `tests/snap/${f}`)];
if (update || compared.length) {
  const s = run(bin('vscode-tmgrammar-snap'), snapArgs);
  step(`snapshots of ${update ? examples.length : compared.length} examples${update ? ' (updated)' : ''}`,
    s.status === 0, s.out);
}

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
