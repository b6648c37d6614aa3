//! `solve` against a brute-force search: for several agreements and goals,
//! every grid value of a range (every cent, every whole number, every
//! 0.0001) is evaluated on its own, through `Agreement::compile` and
//! `evaluate` only, and the REPL's answer must be one where the equation
//! holds, the simplest of them (fewest decimals, then nearest the current
//! value), with the right count of values that hit; when nothing hits, the
//! two values it gives must lie on both sides of the goal.
//!
//! Each range holds every value that hits (the cases are chosen so), so
//! the brute force sees all of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::eval::{coerce, compare};
use splitdsl::program::CKind;
use splitdsl::repl::Session;
use splitdsl::value::Value;
use splitdsl::Agreement;
use std::cmp::Ordering;
use std::str::FromStr;

const SEATS: &str = r#"agreement "Seats"
price = 50.00 USD
input seats = 5
table per_seat {
  1..3 => 2.00 USD
  5..8 => 1.50 USD
  10.. => 1.00 USD
}
fee license "License" = per_seat(seats) * seats
share partner "Partner" = 12.5% of remaining when seats > 6
share owner "Owner" = remaining
"#;

const BONUS: &str = r#"agreement "Bonus"
rounding half_even
price = 100.00 USD
input bonus = 0.5
fee extra "Extra" = bonus * 1.00 USD
fee third "Third" = 1/3 of extra when bonus > 2.4
share owner "Owner" = remaining
"#;

/// The current value (1000 seats) does not evaluate; the answers lie far below.
const FAR: &str = r#"agreement "Far"
price = 100.00 USD
input seats = 1000
table per_seat {
  1..12 => 2.00 USD
}
fee license "License" = per_seat(seats) * seats when seats > 0
share owner "Owner" = remaining
"#;

struct Case<'a> {
    /// A file, or agreement text.
    agreement: &'a str,
    /// `--set`-like overrides before the solve.
    set: &'a [&'a str],
    input: &'a str,
    lhs: &'a str,
    rhs: &'a str,
    /// The range searched by brute force, inclusive, and its step.
    from: &'a str,
    to: &'a str,
    step: &'a str,
}

const CASES: &[Case<'static>] = &[
    Case {
        agreement: FAR,
        set: &[],
        input: "seats",
        lhs: "license",
        rhs: "16.00 USD",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: FAR,
        set: &[],
        input: "seats",
        lhs: "owner",
        rhs: "price - license",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "examples/hotmart.split",
        set: &[],
        input: "price",
        lhs: "producer",
        rhs: "affiliate + 20.00 USD",
        from: "0.00",
        to: "400.00",
        step: "0.01",
    },
    Case {
        agreement: "examples/hotmart.split",
        set: &[],
        input: "price",
        lhs: "producer - affiliate",
        rhs: "20.00 USD",
        from: "0.00",
        to: "400.00",
        step: "0.01",
    },
    Case {
        agreement: "examples/hotmart.split",
        set: &[],
        input: "price",
        lhs: "coproducer",
        rhs: "10.00 USD",
        from: "0.00",
        to: "400.00",
        step: "0.01",
    },
    Case {
        agreement: "examples/hotmart.split",
        set: &[],
        input: "price",
        lhs: "producer",
        rhs: "2 * coproducer + 50.00 USD",
        from: "0.00",
        to: "400.00",
        step: "0.01",
    },
    Case {
        agreement: "examples/hotmart.split",
        set: &[],
        input: "price",
        lhs: "hotmart",
        rhs: "10.00 USD",
        from: "0.00",
        to: "400.00",
        step: "0.01",
    },
    Case {
        agreement: "examples/installments.split",
        set: &["installments=3"],
        input: "installments",
        lhs: "installment",
        rhs: "59.88 BRL",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "examples/installments.split",
        set: &["installments=3"],
        input: "installments",
        lhs: "installment",
        rhs: "29.88 BRL",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "examples/installments.split",
        set: &["installments=3"],
        input: "installments",
        lhs: "installment",
        rhs: "59.00 BRL",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "examples/installments.split",
        set: &["installments=12"],
        input: "installments",
        lhs: "producer",
        rhs: "affiliate + 216.06 BRL",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "examples/installments.split",
        set: &["installments=7"],
        input: "price",
        lhs: "producer",
        rhs: "500.00 BRL",
        from: "900.00",
        to: "1100.00",
        step: "0.01",
    },
    Case {
        agreement: "tests/repl/lever.split",
        set: &[],
        input: "tier",
        lhs: "agent",
        rhs: "1.90 USD",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: "tests/repl/lever.split",
        set: &[],
        input: "price",
        lhs: "triple",
        rhs: "10.00 USD",
        from: "0.00",
        to: "100.00",
        step: "0.01",
    },
    Case {
        agreement: SEATS,
        set: &[],
        input: "seats",
        lhs: "license",
        rhs: "12.00 USD",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: SEATS,
        set: &[],
        input: "seats",
        lhs: "license",
        rhs: "6.00 USD",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: SEATS,
        set: &[],
        input: "seats",
        lhs: "license",
        rhs: "7.00 USD",
        from: "-60",
        to: "60",
        step: "1",
    },
    Case {
        agreement: SEATS,
        set: &["seats=7"],
        input: "price",
        lhs: "partner",
        rhs: "5.00 USD",
        from: "0.00",
        to: "200.00",
        step: "0.01",
    },
    Case {
        agreement: BONUS,
        set: &[],
        input: "bonus",
        lhs: "extra",
        rhs: "2.35 USD",
        from: "2.0000",
        to: "2.6000",
        step: "0.0001",
    },
    Case {
        agreement: BONUS,
        set: &[],
        input: "bonus",
        lhs: "owner",
        rhs: "96.87 USD",
        from: "2.0000",
        to: "3.0000",
        step: "0.0001",
    },
];

