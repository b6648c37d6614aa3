//! Runs a [`Program`] for one set of inputs: the deduction order of
//! LANGUAGE.md section 6, with exact, checked decimal arithmetic.
//!
//! Evaluation reuses its buffers ([`Outcome`]), so settling a ledger does
//! not allocate per sale unless something goes wrong.

use crate::diag::Diagnostic;
use crate::program::*;
use crate::span::Span;
use crate::syntax::ast::BinOp;
use crate::value::{format_amount, Currency, Rounding, Ty, Value};
use rust_decimal::{Decimal, RoundingStrategy};
use std::cmp::Ordering;

/// Values the outside sets, by slot (everything else takes its default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    values: Vec<Option<Value>>,
}

impl Inputs {
    /// No overrides, for `program`.
    pub fn new(program: &Program) -> Self {
        Inputs {
            values: vec![None; program.slots.len()],
        }
    }

    /// Sets the input `slot` (the value must already be of the input's kind).
    pub fn set(&mut self, slot: SlotId, value: Value) {
        if let Some(v) = self.values.get_mut(slot) {
            *v = Some(value);
        }
    }

    /// Drops the override of `slot`.
    pub fn unset(&mut self, slot: SlotId) {
        if let Some(v) = self.values.get_mut(slot) {
            *v = None;
        }
    }

    /// Drops every override.
    pub fn clear(&mut self) {
        self.values.iter_mut().for_each(|v| *v = None);
    }

    /// The override of `slot`, if any.
    pub fn get(&self, slot: SlotId) -> Option<Value> {
        self.values.get(slot).copied().flatten()
    }

    /// The slots with an override.
    pub fn iter(&self) -> impl Iterator<Item = (SlotId, Value)> + '_ {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
    }
}

/// The result of one evaluation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Every slot's value (all `Some` after a successful evaluation).
    pub values: Vec<Option<Value>>,
    /// `pools[k]` is the pool before deduction `k`; the last is the unallocated rest.
    pub pools: Vec<Decimal>,
    /// Whether each requirement holds.
    pub requirements: Vec<bool>,
}

impl Outcome {
    /// The value of `slot`.
    pub fn value(&self, slot: SlotId) -> Option<Value> {
        self.values.get(slot).copied().flatten()
    }

    /// What the last deduction left.
    pub fn unallocated(&self) -> Decimal {
        self.pools.last().copied().unwrap_or_default()
    }

    /// Whether every requirement holds.
    pub fn all_hold(&self) -> bool {
        self.requirements.iter().all(|h| *h)
    }
}

/// Converts `value` to the kind `want` where that is unambiguous: a plain
/// number becomes money in `want`'s currency. `None` when it does not fit.
pub fn coerce(value: Value, want: Ty) -> Option<Value> {
    match (value, want) {
        (v, w) if v.ty() == w => Some(v),
        (Value::Number(d), Ty::Money(c)) => Some(Value::Money(d, c)),
        _ => None,
    }
}

type R<T> = Result<T, Diagnostic>;

impl Program {
    /// Evaluates one sale.
    pub fn evaluate(&self, inputs: &Inputs) -> R<Outcome> {
        let mut out = Outcome::default();
        self.evaluate_into(inputs, &mut out)?;
        Ok(out)
    }

    /// Evaluates one sale into `out`, reusing its buffers.
    pub fn evaluate_into(&self, inputs: &Inputs, out: &mut Outcome) -> R<()> {
        out.values.clear();
        out.values.resize(self.slots.len(), None);
        out.pools.clear();
        out.pools.resize(self.deductions.len() + 1, Decimal::ZERO);
        out.requirements.clear();
        for step in &self.order {
            match *step {
                Step::Slot(i) => {
                    let v = self.eval_slot(i, inputs, out)?;
                    out.values[i] = Some(v);
                }
                Step::Pool(k) => self.eval_pool(k, out)?,
            }
        }
        for r in &self.requirements {
            let holds = matches!(self.eval(&r.cond, out)?, Value::Bool(true));
            out.requirements.push(holds);
        }
        self.check_conservation(out)
    }

