//! Lowering into [`crate::program::CExpr`]: every definition, table,
//! requirement and example compiled in dependency order, each expression
//! with the kind [`super::kinds`] gives it.

use super::kinds::Compiler;
use super::names::{Checker, DefKind, NameRef, Node};
use crate::diag::Diagnostic;
use crate::program::*;
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, ItemKind, UnOp};
use crate::value::{Currency, Ty, Value};
use rust_decimal::Decimal;

/// Compiles an expression that may use no name (a `given`, `--set`, a ledger cell).
pub fn compile_constant(e: &Expr) -> Result<(CExpr, Ty), Diagnostic> {
    let mut c = Checker::new("", Vec::new());
    c.references(e, None, &mut Vec::new());
    if let Some(d) = c.diags.pop() {
        return Err(d);
    }
    let mut comp = Compiler {
        c: &mut c,
        tys: &[],
        table_tys: &[],
        deduction: None,
    };
    let out = comp.expr(e);
    match out {
        Some(x) => Ok(x),
        None => Err(c.diags.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(crate::codes::INTERNAL, "internal error: no diagnostic")
        })),
    }
}

/// What lowering the definitions and tables gives, by index.
pub(super) struct Lowered {
    pub(super) tys: Vec<Option<Ty>>,
    pub(super) table_tys: Vec<Option<(Ty, Ty)>>,
    pub(super) cexprs: Vec<Option<CExpr>>,
    pub(super) whens: Vec<Option<CExpr>>,
    pub(super) ctables: Vec<Option<Table>>,
    pub(super) price_ty: Option<Currency>,
    /// Each group share's weights (`None` for equal parts or an error).
    pub(super) group_weights: Vec<Option<Vec<CExpr>>>,
}

impl<'a> Checker<'a> {
    /// Phase 3: definitions and tables, in dependency order.
    pub(super) fn lower_defs(&mut self, order: &[Node]) -> Lowered {
        let n_defs = self.defs.len();
        let mut l = Lowered {
            tys: vec![None; n_defs],
            table_tys: vec![None; self.tables.len()],
            cexprs: vec![None; n_defs],
            whens: vec![None; n_defs],
            ctables: vec![None; self.tables.len()],
            price_ty: None,
            group_weights: vec![None; self.groups.len()],
        };
        for node in order {
            match *node {
                Node::Def(i) => self.lower_def(i, &mut l),
                Node::Table(t) => {
                    let compiled = self.compile_table(t, &l.tys, &l.table_tys);
                    if let Some(tab) = compiled {
                        l.table_tys[t] = Some((tab.key_ty, tab.value_ty));
                        l.ctables[t] = Some(tab);
                    }
                }
                Node::Pool(_) => {}
            }
        }
        l
    }

    /// One definition: its formula and `when`, and the kind it must have.
    fn lower_def(&mut self, i: usize, l: &mut Lowered) {
        if let Some((first, false)) = self.group_role(i) {
            self.lower_follower(first, i, l);
            return;
        }
        let (kind, expr, when) = {
            let d = &self.defs[i];
            (d.kind, d.expr, d.when)
        };
        let deduction = match kind {
            DefKind::Deduction(k) => Some(k),
            _ => None,
        };
        let mut comp = Compiler {
            c: self,
            tys: &l.tys,
            table_tys: &l.table_tys,
            deduction,
        };
        let compiled = comp.expr(expr);
        let cwhen = when.map(|w| (w, comp.expr(w)));
        if let Some((we, Some((_, wty)))) = &cwhen {
            self.check_when(we, *wty);
        }
        if let Some((_, Some((w, _)))) = cwhen {
            l.whens[i] = Some(w);
        }
        if let Some((ce, ty)) = compiled {
            // A value whose kind is wrong gets no kind, so that
            // what uses it is not reported again.
            let before = self.diags.len();
            self.check_def_kind(i, expr, ty, &mut l.price_ty);
            if self.diags.len() > before {
                return;
            }
            l.tys[i] = Some(ty);
            l.cexprs[i] = Some(ce);
            self.lower_weights(i, deduction, l);
        }
    }

