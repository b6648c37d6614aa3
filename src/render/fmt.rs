//! `splitdsl fmt`: the canonical layout of a `.split` file.
//!
//! The formatter prints the syntax tree again ([`format_source`]):
//!
//! - one statement per line, one space around operators and `=`, literals
//!   spelt canonically (`100.00 USD`, `35%`, `5.20 BRL/USD`) with their
//!   digits kept as written (`100.00` stays `100.00`), strings re-escaped;
//! - the `=` of consecutive fees and shares aligned, and the `=>` of the
//!   rows of a table;
//! - `table`, `brackets` and `example` blocks with one row or line per line, indented
//!   by two spaces;
//! - the user's parentheses kept; a blank line kept wherever the source had
//!   one or more between two statements (or rows), none at the start of a
//!   block or before its `}`;
//! - every comment kept: an own-line comment stays before what it preceded
//!   (inside blocks too), a trailing comment stays on its line, at its
//!   column when the code fits before it, else two spaces after the code.
//!   A comment inside a statement that spans several lines moves onto its
//!   own line before the statement.
//!
//! The result is checked before it is returned: it must parse to the same
//! tree (spans aside) and hold the same comments, or formatting fails with
//! an internal error rather than change the meaning of a file.

use crate::diag::Diagnostic;
use crate::span::Span;
use crate::syntax::ast::*;
use crate::syntax::parse;
#[doc(hidden)] // takes the syntax tree, an internal (issue 13)
pub use crate::syntax::print::expr_text;

/// Formats `src`. Fails with the syntax errors of `src` (nothing is
/// formatted when the file does not parse).
///
/// ```
/// let out = splitdsl::fmt::format_source("price=100.00USD\nshare p=remaining\n").unwrap();
/// assert_eq!(out, "price = 100.00 USD\nshare p = remaining\n");
/// ```
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = parse(src);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let out = format_file(&file, src);
    verify(&file, src, &out)?;
    Ok(out)
}

/// Whether `src` is already in the canonical layout (`Err` when it does not parse).
pub fn is_formatted(src: &str) -> Result<bool, Vec<Diagnostic>> {
    format_source(src).map(|out| out == src)
}

/// A unified diff from `old` to `new`, with file headers named `name`.
pub fn diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}

/// The output must parse to the same tree and keep every comment.
fn verify(file: &File, src: &str, out: &str) -> Result<(), Vec<Diagnostic>> {
    let (again, diags) = parse(out);
    let same_tree =
        !diags.iter().any(Diagnostic::is_error) && strip_spans(&again) == strip_spans(file);
    let comments = |f: &File, s: &str| -> Vec<String> {
        f.comments
            .iter()
            .map(|c| c.text(s).trim_end().to_string())
            .collect()
    };
    if same_tree && comments(&again, out) == comments(file, src) {
        Ok(())
    } else {
        Err(vec![Diagnostic::error(
            crate::codes::INTERNAL_FMT,
            "internal error: formatting would change this file's meaning or comments; it was left alone",
        )
        .primary(Span::new(0, 0), "in this file")
        .help("this is a bug in splitdsl fmt; please report it with this file")])
    }
}

// ---------------------------------------------------------------- span-free trees

/// A copy of `file` with every span zeroed (and no comments), for comparing
/// two trees by structure alone.
#[doc(hidden)] // takes the syntax tree, an internal (issue 13)
pub fn strip_spans(file: &File) -> File {
    let mut stripped = File {
        stmts: file.stmts.clone(),
        ..File::default()
    };
    stripped.map_spans(&|_| Span::default());
    stripped
}

// ---------------------------------------------------------------- layout units

/// How a unit's line is split for alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    /// Not aligned.
    None,
    /// A fee or share: `HEAD = REST`.
    Deduction,
    /// A table row: `KEY => VALUE`.
    Row,
}

