use super::ast::*;
use crate::diag::Diagnostic;
use crate::span::Span;
use chrono::NaiveDate;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::Token;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use rust_decimal::Decimal;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/splitdsl.pest"]
struct Grammar;

/// The deepest nesting of parentheses, blocks or sub-expressions accepted.
pub const MAX_DEPTH: usize = 1000;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::kw_or, Assoc::Left))
        .op(Op::infix(Rule::kw_and, Assoc::Left))
        .op(Op::prefix(Rule::kw_not))
        .op(Op::infix(Rule::op_compare, Assoc::Left))
        .op(Op::infix(Rule::op_sum, Assoc::Left))
        .op(Op::infix(Rule::op_product, Assoc::Left) | Op::infix(Rule::kw_of, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

/// Parses a whole file. Returns every statement that parsed and a
/// diagnostic for every one that did not: one bad statement does not hide
/// the others.
pub fn parse(src: &str) -> (File, Vec<Diagnostic>) {
    crate::stack::for_parse(nesting_bound(src), || parse_file(src))
}

fn parse_file(src: &str) -> (File, Vec<Diagnostic>) {
    parse_file_with(src, Some(BATCH))
}

/// [`parse_file`], with [`leading_statements`] reading about `batch` bytes a
/// parse, or without (`None`: every statement parsed alone, which the tests
/// compare it with).
fn parse_file_with(src: &str, batch: Option<usize>) -> (File, Vec<Diagnostic>) {
    let mut file = File {
        stmts: Vec::new(),
        comments: scan_comments(src),
        ..File::default()
    };
    let mut diags = Vec::new();
    if let Some(d) = check_nesting(src) {
        diags.push(d);
        file.has_syntax_errors = true;
        return (file, diags);
    }
    let mut pos = skip_trivia(src, 0);
    // The statements that parses of the text ahead read exactly as the loop
    // below would (most files: all of them), about [`BATCH`] bytes at a time, without a
    // parser a statement; the loop goes on from the first one that is not.
    while let (Some(batch), true) = (batch, pos < src.len()) {
        let (leading, next, complete) = leading_statements(src, pos, batch);
        file.stmts.reserve(leading.len());
        for (pair, start) in leading {
            match build_stmt(pair, pos) {
                Ok(stmt) => file.stmts.push(stmt),
                Err(d) => refuse(&mut file, &mut diags, d, &src[start..]),
            }
        }
        let went_on = next > pos;
        pos = next;
        if !complete || !went_on {
            break;
        }
    }
    while pos < src.len() {
        let rest = &src[pos..];
        // pest indexes the lines of all the text it is given on success:
        // parse up to the next line that starts a statement first (a
        // statement cannot continue into such a line), so that a file of
        // many statements is read in linear time; on failure, parse the
        // rest as before, for the same diagnostics.
        // pest's errors also cost time in proportion to the text: a failed
        // statement is parsed again with one more statement of context,
        // which gives the error of the whole rest unless it falls at the
        // window's end.
        let chunk_end = next_statement_line(src, pos);
        let parsed = match Grammar::parse(Rule::one_statement, &src[pos..chunk_end]) {
            Ok(pairs) => Ok(pairs),
            Err(_) => {
                let window = &src[pos..next_statement_line(src, chunk_end)];
                match Grammar::parse(Rule::one_statement, window) {
                    Err(e) if error_pos(&e) < window.trim_end().len() => Err(e),
                    _ => Grammar::parse(Rule::one_statement, rest),
                }
            }
        };
        match parsed {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { break };
                let end = span_of(&pair, pos).end;
                let after = skip_inline_space(src, end);
                if after < src.len() && !src[after..].starts_with(['\n', '#']) {
                    // The statement is broken: keep it out of the tree so
                    // that its half does not cause errors of its own.
                    refuse(&mut file, &mut diags, trailing_text(src, pos, after), rest);
                    pos = skip_trivia(src, next_statement_line(src, after));
                    continue;
                }
                match build_stmt(pair, pos) {
                    Ok(stmt) => file.stmts.push(stmt),
                    Err(d) => refuse(&mut file, &mut diags, d, rest),
                }
                pos = skip_trivia(src, after);
            }
            Err(e) => {
                let at = pos
                    + match e.location {
                        InputLocation::Pos(p) => p,
                        InputLocation::Span((p, _)) => p,
                    };
                refuse(&mut file, &mut diags, syntax_error(src, pos, at, &e.variant), rest);
                pos = skip_trivia(src, next_statement_line(src, at.max(pos)));
            }
        }
    }
    file.has_syntax_errors = !diags.is_empty();
    (file, diags)
}

/// About how much text one parse of [`leading_statements`] reads: its token
/// list stays small (and its memory is reused by the next one) however long
/// the file.
const BATCH: usize = 16 * 1024;

/// The statements from `start` on, up to the first line that looks like a
/// statement past `batch` bytes, that one pest parse of that text reads as
/// [`parse_file`]'s loop would, each with where it starts (spans are offset
/// by `start`); where the loop is to go on; and whether all of them were,
/// up to that line (so that the next ones may be read the same way).
///
/// The loop parses each statement alone, on the text up to the next line
/// that looks like a statement, and wants it to end at the end of a line.
/// A parse of more text gives the same statement when it ends before that
/// line: what a statement is depends only on the text it reads, and the
/// only thing the grammar reads past a statement's end is after white space
/// (an operator, `when`, `(`), which at a line that looks like a statement
/// fails or stops whether that line is there or not — so the loop's parse
/// of the shorter text ends in the same place. (The text given here ends at
/// such a line too, so it always holds the loop's.) A statement that ends
/// past that line, or not at a line's end, or does not start where the loop
/// would start the next one, stops the list: the loop takes it from there,
/// with all of its diagnostics.
fn leading_statements(
    src: &str,
    start: usize,
    batch: usize,
) -> (Vec<(Pair<'_, Rule>, usize)>, usize, bool) {
    let end = if src.len() - start > batch {
        next_statement_line(src, start + batch)
    } else {
        src.len()
    };
    let Ok(pairs) = Grammar::parse(Rule::statements, &src[start..end]) else {
        return (Vec::new(), start, false);
    };
    let read = pairs.len();
    let mut out = Vec::with_capacity(read);
    let mut pos = start;
    for pair in pairs {
        let span = span_of(&pair, start);
        let after = skip_inline_space(src, span.end);
        let at_line_end = after >= src.len() || src[after..].starts_with(['\n', '#']);
        let crosses = src[span.start..span.end]
            .match_indices('\n')
            .any(|(n, _)| looks_like_statement(line_at(src, span.start + n + 1)));
        if span.start != pos || !at_line_end || crosses {
            break;
        }
        out.push((pair, span.start));
        pos = skip_trivia(src, after);
    }
    let complete = out.len() == read && pos >= end;
    (out, pos, complete)
}

/// The line that starts at `at`, without its newline.
fn line_at(src: &str, at: usize) -> &str {
    let rest = &src[at..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

/// Where a pest error is, in bytes.
fn error_pos(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((p, _)) => p,
    }
}

/// A statement kept out of the tree: its diagnostic, and the name it seems
/// to define (so that uses of it do not cascade into errors of their own).
fn refuse(file: &mut File, diags: &mut Vec<Diagnostic>, d: Diagnostic, stmt: &str) {
    diags.push(d);
    if let Some(name) = defined_name(stmt) {
        file.broken_names.push(name);
    }
}

/// The name a statement that did not parse seems to define.
fn defined_name(stmt: &str) -> Option<String> {
    let mut words = stmt
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let first = words.next()?;
    let name = if ["input", "fee", "share", "table", "brackets"].contains(&first) {
        words.next()?
    } else {
        first
    };
    Some(name.to_string())
}

/// Parses one expression and nothing else (for `--set`, ledgers, the REPL).
pub fn parse_expr(src: &str) -> Result<Expr, Diagnostic> {
    crate::stack::for_parse(nesting_bound(src), || parse_one_expr(src))
}

fn parse_one_expr(src: &str) -> Result<Expr, Diagnostic> {
    if let Some(d) = check_nesting(src) {
        return Err(d);
    }
    match Grammar::parse(Rule::one_expr, src) {
        Ok(mut pairs) => match pairs.next() {
            Some(p) => build_expr(p, 0),
            None => Err(Diagnostic::error(
                crate::codes::SYNTAX_EXPECTED_EXPRESSION,
                "expected an expression",
            )
            .primary(Span::new(0, src.len()), "here")),
        },
        Err(e) => {
            let at = match e.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((p, _)) => p,
            };
            Err(syntax_error(src, 0, at, &e.variant))
        }
    }
}

/// Byte spans of every `#` comment (outside string literals).
pub fn scan_comments(src: &str) -> Vec<Span> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => i += 1,
            b'\n' => in_string = false,
            b'#' if !in_string => {
                let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
                out.push(Span::new(i, end));
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// An upper bound on how deeply the grammar recurses for `src`: the deepest
/// bracket nesting plus the number of `if`s, capped just above
/// [`MAX_DEPTH`] (every bracket and `if` is a level, so deeper input is
/// rejected anyway: pest's own stack guard stops it, see [`syntax_error`]),
/// to give the parser stack for that many levels.
fn nesting_bound(src: &str) -> usize {
    let cap = MAX_DEPTH + 2;
    let bytes = src.as_bytes();
    let (mut depth, mut deepest, mut ifs) = (0usize, 0usize, 0usize);
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'{' => {
                depth = depth.saturating_add(1);
                deepest = deepest.max(depth);
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            b'i' if bytes.get(i + 1) == Some(&b'f') => {
                let word =
                    |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                let before = i.checked_sub(1).and_then(|j| bytes.get(j));
                if !word(before) && !word(bytes.get(i + 2)) {
                    ifs = ifs.saturating_add(1);
                }
            }
            _ => {}
        }
    }
    deepest.min(MAX_DEPTH + 1).saturating_add(ifs).min(cap)
}

/// The diagnostic for input nested too deeply, at byte `at`.
fn too_deep(at: Span) -> Diagnostic {
    Diagnostic::error(
        crate::codes::LIMIT_NESTING,
        format!("this expression is nested more than {MAX_DEPTH} levels deep"),
    )
    .primary(at, "too deep")
    .help("split the expression into named cells")
}

/// Rejects nesting deeper than [`MAX_DEPTH`] before the recursive parser sees it.
fn check_nesting(src: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut opened = Vec::new();
    // On bytes: every character looked at is ASCII, and no byte of a
    // longer UTF-8 character is one. Other bytes change nothing unless they
    // follow a `\` (which they then end).
    for (i, &c) in src.as_bytes().iter().enumerate() {
        if !escaped && !matches!(c, b'\n' | b'\\' | b'"' | b'#' | b'(' | b')' | b'{' | b'}') {
            continue;
        }
        match c {
            b'\n' => {
                in_string = false;
                in_comment = false;
                escaped = false;
            }
            _ if in_comment => {}
            // An escape in a string (`\"`, `\\`) is text, not its end.
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'#' => in_comment = true,
            b'(' | b'{' => {
                depth += 1;
                if opened.len() < MAX_DEPTH + 1 {
                    opened.push(i);
                }
                if depth > MAX_DEPTH {
                    let first = opened.first().copied().unwrap_or(i);
                    return Some(
                        Diagnostic::error(
                            crate::codes::LIMIT_NESTING,
                            format!("this is nested more than {MAX_DEPTH} levels deep"),
                        )
                        .primary(Span::new(i, i + 1), "too deep here")
                        .secondary(
                            Span::new(first, first + 1),
                            "the outermost level opens here",
                        )
                        .help("split the expression into named cells"),
                    );
                }
            }
            b')' | b'}' => {
                depth = depth.saturating_sub(1);
                opened.pop();
            }
            _ => {}
        }
    }
    None
}

/// Skips white space and comments.
fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => pos = src[pos..].find('\n').map_or(src.len(), |n| pos + n),
            _ if src[pos..].starts_with('\u{FEFF}') => pos += '\u{FEFF}'.len_utf8(),
            _ => break,
        }
    }
    pos
}

