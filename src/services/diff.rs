//! `splitdsl diff OLD NEW`: what a change to an agreement does to each
//! party, as data (the command line, `splitdsl diff`, renders it).
//!
//! Three parts:
//!
//! - [`statements`]: the statements added, removed and changed, matched by
//!   kind and name (requirements by message, else by their place among the
//!   requirements without one; examples by name); "changed" compares the
//!   canonical text of [`crate::fmt`], so a whitespace-only edit is no change;
//! - [`sale`]: one sale under both agreements — every fee, share and the
//!   unallocated rest before / after, every requirement;
//! - [`sales`]: a ledger streamed once, each row settled with both
//!   agreements by the same rules as `splitdsl run --sales`; per party the
//!   totals before / after and how many rows changed for it.
//!
//! ```
//! use splitdsl::Agreement;
//! let old = Agreement::compile("v1.split", "price = 100.00 USD\nshare a = 10% of price\nshare p = remaining\n").unwrap();
//! let new = Agreement::compile("v2.split", "price = 100.00 USD\nshare a = 12% of price\nshare p = remaining\n").unwrap();
//! let changes = splitdsl::diff::statements(&old, &new);
//! assert_eq!(changes.changed[0].new, "12% of price");
//! let inputs = splitdsl::diff::overrides(&old, &new, &[]).unwrap();
//! let sale = splitdsl::diff::sale(&old, &inputs.old, &new, &inputs.new).unwrap();
//! let a = &sale.parties[0];
//! assert_eq!(a.difference().unwrap().to_string(), "2.00 USD");
//! ```

use crate::agreement::{Agreement, Failure, Source};
use crate::batch::ids::IdIndex;
use crate::batch::{
    Cells, Columns, Fatal, HeaderError, Layout, LedgerReader, Record, RecordError, RecordSource,
    Reject, Settler,
};
use crate::diag::Diagnostic;
use crate::eval::{Inputs, Outcome};
use crate::fmt::expr_text;
use crate::program::{Program, SlotKind};
use crate::syntax::ast::{ItemKind, Stmt, StmtKind, TableKey};
use crate::value::{format_amount, Currency};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::Read;

/// Which of the two agreements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// OLD, the agreement as it is.
    Old,
    /// NEW, the proposed change.
    New,
}

impl Side {
    /// `OLD` or `NEW`.
    pub fn word(self) -> &'static str {
        match self {
            Side::Old => "OLD",
            Side::New => "NEW",
        }
    }
}

// ---------------------------------------------------------------- statements

/// A statement of one side, reduced to what is compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `agreement`, `rounding`, `price`, `input`, `cell`, `fee`, `share`,
    /// `table`, `require` or `example`.
    pub kind: &'static str,
    /// Its name (a requirement's message, or `#N`, its place among the
    /// requirements without a message); `None` for `agreement` and `rounding`.
    pub name: Option<String>,
    /// What it says, in the canonical layout, without its keyword and name.
    pub formula: String,
}

/// A statement on both sides whose formula differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// Its kind, as in [`Entry::kind`].
    pub kind: &'static str,
    /// Its name, as in [`Entry::name`].
    pub name: Option<String>,
    /// OLD's formula.
    pub old: String,
    /// NEW's formula.
    pub new: String,
}

/// The statements added, removed and changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statements {
    /// In NEW only, in NEW's order.
    pub added: Vec<Entry>,
    /// In OLD only, in OLD's order.
    pub removed: Vec<Entry>,
    /// In both, with another formula, in NEW's order.
    pub changed: Vec<Changed>,
}

