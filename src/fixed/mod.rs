//! The fixed-point form of a [`Program`]: the same agreement compiled once
//! more, for settling many sales fast (issue 18).
//!
//! Every value is an `i64` mantissa with a scale known when the program is
//! compiled (money `m × 10^-s`, a number likewise, a bool 0 or 1); the
//! operations are checked integer additions, products and comparisons at
//! known scales, and the rounding of a deduction to the currency's minor
//! unit is an integer division with the agreement's rounding mode. No
//! `Decimal` is built while a sale runs.
//!
//! **Always the decimal evaluator's result.** [`Fixed::compile`] accepts only
//! programs whose every node has a fixed-point form (no division, table,
//! brackets, date, rate or share group; every scale at most 28, the most a
//! `Decimal` has); anything else gives `None` and the caller uses
//! [`crate::eval`]. Why the values are equal: every intermediate value here
//! is exact and its mantissa is below 2^63 at a scale of at most 28, so it is
//! a `Decimal` too, and `rust_decimal`'s `+`, `−` and `×` give the exact
//! result whenever it is representable (they round only digits that do not
//! fit); a money value below 2^63 at any scale is also below the evaluator's
//! magnitude limit (10^(24 − minor unit) ≥ 10^20, see
//! [`crate::eval::MONEY_DIGITS`]). So the decimal evaluator computes the same
//! numbers (at other scales, which no settled figure shows: amounts are
//! rounded to the minor unit, conditions are booleans).
//!
//! For one sale, [`Fixed::run`] gives up (returns `false`) at any step the
//! decimal evaluator could compute differently or fail on: an overflow of
//! `i64`, a negative or fractional price, a deduction below zero or above
//! the pool, a requirement that does not hold, `clamp` bounds the wrong way
//! round, an input that is not of its kind or has more decimals than its
//! fixed scale, an input default that is not a constant. Both branches of an
//! `if` and both sides of `and` / `or` are computed, so a failure in either
//! gives up too. The caller then evaluates the sale with
//! [`Program::evaluate_into`], which gives the answer (or the error) the
//! decimal path always gave. `tests/fixed.rs` compares the two paths on
//! random agreements and sales.

use crate::eval::{Inputs, Outcome};
use crate::program::{Builtin, CExpr, CKind, Program, SlotId, SlotKind, Step};
use crate::syntax::ast::BinOp;
use crate::value::{Currency, Rounding, Ty, Value};

/// A register: one value of the run.
type Reg = u32;

/// The largest scale a `Decimal` holds (28).
const MAX_SCALE: u32 = 28;

/// The scale a number input is read at (more decimals: the sale falls back).
const NUMBER_INPUT_SCALE: u32 = 4;

/// `m / d` and `m % d` for `d` > 0 a power of ten. The common divisors are
/// spelt out as constants, which the compiler divides by multiplying with a
/// reciprocal: a hardware division costs tens of cycles, and a row of the
/// Hotmart split divides five times (callgrind put `m / d` among the
/// hottest lines of a ledger's settlement).
#[inline]
fn div_rem_pow10(m: i64, d: i64) -> (i64, i64) {
    macro_rules! by {
        ($($k:literal)*) => {
            match d {
                1 => (m, 0),
                $($k => (m / $k, m % $k),)*
                _ => (m / d, m % d),
            }
        };
    }
    by!(10 100 1000 10_000 100_000 1_000_000 10_000_000 100_000_000 1_000_000_000)
}

/// `m / d` (d > 0, a power of ten) rounded with `mode`.
#[inline]
fn div_round(m: i64, d: i64, mode: Rounding) -> i64 {
    let (q, r) = div_rem_pow10(m, d);
    if r == 0 {
        return q;
    }
    let away = if m < 0 { q - 1 } else { q + 1 };
    let twice = r.unsigned_abs() * 2;
    let d = d.unsigned_abs();
    match mode {
        Rounding::Down => q,
        Rounding::Up => away,
        Rounding::Floor => {
            if m < 0 {
                q - 1
            } else {
                q
            }
        }
        Rounding::Ceiling => {
            if m > 0 {
                q + 1
            } else {
                q
            }
        }
        Rounding::HalfUp => {
            if twice >= d {
                away
            } else {
                q
            }
        }
        Rounding::HalfDown => {
            if twice > d {
                away
            } else {
                q
            }
        }
        Rounding::HalfEven => {
            if twice > d || (twice == d && q % 2 != 0) {
                away
            } else {
                q
            }
        }
    }
}

