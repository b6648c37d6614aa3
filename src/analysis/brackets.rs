//! `brackets NAME { RANGE => RATE … }`: marginal rates (LANGUAGE.md §9).
//!
//! The bands are checked and compiled once, before any definition (their
//! bounds and rates are literals: they depend on nothing), and each call
//! `NAME(x)` / `NAME(x, before)` is typed against them.

use super::kinds::Compiler;
use super::names::Checker;
use crate::diag::Diagnostic;
use crate::program::{Band, Brackets, CExpr, CKind};
use crate::span::Span;
use crate::syntax::ast::{self, Expr, ExprKind, UnOp};
use crate::value::{Ty, Value};
use rust_decimal::Decimal;

/// A bound as written: its value, where it is.
struct Bound {
    value: Decimal,
    span: Span,
}

impl Checker<'_> {
    /// Compiles every `brackets` block (`None` for one with an error, reported).
    pub(super) fn compile_brackets(&mut self) {
        let out = (0..self.brackets.len())
            .map(|b| self.compile_one(b))
            .collect();
        self.cbrackets = out;
    }

    fn compile_one(&mut self, b: usize) -> Option<Brackets> {
        let (name, rows, span) = {
            let d = &self.brackets[b];
            (d.name, d.rows, d.stmt.span)
        };
        if rows.is_empty() {
            self.err(
                Diagnostic::error(
                    crate::codes::BRACKETS_EMPTY,
                    format!("the brackets `{}` have no bands", name.name),
                )
                .primary(span, "no bands")
                .help("add bands such as `..500.00 USD => 20%` and `500.00 USD.. => 10%`"),
            );
            return None;
        }
        let before = self.diags.len();
        // The first bound's kind, and whether a mix was reported (once a block).
        let mut kind: (Option<(Ty, Span)>, bool) = (None, false);
        // Per row: lower bound, upper bound, rate.
        let mut parsed: Vec<(Option<Bound>, Option<Bound>, Decimal)> = Vec::new();
        for row in rows {
            let ast::TableKey::Range { lo, hi, .. } = &row.key else {
                continue; // the grammar only gives ranges
            };
            let lo = lo.as_ref().and_then(|e| self.bound(name, e, &mut kind));
            let hi = hi.as_ref().and_then(|e| self.bound(name, e, &mut kind));
            let rate = self.rate(name, &row.value);
            if let Some(rate) = rate {
                parsed.push((lo, hi, rate));
            }
        }
        if self.diags.len() > before {
            return None;
        }
        self.check_bands(name, rows, &parsed)?;
        let bands = parsed
            .into_iter()
            .zip(rows)
            .map(|((lo, hi, rate), row)| Band {
                lo: lo.map_or(Decimal::ZERO, |b| b.value),
                hi: hi.map(|b| b.value),
                rate,
                range_text: match &row.key {
                    ast::TableKey::Range { span, .. } => self.src_of(*span).to_string(),
                    ast::TableKey::Value(e) => self.src_of(e.span).to_string(),
                },
                rate_text: self.src_of(row.value.span).to_string(),
                span: row.span,
            })
            .collect();
        Some(Brackets {
            name: name.name.clone(),
            ty: kind.0.map(|(t, _)| t),
            bands,
            span,
        })
    }

    /// The value of a literal, or why it is not one (reported).
    fn literal(&mut self, name: &ast::Ident, e: &Expr, what: &str) -> Option<Value> {
        let mut literal = true;
        e.walk(&mut |x| {
            if !matches!(
                x.kind,
                ExprKind::Number(_)
                    | ExprKind::Percent(_)
                    | ExprKind::Money(..)
                    | ExprKind::Rate(..)
                    | ExprKind::Bool(_)
                    | ExprKind::Date(_)
                    | ExprKind::Paren(_)
                    | ExprKind::Unary(UnOp::Neg, _)
            ) {
                literal = false;
            }
        });
        let not_constant = |c: &mut Self| {
            c.err(
                Diagnostic::error(
                    crate::codes::BRACKETS_NOT_CONSTANT,
                    format!("the {what} of a band of `{}` must be written out", name.name),
                )
                .primary(e.span, "not a literal")
                .help("bounds and rates of brackets are literals, e.g. `500.00 USD..10000.00 USD => 10%`"),
            );
        };
        if !literal {
            not_constant(self);
            return None;
        }
        let mut comp = Compiler {
            c: self,
            tys: &[],
            table_tys: &[],
            deduction: None,
        };
        match comp.expr(e) {
            Some((
                CExpr {
                    kind: CKind::Const(v),
                    ..
                },
                _,
            )) => Some(v),
            Some(_) => {
                not_constant(self);
                None
            }
            None => None,
        }
    }

    /// A bound: money or a number, of the kind of the first bound.
    fn bound(
        &mut self,
        name: &ast::Ident,
        e: &Expr,
        kind: &mut (Option<(Ty, Span)>, bool),
    ) -> Option<Bound> {
        let v = self.literal(name, e, "bound")?;
        let (value, ty) = match v {
            Value::Money(d, c) => (d, Ty::Money(c)),
            Value::Number(d) => (d, Ty::Number),
            other => {
                self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_BOUND_KIND,
                        format!(
                            "the bounds of `{}` are money or numbers, but this is {}",
                            name.name,
                            other.ty()
                        ),
                    )
                    .primary(e.span, format!("this is {}", other.ty()))
                    .help("write an amount such as `500.00 USD`, or a number"),
                );
                return None;
            }
        };
        match kind.0 {
            None => kind.0 = Some((ty, e.span)),
            Some((first, fspan)) if first != ty => {
                if std::mem::replace(&mut kind.1, true) {
                    return None;
                }
                self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_BOUND_KIND,
                        format!("the bounds of `{}` mix kinds: {first} and {ty}", name.name),
                    )
                    .primary(e.span, format!("this bound is {ty}"))
                    .secondary(fspan, format!("the first bound is {first}"))
                    .help("every bound of one brackets is money of one currency, or every one a number"),
                );
                return None;
            }
            _ => {}
        }
        Some(Bound {
            value,
            span: e.span,
        })
    }

    /// A rate: a percentage or a plain number.
    fn rate(&mut self, name: &ast::Ident, e: &Expr) -> Option<Decimal> {
        match self.literal(name, e, "rate")? {
            Value::Number(d) => Some(d),
            other => {
                self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_RATE_KIND,
                        format!(
                            "the rate of a band of `{}` must be a percentage or a number, but this is {}",
                            name.name,
                            other.ty()
                        ),
                    )
                    .primary(e.span, format!("this is {}", other.ty()))
                    .help("write the band's rate, e.g. `=> 10%` or `=> 0.1`"),
                );
                None
            }
        }
    }

    /// The bands are contiguous from zero, lowest first.
    fn check_bands(
        &mut self,
        name: &ast::Ident,
        rows: &[ast::TableRow],
        parsed: &[(Option<Bound>, Option<Bound>, Decimal)],
    ) -> Option<()> {
        let before = self.diags.len();
        let n = &name.name;
        for (i, ((lo, hi, _), row)) in parsed.iter().zip(rows).enumerate() {
            // `..HIGH` (only right in the first band) starts at zero.
            let start = lo.as_ref().map_or(Decimal::ZERO, |l| l.value);
            if let Some(hi) = hi {
                if (lo.is_some() || i == 0) && start >= hi.value {
                    self.err(
                        Diagnostic::error(
                            crate::codes::BRACKETS_EMPTY_BAND,
                            format!("a band of `{n}` starts at or above its end"),
                        )
                        .primary(row.span, "this band holds no amount")
                        .help("write the lower bound first: `LOW..HIGH`"),
                    );
                    continue;
                }
            }
            let Some(prev) = i
                .checked_sub(1)
                .and_then(|p| Some((parsed.get(p)?, rows.get(p)?)))
            else {
                if let Some(lo) = lo {
                    if !lo.value.is_zero() {
                        self.err(
                            Diagnostic::error(
                                crate::codes::BRACKETS_START,
                                format!("the first band of `{n}` does not start at zero"),
                            )
                            .primary(lo.span, "starts here")
                            .secondary(row.span, "the first band")
                            .help(format!(
                                "start the first band at zero, `..{}`, so that every amount has a rate",
                                hi.as_ref().map_or(String::new(), |h| self.src_of(h.span).to_string())
                            )),
                        );
                    }
                }
                continue;
            };
            let ((_, prev_hi, _), prev_row) = prev;
            match (prev_hi, lo) {
                (None, _) => self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_OVERLAP,
                        format!("two bands of `{n}` overlap"),
                    )
                    .primary(row.span, "this band")
                    .secondary(prev_row.span, "is inside this one, open above")
                    .help("write the bands lowest first; only the last band may be open above (`LOW..`)"),
                ),
                (Some(ph), None) => self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_OVERLAP,
                        format!("two bands of `{n}` overlap"),
                    )
                    .primary(row.span, "this band starts at zero")
                    .secondary(prev_row.span, "so it overlaps this one")
                    .help(format!(
                        "start this band where the one before ends: `{}..`",
                        self.src_of(ph.span)
                    )),
                ),
                (Some(ph), Some(lo)) if lo.value < ph.value => self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_OVERLAP,
                        format!("two bands of `{n}` overlap"),
                    )
                    .primary(row.span, "this band starts below the end of the one before")
                    .secondary(prev_row.span, "the band before")
                    .help(format!(
                        "write the bands lowest first, each starting where the one before ends: `{}..`",
                        self.src_of(ph.span)
                    )),
                ),
                (Some(ph), Some(lo)) if lo.value > ph.value => self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_GAP,
                        format!(
                            "the bands of `{n}` leave a gap from {} to {}",
                            self.src_of(ph.span),
                            self.src_of(lo.span)
                        ),
                    )
                    .primary(row.span, "this band starts above the end of the one before")
                    .secondary(prev_row.span, "the band before")
                    .help(format!(
                        "start this band where the one before ends: `{}..`",
                        self.src_of(ph.span)
                    )),
                ),
                _ => {}
            }
        }
        (self.diags.len() == before).then_some(())
    }
}

