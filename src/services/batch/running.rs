//! Running totals in a ledger (`running NAME = sum of EXPR [per COLUMN]`):
//! on each row NAME is the sum of EXPR over the earlier rows of the file
//! that settled (those with the same `COLUMN` cell when `per` is given), a
//! refund or chargeback counting negative, a rejected row counting nothing.
//!
//! The only state that grows is one exact sum per distinct `per` value
//! ([`Totals`]); the row's contribution is committed only once the row has
//! settled ([`Totals::commit`]). Rows are settled in file order on one
//! settler, so the result is that of settling them one by one, whatever
//! `--threads` says.

use super::field::trim;
use super::source::{Cell, Cells};
use crate::diag::Diagnostic;
use crate::eval::{Inputs, Outcome};
use crate::program::Program;
use crate::value::{Ty, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One running total's sums.
#[derive(Debug)]
struct Total {
    /// Index into [`Program::running`].
    index: usize,
    /// The `per` column, if any.
    column: Option<usize>,
    /// The starting value (a `--set` of the running total), else zero.
    start: Decimal,
    /// The sum so far, without `per`.
    all: Decimal,
    /// The sum so far for each `per` value.
    by_key: HashMap<Box<[u8]>, Decimal>,
    /// This row's `per` value (a buffer reused from row to row).
    key: Vec<u8>,
    /// The sum after this row, if it settles.
    after: Decimal,
}

/// Every running total of an agreement, as a ledger is settled.
#[derive(Debug, Default)]
pub struct Totals {
    totals: Vec<Total>,
}

impl Totals {
    /// The running totals of `p`; `columns[i]` is the `per` column of
    /// running total `i`; `base` holds the `--set` overrides (a running
    /// total set there starts from that value).
    pub fn new(p: &Program, columns: &[Option<usize>], base: &Inputs) -> Totals {
        let totals = p
            .running
            .iter()
            .enumerate()
            .map(|(index, r)| Total {
                index,
                column: columns.get(index).copied().flatten(),
                start: match base.get(r.slot) {
                    Some(Value::Money(d, _) | Value::Number(d)) => d,
                    _ => Decimal::ZERO,
                },
                all: Decimal::ZERO,
                by_key: HashMap::new(),
                key: Vec::new(),
                after: Decimal::ZERO,
            })
            .collect();
        Totals { totals }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Sets each running total's input for the row whose cells are `cells`:
    /// the sum over the earlier settled rows with its `per` value.
    pub fn set_inputs(&mut self, p: &Program, cells: &Cells, inputs: &mut Inputs) {
        for t in &mut self.totals {
            let Some(r) = p.running.get(t.index) else {
                continue;
            };
            let sum = match t.column {
                Some(c) => {
                    t.key.clear();
                    match cells.cell(c) {
                        Some(Cell::Text(b) | Cell::Json(b)) => t.key.extend_from_slice(trim(b)),
                        Some(Cell::Value(v)) => t.key.extend_from_slice(v.to_string().as_bytes()),
                        None => {}
                    }
                    t.by_key.get(t.key.as_slice()).copied().unwrap_or_default()
                }
                None => t.all,
            };
            // `start + sum` cannot overflow: the sum was checked when it grew.
            let value = t.start.checked_add(sum).unwrap_or(sum);
            let v = match p.slots.get(r.slot).map(|s| s.ty) {
                Some(Ty::Money(c)) => Value::Money(value, c),
                _ => Value::Number(value),
            };
            inputs.set(r.slot, v);
        }
    }

    /// Computes what this settled evaluation adds to each running total
    /// (`negative` for a refund or chargeback), without committing it.
    pub fn contribute(
        &mut self,
        p: &Program,
        out: &Outcome,
        negative: bool,
    ) -> Result<(), Diagnostic> {
        for t in &mut self.totals {
            let Some(r) = p.running.get(t.index) else {
                continue;
            };
            let d = match p.eval(&r.expr, out)? {
                Value::Money(d, _) | Value::Number(d) => d,
                other => {
                    return Err(Diagnostic::error(
                        crate::codes::INTERNAL,
                        format!("internal error: a running total added {other}"),
                    ))
                }
            };
            let d = if negative { -d } else { d };
            let before = match t.column {
                Some(_) => t.by_key.get(t.key.as_slice()).copied().unwrap_or_default(),
                None => t.all,
            };
            let after = before
                .checked_add(d)
                .filter(|a| t.start.checked_add(*a).is_some())
                .ok_or_else(|| crate::eval::overflow(r.expr.span))?;
            t.after = after;
        }
        Ok(())
    }

    /// The row settled: what [`Totals::contribute`] computed counts.
    pub fn commit(&mut self) {
        for t in &mut self.totals {
            if t.column.is_none() {
                t.all = t.after;
            } else if let Some(s) = t.by_key.get_mut(t.key.as_slice()) {
                *s = t.after;
            } else {
                t.by_key.insert(t.key.as_slice().into(), t.after);
            }
        }
    }

    /// How many distinct `per` values are kept, over every running total.
    pub fn keys(&self) -> usize {
        self.totals.iter().map(|t| t.by_key.len()).sum()
    }
}
