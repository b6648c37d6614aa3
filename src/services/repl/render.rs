//! The REPL's line-oriented handler and its text: [`Session::handle`]
//! parses one entry, calls the session's data functions and renders their
//! answers ([`Reply`]). Nothing here computes money; it only formats what
//! the session computed.

use super::changes::Changes;
use super::input::{skip_ws, trim_span, word_at};
use super::table::Table;
use super::{
    no_agreement, solve, usage, Action, Candidate, Diags, Edit, Entered, FigureKind, Jump, Run,
    Session, Solution, SolveResult, Sweep, WhatIf,
};
use crate::diag::{did_you_mean, render, Style};
use crate::span::Span;
use crate::value::{format_amount, Currency, Value};
use rust_decimal::Decimal;
use std::path::Path;

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

    pub(crate) fn failed(diagnostics: Diags) -> Reply {
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

/// The breakdown of one sale with the session's values, as a table (`:show`).
pub fn show(session: &Session) -> Reply {
    let Some(st) = &session.state else {
        return Reply::text("no agreement loaded: `:load FILE`, or type `price = 100.00 USD`\n");
    };
    match &st.outcome {
        Ok(out) => {
            let p = &st.agreement.program;
            let (texts, _) =
                crate::summary::requirement_failures(p, out, &st.agreement.source.text);
            Reply::text(crate::report::table(p, out, &texts))
        }
        Err(d) => Reply::failed(vec![(d.clone(), st.agreement.source.clone())]),
    }
}

impl Session {
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
                let text = self.what_if_with(input, Span::new(from, input.len()), |c| {
                    render_changes(c, true)
                })?;
                Ok(Reply::text(text))
            }
            "set" | "explain" | "solve" | "sweep" if bare => Ok(usage_of(first_word)),
            "set" if !assigns_first && second.is_some() => {
                let w = self.set_at(input, Span::new(after_first, input.len()))?;
                Ok(Reply::text(changes(&w, false)))
            }
            "reset" if !assigns_first => {
                match self.reset_at(input, Span::new(after_first, input.len()))? {
                    Some(w) => Ok(Reply::text(changes(&w, false))),
                    None => Ok(Reply::text("no override to reset\n")),
                }
            }
            "explain" if !assigns_first && second.is_some() => {
                let tree = self.explain_at(input, Span::new(after_first, input.len()))?;
                Ok(Reply::text(tree.render()))
            }
            "solve" if !assigns_first && second.is_some() => {
                let s = solve::solve(self, input, Span::new(after_first, input.len()))?;
                Ok(Reply::text(solution(&s)))
            }
            "sweep" if !assigns_first && second.is_some() => {
                let s = solve::sweep(self, input, Span::new(after_first, input.len()))?;
                Ok(Reply::text(sweep(&s)))
            }
            _ => match self.expression_or_statement(input, start)? {
                Entered::Value(v) => Ok(Reply::text(format!("{v}\n"))),
                Entered::Edit(e) => Ok(Reply::text(edit(&e))),
            },
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
            ":show" => Ok(show(self)),
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
                self.load_reply(Path::new(arg))
            }
            ":reload" => match self.path.clone() {
                Some(p) => self.load_reply(&p),
                None => Err(usage(
                    input,
                    Span::new(start, name_end),
                    "this session has no file to reload",
                    "`:load FILE` first",
                )),
            },
            ":undo" => match self.undo_edit(input)? {
                Some(e) => Ok(Reply::text(edit(&e))),
                None => Ok(Reply::text("nothing to undo\n")),
            },
            ":save" => {
                if self.state.is_none() {
                    return Err(no_agreement(input));
                }
                if arg.is_empty() {
                    return Err(usage(
                        input,
                        Span::new(start, name_end),
                        "`:save` needs a file",
                        "write `:save my-agreement.split`",
                    ));
                }
                self.save(input, arg, arg_span)?;
                Ok(Reply::text(format!("saved to {arg}\n")))
            }
            ":move" => match self.move_deduction(input, arg_span)? {
                Some(e) => Ok(Reply::text(edit(&e))),
                None => Ok(Reply::text("nothing to move\n")),
            },
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

    /// `:load` / `:reload`: what was loaded, then its breakdown.
    fn load_reply(&mut self, path: &Path) -> Result<Reply, Diags> {
        let dropped = self.load(path)?;
        let mut notes = String::new();
        for d in dropped {
            notes.push_str(&format!(
                "note: the override of `{d}` no longer fits and was dropped\n"
            ));
        }
        let mut r = show(self);
        r.output = format!("loaded {}\n{notes}{}", self.name, r.output);
        Ok(r)
    }
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

/// The before / after / difference table of `w`: every figure and every
/// requirement (`all`), or only those that changed.
pub fn changes(w: &WhatIf, all: bool) -> String {
    render_changes(&w.view(), all)
}