impl Statements {
    /// Whether nothing was added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

use crate::syntax::print::quote as quoted;

/// The entries of a file, in order.
fn entries(stmts: &[Stmt], src: &str) -> Vec<Entry> {
    let e = |x| expr_text(x, src);
    let mut unnamed = 0;
    stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Agreement { title } => Entry {
                kind: "agreement",
                name: None,
                formula: quoted(&title.value),
            },
            StmtKind::Rounding { mode } => Entry {
                kind: "rounding",
                name: None,
                formula: mode.name.clone(),
            },
            StmtKind::Input { name, value } => Entry {
                kind: "input",
                name: Some(name.name.clone()),
                formula: e(value),
            },
            StmtKind::Running { name, value, per } => Entry {
                kind: "running",
                name: Some(name.name.clone()),
                formula: match per {
                    Some(c) => format!("sum of {} per {}", e(value), c.name),
                    None => format!("sum of {}", e(value)),
                },
            },
            StmtKind::Cell { name, value } => Entry {
                kind: if name.name == "price" {
                    "price"
                } else {
                    "cell"
                },
                name: Some(name.name.clone()),
                formula: e(value),
            },
            StmtKind::Deduction {
                kind,
                name,
                label,
                value,
                when,
                ..
            } => {
                let mut formula = String::new();
                if let Some(l) = label {
                    formula.push_str(&quoted(&l.value));
                    formula.push_str(" = ");
                }
                formula.push_str(&e(value));
                if let Some(w) = when {
                    formula.push_str(" when ");
                    formula.push_str(&e(w));
                }
                Entry {
                    kind: kind.keyword(),
                    name: Some(name.name.clone()),
                    formula,
                }
            }
            StmtKind::Group {
                members,
                label,
                value,
                when,
                ..
            } => {
                let head = crate::syntax::print::group_head(members, src);
                let mut formula = head.trim_start_matches("share ").to_string();
                if let Some(l) = label {
                    formula.push(' ');
                    formula.push_str(&quoted(&l.value));
                }
                formula.push_str(" = ");
                formula.push_str(&e(value));
                if let Some(w) = when {
                    formula.push_str(" when ");
                    formula.push_str(&e(w));
                }
                let names: Vec<&str> = members.iter().map(|m| m.name.name.as_str()).collect();
                Entry {
                    kind: "share",
                    name: Some(format!("({})", names.join(", "))),
                    formula,
                }
            }
            StmtKind::Table { name, rows } | StmtKind::Brackets { name, rows } => {
                let rows: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        let key = match &r.key {
                            TableKey::Value(k) => e(k),
                            TableKey::Range { lo, hi, .. } => format!(
                                "{}..{}",
                                lo.as_ref().map(e).unwrap_or_default(),
                                hi.as_ref().map(e).unwrap_or_default()
                            ),
                        };
                        format!("{key} => {}", e(&r.value))
                    })
                    .collect();
                Entry {
                    kind: match s.kind {
                        StmtKind::Brackets { .. } => "brackets",
                        _ => "table",
                    },
                    name: Some(name.name.clone()),
                    formula: format!("{{ {} }}", rows.join("; ")),
                }
            }
            StmtKind::Require { cond, message } => Entry {
                kind: "require",
                name: Some(match message {
                    Some(m) => m.value.clone(),
                    None => {
                        unnamed += 1;
                        format!("#{unnamed}")
                    }
                }),
                formula: e(cond),
            },
            StmtKind::Example { name, items } => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let kw = match i.kind {
                            ItemKind::Given => "given",
                            ItemKind::Expect => "expect",
                        };
                        format!("{kw} {} = {}", i.name.name, e(&i.value))
                    })
                    .collect();
                Entry {
                    kind: "example",
                    name: Some(name.value.clone()),
                    formula: format!("{{ {} }}", items.join("; ")),
                }
            }
        })
        .collect()
}

