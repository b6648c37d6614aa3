//! JSON Lines records: one object a line, split into the ledger's columns.
//!
//! serde_json reads and checks each line (any JSON, escapes, numbers), but
//! nothing is copied that need not be: keys are compared where they lie in
//! the line (unless they hold an escape), values are found as raw spans and
//! a string's text is its bytes between the quotes (unless it holds an
//! escape). So a line costs one pass of the parser and no allocation.

use super::reader::{Fields, SyntaxError};
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
fn entries<F: FnMut(&str, (usize, usize))>(
    rec: &[u8],
    each: F,
) -> Result<(), SyntaxError> {
    struct Seed<F> {
        base: usize,
        each: F,
    }
    impl<'de, F: FnMut(&str, (usize, usize))> Visitor<'de> for Seed<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                let raw: &'de RawValue = map.next_value()?;
                let s = raw.get();
                let start = (s.as_ptr() as usize).saturating_sub(self.base);
                (self.each)(key.as_str(), (start, start + s.len()));
            }
            Ok(())
        }
    }
    impl<'de, F: FnMut(&str, (usize, usize))> DeserializeSeed<'de> for Seed<F> {
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
        if !keys.iter().any(|x| x == k) {
            keys.push(k.to_owned());
        }
    })?;
    Ok(keys)
}

/// The columns of a line a stack array holds (more take a vector).
const STACK: usize = 32;

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
        match columns.iter().position(|c| c == k) {
            None => {
                wrong = Some(SyntaxError {
                    code: crate::codes::BATCH_COLUMN_COUNT,
                    message: format!("the key `{k}` is not a column of the first line"),
                    span,
                    help: Some(format!(
                        "every line has the keys of the first line: {}",
                        columns.join(", ")
                    )),
                });
            }
            Some(i) => match at.get_mut(i) {
                Some(slot @ None) => *slot = Some(span),
                _ => {
                    wrong = Some(SyntaxError {
                        code: crate::codes::BATCH_DUPLICATE_KEY,
                        message: format!("the key `{k}` is given twice"),
                        span,
                        help: Some("give every key once: which of the two values is meant?".into()),
                    });
                }
            },
        }
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
            if slot.is_none() && *key == Some(k) {
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
}
