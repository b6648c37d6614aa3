//! Running totals (`running NAME = sum of EXPR [per COLUMN]`): what EXPR may
//! read and be, and the compiled [`Running`] entries.
//!
//! For one sale a running total is an input whose default is zero; in a
//! ledger each row's value is the sum of EXPR over the earlier rows. EXPR is
//! evaluated for each row before the row's running totals are known, so it
//! reads only inputs and cells: never a running total (which would make the
//! rows depend on each other in order) nor a fee, a share or `remaining`.
//! A loop through a running total is a dependency loop, reported by the graph.

use super::graph::Graph;
use super::names::{Checker, DefKind, Node};
use crate::diag::Diagnostic;
use crate::program::{CExpr, Running};
use crate::syntax::ast::{Expr, StmtKind};
use crate::value::{Ty, Value};
use rust_decimal::Decimal;

impl Checker<'_> {
    /// Reports a running total whose EXPR is not money or a number.
    pub(super) fn check_running_kind(&mut self, i: usize, expr: &Expr, ty: Ty) {
        if matches!(ty, Ty::Money(_) | Ty::Number) {
            return;
        }
        let name = self.defs[i].name.name.clone();
        self.err(
            Diagnostic::error(
                crate::codes::RUNNING_KIND,
                format!("the running total `{name}` must add up money or numbers"),
            )
            .primary(expr.span, format!("this is {ty}"))
            .help("add up an amount, e.g. `sum of price`, or a count, e.g. `sum of 1`"),
        );
    }

    /// Reports each running total whose EXPR reads (directly, through cells,
    /// inputs' defaults or tables) a running total, a fee or a share. Call
    /// only on a graph without loops.
    pub(super) fn check_running_reads(&mut self, g: &Graph) {
        for i in 0..self.defs.len() {
            if self.defs[i].kind != DefKind::Running {
                continue;
            }
            let found = g.edges[i]
                .iter()
                .find_map(|&(n, span)| self.bad_read(g, n).map(|bad| (span, n, bad)));
            let Some((span, first, bad)) = found else {
                continue;
            };
            let name = self.defs[i].name.name.clone();
            let used = self.defs[bad].name.name.clone();
            let what = self.describe_def(bad);
            let direct = first == Node::Def(bad);
            let (code, help) = if self.defs[bad].kind == DefKind::Running {
                (
                    crate::codes::RUNNING_READS_RUNNING,
                    "a sale's contribution must be known before any running total is: add up inputs and cells that do not use one",
                )
            } else {
                (
                    crate::codes::RUNNING_READS_DEDUCTION,
                    "a sale's contribution is read before the sale is split: add up the price, inputs, or cells computed from them",
                )
            };
            let message = if direct {
                format!("the running total `{name}` adds up {what} `{used}`")
            } else {
                format!("the running total `{name}` adds up a value that uses {what} `{used}`")
            };
            let label = if direct {
                what.to_string()
            } else {
                format!("this uses {what} `{used}`")
            };
            self.err(
                Diagnostic::error(code, message)
                    .primary(span, label)
                    .secondary(self.defs[bad].name.span, format!("{what} defined here"))
                    .help(help),
            );
        }
    }

    /// The first running total, fee or share that node `n` is or reads.
    fn bad_read(&self, g: &Graph, n: Node) -> Option<usize> {
        let mut seen = vec![false; g.edges.len()];
        let mut stack = vec![n];
        while let Some(n) = stack.pop() {
            let id = g.id(n);
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            if let Node::Def(j) = n {
                if matches!(
                    self.defs[j].kind,
                    DefKind::Running | DefKind::Deduction(_)
                ) {
                    return Some(j);
                }
            }
            // Reversed so that the first reference is looked at first.
            stack.extend(g.edges[id].iter().rev().map(|(n, _)| *n));
        }
        None
    }

    /// The compiled running total of def `i`, its EXPR compiled as `expr`,
    /// and the constant default of its input slot (zero of its kind).
    pub(super) fn running_entry(&self, i: usize, expr: CExpr, ty: Ty) -> (Running, CExpr) {
        let d = &self.defs[i];
        let per = match &d.stmt.kind {
            StmtKind::Running { per: Some(c), .. } => Some((c.name.clone(), c.span)),
            _ => None,
        };
        let zero = match ty {
            Ty::Money(c) => Value::Money(Decimal::ZERO, c),
            _ => Value::Number(Decimal::ZERO),
        };
        let span = expr.span;
        let running = Running { slot: i, expr, per };
        (running, CExpr::constant(zero, span))
    }
}