/// The key statements are matched by: kind, name, and which occurrence of
/// that pair it is (two requirements may share a message).
fn keys(entries: &[Entry]) -> Vec<(&'static str, Option<String>, usize)> {
    let mut seen: HashMap<(&'static str, Option<String>), usize> = HashMap::new();
    entries
        .iter()
        .map(|e| {
            let n = seen.entry((e.kind, e.name.clone())).or_insert(0);
            *n += 1;
            (e.kind, e.name.clone(), *n)
        })
        .collect()
}

/// The statements added, removed and changed from `old` to `new`.
pub fn statements(old: &Agreement, new: &Agreement) -> Statements {
    let (o, n) = (
        entries(&old.ast.stmts, &old.source.text),
        entries(&new.ast.stmts, &new.source.text),
    );
    let (ok, nk) = (keys(&o), keys(&n));
    let old_at: HashMap<_, usize> = ok
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    let mut matched = vec![false; o.len()];
    let mut out = Statements::default();
    for (entry, key) in n.iter().zip(&nk) {
        match old_at.get(key).and_then(|&i| Some((i, o.get(i)?))) {
            Some((i, before)) => {
                if let Some(m) = matched.get_mut(i) {
                    *m = true;
                }
                if before.formula != entry.formula {
                    out.changed.push(Changed {
                        kind: entry.kind,
                        name: entry.name.clone(),
                        old: before.formula.clone(),
                        new: entry.formula.clone(),
                    });
                }
            }
            None => out.added.push(entry.clone()),
        }
    }
    for (entry, m) in o.iter().zip(&matched) {
        if !m {
            out.removed.push(entry.clone());
        }
    }
    out
}

// ---------------------------------------------------------------- overrides

/// The inputs of each side: `--set` applied to each side that has the input.
#[derive(Clone, Debug)]
pub struct Overrides {
    /// OLD's inputs.
    pub old: Inputs,
    /// NEW's inputs.
    pub new: Inputs,
    /// An assignment that one side has no input for, e.g. "`--set rate=…`
    /// applies to NEW only: OLD has no input `rate`".
    pub notes: Vec<String>,
}

/// Whether `name` is an input of `a`.
fn has_input(a: &Agreement, name: &str) -> bool {
    a.program
        .slot(name)
        .and_then(|s| a.program.slots.get(s))
        .is_some_and(|s| s.kind == SlotKind::Input)
}

/// Applies `set` (each `NAME=EXPR`, as given to `--set`) to both sides; an
/// input that only one side has is set there, and noted. A name that is an
/// input of neither side, or a value that does not fit, is an error
/// against the assignment (shown under the name `--set`, or `--set (for
/// NEW)` when only NEW refuses it).
pub fn overrides(old: &Agreement, new: &Agreement, set: &[String]) -> Result<Overrides, Failure> {
    let mut out = Overrides {
        old: old.raw_inputs(),
        new: new.raw_inputs(),
        notes: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let mut failed_text = String::new();
    let mut failed_name = "--set".to_string();
    for s in set {
        let name = s.split('=').next().unwrap_or("").trim();
        let (in_old, in_new) = (has_input(old, name), has_input(new, name));
        // Neither: OLD's error says why (unknown, or a cell), with a near name.
        let sides: &[Side] = match (in_old, in_new) {
            (true, true) | (false, false) => &[Side::Old, Side::New],
            (true, false) => &[Side::Old],
            (false, true) => &[Side::New],
        };
        for &side in sides {
            let (a, inputs) = match side {
                Side::Old => (old, &mut out.old),
                Side::New => (new, &mut out.new),
            };
            if let Err(d) = a.set_from_text(inputs, s) {
                diagnostics.push(d);
                failed_text = s.clone();
                if side == Side::New && in_old {
                    // OLD took it: say whose error this is.
                    failed_name = format!("--set (for {})", Side::New.word());
                }
                break;
            }
        }
        if in_old != in_new {
            let (has, lacks) = if in_old {
                (Side::Old, Side::New)
            } else {
                (Side::New, Side::Old)
            };
            out.notes.push(format!(
                "`--set {s}` applies to {} only: {} has no input `{name}`",
                has.word(),
                lacks.word()
            ));
        }
        if !diagnostics.is_empty() {
            break;
        }
    }
    if diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(Failure {
            source: Source {
                name: failed_name,
                text: failed_text,
            },
            diagnostics,
        })
    }
}

// ---------------------------------------------------------------- one sale

/// An amount of money, exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            format_amount(self.amount, self.currency),
            self.currency
        )
    }
}

/// `after − before`, an absent side counting as zero; `None` when the
/// currencies differ (or on overflow).
fn difference(before: Option<Money>, after: Option<Money>) -> Option<Money> {
    match (before, after) {
        (Some(b), Some(a)) if a.currency == b.currency => Some(Money {
            amount: a.amount.checked_sub(b.amount)?,
            currency: a.currency,
        }),
        (Some(_), Some(_)) | (None, None) => None,
        (Some(b), None) => Some(Money {
            amount: -b.amount,
            currency: b.currency,
        }),
        (None, Some(a)) => Some(a),
    }
}

/// A fee, share or the unallocated rest, on one sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// `fee`, `share` or `unallocated` (NEW's kind when both have it).
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Its label (NEW's when both have it).
    pub label: Option<String>,
    /// OLD's amount (`None`: OLD has no such party).
    pub before: Option<Money>,
    /// NEW's amount (`None`: NEW has no such party).
    pub after: Option<Money>,
}

impl Party {
    /// `after − before`, an absent side counting as zero; `None` when the
    /// currencies differ.
    pub fn difference(&self) -> Option<Money> {
        difference(self.before, self.after)
    }
}

