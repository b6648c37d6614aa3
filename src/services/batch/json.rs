//! JSON Lines records: one object a line, split into the ledger's columns.
//!
//! A flat line of printable ASCII (what ledgers hold) is read on bytes;
//! serde_json reads and checks every other line (any JSON, escapes,
//! numbers), and decides every error. Either way nothing is copied that need
//! not be: keys are compared where they lie in the line (unless they hold an
//! escape), values are found as raw spans and a string's text is its bytes
//! between the quotes (unless it holds an escape). So a line costs one pass
//! and no allocation.

use super::source::{Cells as Fields, SyntaxError};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A key as the parser gives it: borrowed from the line, or decoded from
/// escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(s))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads one object, calling `each(key, span of the raw value)` for every
/// entry in order; an error when the line is not one JSON object.
///
/// A flat line of plain text (what ledgers hold) is read by [`flat`], on
/// bytes; any other line by serde_json. Both give the same entries.
fn entries<F: FnMut(&[u8], (usize, usize))>(rec: &[u8], mut each: F) -> Result<(), SyntaxError> {
    let mut found: [Found; STACK] = [((0, 0), (0, 0)); STACK];
    if let Some(n) = flat(rec, &mut found) {
        for &((ka, kb), value) in found.iter().take(n) {
            each(rec.get(ka..kb).unwrap_or_default(), value);
        }
        return Ok(());
    }
    entries_serde(rec, each)
}

/// Reads a line that is a flat JSON object of at most [`STACK`] entries
/// whose keys and strings are printable ASCII without escapes and whose
/// values are strings, numbers, `true`, `false` or `null`: the spans of
/// each key (inside its quotes) and raw value, and how many. `None` for
/// anything else — not necessarily bad JSON: serde_json decides.
fn flat(rec: &[u8], out: &mut [Found; STACK]) -> Option<usize> {
    let ws = |i: &mut usize| {
        while matches!(rec.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    // A string from its opening quote at `i`: the span inside the quotes.
    let string = |i: &mut usize| -> Option<(usize, usize)> {
        if rec.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let mut j = start;
        loop {
            match *rec.get(j)? {
                b'"' => break,
                b'\\' => return None,
                0x20..=0x7E => j += 1,
                _ => return None,
            }
        }
        *i = j + 1;
        Some((start, j))
    };
    let digits = |i: &mut usize| -> usize {
        let from = *i;
        while rec.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let mut i = 0;
    ws(&mut i);
    if rec.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    ws(&mut i);
    let mut n = 0;
    if rec.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let key = string(&mut i)?;
            ws(&mut i);
            if rec.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
            ws(&mut i);
            let start = i;
            match *rec.get(i)? {
                b'"' => {
                    string(&mut i)?;
                }
                b't' if rec.get(i..i + 4) == Some(b"true") => i += 4,
                b'f' if rec.get(i..i + 5) == Some(b"false") => i += 5,
                b'n' if rec.get(i..i + 4) == Some(b"null") => i += 4,
                b'-' | b'0'..=b'9' => {
                    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
                    if rec.get(i) == Some(&b'-') {
                        i += 1;
                    }
                    match rec.get(i) {
                        Some(b'0') => i += 1,
                        Some(b'1'..=b'9') => {
                            digits(&mut i);
                        }
                        _ => return None,
                    }
                    if rec.get(i) == Some(&b'.') {
                        i += 1;
                        if digits(&mut i) == 0 {
                            return None;
                        }
                    }
                    if matches!(rec.get(i), Some(b'e' | b'E')) {
                        i += 1;
                        if matches!(rec.get(i), Some(b'+' | b'-')) {
                            i += 1;
                        }
                        if digits(&mut i) == 0 {
                            return None;
                        }
                    }
                }
                _ => return None,
            }
            *out.get_mut(n)? = (key, (start, i));
            n += 1;
            ws(&mut i);
            match rec.get(i) {
                Some(b',') => {
                    i += 1;
                    ws(&mut i);
                }
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    ws(&mut i);
    (i == rec.len()).then_some(n)
}

/// [`entries`] by serde_json.
fn entries_serde<F: FnMut(&[u8], (usize, usize))>(rec: &[u8], each: F) -> Result<(), SyntaxError> {
    struct Seed<F> {
        base: usize,
        each: F,
    }
    impl<'de, F: FnMut(&[u8], (usize, usize))> Visitor<'de> for Seed<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let raw: &'de RawValue = map.next_value()?;
                let s = raw.get();
                let start = (s.as_ptr() as usize).saturating_sub(self.base);
                (self.each)(key.as_str().as_bytes(), (start, start + s.len()));
            }
            Ok(())
        }
    }
    impl<'de, F: FnMut(&[u8], (usize, usize))> DeserializeSeed<'de> for Seed<F> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(rec);
    Seed {
        base: rec.as_ptr() as usize,
        each,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| SyntaxError {
        code: crate::codes::BATCH_BAD_JSON,
        message: format!("not a JSON object: {e}"),
        span: (0, rec.len()),
        help: Some(
            "write one JSON object per line, e.g. {\"sale_id\": \"S1\", \"price\": \"100.00\"}"
                .into(),
        ),
    })
}

/// The text of a raw JSON value: a string's content (borrowed unless it
/// holds an escape), anything else as its JSON. `None` for a string the
/// parser accepted but cannot decode (not expected).
fn text(raw: &[u8]) -> Option<Cow<'_, [u8]>> {
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => Some(Cow::Borrowed(inner)),
        [b'"', ..] => serde_json::from_slice::<String>(raw)
            .ok()
            .map(|s| Cow::Owned(s.into_bytes())),
        _ => Some(Cow::Borrowed(raw)),
    }
}

