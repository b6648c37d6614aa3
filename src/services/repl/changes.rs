//! What a change did to one sale, as data: the figures before and after a
//! what-if, a `set` or an edit of the agreement ([`WhatIf`]), and what an
//! edit of the agreement's text did ([`Edit`]). `render` turns them into
//! the REPL's tables.

use crate::eval::Outcome;
use crate::program::Program;
use crate::syntax::ast::DeductionKind;
use crate::value::Currency;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// What a row of a [`WhatIf`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FigureKind {
    /// The price of the sale.
    Price,
    /// A fee or a share.
    Deduction(DeductionKind),
    /// What no share took.
    Unallocated,
}

/// One figure before and after a change.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Figure {
    /// The price, a fee or share, or the unallocated rest.
    pub kind: FigureKind,
    /// `price`, the fee's or share's name, or `unallocated`.
    pub name: String,
    /// The fee's or share's label.
    pub label: Option<String>,
    /// The amount before, in [`WhatIf::before_currency`] (None: the figure
    /// did not exist, or the sale did not evaluate).
    pub before: Option<Decimal>,
    /// The amount after, in [`WhatIf::after_currency`] (None: the change
    /// removed it).
    pub after: Option<Decimal>,
}

/// One requirement before and after a change, matched by its message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequirementChange {
    /// The requirement's message.
    pub message: String,
    /// Whether it held before (None: it did not exist, or the sale did not
    /// evaluate).
    pub before: Option<bool>,
    /// Whether it holds after (None: the change removed it).
    pub after: Option<bool>,
}

/// One sale before and after a change: the price, every fee and share
/// (matched by name), the unallocated rest and every requirement.
///
/// ```
/// use splitdsl::repl::Session;
/// let s = Session::from_text("a.split", "price = 10.00 USD\nshare p = 50% of price\n")
///     .map_err(|e| e.to_string())?;
/// let w = s.what_if(&[("price", "20.00 USD")]).map_err(|e| e.to_string())?;
/// let p = w.figure("p").expect("a share p");
/// assert_eq!(p.before.map(|d| d.to_string()).as_deref(), Some("5.00"));
/// assert_eq!(p.after.map(|d| d.to_string()).as_deref(), Some("10.00"));
/// assert_eq!(w.difference(p).map(|d| d.to_string()).as_deref(), Some("5.00"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WhatIf {
    /// The currency of the amounts before.
    pub before_currency: Currency,
    /// The currency of the amounts after.
    pub after_currency: Currency,
    /// The price, the fees and shares of the agreement after the change in
    /// their order, those it removed, then the unallocated rest.
    pub figures: Vec<Figure>,
    /// The requirements after the change in their order, then those it removed.
    pub requirements: Vec<RequirementChange>,
}

impl WhatIf {
    /// The figure named `name` (`price`, a fee or share, `unallocated`).
    pub fn figure(&self, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.name == name)
    }

    /// After minus before, when both exist in the same currency.
    pub fn difference(&self, f: &Figure) -> Option<Decimal> {
        difference(self.before_currency, self.after_currency, f.before, f.after)
    }

    /// The change from `bo` (an outcome of `bp`, None if it did not
    /// evaluate) to `ao` (an outcome of `ap`).
    pub(crate) fn between(bp: &Program, bo: Option<&Outcome>, ap: &Program, ao: &Outcome) -> Self {
        Changes::between(bp, bo, ap, ao).owned()
    }

    /// The same change, borrowing its names (what [`Changes`] renders).
    pub(crate) fn view(&self) -> Changes<'_> {
        Changes {
            before_currency: self.before_currency,
            after_currency: self.after_currency,
            figures: self
                .figures
                .iter()
                .map(|f| FigureRef {
                    kind: f.kind,
                    name: &f.name,
                    label: f.label.as_deref(),
                    before: f.before,
                    after: f.after,
                })
                .collect(),
            requirements: self
                .requirements
                .iter()
                .map(|r| RequirementRef {
                    message: &r.message,
                    before: r.before,
                    after: r.after,
                })
                .collect(),
        }
    }
}

