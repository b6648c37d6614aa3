//! Warnings found without evaluating anything: on the syntax tree, or on
//! the compiled program's structure (and one error of the same kind of
//! analysis, a `given` written twice). The warnings that need the value of
//! a constant expression are computed above the evaluator, in
//! `crate::value_lints`, which also runs these in their order. The
//! driver adds `unallocated` after the checker's errors.

use crate::diag::Diagnostic;
use crate::program::{CExpr, CKind, Program, SlotKind};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, ItemKind, StmtKind};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Problems found on the syntax tree alone, whether or not the file compiles.
pub fn lint_file(file: &ast::File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    examples(file, &mut out);
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

pub(crate) fn unused(p: &Program, out: &mut Vec<Diagnostic>) {
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
                crate::codes::WARN_UNUSED,
                format!("the {what} `{}` is never used", s.name),
            )
            .primary(s.name_span, "nothing refers to this")
            .help("use it in a fee, share or requirement, or remove it"),
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

pub(crate) fn over_allocated(file: &ast::File, out: &mut Vec<Diagnostic>) {
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
            crate::codes::WARN_OVER_ALLOCATED,
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

/// Whether a deduction's amount is the whole pool: `remaining` (or
/// `100% of remaining`). After it, the pool is empty.
pub fn takes_whole_pool(e: &ast::Expr) -> bool {
    let is_one = |x: &ast::Expr| match &x.unparen().kind {
        ExprKind::Percent(p) => *p == Decimal::ONE_HUNDRED,
        ExprKind::Number(n) => *n == Decimal::ONE,
        _ => false,
    };
    let is_remaining = |x: &ast::Expr| matches!(x.unparen().kind, ExprKind::Remaining);
    match &e.unparen().kind {
        ExprKind::Remaining => true,
        ExprKind::Binary(BinOp::Mul | BinOp::Of, _, a, b) => {
            (is_one(a) && is_remaining(b)) || (is_remaining(a) && is_one(b))
        }
        _ => false,
    }
}

/// A fee or share as written: its index among deductions, statement, keyword,
/// name, amount and condition.
pub(crate) type AstDeduction<'a> = (
    usize,
    &'a ast::Stmt,
    ast::DeductionKind,
    &'a ast::Ident,
    &'a ast::Expr,
    Option<&'a ast::Expr>,
);

pub(crate) fn ast_deductions(file: &ast::File) -> impl Iterator<Item = AstDeduction<'_>> {
    file.stmts
        .iter()
        .flat_map(|s| match &s.kind {
            StmtKind::Deduction {
                kind,
                name,
                value,
                when,
                ..
            } => vec![(s, *kind, name, value, when.as_ref())],
            // Each member of a group share is a share (the group's amount
            // and `when` are the first member's).
            StmtKind::Group {
                members,
                value,
                when,
                ..
            } => members
                .iter()
                .enumerate()
                .map(|(n, m)| {
                    let w = if n == 0 { when.as_ref() } else { None };
                    (s, ast::DeductionKind::Share, &m.name, value, w)
                })
                .collect(),
            _ => Vec::new(),
        })
        .enumerate()
        .map(|(k, (s, kind, name, value, when))| (k, s, kind, name, value, when))
}

/// The first deduction that takes the whole pool whatever the sale (no
/// `when`): its index and statement.
pub(crate) fn whole_pool_taker(file: &ast::File) -> Option<AstDeduction<'_>> {
    ast_deductions(file).find(|d| d.5.is_none() && takes_whole_pool(d.4))
}

