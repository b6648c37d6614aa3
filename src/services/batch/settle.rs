//! Settling rows: the ledger's header decides what each column is; each
//! record a [`RecordSource`](super::source::RecordSource) read is turned into
//! the agreement's inputs, evaluated, checked and added to the statement. A
//! row that fails becomes a [`Reject`]. Nothing here knows the ledger's
//! format (see [`super::source`] and [`super::sink`]).

use super::field::{check_value, parse_cell, trim, units, FieldError, Numbers};
use super::reader::Dup;
use super::running::{Mode, Speculation, Totals};
use super::sink::{Against, OutputColumns, Passed, Reject, SettledRow};
use super::source::{Cell, Cells, Record, RecordError};
use super::statement::{Kind, Statement};
use crate::agreement::Agreement;
use crate::diag::{did_you_mean, Diagnostic};
use crate::eval::{Inputs, Outcome};
use crate::program::{SlotId, SlotKind};
use crate::span::Span;
use crate::summary::requirement_failures;
use crate::value::Value;

/// What a ledger column is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sets the input in this slot.
    Input(SlotId),
    /// The sale's kind: `sale`, `refund` or `chargeback` (it also passes through).
    Kind,
    /// Passes through to the output.
    Pass,
}

/// The ledger's columns and what each is for.
#[derive(Clone, Debug)]
pub struct Layout {
    /// How number cells given as text are written (decimal commas with `;`).
    pub numbers: Numbers,
    /// Column names, in order.
    pub names: Vec<String>,
    /// Each column's role.
    pub roles: Vec<Role>,
    /// The columns written before the amounts, in input order: every
    /// column but the price's (an input's column shows the value used).
    pub pass: Vec<usize>,
    /// Whether a column may be missing from a JSON Lines row (an input with
    /// a default, `kind`).
    pub optional: Vec<bool>,
    /// The column that identifies a row in reports (`id`, or the first `…_id`).
    pub id: Option<usize>,
    /// The `kind` column.
    pub kind: Option<usize>,
    /// Notes about the header (a column that looks like a misspelt input).
    pub warnings: Vec<Diagnostic>,
    /// The `per` column of each running total (`Program::running`), if any.
    pub per: Vec<Option<usize>>,
}

/// A header problem: the run cannot start.
#[derive(Clone, Debug)]
pub struct HeaderError {
    /// What is wrong; spans point into the header line.
    pub diagnostic: Diagnostic,
}

