//! Runs a [`Program`] for one set of inputs: the deduction order of
//! docs/language.md section 6, with exact, checked decimal arithmetic.
//!
//! Evaluation reuses its buffers ([`Outcome`]), so settling a ledger does
//! not allocate per sale unless something goes wrong.

use crate::diag::Diagnostic;
use crate::program::*;
use crate::span::Span;
use crate::syntax::ast::BinOp;
use crate::value::{format_amount, Currency, Ty, Value};
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
    /// Every slot's value. After a successful evaluation only a cell that
    /// nothing needed and that could not be computed is `None` (see
    /// [`Outcome::failure`]).
    pub values: Vec<Option<Value>>,
    /// `pools[k]` is the pool before deduction `k`; the last is the unallocated rest.
    pub pools: Vec<Decimal>,
    /// Whether each requirement holds.
    pub requirements: Vec<bool>,
    /// Cells (and input defaults) that no deduction or requirement needed
    /// and whose formula fails for this sale, with the reason.
    pub failed: Vec<(SlotId, Diagnostic)>,
    /// Per slot: [`NOT_YET`], [`PENDING`] or [`FAILED`] (values say "done").
    state: Vec<u8>,
    /// Per deduction: its part of its group share's amount (zero outside one).
    group_parts: Vec<Decimal>,
    /// Per group share: its amount, rounded once, before the division.
    group_amounts: Vec<Decimal>,
}

const NOT_YET: u8 = 0;
const PENDING: u8 = 1;
const FAILED: u8 = 2;

impl Outcome {
    /// The value of `slot`.
    pub fn value(&self, slot: SlotId) -> Option<Value> {
        self.values.get(slot).copied().flatten()
    }

    /// What the last deduction left.
    pub fn unallocated(&self) -> Decimal {
        self.pools.last().copied().unwrap_or_default()
    }

    /// The amount of group share `g` (before it was divided among its
    /// members), when it was evaluated.
    pub fn group_amount(&self, g: usize) -> Option<Decimal> {
        self.group_amounts.get(g).copied()
    }

    /// Whether every requirement holds.
    pub fn all_hold(&self) -> bool {
        self.requirements.iter().all(|h| *h)
    }

    /// Why `slot` has no value: a cell that nothing needed for this sale
    /// and whose formula fails (e.g. a table without a row for the key).
    pub fn failure(&self, slot: SlotId) -> Option<&Diagnostic> {
        self.failed.iter().find(|(s, _)| *s == slot).map(|(_, d)| d)
    }

    fn reset(&mut self, p: &Program) {
        self.values.clear();
        self.values.resize(p.slots.len(), None);
        self.state.clear();
        self.state.resize(p.slots.len(), NOT_YET);
        self.pools.clear();
        self.pools.resize(p.deductions.len() + 1, Decimal::ZERO);
        self.requirements.clear();
        self.failed.clear();
        self.group_parts.clear();
        // One part a deduction, only when there are groups (an outcome is
        // copied at every REPL probe: no 16 bytes a share for nothing).
        let parts = if p.groups.is_empty() { 0 } else { p.deductions.len() };
        self.group_parts.resize(parts, Decimal::ZERO);
        self.group_amounts.clear();
        self.group_amounts.resize(p.groups.len(), Decimal::ZERO);
    }

    fn forget(&mut self, slot: SlotId) {
        if let Some(v) = self.values.get_mut(slot) {
            *v = None;
        }
        if let Some(s) = self.state.get_mut(slot) {
            if *s == FAILED {
                self.failed.retain(|(f, _)| *f != slot);
            }
            *s = NOT_YET;
        }
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

/// What the evaluator did, node by node: the record `explain` is built from.
///
/// Every formula that one evaluation ran (each cell's, each deduction's
/// amount and `when`, each requirement) is kept as a tree of [`TNode`]s in
/// post-order: the operands that ran, then the node. What did not run (the
/// branch of an `if` not taken, the right side of a short-circuited `and`,
/// the amount of a deduction whose `when` is false) is absent.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    exprs: Vec<Vec<TNode>>,
    whens: Vec<Vec<TNode>>,
    reqs: Vec<Vec<TNode>>,
    raw: Vec<Option<Value>>,
    /// Per group share, per member: its weight's formula as it ran.
    weights: Vec<Vec<Vec<TNode>>>,
    /// Per group share: how its amount was divided.
    groups: Vec<Option<GroupTrace>>,
}

/// How one group share's amount was divided, for `explain`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupTrace {
    /// The group's amount, rounded once.
    pub amount: Decimal,
    /// Each member's weight (1 each for equal parts).
    pub weights: Vec<Decimal>,
    /// Each member's part: quotient, remainder, leftover unit.
    pub parts: Vec<crate::allocate::Part>,
}

/// One evaluated node of a [`Trace`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TNode {
    /// The source span of the expression.
    pub span: Span,
    /// Its value.
    pub value: Value,
    /// What it is.
    pub what: TWhat,
    /// Index of the first node of its subtree.
    start: usize,
}