    /// The requirements, each a bool.
    pub(super) fn lower_requirements(
        &mut self,
        requires: &[(&'a Expr, &'a Option<ast::Str>)],
        l: &Lowered,
    ) -> Vec<Requirement> {
        let mut creqs = Vec::new();
        for &(cond, message) in requires {
            let before = self.diags.len();
            self.references(cond, None, &mut Vec::new());
            if self.diags.len() > before {
                continue;
            }
            let mut comp = Compiler {
                c: self,
                tys: &l.tys,
                table_tys: &l.table_tys,
                deduction: None,
            };
            let Some((ce, ty)) = comp.expr(cond) else {
                continue;
            };
            if ty != Ty::Bool {
                self.err(
                    Diagnostic::error(
                        crate::codes::KIND_REQUIRE_NOT_BOOL,
                        "a `require` condition must be true or false",
                    )
                    .primary(cond.span, format!("this is {ty}"))
                    .help("compare two values, e.g. `require producer >= 30% of net`"),
                );
                continue;
            }
            creqs.push(Requirement {
                cond: ce,
                message: message
                    .as_ref()
                    // Without a message, the condition in its canonical layout
                    // (so that `splitdsl fmt` never changes what a report says).
                    .map_or_else(
                        || crate::syntax::print::expr_text(cond, self.src),
                        |m| m.value.clone(),
                    ),
                span: cond.span,
            });
        }

        creqs
    }

