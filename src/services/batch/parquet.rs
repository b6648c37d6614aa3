//! Parquet ledgers (feature `parquet`): a [`RecordSource`] that streams a
//! Parquet file one row group at a time, in batches of at most
//! [`BATCH_ROWS`] rows, and a [`RecordSink`] that writes the settled rows as
//! Parquet, the amounts as `DECIMAL(38, minor unit)`.
//!
//! The source turns every cell into the text the CSV path would read
//! (`100.00` for a `DECIMAL(p,2)`, `3` for an integer, `2025-03-10` for a
//! date, the string itself), so a Parquet ledger is settled by exactly the
//! rules of a CSV one: a bare number is in its input's currency, `kind`
//! negates refunds, rejects and statements are the same. A float column for
//! money or a rate is refused (`splitdsl::batch::float_money`): a float
//! is not an exact amount. A row's number is its place among the data rows,
//! from 1 (the file has no lines).
//!
//! The sink writes the passed columns with their input types (it is given
//! the source's [`Schema`]; without one, as strings), then the amounts.

use super::field::units;
use super::quote::write_csv_field;
use super::sink::{OutputColumns, RecordSink, SettledRow};
use super::source::{Cell, Cells, Header, HeaderError, ReadError, Record, RecordSource};
use super::writer::write_value;
use crate::agreement::Agreement;
use crate::diag::Diagnostic;
use crate::program::SlotKind;
use crate::span::Span;
use crate::value::{Ty, Value};
use arrow_array::builder::{BooleanBuilder, LargeStringBuilder, StringBuilder, StringViewBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal32Type, Decimal64Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Decimal32Array, Decimal64Array, Float32Array,
    Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, RecordBatch,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// The most rows in one batch of a [`ParquetSource`] (a batch never spans
/// two row groups).
pub const BATCH_ROWS: usize = 4096;

/// The most rows in one row group of a [`ParquetSink`]'s output.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_DAYS_CE: i32 = 719_163;

/// A Parquet ledger, read one row group at a time (see the module docs).
pub struct ParquetSource {
    file: File,
    meta: ArrowReaderMetadata,
    /// The columns as settled: dictionaries decoded to their values.
    schema: SchemaRef,
    /// The inputs that hold money or a rate (a float column is refused for them).
    exact: Vec<String>,
    batch_rows: usize,
    next_group: usize,
    reader: Option<(ParquetRecordBatchReader, u64)>,
    next_row: u64,
}

/// A batch of a [`ParquetSource`]: rows of one row group.
pub struct ParquetBatch {
    batch: RecordBatch,
    first: u64,
    bytes: u64,
}

impl ParquetBatch {
    /// The rows, as Arrow arrays (dictionaries decoded).
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }
}

fn read_error(line: u64, e: impl std::fmt::Display) -> ReadError {
    ReadError {
        line,
        message: format!("cannot read the Parquet ledger: {e}"),
    }
}

impl ParquetSource {
    /// Opens the Parquet ledger `file` for `agreement` (its footer is read
    /// now: an error when the file is not Parquet).
    pub fn new(file: File, agreement: &Agreement) -> Result<Self, ReadError> {
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| read_error(0, e))?;
        let fields: Vec<Field> = meta
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let ty = match f.data_type() {
                    DataType::Dictionary(_, v) => v.as_ref().clone(),
                    t => t.clone(),
                };
                Field::new(f.name(), ty, true)
            })
            .collect();
        let p = &agreement.program;
        let exact = p
            .slots
            .iter()
            .filter(|s| s.kind == SlotKind::Input && matches!(s.ty, Ty::Money(_) | Ty::Rate(..)))
            .map(|s| s.name.clone())
            .collect();
        Ok(ParquetSource {
            file,
            meta,
            schema: Arc::new(Schema::new(fields)),
            exact,
            batch_rows: BATCH_ROWS,
            next_group: 0,
            reader: None,
            next_row: 0,
        })
    }

    /// Batches of at most `rows` rows (at least 1; [`BATCH_ROWS`] by default).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// The ledger's columns and their types, as settlement reads them
    /// (dictionary columns as their values' type): give it to the
    /// [`ParquetSink`] to write the passed columns with their types.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The number of row groups in the file.
    pub fn row_groups(&self) -> usize {
        self.meta.metadata().num_row_groups()
    }
}

/// Whether settlement can read (and the sink write) a column of type `t`.
fn supported(t: &DataType) -> bool {
    use DataType as D;
    matches!(
        t,
        D::Utf8
            | D::LargeUtf8
            | D::Utf8View
            | D::Boolean
            | D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::UInt64
            | D::Float32
            | D::Float64
            | D::Decimal32(..)
            | D::Decimal64(..)
            | D::Decimal128(..)
            | D::Date32
            | D::Timestamp(..)
    )
}