/// What a [`TNode`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TWhat {
    /// A literal.
    Const,
    /// A name: the value of a slot.
    Slot(SlotId),
    /// `remaining` inside deduction `k`.
    Remaining(usize),
    /// `if`, `not`, `-x` or a function call.
    Op,
    /// A binary operator (arithmetic, comparison, `and`, `or`).
    Binary(BinOp),
    /// A call of brackets [`Program::brackets`]`[b]`; its operands are the
    /// amount, `before` when given, then one [`TWhat::Band`] per band touched.
    Brackets(usize),
    /// The part of a brackets call in one band: the node's value is
    /// rate × `width` (exact), its span the band's row.
    Band {
        /// The brackets.
        brackets: usize,
        /// The band, in [`crate::program::Brackets::bands`].
        band: usize,
        /// How much of the amount falls in the band (signed: a negative
        /// amount mirrors a positive one), in the amount's unit.
        width: Decimal,
    },
    /// A lookup in table `table` that matched row `row`.
    Table {
        /// The table.
        table: usize,
        /// The row that matched.
        row: usize,
    },
}

/// A node of a [`Trace`] with access to its operands.
#[derive(Clone, Copy, Debug)]
pub struct TRef<'t> {
    nodes: &'t [TNode],
    at: usize,
}

impl<'t> TRef<'t> {
    fn root(nodes: &'t [TNode]) -> Option<TRef<'t>> {
        nodes.len().checked_sub(1).map(|at| TRef { nodes, at })
    }

    /// The node.
    pub fn node(&self) -> &'t TNode {
        &self.nodes[self.at]
    }

    /// The operands that ran, left to right.
    pub fn children(&self) -> Vec<TRef<'t>> {
        let start = self.nodes[self.at].start;
        let mut out = Vec::new();
        let mut end = self.at;
        while end > start {
            let c = end - 1;
            out.push(TRef {
                nodes: self.nodes,
                at: c,
            });
            end = self.nodes[c].start;
        }
        out.reverse();
        out
    }
}

impl Trace {
    /// The formula of `slot` as it ran (a cell's, an input default's, a
    /// deduction's amount before rounding); `None` when it did not run.
    pub fn formula(&self, slot: SlotId) -> Option<TRef<'_>> {
        TRef::root(self.exprs.get(slot)?)
    }

    /// The `when` of deduction slot `slot` as it ran.
    pub fn when(&self, slot: SlotId) -> Option<TRef<'_>> {
        TRef::root(self.whens.get(slot)?)
    }

    /// Requirement `r`'s condition as it ran.
    pub fn requirement(&self, r: usize) -> Option<TRef<'_>> {
        TRef::root(self.reqs.get(r)?)
    }

    /// A deduction's amount before rounding, when its formula ran.
    pub fn raw(&self, slot: SlotId) -> Option<Value> {
        self.raw.get(slot).copied().flatten()
    }

    /// The weight of member `m` of group share `g` as it ran (`None` for
    /// equal parts, or when the group's `when` was false).
    pub fn weight(&self, g: usize, m: usize) -> Option<TRef<'_>> {
        TRef::root(self.weights.get(g)?.get(m)?)
    }

    /// How group share `g` was divided, when its amount was evaluated and
    /// its `when` held.
    pub fn group(&self, g: usize) -> Option<&GroupTrace> {
        self.groups.get(g)?.as_ref()
    }
}

#[derive(Clone, Copy)]
enum Target {
    Expr(SlotId),
    When(SlotId),
    Req(usize),
    Weight(usize, usize),
}

/// Records into a [`Trace`] while tracing.
struct Recorder {
    trace: Trace,
    target: Option<Target>,
}

impl Recorder {
    fn new(p: &Program) -> Recorder {
        let n = p.slots.len();
        Recorder {
            trace: Trace {
                exprs: vec![Vec::new(); n],
                whens: vec![Vec::new(); n],
                reqs: vec![Vec::new(); p.requirements.len()],
                raw: vec![None; n],
                weights: p
                    .groups
                    .iter()
                    .map(|g| vec![Vec::new(); g.members.len()])
                    .collect(),
                groups: vec![None; p.groups.len()],
            },
            target: None,
        }
    }

    /// Points `rec` (when tracing) at `t`; returns the previous target.
    fn retarget(rec: Option<&mut Recorder>, t: Option<Target>) -> Option<Target> {
        std::mem::replace(&mut rec?.target, t)
    }

    fn buf(&mut self) -> Option<&mut Vec<TNode>> {
        let t = &mut self.trace;
        match self.target? {
            Target::Expr(i) => t.exprs.get_mut(i),
            Target::When(i) => t.whens.get_mut(i),
            Target::Req(r) => t.reqs.get_mut(r),
            Target::Weight(g, m) => t.weights.get_mut(g)?.get_mut(m),
        }
    }
}

/// Where an evaluation reads values from: the evaluation under way (cells
/// computed when first needed) or a finished [`Outcome`].
trait Store {
    /// The value of slot `i`, read at `span`.
    fn slot(&mut self, p: &Program, i: SlotId, span: Span) -> R<Value>;
    /// The evaluation's figures so far.
    fn outcome(&self) -> &Outcome;
    /// The recorder, while tracing.
    fn recorder(&mut self) -> Option<&mut Recorder>;
    /// Whether this evaluation records a trace.
    fn tracing(&self) -> bool;

