//! Property tests (issue 6): over generated agreements and inputs, no cent
//! is lost, deductions are whole minor units within the pool, results do
//! not depend on the order cells are written in, the incremental evaluator
//! agrees with a full one and with a fresh compile, the JSON report agrees
//! with the values, and fmt keeps the meaning.
//!
//! Cases default to 32 per property (fast `cargo test`); set
//! `PROPTEST_CASES` for more (`.ci/run` uses 256).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::eval::{binary, Inputs};
use splitdsl::span::Span;
use splitdsl::syntax::ast::BinOp;
use splitdsl::value::{Currency, Rounding, Value};
use splitdsl::{fmt, report, syntax, Agreement};

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        c.cases = 32;
    }
    c.failure_persistence = None;
    c
}

const CURRENCIES: [&str; 5] = ["USD", "JPY", "BHD", "BRL", "EUR"];

/// A decimal with up to `dp` places, as text (e.g. "12.345").
fn decimal_text(max_units: i64, dp: u32) -> impl Strategy<Value = String> {
    (0..=max_units).prop_map(move |n| Decimal::new(n, dp).to_string())
}

/// One deduction's expression (its pool is `remaining`; capped so that it
/// never exceeds the pool).
fn deduction_expr(cur: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        decimal_text(100_000, 3).prop_map(|p| format!("{p}% of remaining")),
        decimal_text(100_000, 3).prop_map(|p| format!("min({p}% of price, remaining)")),
        decimal_text(100_000_000, 2).prop_map(move |a| format!("min({a} {cur}, remaining)")),
        decimal_text(100_000, 3).prop_map(|p| format!("min(c0 * {p}%, remaining)")),
        Just("remaining".to_string()),
        Just("remaining / 3".to_string()),
        Just("min(net / 7, remaining)".to_string()),
    ]
}

/// A generated agreement: its cells (any order) and the rest.
#[derive(Clone, Debug)]
struct Gen {
    header: String,
    cells: Vec<String>,
    deductions: Vec<String>,
    currency: &'static str,
}

impl Gen {
    fn text(&self, cells: &[String]) -> String {
        let mut s = self.header.clone();
        // Cells between the deductions' halves: their place must not matter.
        let half = self.deductions.len() / 2;
        for d in &self.deductions[..half] {
            s.push_str(d);
        }
        for c in cells {
            s.push_str(c);
        }
        for d in &self.deductions[half..] {
            s.push_str(d);
        }
        s
    }
}

fn agreement() -> impl Strategy<Value = Gen> {
    (
        0..CURRENCIES.len(),
        0..Rounding::ALL.len(),
        0u64..=1_000_000_000_000u64,
    )
        .prop_flat_map(|(ci, ri, minor_units)| {
            let cur = CURRENCIES[ci];
            let n =
                prop::collection::vec((deduction_expr(cur), any::<bool>(), any::<bool>()), 1..8);
            (Just(cur), Just(ri), Just(minor_units), n)
        })
        .prop_map(|(cur, ri, units, ds)| {
            let c = Currency::from_code(cur).unwrap();
            let price = Decimal::new(units as i64, c.minor_unit());
            let header = format!(
                "agreement \"generated\"\nrounding {}\nprice = {} {cur}\ninput flag = true\n",
                Rounding::ALL[ri].0,
                price
            );
            let cells = vec![
                "c0 = price * 2\n".to_string(),
                "c1 = c0 / 3 + first\n".to_string(),
                "net = price - first\n".to_string(),
                "c2 = if c1 > net then c1 else net\n".to_string(),
            ];
            let deductions = ds
                .iter()
                .enumerate()
                .map(|(k, (e, fee, when))| {
                    let kw = if *fee { "fee" } else { "share" };
                    let name = if k == 0 {
                        "first".to_string()
                    } else {
                        format!("d{k}")
                    };
                    let when = if *when && k > 0 { " when flag" } else { "" };
                    format!("{kw} {name} = {e}{when}\n")
                })
                .collect();
            Gen {
                header,
                cells,
                deductions,
                currency: cur,
            }
        })
}