impl Layout {
    /// Reads the header: `names` with their `spans` in the header line;
    /// `base` holds the `--set` overrides (an input set there need not be a column).
    pub fn new(
        agreement: &Agreement,
        names: Vec<String>,
        spans: &[(usize, usize)],
        numbers: Numbers,
        base: &Inputs,
    ) -> Result<Layout, HeaderError> {
        let p = &agreement.program;
        let price_set = base.get(p.price).is_some();
        let price_inputs = price_inputs(p);
        let price_name = p.slots.get(p.price).map_or("price", |s| s.name.as_str());
        let listed = |slots: &[SlotId]| {
            let names: Vec<String> = slots
                .iter()
                .filter_map(|&s| p.slots.get(s).map(|s| format!("`{}`", s.name)))
                .collect();
            match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.concat(),
            }
        };
        let span = |i: usize| {
            spans
                .get(i)
                .map_or(Span::new(0, 0), |&(a, b)| Span::new(a, b))
        };
        let fail = |d: Diagnostic| Err(HeaderError { diagnostic: d });
        let deduction_names: Vec<&str> = p
            .deductions
            .iter()
            .filter_map(|d| p.slots.get(d.slot).map(|s| s.name.as_str()))
            .collect();
        let mut roles = Vec::with_capacity(names.len());
        let mut optional = Vec::with_capacity(names.len());
        let mut pass = Vec::new();
        let mut warnings = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(j) = names.iter().take(i).position(|n| n == name) {
                return fail(
                    Diagnostic::error(
                        crate::codes::BATCH_DUPLICATE_COLUMN,
                        format!("the column `{name}` appears twice in the header"),
                    )
                    .primary(span(i), "again here")
                    .secondary(span(j), "first here")
                    .help("give every column its own name"),
                );
            }
            if let Some(r) = p
                .running
                .iter()
                .find(|r| p.slots.get(r.slot).is_some_and(|s| &s.name == name))
            {
                let line = crate::span::line_col(
                    &agreement.source.text,
                    p.slots.get(r.slot).map_or(0, |s| s.name_span.start),
                )
                .0;
                return fail(
                    Diagnostic::error(
                        crate::codes::BATCH_RUNNING_COLUMN,
                        format!(
                            "the column `{name}` has the name of a running total (line {line} of the agreement), which is computed from the earlier rows"
                        ),
                    )
                    .primary(span(i), "this column")
                    .help(format!("rename the column, e.g. `ledger_{name}`, or drop it")),
                );
            }
            let role = if name == "kind" {
                if p.slot("kind").is_some() {
                    return fail(
                        Diagnostic::error(
                            crate::codes::BATCH_KIND_CLASH,
                            "the column `kind` gives each row's kind (sale, refund, chargeback), but the agreement also has a value `kind`",
                        )
                        .primary(span(i), "this column")
                        .help("rename the agreement's `kind`"),
                    );
                }
                Role::Kind
            } else if !price_inputs.is_empty() && name == price_name {
                return fail(
                    Diagnostic::error(
                        crate::codes::BATCH_COMPUTED_PRICE,
                        format!(
                            "{price_name} is computed from {}: a `{price_name}` column would override it",
                            listed(&price_inputs)
                        ),
                    )
                    .primary(span(i), "this column")
                    .help(format!(
                        "give the ledger columns for {} and drop this one (or rename it, e.g. \
                         `ledger_{price_name}`, to pass it through)",
                        listed(&price_inputs)
                    )),
                );
            } else if let Some(slot) = p.slot(name) {
                match agreement.input_slot(name, span(i)) {
                    Ok(slot) => Role::Input(slot),
                    Err(d) => {
                        let what = match p.slots.get(slot).map(|s| s.kind) {
                            Some(SlotKind::Deduction(_)) => "its amount is computed for every row and written under this name; rename the column, e.g. `ledger_",
                            _ => "a cell is computed, not read; rename the column, e.g. `ledger_",
                        };
                        return fail(d.help(format!("{what}{name}`")));
                    }
                }
            } else if name == "unallocated" {
                return fail(
                    Diagnostic::error(
                        crate::codes::BATCH_OUTPUT_CLASH,
                        "the column `unallocated` clashes with the output column of that name",
                    )
                    .primary(span(i), "this column")
                    .help("rename it, e.g. `ledger_unallocated`"),
                );
            } else {
                let inputs = p
                    .slots
                    .iter()
                    .filter(|s| s.kind == SlotKind::Input)
                    .map(|s| s.name.as_str());
                if let Some(near) = did_you_mean(name, inputs) {
                    if !names.iter().any(|n| n == near) {
                        warnings.push(
                            Diagnostic::warning(
                                crate::codes::BATCH_NEAR_INPUT,
                                format!("the column `{name}` passes through unread; the agreement has an input `{near}`"),
                            )
                            .primary(span(i), "passes through")
                            .help(format!("rename the column to `{near}` if it should set that input")),
                        );
                    }
                }
                Role::Pass
            };
            if matches!(role, Role::Pass | Role::Kind) && deduction_names.contains(&name.as_str()) {
                return fail(Diagnostic::error(
                    crate::codes::BATCH_OUTPUT_CLASH,
                    format!("the column `{name}` clashes with the output column of that name"),
                ));
            }
            if role != Role::Input(p.price) {
                pass.push(i);
            }
            optional.push(match role {
                Role::Kind => true,
                Role::Input(slot) => slot != p.price,
                Role::Pass => false,
            });
            roles.push(role);
        }
        if !price_inputs.is_empty() {
            // A computed price: at least one of its inputs varies with the row
            // (else every row would have the agreement's example price).
            let given = price_inputs
                .iter()
                .any(|&s| roles.contains(&Role::Input(s)) || base.get(s).is_some());
            if !given && !price_set {
                let first = price_inputs
                    .first()
                    .and_then(|&s| p.slots.get(s))
                    .map_or("", |s| s.name.as_str());
                return fail(
                    Diagnostic::error(
                        crate::codes::BATCH_NO_PRICE,
                        format!(
                            "the ledger has no column for {}, which the {price_name} is computed from",
                            listed(&price_inputs)
                        ),
                    )
                    .primary(Span::new(0, spans.last().map_or(0, |s| s.1)), "the header")
                    .help(format!(
                        "add a `{first}` column, or give one value for every row with `--set {first}=…`"
                    )),
                );
            }
        } else if !roles.contains(&Role::Input(p.price)) && !price_set {
            let price = price_name;
            let help = match did_you_mean(price, names.iter().map(String::as_str)) {
                Some(n) => format!("did you mean the column `{n}`? name it `{price}`"),
                None => format!(
                    "add a `{price}` column, or give one price for every row with `--set {price}=…`"
                ),
            };
            return fail(
                Diagnostic::error(
                    crate::codes::BATCH_NO_PRICE,
                    format!("the ledger has no `{price}` column"),
                )
                .primary(Span::new(0, spans.last().map_or(0, |s| s.1)), "the header")
                .help(help),
            );
        }
        let id = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case("id"))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| n.to_ascii_lowercase().ends_with("_id"))
            });
        let kind = roles.iter().position(|r| *r == Role::Kind);
        let mut per = Vec::with_capacity(p.running.len());
        for r in &p.running {
            let Some((column, at)) = &r.per else {
                per.push(None);
                continue;
            };
            match names.iter().position(|n| n == column) {
                Some(c) => per.push(Some(c)),
                None => {
                    let line = crate::span::line_col(&agreement.source.text, at.start).0;
                    let total = p.slots.get(r.slot).map_or("", |s| s.name.as_str());
                    let help = match did_you_mean(column, names.iter().map(String::as_str)) {
                        Some(n) => format!("did you mean the column `{n}`? name it `{column}`"),
                        None => format!("add a `{column}` column to the ledger"),
                    };
                    return fail(
                        Diagnostic::error(
                            crate::codes::BATCH_MISSING_PER_COLUMN,
                            format!(
                                "the running total `{total}` is kept per `{column}` (line {line} of the agreement), but the ledger has no `{column}` column"
                            ),
                        )
                        .primary(Span::new(0, spans.last().map_or(0, |s| s.1)), "the header")
                        .help(help),
                    );
                }
            }
        }
        Ok(Layout {
            per,
            numbers,
            names,
            roles,
            pass,
            optional,
            id,
            kind,
            warnings,
        })
    }

    /// The columns of the settled rows: the passed columns, then the price,
    /// each deduction and `unallocated`.
    pub fn output_columns<'a>(&'a self, agreement: &'a Agreement) -> OutputColumns<'a> {
        let p = &agreement.program;
        let passed = self
            .pass
            .iter()
            .map(|&i| self.names.get(i).map_or("", String::as_str))
            .collect();
        let mut amounts = vec![p.slots.get(p.price).map_or("price", |s| s.name.as_str())];
        amounts.extend(
            p.deductions
                .iter()
                .filter_map(|d| p.slots.get(d.slot).map(|s| s.name.as_str())),
        );
        amounts.push("unallocated");
        OutputColumns {
            passed,
            amounts,
            currency: p.currency,
        }
    }
}