fn skip_inline_space(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\r') {
        pos += 1;
    }
    pos
}

/// Words that cannot name a value; the first eight start statements.
pub const KEYWORDS: [&str; 21] = [
    "agreement",
    "rounding",
    "input",
    "fee",
    "share",
    "table",
    "require",
    "example",
    "given",
    "expect",
    "when",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "of",
    "remaining",
    "true",
    "false",
];

/// The keywords that can stand where a name stands, alone: a name typo may
/// mean one of these, never `not` or `of`.
pub const VALUE_KEYWORDS: [&str; 3] = ["remaining", "true", "false"];

/// The keywords that start a statement.
const STATEMENT_KEYWORDS: [&str; 8] = [
    KEYWORDS[0],
    KEYWORDS[1],
    KEYWORDS[2],
    KEYWORDS[3],
    KEYWORDS[4],
    KEYWORDS[5],
    KEYWORDS[6],
    KEYWORDS[7],
];

/// Whether the line starting at `line` looks like the start of a statement.
pub fn looks_like_statement(line: &str) -> bool {
    let t = line.trim_start();
    let word = &t[..t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len())];
    if word.is_empty() {
        return false;
    }
    if STATEMENT_KEYWORDS.contains(&word) {
        return true;
    }
    let after = t[word.len()..].trim_start();
    if (word == "brackets" && brackets_head(after))
        || (word == "running" && crate::syntax::running::starts_running(after))
    {
        return true;
    }
    after.starts_with('=') && !after.starts_with("==") && !after.starts_with("=>")
}

/// Whether `after` (the text after the word `brackets`) is `NAME {`: the
/// contextual word starts a statement only in that shape.
fn brackets_head(after: &str) -> bool {
    let name_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    name_len > 0 && after[name_len..].trim_start().starts_with('{')
}