/// The first deduction may not read `net` (it defines it): rewrite.
fn fix_first(g: &mut Gen) {
    if let Some(d) = g.deductions.first_mut() {
        *d = d.replace("net / 7", "price / 7");
    }
}

/// Every deduction, by name, with its amount and the pool before it.
fn amounts(a: &Agreement, inputs: &Inputs) -> Result<Vec<(String, Value)>, String> {
    let out = a.evaluate(inputs).map_err(|d| d.code.to_string())?;
    Ok(a.program
        .slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| out.value(i).map(|v| (s.name.clone(), v)))
        .collect())
}

proptest! {
    #![proptest_config(config())]

    /// price = Σ fees + Σ shares + unallocated, each deduction is a whole
    /// number of minor units, at least zero and at most the pool.
    #[test]
    fn no_cent_is_lost(mut g in agreement()) {
        fix_first(&mut g);
        let src = g.text(&g.cells);
        let a = Agreement::compile("gen.split", &src).map_err(|f| format!("{:?}", f.diagnostics)).unwrap();
        let out = a.evaluate(&a.inputs()).map_err(|d| d.message).unwrap();
        let minor = Currency::from_code(g.currency).unwrap().minor_unit();
        let mut total = out.unallocated();
        for (k, d) in a.program.deductions.iter().enumerate() {
            let v = out.value(d.slot).and_then(|v| v.decimal()).unwrap();
            prop_assert!(v >= Decimal::ZERO);
            prop_assert!(v <= out.pools[k]);
            prop_assert_eq!(out.pools[k] - v, out.pools[k + 1]);
            prop_assert!(v.normalize().scale() <= minor, "{} has more than {} decimals", v, minor);
            total += v;
        }
        prop_assert_eq!(total, out.pools[0]);
        prop_assert!(out.unallocated() >= Decimal::ZERO);
    }

    /// Cells may be written in any order.
    #[test]
    fn cell_order_does_not_matter(mut g in agreement(), seed in any::<u64>()) {
        fix_first(&mut g);
        let a = Agreement::compile("a.split", &g.text(&g.cells)).unwrap();
        let mut cells = g.cells.clone();
        // A permutation from the seed.
        let mut s = seed;
        for i in (1..cells.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            cells.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = Agreement::compile("b.split", &g.text(&cells)).unwrap();
        let mut va = amounts(&a, &a.inputs()).unwrap();
        let mut vb = amounts(&b, &b.inputs()).unwrap();
        va.sort_by(|x, y| x.0.cmp(&y.0));
        vb.sort_by(|x, y| x.0.cmp(&y.0));
        prop_assert_eq!(va, vb);
    }

    /// `evaluate`, `reevaluate` (incremental) and a fresh compile agree, for
    /// any new price and flag; the JSON report agrees with the values.
    #[test]
    fn evaluators_agree(mut g in agreement(), units in 0u64..=1_000_000_000_000u64, flag in any::<bool>()) {
        fix_first(&mut g);
        let src = g.text(&g.cells);
        let a = Agreement::compile("a.split", &src).unwrap();
        let mut out = a.evaluate(&a.inputs()).unwrap();
        let c = a.program.currency;
        let price = Value::Money(Decimal::new(units as i64, c.minor_unit()), c);
        let mut inputs = a.inputs();
        let p = a.program.slot("price").unwrap();
        let f = a.program.slot("flag").unwrap();
        inputs.set(p, price);
        inputs.set(f, Value::Bool(flag));
        let full = a.program.evaluate(&inputs);
        let incremental = a.program.reevaluate(&inputs, &[p, f], &mut out);
        match (&full, &incremental) {
            (Ok(full), Ok(())) => prop_assert_eq!(full, &out),
            (Err(x), Err(y)) => prop_assert_eq!(x.code, y.code),
            _ => prop_assert!(false, "full {:?} vs incremental {:?}", full.is_ok(), incremental.is_ok()),
        }
        // A fresh compile of the same text gives the same outcome.
        let b = Agreement::compile("b.split", &src).unwrap();
        prop_assert_eq!(b.program.evaluate(&inputs).ok(), full.clone().ok());
        if let Ok(full) = full {
            let json: serde_json::Value = serde_json::from_str(&report::json(&a.program, &full)).unwrap();
            let deds = json["deductions"].as_array().unwrap();
            prop_assert_eq!(deds.len(), a.program.deductions.len());
            for (d, j) in a.program.deductions.iter().zip(deds) {
                let v = full.value(d.slot).and_then(|v| v.decimal()).unwrap();
                let amount: Decimal = j["amount"].as_str().unwrap().parse().unwrap();
                prop_assert_eq!(amount, v);
            }
            let un: Decimal = json["unallocated"]["amount"].as_str().unwrap().parse().unwrap();
            prop_assert_eq!(un, full.unallocated());
            let pr: Decimal = json["price"]["amount"].as_str().unwrap().parse().unwrap();
            prop_assert_eq!(pr, full.pools[0]);
        }
    }

    /// Formatting a parsed agreement and parsing it again gives the same
    /// agreement, and formatting is stable.
    #[test]
    fn fmt_keeps_the_agreement(mut g in agreement()) {
        fix_first(&mut g);
        let src = g.text(&g.cells);
        let out = fmt::format_source(&src).unwrap();
        let (before, _) = syntax::parse(&src);
        let (after, d) = syntax::parse(&out);
        prop_assert!(d.is_empty());
        prop_assert_eq!(fmt::strip_spans(&before), fmt::strip_spans(&after));
        prop_assert_eq!(fmt::format_source(&out).unwrap(), out);
    }

    /// Arithmetic on any decimals is a value or an overflow / division-by-zero
    /// diagnostic: never a panic, never a wrapped or saturated result.
    #[test]
    fn arithmetic_never_panics(a in any::<i128>(), sa in 0u32..=28, b in any::<i128>(), sb in 0u32..=28) {
        let x = Decimal::from_i128_with_scale(a % 79_228_162_514_264_337_593_543_950_335, sa);
        let y = Decimal::from_i128_with_scale(b % 79_228_162_514_264_337_593_543_950_335, sb);
        let usd = Currency::from_code("USD").unwrap();
        use BinOp::*;
        let (n, m) = (Value::Number, |d| Value::Money(d, usd));
        // The kinds the checker lets through for each operator.
        let cases = [
            (vec![Add, Sub, Mul, Div, Of], n(x), n(y)),
            (vec![Mul, Of, Div], m(x), n(y)),
            (vec![Mul, Of], n(x), m(y)),
            (vec![Add, Sub, Div], m(x), m(y)),
        ];
        for (ops, va, vb) in cases {
            for op in ops {
                match binary(op, va, vb, Span::default()) {
                    Ok(v) => {
                        // The exact result, where it is representable.
                        let d = v.decimal().unwrap();
                        let want = match op {
                            BinOp::Add => x.checked_add(y),
                            BinOp::Sub => x.checked_sub(y),
                            BinOp::Div => x.checked_div(y),
                            _ => x.checked_mul(y),
                        };
                        prop_assert_eq!(Some(d), want);
                    }
                    Err(d) => prop_assert!(
                        matches!(d.code, "splitdsl::eval::overflow" | "splitdsl::eval::division_by_zero"),
                        "{}", d.code
                    ),
                }
            }
        }
    }

    /// Rounding in every mode gives a whole number of minor units, and the
    /// same cents as rust_decimal's strategy.
    #[test]
    fn rounding_is_to_the_minor_unit(a in any::<i64>(), scale in 0u32..=10, ri in 0..Rounding::ALL.len(), dp in 0u32..=3) {
        let x = Decimal::new(a, scale);
        let mode = Rounding::ALL[ri].1;
        let r = mode.round(x, dp);
        prop_assert!(r.normalize().scale() <= dp);
        prop_assert!((r - x).abs() < Decimal::new(1, dp));
        prop_assert_eq!(r, x.round_dp_with_strategy(dp, mode.strategy()));
    }
}
