//! Diagnostics as plain data, and their rendering at the edge.
//!
//! Every stage of splitdsl (parsing, checking, evaluation, the front ends)
//! reports problems as [`Diagnostic`] values: a stable code, a severity, a
//! message, labelled byte spans, and an optional help line. They carry no
//! source text; [`render`] pairs them with the text they point into.

use crate::codes::Code;
use crate::span::Span;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The file cannot be run, or a run failed.
    Error,
    /// The file runs, but something looks wrong.
    Warning,
}

/// A labelled span of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there (may be empty).
    pub message: String,
    /// Whether this is the main place of the problem.
    pub primary: bool,
}

/// One problem, as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// A stable code such as `splitdsl::unit::currency_mismatch`
    /// (`codes::UNIT_CURRENCY_MISMATCH` in the crate's registry).
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The places involved; the first primary label is the main one.
    pub labels: Vec<Label>,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error with `code` and `message`.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A new warning with `code` and `message`.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds the main label.
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label.
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The main span, if any.
    pub fn main_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// Moves every label by `offset` bytes (for text parsed out of a larger source).
    pub fn shifted(mut self, offset: usize) -> Self {
        for l in &mut self.labels {
            l.span = Span::new(l.span.start + offset, l.span.end + offset);
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// How to render diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Wrap width in columns.
    pub width: usize,
}

impl Style {
    /// No colour, 80 columns: for tests, files and pipes.
    pub const PLAIN: Style = Style {
        color: false,
        width: 80,
    };

    /// Colour when `stderr` is a terminal and `NO_COLOR` is unset.
    pub fn for_stderr() -> Style {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Style { color, width: 100 }
    }
}

/// A source text prepared for rendering many diagnostics: its line starts
/// are found once, so each diagnostic costs only its own lines.
#[derive(Clone, Debug)]
pub struct SourceView<'a> {
    name: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
    /// Lines before `text` in its file (for an excerpt such as a ledger row).
    line_offset: usize,
}

impl<'a> SourceView<'a> {
    /// Indexes `text`, shown under `name`.
    pub fn new(name: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceView {
            name,
            text,
            line_starts,
            line_offset: 0,
        }
    }

    /// Indexes `text`, an excerpt of a file that starts at line `first_line`
    /// (1-based) of it: line numbers are shown as in the file.
    pub fn excerpt(name: &'a str, text: &'a str, first_line: usize) -> Self {
        SourceView {
            line_offset: first_line.saturating_sub(1),
            ..SourceView::new(name, text)
        }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The end of line `line`, its newline included.
    fn line_end(&self, line: usize) -> usize {
        self.line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line + 1 + self.line_offset, col + 1)
    }

    /// Renders one diagnostic.
    pub fn render(&self, diag: &Diagnostic, style: Style) -> String {
        render_with(diag, self, style)
    }
}

impl SourceCode for SourceView<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.line_of(start);
        let last_line = self.line_of(end.saturating_sub(1).max(start));
        let (data_start, line, column) = if before == 0 {
            let (_, col) = self.line_col(start);
            (start, first_line, col.saturating_sub(1))
        } else {
            let l = first_line.saturating_sub(before);
            (self.line_starts.get(l).copied().unwrap_or(0), l, 0)
        };
        let last = (last_line + after).min(self.line_starts.len() - 1);
        let data_end = if before == 0 && after == 0 {
            end
        } else {
            self.line_end(last)
        };
        let data = self
            .text
            .as_bytes()
            .get(data_start..data_end)
            .unwrap_or(&[]);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            (data_start, data_end - data_start).into(),
            line + self.line_offset,
            column,
            last + 1 + self.line_offset,
        )))
    }
}

struct Adapter<'a> {
    diag: &'a Diagnostic,
    source: &'a SourceView<'a>,
    len: usize,
}

impl fmt::Debug for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Adapter<'_> {}

