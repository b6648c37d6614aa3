//! Running totals in a ledger (`running NAME = sum of EXPR [per COLUMN]`):
//! on each row NAME is the sum of EXPR over the earlier rows of the file
//! that settled (those with the same `COLUMN` cell when `per` is given), a
//! refund or chargeback counting negative, a rejected row counting nothing.
//!
//! Each row is handled the same way whoever settles it: its cells are read,
//! then EXPR is evaluated from its inputs alone ([`Totals::pre`]; EXPR reads
//! no running total, fee or share, checked), then its running values are
//! set ([`Totals::set_inputs`]), the sale is settled, and the contribution
//! counts if it settled ([`Totals::settled`]). Where the values come from
//! is the [`Mode`]:
//!
//! * [`Mode::State`], one settler in file order: from the sums so far.
//! * Several threads settle speculatively: the reading thread computes each
//!   row's values assuming every row whose EXPR evaluates will settle
//!   ([`Totals::speculate`]); a worker settles a block with them
//!   ([`Mode::Given`]) and says whether a row settled differently than
//!   assumed ([`Totals::mismatch`]). The writer keeps every block in input
//!   order until one mismatches; from then on it settles the blocks again
//!   itself ([`Mode::Corrected`]), subtracting what the rows assumed but
//!   refused added. The output is that of settling row by row.
//!
//! The only state that grows is one exact sum per distinct `per` value.

use super::field::trim;
use super::source::{Cell, Cells};
use crate::diag::Diagnostic;
use crate::eval::{Inputs, Outcome};
use crate::program::Program;
use crate::value::{Ty, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Where a row's running values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The sums of the rows this settler settled (or, speculating, of the
    /// rows whose EXPR evaluated).
    State,
    /// The values a speculation gave each row of the block.
    Given,
    /// The speculation's values less the corrections for rows it counted
    /// that did not settle.
    Corrected,
}

/// Sums by key (or the one sum without `per`).
#[derive(Debug, Default)]
struct Sums {
    all: Decimal,
    by_key: HashMap<Box<[u8]>, Decimal>,
}

impl Sums {
    fn get(&self, per: bool, key: &[u8]) -> Decimal {
        if per {
            self.by_key.get(key).copied().unwrap_or_default()
        } else {
            self.all
        }
    }

    fn set(&mut self, per: bool, key: &[u8], v: Decimal) {
        if !per {
            self.all = v;
        } else if let Some(s) = self.by_key.get_mut(key) {
            *s = v;
        } else {
            self.by_key.insert(key.into(), v);
        }
    }
}

/// One running total.
#[derive(Debug)]
struct Total {
    /// Index into [`Program::running`].
    index: usize,
    /// The `per` column, if any.
    column: Option<usize>,
    /// The starting value (a `--set` of the running total), else zero.
    start: Decimal,
    /// [`Mode::State`]: the sums; [`Mode::Corrected`]: the corrections.
    sums: Sums,
    /// This row's `per` value (a buffer reused from row to row).
    key: Vec<u8>,
    /// This row's contribution (negated for a reversal).
    c: Decimal,
    /// This row's value before it.
    before: Decimal,
}

/// What a speculation gives a block: each row's values and whether it
/// assumed the row counts.
#[derive(Debug, Default)]
pub struct Speculation {
    /// Row-major: `before[row * n + t]`, running total `t`'s value.
    pub before: Vec<Decimal>,
    /// Whether each row's contribution was counted.
    pub counted: Vec<bool>,
}

/// Every running total of an agreement, as a ledger is settled.
#[derive(Debug)]
pub struct Totals {
    totals: Vec<Total>,
    mode: Mode,
    /// The block's speculation ([`Mode::Given`], [`Mode::Corrected`]).
    spec: Speculation,
    /// The row within the block (counted from 1; 0 before the first).
    row: usize,
    /// Whether this row's EXPR evaluated ([`Totals::pre`]).
    pre_ok: bool,
    /// Whether a row of the block settled otherwise than assumed.
    mismatch: bool,
}