    /// Evaluates only what depends on `changed` (and what was never
    /// computed), keeping the rest of `out`: a spreadsheet's recalculation.
    /// `out` must come from an evaluation of this program.
    pub fn reevaluate(&self, inputs: &Inputs, changed: &[SlotId], out: &mut Outcome) -> R<()> {
        if out.values.len() != self.slots.len() || out.pools.len() != self.deductions.len() + 1 {
            return self.evaluate_into(inputs, out);
        }
        let mut dirty = vec![false; self.slots.len()];
        for &c in changed {
            if let Some(d) = dirty.get_mut(c) {
                *d = true;
            }
        }
        let mut pool_dirty = vec![false; self.pools_len()];
        for step in &self.order {
            match *step {
                Step::Slot(i) => {
                    let pool_changed = match self.slots[i].kind {
                        SlotKind::Deduction(k) => self.reads_pool[i] && pool_dirty[k],
                        _ => false,
                    };
                    let needs = dirty[i]
                        || pool_changed
                        || out.values[i].is_none()
                        || self.deps[i].iter().any(|&d| dirty[d]);
                    if needs {
                        let v = self.eval_slot(i, inputs, out)?;
                        if out.values[i] != Some(v) {
                            dirty[i] = true;
                        }
                        out.values[i] = Some(v);
                    }
                }
                Step::Pool(k) => {
                    let needs = if k == 0 {
                        dirty[self.price]
                    } else {
                        pool_dirty[k - 1] || dirty[self.deductions[k - 1].slot]
                    };
                    if needs {
                        let before = out.pools[k];
                        self.eval_pool(k, out)?;
                        pool_dirty[k] = out.pools[k] != before;
                    }
                }
            }
        }
        out.requirements.clear();
        for r in &self.requirements {
            let holds = matches!(self.eval(&r.cond, out)?, Value::Bool(true));
            out.requirements.push(holds);
        }
        self.check_conservation(out)
    }

    fn pools_len(&self) -> usize {
        self.deductions.len() + 1
    }

    fn eval_slot(&self, i: SlotId, inputs: &Inputs, out: &Outcome) -> R<Value> {
        let slot = &self.slots[i];
        match slot.kind {
            SlotKind::Input => match inputs.get(i) {
                Some(v) => Ok(v),
                None => self.eval(&slot.expr, out),
            },
            SlotKind::Cell => self.eval(&slot.expr, out),
            SlotKind::Deduction(k) => {
                let minor = self.currency.minor_unit();
                if let Some(w) = &self.deductions[k].when {
                    if !matches!(self.eval(w, out)?, Value::Bool(true)) {
                        return Ok(Value::Money(
                            self.rounding.round(Decimal::ZERO, minor),
                            self.currency,
                        ));
                    }
                }
                match self.eval(&slot.expr, out)? {
                    Value::Money(d, c) => {
                        Ok(Value::Money(self.rounding.round(d, c.minor_unit()), c))
                    }
                    other => Err(internal(
                        slot.stmt_span,
                        &format!("a deduction gave {other}"),
                    )),
                }
            }
        }
    }

