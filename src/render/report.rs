//! One sale's breakdown rendered: as a table, JSON text (the stable
//! contract of docs/language.md section 7) or CSV. The figures come from
//! `summary`.

use crate::eval::Outcome;
use crate::program::Program;
use crate::summary::{value_json, DeductionJson, MoneyJson, RequirementJson};
use crate::textwidth::{self as tw, Align::Left, Align::Right};
use crate::value::format_amount;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::summary::{lines, price};

// JSON and CSV text are written by the command line (and the tests).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
#[derive(Serialize)]
struct ReportJson<'a> {
    agreement: Option<&'a str>,
    price: MoneyJson,
    deductions: Vec<DeductionJson<'a>>,
    unallocated: MoneyJson,
    values: Map<String, Json>,
    requirements: Vec<RequirementJson<'a>>,
}

/// The JSON report (docs/language.md section 7).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn json(p: &Program, out: &Outcome) -> String {
    let c = p.currency;
    let money = |d: Decimal| MoneyJson {
        amount: format_amount(d, c),
        currency: c.code(),
    };
    let mut values = Map::new();
    for (i, s) in p.slots.iter().enumerate() {
        if let Some(v) = out.value(i) {
            values.insert(s.name.clone(), value_json(v));
        } else if let Some(d) = out.failure(i) {
            // A cell nothing needed for this sale, and that fails for it.
            values.insert(
                s.name.clone(),
                json!({"kind": "error", "code": d.code, "message": d.message}),
            );
        }
    }
    let report = ReportJson {
        agreement: p.title.as_deref(),
        price: money(price(out)),
        deductions: lines(p, out)
            .into_iter()
            .map(|l| DeductionJson {
                kind: l.kind,
                name: l.name,
                label: l.label,
                amount: format_amount(l.amount, c),
                currency: c.code(),
                remaining: format_amount(l.remaining, c),
            })
            .collect(),
        unallocated: money(out.unallocated()),
        values,
        requirements: p
            .requirements
            .iter()
            .zip(&out.requirements)
            .map(|(r, h)| RequirementJson {
                message: &r.message,
                holds: *h,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `amount` as a percentage of `of`, two decimals, or `—` when `of` is zero.
pub fn percent(amount: Decimal, of: Decimal) -> String {
    if of.is_zero() {
        return "—".into();
    }
    match amount
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|x| x.checked_div(of))
    {
        Some(x) => {
            let mut r = x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            r.rescale(2);
            format!("{r}%")
        }
        None => "—".into(),
    }
}

/// The label column of deduction `k`: a member of a labelled group share
/// shows the group's label first, `Co-producers › Bruno` (the JSON keeps
/// each member's own label).
fn table_label(p: &Program, k: usize, own: Option<&str>) -> String {
    let group = p
        .deductions
        .get(k)
        .and_then(|d| d.group)
        .and_then(|g| p.groups.get(g))
        .and_then(|g| g.label.as_deref());
    match (group, own) {
        (Some(g), Some(o)) => format!("{g} › {o}"),
        (Some(g), None) => g.to_string(),
        (None, o) => o.unwrap_or("").to_string(),
    }
}

/// The breakdown as an aligned table. `failures` holds a text for each
/// requirement that does not hold (the values involved).
pub fn table(p: &Program, out: &Outcome, failures: &[Option<String>]) -> String {
    let c = p.currency;
    let total = price(out);
    let title = p.title.as_deref().unwrap_or("Agreement");
    let mut s = format!("{title} — sale of {} {c}\n", format_amount(total, c));
    let ls = lines(p, out);
    let rows: Vec<[String; 6]> = ls
        .iter()
        .enumerate()
        .map(|(k, l)| {
            [
                l.kind.to_string(),
                l.name.to_string(),
                table_label(p, k, l.label),
                format!("{} {c}", format_amount(l.amount, c)),
                percent(l.amount, total),
                format_amount(l.remaining, c),
            ]
        })
        .collect();
    let unalloc = out.unallocated();
    let un_amount = format!("{} {c}", format_amount(unalloc, c));
    let un_pct = percent(unalloc, total);
    // Display widths, padded with spaces (see crate::textwidth): a label
    // may be wider than a format spec's width allows, and CJK or emoji
    // take two columns.
    let width = |i: usize, extra: usize| tw::column(rows.iter().map(|r| r[i].as_str())).max(extra);
    let w_kind = width(0, 0);
    let w_name = width(1, 0);
    let w_label = width(2, 0);
    let w_amount = width(3, tw::width(&un_amount));
    let w_pct = width(4, tw::width(&un_pct));
    let w_rem = width(5, 0);
    for r in &rows {
        let mut line = String::from("  ");
        tw::pad(&mut line, &r[0], w_kind, Left);
        line.push_str("  ");
        tw::pad(&mut line, &r[1], w_name, Left);
        line.push_str("  ");
        tw::pad(&mut line, &r[2], w_label, Left);
        line.push_str("   ");
        tw::pad(&mut line, &r[3], w_amount, Right);
        line.push_str("   ");
        tw::pad(&mut line, &r[4], w_pct, Right);
        line.push_str("   remaining ");
        tw::pad(&mut line, &r[5], w_rem, Right);
        s.push_str(line.trim_end());
        s.push('\n');
    }
    let head = w_kind + w_name + w_label + 4;
    let mut line = String::from("  ");
    tw::pad(&mut line, "unallocated", head, Left);
    line.push_str("   ");
    tw::pad(&mut line, &un_amount, w_amount, Right);
    line.push_str("   ");
    tw::pad(&mut line, &un_pct, w_pct, Right);
    s.push_str(line.trim_end());
    s.push('\n');
    for (i, (r, holds)) in p.requirements.iter().zip(&out.requirements).enumerate() {
        if *holds {
            s.push_str(&format!("  ✓ {}\n", r.message));
        } else {
            let why = failures.get(i).cloned().flatten().unwrap_or_default();
            if why.is_empty() {
                s.push_str(&format!("  ✗ {}\n", r.message));
            } else {
                s.push_str(&format!("  ✗ {} ({why})\n", r.message));
            }
        }
    }
    s
}

/// The breakdown as CSV: one row per deduction, then the unallocated rest.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn csv(p: &Program, out: &Outcome) -> String {
    let c = p.currency;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<Vec<String>> = vec![[
        "kind",
        "name",
        "label",
        "amount",
        "currency",
        "share_of_price",
        "remaining",
    ]
    .map(String::from)
    .to_vec()];
    let total = price(out);
    for l in lines(p, out) {
        rows.push(vec![
            l.kind.into(),
            l.name.into(),
            l.label.unwrap_or("").into(),
            format_amount(l.amount, c),
            c.code().into(),
            percent(l.amount, total),
            format_amount(l.remaining, c),
        ]);
    }
    let un = out.unallocated();
    rows.push(vec![
        "unallocated".into(),
        String::new(),
        String::new(),
        format_amount(un, c),
        c.code().into(),
        percent(un, total),
        format_amount(un, c),
    ]);
    for r in rows {
        if w.write_record(&r).is_err() {
            break;
        }
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}