/// The keys of a JSON Lines record, in order (for the header).
/// A key given twice counts once (the line itself is then rejected as a row).
pub fn json_keys(rec: &[u8]) -> Result<Vec<String>, SyntaxError> {
    let mut keys: Vec<String> = Vec::new();
    entries(rec, |k, _| {
        if !keys.iter().any(|x| x.as_bytes() == k) {
            keys.push(String::from_utf8_lossy(k).into_owned());
        }
    })?;
    Ok(keys)
}

/// Where an entry's key (inside its quotes) and raw value are in a line.
type Found = ((usize, usize), (usize, usize));

/// The columns of a line a stack array holds (more take a vector).
const STACK: usize = 16;

/// Splits a JSON Lines record into the fields named by `columns`: an extra
/// key, a key given twice, or a missing key that is not `optional` (a
/// missing optional key reads as an empty cell) is an error.
pub fn split_json(
    rec: &[u8],
    columns: &[String],
    optional: &[bool],
    fields: &mut Fields,
) -> Result<(), SyntaxError> {
    fields.clear();
    // Where each column's raw value is in the line.
    let mut stack = [None; STACK];
    let mut heap = Vec::new();
    let at: &mut [Option<(usize, usize)>] = if columns.len() <= STACK {
        stack.get_mut(..columns.len()).unwrap_or_default()
    } else {
        heap.resize(columns.len(), None);
        &mut heap
    };
    // The first wrong key, reported once the whole line has parsed (a line
    // that is not JSON is reported as such).
    let mut wrong: Option<SyntaxError> = None;
    entries(rec, |k, span| {
        if wrong.is_some() {
            return;
        }
        let key = || String::from_utf8_lossy(k);
        let (code, message, help) = match columns.iter().position(|c| c.as_bytes() == k) {
            Some(i) => match at.get_mut(i) {
                Some(slot @ None) => {
                    *slot = Some(span);
                    return;
                }
                _ => (
                    crate::codes::BATCH_DUPLICATE_KEY,
                    format!("the key `{}` is given twice", key()),
                    "give every key once: which of the two values is meant?".to_string(),
                ),
            },
            None => (
                crate::codes::BATCH_COLUMN_COUNT,
                format!("the key `{}` is not a column of the first line", key()),
                format!(
                    "every line has the keys of the first line: {}",
                    columns.join(", ")
                ),
            ),
        };
        wrong = Some(SyntaxError {
            code,
            message,
            span,
            help: Some(help),
        });
    })?;
    if let Some(e) = wrong {
        return Err(e);
    }
    for (i, c) in columns.iter().enumerate() {
        let Some(span) = at.get(i).copied().flatten() else {
            if optional.get(i).copied().unwrap_or(false) {
                fields.push_text(b"", (0, 0));
                continue;
            }
            return Err(SyntaxError {
                code: crate::codes::BATCH_MISSING_COLUMN,
                message: format!("the key `{c}` is missing"),
                span: (0, rec.len()),
                help: Some(format!(
                    "every line has the keys of the first line, but for inputs with a default: {}",
                    columns.join(", ")
                )),
            });
        };
        let raw = rec.get(span.0..span.1).unwrap_or_default();
        if raw.first() == Some(&b'"') {
            let Some(t) = text(raw) else {
                return Err(SyntaxError {
                    code: crate::codes::BATCH_BAD_JSON,
                    message: "bad JSON string".into(),
                    span,
                    help: None,
                });
            };
            fields.push_text(&t, span);
        } else if raw == b"null" {
            fields.push_text(b"", span);
        } else {
            fields.push_json(raw, span);
        }
    }
    Ok(())
}