/// [`changes`] of a change that borrows its names.
pub(crate) fn render_changes(w: &Changes<'_>, all: bool) -> String {
    let (bc, ac) = (w.before_currency, w.after_currency);
    let same_currency = bc == ac;
    // An amount, with its currency when before and after differ; `—` for none.
    let money = |t: &mut Table, m: Option<Decimal>, c: Currency| match m {
        Some(d) => {
            if same_currency {
                t.amount(d, c);
            } else {
                t.push(&format_amount(d, c));
                t.push(" ");
                t.cell(c.code());
            }
        }
        None => t.cell("—"),
    };
    let mut table = Table::with_capacity(w.figures.len() + 1, 6);
    if same_currency {
        table.push("(");
        table.push(ac.code());
        table.push(")");
    }
    table.end_cell();
    for h in ["", "", "before", "after", "difference"] {
        table.cell(h);
    }
    table.end_row();
    let mut unchanged = 0;
    for f in &w.figures {
        let diff = w.difference(f);
        if !all && diff.is_some_and(|d| d.is_zero()) {
            unchanged += 1;
            continue;
        }
        let kind = match f.kind {
            FigureKind::Deduction(k) => k.keyword(),
            _ => "",
        };
        table.cell(kind);
        table.cell(f.name);
        table.cell(f.label.unwrap_or_default());
        money(&mut table, f.before, bc);
        money(&mut table, f.after, ac);
        match diff {
            // Signed: `+` before a gain.
            Some(d) => {
                if d > Decimal::ZERO {
                    table.push("+");
                }
                table.amount(d, ac);
            }
            None => table.cell("—"),
        }
        table.end_row();
    }
    let mut s = if table.len() > 1 {
        table.align(3)
    } else {
        String::new()
    };
    let mark = |h: Option<bool>| match h {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "—",
    };
    let mut reqs = 0;
    for r in &w.requirements {
        if !all && r.before == r.after {
            unchanged += 1;
            continue;
        }
        reqs += 1;
        for part in [
            "  ",
            mark(r.before),
            " → ",
            mark(r.after),
            "  ",
            r.message,
            "\n",
        ] {
            s.push_str(part);
        }
    }
    if !all {
        if table.len() == 1 && reqs == 0 {
            s.push_str("  no figure changed\n");
        } else if unchanged > 0 {
            s.push_str(&format!(
                "  ({unchanged} other figure{} unchanged)\n",
                if unchanged == 1 { "" } else { "s" }
            ));
        }
    }
    s
}

/// What an edit did: one sentence, the dropped overrides, the figures that
/// changed, and a note for each fee or share added after one that leaves
/// nothing.
pub fn edit(e: &Edit) -> String {
    let what: Vec<String> = e.actions.iter().map(action).collect();
    let mut out = format!("{}\n", what.join("; "));
    for d in &e.dropped {
        out.push_str(&format!(
            "note: the override of `{d}` no longer fits and was dropped\n"
        ));
    }
    if let Some(w) = &e.changes {
        out.push_str(&changes(w, false));
    }
    for (name, prev) in &e.after_nothing {
        out.push_str(&format!(
            "note: `{name}` runs after `{prev}`, which leaves nothing; `:move {name} before {prev}` runs it earlier\n"
        ));
    }
    out
}

fn action(a: &Action) -> String {
    match a {
        Action::Replaced { kind, name } => format!("replaced {kind} `{name}`"),
        Action::ChangedFormula { kind, name } => format!("changed the formula of {kind} `{name}`"),
        Action::AddedPrice => "added the price".into(),
        Action::Added { kind, name } => format!("added {kind} `{name}`"),
        Action::ReplacedTitle => "replaced the title".into(),
        Action::ReplacedRounding => "replaced the rounding mode".into(),
        Action::ReplacedExample => "replaced the example".into(),
        Action::AddedRequirement => "added a requirement".into(),
        Action::AddedExample => "added an example".into(),
        Action::SetTitle => "set the title".into(),
        Action::SetRounding => "set the rounding mode".into(),
        Action::Moved {
            name,
            before,
            other,
        } => format!(
            "moved `{name}` {} `{other}`",
            if *before { "before" } else { "after" }
        ),
        Action::Undone => "undone".into(),
    }
}

/// `runs` as text (`7`, `from 7 to 12`, `up to 1`, `from 13 up`), at most
/// four; whether one of those reaches the end of what was tried.
fn describe(runs: &[Run]) -> (Vec<String>, bool) {
    let mut open = false;
    let mut parts: Vec<String> = runs
        .iter()
        .take(4)
        .map(|r| {
            open |= r.from_edge || r.to_edge;
            match (r.from_edge, r.to_edge) {
                (true, true) => "for every value tried".into(),
                (true, false) => format!("up to {}", r.to),
                (false, true) => format!("from {} up", r.from),
                _ if r.from == r.to => r.from.to_string(),
                _ => format!("from {} to {}", r.from, r.to),
            }
        })
        .collect();
    if runs.len() > 4 {
        parts.push("…".into());
    }
    (parts, open)
}

