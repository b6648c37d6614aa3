//! Property tests (issue 6): over generated agreements and inputs, no cent
//! is lost, deductions are whole minor units within the pool, results do
//! not depend on the order cells are written in, the incremental evaluator
//! agrees with a full one and with a fresh compile, the JSON report agrees
//! with the values, and fmt keeps the meaning.
//!
//! Issue 12: the amounts themselves are checked against an independent
//! oracle (exact rationals, rounding modes written from their definitions,
//! the calendar written out): generated agreements with prices, percentages,
//! conversions between currencies of different minor units, dates and
//! `when`s must agree with it to the minor unit.
//!
//! Cases default to 32 per property (fast `cargo test`); set
//! `PROPTEST_CASES` for more (`.ci/run` uses 256).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use num_bigint::BigInt;
use num_rational::BigRational;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rust_decimal::Decimal;
use splitdsl::eval::{binary, Inputs};
use splitdsl::span::Span;
use splitdsl::syntax::ast::BinOp;
use splitdsl::value::{Currency, Rounding, Value};
use splitdsl::{fmt, report, syntax, Agreement};
use std::cmp::Ordering;

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
            // The fourth part: a group share of that many more members (0: a
            // single fee or share), its weights equal or not (issue 14).
            let n = prop::collection::vec(
                (
                    deduction_expr(cur),
                    any::<bool>(),
                    any::<bool>(),
                    0usize..4,
                    any::<bool>(),
                ),
                1..8,
            );
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
                .map(|(k, (e, fee, when, more, weighted))| {
                    let kw = if *fee { "fee" } else { "share" };
                    let name = if k == 0 {
                        "first".to_string()
                    } else {
                        format!("d{k}")
                    };
                    let when = if *when && k > 0 { " when flag" } else { "" };
                    if *more == 0 {
                        return format!("{kw} {name} = {e}{when}\n");
                    }
                    // A group: the first member keeps the name; weights from
                    // an input (through `flag`), zero included.
                    const WEIGHTS: [&str; 4] = ["0", "1", "3", "35%"];
                    let mut members = vec![if *weighted {
                        format!("{name}: if flag then 2 else 1")
                    } else {
                        name.clone()
                    }];
                    for m in 0..*more {
                        let w = WEIGHTS[(k + m) % WEIGHTS.len()];
                        members.push(if *weighted {
                            format!("{name}_m{m}: {w}")
                        } else {
                            format!("{name}_m{m}")
                        });
                    }
                    format!("share ({}) = {e}{when}\n", members.join(", "))
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
    let out = a.evaluate_outcome(inputs).map_err(|d| d.code.to_string())?;
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
        let a = Agreement::compile_failure("gen.split", &src).map_err(|f| format!("{:?}", f.diagnostics)).unwrap();
        let out = a.evaluate_outcome(&a.raw_inputs()).map_err(|d| d.message).unwrap();
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
        let a = Agreement::compile_failure("a.split", &g.text(&g.cells)).unwrap();
        let mut cells = g.cells.clone();
        // A permutation from the seed.
        let mut s = seed;
        for i in (1..cells.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            cells.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = Agreement::compile_failure("b.split", &g.text(&cells)).unwrap();
        let mut va = amounts(&a, &a.raw_inputs()).unwrap();
        let mut vb = amounts(&b, &b.raw_inputs()).unwrap();
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
        let a = Agreement::compile_failure("a.split", &src).unwrap();
        let mut out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
        let c = a.program.currency;
        let price = Value::Money(Decimal::new(units as i64, c.minor_unit()), c);
        let mut inputs = a.raw_inputs();
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
        let b = Agreement::compile_failure("b.split", &src).unwrap();
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
}

// ---------------------------------------------------------------------------
// An independent oracle: exact rationals (num-rational over num-bigint), the
// rounding modes written from their definitions, the minor units and the
// calendar written out here. Nothing below calls rust_decimal, chrono or
// `Rounding` to compute an expected value.
// ---------------------------------------------------------------------------

type Q = BigRational;

fn q_int(n: i128) -> Q {
    Q::from_integer(BigInt::from(n))
}

fn pow10(n: u32) -> Q {
    q_int(10i128.pow(n))
}

fn q_abs(x: &Q) -> Q {
    if *x < q_int(0) {
        -x
    } else {
        x.clone()
    }
}

/// `units / 10^dp`, exactly.
fn q_units(units: i128, dp: u32) -> Q {
    q_int(units) / pow10(dp)
}

/// A product value as an exact rational (mantissa / 10^scale).
fn q_dec(d: Decimal) -> Q {
    q_units(d.mantissa(), d.scale())
}

/// `units / 10^dp` as decimal text, written without rust_decimal.
fn dec_text(units: i128, dp: u32) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let digits = units.unsigned_abs().to_string();
    if dp == 0 {
        return format!("{sign}{digits}");
    }
    let dp = dp as usize;
    let padded = format!("{digits:0>width$}", width = dp + 1);
    let (int, frac) = padded.split_at(padded.len() - dp);
    format!("{sign}{int}.{frac}")
}

/// The rounding modes of docs/language.md §5.2, by name.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    HalfUp,
    HalfEven,
    HalfDown,
    Up,
    Down,
    Floor,
    Ceiling,
}

