//! Before / after / difference tables.

use super::State;
use crate::eval::Outcome;
use crate::program::Program;
use crate::textwidth::{self as tw, Align::Left, Align::Right};
use crate::value::{format_amount, Currency};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// One row: what, before, after.
struct Row {
    kind: &'static str,
    name: String,
    label: String,
    before: Option<(Decimal, Currency)>,
    after: Option<(Decimal, Currency)>,
}

fn deduction_rows(p: &Program, out: &Outcome) -> Vec<(String, &'static str, String, Decimal)> {
    crate::report::lines(p, out)
        .into_iter()
        .map(|l| {
            (
                l.name.to_string(),
                l.kind,
                l.label.unwrap_or("").to_string(),
                l.amount,
            )
        })
        .collect()
}

/// Aligns `rows` in columns: the first `left` columns to the left, the rest to the right.
pub(crate) fn align(rows: &[Vec<String>], left: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    // Display widths, padded with spaces (see crate::textwidth).
    let widths: Vec<usize> = (0..cols)
        .map(|i| tw::column(rows.iter().filter_map(|r| r.get(i)).map(String::as_str)))
        .collect();
    let mut s = String::new();
    for r in rows {
        let mut line = String::from(" ");
        for (i, (c, w)) in r.iter().zip(&widths).enumerate() {
            line.push(' ');
            tw::pad(&mut line, c, *w, if i < left { Left } else { Right });
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn signed(d: Decimal, c: Currency) -> String {
    let t = format_amount(d, c);
    if d > Decimal::ZERO {
        format!("+{t}")
    } else {
        t
    }
}

/// The table of what moved from `before` to `after`: the price, every fee
/// and share, the unallocated rest and every requirement (`all`), or only
/// the rows that changed.
pub(crate) fn changes(before: &State, after: &State, all: bool) -> String {
    match &after.outcome {
        Ok(ao) => compare(
            &before.agreement.program,
            before.outcome.as_ref().ok(),
            &after.agreement.program,
            ao,
            all,
        ),
        Err(_) => String::new(),
    }
}

/// [`changes`] on programs and outcomes.
pub(crate) fn compare(
    bp: &Program,
    bo: Option<&Outcome>,
    ap: &Program,
    ao: &Outcome,
    all: bool,
) -> String {
    let (bc, ac) = (bp.currency, ap.currency);
    let mut rows = vec![Row {
        kind: "",
        name: "price".into(),
        label: String::new(),
        before: bo.map(|o| (crate::report::price(o), bc)),
        after: Some((crate::report::price(ao), ac)),
    }];
    let b_lines = bo.map(|o| deduction_rows(bp, o)).unwrap_or_default();
    let a_lines = deduction_rows(ap, ao);
    // Matched by name (a what-if may add, drop or move deductions): an index,
    // not a search per row, which was quadratic in the number of deductions.
    let b_amounts: HashMap<&str, Decimal> =
        b_lines.iter().map(|(n, .., a)| (n.as_str(), *a)).collect();
    let a_names: HashSet<&str> = a_lines.iter().map(|(n, ..)| n.as_str()).collect();
    for (name, kind, label, amount) in &a_lines {
        let before = b_amounts.get(name.as_str()).map(|a| (*a, bc));
        rows.push(Row {
            kind,
            name: name.clone(),
            label: label.clone(),
            before,
            after: Some((*amount, ac)),
        });
    }
    for (name, kind, label, amount) in &b_lines {
        if !a_names.contains(name.as_str()) {
            rows.push(Row {
                kind,
                name: name.clone(),
                label: label.clone(),
                before: Some((*amount, bc)),
                after: None,
            });
        }
    }
    rows.push(Row {
        kind: "",
        name: "unallocated".into(),
        label: String::new(),
        before: bo.map(|o| (o.unallocated(), bc)),
        after: Some((ao.unallocated(), ac)),
    });
    let same_currency = bc == ac;
    let money = |m: Option<(Decimal, Currency)>| match m {
        Some((d, c)) if same_currency => format_amount(d, c),
        Some((d, c)) => format!("{} {c}", format_amount(d, c)),
        None => "—".into(),
    };
    let header = if same_currency {
        format!("({ac})")
    } else {
        String::new()
    };
    let mut table = vec![vec![
        header,
        String::new(),
        String::new(),
        "before".into(),
        "after".into(),
        "difference".into(),
    ]];
    let mut unchanged = 0;
    for r in &rows {
        let diff = match (r.before, r.after) {
            (Some((b, c)), Some((a, d))) if c == d => a.checked_sub(b),
            _ => None,
        };
        if !all && diff.is_some_and(|d| d.is_zero()) {
            unchanged += 1;
            continue;
        }
        table.push(vec![
            r.kind.to_string(),
            r.name.clone(),
            r.label.clone(),
            money(r.before),
            money(r.after),
            diff.map_or_else(|| "—".into(), |d| signed(d, ac)),
        ]);
    }
    let mut s = String::new();
    if table.len() > 1 {
        s.push_str(&align(&table, 3));
    }
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
    let mark = |h: Option<bool>| match h {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "—",
    };
    let mut req_lines = Vec::new();
    for (r, h) in ap.requirements.iter().zip(&ao.requirements) {
        let b = b_reqs
            .iter()
            .find(|(m, _)| *m == r.message)
            .map(|(_, h)| *h);
        if !all && b == Some(*h) {
            unchanged += 1;
            continue;
        }
        req_lines.push(format!(
            "  {} → {}  {}\n",
            mark(b),
            mark(Some(*h)),
            r.message
        ));
    }
    for (m, h) in &b_reqs {
        if !ap.requirements.iter().any(|r| r.message == *m) {
            req_lines.push(format!("  {} → {}  {}\n", mark(Some(*h)), mark(None), m));
        }
    }
    for l in req_lines {
        s.push_str(&l);
    }
    if !all {
        if table.len() == 1 && s.is_empty() {
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