impl Compiler<'_, '_> {
    /// `NAME(x)` or `NAME(x, before)`: an amount of the bounds' kind (and a
    /// `before` of the same kind); the result is of `x`'s kind.
    pub(super) fn brackets_call(
        &mut self,
        e: &Expr,
        f: &ast::Ident,
        args: &[Expr],
        compiled: Vec<Option<(CExpr, crate::value::Ty)>>,
        b: usize,
    ) -> Option<(CExpr, Ty)> {
        let def_span = self.c.brackets.get(b)?.name.span;
        if args.is_empty() || args.len() > 2 {
            return self.err(
                Diagnostic::error(
                    crate::codes::CALL_ARITY,
                    format!(
                        "the brackets `{}` take an amount and an optional `before`, but got {} arguments",
                        f.name,
                        args.len()
                    ),
                )
                .primary(e.span, format!("{} arguments", args.len()))
                .secondary(def_span, "the brackets")
                .help(format!("write `{0}(amount)` or `{0}(amount, before)`", f.name)),
            );
        }
        let want = self.c.cbrackets.get(b)?.as_ref()?.ty;
        let mut it = compiled.into_iter();
        let (cx, tx) = it.next().flatten()?;
        let before = match it.next() {
            Some(c) => Some(c?),
            None => None,
        };
        let x_span = args.first().map_or(e.span, |a| a.span);
        let fits = match want {
            Some(t) => tx == t,
            None => matches!(tx, Ty::Money(_) | Ty::Number),
        };
        if !fits {
            let bounds = want.map_or("money or a number".to_string(), |t| t.to_string());
            return self.err(
                Diagnostic::error(
                    crate::codes::BRACKETS_ARG_KIND,
                    format!(
                        "the bounds of `{}` are {bounds}, but this amount is {tx}",
                        f.name
                    ),
                )
                .primary(x_span, format!("this is {tx}"))
                .secondary(def_span, format!("its bounds are {bounds}"))
                .help(format!("apply `{}` to {bounds}", f.name)),
            );
        }
        let cbefore = match before {
            Some((cb, tb)) => {
                if tb != tx {
                    let b_span = args.get(1).map_or(e.span, |a| a.span);
                    return self.err(
                        Diagnostic::error(
                            crate::codes::BRACKETS_ARG_KIND,
                            format!("the amount is {tx}, but `before` is {tb}"),
                        )
                        .primary(b_span, format!("this is {tb}"))
                        .secondary(x_span, format!("this is {tx}"))
                        .help("`before` is what was billed earlier, of the amount's kind"),
                    );
                }
                Some(Box::new(cb))
            }
            None => None,
        };
        Some((
            CExpr::new(CKind::Brackets(b, Box::new(cx), cbefore), e.span),
            tx,
        ))
    }
}
