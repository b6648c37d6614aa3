//! The statement of a ledger: for the price, each fee and share and the
//! unallocated rest, the number of rows, the gross of sales, the refunds, the
//! chargebacks, and the net — exact, in whole minor units, and reconciled.

use super::field::write_units;
use crate::diag::Diagnostic;
use crate::program::Program;
use crate::textwidth::{self as tw, Align::Left, Align::Right};
use crate::value::Currency;
use serde::Serialize;

/// A row's kind (the ledger's `kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A sale (the default).
    Sale,
    /// A refund: the sale's split, reversed.
    Refund,
    /// A chargeback: the sale's split, reversed.
    Chargeback,
}

impl Kind {
    /// Reads a `kind` cell (already trimmed): empty or `sale`, `refund`, `chargeback`.
    pub fn parse(text: &[u8]) -> Option<Kind> {
        if text.is_empty() || text.eq_ignore_ascii_case(b"sale") {
            Some(Kind::Sale)
        } else if text.eq_ignore_ascii_case(b"refund") {
            Some(Kind::Refund)
        } else if text.eq_ignore_ascii_case(b"chargeback") {
            Some(Kind::Chargeback)
        } else {
            None
        }
    }
}

/// One line's totals, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows settled (sales and reversals).
    pub count: u64,
    /// The sum over sales.
    pub gross: i128,
    /// The sum over refunds (zero or less).
    pub refunds: i128,
    /// The sum over chargebacks (zero or less).
    pub chargebacks: i128,
}

impl Totals {
    /// gross + refunds + chargebacks.
    pub fn net(&self) -> Option<i128> {
        self.gross
            .checked_add(self.refunds)?
            .checked_add(self.chargebacks)
    }

    fn part(&mut self, kind: Kind) -> &mut i128 {
        match kind {
            Kind::Sale => &mut self.gross,
            Kind::Refund => &mut self.refunds,
            Kind::Chargeback => &mut self.chargebacks,
        }
    }
}

/// A refund or chargeback whose sale is not in the ledger (by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    /// Its line.
    pub line: u64,
    /// The id of the sale it reverses.
    pub id: String,
    /// Refund or chargeback.
    pub kind: Kind,
}

impl Orphan {
    /// The warning, e.g. `refund S9 (line 12): its sale is not in this ledger`.
    pub fn message(&self) -> String {
        let kind = if self.kind == Kind::Chargeback {
            "chargeback"
        } else {
            "refund"
        };
        format!(
            "{kind} {} (line {}): its sale is not in this ledger",
            self.id, self.line
        )
    }
}

/// At most this many warnings are listed in the table (all are in the JSON).
const WARNINGS_SHOWN: usize = 20;

/// The totals of a ledger (or of the part one thread settled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The currency of every amount.
    pub currency: Currency,
    /// Its minor unit: amounts are in `10^-dp`.
    pub dp: u32,
    /// The price, each deduction in file order, the unallocated rest.
    pub lines: Vec<Totals>,
    /// Sales settled.
    pub sales: u64,
    /// Refunds settled.
    pub refunds: u64,
    /// Chargebacks settled.
    pub chargebacks: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Refunds and chargebacks whose sale is not in the ledger (by id), in line order.
    pub orphans: Vec<Orphan>,
}

fn overflow() -> Diagnostic {
    Diagnostic::error(
        crate::codes::BATCH_OVERFLOW,
        "the ledger's totals overflow (more than 10^36 minor units)",
    )
    .help("split the ledger and settle the parts separately")
}

/// The check `price = fees + shares + unallocated` over a whole ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    /// Σ price (net of refunds).
    pub price: i128,
    /// Σ fees.
    pub fees: i128,
    /// Σ shares.
    pub shares: i128,
    /// Σ unallocated.
    pub unallocated: i128,
    /// Whether price = fees + shares + unallocated, for the gross, the refunds,
    /// the chargebacks and the net.
    pub holds: bool,
}

impl Statement {
    /// Empty totals for `program`'s lines.
    pub fn new(program: &Program) -> Self {
        Statement {
            currency: program.currency,
            dp: program.currency.minor_unit(),
            lines: vec![Totals::default(); program.deductions.len() + 2],
            sales: 0,
            refunds: 0,
            chargebacks: 0,
            rejected: 0,
            orphans: Vec::new(),
        }
    }

    /// Rows settled.
    pub fn settled(&self) -> u64 {
        self.sales + self.refunds + self.chargebacks
    }

    /// Adds one settled row: `amounts` are its lines' amounts (already
    /// negative for a reversal). All or nothing: on overflow nothing is added.
    pub fn add(&mut self, kind: Kind, amounts: &[i128]) -> Result<(), Diagnostic> {
        let fits = self
            .lines
            .iter_mut()
            .zip(amounts)
            .all(|(t, &a)| t.part(kind).checked_add(a).is_some());
        if !fits || amounts.len() != self.lines.len() {
            return Err(overflow());
        }
        for (t, &a) in self.lines.iter_mut().zip(amounts) {
            t.count += 1;
            *t.part(kind) += a;
        }
        match kind {
            Kind::Sale => self.sales += 1,
            Kind::Refund => self.refunds += 1,
            Kind::Chargeback => self.chargebacks += 1,
        }
        Ok(())
    }

