//! docs/language.md §6.4: cells are evaluated when something needs them. A false
//! `when` needs nothing from its formula, `if` runs only the branch taken,
//! `and`/`or` stop at the operand that decides — in `run`, in every ledger
//! row and in the REPL. And `explain` shows the evaluation `run` did: every
//! number and condition in its tree is the evaluator's own (a property over
//! generated agreements and inputs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(feature = "cli")]
use assert_cmd::Command;
use proptest::prelude::*;
use splitdsl::batch::{settle, OutFormat};
use splitdsl::explain::{self, About, Node};
use splitdsl::repl::Session;
use splitdsl::value::Value;
use splitdsl::Agreement;

/// A table lookup in a cell that only a guarded fee uses, and a division
/// guarded the same way.
const GUARDED: &str = r#"price = 1200.00 BRL
input installments = 1
input n = 0

table installment_rate {
  2..6  => 2.49%
  7..12 => 4.99%
}

rate = installment_rate(installments)
fee installment = rate of price when installments > 1
per_unit = 1 / n
fee by_unit = per_unit * 1.00 BRL when n > 0
share producer = remaining
"#;

fn compile(src: &str) -> Agreement {
    common::compile(src)
}

fn value_of(a: &Agreement, sets: &[&str], name: &str) -> Option<Value> {
    let mut inputs = a.raw_inputs();
    for s in sets {
        a.set_from_text(&mut inputs, s).unwrap();
    }
    let out = a
        .evaluate_outcome(&inputs)
        .unwrap_or_else(|d| panic!("{}", common::rendered(&a.source.text, &[d])));
    out.value(a.program.slot(name).unwrap())
}

#[test]
fn a_false_when_needs_nothing_from_its_formula() {
    let a = compile(GUARDED);
    assert_eq!(
        value_of(&a, &[], "installment").unwrap().to_string(),
        "0.00 BRL"
    );
    assert_eq!(
        value_of(&a, &[], "by_unit").unwrap().to_string(),
        "0.00 BRL"
    );
    assert_eq!(
        value_of(&a, &[], "producer").unwrap().to_string(),
        "1200.00 BRL"
    );
    // Not needed and without a value: no value, and the reason is kept.
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let rate = a.program.slot("rate").unwrap();
    assert_eq!(out.value(rate), None);
    assert_eq!(
        out.failure(rate).map(|d| d.code.as_str()),
        Some("splitdsl::eval::no_table_row")
    );
    // When the `when` holds, the formula runs.
    assert_eq!(
        value_of(&a, &["installments=7", "n=4"], "installment")
            .unwrap()
            .to_string(),
        "59.88 BRL"
    );
    assert_eq!(
        value_of(&a, &["installments=7", "n=4"], "by_unit")
            .unwrap()
            .to_string(),
        "0.25 BRL"
    );
}

#[test]
fn a_needed_cell_that_fails_still_fails_the_sale() {
    let a = compile(GUARDED);
    let mut inputs = a.raw_inputs();
    a.set_from_text(&mut inputs, "installments=13").unwrap();
    let err = a.evaluate_outcome(&inputs).unwrap_err();
    assert_eq!(err.code, "splitdsl::eval::no_table_row");
}

#[test]
fn if_runs_only_the_branch_taken_and_and_or_short_circuit() {
    let src = "price = 10.00 USD\ninput n = 0\n\
               y = if n > 0 then 1 / n else 0\n\
               fee a = 1.00 USD when n > 0 and 1 / n > 0.5\n\
               fee b = 1.00 USD when n == 0 or 1 / n > 0.5\n\
               fee c = y * 1.00 USD\n\
               share p = remaining\n";
    let a = compile(src);
    assert_eq!(value_of(&a, &[], "y").unwrap().to_string(), "0");
    assert_eq!(value_of(&a, &[], "a").unwrap().to_string(), "0.00 USD");
    assert_eq!(value_of(&a, &[], "b").unwrap().to_string(), "1.00 USD");
    assert_eq!(value_of(&a, &["n=1"], "a").unwrap().to_string(), "1.00 USD");
    assert_eq!(value_of(&a, &["n=4"], "c").unwrap().to_string(), "0.25 USD");
}

#[test]
fn units_are_still_checked_before_anything_runs() {
    // The formula never runs for any sale, but its units are wrong.
    let codes =
        common::codes("price = 10.00 USD\nfee a = 1.00 USD + 5 when false\nshare p = remaining\n");
    assert!(
        codes.iter().any(|c| c.starts_with("splitdsl::unit::")),
        "{codes:?}"
    );
}