/// One output line of code and the source it came from.
#[derive(Debug)]
struct Unit {
    /// The source span comments are placed against.
    span: Span,
    /// The code before the aligned separator (or all of it).
    head: String,
    /// The separator and the code after it (empty when not aligned).
    rest: String,
    /// What aligns with what.
    align: Align,
    /// Indentation of the line.
    indent: usize,
    /// Indentation of the comments placed before it.
    comment_indent: usize,
    /// Opens a block: no blank line after it.
    opens: bool,
    /// Closes a block: no blank line before it.
    closes: bool,
    /// Own-line comments before it (and comments hoisted out of it).
    leading: Vec<Span>,
    /// The comment at the end of its line.
    trailing: Option<Span>,
}

impl Unit {
    fn new(span: Span, text: String) -> Self {
        Unit {
            span,
            head: text,
            rest: String::new(),
            align: Align::None,
            indent: 0,
            comment_indent: 0,
            opens: false,
            closes: false,
            leading: Vec::new(),
            trailing: None,
        }
    }
}

fn format_file(file: &File, src: &str) -> String {
    let mut units = Vec::new();
    for s in &file.stmts {
        stmt_units(s, src, &mut units);
    }
    let file_trailer = place_comments(&file.comments, src, &mut units);
    render(&units, &file_trailer, src)
}

fn stmt_units(s: &Stmt, src: &str, units: &mut Vec<Unit>) {
    let expr = |e: &Expr| expr_text(e, src);
    match &s.kind {
        StmtKind::Agreement { title } => {
            units.push(Unit::new(
                s.span,
                format!("agreement {}", quote(&title.value)),
            ));
        }
        StmtKind::Rounding { mode } => {
            units.push(Unit::new(s.span, format!("rounding {}", mode.name)));
        }
        StmtKind::Input { name, value } => {
            units.push(Unit::new(
                s.span,
                format!("input {} = {}", name.name, expr(value)),
            ));
        }
        StmtKind::Cell { name, value } => {
            units.push(Unit::new(
                s.span,
                format!("{} = {}", name.name, expr(value)),
            ));
        }
        StmtKind::Running { name, value, per } => {
            let mut text = format!("running {} = sum of {}", name.name, expr(value));
            if let Some(c) = per {
                text.push_str(" per ");
                text.push_str(&c.name);
            }
            units.push(Unit::new(s.span, text));
        }
        StmtKind::Deduction {
            kind,
            name,
            label,
            value,
            when,
            ..
        } => {
            let mut head = format!("{} {}", kind.keyword(), name.name);
            if let Some(l) = label {
                head.push(' ');
                head.push_str(&quote(&l.value));
            }
            let mut rest = format!("= {}", expr(value));
            if let Some(w) = when {
                rest.push_str(" when ");
                rest.push_str(&expr(w));
            }
            let mut u = Unit::new(s.span, head);
            u.rest = rest;
            u.align = Align::Deduction;
            units.push(u);
        }
        StmtKind::Group {
            members,
            label,
            value,
            when,
            ..
        } => {
            let mut head = crate::syntax::print::group_head(members, src);
            if let Some(l) = label {
                head.push(' ');
                head.push_str(&quote(&l.value));
            }
            let mut rest = format!("= {}", expr(value));
            if let Some(w) = when {
                rest.push_str(" when ");
                rest.push_str(&expr(w));
            }
            let mut u = Unit::new(s.span, head);
            u.rest = rest;
            // Not aligned: a group's head is long and would push its
            // neighbours' `=` far to the right.
            u.align = Align::None;
            units.push(u);
        }
        StmtKind::Require { cond, message } => {
            let mut text = format!("require {}", expr(cond));
            if let Some(m) = message {
                text.push(' ');
                text.push_str(&quote(&m.value));
            }
            units.push(Unit::new(s.span, text));
        }
        StmtKind::Table { name, rows } | StmtKind::Brackets { name, rows } => {
            let brace = open_brace(src, name.span.end, s.span);
            let keyword = match s.kind {
                StmtKind::Brackets { .. } => "brackets",
                _ => "table",
            };
            let mut header = Unit::new(
                Span::new(s.span.start, brace),
                format!("{keyword} {} {{", name.name),
            );
            header.opens = true;
            units.push(header);
            for r in rows {
                let key = match &r.key {
                    TableKey::Value(e) => expr(e),
                    TableKey::Range { lo, hi, .. } => format!(
                        "{}..{}",
                        lo.as_ref().map(&expr).unwrap_or_default(),
                        hi.as_ref().map(&expr).unwrap_or_default()
                    ),
                };
                let mut u = Unit::new(r.span, key);
                u.rest = format!("=> {}", expr(&r.value));
                u.align = Align::Row;
                u.indent = 2;
                u.comment_indent = 2;
                units.push(u);
            }
            units.push(close_unit(s.span));
        }
        StmtKind::Example { name, items } => {
            let brace = open_brace(src, name.span.end, s.span);
            let mut header = Unit::new(
                Span::new(s.span.start, brace),
                format!("example {} {{", quote(&name.value)),
            );
            header.opens = true;
            units.push(header);
            for i in items {
                let kw = match i.kind {
                    ItemKind::Given => "given",
                    ItemKind::Expect => "expect",
                };
                let mut u = Unit::new(i.span, format!("{kw} {} = {}", i.name.name, expr(&i.value)));
                u.indent = 2;
                u.comment_indent = 2;
                units.push(u);
            }
            units.push(close_unit(s.span));
        }
    }
}