/// A requirement on one sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementChange {
    /// Its message (or its condition when it has none).
    pub message: String,
    /// Whether it holds under OLD (`None`: OLD has no such requirement).
    pub before: Option<bool>,
    /// Whether it holds under NEW (`None`: NEW has no such requirement).
    pub after: Option<bool>,
}

/// One sale under both agreements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleDiff {
    /// The price under OLD and under NEW.
    pub price: (Money, Money),
    /// Every fee and share (OLD's order, NEW's additions after the party
    /// that precedes them in NEW), then the unallocated rest.
    pub parties: Vec<Party>,
    /// Every requirement, matched as statements are.
    pub requirements: Vec<RequirementChange>,
}

/// A party of an agreement: kind, name, label.
type PartyOf<'a> = (&'static str, &'a str, Option<&'a str>);

/// The parties of a program: its fees and shares in file order, then `unallocated`.
fn parties_of(p: &Program) -> Vec<PartyOf<'_>> {
    let mut v: Vec<PartyOf<'_>> = p
        .deductions
        .iter()
        .filter_map(|d| {
            let s = p.slots.get(d.slot)?;
            Some((d.kind.keyword(), s.name.as_str(), d.label.as_deref()))
        })
        .collect();
    v.push(("unallocated", "unallocated", None));
    v
}

/// The union of both sides' parties by name: (name, index in OLD, index in
/// NEW), in OLD's order with NEW's additions placed after the party that
/// precedes them in NEW; `unallocated` last.
fn merge_parties(old: &[PartyOf<'_>], new: &[PartyOf<'_>]) -> Vec<(Option<usize>, Option<usize>)> {
    let deductions = |v: &[PartyOf<'_>]| v.len().saturating_sub(1);
    let old_at: HashMap<&str, usize> = old
        .iter()
        .take(deductions(old))
        .enumerate()
        .map(|(i, p)| (p.1, i))
        .collect();
    let mut out: Vec<(Option<usize>, Option<usize>)> =
        (0..deductions(old)).map(|i| (Some(i), None)).collect();
    let mut after: Option<usize> = None; // where the last NEW party sits in `out`
    for (j, p) in new.iter().take(deductions(new)).enumerate() {
        match old_at.get(p.1) {
            Some(&i) => {
                let at = out.iter().position(|x| x.0 == Some(i));
                if let Some(slot) = at.and_then(|k| out.get_mut(k)) {
                    slot.1 = Some(j);
                }
                after = at;
            }
            None => {
                let at = after.map_or(0, |k| k + 1);
                out.insert(at.min(out.len()), (None, Some(j)));
                after = Some(at.min(out.len().saturating_sub(1)));
            }
        }
    }
    out.push((Some(deductions(old)), Some(deductions(new))));
    out
}

/// The amount of each party of `p` in `out` (fees and shares, then the rest).
fn amounts(p: &Program, out: &Outcome) -> Vec<Decimal> {
    let mut v: Vec<Decimal> = p
        .deductions
        .iter()
        .map(|d| {
            out.value(d.slot)
                .and_then(|v| v.decimal())
                .unwrap_or_default()
        })
        .collect();
    v.push(out.unallocated());
    v
}

/// Each requirement's key (as statements are matched), with its message.
fn requirement_keys(a: &Agreement) -> Vec<(Option<String>, usize, String)> {
    let mut unnamed = 0;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let messages = a.ast.stmts.iter().filter_map(|s| match &s.kind {
        StmtKind::Require { message, .. } => Some(message.as_ref().map(|m| m.value.clone())),
        _ => None,
    });
    messages
        .zip(&a.program.requirements)
        .map(|(m, r)| match m {
            Some(m) => {
                let n = seen.entry(m.clone()).or_insert(0);
                *n += 1;
                (Some(m), *n, r.message.clone())
            }
            None => {
                unnamed += 1;
                (None, unnamed, r.message.clone())
            }
        })
        .collect()
}

/// One sale, evaluated with `old_inputs` under `old` and `new_inputs`
/// under `new`. An evaluation error is returned with its side (its spans
/// point into that side's source).
pub fn sale(
    old: &Agreement,
    old_inputs: &Inputs,
    new: &Agreement,
    new_inputs: &Inputs,
) -> Result<SaleDiff, (Side, Diagnostic)> {
    let oo = old
        .evaluate_outcome(old_inputs)
        .map_err(|d| (Side::Old, d))?;
    let no = new
        .evaluate_outcome(new_inputs)
        .map_err(|d| (Side::New, d))?;
    let (op, np) = (&old.program, &new.program);
    let money = |c: Currency| {
        move |amount: Decimal| Money {
            amount,
            currency: c,
        }
    };
    let (om, nm) = (money(op.currency), money(np.currency));
    let (opar, npar) = (parties_of(op), parties_of(np));
    let (oa, na) = (amounts(op, &oo), amounts(np, &no));
    let parties = merge_parties(&opar, &npar)
        .into_iter()
        .filter_map(|(i, j)| {
            let (o, n) = (i.and_then(|i| opar.get(i)), j.and_then(|j| npar.get(j)));
            let (kind, name, label) = n.or(o)?;
            Some(Party {
                kind,
                name: name.to_string(),
                label: label.map(str::to_string),
                before: i.and_then(|i| oa.get(i)).map(|&d| om(d)),
                after: j.and_then(|j| na.get(j)).map(|&d| nm(d)),
            })
        })
        .collect();
    let (ok, nk) = (requirement_keys(old), requirement_keys(new));
    let mut requirements = Vec::new();
    let mut matched = vec![false; ok.len()];
    for ((m, k, message), holds) in nk.iter().zip(&no.requirements) {
        let i = ok.iter().position(|(m2, k2, _)| m2 == m && k2 == k);
        if let Some(flag) = i.and_then(|i| matched.get_mut(i)) {
            *flag = true;
        }
        requirements.push(RequirementChange {
            message: message.clone(),
            before: i.and_then(|i| oo.requirements.get(i)).copied(),
            after: Some(*holds),
        });
    }
    for (((_, _, message), holds), m) in ok.iter().zip(&oo.requirements).zip(&matched) {
        if !m {
            requirements.push(RequirementChange {
                message: message.clone(),
                before: Some(*holds),
                after: None,
            });
        }
    }
    Ok(SaleDiff {
        price: (
            om(crate::summary::price(&oo)),
            nm(crate::summary::price(&no)),
        ),
        parties,
        requirements,
    })
}

// ---------------------------------------------------------------- a ledger

/// A party's totals over a ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyTotal {
    /// `price`, `fee`, `share` or `unallocated`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Σ over the rows OLD settled (refunds and chargebacks negative);
    /// `None`: OLD has no such party.
    pub before: Option<Money>,
    /// Σ over the rows NEW settled; `None`: NEW has no such party.
    pub after: Option<Money>,
    /// How many rows gave it another amount under NEW than under OLD (a
    /// row one side rejected, or a party one side lacks, counts as zero
    /// there).
    pub changed: u64,
}

