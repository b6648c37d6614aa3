//! `splitdsl lsp` in process: a client on `Connection::memory()` speaks the
//! protocol to `splitdsl::lsp::serve` on a thread, and every feature's
//! answer is an insta snapshot (plus explicit checks of the figures, so a
//! wrong number fails even when snapshots are accepted blindly).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "lsp")]

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::thread::JoinHandle;
use std::time::Duration;

const HOTMART: &str = include_str!("../examples/hotmart.split");
const URI: &str = "file:///work/hotmart.split";

struct Client {
    conn: Connection,
    server: Option<JoinHandle<()>>,
    next: i32,
    /// Notifications received while waiting for a response.
    pending: Vec<Notification>,
}

impl Client {
    /// Starts a server; `encodings` is what the client offers
    /// (`general.positionEncodings`), none when `None`.
    fn start(encodings: Option<&[&str]>) -> (Client, Value) {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || splitdsl::lsp::serve(server).unwrap());
        let mut c = Client {
            conn,
            server: Some(handle),
            next: 0,
            pending: Vec::new(),
        };
        let caps = match encodings {
            Some(e) => json!({"general": {"positionEncodings": e}}),
            None => json!({}),
        };
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": caps}),
        );
        c.notify("initialized", json!({}));
        (c, init)
    }

    fn with(text: &str) -> Client {
        let (mut c, _) = Client::start(None);
        c.open(text);
        c
    }

    fn open(&mut self, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "splitdsl", "version": 1, "text": text}}),
        );
        self.diagnostics()
    }

    fn notify(&mut self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn.sender.send(Message::Notification(n)).unwrap();
    }

    /// Sends a request and waits for its response: the result, or
    /// `{"error": message}`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(Message::Request(req)).unwrap();
        loop {
            match self.recv() {
                Message::Response(r) if r.id == id => {
                    return match r.error {
                        Some(e) => json!({"error": e.message}),
                        None => r.result.unwrap_or(Value::Null),
                    }
                }
                Message::Notification(n) => self.pending.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn recv(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers")
    }

    /// The next `publishDiagnostics` (its params).
    fn diagnostics(&mut self) -> Value {
        if let Some(i) = self
            .pending
            .iter()
            .position(|n| n.method == "textDocument/publishDiagnostics")
        {
            return self.pending.remove(i).params;
        }
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" {
                    return n.params;
                }
            }
        }
    }

    fn change(&mut self, version: i32, changes: Value) -> Value {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version}, "contentChanges": changes}),
        );
        self.diagnostics()
    }

    fn at(&mut self, method: &str, line: u32, character: u32) -> Value {
        self.request(
            method,
            json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}),
        )
    }

    fn hints(&mut self) -> Value {
        self.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": URI},
                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}}}),
        )
    }

    fn whole(&mut self, method: &str) -> Value {
        self.request(method, json!({"textDocument": {"uri": URI}}))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        if let Some(h) = self.server.take() {
            h.join().unwrap();
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// The 0-based line and UTF-16 column of the first `needle` in `text`, plus `extra` units.
fn pos(text: &str, needle: &str, extra: u32) -> (u32, u32) {
    let at = text.find(needle).expect(needle);
    let line = text[..at].matches('\n').count() as u32;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let col = text[start..at].encode_utf16().count() as u32;
    (line, col + extra)
}

fn labels(hints: &Value) -> Vec<String> {
    hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn initialize_announces_the_features_and_utf16() {
    let (_c, init) = Client::start(None);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    insta::assert_snapshot!(pretty(&init["capabilities"]));
}

#[test]
fn a_client_that_offers_utf8_gets_it() {
    let (_c, init) = Client::start(Some(&["utf-8", "utf-16"]));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
}

#[test]
fn the_shipped_example_is_clean() {
    let (mut c, _) = Client::start(None);
    let d = c.open(HOTMART);
    assert_eq!(d["diagnostics"], json!([]));
    assert_eq!(d["version"], 1);
}

#[test]
fn diagnostics_carry_code_range_help_related_and_explanation() {
    let text = "price = 100.00 USD\nfee f = 10% of pricee\nshare p = remaning\nx = 3 UDS\n";
    let (mut c, _) = Client::start(None);
    let d = c.open(text);
    let first = &d["diagnostics"][0];
    assert_eq!(first["code"], "splitdsl::name::unknown");
    assert_eq!(first["severity"], 1);
    assert_eq!(first["range"]["start"], json!({"line": 1, "character": 15}));
    assert_eq!(first["range"]["end"], json!({"line": 1, "character": 21}));
    assert!(first["message"]
        .as_str()
        .unwrap()
        .contains("help: did you mean `price`?"));
    insta::assert_snapshot!(pretty(&d));
}

#[test]
fn related_information_from_secondary_labels() {
    // A loop: the diagnostic points at each step of it.
    let text = "price = 100.00 USD\na = b + 1 USD\nb = a + 1 USD\nshare p = remaining\n";
    let (mut c, _) = Client::start(None);
    let d = c.open(text);
    let with_related: Vec<&Value> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["relatedInformation"].is_array())
        .collect();
    assert!(!with_related.is_empty(), "{}", pretty(&d));
    insta::assert_snapshot!(pretty(&d));
}

#[test]
fn utf16_columns_after_an_emoji() {
    let text = "price = 100.00 USD\nfee f \"😀 fee\" = 10% of pricee\nshare p = remaining\n";
    let (line, col) = pos(text, "pricee", 0);
    // 😀 is two UTF-16 units, four bytes.
    assert_eq!(col, 24);
    let (mut c, _) = Client::start(None);
    let d = c.open(text);
    let r = &d["diagnostics"][0]["range"];
    assert_eq!(r["start"], json!({"line": line, "character": col}));
    assert_eq!(r["end"], json!({"line": line, "character": col + 6}));
    // Hover answers at a UTF-16 position after the emoji too.
    let h = c.at("textDocument/hover", line, col + 2);
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("splitdsl::name::unknown"));
    insta::assert_snapshot!(pretty(&d));
}

#[test]
fn utf8_columns_when_negotiated() {
    let text = "price = 100.00 USD\nfee f \"😀 fee\" = 10% of pricee\nshare p = remaining\n";
    let (mut c, _) = Client::start(Some(&["utf-8"]));
    let d = c.open(text);
    // In bytes: 😀 is four.
    assert_eq!(
        d["diagnostics"][0]["range"]["start"],
        json!({"line": 1, "character": 26})
    );
}

#[test]
fn inlay_hints_show_each_amount_and_the_pool() {
    let mut c = Client::with(HOTMART);
    let h = c.hints();
    assert_eq!(
        labels(&h),
        [
            "→ 10.40 USD · pool 89.60",
            "→ 89.60 USD",
            "→ 31.36 USD · pool 58.24",
            "→ 5.82 USD · pool 52.42",
            "→ 52.42 USD · pool 0.00",
        ]
    );
    insta::assert_snapshot!(pretty(&h));
}

#[test]
fn inlay_hints_of_a_group_share_follow_each_member() {
    let text = "price = 100.00 USD\nshare (a: 1, b \"B\": 2) = 30% of price\nshare p = remaining\n";
    let mut c = Client::with(text);
    let h = c.hints();
    assert_eq!(
        labels(&h),
        [
            "→ 10.00 USD · pool 90.00",
            "→ 20.00 USD · pool 70.00",
            "→ 70.00 USD · pool 0.00"
        ]
    );
    insta::assert_snapshot!(pretty(&h));
}

#[test]
fn hover_shows_kind_formula_line_value_and_the_rounding() {
    let mut c = Client::with(HOTMART);
    let (line, col) = pos(HOTMART, "coproducer \"Bruno\"", 2);
    let h = c.at("textDocument/hover", line, col);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("**coproducer = 5.82 USD** for the defaults"),
        "{md}"
    );
    assert!(md.contains("5.824 → 5.82 USD"), "{md}");
    insta::assert_snapshot!(md);
}

