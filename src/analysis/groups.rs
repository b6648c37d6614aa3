//! Group shares (`share (a, b "B": 2) ["LABEL"] = EXPR [when COND]`): the
//! members declared as shares of their own, the graph edges of a group, and
//! its weights lowered and checked (docs/language.md, "Group shares").
//!
//! The first member carries the group: its formula is the group's amount
//! (with the group's `when` and the weights' references), evaluated once at
//! the group's place; every other member reads the first (its formula is
//! the first member's slot), so it comes after it in every order, and the
//! evaluator hands it its part of the division.

use super::kinds::Compiler;
use super::lower::Lowered;
use super::names::{Checker, DefKind, GroupDef, Node};
use crate::diag::Diagnostic;
use crate::program::{CExpr, CKind, Group};
use crate::span::Span;
use crate::syntax::ast::{self, DeductionKind, Expr, GroupMember};
use crate::value::{Ty, Value};

impl<'a> Checker<'a> {
    /// Declares a group's members, each a share (deductions `k`, `k + 1`, …).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn declare_group(
        &mut self,
        stmt: &'a ast::Stmt,
        members: &'a [GroupMember],
        label: Option<&'a ast::Str>,
        value: &'a Expr,
        when: Option<&'a Expr>,
        n_deductions: &mut usize,
    ) {
        let weighted = members.iter().filter(|m| m.weight.is_some()).count();
        let partial = weighted > 0 && weighted < members.len();
        if partial {
            let mut d = Diagnostic::error(
                crate::codes::GROUP_PARTIAL_WEIGHTS,
                format!(
                    "{weighted} of the {} members of this group have a weight, the others none",
                    members.len()
                ),
            );
            let mut first = true;
            for m in members {
                let (span, label) = match &m.weight {
                    None => (m.name.span, "no weight"),
                    Some(w) => (w.span, "a weight"),
                };
                if first && m.weight.is_none() {
                    d = d.primary(span, label);
                    first = false;
                } else {
                    d = d.secondary(span, label);
                }
            }
            self.err(d.help(
                "write a weight for every member (`name: 1`), or none for equal parts",
            ));
        }
        let g = self.groups.len();
        let mut defs = Vec::with_capacity(members.len());
        for m in members {
            if m.name.name == "price" {
                self.err(
                    Diagnostic::error(
                        crate::codes::NAME_RESERVED,
                        "`price` is the sale's gross amount and cannot name a deduction",
                    )
                    .primary(m.name.span, "reserved name")
                    .help("choose another name"),
                );
                continue;
            }
            let k = *n_deductions;
            *n_deductions += 1;
            // The first member carries the group's condition.
            let w = if defs.is_empty() { when } else { None };
            let defined = self.define(
                &m.name,
                DefKind::Deduction(k),
                value,
                w,
                stmt,
                Some(DeductionKind::Share),
                m.label.as_ref(),
            );
            if let Some(i) = defined {
                self.defs[i].group = Some(g);
                defs.push(i);
            }
        }
        let weights = if weighted == members.len() {
            members.iter().filter_map(|m| m.weight.as_ref()).collect()
        } else {
            Vec::new()
        };
        self.groups.push(GroupDef {
            stmt,
            members: defs,
            weights,
            label,
        });
    }

    /// For a member of a group: the group's first member, and whether `i`
    /// is that member.
    pub(super) fn group_role(&self, i: usize) -> Option<(usize, bool)> {
        let g = self.defs.get(i)?.group?;
        let first = *self.groups.get(g)?.members.first()?;
        Some((first, first == i))
    }

    /// The graph edges of a group member other than the first: it reads the
    /// first (its part is handed out when the first is evaluated).
    pub(super) fn follower_edges(&self, first: usize, i: usize) -> Vec<(Node, Span)> {
        vec![(Node::Def(first), self.defs[i].name.span)]
    }

    /// The references of the weights of the group whose first member is
    /// `i` (deduction `k`: `remaining` there is the pool before the group).
    pub(super) fn weight_references(&mut self, i: usize, k: Option<usize>, out: &mut Vec<(Node, Span)>) {
        let Some(g) = self.defs[i].group else { return };
        let weights = self.groups[g].weights.clone();
        for w in weights {
            self.references(w, k, out);
        }
    }

    /// A member other than the first: the first member's kind, and its
    /// formula reads the first member.
    pub(super) fn lower_follower(&mut self, first: usize, i: usize, l: &mut Lowered) {
        l.tys[i] = l.tys[first];
        if l.tys[first].is_some() {
            let span = self.defs[i].name.span;
            l.cexprs[i] = Some(CExpr::new(CKind::Slot(first), span));
        }
    }

    /// The weights of the group whose first member is `i` (deduction
    /// `k`): numbers; a constant one not below zero, not all zero.
    pub(super) fn lower_weights(&mut self, i: usize, k: Option<usize>, l: &mut Lowered) {
        let Some(g) = self.defs[i].group else { return };
        let weights = self.groups[g].weights.clone();
        if weights.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(weights.len());
        let mut ok = true;
        for w in &weights {
            let mut comp = Compiler {
                c: self,
                tys: &l.tys,
                table_tys: &l.table_tys,
                deduction: k,
            };
            match comp.expr(w) {
                Some((ce, Ty::Number)) => out.push(ce),
                Some((_, ty)) => {
                    ok = false;
                    self.err(
                        Diagnostic::error(
                            crate::codes::GROUP_WEIGHT_NOT_NUMBER,
                            "a member's weight must be a number",
                        )
                        .primary(w.span, format!("this is {ty}"))
                        .help("weigh members with numbers, e.g. `bruno: 2, dora: 1`"),
                    );
                }
                None => ok = false,
            }
        }
        if !ok {
            return;
        }
        let constants: Vec<Option<rust_decimal::Decimal>> = out
            .iter()
            .map(|c| match c.kind {
                CKind::Const(Value::Number(d)) => Some(d),
                _ => None,
            })
            .collect();
        for (c, w) in constants.iter().zip(&weights) {
            if let Some(d) = c {
                if d.is_sign_negative() && !d.is_zero() {
                    ok = false;
                    self.err(
                        Diagnostic::error(
                            crate::codes::GROUP_NEGATIVE_WEIGHT,
                            format!("a member's weight is {d}, below zero"),
                        )
                        .primary(w.span, "a negative weight")
                        .help("weights are zero or more: a member's part is its weight / the sum of the weights"),
                    );
                }
            }
        }
        if ok && constants.iter().all(|c| c.is_some_and(|d| d.is_zero())) {
            ok = false;
            let mut d = Diagnostic::error(
                crate::codes::GROUP_ZERO_WEIGHTS,
                "every weight of this group is zero",
            );
            for (n, w) in weights.iter().enumerate() {
                d = if n == 0 {
                    d.primary(w.span, "zero")
                } else {
                    d.secondary(w.span, "zero")
                };
            }
            self.err(d.help("give at least one member a weight above zero"));
        }
        if ok {
            if let Some(slot) = l.group_weights.get_mut(g) {
                *slot = Some(out);
            }
        }
    }

    /// The compiled groups, once every member is a slot (`None` when one
    /// is missing). `ded_of` gives a definition's deduction index.
    pub(super) fn assemble_groups(&self, l: &mut Lowered) -> Option<Vec<Group>> {
        let mut out = Vec::with_capacity(self.groups.len());
        for (g, def) in self.groups.iter().enumerate() {
            let mut members = Vec::with_capacity(def.members.len());
            for &i in &def.members {
                match self.defs[i].kind {
                    DefKind::Deduction(k) => members.push(k),
                    _ => return None,
                }
            }
            let weights = if def.weights.is_empty() {
                None
            } else {
                Some(l.group_weights.get_mut(g)?.take()?)
            };
            let names: Vec<&str> = def
                .members
                .iter()
                .map(|&i| self.defs[i].name.name.as_str())
                .collect();
            out.push(Group {
                name: format!("({})", names.join(", ")),
                label: def.label.map(|s| s.value.clone()),
                members,
                weights,
                span: def.stmt.span,
            });
        }
        Some(out)
    }
}
