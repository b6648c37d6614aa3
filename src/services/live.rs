//! An agreement's figures as an editor shows them beside the text: each
//! fee's, share's and cell's value and the pool after each deduction for the
//! file's defaults, each `example` block checked (expected vs actual, with
//! the spans to point at), each `require` with the values it compared, and
//! the derivation of one name for the defaults or for the example block a
//! cursor is in.
//!
//! Everything here is data from the one evaluator (`Program::evaluate`,
//! `Program::eval`, `explain::tree`); nothing is computed or rounded here.
//! The editor server (`splitdsl lsp`) renders it as inlay hints, code
//! lenses, hovers and quick fixes.

use crate::agreement::Agreement;
use crate::diag::Diagnostic;
use crate::eval::{compare, Inputs, Outcome};
use crate::explain::Node;
use crate::program::SlotKind;
use crate::span::Span;
use crate::value::{format_amount, Value};
use std::cmp::Ordering;

/// What a [`Figure`] is the value of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FigureKind {
    /// A fee.
    Fee,
    /// A share (a group share's member too).
    Share,
    /// A cell.
    Cell,
}

/// One value beside its statement.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Figure {
    /// The name.
    pub name: String,
    /// Fee, share or cell.
    pub kind: FigureKind,
    /// The span of its name where defined.
    pub name_span: Span,
    /// The span of its whole statement.
    pub statement: Span,
    /// Its value for the sale (`None`: a cell with no value for it).
    pub value: Option<Value>,
    /// For a deduction, the pool after it, as text in the price's currency
    /// (`89.60`).
    pub pool_after: Option<String>,
}

/// The defaults' sale: every fee, share and cell in file order, or the
/// evaluation's error.
pub fn figures(a: &Agreement) -> Result<Vec<Figure>, Diagnostic> {
    let p = &a.program;
    let out = p.evaluate(&a.raw_inputs())?;
    Ok(figures_of(a, &out))
}

fn figures_of(a: &Agreement, out: &Outcome) -> Vec<Figure> {
    let p = &a.program;
    let mut figures = Vec::new();
    for (slot, s) in p.slots.iter().enumerate() {
        let (kind, pool_after) = match s.kind {
            SlotKind::Input => continue,
            SlotKind::Cell => (FigureKind::Cell, None),
            SlotKind::Deduction(k) => {
                let kind = match p.deductions.get(k).map(|d| d.kind.keyword()) {
                    Some("fee") => FigureKind::Fee,
                    _ => FigureKind::Share,
                };
                let pool = out.pools.get(k + 1).map(|d| format_amount(*d, p.currency));
                (kind, pool)
            }
        };
        figures.push(Figure {
            name: s.name.clone(),
            kind,
            name_span: s.name_span,
            statement: s.stmt_span,
            value: out.value(slot),
            pool_after,
        });
    }
    figures
}

/// One `expect` line of an example, checked.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ExpectCheck {
    /// The whole `expect` line.
    pub line: Span,
    /// The expected value's expression.
    pub expected_span: Span,
    /// The expected value (or why it has none).
    pub expected: Result<Value, String>,
    /// The actual value (or why it has none).
    pub actual: Result<Value, String>,
    /// Whether they are equal.
    pub holds: bool,
}

/// One `example` block, checked.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ExampleCheck {
    /// Its name.
    pub name: String,
    /// The block's span.
    pub span: Span,
    /// Each `expect`, in order (empty when the evaluation failed).
    pub expects: Vec<ExpectCheck>,
    /// The requirements that do not hold for its sale (their messages).
    pub unmet: Vec<String>,
    /// The evaluation's error, if it failed.
    pub error: Option<Diagnostic>,
}

impl ExampleCheck {
    /// Whether every expectation and requirement held.
    pub fn passes(&self) -> bool {
        self.error.is_none() && self.unmet.is_empty() && self.expects.iter().all(|e| e.holds)
    }
}

/// The inputs of example `index` (its `given`s over the defaults), or of
/// the defaults when `index` is `None`.
fn inputs_of(a: &Agreement, index: Option<usize>) -> Result<Inputs, Diagnostic> {
    let p = &a.program;
    let mut inputs = a.raw_inputs();
    if let Some(ex) = index.and_then(|i| p.examples.get(i)) {
        for (slot, expr, _) in &ex.givens {
            inputs.set(*slot, p.eval(expr, &Outcome::default())?);
        }
    }
    Ok(inputs)
}