#[test]
fn hover_in_an_example_uses_its_givens() {
    let text = "price = 100.00 USD\nfee f = 10% of price\nshare p = remaining\n\nexample \"big\" {\n  given price = 200.00 USD\n  expect f = 20.00 USD\n}\n";
    let mut c = Client::with(text);
    let (line, col) = pos(text, "expect f", 7);
    let h = c.at("textDocument/hover", line, col);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**f = 20.00 USD** in example \"big\""), "{md}");
    insta::assert_snapshot!(md);
    // Outside the example: the defaults.
    let h = c.at("textDocument/hover", 1, 4);
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**f = 10.00 USD** for the defaults"), "{md}");
}

#[test]
fn a_syntax_error_keeps_the_last_good_analysis() {
    let mut c = Client::with(HOTMART);
    // Break line 7 (`net = price - hotmart`): `net = price - - `.
    let (line, col) = pos(HOTMART, "hotmart                   #", 0);
    let d = c.change(
        2,
        json!([{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 7}}, "text": "* *"}]),
    );
    assert!(!d["diagnostics"].as_array().unwrap().is_empty());
    // Hints still there, from the last agreement that checked.
    let h = c.hints();
    assert!(labels(&h).contains(&"→ 5.82 USD · pool 52.42".to_string()));
    // Hover and definition still answer.
    let (l, k) = pos(HOTMART, "coproducer \"Bruno\"", 1);
    let md = c.at("textDocument/hover", l, k)["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("5.82 USD"), "{md}");
    assert!(md.contains("last version that checked"), "{md}");
    let (l, k) = pos(HOTMART, "35% of net", 8);
    let def = c.at("textDocument/definition", l, k);
    assert_eq!(def["range"]["start"], json!({"line": 6, "character": 0}));
    assert_eq!(def["range"]["end"], json!({"line": 6, "character": 3}));
    // `net`'s own statement does not parse now: its hover comes from the
    // last agreement that checked.
    let md = c.at("textDocument/hover", l, k)["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("**cell** `net`"), "{md}");
    assert!(md.contains("**net = 89.60 USD**"), "{md}");
}

#[test]
fn edits_apply_in_order() {
    let mut c = Client::with(HOTMART);
    let (line, col) = pos(HOTMART, "9.9%", 0);
    // Two edits in one notification, then one more in the next: 9.9% → 10% → 12%.
    let r = |a: u32, b: u32| json!({"start": {"line": line, "character": a}, "end": {"line": line, "character": b}});
    c.change(
        2,
        json!([
            {"range": r(col, col + 3), "text": ""},
            {"range": r(col, col), "text": "10"},
        ]),
    );
    let h = c.hints();
    assert_eq!(labels(&h)[0], "→ 10.50 USD · pool 89.50");
    c.change(3, json!([{"range": r(col, col + 2), "text": "12"}]));
    let h = c.hints();
    assert_eq!(labels(&h)[0], "→ 12.50 USD · pool 87.50");
    // The example now fails: its lens says expected vs actual.
    let lenses = c.whole("textDocument/codeLens");
    insta::assert_snapshot!(pretty(&lenses));
}

#[test]
fn code_lens_on_examples_and_requirements() {
    let mut c = Client::with(HOTMART);
    let lenses = c.whole("textDocument/codeLens");
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[0], "✓ example passes (4 expect)");
    assert!(
        titles[1].starts_with("✓ holds: producer = 52.42 USD"),
        "{titles:?}"
    );
    insta::assert_snapshot!(pretty(&lenses));
}