/// The start of the first line after the one holding `at` that looks like a statement.
fn next_statement_line(src: &str, at: usize) -> usize {
    // On bytes: `at` need not be at a character's start (a newline is).
    let mut pos = src
        .as_bytes()
        .get(at..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
        .map_or(src.len(), |n| at + n + 1);
    while pos < src.len() {
        let end = src[pos..].find('\n').map_or(src.len(), |n| pos + n);
        if looks_like_statement(&src[pos..end]) {
            return pos;
        }
        pos = end + 1;
    }
    src.len()
}

/// The token at `at`, for messages.
fn token_at(src: &str, at: usize) -> (Span, String) {
    let rest = src.get(at..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return (Span::new(at, at), "the end of the file".into());
    };
    if c == '\n' || c == '\r' {
        return (Span::new(at, at), "the end of the line".into());
    }
    let len = if c.is_alphanumeric() || c == '_' || c == '.' {
        rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.'))
            .unwrap_or(rest.len())
    } else {
        c.len_utf8()
    };
    let text = &rest[..len];
    (Span::new(at, at + len), format!("`{text}`"))
}

fn trailing_text(src: &str, stmt_start: usize, at: usize) -> Diagnostic {
    let (span, tok) = token_at(src, at);
    if let Some(d) = currency_word(src, at, span) {
        return d;
    }
    if let Some(d) = bad_right_operand(src, stmt_start, at) {
        return d;
    }
    let d = Diagnostic::error(
        crate::codes::SYNTAX_TRAILING_TEXT,
        format!("unexpected {tok} after the end of the statement"),
    )
    .primary(span, "this is not part of the statement");
    let help = syntax_hint(src, stmt_start, at, span, &["an operator"]).unwrap_or_else(|| {
        "a statement ends at the end of its line; put the next statement on a new line".into()
    });
    d.help(help)
}

/// When a statement stops before a binary operator (`1.00 USD * ç`), the
/// grammar gave up on what follows the operator: the error is there, so it is
/// found by parsing the rest of the line as an expression.
fn bad_right_operand(src: &str, stmt_start: usize, at: usize) -> Option<Diagnostic> {
    let rest = src.get(at..)?;
    let op = ["==", "!=", "<=", ">=", "+", "-", "*", "/", "<", ">"]
        .into_iter()
        .find(|op| rest.starts_with(op))?;
    let line_end = rest.find('\n').map_or(src.len(), |n| at + n);
    let operand = skip_inline_space(src, at + op.len());
    if operand >= line_end || src[operand..].starts_with('#') {
        return None;
    }
    let e = Grammar::parse(Rule::expr, &src[operand..line_end]).err()?;
    Some(syntax_error(
        src,
        stmt_start,
        operand + error_pos(&e),
        &e.variant,
    ))
}

/// What a grammar rule means to a user, for "expected …" messages.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        expr | if_expr | reference | remaining | paren | date | quantity | num | boolean
        | kw_true | kw_false | kw_if | kw_remaining | op_neg | kw_not | primary | literal
        | range_lo | range_hi | single_key => "an expression",
        op_sum | op_product | kw_of | op_compare | kw_and | kw_or | infix => "an operator",
        ident => "a name",
        string | string_inner => "a quoted text",
        tok_assign => "`=`",
        tok_lbrace => "`{`",
        tok_rbrace => "`}`",
        tok_arrow => "`=>`",
        tok_dotdot => "`..`",
        tok_comma => "`,`",
        tok_colon => "`:`",
        group_member | group_weight => "a member of the group (`name [\"LABEL\"] [: WEIGHT]`)",
        tok_lparen => "`(`",
        tok_rparen => "`)`",
        kw_when => "`when`",
        kw_then => "`then`",
        kw_else => "`else`",
        kw_given | given_item => "`given`",
        kw_expect | expect_item => "`expect`",
        currency | unit => "a currency code such as `USD`",
        pct => "`%`",
        table_row | range_key => "a table row (`KEY => VALUE`)",
        brackets_row => "a band (`LOW..HIGH => RATE`)",
        brackets_stmt | kw_brackets => "a statement",
        agreement_stmt | rounding_stmt | input_stmt | deduction_stmt | group_stmt | table_stmt
        | require_stmt | example_stmt | running_stmt | cell_stmt | kw_agreement | kw_rounding | kw_input
        | kw_fee | kw_share | kw_table | kw_require | kw_example => "a statement",
        EOI => "the end of the input",
        _ => return None,
    })
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => "something else".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn syntax_error(
    src: &str,
    stmt_start: usize,
    at: usize,
    variant: &ErrorVariant<Rule>,
) -> Diagnostic {
    if let ErrorVariant::CustomError { message } = variant {
        // pest's own guard: `if`s nested beyond what the stack holds.
        if message.contains("limit reached") {
            return too_deep(token_at(src, at).0);
        }
    }
    if let Some(d) = non_ascii_name(src, stmt_start, at) {
        return d;
    }
    let (span, found) = token_at(src, at);
    if let Some(d) = currency_word(src, at, span) {
        return d;
    }
    let mut expected: Vec<&str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = variant {
        for r in positives {
            if let Some(w) = describe(*r) {
                if !expected.contains(&w) {
                    expected.push(w);
                }
            }
        }
    }
    let context = statement_context(src, stmt_start, at);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}{context}, found {found}", join_words(&expected))
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {} here", join_words(&expected))
    };
    let mut d = Diagnostic::error(crate::codes::SYNTAX_UNEXPECTED, message).primary(span, label);
    if expected.contains(&"`}`") {
        if let Some(open) = unclosed_brace(src, stmt_start, at) {
            d = d
                .secondary(Span::new(open, open + 1), "the block opens here")
                .help("a block opened with `{` must be closed with `}`");
            return d;
        }
    }
    if expected.contains(&"`)`") {
        if let Some(open) = unclosed_paren(src, stmt_start, at) {
            return d
                .secondary(Span::new(open, open + 1), "this `(` is not closed")
                .help("close it with `)`");
        }
    }
    d.maybe_help(syntax_hint(src, stmt_start, at, span, &expected))
}

/// A name with letters outside ASCII (`comissão`): the whole word, with an ASCII spelling.
fn non_ascii_name(src: &str, stmt_start: usize, at: usize) -> Option<Diagnostic> {
    let rest = src.get(at..)?;
    let first = rest.chars().next()?;
    if first.is_ascii() || !first.is_alphabetic() {
        return None;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = src[stmt_start.min(at)..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| stmt_start.min(at) + i);
    let end = at + rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
    let word = &src[start..end];
    let ascii: String = word.chars().map(fold_accent).collect();
    // A name being defined (`share comissão = …`) may keep its spelling as a
    // label; a name used in a formula is written as it was defined.
    let before = src[stmt_start.min(start)..start].trim();
    let defining = before.is_empty() || ["input", "fee", "share", "table"].contains(&before);
    let help = if defining {
        format!(
            "write `{ascii}`; labels in quotes may use any letters: `share {ascii} \"{word}\" = …`"
        )
    } else {
        format!("write `{ascii}`: names are ASCII where they are defined and where they are used")
    };
    Some(
        Diagnostic::error(
            crate::codes::NAME_NOT_ASCII,
            format!("`{word}` is not a valid name"),
        )
        .primary(
            Span::new(start, end),
            "names use ASCII letters, digits and `_`",
        )
        .help(help),
    )
}

fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
        _ => '_',
    }
}

