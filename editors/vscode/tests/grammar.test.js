// The grammar against the language itself: every example and every ```split block of the
// docs is fully scoped and free of `invalid` scopes, and the words the grammar knows are the
// words of grammar/splitdsl.pest and of the evaluator's tables (functions, rounding modes).
// Run by tests/run.js (npm test), or alone: node --test tests/grammar.test.js
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { tokenize } = require('./tokenize');

const repo = path.resolve(__dirname, '..', '..', '..');
const read = (p) => fs.readFileSync(path.join(repo, p), 'utf8');

function sources() {
  const out = [];
  for (const f of fs.readdirSync(path.join(repo, 'examples')).filter((n) => n.endsWith('.split'))) {
    out.push({ where: `examples/${f}`, text: read(`examples/${f}`), error: false });
  }
  for (const f of fs.readdirSync(path.join(repo, 'docs')).filter((n) => n.endsWith('.md'))) {
    const md = read(`docs/${f}`);
    const re = /^```split([^\n]*)\n([\s\S]*?)^```/gm;
    let m;
    while ((m = re.exec(md))) {
      const line = md.slice(0, m.index).split('\n').length + 1;
      out.push({ where: `docs/${f}:${line}`, text: m[2], error: /error/.test(m[1]) });
    }
  }
  return out;
}

// The scope of each non-blank token, with its place.
async function scoped(text) {
  const lines = await tokenize(text);
  const out = [];
  lines.forEach((toks, i) => {
    for (const t of toks) {
      if (t.text.trim() !== '') out.push({ line: i + 1, text: t.text, scopes: t.scopes });
    }
  });
  return out;
}

async function scopesOf(line, word) {
  const toks = (await tokenize(line))[0];
  const t = toks.find((x) => x.text === word);
  assert.ok(t, `no token ${JSON.stringify(word)} in ${JSON.stringify(line)}: ${JSON.stringify(toks)}`);
  return t.scopes.join(' ');
}

test('the examples and the docs have split blocks to check', () => {
  const s = sources();
  assert.ok(s.filter((x) => x.where.startsWith('examples/')).length >= 10);
  assert.ok(s.filter((x) => x.where.startsWith('docs/')).length >= 5);
});

test('every token of every example and docs block has a scope, and none is invalid', async () => {
  for (const src of sources()) {
    for (const t of await scoped(src.text)) {
      assert.ok(t.scopes.length > 1,
        `${src.where} line ${t.line}: ${JSON.stringify(t.text)} has no scope`);
      if (!src.error) {
        assert.ok(!t.scopes.some((s) => s.startsWith('invalid')),
          `${src.where} line ${t.line}: ${JSON.stringify(t.text)} is ${t.scopes.join(' ')}`);
      }
    }
  }
});

