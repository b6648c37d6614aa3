//! One sale's outcome as data, for every front end: the deductions in order
//! with the pool after each, the price, why each requirement failed, the
//! cells that have no value, and the structs of the JSON contract
//! (docs/language.md section 7). Nothing here renders: the table, JSON text
//! and CSV are `report`'s, the chart is `chart`'s.

use crate::diag::Diagnostic;
use crate::eval::Outcome;
use crate::program::Program;
use crate::value::{format_amount, format_number, Value};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value as Json};

/// A value in the JSON contract.
pub fn value_json(v: Value) -> Json {
    match v {
        Value::Money(d, c) => {
            json!({"kind": "money", "amount": format_amount(d, c), "currency": c.code()})
        }
        Value::Number(d) => json!({"kind": "number", "value": format_number(d)}),
        Value::Bool(b) => json!({"kind": "bool", "value": b}),
        Value::Date(d) => json!({"kind": "date", "value": d.format("%Y-%m-%d").to_string()}),
        Value::Rate(d, to, per) => {
            json!({"kind": "rate", "value": d.to_string(), "currency": to.code(), "per": per.code()})
        }
    }
}

/// Money in the JSON contract: `{"amount": "…", "currency": "…"}`.
#[derive(Serialize)]
pub(crate) struct MoneyJson {
    pub(crate) amount: String,
    pub(crate) currency: &'static str,
}

/// One deduction in the JSON contract.
#[derive(Serialize)]
pub(crate) struct DeductionJson<'a> {
    pub(crate) kind: &'static str,
    pub(crate) name: &'a str,
    pub(crate) label: Option<&'a str>,
    pub(crate) amount: String,
    pub(crate) currency: &'static str,
    pub(crate) remaining: String,
}

/// One requirement in the JSON contract.
#[derive(Serialize)]
pub(crate) struct RequirementJson<'a> {
    pub(crate) message: &'a str,
    pub(crate) holds: bool,
}

/// One deduction's figures.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    /// `fee` or `share`.
    pub kind: &'static str,
    /// Its name.
    pub name: &'a str,
    /// Its label.
    pub label: Option<&'a str>,
    /// Its amount.
    pub amount: Decimal,
    /// The pool after it.
    pub remaining: Decimal,
}

/// The deductions of an outcome, in file order.
pub fn lines<'a>(p: &'a Program, out: &Outcome) -> Vec<Line<'a>> {
    p.deductions
        .iter()
        .enumerate()
        .map(|(k, d)| Line {
            kind: d.kind.keyword(),
            name: &p.slots[d.slot].name,
            label: d.label.as_deref(),
            amount: out
                .value(d.slot)
                .and_then(|v| v.decimal())
                .unwrap_or_default(),
            remaining: out.pools.get(k + 1).copied().unwrap_or_default(),
        })
        .collect()
}

/// The price of an outcome.
pub fn price(out: &Outcome) -> Decimal {
    out.pools.first().copied().unwrap_or_default()
}

/// For each requirement that does not hold: the value of every operand of
/// its comparisons that the evaluation ran (under `and`, `or` and `not`
/// too), and a diagnostic at its condition.
pub fn requirement_failures(
    p: &Program,
    out: &Outcome,
    src: &str,
) -> (Vec<Option<String>>, Vec<Diagnostic>) {
    let mut texts = Vec::new();
    let mut diags = Vec::new();
    for (i, (r, holds)) in p.requirements.iter().zip(&out.requirements).enumerate() {
        if *holds {
            texts.push(None);
            continue;
        }
        // Each operand once (`n >= 1 and n <= 12` reads `n` twice).
        let mut operands: Vec<(String, Value)> = Vec::new();
        for (span, v) in p.requirement_operands(i, out) {
            let t = span.one_line(src);
            if !operands.iter().any(|(u, w)| *u == t && *w == v) {
                operands.push((t, v));
            }
        }
        let mut d = Diagnostic::error(
            crate::codes::REQUIRE_FAILED,
            format!("requirement not met: {}", r.message),
        );
        let text = if operands.is_empty() {
            d = d.primary(r.span, "false for this sale");
            String::new()
        } else {
            let label: Vec<String> = operands
                .iter()
                .map(|(t, v)| format!("`{t}` is {v}"))
                .collect();
            d = d.primary(r.span, label.join(", "));
            operands
                .iter()
                .map(|(t, v)| format!("`{t}` = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        d = d.help("the sale's split breaks this rule; change the shares or the inputs");
        texts.push(Some(text));
        diags.push(d);
    }
    (texts, diags)
}

/// A warning for each cell that nothing in this sale needed and that has
/// no value for it (e.g. a table lookup only a false `when` would use): the
/// sale settles without it, and the warning says why it has no value.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // `run` warns with them
pub fn unavailable(p: &Program, out: &Outcome) -> Vec<Diagnostic> {
    out.failed
        .iter()
        .filter_map(|(slot, cause)| {
            let s = p.slots.get(*slot)?;
            let mut d = Diagnostic::warning(
                crate::codes::EVAL_UNUSED_FAILED,
                format!("`{}` has no value for this sale: {}", s.name, cause.message),
            )
            .primary(
                s.name_span,
                "no fee, share or requirement needs it for this sale",
            );
            for l in &cause.labels {
                d = d.secondary(l.span, l.message.clone());
            }
            Some(d.help(
                "the split does not depend on it, so the sale settles; it is shown without a value",
            ))
        })
        .collect()
}
