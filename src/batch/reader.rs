//! Reading a ledger: the input is cut into blocks of whole records (so that
//! workers can parse and settle blocks in parallel), and each block into
//! records and fields. CSV (RFC 4180: quoted fields may hold commas, quotes
//! and newlines) and JSON Lines.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::io::{ErrorKind, Read};

/// The ledger's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line; the first object's keys name the columns.
    Jsonl,
}

/// The field separator of a CSV ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Delimiter {
    /// `,` (the default).
    #[default]
    Comma,
    /// `;`: spreadsheets where the decimal separator is a comma; `100,00` is read as 100.00.
    Semicolon,
    /// A tab.
    Tab,
}

impl Delimiter {
    /// Every delimiter, in the order ties are decided.
    pub const ALL: [Delimiter; 3] = [Delimiter::Comma, Delimiter::Semicolon, Delimiter::Tab];

    /// The separating byte.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }

    /// Reads `--delimiter`: `,`, `;`, `tab` or `\t` (or a tab character).
    pub fn parse(s: &str) -> Result<Delimiter, String> {
        match s {
            "," | "comma" => Ok(Delimiter::Comma),
            ";" | "semicolon" => Ok(Delimiter::Semicolon),
            "tab" | "\\t" | "\t" => Ok(Delimiter::Tab),
            _ => Err(format!(
                "`{s}` is not a delimiter: give `,`, `;` or `tab` (`\\t`)"
            )),
        }
    }
}

/// A row whose id was already seen (found while the input is cut into
/// blocks, in input order; see [`super::ids`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dup {
    /// The line of the second row.
    pub line: u64,
    /// The line of the first row with this id.
    pub first: u64,
    /// The id.
    pub id: String,
    /// Whether both rows reverse the sale (a second refund or chargeback).
    pub reversal: bool,
}

/// A run of whole records.
#[derive(Debug, Default)]
pub struct Block {
    /// Position in the input, from 0.
    pub seq: u64,
    /// The line number (from 1) of the block's first line.
    pub first_line: u64,
    /// The records' bytes, each ended by a newline (the last one maybe not).
    pub data: Vec<u8>,
    /// Whether `data` holds a double quote (else every newline ends a record).
    pub quoted: bool,
    /// Its rows whose id was already seen, in line order.
    pub dups: Vec<Dup>,
}

/// A fatal problem while reading (an I/O error, a record without end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The line where it happened (0 when unknown).
    pub line: u64,
    /// What happened.
    pub message: String,
}

/// Cuts an input into [`Block`]s of whole records.
pub struct BlockReader<R> {
    src: R,
    buf: Vec<u8>,
    eof: bool,
    quotes: bool,
    line: u64,
    seq: u64,
    block_size: usize,
    max_record: usize,
}

/// The default block size: large enough to amortise the hand-over between
/// threads, small enough to keep memory low.
pub const BLOCK_SIZE: usize = 256 * 1024;

/// A record (or the header) may not be longer than this: a longer one is
/// almost surely an unclosed quote, and reading on would hold the whole
/// rest of the ledger in memory.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

impl<R: Read> BlockReader<R> {
    /// A reader of `src`, with the default sizes.
    pub fn new(src: R) -> Self {
        Self::with_sizes(src, BLOCK_SIZE, MAX_RECORD)
    }

    /// A reader of `src` with blocks of about `block_size` bytes and records
    /// of at most `max_record` bytes.
    pub fn with_sizes(src: R, block_size: usize, max_record: usize) -> Self {
        BlockReader {
            src,
            buf: Vec::new(),
            eof: false,
            quotes: true,
            line: 1,
            seq: 0,
            block_size: block_size.max(1),
            max_record: max_record.max(1),
        }
    }

