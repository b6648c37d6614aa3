// The splitdsl extension's client: it starts `splitdsl lsp` (the language server on
// stdio) for every .split file, and restarts it when `splitdsl.path` changes.
// Everything the editor shows beyond colours (diagnostics, hover, the amounts beside
// each fee and share, code lenses, completion, formatting, renames) comes from the
// server, so the numbers are the evaluator's, as on the command line.
'use strict';
const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

// The program to run: `splitdsl.path` (a name on PATH, or a path; `~` is the home directory).
function serverCommand(configured) {
  const value = typeof configured === 'string' && configured.trim() !== '' ? configured.trim() : 'splitdsl';
  if (value === '~' || value.startsWith('~/')) {
    return path.join(os.homedir(), value.slice(1));
  }
  return value;
}

function createClient() {
  const command = serverCommand(vscode.workspace.getConfiguration('splitdsl').get('path'));
  // No `transport` on purpose: the language client would add `--stdio` to the arguments;
  // `splitdsl lsp` speaks on stdin/stdout without it.
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'splitdsl' },
      { scheme: 'untitled', language: 'splitdsl' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.split'),
    },
  };
  return new LanguageClient('splitdsl', 'splitdsl', serverOptions, clientOptions);
}

async function start() {
  client = createClient();
  try {
    await client.start();
  } catch (err) {
    const command = serverCommand(vscode.workspace.getConfiguration('splitdsl').get('path'));
    vscode.window.showErrorMessage(
      `splitdsl: could not start \`${command} lsp\` (${err && err.message ? err.message : err}). ` +
      'Install the program (`cargo install --path .` in the splitdsl repository) or set `splitdsl.path`.');
  }
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    try {
      await c.stop();
    } catch (_) {
      // A server that never started has nothing to stop.
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    // The server's code lenses (✓ example passes, ✓ holds: …) carry the command
    // `splitdsl.show`: they are read, not run, so clicking one does nothing.
    vscode.commands.registerCommand('splitdsl.show', () => undefined),
    vscode.commands.registerCommand('splitdsl.restartServer', async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('splitdsl.path')) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate, serverCommand };
