//! The REPL's backend returns data (issue 13): `what_if`, `solve`, `sweep`,
//! `explain`, `breakdown` and `value` called directly, their numbers checked
//! against `Agreement::evaluate` on its own, and the line handler's text
//! checked to be the rendering of that data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use splitdsl::repl::{render, FigureKind, Jump, Session, SolveResult};
use splitdsl::value::Value;
use splitdsl::Agreement;
use std::path::Path;

const HOTMART: &str = "examples/hotmart.split";

fn hotmart() -> Agreement {
    Agreement::load(Path::new(HOTMART)).expect("hotmart loads")
}

/// Every deduction's amount (and the unallocated rest) with `set` applied.
fn evaluate(a: &Agreement, set: &[&str]) -> Vec<(String, Decimal)> {
    let mut inputs = a.raw_inputs();
    for s in set {
        a.set_from_text(&mut inputs, s).expect("the input is set");
    }
    let out = a.evaluate_outcome(&inputs).expect("the sale evaluates");
    let mut v: Vec<(String, Decimal)> = a
        .program
        .deductions
        .iter()
        .map(|d| {
            let name = a.program.slots[d.slot].name.clone();
            let amount = out.value(d.slot).and_then(|v| v.decimal()).unwrap();
            (name, amount)
        })
        .collect();
    v.push(("unallocated".into(), out.unallocated()));
    v
}

#[test]
fn what_if_figures_are_the_evaluators() {
    let a = hotmart();
    let s = Session::open(Path::new(HOTMART)).unwrap();
    let w = s.what_if(&[("price", "197.00 USD")]).unwrap();
    let before = evaluate(&a, &[]);
    let after = evaluate(&a, &["price=197.00 USD"]);
    assert_eq!(w.figures[0].kind, FigureKind::Price);
    assert_eq!(w.figures[0].before, Some(Decimal::new(10000, 2)));
    assert_eq!(w.figures[0].after, Some(Decimal::new(19700, 2)));
    for ((name, b), (_, af)) in before.iter().zip(&after) {
        let f = w.figure(name).unwrap();
        assert_eq!(f.before, Some(*b), "{name}");
        assert_eq!(f.after, Some(*af), "{name}");
        assert_eq!(w.difference(f), Some(*af - *b), "{name}");
    }
    // Every deduction, the price and the rest; the one requirement.
    assert_eq!(w.figures.len(), before.len() + 1);
    assert_eq!(w.requirements.len(), 1);
    assert_eq!(w.requirements[0].after, Some(true));
    // The session is unchanged, and the line is this data rendered.
    assert_eq!(
        s.breakdown().unwrap().get("producer").unwrap().to_string(),
        "52.42 USD"
    );
    let mut s2 = Session::open(Path::new(HOTMART)).unwrap();
    let r = s2.handle("what if price = 197.00 USD");
    assert_eq!(r.output, render::changes(&w, true));
}

