//! The what-if REPL (docs/language.md section 8): its backend.
//!
//! [`Session`] holds the agreement being explored (its source text, which
//! statements typed in the REPL edit), the overrides kept with `set`, and
//! the current outcome. Its commands return data: [`Session::what_if`]
//! ([`WhatIf`]), [`Session::solve`] ([`Solution`]), [`Session::sweep`]
//! ([`Sweep`]), [`Session::explain`] (an explain tree),
//! [`Session::breakdown`] (a [`Breakdown`]). The line-oriented handler
//! `Session::handle` and the text it answers with live in `render`; `front`
//! is the thin rustyline front end and the piped mode (with the `cli`
//! feature).

mod changes;
pub mod input;
pub mod render;
mod solve;
mod table;

use changes::Changes;
pub use changes::{Action, Edit, Figure, FigureKind, RequirementChange, WhatIf};
pub use solve::{Candidate, Jump, Run, Solution, SolveResult, Sweep, SweepFigures, SweepRow};

use crate::agreement::{Agreement, Source};
use crate::api::Breakdown;
use crate::diag::{did_you_mean, render as render_diagnostic, Diagnostic, Style};
use crate::eval::{coerce, Inputs, Outcome};
use crate::explain::Node;
use crate::program::{Builtin, SlotId, SlotKind};
use crate::span::Span;
use crate::syntax::ast::{ExprKind, Stmt, StmtKind};
use crate::syntax::{parse, parse_expr};
use crate::value::Value;
use input::{find_assign, is_ident, split_commas, trim_span, word_at};
use std::path::{Path, PathBuf};

pub use input::is_incomplete;

/// Diagnostics, each with the text it points into.
pub type Diags = Vec<(Diagnostic, Source)>;

/// An error of a session command: every diagnostic, each with the text it
/// points into (the agreement, or the REPL line).
#[derive(Clone, Debug)]
pub struct Error(pub(crate) Diags);

impl Error {
    /// The diagnostics, each with its text.
    pub fn diagnostics(&self) -> &[(Diagnostic, Source)] {
        &self.0
    }

    /// The diagnostics, taken out.
    pub fn into_diagnostics(self) -> Diags {
        self.0
    }

    /// The diagnostics rendered against their texts.
    pub fn render(&self, style: Style) -> String {
        self.0
            .iter()
            .map(|(d, s)| render_diagnostic(d, &s.name, &s.text, style))
            .collect()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.first() {
            Some((d, s)) => write!(f, "{}: {}", s.name, d.message),
            None => write!(f, "the session command failed"),
        }
    }
}

impl std::error::Error for Error {}

/// What an expression or statement line did.
#[derive(Clone, Debug)]
pub(crate) enum Entered {
    /// An expression's value.
    Value(Value),
    /// Statements edited the agreement.
    Edit(Edit),
}

/// The name under which the REPL's own lines are shown in diagnostics.
pub const LINE_NAME: &str = "<repl>";

/// An agreement with hidden cells: it, their slots, where each landed.
pub(crate) type Probed = (Agreement, Vec<SlotId>, Vec<(usize, Span)>);

/// The hidden cell used to evaluate an expression that uses names.
const PROBE: &str = "__repl_value";

/// An agreement, its overrides and its outcome.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub(crate) agreement: Agreement,
    pub(crate) inputs: Inputs,
    pub(crate) outcome: Result<Outcome, Diagnostic>,
}

impl State {
    fn new(agreement: Agreement, inputs: Inputs) -> State {
        let outcome = agreement.evaluate_outcome(&inputs);
        State {
            agreement,
            inputs,
            outcome,
        }
    }

    /// `self.inputs` carried over to another version of the agreement, by
    /// name; the names that no longer fit.
    fn carry_inputs(&self, to: &Agreement) -> (Inputs, Vec<String>) {
        let from = &self.agreement.program;
        let mut inputs = to.raw_inputs();
        let mut dropped = Vec::new();
        for (slot, v) in self.inputs.iter() {
            let name = &from.slots[slot].name;
            let fit = to.program.slot(name).and_then(|s| {
                let sl = &to.program.slots[s];
                (sl.kind == SlotKind::Input)
                    .then(|| coerce(v, sl.ty))
                    .flatten()
                    .map(|v| (s, v))
            });
            match fit {
                Some((s, v)) => inputs.set(s, v),
                None => dropped.push(name.clone()),
            }
        }
        (inputs, dropped)
    }
}

/// One REPL session.
#[derive(Clone, Debug, Default)]
pub struct Session {
    path: Option<PathBuf>,
    name: String,
    state: Option<State>,
    undo: Vec<String>,
}

fn line_source(input: &str) -> Source {
    Source {
        name: LINE_NAME.into(),
        text: input.to_string(),
    }
}

fn err_at(input: &str, d: Diagnostic) -> Diags {
    vec![(d, line_source(input))]
}

fn usage(input: &str, span: Span, msg: &str, help: &str) -> Diags {
    err_at(
        input,
        Diagnostic::error(crate::codes::REPL_USAGE, msg)
            .primary(span, "here")
            .help(help),
    )
}