/// One instruction: `dst` gets a function of registers.
#[derive(Clone, Copy, Debug)]
enum Ins {
    /// `dst = a × f` (rescaling up; `f` a power of ten).
    Scale(Reg, Reg, i64),
    /// `dst = a + b`.
    Add(Reg, Reg, Reg),
    /// `dst = a − b`.
    Sub(Reg, Reg, Reg),
    /// `dst = a × b`.
    Mul(Reg, Reg, Reg),
    /// `dst = −a`.
    Neg(Reg, Reg),
    /// `dst = |a|`.
    Abs(Reg, Reg),
    /// `dst = a op b` as 0 or 1 (operands at one scale).
    Cmp(BinOp, Reg, Reg, Reg),
    /// `dst = !a`.
    Not(Reg, Reg),
    /// `dst = a && b`.
    And(Reg, Reg, Reg),
    /// `dst = a || b`.
    Or(Reg, Reg, Reg),
    /// `dst = if c then a else b`.
    Select(Reg, Reg, Reg, Reg),
    /// `dst = min(a, b)`.
    Min(Reg, Reg, Reg),
    /// `dst = max(a, b)`.
    Max(Reg, Reg, Reg),
    /// `dst = clamp(a, lo, hi)`; gives up when lo > hi.
    Clamp(Reg, Reg, Reg, Reg),
    /// `dst = round(a / d)` with the mode (`d` a power of ten).
    Round(Reg, Reg, i64, Rounding),
}

/// What the compiler knows of a register: its kind and scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Money of a currency, at a scale.
    Money(Currency, u32),
    /// A number, at a scale.
    Number(u32),
    /// 0 or 1.
    Bool,
}

impl Kind {
    fn scale(self) -> u32 {
        match self {
            Kind::Money(_, s) | Kind::Number(s) => s,
            Kind::Bool => 0,
        }
    }

    fn with_scale(self, s: u32) -> Kind {
        match self {
            Kind::Money(c, _) => Kind::Money(c, s),
            Kind::Number(_) => Kind::Number(s),
            Kind::Bool => Kind::Bool,
        }
    }
}

/// A range of [`Fixed::code`] and the register it leaves its value in.
#[derive(Clone, Copy, Debug)]
struct Code {
    from: u32,
    to: u32,
    out: Reg,
    kind: Kind,
}

/// One step of a sale, in the program's evaluation order.
#[derive(Clone, Debug)]
enum FStep {
    /// An input: its override, or its constant default.
    Input {
        slot: SlotId,
        reg: Reg,
        kind: Kind,
        default: Option<Value>,
    },
    /// A cell: its formula.
    Cell(Code),
    /// A deduction: its `when`, its formula, rounded into `reg`.
    Deduction {
        when: Option<Code>,
        code: Code,
        reg: Reg,
    },
    /// The pool after deduction `k − 1` (`0`: the price).
    Pool(usize),
}

/// A program compiled to fixed-point integers (see the module's text).
#[derive(Clone, Debug)]
pub struct Fixed {
    code: Vec<Ins>,
    steps: Vec<FStep>,
    requirements: Vec<Code>,
    /// The registers' values before a sale (the constants).
    init: Vec<i64>,
    /// The register of the pool before each deduction (the last: the rest).
    pools: Vec<Reg>,
    /// The price's register and kind.
    price: (Reg, Kind),
    /// The deductions' registers (rounded amounts in minor units), in order.
    amounts: Vec<Reg>,
    /// The currency's minor unit.
    dp: u32,
    slots: usize,
}

/// A run's registers, reused from sale to sale.
#[derive(Clone, Debug, Default)]
pub struct State {
    regs: Vec<i64>,
    /// Whether `out.values` holds only what the last fixed run wrote.
    clean: bool,
}

/// Not supported in fixed point.
struct No;

type C<T> = Result<T, No>;

struct Compiler<'p> {
    p: &'p Program,
    code: Vec<Ins>,
    /// Each register's value before a sale runs: the constants' values
    /// (no instruction writes a constant's register), zero elsewhere.
    init: Vec<i64>,
    /// Which registers hold constants.
    constant: Vec<bool>,
    /// The register of the pool before each deduction (the last: the rest).
    pools: Vec<Reg>,
    /// Each slot's register and kind, once compiled.
    slot: Vec<Option<(Reg, Kind)>>,
}

