//! Warnings: things that check and run, but are probably not what the
//! author meant.

use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::program::{CExpr, CKind, Program, SlotKind};
use crate::syntax::ast::{self, BinOp, ExprKind, StmtKind};
use crate::value::Value;
use rust_decimal::Decimal;

/// Every warning for a checked program.
pub fn lint(p: &Program, file: &ast::File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // A statement that did not parse may be what uses a value.
    if !file.has_syntax_errors {
        unused(p, &mut out);
    }
    constant_conditions(p, &mut out);
    over_allocated(file, &mut out);
    out
}

/// Whether `e` reads no slot, pool or table: its value is known before any sale.
pub fn is_constant(e: &CExpr) -> bool {
    crate::stack::guard(|| is_constant_unguarded(e))
}

fn is_constant_unguarded(e: &CExpr) -> bool {
    match &e.kind {
        CKind::Const(_) => true,
        CKind::Slot(_) | CKind::Remaining(_) | CKind::Table(..) => false,
        _ => {
            let mut all = true;
            e.each_child(|c| all = all && is_constant(c));
            all
        }
    }
}

fn mark_slots(e: &CExpr, used: &mut [bool]) {
    crate::stack::guard(|| mark_slots_unguarded(e, used))
}

fn mark_slots_unguarded(e: &CExpr, used: &mut [bool]) {
    if let CKind::Slot(i) = e.kind {
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
    }
    e.each_child(|c| mark_slots(c, used));
}

fn unused(p: &Program, out: &mut Vec<Diagnostic>) {
    let mut used = vec![false; p.slots.len()];
    for deps in &p.deps {
        for &d in deps {
            if let Some(u) = used.get_mut(d) {
                *u = true;
            }
        }
    }
    for r in &p.requirements {
        mark_slots(&r.cond, &mut used);
    }
    for t in &p.tables {
        for row in &t.rows {
            mark_slots(&row.value, &mut used);
        }
    }
    for (i, s) in p.slots.iter().enumerate() {
        if used[i] || i == p.price || matches!(s.kind, SlotKind::Deduction(_)) {
            continue;
        }
        let what = if s.kind == SlotKind::Input {
            "input"
        } else {
            "cell"
        };
        out.push(
            Diagnostic::warning(
                "splitdsl::warn::unused",
                format!("the {what} `{}` is never used", s.name),
            )
            .primary(s.name_span, "nothing refers to this")
            .help("use it in a fee, share or requirement, or remove it"),
        );
    }
}

fn constant_conditions(p: &Program, out: &mut Vec<Diagnostic>) {
    let empty = Outcome::default();
    for d in &p.deductions {
        let (Some(w), Some(span)) = (&d.when, d.when_span) else {
            continue;
        };
        if is_constant(w) && matches!(p.eval(w, &empty), Ok(Value::Bool(false))) {
            let name = &p.slots[d.slot].name;
            out.push(
                Diagnostic::warning(
                    "splitdsl::warn::when_never",
                    format!("the `when` of `{name}` is never true, so `{name}` is always 0"),
                )
                .primary(span, "false whatever the sale")
                .help("compare it with an input, e.g. `when installments > 1`, or remove the deduction"),
            );
        }
    }
    for r in &p.requirements {
        if !is_constant(&r.cond) {
            continue;
        }
        let (holds, label, help) = match p.eval(&r.cond, &empty) {
            Ok(Value::Bool(true)) => (
                "always holds",
                "true whatever the sale",
                "a requirement should depend on the sale, e.g. `require producer >= 30% of net`",
            ),
            Ok(Value::Bool(false)) => (
                "can never hold",
                "false whatever the sale",
                "every run will fail this requirement; check the numbers",
            ),
            _ => continue,
        };
        out.push(
            Diagnostic::warning(
                "splitdsl::warn::require_constant",
                format!("this requirement {holds}: it uses no value of the sale"),
            )
            .primary(r.span, label)
            .help(help),
        );
    }
}

/// `P% of base` (or `base * P`) with a literal percentage: (P, base).
fn share_of(e: &ast::Expr) -> Option<(Decimal, &str)> {
    let ExprKind::Binary(BinOp::Of | BinOp::Mul, _, a, b) = &e.unparen().kind else {
        return None;
    };
    let rate = |x: &ast::Expr| match &x.unparen().kind {
        ExprKind::Percent(p) => p.checked_div(Decimal::ONE_HUNDRED),
        ExprKind::Number(n) => Some(*n),
        _ => None,
    };
    fn name(x: &ast::Expr) -> Option<&str> {
        match &x.unparen().kind {
            ExprKind::Name(n) => Some(n.as_str()),
            _ => None,
        }
    }
    match (rate(a), name(b), name(a), rate(b)) {
        (Some(p), Some(n), _, _) | (_, _, Some(n), Some(p)) => Some((p, n)),
        _ => None,
    }
}

/// Deductions on one base: the base, their total rate, each one's span and rate.
type Group<'a> = (&'a str, Decimal, Vec<(crate::span::Span, Decimal)>);

fn over_allocated(file: &ast::File, out: &mut Vec<Diagnostic>) {
    let mut groups: Vec<Group> = Vec::new();
    for stmt in &file.stmts {
        let StmtKind::Deduction { value, .. } = &stmt.kind else {
            continue;
        };
        let Some((p, base)) = share_of(value) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.0 == base) {
            Some(g) => {
                g.1 = g.1.checked_add(p).unwrap_or(Decimal::MAX);
                g.2.push((value.span, p));
            }
            None => groups.push((base, p, vec![(value.span, p)])),
        }
    }
    for (base, total, parts) in groups {
        if total <= Decimal::ONE || parts.len() < 2 {
            continue;
        }
        let pct = |d: Decimal| {
            format!(
                "{}%",
                d.checked_mul(Decimal::ONE_HUNDRED).unwrap_or(d).normalize()
            )
        };
        let mut d = Diagnostic::warning(
            "splitdsl::warn::over_allocated",
            format!(
                "deductions on `{base}` add up to {}, more than all of it",
                pct(total)
            ),
        );
        for (i, (span, p)) in parts.iter().enumerate() {
            let text = format!("{} of `{base}`", pct(*p));
            d = if i == 0 {
                d.primary(*span, text)
            } else {
                d.secondary(*span, text)
            };
        }
        out.push(d.help("the pool will run out before the last of these: lower the percentages, or take some of `remaining`"));
    }
}
