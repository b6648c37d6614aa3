//! The CSV and JSON Lines sink: per-sale rows as bytes, formatted by the
//! workers (without allocating per row), written in input order.

use super::field::{units, write_units};
use super::quote::{write_csv_field, write_json_string};
use super::sink::{OutputColumns, RecordSink, SettledRow};
use super::source::Cell;
use super::statement::{Reconciliation, Statement};
use crate::value::Value;
use std::io::Write;

/// The format of the per-sale output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Writes settled rows as CSV (with a header line, always `,`-separated
/// with decimal points) or JSON Lines (amounts and input values as
/// strings) to a [`Write`]; rejects are left to the observer.
pub struct LedgerWriter<W> {
    out: W,
    format: OutFormat,
}

impl<W: Write> LedgerWriter<W> {
    /// A writer of `format` to `out`.
    pub fn new(out: W, format: OutFormat) -> Self {
        LedgerWriter { out, format }
    }

    /// The output, back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// What the workers of a [`LedgerWriter`] need.
#[derive(Debug)]
pub struct WriterFormat {
    format: OutFormat,
    /// Per output column, `{"name":` or `,"name":`.
    json_keys: Vec<Vec<u8>>,
}

impl<W: Write> RecordSink for LedgerWriter<W> {
    type Format = WriterFormat;
    type Part = Vec<u8>;

    fn start(&mut self, columns: &OutputColumns<'_>) -> std::io::Result<WriterFormat> {
        let names = columns.passed.iter().chain(&columns.amounts);
        let mut json_keys = Vec::new();
        for (k, n) in names.enumerate() {
            let mut key = Vec::new();
            key.push(if k == 0 { b'{' } else { b',' });
            write_json_string(&mut key, n.as_bytes());
            key.push(b':');
            json_keys.push(key);
        }
        if self.format == OutFormat::Csv {
            let mut out = Vec::new();
            for n in &columns.passed {
                write_csv_field(&mut out, n.as_bytes());
                out.push(b',');
            }
            for (k, n) in columns.amounts.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write_csv_field(&mut out, n.as_bytes());
            }
            out.push(b'\n');
            self.out.write_all(&out)?;
        }
        Ok(WriterFormat {
            format: self.format,
            json_keys,
        })
    }

    fn part(_format: &WriterFormat, bytes: u64) -> Vec<u8> {
        Vec::with_capacity(usize::try_from(bytes).unwrap_or(0).saturating_mul(2))
    }

    fn row(f: &WriterFormat, row: &SettledRow<'_>, out: &mut Vec<u8>) {
        let dp = row.dp();
        match f.format {
            OutFormat::Csv => {
                for cell in row.columns() {
                    match cell {
                        Cell::Value(v) => write_value(out, Some(v), false),
                        Cell::Text(t) | Cell::Json(t) => write_csv_field(out, t),
                    }
                    out.push(b',');
                }
                for (k, &a) in row.amounts().iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    write_units(out, a, dp);
                }
                out.push(b'\n');
            }
            OutFormat::Jsonl => {
                let mut keys = f.json_keys.iter();
                for cell in row.columns() {
                    if let Some(k) = keys.next() {
                        out.extend_from_slice(k);
                    }
                    match cell {
                        Cell::Value(v) => write_value(out, Some(v), true),
                        Cell::Json(t) => out.extend_from_slice(t),
                        Cell::Text(t) => write_json_string(out, t),
                    }
                }
                for &a in row.amounts() {
                    if let Some(k) = keys.next() {
                        out.extend_from_slice(k);
                    }
                    out.push(b'"');
                    write_units(out, a, dp);
                    out.push(b'"');
                }
                out.extend_from_slice(b"}\n");
            }
        }
    }

    fn write(&mut self, part: &mut Vec<u8>) -> std::io::Result<()> {
        self.out.write_all(part)?;
        part.clear();
        Ok(())
    }

    fn finish(&mut self, _: &Statement, _: &Reconciliation) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Writes the value an input had: money with its currency's minor-unit
/// decimals (when exact), numbers and rates as they are, dates as ISO; in
/// JSON as a string (a bool as itself). Does not allocate.
pub(super) fn write_value(out: &mut Vec<u8>, v: Option<Value>, json: bool) {
    let quote = json && !matches!(v, Some(Value::Bool(_)));
    if quote {
        out.push(b'"');
    }
    // Writing to a Vec cannot fail.
    let _ = match v {
        Some(Value::Money(d, c)) => match units(d, c.minor_unit()) {
            Some(u) => {
                write_units(out, u, c.minor_unit());
                Ok(())
            }
            None => write!(out, "{d}"),
        },
        Some(Value::Number(d) | Value::Rate(d, ..)) => write!(out, "{d}"),
        Some(Value::Bool(b)) => write!(out, "{b}"),
        Some(Value::Date(d)) => write!(out, "{d}"),
        None => Ok(()),
    };
    if quote {
        out.push(b'"');
    }
}