fn pow10(k: u32) -> C<i64> {
    10i64.checked_pow(k).ok_or(No)
}

impl Compiler<'_> {
    fn reg(&mut self) -> C<Reg> {
        let r = Reg::try_from(self.init.len()).map_err(|_| No)?;
        self.init.push(0);
        self.constant.push(false);
        Ok(r)
    }

    /// A register holding `m` before any sale runs.
    fn constant_reg(&mut self, m: i64) -> C<Reg> {
        let r = self.reg()?;
        self.init[r as usize] = m;
        self.constant[r as usize] = true;
        Ok(r)
    }

    fn emit(&mut self, i: Ins) {
        self.code.push(i);
    }

    /// `r` (of kind `k`) rescaled up to scale `s`.
    fn rescale(&mut self, r: Reg, k: Kind, s: u32) -> C<Reg> {
        let have = k.scale();
        if have == s {
            return Ok(r);
        }
        if have > s || s > MAX_SCALE {
            return Err(No);
        }
        let f = pow10(s - have)?;
        if self.constant.get(r as usize) == Some(&true) {
            // A constant is rescaled once, here.
            let m = self.init[r as usize].checked_mul(f).ok_or(No)?;
            return self.constant_reg(m);
        }
        let dst = self.reg()?;
        self.emit(Ins::Scale(dst, r, f));
        Ok(dst)
    }

    /// Two operands at one scale (the larger).
    fn align(&mut self, a: (Reg, Kind), b: (Reg, Kind)) -> C<(Reg, Reg, u32)> {
        let s = a.1.scale().max(b.1.scale());
        let ra = self.rescale(a.0, a.1, s)?;
        let rb = self.rescale(b.0, b.1, s)?;
        Ok((ra, rb, s))
    }

    fn constant(&mut self, v: Value) -> C<(Reg, Kind)> {
        let (m, kind) = match v {
            Value::Money(d, c) => (d.mantissa(), Kind::Money(c, d.scale())),
            Value::Number(d) => (d.mantissa(), Kind::Number(d.scale())),
            Value::Bool(b) => (i128::from(b), Kind::Bool),
            _ => return Err(No),
        };
        let m = i64::try_from(m).map_err(|_| No)?;
        Ok((self.constant_reg(m)?, kind))
    }

    fn expr(&mut self, e: &CExpr) -> C<(Reg, Kind)> {
        crate::stack::guard(|| self.node(e))
    }

    fn node(&mut self, e: &CExpr) -> C<(Reg, Kind)> {
        Ok(match &e.kind {
            CKind::Const(v) => self.constant(*v)?,
            CKind::Slot(i) => self.slot.get(*i).copied().flatten().ok_or(No)?,
            CKind::Remaining(k) => (
                *self.pools.get(*k).ok_or(No)?,
                Kind::Money(self.p.currency, self.p.currency.minor_unit()),
            ),
            CKind::Neg(a) => {
                let (a, k) = self.expr(a)?;
                if k == Kind::Bool {
                    return Err(No);
                }
                let r = self.reg()?;
                self.emit(Ins::Neg(r, a));
                (r, k)
            }
            CKind::Not(a) => {
                let (a, k) = self.expr(a)?;
                if k != Kind::Bool {
                    return Err(No);
                }
                let r = self.reg()?;
                self.emit(Ins::Not(r, a));
                (r, Kind::Bool)
            }
            CKind::And(a, b) | CKind::Or(a, b) => {
                let (a, ka) = self.expr(a)?;
                let (b, kb) = self.expr(b)?;
                if ka != Kind::Bool || kb != Kind::Bool {
                    return Err(No);
                }
                let r = self.reg()?;
                self.emit(if matches!(e.kind, CKind::And(..)) {
                    Ins::And(r, a, b)
                } else {
                    Ins::Or(r, a, b)
                });
                (r, Kind::Bool)
            }
            CKind::If(c, a, b) => {
                let (c, kc) = self.expr(c)?;
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                if kc != Kind::Bool || !same_kind(a.1, b.1) {
                    return Err(No);
                }
                let (ra, rb, s) = if a.1 == Kind::Bool {
                    (a.0, b.0, 0)
                } else {
                    self.align(a, b)?
                };
                let r = self.reg()?;
                self.emit(Ins::Select(r, c, ra, rb));
                (r, a.1.with_scale(s))
            }
            CKind::Binary(op, a, b, _) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.binary(*op, a, b)?
            }
            CKind::Call(f, args) => self.call(*f, args)?,
            CKind::Table(..) | CKind::Brackets(..) => return Err(No),
        })
    }

    fn binary(&mut self, op: BinOp, a: (Reg, Kind), b: (Reg, Kind)) -> C<(Reg, Kind)> {
        use Kind::*;
        let r = self.reg()?;
        Ok(match op {
            BinOp::Add | BinOp::Sub => {
                let kind = match (a.1, b.1) {
                    (Money(c, _), Money(d, _)) if c == d => Money(c, 0),
                    (Number(_), Number(_)) => Number(0),
                    _ => return Err(No),
                };
                let (ra, rb, s) = self.align(a, b)?;
                let kind = kind.with_scale(s);
                self.emit(if op == BinOp::Add {
                    Ins::Add(r, ra, rb)
                } else {
                    Ins::Sub(r, ra, rb)
                });
                (r, kind)
            }
            BinOp::Mul | BinOp::Of => {
                let s = a.1.scale().checked_add(b.1.scale()).ok_or(No)?;
                if s > MAX_SCALE {
                    return Err(No);
                }
                let kind = match (a.1, b.1) {
                    (Number(_), Number(_)) => Number(s),
                    (Money(c, _), Number(_)) | (Number(_), Money(c, _)) => Money(c, s),
                    _ => return Err(No),
                };
                self.emit(Ins::Mul(r, a.0, b.0));
                (r, kind)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if !same_kind(a.1, b.1) {
                    return Err(No);
                }
                let (ra, rb) = if a.1 == Bool {
                    (a.0, b.0)
                } else {
                    let (ra, rb, _) = self.align(a, b)?;
                    (ra, rb)
                };
                self.emit(Ins::Cmp(op, r, ra, rb));
                (r, Bool)
            }
            _ => return Err(No),
        })
    }

    fn call(&mut self, f: Builtin, args: &[CExpr]) -> C<(Reg, Kind)> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            let v = self.expr(a)?;
            if v.1 == Kind::Bool {
                return Err(No);
            }
            vals.push(v);
        }
        let first = *vals.first().ok_or(No)?;
        if !vals.iter().all(|v| same_kind(v.1, first.1)) {
            return Err(No);
        }
        match f {
            Builtin::Min | Builtin::Max => {
                let s = vals.iter().map(|v| v.1.scale()).max().unwrap_or(0);
                let mut acc = self.rescale(first.0, first.1, s)?;
                for &v in &vals[1..] {
                    let rv = self.rescale(v.0, v.1, s)?;
                    let r = self.reg()?;
                    self.emit(if f == Builtin::Min {
                        Ins::Min(r, acc, rv)
                    } else {
                        Ins::Max(r, acc, rv)
                    });
                    acc = r;
                }
                Ok((acc, first.1.with_scale(s)))
            }
            Builtin::Abs if vals.len() == 1 => {
                let r = self.reg()?;
                self.emit(Ins::Abs(r, first.0));
                Ok((r, first.1))
            }
            Builtin::Clamp if vals.len() == 3 => {
                let s = vals.iter().map(|v| v.1.scale()).max().unwrap_or(0);
                let x = self.rescale(first.0, first.1, s)?;
                let lo = self.rescale(vals[1].0, vals[1].1, s)?;
                let hi = self.rescale(vals[2].0, vals[2].1, s)?;
                let r = self.reg()?;
                self.emit(Ins::Clamp(r, x, lo, hi));
                Ok((r, first.1.with_scale(s)))
            }
            Builtin::Round | Builtin::Floor | Builtin::Ceil if vals.len() == 1 => {
                let mode = match f {
                    Builtin::Floor => Rounding::Floor,
                    Builtin::Ceil => Rounding::Ceiling,
                    _ => self.p.rounding,
                };
                let dp = match first.1 {
                    Kind::Money(c, _) => c.minor_unit(),
                    _ => 0,
                };
                Ok((self.round(first, dp, mode)?, first.1.with_scale(dp)))
            }
            _ => Err(No),
        }
    }

    /// `v` rounded to `dp` decimals with `mode`, at scale `dp`.
    fn round(&mut self, v: (Reg, Kind), dp: u32, mode: Rounding) -> C<Reg> {
        let s = v.1.scale();
        if s <= dp {
            return self.rescale(v.0, v.1, dp);
        }
        let r = self.reg()?;
        self.emit(Ins::Round(r, v.0, pow10(s - dp)?, mode));
        Ok(r)
    }

    /// A formula as a [`Code`] range.
    fn code(&mut self, e: &CExpr) -> C<Code> {
        let from = u32::try_from(self.code.len()).map_err(|_| No)?;
        let (out, kind) = self.expr(e)?;
        let to = u32::try_from(self.code.len()).map_err(|_| No)?;
        Ok(Code {
            from,
            to,
            out,
            kind,
        })
    }
}