    fn eval_pool(&self, k: usize, out: &mut Outcome) -> R<()> {
        if k == 0 {
            let p = match out.value(self.price) {
                Some(Value::Money(d, _)) => d,
                _ => {
                    return Err(internal(
                        self.slots[self.price].stmt_span,
                        "the price is not money",
                    ))
                }
            };
            if p.is_sign_negative() && !p.is_zero() {
                let s = &self.slots[self.price];
                return Err(Diagnostic::error(
                    "splitdsl::eval::negative_price",
                    format!("the price is {}, below zero", Value::Money(p, self.currency)),
                )
                .primary(s.stmt_span, "the price")
                .help("a sale's price is zero or more; a refund reverses a sale (see `--sales` with a `kind` column)"));
            }
            let minor = self.currency.minor_unit();
            if p.normalize().scale() > minor {
                let s = &self.slots[self.price];
                return Err(Diagnostic::error(
                    "splitdsl::eval::fractional_price",
                    format!(
                        "the price is {}, which is not a whole number of {} minor units",
                        Value::Money(p, self.currency),
                        self.currency
                    ),
                )
                .primary(s.stmt_span, format!("{} has more than {minor} decimals", format_amount(p, self.currency)))
                .help("the pool must be whole cents: round the price, e.g. `price = round(list_price * rate)`"));
            }
            out.pools[0] = p;
            return Ok(());
        }
        let d = &self.deductions[k - 1];
        let before = out.pools[k - 1];
        let amount = match out.value(d.slot) {
            Some(Value::Money(a, _)) => a,
            _ => {
                return Err(internal(
                    self.slots[d.slot].stmt_span,
                    "a deduction has no amount",
                ))
            }
        };
        let slot = &self.slots[d.slot];
        let what = d.kind.keyword();
        let c = self.currency;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Diagnostic::error(
                "splitdsl::eval::negative_deduction",
                format!(
                    "the {what} `{}` is {}, below zero (the pool is {})",
                    slot.name,
                    Value::Money(amount, c),
                    Value::Money(before, c)
                ),
            )
            .primary(slot.stmt_span, format!("{} here", Value::Money(amount, c)))
            .help("a deduction takes money from the pool; use `max(…, 0.00 USD)` to keep it at zero or more"));
        }
        if amount > before {
            return Err(Diagnostic::error(
                "splitdsl::eval::exceeds_pool",
                format!(
                    "the {what} `{}` is {}, more than the {} left in the pool",
                    slot.name,
                    Value::Money(amount, c),
                    Value::Money(before, c)
                ),
            )
            .primary(
                slot.stmt_span,
                format!(
                    "{} here, but only {} left",
                    Value::Money(amount, c),
                    format_amount(before, c)
                ),
            )
            .help(format!(
                "cap it at the pool with `min(…, remaining)`, or lower the deductions before `{}`",
                slot.name
            )));
        }
        out.pools[k] = before
            .checked_sub(amount)
            .ok_or_else(|| overflow(slot.stmt_span))?;
        Ok(())
    }

    fn check_conservation(&self, out: &Outcome) -> R<()> {
        let span = self.slots[self.price].stmt_span;
        let mut total = out.unallocated();
        for d in &self.deductions {
            if let Some(Value::Money(a, _)) = out.value(d.slot) {
                total = total.checked_add(a).ok_or_else(|| overflow(span))?;
            }
        }
        let price = out.pools.first().copied().unwrap_or_default();
        if total != price {
            return Err(internal(
                span,
                &format!("price {price} ≠ deductions + unallocated {total}"),
            ));
        }
        Ok(())
    }

    /// Evaluates a compiled expression against the values computed so far.
    pub fn eval(&self, e: &CExpr, out: &Outcome) -> R<Value> {
        crate::stack::guard(|| self.eval_unguarded(e, out))
    }

    fn eval_unguarded(&self, e: &CExpr, out: &Outcome) -> R<Value> {
        Ok(match e {
            CExpr::Const(v) => *v,
            CExpr::Slot(i) => match out.value(*i) {
                Some(v) => v,
                None => {
                    return Err(internal(
                        self.slots[*i].stmt_span,
                        "a value was used before it was computed",
                    ))
                }
            },
            CExpr::Remaining(k) => Value::Money(
                out.pools.get(*k).copied().unwrap_or_default(),
                self.currency,
            ),
            CExpr::Neg(a, span) => match self.eval(a, out)? {
                Value::Money(d, c) => Value::Money(neg(d, *span)?, c),
                Value::Number(d) => Value::Number(neg(d, *span)?),
                Value::Rate(d, a, b) => Value::Rate(neg(d, *span)?, a, b),
                v => return Err(internal(*span, &format!("cannot negate {v}"))),
            },
            CExpr::Not(a) => Value::Bool(!self.truth(a, out)?),
            CExpr::And(a, b) => Value::Bool(self.truth(a, out)? && self.truth(b, out)?),
            CExpr::Or(a, b) => Value::Bool(self.truth(a, out)? || self.truth(b, out)?),
            CExpr::If(c, a, b) => {
                if self.truth(c, out)? {
                    self.eval(a, out)?
                } else {
                    self.eval(b, out)?
                }
            }
            CExpr::Binary(op, a, b, span) => {
                let a = self.eval(a, out)?;
                let b = self.eval(b, out)?;
                binary(*op, a, b, *span)?
            }
            CExpr::Call(f, args, span) => self.call(*f, args, *span, out)?,
            CExpr::Table(t, key, span) => {
                let k = self.eval(key, out)?;
                self.lookup(*t, k, *span, out)?
            }
        })
    }

    fn truth(&self, e: &CExpr, out: &Outcome) -> R<bool> {
        Ok(matches!(self.eval(e, out)?, Value::Bool(true)))
    }

    fn lookup(&self, t: usize, key: Value, span: Span, out: &Outcome) -> R<Value> {
        let table = &self.tables[t];
        for row in &table.rows {
            let hit = match &row.key {
                CKey::Value(k) => compare(key, self.eval(k, out)?) == Some(Ordering::Equal),
                CKey::Range(lo, hi) => {
                    let above = match lo {
                        Some(lo) => {
                            compare(key, self.eval(lo, out)?).is_some_and(|o| o != Ordering::Less)
                        }
                        None => true,
                    };
                    above
                        && match hi {
                            Some(hi) => compare(key, self.eval(hi, out)?)
                                .is_some_and(|o| o != Ordering::Greater),
                            None => true,
                        }
                }
            };
            if hit {
                return self.eval(&row.value, out);
            }
        }
        let keys: Vec<&str> = table.rows.iter().map(|r| r.key_text.as_str()).collect();
        Err(Diagnostic::error(
            "splitdsl::eval::no_table_row",
            format!("the table `{}` has no row for {key}", table.name),
        )
        .primary(span, format!("looks up {key}"))
        .secondary(table.span, format!("its keys: {}", keys.join(", ")))
        .help("add a row for this key, or an open range such as `10..` to catch the rest"))
    }

    fn call(&self, f: Builtin, args: &[CExpr], span: Span, out: &Outcome) -> R<Value> {
        let mut vals = args.iter().map(|a| self.eval(a, out));
        let first = match vals.next() {
            Some(v) => v?,
            None => return Err(internal(span, "a call without arguments")),
        };
        match f {
            Builtin::Min | Builtin::Max => {
                let mut best = first;
                for v in vals {
                    let v = v?;
                    let better = match compare(v, best) {
                        Some(Ordering::Less) => f == Builtin::Min,
                        Some(Ordering::Greater) => f == Builtin::Max,
                        _ => false,
                    };
                    if better {
                        best = v;
                    }
                }
                Ok(best)
            }
            Builtin::Abs => map_decimal(first, |d| Ok(d.abs())),
            Builtin::Clamp => {
                let lo = vals.next().transpose()?.unwrap_or(first);
                let hi = vals.next().transpose()?.unwrap_or(first);
                if compare(lo, hi) == Some(Ordering::Greater) {
                    return Err(Diagnostic::error(
                        "splitdsl::eval::clamp_bounds",
                        format!("`clamp` got a lower bound ({lo}) above its upper bound ({hi})"),
                    )
                    .primary(span, "here")
                    .help("write `clamp(x, lo, hi)` with lo ≤ hi"));
                }
                Ok(if compare(first, lo) == Some(Ordering::Less) {
                    lo
                } else if compare(first, hi) == Some(Ordering::Greater) {
                    hi
                } else {
                    first
                })
            }
            Builtin::Round | Builtin::Floor | Builtin::Ceil => {
                let strategy = match f {
                    Builtin::Floor => RoundingStrategy::ToNegativeInfinity,
                    Builtin::Ceil => RoundingStrategy::ToPositiveInfinity,
                    _ => self.rounding.strategy(),
                };
                match vals.next().transpose()? {
                    None => {
                        let dp = match first {
                            Value::Money(_, c) => c.minor_unit(),
                            _ => 0,
                        };
                        map_decimal(first, |d| {
                            let mut r = d.round_dp_with_strategy(dp, strategy);
                            if r.scale() < dp {
                                r.rescale(dp);
                            }
                            Ok(r)
                        })
                    }
                    Some(step) => {
                        let s = step.decimal().unwrap_or_default();
                        if s.is_zero() {
                            return Err(Diagnostic::error(
                                "splitdsl::eval::division_by_zero",
                                format!("`{}` cannot round to a step of zero", f.name()),
                            )
                            .primary(span, "step is zero")
                            .help("give a step above zero, e.g. `0.05 USD`"));
                        }
                        map_decimal(first, |d| {
                            let q = d.checked_div(s).ok_or_else(|| overflow(span))?;
                            q.round_dp_with_strategy(0, strategy)
                                .checked_mul(s)
                                .ok_or_else(|| overflow(span))
                        })
                    }
                }
            }
        }
    }
}