/// The inputs a computed price reads (through cells and tables), in file
/// order; empty when the price is a plain input.
pub fn price_inputs(p: &crate::program::Program) -> Vec<SlotId> {
    let mut seen = vec![false; p.slots.len()];
    let mut stack: Vec<SlotId> = p.deps.get(p.price).cloned().unwrap_or_default();
    while let Some(s) = stack.pop() {
        match seen.get_mut(s) {
            Some(v) if !*v => *v = true,
            _ => continue,
        }
        if p.slots.get(s).is_some_and(|x| x.kind != SlotKind::Input) {
            stack.extend(p.deps.get(s).into_iter().flatten().copied());
        }
    }
    (0..p.slots.len())
        .filter(|&s| {
            s != p.price
                && seen.get(s).copied().unwrap_or(false)
                && p.slots.get(s).is_some_and(|x| x.kind == SlotKind::Input)
        })
        .collect()
}

/// Settles rows; one per thread, its buffers reused from row to row.
pub struct Settler<'a> {
    agreement: &'a Agreement,
    layout: &'a Layout,
    base: Inputs,
    inputs: Inputs,
    outcome: Outcome,
    amounts: Vec<i128>,
    dp: u32,
    /// Where each passed column's output comes from.
    passed: Vec<Passed>,
    /// The totals of the rows this settler settled.
    pub statement: Statement,
    /// The running totals, if the agreement has any (then one settler
    /// settles every row, in file order).
    running: Totals,
    /// The program in fixed point, when it has that form (issue 18): a
    /// sale it settles skips the decimal evaluator; one it gives up on
    /// goes through it.
    fixed: Option<(crate::fixed::Fixed, crate::fixed::State)>,
}