/// Whether two kinds are of one sort (scales aside).
fn same_kind(a: Kind, b: Kind) -> bool {
    match (a, b) {
        (Kind::Money(c, _), Kind::Money(d, _)) => c == d,
        (Kind::Number(_), Kind::Number(_)) | (Kind::Bool, Kind::Bool) => true,
        _ => false,
    }
}

impl Fixed {
    /// The fixed-point form of `p`, when every node of it has one.
    pub fn compile(p: &Program) -> Option<Fixed> {
        if !p.groups.is_empty() || !p.brackets.is_empty() {
            return None;
        }
        let mut c = Compiler {
            p,
            code: Vec::new(),
            init: Vec::new(),
            constant: Vec::new(),
            pools: Vec::new(),
            slot: vec![None; p.slots.len()],
        };
        let dp = p.currency.minor_unit();
        let money = Kind::Money(p.currency, dp);
        let mut steps = Vec::with_capacity(p.order.len());
        let mut amounts = vec![0; p.deductions.len()];
        let result: C<()> = (|| {
            for _ in 0..=p.deductions.len() {
                let r = c.reg()?;
                c.pools.push(r);
            }
            for step in &p.order {
                match *step {
                    Step::Pool(k) => steps.push(FStep::Pool(k)),
                    Step::Slot(i) => {
                        let slot = p.slots.get(i).ok_or(No)?;
                        match slot.kind {
                            SlotKind::Input => {
                                let default = match &slot.expr.kind {
                                    CKind::Const(v) => Some(*v),
                                    _ => None,
                                };
                                // Read at the minor unit (a number: at 4
                                // decimals), or the default's scale if larger.
                                let written = match default {
                                    Some(Value::Money(d, _) | Value::Number(d)) => d.scale(),
                                    _ => 0,
                                };
                                let kind = match slot.ty {
                                    Ty::Money(cur) => {
                                        Kind::Money(cur, cur.minor_unit().max(written))
                                    }
                                    Ty::Number => Kind::Number(NUMBER_INPUT_SCALE.max(written)),
                                    Ty::Bool => Kind::Bool,
                                    _ => return Err(No),
                                };
                                let reg = c.reg()?;
                                c.slot[i] = Some((reg, kind));
                                steps.push(FStep::Input {
                                    slot: i,
                                    reg,
                                    kind,
                                    default,
                                });
                            }
                            SlotKind::Cell => {
                                let code = c.code(&slot.expr)?;
                                if !matches!(code.kind, Kind::Money(..) | Kind::Number(_)) {
                                    // A bool cell is a register like any other.
                                    if code.kind != Kind::Bool {
                                        return Err(No);
                                    }
                                }
                                c.slot[i] = Some((code.out, code.kind));
                                steps.push(FStep::Cell(code));
                            }
                            SlotKind::Deduction(k) => {
                                let d = p.deductions.get(k).ok_or(No)?;
                                let when = match &d.when {
                                    Some(w) => {
                                        let w = c.code(w)?;
                                        if w.kind != Kind::Bool {
                                            return Err(No);
                                        }
                                        Some(w)
                                    }
                                    None => None,
                                };
                                let code = c.code(&slot.expr)?;
                                match code.kind {
                                    Kind::Money(cur, _) if cur == p.currency => {}
                                    _ => return Err(No),
                                }
                                // The rounded amount, at the minor unit.
                                let reg =
                                    c.round((code.out, code.kind), dp, p.rounding)?;
                                // `round` may give the formula's own register
                                // (already at the minor unit, perhaps a
                                // constant): with a `when`, copy it into its
                                // own, which a false `when` sets to zero.
                                let reg = if reg == code.out && when.is_some() {
                                    let r = c.reg()?;
                                    c.emit(Ins::Scale(r, code.out, 1));
                                    r
                                } else {
                                    reg
                                };
                                let end = u32::try_from(c.code.len()).map_err(|_| No)?;
                                let code = Code { to: end, ..code };
                                c.slot[i] = Some((reg, money));
                                *amounts.get_mut(k).ok_or(No)? = reg;
                                steps.push(FStep::Deduction { when, code, reg });
                            }
                        }
                    }
                }
            }
            Ok(())
        })();
        result.ok()?;
        let mut requirements = Vec::with_capacity(p.requirements.len());
        for r in &p.requirements {
            let code = c.code(&r.cond).ok()?;
            if code.kind != Kind::Bool {
                return None;
            }
            requirements.push(code);
        }
        let price = c.slot.get(p.price).copied().flatten()?;
        if !matches!(price.1, Kind::Money(cur, _) if cur == p.currency) {
            return None;
        }
        Some(Fixed {
            code: c.code,
            steps,
            requirements,
            init: c.init,
            pools: c.pools,
            price,
            amounts,
            dp,
            slots: p.slots.len(),
        })
    }