impl Totals {
    /// The running totals of `p` in `mode`; `columns[i]` is the `per`
    /// column of running total `i`; `base` holds the `--set` overrides (a
    /// running total set there starts from that value).
    pub fn new(p: &Program, columns: &[Option<usize>], base: &Inputs, mode: Mode) -> Totals {
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
                sums: Sums::default(),
                key: Vec::new(),
                c: Decimal::ZERO,
                before: Decimal::ZERO,
            })
            .collect();
        Totals {
            totals,
            mode,
            spec: Speculation::default(),
            row: 0,
            pre_ok: false,
            mismatch: false,
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Takes the speculation of the next block (the rows count from its first).
    pub fn load(&mut self, spec: Speculation) {
        self.spec = spec;
        self.row = 0;
        self.mismatch = false;
    }

    /// Gives back the block's speculation.
    pub fn unload(&mut self) -> Speculation {
        std::mem::take(&mut self.spec)
    }

    /// Whether a row of the block settled otherwise than its speculation assumed.
    pub fn mismatch(&self) -> bool {
        self.mismatch
    }

    /// A new record begins.
    pub fn next_row(&mut self) {
        self.row += 1;
        self.pre_ok = false;
    }

    /// Reads the row's keys and evaluates each EXPR from its inputs
    /// (`negative` for a reversal); `out` is scratch space.
    pub fn pre(
        &mut self,
        p: &Program,
        cells: &Cells,
        inputs: &Inputs,
        out: &mut Outcome,
        negative: bool,
    ) -> Result<(), Diagnostic> {
        for t in &mut self.totals {
            let Some(r) = p.running.get(t.index) else {
                continue;
            };
            t.key.clear();
            if let Some(c) = t.column {
                match cells.cell(c) {
                    Some(Cell::Text(b) | Cell::Json(b)) => t.key.extend_from_slice(trim(b)),
                    Some(Cell::Value(v)) => t.key.extend_from_slice(v.to_string().as_bytes()),
                    None => {}
                }
            }
            let d = match p.eval_lazy(&r.expr, inputs, out)? {
                Value::Money(d, _) | Value::Number(d) => d,
                other => {
                    return Err(Diagnostic::error(
                        crate::codes::INTERNAL,
                        format!("internal error: a running total added {other}"),
                    ))
                }
            };
            t.c = if negative { -d } else { d };
        }
        self.pre_ok = true;
        Ok(())
    }

    /// Sets each running total's input for the row ([`Totals::pre`] ran):
    /// its value before the row, by the mode; an error if adding the row
    /// would overflow.
    pub fn set_inputs(&mut self, p: &Program, inputs: &mut Inputs) -> Result<(), Diagnostic> {
        let n = self.totals.len();
        for (k, t) in self.totals.iter_mut().enumerate() {
            let Some(r) = p.running.get(t.index) else {
                continue;
            };
            let per = t.column.is_some();
            let spec = || {
                self.row
                    .checked_sub(1)
                    .and_then(|row| self.spec.before.get(row * n + k))
                    .copied()
                    .unwrap_or_default()
            };
            let before = match self.mode {
                Mode::State => Some(t.sums.get(per, &t.key)),
                Mode::Given => Some(spec()),
                Mode::Corrected => spec().checked_sub(t.sums.get(per, &t.key)),
            };
            let value = before.and_then(|b| {
                let after = b.checked_add(t.c)?;
                t.start.checked_add(after)?;
                t.before = b;
                t.start.checked_add(b)
            });
            let Some(value) = value else {
                return Err(crate::eval::overflow(r.expr.span));
            };
            let v = match p.slots.get(r.slot).map(|s| s.ty) {
                Some(Ty::Money(c)) => Value::Money(value, c),
                _ => Value::Number(value),
            };
            inputs.set(r.slot, v);
        }
        Ok(())
    }

    /// The row is done: `settled` or rejected.
    pub fn settled(&mut self, settled: bool) {
        let assumed = self
            .row
            .checked_sub(1)
            .and_then(|row| self.spec.counted.get(row))
            .copied()
            .unwrap_or(false);
        match self.mode {
            Mode::State => {
                if settled {
                    for t in &mut self.totals {
                        // Checked in `set_inputs`.
                        let after = t.before.checked_add(t.c).unwrap_or(t.before);
                        t.sums.set(t.column.is_some(), &t.key, after);
                    }
                }
            }
            Mode::Given => {
                if settled != assumed {
                    self.mismatch = true;
                }
            }
            Mode::Corrected => {
                // Correction = what the speculation added less what counts.
                if settled != assumed && self.pre_ok {
                    for t in &mut self.totals {
                        let per = t.column.is_some();
                        let now = t.sums.get(per, &t.key);
                        let delta = if assumed { t.c } else { -t.c };
                        let fixed = now.checked_add(delta).unwrap_or(now);
                        t.sums.set(per, &t.key, fixed);
                    }
                }
            }
        }
    }

    /// Speculates a row for the reading thread ([`Mode::State`]): after
    /// [`Totals::pre`] (`pre_ok`), records the row's values and counts it
    /// when its EXPR evaluated and adding it does not overflow.
    pub fn speculate(&mut self, pre_ok: bool, spec: &mut Speculation) {
        let mut counted = pre_ok;
        for t in &self.totals {
            let b = t.sums.get(t.column.is_some(), &t.key);
            spec.before.push(if pre_ok { b } else { Decimal::ZERO });
            if pre_ok
                && b.checked_add(t.c)
                    .and_then(|a| t.start.checked_add(a))
                    .is_none()
            {
                counted = false;
            }
        }
        spec.counted.push(counted);
        if counted {
            for t in &mut self.totals {
                let per = t.column.is_some();
                let b = t.sums.get(per, &t.key);
                let after = b.checked_add(t.c).unwrap_or(b);
                t.sums.set(per, &t.key, after);
            }
        }
    }

    /// [`Mode::Corrected`]: whether the row whose cells are `cells` has a
    /// correction (its speculated values are off); false when there is none.
    pub fn corrected(&mut self, cells: &Cells) -> bool {
        for t in &mut self.totals {
            match t.column {
                None => {
                    if !t.sums.all.is_zero() {
                        return true;
                    }
                }
                Some(c) => {
                    if t.sums.by_key.is_empty() {
                        continue;
                    }
                    t.key.clear();
                    match cells.cell(c) {
                        Some(Cell::Text(b) | Cell::Json(b)) => t.key.extend_from_slice(trim(b)),
                        Some(Cell::Value(v)) => t.key.extend_from_slice(v.to_string().as_bytes()),
                        None => {}
                    }
                    if t.sums
                        .by_key
                        .get(t.key.as_slice())
                        .is_some_and(|d| !d.is_zero())
                    {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Whether a correction was ever made ([`Mode::Corrected`]).
    pub fn any_correction(&self) -> bool {
        self.totals
            .iter()
            .any(|t| !t.sums.all.is_zero() || !t.sums.by_key.is_empty())
    }

    /// How many distinct `per` values are kept, over every running total.
    pub fn keys(&self) -> usize {
        self.totals.iter().map(|t| t.sums.by_key.len()).sum()
    }
}