    /// Reads until `buf` holds at least `want` bytes or the input ends.
    fn fill(&mut self, want: usize) -> Result<(), ReadError> {
        while !self.eof && self.buf.len() < want {
            let len = self.buf.len();
            let grow = (want - len).max(64 * 1024);
            self.buf.resize(len + grow, 0);
            let got = loop {
                match self.src.read(self.buf.get_mut(len..).unwrap_or_default()) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(len);
                        return Err(ReadError {
                            line: self.line,
                            message: format!("cannot read the ledger: {e}"),
                        });
                    }
                }
            };
            self.buf.truncate(len + got);
            if got == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// Looks at the start of the input: drops a UTF-8 byte-order mark and
    /// tells JSON Lines (`{` first) from CSV.
    pub fn sniff(&mut self) -> Result<SalesFormat, ReadError> {
        self.fill(4096)?;
        if self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        let first = self.buf.iter().find(|b| !b.is_ascii_whitespace());
        Ok(if first == Some(&b'{') {
            SalesFormat::Jsonl
        } else {
            SalesFormat::Csv
        })
    }

    /// Sets the format: with CSV, newlines inside quotes do not end a record.
    pub fn set_format(&mut self, format: SalesFormat) {
        self.quotes = format == SalesFormat::Csv;
    }

    /// The first record, without its line end; `consume` takes it out of the
    /// input (a CSV header), otherwise it stays to be read as a row (JSON
    /// Lines). `None` when the input is empty.
    pub fn first_record(&mut self, consume: bool) -> Result<Option<Vec<u8>>, ReadError> {
        let mut want = 4096;
        loop {
            self.fill(want)?;
            let end = record_end(&self.buf, self.quotes);
            let (rec_end, next) = match end {
                Some(e) => (e, e + 1),
                None if self.eof => (self.buf.len(), self.buf.len()),
                None if self.buf.len() > self.max_record => {
                    return Err(self.too_long());
                }
                None => {
                    want = self.buf.len() * 2;
                    continue;
                }
            };
            if self.buf.is_empty() {
                return Ok(None);
            }
            let rec = strip_cr(self.buf.get(..rec_end).unwrap_or_default()).to_vec();
            if consume {
                let lines = count_newlines(self.buf.get(..next).unwrap_or_default());
                self.buf.drain(..next);
                self.line += lines;
            }
            return Ok(Some(rec));
        }
    }

    fn too_long(&self) -> ReadError {
        ReadError {
            line: self.line,
            message: format!(
                "a record starting at line {} is longer than {} MiB: an unclosed quote?",
                self.line,
                self.max_record / (1024 * 1024)
            ),
        }
    }

    /// The next block of whole records, or `None` at the end of the input.
    pub fn next_block(&mut self) -> Result<Option<Block>, ReadError> {
        let mut want = self.block_size;
        loop {
            self.fill(want)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof {
                Some(self.buf.len())
            } else {
                last_record_end(&self.buf, self.quotes).map(|e| e + 1)
            };
            let Some(mut cut) = cut else {
                if self.buf.len() > self.max_record {
                    return Err(self.too_long());
                }
                want = self.buf.len() * 2;
                continue;
            };
            // Blank lines at the end of the input are not rows: hold a run of
            // them back until what follows is known.
            let rows_end = blank_tail(self.buf.get(..cut).unwrap_or_default());
            if rows_end < cut {
                if self.eof {
                    self.buf.truncate(rows_end);
                    cut = rows_end;
                    if cut == 0 {
                        return Ok(None);
                    }
                } else if rows_end > 0 {
                    cut = rows_end;
                } else if self.buf.len() <= self.max_record {
                    want = self.buf.len() + self.block_size;
                    continue;
                }
            }
            let mut rest = Vec::with_capacity(self.block_size + 64 * 1024);
            rest.extend_from_slice(self.buf.get(cut..).unwrap_or_default());
            self.buf.truncate(cut);
            let data = std::mem::replace(&mut self.buf, rest);
            let quoted = self.quotes && memchr::memchr(b'"', &data).is_some();
            let block = Block {
                seq: self.seq,
                first_line: self.line,
                data,
                quoted,
                dups: Vec::new(),
            };
            self.line += count_newlines(&block.data);
            self.seq += 1;
            return Ok(Some(block));
        }
    }
}