impl miette::Diagnostic for Adapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette_severity(self.diag))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.diag.labels.is_empty() {
            None
        } else {
            Some(self.source)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        miette_labels(self.diag, self.len)
    }
}

/// Renders `diag` against the source text it points into (for many
/// diagnostics against one text, use [`SourceView`]).
pub fn render(diag: &Diagnostic, source_name: &str, source: &str, style: Style) -> String {
    render_with(diag, &SourceView::new(source_name, source), style)
}

/// Renders `diag` against `source`, an excerpt of a file that starts at line
/// `first_line` of it (line numbers are shown as in the file).
pub fn render_at(
    diag: &Diagnostic,
    source_name: &str,
    source: &str,
    first_line: usize,
    style: Style,
) -> String {
    render_with(
        diag,
        &SourceView::excerpt(source_name, source, first_line),
        style,
    )
}

/// Lines longer than this (in bytes) are not drawn in diagnostics.
const LONG_LINE: usize = 4096;

/// `diag` made drawable by miette against `view`: spans within the text and
/// on character boundaries (widened if needed), and labels on a very long
/// line said in words in the help instead (miette's padding overflows there).
pub(crate) fn drawable(diag: &Diagnostic, view: &SourceView<'_>) -> Diagnostic {
    let source = view.text;
    let len = source.len();
    let mut diag = diag.clone();
    for l in &mut diag.labels {
        l.span.start = l.span.start.min(len);
        l.span.end = l.span.end.clamp(l.span.start, len);
        while l.span.start > 0 && !source.is_char_boundary(l.span.start) {
            l.span.start -= 1;
        }
        while l.span.end < len && !source.is_char_boundary(l.span.end) {
            l.span.end += 1;
        }
    }
    // miette cannot draw a label on a very long line (its padding overflows):
    // name the positions in words instead of drawing the line.
    let line_len = |at: usize| {
        let at = at.min(source.len());
        let start = source[..at].rfind('\n').map_or(0, |n| n + 1);
        let end = source[at..].find('\n').map_or(source.len(), |n| at + n);
        end - start
    };
    if diag
        .labels
        .iter()
        .any(|l| line_len(l.span.start).max(line_len(l.span.end)) > LONG_LINE)
    {
        let mut notes = Vec::new();
        for l in diag.labels.drain(..) {
            let (line, col) = view.line_col(l.span.start);
            notes.push(format!("at line {line}, column {col}: {}", l.message));
        }
        let help = diag
            .help
            .take()
            .map(|h| format!("\n{h}"))
            .unwrap_or_default();
        diag.help = Some(format!("{}{help}", notes.join("\n")));
    }
    diag
}

/// miette's severity for `diag`.
pub(crate) fn miette_severity(diag: &Diagnostic) -> miette::Severity {
    match diag.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    }
}

/// `diag`'s labels for miette, clamped to a text of `len` bytes.
pub(crate) fn miette_labels(
    diag: &Diagnostic,
    len: usize,
) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
    if diag.labels.is_empty() {
        return None;
    }
    Some(Box::new(diag.labels.iter().map(move |l| {
        let start = l.span.start.min(len);
        let end = l.span.end.clamp(start, len);
        let text = (!l.message.is_empty()).then(|| l.message.clone());
        if l.primary {
            LabeledSpan::new_primary_with_span(text, (start, end - start))
        } else {
            LabeledSpan::new_with_span(text, (start, end - start))
        }
    })))
}

fn render_with(diag: &Diagnostic, view: &SourceView<'_>, style: Style) -> String {
    let diag = drawable(diag, view);
    let source = view.text;
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let adapter = Adapter {
        diag: &diag,
        source: view,
        len: source.len(),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &adapter).is_err() {
        out = format!("{}: {}\n", diag.code, diag.message);
    }
    out
}

/// A diagnostic as JSON-ready data, with line and column numbers.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    /// The file.
    pub file: String,
    /// The stable code.
    pub code: Code,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Labelled spans with their positions.
    pub spans: Vec<JsonSpan>,
    /// The help line.
    pub help: Option<String>,
}

