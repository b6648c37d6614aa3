//! Settling a whole sales ledger: `splitdsl run FILE --sales SALES.csv`.
//!
//! The ledger is read in blocks of whole records ([`reader`]); each block is
//! parsed, evaluated and written to a buffer by a worker ([`settle`](mod@settle)), and the
//! buffers are written out in input order, so the output does not depend on
//! the number of threads. Memory stays bounded: a few blocks are in flight at
//! a time, whatever the size of the ledger. Each worker keeps its own exact
//! totals ([`statement`]), added up at the end and reconciled.
//!
//! Threads: std scoped threads and bounded `std::sync::mpsc` channels. Block
//! `k` goes to worker `k mod n` and the writer takes results round-robin from
//! the workers in the same order, so no reordering buffer is needed; the
//! bounded channels give back-pressure in both directions.

pub mod field;
pub mod ids;
pub mod quote;
pub mod reader;
pub mod settle;
pub mod statement;

use crate::agreement::Agreement;
use crate::diag::{render, render_at, Diagnostic, Style};
use crate::eval::Inputs;
pub use reader::Delimiter;
use reader::{json_keys, split_csv, BlockReader, Fields, ReadError, SalesFormat};
pub use settle::{Against, Chunk, Layout, OutFormat, Reject, Settler};
pub use statement::{Reconciliation, Statement};
use std::io::{Read, Write};
use std::sync::mpsc::sync_channel;

/// How to settle a ledger.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The format of the per-sale output.
    pub format: OutFormat,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The CSV delimiter; `None` detects it from the header.
    pub delimiter: Option<Delimiter>,
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
            .map(|n| String::from_utf8_lossy(field::trim(n)).into_owned())
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

/// A settled ledger's totals.
#[derive(Debug)]
pub struct Settlement {
    /// The statement.
    pub statement: Statement,
    /// Its reconciliation.
    pub reconciliation: Reconciliation,
}

/// Settles the ledger `input` with `agreement` (`base` holds `--set`
/// overrides, which a row's own cells win over), writing per-sale rows to
/// `output` in input order with `threads` workers.
pub fn settle<R: Read + Send, W: Write>(
    agreement: &Agreement,
    base: &Inputs,
    input: R,
    output: W,
    format: OutFormat,
    threads: usize,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    let options = Options {
        format,
        threads,
        delimiter: None,
    };
    settle_with(agreement, base, input, output, &options, observer)
}