/// Where the blank lines (only spaces, tabs, `\r`) at the end of `b` start:
/// just after the newline that ends its last line with text; `b.len()` when
/// `b` does not end with a blank line, 0 when every line is blank.
fn blank_tail(b: &[u8]) -> usize {
    let Some(last_text) = b.iter().rposition(|c| !c.is_ascii_whitespace()) else {
        return 0;
    };
    match b
        .get(last_text..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
    {
        Some(nl) => last_text + nl + 1,
        None => b.len(),
    }
}

fn count_newlines(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

fn strip_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// The index of the newline that ends the first record, if any.
fn record_end(b: &[u8], quotes: bool) -> Option<usize> {
    if !quotes {
        return memchr::memchr(b'\n', b);
    }
    let mut inside = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => inside = !inside,
            b'\n' if !inside => return Some(i),
            _ => {}
        }
    }
    None
}

/// The index of the newline that ends the last whole record, if any.
fn last_record_end(b: &[u8], quotes: bool) -> Option<usize> {
    if !quotes || memchr::memchr(b'"', b).is_none() {
        return memchr::memrchr(b'\n', b);
    }
    let mut inside = false;
    let mut last = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => inside = !inside,
            b'\n' if !inside => last = Some(i),
            _ => {}
        }
    }
    last
}

/// One record of a block.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// Its bytes, without the line end.
    pub bytes: &'a [u8],
    /// The line it starts on.
    pub line: u64,
}

/// The records of a block, in order.
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    quotes: bool,
}

impl<'a> Records<'a> {
    /// The records of `block`.
    pub fn new(block: &'a Block, format: SalesFormat) -> Self {
        Records {
            data: &block.data,
            pos: 0,
            line: block.first_line,
            quotes: format == SalesFormat::Csv && block.quoted,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (end, next) = match record_end(rest, self.quotes) {
            Some(e) => (e, e + 1),
            None => (rest.len(), rest.len()),
        };
        let whole = rest.get(..end).unwrap_or_default();
        let rec = Record {
            bytes: strip_cr(whole),
            line: self.line,
        };
        self.line += 1;
        if self.quotes {
            self.line += count_newlines(whole);
        }
        self.pos += next;
        Some(rec)
    }
}

/// The fields of one record, reused from record to record.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    buf: Vec<u8>,
    bounds: Vec<(usize, usize)>,
    /// Where each field is in the record's bytes (for diagnostics).
    pub spans: Vec<(usize, usize)>,
    /// For JSON Lines: whether the field was a JSON string (else its raw JSON text).
    pub is_string: Vec<bool>,
}