    /// The pool before deduction `k`.
    #[inline]
    fn pool(&self, k: usize) -> Decimal {
        self.outcome().pools.get(k).copied().unwrap_or_default()
    }

    /// The buffer that records nodes, while tracing.
    #[inline]
    fn buf(&mut self) -> Option<&mut Vec<TNode>> {
        self.recorder()?.buf()
    }

    /// Switches recording to `t` (or off); returns the previous target.
    #[inline]
    fn retarget(&mut self, t: Option<Target>) -> Option<Target> {
        Recorder::retarget(self.recorder(), t)
    }
}

/// The evaluation under way.
struct Live<'a> {
    inputs: &'a Inputs,
    out: &'a mut Outcome,
    rec: Option<&'a mut Recorder>,
}

impl Store for Live<'_> {
    #[inline]
    fn slot(&mut self, p: &Program, i: SlotId, span: Span) -> R<Value> {
        match self.out.values.get(i) {
            Some(Some(v)) => Ok(*v),
            _ => p.demand(i, span, self),
        }
    }

    #[inline]
    fn outcome(&self) -> &Outcome {
        self.out
    }

    #[inline]
    fn recorder(&mut self) -> Option<&mut Recorder> {
        self.rec.as_deref_mut()
    }

    #[inline]
    fn tracing(&self) -> bool {
        self.rec.is_some()
    }
}

/// A finished evaluation, read only.
struct Done<'a> {
    out: &'a Outcome,
    rec: Option<&'a mut Recorder>,
}

impl Store for Done<'_> {
    fn slot(&mut self, p: &Program, i: SlotId, span: Span) -> R<Value> {
        if let Some(v) = self.out.value(i) {
            return Ok(v);
        }
        if let Some(d) = self.out.failure(i) {
            return Err(d.clone());
        }
        let name = p.slots.get(i).map_or("?", |s| s.name.as_str());
        Err(internal(span, &format!("`{name}` has no value here")))
    }

    fn outcome(&self) -> &Outcome {
        self.out
    }

    fn recorder(&mut self) -> Option<&mut Recorder> {
        self.rec.as_deref_mut()
    }

    fn tracing(&self) -> bool {
        self.rec.is_some()
    }
}

impl Program {
    /// Evaluates one sale.
    pub fn evaluate(&self, inputs: &Inputs) -> R<Outcome> {
        let mut out = Outcome::default();
        self.evaluate_into(inputs, &mut out)?;
        Ok(out)
    }

    /// Evaluates one sale into `out`, reusing its buffers.
    ///
    /// Deductions run in file order (docs/language.md section 6); a cell or an
    /// input's default is computed when something first needs it. A false
    /// `when` needs nothing from its deduction's formula, an `if` only the
    /// branch taken, `and`/`or` stop at the first operand that decides. A
    /// cell that nothing needed is computed at the end for the report; if
    /// it fails, the sale still settles and [`Outcome::failed`] says why.
    pub fn evaluate_into(&self, inputs: &Inputs, out: &mut Outcome) -> R<()> {
        out.reset(self);
        let mut st = Live {
            inputs,
            out,
            rec: None,
        };
        self.run_all(&mut st)
    }

    /// Evaluates only `e` for one sale (into `out`, reset first): the cells
    /// and inputs' defaults it needs, nothing else. `e` must not read a
    /// deduction or a pool (a running total's EXPR, checked).
    pub fn eval_lazy(&self, e: &CExpr, inputs: &Inputs, out: &mut Outcome) -> R<Value> {
        out.reset(self);
        let mut st = Live {
            inputs,
            out,
            rec: None,
        };
        self.ev(e, &mut st)
    }

    /// Evaluates one sale and records what the evaluator did, for
    /// `explain`. The [`Outcome`] is the one [`Program::evaluate`] gives.
    pub fn evaluate_traced(&self, inputs: &Inputs) -> R<(Outcome, Trace)> {
        let mut out = Outcome::default();
        out.reset(self);
        let mut rec = Recorder::new(self);
        let mut st = Live {
            inputs,
            out: &mut out,
            rec: Some(&mut rec),
        };
        self.run_all(&mut st)?;
        Ok((out, rec.trace))
    }

    fn run_all(&self, st: &mut Live<'_>) -> R<()> {
        for step in &self.order {
            match *step {
                Step::Slot(i) => {
                    if let SlotKind::Deduction(k) = self.slots[i].kind {
                        let v = self.eval_deduction(i, k, st)?;
                        st.out.values[i] = Some(v);
                    }
                }
                Step::Pool(k) => self.eval_pool(k, st)?,
            }
        }
        self.finish(st)
    }

