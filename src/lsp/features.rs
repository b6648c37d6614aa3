//! The answers to each request, from a `Document` and the `live` figures.

use super::{offset, position, range, Encoding, Server};
use crate::agreement::Agreement;
use crate::diag::{Diagnostic, Severity};
use crate::document::{Document, Symbol, SymbolKind};
use crate::explain::Node;
use crate::live::{self, FigureKind};
use crate::span::Span;
use crate::syntax::ast::StmtKind;
use lsp_types as lt;
use std::collections::HashMap;

type R<T> = Result<T, String>;

/// The document and the byte offset of a request's position.
fn at<'a>(s: &'a Server, p: &lt::TextDocumentPositionParams) -> R<(&'a Document, usize)> {
    let doc = s.doc(&p.text_document.uri)?;
    Ok((doc, offset(doc, s.encoding, p.position)))
}

// ---------------------------------------------------------------- diagnostics

/// Every error and warning of `doc`: the primary span as the range, the
/// secondary labels as related information, the help line in the message,
/// the code's explanation (`splitdsl check --explain CODE`) in `data`.
pub(super) fn diagnostics(doc: &Document, uri: &lt::Uri, enc: Encoding) -> Vec<lt::Diagnostic> {
    doc.diagnostics()
        .iter()
        .map(|d| diagnostic(doc, uri, enc, d))
        .collect()
}

fn diagnostic(doc: &Document, uri: &lt::Uri, enc: Encoding, d: &Diagnostic) -> lt::Diagnostic {
    let span = d.main_span().unwrap_or_default();
    let primary = d.labels.iter().find(|l| l.primary);
    let mut message = d.message.clone();
    if let Some(l) = primary.filter(|l| !l.message.is_empty()) {
        message.push_str(": ");
        message.push_str(&l.message);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let related: Vec<lt::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .map(|l| lt::DiagnosticRelatedInformation {
            location: lt::Location::new(uri.clone(), range(doc, enc, l.span)),
            message: l.message.clone(),
        })
        .collect();
    let code = d.code.as_str();
    lt::Diagnostic {
        range: range(doc, enc, span),
        severity: Some(match d.severity {
            Severity::Error => lt::DiagnosticSeverity::ERROR,
            Severity::Warning => lt::DiagnosticSeverity::WARNING,
        }),
        code: Some(lt::NumberOrString::String(code.to_string())),
        code_description: None,
        source: Some("splitdsl".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: crate::codes::explain(code).map(|text| {
            serde_json::json!({
                "explain": text,
                "command": format!("splitdsl check --explain {code}"),
            })
        }),
    }
}

// ---------------------------------------------------------------- hover

/// The agreement to read figures from: the current one, or the last one that
/// checked while the text has an error.
fn agreement(doc: &Document) -> Option<&Agreement> {
    doc.agreement().or(doc.last_good())
}

pub(super) fn hover(s: &mut Server, p: lt::HoverParams) -> R<Option<lt::Hover>> {
    let (doc, at) = at(s, &p.text_document_position_params)?;
    let mut md = String::new();
    let mut span = None;
    if let Some(sym) = doc.name_at(at) {
        span = Some(occurrence_at(sym, at));
        let about = About {
            kind: sym.kind.word(),
            name: &sym.name,
            ty: sym.ty,
            line: doc.lines().line(sym.definition.start),
            statement: sym.statement.text(doc.text()).trim(),
            table: matches!(sym.kind, SymbolKind::Table | SymbolKind::Brackets),
        };
        md.push_str(&symbol_markdown(doc, &about, at));
    } else if let Some(r) = live::recalled_at(doc, at) {
        // A name whose statement the current error hides: from the last
        // agreement that checked.
        let about = About {
            kind: r.kind,
            name: &r.name,
            ty: None,
            line: r.definition.map_or(0, |d| doc.lines().line(d.start)),
            statement: &r.statement,
            table: false,
        };
        md.push_str(&symbol_markdown(doc, &about, at));
    }
    // The explanation of each diagnostic under the cursor.
    for d in doc.diagnostics() {
        let Some(ds) = d.main_span() else { continue };
        if ds.start <= at && at <= ds.end {
            if let Some(text) = crate::codes::explain(d.code.as_str()) {
                if !md.is_empty() {
                    md.push_str("\n\n---\n\n");
                }
                md.push_str(&format!(
                    "**{}**: {}\n\n`splitdsl check --explain {}`",
                    d.code.as_str(),
                    text.trim(),
                    d.code.as_str()
                ));
                span.get_or_insert(ds);
            }
        }
    }
    if md.is_empty() {
        return Ok(None);
    }
    Ok(Some(lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value: md,
        }),
        range: span.map(|sp| range(doc, s.encoding, sp)),
    }))
}