    /// The examples: `given` values are constants for inputs, checked values
    /// are of their name's kind.
    pub(super) fn lower_examples(
        &mut self,
        examples: &[(&'a ast::Stmt, &'a ast::Str, &'a [ast::ExampleItem])],
        l: &Lowered,
    ) -> Vec<Example> {
        let mut cexamples = Vec::new();
        for &(stmt, name, items) in examples {
            let mut ex = Example {
                name: name.value.clone(),
                span: stmt.span,
                givens: Vec::new(),
                expects: Vec::new(),
            };
            for item in items {
                let Some(NameRef::Def(i)) = self.names.get(item.name.name.as_str()).copied() else {
                    self.unknown_name(&item.name.name, item.name.span);
                    continue;
                };
                let given = item.kind == ItemKind::Given;
                if given
                    && !matches!(
                        self.defs[i].kind,
                        DefKind::Input | DefKind::Price | DefKind::Running
                    )
                {
                    let what = self.describe_def(i);
                    self.err(
                        Diagnostic::error(
                            crate::codes::EXAMPLE_GIVEN_NOT_INPUT,
                            format!("`given` sets inputs, but `{}` is {what}", item.name.name),
                        )
                        .primary(item.name.span, "not an input")
                        .secondary(self.defs[i].name.span, "defined here")
                        .help(format!(
                            "declare it with `input {} = …` to set it from outside",
                            item.name.name
                        )),
                    );
                    continue;
                }
                let compiled = if given {
                    match compile_constant(&item.value) {
                        Ok(x) => Some(x),
                        Err(d) => {
                            let d = if d.code == crate::codes::NAME_UNKNOWN {
                                Diagnostic::error(
                                    crate::codes::EXAMPLE_GIVEN_NOT_CONSTANT,
                                    "a `given` value must be a constant",
                                )
                                .primary(item.value.span, "uses a name")
                                .help("write the value itself, e.g. `given price = 197.00 USD`")
                            } else {
                                d
                            };
                            self.err(d);
                            None
                        }
                    }
                } else {
                    let before = self.diags.len();
                    self.references(&item.value, None, &mut Vec::new());
                    if self.diags.len() > before {
                        continue;
                    }
                    let mut comp = Compiler {
                        c: self,
                        tys: &l.tys,
                        table_tys: &l.table_tys,
                        deduction: None,
                    };
                    comp.expr(&item.value)
                };
                let (Some((ce, ty)), Some(want)) = (compiled, l.tys[i]) else {
                    continue;
                };
                if ty != want {
                    let mut d = Diagnostic::error(
                        crate::codes::EXAMPLE_KIND_MISMATCH,
                        format!("`{}` is {want}, but this value is {ty}", item.name.name),
                    )
                    .primary(item.value.span, format!("this is {ty}"))
                    .secondary(self.defs[i].name.span, format!("{want}"));
                    if let (Ty::Money(c), Ty::Number) = (want, ty) {
                        d = d.help(format!(
                            "add the currency: `{} {c}`",
                            self.src_of(item.value.span)
                        ));
                    }
                    self.err(d);
                    continue;
                }
                if given {
                    ex.givens.push((i, ce, item.span));
                } else {
                    ex.expects.push((i, ce, item.span));
                }
            }
            cexamples.push(ex);
        }
        cexamples
    }

    fn compile_table(
        &mut self,
        t: usize,
        tys: &[Option<Ty>],
        table_tys: &[Option<(Ty, Ty)>],
    ) -> Option<Table> {
        let def_name = self.tables[t].name;
        let rows = self.tables[t].rows;
        let span = self.tables[t].stmt.span;
        if rows.is_empty() {
            self.err(
                Diagnostic::error(
                    crate::codes::TABLE_EMPTY,
                    format!("the table `{}` has no rows", def_name.name),
                )
                .primary(span, "empty table")
                .help("add rows such as `1 => 0%` or `2..6 => 2.5%`"),
            );
            return None;
        }
        let mut key_ty: Option<(Ty, Span)> = None;
        let mut value_ty: Option<(Ty, Span)> = None;
        let mut crow = Vec::new();
        let mut ok = true;
        for row in rows {
            let mut comp = Compiler {
                c: self,
                tys,
                table_tys,
                deduction: None,
            };
            let mut keys: Vec<(&Expr, Option<(CExpr, Ty)>)> = Vec::new();
            let key_text;
            let key = match &row.key {
                ast::TableKey::Value(e) => {
                    key_text = comp.c.src_of(e.span).to_string();
                    let k = comp.expr(e);
                    keys.push((e, k.clone()));
                    k.map(|(c, _)| CKey::Value(c))
                }
                ast::TableKey::Range { lo, hi, span } => {
                    key_text = comp.c.src_of(*span).to_string();
                    let clo = lo.as_ref().map(|e| {
                        let k = comp.expr(e);
                        keys.push((e, k.clone()));
                        k
                    });
                    let chi = hi.as_ref().map(|e| {
                        let k = comp.expr(e);
                        keys.push((e, k.clone()));
                        k
                    });
                    match (clo, chi) {
                        (Some(None), _) | (_, Some(None)) => None,
                        (a, b) => Some(CKey::Range(
                            a.flatten().map(|x| x.0),
                            b.flatten().map(|x| x.0),
                        )),
                    }
                }
            };
            let value = comp.expr(&row.value);
            self.table_key_kinds(def_name, row, keys, &mut key_ty, &mut ok);
            if let Some((_, ty)) = &value {
                match value_ty {
                    None => value_ty = Some((*ty, row.value.span)),
                    Some((first, fspan)) if first != *ty => {
                        ok = false;
                        self.err(
                            Diagnostic::error(
                                crate::codes::TABLE_VALUE_KIND,
                                format!("the values of table `{}` mix kinds", def_name.name),
                            )
                            .primary(row.value.span, format!("this value is {ty}"))
                            .secondary(fspan, format!("the first value is {first}"))
                            .help("every value of a table is of one kind"),
                        );
                    }
                    _ => {}
                }
            }
            match (key, value) {
                (Some(key), Some((value, _))) => crow.push(CRow {
                    key,
                    value,
                    key_text,
                }),
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let Some((key_ty, _)) = key_ty else {
            // Every key is `..`: nothing says what the table is looked up with.
            if value_ty.is_some() {
                self.err(
                    Diagnostic::error(
                        crate::codes::TABLE_NO_KEY_KIND,
                        format!(
                            "every key of table `{}` is an open range `..`, so no key says what it is looked up with",
                            def_name.name
                        ),
                    )
                    .primary(span, "no key with a bound")
                    .help("give a range a bound, e.g. `0.00 USD.. => 1%`, or use the value itself instead of a table"),
                );
            }
            return None;
        };
        Some(Table {
            name: def_name.name.clone(),
            key_ty,
            value_ty: value_ty?.0,
            rows: crow,
            span,
        })
    }

    /// The kinds of a row's keys: one kind for every key of the table, and
    /// no range of bools. Clears `ok` when one is wrong (and reported).
    fn table_key_kinds(
        &mut self,
        def_name: &ast::Ident,
        row: &ast::TableRow,
        keys: Vec<(&Expr, Option<(CExpr, Ty)>)>,
        key_ty: &mut Option<(Ty, Span)>,
        ok: &mut bool,
    ) {
        for (e, k) in keys {
            if let Some((_, ty)) = k {
                match *key_ty {
                    None => *key_ty = Some((ty, e.span)),
                    Some((first, fspan)) if first != ty => {
                        *ok = false;
                        self.err(
                            Diagnostic::error(
                                crate::codes::TABLE_KEY_KIND,
                                format!("the keys of table `{}` mix kinds", def_name.name),
                            )
                            .primary(e.span, format!("this key is {ty}"))
                            .secondary(fspan, format!("the first key is {first}"))
                            .help("every key of a table is of one kind"),
                        );
                    }
                    _ => {}
                }
                if ty == Ty::Bool && matches!(row.key, ast::TableKey::Range { .. }) && *ok {
                    *ok = false;
                    self.err(
                        Diagnostic::error(
                            crate::codes::TABLE_BOOL_RANGE,
                            "a range of bools has no meaning",
                        )
                        .primary(e.span, "a bool")
                        .help("use `true => …` and `false => …`, or an `if`"),
                    );
                }
            }
        }
    }
}

impl Compiler<'_, '_> {
    pub(super) fn expr(&mut self, e: &Expr) -> Option<(CExpr, Ty)> {
        crate::stack::guard(|| self.expr_unguarded(e))
    }

    fn expr_unguarded(&mut self, e: &Expr) -> Option<(CExpr, Ty)> {
        match &e.kind {
            ExprKind::Number(d) => Some((CExpr::constant(Value::Number(*d), e.span), Ty::Number)),
            ExprKind::Percent(d) => match d.checked_div(Decimal::ONE_HUNDRED) {
                Some(v) => Some((CExpr::constant(Value::Number(v), e.span), Ty::Number)),
                None => self.err(overflow(e.span)),
            },
            ExprKind::Money(d, code) => {
                let c = self.currency(code)?;
                Some((CExpr::constant(Value::Money(*d, c), e.span), Ty::Money(c)))
            }
            ExprKind::Rate(d, to, from) => {
                let a = self.currency(to);
                let b = self.currency(from);
                let (a, b) = (a?, b?);
                Some((
                    CExpr::constant(Value::Rate(*d, a, b), e.span),
                    Ty::Rate(a, b),
                ))
            }
            ExprKind::Bool(b) => Some((CExpr::constant(Value::Bool(*b), e.span), Ty::Bool)),
            ExprKind::Date(d) => Some((CExpr::constant(Value::Date(*d), e.span), Ty::Date)),
            ExprKind::Name(n) => match self.c.names.get(n.as_str()).copied() {
                Some(NameRef::Def(i)) => {
                    let ty = self.tys.get(i).copied().flatten()?;
                    Some((CExpr::new(CKind::Slot(i), e.span), ty))
                }
                Some(NameRef::Brackets(b)) => self.err(
                    Diagnostic::error(
                        crate::codes::BRACKETS_NOT_CALLED,
                        format!("`{n}` are brackets: apply them to an amount with `{n}(amount)`"),
                    )
                    .primary(e.span, "brackets, not a value")
                    .secondary(
                        self.c.brackets.get(b).map_or(e.span, |d| d.name.span),
                        "the brackets",
                    )
                    .help(format!("write `{n}(amount)` or `{n}(amount, before)`")),
                ),
                Some(NameRef::Table(_)) => self.err(
                    Diagnostic::error(
                        crate::codes::TABLE_NOT_CALLED,
                        format!("`{n}` is a table: look a key up with `{n}(key)`"),
                    )
                    .primary(e.span, "a table, not a value")
                    .help(format!("write `{n}(…)` with the key to look up")),
                ),
                None => None,
            },
            ExprKind::Remaining => {
                let k = self.deduction?;
                // The price's currency: every deduction and pool is in it.
                let ty = self.pool_ty()?;
                Some((CExpr::new(CKind::Remaining(k), e.span), ty))
            }
            ExprKind::Paren(x) => self.expr(x),
            ExprKind::Unary(UnOp::Neg, x) => {
                let (cx, ty) = self.expr(x)?;
                match ty {
                    Ty::Money(_) | Ty::Number | Ty::Rate(..) => {
                        if let CKind::Const(v) = &cx.kind {
                            if let Some(neg) = negate_const(v) {
                                return Some((CExpr::constant(neg, e.span), ty));
                            }
                        }
                        Some((CExpr::new(CKind::Neg(Box::new(cx)), e.span), ty))
                    }
                    _ => self.err(
                        Diagnostic::error(
                            crate::codes::UNIT_BAD_NEGATION,
                            format!("cannot negate {ty}"),
                        )
                        .primary(x.span, format!("this is {ty}"))
                        .help(if ty == Ty::Bool {
                            "use `not` for bools"
                        } else {
                            "only money, numbers and rates have a sign"
                        }),
                    ),
                }
            }
            ExprKind::Unary(UnOp::Not, x) => {
                let (cx, ty) = self.expr(x)?;
                if ty != Ty::Bool {
                    return self.err(
                        Diagnostic::error(
                            crate::codes::UNIT_NOT_BOOL,
                            format!("`not` needs a bool, but this is {ty}"),
                        )
                        .primary(x.span, format!("this is {ty}"))
                        .help("`not` applies to conditions, e.g. `not first_sale`"),
                    );
                }
                Some((CExpr::new(CKind::Not(Box::new(cx)), e.span), Ty::Bool))
            }
            ExprKind::Binary(op, op_span, a, b) => {
                let ca = self.expr(a);
                let cb = self.expr(b);
                let ((ca, ta), (cb, tb)) = (ca?, cb?);
                let ty = self.binary_ty(*op, *op_span, a, ta, b, tb)?;
                let node = match op {
                    BinOp::And => CKind::And(Box::new(ca), Box::new(cb)),
                    BinOp::Or => CKind::Or(Box::new(ca), Box::new(cb)),
                    _ => CKind::Binary(*op, Box::new(ca), Box::new(cb), *op_span),
                };
                let node = CExpr::new(node, e.span);
                Some((node, ty))
            }
            ExprKind::If(c, a, b) => self.if_expr(e, c, a, b),
            ExprKind::Call(f, args) => self.call(e, f, args),
        }
    }

    /// `if c then a else b`: a bool condition, branches of one kind.
    fn if_expr(&mut self, e: &Expr, c: &Expr, a: &Expr, b: &Expr) -> Option<(CExpr, Ty)> {
        let cc = self.expr(c);
        let ca = self.expr(a);
        let cb = self.expr(b);
        let ((cc, tc), (ca, ta), (cb, tb)) = (cc?, ca?, cb?);
        if tc != Ty::Bool {
            return self.err(
                Diagnostic::error(
                    crate::codes::KIND_IF_NOT_BOOL,
                    format!("the condition of `if` must be true or false, but this is {tc}"),
                )
                .primary(c.span, format!("this is {tc}"))
                .help("compare it with something, e.g. `if installments > 1 then … else …`"),
            );
        }
        if ta != tb {
            return self.err(
                Diagnostic::error(
                    crate::codes::KIND_IF_BRANCHES,
                    "the two branches of `if` give different kinds of value",
                )
                .primary(a.span, format!("this is {ta}"))
                .secondary(b.span, format!("this is {tb}"))
                .help(
                    "both branches must give the same kind: money in the same currency, numbers, …",
                ),
            );
        }
        Some((
            CExpr::new(CKind::If(Box::new(cc), Box::new(ca), Box::new(cb)), e.span),
            ta,
        ))
    }

    fn call(&mut self, e: &Expr, f: &ast::Ident, args: &[Expr]) -> Option<(CExpr, Ty)> {
        let compiled: Vec<Option<(CExpr, Ty)>> = args.iter().map(|a| self.expr(a)).collect();
        if let Some(NameRef::Brackets(b)) = self.c.names.get(f.name.as_str()).copied() {
            return self.brackets_call(e, f, args, compiled, b);
        }
        if let Some(b) = Builtin::from_name(&f.name) {
            let mut cargs = Vec::with_capacity(args.len());
            let mut tys = Vec::with_capacity(args.len());
            for c in compiled {
                let (c, t) = c?;
                cargs.push(c);
                tys.push(t);
            }
            let ty = self.builtin_ty(b, f, e, args, &tys)?;
            return Some((CExpr::new(CKind::Call(b, cargs), e.span), ty));
        }
        match self.c.names.get(f.name.as_str()).copied() {
            Some(NameRef::Table(t)) => {
                let (key_ty, value_ty) = self.table_tys.get(t).copied().flatten()?;
                if args.len() != 1 {
                    return self.err(
                        Diagnostic::error(
                            crate::codes::CALL_ARITY,
                            format!(
                                "the table `{}` takes one key, but got {}",
                                f.name,
                                args.len()
                            ),
                        )
                        .primary(e.span, format!("{} arguments", args.len()))
                        .help(format!("look up one key: `{}(key)`", f.name)),
                    );
                }
                let (ck, kt) = compiled.into_iter().next().flatten()?;
                if kt != key_ty {
                    return self.err(
                        Diagnostic::error(
                            crate::codes::TABLE_KEY_MISMATCH,
                            format!(
                                "the keys of table `{}` are {key_ty}, but this is {kt}",
                                f.name
                            ),
                        )
                        .primary(
                            args.first().map_or(e.span, |a| a.span),
                            format!("this is {kt}"),
                        )
                        .secondary(self.c.tables[t].name.span, "the table")
                        .help(format!("look it up with {key_ty}")),
                    );
                }
                Some((CExpr::new(CKind::Table(t, Box::new(ck)), e.span), value_ty))
            }
            Some(NameRef::Def(i)) => self.err(
                Diagnostic::error(
                    crate::codes::CALL_NOT_CALLABLE,
                    format!("`{}` is a value, not a function or table", f.name),
                )
                .primary(f.span, "called here")
                .secondary(self.c.defs[i].name.span, "defined here")
                .help(format!(
                    "use it without parentheses, or multiply: `{} * (…)`",
                    f.name
                )),
            ),
            Some(NameRef::Brackets(_)) | None => None,
        }
    }
}

fn overflow(span: Span) -> Diagnostic {
    Diagnostic::error(crate::codes::EVAL_OVERFLOW, "this number is too large")
        .primary(span, "out of range")
        .help("values hold at most 28 significant digits")
}

fn negate_const(v: &Value) -> Option<Value> {
    Some(match *v {
        Value::Money(d, c) => Value::Money(-d, c),
        Value::Number(d) => Value::Number(-d),
        Value::Rate(d, a, b) => Value::Rate(-d, a, b),
        _ => return None,
    })
}