impl PartyTotal {
    /// `after − before`, an absent side counting as zero; `None` when the
    /// currencies differ.
    pub fn difference(&self) -> Option<Money> {
        difference(self.before, self.after)
    }
}

/// A ledger settled under both agreements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesDiff {
    /// The price, every fee and share, the unallocated rest (ordered as in [`SaleDiff`]).
    pub parties: Vec<PartyTotal>,
    /// The rows read (the header aside).
    pub rows: u64,
    /// The rows OLD rejected.
    pub rejected_old: u64,
    /// The rows NEW rejected.
    pub rejected_new: u64,
}

/// What the caller hears while a ledger is compared.
pub trait DiffObserver {
    /// A row that one side or both rejected, in line order.
    fn reject(&mut self, old: Option<&Reject>, new: Option<&Reject>);
    /// A warning about the header for `side` (spans point into `header`).
    fn warning(&mut self, _side: Side, _diagnostic: &Diagnostic, _header: &str) {}
}

/// Collects rejects (for tests): (line, rejected by OLD, rejected by NEW).
impl DiffObserver for Vec<(u64, bool, bool)> {
    fn reject(&mut self, old: Option<&Reject>, new: Option<&Reject>) {
        let line = old.or(new).map_or(0, |r| r.line);
        self.push((line, old.is_some(), new.is_some()));
    }
}

/// Why a ledger could not be compared.
#[derive(Debug)]
pub struct SalesError {
    /// The side whose reading of the header failed (`None`: the ledger itself).
    pub side: Option<Side>,
    /// The problem.
    pub fatal: Fatal,
}

fn fail(side: Option<Side>, fatal: Fatal) -> Box<SalesError> {
    Box::new(SalesError { side, fatal })
}