#[test]
fn definition_and_references() {
    let mut c = Client::with(HOTMART);
    let (l, k) = pos(HOTMART, "35% of net", 8);
    let def = c.at("textDocument/definition", l, k);
    insta::assert_snapshot!("definition", pretty(&def));
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": {"line": l, "character": k},
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3);
    insta::assert_snapshot!("references", pretty(&refs));
}

#[test]
fn rename_renames_every_use_and_refuses_keywords_and_taken_names() {
    let mut c = Client::with(HOTMART);
    let (l, k) = pos(HOTMART, "affiliate \"Ana\"", 0);
    let mut rename = |name: &str| {
        c.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": {"line": l, "character": k}, "newName": name}),
        )
    };
    let ok = rename("partner");
    assert_eq!(ok["changes"][URI].as_array().unwrap().len(), 2);
    insta::assert_snapshot!(pretty(&ok));
    let kw = rename("share");
    assert!(kw["error"].as_str().unwrap().contains("keyword"), "{kw}");
    let taken = rename("producer");
    assert!(
        taken["error"].as_str().unwrap().contains("already"),
        "{taken}"
    );
    let func = rename("round");
    assert!(
        func["error"].as_str().unwrap().contains("built-in"),
        "{func}"
    );
    let bad = rename("2x");
    assert!(
        bad["error"].as_str().unwrap().contains("not a name"),
        "{bad}"
    );
}

#[test]
fn quick_fix_for_did_you_mean() {
    let text = "price = 100.00 USD\nfee f = 10% of pricee\nshare p = remaning\n";
    let mut c = Client::with(text);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 1, "character": 16}, "end": {"line": 1, "character": 16}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(actions[0]["title"], "Replace `pricee` with `price`");
    insta::assert_snapshot!(pretty(&actions));
    // Applying it (as the client would) clears that error.
    let edit = &actions[0]["edit"]["changes"][URI][0];
    let d = c.change(
        2,
        json!([{"range": edit["range"], "text": edit["newText"]}]),
    );
    let codes: Vec<&str> = d["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(!codes.iter().any(|m| m.contains("pricee")), "{codes:?}");
    // The keyword suggestion too.
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 2, "character": 12}, "end": {"line": 2, "character": 12}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(actions[0]["title"], "Replace `remaning` with `remaining`");
}

