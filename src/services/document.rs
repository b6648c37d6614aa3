//! An agreement as an editor holds it: the text, its line index, the syntax
//! tree, every diagnostic, a table of names — and the last program that
//! checked, kept while the text has an error.
//!
//! A [`Document`] survives errors: the names table comes from the syntax
//! tree (the parser recovers one statement at a time), so definitions,
//! references and completions work in a file with a typo. Editors change it
//! with [`Document::edit`], which parses again only the statements an edit
//! touches. The editor server and the web workbook are built on it.

use crate::agreement::{Agreement, Source};
use crate::diag::Diagnostic;
use crate::program::Program;
use crate::span::{LineIndex, Span};
use crate::syntax::ast::{self, DeductionKind, Expr, ExprKind, StmtKind, TableKey};
use crate::value::Ty;

/// What a name is: the statement that declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SymbolKind {
    /// `price = EXPR`, the gross amount.
    Price,
    /// `input NAME = EXPR`
    Input,
    /// `NAME = EXPR`
    Cell,
    /// `fee NAME = EXPR`
    Fee,
    /// `share NAME = EXPR`
    Share,
    /// `table NAME { … }`
    Table,
    /// `brackets NAME { … }`
    Brackets,
}

impl SymbolKind {
    /// The word a user reads: `price`, `input`, `cell`, `fee`, `share`, `table`.
    pub fn word(self) -> &'static str {
        match self {
            SymbolKind::Price => "price",
            SymbolKind::Input => "input",
            SymbolKind::Cell => "cell",
            SymbolKind::Fee => "fee",
            SymbolKind::Share => "share",
            SymbolKind::Table => "table",
            SymbolKind::Brackets => "brackets",
        }
    }
}

/// A declared name: its kind, where it is defined, where it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Symbol {
    /// The name.
    pub name: String,
    /// The statement that declares it.
    pub kind: SymbolKind,
    /// Its kind of value, when the text checks (`None` for a table, and
    /// for every name while the text has an error).
    pub ty: Option<Ty>,
    /// The span of the name where it is defined (the first definition when
    /// there are several, which is an error).
    pub definition: Span,
    /// The span of the whole defining statement.
    pub statement: Span,
    /// Every use of the name, in file order (formulas, conditions, table
    /// keys and values, requirements, example lines).
    pub references: Vec<Span>,
}

/// The names of one syntax tree, ordered by where they are defined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    symbols: Vec<Symbol>,
    /// (span of an occurrence, index of its symbol), ordered by span.
    occurrences: Vec<(Span, usize)>,
}