impl Fields {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i`'s bytes (unquoted, unescaped).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let &(start, end) = self.bounds.get(i)?;
        self.buf.get(start..end)
    }

    /// Whether field `i` is raw JSON (a number, bool, object or array of a
    /// JSON Lines ledger) rather than text.
    pub fn is_json_raw(&self, i: usize) -> bool {
        self.is_string.get(i).is_some_and(|s| !s)
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.bounds.clear();
        self.spans.clear();
        self.is_string.clear();
    }

    fn push(&mut self, bytes: &[u8], span: (usize, usize)) {
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.bounds.push((start, self.buf.len()));
        self.spans.push(span);
    }
}

/// Why a record could not be split into fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// A stable code.
    pub code: crate::codes::Code,
    /// What is wrong.
    pub message: String,
    /// Where in the record.
    pub span: (usize, usize),
    /// How to fix it.
    pub help: Option<String>,
}

/// Splits a CSV record into fields separated by `delim` (RFC 4180 quoting;
/// a quote inside an unquoted field is kept as it is). On an error, the
/// fields before the bad one are kept.
pub fn split_csv(rec: &[u8], delim: u8, fields: &mut Fields) -> Result<(), SyntaxError> {
    fields.clear();
    if memchr::memchr(b'"', rec).is_none() {
        // The common case: no quoting, every delimiter separates.
        fields.buf.extend_from_slice(rec);
        let mut start = 0;
        for comma in memchr::memchr_iter(delim, rec) {
            fields.bounds.push((start, comma));
            start = comma + 1;
        }
        fields.bounds.push((start, rec.len()));
        fields.spans.extend_from_slice(&fields.bounds);
        return Ok(());
    }
    let mut i = 0;
    loop {
        let start = i;
        if rec.get(i) == Some(&b'"') {
            // A quoted field: up to the closing quote; `""` is one quote.
            let mut j = i + 1;
            let content_start = fields.buf.len();
            loop {
                match rec.get(j) {
                    None => {
                        fields.buf.truncate(content_start);
                        return Err(SyntaxError {
                            code: crate::codes::BATCH_BAD_CSV,
                            message: "a quoted field has no closing quote".into(),
                            span: (start, rec.len()),
                            help: Some(
                                "close the quote; write a quote inside a quoted field as `\"\"`"
                                    .into(),
                            ),
                        });
                    }
                    Some(b'"') if rec.get(j + 1) == Some(&b'"') => {
                        fields.buf.push(b'"');
                        j += 2;
                    }
                    Some(b'"') => break,
                    Some(&c) => {
                        fields.buf.push(c);
                        j += 1;
                    }
                }
            }
            fields.bounds.push((content_start, fields.buf.len()));
            fields.spans.push((start, j + 1));
            i = j + 1;
            match rec.get(i) {
                None => return Ok(()),
                Some(&c) if c == delim => i += 1,
                Some(_) => {
                    return Err(SyntaxError {
                        code: crate::codes::BATCH_BAD_CSV,
                        message: "text after the closing quote of a field".into(),
                        span: (start, i + 1),
                        help: Some(
                            "a quoted field ends at its closing quote, before the next delimiter"
                                .into(),
                        ),
                    })
                }
            }
        } else {
            let end = rec
                .get(i..)
                .and_then(|r| memchr::memchr(delim, r))
                .map_or(rec.len(), |p| i + p);
            fields.push(rec.get(i..end).unwrap_or_default(), (i, end));
            if end >= rec.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// One JSON object's entries, in order, with their raw values.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, raw)) = map.next_entry::<String, &'de RawValue>()? {
                    v.push((k, raw));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The keys of a JSON Lines record, in order (for the header).
/// A key given twice counts once (the line itself is then rejected as a row).
pub fn json_keys(rec: &[u8]) -> Result<Vec<String>, SyntaxError> {
    let entries = parse_json(rec)?;
    let mut keys: Vec<String> = Vec::with_capacity(entries.0.len());
    for (k, _) in entries.0 {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    Ok(keys)
}

fn parse_json(rec: &[u8]) -> Result<Entries<'_>, SyntaxError> {
    serde_json::from_slice::<Entries<'_>>(rec).map_err(|e| SyntaxError {
        code: crate::codes::BATCH_BAD_JSON,
        message: format!("not a JSON object: {e}"),
        span: (0, rec.len()),
        help: Some(
            "write one JSON object per line, e.g. {\"sale_id\": \"S1\", \"price\": \"100.00\"}"
                .into(),
        ),
    })
}

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
    let entries = parse_json(rec)?;
    let base = rec.as_ptr() as usize;
    let span_of = |raw: &RawValue| {
        let s = raw.get();
        let start = (s.as_ptr() as usize).saturating_sub(base);
        (start, start + s.len())
    };
    for (n, (k, raw)) in entries.0.iter().enumerate() {
        if !columns.iter().any(|c| c == k) {
            return Err(SyntaxError {
                code: crate::codes::BATCH_COLUMN_COUNT,
                message: format!("the key `{k}` is not a column of the first line"),
                span: span_of(raw),
                help: Some(format!(
                    "every line has the keys of the first line: {}",
                    columns.join(", ")
                )),
            });
        }
        if entries.0.iter().take(n).any(|(first, _)| first == k) {
            return Err(SyntaxError {
                code: crate::codes::BATCH_DUPLICATE_KEY,
                message: format!("the key `{k}` is given twice"),
                span: span_of(raw),
                help: Some("give every key once: which of the two values is meant?".into()),
            });
        }
    }
    for (i, c) in columns.iter().enumerate() {
        let Some((_, raw)) = entries.0.iter().find(|(k, _)| k == c) else {
            if optional.get(i).copied().unwrap_or(false) {
                fields.push(b"", (0, 0));
                fields.is_string.push(true);
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
        let text = raw.get();
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(|e| SyntaxError {
                code: crate::codes::BATCH_BAD_JSON,
                message: format!("bad JSON string: {e}"),
                span: span_of(raw),
                help: None,
            })?;
            fields.push(s.as_bytes(), span_of(raw));
            fields.is_string.push(true);
        } else if text == "null" {
            fields.push(b"", span_of(raw));
            fields.is_string.push(true);
        } else {
            fields.push(text.as_bytes(), span_of(raw));
            fields.is_string.push(false);
        }
    }
    Ok(())
}