    /// Settles one sale in fixed point: on success (`true`), `units` holds
    /// the price, each deduction and the unallocated rest in minor units,
    /// and `out` the inputs' values (the only values a settled row shows)
    /// and the requirements (all hold); `false`: this sale needs the decimal
    /// evaluator (nothing in `out` or `units` is meaningful then; call
    /// [`State::touched`] after the decimal evaluator wrote `out`).
    pub fn run(
        &self,
        inputs: &Inputs,
        st: &mut State,
        out: &mut Outcome,
        units: &mut Vec<i128>,
    ) -> bool {
        if st.regs.len() != self.init.len() {
            st.regs.clear();
            st.regs.extend_from_slice(&self.init);
        }
        if !st.clean || out.values.len() != self.slots {
            out.values.clear();
            out.values.resize(self.slots, None);
            out.pools.clear();
            out.failed.clear();
            st.clean = true;
        }
        for step in &self.steps {
            match *step {
                FStep::Input {
                    slot,
                    reg,
                    kind,
                    default,
                } => {
                    let Some(v) = inputs.get(slot).or(default) else {
                        return false;
                    };
                    let Some(m) = input_units(v, kind) else {
                        return false;
                    };
                    st.regs[reg as usize] = m;
                    out.values[slot] = Some(v);
                }
                FStep::Cell(code) => {
                    if !self.exec(code, st) {
                        return false;
                    }
                }
                FStep::Deduction { when, code, reg } => {
                    if let Some(w) = when {
                        if !self.exec(w, st) {
                            return false;
                        }
                        if st.regs[w.out as usize] == 0 {
                            st.regs[reg as usize] = 0;
                            continue;
                        }
                    }
                    if !self.exec(code, st) {
                        return false;
                    }
                }
                FStep::Pool(0) => {
                    let (r, kind) = self.price;
                    let p = st.regs[r as usize];
                    let s = kind.scale();
                    let p = if s >= self.dp {
                        let Some(f) = 10i64.checked_pow(s - self.dp) else {
                            return false;
                        };
                        let (q, r) = div_rem_pow10(p, f);
                        if r != 0 {
                            return false;
                        }
                        q
                    } else {
                        match 10i64
                            .checked_pow(self.dp - s)
                            .and_then(|f| p.checked_mul(f))
                        {
                            Some(p) => p,
                            None => return false,
                        }
                    };
                    if p < 0 {
                        return false;
                    }
                    st.regs[self.pools[0] as usize] = p;
                }
                FStep::Pool(k) => {
                    let (Some(&r), Some(&from), Some(&to)) = (
                        self.amounts.get(k - 1),
                        self.pools.get(k - 1),
                        self.pools.get(k),
                    ) else {
                        return false;
                    };
                    let (a, before) = (st.regs[r as usize], st.regs[from as usize]);
                    if a < 0 || a > before {
                        return false;
                    }
                    st.regs[to as usize] = before - a;
                }
            }
        }
        out.requirements.clear();
        for r in &self.requirements {
            if !self.exec(*r, st) || st.regs[r.out as usize] == 0 {
                return false;
            }
            out.requirements.push(true);
        }
        let (Some(&first), Some(&last)) = (self.pools.first(), self.pools.last()) else {
            return false;
        };
        units.clear();
        units.push(i128::from(st.regs[first as usize]));
        units.extend(self.amounts.iter().map(|&r| i128::from(st.regs[r as usize])));
        units.push(i128::from(st.regs[last as usize]));
        true
    }