impl Names {
    /// The names defined and used in `file`; value kinds from `program`
    /// when there is one.
    pub fn build(file: &ast::File, program: Option<&Program>) -> Names {
        let mut symbols: Vec<Symbol> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        // Each slot's kind of value by name, looked up once per name
        // (`Program::slot` is a linear search: n² on a 1,000-share file).
        let mut slot_ty: std::collections::HashMap<&str, Ty> = Default::default();
        for s in program.map_or(&[][..], |p| &p.slots[..]) {
            slot_ty.entry(s.name.as_str()).or_insert(s.ty);
        }
        for stmt in &file.stmts {
            // A group share's members are shares, each a symbol.
            if let StmtKind::Group { members, .. } = &stmt.kind {
                for name in members.iter().map(|m| &m.name) {
                    let kind = SymbolKind::Share;
                    if index.contains_key(&name.name) {
                        continue;
                    }
                    let ty = slot_ty.get(name.name.as_str()).copied();
                    index.insert(name.name.clone(), symbols.len());
                    symbols.push(Symbol {
                        name: name.name.clone(),
                        kind,
                        ty,
                        definition: name.span,
                        statement: stmt.span,
                        references: Vec::new(),
                    });
                }
                continue;
            }
            let (name, kind) = match &stmt.kind {
                StmtKind::Input { name, .. } | StmtKind::Running { name, .. } => {
                    (name, SymbolKind::Input)
                }
                StmtKind::Cell { name, .. } if name.name == "price" => (name, SymbolKind::Price),
                StmtKind::Cell { name, .. } => (name, SymbolKind::Cell),
                StmtKind::Deduction {
                    kind: DeductionKind::Fee,
                    name,
                    ..
                } => (name, SymbolKind::Fee),
                StmtKind::Deduction { name, .. } => (name, SymbolKind::Share),
                StmtKind::Table { name, .. } => (name, SymbolKind::Table),
                StmtKind::Brackets { name, .. } => (name, SymbolKind::Brackets),
                _ => continue,
            };
            if index.contains_key(&name.name) {
                continue;
            }
            let ty = match kind {
                SymbolKind::Table | SymbolKind::Brackets => None,
                _ => slot_ty.get(name.name.as_str()).copied(),
            };
            index.insert(name.name.clone(), symbols.len());
            symbols.push(Symbol {
                name: name.name.clone(),
                kind,
                ty,
                definition: name.span,
                statement: stmt.span,
                references: Vec::new(),
            });
        }
        let mut occurrences: Vec<(Span, usize)> = symbols
            .iter()
            .enumerate()
            .map(|(i, s)| (s.definition, i))
            .collect();
        let mut refer = |name: &str, span: Span| {
            if let Some(&i) = index.get(name) {
                if let Some(s) = symbols.get_mut(i) {
                    s.references.push(span);
                    occurrences.push((span, i));
                }
            }
        };
        for stmt in &file.stmts {
            for_each_expr(&stmt.kind, &mut |e: &Expr| {
                e.walk(&mut |x| match &x.kind {
                    ExprKind::Name(n) => refer(n, x.span),
                    ExprKind::Call(f, _) => refer(&f.name, f.span),
                    _ => {}
                })
            });
            if let StmtKind::Example { items, .. } = &stmt.kind {
                for item in items {
                    refer(&item.name.name, item.name.span);
                }
            }
        }
        for s in &mut symbols {
            s.references.sort();
        }
        occurrences.sort();
        Names {
            symbols,
            occurrences,
        }
    }

    /// Every declared name, ordered by where it is defined.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The symbol called `name`.
    pub fn get(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }

    /// The symbol whose definition or a reference covers byte `offset` (a
    /// cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Symbol> {
        let after = self.occurrences.partition_point(|(s, _)| s.start <= offset);
        let (span, i) = self.occurrences.get(after.checked_sub(1)?)?;
        if offset <= span.end {
            self.symbols.get(*i)
        } else {
            None
        }
    }
}

/// Calls `f` on every expression a statement holds.
fn for_each_expr<'a>(kind: &'a StmtKind, f: &mut impl FnMut(&'a Expr)) {
    match kind {
        StmtKind::Input { value, .. }
        | StmtKind::Cell { value, .. }
        | StmtKind::Running { value, .. } => f(value),
        StmtKind::Deduction { value, when, .. } => {
            f(value);
            if let Some(w) = when {
                f(w);
            }
        }
        StmtKind::Group {
            members,
            value,
            when,
            ..
        } => {
            f(value);
            if let Some(w) = when {
                f(w);
            }
            for m in members {
                if let Some(w) = &m.weight {
                    f(w);
                }
            }
        }
        StmtKind::Table { rows, .. } | StmtKind::Brackets { rows, .. } => {
            for r in rows {
                match &r.key {
                    TableKey::Value(e) => f(e),
                    TableKey::Range { lo, hi, .. } => {
                        for e in lo.iter().chain(hi.iter()) {
                            f(e);
                        }
                    }
                }
                f(&r.value);
            }
        }
        StmtKind::Require { cond, .. } => f(cond),
        StmtKind::Example { items, .. } => {
            for i in items {
                f(&i.value);
            }
        }
        StmtKind::Agreement { .. } | StmtKind::Rounding { .. } => {}
    }
}