const MODES: [(&str, Mode); 7] = [
    ("half_up", Mode::HalfUp),
    ("half_even", Mode::HalfEven),
    ("half_down", Mode::HalfDown),
    ("up", Mode::Up),
    ("down", Mode::Down),
    ("floor", Mode::Floor),
    ("ceiling", Mode::Ceiling),
];

/// `x` rounded to a whole number in `mode`, from the definitions: the two
/// neighbours are ⌊x⌋ and ⌊x⌋ + 1; "up" is away from zero, "down" toward
/// zero; the half modes pick the nearer, and at exactly one half go away from
/// zero (half_up), toward zero (half_down) or to the even one (half_even).
fn round_whole(x: &Q, mode: Mode) -> Q {
    let lo = x.floor();
    let frac = x - &lo;
    if frac == q_int(0) {
        return lo;
    }
    let hi = &lo + q_int(1);
    let positive = *x > q_int(0);
    let (toward_zero, away) = if positive {
        (lo.clone(), hi.clone())
    } else {
        (hi.clone(), lo.clone())
    };
    let half = Q::new(BigInt::from(1), BigInt::from(2));
    let nearer = match frac.cmp(&half) {
        Ordering::Less => Some(lo.clone()),
        Ordering::Greater => Some(hi.clone()),
        Ordering::Equal => None,
    };
    match mode {
        Mode::Up => away,
        Mode::Down => toward_zero,
        Mode::Floor => lo,
        Mode::Ceiling => hi,
        Mode::HalfUp => nearer.unwrap_or(away),
        Mode::HalfDown => nearer.unwrap_or(toward_zero),
        Mode::HalfEven => nearer.unwrap_or_else(|| {
            if lo.to_integer() % BigInt::from(2) == BigInt::from(0) {
                lo
            } else {
                hi
            }
        }),
    }
}

/// `x` rounded to `dp` decimal places in `mode`.
fn round_dp(x: &Q, dp: u32, mode: Mode) -> Q {
    round_whole(&(x * pow10(dp)), mode) / pow10(dp)
}

/// `x` rounded to a multiple of `step` in `mode`.
fn round_step(x: &Q, step: &Q, mode: Mode) -> Q {
    round_whole(&(x / step), mode) * step
}

/// Currencies with their ISO 4217 minor units, written out here (currencies
/// of payment only: a fund such as CLF, the one code with 4, is not money).
const CURS: [(&str, u32); 6] = [
    ("USD", 2),
    ("JPY", 0),
    ("BHD", 3),
    ("EUR", 2),
    ("KWD", 3),
    ("OMR", 3),
];