fn compile(agreement: &str, extra: &str) -> Agreement {
    let text = if agreement.ends_with(".split") {
        std::fs::read_to_string(agreement).unwrap()
    } else {
        agreement.to_string()
    };
    Agreement::compile_failure("case.split", &format!("{text}\n{extra}")).unwrap()
}

/// Fewer decimals first, then nearer `current`, then lower.
fn simpler(x: Decimal, current: Decimal) -> (u32, Decimal, Decimal) {
    (x.normalize().scale(), (x - current).abs(), x)
}

/// The first `Decimal` in `text` after `prefix`.
fn number_after(text: &str, prefix: &str) -> Option<Decimal> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    Decimal::from_str(&rest[..end]).ok()
}

#[test]
fn solve_agrees_with_a_brute_force_search() {
    for case in CASES {
        check(
            case.agreement,
            case.set,
            case.input,
            case.lhs,
            case.rhs,
            (case.from, case.to, case.step),
        );
    }
}

/// An agreement in yen (no minor unit, so a brute force over every yen is
/// short): a fee with a fixed part, a table with a missing row, a `when`,
/// a share, the rest.
fn generated(g: &Gen) -> String {
    format!(
        r#"agreement "Generated"
rounding {}
price = {} JPY
input seats = {}
table rate {{
  1..{} => {}%
  {}..20 => {}%
}}
fee platform "Platform" = {}% of price + {} JPY
fee seat_fee "Seats" = rate(seats) of price when seats > {}
share a "A" = {}% of remaining
share b "B" = remaining
"#,
        ["half_up", "half_even", "down", "up"][g.rounding],
        g.price,
        g.seats,
        g.gap - 1,
        g.r1,
        g.gap + 1,
        g.r2,
        g.fee,
        g.fixed,
        g.when,
        g.share,
    )
}

