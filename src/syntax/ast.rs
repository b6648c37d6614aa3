//! The abstract syntax tree. Every node carries the byte span it came from.

use crate::span::Span;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A parsed `.split` file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// The statements, in file order.
    pub stmts: Vec<Stmt>,
    /// The spans of the `#` comments, in file order.
    pub comments: Vec<Span>,
    /// Whether some text did not parse (so some definitions may be missing).
    pub has_syntax_errors: bool,
    /// Names that statements which did not parse seem to define: the
    /// checker does not report them as unknown, to avoid cascades.
    pub broken_names: Vec<String>,
}

/// A name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A string literal (unescaped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The value, escapes resolved.
    pub value: String,
    /// Where, quotes included.
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What it says.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// Fee or share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeductionKind {
    /// To the platform or a third party.
    Fee,
    /// To a participant.
    Share,
}

impl DeductionKind {
    /// `fee` or `share`.
    pub fn keyword(self) -> &'static str {
        match self {
            DeductionKind::Fee => "fee",
            DeductionKind::Share => "share",
        }
    }
}

/// The kinds of statement.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `agreement "TITLE"`
    Agreement {
        /// The title.
        title: Str,
    },
    /// `rounding MODE`
    Rounding {
        /// The mode's name.
        mode: Ident,
    },
    /// `input NAME = EXPR`
    Input {
        /// The input's name.
        name: Ident,
        /// Its default.
        value: Expr,
    },
    /// `NAME = EXPR` (and `price = EXPR`)
    Cell {
        /// The cell's name.
        name: Ident,
        /// Its formula.
        value: Expr,
    },
    /// `fee|share NAME ["LABEL"] = EXPR [when COND]`
    Deduction {
        /// Fee or share.
        kind: DeductionKind,
        /// The keyword's span.
        keyword: Span,
        /// Its name.
        name: Ident,
        /// Its label.
        label: Option<Str>,
        /// Its amount.
        value: Expr,
        /// Its condition.
        when: Option<Expr>,
    },
    /// `share (a, b "B": W, …) ["LABEL"] = EXPR [when COND]`: one share
    /// divided among its members (each a share of its own).
    Group {
        /// The `share` keyword's span.
        keyword: Span,
        /// The members, in the order written.
        members: Vec<GroupMember>,
        /// The group's label.
        label: Option<Str>,
        /// The group's amount.
        value: Expr,
        /// Its condition.
        when: Option<Expr>,
    },
    /// `table NAME { KEY => VALUE … }`
    Table {
        /// The table's name.
        name: Ident,
        /// Its rows.
        rows: Vec<TableRow>,
    },
    /// `brackets NAME { RANGE => RATE … }`: marginal rates, called
    /// `NAME(x)` or `NAME(x, before)`. Every row's key is a
    /// [`TableKey::Range`].
    Brackets {
        /// The brackets' name.
        name: Ident,
        /// Its bands, lowest first.
        rows: Vec<TableRow>,
    },
    /// `require COND ["MESSAGE"]`
    Require {
        /// The condition.
        cond: Expr,
        /// The message.
        message: Option<Str>,
    },
    /// `example "NAME" { given … expect … }`
    Example {
        /// The example's name.
        name: Str,
        /// Its `given` and `expect` lines.
        items: Vec<ExampleItem>,
    },
    /// `running NAME = sum of EXPR [per COLUMN]`
    Running {
        /// The running total's name.
        name: Ident,
        /// What each earlier sale adds to it.
        value: Expr,
        /// The ledger column whose value groups the sales, if any.
        per: Option<Ident>,
    },
}

/// A member of a group share: `NAME ["LABEL"] [: WEIGHT]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupMember {
    /// Its name (a share's).
    pub name: Ident,
    /// Its label.
    pub label: Option<Str>,
    /// Its weight (a number ≥ 0); `None` when not written.
    pub weight: Option<Expr>,
    /// The whole member, as written.
    pub span: Span,
}

/// A row of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    /// What it matches.
    pub key: TableKey,
    /// What it gives.
    pub value: Expr,
    /// The whole row.
    pub span: Span,
}

/// A table row's key.
#[derive(Clone, Debug, PartialEq)]
pub enum TableKey {
    /// One value.
    Value(Expr),
    /// `a..b`, `a..`, `..b` (ends included).
    Range {
        /// Lower end.
        lo: Option<Expr>,
        /// Upper end.
        hi: Option<Expr>,
        /// The whole range.
        span: Span,
    },
}

/// `given` or `expect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// Sets an input.
    Given,
    /// Checks a value.
    Expect,
}

/// A line of an example block.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleItem {
    /// Given or expect.
    pub kind: ItemKind,
    /// The name set or checked.
    pub name: Ident,
    /// The value.
    pub value: Expr,
    /// The whole line.
    pub span: Span,
}