/// The day number of a proleptic Gregorian date (days since 1970-01-01).
fn civil_to_days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number, as `YYYY-MM-DD`.
fn days_to_civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One deduction's amount, before rounding, in the agreement's currency.
#[derive(Clone, Debug)]
enum Amount {
    /// `P% of remaining` (P ≤ 100%, in thousandths of a percent).
    PctRemaining(i64),
    /// `min(P% of price, remaining)`.
    PctPrice(i64),
    /// `min(P% of net, remaining)`, net = price - first (a cell on a deduction).
    PctNet(i64),
    /// `min(A CUR, remaining)`, A in minor units.
    Fixed(i64),
    /// `min(A FOREIGN * rate, remaining)`: a conversion, A in the foreign minor units.
    Converted(i64),
    /// `min(A FOREIGN / back, remaining)`: a conversion by division.
    ConvertedBack(i64),
    /// `remaining / K`.
    Split(i64),
    /// `min(F(P% of remaining, S CUR), remaining)`, F = round, floor or ceil.
    Step(&'static str, i64, i64),
    /// `min(abs(cutoff - sold) * A CUR, remaining)`: days between dates.
    Days(i64),
    /// `if sold < cutoff then P% of remaining else Q% of remaining`.
    IfBefore(i64, i64),
}

/// A deduction's condition.
#[derive(Clone, Debug)]
enum Cond {
    Always,
    Flag,
    NotFlag,
    /// `when sold + N >= cutoff`.
    Shifted(i64),
    /// `when price > A CUR`.
    PriceAbove(i64),
}

/// The price: a literal, or a foreign list price converted and rounded.
#[derive(Clone, Debug)]
enum Price {
    Literal(i64),
    /// `round(A FOREIGN * rate)`.
    Converted(i64),
}

#[derive(Clone, Debug)]
struct Case {
    mode: usize,
    cur: usize,
    foreign: usize,
    price: Price,
    /// CUR per FOREIGN, and FOREIGN per CUR: (mantissa, scale).
    rate: (i64, u32),
    back: (i64, u32),
    sold: i64,
    cutoff: i64,
    flag: bool,
    deductions: Vec<(bool, Amount, Cond)>,
}

fn pct_text(p: i64) -> String {
    format!("{}%", dec_text(i128::from(p), 3))
}

fn q_pct(p: i64) -> Q {
    q_units(i128::from(p), 5)
}

impl Case {
    fn cur(&self) -> (&'static str, u32) {
        CURS[self.cur]
    }
    fn foreign(&self) -> (&'static str, u32) {
        CURS[self.foreign]
    }
    fn mode(&self) -> Mode {
        MODES[self.mode].1
    }

    fn money(&self, units: i64) -> String {
        let (c, dp) = self.cur();
        format!("{} {c}", dec_text(i128::from(units), dp))
    }

    fn foreign_money(&self, units: i64) -> String {
        let (c, dp) = self.foreign();
        format!("{} {c}", dec_text(i128::from(units), dp))
    }

    fn source(&self) -> String {
        let (cur, _) = self.cur();
        let (fc, _) = self.foreign();
        let mut s = format!("agreement \"oracle\"\nrounding {}\n", MODES[self.mode].0);
        s += &format!(
            "input rate = {} {cur}/{fc}\ninput back = {} {fc}/{cur}\n",
            dec_text(i128::from(self.rate.0), self.rate.1),
            dec_text(i128::from(self.back.0), self.back.1)
        );
        s += &format!(
            "input sold = {}\ninput cutoff = {}\ninput flag = {}\n",
            days_to_civil(self.sold),
            days_to_civil(self.cutoff),
            self.flag
        );
        s += &match self.price {
            Price::Literal(u) => format!("price = {}\n", self.money(u)),
            Price::Converted(u) => format!("price = round({} * rate)\n", self.foreign_money(u)),
        };
        s += "net = price - d0\n";
        for (k, (fee, amount, cond)) in self.deductions.iter().enumerate() {
            let e = match amount {
                Amount::PctRemaining(p) => format!("{} of remaining", pct_text(*p)),
                Amount::PctPrice(p) => format!("min({} of price, remaining)", pct_text(*p)),
                Amount::PctNet(p) => format!("min({} of net, remaining)", pct_text(*p)),
                Amount::Fixed(a) => format!("min({}, remaining)", self.money(*a)),
                Amount::Converted(a) => {
                    format!("min({} * rate, remaining)", self.foreign_money(*a))
                }
                Amount::ConvertedBack(a) => {
                    format!("min({} / back, remaining)", self.foreign_money(*a))
                }
                Amount::Split(n) => format!("remaining / {n}"),
                Amount::Step(f, p, step) => format!(
                    "min({f}({} of remaining, {}), remaining)",
                    pct_text(*p),
                    self.money(*step)
                ),
                Amount::Days(a) => {
                    format!("min(abs(cutoff - sold) * {}, remaining)", self.money(*a))
                }
                Amount::IfBefore(p, q) => format!(
                    "if sold < cutoff then {} of remaining else {} of remaining",
                    pct_text(*p),
                    pct_text(*q)
                ),
            };
            let when = match cond {
                Cond::Always => String::new(),
                Cond::Flag => " when flag".into(),
                Cond::NotFlag => " when not flag".into(),
                Cond::Shifted(n) if *n < 0 => format!(" when sold - {} >= cutoff", -n),
                Cond::Shifted(n) => format!(" when sold + {n} >= cutoff"),
                Cond::PriceAbove(a) => format!(" when price > {}", self.money(*a)),
            };
            let kw = if *fee { "fee" } else { "share" };
            s += &format!("{kw} d{k} = {e}{when}\n");
        }
        s
    }

