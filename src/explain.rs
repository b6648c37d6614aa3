//! `explain`: how a value was derived, as a tree down to inputs and
//! literals. Each named node shows its value, its formula as written and its
//! line; a deduction shows its rounding step and the pool before and after.
//!
//! Named values come from the [`Outcome`] (the authoritative figures);
//! the values of sub-expressions are recomputed from the syntax tree with the
//! core's own operations ([`crate::eval::binary`], [`Program::eval`]).

use crate::agreement::Agreement;
use crate::check::compile_constant;
use crate::eval::{binary, Inputs, Outcome};
use crate::program::{Builtin, CExpr, Program, SlotId, SlotKind};
use crate::span::{line_col, Span};
use crate::syntax::ast::{BinOp, Expr, ExprKind, Stmt, StmtKind, UnOp};
use crate::value::{format_amount, Value};
use std::collections::HashSet;

/// One node of a derivation tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's line of text.
    pub text: String,
    /// What it was computed from.
    pub children: Vec<Node>,
}

impl Node {
    fn leaf(text: impl Into<String>) -> Node {
        Node {
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// The tree as indented text, one node a line, with box-drawing guides.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&self.text);
        s.push('\n');
        render_children(&self.children, "", &mut s);
        s
    }
}

fn render_children(children: &[Node], prefix: &str, s: &mut String) {
    let n = children.len();
    for (i, c) in children.iter().enumerate() {
        let last = i + 1 == n;
        s.push_str(prefix);
        s.push_str(if last { "└─ " } else { "├─ " });
        s.push_str(&c.text);
        s.push('\n');
        let deeper = format!("{prefix}{}", if last { "   " } else { "│  " });
        render_children(&c.children, &deeper, s);
    }
}

/// Builds the derivation tree of `slot` in `out` (an evaluation of
/// `agreement` with `inputs`).
pub fn tree(agreement: &Agreement, inputs: &Inputs, out: &Outcome, slot: SlotId) -> Node {
    let mut x = Explainer {
        a: agreement,
        p: &agreement.program,
        inputs,
        out,
        seen: HashSet::new(),
    };
    x.named(slot)
}

/// The derivation of `slot` as text (see [`tree`]).
pub fn explain(agreement: &Agreement, inputs: &Inputs, out: &Outcome, slot: SlotId) -> String {
    tree(agreement, inputs, out, slot).render()
}

struct Explainer<'a> {
    a: &'a Agreement,
    p: &'a Program,
    inputs: &'a Inputs,
    out: &'a Outcome,
    seen: HashSet<SlotId>,
}

