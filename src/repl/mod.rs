//! The what-if REPL (docs/language.md section 8).
//!
//! [`Session`] holds the agreement being explored (its source text, which
//! statements typed in the REPL edit), the overrides kept with `set`, and
//! the current outcome. [`Session::handle`] takes one entry and returns a
//! [`Reply`]: the answer text and diagnostics. It knows nothing of terminals;
//! `front` is the thin rustyline front end and the piped mode (with the `cli`
//! feature).

#[cfg(feature = "cli")]
pub mod front;
pub mod input;
mod solve;
mod table;

use crate::agreement::{Agreement, Source};
use crate::diag::{did_you_mean, render, Diagnostic, Style};
use crate::eval::{coerce, Inputs, Outcome};
use crate::program::{Builtin, SlotId, SlotKind};
use crate::span::Span;
use crate::syntax::ast::{ExprKind, Stmt, StmtKind};
use crate::syntax::{parse, parse_expr};
use crate::value::Value;
use input::{find_assign, is_ident, skip_ws, split_commas, trim_span, word_at};
use std::path::{Path, PathBuf};

pub use input::is_incomplete;

/// Diagnostics, each with the text it points into.
pub type Diags = Vec<(Diagnostic, Source)>;

/// The answer to one entry.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// What goes to stdout.
    pub output: String,
    /// What goes to stderr, rendered with [`Reply::render_diagnostics`].
    pub diagnostics: Diags,
    /// Whether the session should end.
    pub quit: bool,
}

impl Reply {
    fn text(output: impl Into<String>) -> Reply {
        Reply {
            output: output.into(),
            ..Reply::default()
        }
    }

    fn failed(diagnostics: Diags) -> Reply {
        Reply {
            diagnostics,
            ..Reply::default()
        }
    }

