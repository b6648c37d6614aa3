//! `splitdsl lsp`: the editor server (Language Server Protocol over stdio).
//!
//! One synchronous loop owns the open documents (`document::Document`): each
//! `didChange` applies its edits in order with `Document::edit`, then the
//! diagnostics are published. Every figure an editor shows (hints, lenses,
//! hovers) comes from `live` and `explain`, i.e. from the one evaluator;
//! nothing here computes or formats money.
//!
//! Positions are UTF-16 code units unless the client offers `utf-8` in
//! `general.positionEncodings`.

mod features;
mod tokens;

use crate::document::Document;
use crate::span::Span;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::process::ExitCode;

/// The error type of the loop: a broken connection or a bad handshake.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// How the client counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
}

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run() -> ExitCode {
    let (conn, io) = Connection::stdio();
    let served = serve(conn);
    let joined = io.join();
    match (served, joined) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) => {
            eprintln!("splitdsl lsp: {e}");
            ExitCode::FAILURE
        }
        (_, Err(e)) => {
            eprintln!("splitdsl lsp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves one client on `conn` (stdio, or `Connection::memory()` in tests):
/// the handshake, then every message in order until `shutdown` + `exit`.
pub fn serve(conn: Connection) -> Result<(), Failure> {
    let (id, params) = conn.initialize_start()?;
    let params: lt::InitializeParams = serde_json::from_value(params)?;
    let encoding = negotiate(&params);
    let result = lt::InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(lt::ServerInfo {
            name: "splitdsl".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    conn.initialize_finish(id, serde_json::to_value(result)?)?;
    let mut server = Server {
        docs: HashMap::new(),
        encoding,
        outbox: Vec::new(),
    };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req)? {
                    return Ok(());
                }
                let resp = server.request(req);
                conn.sender.send(resp.into())?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    // `exit` after `shutdown` is taken by `handle_shutdown`:
                    // here it came without one, which the protocol makes
                    // exit status 1.
                    return Err("exit without shutdown".into());
                }
                server.notify(n);
            }
            Message::Response(_) => {}
        }
        for n in server.outbox.drain(..) {
            conn.sender.send(n.into())?;
        }
    }
    Ok(())
}

