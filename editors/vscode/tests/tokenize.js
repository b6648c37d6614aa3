// Tokenizes .split text with the extension's TextMate grammar, as VS Code does
// (vscode-textmate + the oniguruma regex engine in WebAssembly).
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'splitdsl.tmLanguage.json');

let registry;
function getRegistry() {
  if (!registry) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer).then(() => ({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) =>
        scopeName === 'source.splitdsl'
          ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR)
          : null,
    });
  }
  return registry;
}

// [[{text, scopes}]] : one array of tokens per line.
async function tokenize(text) {
  const grammar = await getRegistry().loadGrammar('source.splitdsl');
  let state = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({
      text: line.slice(t.startIndex, t.endIndex),
      scopes: t.scopes,
    }));
  });
}

module.exports = { tokenize, GRAMMAR };

if (require.main === module) {
  // node tests/tokenize.js FILE: print each token with its innermost scopes.
  tokenize(fs.readFileSync(process.argv[2], 'utf8')).then((lines) => {
    lines.forEach((toks, i) => {
      for (const t of toks) {
        if (t.text.trim() === '') continue;
        console.log(`${i + 1}\t${JSON.stringify(t.text)}\t${t.scopes.slice(1).join(' ')}`);
      }
    });
  });
}