/// The span of the occurrence of `sym` under `at`.
fn occurrence_at(sym: &Symbol, at: usize) -> Span {
    std::iter::once(sym.definition)
        .chain(sym.references.iter().copied())
        .find(|sp| sp.start <= at && at <= sp.end)
        .unwrap_or(sym.definition)
}

/// What a hover says about a name.
struct About<'a> {
    kind: &'static str,
    name: &'a str,
    ty: Option<crate::value::Ty>,
    /// 1-based, 0 when unknown.
    line: usize,
    statement: &'a str,
    table: bool,
}

fn symbol_markdown(doc: &Document, sym: &About<'_>, at: usize) -> String {
    let mut md = format!("**{}** `{}`", sym.kind, sym.name);
    if let Some(ty) = sym.ty {
        md.push_str(&format!(" — {ty}"));
    }
    if sym.line > 0 {
        md.push_str(&format!(" · line {}", sym.line));
    }
    md.push_str("\n\n```split\n");
    md.push_str(sym.statement);
    md.push_str("\n```\n");
    if sym.table {
        return md;
    }
    let Some(a) = agreement(doc) else {
        md.push_str("\n_no value: the agreement has not checked yet_\n");
        return md;
    };
    // The example block the cursor is in, when the text is the agreement's.
    let example = doc
        .agreement()
        .and_then(|a| live::example_at(a, at))
        .map(|(i, name)| (i, name.to_string()));
    let stale = doc.agreement().is_none();
    match live::explain(a, sym.name, example.as_ref().map(|(i, _)| *i)) {
        None => {}
        Some(Ok(node)) => {
            let sale = match &example {
                Some((_, name)) => format!("in example \"{name}\""),
                None => "for the defaults".to_string(),
            };
            let value = node.value.map_or("no value".into(), |v| v.to_string());
            md.push_str(&format!("\n**{} = {value}** {sale}", sym.name));
            if stale {
                md.push_str(" (last version that checked)");
            }
            md.push_str("\n\n```text\n");
            md.push_str(&explain_text(&node));
            md.push_str("```\n");
        }
        Some(Err(d)) => {
            md.push_str(&format!("\n_no value: {}_\n", d.message));
        }
    }
    md
}