/// The `NAME = VALUE` parts of the comma list in `input[span]`, one at a
/// time: the trimmed name's span and the value's span, or a usage error.
fn assignments<'a>(
    input: &'a str,
    span: Span,
    expected: &'a str,
    example: &'a str,
) -> impl Iterator<Item = Result<(Span, Span), Diags>> + 'a {
    split_commas(input, span).into_iter().map(move |part| {
        let part = trim_span(input, part);
        let eq = find_assign(input, part).ok_or_else(|| usage(input, part, expected, example))?;
        Ok((
            trim_span(input, Span::new(part.start, eq)),
            Span::new(eq + 1, part.end),
        ))
    })
}

fn no_agreement(input: &str) -> Diags {
    err_at(
        input,
        Diagnostic::error(crate::codes::REPL_NO_AGREEMENT, "no agreement is loaded")
            .primary(Span::new(0, input.trim_end().len()), "needs an agreement")
            .help("`:load FILE`, or start one with `price = 100.00 USD`"),
    )
}

/// Maps diagnostics from a compile of `combined` (where `input[from]` was
/// put at `at`) back to the input line when they point only into it;
/// the others are shown against `combined`.
fn map_back(
    diags: Vec<Diagnostic>,
    input: &str,
    inserts: &[(usize, Span)],
    combined: &Source,
) -> Diags {
    let mut out = Vec::new();
    for d in diags.into_iter().filter(Diagnostic::is_error) {
        let inside = |at: usize, len: usize, sp: Span| sp.start >= at && sp.end <= at + len;
        // Home: the insert holding the main label; labels elsewhere (the
        // hidden probe cell, other statements) are dropped.
        let home = d
            .main_span()
            .and_then(|m| inserts.iter().find(|(at, from)| inside(*at, from.len(), m)));
        match home {
            Some(&(at, from)) => {
                let mut d = d;
                d.labels.retain(|l| inside(at, from.len(), l.span));
                for l in &mut d.labels {
                    l.span =
                        Span::new(l.span.start - at + from.start, l.span.end - at + from.start);
                }
                out.push((d, line_source(input)));
            }
            None => out.push((d, combined.clone())),
        }
    }
    out
}

impl Session {
    /// A session with no agreement.
    pub fn new() -> Session {
        Session::default()
    }

    /// A session on the agreement in `path`.
    pub fn open(path: &Path) -> Result<Session, Error> {
        let mut s = Session::new();
        let a = Agreement::load_failure(path)
            .map_err(|f| {
                f.diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .map(|d| (d, f.source.clone()))
                    .collect::<Diags>()
            })
            .map_err(Error)?;
        s.path = Some(path.to_path_buf());
        s.name = a.source.name.clone();
        let inputs = a.raw_inputs();
        s.state = Some(State::new(a, inputs));
        Ok(s)
    }

    /// A session on an agreement given as text.
    pub fn from_text(name: &str, text: &str) -> Result<Session, Error> {
        let a = Agreement::compile_failure(name, text)
            .map_err(|f| {
                f.diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .map(|d| (d, f.source.clone()))
                    .collect::<Diags>()
            })
            .map_err(Error)?;
        let inputs = a.raw_inputs();
        Ok(Session {
            path: None,
            name: name.to_string(),
            state: Some(State::new(a, inputs)),
            undo: Vec::new(),
        })
    }

    /// The current agreement, if any.
    pub fn agreement(&self) -> Option<&Agreement> {
        self.state.as_ref().map(|s| &s.agreement)
    }