/// After minus before, when both exist in the same currency.
fn difference(
    bc: Currency,
    ac: Currency,
    before: Option<Decimal>,
    after: Option<Decimal>,
) -> Option<Decimal> {
    match (before, after) {
        (Some(b), Some(a)) if bc == ac => a.checked_sub(b),
        _ => None,
    }
}

/// A [`Figure`] borrowing its name and label from the programs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FigureRef<'a> {
    pub(crate) kind: FigureKind,
    pub(crate) name: &'a str,
    pub(crate) label: Option<&'a str>,
    pub(crate) before: Option<Decimal>,
    pub(crate) after: Option<Decimal>,
}

/// A [`RequirementChange`] borrowing its message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequirementRef<'a> {
    pub(crate) message: &'a str,
    pub(crate) before: Option<bool>,
    pub(crate) after: Option<bool>,
}

/// A [`WhatIf`] borrowing its texts from the programs it compares: the REPL
/// renders it without a string a figure (a what-if of 1,000 shares copied
/// 2,000 names and labels to print them once); [`Changes::owned`] is the
/// [`WhatIf`].
#[derive(Clone, Debug)]
pub(crate) struct Changes<'a> {
    pub(crate) before_currency: Currency,
    pub(crate) after_currency: Currency,
    pub(crate) figures: Vec<FigureRef<'a>>,
    pub(crate) requirements: Vec<RequirementRef<'a>>,
}

impl<'a> Changes<'a> {
    /// After minus before, when both exist in the same currency.
    pub(crate) fn difference(&self, f: &FigureRef<'_>) -> Option<Decimal> {
        difference(self.before_currency, self.after_currency, f.before, f.after)
    }

    /// The [`WhatIf`] with its own texts.
    pub(crate) fn owned(&self) -> WhatIf {
        WhatIf {
            before_currency: self.before_currency,
            after_currency: self.after_currency,
            figures: self
                .figures
                .iter()
                .map(|f| Figure {
                    kind: f.kind,
                    name: f.name.to_string(),
                    label: f.label.map(str::to_string),
                    before: f.before,
                    after: f.after,
                })
                .collect(),
            requirements: self
                .requirements
                .iter()
                .map(|r| RequirementChange {
                    message: r.message.to_string(),
                    before: r.before,
                    after: r.after,
                })
                .collect(),
        }
    }