    /// Adds another part's totals to these.
    pub fn merge(&mut self, other: &Statement) -> Result<(), Diagnostic> {
        for (t, o) in self.lines.iter_mut().zip(&other.lines) {
            t.count += o.count;
            t.gross = t.gross.checked_add(o.gross).ok_or_else(overflow)?;
            t.refunds = t.refunds.checked_add(o.refunds).ok_or_else(overflow)?;
            t.chargebacks = t
                .chargebacks
                .checked_add(o.chargebacks)
                .ok_or_else(overflow)?;
        }
        self.sales += other.sales;
        self.refunds += other.refunds;
        self.chargebacks += other.chargebacks;
        self.rejected += other.rejected;
        Ok(())
    }

    /// Checks price = Σ fees + Σ shares + unallocated over the ledger.
    pub fn reconcile(&self, program: &Program) -> Result<Reconciliation, Diagnostic> {
        let sum =
            |pick: &dyn Fn(&Totals) -> Option<i128>, fees: bool| -> Result<i128, Diagnostic> {
                let mut s = 0i128;
                for (d, t) in program.deductions.iter().zip(self.lines.iter().skip(1)) {
                    let is_fee = d.kind.keyword() == "fee";
                    if is_fee == fees {
                        s = s
                            .checked_add(pick(t).ok_or_else(overflow)?)
                            .ok_or_else(overflow)?;
                    }
                }
                Ok(s)
            };
        let last = self.lines.len().saturating_sub(1);
        let line = |i: usize| self.lines.get(i).copied().unwrap_or_default();
        let mut holds = true;
        let mut net = (0, 0, 0, 0);
        for pick in [
            &(|t: &Totals| Some(t.gross)) as &dyn Fn(&Totals) -> Option<i128>,
            &|t: &Totals| Some(t.refunds),
            &|t: &Totals| Some(t.chargebacks),
            &|t: &Totals| t.net(),
        ] {
            let price = pick(&line(0)).ok_or_else(overflow)?;
            let fees = sum(pick, true)?;
            let shares = sum(pick, false)?;
            let un = pick(&line(last)).ok_or_else(overflow)?;
            let total = fees
                .checked_add(shares)
                .and_then(|x| x.checked_add(un))
                .ok_or_else(overflow)?;
            holds &= total == price;
            net = (price, fees, shares, un);
        }
        Ok(Reconciliation {
            price: net.0,
            fees: net.1,
            shares: net.2,
            unallocated: net.3,
            holds,
        })
    }

    /// An amount in minor units as text (`1040` → `10.40`).
    pub fn amount(&self, units: i128) -> String {
        let mut v = Vec::new();
        write_units(&mut v, units, self.dp);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// Each line: kind, name, label and totals.
    fn rows<'a>(&self, p: &'a Program) -> Vec<(&'static str, &'a str, &'a str, Totals)> {
        let mut rows = Vec::new();
        let mut lines = self.lines.iter().copied();
        let price = p.slots.get(p.price).map_or("price", |s| s.name.as_str());
        rows.push(("price", price, "", lines.next().unwrap_or_default()));
        for d in &p.deductions {
            let name = p.slots.get(d.slot).map_or("", |s| s.name.as_str());
            rows.push((
                d.kind.keyword(),
                name,
                d.label.as_deref().unwrap_or(""),
                lines.next().unwrap_or_default(),
            ));
        }
        rows.push((
            "unallocated",
            "unallocated",
            "",
            lines.next().unwrap_or_default(),
        ));
        rows
    }

    /// The one-line summary of the rows.
    pub fn summary(&self) -> String {
        format!(
            "{} row{} settled ({} sale{}, {} refund{}, {} chargeback{}), {} rejected",
            self.settled(),
            plural(self.settled()),
            self.sales,
            plural(self.sales),
            self.refunds,
            plural(self.refunds),
            self.chargebacks,
            plural(self.chargebacks),
            self.rejected
        )
    }

    /// The reconciliation as one line of text.
    pub fn reconciliation_line(&self, r: &Reconciliation) -> String {
        let c = self.currency;
        let eq = if r.holds { "=" } else { "≠" };
        format!(
            "{} {}: price {} {c} {eq} fees {} + shares {} + unallocated {} {c}",
            if r.holds { "✓" } else { "✗" },
            if r.holds {
                "reconciled"
            } else {
                "DOES NOT RECONCILE"
            },
            self.amount(r.price),
            self.amount(r.fees),
            self.amount(r.shares),
            self.amount(r.unallocated),
        )
    }