    /// The current outcome, if an agreement is loaded and evaluates.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.state.as_ref().and_then(|s| s.outcome.as_ref().ok())
    }

    /// The names the agreement defines (values, tables and brackets), for completion.
    pub fn names(&self) -> Vec<String> {
        let Some(a) = self.agreement() else {
            return Vec::new();
        };
        let p = &a.program;
        p.slots
            .iter()
            .map(|s| s.name.clone())
            .chain(p.tables.iter().map(|t| t.name.clone()))
            .chain(p.brackets.iter().map(|b| b.name.clone()))
            .collect()
    }

    /// The breakdown of one sale with the session's values (`:show`).
    ///
    /// ```
    /// use splitdsl::repl::Session;
    /// let mut s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
    ///     .map_err(|e| e.to_string())?;
    /// s.handle("set price = 30.00 USD");
    /// let b = s.breakdown().map_err(|e| e.to_string())?;
    /// assert_eq!(b.get("p").map(|v| v.to_string()).as_deref(), Some("15.00 USD"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn breakdown(&self) -> Result<Breakdown, Error> {
        let st = self.state("").map_err(Error)?;
        match &st.outcome {
            Ok(out) => Ok(Breakdown::new(&st.agreement, out)),
            Err(d) => Err(Error(vec![(d.clone(), st.agreement.source.clone())])),
        }
    }

    /// The value of an expression in the current sale (names allowed):
    /// what the REPL prints for an expression line.
    ///
    /// ```
    /// use splitdsl::repl::Session;
    /// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
    ///     .map_err(|e| e.to_string())?;
    /// assert_eq!(s.value("p + 1.00 USD").map_err(|e| e.to_string())?.to_string(), "6.00 USD");
    /// # Ok::<(), String>(())
    /// ```
    pub fn value(&self, expr: &str) -> Result<Value, Error> {
        self.eval_in(expr, Span::new(0, expr.len())).map_err(Error)
    }

    /// Each named input or formula changed, the session unchanged: every
    /// figure before and after. An input takes a value (`"197.00 USD"`, an
    /// expression); a cell, fee or share a new formula. Diagnostics point
    /// into the line `NAME = EXPR, …` built from `changes`.
    ///
    /// ```
    /// use splitdsl::repl::Session;
    /// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\nshare q = remaining\n")
    ///     .map_err(|e| e.to_string())?;
    /// let w = s.what_if(&[("p", "20% of price")]).map_err(|e| e.to_string())?;
    /// let q = w.figure("q").expect("q");
    /// assert_eq!(w.difference(q).map(|d| d.to_string()).as_deref(), Some("3.00"));
    /// assert!(s.what_if(&[("nope", "1")]).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn what_if(&self, changes: &[(&str, &str)]) -> Result<WhatIf, Error> {
        let line = changes
            .iter()
            .map(|(n, e)| format!("{n} = {e}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.what_if_at(&line, Span::new(0, line.len()))
            .map_err(Error)
    }

    /// Goal seek: the value of the input `name` that makes `target` equal
    /// `goal` (both expressions, evaluated again for every candidate), the
    /// other values that hit, and every candidate tried. Diagnostics point
    /// into the line `NAME so that TARGET = GOAL`.
    ///
    /// ```
    /// use splitdsl::repl::{Session, SolveResult};
    /// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
    ///     .map_err(|e| e.to_string())?;
    /// let sol = s.solve("price", "p", "40.00 USD").map_err(|e| e.to_string())?;
    /// let SolveResult::Found { value, .. } = &sol.result else { panic!("{sol:?}") };
    /// assert_eq!(value.to_string(), "80.00 USD");
    /// # Ok::<(), String>(())
    /// ```
    pub fn solve(&self, name: &str, target: &str, goal: &str) -> Result<Solution, Error> {
        let line = format!("{name} so that {target} = {goal}");
        solve::solve(self, &line, Span::new(0, line.len())).map_err(Error)
    }

    /// One row per value of the input `name` from `from` toward `to` by
    /// `step` (a date steps in days: `"7"`, `"7 days"`): every fee and
    /// share, the unallocated rest, how many requirements fail. Diagnostics
    /// point into the line `NAME from A to B step S`.
    ///
    /// ```
    /// use splitdsl::repl::Session;
    /// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
    ///     .map_err(|e| e.to_string())?;
    /// let sw = s.sweep("price", "10", "30", "10").map_err(|e| e.to_string())?;
    /// assert_eq!(sw.rows.len(), 3);
    /// let last = sw.rows[2].figures.as_ref().map_err(|d| d.message.clone())?;
    /// assert_eq!(last.amounts[0].to_string(), "15.00");
    /// # Ok::<(), String>(())
    /// ```
    pub fn sweep(&self, name: &str, from: &str, to: &str, step: &str) -> Result<Sweep, Error> {
        let line = format!("{name} from {from} to {to} step {step}");
        solve::sweep(self, &line, Span::new(0, line.len())).map_err(Error)
    }

    /// How the value named `name` was derived, as a tree (`explain NAME`).
    ///
    /// ```
    /// use splitdsl::repl::Session;
    /// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
    ///     .map_err(|e| e.to_string())?;
    /// let tree = s.explain("p").map_err(|e| e.to_string())?;
    /// assert!(tree.text.starts_with("p = 5.00 USD"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn explain(&self, name: &str) -> Result<Node, Error> {
        self.explain_at(name, Span::new(0, name.len()))
            .map_err(Error)
    }

    /// Loads the agreement in `path`; the overrides that no longer fit
    /// when it is the session's own file again (`:reload`).
    fn load(&mut self, path: &Path) -> Result<Vec<String>, Diags> {
        let carried = self.state.take();
        match Session::open(path) {
            Ok(mut s) => {
                let mut notes = Vec::new();
                if let (Some(old), Some(new)) = (&carried, &mut s.state) {
                    if self.path.as_deref() == Some(path) {
                        let (inputs, dropped) = old.carry_inputs(&new.agreement);
                        *new = State::new(new.agreement.clone(), inputs);
                        notes = dropped;
                    }
                }
                *self = s;
                Ok(notes)
            }
            Err(d) => {
                self.state = carried;
                Err(d.0)
            }
        }
    }

    /// `:undo`: None when there is nothing to undo.
    fn undo_edit(&mut self, input: &str) -> Result<Option<Edit>, Diags> {
        let Some(text) = self.undo.pop() else {
            return Ok(None);
        };
        let r = self.replace_text(input, &text, Vec::new(), vec![Action::Undone])?;
        self.undo.pop();
        Ok(Some(r))
    }

    /// `:save FILE`.
    fn save(&self, input: &str, arg: &str, arg_span: Span) -> Result<(), Diags> {
        let st = self.state(input)?;
        std::fs::write(arg, &st.agreement.source.text).map_err(|e| {
            usage(
                input,
                arg_span,
                &format!("cannot write `{arg}`: {e}"),
                "check the path and its permissions",
            )
        })
    }

    fn state(&self, input: &str) -> Result<&State, Diags> {
        self.state.as_ref().ok_or_else(|| no_agreement(input))
    }

    /// Evaluates `input[span]` in the current state (names allowed).
    pub(crate) fn eval_in(&self, input: &str, span: Span) -> Result<Value, Diags> {
        let span = trim_span(input, span);
        let text = span.text(input);
        if text.is_empty() {
            return Err(usage(
                input,
                Span::new(span.start, span.start),
                "expected a value",
                "write an expression, e.g. `197.00 USD`",
            ));
        }
        let expr = parse_expr(text).map_err(|d| err_at(input, d.shifted(span.start)))?;
        if !uses_names(&expr) {
            let scratch;
            let agreement = match &self.state {
                Some(st) => &st.agreement,
                None => {
                    scratch = Agreement::compile_failure("<scratch>", "price = 0.00 USD\n")
                        .map_err(|_| no_agreement(input))?;
                    &scratch
                }
            };
            return agreement
                .constant(&expr)
                .map_err(|d| err_at(input, d.shifted(span.start)));
        }
        let st = self.state(input)?;
        // Only the new line is parsed; the agreement's tree is reused.
        let (a, slots, inserts) = self.with_probes(input, &[span])?;
        let (inputs, _) = st.carry_inputs(&a);
        let out = a
            .evaluate_outcome(&inputs)
            .map_err(|d| map_back(vec![d], input, &inserts, &a.source))?;
        slots
            .first()
            .and_then(|s| out.value(*s))
            .ok_or_else(|| no_agreement(input))
    }

    /// The session's agreement with one hidden cell per span of `input`
    /// (`__repl_value_0 = input[spans[0]]`, …), compiled, with those cells'
    /// slots, and where each span landed in the text (for [`map_back`]):
    /// an expression's value, or ones `solve` evaluates for every candidate.
    pub(crate) fn with_probes(&self, input: &str, spans: &[Span]) -> Result<Probed, Diags> {
        let st = self.state(input)?;
        let base = &st.agreement.source.text;
        // `edited` puts a line break between the text and what is appended.
        let mut at = base.len() + usize::from(!base.is_empty() && !base.ends_with('\n'));
        let mut append = String::new();
        let mut inserts = Vec::with_capacity(spans.len());
        let names: Vec<String> = (0..spans.len()).map(|i| format!("{PROBE}_{i}")).collect();
        for (name, span) in names.iter().zip(spans) {
            let span = trim_span(input, *span);
            let head = format!("{name} = ");
            at += head.len();
            append.push_str(&head);
            inserts.push((at, span));
            append.push_str(span.text(input));
            append.push('\n');
            at += span.len() + 1;
        }
        let a = st
            .agreement
            .edited(&[], &append)
            .map_err(|f| map_back(f.diagnostics, input, &inserts, &f.source))?;
        let slots = names
            .iter()
            .map(|n| a.program.slot(n))
            .collect::<Option<Vec<SlotId>>>()
            .ok_or_else(|| no_agreement(input))?;
        Ok((a, slots, inserts))
    }

    /// The value of `input[span]` for the input `slot`, fitted to its kind.
    pub(crate) fn input_value(
        &self,
        input: &str,
        span: Span,
        slot: SlotId,
    ) -> Result<Value, Diags> {
        let st = self.state(input)?;
        let v = self.eval_in(input, span)?;
        let span = trim_span(input, span);
        // As `--set`: a percent is never made money.
        match parse_expr(span.text(input)) {
            Ok(expr) => st.agreement.fit_expr(slot, v, &expr, span.start),
            Err(_) => st.agreement.fit(slot, v, span),
        }
        .map_err(|d| err_at(input, d))
    }

    /// The input named by `input[span]`.
    pub(crate) fn input_slot(&self, input: &str, span: Span) -> Result<SlotId, Diags> {
        let st = self.state(input)?;
        let span = trim_span(input, span);
        let name = span.text(input);
        st.agreement
            .input_slot(name, span)
            .map_err(|d| err_at(input, d))
    }

    fn expression_or_statement(&mut self, input: &str, start: usize) -> Result<Entered, Diags> {
        let body = &input[start..];
        match parse_expr(body) {
            Ok(_) => {
                let v = self.eval_in(input, Span::new(start, input.len()))?;
                Ok(Entered::Value(v))
            }
            Err(expr_err) => {
                let (file, diags) = parse(body);
                if diags.is_empty() && !file.stmts.is_empty() {
                    return self
                        .statements(input, start, &file.stmts)
                        .map(Entered::Edit);
                }
                if looks_like_statement(body) {
                    let diags = diags
                        .into_iter()
                        .map(|d| (d.shifted(start), line_source(input)));
                    Err(diags.collect())
                } else {
                    Err(err_at(input, expr_err.shifted(start)))
                }
            }
        }
    }

    /// Adds or replaces `stmts` (parsed from `input[start..]`).
    fn statements(&mut self, input: &str, start: usize, stmts: &[Stmt]) -> Result<Edit, Diags> {
        let base = match &self.state {
            Some(st) => st.agreement.source.text.clone(),
            None => String::new(),
        };
        let mut text = base;
        let mut inserts: Vec<(usize, Span)> = Vec::new();
        let mut done = Vec::new();
        for stmt in stmts {
            let from = Span::new(stmt.span.start + start, stmt.span.end + start);
            let (file, _) = parse(&text);
            let (replace, new_from, what) = placement(&file.stmts, stmt, &text, from);
            let new_text = new_from.text(input);
            let (at, removed) = match replace {
                Some(r) => (r.start, r.len()),
                None => {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    (text.len(), 0)
                }
            };
            let mut next = String::with_capacity(text.len() + new_text.len() + 1);
            next.push_str(&text[..at]);
            next.push_str(new_text);
            if replace.is_none() {
                next.push('\n');
            }
            next.push_str(&text[at + removed..]);
            for (off, _) in &mut inserts {
                if *off >= at + removed {
                    *off = *off + new_text.len() - removed;
                }
            }
            inserts.push((at, new_from));
            text = next;
            done.push(what);
        }
        self.replace_text_mapped(input, &text, &inserts, done)
    }

    fn replace_text(
        &mut self,
        input: &str,
        text: &str,
        inserts: Vec<(usize, Span)>,
        what: Vec<Action>,
    ) -> Result<Edit, Diags> {
        self.replace_text_mapped(input, text, &inserts, what)
    }

    /// Recompiles with `text`; on success the session moves to it, and the
    /// answer lists what changed.
    fn replace_text_mapped(
        &mut self,
        input: &str,
        text: &str,
        inserts: &[(usize, Span)],
        actions: Vec<Action>,
    ) -> Result<Edit, Diags> {
        let name = if self.name.is_empty() {
            LINE_NAME.to_string()
        } else {
            self.name.clone()
        };
        let a = Agreement::compile_failure(&name, text)
            .map_err(|f| map_back(f.diagnostics, input, inserts, &f.source))?;
        let (inputs, dropped) = match &self.state {
            Some(st) => st.carry_inputs(&a),
            None => (a.raw_inputs(), Vec::new()),
        };
        let new = State::new(a, inputs);
        if let Err(d) = &new.outcome {
            let mut diags = map_back(vec![d.clone()], input, inserts, &new.agreement.source);
            diags.push((
                Diagnostic::error(
                    crate::codes::REPL_EDIT_REJECTED,
                    "the edit was not applied: with it the sale cannot be evaluated",
                )
                .help("change the statement, or `reset` the overrides that break it"),
                line_source(input),
            ));
            return Err(diags);
        }
        let mut changes = None;
        if let Some(old) = &self.state {
            if let Ok(ao) = &new.outcome {
                changes = Some(WhatIf::between(
                    &old.agreement.program,
                    old.outcome.as_ref().ok(),
                    &new.agreement.program,
                    ao,
                ));
            }
            self.undo.push(old.agreement.source.text.clone());
        }
        let after_nothing = after_remaining(&new, inserts);
        self.state = Some(new);
        Ok(Edit {
            actions,
            dropped,
            changes,
            after_nothing,
        })
    }

    /// `what if` on `input[span]` (`NAME = VALUE, …`).
    fn what_if_at(&self, input: &str, span: Span) -> Result<WhatIf, Diags> {
        self.what_if_with(input, span, |c| c.owned())
    }

    /// What `what if` on `input[span]` changes, handed to `finish` (which
    /// renders it, or makes it a [`WhatIf`]) while the programs it borrows
    /// from are alive.
    fn what_if_with<T>(
        &self,
        input: &str,
        span: Span,
        finish: impl FnOnce(&Changes<'_>) -> T,
    ) -> Result<T, Diags> {
        let st = self.state(input)?;
        let mut overrides: Vec<(SlotId, Value)> = Vec::new();
        let mut formulas: Vec<(String, Span, Span)> = Vec::new(); // name, its span, formula span
        for part in assignments(
            input,
            span,
            "expected `NAME = VALUE`",
            "write e.g. `what if price = 197.00 USD, rate = 10%`",
        ) {
            let (name_span, value_span) = part?;
            let name = name_span.text(input);
            let p = &st.agreement.program;
            match p.slot(name) {
                Some(s) if p.slots[s].kind == SlotKind::Input => {
                    let v = self.input_value(input, value_span, s)?;
                    overrides.push((s, v));
                }
                Some(_) => formulas.push((name.to_string(), name_span, value_span)),
                None => {
                    // Reuse the input error (with its near-name help).
                    self.input_slot(input, name_span)?;
                }
            }
        }
        if formulas.is_empty() {
            // Only inputs change: recalculate what depends on them.
            let mut inputs = st.inputs.clone();
            let mut changed = Vec::new();
            for (s, v) in &overrides {
                inputs.set(*s, *v);
                changed.push(*s);
            }
            let p = &st.agreement.program;
            let outcome = match &st.outcome {
                Ok(base) => {
                    let mut out = base.clone();
                    p.reevaluate(&inputs, &changed, &mut out).map(|_| out)
                }
                Err(_) => st.agreement.evaluate_outcome(&inputs),
            };
            return match outcome {
                Ok(out) => Ok(finish(&Changes::between(
                    p,
                    st.outcome.as_ref().ok(),
                    p,
                    &out,
                ))),
                Err(d) => Err(vec![(d, st.agreement.source.clone())]),
            };
        }
        let after = {
            // Formulas change: edit a copy of the text and recompile. The
            // formulas are found in the session's tree (no parse), and
            // spliced from the last to the first so earlier spans hold.
            let mut edits: Vec<(Span, Span)> = Vec::new(); // formula in base, value in input
            for (name, name_span, value_span) in &formulas {
                let value_span = trim_span(input, *value_span);
                let Some(target) = st
                    .agreement
                    .ast
                    .stmts
                    .iter()
                    .find_map(|s| formula_span(s, name))
                else {
                    if let Some(group) = group_of(&st.agreement.ast.stmts, name) {
                        return Err(usage(
                            input,
                            *name_span,
                            &format!("`{name}` is a member of the share group {group}: its part follows the group's amount and weights"),
                            "change the group's amount by typing its statement again, or an input its amount or weights use",
                        ));
                    }
                    return Err(usage(
                        input,
                        *name_span,
                        &format!("`{name}` has no formula to change"),
                        "what if changes inputs and the formulas of cells, fees and shares",
                    ));
                };
                edits.push((target, value_span));
            }
            edits.sort_by_key(|(target, _)| target.start);
            edits.dedup_by_key(|(target, _)| target.start);
            // Where each new formula starts in the edited text, for diagnostics.
            let mut inserts: Vec<(usize, Span)> = Vec::new();
            let mut shift: isize = 0;
            for (target, value_span) in &edits {
                let at = target.start.saturating_add_signed(shift);
                inserts.push((at, *value_span));
                shift += value_span.len() as isize - target.len() as isize;
            }
            // Only the new formulas are parsed; the agreement's tree is reused.
            let texts: Vec<(Span, &str)> = edits
                .iter()
                .map(|(target, value_span)| (*target, value_span.text(input)))
                .collect();
            let a = st
                .agreement
                .edited(&texts, "")
                .map_err(|f| map_back(f.diagnostics, input, &inserts, &f.source))?;
            let (mut inputs, _) = st.carry_inputs(&a);
            for (s, v) in &overrides {
                let name = &st.agreement.program.slots[*s].name;
                if let Some(ns) = a.program.slot(name) {
                    inputs.set(ns, *v);
                }
            }
            State::new(a, inputs)
        };
        match &after.outcome {
            Ok(ao) => Ok(finish(&Changes::between(
                &st.agreement.program,
                st.outcome.as_ref().ok(),
                &after.agreement.program,
                ao,
            ))),
            Err(d) => Err(vec![(d.clone(), after.agreement.source.clone())]),
        }
    }

    /// `set NAME = VALUE, …` on `input[span]`.
    fn set_at(&mut self, input: &str, span: Span) -> Result<WhatIf, Diags> {
        let mut new_inputs = self.state(input)?.inputs.clone();
        let mut changed = Vec::new();
        for part in assignments(
            input,
            span,
            "expected `set NAME = VALUE`",
            "write e.g. `set price = 197.00 USD`",
        ) {
            let (name_span, value_span) = part?;
            let st = self.state(input)?;
            let name = name_span.text(input);
            if let Some(s) = st.agreement.program.slot(name) {
                if st.agreement.program.slots[s].kind != SlotKind::Input {
                    return Err(err_at(
                        input,
                        Diagnostic::error(
                            crate::codes::INPUT_NOT_INPUT,
                            format!("`{name}` is not an input: `set` keeps an input's value"),
                        )
                        .primary(name_span, "a formula")
                        .help(format!(
                            "to change its formula type `{name} = …`; to try it first, `what if {name} = …`"
                        )),
                    ));
                }
            }
            let s = self.input_slot(input, name_span)?;
            let v = self.input_value(input, value_span, s)?;
            new_inputs.set(s, v);
            changed.push(s);
        }
        self.apply_inputs(input, new_inputs, &changed)
    }

    /// `reset [NAME, …]` on `input[span]`; None when there was no override.
    fn reset_at(&mut self, input: &str, span: Span) -> Result<Option<WhatIf>, Diags> {
        let st = self.state(input)?;
        let mut inputs = st.inputs.clone();
        let mut changed = Vec::new();
        let span = trim_span(input, span);
        if span.is_empty() {
            changed.extend(inputs.iter().map(|(s, _)| s));
            inputs.clear();
        } else {
            for part in split_commas(input, span) {
                let s = self.input_slot(input, part)?;
                inputs.unset(s);
                changed.push(s);
            }
        }
        if changed.is_empty() {
            return Ok(None);
        }
        self.apply_inputs(input, inputs, &changed).map(Some)
    }

    fn apply_inputs(
        &mut self,
        input: &str,
        inputs: Inputs,
        changed: &[SlotId],
    ) -> Result<WhatIf, Diags> {
        let st = self.state(input)?;
        let p = &st.agreement.program;
        let outcome = match &st.outcome {
            Ok(base) => {
                let mut out = base.clone();
                p.reevaluate(&inputs, changed, &mut out).map(|_| out)
            }
            Err(_) => st.agreement.evaluate_outcome(&inputs),
        };
        let out = outcome.map_err(|d| vec![(d, st.agreement.source.clone())])?;
        let changes = WhatIf::between(p, st.outcome.as_ref().ok(), p, &out);
        if let Some(st) = &mut self.state {
            st.inputs = inputs;
            st.outcome = Ok(out);
        }
        Ok(changes)
    }

    /// `explain NAME` on `input[span]`.
    fn explain_at(&self, input: &str, span: Span) -> Result<Node, Diags> {
        let st = self.state(input)?;
        let span = trim_span(input, span);
        let name = span.text(input);
        let p = &st.agreement.program;
        if let Err(d) = &st.outcome {
            return Err(vec![(d.clone(), st.agreement.source.clone())]);
        }
        match p.slot(name) {
            Some(s) => crate::explain::tree(&st.agreement, &st.inputs, s)
                .map_err(|d| vec![(d, st.agreement.source.clone())]),
            None => {
                let names = p.slots.iter().map(|s| s.name.as_str());
                let help = match did_you_mean(name, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "explain takes the name of an input, cell, fee or share".into(),
                };
                Err(err_at(
                    input,
                    Diagnostic::error(
                        crate::codes::NAME_UNKNOWN,
                        format!("the agreement has no value named `{name}`"),
                    )
                    .primary(span, "unknown name")
                    .help(help),
                ))
            }
        }
    }

    /// `:move NAME before|after OTHER` on `input[span]`; None when there
    /// is nothing to move.
    fn move_deduction(&mut self, input: &str, span: Span) -> Result<Option<Edit>, Diags> {
        let st = self.state(input)?;
        let words: Vec<Span> = {
            let mut v = Vec::new();
            let mut pos = span.start;
            while let Some(w) = word_at(input, pos) {
                if w.start >= span.end {
                    break;
                }
                v.push(w);
                pos = w.end;
            }
            v
        };
        let bad = || {
            usage(
                input,
                span,
                "expected `:move NAME before OTHER` or `:move NAME after OTHER`",
                "both must be fees or shares; the deduction order is the file order",
            )
        };
        let [who, rel, other] = words.as_slice() else {
            return Err(bad());
        };
        let before = match rel.text(input) {
            "before" => true,
            "after" => false,
            _ => return Err(bad()),
        };
        let text = &st.agreement.source.text;
        let (file, _) = parse(text);
        let find = |n: &str| {
            file.stmts
                .iter()
                .find(|s| matches!(&s.kind, StmtKind::Deduction { name, .. } if name.name == n))
        };
        let (Some(a), Some(b)) = (find(who.text(input)), find(other.text(input))) else {
            return Err(bad());
        };
        if a.span == b.span {
            return Ok(None);
        }
        let moved = a.span.text(text).to_string();
        // Remove the statement and its line break, then insert it at the target.
        let mut rest = String::new();
        let a_end = if text[a.span.end..].starts_with('\n') {
            a.span.end + 1
        } else {
            a.span.end
        };
        rest.push_str(&text[..a.span.start]);
        rest.push_str(&text[a_end..]);
        let shift = |pos: usize| {
            if pos >= a_end {
                pos - (a_end - a.span.start)
            } else {
                pos
            }
        };
        let at = if before {
            shift(b.span.start)
        } else {
            let end = shift(b.span.end);
            match rest[end..].find('\n') {
                Some(i) => end + i + 1,
                None => {
                    rest.push('\n');
                    rest.len()
                }
            }
        };
        let new_text = format!("{}{}\n{}", &rest[..at], moved, &rest[at..]);
        let what = Action::Moved {
            name: who.text(input).to_string(),
            before,
            other: other.text(input).to_string(),
        };
        self.replace_text(input, &new_text, Vec::new(), vec![what])
            .map(Some)
    }
}