/// The value of `key` in a JSON Lines record, as text (a string unquoted,
/// anything else as its JSON), whatever else is wrong with the record;
/// `None` when it is not a JSON object or has no such key.
pub fn json_value(rec: &[u8], key: &str) -> Option<String> {
    let [v] = json_values(rec, [Some(key)])?;
    v
}

/// The values of `keys` in a JSON Lines record (see [`json_value`]), with
/// one parse; `None` when it is not a JSON object.
pub fn json_values<const N: usize>(
    rec: &[u8],
    keys: [Option<&str>; N],
) -> Option<[Option<String>; N]> {
    let entries = parse_json(rec).ok()?;
    Some(keys.map(|key| {
        let (_, raw) = entries.0.iter().find(|(k, _)| Some(k.as_str()) == key)?;
        let text = raw.get();
        if text.starts_with('"') {
            serde_json::from_str(text).ok()
        } else {
            Some(text.to_string())
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rec: &str) -> Result<Vec<String>, SyntaxError> {
        let mut f = Fields::default();
        split_csv(rec.as_bytes(), b',', &mut f)?;
        Ok((0..f.len())
            .map(|i| String::from_utf8_lossy(f.get(i).unwrap_or_default()).into_owned())
            .collect())
    }

    #[test]
    fn splits_csv_fields() {
        assert_eq!(csv("a,b,c"), Ok(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(csv("a,,"), Ok(vec!["a".into(), "".into(), "".into()]));
        assert_eq!(csv(""), Ok(vec!["".into()]));
        assert_eq!(
            csv("\"x, y\",\"say \"\"hi\"\"\",\"\""),
            Ok(vec!["x, y".into(), "say \"hi\"".into(), "".into()])
        );
        assert_eq!(csv("\"a\nb\",c"), Ok(vec!["a\nb".into(), "c".into()]));
        assert_eq!(csv("ab\"c,d"), Ok(vec!["ab\"c".into(), "d".into()]));
        assert!(csv("\"open,b").is_err());
        assert!(csv("\"a\"b,c").is_err());
    }

    #[test]
    fn splits_on_other_delimiters() {
        let mut f = Fields::default();
        assert!(split_csv(b"a;\"b;c\";1,5", b';', &mut f).is_ok());
        assert_eq!(
            (f.len(), f.get(1), f.get(2)),
            (3, Some(&b"b;c"[..]), Some(&b"1,5"[..]))
        );
        assert!(split_csv(b"a\tb,c", b'\t', &mut f).is_ok());
        assert_eq!((f.len(), f.get(1)), (2, Some(&b"b,c"[..])));
        // On an error, the fields before the bad one are kept.
        assert!(split_csv(b"S1,\"open", b',', &mut f).is_err());
        assert_eq!((f.len(), f.get(0)), (1, Some(&b"S1"[..])));
    }

    #[test]
    fn trailing_blank_lines_are_dropped_and_others_kept() {
        assert_eq!(blank_tail(b"a\n\n  \r\n"), 2);
        assert_eq!(blank_tail(b"a\n"), 2);
        assert_eq!(blank_tail(b"a"), 1);
        assert_eq!(blank_tail(b"\n\n"), 0);
        for size in [1, 2, 3, 5, 100] {
            assert_eq!(
                blocks("a,1\n\nb,2\n\n \n\r\n", size),
                vec![(1, "a,1".into()), (2, "".into()), (3, "b,2".into())],
                "block size {size}"
            );
            assert_eq!(blocks("\n\n\n", size), vec![], "block size {size}");
        }
    }

    fn blocks(input: &str, size: usize) -> Vec<(u64, String)> {
        let mut r = BlockReader::with_sizes(input.as_bytes(), size, 1 << 20);
        let mut out = Vec::new();
        while let Ok(Some(b)) = r.next_block() {
            for rec in Records::new(&b, SalesFormat::Csv) {
                out.push((rec.line, String::from_utf8_lossy(rec.bytes).into_owned()));
            }
        }
        out
    }

    #[test]
    fn blocks_cut_between_records_and_count_lines() {
        let input = "a,1\r\n\"b\nb\",2\n\nc,3\n\"d\",4";
        let want: Vec<(u64, String)> = vec![
            (1, "a,1".into()),
            (2, "\"b\nb\",2".into()),
            (4, "".into()),
            (5, "c,3".into()),
            (6, "\"d\",4".into()),
        ];
        for size in [1, 2, 3, 5, 8, 100] {
            assert_eq!(blocks(input, size), want, "block size {size}");
        }
    }

    #[test]
    fn header_then_rows() {
        let mut r = BlockReader::with_sizes(&b"\xEF\xBB\xBFid,price\nS1,10\n"[..], 4, 1 << 20);
        assert_eq!(r.sniff(), Ok(SalesFormat::Csv));
        assert_eq!(r.first_record(true), Ok(Some(b"id,price".to_vec())));
        let b = r.next_block().ok().flatten().unwrap_or_default();
        assert_eq!(b.first_line, 2);
        assert_eq!(b.data, b"S1,10\n");
        assert!(matches!(r.next_block(), Ok(None)));
    }

    #[test]
    fn unclosed_quote_is_bounded() {
        let small = format!("id\n\"{}", "x".repeat(500));
        let mut r = BlockReader::with_sizes(small.as_bytes(), 64, 1024);
        assert!(r.first_record(true).is_ok());
        // At the end of the input the rest is one (bad) record.
        assert_eq!(
            r.next_block().ok().flatten().map(|b| b.data.len()),
            Some(501)
        );
        let big = format!("id\n\"{}", "x".repeat(5000));
        let mut r = BlockReader::with_sizes(
            std::io::Read::chain(big.as_bytes(), std::io::repeat(b'y')),
            64,
            1024,
        );
        assert!(r.first_record(true).is_ok());
        assert!(r.next_block().is_err());
    }

    #[test]
    fn json_fields() {
        let cols = vec!["id".to_string(), "price".to_string()];
        let mut f = Fields::default();
        let opt = [false, false];
        assert!(split_json(br#"{"price": 100.50, "id": "S\"1"}"#, &cols, &opt, &mut f).is_ok());
        assert_eq!(f.get(0), Some(&b"S\"1"[..]));
        assert_eq!(f.get(1), Some(&b"100.50"[..]));
        assert!(f.is_json_raw(1));
        assert!(!f.is_json_raw(0));
        assert!(split_json(br#"{"id": "S1"}"#, &cols, &opt, &mut f).is_err());
        assert!(split_json(br#"{"id": "S1"}"#, &cols, &[false, true], &mut f).is_ok());
        assert_eq!(f.get(1), Some(&b""[..]));
        assert!(split_json(br#"{"id": "S1", "price": 1, "x": 2}"#, &cols, &opt, &mut f).is_err());
        assert!(split_json(br#"{"id": "S1", "price": 1, "id": 2}"#, &cols, &opt, &mut f).is_err());
        assert!(split_json(b"[1]", &cols, &opt, &mut f).is_err());
        assert_eq!(
            json_value(br#"{"id": "S1", "x": 2, "x": 3}"#, "id"),
            Some("S1".into())
        );
        assert_eq!(json_value(br#"{"id": 7}"#, "id"), Some("7".into()));
    }
}