/// Collapses runs of whitespace (a formula written over several lines).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl<'a> Explainer<'a> {
    fn src(&self, span: Span) -> String {
        one_line(span.text(&self.a.source.text))
    }

    fn line(&self, span: Span) -> usize {
        line_col(&self.a.source.text, span.start).0
    }

    fn stmt(&self, slot: SlotId) -> Option<&'a Stmt> {
        let span = self.p.slots.get(slot)?.stmt_span;
        let a: &'a Agreement = self.a;
        a.ast.stmts.iter().find(|s| s.span == span)
    }

    /// The formula and `when` of a slot's statement.
    fn formula(&self, slot: SlotId) -> (Option<&'a Expr>, Option<&'a Expr>) {
        match self.stmt(slot).map(|s| &s.kind) {
            Some(StmtKind::Input { value, .. }) | Some(StmtKind::Cell { value, .. }) => {
                (Some(value), None)
            }
            Some(StmtKind::Deduction { value, when, .. }) => (Some(value), when.as_ref()),
            _ => (None, None),
        }
    }

    fn value_text(&self, slot: SlotId) -> String {
        self.out
            .value(slot)
            .map_or_else(|| "(not computed)".into(), |v| v.to_string())
    }

    fn named(&mut self, slot: SlotId) -> Node {
        let Some(s) = self.p.slots.get(slot) else {
            return Node::leaf("(unknown value)");
        };
        let head = format!("{} = {}", s.name, self.value_text(slot));
        if !self.seen.insert(slot) {
            return Node::leaf(format!("{head}  (see above)"));
        }
        let line = self.line(s.stmt_span);
        let (formula, when) = self.formula(slot);
        let formula_text = formula.map(|f| self.src(f.span)).unwrap_or_default();
        match s.kind {
            SlotKind::Input => {
                if let Some(v) = self.inputs.get(slot) {
                    Node::leaf(format!(
                        "{head}  [input, set to {v}; line {line} says {formula_text}]"
                    ))
                } else {
                    let mut n = Node::leaf(format!("{head}  [input, line {line}: {formula_text}]"));
                    if let Some(f) = formula {
                        n.children = self.operands(f, None);
                    }
                    n
                }
            }
            SlotKind::Cell => {
                let mut n = Node::leaf(format!("{head}  [cell, line {line}: {formula_text}]"));
                if let Some(f) = formula {
                    n.children = self.operands(f, None);
                }
                n
            }
            SlotKind::Deduction(k) => {
                let d = &self.p.deductions[k];
                let label = d
                    .label
                    .as_ref()
                    .map(|l| format!(" \"{l}\""))
                    .unwrap_or_default();
                let mut n = Node::leaf(format!(
                    "{head}  [{}{label}, line {line}: {formula_text}{}]",
                    d.kind.keyword(),
                    when.map(|w| format!(" when {}", self.src(w.span)))
                        .unwrap_or_default()
                ));
                let mut active = true;
                if let Some(w) = when {
                    let v = self.eval(w, None);
                    active = matches!(v, Some(Value::Bool(true)));
                    let mut wn = Node::leaf(format!(
                        "when {} is {}",
                        self.src(w.span),
                        v.map_or_else(|| "?".into(), |v| v.to_string())
                    ));
                    wn.children = self.operands(w, None);
                    n.children.push(wn);
                }
                if active {
                    if let Some(f) = formula {
                        let raw = self.p.eval(&s.expr, self.out).ok();
                        let rounded = self.out.value(slot);
                        let step = match (raw, rounded) {
                            (Some(Value::Money(r, c)), Some(Value::Money(v, _))) if r != v => {
                                format!(
                                    ", rounded {}: {} → {} {c}",
                                    self.p.rounding.name(),
                                    r.normalize(),
                                    format_amount(v, c)
                                )
                            }
                            _ => String::new(),
                        };
                        let mut fnode = self.node(f, Some(k));
                        fnode.text.push_str(&step);
                        n.children.push(fnode);
                    }
                } else {
                    n.children
                        .push(Node::leaf("the condition is false, so the amount is 0"));
                }
                let c = self.p.currency;
                let before = self.out.pools.get(k).copied().unwrap_or_default();
                let after = self.out.pools.get(k + 1).copied().unwrap_or_default();
                n.children.push(Node::leaf(format!(
                    "pool: {} {c} before, {} {c} after",
                    format_amount(before, c),
                    format_amount(after, c)
                )));
                n
            }
        }
    }

    /// The pool before deduction `k`: the price less every earlier deduction.
    fn remaining(&mut self, k: usize) -> Node {
        let c = self.p.currency;
        let pool = self.out.pools.get(k).copied().unwrap_or_default();
        let before: Vec<SlotId> = self.p.deductions.iter().take(k).map(|d| d.slot).collect();
        let who = self
            .p
            .deductions
            .get(k)
            .map(|d| self.p.slots[d.slot].name.as_str())
            .unwrap_or("the end");
        let mut formula = vec![self.p.slots[self.p.price].name.clone()];
        formula.extend(before.iter().map(|&s| self.p.slots[s].name.clone()));
        let mut n = Node::leaf(format!(
            "remaining = {} {c}  [the pool before {who}: {}]",
            format_amount(pool, c),
            formula.join(" − ")
        ));
        n.children.push(self.named(self.p.price));
        for s in before {
            n.children.push(self.named(s));
        }
        n
    }

    /// A node for an expression inside a formula (`ded`: the deduction whose
    /// `remaining` it sees).
    fn node(&mut self, e: &Expr, ded: Option<usize>) -> Node {
        let e = e.unparen();
        match &e.kind {
            ExprKind::Name(n) => match self.p.slot(n) {
                Some(s) => self.named(s),
                None => Node::leaf(n.clone()),
            },
            ExprKind::Remaining => match ded {
                Some(k) => self.remaining(k),
                None => Node::leaf("remaining"),
            },
            _ => {
                let v = self
                    .eval(e, ded)
                    .map_or_else(|| "?".into(), |v| v.to_string());
                let text = self.src(e.span);
                if is_literal(e) {
                    return Node::leaf(text);
                }
                let table = match &e.kind {
                    ExprKind::Call(f, _) => self.p.tables.iter().find(|t| t.name == f.name),
                    _ => None,
                };
                let note = table
                    .map(|t| format!("  [table {}, line {}]", t.name, self.line(t.span)))
                    .unwrap_or_default();
                Node {
                    text: format!("{text} = {v}{note}"),
                    children: self.operands(e, ded),
                }
            }
        }
    }

    /// Nodes for the parts of `e` worth showing (literals are in its text).
    fn operands(&mut self, e: &Expr, ded: Option<usize>) -> Vec<Node> {
        let e = e.unparen();
        let parts: Vec<&Expr> = match &e.kind {
            ExprKind::Name(_) | ExprKind::Remaining => vec![e],
            ExprKind::Unary(_, x) => vec![x],
            ExprKind::Binary(_, _, a, b) => vec![a, b],
            ExprKind::If(c, a, b) => {
                let branch = if matches!(self.eval(c, ded), Some(Value::Bool(false))) {
                    b
                } else {
                    a
                };
                vec![c, branch]
            }
            ExprKind::Call(_, args) => args.iter().collect(),
            _ => Vec::new(),
        };
        parts
            .into_iter()
            .filter(|x| !is_literal(x))
            .map(|x| self.node(x, ded))
            .collect()
    }

    /// Recomputes a sub-expression's value from the values of `out`.
    fn eval(&self, e: &Expr, ded: Option<usize>) -> Option<Value> {
        let p = self.p;
        match &e.kind {
            ExprKind::Paren(x) => self.eval(x, ded),
            ExprKind::Name(n) => self.out.value(p.slot(n)?),
            ExprKind::Remaining => Some(Value::Money(*self.out.pools.get(ded?)?, self.p.currency)),
            ExprKind::Unary(UnOp::Not, x) => match self.eval(x, ded)? {
                Value::Bool(b) => Some(Value::Bool(!b)),
                _ => None,
            },
            ExprKind::Unary(UnOp::Neg, x) => {
                let v = self.eval(x, ded)?;
                p.eval(&CExpr::Neg(Box::new(CExpr::Const(v)), e.span), self.out)
                    .ok()
            }
            ExprKind::Binary(op, span, a, b) => {
                let va = self.eval(a, ded)?;
                match (op, va) {
                    (BinOp::And, Value::Bool(false)) => return Some(Value::Bool(false)),
                    (BinOp::Or, Value::Bool(true)) => return Some(Value::Bool(true)),
                    (BinOp::And | BinOp::Or, Value::Bool(_)) => return self.eval(b, ded),
                    _ => {}
                }
                let vb = self.eval(b, ded)?;
                binary(*op, va, vb, *span).ok()
            }
            ExprKind::If(c, a, b) => match self.eval(c, ded)? {
                Value::Bool(true) => self.eval(a, ded),
                Value::Bool(false) => self.eval(b, ded),
                _ => None,
            },
            ExprKind::Call(f, args) => {
                let vals: Option<Vec<CExpr>> = args
                    .iter()
                    .map(|a| self.eval(a, ded).map(CExpr::Const))
                    .collect();
                let mut vals = vals?;
                let call = match Builtin::from_name(&f.name) {
                    Some(b) => CExpr::Call(b, vals, e.span),
                    None => {
                        let t = p.tables.iter().position(|t| t.name == f.name)?;
                        if vals.len() != 1 {
                            return None;
                        }
                        CExpr::Table(t, Box::new(vals.remove(0)), e.span)
                    }
                };
                p.eval(&call, self.out).ok()
            }
            _ => {
                let (c, _) = compile_constant(e).ok()?;
                p.eval(&c, self.out).ok()
            }
        }
    }
}

fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_)
        | ExprKind::Percent(_)
        | ExprKind::Money(..)
        | ExprKind::Rate(..)
        | ExprKind::Bool(_)
        | ExprKind::Date(_) => true,
        ExprKind::Paren(x) => is_literal(x),
        ExprKind::Unary(UnOp::Neg, x) => is_literal(x),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HOTMART: &str = include_str!("../examples/hotmart.split");

    #[test]
    fn explains_the_rounding_of_the_coproducer() {
        let a = Agreement::compile("hotmart.split", HOTMART).unwrap();
        let inputs = a.inputs();
        let out = a.evaluate(&inputs).unwrap();
        let slot = a.program.slot("coproducer").unwrap();
        let text = explain(&a, &inputs, &out, slot);
        assert!(
            text.starts_with("coproducer = 5.82 USD  [share \"Bruno\", line 10: 10% of remaining]"),
            "{text}"
        );
        assert!(
            text.contains("10% of remaining = 5.824 USD, rounded half_up: 5.824 → 5.82 USD"),
            "{text}"
        );
        assert!(
            text.contains("pool: 58.24 USD before, 52.42 USD after"),
            "{text}"
        );
        assert!(text.contains("price = 100.00 USD  (see above)"), "{text}");
    }
}