#[test]
fn quick_fix_accepts_the_actual_value_of_a_failing_expect() {
    let text = HOTMART.replace(
        "expect coproducer = 5.82 USD",
        "expect coproducer = 5.83 USD",
    );
    let mut c = Client::with(&text);
    let (l, k) = pos(&text, "expect coproducer", 0);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": l, "character": k}, "end": {"line": l, "character": k}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(actions[0]["title"], "Accept the actual value 5.82 USD");
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "5.82 USD");
    insta::assert_snapshot!(pretty(&actions));
    c.change(
        2,
        json!([{"range": edit["range"], "text": edit["newText"]}]),
    );
    let lenses = c.whole("textDocument/codeLens");
    assert_eq!(lenses[0]["command"]["title"], "✓ example passes (4 expect)");
}

#[test]
fn document_symbols_outline() {
    let mut c = Client::with(HOTMART);
    let s = c.whole("textDocument/documentSymbol");
    let names: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "price",
            "hotmart",
            "net",
            "affiliate",
            "coproducer",
            "producer",
            "the main producer keeps at least 30% of the net revenue",
            "the help center's worked example"
        ]
    );
    insta::assert_snapshot!(pretty(&s));
}

#[test]
fn completion_names_keywords_functions_currencies_tables() {
    let text = "price = 100.00 USD\ntable rate { 1 => 5% }\nfee f = rate(1) of price\nshare p = remaining\nx = r\ny = 3 U\n";
    let mut c = Client::with(text);
    let (l, k) = pos(text, "x = r", 5);
    let items = c.at("textDocument/completion", l, k);
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"rate") && labels.contains(&"remaining") && labels.contains(&"round"));
    insta::assert_snapshot!("completion_names", pretty(&items));
    let (l, k) = pos(text, "3 U", 3);
    let items = c.at("textDocument/completion", l, k);
    let usd = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "USD")
        .expect("USD offered");
    assert_eq!(usd["detail"], "currency · United States dollar");
}

#[test]
fn formatting_through_fmt() {
    let text = "price=100.00 USD\nfee   f = 10%   of price\nshare p=remaining\n";
    let mut c = Client::with(text);
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(
        edits[0]["newText"].as_str().unwrap(),
        splitdsl::fmt::format_source(text).unwrap()
    );
    insta::assert_snapshot!(pretty(&edits));
}

#[test]
fn semantic_tokens() {
    let mut c = Client::with(HOTMART);
    let t = c.whole("textDocument/semanticTokens/full");
    let data = t["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    // Decode to (line, col, len, type) and show them as text for the snapshot.
    let legend = [
        "keyword",
        "comment",
        "string",
        "number",
        "operator",
        "variable",
        "parameter",
        "property",
        "function",
        "type",
    ];
    let lines: Vec<&str> = HOTMART.lines().collect();
    let (mut line, mut col) = (0usize, 0usize);
    let mut shown = String::new();
    for t in data.chunks(5) {
        let n = |i: usize| t[i].as_u64().unwrap() as usize;
        if n(0) > 0 {
            line += n(0);
            col = n(1);
        } else {
            col += n(1);
        }
        let units: Vec<u16> = lines[line].encode_utf16().collect();
        let word = String::from_utf16(&units[col..col + n(2)]).unwrap();
        let decl = if n(4) & 1 == 1 { " (declaration)" } else { "" };
        shown.push_str(&format!(
            "{}:{} {} {word}{decl}\n",
            line + 1,
            col,
            legend[n(3)]
        ));
    }
    assert!(
        shown.contains("6:4 property hotmart (declaration)"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn code_lens_of_a_failing_requirement_shows_the_values() {
    let text = HOTMART.replace("producer >= 30% of net", "producer >= 90% of net");
    let mut c = Client::with(&text);
    let lenses = c.whole("textDocument/codeLens");
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "✗ require fails: the main producer keeps at least 30% of the net revenue",
            "✗ fails: producer = 52.42 USD, 90% of net = 80.64 USD"
        ]
    );
}

#[test]
fn completion_and_hover_after_a_multibyte_character_do_not_panic() {
    // The cursor right after `é` and after `😀` (UTF-16 columns 9 and 13).
    let text = "price = 100.00 USD\nx = é pr 😀\nshare p = remaining\n";
    let mut c = Client::with(text);
    for col in [5, 6, 9, 10, 11, 12, 13] {
        let items = c.at("textDocument/completion", 1, col);
        assert!(items.is_array() || items.is_null(), "{items}");
        let h = c.at("textDocument/hover", 1, col);
        assert!(h.get("error").is_none(), "{h}");
    }
    let (l, k) = pos(text, "pr 😀", 2);
    let items = c.at("textDocument/completion", l, k);
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["label"] == "price"));
}
