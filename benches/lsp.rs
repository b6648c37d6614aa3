//! A keystroke in a 1,000-share agreement through `splitdsl lsp`, end to
//! end: the server's own loop (`splitdsl::lsp::serve` on a thread, a client
//! on `Connection::memory()`), a `didChange` answered by
//! `publishDiagnostics`, then an `inlayHint` request answered with every
//! hint (1,003 of them). `cargo bench --bench lsp`.
//!
//! `LSP_BENCH_KEYSTROKES=N` skips criterion and types N keystrokes once
//! (for `valgrind --tool=callgrind`, whose instruction counts are the
//! stable measure on a shared machine; see BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::Criterion;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const URI: &str = "file:///bench/big.split";

/// The agreement of benches/edit.rs: 1,000 shares.
fn agreement(n: usize) -> String {
    let mut s = String::from(
        "agreement \"Big\"\nprice = 100000.00 USD\nfee platform \"Platform\" = 4.9% of price + 0.50 USD\nnet = price - platform\n",
    );
    for i in 0..n {
        if i % 2 == 0 {
            s.push_str(&format!("share p{i} \"Partner {i}\" = 0.05% of net\n"));
        } else {
            s.push_str(&format!("share p{i} \"Partner {i}\" = 0.1% of remaining\n"));
        }
    }
    s.push_str("share producer \"Producer\" = remaining\nrequire producer >= 10% of net\n");
    s
}

struct Client {
    conn: Connection,
    server: Option<std::thread::JoinHandle<()>>,
    next: i32,
    version: i32,
    /// The line and column of the digit a keystroke changes.
    digit: (u32, u32),
}

impl Client {
    fn start(text: &str) -> Client {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || splitdsl::lsp::serve(server).unwrap());
        let mut c = Client {
            conn,
            server: Some(handle),
            next: 0,
            version: 1,
            digit: (0, 0),
        };
        c.request("initialize", json!({"capabilities": {}}));
        c.notify("initialized", json!({}));
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "splitdsl", "version": 1, "text": text}}),
        );
        c.diagnostics();
        let line = text
            .lines()
            .position(|l| l.starts_with("share p500 "))
            .unwrap();
        let col = text.lines().nth(line).unwrap().find("0.05%").unwrap() + 3;
        c.digit = (line as u32, col as u32);
        c
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn.sender.send(Message::Notification(n)).unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(Message::Request(req)).unwrap();
        loop {
            if let Message::Response(r) = self.conn.receiver.recv().unwrap() {
                if r.id == id {
                    return r.result.unwrap_or(Value::Null);
                }
            }
        }
    }

    fn diagnostics(&self) -> Value {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().unwrap() {
                if n.method == "textDocument/publishDiagnostics" {
                    return n.params;
                }
            }
        }
    }

    /// One keystroke: the character `shift` after the digit of `0.05%`
    /// becomes `new`; the diagnostics and then the hints come back.
    fn keystroke(&mut self, shift: u32, new: &str) -> usize {
        self.version += 1;
        let (line, col) = (self.digit.0, self.digit.1 + shift);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": self.version},
                   "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                                 "end": {"line": line, "character": col + 1}},
                                       "text": new}]}),
        );
        let d = self.diagnostics();
        assert_eq!(d["version"], self.version);
        let hints = self.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": URI},
                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99999, "character": 0}}}),
        );
        hints.as_array().map_or(0, Vec::len)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(h) = self.server.take() {
            h.join().unwrap();
        }
    }
}

fn main() {
    let text = agreement(1000);
    let mut client = Client::start(&text);
    if let Ok(n) = std::env::var("LSP_BENCH_KEYSTROKES") {
        let n: usize = n.parse().unwrap_or(10);
        for i in 0..n {
            let hints = client.keystroke(0, if i % 2 == 0 { "6" } else { "5" });
            assert_eq!(hints, 1003);
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("lsp keystroke in a 1,000-share agreement");
    g.sample_size(30);
    let mut flip = false;
    g.bench_function("valid: didChange → publishDiagnostics + inlayHint", |b| {
        b.iter(|| {
            flip = !flip;
            let hints = client.keystroke(0, if flip { "6" } else { "5" });
            assert_eq!(hints, 1003);
        })
    });
    // `of net` ↔ `of met`: every other keystroke an unknown name (the hints
    // then come from the last agreement that checked).
    let mut typo = false;
    g.bench_function("typo: didChange → publishDiagnostics + inlayHint", |b| {
        b.iter(|| {
            typo = !typo;
            let hints = client.keystroke(6, if typo { "m" } else { "n" });
            assert_eq!(hints, 1003);
        })
    });
    g.finish();
    c.final_summary();
}