/// Where a typed statement goes in the agreement's text: the span it
/// replaces (None: appended), the part of the input to put there, and what
/// happened.
fn placement(
    existing: &[Stmt],
    new: &Stmt,
    text: &str,
    from: Span,
) -> (Option<Span>, Span, Action) {
    let _ = text;
    let defined = |s: &Stmt| -> Option<(String, &'static str)> {
        match &s.kind {
            StmtKind::Input { name, .. } => Some((name.name.clone(), "input")),
            StmtKind::Cell { name, .. } if name.name == "price" => {
                Some((name.name.clone(), "price"))
            }
            StmtKind::Cell { name, .. } => Some((name.name.clone(), "cell")),
            StmtKind::Deduction { kind, name, .. } => Some((name.name.clone(), kind.keyword())),
            // A group share is known by its members, `(a, b, c)`.
            StmtKind::Group { members, .. } => {
                let names: Vec<&str> = members.iter().map(|m| m.name.name.as_str()).collect();
                Some((format!("({})", names.join(", ")), "share group"))
            }
            StmtKind::Table { name, .. } => Some((name.name.clone(), "table")),
            StmtKind::Brackets { name, .. } => Some((name.name.clone(), "brackets")),
            StmtKind::Running { name, .. } => Some((name.name.clone(), "running total")),
            _ => None,
        }
    };
    let same_kind = |s: &Stmt| match (&s.kind, &new.kind) {
        (StmtKind::Agreement { .. }, StmtKind::Agreement { .. })
        | (StmtKind::Rounding { .. }, StmtKind::Rounding { .. }) => true,
        (StmtKind::Example { name: a, .. }, StmtKind::Example { name: b, .. }) => {
            a.value == b.value
        }
        _ => false,
    };
    if let Some((name, kind)) = defined(new) {
        if let Some(old) = existing
            .iter()
            .find(|s| defined(s).is_some_and(|(n, _)| n == name))
        {
            let (_, old_kind) = defined(old).unwrap_or_default();
            // `NAME = EXPR` on an input, fee or share changes only its formula.
            if let (StmtKind::Cell { value, .. }, Some(f)) = (&new.kind, formula_span(old, &name)) {
                if old_kind != "cell" {
                    let vs = Span::new(
                        from.start + (value.span.start - new.span.start),
                        from.start + (value.span.end - new.span.start),
                    );
                    return (
                        Some(f),
                        vs,
                        Action::ChangedFormula {
                            kind: old_kind,
                            name,
                        },
                    );
                }
            }
            return (
                Some(old.span),
                from,
                Action::Replaced {
                    kind: old_kind,
                    name,
                },
            );
        }
        if kind == "price" {
            return (None, from, Action::AddedPrice);
        }
        return (None, from, Action::Added { kind, name });
    }
    if let Some(old) = existing.iter().find(|s| same_kind(s)) {
        let what = match &new.kind {
            StmtKind::Agreement { .. } => Action::ReplacedTitle,
            StmtKind::Rounding { .. } => Action::ReplacedRounding,
            _ => Action::ReplacedExample,
        };
        return (Some(old.span), from, what);
    }
    let what = match &new.kind {
        StmtKind::Require { .. } => Action::AddedRequirement,
        StmtKind::Example { .. } => Action::AddedExample,
        StmtKind::Agreement { .. } => Action::SetTitle,
        _ => Action::SetRounding,
    };
    (None, from, what)
}

