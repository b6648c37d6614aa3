//! Text in aligned columns: widths measured in terminal columns (CJK and
//! emoji take two, combining marks none), padding that appends spaces
//! (never a `{:<width$}` format spec, whose width cannot exceed 65,535),
//! and the characters a label may not hold (they would break a table's
//! lines or reorder what it shows).

use crate::diag::Diagnostic;
use crate::span::Span;
use crate::syntax::ast::{self, StmtKind, Str};
use unicode_width::UnicodeWidthStr;

/// The display width of `s`, in terminal columns.
pub fn width(s: &str) -> usize {
    // Printable ASCII (every amount, most names) is one column a byte.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.len();
    }
    UnicodeWidthStr::width(s)
}

/// The display width of UTF-8 `b` (its length in bytes when it is not UTF-8).
pub fn width_of_bytes(b: &[u8]) -> usize {
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        return b.len();
    }
    std::str::from_utf8(b).map_or(b.len(), UnicodeWidthStr::width)
}

/// How a cell sits in its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text first, spaces after.
    Left,
    /// Spaces first, text after.
    Right,
}

/// Appends `s` to `out`, padded with spaces to `columns` display columns
/// (not cut when it is wider).
pub fn pad(out: &mut String, s: &str, columns: usize, align: Align) {
    let fill = columns.saturating_sub(width(s));
    if align == Align::Left {
        out.push_str(s);
    }
    spaces(out, fill);
    if align == Align::Right {
        out.push_str(s);
    }
}

/// Appends `n` spaces to `out` (in runs, not a character at a time).
pub fn spaces(out: &mut String, n: usize) {
    const RUN: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(RUN.len());
        out.push_str(&RUN[..k]);
        left -= k;
    }
}

/// `s` padded to `columns` on the right (left-aligned; for the tests).
#[cfg(test)]
fn left(s: &str, columns: usize) -> String {
    let mut out = String::with_capacity(s.len() + columns);
    pad(&mut out, s, columns, Align::Left);
    out
}

/// `s` padded to `columns` on the left (right-aligned; for the tests).
#[cfg(test)]
fn right(s: &str, columns: usize) -> String {
    let mut out = String::with_capacity(s.len() + columns);
    pad(&mut out, s, columns, Align::Right);
    out
}

/// The widest of `cells`, in display columns (0 when there is none).
pub fn column<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells.into_iter().map(width).max().unwrap_or(0)
}

/// `s` cut to at most `columns` display columns, ending with `ellipsis`
/// when it was cut.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // the command line's chart
pub fn clip(s: &str, columns: usize, ellipsis: &str) -> String {
    if width(s) <= columns {
        return s.to_string();
    }
    let room = columns.saturating_sub(width(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push_str(ellipsis);
    out
}

/// Whether a label may not hold `c`: a control character (a line break,
/// a tab, …), a line or paragraph separator, or a bidirectional embedding,
/// override or isolate (which reorder the text around them on screen).
pub fn refused(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// What `c` (a [`refused`] character) is, for messages.
fn describe(c: char) -> &'static str {
    match c {
        '\n' => "a line break",
        '\r' => "a carriage return",
        '\t' => "a tab",
        '\u{85}' => "a next-line character",
        '\u{2028}' => "a line separator",
        '\u{2029}' => "a paragraph separator",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidirectional-text control",
        _ => "a control character",
    }
}

/// A `splitdsl::label::control_char` error for every quoted text of `file`
/// (titles, labels, requirement messages, example names) that holds a
/// [`refused`] character, at the first such character (or escape).
pub fn label_errors(file: &ast::File, src: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for stmt in &file.stmts {
        if let StmtKind::Group { members, label, .. } = &stmt.kind {
            let labels = members.iter().filter_map(|m| m.label.as_ref());
            for t in label.iter().chain(labels) {
                if let Some(d) = label_error(t, src, "a label") {
                    out.push(d);
                }
            }
            continue;
        }
        let (text, what) = match &stmt.kind {
            StmtKind::Agreement { title } => (Some(title), "the agreement's title"),
            StmtKind::Deduction { label, .. } => (label.as_ref(), "a label"),
            StmtKind::Require { message, .. } => (message.as_ref(), "a requirement's message"),
            StmtKind::Example { name, .. } => (Some(name), "an example's name"),
            _ => (None, ""),
        };
        if let Some(d) = text.and_then(|t| label_error(t, src, what)) {
            out.push(d);
        }
    }
    out
}

fn label_error(t: &Str, src: &str, what: &str) -> Option<Diagnostic> {
    let count = t.value.chars().filter(|c| refused(*c)).count();
    let first = t.value.chars().find(|c| refused(*c))?;
    let code = format!("U+{:04X}", u32::from(first));
    // Where it is written: the character itself, or its escape (`\n`, `\t`).
    let raw = t.span.text(src);
    let at = raw.strip_prefix('"').and_then(|inner| {
        let base = t.span.start + 1;
        let mut it = inner.char_indices();
        while let Some((i, c)) = it.next() {
            if c == '\\' {
                let (j, e) = it.next()?;
                if matches!(e, 'n' | 't') {
                    let span = Span::new(base + i, base + j + 1);
                    return Some((span, format!("`\\{e}` writes {code}")));
                }
            } else if refused(c) {
                let span = Span::new(base + i, base + i + c.len_utf8());
                return Some((span, format!("{code} here")));
            }
        }
        None
    });
    let more = match count {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let d = Diagnostic::error(
        crate::codes::LABEL_CONTROL_CHAR,
        format!("{what} holds {} ({code}){more}", describe(first)),
    );
    let d = match at {
        Some((span, label)) => d.primary(span, label),
        None => d.primary(t.span, format!("holds {code}")),
    };
    Some(d.help(
        "quoted texts are shown on one line of a table, a statement or a chart: \
         remove the character, or write a space or ` - ` instead",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_shortcut_agrees_with_unicode_width() {
        let printable: String = (0x20u8..0x7f).map(char::from).collect();
        assert_eq!(
            width(&printable),
            UnicodeWidthStr::width(printable.as_str())
        );
        for s in ["", "José", "株式会社", "🎉 party", "a\u{301}", "tab\there"] {
            assert_eq!(width(s), UnicodeWidthStr::width(s), "{s:?}");
        }
    }

    #[test]
    fn pads_by_display_width() {
        assert_eq!(left("株式会社", 10), "株式会社  ");
        assert_eq!(right("Jose\u{301}", 6), "  Jose\u{301}");
        assert_eq!(left("🎉 party", 9), "🎉 party ");
        assert_eq!(left("too wide", 3), "too wide");
    }

    #[test]
    fn pads_beyond_what_a_format_width_allows() {
        let long = "x".repeat(70_000);
        assert_eq!(left("", 70_000), " ".repeat(70_000));
        assert_eq!(width(&right(&long, 70_001)), 70_001);
    }

    #[test]
    fn clips_by_display_width() {
        assert_eq!(clip("株式会社株式会社", 7, "…"), "株式会…");
        assert_eq!(width(&clip("株式会社株式会社", 7, "…")), 7);
        assert_eq!(clip("short", 7, "…"), "short");
    }
}
