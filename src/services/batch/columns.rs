//! Settling typed columns: the entry point for query engines (Spark, DuckDB,
//! Polars through Arrow; see the `python/` package), with no Arrow
//! dependency. A [`Columnar`] is made once for an agreement and the
//! columns' names (the header is read once, as a ledger's), then settles any
//! number of batches of typed columns. Each row goes through the ledger's
//! own [`Settler::settle`](super::Settler::settle) — the same reading of
//! cells, evaluator, requirements and refund signs as `splitdsl run --sales`
//! — and comes out as whole minor units per fee, share and `unallocated`, or
//! as a per-row error (a code and a message). A bad row never stops the batch.
//!
//! Settlement here is a pure function of the agreement and the row, so that
//! an engine may split, re-run and reorder batches freely:
//!
//! * a running total (`running NAME = sum of …`) is not computed from the
//!   batch's earlier rows: the engine computes it (a window function) and
//!   passes it as the column `NAME`, which is then read like an input;
//!   without that column the batch is refused
//!   (`splitdsl::batch::running_not_given`);
//! * ids are not checked for duplicates (a batch does not see the others).

use super::settle::{Layout, Settler};
use super::source::{Cells, Record, RecordError};
use super::statement::Statement;
use crate::agreement::{Agreement, Failure, Source};
use crate::api::Error;
use crate::diag::Diagnostic;
use crate::span::Span;
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One typed column of a batch; every variant holds one entry per row,
/// `None` for a null.
#[derive(Clone, Copy, Debug)]
pub enum Column<'a> {
    /// Exact decimals: each value is `mantissa × 10^-scale` (Arrow's
    /// `decimal128(p, scale)`). A money input takes it in the agreement's
    /// currency, as a plain number in a ledger.
    Decimal(&'a [Option<i128>], u32),
    /// Whole numbers.
    Int(&'a [Option<i64>]),
    /// Text, read as a ledger cell is (`100.00 USD`, `100.00`, `35%`,
    /// `2026-01-31`; `refund` in the `kind` column).
    Text(&'a [Option<&'a str>]),
    /// Days since 1970-01-01 (Arrow's `date32`).
    Date(&'a [Option<i32>]),
    /// Booleans.
    Bool(&'a [Option<bool>]),
    /// A column of `n` nulls (or one settlement does not read: see
    /// [`Columnar::reads`]).
    Null(usize),
}

impl Column<'_> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Decimal(v, _) => v.len(),
            Column::Int(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Date(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Null(n) => *n,
        }
    }

    /// Whether the column has no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a row was not settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The diagnostic's stable code (`splitdsl::batch::negative_price`, …).
    pub code: &'static str,
    /// Its message.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A settled batch.
#[derive(Debug)]
pub struct Settled {
    /// Per amount ([`Columnar::amounts`]), per row: whole minor units of the
    /// agreement's currency (negative for a refund or a chargeback), `None`
    /// for a row that was not settled.
    pub amounts: Vec<Vec<Option<i128>>>,
    /// Per row: why it was not settled, or `None`.
    pub errors: Vec<Option<RowError>>,
    /// The batch's exact totals; statements of batches add up with
    /// [`Statement::merge`].
    pub statement: Statement,
}

/// An agreement ready to settle batches of typed columns with given names.
///
/// ```
/// use splitdsl::batch::columns::{Column, Columnar};
///
/// let text = std::fs::read_to_string("examples/hotmart.split").unwrap();
/// let agreement = splitdsl::Agreement::compile("hotmart.split", &text)?;
/// let columnar = Columnar::new(&agreement, &["sale_id", "price", "kind"])?;
/// assert_eq!(columnar.amounts(), ["hotmart", "affiliate", "coproducer", "producer", "unallocated"]);
/// assert_eq!(columnar.minor_unit(), 2);
///
/// // Three sales: 100.00 (a decimal128 with scale 2), its refund, and a negative price.
/// let ids = [Some("S1"), Some("S1"), Some("S2")];
/// let prices = [Some(10000), Some(10000), Some(-500)];
/// let kinds = [Some("sale"), Some("refund"), None];
/// let out = columnar.settle(&[Column::Text(&ids), Column::Decimal(&prices, 2), Column::Text(&kinds)])?;
/// let producer = &out.amounts[3];
/// assert_eq!(producer[..2], [Some(5242), Some(-5242)]); // 52.42 USD, then back
/// assert_eq!(producer[2], None);
/// assert_eq!(out.errors[2].as_ref().map(|e| e.code), Some("splitdsl::batch::negative_price"));
/// assert_eq!(out.statement.sales, 1);
/// # Ok::<(), splitdsl::Error>(())
/// ```
#[derive(Debug)]
pub struct Columnar {
    /// The agreement, its running totals read as inputs.
    agreement: Agreement,
    layout: Layout,
    base: crate::eval::Inputs,
    amounts: Vec<String>,
    dp: u32,
}

impl Columnar {
    /// Reads the columns' `names` as a ledger's header: a column named like
    /// an input sets it, `kind` gives the row's kind, any other column is
    /// not read. Refused as a ledger's header is (no price column, a column
    /// named like a fee…), and when a running total of the agreement has no
    /// column: the diagnostics point into the names joined by commas.
    pub fn new(agreement: &Agreement, names: &[&str]) -> Result<Columnar, Error> {
        let header = names.join(",");
        let mut spans = Vec::with_capacity(names.len());
        let mut at = 0;
        for n in names {
            spans.push((at, at + n.len()));
            at += n.len() + 1;
        }
        let fail = |d: Diagnostic| {
            Error::from(Failure {
                source: Source {
                    name: "<columns>".into(),
                    text: header.clone(),
                },
                diagnostics: vec![d],
            })
        };
        let p = &agreement.program;
        for r in &p.running {
            let name = p.slots.get(r.slot).map_or("", |s| s.name.as_str());
            if !names.contains(&name) {
                let line = crate::span::line_col(
                    &agreement.source.text,
                    p.slots.get(r.slot).map_or(0, |s| s.name_span.start),
                )
                .0;
                let per = r
                    .per
                    .as_ref()
                    .map_or(String::new(), |(c, _)| format!(" partitioned by `{c}`"));
                return Err(fail(
                    Diagnostic::error(
                        crate::codes::BATCH_RUNNING_NOT_GIVEN,
                        format!(
                            "the running total `{name}` (line {line} of the agreement) is computed by the engine here, and no column `{name}` gives it"
                        ),
                    )
                    .primary(Span::new(0, header.len()), "the columns")
                    .help(format!(
                        "add a column `{name}`: a window sum over the earlier rows{per}, e.g. \
                         SUM(price) OVER (PARTITION BY … ORDER BY … ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0 for the first"
                    )),
                ));
            }
        }
        // Running totals come from their columns: for one row they are
        // inputs, as for one sale (`run`, the REPL).
        let mut agreement = agreement.clone();
        agreement.program.running.clear();
        let base = crate::eval::Inputs::new(&agreement.program);
        let names: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
        let layout = Layout::new(
            &agreement,
            names,
            &spans,
            super::field::Numbers::default(),
            &base,
        )
        .map_err(|e| fail(e.diagnostic))?;
        let amounts = amount_names(&agreement);
        let dp = agreement.program.currency.minor_unit();
        Ok(Columnar {
            agreement,
            layout,
            base,
            amounts,
            dp,
        })
    }

    /// The names of the amounts [`Columnar::settle`] gives: each fee and
    /// share in deduction order, then `unallocated`.
    pub fn amounts(&self) -> &[String] {
        &self.amounts
    }

    /// The decimals of the currency's minor unit: amounts are in `10^-dp`.
    pub fn minor_unit(&self) -> u32 {
        self.dp
    }

    /// The agreement's currency code (`USD`).
    pub fn currency(&self) -> &'static str {
        self.agreement.program.currency.code()
    }

    /// Whether settlement reads column `i` (an input or `kind`); a column it
    /// does not read may be passed as [`Column::Null`].
    pub fn reads(&self, i: usize) -> bool {
        self.layout
            .roles
            .get(i)
            .is_some_and(|r| *r != super::settle::Role::Pass)
    }

    /// Settles one batch: `columns` in the order of the names given to
    /// [`Columnar::new`], all of the same length. Refused only when the
    /// batch does not have those columns (their number, their lengths, a
    /// `kind` column that is not text); a row that cannot be settled has
    /// its [`RowError`] and the others are settled.
    pub fn settle(&self, columns: &[Column<'_>]) -> Result<Settled, Error> {
        let plain = |d: Diagnostic| {
            Error::from(Failure {
                source: Source {
                    name: "<columns>".into(),
                    text: self.layout.names.join(","),
                },
                diagnostics: vec![d],
            })
        };
        let rows = columns.first().map_or(0, Column::len);
        if columns.len() != self.layout.names.len() || columns.iter().any(|c| c.len() != rows) {
            return Err(plain(Diagnostic::error(
                crate::codes::BATCH_COLUMN_COUNT,
                format!(
                    "the batch has {} columns of {} rows, not the {} columns of the same length it was prepared for",
                    columns.len(),
                    columns.iter().map(|c| c.len().to_string()).collect::<Vec<_>>().join("/"),
                    self.layout.names.len()
                ),
            )));
        }
        if let Some(k) = self.layout.kind {
            if !matches!(columns.get(k), Some(Column::Text(_) | Column::Null(_))) {
                return Err(plain(Diagnostic::error(
                    crate::codes::BATCH_BAD_KIND,
                    "the `kind` column is not text: give `sale`, `refund` or `chargeback` as strings",
                )));
            }
        }
        let mut settler = Settler::new(&self.agreement, &self.layout, &self.base);
        let mut amounts = vec![Vec::with_capacity(rows); self.amounts.len()];
        let mut errors = Vec::with_capacity(rows);
        let mut cells = Cells::default();
        for row in 0..rows {
            cells.clear();
            let mut bad: Option<RecordError> = None;
            for (i, column) in columns.iter().enumerate() {
                if !self.reads(i) {
                    cells.push_text(b"", (0, 0));
                    continue;
                }
                match cell(column, row) {
                    Ok(Some(Cell::Text(t))) => cells.push_text(t.as_bytes(), (0, 0)),
                    Ok(Some(Cell::Value(v))) => cells.push_value(v, (0, 0)),
                    Ok(None) => cells.push_text(b"", (0, 0)),
                    Err(message) => {
                        let name = self.layout.names.get(i).map_or("", String::as_str);
                        bad.get_or_insert(RecordError {
                            code: crate::codes::BATCH_BAD_VALUE,
                            message: format!("`{name}`: {message}"),
                            span: None,
                            help: None,
                            id: None,
                        });
                        cells.push_text(b"", (0, 0));
                    }
                }
            }
            let rec = Record {
                line: row as u64 + 1,
                text: b"",
                cells: &cells,
                error: bad.as_ref(),
            };
            match settler.settle(&rec, None) {
                Ok(settled) => {
                    let units = settled.amounts().get(1..).unwrap_or_default();
                    for (column, &u) in amounts.iter_mut().zip(units) {
                        column.push(Some(u));
                    }
                    errors.push(None);
                }
                Err(reject) => {
                    for column in &mut amounts {
                        column.push(None);
                    }
                    errors.push(Some(RowError {
                        code: reject.diagnostic.code.as_str(),
                        message: reject.diagnostic.message,
                    }));
                }
            }
        }
        Ok(Settled {
            amounts,
            errors,
            statement: settler.statement,
        })
    }
}

/// The names of the amounts settlement gives for `agreement`: each fee and
/// share in deduction order, then `unallocated` (what
/// [`Columnar::amounts`] gives, whatever the columns).
pub fn amount_names(agreement: &Agreement) -> Vec<String> {
    let p = &agreement.program;
    p.deductions
        .iter()
        .filter_map(|d| p.slots.get(d.slot).map(|s| s.name.clone()))
        .chain(std::iter::once("unallocated".to_string()))
        .collect()
}

/// The currency of every amount settlement gives for `agreement` (its
/// [`minor_unit`](crate::value::Currency::minor_unit) is the scale).
pub fn currency(agreement: &Agreement) -> crate::value::Currency {
    agreement.program.currency
}

/// A cell of a typed column, before it becomes a ledger cell.
enum Cell<'a> {
    Text(&'a str),
    Value(Value),
}

/// Row `row` of `column`: `None` for a null.
fn cell<'a>(column: &Column<'a>, row: usize) -> Result<Option<Cell<'a>>, String> {
    Ok(match *column {
        Column::Decimal(v, scale) => match v.get(row).copied().flatten() {
            None => None,
            Some(m) => Some(Cell::Value(Value::Number(
                Decimal::try_from_i128_with_scale(m, scale).map_err(|_| {
                    format!("the decimal {m}e-{scale} does not fit an exact decimal of 28 digits")
                })?,
            ))),
        },
        Column::Int(v) => v
            .get(row)
            .copied()
            .flatten()
            .map(|n| Cell::Value(Value::Number(Decimal::from(n)))),
        Column::Text(v) => v.get(row).copied().flatten().map(Cell::Text),
        Column::Date(v) => match v.get(row).copied().flatten() {
            None => None,
            Some(days) => Some(Cell::Value(Value::Date(
                days.checked_add(UNIX_EPOCH_DAY)
                    .and_then(NaiveDate::from_num_days_from_ce_opt)
                    .ok_or_else(|| format!("{days} days from 1970-01-01 is not a date"))?,
            ))),
        },
        Column::Bool(v) => v
            .get(row)
            .copied()
            .flatten()
            .map(|b| Cell::Value(Value::Bool(b))),
        Column::Null(_) => None,
    })
}

/// 1970-01-01 counted from 0001-01-01 as day 1 (chrono's days from CE).
const UNIX_EPOCH_DAY: i32 = 719_163;