fn map_decimal(v: Value, f: impl FnOnce(Decimal) -> R<Decimal>) -> R<Value> {
    Ok(match v {
        Value::Money(d, c) => Value::Money(f(d)?, c),
        Value::Number(d) => Value::Number(f(d)?),
        Value::Rate(d, a, b) => Value::Rate(f(d)?, a, b),
        other => other,
    })
}

/// Orders two values of one kind (`None` for different kinds, and for bools
/// other than equality).
pub fn compare(a: Value, b: Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Money(x, c), Value::Money(y, d)) if c == d => Some(x.cmp(&y)),
        (Value::Number(x), Value::Number(y)) => Some(x.cmp(&y)),
        (Value::Rate(x, a1, b1), Value::Rate(y, a2, b2)) if a1 == a2 && b1 == b2 => Some(x.cmp(&y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(&y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

fn neg(d: Decimal, _span: Span) -> R<Decimal> {
    Ok(-d)
}

/// `a op b` for operands the checker accepted.
pub fn binary(op: BinOp, a: Value, b: Value, span: Span) -> R<Value> {
    use Value::*;
    let add = |x: Decimal, y: Decimal| x.checked_add(y).ok_or_else(|| overflow(span));
    let sub = |x: Decimal, y: Decimal| x.checked_sub(y).ok_or_else(|| overflow(span));
    let mul = |x: Decimal, y: Decimal| x.checked_mul(y).ok_or_else(|| overflow(span));
    let div = |x: Decimal, y: Decimal| {
        if y.is_zero() {
            Err(
                Diagnostic::error("splitdsl::eval::division_by_zero", "division by zero")
                    .primary(span, format!("divides {x} by zero"))
                    .help("guard the division, e.g. `if n > 0 then x / n else 0`"),
            )
        } else {
            x.checked_div(y).ok_or_else(|| overflow(span))
        }
    };
    let cmp = |o: Option<Ordering>| -> R<Value> {
        let o = o.ok_or_else(|| internal(span, "comparison of different kinds"))?;
        Ok(Bool(match op {
            BinOp::Eq => o == Ordering::Equal,
            BinOp::Ne => o != Ordering::Equal,
            BinOp::Lt => o == Ordering::Less,
            BinOp::Le => o != Ordering::Greater,
            BinOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }))
    };
    let money = |v: Decimal, c: Currency| -> R<Value> {
        if too_large_for_cents(v, c) {
            Err(money_overflow(span, c))
        } else {
            Ok(Money(v, c))
        }
    };
    Ok(match (op, a, b) {
        (BinOp::Add, Money(x, c), Money(y, _)) => money(add(x, y)?, c)?,
        (BinOp::Sub, Money(x, c), Money(y, _)) => money(sub(x, y)?, c)?,
        (BinOp::Add, Number(x), Number(y)) => Number(add(x, y)?),
        (BinOp::Sub, Number(x), Number(y)) => Number(sub(x, y)?),
        (BinOp::Add, Rate(x, p, q), Rate(y, _, _)) => Rate(add(x, y)?, p, q),
        (BinOp::Sub, Rate(x, p, q), Rate(y, _, _)) => Rate(sub(x, y)?, p, q),
        (BinOp::Add | BinOp::Sub, Date(d), Number(n)) => {
            let shown = if op == BinOp::Sub { -n } else { n };
            let out_of_range = || crate::diag::date_out_of_range(span, d, shown);
            let days = whole_days(n, span).map_err(|e| {
                if e.code == "splitdsl::eval::overflow" {
                    out_of_range()
                } else {
                    e
                }
            })?;
            let days = if op == BinOp::Sub {
                days.checked_neg()
            } else {
                Some(days)
            };
            Date(
                days.and_then(|n| crate::value::add_days(d, n))
                    .ok_or_else(out_of_range)?,
            )
        }
        (BinOp::Sub, Date(x), Date(y)) => Number(Decimal::from((x - y).num_days())),
        (BinOp::Mul | BinOp::Of, Number(x), Number(y)) => Number(mul(x, y)?),
        (BinOp::Mul | BinOp::Of, Money(x, c), Number(y))
        | (BinOp::Mul | BinOp::Of, Number(y), Money(x, c)) => money(mul(x, y)?, c)?,
        (BinOp::Mul | BinOp::Of, Money(x, _), Rate(r, to, _))
        | (BinOp::Mul | BinOp::Of, Rate(r, to, _), Money(x, _)) => money(mul(x, r)?, to)?,
        (BinOp::Mul | BinOp::Of, Rate(r, p, q), Number(y))
        | (BinOp::Mul | BinOp::Of, Number(y), Rate(r, p, q)) => Rate(mul(r, y)?, p, q),
        (BinOp::Div, Number(x), Number(y)) => Number(div(x, y)?),
        (BinOp::Div, Money(x, c), Number(y)) => money(div(x, y)?, c)?,
        (BinOp::Div, Money(x, _), Money(y, _)) => Number(div(x, y)?),
        (BinOp::Div, Money(x, _), Rate(r, _, from)) => money(div(x, r)?, from)?,
        (BinOp::Div, Rate(r, p, q), Number(y)) => Rate(div(r, y)?, p, q),
        (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, a, b) => {
            cmp(compare(a, b))?
        }
        (op, a, b) => return Err(internal(span, &format!("`{}` on {a} and {b}", op.symbol()))),
    })
}

fn whole_days(n: Decimal, span: Span) -> R<i64> {
    if !n.fract().is_zero() {
        return Err(Diagnostic::error(
            "splitdsl::eval::fractional_days",
            format!("a date moves by whole days, not {n}"),
        )
        .primary(span, "here")
        .help("round the number of days first, e.g. `round(n)`"));
    }
    i64::try_from(n).map_err(|_| overflow(span))
}

/// Money results stay below 10^(MONEY_DIGITS − minor unit): 28 significant
/// digits then keep at least four digits under the minor unit, so a result
/// the arithmetic had to round (`1/3 of price`) is still right to the cent.
pub const MONEY_DIGITS: u32 = 24;

/// The most decimals any ISO 4217 minor unit has (CLF, UYW: 4).
const MAX_MINOR_DIGITS: u32 = 4;

/// Money with a mantissa below this is below the limit in every currency.
const ALWAYS_SMALL_ENOUGH: u128 = 10u128.pow(MONEY_DIGITS - MAX_MINOR_DIGITS);

/// Whether `v` is too large to be exact to below `c`'s minor unit.
#[inline]
fn too_large_for_cents(v: Decimal, c: Currency) -> bool {
    let mantissa = v.mantissa().unsigned_abs();
    // The common case costs one comparison, without looking the currency up.
    if mantissa < ALWAYS_SMALL_ENOUGH {
        return false;
    }
    // |v| >= 10^(MONEY_DIGITS - dp)  <=>  |mantissa| >= 10^(MONEY_DIGITS - dp + scale)
    let e = MONEY_DIGITS
        .saturating_sub(c.minor_unit())
        .saturating_add(v.scale());
    // A mantissa is below 2^96 < 10^29, so e > 28 is never too large.
    e <= 28 && mantissa >= 10u128.pow(e)
}

/// The overflow of a money result too large for its minor unit (kept out of
/// line: it is the cold path of every money operation).
#[cold]
#[inline(never)]
fn money_overflow(span: Span, c: Currency) -> Diagnostic {
    Diagnostic::error(
        "splitdsl::eval::overflow",
        format!("arithmetic overflow: an amount of {c} this large cannot be exact to its minor unit"),
    )
    .primary(span, "the result of this operation is too large")
    .help(format!(
        "money results stay below 10^{} {c}, so that 28 significant digits keep four below the minor unit",
        MONEY_DIGITS.saturating_sub(c.minor_unit())
    ))
}

/// Overflow at `span`.
pub fn overflow(span: Span) -> Diagnostic {
    Diagnostic::error("splitdsl::eval::overflow", "arithmetic overflow")
        .primary(span, "the result of this operation is too large")
        .help("values hold at most 28 significant digits (about 7.9 × 10^28)")
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("splitdsl::internal", format!("internal error: {what}"))
        .primary(span, "here")
        .help("this is a bug in splitdsl; please report it with this file")
}

/// Rounds money to its currency's minor unit with `mode`.
pub fn round_money(d: Decimal, c: Currency, mode: Rounding) -> Decimal {
    mode.round(d, c.minor_unit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `too_large_for_cents` skips the currency lookup below
    /// `ALWAYS_SMALL_ENOUGH`, which is sound only while no currency has more
    /// than `MAX_MINOR_DIGITS` minor digits.
    #[test]
    fn no_currency_has_more_than_four_minor_digits() {
        for code in Currency::all_codes() {
            let c = Currency::from_code(code).map(Currency::minor_unit);
            assert!(c.is_some_and(|dp| dp <= MAX_MINOR_DIGITS), "{code}: {c:?}");
        }
    }

    #[test]
    fn money_limit_is_exact_at_the_boundary() {
        let usd = Currency::from_code("USD").expect("USD is ISO 4217");
        let limit = Decimal::from_i128_with_scale(10i128.pow(22), 0);
        let below = limit - Decimal::new(1, 2);
        assert!(too_large_for_cents(limit, usd));
        assert!(too_large_for_cents(-limit, usd));
        assert!(!too_large_for_cents(below, usd));
        assert!(!too_large_for_cents(Decimal::new(1999, 2), usd));
    }
}