impl RecordSource for ParquetSource {
    type Batch = ParquetBatch;

    fn header(&mut self) -> Result<Header, HeaderError> {
        let mut text = Vec::new();
        let mut names = Vec::new();
        let mut spans = Vec::new();
        for (k, f) in self.schema.fields().iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            let start = text.len();
            write_csv_field(&mut text, f.name().as_bytes());
            spans.push((start, text.len()));
            names.push(f.name().clone());
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        for (k, f) in self.schema.fields().iter().enumerate() {
            let span = spans
                .get(k)
                .map_or(Span::new(0, 0), |&(a, b)| Span::new(a, b));
            let name = f.name();
            let ty = f.data_type();
            let diagnostic = if !supported(ty) {
                Diagnostic::error(
                    crate::codes::BATCH_PARQUET_TYPE,
                    format!("the column `{name}` is of the Parquet/Arrow type {ty}, which a ledger cannot hold"),
                )
                .primary(span, "this column")
                .help("a ledger's columns are strings, integers, floats, decimals, bools, dates or timestamps: drop this column or cast it to one of them")
            } else if matches!(ty, DataType::Float32 | DataType::Float64)
                && self.exact.iter().any(|n| n == name)
            {
                Diagnostic::error(
                    crate::codes::BATCH_FLOAT_MONEY,
                    format!("the column `{name}` holds floats ({ty}), but `{name}` is an exact amount: a float is not (0.1 is stored as 0.1000000000000000055…)"),
                )
                .primary(span, "a float column")
                .help("write the column as DECIMAL(p, s), e.g. DECIMAL(18, 2) (in pyarrow `pa.decimal128(18, 2)`, in Spark `DecimalType(18, 2)`), or as strings such as `100.00`")
            } else {
                continue;
            };
            return Err(HeaderError::Bad {
                diagnostic,
                header: text,
            });
        }
        Ok(Header {
            names,
            spans,
            text,
            ..Header::default()
        })
    }

    fn next_batch(&mut self) -> Result<Option<ParquetBatch>, ReadError> {
        loop {
            if let Some((reader, bytes_per_row)) = &mut self.reader {
                let at = self.next_row + 1;
                match reader.next() {
                    Some(Ok(batch)) => {
                        let batch = decode_dictionaries(batch, &self.schema)
                            .map_err(|e| read_error(at, e))?;
                        let rows = batch.num_rows() as u64;
                        let first = at;
                        self.next_row += rows;
                        return Ok(Some(ParquetBatch {
                            batch,
                            first,
                            bytes: rows.saturating_mul(*bytes_per_row),
                        }));
                    }
                    Some(Err(e)) => return Err(read_error(at, e)),
                    None => self.reader = None,
                }
            }
            let group = self.next_group;
            let Some(meta) = self.meta.metadata().row_groups().get(group) else {
                return Ok(None);
            };
            let rows = u64::try_from(meta.num_rows()).unwrap_or(0).max(1);
            let bytes = u64::try_from(meta.compressed_size()).unwrap_or(0);
            let file = self
                .file
                .try_clone()
                .map_err(|e| read_error(self.next_row + 1, e))?;
            let reader =
                ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
                    .with_row_groups(vec![group])
                    .with_batch_size(self.batch_rows)
                    .build()
                    .map_err(|e| read_error(self.next_row + 1, e))?;
            self.next_group += 1;
            self.reader = Some((reader, bytes / rows));
        }
    }

    fn read<F: FnMut(Record<'_>)>(batch: &ParquetBatch, cells: &mut Cells, mut each: F) {
        let columns: Vec<Text<'_>> = batch.batch.columns().iter().map(|a| text_of(a)).collect();
        let mut line = Vec::new();
        let mut field = Vec::new();
        for r in 0..batch.batch.num_rows() {
            cells.clear();
            line.clear();
            for (k, column) in columns.iter().enumerate() {
                if k > 0 {
                    line.push(b',');
                }
                field.clear();
                column.write(r, &mut field);
                let start = line.len();
                write_csv_field(&mut line, &field);
                cells.push_text(&field, (start, line.len()));
            }
            each(Record {
                line: batch.first + r as u64,
                text: &line,
                cells,
                error: None,
            });
        }
    }

    fn keys<F: FnMut(u64, &[u8], &[u8])>(
        batch: &ParquetBatch,
        _cells: &mut Cells,
        id: usize,
        kind: Option<usize>,
        mut each: F,
    ) {
        let column = |k: usize| batch.batch.columns().get(k).map(|a| text_of(a));
        let (Some(ids), kinds) = (column(id), kind.and_then(column)) else {
            return;
        };
        let (mut i, mut k) = (Vec::new(), Vec::new());
        for r in 0..batch.batch.num_rows() {
            i.clear();
            k.clear();
            ids.write(r, &mut i);
            if let Some(kinds) = &kinds {
                kinds.write(r, &mut k);
            }
            each(batch.first + r as u64, &i, &k);
        }
    }