/// The derivation tree as text, the first line (the name itself) left out.
fn explain_text(node: &Node) -> String {
    let rendered = node.render();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    let mut out = String::from(first);
    out.push('\n');
    for l in rest {
        out.push_str(l);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- navigation

pub(super) fn definition(
    s: &mut Server,
    p: lt::GotoDefinitionParams,
) -> R<Option<lt::GotoDefinitionResponse>> {
    let (doc, at) = at(s, &p.text_document_position_params)?;
    let uri = p.text_document_position_params.text_document.uri;
    let found = doc
        .definition_at(at)
        .or_else(|| live::recalled_at(doc, at).and_then(|r| r.definition));
    Ok(found.map(|sp| {
        lt::GotoDefinitionResponse::Scalar(lt::Location::new(uri, range(doc, s.encoding, sp)))
    }))
}

pub(super) fn references(s: &mut Server, p: lt::ReferenceParams) -> R<Vec<lt::Location>> {
    let (doc, at) = at(s, &p.text_document_position)?;
    let uri = &p.text_document_position.text_document.uri;
    let Some(sym) = doc.name_at(at) else {
        return Ok(Vec::new());
    };
    let decl = p.context.include_declaration.then_some(sym.definition);
    Ok(decl
        .into_iter()
        .chain(sym.references.iter().copied())
        .map(|sp| lt::Location::new(uri.clone(), range(doc, s.encoding, sp)))
        .collect())
}

pub(super) fn rename(s: &mut Server, p: lt::RenameParams) -> R<Option<lt::WorkspaceEdit>> {
    let (doc, at) = at(s, &p.text_document_position)?;
    let uri = p.text_document_position.text_document.uri;
    let Some(sym) = doc.name_at(at) else {
        return Err("there is no name here to rename".into());
    };
    let new = p.new_name.trim();
    if sym.kind == SymbolKind::Price {
        return Err("`price` is the agreement's gross amount: it cannot be renamed".into());
    }
    refuse_name(doc, new, &sym.name)?;
    let edits: Vec<lt::TextEdit> = std::iter::once(sym.definition)
        .chain(sym.references.iter().copied())
        .map(|sp| lt::TextEdit::new(range(doc, s.encoding, sp), new.to_string()))
        .collect();
    Ok(Some(lt::WorkspaceEdit::new(HashMap::from([(uri, edits)]))))
}

/// Why `new` cannot replace the name `old`, if it cannot.
fn refuse_name(doc: &Document, new: &str, old: &str) -> R<()> {
    let mut chars = new.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(format!(
            "`{new}` is not a name: letters, digits and `_`, not starting with a digit"
        ));
    }
    if crate::syntax::KEYWORDS.contains(&new) || new == "unallocated" || new == "price" {
        return Err(format!("`{new}` is a keyword or a reserved name"));
    }
    if crate::program::Builtin::from_name(new).is_some() {
        return Err(format!("`{new}` is the name of a built-in function"));
    }
    if new != old && doc.names().get(new).is_some() {
        return Err(format!("`{new}` is already the name of something else"));
    }
    Ok(())
}

// ---------------------------------------------------------------- outline

fn symbol_kind(kind: SymbolKind) -> lt::SymbolKind {
    match kind {
        SymbolKind::Price | SymbolKind::Input => lt::SymbolKind::VARIABLE,
        SymbolKind::Cell => lt::SymbolKind::FIELD,
        SymbolKind::Fee | SymbolKind::Share => lt::SymbolKind::PROPERTY,
        SymbolKind::Table | SymbolKind::Brackets => lt::SymbolKind::FUNCTION,
    }
}

#[allow(deprecated)] // DocumentSymbol::deprecated must be written
fn outline_entry(
    doc: &Document,
    enc: Encoding,
    name: String,
    detail: String,
    kind: lt::SymbolKind,
    whole: Span,
    name_span: Span,
) -> lt::DocumentSymbol {
    lt::DocumentSymbol {
        name,
        detail: Some(detail),
        kind,
        tags: None,
        deprecated: None,
        range: range(doc, enc, whole),
        selection_range: range(doc, enc, name_span),
        children: None,
    }
}

pub(super) fn symbols(
    s: &mut Server,
    p: lt::DocumentSymbolParams,
) -> R<Option<lt::DocumentSymbolResponse>> {
    let doc = s.doc(&p.text_document.uri)?;
    let enc = s.encoding;
    let mut out = Vec::new();
    for sym in doc.names().symbols() {
        let detail = match sym.ty {
            Some(ty) => format!("{} · {ty}", sym.kind.word()),
            None => sym.kind.word().to_string(),
        };
        let whole = sym.statement.to(sym.definition);
        out.push(outline_entry(
            doc,
            enc,
            sym.name.clone(),
            detail,
            symbol_kind(sym.kind),
            whole,
            sym.definition,
        ));
    }
    for stmt in &doc.ast().stmts {
        match &stmt.kind {
            StmtKind::Example { name, .. } => out.push(outline_entry(
                doc,
                enc,
                name.value.clone(),
                "example".into(),
                lt::SymbolKind::METHOD,
                stmt.span,
                name.span,
            )),
            StmtKind::Require { cond, message } => out.push(outline_entry(
                doc,
                enc,
                message
                    .as_ref()
                    .map_or_else(|| cond.span.one_line(doc.text()), |m| m.value.clone()),
                "require".into(),
                lt::SymbolKind::BOOLEAN,
                stmt.span,
                cond.span,
            )),
            _ => {}
        }
    }
    out.sort_by_key(|e| (e.range.start.line, e.range.start.character));
    Ok(Some(lt::DocumentSymbolResponse::Nested(out)))
}

// ---------------------------------------------------------------- completion

pub(super) fn completion(
    s: &mut Server,
    p: lt::CompletionParams,
) -> R<Option<lt::CompletionResponse>> {
    let (doc, at) = at(s, &p.text_document_position)?;
    let before = doc.text().get(..at).unwrap_or("");
    let prefix = crate::document::word_before(doc.text(), at);
    // No completion inside a comment or a quoted text.
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    if line.contains('#') || line.matches('"').count() % 2 == 1 {
        return Ok(None);
    }
    let mut items = Vec::new();
    for sym in doc.completions(at) {
        let kind = match sym.kind {
            SymbolKind::Table | SymbolKind::Brackets => lt::CompletionItemKind::FUNCTION,
            SymbolKind::Fee | SymbolKind::Share => lt::CompletionItemKind::FIELD,
            _ => lt::CompletionItemKind::VARIABLE,
        };
        let detail = match sym.ty {
            Some(ty) => format!("{} · {ty}", sym.kind.word()),
            None => sym.kind.word().to_string(),
        };
        items.push(item(&sym.name, kind, detail, "0"));
    }
    for kw in crate::syntax::KEYWORDS
        .iter()
        .filter(|k| k.starts_with(prefix))
    {
        items.push(item(
            kw,
            lt::CompletionItemKind::KEYWORD,
            "keyword".into(),
            "1",
        ));
    }
    for (name, _) in crate::program::Builtin::ALL
        .iter()
        .filter(|(n, _)| n.starts_with(prefix))
    {
        items.push(item(
            name,
            lt::CompletionItemKind::FUNCTION,
            "built-in function".into(),
            "2",
        ));
    }
    // Currency codes where a capital letter starts the word.
    if prefix.starts_with(|c: char| c.is_ascii_uppercase()) {
        for code in crate::value::Currency::all_codes().filter(|c| c.starts_with(prefix)) {
            let name = crate::value::Currency::from_code(code)
                .map_or(String::new(), |c| c.name().to_string());
            items.push(item(
                code,
                lt::CompletionItemKind::UNIT,
                format!("currency · {name}"),
                "3",
            ));
        }
    }
    Ok(Some(lt::CompletionResponse::Array(items)))
}

fn item(
    label: &str,
    kind: lt::CompletionItemKind,
    detail: String,
    rank: &str,
) -> lt::CompletionItem {
    lt::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        sort_text: Some(format!("{rank}{label}")),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- formatting

pub(super) fn formatting(
    s: &mut Server,
    p: lt::DocumentFormattingParams,
) -> R<Option<Vec<lt::TextEdit>>> {
    let doc = s.doc(&p.text_document.uri)?;
    match crate::fmt::format_source(doc.text()) {
        Ok(text) if text == doc.text() => Ok(Some(Vec::new())),
        Ok(text) => Ok(Some(vec![lt::TextEdit::new(
            range(doc, s.encoding, Span::new(0, doc.text().len())),
            text,
        )])),
        // A file with an error is left as it is (its diagnostics say why).
        Err(_) => Ok(None),
    }
}

// ---------------------------------------------------------------- inlay hints

/// After every fee, share and cell: its value for the defaults, and after a
/// deduction the pool it leaves (`→ 10.40 USD · pool 89.60`). From the last
/// agreement that checked while the text has an error, placed by name.
pub(super) fn inlay_hints(s: &mut Server, p: lt::InlayHintParams) -> R<Option<Vec<lt::InlayHint>>> {
    let doc = s.doc(&p.text_document.uri)?;
    let Some(a) = agreement(doc) else {
        return Ok(Some(Vec::new()));
    };
    let Ok(figures) = live::figures(a) else {
        return Ok(Some(Vec::new()));
    };
    let from = offset(doc, s.encoding, p.range.start);
    let to = offset(doc, s.encoding, p.range.end);
    let symbols = doc.names().symbols();
    let by_name: HashMap<&str, &Symbol> = symbols.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut per_statement: HashMap<usize, usize> = HashMap::new();
    for sym in symbols {
        *per_statement.entry(sym.statement.start).or_default() += 1;
    }
    let mut hints = Vec::new();
    for f in &figures {
        let Some(sym) = by_name.get(f.name.as_str()) else {
            continue;
        };
        // A group share's members share one statement: each hint follows
        // its member's name; others follow the statement's line.
        let grouped = per_statement
            .get(&sym.statement.start)
            .copied()
            .unwrap_or(0)
            > 1;
        let anchor = if grouped {
            sym.definition.end
        } else {
            line_end(doc.text(), sym.statement.start)
        };
        if anchor < from || anchor > to {
            continue;
        }
        let value = f.value.map_or("no value".to_string(), |v| v.to_string());
        let label = match (&f.pool_after, f.kind) {
            (Some(pool), FigureKind::Fee | FigureKind::Share) => {
                format!("→ {value} · pool {pool}")
            }
            _ => format!("→ {value}"),
        };
        hints.push(lt::InlayHint {
            position: position(doc, s.encoding, anchor),
            label: lt::InlayHintLabel::String(label),
            kind: None,
            text_edits: None,
            tooltip: None,
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    Ok(Some(hints))
}

/// The end of the line that holds `at` (before a comment's `#` is not
/// looked for: the hint goes after the whole line).
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text[at..].find('\n').map_or(text.len(), |i| {
        let end = at + i;
        if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        }
    })
}

// ---------------------------------------------------------------- code lens

pub(super) fn code_lens(s: &mut Server, p: lt::CodeLensParams) -> R<Option<Vec<lt::CodeLens>>> {
    let doc = s.doc(&p.text_document.uri)?;
    let Some(a) = doc.agreement() else {
        return Ok(Some(Vec::new()));
    };
    let mut lenses = Vec::new();
    let lens = |span: Span, title: String| lt::CodeLens {
        range: range(doc, s.encoding, span),
        command: Some(lt::Command::new(title, "splitdsl.show".into(), None)),
        data: None,
    };
    for ex in live::check_examples(a) {
        let title = if let Some(d) = &ex.error {
            format!("✗ example fails: {}", d.message)
        } else if ex.passes() {
            format!("✓ example passes ({} expect)", ex.expects.len())
        } else {
            let mut parts: Vec<String> = ex
                .expects
                .iter()
                .filter(|e| !e.holds)
                .map(|e| {
                    let name = e.line.text(doc.text());
                    let name = name
                        .trim()
                        .trim_start_matches("expect")
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim();
                    format!(
                        "{name}: expected {}, actual {}",
                        shown(&e.expected),
                        shown(&e.actual)
                    )
                })
                .collect();
            parts.extend(ex.unmet.iter().map(|m| format!("require fails: {m}")));
            format!("✗ {}", parts.join("; "))
        };
        lenses.push(lens(ex.span, title));
    }
    match live::requirements(a) {
        Ok(reqs) => {
            for r in reqs {
                let values: Vec<String> = r
                    .operands
                    .iter()
                    .map(|(t, v)| format!("{t} = {v}"))
                    .collect();
                let verdict = if r.holds { "✓ holds" } else { "✗ fails" };
                let title = if values.is_empty() {
                    verdict.to_string()
                } else {
                    format!("{verdict}: {}", values.join(", "))
                };
                lenses.push(lens(r.span, title));
            }
        }
        Err(d) => {
            for r in &a.program.requirements {
                lenses.push(lens(r.span, format!("✗ no value: {}", d.message)));
            }
        }
    }
    Ok(Some(lenses))
}

fn shown(v: &Result<crate::value::Value, String>) -> String {
    match v {
        Ok(v) => v.to_string(),
        Err(m) => m.clone(),
    }
}

// ---------------------------------------------------------------- code actions

pub(super) fn code_actions(
    s: &mut Server,
    p: lt::CodeActionParams,
) -> R<Option<Vec<lt::CodeActionOrCommand>>> {
    let doc = s.doc(&p.text_document.uri)?;
    let uri = p.text_document.uri;
    let enc = s.encoding;
    let from = offset(doc, enc, p.range.start);
    let to = offset(doc, enc, p.range.end);
    let touches = |sp: Span| sp.start <= to && from <= sp.end;
    let mut actions = Vec::new();
    let edit_action = |title: String, sp: Span, text: String, diag: Option<lt::Diagnostic>| {
        lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
            title,
            kind: Some(lt::CodeActionKind::QUICKFIX),
            diagnostics: diag.map(|d| vec![d]),
            edit: Some(lt::WorkspaceEdit::new(HashMap::from([(
                uri.clone(),
                vec![lt::TextEdit::new(range(doc, enc, sp), text)],
            )]))),
            command: None,
            is_preferred: Some(true),
            disabled: None,
            data: None,
        })
    };
    // Each "did you mean" becomes a quick fix that writes the suggestion.
    for d in doc.diagnostics() {
        let Some(sp) = d.main_span() else { continue };
        if !touches(sp) {
            continue;
        }
        let Some(suggestion) = d.help.as_deref().and_then(suggested) else {
            continue;
        };
        let old = sp.text(doc.text());
        if old == suggestion {
            continue;
        }
        actions.push(edit_action(
            format!("Replace `{old}` with `{suggestion}`"),
            sp,
            suggestion.to_string(),
            Some(diagnostic(doc, &uri, enc, d)),
        ));
    }
    // A failing `expect` offers to accept the actual value.
    if let Some(a) = doc.agreement() {
        for ex in live::check_examples(a) {
            for e in ex.expects.iter().filter(|e| !e.holds && touches(e.line)) {
                if let Ok(actual) = e.actual {
                    actions.push(edit_action(
                        format!("Accept the actual value {actual}"),
                        e.expected_span,
                        actual.to_string(),
                        None,
                    ));
                }
            }
        }
    }
    Ok(Some(actions))
}

/// The name a help line suggests: "did you mean `X`?" or "did you mean the
/// keyword `X`?".
fn suggested(help: &str) -> Option<&str> {
    let rest = help.split("did you mean ").nth(1)?;
    let rest = rest.strip_prefix("the keyword ").unwrap_or(rest);
    let rest = rest.strip_prefix('`')?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

// ---------------------------------------------------------------- tokens

pub(super) fn semantic_tokens(
    s: &mut Server,
    p: lt::SemanticTokensParams,
) -> R<Option<lt::SemanticTokensResult>> {
    let doc = s.doc(&p.text_document.uri)?;
    Ok(Some(lt::SemanticTokensResult::Tokens(lt::SemanticTokens {
        result_id: None,
        data: super::tokens::tokens(doc, s.encoding),
    })))
}
