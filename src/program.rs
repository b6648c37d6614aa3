//! The compiled agreement: names resolved to slots, kinds known, the
//! evaluation order fixed. Built once by [`crate::analysis`], run many times by
//! [`crate::eval`].

use crate::span::Span;
use crate::syntax::ast::{BinOp, DeductionKind};
use crate::value::{Currency, Rounding, Ty, Value};

/// Index of an input, cell or deduction in [`Program::slots`].
pub type SlotId = usize;

/// What a slot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// An input (the price is one): the outside may set it.
    Input,
    /// A cell: a formula.
    Cell,
    /// A fee or share: the index into [`Program::deductions`].
    Deduction(usize),
}

/// A named value of the agreement.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: SlotKind,
    /// Its kind of value.
    pub ty: Ty,
    /// The span of its name where defined.
    pub name_span: Span,
    /// The span of its whole statement.
    pub stmt_span: Span,
    /// Its formula: an input's default, a cell's formula, a deduction's amount.
    pub expr: CExpr,
}

/// A fee or share, in file order.
#[derive(Clone, Debug)]
pub struct Deduction {
    /// Its slot (value = the rounded amount).
    pub slot: SlotId,
    /// Fee or share.
    pub kind: DeductionKind,
    /// Its label.
    pub label: Option<String>,
    /// Its condition.
    pub when: Option<CExpr>,
    /// Where the condition is written.
    pub when_span: Option<Span>,
    /// The group share it is a member of (an index into [`Program::groups`]).
    pub group: Option<usize>,
}

/// A group share: one amount divided among its members, each a share of its
/// own ([`Deduction`]s in a row) by the largest-remainder method
/// ([`crate::allocate`]).
#[derive(Clone, Debug)]
pub struct Group {
    /// The members' names in parentheses, `(bruno, dora, eli)`, for messages.
    pub name: String,
    /// The group's label.
    pub label: Option<String>,
    /// The members' deductions, in the order written (consecutive). The
    /// first member's formula (and `when`) is the group's amount; the
    /// others read the first.
    pub members: Vec<usize>,
    /// The weights, one per member; `None` for equal parts.
    pub weights: Option<Vec<CExpr>>,
    /// The whole statement.
    pub span: Span,
}

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `min(a, b, …)`
    Min,
    /// `max(a, b, …)`
    Max,
    /// `abs(x)`
    Abs,
    /// `round(x)`, `round(x, step)`
    Round,
    /// `floor(x)`, `floor(x, step)`
    Floor,
    /// `ceil(x)`, `ceil(x, step)`
    Ceil,
    /// `clamp(x, lo, hi)`
    Clamp,
}

