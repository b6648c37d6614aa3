//! Lexical helpers for REPL lines: whether an entry is unfinished, splitting
//! on top-level commas, words and identifiers with their byte offsets.

use crate::span::Span;

/// Words that, ending a line, say that the entry goes on.
const CONTINUES: [&str; 10] = [
    "of", "and", "or", "not", "if", "then", "else", "when", "from", "step",
];

/// Whether `text` is an unfinished entry that continues on the next line:
/// an open `(` or `{`, an `if` without its `else`, or a last token that
/// needs something after it (`+`, `=`, `of`, `,`, …). A blank last line
/// ends an entry that is not inside braces, so a mistake cannot trap the
/// user in continuation lines.
pub fn is_incomplete(text: &str) -> bool {
    let mut parens = 0i64;
    let mut braces = 0i64;
    let mut ifs = 0i64;
    let mut elses = 0i64;
    let mut last: Option<String> = None;
    let mut tokens = 0usize;
    for line in text.lines() {
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !c.is_whitespace() && c != '#' {
                tokens += 1;
            }
            match c {
                '#' => break,
                '"' => {
                    let mut escaped = false;
                    for (_, d) in chars.by_ref() {
                        if escaped {
                            escaped = false;
                        } else if d == '\\' {
                            escaped = true;
                        } else if d == '"' {
                            break;
                        }
                    }
                    last = Some("\"".into());
                }
                '(' => {
                    parens += 1;
                    last = Some("(".into());
                }
                ')' => {
                    parens -= 1;
                    last = Some(")".into());
                }
                '{' => {
                    braces += 1;
                    last = Some("{".into());
                }
                '}' => {
                    braces -= 1;
                    last = Some("}".into());
                }
                c if c.is_alphanumeric() || c == '_' || c == '.' || c == '%' => {
                    let mut end = i + c.len_utf8();
                    while let Some(&(j, d)) = chars.peek() {
                        if d.is_alphanumeric() || d == '_' || d == '.' || d == '%' {
                            end = j + d.len_utf8();
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    let word = line.get(i..end).unwrap_or("");
                    match word {
                        "if" => ifs += 1,
                        "else" => elses += 1,
                        _ => {}
                    }
                    last = Some(word.to_string());
                }
                c if c.is_whitespace() => {}
                c => {
                    // Operators: glue two-character ones.
                    let mut op = c.to_string();
                    if let Some(&(_, d)) = chars.peek() {
                        if matches!((c, d), ('=', '=' | '>') | ('!' | '<' | '>', '=')) {
                            op.push(d);
                            chars.next();
                        }
                    }
                    last = Some(op);
                }
            }
        }
    }
    // `what if …` is a command, not an `if` waiting for its `else`; alone,
    // it is complete (its answer is its usage).
    let mut words = text.split_whitespace();
    if words.next() == Some("what") && words.next() == Some("if") {
        ifs -= 1;
        if tokens == 2 {
            return false;
        }
    }
    if braces > 0 {
        return true;
    }
    let blank_last = text.contains('\n')
        && text
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty());
    if blank_last {
        return false;
    }
    if parens > 0 || ifs > elses {
        return true;
    }
    match last.as_deref() {
        Some("+" | "-" | "*" | "/" | "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "=>" | ",") => {
            true
        }
        Some(w) => CONTINUES.contains(&w),
        None => false,
    }
}

/// Whether `c` may be part of a name.
pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `s` is a name (`snake_case` identifier, not starting with a digit).
pub fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && cs.all(is_ident_char)
}

/// The word starting at or after `pos` (skipping whitespace): its span.
pub fn word_at(s: &str, pos: usize) -> Option<Span> {
    let rest = s.get(pos..)?;
    let skip = rest.len() - rest.trim_start().len();
    let start = pos + skip;
    let len = s
        .get(start..)?
        .char_indices()
        .find(|(_, c)| !is_ident_char(*c))
        .map_or(s.len() - start, |(i, _)| i);
    (len > 0).then(|| Span::new(start, start + len))
}