#[test]
fn what_if_a_formula_changes_and_errors_are_data() {
    let a = Agreement::compile(
        "f.split",
        "price = 100.00 USD\nshare a = 50% of price\nshare b = remaining\n",
    )
    .unwrap();
    let s = Session::from_text("f.split", &a.source.text).unwrap();
    let w = s.what_if(&[("a", "20% of price")]).unwrap();
    assert_eq!(w.figure("a").unwrap().after, Some(Decimal::new(2000, 2)));
    assert_eq!(w.figure("b").unwrap().before, Some(Decimal::new(5000, 2)));
    assert_eq!(w.figure("b").unwrap().after, Some(Decimal::new(8000, 2)));
    let err = s.what_if(&[("nope", "1")]).unwrap_err();
    assert!(!err.diagnostics().is_empty());
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn breakdown_is_the_api_breakdown() {
    let a = hotmart();
    let mut s = Session::open(Path::new(HOTMART)).unwrap();
    s.handle("set price = 250.00 USD");
    let mut inputs = a.inputs();
    inputs.set("price", "250.00 USD").unwrap();
    assert_eq!(s.breakdown().unwrap(), a.evaluate(&inputs).unwrap());
    assert!(Session::new().breakdown().is_err());
}

#[test]
fn value_is_the_evaluators() {
    let s = Session::open(Path::new(HOTMART)).unwrap();
    let v = s.value("producer + affiliate").unwrap();
    let e = evaluate(&hotmart(), &[]);
    let get = |n: &str| e.iter().find(|(m, _)| m == n).unwrap().1;
    assert_eq!(v.decimal(), Some(get("producer") + get("affiliate")));
}

#[test]
fn explain_is_the_explain_tree() {
    let a = hotmart();
    let s = Session::open(Path::new(HOTMART)).unwrap();
    let node = s.explain("producer").unwrap();
    let slot = a.program.slot("producer").unwrap();
    let direct = splitdsl::explain::tree(&a, &a.raw_inputs(), slot).unwrap();
    assert_eq!(node.render(), direct.render());
    assert!(
        node.text.starts_with("producer = 52.42 USD"),
        "{}",
        node.text
    );
    let mut s2 = Session::open(Path::new(HOTMART)).unwrap();
    assert_eq!(s2.handle("explain producer").output, node.render());
    assert!(s.explain("nobody").is_err());
}

#[test]
fn solve_finds_a_value_the_evaluator_confirms() {
    let a = hotmart();
    let s = Session::open(Path::new(HOTMART)).unwrap();
    let sol = s.solve("price", "producer", "100.00 USD").unwrap();
    let SolveResult::Found {
        value, at, hits, ..
    } = &sol.result
    else {
        panic!("{sol:?}");
    };
    let set = format!("price={value}");
    let e = evaluate(&a, &[&set]);
    let producer = e.iter().find(|(n, _)| n == "producer").unwrap().1;
    assert_eq!(producer, Decimal::new(10000, 2));
    assert_eq!(at.target.and_then(|v| v.decimal()), Some(producer));
    assert!(*hits >= 1);
    // The candidates tried, in order of the value, include the answer.
    assert!(sol.tried.iter().any(|c| c.value == *value));
    assert!(sol
        .tried
        .windows(2)
        .all(|w| w[0].value.decimal() < w[1].value.decimal()));
    assert_eq!(
        sol.goal_value.map(|v| v.to_string()).as_deref(),
        Some("100.00 USD")
    );
    let mut s2 = Session::open(Path::new(HOTMART)).unwrap();
    assert_eq!(
        s2.handle("solve price so that producer = 100.00 USD")
            .output,
        render::solution(&sol)
    );
}

const SEATS: &str = "price = 100.00 USD\ninput seats = 5\nfee license = 7.00 USD * seats\nshare owner = remaining\n";

#[test]
fn solve_reports_a_step_and_an_unreachable_goal_as_data() {
    let s = Session::from_text("seats.split", SEATS).unwrap();
    let sol = s.solve("seats", "license", "10.00 USD").unwrap();
    let SolveResult::Between { lower, upper, jump } = &sol.result else {
        panic!("{sol:?}");
    };
    assert_eq!(*jump, Jump::Step);
    assert_eq!(lower.value, Value::Number(Decimal::ONE));
    assert_eq!(upper.value, Value::Number(Decimal::TWO));
    assert_eq!(
        lower.target.map(|v| v.to_string()).as_deref(),
        Some("7.00 USD")
    );
    let sol = s.solve("seats", "owner", "200.00 USD").unwrap();
    let SolveResult::OutOfReach { below, .. } = &sol.result else {
        panic!("{sol:?}");
    };
    assert!(*below);
    assert!(s.solve("seats", "nobody", "1").is_err());
}

#[test]
fn sweep_rows_are_the_evaluators() {
    let a = hotmart();
    let s = Session::open(Path::new(HOTMART)).unwrap();
    let sw = s.sweep("price", "50", "200", "50").unwrap();
    assert_eq!(sw.input, "price");
    assert_eq!(
        sw.deductions,
        ["hotmart", "affiliate", "coproducer", "producer"]
    );
    assert_eq!(sw.requirements, 1);
    assert_eq!(sw.rows.len(), 4);
    for row in &sw.rows {
        let set = format!("price={}", row.value);
        let e = evaluate(&a, &[&set]);
        let f = row.figures.as_ref().unwrap();
        let (amounts, rest) = e.split_at(e.len() - 1);
        let expected: Vec<Decimal> = amounts.iter().map(|(_, d)| *d).collect();
        assert_eq!(f.amounts, expected, "{}", row.value);
        assert_eq!(f.unallocated, rest[0].1);
        assert_eq!(f.failed_requirements, 0);
    }
    let mut s2 = Session::open(Path::new(HOTMART)).unwrap();
    assert_eq!(
        s2.handle("sweep price from 50 to 200 step 50").output,
        render::sweep(&sw)
    );
    assert!(s.sweep("price", "1", "2", "0").is_err());
}