    /// The statement as an aligned table.
    pub fn table(&self, p: &Program, r: &Reconciliation) -> String {
        let title = p.title.as_deref().unwrap_or("Agreement");
        let mut s = format!(
            "Statement — {title}, in {}: {}\n",
            self.currency,
            self.summary()
        );
        let mut cells: Vec<[String; 8]> = vec![[
            "kind",
            "name",
            "label",
            "count",
            "gross",
            "refunds",
            "chargebacks",
            "net",
        ]
        .map(String::from)];
        for (kind, name, label, t) in self.rows(p) {
            cells.push([
                kind.into(),
                name.into(),
                label.into(),
                t.count.to_string(),
                self.amount(t.gross),
                self.amount(t.refunds),
                self.amount(t.chargebacks),
                t.net().map_or("overflow".into(), |n| self.amount(n)),
            ]);
        }
        // Display widths, padded with spaces (see crate::textwidth): never a
        // format spec's width, which a long label would overflow.
        let cols = cells.iter().map(|c| c.len()).max().unwrap_or(0);
        let w: Vec<usize> = (0..cols)
            .map(|i| tw::column(cells.iter().filter_map(|c| c.get(i)).map(String::as_str)))
            .collect();
        for c in &cells {
            let mut line = String::new();
            for (i, (cell, w)) in c.iter().zip(&w).enumerate() {
                line.push_str("  ");
                tw::pad(&mut line, cell, *w, if i < 3 { Left } else { Right });
            }
            s.push_str(line.trim_end());
            s.push('\n');
        }
        s.push_str(&self.warnings_text());
        s.push_str(&self.reconciliation_line(r));
        s.push('\n');
        s
    }

    /// The warnings, one per line (`⚠ …`), at most `WARNINGS_SHOWN` of them.
    pub fn warnings_text(&self) -> String {
        let mut s = String::new();
        for o in self.orphans.iter().take(WARNINGS_SHOWN) {
            s.push_str(&format!("⚠ {}\n", o.message()));
        }
        let more = self.orphans.len().saturating_sub(WARNINGS_SHOWN);
        if more > 0 {
            s.push_str(&format!(
                "⚠ … and {more} more refund{} or chargeback{} of sales not in this ledger\n",
                plural(more as u64),
                plural(more as u64)
            ));
        }
        s
    }

    /// The statement as CSV: `kind,name,label,currency,count,gross,refunds,chargebacks,net`.
    pub fn csv(&self, p: &Program) -> Vec<u8> {
        let mut out = b"kind,name,label,currency,count,gross,refunds,chargebacks,net\n".to_vec();
        for (kind, name, label, t) in self.rows(p) {
            for f in [kind, name, label, self.currency.code()] {
                super::quote::write_csv_field(&mut out, f.as_bytes());
                out.push(b',');
            }
            out.extend_from_slice(t.count.to_string().as_bytes());
            for v in [Some(t.gross), Some(t.refunds), Some(t.chargebacks), t.net()] {
                out.push(b',');
                match v {
                    Some(v) => write_units(&mut out, v, self.dp),
                    None => out.extend_from_slice(b"overflow"),
                }
            }
            out.push(b'\n');
        }
        out
    }

    /// The statement as JSON.
    pub fn json(&self, p: &Program, r: &Reconciliation) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            kind: &'a str,
            name: &'a str,
            label: Option<&'a str>,
            count: u64,
            gross: String,
            refunds: String,
            chargebacks: String,
            net: String,
        }
        #[derive(Serialize)]
        struct Warning {
            line: u64,
            id: String,
            kind: &'static str,
            message: String,
        }
        #[derive(Serialize)]
        struct Rows {
            settled: u64,
            sales: u64,
            refunds: u64,
            chargebacks: u64,
            rejected: u64,
        }
        #[derive(Serialize)]
        struct Recon {
            price: String,
            fees: String,
            shares: String,
            unallocated: String,
            holds: bool,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            agreement: Option<&'a str>,
            currency: &'a str,
            rows: Rows,
            lines: Vec<Line<'a>>,
            reconciliation: Recon,
            warnings: Vec<Warning>,
        }
        let doc = Doc {
            agreement: p.title.as_deref(),
            currency: self.currency.code(),
            rows: Rows {
                settled: self.settled(),
                sales: self.sales,
                refunds: self.refunds,
                chargebacks: self.chargebacks,
                rejected: self.rejected,
            },
            lines: self
                .rows(p)
                .into_iter()
                .map(|(kind, name, label, t)| Line {
                    kind,
                    name,
                    label: (!label.is_empty()).then_some(label),
                    count: t.count,
                    gross: self.amount(t.gross),
                    refunds: self.amount(t.refunds),
                    chargebacks: self.amount(t.chargebacks),
                    net: t.net().map_or("overflow".into(), |n| self.amount(n)),
                })
                .collect(),
            reconciliation: Recon {
                price: self.amount(r.price),
                fees: self.amount(r.fees),
                shares: self.amount(r.shares),
                unallocated: self.amount(r.unallocated),
                holds: r.holds,
            },
            warnings: self
                .orphans
                .iter()
                .map(|o| Warning {
                    line: o.line,
                    id: o.id.clone(),
                    kind: if o.kind == Kind::Chargeback {
                        "chargeback"
                    } else {
                        "refund"
                    },
                    message: o.message(),
                })
                .collect(),
        };
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
            + "\n"
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