    fn size(batch: &ParquetBatch) -> u64 {
        batch.bytes
    }
}

/// Decodes the dictionary columns of `batch` to plain arrays of `schema`.
fn decode_dictionaries(
    batch: RecordBatch,
    schema: &SchemaRef,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    if !batch
        .columns()
        .iter()
        .any(|a| matches!(a.data_type(), DataType::Dictionary(..)))
    {
        return RecordBatch::try_new(schema.clone(), batch.columns().to_vec());
    }
    let mut columns = Vec::with_capacity(batch.num_columns());
    for a in batch.columns() {
        match a.as_any_dictionary_opt() {
            Some(d) => columns.push(arrow_select::take::take(
                d.values().as_ref(),
                d.keys(),
                None,
            )?),
            None => columns.push(a.clone()),
        }
    }
    RecordBatch::try_new(schema.clone(), columns)
}

/// A column seen as the text of its cells (what a CSV ledger would hold).
enum Text<'a> {
    Null(&'a dyn Array),
    Str(&'a dyn Array, StrRef<'a>),
    Bool(&'a arrow_array::BooleanArray),
    Int(&'a dyn Array, IntOf),
    Float32(&'a Float32Array),
    Float64(&'a Float64Array),
    Decimal(&'a dyn Array, IntOf, i8),
    Date32(&'a Date32Array),
    Timestamp(&'a dyn Array, TimeUnit, bool),
    Unsupported(&'a dyn Array),
}

enum StrRef<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

fn int_of<T: arrow_array::ArrowPrimitiveType>(a: &dyn Array, i: usize) -> Option<i128>
where
    T::Native: Into<i128>,
{
    let a = a.as_primitive_opt::<T>()?;
    (i < a.len()).then(|| a.value(i).into())
}

/// Reads cell `i` of an integer or decimal array as an `i128`.
type IntOf = fn(&dyn Array, usize) -> Option<i128>;

fn int_fn(t: &DataType) -> Option<IntOf> {
    Some(match t {
        DataType::Int8 => int_of::<Int8Type>,
        DataType::Int16 => int_of::<Int16Type>,
        DataType::Int32 => int_of::<Int32Type>,
        DataType::Int64 => int_of::<Int64Type>,
        DataType::UInt8 => int_of::<UInt8Type>,
        DataType::UInt16 => int_of::<UInt16Type>,
        DataType::UInt32 => int_of::<UInt32Type>,
        DataType::UInt64 => int_of::<UInt64Type>,
        DataType::Decimal32(..) => int_of::<Decimal32Type>,
        DataType::Decimal64(..) => int_of::<Decimal64Type>,
        DataType::Decimal128(..) => int_of::<Decimal128Type>,
        _ => return None,
    })
}

fn text_of(a: &ArrayRef) -> Text<'_> {
    let a = a.as_ref();
    let t = a.data_type();
    let str_ref = match t {
        DataType::Utf8 => a.as_string_opt::<i32>().map(StrRef::Utf8),
        DataType::LargeUtf8 => a.as_string_opt::<i64>().map(StrRef::Large),
        DataType::Utf8View => a.as_string_view_opt().map(StrRef::View),
        _ => None,
    };
    if let Some(s) = str_ref {
        return Text::Str(a, s);
    }
    match t {
        DataType::Null => Text::Null(a),
        DataType::Boolean => a.as_boolean_opt().map_or(Text::Unsupported(a), Text::Bool),
        DataType::Float32 => a
            .as_primitive_opt::<Float32Type>()
            .map_or(Text::Unsupported(a), Text::Float32),
        DataType::Float64 => a
            .as_primitive_opt::<Float64Type>()
            .map_or(Text::Unsupported(a), Text::Float64),
        DataType::Date32 => a
            .as_primitive_opt::<Date32Type>()
            .map_or(Text::Unsupported(a), Text::Date32),
        DataType::Decimal32(_, s) | DataType::Decimal64(_, s) | DataType::Decimal128(_, s) => {
            int_fn(t).map_or(Text::Unsupported(a), |f| Text::Decimal(a, f, *s))
        }
        DataType::Timestamp(unit, tz) => Text::Timestamp(a, *unit, tz.is_some()),
        _ => int_fn(t).map_or(Text::Unsupported(a), |f| Text::Int(a, f)),
    }
}

impl Text<'_> {
    /// Writes cell `i`'s text to `out` (nothing for a null).
    fn write(&self, i: usize, out: &mut Vec<u8>) {
        let array: &dyn Array = match self {
            Text::Null(a)
            | Text::Str(a, _)
            | Text::Int(a, _)
            | Text::Decimal(a, ..)
            | Text::Timestamp(a, ..)
            | Text::Unsupported(a) => *a,
            Text::Bool(a) => *a,
            Text::Float32(a) => *a,
            Text::Float64(a) => *a,
            Text::Date32(a) => *a,
        };
        if i >= array.len() || array.is_null(i) {
            return;
        }
        // Writing to a Vec cannot fail.
        let _ = match self {
            Text::Null(_) | Text::Unsupported(_) => Ok(()),
            Text::Str(_, s) => {
                out.extend_from_slice(match s {
                    StrRef::Utf8(a) => a.value(i).as_bytes(),
                    StrRef::Large(a) => a.value(i).as_bytes(),
                    StrRef::View(a) => a.value(i).as_bytes(),
                });
                Ok(())
            }
            Text::Bool(a) => write!(out, "{}", a.value(i)),
            Text::Int(a, f) => match f(*a, i) {
                Some(v) => write!(out, "{v}"),
                None => Ok(()),
            },
            Text::Float32(a) => write!(out, "{}", a.value(i)),
            Text::Float64(a) => write!(out, "{}", a.value(i)),
            Text::Decimal(a, f, s) => {
                if let Some(v) = f(*a, i) {
                    write_decimal(out, v, *s);
                }
                Ok(())
            }
            Text::Date32(a) => {
                let days = a.value(i);
                match days
                    .checked_add(EPOCH_DAYS_CE)
                    .and_then(NaiveDate::from_num_days_from_ce_opt)
                {
                    Some(d) => write!(out, "{d}"),
                    None => write!(out, "{days}"),
                }
            }
            Text::Timestamp(a, unit, utc) => {
                let raw = timestamp_raw(*a, i, *unit);
                match raw.and_then(|v| datetime(v, *unit)) {
                    Some(dt) => {
                        let z = if *utc { "Z" } else { "" };
                        write!(out, "{}{z}", dt.format("%Y-%m-%dT%H:%M:%S%.f"))
                    }
                    None => match raw {
                        Some(v) => write!(out, "{v}"),
                        None => Ok(()),
                    },
                }
            }
        };
    }
}

fn timestamp_raw(a: &dyn Array, i: usize, unit: TimeUnit) -> Option<i64> {
    Some(match unit {
        TimeUnit::Second => a.as_primitive_opt::<TimestampSecondType>()?.value(i),
        TimeUnit::Millisecond => a.as_primitive_opt::<TimestampMillisecondType>()?.value(i),
        TimeUnit::Microsecond => a.as_primitive_opt::<TimestampMicrosecondType>()?.value(i),
        TimeUnit::Nanosecond => a.as_primitive_opt::<TimestampNanosecondType>()?.value(i),
    })
}

fn datetime(v: i64, unit: TimeUnit) -> Option<NaiveDateTime> {
    let dt = match unit {
        TimeUnit::Second => DateTime::from_timestamp(v, 0),
        TimeUnit::Millisecond => DateTime::from_timestamp_millis(v),
        TimeUnit::Microsecond => DateTime::from_timestamp_micros(v),
        TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(v)),
    };
    dt.map(|d| d.naive_utc())
}

fn undatetime(dt: NaiveDateTime, unit: TimeUnit) -> Option<i64> {
    let u = dt.and_utc();
    match unit {
        TimeUnit::Second => Some(u.timestamp()),
        TimeUnit::Millisecond => Some(u.timestamp_millis()),
        TimeUnit::Microsecond => Some(u.timestamp_micros()),
        TimeUnit::Nanosecond => u.timestamp_nanos_opt(),
    }
}

/// Writes `v × 10^-scale` exactly (`12345, 2` → `123.45`; a negative scale
/// adds zeros).
fn write_decimal(out: &mut Vec<u8>, v: i128, scale: i8) {
    if v < 0 {
        out.push(b'-');
    }
    let digits = v.unsigned_abs().to_string();
    let digits = digits.as_bytes();
    if scale <= 0 {
        out.extend_from_slice(digits);
        if v != 0 {
            out.extend(std::iter::repeat_n(b'0', usize::from(scale.unsigned_abs())));
        }
        return;
    }
    let s = usize::from(scale.unsigned_abs());
    if digits.len() > s {
        let (int, frac) = digits.split_at(digits.len() - s);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', s - digits.len()));
        out.extend_from_slice(digits);
    }
}

/// Reads the text [`write_decimal`] writes (or any plain decimal, any
/// number of digits) as a count of `10^-scale`, when exact.
fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let mut v: i128 = 0;
    let push = |v: i128, d: u8| v.checked_mul(10)?.checked_add(i128::from(d - b'0'));
    for d in int.bytes() {
        v = push(v, d)?;
    }
    let s = i32::from(scale);
    let f = frac.trim_end_matches('0');
    if s >= 0 {
        let s = usize::try_from(s).ok()?;
        if f.len() > s {
            return None;
        }
        for d in f.bytes() {
            v = push(v, d)?;
        }
        for _ in f.len()..s {
            v = v.checked_mul(10)?;
        }
    } else {
        if !f.is_empty() {
            return None;
        }
        let m = 10i128.checked_pow(s.unsigned_abs())?;
        if v % m != 0 {
            return None;
        }
        v /= m;
    }
    Some(if neg { -v } else { v })
}

// ---------------------------------------------------------------- the sink

/// Writes settled rows as Parquet: the passed columns (with the types of
/// the input `schema` when given, else as strings), then the price, each
/// fee and share and `unallocated` as `DECIMAL(38, minor unit)`. Rows are
/// written in row groups of at most [`ROW_GROUP_ROWS`] rows, compressed
/// with snappy (fast; zstd files are read too).
pub struct ParquetSink<W: Write + Send> {
    out: Option<W>,
    writer: Option<ArrowWriter<W>>,
    input: Option<SchemaRef>,
    schema: Option<SchemaRef>,
    kinds: Vec<Kind>,
    amounts: usize,
}

impl<W: Write + Send> ParquetSink<W> {
    /// A sink writing to `out`; `input` is the source's schema (from
    /// [`ParquetSource::schema`]), or `None` for a text ledger.
    pub fn new(out: W, input: Option<SchemaRef>) -> Self {
        ParquetSink {
            out: Some(out),
            writer: None,
            input,
            schema: None,
            kinds: Vec::new(),
            amounts: 0,
        }
    }
}

/// The type of one output column, for the workers.
#[derive(Clone, Debug)]
enum Kind {
    Str,
    Large,
    View,
    Bool,
    Int(DataType, i128, i128),
    Float(DataType),
    Decimal(DataType, u8, i8),
    Date32,
    Timestamp(DataType, TimeUnit),
}

impl Kind {
    fn of(t: &DataType) -> Kind {
        use DataType as D;
        match t {
            D::LargeUtf8 => Kind::Large,
            D::Utf8View => Kind::View,
            D::Boolean => Kind::Bool,
            D::Int8 => Kind::Int(t.clone(), i8::MIN.into(), i8::MAX.into()),
            D::Int16 => Kind::Int(t.clone(), i16::MIN.into(), i16::MAX.into()),
            D::Int32 => Kind::Int(t.clone(), i32::MIN.into(), i32::MAX.into()),
            D::Int64 => Kind::Int(t.clone(), i64::MIN.into(), i64::MAX.into()),
            D::UInt8 => Kind::Int(t.clone(), 0, u8::MAX.into()),
            D::UInt16 => Kind::Int(t.clone(), 0, u16::MAX.into()),
            D::UInt32 => Kind::Int(t.clone(), 0, u32::MAX.into()),
            D::UInt64 => Kind::Int(t.clone(), 0, u64::MAX.into()),
            D::Float32 | D::Float64 => Kind::Float(t.clone()),
            D::Decimal32(p, s) | D::Decimal64(p, s) | D::Decimal128(p, s) => {
                Kind::Decimal(t.clone(), *p, *s)
            }
            D::Date32 => Kind::Date32,
            D::Timestamp(u, _) => Kind::Timestamp(t.clone(), *u),
            _ => Kind::Str,
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::Large => DataType::LargeUtf8,
            Kind::View => DataType::Utf8View,
            Kind::Bool => DataType::Boolean,
            Kind::Int(t, ..) | Kind::Float(t) | Kind::Decimal(t, ..) | Kind::Timestamp(t, _) => {
                t.clone()
            }
            Kind::Date32 => DataType::Date32,
        }
    }

    fn builder(&self) -> Column {
        match self {
            Kind::Str => Column::Str(StringBuilder::new()),
            Kind::Large => Column::Large(LargeStringBuilder::new()),
            Kind::View => Column::View(StringViewBuilder::new()),
            Kind::Bool => Column::Bool(BooleanBuilder::new()),
            Kind::Float(_) => Column::Float(Vec::new()),
            _ => Column::Wide(Vec::new()),
        }
    }
}

/// One output column being built by a worker.
enum Column {
    Str(StringBuilder),
    Large(LargeStringBuilder),
    View(StringViewBuilder),
    Bool(BooleanBuilder),
    Float(Vec<Option<f64>>),
    /// Integers, decimals (unscaled), days, timestamps: checked to fit.
    Wide(Vec<Option<i128>>),
}

/// What the workers of a [`ParquetSink`] need.
#[derive(Debug)]
pub struct SinkFormat {
    kinds: Vec<Kind>,
    names: Vec<String>,
    amounts: usize,
}

/// A worker's rows of one batch, in columns.
pub struct ParquetPart {
    columns: Vec<Column>,
    amounts: Vec<Vec<i128>>,
    rows: usize,
    error: Option<String>,
}

fn new_part(kinds: &[Kind], amounts: usize) -> ParquetPart {
    ParquetPart {
        columns: kinds.iter().map(Kind::builder).collect(),
        amounts: vec![Vec::new(); amounts],
        rows: 0,
        error: None,
    }
}

impl<W: Write + Send> RecordSink for ParquetSink<W> {
    type Format = SinkFormat;
    type Part = ParquetPart;

    fn start(&mut self, columns: &OutputColumns<'_>) -> std::io::Result<SinkFormat> {
        let dp = columns.currency.minor_unit();
        let scale = i8::try_from(dp).map_err(std::io::Error::other)?;
        let mut fields = Vec::new();
        let mut kinds = Vec::new();
        for name in &columns.passed {
            let t = self
                .input
                .as_ref()
                .and_then(|s| s.field_with_name(name).ok())
                .map_or(DataType::Utf8, |f| f.data_type().clone());
            let kind = Kind::of(&t);
            fields.push(Field::new(*name, kind.data_type(), true));
            kinds.push(kind);
        }
        for name in &columns.amounts {
            fields.push(Field::new(*name, DataType::Decimal128(38, scale), false));
        }
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let out = self
            .out
            .take()
            .ok_or_else(|| std::io::Error::other("the Parquet sink was started twice"))?;
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(props))
            .map_err(std::io::Error::other)?;
        self.writer = Some(writer);
        self.schema = Some(schema);
        self.kinds = kinds.clone();
        self.amounts = columns.amounts.len();
        Ok(SinkFormat {
            kinds,
            names: columns.passed.iter().map(|s| s.to_string()).collect(),
            amounts: columns.amounts.len(),
        })
    }

    fn part(format: &SinkFormat, _bytes: u64) -> ParquetPart {
        new_part(&format.kinds, format.amounts)
    }

    fn row(f: &SinkFormat, row: &SettledRow<'_>, part: &mut ParquetPart) {
        if part.error.is_some() {
            return;
        }
        for (k, cell) in row.columns().enumerate() {
            let (Some(column), Some(kind)) = (part.columns.get_mut(k), f.kinds.get(k)) else {
                continue;
            };
            if let Err(why) = push(column, kind, cell) {
                let name = f.names.get(k).map_or("", String::as_str);
                part.error = Some(format!(
                    "row {}: the column `{name}` ({}) cannot hold {why}",
                    row.line(),
                    kind.data_type()
                ));
                return;
            }
        }
        for (column, &a) in part.amounts.iter_mut().zip(row.amounts()) {
            column.push(a);
        }
        part.rows += 1;
    }

    fn write(&mut self, part: &mut ParquetPart) -> std::io::Result<()> {
        if let Some(e) = part.error.take() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
        }
        if part.rows == 0 {
            return Ok(());
        }
        let done = std::mem::replace(part, new_part(&self.kinds, self.amounts));
        let scale = self.schema_scale();
        let (Some(schema), Some(writer)) = (&self.schema, self.writer.as_mut()) else {
            return Err(std::io::Error::other("the Parquet sink was not started"));
        };
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (column, kind) in done.columns.into_iter().zip(&self.kinds) {
            arrays.push(finish(column, kind).map_err(std::io::Error::other)?);
        }
        for amounts in done.amounts {
            let a = Decimal128Array::from(amounts)
                .with_precision_and_scale(38, scale)
                .map_err(std::io::Error::other)?;
            arrays.push(Arc::new(a));
        }
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(std::io::Error::other)?;
        writer.write(&batch).map_err(std::io::Error::other)
    }

    fn finish(
        &mut self,
        _statement: &super::statement::Statement,
        _reconciliation: &super::statement::Reconciliation,
    ) -> std::io::Result<()> {
        match self.writer.take() {
            Some(w) => {
                let mut out = w.into_inner().map_err(std::io::Error::other)?;
                out.flush()?;
                self.out = Some(out);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl<W: Write + Send> ParquetSink<W> {
    fn schema_scale(&self) -> i8 {
        self.schema
            .as_ref()
            .and_then(|s| s.fields().last())
            .map_or(2, |f| match f.data_type() {
                DataType::Decimal128(_, s) => *s,
                _ => 2,
            })
    }

    /// The output, back once the run finished (`None` before).
    pub fn into_inner(self) -> Option<W> {
        self.out
    }
}

/// Appends one cell to `column` as `kind`: the text a source read, or an
/// input's value; `Err` says what it cannot hold.
fn push(column: &mut Column, kind: &Kind, cell: Cell<'_>) -> Result<(), String> {
    let mut text_buf = Vec::new();
    let text: Option<&[u8]> = match cell {
        Cell::Text(t) | Cell::Json(t) => (!t.is_empty()).then_some(t),
        Cell::Value(_) => None,
    };
    let value = match cell {
        Cell::Value(v) => Some(v),
        _ => None,
    };
    match column {
        Column::Str(_) | Column::Large(_) | Column::View(_) => {
            let bytes: Option<&[u8]> = match (text, value) {
                (Some(t), _) => Some(t),
                (None, Some(v)) => {
                    write_value(&mut text_buf, Some(v), false);
                    Some(&text_buf)
                }
                (None, None) => None,
            };
            let s = match bytes {
                Some(b) => {
                    Some(std::str::from_utf8(b).map_err(|_| "text that is not UTF-8".to_string())?)
                }
                None => None,
            };
            match column {
                Column::Str(b) => b.append_option(s),
                Column::Large(b) => b.append_option(s),
                Column::View(b) => b.append_option(s),
                _ => {}
            }
            Ok(())
        }
        Column::Bool(b) => {
            let v = match (text, value) {
                (Some(b"true"), _) | (None, Some(Value::Bool(true))) => Some(true),
                (Some(b"false"), _) | (None, Some(Value::Bool(false))) => Some(false),
                (None, None) => None,
                _ => return Err(shown(text, value)),
            };
            b.append_option(v);
            Ok(())
        }
        Column::Float(v) => {
            let x = match (text, value) {
                (Some(t), _) => Some(
                    std::str::from_utf8(t)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok()),
                ),
                (None, Some(Value::Number(d) | Value::Money(d, _) | Value::Rate(d, ..))) => {
                    Some(d.to_string().parse::<f64>().ok())
                }
                (None, None) => None,
                _ => Some(None),
            };
            match x {
                Some(Some(x)) => v.push(Some(x)),
                Some(None) => return Err(shown(text, value)),
                None => v.push(None),
            }
            Ok(())
        }
        Column::Wide(v) => {
            if text.is_none() && value.is_none() {
                v.push(None);
                return Ok(());
            }
            let t = text.and_then(|t| std::str::from_utf8(t).ok());
            let x = match kind {
                Kind::Int(_, lo, hi) => match (t, value) {
                    (Some(t), _) => t.parse::<i128>().ok(),
                    (None, Some(Value::Number(d) | Value::Money(d, _) | Value::Rate(d, ..))) => {
                        units(d, 0)
                    }
                    _ => None,
                }
                .filter(|x| (*lo..=*hi).contains(x)),
                Kind::Decimal(_, p, s) => match (t, value) {
                    (Some(t), _) => parse_decimal(t, *s),
                    (None, Some(Value::Number(d) | Value::Money(d, _) | Value::Rate(d, ..))) => {
                        parse_decimal(&d.to_string(), *s)
                    }
                    _ => None,
                }
                .filter(|x| {
                    10i128
                        .checked_pow(u32::from(*p))
                        .is_none_or(|m| x.unsigned_abs() < m.unsigned_abs())
                }),
                Kind::Date32 => match (t, value) {
                    (Some(t), _) => t
                        .parse::<NaiveDate>()
                        .ok()
                        .map(|d| i128::from(d.num_days_from_ce() - EPOCH_DAYS_CE))
                        .or_else(|| t.parse::<i32>().ok().map(i128::from)),
                    (None, Some(Value::Date(d))) => {
                        Some(i128::from(d.num_days_from_ce() - EPOCH_DAYS_CE))
                    }
                    _ => None,
                },
                Kind::Timestamp(_, unit) => match (t, value) {
                    (Some(t), _) => NaiveDateTime::parse_from_str(
                        t.trim_end_matches('Z'),
                        "%Y-%m-%dT%H:%M:%S%.f",
                    )
                    .ok()
                    .and_then(|dt| undatetime(dt, *unit))
                    .or_else(|| t.parse::<i64>().ok())
                    .map(i128::from),
                    (None, Some(Value::Date(d))) => d
                        .and_hms_opt(0, 0, 0)
                        .and_then(|dt| undatetime(dt, *unit))
                        .map(i128::from),
                    _ => None,
                },
                _ => None,
            };
            match x {
                Some(x) => {
                    v.push(Some(x));
                    Ok(())
                }
                None => Err(shown(text, value)),
            }
        }
    }
}

fn shown(text: Option<&[u8]>, value: Option<Value>) -> String {
    match (text, value) {
        (Some(t), _) => format!("`{}`", String::from_utf8_lossy(t)),
        (None, Some(v)) => format!("`{v}`"),
        (None, None) => "an empty cell".into(),
    }
}

/// The finished array of `column` (its values were checked to fit `kind`).
fn finish(column: Column, kind: &Kind) -> Result<ArrayRef, arrow_schema::ArrowError> {
    fn narrow<T: TryFrom<i128>>(v: &[Option<i128>]) -> impl Iterator<Item = Option<T>> + '_ {
        v.iter().map(|x| x.and_then(|x| T::try_from(x).ok()))
    }
    Ok(match column {
        Column::Str(mut b) => Arc::new(b.finish()),
        Column::Large(mut b) => Arc::new(b.finish()),
        Column::View(mut b) => Arc::new(b.finish()),
        Column::Bool(mut b) => Arc::new(b.finish()),
        Column::Float(v) => match kind.data_type() {
            DataType::Float32 => Arc::new(
                v.iter()
                    .map(|x| x.map(|x| x as f32))
                    .collect::<Float32Array>(),
            ),
            _ => Arc::new(v.into_iter().collect::<Float64Array>()),
        },
        Column::Wide(v) => match kind.data_type() {
            DataType::Int8 => Arc::new(narrow::<i8>(&v).collect::<Int8Array>()),
            DataType::Int16 => Arc::new(narrow::<i16>(&v).collect::<Int16Array>()),
            DataType::Int32 => Arc::new(narrow::<i32>(&v).collect::<Int32Array>()),
            DataType::Int64 => Arc::new(narrow::<i64>(&v).collect::<Int64Array>()),
            DataType::UInt8 => Arc::new(narrow::<u8>(&v).collect::<UInt8Array>()),
            DataType::UInt16 => Arc::new(narrow::<u16>(&v).collect::<UInt16Array>()),
            DataType::UInt32 => Arc::new(narrow::<u32>(&v).collect::<UInt32Array>()),
            DataType::UInt64 => Arc::new(narrow::<u64>(&v).collect::<UInt64Array>()),
            DataType::Decimal32(p, s) => Arc::new(
                narrow::<i32>(&v)
                    .collect::<Decimal32Array>()
                    .with_precision_and_scale(p, s)?,
            ),
            DataType::Decimal64(p, s) => Arc::new(
                narrow::<i64>(&v)
                    .collect::<Decimal64Array>()
                    .with_precision_and_scale(p, s)?,
            ),
            DataType::Decimal128(p, s) => Arc::new(
                v.into_iter()
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(p, s)?,
            ),
            DataType::Date32 => Arc::new(narrow::<i32>(&v).collect::<Date32Array>()),
            DataType::Timestamp(unit, tz) => {
                let it = narrow::<i64>(&v);
                match unit {
                    TimeUnit::Second => {
                        Arc::new(it.collect::<TimestampSecondArray>().with_timezone_opt(tz))
                    }
                    TimeUnit::Millisecond => Arc::new(
                        it.collect::<TimestampMillisecondArray>()
                            .with_timezone_opt(tz),
                    ),
                    TimeUnit::Microsecond => Arc::new(
                        it.collect::<TimestampMicrosecondArray>()
                            .with_timezone_opt(tz),
                    ),
                    TimeUnit::Nanosecond => Arc::new(
                        it.collect::<TimestampNanosecondArray>()
                            .with_timezone_opt(tz),
                    ),
                }
            }
            t => {
                return Err(arrow_schema::ArrowError::NotYetImplemented(format!(
                    "writing a column of type {t}"
                )))
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_through_text() {
        for (v, s, text) in [
            (12345i128, 2i8, "123.45"),
            (-5, 2, "-0.05"),
            (0, 2, "0.00"),
            (7, 0, "7"),
            (12, -2, "1200"),
            (1, 5, "0.00001"),
        ] {
            let mut out = Vec::new();
            write_decimal(&mut out, v, s);
            assert_eq!(out, text.as_bytes());
            assert_eq!(parse_decimal(text, s), Some(v));
        }
        assert_eq!(parse_decimal("1.234", 2), None);
        assert_eq!(parse_decimal("1.230", 2), Some(123));
        assert_eq!(parse_decimal("1.5", -1), None);
        assert_eq!(parse_decimal("x", 2), None);
        // More decimals than a rust_decimal holds.
        let long = "0.000000000000000000000000000001";
        assert_eq!(parse_decimal(long, 30), Some(1));
    }
}