/// Every `example` block checked, as `splitdsl test` does
/// ([`crate::examples::run_examples`]), with the spans an editor points at.
pub fn check_examples(a: &Agreement) -> Vec<ExampleCheck> {
    let p = &a.program;
    let mut checks = Vec::new();
    for (i, ex) in p.examples.iter().enumerate() {
        let mut check = ExampleCheck {
            name: ex.name.clone(),
            span: ex.span,
            expects: Vec::new(),
            unmet: Vec::new(),
            error: None,
        };
        let out = match inputs_of(a, Some(i)).and_then(|inputs| p.evaluate(&inputs)) {
            Ok(out) => out,
            Err(d) => {
                check.error = Some(d);
                checks.push(check);
                continue;
            }
        };
        for (slot, expr, line) in &ex.expects {
            let expected = p.eval(expr, &out).map_err(|d| d.message);
            let actual = match (out.value(*slot), out.failure(*slot)) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => Err(format!("no value: {}", d.message)),
                (None, None) => Err("nothing".into()),
            };
            let holds = match (&expected, &actual) {
                (Ok(e), Ok(v)) => compare(*e, *v) == Some(Ordering::Equal),
                _ => false,
            };
            check.expects.push(ExpectCheck {
                line: *line,
                expected_span: expr.span,
                expected,
                actual,
                holds,
            });
        }
        check.unmet = p
            .requirements
            .iter()
            .zip(&out.requirements)
            .filter(|(_, h)| !**h)
            .map(|(r, _)| r.message.clone())
            .collect();
        checks.push(check);
    }
    checks
}

/// One `require` for the defaults' sale.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequirementCheck {
    /// Its message (or its condition's text).
    pub message: String,
    /// Where its condition is.
    pub span: Span,
    /// Whether it holds.
    pub holds: bool,
    /// The operands of its comparisons with their values
    /// (`` `producer` = 52.42 USD ``), each once.
    pub operands: Vec<(String, Value)>,
}

/// Every `require` for the defaults' sale, or the evaluation's error.
pub fn requirements(a: &Agreement) -> Result<Vec<RequirementCheck>, Diagnostic> {
    let p = &a.program;
    let out = p.evaluate(&a.raw_inputs())?;
    let src = &a.source.text;
    Ok(p.requirements
        .iter()
        .zip(&out.requirements)
        .enumerate()
        .map(|(i, (r, holds))| {
            let mut operands: Vec<(String, Value)> = Vec::new();
            for (span, v) in p.requirement_operands(i, &out) {
                let t = span.one_line(src);
                if !operands.iter().any(|(u, w)| *u == t && *w == v) {
                    operands.push((t, v));
                }
            }
            RequirementCheck {
                message: r.message.clone(),
                span: r.span,
                holds: *holds,
                operands,
            }
        })
        .collect())
}

/// The example block that holds byte `offset`, with its index and name.
pub fn example_at(a: &Agreement, offset: usize) -> Option<(usize, &str)> {
    a.program
        .examples
        .iter()
        .enumerate()
        .find(|(_, ex)| ex.span.start <= offset && offset <= ex.span.end)
        .map(|(i, ex)| (i, ex.name.as_str()))
}

/// How `name` was derived for the defaults' sale, or for the sale of example
/// `example` (its `given`s): the `explain` tree, or the evaluation's error.
/// `None` when the agreement has no value called `name` (a table).
pub fn explain(
    a: &Agreement,
    name: &str,
    example: Option<usize>,
) -> Option<Result<Node, Diagnostic>> {
    let slot = a.program.slot(name)?;
    Some(inputs_of(a, example).and_then(|inputs| crate::explain::tree(a, &inputs, slot)))
}

/// A name the last agreement that checked defines, read from it while the
/// current text has an error that removed its statement from the tree.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Recalled {
    /// The name.
    pub name: String,
    /// `price`, `input`, `cell`, `fee` or `share`.
    pub kind: &'static str,
    /// The defining statement as it was when it checked.
    pub statement: String,
    /// Where the name is defined in the current text: the line that starts
    /// as the defining line started up to the name (`share coproducer`),
    /// when there is one.
    pub definition: Option<Span>,
}

/// The name under byte `offset` of `doc`'s current text, recalled from the
/// last agreement that checked (see [`Recalled`]).
pub fn recalled_at(doc: &crate::document::Document, offset: usize) -> Option<Recalled> {
    let a = doc.last_good()?;
    let text = doc.text();
    let offset = offset.min(text.len());
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text
        .get(..offset)?
        .char_indices()
        .rev()
        .find(|(_, c)| !ident(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text
        .get(offset..)?
        .find(|c| !ident(c))
        .map_or(text.len(), |i| offset + i);
    let word = text.get(start..end)?;
    let p = &a.program;
    let slot = p.slot(word)?;
    let s = p.slots.get(slot)?;
    let old = &a.source.text;
    let line_start = old
        .get(..s.name_span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let head = old.get(line_start..s.name_span.end)?;
    let name_at = s.name_span.start - line_start;
    let definition = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .find(|&at| text.get(at..).is_some_and(|t| t.starts_with(head)))
        .map(|at| Span::new(at + name_at, at + head.len()));
    let kind = match s.kind {
        SlotKind::Input if slot == p.price => "price",
        SlotKind::Input => "input",
        SlotKind::Cell => "cell",
        SlotKind::Deduction(k) => p.deductions.get(k).map_or("share", |d| d.kind.keyword()),
    };
    Some(Recalled {
        name: word.to_string(),
        kind,
        statement: s.stmt_span.text(old).trim().to_string(),
        definition,
    })
}
