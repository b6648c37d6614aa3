//! Loading an agreement: source text → syntax → check → [`Program`], with
//! every diagnostic kept for the front ends to render.

use crate::analysis::{check, compile_constant};
use crate::diag::Diagnostic;
use crate::eval::{coerce, Inputs, Outcome};
use crate::program::{Program, SlotId, SlotKind};
use crate::span::Span;
use crate::syntax::ast::{self, StmtKind};
use crate::syntax::{parse, parse_expr};
use crate::value::{Ty, Value};
use std::path::Path;

/// A source text with the name it is shown under.
#[derive(Clone, Debug)]
pub struct Source {
    /// File name (or `<repl>`, `--set`, …).
    pub name: String,
    /// The text.
    pub text: String,
}

/// A checked agreement, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Agreement {
    // The fields are internals (see `internal!` in lib.rs): `pub` only
    // with the unstable `internals` feature. Embedders use the methods.
    /// Where it came from.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub source: Source,
    #[cfg(not(feature = "internals"))]
    pub(crate) source: Source,
    /// Its syntax tree.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub ast: ast::File,
    #[cfg(not(feature = "internals"))]
    pub(crate) ast: ast::File,
    /// Its compiled form.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub program: Program,
    #[cfg(not(feature = "internals"))]
    pub(crate) program: Program,
    /// Warnings found while checking.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub warnings: Vec<Diagnostic>,
    #[cfg(not(feature = "internals"))]
    pub(crate) warnings: Vec<Diagnostic>,
    /// Tells this agreement (and its clones) from every other one compiled
    /// in this process, so inputs made for one are not used with another.
    pub(crate) id: u64,
}

