//! The fixed-point form (issue 18) against the decimal evaluator: on
//! generated agreements (every rounding mode, currencies of 0, 2 and 3
//! minor digits, percentages that land on ties, negative intermediate
//! values, `when`, `if`, `min`/`max`/`abs`/`round`/`clamp`, requirements)
//! and generated sales (ordinary prices, prices written with extra zeros,
//! fractional and negative prices, huge prices), whenever the fixed path
//! settles a sale its figures are the decimal evaluator's; and on ordinary
//! sales it does settle (else it would be a fast path that never runs).
//!
//! Cases default to 64 per property (fast `cargo test`); set
//! `PROPTEST_CASES` for more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::eval::{Inputs, Outcome};
use splitdsl::fixed::{Fixed, State};
use splitdsl::value::{Currency, Rounding, Value};
use splitdsl::Agreement;

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        c.cases = 64;
    }
    c.failure_persistence = None;
    c
}

const CURRENCIES: [&str; 4] = ["USD", "JPY", "BHD", "EUR"];

/// A percentage with up to three decimals; half of them land on halves of a
/// minor unit often (50%, 2.5%, 12.5%).
fn percent() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => (0i64..=100_000).prop_map(|n| Decimal::new(n, 3).to_string()),
        2 => prop::sample::select(vec!["50", "2.5", "12.5", "0.5", "35", "9.9", "10"])
            .prop_map(str::to_string),
    ]
}

/// One deduction's formula; `k` is its place (only later ones read `net`).
fn deduction(k: usize, cur: &'static str) -> impl Strategy<Value = String> {
    let later = k > 0;
    let amount = (0i64..=1_000).prop_map(move |n| format!("{n} {cur}"));
    let choices = prop_oneof![
        percent().prop_map(|p| format!("{p}% of remaining")),
        (percent(), amount.clone()).prop_map(|(p, a)| format!("{p}% of price + {a}")),
        (percent(), amount.clone())
            .prop_map(|(p, a)| format!("min({p}% of price + {a}, remaining)")),
        percent().prop_map(move |p| format!("max(c3 * {p}%, 0 {cur})")),
        percent().prop_map(|p| format!("round({p}% of remaining)")),
        percent().prop_map(move |p| format!("if flag then {p}% of remaining else 0 {cur}")),
        (percent(), amount.clone())
            .prop_map(move |(p, a)| format!("clamp({p}% of price, 0 {cur}, {a})")),
        percent().prop_map(|p| format!("abs(c3) * {p}% * rate")),
        Just("remaining".to_string()),
        Just("50% of remaining".to_string()),
        percent().prop_map(move |p| if later {
            format!("min({p}% of net, remaining)")
        } else {
            format!("{p}% of price")
        }),
    ];
    (choices, 0..4u8).prop_map(|(e, w)| match w {
        0 => format!("{e} when flag"),
        1 => format!("{e} when price > 10 {}", "USD"),
        _ => e,
    })
}

#[derive(Clone, Debug)]
struct Gen {
    text: String,
    currency: &'static str,
}

fn agreement() -> impl Strategy<Value = Gen> {
    (0..CURRENCIES.len(), 0..Rounding::ALL.len(), 1usize..6, any::<bool>())
        .prop_flat_map(|(ci, ri, n, req)| {
            let cur = CURRENCIES[ci];
            let ds: Vec<_> = (0..n).map(|k| deduction(k, cur)).collect();
            (Just(cur), Just(ri), ds, Just(req), any::<bool>())
        })
        .prop_map(|(cur, ri, ds, req, fee_first)| {
            let mut s = format!(
                "agreement \"generated\"\nrounding {}\nprice = 100 {cur}\ninput flag = true\ninput rate = 1.5\n",
                Rounding::ALL[ri].0
            );
            s.push_str(&format!("c3 = 5 {cur} - price\n"));
            for (k, e) in ds.iter().enumerate() {
                let e = e.replace("USD", cur);
                let kw = if k == 0 && fee_first { "fee" } else { "share" };
                let name = if k == 0 { "first".to_string() } else { format!("d{k}") };
                s.push_str(&format!("{kw} {name} = {e}\n"));
                if k == 0 {
                    s.push_str("net = price - first\n");
                }
            }
            if req {
                s.push_str(&format!("require first <= 80% of price + 1 {cur} \"a cap\"\n"));
            }
            Gen { text: s, currency: cur }
        })
}

/// A sale's price in a currency of `dp` minor digits, from a generated
/// kind and number, and whether it is an ordinary price (at most `dp`
/// decimals, zero or more, below 100,000 units).
fn price(kind: u8, n: i64, dp: u32) -> (Decimal, bool) {
    match kind % 8 {
        0..=2 => (Decimal::new(n % 10_000_000, dp), true),
        // Small prices: ties and zero amounts are frequent.
        3 | 4 => (Decimal::new(n % 2_000, dp), true),
        // An ordinary value written with two more zeros (a larger scale).
        5 => (Decimal::new((n % 1_000_000) * 100, dp + 2), true),
        // Fractional, negative, huge: the decimal path decides.
        6 => (Decimal::new((n % 1_000_000) * 10 + 1, dp + 1), false),
        _ => match n % 3 {
            0 => (Decimal::new(-(n % 1_000_000) - 1, dp), false),
            1 => (Decimal::new(i64::MAX - n % 1_000, dp), false),
            _ => (Decimal::new(n, dp), false),
        },
    }
}

