//! Kinds, units and currencies: the kind of every operator's and built-in
//! function's result, the currency codes, and the kinds a definition must
//! have (a money price, deductions in its currency, bool conditions).

use super::names::{Checker, DefKind, NameRef};
use crate::diag::{did_you_mean, Diagnostic};
use crate::program::{Builtin, CExpr};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind};
use crate::value::{Currency, Ty};

/// Compiles one expression against the kinds known so far.
pub(super) struct Compiler<'c, 'a> {
    pub(super) c: &'c mut Checker<'a>,
    pub(super) tys: &'c [Option<Ty>],
    pub(super) table_tys: &'c [Option<(Ty, Ty)>],
    pub(super) deduction: Option<usize>,
}

fn kind_name(ty: Ty) -> String {
    ty.to_string()
}

impl Compiler<'_, '_> {
    pub(super) fn err(&mut self, d: Diagnostic) -> Option<(CExpr, Ty)> {
        self.c.err(d);
        None
    }

    pub(super) fn currency(&mut self, code: &ast::Ident) -> Option<Currency> {
        if let Some(c) = Currency::from_code(&code.name) {
            return Some(c);
        }
        if let Some(what) = Currency::not_for_payment(&code.name) {
            self.c.err(
                Diagnostic::error(
                    crate::codes::UNIT_NOT_PAYMENT_CURRENCY,
                    format!("`{}` is not a currency of payment", code.name),
                )
                .primary(code.span, what)
                .help("a sale is paid and split in a currency of payment, such as USD, EUR, BRL or JPY"),
            );
            return None;
        }
        let help = match did_you_mean(&code.name, Currency::all_codes()) {
            Some(s) => format!("did you mean `{s}`? Currencies are ISO 4217 codes"),
            None => "currencies are ISO 4217 codes such as USD, EUR, BRL, JPY".into(),
        };
        self.c.err(
            Diagnostic::error(
                crate::codes::UNIT_UNKNOWN_CURRENCY,
                format!("unknown currency `{}`", code.name),
            )
            .primary(code.span, "not an ISO 4217 code")
            .help(help),
        );
        None
    }

    /// The source text of `e` when it can stand as an operand of `*` or `/`
    /// without parentheses and is short enough for a hint.
    fn atom_text(&self, e: &Expr) -> Option<String> {
        let atomic = matches!(
            e.kind,
            ExprKind::Name(_)
                | ExprKind::Money(..)
                | ExprKind::Rate(..)
                | ExprKind::Number(_)
                | ExprKind::Paren(_)
                | ExprKind::Call(..)
        );
        let text = e.span.text(self.c.src);
        (atomic && !text.is_empty() && text.len() <= 40 && !text.contains('\n'))
            .then(|| text.to_string())
    }

    pub(super) fn pool_ty(&mut self) -> Option<Ty> {
        let p = match self.c.names.get("price") {
            Some(NameRef::Def(i)) => *i,
            _ => return None,
        };
        // Only money makes a pool; a wrong price is reported on its own.
        self.tys
            .get(p)
            .copied()
            .flatten()
            .filter(|t| matches!(t, Ty::Money(_)))
    }