    /// The diagnostics rendered against their texts.
    pub fn render_diagnostics(&self, style: Style) -> String {
        self.diagnostics
            .iter()
            .map(|(d, s)| render(d, &s.name, &s.text, style))
            .collect()
    }
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
        let outcome = agreement.evaluate(&inputs);
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
        let mut inputs = to.inputs();
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

/// The REPL's commands, for `:help` and completion.
pub const COMMANDS: [(&str, &str); 16] = [
    ("what if", "what if NAME = VALUE[, NAME = VALUE]…   before / after / difference; the session is unchanged"),
    ("set", "set NAME = VALUE                        keep an input's value for the rest of the session"),
    ("reset", "reset [NAME]                            drop one override, or all"),
    ("explain", "explain NAME                            how NAME's value was derived"),
    ("solve", "solve NAME so that TARGET = VALUE       goal seek: the value of input NAME that gives TARGET = VALUE"),
    ("sweep", "sweep NAME from A to B step S           one row per value of NAME (a date steps in days), one column per deduction"),
    (":show", ":show                                   the breakdown of one sale"),
    (":source", ":source                                 the agreement's text, with the session's edits"),
    (":undo", ":undo                                   undo the last edit of the agreement"),
    (":move", ":move NAME before|after OTHER           move a fee or share in the deduction order"),
    (":save", ":save FILE                              write the edited agreement to FILE"),
    (":load", ":load FILE                              load another agreement"),
    (":reload", ":reload                                 read the file again (drops the session's edits)"),
    (":help", ":help                                   this list"),
    (":quit", ":quit                                   end the session (Ctrl-D too)"),
    ("", ""),
];

/// The answer to a command typed without its arguments: its form and an example.
fn usage_of(cmd: &str) -> Reply {
    let line = COMMANDS
        .iter()
        .find(|(c, _)| *c == cmd)
        .map_or(cmd, |(_, l)| l);
    let example = match cmd {
        "what if" => "what if price = 197.00 USD",
        "set" => "set price = 197.00 USD",
        "explain" => "explain price",
        "solve" => "solve price so that producer = 100.00 USD",
        _ => "sweep price from 50 to 500 step 50",
    };
    Reply::text(format!("usage: {line}\n  e.g. `{example}`\n"))
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
    pub fn open(path: &Path) -> Result<Session, Diags> {
        let mut s = Session::new();
        let a = Agreement::load(path).map_err(|f| {
            f.diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .map(|d| (d, f.source.clone()))
                .collect::<Diags>()
        })?;
        s.path = Some(path.to_path_buf());
        s.name = a.source.name.clone();
        let inputs = a.inputs();
        s.state = Some(State::new(a, inputs));
        Ok(s)
    }

    /// A session on an agreement given as text.
    pub fn from_text(name: &str, text: &str) -> Result<Session, Diags> {
        let a = Agreement::compile(name, text).map_err(|f| {
            f.diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .map(|d| (d, f.source.clone()))
                .collect::<Diags>()
        })?;
        let inputs = a.inputs();
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

    /// The names the agreement defines (values and tables), for completion.
    pub fn names(&self) -> Vec<String> {
        let Some(a) = self.agreement() else {
            return Vec::new();
        };
        let p = &a.program;
        p.slots
            .iter()
            .map(|s| s.name.clone())
            .chain(p.tables.iter().map(|t| t.name.clone()))
            .collect()
    }

    /// The breakdown of one sale with the session's values.
    pub fn breakdown(&self) -> Reply {
        let Some(st) = &self.state else {
            return Reply::text(
                "no agreement loaded: `:load FILE`, or type `price = 100.00 USD`\n",
            );
        };
        match &st.outcome {
            Ok(out) => {
                let p = &st.agreement.program;
                let (texts, _) =
                    crate::report::requirement_failures(p, out, &st.agreement.source.text);
                Reply::text(crate::report::table(p, out, &texts))
            }
            Err(d) => Reply::failed(vec![(d.clone(), st.agreement.source.clone())]),
        }
    }

    /// Handles one entry (one line, or several for a block).
    pub fn handle(&mut self, input: &str) -> Reply {
        let start = skip_ws(input, 0);
        let body = input.trim();
        if body.is_empty() || body.starts_with('#') {
            return Reply::default();
        }
        let result = if body.starts_with(':') {
            self.meta(input, start)
        } else {
            self.command(input, start)
        };
        match result {
            Ok(r) => r,
            Err(d) => Reply::failed(d),
        }
    }

    fn command(&mut self, input: &str, start: usize) -> Result<Reply, Diags> {
        let first = word_at(input, start);
        let first_word = first.map(|w| w.text(input)).unwrap_or("");
        let after_first = first.map_or(start, |w| w.end);
        let second = word_at(input, after_first);
        let second_word = second.map(|w| w.text(input)).unwrap_or("");
        // A command word followed by `=` is a statement defining that name.
        let assigns_first = input
            .get(skip_ws(input, after_first)..)
            .is_some_and(|r| r.starts_with('=') && !r.starts_with("=="));
        // A command word alone (unless the agreement has a value so named).
        let bare = input[after_first..].trim().is_empty()
            && self
                .agreement()
                .is_none_or(|a| a.program.slot(first_word).is_none());
        match first_word {
            "what" if second_word == "if" => {
                let from = second.map_or(after_first, |w| w.end);
                if input[from..].trim().is_empty() {
                    return Ok(usage_of("what if"));
                }
                self.what_if(input, Span::new(from, input.len()))
            }
            "set" | "explain" | "solve" | "sweep" if bare => Ok(usage_of(first_word)),
            "set" if !assigns_first && second.is_some() => {
                self.set(input, Span::new(after_first, input.len()))
            }
            "reset" if !assigns_first => self.reset(input, Span::new(after_first, input.len())),
            "explain" if !assigns_first && second.is_some() => {
                self.explain(input, Span::new(after_first, input.len()))
            }
            "solve" if !assigns_first && second.is_some() => {
                solve::solve(self, input, Span::new(after_first, input.len()))
            }
            "sweep" if !assigns_first && second.is_some() => {
                solve::sweep(self, input, Span::new(after_first, input.len()))
            }
            _ => self.expression_or_statement(input, start),
        }
    }

    fn meta(&mut self, input: &str, start: usize) -> Result<Reply, Diags> {
        let name_end = input[start..]
            .find(char::is_whitespace)
            .map_or(input.len(), |i| start + i);
        let cmd = &input[start..name_end];
        let arg = input[name_end..].trim();
        let arg_span = trim_span(input, Span::new(name_end, input.len()));
        match cmd {
            ":q" | ":quit" | ":exit" => Ok(Reply {
                quit: true,
                ..Reply::default()
            }),
            ":h" | ":help" | ":?" => Ok(Reply::text(help_text())),
            ":show" => Ok(self.breakdown()),
            ":source" => match &self.state {
                Some(st) => {
                    let mut t = st.agreement.source.text.clone();
                    if !t.ends_with('\n') {
                        t.push('\n');
                    }
                    Ok(Reply::text(t))
                }
                None => Err(no_agreement(input)),
            },
            ":load" => {
                if arg.is_empty() {
                    return Err(usage(
                        input,
                        Span::new(start, name_end),
                        "`:load` needs a file",
                        "write `:load examples/hotmart.split`",
                    ));
                }
                self.load(Path::new(arg))
            }
            ":reload" => match self.path.clone() {
                Some(p) => self.load(&p),
                None => Err(usage(
                    input,
                    Span::new(start, name_end),
                    "this session has no file to reload",
                    "`:load FILE` first",
                )),
            },
            ":undo" => {
                let Some(text) = self.undo.pop() else {
                    return Ok(Reply::text("nothing to undo\n"));
                };
                let r = self.replace_text(input, &text, Vec::new(), "undone")?;
                self.undo.pop();
                Ok(r)
            }
            ":save" => {
                let Some(st) = &self.state else {
                    return Err(no_agreement(input));
                };
                if arg.is_empty() {
                    return Err(usage(
                        input,
                        Span::new(start, name_end),
                        "`:save` needs a file",
                        "write `:save my-agreement.split`",
                    ));
                }
                std::fs::write(arg, &st.agreement.source.text).map_err(|e| {
                    usage(
                        input,
                        arg_span,
                        &format!("cannot write `{arg}`: {e}"),
                        "check the path and its permissions",
                    )
                })?;
                Ok(Reply::text(format!("saved to {arg}\n")))
            }
            ":move" => self.move_deduction(input, arg_span),
            _ => {
                let names = COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .filter(|c| c.starts_with(':'));
                let help = match did_you_mean(cmd, names) {
                    Some(s) => format!("did you mean `{s}`? `:help` lists the commands"),
                    None => "`:help` lists the commands".into(),
                };
                Err(usage(
                    input,
                    Span::new(start, name_end),
                    &format!("unknown command `{cmd}`"),
                    &help,
                ))
            }
        }
    }

    fn load(&mut self, path: &Path) -> Result<Reply, Diags> {
        let carried = self.state.take();
        match Session::open(path) {
            Ok(mut s) => {
                let mut notes = String::new();
                if let (Some(old), Some(new)) = (&carried, &mut s.state) {
                    if self.path.as_deref() == Some(path) {
                        let (inputs, dropped) = old.carry_inputs(&new.agreement);
                        *new = State::new(new.agreement.clone(), inputs);
                        for d in dropped {
                            notes.push_str(&format!(
                                "note: the override of `{d}` no longer fits and was dropped\n"
                            ));
                        }
                    }
                }
                *self = s;
                let mut r = self.breakdown();
                r.output = format!("loaded {}\n{notes}{}", self.name, r.output);
                Ok(r)
            }
            Err(d) => {
                self.state = carried;
                Err(d)
            }
        }
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
                    scratch = Agreement::compile("<scratch>", "price = 0.00 USD\n")
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
            .evaluate(&inputs)
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

    fn expression_or_statement(&mut self, input: &str, start: usize) -> Result<Reply, Diags> {
        let body = &input[start..];
        match parse_expr(body) {
            Ok(_) => {
                let v = self.eval_in(input, Span::new(start, input.len()))?;
                Ok(Reply::text(format!("{v}\n")))
            }
            Err(expr_err) => {
                let (file, diags) = parse(body);
                if diags.is_empty() && !file.stmts.is_empty() {
                    return self.statements(input, start, &file.stmts);
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
    fn statements(&mut self, input: &str, start: usize, stmts: &[Stmt]) -> Result<Reply, Diags> {
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
        let r = self.replace_text_mapped(input, &text, &inserts, &done.join("; "))?;
        Ok(r)
    }

    fn replace_text(
        &mut self,
        input: &str,
        text: &str,
        inserts: Vec<(usize, Span)>,
        what: &str,
    ) -> Result<Reply, Diags> {
        self.replace_text_mapped(input, text, &inserts, what)
    }

    /// Recompiles with `text`; on success the session moves to it, and the
    /// answer lists what changed.
    fn replace_text_mapped(
        &mut self,
        input: &str,
        text: &str,
        inserts: &[(usize, Span)],
        what: &str,
    ) -> Result<Reply, Diags> {
        let name = if self.name.is_empty() {
            LINE_NAME.to_string()
        } else {
            self.name.clone()
        };
        let a = Agreement::compile(&name, text)
            .map_err(|f| map_back(f.diagnostics, input, inserts, &f.source))?;
        let (inputs, dropped) = match &self.state {
            Some(st) => st.carry_inputs(&a),
            None => (a.inputs(), Vec::new()),
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
        let mut out = format!("{what}\n");
        for d in dropped {
            out.push_str(&format!(
                "note: the override of `{d}` no longer fits and was dropped\n"
            ));
        }
        if let Some(old) = &self.state {
            out.push_str(&table::changes(old, &new, false));
            self.undo.push(old.agreement.source.text.clone());
        }
        out.push_str(&after_remaining_note(&new, inserts));
        self.state = Some(new);
        Ok(Reply::text(out))
    }

    fn what_if(&mut self, input: &str, span: Span) -> Result<Reply, Diags> {
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
                Err(_) => st.agreement.evaluate(&inputs),
            };
            return match outcome {
                Ok(out) => Ok(Reply::text(table::compare(
                    p,
                    st.outcome.as_ref().ok(),
                    p,
                    &out,
                    true,
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
        if let Err(d) = &after.outcome {
            return Err(vec![(d.clone(), after.agreement.source.clone())]);
        }
        Ok(Reply::text(table::changes(st, &after, true)))
    }

    fn set(&mut self, input: &str, span: Span) -> Result<Reply, Diags> {
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

    fn reset(&mut self, input: &str, span: Span) -> Result<Reply, Diags> {
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
            return Ok(Reply::text("no override to reset\n"));
        }
        self.apply_inputs(input, inputs, &changed)
    }

    fn apply_inputs(
        &mut self,
        input: &str,
        inputs: Inputs,
        changed: &[SlotId],
    ) -> Result<Reply, Diags> {
        let st = self.state(input)?;
        let p = &st.agreement.program;
        let outcome = match &st.outcome {
            Ok(base) => {
                let mut out = base.clone();
                p.reevaluate(&inputs, changed, &mut out).map(|_| out)
            }
            Err(_) => st.agreement.evaluate(&inputs),
        };
        let out = outcome.map_err(|d| vec![(d, st.agreement.source.clone())])?;
        let text = table::compare(p, st.outcome.as_ref().ok(), p, &out, false);
        if let Some(st) = &mut self.state {
            st.inputs = inputs;
            st.outcome = Ok(out);
        }
        Ok(Reply::text(text))
    }

    fn explain(&mut self, input: &str, span: Span) -> Result<Reply, Diags> {
        let st = self.state(input)?;
        let span = trim_span(input, span);
        let name = span.text(input);
        let p = &st.agreement.program;
        if let Err(d) = &st.outcome {
            return Err(vec![(d.clone(), st.agreement.source.clone())]);
        }
        match p.slot(name) {
            Some(s) => crate::explain::explain(&st.agreement, &st.inputs, s)
                .map(Reply::text)
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

    fn move_deduction(&mut self, input: &str, span: Span) -> Result<Reply, Diags> {
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
            return Ok(Reply::text("nothing to move\n"));
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
        let what = format!(
            "moved `{}` {} `{}`",
            who.text(input),
            rel.text(input),
            other.text(input)
        );
        self.replace_text(input, &new_text, Vec::new(), &what)
    }
}

/// Where a typed statement goes in the agreement's text: the span it
/// replaces (None: appended), the part of the input to put there, and a
/// sentence saying what happened.
fn placement(
    existing: &[Stmt],
    new: &Stmt,
    text: &str,
    from: Span,
) -> (Option<Span>, Span, String) {
    let _ = text;
    let defined = |s: &Stmt| -> Option<(String, &'static str)> {
        match &s.kind {
            StmtKind::Input { name, .. } => Some((name.name.clone(), "input")),
            StmtKind::Cell { name, .. } if name.name == "price" => {
                Some((name.name.clone(), "price"))
            }
            StmtKind::Cell { name, .. } => Some((name.name.clone(), "cell")),
            StmtKind::Deduction { kind, name, .. } => Some((name.name.clone(), kind.keyword())),
            StmtKind::Table { name, .. } => Some((name.name.clone(), "table")),
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
                        format!("changed the formula of {old_kind} `{name}`"),
                    );
                }
            }
            return (
                Some(old.span),
                from,
                format!("replaced {old_kind} `{name}`"),
            );
        }
        if kind == "price" {
            return (None, from, "added the price".into());
        }
        return (None, from, format!("added {kind} `{name}`"));
    }
    if let Some(old) = existing.iter().find(|s| same_kind(s)) {
        let what = match &new.kind {
            StmtKind::Agreement { .. } => "the title",
            StmtKind::Rounding { .. } => "the rounding mode",
            _ => "the example",
        };
        return (Some(old.span), from, format!("replaced {what}"));
    }
    let what = match &new.kind {
        StmtKind::Require { .. } => "added a requirement",
        StmtKind::Example { .. } => "added an example",
        StmtKind::Agreement { .. } => "set the title",
        _ => "set the rounding mode",
    };
    (None, from, what.to_string())
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

/// A note when an added fee or share comes after the one that takes the rest.
fn after_remaining_note(st: &State, inserts: &[(usize, Span)]) -> String {
    let (Ok(out), p) = (&st.outcome, &st.agreement.program) else {
        return String::new();
    };
    let mut note = String::new();
    for (k, d) in p.deductions.iter().enumerate() {
        let s = &p.slots[d.slot];
        let added = inserts.iter().any(|(at, _)| s.stmt_span.start == *at);
        let pool = out.pools.get(k).copied().unwrap_or_default();
        if added && pool.is_zero() && k > 0 {
            let prev = &p.slots[p.deductions[k - 1].slot].name;
            note.push_str(&format!(
                "note: `{}` runs after `{prev}`, which leaves nothing; `:move {} before {prev}` runs it earlier\n",
                s.name, s.name
            ));
        }
    }
    note
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

/// The text of `:help`.
pub fn help_text() -> String {
    let mut s = String::from(
        "Type an expression to see its value (`producer`, `35% of net`), or a statement to\n\
         add or replace a definition (`share bruno2 \"Bruno\" = 5% of remaining`).\n\n",
    );
    for (_, line) in COMMANDS.iter().filter(|(c, _)| !c.is_empty()) {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("\nA money VALUE may omit its currency: `what if price = 197` means 197 in the price's currency.\n");
    s
}