/// Every deduction after one that took the whole pool is 0 (or fails the sale).
pub(crate) fn always_zero(
    file: &ast::File,
    taker: Option<AstDeduction<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let Some((first, tstmt, _, tname, _, _)) = taker else {
        return;
    };
    let t = &tname.name;
    // The other members of a group that takes the whole pool share it.
    let later = ast_deductions(file).filter(|d| d.0 > first && d.1.span != tstmt.span);
    for (_, stmt, kind, name, _, _) in later {
        let (kw, n) = (kind.keyword(), &name.name);
        out.push(
            Diagnostic::warning(
                crate::codes::WARN_ALWAYS_ZERO,
                format!("the {kw} `{n}` is always 0: `{t}` takes the whole remaining pool before it"),
            )
            .primary(stmt.span, format!("always 0: `{t}` takes the whole remaining pool before it"))
            .secondary(tstmt.span, "takes all that is left")
            .help(format!(
                "nothing is left for `{n}`, and an amount above 0 fails the sale; to pay it from the pool, move it above `{t}` (this changes what `{t}` gets), or remove it"
            )),
        );
    }
}

/// Two examples with one name; one input given twice in an example.
fn examples(file: &ast::File, out: &mut Vec<Diagnostic>) {
    let mut names: HashMap<&str, Span> = HashMap::new();
    for stmt in &file.stmts {
        let StmtKind::Example { name, items } = &stmt.kind else {
            continue;
        };
        match names.get(name.value.as_str()) {
            Some(first) => out.push(
                Diagnostic::warning(
                    crate::codes::WARN_DUPLICATE_EXAMPLE,
                    format!("two examples are named \"{}\"", name.value),
                )
                .primary(name.span, "a second example with this name")
                .secondary(*first, "the first")
                .help("`splitdsl test` reports each example by its name: rename one (a name changes no money)"),
            ),
            None => {
                names.insert(&name.value, name.span);
            }
        }
        let mut given: HashMap<&str, Span> = HashMap::new();
        for item in items.iter().filter(|i| i.kind == ItemKind::Given) {
            let n = &item.name.name;
            match given.get(n.as_str()) {
                Some(first) => out.push(
                    Diagnostic::error(
                        crate::codes::EXAMPLE_DUPLICATE_GIVEN,
                        format!("the example \"{}\" gives `{n}` twice", name.value),
                    )
                    .primary(item.span, format!("a second value for `{n}`"))
                    .secondary(*first, "the first")
                    .help("an example sets each input once (only one of these values could be used): keep one line, or put the other value in an example of its own"),
                ),
                None => {
                    given.insert(n, item.span);
                }
            }
        }
    }
}

/// The last deduction may leave money in the pool (`warn::unallocated`).
pub(crate) fn unallocated(file: &ast::File) -> Option<Diagnostic> {
    // After a share of the whole pool nothing can be left; what follows
    // it is always 0 (`warn::always_zero`, in lint.rs).
    let takes_all = |s: &ast::Stmt| {
        matches!(&s.kind, StmtKind::Deduction { value, when: None, .. }
            | StmtKind::Group { value, when: None, .. }
            if takes_whole_pool(value))
    };
    if file.stmts.iter().any(takes_all) {
        return None;
    }
    let last = file.stmts.iter().rev().find_map(|s| match &s.kind {
        StmtKind::Deduction {
            name, value, when, ..
        } => Some((s, name, value, when)),
        StmtKind::Group {
            members,
            value,
            when,
            ..
        } => members.last().map(|m| (s, &m.name, value, when)),
        _ => None,
    });
    match last {
        Some((_, _, value, None)) if matches!(value.unparen().kind, ExprKind::Remaining) => None,
        Some((stmt, name, _, when)) => {
            let why = if when.is_some() {
                "it has a `when` condition"
            } else {
                "it does not take `remaining`"
            };
            Some(
                Diagnostic::warning(
                    crate::codes::WARN_UNALLOCATED,
                    "this agreement can leave money unallocated",
                )
                .primary(
                    stmt.span,
                    format!(
                        "the last deduction, `{}`, may leave money in the pool: {why}",
                        name.name
                    ),
                )
                .help("end with a share that takes the rest, e.g. `share producer = remaining`"),
            )
        }
        None => None,
    }
}