fn close_unit(stmt: Span) -> Unit {
    let mut u = Unit::new(Span::new(stmt.end.saturating_sub(1), stmt.end), "}".into());
    u.closes = true;
    u.comment_indent = 2;
    u
}

/// One past the `{` that follows `from` (skipping blanks and comments).
fn open_brace(src: &str, from: usize, stmt: Span) -> usize {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < stmt.end {
        match bytes.get(i) {
            Some(b'{') => return i + 1,
            Some(b'#') => {
                i = src
                    .get(i..)
                    .and_then(|r| r.find('\n'))
                    .map_or(stmt.end, |n| i + n);
            }
            Some(_) => i += 1,
            None => break,
        }
    }
    from
}

/// Attaches each comment to a unit; returns the comments after the last one.
fn place_comments(comments: &[Span], src: &str, units: &mut [Unit]) -> Vec<Span> {
    let mut trailer = Vec::new();
    for &c in comments {
        // Inside a unit (a statement written over several lines): hoist it.
        if let Some(u) = units
            .iter_mut()
            .find(|u| u.span.start < c.start && c.start < u.span.end)
        {
            u.leading.push(c);
            continue;
        }
        let line_start = src
            .get(..c.start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |n| n + 1);
        let code_before = !src.get(line_start..c.start).unwrap_or("").trim().is_empty();
        if code_before {
            if let Some(u) = units
                .iter_mut()
                .rev()
                .find(|u| u.span.end <= c.start && u.span.end >= line_start && u.trailing.is_none())
            {
                u.trailing = Some(c);
                continue;
            }
        }
        match units.iter_mut().find(|u| u.span.start >= c.end) {
            Some(u) => u.leading.push(c),
            None => trailer.push(c),
        }
    }
    for u in units.iter_mut() {
        u.leading.sort();
    }
    trailer
}

/// Whether the source between `from` and `to` holds a blank line.
fn blank_between(src: &str, from: usize, to: usize) -> bool {
    if from >= to {
        return false;
    }
    let gap = src.get(from..to).unwrap_or("");
    let pieces = gap.split('\n').count();
    // The pieces between two newlines are whole lines.
    pieces >= 3
        && gap
            .split('\n')
            .skip(1)
            .take(pieces - 2)
            .any(|line| line.trim().is_empty())
}