/// Settles the ledger `input` once, each row with `old` (inputs
/// `old_inputs`, which a row's own cells win over) and with `new`, by the
/// rules of `splitdsl run --sales`; rejected rows go to `observer`.
///
/// ```
/// use splitdsl::Agreement;
/// let old = Agreement::compile("v1.split", "price = 100.00 USD\nshare a = 10% of price\nshare p = remaining\n").unwrap();
/// let new = Agreement::compile("v2.split", "price = 100.00 USD\nshare a = 12% of price\nshare p = remaining\n").unwrap();
/// let ledger = "price\n100.00\n50.00\n";
/// let mut rejects = Vec::new();
/// let d = splitdsl::diff::sales(&old, &old.raw_inputs(), &new, &new.raw_inputs(), ledger.as_bytes(), &mut rejects).unwrap();
/// assert_eq!(d.parties[1].name, "a");
/// assert_eq!(d.parties[1].difference().unwrap().to_string(), "3.00 USD");
/// assert_eq!(d.parties[1].changed, 2);
/// ```
pub fn sales<R: Read>(
    old: &Agreement,
    old_inputs: &Inputs,
    new: &Agreement,
    new_inputs: &Inputs,
    input: R,
    observer: &mut dyn DiffObserver,
) -> Result<SalesDiff, Box<SalesError>> {
    // The ledger is read once, through the same source as `run --sales`.
    let source = LedgerReader::new(input, old, None);
    sales_from(old, old_inputs, new, new_inputs, source, observer)
}