/// A `.split` source as an editor holds it, analysed even when it has errors.
///
/// ```
/// use splitdsl::document::{Document, SymbolKind};
/// use splitdsl::span::Span;
///
/// let mut doc = Document::new("x.split", "price = 100.00 USD\nfee f = 10% of price\nshare p = remaining\n");
/// assert!(doc.agreement().is_some());
/// let price = doc.names().get("price").unwrap();
/// assert_eq!(price.kind, SymbolKind::Price);
/// assert_eq!(price.references.len(), 1);
///
/// // A typo: checking fails, the names and the last good program remain.
/// let at = doc.text().find("remaining").unwrap();
/// doc.edit(Span::new(at, at + 9), "remainin");
/// assert!(doc.agreement().is_none());
/// assert!(doc.diagnostics().iter().any(|d| d.is_error()));
/// assert_eq!(doc.names().get("f").unwrap().kind, SymbolKind::Fee);
/// assert!(doc.last_good().is_some());
/// // Go to definition from the use of `price` on line 2.
/// let use_at = doc.text().find("of price").unwrap() + 3;
/// assert_eq!(doc.definition_at(use_at), Some(Span::new(0, 5)));
/// ```
#[derive(Clone, Debug)]
pub struct Document {
    name: String,
    text: String,
    lines: LineIndex,
    ast: ast::File,
    diagnostics: Vec<Diagnostic>,
    names: Names,
    agreement: Option<Agreement>,
    last_good: Option<Agreement>,
    segments: Vec<Segment>,
}

/// A run of lines from one line that starts a statement to the next, parsed
/// on its own (spans relative to its start).
#[derive(Clone, Debug)]
struct Segment {
    start: usize,
    stmts: Vec<ast::Stmt>,
    clean: bool,
}

impl Document {
    /// Parses and checks `text`, shown under `name`.
    pub fn new(name: &str, text: &str) -> Document {
        let mut doc = Document {
            name: name.to_string(),
            text: text.to_string(),
            lines: LineIndex::new(text),
            ast: ast::File::default(),
            diagnostics: Vec::new(),
            names: Names::default(),
            agreement: None,
            last_good: None,
            segments: Vec::new(),
        };
        doc.segments = cut_and_parse(text, 0, text.len());
        doc.analyse();
        doc
    }

    /// Replaces the text (a whole-file change).
    pub fn set_text(&mut self, text: &str) {
        let last_good = self.last_good.take();
        *self = Document::new(&self.name, text);
        if self.last_good.is_none() {
            self.last_good = last_good;
        }
    }