/// The `{` between `from` and `to` that is not closed.
fn unclosed_brace(src: &str, from: usize, to: usize) -> Option<usize> {
    unclosed(src, from, to, '{', '}')
}

fn unclosed_paren(src: &str, from: usize, to: usize) -> Option<usize> {
    unclosed(src, from, to, '(', ')')
}

fn unclosed(src: &str, from: usize, to: usize, open: char, close: char) -> Option<usize> {
    let mut stack = Vec::new();
    for (i, c) in src.get(from..to)?.char_indices() {
        if c == open {
            stack.push(from + i);
        } else if c == close {
            stack.pop();
        }
    }
    stack.pop()
}

/// " after `fee hotmart`": the words of the statement before `at`, when short.
fn statement_context(src: &str, stmt_start: usize, at: usize) -> String {
    let at = at.min(src.len());
    let line_start = src[..at]
        .rfind('\n')
        .map_or(0, |n| n + 1)
        .max(stmt_start.min(at));
    let before = src[line_start..at].trim();
    if before.is_empty() || before.chars().count() > 40 || before.contains('#') {
        String::new()
    } else {
        format!(" after `{before}`")
    }
}

/// The word (or number) just before `at`.
fn word_before(src: &str, at: usize) -> &str {
    let before = src[..at.min(src.len())].trim_end_matches([' ', '\t']);
    // The end of the last character that is not part of a word (it may be
    // several bytes long: a BOM, an accented letter…).
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '%'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[start..]
}

/// A targeted hint for common mistakes.
fn syntax_hint(
    src: &str,
    stmt_start: usize,
    at: usize,
    span: Span,
    expected: &[&str],
) -> Option<String> {
    let text = span.text(src);
    let prev = word_before(src, at);
    let is_number = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
    };
    let is_code = |w: &str| w.len() == 3 && w.chars().all(|c| c.is_ascii_uppercase());
    if text == "%" {
        return Some(format!(
            "write the percent sign right after the number, with no space: `{prev}%`"
        ));
    }
    if (text == "," || text.starts_with('.')) && is_number(prev) {
        let rest: String = src[span.start..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '_'))
            .collect();
        let full = format!("{prev}{}", rest.trim_end_matches([',', '.', '_']));
        if let Some(h) = separator_hint(&full) {
            return Some(h);
        }
    }
    if is_code(prev) && is_number(text) {
        return Some(format!(
            "write the amount before the currency code: `{text} {prev}`"
        ));
    }
    if is_code(text) && !is_number(prev) {
        return Some(format!(
            "a currency code follows an amount: `100.00 {text}`"
        ));
    }
    if text == "=" {
        return Some("to compare two values, write `==`".into());
    }
    if let Some(k) = keyword_typo(src, stmt_start) {
        return Some(format!("did you mean `{k}`?"));
    }
    if expected.contains(&"an operator") && text.chars().next().is_some_and(|c| c.is_alphabetic()) {
        return Some(if prev.ends_with('%') || is_number(prev) {
            format!("is `of` missing? e.g. `{prev} of {text}`")
        } else {
            "is an operator missing? e.g. `35% of net`".into()
        });
    }
    if expected.contains(&"`=`") && !text.is_empty() {
        let before = src[stmt_start.min(at)..at].trim();
        if !before.is_empty() && before.len() <= 40 && !before.contains('\n') {
            return Some(format!("a definition needs `=`: `{before} = …`"));
        }
    }
    if text
        .chars()
        .next()
        .is_some_and(|c| !c.is_ascii() && c.is_alphabetic())
    {
        return Some("names use ASCII letters, digits and `_`, such as `acao`".into());
    }
    if expected == ["a name"] && !text.is_empty() {
        return Some("names are written in snake_case, such as `net_revenue`".into());
    }
    None
}

/// A hint for a number written with separators that splitdsl does not read
/// (`1,000.00`, `12,345,678.90`, `1.000,00`, `9,9`): the same value written
/// as splitdsl reads it. Where the writing is ambiguous (`1,000` may be one
/// thousand or one), both readings are named: a hint never changes a value
/// silently.
fn separator_hint(full: &str) -> Option<String> {
    if !full
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '_'))
    {
        return None;
    }
    let commas = full.matches(',').count();
    let points = full.matches('.').count();
    let last = full.rfind([',', '.'])?;
    let (before, after) = (&full[..last], &full[last + 1..]);
    let digits_only = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    // Thousands groups: 1 to 3 digits, then groups of exactly 3.
    let well_grouped = |s: &str, sep: char| {
        let mut groups = s.split(sep);
        groups.next().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
    };
    let unclear = || {
        Some("numbers have no thousands separator and decimals use a point, e.g. `1000.50` or `1_000.50`".to_string())
    };
    let (int, frac) = if commas > 0 && points > 0 {
        // Both: the last one separates the decimals, the other groups thousands.
        let dec = &full[last..=last];
        let group = if dec == "," { '.' } else { ',' };
        if before.contains(dec) || !well_grouped(before, group) {
            return unclear();
        }
        (digits_only(before), Some(digits_only(after)))
    } else if commas + points > 1 {
        // One separator, repeated: it groups thousands.
        let sep = if commas > 0 { ',' } else { '.' };
        if !well_grouped(full, sep) {
            return unclear();
        }
        (digits_only(full), None)
    } else if commas == 1 {
        let (b, a) = (digits_only(before), digits_only(after));
        if a.len() == 3 && !b.is_empty() && b != "0" {
            let whole = format!("{b}{a}");
            return Some(format!(
                "numbers have no thousands separator and decimals use a point: one thousand is \
                 written `{whole}` (or `{}`), and a number with three decimals `{b}.{a}`",
                group_thousands(&whole)
            ));
        }
        (b, Some(a))
    } else {
        return None;
    };
    if int.is_empty() || frac.as_deref() == Some("") {
        return None;
    }
    let (plain, grouped) = match &frac {
        Some(f) => (
            format!("{int}.{f}"),
            format!("{}.{f}", group_thousands(&int)),
        ),
        None => (int.clone(), group_thousands(&int)),
    };
    Some(if plain == grouped {
        format!("decimals use a point: write `{plain}`")
    } else if frac.is_some() && commas + points == 1 {
        format!("decimals use a point: write `{plain}` (or `{grouped}`)")
    } else {
        format!(
            "numbers have no thousands separator and decimals use a point: write `{plain}` \
             (or `{grouped}`)"
        )
    })
}