/// The group share `name` is a member of, as `(a, b, c)`.
fn group_of(stmts: &[Stmt], name: &str) -> Option<String> {
    stmts.iter().find_map(|s| match &s.kind {
        StmtKind::Group { members, .. } if members.iter().any(|m| m.name.name == name) => {
            let names: Vec<&str> = members.iter().map(|m| m.name.name.as_str()).collect();
            Some(format!("({})", names.join(", ")))
        }
        _ => None,
    })
}

/// The span of the formula of the statement defining `name`.
fn formula_span(s: &Stmt, name: &str) -> Option<Span> {
    match &s.kind {
        StmtKind::Input { name: n, value }
        | StmtKind::Cell { name: n, value }
        | StmtKind::Deduction { name: n, value, .. }
            if n.name == name =>
        {
            Some(value.span)
        }
        _ => None,
    }
}

/// The fees and shares added after one that leaves nothing: each with the
/// one before it.
fn after_remaining(st: &State, inserts: &[(usize, Span)]) -> Vec<(String, String)> {
    let (Ok(out), p) = (&st.outcome, &st.agreement.program) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for (k, d) in p.deductions.iter().enumerate() {
        let s = &p.slots[d.slot];
        let added = inserts.iter().any(|(at, _)| s.stmt_span.start == *at);
        let pool = out.pools.get(k).copied().unwrap_or_default();
        if added && pool.is_zero() && k > 0 {
            let prev = &p.slots[p.deductions[k - 1].slot].name;
            notes.push((s.name.clone(), prev.clone()));
        }
    }
    notes
}

/// Whether `expr` reads the agreement (a name, `remaining`, a table).
pub(crate) fn uses_names(expr: &crate::syntax::ast::Expr) -> bool {
    let mut uses = false;
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Name(_) | ExprKind::Remaining => uses = true,
        ExprKind::Call(f, _) if Builtin::from_name(&f.name).is_none() => uses = true,
        _ => {}
    });
    uses
}

fn looks_like_statement(body: &str) -> bool {
    let first = word_at(body, 0).map(|w| w.text(body)).unwrap_or("");
    if matches!(
        first,
        "agreement" | "rounding" | "input" | "fee" | "share" | "table" | "require" | "example"
    ) {
        return true;
    }
    is_ident(first) && find_assign(body, Span::new(0, body.len())).is_some()
}
