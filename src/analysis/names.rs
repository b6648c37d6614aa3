//! Declarations and name resolution: every statement's names, checked
//! (snake_case, not reserved, not defined twice), and every name an
//! expression uses resolved, with "did you mean" for the unknown ones.

use crate::diag::{did_you_mean, Diagnostic};
use crate::program::Builtin;
use crate::span::Span;
use crate::syntax::ast::{self, DeductionKind, Expr, ExprKind, StmtKind};
use crate::syntax::VALUE_KEYWORDS;
use crate::value::Rounding;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DefKind {
    Input,
    Price,
    Cell,
    Deduction(usize),
    /// `running NAME = sum of EXPR`: the def's expression is EXPR; for one
    /// sale it is an input defaulting to zero (see `running.rs`).
    Running,
}

/// A definition of a value (not a table).
pub(super) struct Def<'a> {
    pub(super) name: &'a ast::Ident,
    pub(super) kind: DefKind,
    pub(super) expr: &'a Expr,
    pub(super) when: Option<&'a Expr>,
    pub(super) stmt: &'a ast::Stmt,
    pub(super) ded_kind: Option<DeductionKind>,
    pub(super) label: Option<&'a ast::Str>,
    /// The group share it is a member of (an index into `Checker::groups`).
    pub(super) group: Option<usize>,
}

/// A group share as declared.
pub(super) struct GroupDef<'a> {
    /// The statement.
    pub(super) stmt: &'a ast::Stmt,
    /// The members that were declared (their names accepted), in order.
    pub(super) members: Vec<usize>,
    /// The weights as written, one per member; empty for equal parts.
    pub(super) weights: Vec<&'a Expr>,
    /// The group's label.
    pub(super) label: Option<&'a ast::Str>,
}

pub(super) struct TableDef<'a> {
    pub(super) name: &'a ast::Ident,
    pub(super) rows: &'a [ast::TableRow],
    pub(super) stmt: &'a ast::Stmt,
}

/// A `brackets` statement, declared (compiled in `brackets.rs`).
pub(super) struct BracketsDef<'a> {
    pub(super) name: &'a ast::Ident,
    pub(super) rows: &'a [ast::TableRow],
    pub(super) stmt: &'a ast::Stmt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NameRef {
    Def(usize),
    Table(usize),
    Brackets(usize),
}

/// What the analysis knows so far: the definitions, the names that resolve
/// to them, and every diagnostic.
pub(super) struct Checker<'a> {
    pub(super) src: &'a str,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) names: HashMap<&'a str, NameRef>,
    pub(super) defs: Vec<Def<'a>>,
    pub(super) tables: Vec<TableDef<'a>>,
    pub(super) brackets: Vec<BracketsDef<'a>>,
    pub(super) cbrackets: Vec<Option<crate::program::Brackets>>,
    pub(super) broken: Vec<String>,
    /// The group shares (`super::groups`).
    pub(super) groups: Vec<GroupDef<'a>>,
}

/// Graph nodes: defs `0..D`, pools `D..D+P`, tables after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Node {
    Def(usize),
    Pool(usize),
    Table(usize),
}

/// The statements that are not definitions, gathered by [`Checker::declare`].
pub(super) struct Declared<'a> {
    pub(super) title: Option<(String, Span)>,
    pub(super) rounding: Option<(Rounding, Span)>,
    pub(super) requires: Vec<(&'a Expr, &'a Option<ast::Str>)>,
    pub(super) examples: Vec<(&'a ast::Stmt, &'a ast::Str, &'a [ast::ExampleItem])>,
    pub(super) n_deductions: usize,
}

impl<'a> Checker<'a> {
    /// A checker with nothing declared; `broken` are names whose statement
    /// did not parse (not reported as unknown).
    pub(super) fn new(src: &'a str, broken: Vec<String>) -> Self {
        Checker {
            src,
            diags: Vec::new(),
            names: HashMap::new(),
            defs: Vec::new(),
            tables: Vec::new(),
            brackets: Vec::new(),
            cbrackets: Vec::new(),
            broken,
            groups: Vec::new(),
        }
    }