/// `1234567` as `1_234_567`.
fn group_thousands(int: &str) -> String {
    let n = int.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// A word after an amount that looks like a currency code written wrong
/// (`10.00 usd`, `Usd`, `EURO`): an unknown-currency error with the code it
/// may mean. A lowercase word that is no code (`35 price`) is not one.
fn currency_word(src: &str, at: usize, span: Span) -> Option<Diagnostic> {
    let word = span.text(src);
    let prev = word_before(src, at);
    let is_amount = !prev.is_empty()
        && prev
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        && prev.starts_with(|c: char| c.is_ascii_digit());
    if !is_amount
        || !(2..=8).contains(&word.len())
        || !word.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    if KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
        // `5 AND x`: a keyword in capitals, not a currency.
        return None;
    }
    let upper = word.to_ascii_uppercase();
    let all_caps = word == upper;
    let suggestion = if crate::value::Currency::from_code(&upper).is_some() {
        Some(upper.clone())
    } else if all_caps || word.starts_with(|c: char| c.is_ascii_uppercase()) {
        crate::diag::did_you_mean(&upper, crate::value::Currency::all_codes()).map(str::to_string)
    } else {
        None
    };
    if suggestion.is_none() && !all_caps {
        return None;
    }
    // A rate (`5.20 brl/usd`): the other code too.
    let per = src[span.end..]
        .trim_start_matches([' ', '\t'])
        .strip_prefix('/')
        .map(|r| {
            r.trim_start_matches([' ', '\t'])
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .filter(|c| crate::value::Currency::from_code(c).is_some())
        .map(|c| format!("/{c}"))
        .unwrap_or_default();
    let help = match &suggestion {
        Some(code) => {
            format!("write `{prev} {code}{per}`: currencies are ISO 4217 codes, in capitals")
        }
        None => "currencies are ISO 4217 codes, in capitals, such as USD, EUR, BRL, JPY".into(),
    };
    let message = match &suggestion {
        Some(code) => format!("unknown currency `{word}` — did you mean `{code}`?"),
        None => format!("unknown currency `{word}`"),
    };
    Some(
        Diagnostic::error(crate::codes::UNIT_UNKNOWN_CURRENCY, message)
            .primary(span, "not an ISO 4217 code")
            .help(help),
    )
}

/// When a statement starts with a misspelt keyword (`shre a = …`), the keyword.
fn keyword_typo(src: &str, stmt_start: usize) -> Option<&'static str> {
    let rest = src.get(stmt_start..)?;
    let mut words = rest.split_whitespace();
    let first = words.next()?;
    let second = words.next()?;
    // `NAME = …` is a cell; `WORD NAME …` with an unknown WORD may be a typo.
    if second.starts_with('=') || STATEMENT_KEYWORDS.contains(&first) {
        return None;
    }
    crate::diag::did_you_mean(first, STATEMENT_KEYWORDS)
}

// ---------------------------------------------------------------- building

/// The span of a pair, without the white space and comments that pest
/// leaves at the end of a rule ending in a repetition: it ends where its
/// last token ends.
fn span_of(pair: &Pair<Rule>, off: usize) -> Span {
    // The last token is the last leaf down the last children: read
    // backwards, a pair's tokens are its end, then the ends of its last
    // child, of that child's last child, …, down to a leaf, whose start
    // comes right after its end. O(depth), without building the children.
    let raw = raw_span(pair, off);
    let mut end = raw.end;
    for token in pair.clone().tokens().rev() {
        match token {
            Token::End { pos, .. } => end = pos.pos() + off,
            Token::Start { .. } => break,
        }
    }
    Span::new(raw.start, end)
}

/// The extent pest gives a pair (with any trailing white space), in O(1).
fn raw_span(pair: &Pair<Rule>, off: usize) -> Span {
    let s = pair.as_span();
    Span::new(s.start() + off, s.end() + off)
}

/// The children that carry meaning (punctuation dropped).
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::tok_assign
                | Rule::tok_lbrace
                | Rule::tok_rbrace
                | Rule::tok_arrow
                | Rule::tok_comma
                | Rule::tok_colon
                | Rule::tok_lparen
                | Rule::tok_rparen
                | Rule::tok_dotdot
        )
    })
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        crate::codes::INTERNAL,
        format!("internal error: malformed {what}"),
    )
    .primary(span, "here")
    .help("this is a bug in splitdsl; please report it with this file")
}

struct Cursor<'i> {
    it: std::iter::Peekable<Box<dyn Iterator<Item = Pair<'i, Rule>> + 'i>>,
    span: Span,
    off: usize,
}

impl<'i> Cursor<'i> {
    fn new(pair: Pair<'i, Rule>, off: usize) -> Self {
        // Only for internal errors: the pair's extent, trailing space and all.
        let span = raw_span(&pair, off);
        let it: Box<dyn Iterator<Item = Pair<'i, Rule>> + 'i> = Box::new(children(pair));
        Cursor {
            it: it.peekable(),
            span,
            off,
        }
    }

    fn next(&mut self, what: &str) -> Result<Pair<'i, Rule>, Diagnostic> {
        self.it.next().ok_or_else(|| internal(self.span, what))
    }

    fn peek_rule(&mut self) -> Option<Rule> {
        self.it.peek().map(|p| p.as_rule())
    }

    fn ident(&mut self) -> Result<Ident, Diagnostic> {
        let p = self.next("name")?;
        Ok(Ident {
            name: p.as_str().to_string(),
            span: span_of(&p, self.off),
        })
    }

    fn string(&mut self) -> Result<Str, Diagnostic> {
        let p = self.next("string")?;
        Ok(build_string(&p, self.off))
    }

    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        let p = self.next("expression")?;
        build_expr(p, self.off)
    }

    fn deep(&mut self) -> Result<Deep, Diagnostic> {
        let p = self.next("expression")?;
        build_deep(p, self.off)
    }

    /// A `when COND` clause, if the statement has one (its last part).
    fn opt_when(&mut self) -> Result<Option<Expr>, Diagnostic> {
        match self.it.next() {
            Some(w) => {
                let mut wc = Cursor::new(w, self.off);
                wc.next("when")?;
                Ok(Some(wc.expr()?))
            }
            None => Ok(None),
        }
    }

    fn opt_string(&mut self) -> Option<Str> {
        if self.peek_rule() == Some(Rule::string) {
            self.it.next().map(|p| build_string(&p, self.off))
        } else {
            None
        }
    }
}

fn build_string(p: &Pair<Rule>, off: usize) -> Str {
    let raw = p.as_str();
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            }
        } else {
            value.push(c);
        }
    }
    Str {
        value,
        span: span_of(p, off),
    }
}