/// UTF-8 when the client offers it, UTF-16 (the protocol's default) otherwise.
fn negotiate(params: &lt::InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&lt::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn capabilities(encoding: Encoding) -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lt::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lt::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        inlay_hint_provider: Some(lt::OneOf::Left(true)),
        code_lens_provider: Some(lt::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        code_action_provider: Some(lt::CodeActionProviderCapability::Options(
            lt::CodeActionOptions {
                code_action_kinds: Some(vec![lt::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "(".into()]),
            ..Default::default()
        }),
        semantic_tokens_provider: Some(
            lt::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lt::SemanticTokensOptions {
                    legend: tokens::legend(),
                    full: Some(lt::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    ..Default::default()
                },
            ),
        ),
        ..Default::default()
    }
}

/// The open documents and what to send after the current message.
pub(crate) struct Server {
    docs: HashMap<lt::Uri, Document>,
    encoding: Encoding,
    outbox: Vec<Notification>,
}

/// The response to a request: `f`'s result serialized once, or an error.
fn answer<P: DeserializeOwned, R: Serialize>(
    server: &mut Server,
    id: RequestId,
    params: serde_json::Value,
    f: impl FnOnce(&mut Server, P) -> Result<R, String>,
) -> Response {
    match serde_json::from_value(params) {
        Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
        Ok(p) => match f(server, p) {
            Ok(r) => match serde_json::to_value(r) {
                Ok(v) => Response {
                    id,
                    result: Some(v),
                    error: None,
                },
                Err(e) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
            },
            Err(m) => Response::new_err(id, ErrorCode::RequestFailed as i32, m),
        },
    }
}

impl Server {
    fn request(&mut self, req: Request) -> Response {
        use features as f;
        let (id, p) = (req.id, req.params);
        match req.method.as_str() {
            "textDocument/hover" => answer(self, id, p, f::hover),
            "textDocument/definition" => answer(self, id, p, f::definition),
            "textDocument/references" => answer(self, id, p, f::references),
            "textDocument/rename" => answer(self, id, p, f::rename),
            "textDocument/documentSymbol" => answer(self, id, p, f::symbols),
            "textDocument/completion" => answer(self, id, p, f::completion),
            "textDocument/formatting" => answer(self, id, p, f::formatting),
            "textDocument/inlayHint" => answer(self, id, p, f::inlay_hints),
            "textDocument/codeLens" => answer(self, id, p, f::code_lens),
            "textDocument/codeAction" => answer(self, id, p, f::code_actions),
            "textDocument/semanticTokens/full" => answer(self, id, p, f::semantic_tokens),
            _ => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("splitdsl lsp does not handle {}", req.method),
            ),
        }
    }

    fn notify(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) {
                    let name = p.text_document.uri.path().as_str().to_string();
                    let doc = Document::new(&name, &p.text_document.text);
                    self.docs.insert(p.text_document.uri.clone(), doc);
                    self.publish(&p.text_document.uri, Some(p.text_document.version));
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    let encoding = self.encoding;
                    if let Some(doc) = self.docs.get_mut(&uri) {
                        for change in &p.content_changes {
                            apply(doc, encoding, change);
                        }
                    }
                    self.publish(&uri, Some(p.text_document.version));
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                    self.docs.remove(&p.text_document.uri);
                    let clear = lt::PublishDiagnosticsParams {
                        uri: p.text_document.uri,
                        diagnostics: Vec::new(),
                        version: None,
                    };
                    self.outbox.push(Notification::new(
                        "textDocument/publishDiagnostics".into(),
                        clear,
                    ));
                }
            }
            _ => {}
        }
    }

    fn publish(&mut self, uri: &lt::Uri, version: Option<i32>) {
        let Some(doc) = self.docs.get(uri) else {
            return;
        };
        let params = lt::PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: features::diagnostics(doc, uri, self.encoding),
            version,
        };
        self.outbox.push(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        ));
    }

    fn doc(&self, uri: &lt::Uri) -> Result<&Document, String> {
        self.docs
            .get(uri)
            .ok_or_else(|| format!("{} is not open", uri.as_str()))
    }
}

/// Applies one change of `didChange`: a range edit, or the whole text.
fn apply(doc: &mut Document, encoding: Encoding, change: &lt::TextDocumentContentChangeEvent) {
    match change.range {
        Some(range) => {
            let span = Span::new(
                offset(doc, encoding, range.start),
                offset(doc, encoding, range.end),
            );
            doc.edit(span, &change.text);
        }
        None => doc.set_text(&change.text),
    }
}

/// The byte offset of an editor position.
pub(crate) fn offset(doc: &Document, encoding: Encoding, pos: lt::Position) -> usize {
    let (line, col) = (pos.line as usize, pos.character as usize);
    match encoding {
        Encoding::Utf8 => doc.lines().offset_utf8(doc.text(), line, col),
        Encoding::Utf16 => doc.lines().offset_utf16(doc.text(), line, col),
    }
}

/// The editor position of a byte offset.
pub(crate) fn position(doc: &Document, encoding: Encoding, offset: usize) -> lt::Position {
    let (line, col) = match encoding {
        Encoding::Utf8 => doc.lines().utf8(doc.text(), offset),
        Encoding::Utf16 => doc.lines().utf16(doc.text(), offset),
    };
    lt::Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// The editor range of a byte span.
pub(crate) fn range(doc: &Document, encoding: Encoding, span: Span) -> lt::Range {
    lt::Range::new(
        position(doc, encoding, span.start),
        position(doc, encoding, span.end),
    )
}