/// [`settle()`], with every option.
pub fn settle_with<R: Read + Send, W: Write>(
    agreement: &Agreement,
    base: &Inputs,
    input: R,
    mut output: W,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    let (format, threads) = (options.format, options.threads);
    let p = &agreement.program;
    let mut reader = BlockReader::new(input);
    let sales_format = reader.sniff().map_err(Fatal::Read)?;
    reader.set_format(sales_format);
    let header = reader
        .first_record(sales_format == SalesFormat::Csv)
        .map_err(Fatal::Read)?
        .ok_or(Fatal::Empty)?;
    let header_text = String::from_utf8_lossy(&header).into_owned();
    let header_error = |diagnostic: Diagnostic| Fatal::Header {
        diagnostic,
        header: header_text.clone(),
    };
    let delimiter = match sales_format {
        SalesFormat::Csv => options
            .delimiter
            .unwrap_or_else(|| detect_delimiter(agreement, &header)),
        SalesFormat::Jsonl => Delimiter::Comma,
    };
    let (names, spans) = match sales_format {
        SalesFormat::Csv => {
            let mut f = Fields::default();
            split_csv(&header, delimiter.byte(), &mut f).map_err(|e| {
                header_error(
                    Diagnostic::error(e.code, e.message)
                        .primary(crate::span::Span::new(e.span.0, e.span.1), "")
                        .maybe_help(e.help),
                )
            })?;
            let names = (0..f.len())
                .map(|i| {
                    String::from_utf8_lossy(field::trim(f.get(i).unwrap_or_default())).into_owned()
                })
                .collect::<Vec<_>>();
            (names, f.spans.clone())
        }
        SalesFormat::Jsonl => {
            let keys = json_keys(&header).map_err(|e| {
                header_error(Diagnostic::error(e.code, e.message).help(
                    "the first line of a JSON Lines ledger is an object; its keys name the columns",
                ))
            })?;
            let spans = vec![(0, header.len()); keys.len()];
            (keys, spans)
        }
    };
    let layout = Layout::new(agreement, sales_format, delimiter, names, &spans, base)
        .map_err(|e| header_error(e.diagnostic))?;
    for w in &layout.warnings {
        observer.warning(w, &header_text);
    }
    let werr = |e: std::io::Error| Fatal::Write(format!("cannot write the output: {e}"));
    if format == OutFormat::Csv {
        output
            .write_all(&layout.csv_header(agreement))
            .map_err(werr)?;
    }

    let mut emit = |chunk: &mut Chunk| -> Result<(), Fatal> {
        output.write_all(&chunk.rows).map_err(werr)?;
        for r in &chunk.rejects {
            observer
                .reject(r)
                .map_err(|e| Fatal::Write(format!("cannot write the rejected rows: {e}")))?;
        }
        observer.progress(chunk.bytes, chunk.records);
        Ok(())
    };

    let threads = threads.max(1);
    let mut statement = Statement::new(p);
    // Ids are checked in input order, as blocks are cut, before they are settled.
    let mut index = ids::IdIndex::new();
    if threads == 1 {
        let mut settler = Settler::new(agreement, &layout, base, format);
        let mut chunk = Chunk::default();
        while let Some(mut block) = reader.next_block().map_err(Fatal::Read)? {
            index.scan(&mut block, &layout);
            chunk.rows.clear();
            chunk.rejects.clear();
            chunk.records = 0;
            settler.settle_block(&block, &mut chunk);
            emit(&mut chunk)?;
        }
        statement = settler.statement;
    } else {
        let layout = &layout;
        let parts = std::thread::scope(|s| -> Result<Vec<Statement>, Fatal> {
            let mut block_txs = Vec::with_capacity(threads);
            let mut result_rxs = Vec::with_capacity(threads);
            let mut workers = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (btx, brx) = sync_channel::<reader::Block>(2);
                let (rtx, rrx) = sync_channel::<Chunk>(2);
                block_txs.push(btx);
                result_rxs.push(rrx);
                workers.push(s.spawn(move || {
                    let mut settler = Settler::new(agreement, layout, base, format);
                    for block in brx {
                        let mut chunk = Chunk {
                            rows: Vec::with_capacity(block.data.len() * 2),
                            ..Chunk::default()
                        };
                        settler.settle_block(&block, &mut chunk);
                        drop(block);
                        if rtx.send(chunk).is_err() {
                            break;
                        }
                    }
                    settler.statement
                }));
            }
            let index = &mut index;
            let feeder = s.spawn(move || -> Result<(), ReadError> {
                let mut k = 0usize;
                while let Some(mut block) = reader.next_block()? {
                    index.scan(&mut block, layout);
                    let Some(tx) = block_txs.get(k % block_txs.len()) else {
                        return Ok(());
                    };
                    if tx.send(block).is_err() {
                        return Ok(()); // the writer stopped
                    }
                    k += 1;
                }
                Ok(())
            });
            let mut outcome = Ok(());
            let mut seq = 0usize;
            while let Some(rx) = result_rxs.get(seq % threads) {
                let Ok(mut chunk) = rx.recv() else { break };
                if let Err(e) = emit(&mut chunk) {
                    outcome = Err(e);
                    break;
                }
                seq += 1;
            }
            drop(result_rxs);
            let internal = || {
                Fatal::Other(Diagnostic::error(
                    crate::codes::INTERNAL,
                    "internal error: a settlement thread failed; please report this",
                ))
            };
            let read = feeder.join().map_err(|_| internal())?;
            let mut parts = Vec::with_capacity(threads);
            for w in workers {
                parts.push(w.join().map_err(|_| internal())?);
            }
            outcome?;
            read.map_err(Fatal::Read)?;
            Ok(parts)
        })?;
        for part in &parts {
            statement.merge(part).map_err(Fatal::Other)?;
        }
    }
    statement.orphans = index.orphans();
    output
        .flush()
        .map_err(|e| Fatal::Write(format!("cannot write the output: {e}")))?;
    let reconciliation = statement.reconcile(p).map_err(Fatal::Other)?;
    Ok(Settlement {
        statement,
        reconciliation,
    })
}

/// A rejected row as a rendered diagnostic, its message led by the row's
/// place: `sales.csv, line 5 (sale_id S0004): …`.
pub fn render_reject(r: &Reject, agreement: &Agreement, sales_name: &str, style: Style) -> String {
    let mut d = r.diagnostic.clone();
    let id =
        r.id.as_deref()
            .map_or(String::new(), |id| format!(" ({id})"));
    d.message = format!("{sales_name}, line {}{id}: {}", r.line, d.message);
    match r.against {
        Against::Row => render_at(
            &d,
            sales_name,
            &r.record,
            usize::try_from(r.line).unwrap_or(usize::MAX),
            style,
        ),
        Against::Agreement => render(&d, &agreement.source.name, &agreement.source.text, style),
    }
}
