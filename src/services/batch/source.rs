//! Where settlement reads sales from: a [`RecordSource`] names the ledger's
//! columns once, then hands out batches of records; each record is a row of
//! [`Cells`] (text as read, with where it is for diagnostics, or typed
//! values) or the reason the row could not be read. The CSV and JSON Lines
//! reader ([`super::reader::LedgerReader`]) is one source; an Arrow or
//! Parquet reader, a query engine's batches or a `Vec` in a test are others,
//! and settlement does not change for them.

use super::field::Numbers;
use crate::diag::Diagnostic;
use crate::value::Value;

/// A fatal problem while reading (an I/O error, a record without end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The line where it happened (0 when unknown).
    pub line: u64,
    /// What happened.
    pub message: String,
}

/// The ledger's columns, as its source names them.
#[derive(Clone, Debug, Default)]
pub struct Header {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Where each name is in `text` (header diagnostics point there).
    pub spans: Vec<(usize, usize)>,
    /// The header as text (may be empty when the source has none).
    pub text: String,
    /// How number cells given as text are written (decimal commas).
    pub numbers: Numbers,
}

/// Why a source has no usable header: the run cannot start.
#[derive(Debug)]
pub enum HeaderError {
    /// The source is empty.
    Empty,
    /// Reading failed.
    Read(ReadError),
    /// The header is malformed; spans point into `header`.
    Bad {
        /// What is wrong.
        diagnostic: Diagnostic,
        /// The header as text.
        header: String,
    },
}

/// What settlement made of the header, told to the source before the first
/// batch ([`RecordSource::bind`]).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Columns<'a> {
    /// Column names, in order (the header's).
    pub names: &'a [String],
    /// Whether each column may be missing from a row (an input with a
    /// default, `kind`): a missing cell reads as empty.
    pub optional: &'a [bool],
    /// The column that identifies a sale, if any.
    pub id: Option<usize>,
    /// The `kind` column (sale, refund, chargeback), if any.
    pub kind: Option<usize>,
}

/// One cell of a record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Text as read: an input's cell is read as that input's kind (a plain
    /// decimal, `100.00 USD`, `35%`, a date…), like `--set`; empty is empty.
    Text(&'a [u8]),
    /// A JSON literal other than a string (a number, a bool, an object):
    /// read like text, passed through to JSON outputs as it is.
    Json(&'a [u8]),
    /// A typed value (checked against the input's kind and currency).
    Value(Value),
}

#[derive(Clone, Copy, Debug)]
enum Tag {
    Text,
    Json,
    Value(Value),
}

/// The cells of one record, reused from record to record: a source clears
/// it and pushes one cell per column, in the header's order.
#[derive(Clone, Debug, Default)]
pub struct Cells {
    pub(super) buf: Vec<u8>,
    pub(super) bounds: Vec<(usize, usize)>,
    /// Where each cell is in the record's text (for diagnostics).
    pub spans: Vec<(usize, usize)>,
    /// Each cell's kind; empty when every cell is text (the common case).
    tags: Vec<Tag>,
}

impl Cells {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Whether there is no cell.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Cell `i`'s text (unquoted, unescaped); empty for a typed value.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let &(start, end) = self.bounds.get(i)?;
        self.buf.get(start..end)
    }

    /// Cell `i`.
    pub fn cell(&self, i: usize) -> Option<Cell<'_>> {
        let text = self.get(i)?;
        Some(match self.tags.get(i) {
            None | Some(Tag::Text) => Cell::Text(text),
            Some(Tag::Json) => Cell::Json(text),
            Some(&Tag::Value(v)) => Cell::Value(v),
        })
    }

    /// Whether cell `i` is a JSON literal ([`Cell::Json`]).
    pub fn is_json_raw(&self, i: usize) -> bool {
        matches!(self.tags.get(i), Some(Tag::Json))
    }

    /// Removes every cell.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.bounds.clear();
        self.spans.clear();
        self.tags.clear();
    }

    /// Adds a text cell found at `span` in the record's text.
    pub fn push_text(&mut self, text: &[u8], span: (usize, usize)) {
        self.push(text, span);
        self.tag(Tag::Text);
    }

    /// Adds a JSON literal (see [`Cell::Json`]).
    pub fn push_json(&mut self, json: &[u8], span: (usize, usize)) {
        self.push(json, span);
        self.tag(Tag::Json);
    }

    /// Adds a typed value; `span` is where it is in the record's text, if
    /// the record has one (else `(0, 0)`).
    pub fn push_value(&mut self, value: Value, span: (usize, usize)) {
        self.push(b"", span);
        self.tag(Tag::Value(value));
    }

    pub(super) fn push(&mut self, bytes: &[u8], span: (usize, usize)) {
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.bounds.push((start, self.buf.len()));
        self.spans.push(span);
    }

    /// Tags the last cell; text needs no tag while every cell is text.
    fn tag(&mut self, tag: Tag) {
        if matches!(tag, Tag::Text) && self.tags.is_empty() {
            return;
        }
        self.tags
            .resize(self.bounds.len().saturating_sub(1), Tag::Text);
        self.tags.push(tag);
    }
}

