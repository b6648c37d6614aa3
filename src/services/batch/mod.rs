//! Settling a whole sales ledger: `splitdsl run FILE --sales SALES.csv`.
//!
//! Settlement reads sales from a [`RecordSource`] and writes settled rows to
//! a [`RecordSink`] ([`settle_records`]); the CSV and JSON Lines ledger is one
//! of each ([`LedgerReader`], [`LedgerWriter`]). The ledger is read in
//! blocks of whole records ([`reader`]); each block is
//! parsed, evaluated and written to a buffer by a worker ([`settle`](mod@settle)), and the
//! buffers are written out in input order, so the output does not depend on
//! the number of threads. Memory stays bounded: a few blocks are in flight at
//! a time, whatever the size of the ledger. Each worker keeps its own exact
//! totals ([`statement`]), added up at the end and reconciled.
//!
//! Threads: std scoped threads. With more than one, each worker takes the
//! next batch (and lists its duplicate ids) in input order, settles it and
//! writes the chunks in input order when their turn comes ([`parallel`]);
//! an agreement with running totals is settled speculatively ([`running`]).
//! The observer is always called on the calling thread.
mod chunk;
pub mod columns;
pub mod field;
pub mod ids;
pub mod json;
mod observer;
pub mod parallel;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod quote;
pub mod reader;
pub mod running;
pub mod settle;
pub mod sink;
pub mod source;
pub mod statement;
pub mod writer;