    pub(super) fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Phase 1: every definition declared, the other statements gathered.
    pub(super) fn declare(&mut self, file: &'a ast::File) -> Declared<'a> {
        let mut out = Declared {
            title: None,
            rounding: None,
            requires: Vec::new(),
            examples: Vec::new(),
            n_deductions: 0,
        };
        let mut price_defs: Vec<&ast::Ident> = Vec::new();
        for stmt in &file.stmts {
            match &stmt.kind {
                StmtKind::Agreement { title: t } => {
                    if let Some((_, first)) = &out.title {
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
                        out.title = Some((t.value.clone(), t.span));
                    }
                }
                StmtKind::Rounding { mode } => self.rounding(mode, &mut out.rounding),
                StmtKind::Input { name, value } => {
                    let kind = if name.name == "price" {
                        price_defs.push(name);
                        DefKind::Price
                    } else {
                        DefKind::Input
                    };
                    let _ = self.define(name, kind, value, None, stmt, None, None);
                }
                StmtKind::Cell { name, value } => {
                    let kind = if name.name == "price" {
                        price_defs.push(name);
                        DefKind::Price
                    } else {
                        DefKind::Cell
                    };
                    let _ = self.define(name, kind, value, None, stmt, None, None);
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
                    let k = out.n_deductions;
                    out.n_deductions += 1;
                    let _ = self.define(
                        name,
                        DefKind::Deduction(k),
                        value,
                        when.as_ref(),
                        stmt,
                        Some(*kind),
                        label.as_ref(),
                    );
                }
                StmtKind::Group {
                    members,
                    label,
                    value,
                    when,
                    ..
                } => self.declare_group(stmt, members, label.as_ref(), value, when.as_ref(), &mut out.n_deductions),
                StmtKind::Table { name, rows } => {
                    if self.check_name(name) {
                        let idx = self.tables.len();
                        self.tables.push(TableDef { name, rows, stmt });
                        self.names.insert(&name.name, NameRef::Table(idx));
                    }
                }
                StmtKind::Brackets { name, rows } => {
                    if self.check_name(name) {
                        let idx = self.brackets.len();
                        self.brackets.push(BracketsDef { name, rows, stmt });
                        self.names.insert(&name.name, NameRef::Brackets(idx));
                    }
                }
                StmtKind::Running { name, value, .. } => {
                    if name.name == "price" {
                        self.err(
                            Diagnostic::error(
                                crate::codes::NAME_RESERVED,
                                "`price` is the sale's gross amount and cannot name a running total",
                            )
                            .primary(name.span, "reserved name")
                            .help("choose another name"),
                        );
                        continue;
                    }
                    self.define(name, DefKind::Running, value, None, stmt, None, None);
                }
                StmtKind::Require { cond, message } => out.requires.push((cond, message)),
                StmtKind::Example { name, items } => out.examples.push((stmt, name, items)),
            }
        }
        if price_defs.is_empty() && !file.has_syntax_errors {
            self.err(
                Diagnostic::error(crate::codes::PRICE_MISSING, "the agreement has no `price`")
                    .help("add the gross amount of one sale, e.g. `price = 100.00 USD`"),
            );
        }
        out
    }

    /// A `rounding` line: the mode, or why it is not one.
    fn rounding(&mut self, mode: &ast::Ident, rounding: &mut Option<(Rounding, Span)>) {
        if let Some((_, first)) = *rounding {
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
            *rounding = Some((r, mode.span));
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

    /// The definition of `price`, if there is one.
    pub(super) fn price_def(&self) -> Option<usize> {
        match self.names.get("price") {
            Some(NameRef::Def(i)) => Some(*i),
            _ => None,
        }
    }

    pub(super) fn src_of(&self, span: Span) -> &'a str {
        span.text(self.src)
    }

    pub(super) fn describe_def(&self, i: usize) -> &'static str {
        match self.defs[i].kind {
            DefKind::Input | DefKind::Price => "an input",
            DefKind::Cell => "a cell",
            DefKind::Running => "a running total",
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
                NameRef::Brackets(b) => self.brackets[b].name.span,
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

    /// Declares a definition; its index, or `None` when its name is refused.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn define(
        &mut self,
        name: &'a ast::Ident,
        kind: DefKind,
        expr: &'a Expr,
        when: Option<&'a Expr>,
        stmt: &'a ast::Stmt,
        ded_kind: Option<DeductionKind>,
        label: Option<&'a ast::Str>,
    ) -> Option<usize> {
        if !self.check_name(name) {
            return None;
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
            group: None,
        });
        self.names.insert(&name.name, NameRef::Def(idx));
        Some(idx)
    }

    pub(super) fn unknown_name(&mut self, name: &str, span: Span) {
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
    pub(super) fn references(
        &mut self,
        e: &'a Expr,
        deduction: Option<usize>,
        out: &mut Vec<(Node, Span)>,
    ) {
        let mut found: Vec<&'a Expr> = Vec::new();
        e.walk(&mut |x| found.push(x));
        for x in found {
            match &x.kind {
                ExprKind::Name(n) => match self.names.get(n.as_str()).copied() {
                    Some(NameRef::Def(i)) => out.push((Node::Def(i), x.span)),
                    Some(NameRef::Table(t)) => out.push((Node::Table(t), x.span)),
                    // Constant: no edge (lowering reports the missing call).
                    Some(NameRef::Brackets(_)) => {}
                    None => self.unknown_name(n, x.span),
                },
                ExprKind::Call(f, _) => {
                    if Builtin::from_name(&f.name).is_some()
                        || matches!(self.names.get(f.name.as_str()), Some(NameRef::Brackets(_)))
                    {
                        continue;
                    }
                    match self.names.get(f.name.as_str()).copied() {
                        Some(NameRef::Table(t)) => out.push((Node::Table(t), f.span)),
                        Some(NameRef::Def(i)) => out.push((Node::Def(i), f.span)),
                        Some(NameRef::Brackets(_)) => {}
                        None => {
                            let mut cands: Vec<&str> = Builtin::ALL.iter().map(|(n, _)| *n).collect();
                            cands.extend(self.tables.iter().map(|t| t.name.name.as_str()));
                            cands.extend(self.brackets.iter().map(|b| b.name.name.as_str()));
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
