//! Syntax tree to [`Program`]: names, kinds and currencies, the dependency
//! graph and its loops. Every problem found is reported, not only the first.

use crate::diag::{did_you_mean, Diagnostic};
use crate::program::*;
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, DeductionKind, Expr, ExprKind, ItemKind, StmtKind, UnOp};
use crate::value::{Currency, Rounding, Ty, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;

pub use crate::syntax::KEYWORDS;
use crate::syntax::VALUE_KEYWORDS;

/// Checks a parsed file. Returns the program when there is no error, and
/// every error and warning found. `lint` gives the warnings of the compiled
/// program (the caller's: some need the evaluator, which sits above the
/// checker; `value_lints::lint` is the one the crate uses).
pub fn check(
    file: &ast::File,
    src: &str,
    lint: impl FnOnce(&Program, &ast::File) -> Vec<Diagnostic>,
) -> (Option<Program>, Vec<Diagnostic>) {
    let mut c = Checker {
        src,
        diags: Vec::new(),
        names: HashMap::new(),
        defs: Vec::new(),
        tables: Vec::new(),
        broken: file.broken_names.clone(),
    };
    let program = c.run(file);
    c.diags.extend(crate::lint::lint_file(file));
    // Titles, labels, messages and example names hold no control character.
    c.diags.extend(crate::textwidth::label_errors(file, src));
    if let Some(p) = &program {
        c.diags.extend(lint(p, file));
    }
    let has_error = c.diags.iter().any(Diagnostic::is_error);
    (if has_error { None } else { program }, c.diags)
}

/// Compiles an expression that may use no name (a `given`, `--set`, a ledger cell).
pub fn compile_constant(e: &Expr) -> Result<(CExpr, Ty), Diagnostic> {
    let mut c = Checker {
        src: "",
        diags: Vec::new(),
        names: HashMap::new(),
        defs: Vec::new(),
        tables: Vec::new(),
        broken: Vec::new(),
    };
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DefKind {
    Input,
    Price,
    Cell,
    Deduction(usize),
}

/// A definition of a value (not a table).
struct Def<'a> {
    name: &'a ast::Ident,
    kind: DefKind,
    expr: &'a Expr,
    when: Option<&'a Expr>,
    stmt: &'a ast::Stmt,
    ded_kind: Option<DeductionKind>,
    label: Option<&'a ast::Str>,
}

struct TableDef<'a> {
    name: &'a ast::Ident,
    rows: &'a [ast::TableRow],
    stmt: &'a ast::Stmt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameRef {
    Def(usize),
    Table(usize),
}

struct Checker<'a> {
    src: &'a str,
    diags: Vec<Diagnostic>,
    names: HashMap<&'a str, NameRef>,
    defs: Vec<Def<'a>>,
    tables: Vec<TableDef<'a>>,
    broken: Vec<String>,
}