fn build_stmt(pair: Pair<Rule>, off: usize) -> Result<Stmt, Diagnostic> {
    let rule = pair.as_rule();
    let span = span_of(&pair, off);
    let mut c = Cursor::new(pair, off);
    let kind = match rule {
        Rule::agreement_stmt => {
            c.next("keyword")?;
            StmtKind::Agreement { title: c.string()? }
        }
        Rule::rounding_stmt => {
            c.next("keyword")?;
            StmtKind::Rounding { mode: c.ident()? }
        }
        Rule::input_stmt => {
            c.next("keyword")?;
            let name = c.ident()?;
            StmtKind::Input {
                name,
                value: c.expr()?,
            }
        }
        Rule::running_stmt => {
            c.next("keyword")?;
            let name = c.ident()?;
            c.next("sum")?;
            c.next("of")?;
            let value = c.expr()?;
            let per = match c.it.next() {
                Some(p) => {
                    let mut pc = Cursor::new(p, off);
                    pc.next("per")?;
                    Some(pc.ident()?)
                }
                None => None,
            };
            StmtKind::Running { name, value, per }
        }
        Rule::cell_stmt => {
            let name = c.ident()?;
            StmtKind::Cell {
                name,
                value: c.expr()?,
            }
        }
        Rule::deduction_stmt => {
            let kw = c.next("keyword")?;
            let kind = if kw.as_rule() == Rule::kw_fee {
                DeductionKind::Fee
            } else {
                DeductionKind::Share
            };
            let keyword = span_of(&kw, off);
            let name = c.ident()?;
            let label = c.opt_string();
            let value = c.expr()?;
            let when = c.opt_when()?;
            StmtKind::Deduction {
                kind,
                keyword,
                name,
                label,
                value,
                when,
            }
        }
        Rule::group_stmt => {
            let keyword = span_of(&c.next("keyword")?, off);
            let mut members = Vec::new();
            while c.peek_rule() == Some(Rule::group_member) {
                let m = c.next("member")?;
                let mspan = span_of(&m, off);
                let mut mc = Cursor::new(m, off);
                let name = mc.ident()?;
                let label = mc.opt_string();
                let weight = match mc.it.next() {
                    Some(w) => {
                        let mut wc = Cursor::new(w, off);
                        Some(wc.expr()?)
                    }
                    None => None,
                };
                members.push(GroupMember {
                    name,
                    label,
                    weight,
                    span: mspan,
                });
            }
            let label = c.opt_string();
            let value = c.expr()?;
            let when = c.opt_when()?;
            StmtKind::Group {
                keyword,
                members,
                label,
                value,
                when,
            }
        }
        Rule::table_stmt => {
            c.next("keyword")?;
            let name = c.ident()?;
            let mut rows = Vec::new();
            for row in c.it.by_ref() {
                rows.push(build_row(row, off)?);
            }
            StmtKind::Table { name, rows }
        }
        Rule::brackets_stmt => {
            c.next("keyword")?;
            let name = c.ident()?;
            let mut rows = Vec::new();
            for row in c.it.by_ref() {
                rows.push(build_row(row, off)?);
            }
            StmtKind::Brackets { name, rows }
        }
        Rule::require_stmt => {
            c.next("keyword")?;
            let cond = c.expr()?;
            StmtKind::Require {
                cond,
                message: c.opt_string(),
            }
        }
        Rule::example_stmt => {
            c.next("keyword")?;
            let name = c.string()?;
            let mut items = Vec::new();
            for item in c.it.by_ref() {
                let kind = if item.as_rule() == Rule::given_item {
                    ItemKind::Given
                } else {
                    ItemKind::Expect
                };
                let item_span = span_of(&item, off);
                let mut ic = Cursor::new(item, off);
                ic.next("keyword")?;
                let name = ic.ident()?;
                let value = ic.expr()?;
                items.push(ExampleItem {
                    kind,
                    name,
                    value,
                    span: item_span,
                });
            }
            StmtKind::Example { name, items }
        }
        _ => return Err(internal(span, "statement")),
    };
    Ok(Stmt { kind, span })
}

fn build_row(row: Pair<Rule>, off: usize) -> Result<TableRow, Diagnostic> {
    let span = span_of(&row, off);
    let mut c = Cursor::new(row, off);
    let key_pair = c.next("table key")?;
    let key = if key_pair.as_rule() == Rule::range_key {
        let kspan = span_of(&key_pair, off);
        let mut lo = None;
        let mut hi = None;
        for part in children(key_pair) {
            let is_lo = part.as_rule() == Rule::range_lo;
            let mut pc = Cursor::new(part, off);
            let e = pc.expr()?;
            if is_lo {
                lo = Some(e);
            } else {
                hi = Some(e);
            }
        }
        TableKey::Range {
            lo,
            hi,
            span: kspan,
        }
    } else {
        let mut kc = Cursor::new(key_pair, off);
        TableKey::Value(kc.expr()?)
    };
    let value = c.expr()?;
    Ok(TableRow { key, value, span })
}

fn build_expr(pair: Pair<Rule>, off: usize) -> Result<Expr, Diagnostic> {
    build_deep(pair, off).map(|(e, _)| e)
}

/// An expression and its depth (a literal or a name is 1 deep).
type Deep = (Expr, usize);

/// One level deeper than `depths`, or the nesting error at `span`.
fn deeper(depths: &[usize], span: Span) -> Result<usize, Diagnostic> {
    let d = depths.iter().copied().max().unwrap_or(0).saturating_add(1);
    if d > MAX_DEPTH {
        Err(too_deep(span))
    } else {
        Ok(d)
    }
}

/// Builds an expression, counting its depth as it goes: a tree deeper than
/// [`MAX_DEPTH`] is never built, so no later pass (nor dropping it) can run
/// out of stack on it.
fn build_deep(pair: Pair<Rule>, off: usize) -> Result<Deep, Diagnostic> {
    crate::stack::guard(|| {
        let pairs: Pairs<Rule> = pair.into_inner();
        // The common shapes, a primary alone or `a OP b`, without the Pratt
        // machinery (which builds them the same way, left then right).
        let is_operator = |p: &Pair<Rule>| {
            matches!(
                p.as_rule(),
                Rule::op_neg
                    | Rule::kw_not
                    | Rule::op_sum
                    | Rule::op_product
                    | Rule::kw_of
                    | Rule::op_compare
                    | Rule::kw_and
                    | Rule::kw_or
            )
        };
        let mut it = pairs.clone();
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(a), None, None, None) if !is_operator(&a) => return build_primary(a, off),
            (Some(a), Some(op), Some(b), None)
                if !is_operator(&a) && is_operator(&op) && !is_operator(&b) =>
            {
                let lhs = build_primary(a, off);
                let rhs = build_primary(b, off);
                return build_infix(lhs, op, rhs, off);
            }
            _ => {}
        }
        // pest's Pratt parser recurses once per prefix operator: a long run of
        // `-` or `not` must be stopped before it.
        let mut run = 0usize;
        for p in pairs.clone() {
            if matches!(p.as_rule(), Rule::op_neg | Rule::kw_not) {
                run += 1;
                if run > MAX_DEPTH {
                    return Err(too_deep(span_of(&p, off)));
                }
            } else {
                run = 0;
            }
        }
        PRATT
            .map_primary(|p| build_primary(p, off))
            .map_prefix(|op, rhs| {
                let (rhs, depth) = rhs?;
                let op_span = span_of(&op, off);
                let span = op_span.to(rhs.span);
                let depth = deeper(&[depth], span)?;
                let un = if op.as_rule() == Rule::kw_not {
                    UnOp::Not
                } else {
                    UnOp::Neg
                };
                Ok((
                    Expr {
                        span,
                        kind: ExprKind::Unary(un, Box::new(rhs)),
                    },
                    depth,
                ))
            })
            .map_infix(|lhs, op, rhs| build_infix(lhs, op, rhs, off))
            .parse(pairs)
    })
}