/// A span with its 1-based line and column.
#[derive(Clone, Debug, Serialize)]
pub struct JsonSpan {
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset of the end.
    pub end: usize,
    /// Line of the start.
    pub line: usize,
    /// Column (in characters) of the start.
    pub column: usize,
    /// Line of the end.
    pub end_line: usize,
    /// Column of the end.
    pub end_column: usize,
    /// The label.
    pub label: String,
    /// Whether it is the main span.
    pub primary: bool,
}

impl JsonDiagnostic {
    /// Converts `diag` for the file `file` whose text is `source`.
    pub fn new(diag: &Diagnostic, file: &str, source: &str) -> Self {
        Self::with_view(diag, &SourceView::new(file, source))
    }

    /// Converts `diag` against an indexed source.
    pub fn with_view(diag: &Diagnostic, view: &SourceView<'_>) -> Self {
        let (file, source) = (view.name, view.text);
        let _ = source;
        JsonDiagnostic {
            file: file.to_string(),
            code: diag.code,
            severity: diag.severity,
            message: diag.message.clone(),
            spans: diag
                .labels
                .iter()
                .map(|l| {
                    let (line, column) = view.line_col(l.span.start);
                    let (end_line, end_column) = view.line_col(l.span.end);
                    JsonSpan {
                        start: l.span.start,
                        end: l.span.end,
                        line,
                        column,
                        end_line,
                        end_column,
                        label: l.message.clone(),
                        primary: l.primary,
                    }
                })
                .collect(),
            help: diag.help.clone(),
        }
    }
}

/// Sorts diagnostics by where they point (the start of the first primary
/// label), keeping the order of those that point at the same place; those
/// about the whole file (no label) come first.
pub fn sort_by_position(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        d.labels
            .iter()
            .find(|l| l.primary)
            .or(d.labels.first())
            .map_or(0, |l| l.span.start)
    });
}

/// A date moved out of the range of dates (years 0000 to 9999): `date`
/// moved by `days` days (negative: back), at the operation `span`.
pub fn date_out_of_range(
    span: Span,
    date: impl fmt::Display,
    days: rust_decimal::Decimal,
) -> Diagnostic {
    let n = days.abs();
    let unit = if n == rust_decimal::Decimal::ONE {
        "day"
    } else {
        "days"
    };
    let (sign, side, limit) = if days.is_sign_negative() {
        ("-", "before", "0000-01-01")
    } else {
        ("+", "after", "9999-12-31")
    };
    Diagnostic::error(
        crate::codes::EVAL_DATE_OUT_OF_RANGE,
        format!("date out of range: {date} {sign} {n} {unit} is {side} {limit}"),
    )
    .primary(span, "the resulting date is out of range")
    .help("dates run from 0000-01-01 to 9999-12-31")
}

/// The name in `candidates` nearest to `name`, if one is near enough to suggest.
/// Fewest edits (a transposition counts as one) first, then most alike.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, f64, &str)> = None;
    let lower = name.to_lowercase();
    for c in candidates {
        if c == name {
            continue;
        }
        let cl = c.to_lowercase();
        // Edits count double, but swapped letters (`UDS` for `USD`) count one.
        let mut a: Vec<char> = lower.chars().collect();
        let mut b: Vec<char> = cl.chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        // Names that differ only in case are 0 edits apart: never below 0.
        let edits = strsim::damerau_levenshtein(&lower, &cl)
            .saturating_mul(2)
            .saturating_sub(usize::from(a == b));
        let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
        let close = edits <= 2 * (1 + name.chars().count() / 4) || score >= 0.85;
        // Ties go to the name first in alphabetical order, so the hint does
        // not depend on the order the candidates come in (a hash map's).
        let better = best.is_none_or(|(e, s, b)| {
            edits < e || (edits == e && (score > s || (score == s && c < b)))
        });
        if close && better {
            best = Some((edits, score, c));
        }
    }
    best.map(|(_, _, c)| c)
}