    /// Replaces the bytes `range` of the text with `new_text` (an editor's
    /// incremental change; a range past the end or inside a character is
    /// clamped) and checks again, parsing only the statements the edit
    /// touches.
    pub fn edit(&mut self, range: Span, new_text: &str) {
        let len = self.text.len();
        let floor = |mut at: usize| {
            at = at.min(len);
            while !self.text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let start = floor(range.start);
        let end = floor(range.end).max(start);
        // The segments the edit may change: from the one before the edited
        // line (whose end the edit may move) to the first one that starts
        // after the line holding the edit's end.
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[end..].find('\n').map_or(len, |i| end + i);
        let first = self
            .segments
            .partition_point(|s| s.start < line_start)
            .saturating_sub(1);
        let after = self.segments.partition_point(|s| s.start <= line_end);
        let from = self.segments.get(first).map_or(0, |s| s.start);
        let mut text = String::with_capacity(len - (end - start) + new_text.len());
        text.push_str(&self.text[..start]);
        text.push_str(new_text);
        text.push_str(&self.text[end..]);
        let moved = |at: usize| at - end + start + new_text.len();
        let to = self
            .segments
            .get(after)
            .map_or(text.len(), |s| moved(s.start));
        let fresh = cut_and_parse(&text, from, to);
        for s in self.segments.iter_mut().skip(after) {
            s.start = moved(s.start);
        }
        self.segments.splice(first..after.max(first), fresh);
        self.text = text;
        self.lines = LineIndex::new(&self.text);
        self.analyse();
    }

    /// Checks the text from its segments: their statements when every one
    /// parsed cleanly (exactly what parsing the whole text gives then), the
    /// whole text parsed again otherwise (a statement with a syntax error
    /// may reach into the next ones).
    fn analyse(&mut self) {
        let (file, mut diags) = if self.segments.iter().all(|s| s.clean) {
            let count = self.segments.iter().map(|s| s.stmts.len()).sum();
            let mut stmts = Vec::with_capacity(count);
            for seg in &self.segments {
                for stmt in &seg.stmts {
                    let mut stmt = stmt.clone();
                    let at = seg.start;
                    if at > 0 {
                        stmt.map_spans(&|s| Span::new(s.start + at, s.end + at));
                    }
                    stmts.push(stmt);
                }
            }
            let file = ast::File {
                stmts,
                comments: crate::syntax::scan_comments(&self.text),
                ..ast::File::default()
            };
            (file, Vec::new())
        } else {
            crate::syntax::parse(&self.text)
        };
        let (program, more) = crate::analysis::check(&file, &self.text, crate::value_lints::lint);
        diags.extend(more);
        crate::diag::sort_by_position(&mut diags);
        // Kinds of value only from a program that checked (the checker may
        // build one beside a syntax error).
        let checked = program
            .as_ref()
            .filter(|_| !diags.iter().any(Diagnostic::is_error));
        self.names = Names::build(&file, checked);
        self.diagnostics = diags.clone();
        let source = Source {
            name: self.name.clone(),
            text: self.text.clone(),
        };
        self.agreement = Agreement::assemble(source, file.clone(), program, diags).ok();
        if let Some(a) = &self.agreement {
            self.last_good = Some(a.clone());
        }
        self.ast = file;
    }

    /// The name the text is shown under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line index of the text.
    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// The syntax tree: every statement that parsed.
    pub fn ast(&self) -> &ast::File {
        &self.ast
    }

    /// Every error and warning, ordered by position.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether the text has no error.
    pub fn is_ok(&self) -> bool {
        self.agreement.is_some()
    }

    /// The names table.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The agreement of the current text, when it checks.
    pub fn agreement(&self) -> Option<&Agreement> {
        self.agreement.as_ref()
    }

    /// The agreement of the last text that checked: the current one, or the
    /// one before the error when the current text has one.
    pub fn last_good(&self) -> Option<&Agreement> {
        self.last_good.as_ref()
    }

    /// The symbol whose name is at byte `offset` (defined or used there).
    pub fn name_at(&self, offset: usize) -> Option<&Symbol> {
        self.names.at(offset)
    }

    /// The span of the definition of the name at `offset`.
    pub fn definition_at(&self, offset: usize) -> Option<Span> {
        self.name_at(offset).map(|s| s.definition)
    }

    /// The spans of every use of the name at `offset` (its definition not
    /// included).
    pub fn references_at(&self, offset: usize) -> &[Span] {
        self.name_at(offset).map_or(&[], |s| &s.references)
    }

    /// The names that can complete the word that ends at `offset`: every
    /// declared name starting with it, by name, except the one the
    /// statement at `offset` defines (a name cannot use itself).
    pub fn completions(&self, offset: usize) -> Vec<&Symbol> {
        let offset = offset.min(self.text.len());
        let prefix = word_before(&self.text, offset);
        let mut out: Vec<&Symbol> = self
            .names
            .symbols()
            .iter()
            .filter(|s| s.name.starts_with(prefix))
            .filter(|s| !(s.statement.start <= offset && offset <= s.statement.end))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Cuts `text[from..to]` into segments (a new one at every line that looks
/// like the start of a statement, as the parser cuts) and parses each.
fn cut_and_parse(text: &str, from: usize, to: usize) -> Vec<Segment> {
    let mut starts = vec![from];
    let mut line = from;
    while let Some(nl) = text.get(line..to).and_then(|t| t.find('\n')) {
        line += nl + 1;
        if line >= to {
            break;
        }
        let end = text[line..].find('\n').map_or(text.len(), |i| line + i);
        if crate::syntax::looks_like_statement(&text[line..end]) {
            starts.push(line);
        }
    }
    starts
        .iter()
        .zip(starts.iter().skip(1).chain([&to]))
        .map(|(&start, &end)| {
            let (file, diags) = crate::syntax::parse(text.get(start..end).unwrap_or(""));
            Segment {
                start,
                stmts: file.stmts,
                clean: diags.is_empty(),
            }
        })
        .collect()
}

/// The part of a name that ends at `offset` in `text` (empty when the
/// character before it is not part of a name): what a completion extends.
/// Found by characters, so a name after `é` is not cut inside it.
pub fn word_before(text: &str, offset: usize) -> &str {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[word_start..]
}