    pub(super) fn binary_ty(
        &mut self,
        op: BinOp,
        op_span: Span,
        a: &Expr,
        ta: Ty,
        b: &Expr,
        tb: Ty,
    ) -> Option<Ty> {
        use Ty::*;
        let result = match op {
            BinOp::Add | BinOp::Sub => match (ta, tb) {
                (Money(x), Money(y)) if x == y => Some(Money(x)),
                (Number, Number) => Some(Number),
                (Rate(a1, b1), Rate(a2, b2)) if a1 == a2 && b1 == b2 => Some(ta),
                (Date, Number) => Some(Date),
                (Date, Date) if op == BinOp::Sub => Some(Number),
                _ => None,
            },
            BinOp::Mul | BinOp::Of => match (ta, tb) {
                (Number, Number) => Some(Number),
                (Money(c), Number) | (Number, Money(c)) => Some(Money(c)),
                (Money(c), Rate(to, from)) | (Rate(to, from), Money(c)) if c == from => {
                    Some(Money(to))
                }
                (Rate(..), Number) => Some(ta),
                (Number, Rate(..)) => Some(tb),
                _ => None,
            },
            BinOp::Div => match (ta, tb) {
                (Number, Number) => Some(Number),
                (Money(c), Number) => Some(Money(c)),
                (Money(x), Money(y)) if x == y => Some(Number),
                (Money(c), Rate(to, from)) if c == to => Some(Money(from)),
                (Rate(..), Number) => Some(ta),
                _ => None,
            },
            BinOp::Eq | BinOp::Ne => (ta == tb).then_some(Bool),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                (ta == tb && ta != Bool).then_some(Bool)
            }
            BinOp::And | BinOp::Or => (ta == Bool && tb == Bool).then_some(Bool),
        };
        if result.is_some() {
            return result;
        }
        self.binary_mismatch(op, op_span, a, ta, b, tb);
        None
    }

    /// Reports why `a op b` has no kind: the diagnostic for each pair.
    fn binary_mismatch(&mut self, op: BinOp, op_span: Span, a: &Expr, ta: Ty, b: &Expr, tb: Ty) {
        use Ty::*;
        let mismatch = |code: crate::codes::Code, msg: String, help: String| {
            Diagnostic::error(code, msg)
                .primary(op_span, format!("`{}`", op.symbol()))
                .secondary(a.span, kind_name(ta))
                .secondary(b.span, kind_name(tb))
                .help(help)
        };
        let sym = op.symbol();
        let d = match (op, ta, tb) {
            (_, Bool, _) | (_, _, Bool) if !matches!(op, BinOp::And | BinOp::Or | BinOp::Eq | BinOp::Ne) => mismatch(
                crate::codes::UNIT_BOOL_ARITHMETIC,
                format!("`{sym}` cannot take a bool"),
                "bools are conditions; use `if … then … else …` to turn one into an amount".into(),
            ),
            (BinOp::And | BinOp::Or, _, _) => mismatch(
                crate::codes::UNIT_LOGIC_NOT_BOOL,
                format!("`{sym}` joins two conditions, but got {ta} and {tb}"),
                "compare values first, e.g. `price > 50.00 USD and installments > 1`".into(),
            ),
            (_, Money(x), Money(y)) if x != y => mismatch(
                crate::codes::UNIT_CURRENCY_MISMATCH,
                format!("`{sym}` mixes {x} and {y}"),
                format!("convert one side with a rate first, e.g. `amount * 5.20 {x}/{y}`"),
            ),
            (BinOp::Mul | BinOp::Of, Money(_), Money(_)) => mismatch(
                crate::codes::UNIT_MONEY_TIMES_MONEY,
                "money cannot be multiplied by money".into(),
                "multiply money by a number or a percentage, e.g. `35% of net`".into(),
            ),
            (BinOp::Mul | BinOp::Of, Money(c), Rate(to, from)) | (BinOp::Mul | BinOp::Of, Rate(to, from), Money(c)) if c == to => {
                // The rate points the other way: dividing by it converts
                // `to` into `from` at the same rate.
                let (money, rate) = if matches!(ta, Money(_)) { (a, b) } else { (b, a) };
                let divide = match (self.atom_text(money), self.atom_text(rate)) {
                    (Some(m), Some(r)) => format!("`{m} / {r}`"),
                    _ => "the money `/` the rate".into(),
                };
                mismatch(
                    crate::codes::UNIT_RATE_MISMATCH,
                    format!("the rate {to}/{from} converts {from} into {to}, but this money is already in {c}"),
                    format!("to convert {c} into {from} at this rate, divide: {divide}; or use a rate written `… {from}/{to}` ({from} per {to}, the inverse of this one)"),
                )
            }
            (BinOp::Mul | BinOp::Of, Money(c), Rate(to, from)) | (BinOp::Mul | BinOp::Of, Rate(to, from), Money(c)) => mismatch(
                crate::codes::UNIT_RATE_MISMATCH,
                format!("the rate {to}/{from} converts {from}, but this money is in {c}"),
                format!("a rate that converts {c} is written `… X/{c}` (X per {c}), e.g. `… {to}/{c}`; or convert {c} into {from} first"),
            ),
            (BinOp::Div, Money(c), Rate(to, from)) if c == from => {
                let multiply = match (self.atom_text(a), self.atom_text(b)) {
                    (Some(m), Some(r)) => format!("`{m} * {r}`"),
                    _ => "the money `*` the rate".into(),
                };
                mismatch(
                    crate::codes::UNIT_RATE_MISMATCH,
                    format!("dividing by the rate {to}/{from} converts {to} into {from}, but this money is already in {from}"),
                    format!("to convert {from} into {to} at this rate, multiply: {multiply}"),
                )
            }
            (BinOp::Div, Money(c), Rate(to, from)) => mismatch(
                crate::codes::UNIT_RATE_MISMATCH,
                format!("dividing by the rate {to}/{from} converts {to} into {from}, but this money is in {c}"),
                format!("a rate that converts {c} is written `… X/{c}` (X per {c}); multiply money by it"),
            ),
            (BinOp::Add | BinOp::Sub, Money(c), Number) | (BinOp::Add | BinOp::Sub, Number, Money(c)) => mismatch(
                crate::codes::UNIT_MONEY_PLUS_NUMBER,
                format!("`{sym}` mixes money in {c} and a plain number"),
                format!("give the number its currency, e.g. `0.50 {c}`"),
            ),
            (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, Money(c), Number)
            | (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, Number, Money(c)) => mismatch(
                crate::codes::UNIT_MONEY_VS_NUMBER,
                format!("cannot compare money in {c} with a plain number"),
                format!("give the number its currency, e.g. `50.00 {c}`, or compare with a share of money, e.g. `30% of net`"),
            ),
            (BinOp::Div, Number, Money(_)) => mismatch(
                crate::codes::UNIT_NUMBER_OVER_MONEY,
                "a number cannot be divided by money".into(),
                "divide money by money for a ratio, or money by a number for a part".into(),
            ),
            _ => mismatch(
                crate::codes::UNIT_KIND_MISMATCH,
                format!("`{sym}` cannot combine {ta} and {tb}"),
                "both sides must be of fitting kinds: see the table of units in the README".into(),
            ),
        };
        self.c.err(d);
    }

    pub(super) fn builtin_ty(
        &mut self,
        b: Builtin,
        f: &ast::Ident,
        e: &Expr,
        args: &[Expr],
        tys: &[Ty],
    ) -> Option<Ty> {
        let name = b.name();
        let (min_args, max_args, usage) = match b {
            Builtin::Min | Builtin::Max => (1, usize::MAX, format!("`{name}(a, b, …)`")),
            Builtin::Abs => (1, 1, "`abs(x)`".into()),
            Builtin::Round | Builtin::Floor | Builtin::Ceil => {
                (1, 2, format!("`{name}(x)` or `{name}(x, step)`"))
            }
            Builtin::Clamp => (3, 3, "`clamp(x, lo, hi)`".into()),
        };
        if tys.len() < min_args || tys.len() > max_args {
            self.c.err(
                Diagnostic::error(
                    crate::codes::CALL_ARITY,
                    format!(
                        "`{name}` cannot take {} argument{}",
                        tys.len(),
                        if tys.len() == 1 { "" } else { "s" }
                    ),
                )
                .primary(e.span, "wrong number of arguments")
                .help(format!("write {usage}")),
            );
            return None;
        }
        let first = *tys.first()?;
        let allowed = match b {
            Builtin::Abs => matches!(first, Ty::Money(_) | Ty::Number | Ty::Rate(..)),
            Builtin::Round | Builtin::Floor | Builtin::Ceil => {
                matches!(first, Ty::Money(_) | Ty::Number)
            }
            _ => first != Ty::Bool,
        };
        if !allowed {
            self.c.err(
                Diagnostic::error(
                    crate::codes::CALL_ARG_KIND,
                    format!("`{name}` cannot take {first}"),
                )
                .primary(
                    args.first().map_or(e.span, |a| a.span),
                    format!("this is {first}"),
                )
                .secondary(f.span, format!("`{name}`"))
                .help(format!("`{name}` works on money and numbers")),
            );
            return None;
        }
        for (i, t) in tys.iter().enumerate().skip(1) {
            if *t != first {
                self.c.err(
                    Diagnostic::error(
                        crate::codes::CALL_ARG_KIND,
                        format!("the arguments of `{name}` mix {first} and {t}"),
                    )
                    .primary(
                        args.get(i).map_or(e.span, |a| a.span),
                        format!("this is {t}"),
                    )
                    .secondary(
                        args.first().map_or(e.span, |a| a.span),
                        format!("this is {first}"),
                    )
                    .help(match (first, t) {
                        (Ty::Money(c), Ty::Number) => {
                            format!("give the number its currency, e.g. `0.05 {c}`")
                        }
                        _ => "all arguments must be of the same kind".to_string(),
                    }),
                );
                return None;
            }
        }
        Some(first)
    }
}