    /// Requirements, then every cell not computed yet (for the report),
    /// then the conservation check.
    fn finish(&self, st: &mut Live<'_>) -> R<()> {
        st.out.requirements.clear();
        for (r, req) in self.requirements.iter().enumerate() {
            let v = if st.tracing() {
                let saved = st.retarget(Some(Target::Req(r)));
                let v = self.ev(&req.cond, st);
                st.retarget(saved);
                v
            } else {
                self.ev(&req.cond, st)
            };
            st.out.requirements.push(matches!(v?, Value::Bool(true)));
        }
        for i in 0..self.slots.len() {
            if st.out.values[i].is_none() && st.out.state[i] == NOT_YET {
                // A failure is recorded in `out.failed`; nothing needed it.
                let _ = self.demand(i, self.slots[i].name_span, st);
            }
        }
        self.check_conservation(st.out)
    }

    /// Evaluates only what depends on `changed` (and what was never
    /// computed), keeping the rest of `out`: a spreadsheet's recalculation.
    /// `out` must come from an evaluation of this program.
    pub fn reevaluate(&self, inputs: &Inputs, changed: &[SlotId], out: &mut Outcome) -> R<()> {
        if out.values.len() != self.slots.len()
            || out.state.len() != self.slots.len()
            || out.pools.len() != self.deductions.len() + 1
        {
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
                    if !needs {
                        continue;
                    }
                    match self.slots[i].kind {
                        SlotKind::Deduction(k) => {
                            let mut st = Live {
                                inputs,
                                out,
                                rec: None,
                            };
                            let v = self.eval_deduction(i, k, &mut st)?;
                            // A group's first member hands out every
                            // member's part: they all run again.
                            if out.values[i] != Some(v) || self.carries_group(k) {
                                dirty[i] = true;
                            }
                            out.values[i] = Some(v);
                        }
                        // Computed again when needed; what reads it may change.
                        _ => {
                            out.forget(i);
                            dirty[i] = true;
                        }
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
                        let mut st = Live {
                            inputs,
                            out,
                            rec: None,
                        };
                        self.eval_pool(k, &mut st)?;
                        pool_dirty[k] = out.pools[k] != before;
                    }
                }
            }
        }
        let mut st = Live {
            inputs,
            out,
            rec: None,
        };
        self.finish(&mut st)
    }

    fn pools_len(&self) -> usize {
        self.deductions.len() + 1
    }

    /// Computes input or cell `i` now (it is needed and not computed yet).
    fn demand(&self, i: SlotId, span: Span, st: &mut Live<'_>) -> R<Value> {
        let Some(slot) = self.slots.get(i) else {
            return Err(internal(span, "no such value"));
        };
        match st.out.state.get(i).copied() {
            Some(FAILED) => {
                return Err(st
                    .out
                    .failure(i)
                    .cloned()
                    .unwrap_or_else(|| internal(span, "a value failed")))
            }
            Some(PENDING) => return Err(internal(span, "a value depends on itself")),
            None => return Err(internal(span, "no such value")),
            _ => {}
        }
        st.out.state[i] = PENDING;
        let v = match slot.kind {
            SlotKind::Deduction(_) => {
                st.out.state[i] = NOT_YET;
                return Err(internal(
                    span,
                    &format!("`{}` was used before it was computed", slot.name),
                ));
            }
            SlotKind::Input => match st.inputs.get(i) {
                Some(v) => Ok(v),
                None => self.formula(i, st),
            },
            SlotKind::Cell => self.formula(i, st),
        };
        match v {
            Ok(v) => {
                st.out.state[i] = NOT_YET;
                st.out.values[i] = Some(v);
                Ok(v)
            }
            Err(d) => {
                st.out.state[i] = FAILED;
                st.out.failed.push((i, d.clone()));
                Err(d)
            }
        }
    }

    /// Runs slot `i`'s formula, recording it as the slot's while tracing.
    #[inline]
    fn formula<S: Store>(&self, i: SlotId, st: &mut S) -> R<Value> {
        if !st.tracing() {
            return self.ev(&self.slots[i].expr, st);
        }
        let saved = st.retarget(Some(Target::Expr(i)));
        if let Some(b) = st.buf() {
            b.clear();
        }
        let v = self.ev(&self.slots[i].expr, st);
        st.retarget(saved);
        v
    }

    fn eval_deduction(&self, i: SlotId, k: usize, st: &mut Live<'_>) -> R<Value> {
        if let Some(g) = self.deductions[k].group {
            return self.eval_group_member(i, k, g, st);
        }
        self.eval_amount(i, k, st).map(|(v, _)| v)
    }

    /// A deduction's amount, rounded (zero when its `when` is false), and
    /// whether its `when` held.
    fn eval_amount(&self, i: SlotId, k: usize, st: &mut Live<'_>) -> R<(Value, bool)> {
        let slot = &self.slots[i];
        if let Some(w) = &self.deductions[k].when {
            let cond = if st.tracing() {
                let saved = st.retarget(Some(Target::When(i)));
                let cond = self.ev(w, st);
                st.retarget(saved);
                cond
            } else {
                self.ev(w, st)
            };
            if !matches!(cond?, Value::Bool(true)) {
                let minor = self.currency.minor_unit();
                return Ok((
                    Value::Money(self.rounding.round(Decimal::ZERO, minor), self.currency),
                    false,
                ));
            }
        }
        match self.formula(i, st)? {
            Value::Money(d, c) => {
                if let Some(r) = &mut st.rec {
                    if let Some(raw) = r.trace.raw.get_mut(i) {
                        *raw = Some(Value::Money(d, c));
                    }
                }
                Ok((
                    Value::Money(self.rounding.round(d, c.minor_unit()), c),
                    true,
                ))
            }
            other => Err(internal(
                slot.stmt_span,
                &format!("a deduction gave {other}"),
            )),
        }
    }

    fn eval_pool(&self, k: usize, st: &mut Live<'_>) -> R<()> {
        if k == 0 {
            let price_span = self.slots[self.price].name_span;
            let p = match st.slot(self, self.price, price_span)? {
                Value::Money(d, _) => d,
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
                    crate::codes::EVAL_NEGATIVE_PRICE,
                    format!("the price is {}, below zero", Value::Money(p, self.currency)),
                )
                .primary(s.stmt_span, "the price")
                .help("a sale's price is zero or more; a refund reverses a sale (see `--sales` with a `kind` column)"));
            }
            let minor = self.currency.minor_unit();
            if p.normalize().scale() > minor {
                let s = &self.slots[self.price];
                return Err(Diagnostic::error(
                    crate::codes::EVAL_FRACTIONAL_PRICE,
                    format!(
                        "the price is {}, which is not a whole number of {} minor units",
                        Value::Money(p, self.currency),
                        self.currency
                    ),
                )
                .primary(s.stmt_span, format!("{} has more than {minor} decimals", format_amount(p, self.currency)))
                .help("the pool must be whole cents: round the price, e.g. `price = round(list_price * rate)`"));
            }
            st.out.pools[0] = p;
            return Ok(());
        }
        let out = &mut *st.out;
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
        self.check_group_pool(k - 1, before, out)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Diagnostic::error(
                crate::codes::EVAL_NEGATIVE_DEDUCTION,
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
            let subject = format!("{what} `{}`", slot.name);
            return Err(exceeds_pool(&subject, &slot.name, slot.stmt_span, amount, before, c));
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

    /// Evaluates a compiled expression against a finished evaluation `out`
    /// (a REPL expression, an example's expected value, a constant).
    pub fn eval(&self, e: &CExpr, out: &Outcome) -> R<Value> {
        self.ev(e, &mut Done { out, rec: None })
    }

    /// Evaluates `e` against `out` and records every node that ran.
    pub fn eval_traced(&self, e: &CExpr, out: &Outcome) -> R<(Value, Trace)> {
        let mut rec = Recorder::new(self);
        rec.trace.reqs = vec![Vec::new()];
        rec.target = Some(Target::Req(0));
        let v = self.ev(
            e,
            &mut Done {
                out,
                rec: Some(&mut rec),
            },
        )?;
        Ok((v, rec.trace))
    }

    /// For a requirement that does not hold in `out`: every operand of a
    /// comparison in its condition that ran (under `and`, `or` and `not`
    /// too), with its span and value, left to right.
    pub fn requirement_operands(&self, r: usize, out: &Outcome) -> Vec<(Span, Value)> {
        let Some(req) = self.requirements.get(r) else {
            return Vec::new();
        };
        let Ok((_, trace)) = self.eval_traced(&req.cond, out) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        if let Some(root) = trace.requirement(0) {
            collect_operands(root, &mut found);
        }
        found
    }

    #[inline]
    fn ev<S: Store>(&self, e: &CExpr, st: &mut S) -> R<Value> {
        crate::stack::guard(|| {
            let start = if st.tracing() {
                st.buf().map(|b| b.len())
            } else {
                None
            };
            let (value, what) = self.ev_node(e, st)?;
            if let Some(start) = start {
                if let Some(b) = st.buf() {
                    b.push(TNode {
                        span: e.span,
                        value,
                        what,
                        start,
                    });
                }
            }
            Ok(value)
        })
    }

    #[inline(always)]
    fn ev_node<S: Store>(&self, e: &CExpr, st: &mut S) -> R<(Value, TWhat)> {
        let op = |v| Ok((v, TWhat::Op));
        match &e.kind {
            CKind::Const(v) => Ok((*v, TWhat::Const)),
            CKind::Slot(i) => Ok((st.slot(self, *i, e.span)?, TWhat::Slot(*i))),
            CKind::Remaining(k) => Ok((
                Value::Money(st.pool(*k), self.currency),
                TWhat::Remaining(*k),
            )),
            CKind::Neg(a) => op(match self.ev(a, st)? {
                Value::Money(d, c) => Value::Money(neg(d, e.span)?, c),
                Value::Number(d) => Value::Number(neg(d, e.span)?),
                Value::Rate(d, a, b) => Value::Rate(neg(d, e.span)?, a, b),
                v => return Err(internal(e.span, &format!("cannot negate {v}"))),
            }),
            CKind::Not(a) => op(Value::Bool(!self.truth(a, st)?)),
            CKind::And(a, b) => Ok((
                Value::Bool(self.truth(a, st)? && self.truth(b, st)?),
                TWhat::Binary(BinOp::And),
            )),
            CKind::Or(a, b) => Ok((
                Value::Bool(self.truth(a, st)? || self.truth(b, st)?),
                TWhat::Binary(BinOp::Or),
            )),
            CKind::If(c, a, b) => op(if self.truth(c, st)? {
                self.ev(a, st)?
            } else {
                self.ev(b, st)?
            }),
            CKind::Binary(o, a, b, span) => {
                let a = self.ev(a, st)?;
                let b = self.ev(b, st)?;
                Ok((binary(*o, a, b, *span)?, TWhat::Binary(*o)))
            }
            CKind::Call(f, args) => op(self.call(*f, args, e.span, st)?),
            CKind::Table(t, key) => {
                let k = self.ev(key, st)?;
                let (row, v) = self.lookup(*t, k, e.span, st)?;
                Ok((v, TWhat::Table { table: *t, row }))
            }
            CKind::Brackets(b, x, before) => {
                let x = self.ev(x, st)?;
                let before = match before {
                    Some(e) => Some(self.ev(e, st)?),
                    None => None,
                };
                let v = self.brackets(*b, x, before, e.span, st)?;
                Ok((v, TWhat::Brackets(*b)))
            }
        }
    }

    fn truth<S: Store>(&self, e: &CExpr, st: &mut S) -> R<bool> {
        Ok(matches!(self.ev(e, st)?, Value::Bool(true)))
    }

    fn lookup<S: Store>(&self, t: usize, key: Value, span: Span, st: &mut S) -> R<(usize, Value)> {
        let table = &self.tables[t];
        for (n, row) in table.rows.iter().enumerate() {
            // The keys are matched, not shown: they are not recorded.
            let saved = st.retarget(None);
            let hit = self.row_matches(&row.key, key, st);
            st.retarget(saved);
            if hit? {
                return Ok((n, self.ev(&row.value, st)?));
            }
        }
        let keys: Vec<&str> = table.rows.iter().map(|r| r.key_text.as_str()).collect();
        Err(Diagnostic::error(
            crate::codes::EVAL_NO_TABLE_ROW,
            format!("the table `{}` has no row for {key}", table.name),
        )
        .primary(span, format!("looks up {key}"))
        .secondary(table.span, format!("its keys: {}", keys.join(", ")))
        .help("add a row for this key, or an open range such as `10..` to catch the rest"))
    }

    fn row_matches<S: Store>(&self, k: &CKey, key: Value, st: &mut S) -> R<bool> {
        Ok(match k {
            CKey::Value(k) => compare(key, self.ev(k, st)?) == Some(Ordering::Equal),
            CKey::Range(lo, hi) => {
                let above = match lo {
                    Some(lo) => compare(key, self.ev(lo, st)?).is_some_and(|o| o != Ordering::Less),
                    None => true,
                };
                above
                    && match hi {
                        Some(hi) => {
                            compare(key, self.ev(hi, st)?).is_some_and(|o| o != Ordering::Greater)
                        }
                        None => true,
                    }
            }
        })
    }

    fn call<S: Store>(&self, f: Builtin, args: &[CExpr], span: Span, st: &mut S) -> R<Value> {
        let mut args = args.iter();
        let mut next = |st: &mut S| args.next().map(|a| self.ev(a, st)).transpose();
        let Some(first) = next(st)? else {
            return Err(internal(span, "a call without arguments"));
        };
        match f {
            Builtin::Min | Builtin::Max => {
                let mut best = first;
                while let Some(v) = next(st)? {
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
                let lo = next(st)?.unwrap_or(first);
                let hi = next(st)?.unwrap_or(first);
                if compare(lo, hi) == Some(Ordering::Greater) {
                    return Err(Diagnostic::error(
                        crate::codes::EVAL_CLAMP_BOUNDS,
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
                match next(st)? {
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
                                crate::codes::EVAL_DIVISION_BY_ZERO,
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

// ---------------------------------------------------------------- brackets

impl Program {
    /// `NAME(x, before)` = F(before + x) − F(before), where F(t) is
    /// Σ rate × |[0, t] ∩ band| for t ≥ 0 and −F(−t) below zero (so a
    /// refund mirrors a sale); `NAME(x)` is `before` = 0. Exact, checked;
    /// an amount above a closed last band is an error. While tracing,
    /// records one [`TWhat::Band`] node per band touched.
    fn brackets<S: Store>(
        &self,
        b: usize,
        x: Value,
        before: Option<Value>,
        span: Span,
        st: &mut S,
    ) -> R<Value> {
        let br = self
            .brackets
            .get(b)
            .ok_or_else(|| internal(span, "unknown brackets"))?;
        let (dx, unit) = match x {
            Value::Money(d, c) => (d, Some(c)),
            Value::Number(d) => (d, None),
            v => return Err(internal(span, &format!("brackets of {v}"))),
        };
        let start = match before {
            Some(v) => v
                .decimal()
                .ok_or_else(|| internal(span, "`before` is not a quantity"))?,
            None => Decimal::ZERO,
        };
        let end = start.checked_add(dx).ok_or_else(|| overflow(span))?;
        let wrap = |d: Decimal| match unit {
            Some(c) => Value::Money(d, c),
            None => Value::Number(d),
        };
        if let Some(last) = br.bands.last() {
            if let Some(hi) = last.hi {
                let top = if start.abs() > end.abs() { start } else { end };
                if top.abs() > hi {
                    return Err(Diagnostic::error(
                        crate::codes::EVAL_ABOVE_BRACKETS,
                        format!(
                            "{} goes above the last band of `{}`, which ends at {}",
                            wrap(top.abs()),
                            br.name,
                            wrap(hi)
                        ),
                    )
                    .primary(span, format!("reaches {}", wrap(top)))
                    .secondary(br.span, format!("no rate above {}", wrap(hi)))
                    .help(format!(
                        "end `{}` with a band open above, e.g. `{}.. => RATE`",
                        br.name,
                        wrap(hi)
                    )));
                }
            }
        }
        let mut total = Decimal::ZERO;
        for (i, band) in br.bands.iter().enumerate() {
            let width = band_measure(band, end, span)?
                .checked_sub(band_measure(band, start, span)?)
                .ok_or_else(|| overflow(span))?;
            if width.is_zero() {
                continue;
            }
            let part = band.rate.checked_mul(width).ok_or_else(|| overflow(span))?;
            total = total.checked_add(part).ok_or_else(|| overflow(span))?;
            if let Some(buf) = st.buf() {
                let at = buf.len();
                buf.push(TNode {
                    span: band.span,
                    value: wrap(part),
                    what: TWhat::Band {
                        brackets: b,
                        band: i,
                        width,
                    },
                    start: at,
                });
            }
        }
        if let Some(c) = unit {
            if too_large_for_cents(total, c) {
                return Err(money_overflow(span, c));
            }
        }
        Ok(wrap(total))
    }
}

/// The signed part of [0, |t|] inside `band`, with the sign of `t`.
fn band_measure(band: &Band, t: Decimal, span: Span) -> R<Decimal> {
    let a = t.abs();
    let top = band.hi.map_or(a, |h| a.min(h));
    let m = if top > band.lo {
        top.checked_sub(band.lo).ok_or_else(|| overflow(span))?
    } else {
        Decimal::ZERO
    };
    Ok(if t.is_sign_negative() { -m } else { m })
}

/// Group shares (docs/language.md, "Group shares"): the group's amount is
/// evaluated and rounded once, with the first member, then divided by
/// [`crate::allocate::allocate`]; every member's part is kept for its turn.
impl Program {
    /// Whether deduction `k` is the first member of a group share (the one
    /// that evaluates the group).
    fn carries_group(&self, k: usize) -> bool {
        self.deductions
            .get(k)
            .and_then(|d| d.group)
            .and_then(|g| self.groups.get(g))
            .is_some_and(|g| g.members.first() == Some(&k))
    }

    fn eval_group_member(&self, i: SlotId, k: usize, g: usize, st: &mut Live<'_>) -> R<Value> {
        let c = self.currency;
        let Some(group) = self.groups.get(g) else {
            return Err(internal(self.slots[i].stmt_span, "no such group"));
        };
        if group.members.first() != Some(&k) {
            let part = st.out.group_parts.get(k).copied().unwrap_or_default();
            return Ok(Value::Money(part, c));
        }
        let (v, ran) = self.eval_amount(i, k, st)?;
        let Value::Money(amount, _) = v else {
            return Err(internal(group.span, "a group's amount is not money"));
        };
        let minor = c.minor_unit();
        let zero = self.rounding.round(Decimal::ZERO, minor);
        for &m in &group.members {
            if let Some(p) = st.out.group_parts.get_mut(m) {
                *p = zero;
            }
        }
        if let Some(a) = st.out.group_amounts.get_mut(g) {
            *a = amount;
        }
        if !ran {
            return Ok(Value::Money(zero, c));
        }
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Diagnostic::error(
                crate::codes::EVAL_NEGATIVE_DEDUCTION,
                format!(
                    "the share group `{}` is {}, below zero",
                    group.name,
                    Value::Money(amount, c)
                ),
            )
            .primary(group.span, format!("{} here", Value::Money(amount, c)))
            .help("a deduction takes money from the pool; use `max(…, 0.00 USD)` to keep it at zero or more"));
        }
        let n = group.members.len();
        let mut weights = Vec::with_capacity(n);
        match &group.weights {
            None => weights.resize(n, Decimal::ONE),
            Some(ws) => {
                for (m, w) in ws.iter().enumerate() {
                    let saved = st.retarget(Some(Target::Weight(g, m)));
                    if let Some(b) = st.buf() {
                        b.clear();
                    }
                    let v = self.ev(w, st);
                    st.retarget(saved);
                    let d = match v? {
                        Value::Number(d) => d,
                        other => return Err(internal(w.span, &format!("a weight gave {other}"))),
                    };
                    if d.is_sign_negative() && !d.is_zero() {
                        return Err(Diagnostic::error(
                            crate::codes::GROUP_NEGATIVE_WEIGHT,
                            format!(
                                "the weight of `{}` is {d} for this sale, below zero",
                                self.member_name(group, m)
                            ),
                        )
                        .primary(w.span, format!("{d} here"))
                        .help("weights are zero or more: keep it there, e.g. `max(…, 0)`"));
                    }
                    weights.push(d);
                }
                if weights.iter().all(|d| d.is_zero()) {
                    let mut d = Diagnostic::error(
                        crate::codes::GROUP_ZERO_WEIGHTS,
                        format!(
                            "every weight of the share group `{}` is zero for this sale",
                            group.name
                        ),
                    );
                    for (m, w) in ws.iter().enumerate() {
                        d = if m == 0 {
                            d.primary(w.span, "zero")
                        } else {
                            d.secondary(w.span, "zero")
                        };
                    }
                    return Err(d.help(
                        "at least one member needs a weight above zero for the group's amount to go somewhere",
                    ));
                }
            }
        }
        let parts = crate::allocate::allocate(amount, &weights, minor).map_err(|e| match e {
            crate::allocate::AllocError::Overflow => overflow(group.span),
            other => internal(group.span, &format!("dividing a group: {other:?}")),
        })?;
        for (&m, p) in group.members.iter().zip(&parts) {
            if let Some(slot) = st.out.group_parts.get_mut(m) {
                *slot = p.amount;
            }
        }
        let first = parts.first().map_or(zero, |p| p.amount);
        if let Some(r) = &mut st.rec {
            if let Some(t) = r.trace.groups.get_mut(g) {
                *t = Some(GroupTrace {
                    amount,
                    weights,
                    parts,
                });
            }
        }
        Ok(Value::Money(first, c))
    }

    fn member_name(&self, group: &Group, m: usize) -> &str {
        group
            .members
            .get(m)
            .and_then(|&k| self.deductions.get(k))
            .and_then(|d| self.slots.get(d.slot))
            .map_or("?", |s| s.name.as_str())
    }

    /// When deduction `k` is the first member of a group share: the group's
    /// whole amount checked against the pool before it (the members' parts
    /// then fit one after another).
    fn check_group_pool(&self, k: usize, before: Decimal, out: &Outcome) -> R<()> {
        if !self.carries_group(k) {
            return Ok(());
        }
        let Some(g) = self.deductions.get(k).and_then(|d| d.group) else {
            return Ok(());
        };
        let Some(group) = self.groups.get(g) else {
            return Ok(());
        };
        let amount = out.group_amount(g).unwrap_or_default();
        if amount > before {
            let subject = format!("share group `{}`", group.name);
            return Err(exceeds_pool(
                &subject,
                &group.name,
                group.span,
                amount,
                before,
                self.currency,
            ));
        }
        Ok(())
    }
}

/// A fee, share or share group (`subject`, written at `span`) of `amount`
/// with only `before` left in the pool.
fn exceeds_pool(
    subject: &str,
    name: &str,
    span: Span,
    amount: Decimal,
    before: Decimal,
    c: Currency,
) -> Diagnostic {
    Diagnostic::error(
        crate::codes::EVAL_EXCEEDS_POOL,
        format!(
            "the {subject} is {}, more than the {} left in the pool",
            Value::Money(amount, c),
            Value::Money(before, c)
        ),
    )
    .primary(
        span,
        format!(
            "{} here, but only {} left",
            Value::Money(amount, c),
            format_amount(before, c)
        ),
    )
    .help(format!(
        "cap it at the pool with `min(…, remaining)`, or lower the deductions before `{name}`"
    ))
}

/// The operands of every comparison under `node` (through `and`, `or`,
/// `not`, `if`), in order.
fn collect_operands(node: TRef<'_>, found: &mut Vec<(Span, Value)>) {
    crate::stack::guard(|| {
        let children = node.children();
        let is_bool = |t: &TRef<'_>| matches!(t.node().value, Value::Bool(_));
        if children.len() == 2 && children.iter().all(|c| !is_bool(c)) && is_bool(&node) {
            for c in children {
                if c.node().what != TWhat::Const {
                    found.push((c.node().span, c.node().value));
                }
            }
            return;
        }
        for c in children {
            if is_bool(&c) {
                collect_operands(c, found);
            }
        }
    })
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
                Diagnostic::error(crate::codes::EVAL_DIVISION_BY_ZERO, "division by zero")
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
                if e.code == crate::codes::EVAL_OVERFLOW {
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
            crate::codes::EVAL_FRACTIONAL_DAYS,
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
        crate::codes::EVAL_OVERFLOW,
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
    Diagnostic::error(crate::codes::EVAL_OVERFLOW, "arithmetic overflow")
        .primary(span, "the result of this operation is too large")
        .help("values hold at most 28 significant digits (about 7.9 × 10^28)")
}

fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(crate::codes::INTERNAL, format!("internal error: {what}"))
        .primary(span, "here")
        .help("this is a bug in splitdsl; please report it with this file")
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