use crate::agreement::Agreement;
use crate::diag::{render, render_at, Diagnostic, Style};
use crate::eval::Inputs;
use chunk::{settle_batch, Chunk};
pub use observer::{Fatal, Observer};
use reader::Dup;
pub use reader::{detect_delimiter, Delimiter, LedgerReader};
use running::{Mode, Speculation};
pub use settle::{Layout, Settler};
pub use sink::{Against, OutputColumns, RecordSink, Reject, SettledRow};
pub use source::{
    Cell, Cells, Columns, Header, HeaderError, ReadError, Record, RecordError, RecordSource,
};
pub use statement::{Kind, Reconciliation, Statement};
use std::io::{Read, Write};
use std::sync::mpsc::sync_channel;
pub use writer::{LedgerWriter, OutFormat};

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
pub fn settle<R: Read + Send, W: Write + Send>(
    agreement: &Agreement,
    base: &crate::api::Inputs<'_>,
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
pub fn settle_with<R: Read + Send, W: Write + Send>(
    agreement: &Agreement,
    base: &crate::api::Inputs<'_>,
    input: R,
    output: W,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    same_agreement(agreement, base)?;
    settle_with_raw(agreement, base.values(), input, output, options, observer)
}

/// The inputs were made for `agreement` (not for another one).
fn same_agreement(agreement: &Agreement, base: &crate::api::Inputs<'_>) -> Result<(), Fatal> {
    if base.agreement().id == agreement.id {
        return Ok(());
    }
    Err(Fatal::Other(
        Diagnostic::error(
            crate::codes::INPUT_OTHER_AGREEMENT,
            format!(
                "these inputs were made for `{}`, not for `{}`",
                base.agreement().source.name,
                agreement.source.name
            ),
        )
        .help("make the inputs with `agreement.inputs()` of the agreement that settles"),
    ))
}

/// [`settle_with`] with the evaluator's inputs (the command line's).
pub(crate) fn settle_with_raw<R: Read + Send, W: Write + Send>(
    agreement: &Agreement,
    base: &Inputs,
    input: R,
    output: W,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal> {
    let source = LedgerReader::new(input, agreement, options.delimiter);
    let mut sink = LedgerWriter::new(output, options.format);
    settle_records_raw(
        agreement,
        base,
        source,
        &mut sink,
        options.threads,
        observer,
    )
}

/// Settles the sales of `source` with `agreement` (`base` holds `--set`
/// overrides, which a row's own cells win over) into `sink`, in input
/// order, with `threads` workers; `observer` hears of rejects, progress and
/// header warnings. Settlement (reading cells into inputs, evaluation,
/// duplicate ids, the statement, the threads) knows nothing of the formats:
/// [`settle_with`] is this with the CSV / JSON Lines [`LedgerReader`] and
/// [`LedgerWriter`].
///
/// # Example
///
/// A ledger from memory (typed prices) into a `Vec` of the producers' amounts:
///
/// ```
/// use splitdsl::batch::{
///     settle_records, Cells, Header, HeaderError, OutputColumns, ReadError, Record,
///     RecordSink, RecordSource, Reject, SettledRow,
/// };
/// use splitdsl::value::{Currency, Value};
/// use rust_decimal::Decimal;
///
/// /// Sales in memory: (id, price in cents), one batch.
/// struct Sales(Option<Vec<(String, i64)>>);
///
/// impl RecordSource for Sales {
///     type Batch = Vec<(String, i64)>;
///     fn header(&mut self) -> Result<Header, HeaderError> {
///         Ok(Header { names: vec!["sale_id".into(), "price".into()], ..Header::default() })
///     }
///     fn next_batch(&mut self) -> Result<Option<Self::Batch>, ReadError> {
///         Ok(self.0.take())
///     }
///     fn read<F: FnMut(Record<'_>)>(batch: &Self::Batch, cells: &mut Cells, mut each: F) {
///         for (n, (id, cents)) in batch.iter().enumerate() {
///             cells.clear();
///             cells.push_text(id.as_bytes(), (0, 0));
///             let usd = Currency::from_code("USD").unwrap();
///             cells.push_value(Value::Money(Decimal::new(*cents, 2), usd), (0, 0));
///             each(Record { line: n as u64 + 1, text: b"", cells, error: None });
///         }
///     }
/// }
///
/// /// The producer's amount of every settled sale.
/// #[derive(Default)]
/// struct Producer(Vec<Decimal>);
///
/// impl RecordSink for Producer {
///     type Format = usize; // the producer's place among the amounts
///     type Part = Vec<Decimal>;
///     fn start(&mut self, columns: &OutputColumns<'_>) -> std::io::Result<usize> {
///         Ok(columns.amounts.iter().position(|n| *n == "producer").unwrap_or(0))
///     }
///     fn part(_: &usize, _: u64) -> Vec<Decimal> {
///         Vec::new()
///     }
///     fn row(k: &usize, row: &SettledRow<'_>, part: &mut Vec<Decimal>) {
///         part.extend(row.amount(*k));
///     }
///     fn write(&mut self, part: &mut Vec<Decimal>) -> std::io::Result<()> {
///         self.0.append(part);
///         Ok(())
///     }
/// }
///
/// let text = std::fs::read_to_string("examples/hotmart.split").unwrap();
/// let agreement = splitdsl::Agreement::compile("hotmart.split", &text).unwrap();
/// let sales = Sales(Some(vec![("S1".into(), 10000), ("S2".into(), 20000)]));
/// let mut producer = Producer::default();
/// let mut rejects: Vec<Reject> = Vec::new();
/// let base = agreement.inputs();
/// let done = settle_records(&agreement, &base, sales, &mut producer, 1, &mut rejects).unwrap();
/// assert_eq!(producer.0[0], Decimal::new(5242, 2)); // 52.42 of a 100.00 sale
/// assert_eq!(done.statement.sales, 2);
/// assert!(rejects.is_empty() && done.reconciliation.holds);
/// ```
pub fn settle_records<S, K>(
    agreement: &Agreement,
    base: &crate::api::Inputs<'_>,
    source: S,
    sink: &mut K,
    threads: usize,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal>
where
    S: RecordSource + Send,
    K: RecordSink + Send,
{
    same_agreement(agreement, base)?;
    settle_records_raw(agreement, base.values(), source, sink, threads, observer)
}

/// [`settle_records`] with the evaluator's inputs.
pub(crate) fn settle_records_raw<S, K>(
    agreement: &Agreement,
    base: &Inputs,
    mut source: S,
    sink: &mut K,
    threads: usize,
    observer: &mut dyn Observer,
) -> Result<Settlement, Fatal>
where
    S: RecordSource + Send,
    K: RecordSink + Send,
{
    let p = &agreement.program;
    let header = source.header().map_err(|e| match e {
        HeaderError::Empty => Fatal::Empty,
        HeaderError::Read(e) => Fatal::Read(e),
        HeaderError::Bad { diagnostic, header } => Fatal::Header { diagnostic, header },
    })?;
    let layout = Layout::new(agreement, header.names, &header.spans, header.numbers, base)
        .map_err(|e| Fatal::Header {
            diagnostic: e.diagnostic,
            header: header.text.clone(),
        })?;
    for w in &layout.warnings {
        observer.warning(w, &header.text);
    }
    source.bind(&Columns {
        names: &layout.names,
        optional: &layout.optional,
        id: layout.id,
        kind: layout.kind,
    });
    let format = sink
        .start(&layout.output_columns(agreement))
        .map_err(Fatal::output)?;
    let format = &format;

    let mut emit = |sink: &mut K, chunk: &mut Chunk<K::Part>| -> Result<(), Fatal> {
        sink.write(&mut chunk.part).map_err(Fatal::output)?;
        observer::hear(observer, &chunk.rejects, chunk.bytes, chunk.records)
    };

    let threads = threads.max(1);
    let mut statement = Statement::new(p);
    // Ids are checked in input order, as batches are read, before they are settled.
    let mut index = ids::IdIndex::new();
    if !p.running.is_empty() && threads > 1 {
        statement = settle_speculating::<S, K, _>(
            agreement, base, source, sink, &layout, format, threads, &mut index, &mut emit,
        )?;
    } else if threads == 1 {
        let mut settler = Settler::new(agreement, &layout, base);
        let mut cells = Cells::default();
        let mut chunk = Chunk::new(K::part(format, 0));
        while let Some(batch) = source.next_batch().map_err(Fatal::Read)? {
            let dups = index.scan::<S>(&batch, &layout);
            settle_batch::<S, K>(&mut settler, &batch, &dups, &mut cells, format, &mut chunk);
            emit(sink, &mut chunk)?;
        }
        statement = settler.statement;
    } else {
        let parts = parallel::settle(
            agreement, base, &layout, source, &mut index, sink, format, threads, observer,
        )?;
        for part in &parts {
            statement.merge(part).map_err(Fatal::Other)?;
        }
    }
    statement.orphans = index.orphans();
    let reconciliation = statement.reconcile(p).map_err(Fatal::Other)?;
    sink.finish(&statement, &reconciliation)
        .map_err(Fatal::output)?;
    Ok(Settlement {
        statement,
        reconciliation,
    })
}

/// What a worker hands back for one block of an agreement with running totals.
struct SpecChunk<B, P> {
    chunk: Chunk<P>,
    statement: Statement,
    batch: B,
    dups: Vec<Dup>,
    spec: Speculation,
    mismatch: bool,
}

/// Settles an agreement with running totals on `threads` workers (see
/// [`running`]): the reading thread speculates each row's running values
/// (every row whose EXPR evaluates counts), the workers settle blocks with
/// them and say whether a row settled otherwise, and the writer takes the
/// blocks in input order, settling again itself (with corrected values) a
/// block where a row did or whose rows' keys were corrected. The output is
/// the same as one settler's in file order.
#[allow(clippy::too_many_arguments)]
fn settle_speculating<S, K, E>(
    agreement: &Agreement,
    base: &Inputs,
    mut source: S,
    sink: &mut K,
    layout: &Layout,
    format: &K::Format,
    threads: usize,
    index: &mut ids::IdIndex,
    emit: &mut E,
) -> Result<Statement, Fatal>
where
    S: RecordSource + Send,
    K: RecordSink,
    E: FnMut(&mut K, &mut Chunk<K::Part>) -> Result<(), Fatal>,
{
    let p = &agreement.program;
    std::thread::scope(|s| -> Result<Statement, Fatal> {
        let mut batch_txs = Vec::with_capacity(threads);
        let mut result_rxs = Vec::with_capacity(threads);
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (btx, brx) = sync_channel::<(S::Batch, Vec<Dup>, Speculation)>(2);
            let (rtx, rrx) = sync_channel::<SpecChunk<S::Batch, K::Part>>(2);
            batch_txs.push(btx);
            result_rxs.push(rrx);
            workers.push(s.spawn(move || {
                let mut settler = Settler::with_mode(agreement, layout, base, Mode::Given);
                let mut cells = Cells::default();
                for (batch, dups, spec) in brx {
                    settler.load(spec);
                    let mut chunk = Chunk::new(K::part(format, S::size(&batch)));
                    settle_batch::<S, K>(
                        &mut settler,
                        &batch,
                        &dups,
                        &mut cells,
                        format,
                        &mut chunk,
                    );
                    let (spec, mismatch) = settler.unload();
                    let statement = std::mem::replace(&mut settler.statement, Statement::new(p));
                    let back = SpecChunk {
                        chunk,
                        statement,
                        batch,
                        dups,
                        spec,
                        mismatch,
                    };
                    if rtx.send(back).is_err() {
                        break;
                    }
                }
            }));
        }
        let feeder = s.spawn(move || -> Result<(), ReadError> {
            // The speculation: every row whose EXPR evaluates counts.
            let mut settler = Settler::new(agreement, layout, base);
            let mut cells = Cells::default();
            let mut k = 0usize;
            while let Some(batch) = source.next_batch()? {
                let dups = index.scan::<S>(&batch, layout);
                let mut spec = Speculation::default();
                let mut d = dups.iter().peekable();
                S::read(&batch, &mut cells, |rec| {
                    let dup = d.next_if(|x| x.line == rec.line).is_some();
                    settler.speculate(&rec, dup, &mut spec);
                });
                let Some(tx) = batch_txs.get(k % batch_txs.len()) else {
                    return Ok(());
                };
                if tx.send((batch, dups, spec)).is_err() {
                    return Ok(()); // the writer stopped
                }
                k += 1;
            }
            Ok(())
        });
        // The writer: blocks in input order; one that settled otherwise than
        // speculated, or holds a row whose values were corrected, is settled
        // again here.
        let mut own = Settler::with_mode(agreement, layout, base, Mode::Corrected);
        let mut cells = Cells::default();
        let mut statement = Statement::new(p);
        let mut outcome = Ok(());
        let mut seq = 0usize;
        while let Some(rx) = result_rxs.get(seq % threads) {
            let Ok(mut r) = rx.recv() else { break };
            seq += 1;
            let mut touched = false;
            if !r.mismatch && own.any_correction() {
                S::read(&r.batch, &mut cells, |rec| {
                    touched = touched || own.corrected(rec.cells);
                });
            }
            if !r.mismatch && !touched {
                if let Err(d) = statement.merge(&r.statement) {
                    outcome = Err(Fatal::Other(d));
                    break;
                }
                if let Err(e) = emit(sink, &mut r.chunk) {
                    outcome = Err(e);
                    break;
                }
                continue;
            }
            own.load(r.spec);
            let mut chunk = Chunk::new(K::part(format, S::size(&r.batch)));
            settle_batch::<S, K>(&mut own, &r.batch, &r.dups, &mut cells, format, &mut chunk);
            if let Err(e) = emit(sink, &mut chunk) {
                outcome = Err(e);
                break;
            }
        }
        drop(result_rxs);
        let read = feeder.join().map_err(|_| Fatal::internal())?;
        for w in workers {
            w.join().map_err(|_| Fatal::internal())?;
        }
        outcome?;
        read.map_err(Fatal::Read)?;
        statement.merge(&own.statement).map_err(Fatal::Other)?;
        Ok(statement)
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