fn render(units: &[Unit], trailer: &[Span], src: &str) -> String {
    // Blank lines: decided per emitted item (comment or code line).
    let mut lines: Vec<String> = Vec::new();
    let mut prev_end: Option<usize> = None;
    let mut prev_opens = false;
    // Alignment widths: per unit, the width of the head column.
    let widths = align_widths(units, src);
    for (k, u) in units.iter().enumerate() {
        for &c in &u.leading {
            if let Some(pe) = prev_end {
                if !prev_opens && blank_between(src, pe, c.start) {
                    lines.push(String::new());
                }
            }
            lines.push(format!(
                "{}{}",
                " ".repeat(u.comment_indent),
                comment_text(c, src)
            ));
            prev_end = Some(c.end);
            prev_opens = false;
        }
        if let Some(pe) = prev_end {
            if !prev_opens && !u.closes && blank_between(src, pe, u.span.start) {
                lines.push(String::new());
            }
        }
        let mut code = " ".repeat(u.indent);
        code.push_str(&u.head);
        if !u.rest.is_empty() {
            let w = widths.get(k).copied().unwrap_or(0);
            // In display columns: a label in CJK or emoji is twice as wide.
            let pad = w.saturating_sub(crate::textwidth::width(&u.head));
            code.push_str(&" ".repeat(pad + 1));
            code.push_str(&u.rest);
        }
        let mut end = u.span.end;
        if let Some(c) = u.trailing {
            let width = code.chars().count();
            let col = column(src, c.start);
            let at = if col >= width + 2 { col } else { width + 2 };
            code.push_str(&" ".repeat(at - width));
            code.push_str(comment_text(c, src));
            end = c.end;
        }
        lines.push(code);
        prev_end = Some(end.max(prev_end.unwrap_or(0)));
        prev_opens = u.opens;
    }
    for &c in trailer {
        if let Some(pe) = prev_end {
            if blank_between(src, pe, c.start) {
                lines.push(String::new());
            }
        }
        lines.push(comment_text(c, src).to_string());
        prev_end = Some(c.end);
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The head-column width of each aligned unit: the widest head of its group
/// (consecutive units of the same kind, not parted by a blank line).
fn align_widths(units: &[Unit], src: &str) -> Vec<usize> {
    let mut widths = vec![0; units.len()];
    let mut start = 0;
    while start < units.len() {
        let kind = units.get(start).map_or(Align::None, |u| u.align);
        let mut end = start + 1;
        if kind != Align::None {
            while let (Some(prev), Some(next)) = (units.get(end - 1), units.get(end)) {
                if next.align != kind || parted(prev, next, src) {
                    break;
                }
                end += 1;
            }
        }
        let group = units.get(start..end).unwrap_or(&[]);
        let w = group
            .iter()
            .map(|u| crate::textwidth::width(&u.head))
            .max()
            .unwrap_or(0);
        for slot in widths.iter_mut().take(end).skip(start) {
            *slot = w;
        }
        start = end;
    }
    widths
}

/// Whether a blank line will stand between two consecutive units.
fn parted(prev: &Unit, next: &Unit, src: &str) -> bool {
    let mut pe = prev
        .trailing
        .map_or(prev.span.end, |c| c.end)
        .max(prev.span.end);
    for &c in &next.leading {
        if blank_between(src, pe, c.start) {
            return true;
        }
        pe = c.end;
    }
    blank_between(src, pe, next.span.start)
}

/// A comment's text without trailing white space.
fn comment_text(c: Span, src: &str) -> &str {
    c.text(src).trim_end()
}

/// The 0-based column (in characters) of byte `at`.
fn column(src: &str, at: usize) -> usize {
    let line_start = src
        .get(..at)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |n| n + 1);
    src.get(line_start..at)
        .map_or(0, |s| s.trim_start_matches('\u{FEFF}').chars().count())
}

// ---------------------------------------------------------------- expressions

use crate::syntax::print::quote;