enum RowError {
    Field(usize, FieldError),
    Syntax(super::reader::SyntaxError),
    Source(RecordError),
    Agreement(Diagnostic),
    Plain(Diagnostic),
}

impl<'a> Settler<'a> {
    /// A settler for `agreement`'s rows laid out as `layout`; `base` holds the `--set` overrides.
    pub fn new(agreement: &'a Agreement, layout: &'a Layout, base: &Inputs) -> Self {
        Self::with_mode(agreement, layout, base, Mode::State)
    }

    /// [`Settler::new`], taking running totals' values as `mode` says.
    pub fn with_mode(
        agreement: &'a Agreement,
        layout: &'a Layout,
        base: &Inputs,
        mode: Mode,
    ) -> Self {
        let p = &agreement.program;
        let passed = layout
            .pass
            .iter()
            .map(|&i| match layout.roles.get(i) {
                Some(&Role::Input(slot)) => Passed::Input(slot),
                _ => Passed::Cell(i),
            })
            .collect();
        Settler {
            agreement,
            layout,
            base: base.clone(),
            inputs: base.clone(),
            outcome: Outcome::default(),
            amounts: Vec::with_capacity(p.deductions.len() + 2),
            dp: p.currency.minor_unit(),
            passed,
            statement: Statement::new(p),
            running: Totals::new(p, &layout.per, base, mode),
            fixed: crate::fixed::Fixed::compile(p).map(|f| (f, crate::fixed::State::default())),
        }
    }