/// An expression.
///
/// A flat chain `a + b + c + …` is a tree as deep as it is long (operators
/// are left-associative), so every recursion over expressions goes through
/// [`crate::stack::guard`]: cloning, comparing, printing and dropping too.
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        crate::stack::guard(|| Expr {
            kind: self.kind.clone(),
            span: self.span,
        })
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        crate::stack::guard(|| self.span == other.span && self.kind == other.kind)
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::stack::guard(|| {
            f.debug_struct("Expr")
                .field("kind", &self.kind)
                .field("span", &self.span)
                .finish()
        })
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        // Drop the children here, on enough stack, not in the drop glue
        // that runs after this returns.
        let kind = std::mem::replace(&mut self.kind, ExprKind::Remaining);
        if matches!(
            kind,
            ExprKind::Unary(..)
                | ExprKind::Binary(..)
                | ExprKind::If(..)
                | ExprKind::Call(..)
                | ExprKind::Paren(_)
        ) {
            crate::stack::guard(move || drop(kind));
        }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `of` (same as `*`)
    Of,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Of => "of",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// Binding power: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Of => 6,
        }
    }

    /// Whether it compares two values.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-`
    Neg,
    /// `not`
    Not,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `3`, `0.35`
    Number(Decimal),
    /// `35%`: the number as written (35), not divided.
    Percent(Decimal),
    /// `100.00 USD`: amount and code as written.
    Money(Decimal, Ident),
    /// `5.20 BRL/USD`: value, the code of the money it gives, the code it converts.
    Rate(Decimal, Ident, Ident),
    /// `true`, `false`
    Bool(bool),
    /// `2025-03-10`
    Date(NaiveDate),
    /// A name.
    Name(String),
    /// `remaining`
    Remaining,
    /// `-x`, `not x`
    Unary(UnOp, Box<Expr>),
    /// `a + b` … with the operator's span.
    Binary(BinOp, Span, Box<Expr>, Box<Expr>),
    /// `if c then a else b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(a, b)`: a function or a table.
    Call(Ident, Vec<Expr>),
    /// `(x)`
    Paren(Box<Expr>),
}

impl Expr {
    /// Calls `f` on this expression and every sub-expression, depth first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        crate::stack::guard(|| self.walk_unguarded(f))
    }

    fn walk_unguarded<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => e.walk(f),
            ExprKind::Binary(_, _, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::If(c, a, b) => {
                c.walk(f);
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    a.walk(f);
                }
            }
            _ => {}
        }
    }

    /// The expression inside any parentheses.
    pub fn unparen(&self) -> &Expr {
        match &self.kind {
            ExprKind::Paren(e) => e.unparen(),
            _ => self,
        }
    }
}

impl File {
    /// Moves every span of the tree (and the comments) with `f`.
    pub fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        for c in &mut self.comments {
            *c = f(*c);
        }
        for s in &mut self.stmts {
            s.map_spans(f);
        }
    }
}

impl Stmt {
    /// Moves every span of the statement with `f`.
    pub fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.kind {
            StmtKind::Agreement { title } => title.span = f(title.span),
            StmtKind::Rounding { mode } => mode.span = f(mode.span),
            StmtKind::Input { name, value } | StmtKind::Cell { name, value } => {
                name.span = f(name.span);
                value.map_spans(f);
            }
            StmtKind::Deduction {
                keyword,
                name,
                label,
                value,
                when,
                ..
            } => {
                *keyword = f(*keyword);
                name.span = f(name.span);
                if let Some(l) = label {
                    l.span = f(l.span);
                }
                value.map_spans(f);
                if let Some(w) = when {
                    w.map_spans(f);
                }
            }
            StmtKind::Group {
                keyword,
                members,
                label,
                value,
                when,
            } => {
                *keyword = f(*keyword);
                for m in members {
                    m.span = f(m.span);
                    m.name.span = f(m.name.span);
                    if let Some(l) = &mut m.label {
                        l.span = f(l.span);
                    }
                    if let Some(w) = &mut m.weight {
                        w.map_spans(f);
                    }
                }
                if let Some(l) = label {
                    l.span = f(l.span);
                }
                value.map_spans(f);
                if let Some(w) = when {
                    w.map_spans(f);
                }
            }
            StmtKind::Table { name, rows } | StmtKind::Brackets { name, rows } => {
                name.span = f(name.span);
                for r in rows {
                    r.span = f(r.span);
                    match &mut r.key {
                        TableKey::Value(e) => e.map_spans(f),
                        TableKey::Range { lo, hi, span } => {
                            *span = f(*span);
                            for e in lo.iter_mut().chain(hi.iter_mut()) {
                                e.map_spans(f);
                            }
                        }
                    }
                    r.value.map_spans(f);
                }
            }
            StmtKind::Require { cond, message } => {
                cond.map_spans(f);
                if let Some(m) = message {
                    m.span = f(m.span);
                }
            }
            StmtKind::Example { name, items } => {
                name.span = f(name.span);
                for i in items {
                    i.span = f(i.span);
                    i.name.span = f(i.name.span);
                    i.value.map_spans(f);
                }
            }
            StmtKind::Running { name, value, per } => {
                name.span = f(name.span);
                value.map_spans(f);
                if let Some(c) = per {
                    c.span = f(c.span);
                }
            }
        }
    }
}

impl Expr {
    /// Moves every span of the expression with `f`.
    pub fn map_spans(&mut self, f: &dyn Fn(Span) -> Span) {
        crate::stack::guard(|| self.map_spans_unguarded(f));
    }

    fn map_spans_unguarded(&mut self, f: &dyn Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.kind {
            ExprKind::Money(_, code) => code.span = f(code.span),
            ExprKind::Rate(_, a, b) => {
                a.span = f(a.span);
                b.span = f(b.span);
            }
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => e.map_spans(f),
            ExprKind::Binary(_, op, a, b) => {
                *op = f(*op);
                a.map_spans(f);
                b.map_spans(f);
            }
            ExprKind::If(c, a, b) => {
                c.map_spans(f);
                a.map_spans(f);
                b.map_spans(f);
            }
            ExprKind::Call(name, args) => {
                name.span = f(name.span);
                for a in args {
                    a.map_spans(f);
                }
            }
            ExprKind::Number(_)
            | ExprKind::Percent(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Name(_)
            | ExprKind::Remaining => {}
        }
    }
}