/// The first position at or after `pos` that is not whitespace.
pub fn skip_ws(s: &str, pos: usize) -> usize {
    match s.get(pos..) {
        Some(rest) => pos + (rest.len() - rest.trim_start().len()),
        None => s.len(),
    }
}

/// Splits `s[span]` at commas outside parentheses and strings: the spans of the parts.
pub fn split_commas(s: &str, span: Span) -> Vec<Span> {
    let mut parts = Vec::new();
    let mut depth = 0i64;
    let mut in_str = false;
    let mut start = span.start;
    let text = span.text(s);
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '(' | '{' if !in_str => depth += 1,
            ')' | '}' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                parts.push(Span::new(start, span.start + i));
                start = span.start + i + 1;
            }
            _ => {}
        }
    }
    parts.push(Span::new(start, span.end));
    parts
}

/// Finds the first `=` of an assignment in `s[span]` (not `==`, `=>`, `!=`, `<=`, `>=`).
pub fn find_assign(s: &str, span: Span) -> Option<usize> {
    let text = span.text(s).as_bytes();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'=' {
            let prev = if i > 0 { text[i - 1] } else { b' ' };
            let next = text.get(i + 1).copied().unwrap_or(b' ');
            if !matches!(prev, b'=' | b'!' | b'<' | b'>') && !matches!(next, b'=' | b'>') {
                return Some(span.start + i);
            }
        }
        i += 1;
    }
    None
}

/// The span of `s[span]` without its surrounding whitespace.
pub fn trim_span(s: &str, span: Span) -> Span {
    let text = span.text(s);
    let lead = text.len() - text.trim_start().len();
    let trail = text.len() - text.trim_end().len();
    Span::new(span.start + lead, (span.end - trail).max(span.start + lead))
}

/// Finds the word `kw` (delimited by non-name characters) in `s[span]`.
pub fn find_word(s: &str, span: Span, kw: &str) -> Option<usize> {
    let text = span.text(s);
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(kw)) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text.get(at + kw.len()..).and_then(|t| t.chars().next());
        if !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char) {
            return Some(span.start + at);
        }
        from = at + kw.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_entries_continue() {
        assert!(is_incomplete("table t {"));
        assert!(is_incomplete("table t {\n 1 => 2"));
        assert!(!is_incomplete("table t {\n 1 => 2\n}"));
        assert!(is_incomplete("affiliate +"));
        assert!(is_incomplete("x = if a > 1"));
        assert!(is_incomplete("x = if a > 1 then 2"));
        assert!(!is_incomplete("x = if a > 1 then 2 else 3"));
        assert!(is_incomplete("min(a,"));
        assert!(is_incomplete("share x = 10% of"));
        assert!(!is_incomplete("share x = 10% of remaining"));
        assert!(!is_incomplete("producer # a comment with +"));
        assert!(!is_incomplete("agreement \"a { b\""));
        assert!(
            !is_incomplete("affiliate +\n"),
            "a blank line ends the entry"
        );
        assert!(is_incomplete("table t {\n\n"), "but not inside braces");
        assert!(!is_incomplete(""));
        assert!(!is_incomplete("what if price = 1"));
        assert!(is_incomplete("what if x = if a then 1"));
        assert!(
            !is_incomplete("what if"),
            "alone, `what if` prints its usage"
        );
        assert!(!is_incomplete("  what   if  # a comment"));
        assert!(is_incomplete("what if price ="));
    }

    #[test]
    fn splits_and_finds() {
        let s = "a = min(1, 2), b = 3";
        let parts = split_commas(s, Span::new(0, s.len()));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].text(s), " b = 3");
        assert_eq!(find_assign("x >= 3 = 4", Span::new(0, 10)), Some(7));
        assert_eq!(
            find_word("solve p so that q = 1", Span::new(0, 21), "so"),
            Some(8)
        );
        assert_eq!(word_at("  abc def", 0), Some(Span::new(2, 5)));
    }
}
