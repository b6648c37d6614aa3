//! Reading a ledger: the input is cut into blocks of whole records (so that
//! workers can parse and settle blocks in parallel), and each block into
//! records and fields. CSV (RFC 4180: quoted fields may hold commas, quotes
//! and newlines) and JSON Lines.

use super::field::{trim, Numbers};
use super::json::{json_keys, json_value, split_json, with_id_and_kind};
use super::source::Record as SaleRecord;
use super::source::{Cells, Columns, Header, HeaderError, RecordError, RecordSource};
use crate::agreement::Agreement;
use crate::diag::Diagnostic;
use std::io::{ErrorKind, Read};
use std::sync::Arc;

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
}

pub use super::source::ReadError;

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

/// The default block size: large enough to amortise taking a block and
/// writing its output in turn, small enough to keep memory low.
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

/// The fields of one record (see [`Cells`]).
pub type Fields = Cells;

pub use super::source::SyntaxError;

/// Splits a CSV record into fields separated by `delim` (RFC 4180 quoting;
/// a quote inside an unquoted field is kept as it is). On an error, the
/// fields before the bad one are kept.
pub fn split_csv(rec: &[u8], delim: u8, fields: &mut Fields) -> Result<(), SyntaxError> {
    fields.clear();
    // The common case: no quoting, every delimiter separates. One pass for
    // delimiters and quotes together; a quote sends the record to the
    // quoting loop below.
    let mut start = 0;
    let mut plain = true;
    for i in memchr::memchr2_iter(delim, b'"', rec) {
        if rec.get(i) == Some(&b'"') {
            plain = false;
            break;
        }
        fields.bounds.push((start, i));
        start = i + 1;
    }
    if plain {
        fields.buf.extend_from_slice(rec);
        fields.bounds.push((start, rec.len()));
        fields.spans.extend_from_slice(&fields.bounds);
        return Ok(());
    }
    fields.bounds.clear();
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

/// The delimiter that splits `header` into the most names the agreement
/// knows (an input, a value, `kind`, an id), then into the most fields;
/// on a tie `,`, then `;`, then tab.
pub fn detect_delimiter(agreement: &Agreement, header: &[u8]) -> Delimiter {
    let p = &agreement.program;
    let mut f = Fields::default();
    let mut best = (Delimiter::Comma, (0usize, 0usize));
    for d in Delimiter::ALL {
        if split_csv(header, d.byte(), &mut f).is_err() {
            continue;
        }
        let known = (0..f.len())
            .filter_map(|i| f.get(i))
            .map(|n| String::from_utf8_lossy(trim(n)).into_owned())
            .filter(|n| {
                p.slot(n).is_some()
                    || n == "kind"
                    || n.eq_ignore_ascii_case("id")
                    || n.to_ascii_lowercase().ends_with("_id")
            })
            .count();
        let score = (known, f.len());
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// How the records of a batch are split (shared by the batches of a ledger).
#[derive(Clone, Debug, Default)]
struct Decoding {
    format: Option<SalesFormat>,
    delimiter: Delimiter,
    names: Vec<String>,
    optional: Vec<bool>,
    id: Option<usize>,
}

/// A batch of a [`LedgerReader`]: a block of whole records.
#[derive(Debug)]
pub struct LedgerBatch {
    block: Block,
    how: Arc<Decoding>,
}

/// The CSV and JSON Lines source: reads a ledger from a [`Read`] in blocks
/// of whole records (the format is recognised from the content, the CSV
/// delimiter from the header unless given); records are split into cells
/// by the workers.
pub struct LedgerReader<'a, R> {
    reader: BlockReader<R>,
    agreement: &'a Agreement,
    delimiter: Option<Delimiter>,
    how: Arc<Decoding>,
}

impl<'a, R: Read> LedgerReader<'a, R> {
    /// A reader of the ledger `input` for `agreement` (whose names decide the
    /// CSV delimiter when `delimiter` is `None`).
    pub fn new(input: R, agreement: &'a Agreement, delimiter: Option<Delimiter>) -> Self {
        LedgerReader {
            reader: BlockReader::new(input),
            agreement,
            delimiter,
            how: Arc::default(),
        }
    }
}

impl<R: Read> RecordSource for LedgerReader<'_, R> {
    type Batch = LedgerBatch;

    fn header(&mut self) -> Result<Header, HeaderError> {
        let reader = &mut self.reader;
        let format = reader.sniff().map_err(HeaderError::Read)?;
        reader.set_format(format);
        let header = reader
            .first_record(format == SalesFormat::Csv)
            .map_err(HeaderError::Read)?
            .ok_or(HeaderError::Empty)?;
        let text = String::from_utf8_lossy(&header).into_owned();
        let bad = |diagnostic: Diagnostic| HeaderError::Bad {
            diagnostic,
            header: text.clone(),
        };
        let delimiter = match format {
            SalesFormat::Csv => self
                .delimiter
                .unwrap_or_else(|| detect_delimiter(self.agreement, &header)),
            SalesFormat::Jsonl => Delimiter::Comma,
        };
        let (names, spans) = match format {
            SalesFormat::Csv => {
                let mut f = Fields::default();
                split_csv(&header, delimiter.byte(), &mut f).map_err(|e| {
                    bad(Diagnostic::error(e.code, e.message)
                        .primary(crate::span::Span::new(e.span.0, e.span.1), "")
                        .maybe_help(e.help))
                })?;
                let names = (0..f.len())
                    .map(|i| {
                        String::from_utf8_lossy(trim(f.get(i).unwrap_or_default())).into_owned()
                    })
                    .collect::<Vec<_>>();
                (names, f.spans.clone())
            }
            SalesFormat::Jsonl => {
                let keys = json_keys(&header).map_err(|e| {
                    bad(Diagnostic::error(e.code, e.message).help(
                        "the first line of a JSON Lines ledger is an object; its keys name the columns",
                    ))
                })?;
                let spans = vec![(0, header.len()); keys.len()];
                (keys, spans)
            }
        };
        self.how = Arc::new(Decoding {
            format: Some(format),
            delimiter,
            ..Decoding::default()
        });
        Ok(Header {
            names,
            spans,
            text,
            numbers: Numbers {
                decimal_comma: format == SalesFormat::Csv && delimiter == Delimiter::Semicolon,
            },
        })
    }

    fn bind(&mut self, columns: &Columns<'_>) {
        let how = Decoding {
            names: columns.names.to_vec(),
            optional: columns.optional.to_vec(),
            id: columns.id,
            ..(*self.how).clone()
        };
        self.how = Arc::new(how);
    }

    fn next_batch(&mut self) -> Result<Option<LedgerBatch>, ReadError> {
        Ok(self.reader.next_block()?.map(|block| LedgerBatch {
            block,
            how: Arc::clone(&self.how),
        }))
    }

    fn read<F: FnMut(SaleRecord<'_>)>(batch: &LedgerBatch, cells: &mut Cells, mut each: F) {
        let how = &*batch.how;
        let format = how.format.unwrap_or(SalesFormat::Csv);
        for rec in Records::new(&batch.block, format) {
            let text = rec.bytes;
            if trim(text).is_empty() {
                cells.clear();
                let e = RecordError {
                    code: crate::codes::BATCH_EMPTY_LINE,
                    message: "the line is empty".into(),
                    span: None,
                    help: Some("remove empty lines from the ledger".into()),
                    id: None,
                };
                each(SaleRecord {
                    line: rec.line,
                    text,
                    cells,
                    error: Some(&e),
                });
                continue;
            }
            let split = match format {
                SalesFormat::Csv => split_csv(text, how.delimiter.byte(), cells),
                SalesFormat::Jsonl => split_json(text, &how.names, &how.optional, cells),
            };
            let error = split.err().map(|s| RecordError {
                code: s.code,
                message: s.message,
                span: Some(s.span),
                help: s.help,
                // A JSON line that did not split may still name its id.
                id: match format {
                    SalesFormat::Jsonl => how
                        .id
                        .filter(|&i| i >= cells.len())
                        .and_then(|i| how.names.get(i))
                        .and_then(|n| json_value(text, n)),
                    SalesFormat::Csv => None,
                },
            });
            each(SaleRecord {
                line: rec.line,
                text,
                cells,
                error: error.as_ref(),
            });
        }
    }

    fn keys<F: FnMut(u64, &[u8], &[u8])>(
        batch: &LedgerBatch,
        cells: &mut Cells,
        id_col: usize,
        kind_col: Option<usize>,
        mut each: F,
    ) {
        let how = &*batch.how;
        let format = how.format.unwrap_or(SalesFormat::Csv);
        let delim = how.delimiter.byte();
        let block = &batch.block;
        for rec in Records::new(block, format) {
            if trim(rec.bytes).is_empty() {
                continue;
            }
            match format {
                SalesFormat::Csv => {
                    let quoted = block.quoted;
                    if quoted {
                        // On a syntax error, the fields before the bad one are kept.
                        let _ = split_csv(rec.bytes, delim, cells);
                    }
                    let kind = kind_col
                        .and_then(|k| csv_field(quoted, cells, rec.bytes, delim, k))
                        .unwrap_or_default();
                    if let Some(id) = csv_field(quoted, cells, rec.bytes, delim, id_col) {
                        each(rec.line, id, kind);
                    }
                }
                SalesFormat::Jsonl => {
                    let name = |i: Option<usize>| i.and_then(|i| how.names.get(i));
                    let Some(id) = name(Some(id_col)) else {
                        continue;
                    };
                    let kind = name(kind_col).map(String::as_str);
                    with_id_and_kind(rec.bytes, id, kind, |id, kind| each(rec.line, id, kind));
                }
            }
        }
    }

    fn size(batch: &LedgerBatch) -> u64 {
        batch.block.data.len() as u64
    }
}

/// Field `i` of a record: from `fields` (split already) when the block has
/// quotes, else found in place.
fn csv_field<'a>(
    quoted: bool,
    fields: &'a Fields,
    rec: &'a [u8],
    delim: u8,
    i: usize,
) -> Option<&'a [u8]> {
    if quoted {
        fields.get(i)
    } else {
        nth_field(rec, delim, i)
    }
}

/// Field `n` of a record without quotes, without copying it.
fn nth_field(rec: &[u8], delim: u8, n: usize) -> Option<&[u8]> {
    let mut start = 0;
    for (k, end) in memchr::memchr_iter(delim, rec).enumerate() {
        if k == n {
            return rec.get(start..end);
        }
        start = end + 1;
    }
    let fields = memchr::memchr_iter(delim, rec).count() + 1;
    (n + 1 == fields).then(|| rec.get(start..)).flatten()
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
    fn nth_fields() {
        assert_eq!(nth_field(b"a,b,c", b',', 0), Some(&b"a"[..]));
        assert_eq!(nth_field(b"a,b,c", b',', 2), Some(&b"c"[..]));
        assert_eq!(nth_field(b"a,,c", b',', 1), Some(&b""[..]));
        assert_eq!(nth_field(b"a,b", b',', 2), None);
        assert_eq!(nth_field(b"", b',', 0), Some(&b""[..]));
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
