//! Semantic analysis: syntax tree to [`Program`], one phase a file, each
//! reporting every problem it finds, not only the first.
//!
//! * `names`: declarations and name resolution ("did you mean", reserved
//!   names);
//! * `graph`: the dependency graph, its loops and its order;
//! * `kinds`: kinds, units and currencies;
//! * `lower`: lowering into [`crate::program::CExpr`], in dependency order;
//! * [`lint`]: warnings that evaluate nothing.
//!
//! This file is the driver; no phase imports it.

pub mod lint;

mod brackets;
mod graph;
mod groups;
mod kinds;
mod lower;
mod names;
mod running;

use crate::diag::Diagnostic;
use crate::program::{Deduction, Program, Slot, SlotKind, Step};
use crate::syntax::ast::{self, DeductionKind};
use crate::value::Rounding;
use graph::Graph;
use lower::Lowered;
use names::{Checker, Declared, DefKind, Node};

// The REPL's completion and highlighting (the command line).
#[cfg(feature = "cli")]
pub use crate::syntax::KEYWORDS;
pub use lower::compile_constant;

/// Checks a parsed file. Returns the program when there is no error, and
/// every error and warning found. `lint` gives the warnings of the compiled
/// program (the caller's: some need the evaluator, which sits above the
/// analysis; `value_lints::lint` is the one the crate uses).
pub fn check(
    file: &ast::File,
    src: &str,
    lint: impl FnOnce(&Program, &ast::File) -> Vec<Diagnostic>,
) -> (Option<Program>, Vec<Diagnostic>) {
    let mut c = Checker::new(src, file.broken_names.clone());
    let program = run(&mut c, file);
    c.diags.extend(lint::lint_file(file));
    // Titles, labels, messages and example names hold no control character.
    c.diags.extend(crate::textwidth::label_errors(file, src));
    if let Some(p) = &program {
        c.diags.extend(lint(p, file));
    }
    let has_error = c.diags.iter().any(Diagnostic::is_error);
    (if has_error { None } else { program }, c.diags)
}

/// The phases in order; the program when none reported an error.
fn run<'a>(c: &mut Checker<'a>, file: &'a ast::File) -> Option<Program> {
    let decl = c.declare(file);
    c.compile_brackets();
    let price_def = c.price_def();
    let g = c.graph(decl.n_deductions, price_def);
    if !g.cyclic {
        c.check_running_reads(&g);
    }
    let l = c.lower_defs(&g.order);
    let requirements = c.lower_requirements(&decl.requires, &l);
    let examples = c.lower_examples(&decl.examples, &l);
    c.diags.extend(lint::unallocated(file));
    if g.cyclic || c.diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    assemble(c, decl, &g, l, requirements, examples, price_def)
}

/// The program, from what the phases found.
fn assemble(
    c: &mut Checker<'_>,
    decl: Declared<'_>,
    g: &Graph,
    mut l: Lowered,
    requirements: Vec<crate::program::Requirement>,
    examples: Vec<crate::program::Example>,
    price_def: Option<usize>,
) -> Option<Program> {
    let price = price_def?;
    let currency = l.price_ty?;
    let n_defs = c.defs.len();
    let mut slots = Vec::with_capacity(n_defs);
    let mut deductions = Vec::with_capacity(decl.n_deductions);
    let mut deps = Vec::with_capacity(n_defs);
    let mut reads_pool = Vec::with_capacity(n_defs);
    let mut running = Vec::new();
    // `seen[id] == i + 1` marks a node visited for slot `i`: no clearing between slots.
    let mut seen = vec![0usize; g.edges.len()];
    for (i, def) in c.defs.iter().enumerate() {
        let kind = match def.kind {
            DefKind::Input | DefKind::Price => SlotKind::Input,
            DefKind::Cell => SlotKind::Cell,
            DefKind::Deduction(k) => {
                deductions.push(Deduction {
                    slot: i,
                    kind: def.ded_kind.unwrap_or(DeductionKind::Share),
                    label: def.label.map(|s| s.value.clone()),
                    when: l.whens[i].take(),
                    when_span: def.when.map(|w| w.span),
                    group: def.group,
                });
                SlotKind::Deduction(k)
            }
            DefKind::Running => {
                // For one sale, an input defaulting to zero; EXPR is the ledger's.
                let ty = l.tys[i]?;
                let (r, zero) = c.running_entry(i, l.cexprs[i].take()?, ty);
                running.push(r);
                slots.push(Slot {
                    name: def.name.name.clone(),
                    kind: SlotKind::Input,
                    ty,
                    name_span: def.name.span,
                    stmt_span: def.stmt.span,
                    expr: zero,
                });
                reads_pool.push(false);
                deps.push(Vec::new());
                continue;
            }
        };
        slots.push(Slot {
            name: def.name.name.clone(),
            kind,
            ty: l.tys[i]?,
            name_span: def.name.span,
            stmt_span: def.stmt.span,
            expr: l.cexprs[i].take()?,
        });
        // Direct slot dependencies, through tables (a pool is a
        // dependency of its own kind: `reads_pool`).
        let (ds, pool) = g.slot_deps(i, &mut seen);
        reads_pool.push(pool);
        deps.push(ds);
    }
    let steps = g
        .order
        .iter()
        .filter_map(|n| match *n {
            Node::Def(i) => Some(Step::Slot(i)),
            Node::Pool(k) => Some(Step::Pool(k)),
            Node::Table(_) => None,
        })
        .collect();
    let groups = c.assemble_groups(&mut l)?;
    let mut tables = Vec::with_capacity(l.ctables.len());
    for t in l.ctables {
        tables.push(t?);
    }
    Some(Program {
        title: decl.title.map(|(t, _)| t),
        rounding: decl.rounding.map_or(Rounding::default(), |(r, _)| r),
        currency,
        price,
        slots,
        deductions,
        groups,
        tables,
        brackets: std::mem::take(&mut c.cbrackets)
            .into_iter()
            .collect::<Option<Vec<_>>>()?,
        requirements,
        examples,
        running,
        order: steps,
        deps,
        reads_pool,
    })
}