    /// The change from `bo` (an outcome of `bp`, None if it did not
    /// evaluate) to `ao` (an outcome of `ap`).
    pub(crate) fn between(
        bp: &'a Program,
        bo: Option<&Outcome>,
        ap: &'a Program,
        ao: &Outcome,
    ) -> Self {
        let price = |o: &Outcome| o.pools.first().copied().unwrap_or_default();
        let b_lines = bo.map(|o| deductions(bp, o)).unwrap_or_default();
        let a_lines = deductions(ap, ao);
        let mut figures = Vec::with_capacity(a_lines.len() + 2);
        figures.push(FigureRef {
            kind: FigureKind::Price,
            name: "price",
            label: None,
            before: bo.map(price),
            after: Some(price(ao)),
        });
        // Matched by name (a what-if may add, drop or move deductions). When
        // the names are the same in the same order (a what-if of inputs, a
        // `set`), row by row; else through an index, not a search per row,
        // which was quadratic in the number of deductions.
        let in_order =
            b_lines.len() == a_lines.len() && b_lines.iter().zip(&a_lines).all(|(b, a)| b.1 == a.1);
        if in_order || b_lines.is_empty() {
            for (i, &(kind, name, label, amount)) in a_lines.iter().enumerate() {
                figures.push(FigureRef {
                    kind: FigureKind::Deduction(kind),
                    name,
                    label,
                    before: b_lines.get(i).map(|b| b.3),
                    after: Some(amount),
                });
            }
        } else {
            let b_amounts: HashMap<&str, Decimal> =
                b_lines.iter().map(|(_, n, _, a)| (*n, *a)).collect();
            let a_names: HashSet<&str> = a_lines.iter().map(|(_, n, ..)| *n).collect();
            for &(kind, name, label, amount) in &a_lines {
                figures.push(FigureRef {
                    kind: FigureKind::Deduction(kind),
                    name,
                    label,
                    before: b_amounts.get(name).copied(),
                    after: Some(amount),
                });
            }
            for &(kind, name, label, amount) in &b_lines {
                if !a_names.contains(name) {
                    figures.push(FigureRef {
                        kind: FigureKind::Deduction(kind),
                        name,
                        label,
                        before: Some(amount),
                        after: None,
                    });
                }
            }
        }
        figures.push(FigureRef {
            kind: FigureKind::Unallocated,
            name: "unallocated",
            label: None,
            before: bo.map(Outcome::unallocated),
            after: Some(ao.unallocated()),
        });
        // Requirements, matched by message.
        let b_reqs: Vec<(&str, bool)> = match bo {
            Some(o) => bp
                .requirements
                .iter()
                .zip(&o.requirements)
                .map(|(r, h)| (r.message.as_str(), *h))
                .collect(),
            None => Vec::new(),
        };
        let mut requirements = Vec::new();
        for (r, h) in ap.requirements.iter().zip(&ao.requirements) {
            let before = b_reqs
                .iter()
                .find(|(m, _)| *m == r.message)
                .map(|(_, h)| *h);
            requirements.push(RequirementRef {
                message: &r.message,
                before,
                after: Some(*h),
            });
        }
        for &(m, h) in &b_reqs {
            if !ap.requirements.iter().any(|r| r.message == m) {
                requirements.push(RequirementRef {
                    message: m,
                    before: Some(h),
                    after: None,
                });
            }
        }
        Changes {
            before_currency: bp.currency,
            after_currency: ap.currency,
            figures,
            requirements,
        }
    }
}

/// The deductions of an outcome in file order: kind, name, label, amount.
pub(crate) fn deductions<'a>(
    p: &'a Program,
    out: &Outcome,
) -> Vec<(DeductionKind, &'a str, Option<&'a str>, Decimal)> {
    p.deductions
        .iter()
        .map(|d| {
            (
                d.kind,
                p.slots[d.slot].name.as_str(),
                d.label.as_deref(),
                out.value(d.slot)
                    .and_then(|v| v.decimal())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// One thing an edit of the agreement's text did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// A statement replaced the one defining the same name (`kind`: the
    /// old one's keyword, `input`, `price`, `cell`, `fee`, `share`, `table`).
    Replaced {
        /// The old statement's kind.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// `NAME = EXPR` changed only the formula of an input, fee or share.
    ChangedFormula {
        /// Its kind.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The price was added.
    AddedPrice,
    /// A statement defining a new name was added.
    Added {
        /// Its kind.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The title replaced the title.
    ReplacedTitle,
    /// The rounding mode replaced the rounding mode.
    ReplacedRounding,
    /// An example replaced the example of the same name.
    ReplacedExample,
    /// A requirement was added.
    AddedRequirement,
    /// An example was added.
    AddedExample,
    /// The agreement got a title.
    SetTitle,
    /// The agreement got a rounding mode.
    SetRounding,
    /// `:move`: a fee or share moved in the deduction order.
    Moved {
        /// What moved.
        name: String,
        /// Before `other` (else after it).
        before: bool,
        /// The fee or share it moved next to.
        other: String,
    },
    /// `:undo`: the last edit was undone.
    Undone,
}

/// What an edit of the agreement's text did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Edit {
    /// What happened, in the order the statements were typed.
    pub actions: Vec<Action>,
    /// The overrides that no longer fit the edited agreement (dropped).
    pub dropped: Vec<String>,
    /// The sale before and after (None: there was no agreement before).
    pub changes: Option<WhatIf>,
    /// Fees and shares added after one that leaves nothing: (added, the one before it).
    pub after_nothing: Vec<(String, String)>,
}