/// Graph nodes: defs `0..D`, pools `D..D+P`, tables after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Def(usize),
    Pool(usize),
    Table(usize),
}

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self, file: &'a ast::File) -> Option<Program> {
        let mut title = None;
        let mut rounding = None;
        let mut requires = Vec::new();
        let mut examples = Vec::new();
        let mut n_deductions = 0;
        let mut price_defs: Vec<&ast::Ident> = Vec::new();

        // 1. Definitions.
        for stmt in &file.stmts {
            match &stmt.kind {
                StmtKind::Agreement { title: t } => {
                    if let Some((_, first)) = &title {
                        self.err(
                            Diagnostic::error(
                                crate::codes::AGREEMENT_DUPLICATE,
                                "the agreement has two titles",
                            )
                            .primary(t.span, "second title")
                            .secondary(*first, "first title")
                            .help("keep one `agreement` line"),
                        );
                    } else {
                        title = Some((t.value.clone(), t.span));
                    }
                }
                StmtKind::Rounding { mode } => {
                    if let Some((_, first)) = rounding {
                        self.err(
                            Diagnostic::error(
                                crate::codes::ROUNDING_DUPLICATE,
                                "the rounding mode is set twice",
                            )
                            .primary(mode.span, "second setting")
                            .secondary(first, "first setting")
                            .help("keep one `rounding` line"),
                        );
                    } else if let Some(r) = Rounding::from_name(&mode.name) {
                        rounding = Some((r, mode.span));
                    } else {
                        let names = Rounding::ALL.map(|(n, _)| n);
                        let hint = match did_you_mean(&mode.name, names) {
                            Some(s) => {
                                format!("did you mean `{s}`? The modes are {}", names.join(", "))
                            }
                            None => format!("the modes are {}", names.join(", ")),
                        };
                        self.err(
                            Diagnostic::error(
                                crate::codes::ROUNDING_UNKNOWN,
                                format!("unknown rounding mode `{}`", mode.name),
                            )
                            .primary(mode.span, "not a rounding mode")
                            .help(hint),
                        );
                    }
                }
                StmtKind::Input { name, value } => {
                    let kind = if name.name == "price" {
                        price_defs.push(name);
                        DefKind::Price
                    } else {
                        DefKind::Input
                    };
                    self.define(name, kind, value, None, stmt, None, None);
                }
                StmtKind::Cell { name, value } => {
                    let kind = if name.name == "price" {
                        price_defs.push(name);
                        DefKind::Price
                    } else {
                        DefKind::Cell
                    };
                    self.define(name, kind, value, None, stmt, None, None);
                }
                StmtKind::Deduction {
                    kind,
                    name,
                    label,
                    value,
                    when,
                    ..
                } => {
                    if name.name == "price" {
                        self.err(
                            Diagnostic::error(
                                crate::codes::NAME_RESERVED,
                                "`price` is the sale's gross amount and cannot name a deduction",
                            )
                            .primary(name.span, "reserved name")
                            .help("choose another name"),
                        );
                        continue;
                    }
                    let k = n_deductions;
                    n_deductions += 1;
                    self.define(
                        name,
                        DefKind::Deduction(k),
                        value,
                        when.as_ref(),
                        stmt,
                        Some(*kind),
                        label.as_ref(),
                    );
                }
                StmtKind::Table { name, rows } => {
                    if self.check_name(name) {
                        let idx = self.tables.len();
                        self.tables.push(TableDef { name, rows, stmt });
                        self.names.insert(&name.name, NameRef::Table(idx));
                    }
                }
                StmtKind::Require { cond, message } => requires.push((cond, message)),
                StmtKind::Example { name, items } => examples.push((stmt, name, items)),
            }
        }
        if price_defs.is_empty() && !file.has_syntax_errors {
            self.err(
                Diagnostic::error(crate::codes::PRICE_MISSING, "the agreement has no `price`")
                    .help("add the gross amount of one sale, e.g. `price = 100.00 USD`"),
            );
        }
        let price_def = match self.names.get("price") {
            Some(NameRef::Def(i)) => Some(*i),
            _ => None,
        };

        // 2. References and the dependency graph.
        let n_defs = self.defs.len();
        let n_pools = n_deductions + 1;
        let node_id = |n: Node| match n {
            Node::Def(i) => i,
            Node::Pool(k) => n_defs + k,
            Node::Table(t) => n_defs + n_pools + t,
        };
        let n_nodes = n_defs + n_pools + self.tables.len();
        let mut edges: Vec<Vec<(Node, Span)>> = vec![Vec::new(); n_nodes];
        let mut ded_slot = vec![usize::MAX; n_deductions];
        #[allow(clippy::needless_range_loop)]
        for i in 0..n_defs {
            let (kind, expr, when) = {
                let d = &self.defs[i];
                (d.kind, d.expr, d.when)
            };
            let in_ded = match kind {
                DefKind::Deduction(k) => {
                    ded_slot[k] = i;
                    Some(k)
                }
                _ => None,
            };
            let mut out = Vec::new();
            self.references(expr, in_ded, &mut out);
            if let Some(w) = when {
                self.references(w, in_ded, &mut out);
            }
            edges[i] = out;
        }
        for t in 0..self.tables.len() {
            let rows = self.tables[t].rows;
            let mut out = Vec::new();
            for row in rows {
                match &row.key {
                    ast::TableKey::Value(e) => self.references(e, None, &mut out),
                    ast::TableKey::Range { lo, hi, .. } => {
                        for e in lo.iter().chain(hi.iter()) {
                            self.references(e, None, &mut out);
                        }
                    }
                }
                self.references(&row.value, None, &mut out);
            }
            edges[node_id(Node::Table(t))] = out;
        }
        // Pools: pool 0 is the price; pool k+1 needs pool k and deduction k.
        if let Some(p) = price_def {
            let span = self.defs[p].name.span;
            edges[node_id(Node::Pool(0))].push((Node::Def(p), span));
        }
        for (k, &slot) in ded_slot.iter().enumerate() {
            if slot == usize::MAX {
                continue;
            }
            let span = self.defs[slot].name.span;
            let id = node_id(Node::Pool(k + 1));
            edges[id].push((Node::Pool(k), span));
            edges[id].push((Node::Def(slot), span));
        }

        let (order, cyclic) = self.topo_sort(&edges, n_defs, n_pools, &node_id);

        // 3. Kinds, in dependency order.
        let mut tys: Vec<Option<Ty>> = vec![None; n_defs];
        let mut table_tys: Vec<Option<(Ty, Ty)>> = vec![None; self.tables.len()];
        let mut cexprs: Vec<Option<CExpr>> = vec![None; n_defs];
        let mut whens: Vec<Option<CExpr>> = vec![None; n_defs];
        let mut ctables: Vec<Option<Table>> = vec![None; self.tables.len()];
        let mut price_ty = None;
        for node in &order {
            match *node {
                Node::Def(i) => {
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
                        tys: &tys,
                        table_tys: &table_tys,
                        deduction,
                    };
                    let compiled = comp.expr(expr);
                    let cwhen = when.map(|w| (w, comp.expr(w)));
                    if let Some((we, Some((_, wty)))) = &cwhen {
                        if *wty != Ty::Bool {
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
                    if let Some((_, Some((w, _)))) = cwhen {
                        whens[i] = Some(w);
                    }
                    if let Some((ce, ty)) = compiled {
                        // A value whose kind is wrong gets no kind, so that
                        // what uses it is not reported again.
                        let before = self.diags.len();
                        match kind {
                            DefKind::Price => {
                                if let Ty::Money(cur) = ty {
                                    price_ty = Some(cur);
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
                                match (ty, price_ty) {
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
                            _ => {}
                        }
                        if self.diags.len() > before {
                            continue;
                        }
                        tys[i] = Some(ty);
                        cexprs[i] = Some(ce);
                    }
                }
                Node::Table(t) => {
                    let compiled = self.compile_table(t, &tys, &table_tys);
                    if let Some(tab) = compiled {
                        table_tys[t] = Some((tab.key_ty, tab.value_ty));
                        ctables[t] = Some(tab);
                    }
                }
                Node::Pool(_) => {}
            }
        }

        // Requirements.
        let mut creqs = Vec::new();
        for (cond, message) in requires {
            let before = self.diags.len();
            self.references(cond, None, &mut Vec::new());
            if self.diags.len() > before {
                continue;
            }
            let mut comp = Compiler {
                c: self,
                tys: &tys,
                table_tys: &table_tys,
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

        // Examples.
        let mut cexamples = Vec::new();
        for (stmt, name, items) in examples {
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
                if given && !matches!(self.defs[i].kind, DefKind::Input | DefKind::Price) {
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
                        tys: &tys,
                        table_tys: &table_tys,
                        deduction: None,
                    };
                    comp.expr(&item.value)
                };
                let (Some((ce, ty)), Some(want)) = (compiled, tys[i]) else {
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

        // Warnings.
        self.warn_unallocated(file);

        if cyclic || self.diags.iter().any(Diagnostic::is_error) {
            return None;
        }
        let price = price_def?;
        let currency = price_ty?;
        let mut slots = Vec::with_capacity(n_defs);
        let mut deductions = Vec::with_capacity(n_deductions);
        let mut deps = Vec::with_capacity(n_defs);
        let mut reads_pool = Vec::with_capacity(n_defs);
        // `seen[id] == i + 1` marks a node visited for slot `i`: no clearing between slots.
        let mut seen = vec![0usize; n_nodes];
        for (i, d) in self.defs.iter().enumerate() {
            let kind = match d.kind {
                DefKind::Input | DefKind::Price => SlotKind::Input,
                DefKind::Cell => SlotKind::Cell,
                DefKind::Deduction(k) => {
                    deductions.push(Deduction {
                        slot: i,
                        kind: d.ded_kind.unwrap_or(DeductionKind::Share),
                        label: d.label.map(|l| l.value.clone()),
                        when: whens[i].take(),
                        when_span: d.when.map(|w| w.span),
                    });
                    SlotKind::Deduction(k)
                }
            };
            slots.push(Slot {
                name: d.name.name.clone(),
                kind,
                ty: tys[i]?,
                name_span: d.name.span,
                stmt_span: d.stmt.span,
                expr: cexprs[i].take()?,
            });
            // Direct slot dependencies, through tables (a pool is a
            // dependency of its own kind: `reads_pool`).
            let mut ds = Vec::new();
            let mut pool = false;
            let mut stack: Vec<Node> = edges[i].iter().map(|(n, _)| *n).collect();
            while let Some(n) = stack.pop() {
                let id = node_id(n);
                if seen[id] == i + 1 {
                    continue;
                }
                seen[id] = i + 1;
                match n {
                    Node::Def(j) => ds.push(j),
                    Node::Pool(_) => pool = true,
                    Node::Table(_) => stack.extend(edges[id].iter().map(|(n, _)| *n)),
                }
            }
            reads_pool.push(pool);
            ds.sort_unstable();
            ds.dedup();
            deps.push(ds);
        }
        let steps = order
            .iter()
            .filter_map(|n| match *n {
                Node::Def(i) => Some(Step::Slot(i)),
                Node::Pool(k) => Some(Step::Pool(k)),
                Node::Table(_) => None,
            })
            .collect();
        let mut tables = Vec::with_capacity(ctables.len());
        for t in ctables {
            tables.push(t?);
        }
        Some(Program {
            title: title.map(|(t, _)| t),
            rounding: rounding.map_or(Rounding::default(), |(r, _)| r),
            currency,
            price,
            slots,
            deductions,
            tables,
            requirements: creqs,
            examples: cexamples,
            order: steps,
            deps,
            reads_pool,
        })
    }

    fn src_of(&self, span: Span) -> &'a str {
        span.text(self.src)
    }

    fn describe_def(&self, i: usize) -> &'static str {
        match self.defs[i].kind {
            DefKind::Input | DefKind::Price => "an input",
            DefKind::Cell => "a cell",
            DefKind::Deduction(_) => match self.defs[i].ded_kind {
                Some(DeductionKind::Fee) => "a fee",
                _ => "a share",
            },
        }
    }

    /// Checks a new name: snake_case, not reserved, not yet defined.
    fn check_name(&mut self, name: &'a ast::Ident) -> bool {
        let ok = self.check_name_inner(name);
        if !ok {
            self.broken.push(name.name.clone());
        }
        ok
    }

    fn check_name_inner(&mut self, name: &'a ast::Ident) -> bool {
        let n = name.name.as_str();
        if Builtin::from_name(n).is_some() {
            self.err(
                Diagnostic::error(
                    crate::codes::NAME_RESERVED,
                    format!("`{n}` is a built-in function and cannot name a value"),
                )
                .primary(name.span, "reserved name")
                .help(format!("choose another name, e.g. `{n}_amount`")),
            );
            return false;
        }
        if n == "unallocated" {
            self.err(
                Diagnostic::error(
                    crate::codes::NAME_RESERVED,
                    "`unallocated` is the money no deduction takes and cannot name a value",
                )
                .primary(name.span, "reserved name")
                .help("`run` and its JSON output report the money left in the pool as `unallocated`; choose another name, e.g. `unallocated_amount`"),
            );
            return false;
        }
        if !n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            let snake = to_snake(n);
            self.err(
                Diagnostic::error(
                    crate::codes::NAME_NOT_SNAKE_CASE,
                    format!("`{n}` is not a snake_case name"),
                )
                .primary(name.span, "names use lowercase letters, digits and `_`")
                .help(format!("write `{snake}`")),
            );
            return false;
        }
        if let Some(prev) = self.names.get(n) {
            let prev_span = match *prev {
                NameRef::Def(i) => self.defs[i].name.span,
                NameRef::Table(t) => self.tables[t].name.span,
            };
            let d = if n == "price" {
                Diagnostic::error(crate::codes::PRICE_DUPLICATE, "the price is defined twice")
                    .primary(name.span, "second definition")
                    .secondary(prev_span, "first definition")
                    .help("an agreement has exactly one `price`; make the other an `input`")
            } else {
                Diagnostic::error(
                    crate::codes::NAME_DUPLICATE,
                    format!("`{n}` is defined twice"),
                )
                .primary(name.span, "second definition")
                .secondary(prev_span, "first definition")
                .help("names are unique in a file; rename one of them")
            };
            self.err(d);
            return false;
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn define(
        &mut self,
        name: &'a ast::Ident,
        kind: DefKind,
        expr: &'a Expr,
        when: Option<&'a Expr>,
        stmt: &'a ast::Stmt,
        ded_kind: Option<DeductionKind>,
        label: Option<&'a ast::Str>,
    ) {
        if !self.check_name(name) {
            return;
        }
        let idx = self.defs.len();
        self.defs.push(Def {
            name,
            kind,
            expr,
            when,
            stmt,
            ded_kind,
            label,
        });
        self.names.insert(&name.name, NameRef::Def(idx));
    }

    fn unknown_name(&mut self, name: &str, span: Span) {
        if self.broken.iter().any(|b| b == name) {
            return;
        }
        let candidates: Vec<&str> = self.names.keys().copied().collect();
        let mut d = Diagnostic::error(crate::codes::NAME_UNKNOWN, format!("unknown name `{name}`"))
            .primary(span, "not defined in this agreement");
        if let Some(s) = did_you_mean(name, candidates.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if let Some(k) = did_you_mean(name, VALUE_KEYWORDS) {
            d = d.help(format!("did you mean the keyword `{k}`?"));
        } else if name.len() == 3 && name.chars().all(|c| c.is_ascii_uppercase()) {
            d = d.help(format!(
                "a currency code follows an amount: `100.00 {name}`"
            ));
        } else {
            d = d.help(format!(
                "define it, e.g. `{name} = …` or `input {name} = …`"
            ));
        }
        self.err(d);
    }

    /// Collects the graph edges of `e`; reports unknown names and misplaced `remaining`.
    fn references(&mut self, e: &'a Expr, deduction: Option<usize>, out: &mut Vec<(Node, Span)>) {
        let mut found: Vec<&'a Expr> = Vec::new();
        e.walk(&mut |x| found.push(x));
        for x in found {
            match &x.kind {
                ExprKind::Name(n) => match self.names.get(n.as_str()).copied() {
                    Some(NameRef::Def(i)) => out.push((Node::Def(i), x.span)),
                    Some(NameRef::Table(t)) => out.push((Node::Table(t), x.span)),
                    None => self.unknown_name(n, x.span),
                },
                ExprKind::Call(f, _) => {
                    if Builtin::from_name(&f.name).is_some() {
                        continue;
                    }
                    match self.names.get(f.name.as_str()).copied() {
                        Some(NameRef::Table(t)) => out.push((Node::Table(t), f.span)),
                        Some(NameRef::Def(i)) => out.push((Node::Def(i), f.span)),
                        None => {
                            let mut cands: Vec<&str> = Builtin::ALL.iter().map(|(n, _)| *n).collect();
                            cands.extend(self.tables.iter().map(|t| t.name.name.as_str()));
                            let help = match did_you_mean(&f.name, cands) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "the functions are min, max, abs, round, floor, ceil and clamp; a table is called by its name".into(),
                            };
                            self.err(
                                Diagnostic::error(
                                    crate::codes::CALL_UNKNOWN_FUNCTION,
                                    format!("unknown function or table `{}`", f.name),
                                )
                                .primary(f.span, "not a function or table")
                                .help(help),
                            );
                        }
                    }
                }
                ExprKind::Remaining => match deduction {
                    Some(k) => out.push((Node::Pool(k), x.span)),
                    None => self.err(
                        Diagnostic::error(
                            crate::codes::REMAINING_OUTSIDE_DEDUCTION,
                            "`remaining` is only meaningful inside a fee or share",
                        )
                        .primary(x.span, "not inside a fee or share")
                        .help("`remaining` is the pool when a deduction runs; outside one, name what you mean, e.g. `price - hotmart`"),
                    ),
                },
                _ => {}
            }
        }
    }

    /// Orders the nodes so that each comes after what it uses; reports loops.
    fn topo_sort(
        &mut self,
        edges: &[Vec<(Node, Span)>],
        n_defs: usize,
        n_pools: usize,
        node_id: &dyn Fn(Node) -> usize,
    ) -> (Vec<Node>, bool) {
        let n = edges.len();
        let node_of = |id: usize| {
            if id < n_defs {
                Node::Def(id)
            } else if id < n_defs + n_pools {
                Node::Pool(id - n_defs)
            } else {
                Node::Table(id - n_defs - n_pools)
            }
        };
        // Iterative DFS post-order; file order for ties.
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::with_capacity(n);
        let mut cyclic = false;
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if let Some(&(dep, _)) = edges[v].get(*next) {
                    *next += 1;
                    let d = node_id(dep);
                    match state[d] {
                        0 => {
                            state[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            // A loop: the stack from `d` to `v`, then back to `d`.
                            cyclic = true;
                            let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                            let chain: Vec<(usize, Span)> = stack[from..]
                                .iter()
                                .map(|(x, nx)| {
                                    let span = edges[*x]
                                        .get(nx.saturating_sub(1))
                                        .map_or(Span::default(), |(_, s)| *s);
                                    (*x, span)
                                })
                                .collect();
                            self.report_cycle(&chain, &node_of);
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    order.push(node_of(v));
                    stack.pop();
                }
            }
        }
        (order, cyclic)
    }

    fn node_name(&self, n: Node) -> String {
        match n {
            Node::Def(i) => format!("`{}`", self.defs[i].name.name),
            Node::Pool(k) => {
                let ded = self
                    .defs
                    .iter()
                    .find(|d| d.kind == DefKind::Deduction(k))
                    .map_or("?".to_string(), |d| d.name.name.clone());
                format!("`remaining` in `{ded}`")
            }
            Node::Table(t) => format!("table `{}`", self.tables[t].name.name),
        }
    }

    fn report_cycle(&mut self, chain: &[(usize, Span)], node_of: &dyn Fn(usize) -> Node) {
        let names: Vec<String> = chain
            .iter()
            .map(|(x, _)| self.node_name(node_of(*x)))
            .collect();
        let mut path = names.join(" → ");
        if let Some(first) = names.first() {
            path.push_str(" → ");
            path.push_str(first);
        }
        let through_pool = chain
            .iter()
            .any(|(x, _)| matches!(node_of(*x), Node::Pool(_)));
        let mut d = Diagnostic::error(crate::codes::DEPS_CYCLE, format!("dependency loop: {path}"));
        for (i, (x, span)) in chain.iter().enumerate() {
            let next = names
                .get(i + 1)
                .or(names.first())
                .cloned()
                .unwrap_or_default();
            let label = match node_of(*x) {
                Node::Pool(_) => format!("the pool here is what is left after every earlier deduction, {next} among them"),
                _ => format!("{} uses {next}", names[i]),
            };
            if i == 0 {
                d = d.primary(*span, label);
            } else {
                d = d.secondary(*span, label);
            }
        }
        d = d.help(if through_pool {
            "`remaining` depends on every earlier deduction; compute this from named values instead, or move the deduction"
        } else {
            "a value cannot depend on itself; break the loop by computing one of these from inputs"
        });
        self.err(d);
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
            for (e, k) in keys {
                if let Some((_, ty)) = k {
                    match key_ty {
                        None => key_ty = Some((ty, e.span)),
                        Some((first, fspan)) if first != ty => {
                            ok = false;
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
                    if ty == Ty::Bool && matches!(row.key, ast::TableKey::Range { .. }) && ok {
                        ok = false;
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
        Some(Table {
            name: def_name.name.clone(),
            key_ty: key_ty?.0,
            value_ty: value_ty?.0,
            rows: crow,
            span,
        })
    }

    fn warn_unallocated(&mut self, file: &ast::File) {
        // After a share of the whole pool nothing can be left; what follows
        // it is always 0 (`warn::always_zero`, in lint.rs).
        let takes_all = |s: &ast::Stmt| {
            matches!(&s.kind, StmtKind::Deduction { value, when: None, .. }
                if crate::lint::takes_whole_pool(value))
        };
        if file.stmts.iter().any(takes_all) {
            return;
        }
        let last = file.stmts.iter().rev().find_map(|s| match &s.kind {
            StmtKind::Deduction {
                name, value, when, ..
            } => Some((s, name, value, when)),
            _ => None,
        });
        match last {
            Some((_, _, value, None)) if matches!(value.unparen().kind, ExprKind::Remaining) => {}
            Some((stmt, name, _, when)) => {
                let why = if when.is_some() {
                    "it has a `when` condition"
                } else {
                    "it does not take `remaining`"
                };
                self.err(
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
                    .help(
                        "end with a share that takes the rest, e.g. `share producer = remaining`",
                    ),
                );
            }
            None => {}
        }
    }
}

fn to_snake(n: &str) -> String {
    let mut out = String::new();
    for (i, c) in n.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

/// Compiles one expression against the kinds known so far.
struct Compiler<'c, 'a> {
    c: &'c mut Checker<'a>,
    tys: &'c [Option<Ty>],
    table_tys: &'c [Option<(Ty, Ty)>],
    deduction: Option<usize>,
}

fn kind_name(ty: Ty) -> String {
    ty.to_string()
}

impl Compiler<'_, '_> {
    fn err(&mut self, d: Diagnostic) -> Option<(CExpr, Ty)> {
        self.c.err(d);
        None
    }

    fn currency(&mut self, code: &ast::Ident) -> Option<Currency> {
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

    fn expr(&mut self, e: &Expr) -> Option<(CExpr, Ty)> {
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
            ExprKind::If(c, a, b) => {
                let cc = self.expr(c);
                let ca = self.expr(a);
                let cb = self.expr(b);
                let ((cc, tc), (ca, ta), (cb, tb)) = (cc?, ca?, cb?);
                if tc != Ty::Bool {
                    return self.err(
                        Diagnostic::error(
                            crate::codes::KIND_IF_NOT_BOOL,
                            format!(
                                "the condition of `if` must be true or false, but this is {tc}"
                            ),
                        )
                        .primary(c.span, format!("this is {tc}"))
                        .help(
                            "compare it with something, e.g. `if installments > 1 then … else …`",
                        ),
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
                        .help("both branches must give the same kind: money in the same currency, numbers, …"),
                    );
                }
                Some((
                    CExpr::new(CKind::If(Box::new(cc), Box::new(ca), Box::new(cb)), e.span),
                    ta,
                ))
            }
            ExprKind::Call(f, args) => self.call(e, f, args),
        }
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

    fn pool_ty(&mut self) -> Option<Ty> {
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

    fn binary_ty(
        &mut self,
        op: BinOp,
        op_span: Span,
        a: &Expr,
        ta: Ty,
        b: &Expr,
        tb: Ty,
    ) -> Option<Ty> {
        use Ty::*;
        let mismatch = |code: crate::codes::Code, msg: String, help: String| {
            Diagnostic::error(code, msg)
                .primary(op_span, format!("`{}`", op.symbol()))
                .secondary(a.span, kind_name(ta))
                .secondary(b.span, kind_name(tb))
                .help(help)
        };
        let sym = op.symbol();
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
        None
    }

    fn call(&mut self, e: &Expr, f: &ast::Ident, args: &[Expr]) -> Option<(CExpr, Ty)> {
        let compiled: Vec<Option<(CExpr, Ty)>> = args.iter().map(|a| self.expr(a)).collect();
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
            None => None,
        }
    }

    fn builtin_ty(
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
