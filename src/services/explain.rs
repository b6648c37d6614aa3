//! `explain`: how a value was derived, as a tree down to inputs and
//! literals. Each named node shows its value, its formula as written and its
//! line; a deduction shows its `when`, its rounding step and the pool before
//! and after.
//!
//! The tree is built from a trace: the record of what the evaluator did
//! in one evaluation (`Program::evaluate_traced`), the same evaluation
//! `run` makes. Nothing here computes a value: every number and every
//! condition shown is one the evaluator produced, and what the evaluator did
//! not run (a branch not taken, a formula under a false `when`) is not shown
//! as if it had run.
//!
//! The tree has one node per formula node that ran plus one per pool, and a
//! value named twice is expanded once (`(see above)`): its size is linear in
//! the agreement's size.

use crate::agreement::Agreement;
use crate::diag::Diagnostic;
use crate::eval::{Inputs, Outcome, TRef, TWhat, Trace};
use crate::program::{Program, SlotId, SlotKind};
use crate::span::{LineIndex, Span};
use crate::value::{format_amount, Value};

/// What a [`Node`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum About {
    /// A named value (input, cell, fee or share).
    Slot(SlotId),
    /// The `when` of deduction slot `SlotId`; its value is the condition.
    When(SlotId),
    /// The pool before deduction `k` (`remaining`).
    Pool(usize),
    /// A sub-expression.
    Expr,
    /// A remark (no value).
    Note,
}

/// One node of a derivation tree.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Node {
    /// The node's line of text.
    pub text: String,
    /// What it stands for.
    pub about: About,
    /// Its value, as the evaluator computed it.
    pub value: Option<Value>,
    /// What it was computed from.
    pub children: Vec<Node>,
}

impl Node {
    fn new(text: impl Into<String>, about: About, value: Option<Value>) -> Node {
        Node {
            text: text.into(),
            about,
            value,
            children: Vec::new(),
        }
    }

    fn note(text: impl Into<String>) -> Node {
        Node::new(text, About::Note, None)
    }

    /// The tree as indented text, one node a line, with box-drawing guides.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&self.text);
        s.push('\n');
        let mut prefix = String::new();
        render_children(&self.children, &mut prefix, &mut s);
        s
    }

    /// Calls `f` on this node and every node below it, depth first.
    pub fn walk(&self, f: &mut impl FnMut(&Node)) {
        crate::stack::guard(|| {
            f(self);
            for c in &self.children {
                c.walk(f);
            }
        })
    }
}

fn render_children(children: &[Node], prefix: &mut String, s: &mut String) {
    crate::stack::guard(|| {
        let n = children.len();
        for (i, c) in children.iter().enumerate() {
            let last = i + 1 == n;
            s.push_str(prefix);
            s.push_str(if last { "└─ " } else { "├─ " });
            s.push_str(&c.text);
            s.push('\n');
            let len = prefix.len();
            prefix.push_str(if last { "   " } else { "│  " });
            render_children(&c.children, prefix, s);
            prefix.truncate(len);
        }
    })
}

internal! {
    /// Evaluates `agreement` with `inputs`, recording what the evaluator did,
    /// and builds the derivation tree of `slot` (the library's entry is
    /// `Agreement::explain`).
    fn tree(agreement: &Agreement, inputs: &Inputs, slot: SlotId) -> Result<Node, Diagnostic> {
        let (out, trace) = agreement.program.evaluate_traced(inputs)?;
        Ok(tree_of(agreement, inputs, &out, &trace, slot))
    }
}

internal! {
    /// The derivation of `slot` as text (see `tree`; the tests' and benches').
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    fn explain(agreement: &Agreement, inputs: &Inputs, slot: SlotId) -> Result<String, Diagnostic> {
        tree(agreement, inputs, slot).map(|n| n.render())
    }
}

internal! {
/// The derivation tree of `slot` from a traced evaluation (`out` and
/// `trace` from `Program::evaluate_traced` with `inputs`).
fn tree_of(
    agreement: &Agreement,
    inputs: &Inputs,
    out: &Outcome,
    trace: &Trace,
    slot: SlotId,
) -> Node {
    let p = &agreement.program;
    let mut x = Explainer {
        src: &agreement.source.text,
        lines: LineIndex::new(&agreement.source.text),
        p,
        inputs,
        out,
        trace,
        seen: vec![false; p.slots.len()],
        pool_seen: vec![false; p.deductions.len() + 1],
    };
    x.named(slot)
}
}