/// The value of `key` in a JSON Lines record, as text (a string unquoted,
/// anything else as its JSON), whatever else is wrong with the record;
/// `None` when it is not a JSON object or has no such key.
pub fn json_value(rec: &[u8], key: &str) -> Option<String> {
    let [span] = json_spans(rec, [Some(key)])?;
    let raw = rec.get(span?.0..span?.1)?;
    text(raw).map(|t| String::from_utf8_lossy(&t).into_owned())
}

/// Where the values of `keys` are in a JSON Lines record (the first of a
/// key given twice), with one parse; `None` when it is not a JSON object.
fn json_spans<const N: usize>(
    rec: &[u8],
    keys: [Option<&str>; N],
) -> Option<[Option<(usize, usize)>; N]> {
    let mut found = [None; N];
    entries(rec, |k, span| {
        for (key, slot) in keys.iter().zip(found.iter_mut()) {
            if slot.is_none() && key.map(str::as_bytes) == Some(k) {
                *slot = Some(span);
            }
        }
    })
    .ok()?;
    Some(found)
}

/// Calls `each(id, kind)` with the text of the keys `id` and `kind` of a
/// JSON Lines record (a missing `kind` reads as empty); nothing when the
/// line is not a JSON object or has no `id`.
pub fn with_id_and_kind(rec: &[u8], id: &str, kind: Option<&str>, each: impl FnOnce(&[u8], &[u8])) {
    let Some([Some(i), k]) = json_spans(rec, [Some(id), kind]) else {
        return;
    };
    let raw = |(a, b): (usize, usize)| rec.get(a..b).unwrap_or_default();
    let Some(id) = text(raw(i)) else {
        return;
    };
    let kind = k.and_then(|k| text(raw(k))).unwrap_or_default();
    each(&id, &kind);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(rec: &str, cols: &[&str], optional: &[bool]) -> Result<Vec<(String, bool)>, String> {
        let cols: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        let mut f = Fields::default();
        split_json(rec.as_bytes(), &cols, optional, &mut f).map_err(|e| e.message)?;
        Ok((0..f.len())
            .map(|i| {
                let json = matches!(f.cell(i), Some(super::super::source::Cell::Json(_)));
                (
                    String::from_utf8_lossy(f.get(i).unwrap_or_default()).into_owned(),
                    json,
                )
            })
            .collect())
    }

    #[test]
    fn splits_in_column_order_without_copying_plain_strings() {
        let r = split(
            r#"{"price": 100.5, "id": "S1", "note": null}"#,
            &["id", "price", "note"],
            &[false; 3],
        );
        assert_eq!(
            r,
            Ok(vec![
                ("S1".into(), false),
                ("100.5".into(), true),
                ("".into(), false)
            ])
        );
    }

    #[test]
    fn escapes_in_keys_and_strings_are_decoded() {
        let r = split(
            r#"{"i\u0064": "a\"b\n", "price": "1"}"#,
            &["id", "price"],
            &[false; 2],
        );
        assert_eq!(r, Ok(vec![("a\"b\n".into(), false), ("1".into(), false)]));
    }

    #[test]
    fn wrong_keys_and_bad_lines() {
        let cols = ["id", "price"];
        assert_eq!(
            split(
                r#"{"id": "S1", "prise": 1, "price": 2}"#,
                &cols,
                &[false; 2]
            ),
            Err("the key `prise` is not a column of the first line".into())
        );
        assert_eq!(
            split(
                r#"{"id": "S1", "price": 1, "id": "S2"}"#,
                &cols,
                &[false; 2]
            ),
            Err("the key `id` is given twice".into())
        );
        assert_eq!(
            split(r#"{"id": "S1"}"#, &cols, &[false; 2]),
            Err("the key `price` is missing".into())
        );
        assert_eq!(
            split(r#"{"id": "S1"}"#, &cols, &[false, true]),
            Ok(vec![("S1".into(), false), ("".into(), false)])
        );
        // A bad line is reported as such even after a wrong key.
        let e = split(r#"{"x": 1, "id": }"#, &cols, &[false; 2]).unwrap_err();
        assert!(e.starts_with("not a JSON object"), "{e}");
        let e = split(r#"{"id": "S1", "price": 1} {}"#, &cols, &[false; 2]).unwrap_err();
        assert!(e.starts_with("not a JSON object"), "{e}");
        assert!(split("[1, 2]", &cols, &[false; 2]).is_err());
    }

    #[test]
    fn many_columns_take_the_vector() {
        let cols: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
        let line = format!(
            "{{{}}}",
            (0..40)
                .rev()
                .map(|i| format!("\"c{i}\": {i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        let r = split(&line, &refs, &[false; 40]).unwrap_or_default();
        assert_eq!(r.len(), 40);
        assert_eq!(r.get(39).map(|c| c.0.as_str()), Some("39"));
    }

    #[test]
    fn values_and_keys() {
        let rec = br#"{"id": "S\u00e9", "kind": "refund", "n": 5, "id": "again"}"#;
        assert_eq!(json_value(rec, "id").as_deref(), Some("Sé"));
        assert_eq!(json_value(rec, "n").as_deref(), Some("5"));
        assert_eq!(json_value(rec, "zz"), None);
        assert_eq!(json_value(b"nope", "id"), None);
        let mut got = None;
        with_id_and_kind(rec, "id", Some("kind"), |i, k| {
            got = Some((i.to_vec(), k.to_vec()))
        });
        assert_eq!(got, Some(("Sé".as_bytes().to_vec(), b"refund".to_vec())));
        assert_eq!(
            json_keys(rec).map_err(|e| e.message),
            Ok(vec!["id".into(), "kind".into(), "n".into()])
        );
    }

    /// Every line the byte reader accepts, serde_json accepts with the same
    /// entries (keys and value spans), whatever the line: generated objects
    /// of every kind of value and spacing, some of them cut or with a byte
    /// changed.
    #[test]
    fn flat_reader_agrees_with_serde_json() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let key = prop_oneof![4 => "[a-z_]{0,5}", 1 => "[a-z_ \"\\\\é]{0,5}"];
        let value = prop_oneof![
            2 => "[ -~é]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            4 => "-?[0-9]{0,3}(\\.[0-9]{0,2})?([eE][+-]?[0-9]{0,2})?",
            1 => Just("true".to_string()),
            1 => Just("false".to_string()),
            1 => Just("null".to_string()),
            1 => Just("nul".to_string()),
            1 => Just("[1, 2]".to_string()),
            1 => Just("{\"a\": 1}".to_string()),
            1 => Just("\"tab\there\"".to_string()),
        ];
        let space = "[ \t\r\n]{0,2}";
        let entry = (key, space, value, space);
        let line = (
            proptest::collection::vec(entry, 0..6),
            space,
            0usize..5,
            any::<usize>(),
            any::<u8>(),
        );
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&line, |(entries, lead, change, at, byte)| {
            let body: Vec<String> = entries
                .iter()
                .map(|(k, s1, v, s2)| {
                    format!(
                        "{}{s1}:{s2}{v}",
                        serde_json::to_string(k).unwrap_or_default()
                    )
                })
                .collect();
            let mut text = format!("{lead}{{{}}}", body.join(", ")).into_bytes();
            match change {
                1 if !text.is_empty() => {
                    let at = at % text.len();
                    text.truncate(at);
                }
                2 if !text.is_empty() => {
                    let at = at % text.len();
                    if let Some(b) = text.get_mut(at) {
                        *b = byte;
                    }
                }
                _ => {}
            }
            let mut found = [((0, 0), (0, 0)); STACK];
            if let Some(n) = flat(&text, &mut found) {
                let mut by_serde = Vec::new();
                let ok = entries_serde(&text, |k, v| {
                    by_serde.push((String::from_utf8_lossy(k).into_owned(), v))
                })
                .is_ok();
                prop_assert!(
                    ok,
                    "serde_json refuses {:?}",
                    String::from_utf8_lossy(&text)
                );
                let by_flat: Vec<(String, (usize, usize))> = found
                    .iter()
                    .take(n)
                    .map(|&((a, b), v)| {
                        (
                            String::from_utf8_lossy(text.get(a..b).unwrap_or_default())
                                .into_owned(),
                            v,
                        )
                    })
                    .collect();
                prop_assert_eq!(by_flat, by_serde, "{:?}", String::from_utf8_lossy(&text));
            }
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");
    }
}