test('every reserved word of grammar/splitdsl.pest is a keyword, and refused as a name', async () => {
  const pest = read('grammar/splitdsl.pest');
  const block = pest.match(/^keyword\s*=\s*@\{([\s\S]*?)\}/m);
  assert.ok(block, 'no `keyword` rule in grammar/splitdsl.pest');
  const reserved = [...block[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(reserved.length >= 20, `only ${reserved.length} keywords read`);
  for (const kw of reserved) {
    for (const decl of ['input', 'fee', 'share', 'table']) {
      const asName = (await tokenize(`${decl} ${kw} = 1`))[0].filter((t) => t.text === kw).pop();
      assert.match(asName.scopes.join(' '), /invalid\.illegal\.reserved-name/, `\`${decl} ${kw} = 1\``);
    }
    // In an expression it is never a plain name.
    const inExpr = await scopesOf(`x = a ${kw} b`, kw);
    assert.doesNotMatch(inExpr, /variable\.other\.splitdsl/, `\`x = a ${kw} b\`: ${inExpr}`);
    assert.match(inExpr, /keyword|variable\.language|constant\.language/, `\`x = a ${kw} b\`: ${inExpr}`);
  }
});

test('the contextual words of the pest grammar stay names outside their statements', async () => {
  const pest = read('grammar/splitdsl.pest');
  const reserved = new Set([...pest.match(/^keyword\s*=\s*@\{([\s\S]*?)\}/m)[1]
    .matchAll(/"([a-z_]+)"/g)].map((m) => m[1]));
  const all = [...pest.matchAll(/^kw_([a-z_]+)\s*=/gm)].map((m) => m[1]);
  const contextual = all.filter((w) => !reserved.has(w));
  // A new contextual word needs a rule in the grammar (and a line here).
  assert.deepEqual(contextual.sort(), ['brackets', 'per', 'running', 'sum']);
  for (const w of contextual) {
    assert.match(await scopesOf(`${w} = 1`, w), /entity\.name\.variable\.cell/);
    assert.match(await scopesOf(`x = ${w} + 1`, w), /variable\.other\.splitdsl/);
  }
  assert.match(await scopesOf('brackets tiers {', 'brackets'), /keyword\.declaration\.brackets/);
  assert.match(await scopesOf('running total = sum of price', 'running'), /keyword\.declaration\.running/);
  assert.match(await scopesOf('running total = sum of price', 'sum'), /keyword\.other\.sum/);
  assert.match(await scopesOf('running total = sum of 1 per seller', 'per'), /keyword\.other\.per/);
});

test('the built-in functions are those of the evaluator (src/program.rs)', async () => {
  const src = read('src/program.rs');
  const table = src.match(/impl Builtin \{[\s\S]*?ALL: \[[^\]]*\]\s*=\s*\[([\s\S]*?)\];/);
  assert.ok(table, 'no Builtin::ALL in src/program.rs');
  const names = [...table[1].matchAll(/\("([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(names.length >= 7);
  for (const f of names) {
    assert.match(await scopesOf(`x = ${f}(a, b)`, f), /support\.function\.builtin/, f);
    // A function's name is reserved (splitdsl::name::reserved).
    assert.match(await scopesOf(`${f} = 1`, f), /invalid\.illegal\.reserved-name/, f);
  }
  assert.match(await scopesOf('x = rate_table(a)', 'rate_table'), /variable\.function/);
});

test('the rounding modes are those of the evaluator (src/value.rs)', async () => {
  const src = read('src/value.rs');
  const table = src.match(/impl Rounding \{[\s\S]*?ALL: \[[^\]]*\]\s*=\s*\[([\s\S]*?)\];/);
  assert.ok(table, 'no Rounding::ALL in src/value.rs');
  const modes = [...table[1].matchAll(/\("([a-z_]+)"/g)].map((m) => m[1]);
  assert.equal(modes.length, 7);
  for (const m of modes) {
    assert.match(await scopesOf(`rounding ${m}`, m), /constant\.language\.rounding-mode/, m);
  }
  assert.match(await scopesOf('rounding halfup', 'halfup'), /invalid\.illegal\.rounding-mode/);
});

test('the manifest declares the language, the grammar and the settings the client reads', () => {
  const here = path.resolve(__dirname, '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
  const lang = pkg.contributes.languages.find((l) => l.id === 'splitdsl');
  assert.deepEqual(lang.extensions, ['.split']);
  const conf = JSON.parse(fs.readFileSync(path.join(here, lang.configuration), 'utf8'));
  assert.equal(conf.comments.lineComment, '#');
  assert.ok(conf.autoClosingPairs.some((p) => p.open === '"' && p.close === '"'));
  // VS Code compiles these as JavaScript regular expressions.
  const word = new RegExp(`^(?:${conf.wordPattern})$`);
  for (const w of ['hotmart', 'fee_tax', '9.9%', '100.00', '1_000']) assert.match(w, word, w);
  assert.doesNotMatch('net-price', word);
  const increase = new RegExp(conf.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(conf.indentationRules.decreaseIndentPattern);
  assert.match('example "a { b" {', increase);
  assert.match('table rate {   # by installments', increase);
  assert.doesNotMatch('table rate { 1 => 2 }', increase);
  assert.match('  }', decrease);
  const g = pkg.contributes.grammars.find((x) => x.language === 'splitdsl');
  const grammar = JSON.parse(fs.readFileSync(path.join(here, g.path), 'utf8'));
  assert.equal(grammar.scopeName, g.scopeName);
  assert.equal(pkg.contributes.configuration.properties['splitdsl.path'].default, 'splitdsl');
  assert.ok(fs.existsSync(path.join(here, pkg.main)), pkg.main);
  assert.ok(pkg.dependencies['vscode-languageclient']);
});