#[cfg(feature = "cli")]
#[test]
fn run_settles_and_warns_about_the_cell_without_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("guarded.split");
    std::fs::write(&file, GUARDED).unwrap();
    let out = Command::cargo_bin("splitdsl")
        .unwrap()
        .arg("run")
        .arg(&file)
        .arg("--format")
        .arg("json")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["values"]["producer"]["amount"], "1200.00");
    assert_eq!(json["values"]["rate"]["kind"], "error");
    assert_eq!(
        json["values"]["rate"]["code"],
        "splitdsl::eval::no_table_row"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`rate` has no value for this sale"),
        "{stderr}"
    );
}

#[test]
fn every_ledger_row_settles() {
    let a = compile(GUARDED);
    let ledger = "sale_id,price,installments,n\n1,1200.00,1,0\n2,1200.00,7,4\n3,100.00,1,0\n";
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    let settlement = settle(
        &a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut rejects,
    )
    .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));
    assert!(rejects.is_empty(), "{rejects:?}");
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    let _ = settlement;
}

#[test]
fn the_repl_evaluates_the_same_way() {
    let mut s = Session::from_text("guarded.split", GUARDED).unwrap();
    let r = s.handle("producer");
    assert!(r.diagnostics.is_empty(), "{}", r.output);
    assert!(r.output.contains("1200.00 BRL"), "{}", r.output);
    let r = s.handle("what if installments = 7");
    assert!(r.diagnostics.is_empty(), "{}", r.output);
    assert!(r.output.contains("59.88"), "{}", r.output);
    let r = s.handle("set installments = 1");
    assert!(r.diagnostics.is_empty(), "{}", r.output);
    let r = s.handle("installment");
    assert!(r.output.contains("0.00 BRL"), "{}", r.output);
    // Asking for the cell itself shows why it has no value.
    let r = s.handle("rate");
    assert!(!r.diagnostics.is_empty(), "{}", r.output);
}

#[test]
fn explain_says_the_condition_run_saw() {
    let a = compile(GUARDED);
    let slot = a.program.slot("installment").unwrap();
    let text = explain::explain(&a, &a.raw_inputs(), slot).unwrap();
    assert!(text.contains("when installments > 1 is false"), "{text}");
    assert!(text.contains("the condition is false, so the amount is 0"));
    assert!(!text.contains("is ?"), "{text}");
    let mut inputs = a.raw_inputs();
    a.set_from_text(&mut inputs, "installments=7").unwrap();
    let text = explain::explain(&a, &inputs, slot).unwrap();
    assert!(text.contains("when installments > 1 is true"), "{text}");
    assert!(text.contains("row 7..12"), "{text}");
    assert!(!text.contains("condition is false"), "{text}");
}

#[test]
fn a_failed_require_shows_every_operand_under_and_and_or() {
    let src = "price = 10.00 USD\ninput n = 13\ninput m = 2\n\
               share p = remaining\n\
               require (n >= 1 and n <= 12) or m > 5 \"between 1 and 12\"\n";
    let a = compile(src);
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let (texts, diags) = splitdsl::summary::requirement_failures(&a.program, &out, src);
    let text = texts[0].clone().unwrap();
    assert_eq!(text, "`n` = 13, `m` = 2");
    assert_eq!(diags.len(), 1);
}

// ---------------------------------------------------------------------
// The property: explain's tree is run's evaluation.

/// A generated agreement: inputs, cells with guarded divisions and table
/// lookups, deductions with and without `when`, a requirement.
fn agreement_text() -> impl Strategy<Value = String> {
    let deduction = prop_oneof![
        (0u32..60).prop_map(|p| format!("{p}% of remaining")),
        (0u32..30).prop_map(|p| format!("min({p}% of price, remaining)")),
        Just("min(rate of price, remaining)".to_string()),
        Just("min(per_unit * 1.00 USD, remaining)".to_string()),
        Just("if flag then 10% of remaining else 5% of remaining".to_string()),
        Just("min(big * 0.01 USD, remaining)".to_string()),
    ];
    let when = prop_oneof![
        Just(String::new()),
        Just(" when n > 0".to_string()),
        Just(" when tier >= 2 and flag".to_string()),
        Just(" when not flag or n > 3".to_string()),
        Just(" when day >= 2025-03-10".to_string()),
    ];
    proptest::collection::vec((deduction, when), 1..8).prop_map(|ds| {
        let mut s = String::from(
            "price = 100.00 USD\ninput n = 0\ninput tier = 1\ninput flag = false\n\
             input day = 2025-03-01\n\
             table rates { 2..3 => 5%  4.. => 7% }\n\
             rate = rates(tier)\nper_unit = 1 / n\n\
             big = if n > 2 then 100 / n else n * 2\n",
        );
        for (i, (d, w)) in ds.iter().enumerate() {
            // A guard keeps the lookup and the division needed only where valid.
            let guard = match d.as_str() {
                x if x.contains("rate of") => " when tier >= 2",
                x if x.contains("per_unit") => " when n > 0",
                _ => w.as_str(),
            };
            s.push_str(&format!("share s{i} = {d}{guard}\n"));
        }
        s.push_str("share owner = remaining\nrequire owner >= 0.00 USD and (n >= 0 or flag)\n");
        s
    })
}