impl Checker<'_> {
    /// Reports a definition whose kind is wrong: a price that is not money,
    /// a fee or share that is not money in the price's currency. Sets
    /// `price_ty` from the price.
    pub(super) fn check_def_kind(
        &mut self,
        i: usize,
        expr: &Expr,
        ty: Ty,
        price_ty: &mut Option<Currency>,
    ) {
        let kind = self.defs[i].kind;
        match kind {
            DefKind::Price => {
                if let Ty::Money(cur) = ty {
                    *price_ty = Some(cur);
                } else {
                    self.err(
                        Diagnostic::error(
                            crate::codes::PRICE_NOT_MONEY,
                            "the price must be an amount of money",
                        )
                        .primary(expr.span, format!("this is {ty}"))
                        .help("write it with a currency code, e.g. `price = 100.00 USD`"),
                    );
                }
            }
            DefKind::Deduction(_) => {
                let d = &self.defs[i];
                let what = d.ded_kind.map_or("deduction", |k| k.keyword());
                let name = d.name.name.clone();
                match (ty, *price_ty) {
                    (Ty::Money(c), Some(p)) if c != p => {
                        self.err(
                            Diagnostic::error(
                                crate::codes::UNIT_DEDUCTION_CURRENCY,
                                format!("the {what} `{name}` is in {c}, but the price is in {p}"),
                            )
                            .primary(expr.span, format!("money in {c}"))
                            .help(format!("deductions come out of the price: convert with a rate, e.g. `x * 0.19 {p}/{c}`")),
                        );
                    }
                    (Ty::Money(_), _) => {}
                    (_, None) => {}
                    (other, _) => {
                        let help = if other == Ty::Number {
                            format!("a {what} is an amount of money: take a percentage of something, e.g. `{} of net` or `{} of remaining`", self.src_of(expr.span), self.src_of(expr.span))
                        } else {
                            format!("a {what} is an amount of money")
                        };
                        self.err(
                            Diagnostic::error(
                                crate::codes::KIND_DEDUCTION_NOT_MONEY,
                                format!("the {what} `{name}` must be an amount of money"),
                            )
                            .primary(expr.span, format!("this is {other}"))
                            .help(help),
                        );
                    }
                }
            }
            DefKind::Running => self.check_running_kind(i, expr, ty),
            _ => {}
        }
    }

    /// Reports a `when` condition that is not a bool.
    pub(super) fn check_when(&mut self, we: &Expr, wty: Ty) {
        if wty != Ty::Bool {
            self.err(
                Diagnostic::error(
                    crate::codes::KIND_WHEN_NOT_BOOL,
                    "a `when` condition must be true or false",
                )
                .primary(we.span, format!("this is {wty}"))
                .help("compare it with something, e.g. `when installments > 1`"),
            );
        }
    }
}
