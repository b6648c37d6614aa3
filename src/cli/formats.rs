//! Which reader and which writer a `run --sales` uses: CSV / JSON Lines,
//! or Parquet (feature `parquet`). The settling is the library's
//! `settle_records`, with `batch::parquet`'s source and sink in place of the
//! CSV ones where the files are Parquet.

use crate::agreement::Agreement;
#[cfg(feature = "parquet")]
use crate::batch::parquet::{ParquetSink, ParquetSource};
use crate::batch::{Fatal, Observer, Options, OutFormat, Settlement};
#[cfg(feature = "parquet")]
use crate::batch::{LedgerReader, LedgerWriter};
use crate::eval::Inputs;
#[cfg(feature = "parquet")]
use std::fs::File;
use std::io::{Read, Write};
#[cfg(feature = "parquet")]
use std::path::Path;

/// The format of `--sales` when it is forced (`--sales-format`).
#[cfg(feature = "parquet")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SalesFormat {
    /// CSV or JSON Lines (told apart by the content).
    Csv,
    /// Parquet.
    Parquet,
}

/// Whether `path` names a JSON Lines file (`.jsonl`, `.ndjson`): the per-sale
/// rows written there are JSON Lines unless `--format` says otherwise.
pub fn is_jsonl(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// Whether `path` is a Parquet file by its name (`.parquet`, `.pq`).
#[cfg(feature = "parquet")]
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}

/// Whether the ledger `path` is Parquet: forced, or by its name or its
/// first four bytes (`PAR1`).
#[cfg(feature = "parquet")]
pub fn sales_are_parquet(path: &Path, forced: Option<SalesFormat>) -> bool {
    match forced {
        Some(f) => f == SalesFormat::Parquet,
        None if crate::output::is_dash(path) => false,
        None => {
            is_parquet(path) || {
                let mut magic = [0u8; 4];
                File::open(path)
                    .and_then(|mut f| f.read_exact(&mut magic))
                    .is_ok_and(|()| &magic == b"PAR1")
            }
        }
    }
}

/// The ledger, opened.
pub enum Sales {
    /// CSV or JSON Lines.
    Text(Box<dyn Read + Send>),
    /// A Parquet file (read from its end: a file, not a stream).
    #[cfg(feature = "parquet")]
    Parquet(File),
}

/// The opened ledger file: Parquet when `parquet`.
pub fn opened(file: std::fs::File, parquet: bool) -> Sales {
    #[cfg(feature = "parquet")]
    if parquet {
        return Sales::Parquet(file);
    }
    let _ = parquet;
    Sales::Text(Box::new(file))
}

/// The per-sale rows' format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// CSV or JSON Lines.
    Text(OutFormat),
    /// Parquet.
    #[cfg(feature = "parquet")]
    Parquet,
}

/// Settles `sales` into `out` as `rows` says.
pub fn settle<W: Write + Send>(
    agreement: &Agreement,
    inputs: &Inputs,
    sales: Sales,
    rows: Rows,
    out: W,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    #[cfg(feature = "parquet")]
    let threads = options.threads;
    match (sales, rows) {
        (Sales::Text(input), Rows::Text(format)) => {
            let options = Options { format, ..*options };
            crate::batch::settle_with_raw(agreement, inputs, input, out, &options, observer)
        }
        #[cfg(feature = "parquet")]
        (Sales::Text(input), Rows::Parquet) => {
            let source = LedgerReader::new(input, agreement, options.delimiter);
            let mut sink = ParquetSink::new(out, None);
            crate::batch::settle_records_raw(
                agreement, inputs, source, &mut sink, threads, observer,
            )
        }
        #[cfg(feature = "parquet")]
        (Sales::Parquet(file), rows) => {
            let source = ParquetSource::new(file, agreement).map_err(Fatal::Read)?;
            match rows {
                Rows::Text(format) => {
                    let mut sink = LedgerWriter::new(out, format);
                    crate::batch::settle_records_raw(
                        agreement, inputs, source, &mut sink, threads, observer,
                    )
                }
                Rows::Parquet => {
                    let mut sink = ParquetSink::new(out, Some(source.schema()));
                    crate::batch::settle_records_raw(
                        agreement, inputs, source, &mut sink, threads, observer,
                    )
                }
            }
        }
    }
}
