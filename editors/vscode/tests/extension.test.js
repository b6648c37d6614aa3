// extension.js without VS Code: `vscode` and the language client are replaced by stand-ins
// that record what the extension asks for (VS Code itself cannot run here). What is checked
// is the extension's own logic: which program it starts, with which arguments, for which
// documents, and that a change of `splitdsl.path` restarts the server with the new program.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const Module = require('module');
const os = require('os');
const path = require('path');

function load(settings, { failStart = false } = {}) {
  const made = [];
  const errors = [];
  const commands = {};
  const configListeners = [];
  const vscode = {
    workspace: {
      getConfiguration: (section) => ({ get: (key) => settings[`${section}.${key}`] }),
      createFileSystemWatcher: (glob) => ({ glob }),
      onDidChangeConfiguration: (f) => { configListeners.push(f); return { dispose() {} }; },
    },
    window: { showErrorMessage: (m) => errors.push(m) },
    commands: { registerCommand: (name, f) => { commands[name] = f; return { dispose() {} }; } },
  };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
      made.push(this);
    }
    async start() {
      if (failStart) throw new Error('spawn splitdsl ENOENT');
      this.started = true;
    }
    async stop() { this.stopped = true; }
  }
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return { LanguageClient };
    return original.call(this, request, parent, isMain);
  };
  const file = require.resolve('../extension.js');
  delete require.cache[file];
  try {
    return { ext: require(file), made, errors, commands, configListeners };
  } finally {
    Module._load = original;
  }
}

test('starts `splitdsl lsp` for splitdsl documents, from PATH by default', async () => {
  const t = load({});
  const subs = [];
  await t.ext.activate({ subscriptions: subs });
  assert.equal(t.made.length, 1);
  const c = t.made[0];
  assert.equal(c.id, 'splitdsl');
  assert.deepEqual(c.serverOptions, { command: 'splitdsl', args: ['lsp'] });
  assert.ok(c.started);
  assert.deepEqual(c.clientOptions.documentSelector.map((d) => d.language), ['splitdsl', 'splitdsl']);
  assert.equal(c.clientOptions.synchronize.fileEvents.glob, '**/*.split');
  assert.ok(subs.length >= 3);
  // The command of the server's code lenses exists, and does nothing.
  assert.equal(typeof t.commands['splitdsl.show'], 'function');
  assert.equal(t.commands['splitdsl.show'](), undefined);
  await t.ext.deactivate();
  assert.ok(c.stopped);
});

test('splitdsl.path chooses the program; `~` is the home directory', async () => {
  const t = load({ 'splitdsl.path': '~/.cargo/bin/splitdsl' });
  await t.ext.activate({ subscriptions: [] });
  assert.equal(t.made[0].serverOptions.command, path.join(os.homedir(), '.cargo/bin/splitdsl'));
  assert.equal(t.ext.serverCommand('  /opt/splitdsl  '), '/opt/splitdsl');
  assert.equal(t.ext.serverCommand(''), 'splitdsl');
  assert.equal(t.ext.serverCommand(undefined), 'splitdsl');
});

test('a change of splitdsl.path restarts the server with the new program', async () => {
  const settings = { 'splitdsl.path': '/old/splitdsl' };
  const t = load(settings);
  await t.ext.activate({ subscriptions: [] });
  settings['splitdsl.path'] = '/new/splitdsl';
  for (const f of t.configListeners) await f({ affectsConfiguration: (s) => s === 'splitdsl.path' });
  assert.equal(t.made.length, 2);
  assert.ok(t.made[0].stopped);
  assert.deepEqual(t.made[1].serverOptions, { command: '/new/splitdsl', args: ['lsp'] });
  // Another setting changing does not restart it.
  for (const f of t.configListeners) await f({ affectsConfiguration: () => false });
  assert.equal(t.made.length, 2);
  await t.commands['splitdsl.restartServer']();
  assert.equal(t.made.length, 3);
});

test('a program that cannot start is reported, with what to do', async () => {
  const t = load({ 'splitdsl.path': '/nowhere/splitdsl' }, { failStart: true });
  await t.ext.activate({ subscriptions: [] });
  assert.equal(t.errors.length, 1);
  assert.match(t.errors[0], /\/nowhere\/splitdsl lsp/);
  assert.match(t.errors[0], /splitdsl\.path/);
});