    /// Runs `code`; false when a step gives up.
    #[inline]
    fn exec(&self, code: Code, st: &mut State) -> bool {
        let Some(ins) = self.code.get(code.from as usize..code.to as usize) else {
            return false;
        };
        let r = &mut st.regs;
        for i in ins {
            match *i {
                Ins::Scale(d, a, f) => match r[a as usize].checked_mul(f) {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Add(d, a, b) => match r[a as usize].checked_add(r[b as usize]) {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Sub(d, a, b) => match r[a as usize].checked_sub(r[b as usize]) {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Mul(d, a, b) => match r[a as usize].checked_mul(r[b as usize]) {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Neg(d, a) => match r[a as usize].checked_neg() {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Abs(d, a) => match r[a as usize].checked_abs() {
                    Some(x) => r[d as usize] = x,
                    None => return false,
                },
                Ins::Cmp(op, d, a, b) => {
                    let (x, y) = (r[a as usize], r[b as usize]);
                    r[d as usize] = i64::from(match op {
                        BinOp::Eq => x == y,
                        BinOp::Ne => x != y,
                        BinOp::Lt => x < y,
                        BinOp::Le => x <= y,
                        BinOp::Gt => x > y,
                        _ => x >= y,
                    });
                }
                Ins::Not(d, a) => r[d as usize] = i64::from(r[a as usize] == 0),
                Ins::And(d, a, b) => {
                    r[d as usize] = i64::from(r[a as usize] != 0 && r[b as usize] != 0)
                }
                Ins::Or(d, a, b) => {
                    r[d as usize] = i64::from(r[a as usize] != 0 || r[b as usize] != 0)
                }
                Ins::Select(d, c, a, b) => {
                    r[d as usize] = if r[c as usize] != 0 {
                        r[a as usize]
                    } else {
                        r[b as usize]
                    }
                }
                Ins::Min(d, a, b) => r[d as usize] = r[a as usize].min(r[b as usize]),
                Ins::Max(d, a, b) => r[d as usize] = r[a as usize].max(r[b as usize]),
                Ins::Clamp(d, x, lo, hi) => {
                    let (x, lo, hi) = (r[x as usize], r[lo as usize], r[hi as usize]);
                    if lo > hi {
                        return false;
                    }
                    r[d as usize] = x.clamp(lo, hi);
                }
                Ins::Round(d, a, f, mode) => r[d as usize] = div_round(r[a as usize], f, mode),
            }
        }
        true
    }
}

impl State {
    /// Says that something other than [`Fixed::run`] (the decimal
    /// evaluator) wrote the outcome the next run receives.
    pub fn touched(&mut self) {
        self.clean = false;
    }
}

/// An input's value at its register's scale, when it is of its kind, has no
/// more decimals than the scale and fits.
fn input_units(v: Value, kind: Kind) -> Option<i64> {
    let (d, s) = match (v, kind) {
        (Value::Money(d, c), Kind::Money(k, s)) if c == k => (d, s),
        (Value::Number(d), Kind::Number(s)) => (d, s),
        (Value::Bool(b), Kind::Bool) => return Some(i64::from(b)),
        _ => return None,
    };
    let m = i64::try_from(d.mantissa()).ok()?;
    let have = d.scale();
    if have <= s {
        m.checked_mul(10i64.checked_pow(s - have)?)
    } else {
        let f = 10i64.checked_pow(have - s)?;
        let (q, r) = div_rem_pow10(m, f);
        (r == 0).then_some(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spelt-out divisors give what a hardware division gives, for every
    /// power of ten an `i64` holds, both signs and the edges.
    #[test]
    fn powers_of_ten_divide_as_the_hardware_does() {
        let ms = [
            0,
            1,
            -1,
            5,
            -5,
            99,
            -99,
            12_345_678_901,
            -12_345_678_901,
            i64::MAX,
            i64::MIN,
            i64::MAX - 7,
            i64::MIN + 7,
        ];
        let mut d: i64 = 1;
        loop {
            for &m in &ms {
                for m in [m, m / 3, m.wrapping_add(d / 2)] {
                    assert_eq!(div_rem_pow10(m, d), (m / d, m % d), "{m} / {d}");
                }
            }
            match d.checked_mul(10) {
                Some(n) => d = n,
                None => break,
            }
        }
    }
}