/// Why a record could not be read whole: the row is rejected with this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// A stable code such as `splitdsl::batch::bad_csv`.
    pub code: crate::codes::Code,
    /// What is wrong.
    pub message: String,
    /// Where in the record's text, or `None` for the record as a whole.
    pub span: Option<(usize, usize)>,
    /// How to fix it.
    pub help: Option<String>,
    /// The row's id, when it can be told although the row could not be
    /// read (otherwise the id is taken from the cells read before the error).
    pub id: Option<String>,
}

/// One record of a batch, as a source read it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The line (or row number, from 1) the record starts on.
    pub line: u64,
    /// The record as read: shown with a reject, and cell spans point into it
    /// (may be empty for a source without text).
    pub text: &'a [u8],
    /// Its cells, one per column; on an error, those read before it.
    pub cells: &'a Cells,
    /// Why the record could not be read whole, if it could not.
    pub error: Option<&'a RecordError>,
}

/// A source of sales for settlement ([`super::settle_records`]).
///
/// Settlement asks for the [`header`](RecordSource::header) once, tells the
/// source what it made of it ([`bind`](RecordSource::bind)), then takes
/// batches in input order ([`next_batch`](RecordSource::next_batch)) on one
/// thread and hands each to a worker, which reads its records
/// ([`read`](RecordSource::read)). Before a batch goes to a worker, its ids
/// are looked at in input order ([`keys`](RecordSource::keys)) so that a
/// repeated id is found whatever the number of threads.
///
/// The cells of a row are text as read (the fast path for text formats,
/// with positions for diagnostics) or typed values. See `docs/batch.md`,
/// "Other formats", and [`super::settle_records`] for an example.
pub trait RecordSource {
    /// A run of records, settled by one worker.
    type Batch: Send;

    /// The columns. Called once, first.
    fn header(&mut self) -> Result<Header, HeaderError>;

    /// What settlement made of the header (which columns may be missing,
    /// the id column), before the first batch.
    fn bind(&mut self, _columns: &Columns<'_>) {}

    /// The next batch in input order, or `None` at the end.
    fn next_batch(&mut self) -> Result<Option<Self::Batch>, ReadError>;

    /// Reads the records of `batch` in order, each into `cells` (scratch
    /// space, reused), and calls `each` with it (on a worker thread).
    fn read<F: FnMut(Record<'_>)>(batch: &Self::Batch, cells: &mut Cells, each: F);

    /// Calls `each(line, id, kind)` with the text of the `id` column and of
    /// the `kind` column (empty without one) of every record of `batch` that
    /// has an id cell, in order. The default reads the records; a source can
    /// do it faster.
    fn keys<F: FnMut(u64, &[u8], &[u8])>(
        batch: &Self::Batch,
        cells: &mut Cells,
        id: usize,
        kind: Option<usize>,
        mut each: F,
    ) {
        Self::read(batch, cells, |r| {
            if let Some(text) = r.cells.get(id) {
                let k = kind.and_then(|k| r.cells.get(k)).unwrap_or_default();
                each(r.line, text, k);
            }
        });
    }

    /// The size of `batch` in bytes, for progress (0 when unknown).
    fn size(_batch: &Self::Batch) -> u64 {
        0
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