/// `lhs OP rhs`, for the Pratt parser and the shortcut of [`build_deep`].
fn build_infix(
    lhs: Result<Deep, Diagnostic>,
    op: Pair<Rule>,
    rhs: Result<Deep, Diagnostic>,
    off: usize,
) -> Result<Deep, Diagnostic> {
    let ((lhs, ld), (rhs, rd)) = (lhs?, rhs?);
    let op_span = span_of(&op, off);
    // Every operator is left-associative: `a + b + c` is a flat
    // chain that grows to the left, as long as the text, not
    // nested. Only the right operand counts as a level deeper.
    let depth = deeper(&[ld.saturating_sub(1), rd], lhs.span.to(rhs.span))?;
    // One rule a precedence level: which operator is in its text.
    let bin = match (op.as_rule(), op.as_str()) {
        (Rule::op_sum, "+") => BinOp::Add,
        (Rule::op_sum, "-") => BinOp::Sub,
        (Rule::op_product, "*") => BinOp::Mul,
        (Rule::op_product, "/") => BinOp::Div,
        (Rule::kw_of, _) => BinOp::Of,
        (Rule::op_compare, "==") => BinOp::Eq,
        (Rule::op_compare, "!=") => BinOp::Ne,
        (Rule::op_compare, "<") => BinOp::Lt,
        (Rule::op_compare, "<=") => BinOp::Le,
        (Rule::op_compare, ">") => BinOp::Gt,
        (Rule::op_compare, ">=") => BinOp::Ge,
        (Rule::kw_and, _) => BinOp::And,
        (Rule::kw_or, _) => BinOp::Or,
        _ => return Err(internal(op_span, "operator")),
    };
    if bin.is_comparison() {
        for side in [&lhs, &rhs] {
            if let ExprKind::Binary(inner, ispan, _, _) = &side.kind {
                if inner.is_comparison() {
                    return Err(Diagnostic::error(
                        crate::codes::SYNTAX_CHAINED_COMPARISON,
                        "comparisons cannot be chained",
                    )
                    .primary(op_span, "second comparison")
                    .secondary(*ispan, "first comparison")
                    .help("join two comparisons with `and`: `a < b and b < c`"));
                }
            }
        }
    }
    Ok((
        Expr {
            span: lhs.span.to(rhs.span),
            kind: ExprKind::Binary(bin, op_span, Box::new(lhs), Box::new(rhs)),
        },
        depth,
    ))
}

fn decimal(text: &str, span: Span) -> Result<Decimal, Diagnostic> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    Decimal::from_str_exact(&clean).map_err(|_| {
        Diagnostic::error(
            crate::codes::LIMIT_NUMBER,
            format!("the number `{text}` is out of range"),
        )
        .primary(span, "too many digits")
        .help("numbers hold at most 28 significant digits")
    })
}

/// A date literal: a day that exists, in years 0000 to 9999.
fn date(text: &str, span: Span) -> Result<NaiveDate, Diagnostic> {
    let bad = |label: String| {
        Diagnostic::error(
            crate::codes::SYNTAX_BAD_DATE,
            format!("`{text}` is not a valid date"),
        )
        .primary(span, label)
    };
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next(), parts.next(), parts.next());
    if year.is_some_and(|y| y.len() > 4) {
        return Err(bad("date out of range".into())
            .help("dates run from 0000-01-01 to 9999-12-31: the year has four digits"));
    }
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(year), num(month), num(day)) else {
        return Err(bad("no such day".into()));
    };
    match NaiveDate::from_ymd_opt(i32::try_from(y).unwrap_or(i32::MAX), m, d) {
        Some(date) => Ok(date),
        None if !(1..=12).contains(&m) => Err(bad(format!("there is no month {m}"))
            .help("dates are written YYYY-MM-DD, e.g. `2025-03-10`")),
        None => {
            let days = (28..=31)
                .rev()
                .find(|&n| {
                    NaiveDate::from_ymd_opt(i32::try_from(y).unwrap_or(i32::MAX), m, n).is_some()
                })
                .unwrap_or(28);
            let month_name = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ]
            .get(usize::try_from(m).unwrap_or(0).wrapping_sub(1))
            .copied()
            .unwrap_or("this month");
            Err(bad("no such day".into()).help(format!("{month_name} {y:04} has {days} days")))
        }
    }
}

