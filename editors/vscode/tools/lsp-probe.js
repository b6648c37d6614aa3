// A minimal LSP client over stdio, for tools/render.js: starts `BIN lsp`, opens one file,
// and sends requests. Not used by the extension (VS Code's client is vscode-languageclient).
'use strict';
const { spawn } = require('child_process');

class Probe {
  constructor(bin) {
    this.proc = spawn(bin, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.buf = Buffer.alloc(0);
    this.next = 1;
    this.waiting = new Map();
    this.proc.stdout.on('data', (d) => this.onData(d));
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.slice(0, head).toString('ascii'));
      const len = Number(m ? m[1] : 0);
      if (this.buf.length < head + 4 + len) return;
      const msg = JSON.parse(this.buf.slice(head + 4, head + 4 + len).toString('utf8'));
      this.buf = this.buf.slice(head + 4 + len);
      if (msg.id !== undefined && this.waiting.has(msg.id) && msg.method === undefined) {
        const { resolve, reject } = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        if (msg.error) reject(new Error(msg.error.message));
        else resolve(msg.result);
      } else if (msg.id !== undefined && msg.method !== undefined) {
        this.send({ jsonrpc: '2.0', id: msg.id, result: null }); // server-to-client requests
      }
    }
  }

  send(msg) {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request(method, params) {
    const id = this.next++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  notify(method, params) {
    this.send({ jsonrpc: '2.0', method, params });
  }

  async open(uri, text) {
    await this.request('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        textDocument: {
          hover: { contentFormat: ['markdown', 'plaintext'] },
          inlayHint: {},
        },
        general: { positionEncodings: ['utf-16'] },
      },
    });
    this.notify('initialized', {});
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'splitdsl', version: 1, text } });
  }

  async close() {
    await this.request('shutdown', null);
    this.notify('exit', null);
  }
}

module.exports = { Probe };