    /// The oracle: (price, every deduction), exact, in the agreement's currency.
    fn expected(&self) -> (Q, Vec<Q>) {
        let (_, dp) = self.cur();
        let (_, fdp) = self.foreign();
        let mode = self.mode();
        let rate = q_units(i128::from(self.rate.0), self.rate.1);
        let back = q_units(i128::from(self.back.0), self.back.1);
        let money = |u: i64| q_units(i128::from(u), dp);
        let foreign = |u: i64| q_units(i128::from(u), fdp);
        let price = match self.price {
            Price::Literal(u) => money(u),
            Price::Converted(u) => round_dp(&(foreign(u) * &rate), dp, mode),
        };
        let days = (self.cutoff - self.sold).abs();
        let mut pool = price.clone();
        let mut amounts: Vec<Q> = Vec::new();
        for (amount, cond) in self.deductions.iter().map(|(_, a, c)| (a, c)) {
            let applies = match cond {
                Cond::Always => true,
                Cond::Flag => self.flag,
                Cond::NotFlag => !self.flag,
                Cond::Shifted(n) => self.sold + n >= self.cutoff,
                Cond::PriceAbove(a) => price > money(*a),
            };
            let x = if !applies {
                q_int(0)
            } else {
                let cap = |x: Q| if x < pool { x } else { pool.clone() };
                match amount {
                    Amount::PctRemaining(p) => q_pct(*p) * &pool,
                    Amount::PctPrice(p) => cap(q_pct(*p) * &price),
                    Amount::PctNet(p) => cap(q_pct(*p) * (&price - &amounts[0])),
                    Amount::Fixed(a) => cap(money(*a)),
                    Amount::Converted(a) => cap(foreign(*a) * &rate),
                    Amount::ConvertedBack(a) => cap(foreign(*a) / &back),
                    Amount::Split(n) => &pool / q_int(i128::from(*n)),
                    Amount::Step(f, p, step) => {
                        let m = match *f {
                            "floor" => Mode::Floor,
                            "ceil" => Mode::Ceiling,
                            _ => mode,
                        };
                        cap(round_step(&(q_pct(*p) * &pool), &money(*step), m))
                    }
                    Amount::Days(a) => cap(q_int(i128::from(days)) * money(*a)),
                    Amount::IfBefore(p, q) => {
                        let p = if self.sold < self.cutoff { p } else { q };
                        q_pct(*p) * &pool
                    }
                }
            };
            let rounded = round_dp(&x, dp, mode);
            pool = &pool - &rounded;
            amounts.push(rounded);
        }
        (price, amounts)
    }
}

/// Percentages in thousandths of a percent (0..=100%), biased toward the
/// round ones that land exactly on half a minor unit.
fn pct() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..=100_000,
        prop::sample::select(vec![
            500, 1_000, 2_500, 5_000, 12_500, 25_000, 50_000, 100_000
        ]),
    ]
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        pct().prop_map(Amount::PctRemaining),
        pct().prop_map(Amount::PctPrice),
        pct().prop_map(Amount::PctNet),
        (0i64..=10_000_000).prop_map(Amount::Fixed),
        (0i64..=10_000_000).prop_map(Amount::Converted),
        (0i64..=10_000_000).prop_map(Amount::ConvertedBack),
        (1i64..=9).prop_map(Amount::Split),
        (
            prop::sample::select(vec!["round", "floor", "ceil"]),
            pct(),
            1i64..=100
        )
            .prop_map(|(f, p, s)| Amount::Step(f, p, s)),
        (0i64..=1_000).prop_map(Amount::Days),
        (pct(), pct()).prop_map(|(p, q)| Amount::IfBefore(p, q)),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    prop_oneof![
        3 => Just(Cond::Always),
        1 => Just(Cond::Flag),
        1 => Just(Cond::NotFlag),
        1 => prop_oneof![-3i64..=3, -400i64..=400].prop_map(Cond::Shifted),
        1 => (0i64..=1_000_000).prop_map(Cond::PriceAbove),
    ]
}