fn build_primary(p: Pair<Rule>, off: usize) -> Result<Deep, Diagnostic> {
    // An `if` ends with an expression: its span ends where its `else` branch
    // does, taken from the built branch below. Asking `span_of` would walk
    // down the whole `else if` chain at every level (quadratic).
    let mut span = if p.as_rule() == Rule::if_expr {
        raw_span(&p, off)
    } else {
        span_of(&p, off)
    };
    let mut depth = 1;
    let kind = match p.as_rule() {
        Rule::quantity => {
            let mut parts = p.into_inner();
            let Some(n) = parts.next() else {
                return Err(internal(span, "number"));
            };
            let value = decimal(n.as_str(), span)?;
            match parts.next() {
                None => ExprKind::Number(value),
                Some(q) if q.as_rule() == Rule::pct => ExprKind::Percent(value),
                Some(unit) => {
                    let mut codes = unit.into_inner().map(|c| Ident {
                        name: c.as_str().to_string(),
                        span: span_of(&c, off),
                    });
                    match (codes.next(), codes.next()) {
                        (Some(to), Some(from)) => ExprKind::Rate(value, to, from),
                        (Some(code), None) => ExprKind::Money(value, code),
                        _ => return Err(internal(span, "unit")),
                    }
                }
            }
        }
        Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
        Rule::date => ExprKind::Date(date(p.as_str(), span)?),
        Rule::remaining => ExprKind::Remaining,
        Rule::paren => {
            let mut c = Cursor::new(p, off);
            let (e, d) = c.deep()?;
            depth = deeper(&[d], span)?;
            ExprKind::Paren(Box::new(e))
        }
        Rule::if_expr => {
            let mut c = Cursor::new(p, off);
            c.next("if")?;
            let (cond, dc) = c.deep()?;
            c.next("then")?;
            let (a, da) = c.deep()?;
            c.next("else")?;
            let (b, db) = c.deep()?;
            span = Span::new(span.start, b.span.end);
            depth = deeper(&[dc, da, db], span)?;
            ExprKind::If(Box::new(cond), Box::new(a), Box::new(b))
        }
        Rule::reference => {
            let is_call = p
                .clone()
                .into_inner()
                .any(|x| x.as_rule() == Rule::tok_lparen);
            let mut c = Cursor::new(p, off);
            let f = c.ident()?;
            if is_call {
                let mut args = Vec::new();
                let mut depths = Vec::new();
                while c.peek_rule().is_some() {
                    let (a, d) = c.deep()?;
                    args.push(a);
                    depths.push(d);
                }
                depth = deeper(&depths, span)?;
                ExprKind::Call(f, args)
            } else {
                ExprKind::Name(f.name)
            }
        }
        _ => return Err(internal(span, "expression")),
    };
    Ok((Expr { kind, span }, depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The span of every pair, as the walk down the last children gives it.
    fn walked_span(pair: &Pair<Rule>) -> Span {
        let mut last = pair.clone();
        while let Some(child) = last.clone().into_inner().next_back() {
            last = child;
        }
        Span::new(pair.as_span().start(), last.as_span().end())
    }

    fn every_pair(pair: Pair<Rule>, out: &mut Vec<(Span, Span)>) {
        out.push((span_of(&pair, 0), walked_span(&pair)));
        for child in pair.into_inner() {
            every_pair(child, out);
        }
    }

    /// Lines to build files from: statements of every kind, lines that
    /// continue the one before, lines that look like statements and are
    /// not, non-ASCII names, and broken ones.
    const LINES: &[&str] = &[
        "price = 100.00 USD",
        "fee platform \"Platform\" = 9.9% of price + 0.50 USD",
        "share a = 10% of remaining when price > 50.00 USD",
        "share creator = remaining",
        "share (x, y \"Y\": 2) = 30% of remaining",
        "input n = 1",
        "agreement \"demo # not a comment\"",
        "rounding half_even",
        "x = 1 +",
        "  2",
        "y = (price",
        ")",
        "- 3",
        "and = 5",
        "when = 3",
        "of remaining",
        "z = f(1,",
        "  2)",
        "(1)",
        "table t {",
        "  1 => 2,",
        "}",
        "brackets b {",
        "  ..100.00 USD => 10%",
        "  100.00 USD.. => 5%",
        "}",
        "example \"e\" {",
        "  given price = 10.00 USD",
        "  expect a = 1.00 USD",
        "}",
        "running total = sum of price per seller",
        "require price > 0 \"positive\"",
        "w = if price > 1 then 2 else 3",
        "",
        "   ",
        "# a comment",
        "v = 5 # a comment after",
        "share = 3",
        "fee",
        "u = 5 5",
        "t = == 2",
        "k = 1 +  # dangling",
        "\u{feff}q = 2",
        "p = 1\r",
        "s = \"open",
        "brackets = 4",
        "running = 2",
        "share (m,",
        "  n \"N\": 1) = 10% of remaining",
        "\tt2 = 2 * (",
        "  3 + 4)",
        "comissão = 1",
        "table u { 1 => 2 }",
        "x = y",
        "  when = 2",
        "fee f = 1.00 USD when",
        "  price > 10.00 USD",
        "r = \"a # b\" # c",
        "example \"e2\" { given price = 1.00 USD }",
    ];

    proptest::proptest! {
        /// One parse of the whole file gives what parsing one statement at
        /// a time gives: the same tree, spans and diagnostics.
        #[test]
        fn whole_file_parse_agrees_with_one_statement_at_a_time(
            picks in proptest::collection::vec(0..LINES.len(), 0..24)
        ) {
            let src: String = picks.iter().map(|&i| format!("{}\n", LINES[i])).collect();
            let (each, each_diags) = parse_file_with(&src, None);
            // Batches of every size: one line, a few, the whole file.
            for batch in [1, 37, BATCH] {
                let (whole, whole_diags) = parse_file_with(&src, Some(batch));
                proptest::prop_assert_eq!(&whole, &each, "batch {}: {}", batch, src);
                proptest::prop_assert_eq!(
                    format!("{whole_diags:?}"),
                    format!("{each_diags:?}"),
                    "batch {}: {}",
                    batch,
                    src
                );
            }
        }
    }

    #[test]
    fn whole_file_parse_reads_a_valid_file_in_one_go() {
        let src = LINES[..7].join("\n");
        let (pairs, next, complete) = leading_statements(&src, 0, BATCH);
        assert_eq!((pairs.len(), next, complete), (7, src.len(), true));
        // A continued line ends the list where the loop must take over.
        let src = "a = 1\nb = 2 +\nc = 3\nd = 4\n";
        let (pairs, next, _) = leading_statements(src, 0, BATCH);
        assert_eq!((pairs.len(), &src[next..]), (1, "b = 2 +\nc = 3\nd = 4\n"));
        // A long file is read about BATCH bytes at a time, up to a line
        // that looks like a statement.
        let src: String = (0..BATCH / 4).map(|i| format!("c{i} = {i}\n")).collect();
        let (pairs, next, complete) = leading_statements(&src, 0, BATCH);
        assert!(complete);
        assert!(next > BATCH && next < BATCH + 20, "{next}");
        assert!(src[next..].starts_with(&format!("c{} = ", pairs.len())));
        let (file, diags) = parse_file_with(&src, Some(BATCH));
        assert!(diags.is_empty());
        assert_eq!(file, parse_file_with(&src, None).0);
        // Broken statements after the first batch, and then more.
        let src = format!("{src}x = 1 +\ny = (2\n{src}z = 3 3\n{src}");
        let (whole, whole_diags) = parse_file_with(&src, Some(BATCH));
        let (each, each_diags) = parse_file_with(&src, None);
        assert_eq!(whole_diags.len(), 3);
        assert_eq!(format!("{whole_diags:?}"), format!("{each_diags:?}"));
        assert_eq!(whole, each);
    }

    /// The grammar's `keyword` rule is exactly [`KEYWORDS`]: every keyword,
    /// and nothing else among their prefixes, extensions and neighbours.
    #[test]
    fn the_keyword_rule_is_the_keywords_list() {
        let mut words: Vec<String> = Vec::new();
        for k in KEYWORDS {
            for end in 0..=k.len() {
                words.push(k[..end].to_string());
            }
            for extra in ["s", "x", "_", "1"] {
                words.push(format!("{k}{extra}"));
            }
            words.push(k.to_uppercase());
            words.push(format!("x{k}"));
        }
        words.extend(["sum", "per", "running", "brackets", "price", "o", "of_", "oR"].map(String::from));
        for w in &words {
            let whole = Grammar::parse(Rule::keyword, w).is_ok_and(|p| p.as_str() == w.as_str());
            assert_eq!(whole, KEYWORDS.contains(&w.as_str()), "{w:?}");
            let name = Grammar::parse(Rule::ident, w).is_ok_and(|p| p.as_str() == w.as_str());
            let is_name = !w.is_empty()
                && !KEYWORDS.contains(&w.as_str())
                && w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            assert_eq!(name, is_name, "{w:?} as a name");
        }
    }

    #[test]
    fn span_of_reads_tokens_as_the_walk_down_the_last_children() {
        let src = "share a \"A\" = (10% of (price - 1.00 USD)) + 2 * x   # c\n\
                   when not (y > 3 and z == 2)   # trailing\n";
        let pairs = Grammar::parse(Rule::one_statement, src).expect("parses");
        let mut spans = Vec::new();
        for pair in pairs {
            every_pair(pair, &mut spans);
        }
        assert!(spans.len() > 20, "{}", spans.len());
        for (fast, walked) in spans {
            assert_eq!(fast, walked);
        }
        // The statement ends at `)`, not after the comment.
        let stmt = Grammar::parse(Rule::one_statement, src).expect("parses").next().expect("one");
        assert_eq!(&src[..span_of(&stmt, 0).end], src.split("   # trailing").next().unwrap_or(""));
    }
}