    /// Settles one record (`dup`: its id was already seen): its settled row,
    /// added to [`Settler::statement`], or why it is rejected.
    pub fn settle<'r>(
        &'r mut self,
        rec: &Record<'r>,
        dup: Option<&Dup>,
    ) -> Result<SettledRow<'r>, Box<Reject>> {
        let running = !self.running.is_empty();
        if running {
            self.running.next_row();
        }
        let settled = match dup {
            Some(dup) => Err(self.duplicate(dup)),
            None => self.settle_record(rec),
        };
        let kind = match settled {
            Ok(kind) => kind,
            Err(e) => {
                self.statement.rejected += 1;
                if running {
                    self.running.settled(false);
                }
                return Err(Box::new(self.reject(rec, e)));
            }
        };
        if let Err(d) = self.statement.add(kind, &self.amounts) {
            self.statement.rejected += 1;
            if running {
                self.running.settled(false);
            }
            return Err(Box::new(self.reject(rec, RowError::Plain(d))));
        }
        if running {
            self.running.settled(true);
        }
        Ok(SettledRow {
            line: rec.line,
            kind,
            passed: &self.passed,
            cells: rec.cells,
            outcome: &self.outcome,
            amounts: &self.amounts,
            dp: self.dp,
        })
    }

    /// The error of a row whose id was already seen.
    fn duplicate(&self, dup: &Dup) -> RowError {
        let column = self
            .layout
            .id
            .and_then(|i| self.layout.names.get(i))
            .map_or("id", String::as_str);
        let (message, help) = if dup.reversal {
            (
                format!(
                    "the sale `{}` is already reversed at line {}: a second reversal would take its split back twice",
                    dup.id, dup.first
                ),
                "reverse a sale once: drop one of the two rows".to_string(),
            )
        } else {
            (
                format!(
                    "the `{column}` `{}` is already the sale at line {}: a sale is settled once",
                    dup.id, dup.first
                ),
                format!(
                    "give every sale its own `{column}`; a refund or chargeback of that sale is a row \
                     of `kind` `refund` or `chargeback` with the same `{column}`"
                ),
            )
        };
        let f = FieldError {
            code: crate::codes::BATCH_DUPLICATE_ID,
            message,
            help: Some(help),
        };
        RowError::Field(self.layout.id.unwrap_or(0), f)
    }

    /// Takes the speculation of the next block (see [`super::running`]).
    pub fn load(&mut self, spec: Speculation) {
        self.running.load(spec);
    }

    /// Gives back the block's speculation, and whether a row of the block
    /// settled otherwise than it assumed.
    pub fn unload(&mut self) -> (Speculation, bool) {
        let mismatch = self.running.mismatch();
        (self.running.unload(), mismatch)
    }

    /// Whether the record whose cells are `cells` has a corrected running
    /// value (see [`super::running`]); false for most rows.
    pub fn corrected(&mut self, cells: &Cells) -> bool {
        self.running.corrected(cells)
    }

    /// Whether a running value was ever corrected.
    pub fn any_correction(&self) -> bool {
        self.running.any_correction()
    }

    /// Speculates one record for the reading thread (`dup`: its id was
    /// already seen): its running values assuming every row whose EXPR
    /// evaluates settles, added to `spec`.
    pub fn speculate(&mut self, rec: &Record<'_>, dup: bool, spec: &mut Speculation) {
        self.running.next_row();
        let pre_ok = !dup
            && match self.read_inputs(rec) {
                Ok(kind) => self
                    .running
                    .pre(
                        &self.agreement.program,
                        rec.cells,
                        &self.inputs,
                        &mut self.outcome,
                        kind != Kind::Sale,
                    )
                    .is_ok(),
                Err(_) => false,
            };
        self.running.speculate(pre_ok, spec);
    }

    fn settle_record(&mut self, rec: &Record<'_>) -> Result<Kind, RowError> {
        let kind = self.read_inputs(rec)?;
        let cells = rec.cells;
        let price = self.agreement.program.price;
        let p = &self.agreement.program;
        if !self.running.is_empty() {
            self.running
                .pre(
                    p,
                    cells,
                    &self.inputs,
                    &mut self.outcome,
                    kind != Kind::Sale,
                )
                .map_err(RowError::Agreement)?;
            self.running
                .set_inputs(p, &mut self.inputs)
                .map_err(RowError::Agreement)?;
        }
        let sign = if kind == Kind::Sale { 1 } else { -1 };
        if let Some((fixed, state)) = &mut self.fixed {
            if !self.running.is_empty() {
                // `pre` evaluated the running totals' EXPR into the outcome.
                state.touched();
            }
            if fixed.run(&self.inputs, state, &mut self.outcome, &mut self.amounts) {
                if sign < 0 {
                    self.amounts.iter_mut().for_each(|a| *a = -*a);
                }
                return Ok(kind);
            }
            state.touched();
        }
        p.evaluate_into(&self.inputs, &mut self.outcome)
            .map_err(RowError::Agreement)?;
        if !self.outcome.all_hold() {
            let (_, diags) = requirement_failures(p, &self.outcome, &self.agreement.source.text);
            if let Some(d) = diags.into_iter().next() {
                return Err(RowError::Agreement(d));
            }
        }
        // The amounts in minor units: price, each deduction, the unallocated rest.
        self.amounts.clear();
        let internal = |what: &str| {
            RowError::Plain(Diagnostic::error(
                crate::codes::INTERNAL,
                format!("internal error: {what} is not in whole minor units"),
            ))
        };
        let price_units = match self.outcome.value(price) {
            Some(Value::Money(d, _)) => units(d, self.dp).ok_or_else(|| internal("the price"))?,
            _ => return Err(internal("the price")),
        };
        self.amounts.push(sign * price_units);
        for d in &p.deductions {
            let u = match self.outcome.value(d.slot) {
                Some(Value::Money(a, _)) => units(a, self.dp),
                _ => None,
            }
            .ok_or_else(|| internal("a deduction"))?;
            self.amounts.push(sign * u);
        }
        let un = units(self.outcome.unallocated(), self.dp)
            .ok_or_else(|| internal("the unallocated rest"))?;
        self.amounts.push(sign * un);
        Ok(kind)
    }

    /// Reads the record's cells into the inputs: the row's kind, or why not.
    fn read_inputs(&mut self, rec: &Record<'_>) -> Result<Kind, RowError> {
        if let Some(e) = rec.error {
            return Err(RowError::Source(e.clone()));
        }
        let cells = rec.cells;
        let want = self.layout.names.len();
        let have = cells.len();
        if have != want {
            let span = (0, rec.text.len());
            let names = |r: std::ops::Range<usize>| {
                self.layout
                    .names
                    .get(r)
                    .unwrap_or_default()
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(RowError::Syntax(if have < want {
                super::reader::SyntaxError {
                    code: crate::codes::BATCH_MISSING_COLUMN,
                    message: format!(
                        "the row has {have} field{}, the header {want}: {} missing",
                        if have == 1 { "" } else { "s" },
                        names(have..want)
                    ),
                    span,
                    help: Some(format!(
                        "give every row the header's columns: {}",
                        names(0..want)
                    )),
                }
            } else {
                super::reader::SyntaxError {
                    code: crate::codes::BATCH_COLUMN_COUNT,
                    message: format!("the row has {have} fields, the header only {want}"),
                    span,
                    help: Some("quote a field that holds a comma, e.g. \"Ana, Bruno\"".to_string()),
                }
            }));
        }
        let mut kind = Kind::Sale;
        let price = self.agreement.program.price;
        for (i, role) in self.layout.roles.iter().enumerate() {
            match *role {
                Role::Pass => {}
                Role::Kind => {
                    let text = trim(cells.get(i).unwrap_or_default());
                    kind = Kind::parse(text).ok_or_else(|| {
                        RowError::Field(
                            i,
                            FieldError {
                                code: crate::codes::BATCH_BAD_KIND,
                                message: format!(
                                    "`{}` is not a kind of row",
                                    String::from_utf8_lossy(text)
                                ),
                                help: Some(
                                    "write `sale` (or nothing), `refund` or `chargeback`".into(),
                                ),
                            },
                        )
                    })?;
                }
                Role::Input(slot) => {
                    let name = self.layout.names.get(i).map_or("", String::as_str);
                    let text = match cells.cell(i) {
                        Some(Cell::Value(v)) => {
                            let v = check_value(self.agreement, slot, name, v, slot == price)
                                .map_err(|e| RowError::Field(i, e))?;
                            self.inputs.set(slot, v);
                            continue;
                        }
                        Some(Cell::Text(t) | Cell::Json(t)) => t,
                        None => b"",
                    };
                    // An empty cell takes the `--set` value, else the input's
                    // default; the price has no default in a ledger.
                    let base = self.base.get(slot);
                    if trim(text).is_empty() && (slot != price || base.is_some()) {
                        match base {
                            Some(v) => self.inputs.set(slot, v),
                            None => self.inputs.unset(slot),
                        }
                        continue;
                    }
                    let v = parse_cell(
                        self.agreement,
                        slot,
                        name,
                        text,
                        slot == price,
                        self.layout.numbers,
                    )
                    .map_err(|e| RowError::Field(i, e))?;
                    self.inputs.set(slot, v);
                }
            }
        }
        Ok(kind)
    }

    fn reject(&self, rec: &Record<'_>, e: RowError) -> Reject {
        // The cells are those read before an error; a record that could not
        // be read may still name its id.
        let cells = rec.cells;
        let id = self
            .layout
            .id
            .and_then(|i| cells.cell(i))
            .map(|c| match c {
                Cell::Text(t) | Cell::Json(t) => String::from_utf8_lossy(trim(t)).into_owned(),
                Cell::Value(v) => v.to_string(),
            })
            .or_else(|| rec.error.and_then(|e| e.id.clone()))
            .filter(|id| !id.is_empty());
        let span = |(a, b): (usize, usize)| Span::new(a, b);
        let (diagnostic, against) = match e {
            RowError::Field(i, f) => {
                let at = cells.spans.get(i).copied().unwrap_or((0, rec.text.len()));
                let name = self.layout.names.get(i).map_or("", String::as_str);
                let d = Diagnostic::error(f.code, f.message)
                    .primary(span(at), format!("the `{name}` cell"))
                    .maybe_help(f.help);
                (d, Against::Row)
            }
            RowError::Syntax(s) => (
                Diagnostic::error(s.code, s.message)
                    .primary(span(s.span), "")
                    .maybe_help(s.help),
                Against::Row,
            ),
            RowError::Source(s) => {
                let d = Diagnostic::error(s.code, s.message);
                let d = match s.span {
                    Some(at) => d.primary(span(at), ""),
                    None => d,
                };
                (d.maybe_help(s.help), Against::Row)
            }
            RowError::Agreement(d) => (d, Against::Agreement),
            RowError::Plain(d) => (d, Against::Row),
        };
        Reject {
            line: rec.line,
            id,
            diagnostic,
            against,
            record: String::from_utf8_lossy(rec.text).into_owned(),
        }
    }
}