/// A day between 1990 and 2060.
fn day() -> impl Strategy<Value = i64> {
    civil_to_days(1990, 1, 1)..=civil_to_days(2060, 12, 31)
}

/// A rate with up to 6 decimals, above zero.
fn rate() -> impl Strategy<Value = (i64, u32)> {
    (1i64..=100_000_000, 0u32..=6)
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..MODES.len(),
        0..CURS.len(),
        0..CURS.len(),
        prop_oneof![
            // Small prices make the half-unit ties frequent.
            (0i64..=1_000).prop_map(Price::Literal),
            (0i64..=1_000_000_000_000).prop_map(Price::Literal),
            (0i64..=100_000_000).prop_map(Price::Converted),
        ],
        rate(),
        rate(),
        (
            day(),
            // A cutoff near the sale date (ties and off-by-one days), or anywhere.
            prop_oneof![
                (-3i64..=3).prop_map(Some),
                (-400i64..=400).prop_map(Some),
                Just(None)
            ],
            day(),
            any::<bool>(),
        )
            .prop_map(|(sold, near, far, flag)| (sold, near.map_or(far, |d| sold + d), flag)),
        prop::collection::vec((any::<bool>(), amount(), cond()), 1..8),
    )
        .prop_map(
            |(mode, cur, foreign, price, rate, back, (sold, cutoff, flag), deductions)| Case {
                mode,
                cur,
                foreign,
                price,
                rate,
                back,
                sold,
                cutoff,
                flag,
                deductions,
            },
        )
        // The cell `net` reads the first deduction: it must not read `net`.
        .prop_map(|mut c| {
            if let Some((_, a @ Amount::PctNet(_), _)) = c.deductions.first_mut() {
                if let Amount::PctNet(p) = *a {
                    *a = Amount::PctPrice(p);
                }
            }
            c
        })
}

/// Evaluates `src` through the public API and checks it against the oracle:
/// every deduction to the cent, every pool, unallocated, and
/// price = Σ deductions + unallocated exactly.
fn check_against_oracle(a: &Agreement, inputs: &Inputs, case: &Case) -> Result<(), TestCaseError> {
    let out = a
        .evaluate_outcome(inputs)
        .map_err(|d| TestCaseError::fail(format!("{}: {}", d.code, d.message)))?;
    let (price, want) = case.expected();
    prop_assert_eq!(out.pools.len(), want.len() + 1);
    prop_assert_eq!(q_dec(out.pools[0]), price.clone(), "price");
    let mut pool = price.clone();
    let mut sum = q_int(0);
    for (k, w) in want.iter().enumerate() {
        let slot = a.program.slot(&format!("d{k}")).unwrap();
        let got = match out.value(slot) {
            Some(Value::Money(d, c)) => {
                prop_assert_eq!(c.code(), case.cur().0);
                d
            }
            other => return Err(TestCaseError::fail(format!("d{k} is {other:?}"))),
        };
        prop_assert_eq!(q_dec(got), w.clone(), "d{} = {} (oracle {})", k, got, w);
        pool = &pool - w;
        prop_assert_eq!(q_dec(out.pools[k + 1]), pool.clone(), "pool after d{}", k);
        sum = &sum + q_dec(got);
    }
    prop_assert_eq!(q_dec(out.unallocated()), pool);
    // The invariant, on the product's own numbers.
    prop_assert_eq!(sum + q_dec(out.unallocated()), q_dec(out.pools[0]));
    Ok(())
}