impl Builtin {
    /// Every function with its name.
    pub const ALL: [(&'static str, Builtin); 7] = [
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("abs", Builtin::Abs),
        ("round", Builtin::Round),
        ("floor", Builtin::Floor),
        ("ceil", Builtin::Ceil),
        ("clamp", Builtin::Clamp),
    ];

    /// The function called `name`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A compiled expression: what it does ([`CKind`]) and where it is written.
/// Operands are known to be of fitting kinds. Every node keeps the span of
/// its source text, so tools (and `explain`) can point at any sub-expression.
/// As deep as a flat chain is long: cloning and dropping go through
/// [`crate::stack::guard`] (see [`crate::syntax::ast::Expr`]).
#[derive(Debug)]
pub struct CExpr {
    /// What the node computes.
    pub kind: CKind,
    /// The whole expression's source span (for a literal folded from `-x`,
    /// the span of `-x`).
    pub span: Span,
}

impl CExpr {
    /// A node of `kind` written at `span`.
    pub fn new(kind: CKind, span: Span) -> CExpr {
        CExpr { kind, span }
    }

    /// A constant written at `span`.
    pub fn constant(v: Value, span: Span) -> CExpr {
        CExpr::new(CKind::Const(v), span)
    }

    /// Calls `f` on each direct operand, left to right (a table lookup's
    /// operand is its key; a table's rows belong to the table).
    pub fn each_child(&self, mut f: impl FnMut(&CExpr)) {
        match &self.kind {
            CKind::Const(_) | CKind::Slot(_) | CKind::Remaining(_) => {}
            CKind::Neg(a) | CKind::Not(a) | CKind::Table(_, a) => f(a),
            CKind::Binary(_, a, b, _) | CKind::And(a, b) | CKind::Or(a, b) => {
                f(a);
                f(b);
            }
            CKind::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            CKind::Call(_, args) => args.iter().for_each(f),
            CKind::Brackets(_, x, before) => {
                f(x);
                if let Some(b) = before {
                    f(b);
                }
            }
        }
    }
}

/// What a compiled expression computes.
#[derive(Clone, Debug)]
pub enum CKind {
    /// A constant.
    Const(Value),
    /// The value of a slot.
    Slot(SlotId),
    /// The pool before deduction `k`, as money.
    Remaining(usize),
    /// `-x`
    Neg(Box<CExpr>),
    /// `not x`
    Not(Box<CExpr>),
    /// Arithmetic or comparison (not `and`/`or`); the span is the operator's.
    Binary(BinOp, Box<CExpr>, Box<CExpr>, Span),
    /// `a and b` (short-circuit)
    And(Box<CExpr>, Box<CExpr>),
    /// `a or b` (short-circuit)
    Or(Box<CExpr>, Box<CExpr>),
    /// `if c then a else b` (only the branch taken runs)
    If(Box<CExpr>, Box<CExpr>, Box<CExpr>),
    /// A built-in call.
    Call(Builtin, Vec<CExpr>),
    /// A table lookup.
    Table(usize, Box<CExpr>),
    /// `NAME(x)` or `NAME(x, before)`: the marginal amount of brackets
    /// [`Program::brackets`]`[b]` on `x` (starting at `before`).
    Brackets(usize, Box<CExpr>, Option<Box<CExpr>>),
}

impl Clone for CExpr {
    fn clone(&self) -> Self {
        crate::stack::guard(|| CExpr {
            kind: self.kind.clone(),
            span: self.span,
        })
    }
}

impl Drop for CExpr {
    fn drop(&mut self) {
        // Drop the children here, on enough stack, not in the drop glue
        // that runs after this returns.
        if !matches!(
            self.kind,
            CKind::Const(_) | CKind::Slot(_) | CKind::Remaining(_)
        ) {
            let kind = std::mem::replace(&mut self.kind, CKind::Remaining(0));
            crate::stack::guard(move || drop(kind));
        }
    }
}

/// A table's key.
#[derive(Clone, Debug)]
pub enum CKey {
    /// Matches one value.
    Value(CExpr),
    /// Matches `lo ..= hi`; a missing end is open.
    Range(Option<CExpr>, Option<CExpr>),
}

/// A table row.
#[derive(Clone, Debug)]
pub struct CRow {
    /// What it matches.
    pub key: CKey,
    /// What it gives.
    pub value: CExpr,
    /// The key as written (for messages).
    pub key_text: String,
}

/// A lookup table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// The kind of its keys.
    pub key_ty: Ty,
    /// The kind of its values.
    pub value_ty: Ty,
    /// Its rows, first match wins.
    pub rows: Vec<CRow>,
    /// Where it is defined.
    pub span: Span,
}

/// One band of a [`Brackets`]: `lo..hi => rate`.
#[derive(Clone, Debug)]
pub struct Band {
    /// Its lower bound (`0` for `..hi`).
    pub lo: rust_decimal::Decimal,
    /// Its upper bound; `None` when open (`lo..`).
    pub hi: Option<rust_decimal::Decimal>,
    /// The rate as a fraction (`20%` is `0.2`).
    pub rate: rust_decimal::Decimal,
    /// The range as written (for `explain`).
    pub range_text: String,
    /// The rate as written (for `explain`).
    pub rate_text: String,
    /// The whole row.
    pub span: Span,
}

/// `brackets NAME { RANGE => RATE … }`: marginal rates. Bands are
/// contiguous from zero, lowest first; bounds and rates are constants.
#[derive(Clone, Debug)]
pub struct Brackets {
    /// Its name.
    pub name: String,
    /// The kind of its bounds and of `x` (money of one currency, or a
    /// number); `None` when no bound is written (`.. => 5%`): any money
    /// or number.
    pub ty: Option<Ty>,
    /// Its bands, lowest first.
    pub bands: Vec<Band>,
    /// Where it is defined.
    pub span: Span,
}

/// A `require`.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// The condition.
    pub cond: CExpr,
    /// The message, or the condition's text.
    pub message: String,
    /// Where the condition is.
    pub span: Span,
}