fn inputs_text() -> impl Strategy<Value = Vec<String>> {
    (0u32..6, 0u32..6, any::<bool>(), 0u32..20).prop_map(|(n, tier, flag, day)| {
        vec![
            format!("n={n}"),
            format!("tier={tier}"),
            format!("flag={flag}"),
            format!("day=2025-03-{:02}", day + 1),
        ]
    })
}

fn walk(node: &Node, f: &mut impl FnMut(&Node)) {
    node.walk(f);
}

proptest! {
    #![proptest_config({
        let mut c = ProptestConfig::default();
        if std::env::var("PROPTEST_CASES").is_err() { c.cases = 32; }
        c.failure_persistence = None;
        c
    })]

    #[test]
    fn explain_shows_the_evaluation_run_did(text in agreement_text(), sets in inputs_text()) {
        let a = Agreement::compile_failure("gen.split", &text).map_err(|f| format!("{:?}", f.diagnostics)).unwrap();
        let mut inputs = a.raw_inputs();
        for s in &sets {
            a.set_from_text(&mut inputs, s).unwrap();
        }
        let p = &a.program;
        let run = a.evaluate_outcome(&inputs);
        let run = match run {
            Ok(o) => o,
            Err(d) => {
                // explain fails the same way.
                let slot = p.slot("owner").unwrap();
                let e = explain::tree(&a, &inputs, slot).unwrap_err();
                prop_assert_eq!(e, d);
                return Ok(());
            }
        };
        for (slot, s) in p.slots.iter().enumerate() {
            let tree = explain::tree(&a, &inputs, slot).unwrap();
            // The root is run's value of NAME.
            prop_assert_eq!(tree.about, About::Slot(slot));
            prop_assert_eq!(tree.value, run.value(slot), "root of explain {}", &s.name);
            let mut problems = Vec::new();
            walk(&tree, &mut |n| match n.about {
                About::Slot(i) if n.value != run.value(i) => {
                    problems.push(format!("{}: {:?} vs run {:?}", n.text, n.value, run.value(i)));
                }
                About::Pool(k) => {
                    let pool = run.pools.get(k).map(|d| Value::Money(*d, p.currency));
                    if n.value != pool {
                        problems.push(format!("{}: pool {k} is {pool:?} in run", n.text));
                    }
                }
                About::When(i) => {
                    let k = p.deductions.iter().position(|d| d.slot == i).unwrap();
                    let w = p.deductions[k].when.as_ref().unwrap();
                    // The condition as run's outcome gives it.
                    let holds = p.eval(w, &run).unwrap();
                    if n.value != Some(holds) {
                        problems.push(format!("{}: run's condition is {holds}", n.text));
                    }
                    if holds == Value::Bool(false) && run.value(i).and_then(|v| v.decimal()) != Some(rust_decimal::Decimal::ZERO) {
                        problems.push(format!("{}: run paid {:?}", n.text, run.value(i)));
                    }
                }
                _ => {}
            });
            prop_assert!(problems.is_empty(), "explain {}:\n{}\n{}", s.name, problems.join("\n"), tree.render());
        }
    }
}

#[test]
fn explain_of_a_long_flat_chain_is_shallow_and_linear() {
    // `x = c0 + c1 + … + c19999`: its terms side by side under one node.
    let n = 20_000;
    let mut src = String::from("price = 100.00 USD\ninput c = 1\nx = ");
    src.push_str(&vec!["c"; n].join(" + "));
    src.push_str("\nshare p = x * 0.001 USD\nshare rest = remaining\n");
    let a = compile(&src);
    let slot = a.program.slot("x").unwrap();
    let started = std::time::Instant::now();
    let tree = explain::tree(&a, &a.raw_inputs(), slot).unwrap();
    assert_eq!(tree.value.unwrap().to_string(), "20000");
    // The cell's formula is one sum: its operands are the 20,000 names.
    assert_eq!(tree.children.len(), n, "{}", tree.children.len());
    let deepest = tree
        .children
        .iter()
        .map(|c| c.children.len())
        .max()
        .unwrap_or(0);
    assert!(deepest <= 1, "terms are leaves or `see above`");
    // A hang detector, not a speed test (speed: benches/limits.rs).
    assert!(started.elapsed().as_secs() < 30);
}
