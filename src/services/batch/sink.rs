//! Where settlement writes to: a [`RecordSink`] receives, in input order,
//! each sale's settled row ([`SettledRow`]) or its [`Reject`], then the
//! statement. The CSV and JSON Lines writer ([`super::writer::LedgerWriter`])
//! is one sink; an Arrow or Parquet writer or a `Vec` in a test are others.

use super::source::{Cell, Cells};
use super::statement::{Kind, Reconciliation, Statement};
use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::program::SlotId;
use crate::value::Currency;
use rust_decimal::Decimal;

/// Where a rejected row's diagnostic points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// Into the row's text.
    Row,
    /// Into the agreement.
    Agreement,
}

/// A row that could not be settled.
#[derive(Clone, Debug)]
pub struct Reject {
    /// The line the row starts on.
    pub line: u64,
    /// The row's id (the `id` or `…_id` column), when it has one.
    pub id: Option<String>,
    /// Why.
    pub diagnostic: Diagnostic,
    /// What the diagnostic's spans point into.
    pub against: Against,
    /// The row as read.
    pub record: String,
}

/// The columns of the settled rows, told to the sink before the first row.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OutputColumns<'a> {
    /// The ledger's columns written before the amounts, in input order:
    /// every column but the price's.
    pub passed: Vec<&'a str>,
    /// The amounts' names: the price, each fee and share in file order, `unallocated`.
    pub amounts: Vec<&'a str>,
    /// The currency of every amount.
    pub currency: Currency,
}

/// Where a passed column's output comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Passed {
    /// The value the input in this slot had (after a default or `--set`).
    Input(SlotId),
    /// The record's cell, as read.
    Cell(usize),
}

/// One settled sale, as a sink receives it.
#[derive(Clone, Copy, Debug)]
pub struct SettledRow<'a> {
    pub(super) line: u64,
    pub(super) kind: Kind,
    pub(super) passed: &'a [Passed],
    pub(super) cells: &'a Cells,
    pub(super) outcome: &'a Outcome,
    pub(super) amounts: &'a [i128],
    pub(super) dp: u32,
}

impl<'a> SettledRow<'a> {
    /// The line (or row number) of the sale.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// A sale, a refund or a chargeback.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The passed columns ([`OutputColumns::passed`]), in order: an input's
    /// column holds the value used (empty text when it has none), any other
    /// column its cell as read.
    pub fn columns(&self) -> impl Iterator<Item = Cell<'a>> + 'a {
        let (cells, outcome) = (self.cells, self.outcome);
        self.passed.iter().map(move |p| match *p {
            Passed::Input(slot) => outcome.value(slot).map_or(Cell::Text(b""), Cell::Value),
            Passed::Cell(i) => cells.cell(i).unwrap_or(Cell::Text(b"")),
        })
    }

    /// The amounts ([`OutputColumns::amounts`]) in whole minor units
    /// (`10^-dp` of the currency): negative for a refund or a chargeback.
    pub fn amounts(&self) -> &'a [i128] {
        self.amounts
    }

    /// The number of decimals of the currency's minor unit.
    pub fn dp(&self) -> u32 {
        self.dp
    }

    /// Amount `k` as an exact decimal with the currency's decimals.
    pub fn amount(&self, k: usize) -> Option<Decimal> {
        let u = *self.amounts.get(k)?;
        Decimal::try_from_i128_with_scale(u, self.dp).ok()
    }

    /// Whether each of the agreement's requirements holds, in file order
    /// (all do: a row whose requirement fails is rejected).
    pub fn requirements(&self) -> &'a [bool] {
        &self.outcome.requirements
    }
}

/// A destination for settled sales.
///
/// Workers settle batches in parallel and each encodes its rows into a
/// [`Part`](RecordSink::Part) with [`row`](RecordSink::row) (an associated
/// function: it runs on the worker thread with the shared
/// [`Format`](RecordSink::Format)); the sink then receives the parts in input
/// order ([`write`](RecordSink::write)), so its output does not depend on the
/// number of threads. With more than one thread, `write` is called by the
/// worker that settled the part (one at a time, never two at once), so that
/// the part's bytes need not cross to another core: settling takes a `Send`
/// sink. `start` and `finish` run on the calling thread. See
/// [`super::settle_records`] for an example.
pub trait RecordSink {
    /// What the workers need to encode rows (built once by `start`).
    type Format: Sync;
    /// A worker's encoded rows of one batch.
    type Part: Send;

    /// Called once, before any row, with the output's columns.
    fn start(&mut self, columns: &OutputColumns<'_>) -> std::io::Result<Self::Format>;

    /// An empty part for a batch of about `bytes` bytes of input.
    fn part(format: &Self::Format, bytes: u64) -> Self::Part;

    /// Encodes one settled row into `part` (on a worker thread).
    fn row(format: &Self::Format, row: &SettledRow<'_>, part: &mut Self::Part);

    /// A row that was rejected, in its place among the rows (on a worker
    /// thread). The default ignores it: the caller's observer hears of every
    /// reject anyway.
    fn reject(_format: &Self::Format, _reject: &Reject, _part: &mut Self::Part) {}

    /// Takes the rows of `part`, in input order, leaving it empty (to be reused).
    fn write(&mut self, part: &mut Self::Part) -> std::io::Result<()>;

    /// Called once at the end with the ledger's statement and its
    /// reconciliation (flush here).
    fn finish(
        &mut self,
        _statement: &Statement,
        _reconciliation: &Reconciliation,
    ) -> std::io::Result<()> {
        Ok(())
    }
}