fn units(d: Decimal, dp: u32) -> i128 {
    let mut d = d;
    d.rescale(dp);
    d.mantissa()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fixed_point_equals_the_decimal_evaluator(
        g in agreement(),
        sales in prop::collection::vec((any::<u8>(), 0i64..=i64::MAX / 2, any::<bool>(), 0u32..4), 1..12),
    ) {
        let a = Agreement::compile("gen.split", &g.text)
            .unwrap_or_else(|e| panic!("{e:?}\n{}", g.text));
        let p = &a.program;
        let fixed = Fixed::compile(p);
        prop_assert!(fixed.is_some(), "no fixed-point form for\n{}", g.text);
        let fixed = fixed.unwrap();
        let c = Currency::from_code(g.currency).unwrap();
        let dp = c.minor_unit();
        let flag = p.slot("flag").unwrap();
        let rate = p.slot("rate").unwrap();
        let mut st = State::default();
        let mut out_f = Outcome::default();
        let mut out_d = Outcome::default();
        let mut got = Vec::new();
        for (kind, n, f, r) in sales {
            let (price, ordinary) = price(kind, n, dp);
            let mut inputs = Inputs::new(p);
            inputs.set(p.price, Value::Money(price, c));
            inputs.set(flag, Value::Bool(f));
            if r > 0 {
                inputs.set(rate, Value::Number(Decimal::new(i64::from(r) * 25, 2)));
            }
            let decimal = p.evaluate_into(&inputs, &mut out_d);
            let ran = fixed.run(&inputs, &mut st, &mut out_f, &mut got);
            if !ran {
                st.touched();
                // Ordinary sales that settle must take the fast path.
                let settles = decimal.is_ok() && out_d.all_hold();
                prop_assert!(!(ordinary && settles),
                    "the fixed path gave up on an ordinary sale at {price}\n{}", g.text);
                continue;
            }
            prop_assert!(decimal.is_ok(), "fixed settled, decimal failed ({:?}) at {price}\n{}", decimal.err(), g.text);
            prop_assert!(out_d.all_hold(), "fixed settled a sale whose requirement fails\n{}", g.text);
            let mut want = vec![units(out_d.value(p.price).and_then(|v| v.decimal()).unwrap(), dp)];
            for d in &p.deductions {
                want.push(units(out_d.value(d.slot).and_then(|v| v.decimal()).unwrap(), dp));
            }
            want.push(units(out_d.unallocated(), dp));
            prop_assert_eq!(&got, &want, "at price {} (flag {}, rate {})\n{}", price, f, r, g.text);
            prop_assert_eq!(&out_f.requirements, &out_d.requirements);
            for s in [p.price, flag, rate] {
                prop_assert_eq!(out_f.value(s), out_d.value(s));
            }
        }
    }
}

/// The Hotmart split: a tie at every rounding mode, by hand.
#[test]
fn hotmart_ties_by_hand() {
    let text = std::fs::read_to_string("examples/hotmart.split").unwrap();
    for (mode, _) in Rounding::ALL {
        let t = text.replacen(
            "price = 100.00 USD",
            &format!("rounding {mode}\nprice = 100.00 USD"),
            1,
        );
        let a = Agreement::compile("h.split", &t).unwrap();
        let p = &a.program;
        let fixed = Fixed::compile(p).unwrap();
        let usd = Currency::from_code("USD").unwrap();
        let (mut st, mut of, mut od, mut got) = (
            State::default(),
            Outcome::default(),
            Outcome::default(),
            Vec::new(),
        );
        // 10.10: 9.9% = 0.9999 + 0.50; 5.00: 35% of net; 0.01 .. 2.00 all.
        for cents in (1..=200).chain([1010, 500, 12345, 99999]) {
            let mut inputs = Inputs::new(p);
            inputs.set(p.price, Value::Money(Decimal::new(cents, 2), usd));
            let d = p.evaluate_into(&inputs, &mut od);
            if fixed.run(&inputs, &mut st, &mut of, &mut got) {
                assert!(d.is_ok() && od.all_hold());
                let want: Vec<i128> = std::iter::once(od.value(p.price))
                    .chain(p.deductions.iter().map(|x| od.value(x.slot)))
                    .map(|v| units(v.and_then(|v| v.decimal()).unwrap(), 2))
                    .chain([units(od.unallocated(), 2)])
                    .collect();
                assert_eq!(got, want, "{mode} at {cents}");
            } else {
                st.touched();
                assert!(
                    d.is_err() || !od.all_hold(),
                    "{mode}: gave up at {cents} cents"
                );
            }
        }
    }
}
