//! Semantic tokens: a scan of the text (comments, quoted texts, numbers,
//! keywords, currency codes, operators) with each name coloured by what the
//! names table says it is (a table is a function, a fee or share a property,
//! an input a parameter, a cell a variable; its definition marked).

use super::{position, Encoding};
use crate::document::{Document, SymbolKind};
use lsp_types as lt;

const TYPES: [lt::SemanticTokenType; 10] = [
    lt::SemanticTokenType::KEYWORD,
    lt::SemanticTokenType::COMMENT,
    lt::SemanticTokenType::STRING,
    lt::SemanticTokenType::NUMBER,
    lt::SemanticTokenType::OPERATOR,
    lt::SemanticTokenType::VARIABLE,
    lt::SemanticTokenType::PARAMETER,
    lt::SemanticTokenType::PROPERTY,
    lt::SemanticTokenType::FUNCTION,
    lt::SemanticTokenType::TYPE,
];
const KEYWORD: u32 = 0;
const COMMENT: u32 = 1;
const STRING: u32 = 2;
const NUMBER: u32 = 3;
const OPERATOR: u32 = 4;
const VARIABLE: u32 = 5;
const PARAMETER: u32 = 6;
const PROPERTY: u32 = 7;
const FUNCTION: u32 = 8;
const TYPE: u32 = 9;
const DECLARATION: u32 = 1;

/// The legend the server announces.
pub(super) fn legend() -> lt::SemanticTokensLegend {
    lt::SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![lt::SemanticTokenModifier::DECLARATION],
    }
}

/// Words that are keywords beyond the ones that cannot name a value.
const MORE_KEYWORDS: [&str; 5] = ["brackets", "running", "sum", "per", "price"];

/// The tokens of `doc`, encoded relative to each other.
pub(super) fn tokens(doc: &Document, enc: Encoding) -> Vec<lt::SemanticToken> {
    let text = doc.text();
    let bytes = text.as_bytes();
    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'#' => {
                i = text[i..].find('\n').map_or(text.len(), |n| i + n);
                raw.push((start, i, COMMENT, 0));
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                if bytes.get(i.saturating_sub(1)) == Some(&b'\n') {
                    i -= 1;
                }
                raw.push((start, i, STRING, 0));
            }
            b'0'..=b'9' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'_' | b'-'))
                {
                    // `1..5` is two numbers around an operator.
                    if bytes[i] == b'.' && bytes.get(i + 1) == Some(&b'.') {
                        break;
                    }
                    // A minus is part of a date (`2025-03-10`) only.
                    if bytes[i] == b'-' && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        break;
                    }
                    i += 1;
                }
                if bytes.get(i) == Some(&b'%') {
                    i += 1;
                }
                raw.push((start, i, NUMBER, 0));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let (ty, modifiers) = word_type(doc, word, start);
                raw.push((start, i, ty, modifiers));
            }
            b'+' | b'-' | b'*' | b'/' | b'=' | b'<' | b'>' | b'!' | b'.' => {
                // One character, or two: `==`, `<=`, `>=`, `!=`, `=>`, `..`.
                i += 1;
                if matches!(bytes.get(i), Some(b'=' | b'>' | b'.')) {
                    i += 1;
                }
                raw.push((start, i, OPERATOR, 0));
            }
            _ => {
                // Any other character, whole (never inside a UTF-8 sequence).
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    let (mut last_line, mut last_col) = (0u32, 0u32);
    for (start, end, ty, modifiers) in raw {
        let a = position(doc, enc, start);
        let b = position(doc, enc, end);
        if a.line != b.line || b.character <= a.character {
            continue;
        }
        let delta_line = a.line - last_line;
        let delta_start = if delta_line == 0 {
            a.character - last_col
        } else {
            a.character
        };
        out.push(lt::SemanticToken {
            delta_line,
            delta_start,
            length: b.character - a.character,
            token_type: ty,
            token_modifiers_bitset: modifiers,
        });
        last_line = a.line;
        last_col = a.character;
    }
    out
}

fn word_type(doc: &Document, word: &str, at: usize) -> (u32, u32) {
    if let Some(sym) = doc.name_at(at).filter(|s| s.name == word) {
        let ty = match sym.kind {
            SymbolKind::Table | SymbolKind::Brackets => FUNCTION,
            SymbolKind::Fee | SymbolKind::Share => PROPERTY,
            SymbolKind::Price | SymbolKind::Input => PARAMETER,
            _ => VARIABLE,
        };
        let modifiers = if sym.definition.start == at {
            DECLARATION
        } else {
            0
        };
        return (ty, modifiers);
    }
    if crate::syntax::KEYWORDS.contains(&word) || MORE_KEYWORDS.contains(&word) {
        return (KEYWORD, 0);
    }
    if crate::program::Builtin::from_name(word).is_some() {
        return (FUNCTION, 0);
    }
    if word.len() == 3 && crate::value::Currency::from_code(word).is_some() {
        return (TYPE, 0);
    }
    if crate::value::Rounding::from_name(word).is_some() {
        return (KEYWORD, 0);
    }
    (VARIABLE, 0)
}