#[derive(Debug, Clone)]
struct Gen {
    rounding: usize,
    price: u32,
    seats: u32,
    gap: u32,
    r1: u32,
    r2: u32,
    fee: u32,
    fixed: u32,
    when: u32,
    share: u32,
    target: u32,
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        (
            0usize..4,
            100u32..5000,
            1u32..10,
            3u32..8,
            0u32..10,
            0u32..10,
        ),
        (0u32..20, 0u32..50, 0u32..4, 20u32..40, 0u32..1000),
    )
        .prop_map(
            |((rounding, price, seats, gap, r1, r2), (fee, fixed, when, share, target))| Gen {
                rounding,
                price,
                seats,
                gap,
                r1,
                r2,
                fee,
                fixed,
                when,
                share,
                target,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn solve_agrees_with_a_brute_force_search_on_generated_agreements(g in gen()) {
        let text = generated(&g);
        let target = format!("{} JPY", g.target);
        check(&text, &[], "price", "a", &target, ("0", "12000", "1"));
        let seat_target = format!("{} JPY", g.target / 10);
        check(&text, &[], "seats", "seat_fee", &seat_target, ("-40", "40", "1"));
        check(&text, &[], "price", "b", "a + 100 JPY", ("0", "12000", "1"));
    }
}

/// Solves `lhs = rhs` for `input` in the REPL and compares with every grid
/// value of `range` (from, to, step).
fn check(
    agreement: &str,
    set: &[&str],
    input: &str,
    lhs: &str,
    rhs: &str,
    (from, to, step): (&str, &str, &str),
) {
    let case = Case {
        agreement,
        set,
        input,
        lhs,
        rhs,
        from,
        to,
        step,
    };
    {
        let what = format!(
            "solve {} so that {} = {} (set {:?}) in\n{}",
            case.input, case.lhs, case.rhs, case.set, case.agreement
        );
        // The brute force: two cells for the sides, every grid value.
        let a = compile(
            case.agreement,
            &format!("__bf_l = {}\n__bf_r = {}\n", case.lhs, case.rhs),
        );
        let (l, r) = (
            a.program.slot("__bf_l").unwrap(),
            a.program.slot("__bf_r").unwrap(),
        );
        let slot = a.program.slot(case.input).unwrap();
        let mut inputs = a.raw_inputs();
        for s in case.set {
            a.set_from_text(&mut inputs, s).unwrap();
        }
        // The input's value: set, or its default (the sale may not evaluate).
        let template = inputs
            .get(slot)
            .or(match &a.program.slots[slot].expr.kind {
                CKind::Const(v) => Some(*v),
                _ => None,
            })
            .unwrap();
        let current = template.decimal().unwrap();
        let at = |x: Decimal| -> Option<(Ordering, Value)> {
            let mut inputs = inputs.clone();
            let v = match template {
                Value::Money(_, c) => Value::Money(x, c),
                _ => Value::Number(x),
            };
            inputs.set(slot, v);
            let out = a.evaluate_outcome(&inputs).ok()?;
            let lv = out.value(l)?;
            let rv = coerce(out.value(r)?, lv.ty())?;
            Some((compare(lv, rv)?, lv))
        };
        let (from, to, step) = (
            Decimal::from_str(case.from).unwrap(),
            Decimal::from_str(case.to).unwrap(),
            Decimal::from_str(case.step).unwrap(),
        );
        let mut hits = Vec::new();
        let mut evaluates = false;
        let mut x = from;
        while x <= to {
            match at(x) {
                Some((Ordering::Equal, _)) => hits.push(x),
                Some(_) => evaluates = true,
                None => {}
            }
            x += step;
        }
        evaluates |= !hits.is_empty();

        // The REPL.
        let mut session = if case.agreement.ends_with(".split") {
            Session::open(std::path::Path::new(case.agreement)).unwrap()
        } else {
            Session::from_text("case.split", case.agreement).unwrap()
        };
        for s in case.set {
            let r = session.handle(&format!("set {}", s.replace('=', " = ")));
            assert!(r.diagnostics.is_empty(), "{what}: set {s}");
        }
        let r = session.handle(&format!(
            "solve {} so that {} = {}",
            case.input, case.lhs, case.rhs
        ));
        if !evaluates {
            // Nothing evaluates: solve says so.
            let codes: Vec<&str> = r.diagnostics.iter().map(|(d, _)| d.code.as_str()).collect();
            assert_eq!(codes, ["splitdsl::repl::solve_failed"], "{what}");
            return;
        }
        assert!(r.diagnostics.is_empty(), "{what}: {:?}", r.diagnostics);
        let out = r.output;
        let answer = out
            .starts_with(&format!("{} = ", case.input))
            .then(|| number_after(&out, &format!("{} = ", case.input)))
            .flatten();
        match hits.iter().min_by_key(|h| simpler(**h, current)) {
            Some(best) => {
                let answer = answer.unwrap_or_else(|| panic!("{what}: no answer:\n{out}"));
                assert!(
                    matches!(at(answer), Some((Ordering::Equal, _))),
                    "{what}: {answer} does not satisfy the equation:\n{out}"
                );
                assert_eq!(
                    answer, *best,
                    "{what}: not the simplest of {hits:?}:\n{out}"
                );
                if out.contains("many values hit") {
                    // Hits beyond the search's reach: so beyond the range too.
                    assert!(
                        hits.first() == Some(&from) || hits.last() == Some(&to),
                        "{what}: hits {hits:?}:\n{out}"
                    );
                    return;
                }
                let count = number_after(&out, "\n  ").unwrap_or(Decimal::ONE);
                let count = if out.contains("values hit") {
                    count
                } else {
                    Decimal::ONE
                };
                assert_eq!(
                    count,
                    Decimal::from(hits.len()),
                    "{what}: hits {hits:?}:\n{out}"
                );
            }
            None => {
                assert!(answer.is_none(), "{what}: nothing hits, yet:\n{out}");
                // The nearest values on both sides of the goal.
                if out.contains("the nearest:") {
                    let lines: Vec<&str> = out.lines().skip(1).take(2).collect();
                    let prefix = format!("{} = ", case.input);
                    let a1 = number_after(lines[0], &prefix).unwrap();
                    let a2 = number_after(lines[1], &prefix).unwrap();
                    let (o1, o2) = (at(a1).unwrap().0, at(a2).unwrap().0);
                    assert_ne!(o1, o2, "{what}: not on both sides:\n{out}");
                    assert!(a2 > a1, "{what}:\n{out}");
                    // Between them, nothing evaluates or nothing is on the grid.
                    let mut x = a1 + step;
                    while x < a2 {
                        assert!(at(x).is_none(), "{what}: {x} lies between:\n{out}");
                        x += step;
                    }
                } else {
                    assert!(out.contains("out of reach"), "{what}:\n{out}");
                }
            }
        }
    }
}