/// [`sales`] from any record source (a Parquet ledger, say).
pub fn sales_from<S: RecordSource>(
    old: &Agreement,
    old_inputs: &Inputs,
    new: &Agreement,
    new_inputs: &Inputs,
    mut source: S,
    observer: &mut dyn DiffObserver,
) -> Result<SalesDiff, Box<SalesError>> {
    let header = source.header().map_err(|e| {
        fail(
            None,
            match e {
                HeaderError::Empty => Fatal::Empty,
                HeaderError::Read(e) => Fatal::Read(e),
                HeaderError::Bad { diagnostic, header } => Fatal::Header { diagnostic, header },
            },
        )
    })?;
    let layout = |a: &Agreement, inputs: &Inputs, side: Side| {
        Layout::new(
            a,
            header.names.clone(),
            &header.spans,
            header.numbers,
            inputs,
        )
        .map_err(|e| {
            fail(
                Some(side),
                Fatal::Header {
                    diagnostic: e.diagnostic,
                    header: header.text.clone(),
                },
            )
        })
    };
    let ol = layout(old, old_inputs, Side::Old)?;
    let nl = layout(new, new_inputs, Side::New)?;
    for w in &ol.warnings {
        observer.warning(Side::Old, w, &header.text);
    }
    for w in &nl.warnings {
        if !ol.warnings.contains(w) {
            observer.warning(Side::New, w, &header.text);
        }
    }
    // The id and `kind` columns go by name, the same on both sides; a
    // column either side may miss (an input with a default there) reads as
    // empty when missing.
    let optional: Vec<bool> = ol
        .optional
        .iter()
        .zip(&nl.optional)
        .map(|(a, b)| *a || *b)
        .collect();
    source.bind(&Columns {
        names: &ol.names,
        optional: &optional,
        id: ol.id,
        kind: ol.kind,
    });
    let jsonl = header.text.trim_start().starts_with('{');
    // A JSON Lines key missing from a row reads as empty when either side
    // may miss it; the side that may not rejects the row, as `run --sales`
    // does (the reader leaves a missing key's cell without a place).
    let missing = |layout: &Layout, rec: &Record<'_>| -> Option<RecordError> {
        if !jsonl || rec.error.is_some() {
            return None;
        }
        let i = (0..layout.names.len()).find(|&i| {
            optional.get(i) == Some(&true)
                && layout.optional.get(i) == Some(&false)
                && rec.cells.spans.get(i) == Some(&(0, 0))
                && rec.cells.get(i).is_some_and(<[u8]>::is_empty)
        })?;
        Some(RecordError {
            code: crate::codes::BATCH_MISSING_COLUMN,
            message: format!(
                "the key `{}` is missing",
                layout.names.get(i).map_or("", String::as_str)
            ),
            span: Some((0, rec.text.len())),
            help: Some(format!(
                "every line has the keys of the first line, but for inputs with a default: {}",
                layout.names.join(", ")
            )),
            id: None,
        })
    };
    let mut os = Settler::new(old, &ol, old_inputs);
    let mut ns = Settler::new(new, &nl, new_inputs);
    let (op, np) = (&old.program, &new.program);
    // Amounts of a row: 0 the price, then each deduction, then the rest.
    let (opar, npar) = (parties_of(op), parties_of(np));
    let mut pairs = vec![(Some(0), Some(0))];
    pairs.extend(
        merge_parties(&opar, &npar)
            .into_iter()
            .map(|(i, j)| (i.map(|i| i + 1), j.map(|j| j + 1))),
    );
    let mut changed = vec![0u64; pairs.len()];
    // This row's amounts on each side (empty when the side rejected it).
    let (mut od, mut nd): (Vec<i128>, Vec<i128>) = (Vec::new(), Vec::new());
    let same_unit = op.currency == np.currency;
    let mut rows = 0u64;
    let mut index = IdIndex::new();
    let mut cells = Cells::default();
    while let Some(batch) = source
        .next_batch()
        .map_err(|e| fail(None, Fatal::Read(e)))?
    {
        // Repeated ids, in input order (the id and kind columns are the same
        // for both sides).
        let dups = index.scan::<S>(&batch, &ol);
        let mut dups = dups.iter().peekable();
        S::read(&batch, &mut cells, |rec| {
            rows += 1;
            let dup = dups.next_if(|d| d.line == rec.line);
            let (oe, ne) = (missing(&ol, &rec), missing(&nl, &rec));
            let orec = Record {
                error: oe.as_ref().or(rec.error),
                ..rec
            };
            let nrec = Record {
                error: ne.as_ref().or(rec.error),
                ..rec
            };
            let old_reject = match os.settle(&orec, dup) {
                Ok(row) => {
                    od.clear();
                    od.extend_from_slice(row.amounts());
                    None
                }
                Err(r) => {
                    od.clear();
                    Some(r)
                }
            };
            let new_reject = match ns.settle(&nrec, dup) {
                Ok(row) => {
                    nd.clear();
                    nd.extend_from_slice(row.amounts());
                    None
                }
                Err(r) => {
                    nd.clear();
                    Some(r)
                }
            };
            if old_reject.is_some() || new_reject.is_some() {
                observer.reject(old_reject.as_deref(), new_reject.as_deref());
            }
            for ((i, j), n) in pairs.iter().zip(changed.iter_mut()) {
                let a = i.and_then(|i| od.get(i)).copied().unwrap_or(0);
                let b = j.and_then(|j| nd.get(j)).copied().unwrap_or(0);
                if a != b || (!same_unit && (a != 0 || b != 0)) {
                    *n += 1;
                }
            }
        });
    }
    let total = |s: &Settler<'_>, line: usize, c: Currency| -> Result<Money, Box<SalesError>> {
        let units = s
            .statement
            .lines
            .get(line)
            .and_then(|t| t.net())
            .unwrap_or_default();
        let amount = Decimal::try_from_i128_with_scale(units, c.minor_unit()).map_err(|_| {
            fail(
                None,
                Fatal::Other(Diagnostic::error(
                    crate::codes::BATCH_OVERFLOW,
                    "the ledger's totals overflow (more than 10^28 minor units)",
                )),
            )
        })?;
        Ok(Money {
            amount,
            currency: c,
        })
    };
    let mut parties = Vec::with_capacity(pairs.len());
    for (&(i, j), &n) in pairs.iter().zip(&changed) {
        let (kind, name) = match (i, j) {
            (Some(0), _) | (_, Some(0)) => ("price", "price"),
            (_, Some(j)) => npar.get(j - 1).map_or(("", ""), |p| (p.0, p.1)),
            (Some(i), None) => opar.get(i - 1).map_or(("", ""), |p| (p.0, p.1)),
            (None, None) => continue,
        };
        parties.push(PartyTotal {
            kind,
            name: name.to_string(),
            before: i.map(|i| total(&os, i, op.currency)).transpose()?,
            after: j.map(|j| total(&ns, j, np.currency)).transpose()?,
            changed: n,
        });
    }
    Ok(SalesDiff {
        parties,
        rows,
        rejected_old: os.statement.rejected,
        rejected_new: ns.statement.rejected,
    })
}