/// Whether an exact rational is a rust_decimal value (a mantissa below 2^96
/// and at most 28 decimals).
fn representable(x: &Q) -> bool {
    let max = q_int((1i128 << 96) - 1);
    (0..=28).any(|s| {
        let m = x * pow10(s);
        m.is_integer() && q_abs(&m) <= max
    })
}

proptest! {
    #![proptest_config(config())]

    /// Generated agreements, evaluated through the public API with their
    /// defaults, agree with the oracle to the minor unit.
    #[test]
    fn agreements_agree_with_the_oracle(case in case()) {
        let src = case.source();
        let a = Agreement::compile_failure("oracle.split", &src).map_err(|f| {
            let msgs: Vec<_> = f.diagnostics.iter().map(|d| d.message.clone()).collect();
            TestCaseError::fail(format!("{src}\n{msgs:?}"))
        })?;
        check_against_oracle(&a, &a.raw_inputs(), &case)
            .map_err(|e| TestCaseError::fail(format!("{src}\n{e}")))?;
    }

    /// The same with inputs set from outside (as `--set` does): a new price
    /// (or list price), rate, sale date and flag.
    #[test]
    fn overrides_agree_with_the_oracle(
        mut case in case(),
        price in 0i64..=1_000_000_000,
        rate in rate(),
        sold in day(),
        flag in any::<bool>(),
    ) {
        let src = case.source();
        let a = Agreement::compile_failure("oracle.split", &src).unwrap();
        let mut inputs = a.raw_inputs();
        let mut set = |s: String| a.set_from_text(&mut inputs, &s).map_err(|d| TestCaseError::fail(format!("{s}: {}", d.message)));
        let (cur, fc) = (case.cur().0, case.foreign().0);
        set(format!("rate={} {cur}/{fc}", dec_text(i128::from(rate.0), rate.1)))?;
        set(format!("sold={}", days_to_civil(sold)))?;
        set(format!("flag={flag}"))?;
        if let Price::Literal(_) = case.price {
            set(format!("price={}", case.money(price)))?;
            case.price = Price::Literal(price);
        }
        case.rate = rate;
        case.sold = sold;
        case.flag = flag;
        check_against_oracle(&a, &inputs, &case)
            .map_err(|e| TestCaseError::fail(format!("{src}\n{e}")))?;
    }

    /// `Rounding::round` in every mode gives the oracle's value, padded to
    /// exactly `dp` places.
    #[test]
    fn rounding_matches_the_oracle(
        a in any::<i64>(),
        scale in 0u32..=10,
        tie in any::<bool>(),
        mi in 0..MODES.len(),
        dp in 0u32..=4,
    ) {
        let (name, mode) = MODES[mi];
        // Half the cases lie exactly halfway between two steps (…5 one
        // place below `dp`), where the half modes differ.
        let (a, scale) = if tie { ((a >> 8) * 10 + 5 * a.signum(), dp + 1) } else { (a, scale) };
        let x = Decimal::new(a, scale);
        let r = Rounding::from_name(name).unwrap().round(x, dp);
        prop_assert_eq!(r.scale(), dp);
        prop_assert_eq!(q_dec(r), round_dp(&q_units(i128::from(a), scale), dp, mode), "{} {} to {}", name, x, dp);
    }

    /// `round(x)`, `round(x, STEP)`, `floor(x, STEP)`, `ceil(x, STEP)` and
    /// `round(n)` in cells, on negative values too, agree with the oracle.
    #[test]
    fn round_builtins_match_the_oracle(
        mi in 0..MODES.len(),
        ci in 0..CURS.len(),
        x in -1_000_000_000_000_000i64..=1_000_000_000_000_000,
        step in 1i64..=1_000,
        n in any::<i64>(),
        nscale in 0u32..=6,
    ) {
        let (name, mode) = MODES[mi];
        let (cur, dp) = CURS[ci];
        let xs = dec_text(i128::from(x), dp + 3);
        let ss = dec_text(i128::from(step), dp + 1);
        let src = format!(
            "rounding {name}\nprice = {} {cur}\ninput x = {xs} {cur}\ninput n = {}\n\
             r1 = round(x)\nr2 = round(x, {ss} {cur})\nr3 = floor(x, {ss} {cur})\nr4 = ceil(x, {ss} {cur})\nr5 = round(n)\n\
             share all = remaining\n",
            dec_text(0, dp),
            dec_text(i128::from(n), nscale),
        );
        let a = Agreement::compile_failure("round.split", &src).map_err(|f| TestCaseError::fail(format!("{src}\n{:?}", f.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>())))?;
        let out = a.evaluate_outcome(&a.raw_inputs()).map_err(|d| TestCaseError::fail(format!("{src}\n{}", d.message)))?;
        let get = |name: &str| out.value(a.program.slot(name).unwrap()).and_then(|v| v.decimal()).map(q_dec);
        let qx = q_units(i128::from(x), dp + 3);
        let qs = q_units(i128::from(step), dp + 1);
        prop_assert_eq!(get("r1"), Some(round_dp(&qx, dp, mode)), "{}", src);
        prop_assert_eq!(get("r2"), Some(round_step(&qx, &qs, mode)), "{}", src);
        prop_assert_eq!(get("r3"), Some(round_step(&qx, &qs, Mode::Floor)), "{}", src);
        prop_assert_eq!(get("r4"), Some(round_step(&qx, &qs, Mode::Ceiling)), "{}", src);
        prop_assert_eq!(get("r5"), Some(round_dp(&q_units(i128::from(n), nscale), 0, mode)), "{}", src);
    }

    /// Arithmetic on any decimals agrees with exact rationals: the exact
    /// result when a decimal can hold it, otherwise within 28 significant
    /// digits; an error only for a division by zero or a result too large
    /// (never a panic, never a wrapped or saturated result).
    #[test]
    fn arithmetic_matches_exact_rationals(a in any::<i128>(), sa in 0u32..=28, b in any::<i128>(), sb in 0u32..=28) {
        let x = Decimal::from_i128_with_scale(a % 79_228_162_514_264_337_593_543_950_335, sa);
        let y = Decimal::from_i128_with_scale(b % 79_228_162_514_264_337_593_543_950_335, sb);
        let (qx, qy) = (q_dec(x), q_dec(y));
        let usd = Currency::from_code("USD").unwrap();
        use BinOp::*;
        let (n, m) = (Value::Number, |d| Value::Money(d, usd));
        // The kinds the checker lets through for each operator, and whether
        // the result is money.
        let cases = [
            (vec![Add, Sub, Mul, Div, Of], n(x), n(y), false),
            (vec![Mul, Of, Div], m(x), n(y), true),
            (vec![Mul, Of], n(x), m(y), true),
            (vec![Add, Sub], m(x), m(y), true),
            (vec![Div], m(x), m(y), false),
        ];
        for (ops, va, vb, money) in cases {
            for op in ops {
                let exact = match op {
                    Add => Some(&qx + &qy),
                    Sub => Some(&qx - &qy),
                    Div if qy == q_int(0) => None,
                    Div => Some(&qx / &qy),
                    _ => Some(&qx * &qy),
                };
                match binary(op, va, vb, Span::default()) {
                    Ok(v) => {
                        let exact = exact.unwrap();
                        prop_assert_eq!(matches!(v, Value::Money(_, c) if c == usd), money, "{:?}", v);
                        let d = v.decimal().unwrap();
                        let got = q_dec(d);
                        if representable(&exact) {
                            prop_assert_eq!(got, exact, "{:?} {} {}", op, x, y);
                        } else {
                            // 28 significant digits, and nothing below 10^-28.
                            let tolerance = q_abs(&exact) / pow10(26) + q_units(1, 28);
                            prop_assert!(q_abs(&(got - &exact)) <= tolerance, "{:?} {} {} = {}", op, x, y, d);
                        }
                    }
                    Err(d) => match d.code.as_str() {
                        "splitdsl::eval::division_by_zero" => prop_assert!(exact.is_none()),
                        "splitdsl::eval::overflow" => {
                            let exact = exact.unwrap();
                            // Money stays below 10^22 USD, numbers below 7.9 × 10^28.
                            let limit = if money { pow10(22) } else { pow10(28) };
                            prop_assert!(q_abs(&exact) >= limit - q_int(1), "{:?} {} {}: overflow", op, x, y);
                        }
                        other => prop_assert!(false, "{}", other),
                    },
                }
            }
        }
    }
}