struct Explainer<'a> {
    src: &'a str,
    lines: LineIndex,
    p: &'a Program,
    inputs: &'a Inputs,
    out: &'a Outcome,
    trace: &'a Trace,
    seen: Vec<bool>,
    pool_seen: Vec<bool>,
}

impl Explainer<'_> {
    fn text(&self, span: Span) -> String {
        span.one_line(self.src)
    }

    fn line(&self, span: Span) -> usize {
        self.lines.line(span.start)
    }

    fn value_text(&self, slot: SlotId) -> String {
        match (self.out.value(slot), self.out.failure(slot)) {
            (Some(v), _) => v.to_string(),
            (None, Some(d)) => format!("(no value: {})", d.message),
            (None, None) => "(not computed)".into(),
        }
    }

    fn named(&mut self, slot: SlotId) -> Node {
        crate::stack::guard(|| self.named_unguarded(slot))
    }

    fn named_unguarded(&mut self, slot: SlotId) -> Node {
        let p = self.p;
        let Some(s) = p.slots.get(slot) else {
            return Node::note("(unknown value)");
        };
        let value = self.out.value(slot);
        let head = format!("{} = {}", s.name, self.value_text(slot));
        if self.seen.get(slot).copied().unwrap_or(true) {
            return Node::new(format!("{head}  (see above)"), About::Slot(slot), value);
        }
        self.seen[slot] = true;
        let line = self.line(s.stmt_span);
        let formula_text = self.text(s.expr.span);
        if let Some(r) = p.running_of(slot) {
            // A running total: zero for one sale unless set; a ledger sums EXPR.
            let per = r
                .per
                .as_ref()
                .map_or(String::new(), |(c, _)| format!(" per {c}"));
            let how = match self.inputs.get(slot) {
                Some(v) => format!("set to {v}"),
                None => "0 for one sale".to_string(),
            };
            return Node::new(
                format!("{head}  [running total, {how}; line {line}: sum of {formula_text}{per} in a ledger]"),
                About::Slot(slot),
                value,
            );
        }
        match s.kind {
            SlotKind::Input => {
                if let Some(v) = self.inputs.get(slot) {
                    Node::new(
                        format!("{head}  [input, set to {v}; line {line} says {formula_text}]"),
                        About::Slot(slot),
                        value,
                    )
                } else {
                    let mut n = Node::new(
                        format!("{head}  [input, line {line}: {formula_text}]"),
                        About::Slot(slot),
                        value,
                    );
                    n.children = self.formula_children(self.trace.formula(slot));
                    n
                }
            }
            SlotKind::Cell => {
                let mut n = Node::new(
                    format!("{head}  [cell, line {line}: {formula_text}]"),
                    About::Slot(slot),
                    value,
                );
                match self.out.failure(slot) {
                    Some(d) => n.children.push(Node::note(format!(
                        "nothing in this sale needs it, so the sale settles without it ({})",
                        d.code
                    ))),
                    None => n.children = self.formula_children(self.trace.formula(slot)),
                }
                n
            }
            SlotKind::Deduction(k) => self.deduction(slot, k, head, line, formula_text, value),
        }
    }

    fn deduction(
        &mut self,
        slot: SlotId,
        k: usize,
        head: String,
        line: usize,
        formula_text: String,
        value: Option<Value>,
    ) -> Node {
        let p = self.p;
        let Some(d) = p.deductions.get(k) else {
            return Node::note("(unknown deduction)");
        };
        if let Some(g) = d.group {
            return self.group_member(slot, k, g, head, line, value);
        }
        let label = d
            .label
            .as_ref()
            .map(|l| format!(" \"{l}\""))
            .unwrap_or_default();
        let when_text = d.when_span.map(|w| self.text(w));
        let mut n = Node::new(
            format!(
                "{head}  [{}{label}, line {line}: {formula_text}{}]",
                d.kind.keyword(),
                when_text
                    .as_ref()
                    .map(|w| format!(" when {w}"))
                    .unwrap_or_default()
            ),
            About::Slot(slot),
            value,
        );
        if let Some(w) = self.trace.when(slot) {
            let v = w.node().value;
            let mut wn = Node::new(
                format!(
                    "when {} is {v}",
                    when_text.unwrap_or_else(|| self.text(w.node().span))
                ),
                About::When(slot),
                Some(v),
            );
            wn.children = self.formula_children(Some(w));
            n.children.push(wn);
        }
        match self.trace.formula(slot) {
            Some(f) => {
                let step = match (self.trace.raw(slot), value) {
                    (Some(Value::Money(r, c)), Some(Value::Money(v, _))) if r != v => format!(
                        ", rounded {}: {} → {} {c}",
                        p.rounding.name(),
                        r.normalize(),
                        format_amount(v, c)
                    ),
                    _ => String::new(),
                };
                let mut fnode = self.node(f);
                fnode.text.push_str(&step);
                n.children.push(fnode);
            }
            None => n
                .children
                .push(Node::note("the condition is false, so the amount is 0")),
        }
        let c = p.currency;
        let before = self.out.pools.get(k).copied().unwrap_or_default();
        let after = self.out.pools.get(k + 1).copied().unwrap_or_default();
        n.children.push(Node::note(format!(
            "pool: {} {c} before, {} {c} after",
            format_amount(before, c),
            format_amount(after, c)
        )));
        n
    }

    /// A member of a group share: the group's condition and amount (the
    /// first member's formula), the member's weight over the sum of the
    /// weights, the quotient rounded toward zero and its remainder, and
    /// whether a minor unit left over went to it.
    fn group_member(
        &mut self,
        slot: SlotId,
        k: usize,
        g: usize,
        head: String,
        line: usize,
        value: Option<Value>,
    ) -> Node {
        let p = self.p;
        let (Some(group), Some(d)) = (p.groups.get(g), p.deductions.get(k)) else {
            return Node::note("(unknown group)");
        };
        let m = group.members.iter().position(|&x| x == k).unwrap_or(0);
        let first = group
            .members
            .first()
            .and_then(|&f| p.deductions.get(f))
            .map_or(slot, |f| f.slot);
        let label = d
            .label
            .as_ref()
            .map(|l| format!(" \"{l}\""))
            .unwrap_or_default();
        let glabel = group
            .label
            .as_ref()
            .map(|l| format!(" \"{l}\""))
            .unwrap_or_default();
        let mut n = Node::new(
            format!(
                "{head}  [share{label}, member {} of {} of the group {}{glabel}, line {line}]",
                m + 1,
                group.members.len(),
                group.name
            ),
            About::Slot(slot),
            value,
        );
        let when_text = p.deductions.get(group.members[0]).and_then(|f| f.when_span);
        if let Some(w) = self.trace.when(first) {
            let v = w.node().value;
            let shown = when_text.map_or_else(|| self.text(w.node().span), |s| self.text(s));
            let mut wn = Node::new(format!("when {shown} is {v}"), About::When(first), Some(v));
            wn.children = self.formula_children(Some(w));
            n.children.push(wn);
        }
        let c = p.currency;
        let Some(gt) = self.trace.group(g) else {
            n.children.push(Node::note(
                "the condition is false, so the group and each member get 0",
            ));
            return n;
        };
        if let Some(f) = self.trace.formula(first) {
            let step = match self.trace.raw(first) {
                Some(Value::Money(r, _)) if r != gt.amount => format!(
                    ", rounded {}: {} → {} {c}",
                    p.rounding.name(),
                    r.normalize(),
                    format_amount(gt.amount, c)
                ),
                _ => String::new(),
            };
            let mut fnode = self.node(f);
            fnode.text = format!("the group's amount: {}{step}", fnode.text);
            n.children.push(fnode);
        }
        let total = gt
            .weights
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |a, w| a.checked_add(*w));
        let total = total.map_or_else(
            || "(too large to show)".to_string(),
            |t| t.normalize().to_string(),
        );
        let w = gt.weights.get(m).copied().unwrap_or_default();
        match self.trace.weight(g, m) {
            Some(wt) => {
                let mut wn = self.node(wt);
                wn.text = format!("weight: {}", wn.text);
                n.children.push(wn);
            }
            None => n.children.push(Node::note("weight: 1 (equal parts)")),
        }
        let weights: Vec<String> = gt
            .weights
            .iter()
            .map(|w| w.normalize().to_string())
            .collect();
        if let Some(part) = gt.parts.get(m) {
            let unit = rust_decimal::Decimal::new(1, c.minor_unit());
            let (num, den) = reduce(part.remainder_num, part.remainder_den);
            let rem = if num == 0 {
                "no remainder".to_string()
            } else {
                format!("remainder {num}/{den} of {} {c}", format_amount(unit, c))
            };
            n.children.push(Node::note(format!(
                "its part: {} / {} (the weights {}) × {} {c} = {} {c} rounded toward zero, {rem}",
                w.normalize(),
                total,
                weights.join(" + "),
                format_amount(gt.amount, c),
                format_amount(part.floor, c),
            )));
            let given = gt
                .parts
                .iter()
                .try_fold(rust_decimal::Decimal::ZERO, |a, p| a.checked_add(p.floor));
            let left = given
                .and_then(|g| gt.amount.checked_sub(g))
                .unwrap_or_default();
            n.children.push(Node::note(if part.extra {
                format!(
                    "+ {} {c}: one of the {} {c} left over, which go to the largest remainders (ties in the order written)",
                    format_amount(unit, c),
                    format_amount(left, c)
                )
            } else if left.is_zero() {
                "nothing was left over to hand out".to_string()
            } else {
                format!(
                    "no leftover unit: the {} {c} left over went to larger remainders (or, on a tie, to members written before)",
                    format_amount(left, c)
                )
            }));
        }
        let before = self.out.pools.get(k).copied().unwrap_or_default();
        let after = self.out.pools.get(k + 1).copied().unwrap_or_default();
        n.children.push(Node::note(format!(
            "pool: {} {c} before, {} {c} after",
            format_amount(before, c),
            format_amount(after, c)
        )));
        n
    }

    /// The pool before deduction `k`: the pool before the deduction ahead
    /// of it less that deduction, back to the price or to a pool already
    /// shown (so that the whole tree stays linear in size).
    fn pool(&mut self, k: usize) -> Node {
        let p = self.p;
        let c = p.currency;
        let amount = self.out.pools.get(k).copied().unwrap_or_default();
        let value = Some(Value::Money(amount, c));
        let who = p
            .deductions
            .get(k)
            .map(|d| p.slots[d.slot].name.as_str())
            .unwrap_or("the end");
        let head = format!("remaining = {} {c}", format_amount(amount, c));
        if self.pool_seen.get(k).copied().unwrap_or(true) {
            return Node::new(
                format!("{head}  (the pool before {who}, see above)"),
                About::Pool(k),
                value,
            );
        }
        self.pool_seen[k] = true;
        // Walk back to the price or to the nearest pool already shown.
        let mut from = k;
        while from > 0 && !self.pool_seen[from - 1] {
            from -= 1;
        }
        let mut terms = Vec::new();
        let mut children = Vec::new();
        if from == 0 {
            terms.push(p.slots[p.price].name.clone());
            children.push(self.named(p.price));
        } else {
            let prev = p
                .deductions
                .get(from - 1)
                .map_or("?", |d| p.slots[d.slot].name.as_str());
            terms.push(format!("the pool before {prev}"));
            children.push(self.pool(from - 1));
            terms.push(prev.to_string());
            if let Some(d) = p.deductions.get(from - 1) {
                children.push(self.named(d.slot));
            }
        }
        for d in p.deductions.iter().take(k).skip(from) {
            terms.push(p.slots[d.slot].name.clone());
            children.push(self.named(d.slot));
        }
        // A long chain is named by its ends; every term is a child below.
        let formula = if terms.len() > 8 {
            format!(
                "{} − … − {} ({} terms)",
                terms[..3].join(" − "),
                terms[terms.len() - 2..].join(" − "),
                terms.len()
            )
        } else {
            terms.join(" − ")
        };
        let mut n = Node::new(
            format!("{head}  [the pool before {who}: {formula}]"),
            About::Pool(k),
            value,
        );
        n.children = children;
        n
    }

    /// A node for a formula node that ran.
    fn node(&mut self, t: TRef<'_>) -> Node {
        crate::stack::guard(|| self.node_unguarded(t))
    }

    fn node_unguarded(&mut self, t: TRef<'_>) -> Node {
        let n = t.node();
        match n.what {
            TWhat::Slot(s) => self.named(s),
            TWhat::Remaining(k) => self.pool(k),
            TWhat::Const => Node::new(self.text(n.span), About::Expr, Some(n.value)),
            TWhat::Table { table, row } => {
                let note = self.p.tables.get(table).map_or(String::new(), |tb| {
                    let key = tb
                        .rows
                        .get(row)
                        .map(|r| format!(", row {}", r.key_text))
                        .unwrap_or_default();
                    format!("  [table {}, line {}{key}]", tb.name, self.line(tb.span))
                });
                let mut node = Node::new(
                    format!("{} = {}{note}", self.text(n.span), n.value),
                    About::Expr,
                    Some(n.value),
                );
                node.children = self.operands(t);
                node
            }
            TWhat::Brackets(b) => {
                let note = self.p.brackets.get(b).map_or(String::new(), |br| {
                    format!("  [brackets {}, line {}]", br.name, self.line(br.span))
                });
                let mut node = Node::new(
                    format!("{} = {}{note}", self.text(n.span), n.value),
                    About::Expr,
                    Some(n.value),
                );
                node.children = self.operands(t);
                node
            }
            TWhat::Band {
                brackets,
                band,
                width,
            } => {
                let text = match self
                    .p
                    .brackets
                    .get(brackets)
                    .and_then(|b| b.bands.get(band))
                {
                    Some(bd) => {
                        let width = match n.value {
                            Value::Money(_, c) => Value::Money(width, c),
                            _ => Value::Number(width),
                        };
                        format!(
                            "{} × {width} = {}  [band {}]",
                            bd.rate_text, n.value, bd.range_text
                        )
                    }
                    None => format!("{}", n.value),
                };
                Node::new(text, About::Expr, Some(n.value))
            }
            _ => {
                let mut node = Node::new(
                    format!("{} = {}", self.text(n.span), n.value),
                    About::Expr,
                    Some(n.value),
                );
                node.children = self.operands(t);
                node
            }
        }
    }

    /// The children of a named value: its formula's operands (or the one
    /// name or `remaining` the formula is).
    fn formula_children(&mut self, root: Option<TRef<'_>>) -> Vec<Node> {
        let Some(root) = root else {
            return Vec::new();
        };
        match root.node().what {
            TWhat::Slot(_) | TWhat::Remaining(_) | TWhat::Table { .. } | TWhat::Brackets(_) => {
                vec![self.node(root)]
            }
            _ => self.operands(root),
        }
    }

    /// Nodes for the operands that ran (literals are in the parent's text).
    /// A chain of one left-associative operator (`a + b + c + …`) shows
    /// its terms side by side, not one level deeper each: the tree stays
    /// shallow and its size linear in the chain's length.
    fn operands(&mut self, t: TRef<'_>) -> Vec<Node> {
        let mut terms = Vec::new();
        let mut right = Vec::new();
        let mut at = t;
        loop {
            let children = at.children();
            match (at.node().what, children.as_slice()) {
                (TWhat::Binary(op), [l, r])
                    if !op.is_comparison() && l.node().what == TWhat::Binary(op) =>
                {
                    right.push(*r);
                    at = *l;
                }
                _ => {
                    terms.extend(children);
                    break;
                }
            }
        }
        terms.extend(right.into_iter().rev());
        terms
            .into_iter()
            .filter(|c| c.node().what != TWhat::Const)
            .map(|c| self.node(c))
            .collect()
    }
}

/// `n / d` in lowest terms.
fn reduce(n: u128, d: u128) -> (u128, u128) {
    let (mut a, mut b) = (n, d);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    match (n.checked_div(a), d.checked_div(a)) {
        (Some(n), Some(d)) => (n, d),
        _ => (n, d),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HOTMART: &str = include_str!("../../examples/hotmart.split");

    #[test]
    fn explains_the_rounding_of_the_coproducer() {
        let a = Agreement::compile("hotmart.split", HOTMART).unwrap();
        let inputs = a.raw_inputs();
        let slot = a.program.slot("coproducer").unwrap();
        let text = explain(&a, &inputs, slot).unwrap();
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
    }
}