/// An `example` block.
#[derive(Clone, Debug)]
pub struct Example {
    /// Its name.
    pub name: String,
    /// Its span.
    pub span: Span,
    /// Inputs it sets.
    pub givens: Vec<(SlotId, CExpr, Span)>,
    /// Values it checks: slot, expected value, the line.
    pub expects: Vec<(SlotId, CExpr, Span)>,
}

/// A `running NAME = sum of EXPR [per COLUMN]`: for one sale its slot is an
/// input whose default is zero; a ledger sets it on each row to the sum of
/// `expr` over the earlier rows that settled (with the same `per` cell).
#[derive(Clone, Debug)]
pub struct Running {
    /// Its slot (an input of `expr`'s kind, money or a number).
    pub slot: SlotId,
    /// What each sale adds; reads only inputs and cells, never a running
    /// total, a deduction or `remaining` (checked).
    pub expr: CExpr,
    /// The ledger column whose value groups the sales, and where it is written.
    pub per: Option<(String, Span)>,
}

/// A node of the dependency graph, in evaluation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Evaluate a slot.
    Slot(SlotId),
    /// Compute the pool after deduction `k - 1` (`Pool(0)` is the price),
    /// checking deduction `k - 1` against the pool before it.
    Pool(usize),
}

/// A checked, compiled agreement.
#[derive(Clone, Debug)]
pub struct Program {
    /// The `agreement` title.
    pub title: Option<String>,
    /// The rounding mode of deductions.
    pub rounding: Rounding,
    /// The price's currency: every deduction is in it.
    pub currency: Currency,
    /// The price's slot.
    pub price: SlotId,
    /// Inputs, cells and deductions, in file order.
    pub slots: Vec<Slot>,
    /// Fees and shares, in file order.
    pub deductions: Vec<Deduction>,
    /// Group shares (their members are in `deductions`).
    pub groups: Vec<Group>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Marginal-rate brackets.
    pub brackets: Vec<Brackets>,
    /// Requirements, in file order.
    pub requirements: Vec<Requirement>,
    /// Examples, in file order.
    pub examples: Vec<Example>,
    /// Running totals, in file order (their slots are inputs).
    pub running: Vec<Running>,
    /// Evaluation order: every slot and pool after what it depends on.
    pub order: Vec<Step>,
    /// For each slot, the slots whose values it reads directly (through
    /// tables included).
    pub deps: Vec<Vec<SlotId>>,
    /// For each slot, whether it reads `remaining` (the pool before it,
    /// which depends on every earlier deduction).
    pub reads_pool: Vec<bool>,
}

impl Program {
    /// The slot called `name`.
    pub fn slot(&self, name: &str) -> Option<SlotId> {
        self.slots.iter().position(|s| s.name == name)
    }

    /// The running total whose slot is `slot`, if it is one.
    pub fn running_of(&self, slot: SlotId) -> Option<&Running> {
        self.running.iter().find(|r| r.slot == slot)
    }

    /// The type of `name`'s value, if any.
    pub fn ty_of(&self, name: &str) -> Option<Ty> {
        self.slot(name).map(|i| self.slots[i].ty)
    }
}
