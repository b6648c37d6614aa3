//! What the caller hears while a ledger is settled ([`Observer`]), and why
//! a run stops ([`Fatal`]).

use super::sink::Reject;
use super::source::ReadError;
use crate::diag::Diagnostic;

/// What the caller hears while a ledger is settled (on the calling thread).
pub trait Observer {
    /// A rejected row, in input order.
    fn reject(&mut self, reject: &Reject) -> std::io::Result<()>;
    /// Progress: `bytes` and `records` more were settled.
    fn progress(&mut self, _bytes: u64, _records: u64) {}
    /// A warning about the header; spans point into `header`.
    fn warning(&mut self, _diagnostic: &Diagnostic, _header: &str) {}
}

/// Collects rejects in memory (for tests and small ledgers).
impl Observer for Vec<Reject> {
    fn reject(&mut self, reject: &Reject) -> std::io::Result<()> {
        self.push(reject.clone());
        Ok(())
    }
}

/// Why a ledger could not be settled at all.
#[derive(Debug)]
pub enum Fatal {
    /// The ledger is empty: no header.
    Empty,
    /// The header is wrong; the diagnostic's spans point into `header`.
    Header {
        /// What is wrong.
        diagnostic: Diagnostic,
        /// The header line.
        header: String,
    },
    /// Reading failed.
    Read(ReadError),
    /// Writing failed.
    Write(String),
    /// Something else (totals overflow, an internal error).
    Other(Diagnostic),
}

impl Fatal {
    /// The problem as a diagnostic, with the text its spans point into.
    pub fn diagnostic(&self) -> (Diagnostic, String) {
        match self {
            Fatal::Empty => (
                Diagnostic::error(
                    crate::codes::BATCH_EMPTY,
                    "the ledger is empty: no header line",
                )
                .help("the first line names the columns, e.g. `sale_id,date,price`"),
                String::new(),
            ),
            Fatal::Header { diagnostic, header } => (diagnostic.clone(), header.clone()),
            Fatal::Read(e) => (
                Diagnostic::error(crate::codes::BATCH_READ, e.message.clone()),
                String::new(),
            ),
            Fatal::Write(m) => (
                Diagnostic::error(crate::codes::BATCH_WRITE, m.clone()),
                String::new(),
            ),
            Fatal::Other(d) => (d.clone(), String::new()),
        }
    }
}

/// Tells `observer` of a run of chunks written, in input order: their
/// rejects, then the bytes and records settled.
pub(crate) fn hear(
    observer: &mut dyn Observer,
    rejects: &[Reject],
    bytes: u64,
    records: u64,
) -> Result<(), Fatal> {
    for r in rejects {
        observer.reject(r).map_err(Fatal::rejects)?;
    }
    observer.progress(bytes, records);
    Ok(())
}

impl Fatal {
    /// Writing the output failed.
    pub(crate) fn output(e: std::io::Error) -> Fatal {
        Fatal::Write(format!("cannot write the output: {e}"))
    }

    /// The observer could not take a rejected row.
    pub(crate) fn rejects(e: std::io::Error) -> Fatal {
        Fatal::Write(format!("cannot write the rejected rows: {e}"))
    }

    /// A settlement thread panicked, or lost a batch: a bug.
    pub(crate) fn internal() -> Fatal {
        Fatal::Other(Diagnostic::error(
            crate::codes::INTERNAL,
            "internal error: a settlement thread failed; please report this",
        ))
    }
}