/// A new agreement id, never given before in this process.
fn next_id() -> u64 {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Diagnostics against one source.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The source they point into.
    pub source: Source,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Agreement {
    internal! {
        /// Parses and checks `text`: [`Agreement::compile`] with the diagnostics
        /// as a [`Failure`] (the form the front ends render).
        fn compile_failure(name: &str, text: &str) -> Result<Agreement, Box<Failure>> {
            let source = Source {
                name: name.to_string(),
                text: text.to_string(),
            };
            let (file, mut diags) = parse(text);
            let (program, more) = check(&file, text, crate::value_lints::lint);
            diags.extend(more);
            Agreement::assemble(source, file, program, diags)
        }
    }

    internal! {
        /// This agreement with some formulas replaced and statements appended,
        /// without parsing the unchanged text again (the REPL's what-if).
        ///
        /// `edits` are (the span of a formula — the value of an input, cell,
        /// fee or share — in this agreement's text, its new text); `append` is
        /// source text for statements to add at the end. Diagnostics point into
        /// the edited text, which the returned agreement (or failure) holds.
        fn edited(&self, edits: &[(Span, &str)], append: &str) -> Result<Agreement, Box<Failure>> {
            let mut edits: Vec<(Span, &str)> = edits.to_vec();
            edits.sort_by_key(|(s, _)| s.start);
            edits.dedup_by_key(|(s, _)| s.start);
            // The edited text, and where each edit lands in it.
            let old = &self.source.text;
            let mut text = String::with_capacity(old.len() + append.len() + 1);
            let mut landed = Vec::with_capacity(edits.len());
            let mut last = 0;
            for (span, new) in &edits {
                let (Some(before), true) = (old.get(last..span.start), span.end <= old.len()) else {
                    return Err(self.edit_failure(text, "an edit outside the agreement"));
                };
                text.push_str(before);
                landed.push(text.len());
                text.push_str(new);
                last = span.end;
            }
            text.push_str(old.get(last..).unwrap_or(""));
            if !append.is_empty() && !text.ends_with('\n') && !text.is_empty() {
                text.push('\n');
            }
            let append_at = text.len();
            text.push_str(append);
            let fail = |text: String, diags: Vec<Diagnostic>| {
                Box::new(Failure {
                    source: Source {
                        name: self.source.name.clone(),
                        text,
                    },
                    diagnostics: diags,
                })
            };
            // Parse only the new pieces.
            let mut new_exprs = Vec::with_capacity(edits.len());
            for ((_, new), at) in edits.iter().zip(&landed) {
                match parse_expr(new) {
                    Ok(mut e) => {
                        e.map_spans(&|s| Span::new(s.start + at, s.end + at));
                        new_exprs.push(e);
                    }
                    Err(d) => return Err(fail(text, vec![d.shifted(*at)])),
                }
            }
            let (mut extra, diags) = parse(append);
            if !diags.is_empty() {
                let diags = diags.into_iter().map(|d| d.shifted(append_at)).collect();
                return Err(fail(text, diags));
            }
            extra.map_spans(&|s| Span::new(s.start + append_at, s.end + append_at));
            // Which statement's formula each edit replaces (found before moving).
            let mut file = self.ast.clone();
            let mut targets = Vec::with_capacity(edits.len());
            for (i, stmt) in file.stmts.iter().enumerate() {
                if let StmtKind::Input { value, .. }
                | StmtKind::Cell { value, .. }
                | StmtKind::Deduction { value, .. } = &stmt.kind
                {
                    if let Some(e) = edits.iter().position(|(span, _)| *span == value.span) {
                        targets.push((i, e));
                    }
                }
            }
            if targets.len() != edits.len() {
                return Err(self.edit_failure(text, "an edit that is not a formula"));
            }
            // Move the old tree to the edited text, then swap in the new formulas.
            let shift = |pos: usize| -> usize {
                edits
                    .iter()
                    .filter(|(span, _)| pos >= span.end)
                    .fold(pos, |p, (span, new)| p + new.len() - span.len())
            };
            file.map_spans(&|s| Span::new(shift(s.start), shift(s.end)));
            for (i, e) in targets {
                if let (Some(stmt), Some(new)) = (file.stmts.get_mut(i), new_exprs.get(e)) {
                    if let StmtKind::Input { value, .. }
                    | StmtKind::Cell { value, .. }
                    | StmtKind::Deduction { value, .. } = &mut stmt.kind
                    {
                        *value = new.clone();
                    }
                }
            }
            file.stmts.extend(extra.stmts);
            file.comments.extend(extra.comments);
            let (program, diags) = check(&file, &text, crate::value_lints::lint);
            let source = Source {
                name: self.source.name.clone(),
                text,
            };
            Agreement::assemble(source, file, program, diags)
        }
    }

    /// The agreement, or the failure when checking found an error.
    pub(crate) fn assemble(
        source: Source,
        ast: ast::File,
        program: Option<Program>,
        mut diags: Vec<Diagnostic>,
    ) -> Result<Agreement, Box<Failure>> {
        crate::diag::sort_by_position(&mut diags);
        if program.is_none() && !diags.iter().any(Diagnostic::is_error) {
            // A safety net: a failed compile always says why.
            diags.push(Diagnostic::error(
                crate::codes::INTERNAL,
                "internal error: the agreement could not be compiled, though no error was found",
            ));
        }
        match program {
            Some(program) if !diags.iter().any(Diagnostic::is_error) => Ok(Agreement {
                source,
                ast,
                program,
                warnings: diags,
                id: next_id(),
            }),
            _ => Err(Box::new(Failure {
                source,
                diagnostics: diags,
            })),
        }
    }

    fn edit_failure(&self, text: String, what: &str) -> Box<Failure> {
        Box::new(Failure {
            source: Source {
                name: self.source.name.clone(),
                text,
            },
            diagnostics: vec![Diagnostic::error(
                crate::codes::INTERNAL,
                format!("internal error: {what}"),
            )],
        })
    }

    internal! {
        /// Reads and compiles a file; unreadable, binary and non-UTF-8 files are
        /// diagnostics: [`Agreement::load`] with them as a [`Failure`].
        fn load_failure(path: &Path) -> Result<Agreement, Box<Failure>> {
            let text = read_source(path)?;
            Agreement::compile_failure(&path.display().to_string(), &text)
        }
    }

    internal! {
        /// Evaluates the agreement with `inputs` into the evaluator's
        /// [`Outcome`] (what [`Agreement::evaluate`] makes a breakdown of).
        fn evaluate_outcome(&self, inputs: &Inputs) -> Result<Outcome, Diagnostic> {
            self.program.evaluate(inputs)
        }
    }

    internal! {
        /// The evaluator's inputs with no overrides (unchecked, by slot; the
        /// checked ones, by name, are [`Agreement::inputs`]).
        fn raw_inputs(&self) -> Inputs {
            Inputs::new(&self.program)
        }
    }

    internal! {
        /// Parses `NAME=EXPR` (as given to `--set`) and sets it in `inputs`.
        /// Errors point into `assignment`.
        fn set_from_text(&self, inputs: &mut Inputs, assignment: &str) -> Result<(), Diagnostic> {
            let Some(eq) = assignment.find('=') else {
                return Err(Diagnostic::error(
                    crate::codes::CLI_BAD_SET,
                    format!("`{assignment}` is not of the form NAME=VALUE"),
                )
                .primary(Span::new(0, assignment.len()), "no `=`")
                .help("write e.g. `--set price=197.00USD`"));
            };
            let name = assignment[..eq].trim();
            let name_start = assignment.find(name).unwrap_or(0);
            let name_span = Span::new(name_start, name_start + name.len());
            let slot = self.input_slot(name, name_span)?;
            let rhs = &assignment[eq + 1..];
            let expr = parse_expr(rhs).map_err(|d| d.shifted(eq + 1))?;
            let value = self.constant(&expr).map_err(|d| d.shifted(eq + 1))?;
            let value = self.fit_expr(slot, value, &expr, eq + 1)?;
            inputs.set(slot, value);
            Ok(())
        }
    }

    internal! {
        /// The slot of the input `name`, or a diagnostic at `span`.
        fn input_slot(&self, name: &str, span: Span) -> Result<SlotId, Diagnostic> {
            let p = &self.program;
            match p.slot(name) {
                Some(i) if p.slots[i].kind == SlotKind::Input => Ok(i),
                Some(i) => {
                    let what = match p.slots[i].kind {
                        SlotKind::Cell => "a cell",
                        _ => "a deduction",
                    };
                    Err(Diagnostic::error(
                        crate::codes::INPUT_NOT_INPUT,
                        format!("`{name}` is {what}, not an input"),
                    )
                    .primary(span, "cannot be set from outside")
                    .help(format!(
                        "declare it with `input {name} = …` in the agreement to make it settable"
                    )))
                }
                None => {
                    let inputs = p
                        .slots
                        .iter()
                        .filter(|s| s.kind == SlotKind::Input)
                        .map(|s| s.name.as_str());
                    let names: Vec<&str> = inputs.collect();
                    let help = match crate::diag::did_you_mean(name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the inputs are: {}", names.join(", ")),
                    };
                    Err(Diagnostic::error(
                        crate::codes::INPUT_UNKNOWN,
                        format!("the agreement has no input `{name}`"),
                    )
                    .primary(span, "unknown input")
                    .help(help))
                }
            }
        }
    }

    internal! {
        /// Evaluates an expression that uses no name.
        fn constant(&self, expr: &ast::Expr) -> Result<Value, Diagnostic> {
            let (c, _) = compile_constant(expr)?;
            self.program.eval(&c, &Outcome::default())
        }
    }

    internal! {
        /// Fits `value`, the value of `expr` (whose spans are `offset` bytes
        /// into the text that errors point into), to the kind of `slot`, as
        /// [`Agreement::fit`] does, except that a number written with a percent
        /// is never made money: `price=50%` is an error, not a 0.50 sale.
        fn fit_expr(
            &self,
            slot: SlotId,
            value: Value,
            expr: &ast::Expr,
            offset: usize,
        ) -> Result<Value, Diagnostic> {
            let s = &self.program.slots[slot];
            if let (Value::Number(_), Ty::Money(_)) = (value, s.ty) {
                let mut percent = None;
                expr.walk(&mut |e| {
                    if percent.is_none() && matches!(e.kind, ast::ExprKind::Percent(_)) {
                        percent = Some(e.span);
                    }
                });
                if let Some(at) = percent {
                    return Err(Diagnostic::error(
                        crate::codes::INPUT_KIND_MISMATCH,
                        format!("`{}` is {}, but this is a percent", s.name, s.ty),
                    )
                    .primary(Span::new(offset + at.start, offset + at.end), "a percent")
                    .help(format!(
                        "give an amount, e.g. `{}=197.00 {c}`; a part of an amount is written `50% of 197.00 {c}`",
                        s.name,
                        c = currency_of(s.ty)
                    )));
                }
            }
            self.fit(
                slot,
                value,
                Span::new(offset + expr.span.start, offset + expr.span.end),
            )
        }
    }

    internal! {
        /// Fits `value` to the kind of `slot` (a plain number becomes money in
        /// the slot's currency); a diagnostic at `span` when it cannot.
        fn fit(&self, slot: SlotId, value: Value, span: Span) -> Result<Value, Diagnostic> {
            let s = &self.program.slots[slot];
            coerce(value, s.ty).ok_or_else(|| {
                Diagnostic::error(
                    crate::codes::INPUT_KIND_MISMATCH,
                    format!("`{}` is {}, but this is {}", s.name, s.ty, value.ty()),
                )
                .primary(span, format!("{}", value.ty()))
                .help(format!("give {}", s.ty))
            })
        }
    }
}

/// The currency code of a money kind (empty otherwise).
fn currency_of(ty: Ty) -> String {
    match ty {
        Ty::Money(c) => c.to_string(),
        _ => String::new(),
    }
}

/// Reads a source file, turning every way it can fail into a diagnostic.
pub fn read_source(path: &Path) -> Result<String, Box<Failure>> {
    let name = path.display().to_string();
    let fail = |code: crate::codes::Code, msg: String, help: &str| {
        Box::new(Failure {
            source: Source {
                name: name.clone(),
                text: String::new(),
            },
            diagnostics: vec![Diagnostic::error(code, msg).help(help)],
        })
    };
    if path.is_dir() {
        return Err(fail(
            crate::codes::IO_IS_DIRECTORY,
            format!("`{name}` is a directory, not a .split file"),
            "give the path of a .split file",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        fail(
            crate::codes::IO_UNREADABLE,
            format!("cannot read `{name}`: {e}"),
            "check the path and its permissions",
        )
    })?;
    if bytes.contains(&0) {
        return Err(fail(
            crate::codes::IO_BINARY,
            format!("`{name}` is a binary file, not a .split agreement"),
            "a .split file is UTF-8 text",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        fail(
            crate::codes::IO_NOT_UTF8,
            format!("`{name}` is not UTF-8 text (invalid byte at offset {at})"),
            "save the file as UTF-8",
        )
    })
}