/// The answer of `solve`.
pub fn solution(s: &Solution) -> String {
    let (name, lhs, rhs) = (&s.input, &s.target, &s.goal);
    let val = |v: Option<Value>| v.map_or_else(|| "?".into(), |v| v.to_string());
    // `producer = 100.00 USD`, or `producer = affiliate + 20.00 USD` (a goal with names).
    let goal_at = |c: &Candidate| {
        if s.goal_uses_names {
            format!("{lhs} = {rhs} = {}", val(c.target))
        } else {
            format!("{lhs} = {}", val(c.target))
        }
    };
    let sides_at = |c: &Candidate| {
        if s.goal_uses_names {
            format!("{lhs} = {}, {rhs} = {}", val(c.target), val(c.goal))
        } else {
            format!("{lhs} = {}", val(c.target))
        }
    };
    let goal_text = match s.goal_value {
        Some(v) if !s.goal_uses_names => v.to_string(),
        _ => rhs.clone(),
    };
    match &s.result {
        SolveResult::Found {
            value,
            at,
            hits,
            runs,
        } => {
            let mut text = format!("{name} = {value} gives {}\n", goal_at(at));
            if *hits > 1 {
                let (parts, open) = describe(runs);
                let count = if open {
                    "many".to_string()
                } else {
                    hits.to_string()
                };
                text.push_str(&format!(
                    "  {count} values hit: {name} {}; shown: the simplest, nearest the current value\n",
                    parts.join(", "),
                ));
            }
            if !at.holds {
                text.push_str("  note: a requirement does not hold there\n");
            }
            text.push_str(&format!("  keep it with `set {name} = {value}`\n"));
            text
        }
        SolveResult::Between { lower, upper, jump } => {
            let why = match jump {
                Jump::DoesNotEvaluate { from, to } => format!(
                    "between them the agreement does not evaluate ({name} from {from} to {to})"
                ),
                Jump::Step => format!("{lhs} steps over it"),
                Jump::Rounding => "rounding steps over it".into(),
            };
            format!(
                "no {name} gives {lhs} = {goal_text} exactly ({why}); the nearest:\n  {name} = {} gives {}\n  {name} = {} gives {}\n",
                lower.value,
                sides_at(lower),
                upper.value,
                sides_at(upper)
            )
        }
        SolveResult::OutOfReach {
            lowest,
            highest,
            below,
            failing,
        } => {
            let mut text =
                format!("no value of `{name}` gives {lhs} = {goal_text}: it is out of reach\n");
            if s.goal_uses_names {
                let side = if *below { "below" } else { "above" };
                text.push_str(&format!(
                    "  over the values tried, {lhs} stays {side} {rhs}\n"
                ));
            } else {
                text.push_str(&format!(
                    "  over the values tried, {lhs} goes from {} ({name} = {}) to {} ({name} = {})\n",
                    val(lowest.target),
                    lowest.value,
                    val(highest.target),
                    highest.value
                ));
            }
            if !failing.is_empty() {
                let (parts, _) = describe(failing);
                text.push_str(&format!(
                    "  (the agreement does not evaluate for {name} {})\n",
                    parts.join(", ")
                ));
            }
            text
        }
    }
}

/// The table of a sweep: one row per value, one column per fee and share,
/// the unallocated rest and the requirements that fail; the errors below.
pub fn sweep(s: &Sweep) -> String {
    let (name, c) = (&s.input, s.currency);
    let mut rows = Table::with_capacity(s.rows.len() + 1, s.deductions.len() + 3);
    rows.cell(name);
    for d in &s.deductions {
        rows.cell(d);
    }
    rows.cell("unallocated");
    if s.requirements > 0 {
        rows.cell("requirements");
    }
    rows.end_row();
    let mut errors = Vec::new();
    for r in &s.rows {
        match r.value {
            Value::Money(d, cur) => rows.amount(d, cur),
            other => rows.cell(&other.to_string()),
        }
        match &r.figures {
            Ok(f) => {
                for a in &f.amounts {
                    rows.amount(*a, c);
                }
                rows.amount(f.unallocated, c);
                if s.requirements > 0 {
                    if f.failed_requirements == 0 {
                        rows.cell("✓");
                    } else {
                        rows.cell(&format!("✗ {}", f.failed_requirements));
                    }
                }
            }
            Err(d) => {
                errors.push((r.value, &d.message));
                rows.cell(&format!("error [{}]", errors.len()));
            }
        }
        rows.end_row();
    }
    let mut text = format!("  amounts in {c}\n");
    text.push_str(&rows.align(0));
    for (i, (v, msg)) in errors.iter().enumerate() {
        text.push_str(&format!("  [{}] {name} = {v}: {msg}\n", i + 1));
    }
    text
}
