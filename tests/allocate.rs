//! The division of a group share (issue 14): `allocate` against exact
//! rationals and against brute force, over random amounts, weights (zero
//! weights included) and currencies with 0, 2 and 3 minor digits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use num_bigint::BigInt;
use num_rational::BigRational;
use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::allocate::{allocate, AllocError};

fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        c.cases = 256;
    }
    c.failure_persistence = None;
    c
}

fn rat(d: Decimal) -> BigRational {
    let m = BigInt::from(d.mantissa());
    let s = BigInt::from(10).pow(d.scale());
    BigRational::new(m, s)
}

fn dec(units: i64, minor: u32) -> Decimal {
    Decimal::new(units, minor)
}

/// Minor digits of JPY, USD and BHD/KWD.
fn minor() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(2u32), Just(3u32)]
}

/// A weight: zero, a whole number, a decimal, or a third-like quotient.
fn weight() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::ZERO),
        (1i64..20).prop_map(Decimal::from),
        (1i64..100_000, 0u32..5).prop_map(|(m, s)| Decimal::new(m, s)),
        (1i64..10, 1i64..10).prop_map(|(a, b)| Decimal::from(a) / Decimal::from(b)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parts_are_exact_and_ordered(
        units in prop_oneof![0i64..1000, 0i64..1_000_000_000_000],
        minor in minor(),
        mut weights in prop::collection::vec(weight(), 1..8),
    ) {
        if weights.iter().all(|w| w.is_zero()) {
            weights[0] = Decimal::ONE;
        }
        let amount = dec(units, minor);
        let parts = allocate(amount, &weights, minor).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        // The sum is exact.
        let sum: Decimal = parts.iter().map(|p| p.amount).sum();
        prop_assert_eq!(sum, amount);
        let total: BigRational = weights.iter().map(|w| rat(*w)).sum();
        let unit = BigRational::new(BigInt::from(1), BigInt::from(10).pow(minor));
        let exact: Vec<BigRational> = weights
            .iter()
            .map(|w| rat(*w) / total.clone() * rat(amount))
            .collect();
        for (p, q) in parts.iter().zip(&exact) {
            // Rounded toward zero, then at most one unit more.
            prop_assert_eq!(p.amount.scale(), minor);
            let floor = (q.clone() / unit.clone()).floor() * unit.clone();
            prop_assert_eq!(rat(p.floor), floor.clone());
            let a = rat(p.amount);
            prop_assert!(a == floor || a == floor.clone() + unit.clone());
            prop_assert_eq!(a > floor.clone(), p.extra);
            // Within one minor unit of the exact quotient.
            let diff = if a > *q { a - q.clone() } else { q.clone() - a };
            prop_assert!(diff < unit);
            // The remainder is exact.
            let rem = BigRational::new(BigInt::from(p.remainder_num), BigInt::from(p.remainder_den));
            prop_assert_eq!(rem, (q.clone() - floor) / unit.clone());
        }
        // Largest remainders got the leftover units; ties in written order.
        for (i, p) in parts.iter().enumerate() {
            for (j, o) in parts.iter().enumerate() {
                if p.extra && !o.extra {
                    let (rp, ro) = (p.remainder_num, o.remainder_num);
                    prop_assert!(rp > ro || (rp == ro && i < j), "{i} got a unit before {j}");
                }
            }
        }
        // A zero weight gets nothing.
        for (p, w) in parts.iter().zip(&weights) {
            if w.is_zero() {
                prop_assert!(p.amount.is_zero());
            }
        }
    }

    #[test]
    fn small_cases_match_brute_force(
        units in 0i64..40,
        minor in minor(),
        weights in prop::collection::vec(0i64..5, 1..5),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let ws: Vec<Decimal> = weights.iter().map(|w| Decimal::from(*w)).collect();
        let got: Vec<i64> = allocate(dec(units, minor), &ws, minor)
            .unwrap()
            .iter()
            .map(|p| (p.amount * Decimal::from(10i64.pow(minor))).try_into().unwrap())
            .collect();
        prop_assert_eq!(got, brute_force(units, &weights));
    }
}

/// Exhaustive search: every member gets its exact share rounded toward
/// zero, and the units left go to the set of members (of the right size)
/// with the largest total remainder, among those the set whose indices
/// come first (ties in written order).
fn brute_force(units: i64, weights: &[i64]) -> Vec<i64> {
    let total: i64 = weights.iter().sum();
    let floors: Vec<i64> = weights.iter().map(|w| units * w / total).collect();
    let rems: Vec<i64> = weights.iter().map(|w| units * w % total).collect();
    let left = u32::try_from(units - floors.iter().sum::<i64>()).unwrap();
    let n = weights.len();
    let mut best: Option<(i64, Vec<usize>)> = None;
    for mask in 0u32..(1 << n) {
        if mask.count_ones() != left {
            continue;
        }
        let set: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
        let sum: i64 = set.iter().map(|&i| rems[i]).sum();
        let better = match &best {
            None => true,
            Some((s, b)) => sum > *s || (sum == *s && set < *b),
        };
        if better {
            best = Some((sum, set));
        }
    }
    let mut out = floors;
    for i in best.map(|(_, s)| s).unwrap_or_default() {
        out[i] += 1;
    }
    out
}

#[test]
fn the_worked_examples() {
    let one = Decimal::ONE;
    let amounts = |a: Decimal, w: &[Decimal], m: u32| -> Vec<String> {
        allocate(a, w, m)
            .unwrap()
            .iter()
            .map(|p| p.amount.to_string())
            .collect()
    };
    assert_eq!(
        amounts(dec(10000, 2), &[one; 3], 2),
        ["33.34", "33.33", "33.33"]
    );
    // 2:1:1 of 0.03: exact 0.015, 0.0075, 0.0075 → 0.01, 0.00, 0.00; the
    // two leftover cents go to the largest remainders 0.5, 0.75, 0.75 —
    // dora and eli, the tie in written order.
    let w = [Decimal::from(2), one, one];
    assert_eq!(amounts(dec(3, 2), &w, 2), ["0.01", "0.01", "0.01"]);
    assert_eq!(amounts(dec(5, 2), &w, 2), ["0.03", "0.01", "0.01"]);
    // A tie: 1:1 of 0.01 goes to the first written.
    assert_eq!(amounts(dec(1, 2), &[one, one], 2), ["0.01", "0.00"]);
    assert_eq!(amounts(dec(100, 0), &[one; 3], 0), ["34", "33", "33"]);
    assert_eq!(
        amounts(dec(100_000, 3), &[one; 3], 3),
        ["33.334", "33.333", "33.333"]
    );
    // Thirds written as decimals.
    let third = one / Decimal::from(3);
    assert_eq!(
        amounts(dec(10000, 2), &[third; 3], 2),
        ["33.34", "33.33", "33.33"]
    );
}

#[test]
fn refusals() {
    let one = Decimal::ONE;
    assert_eq!(
        allocate(dec(-1, 2), &[one], 2),
        Err(AllocError::NegativeAmount)
    );
    assert_eq!(
        allocate(dec(1, 2), &[one, -one], 2),
        Err(AllocError::NegativeWeight(1))
    );
    assert_eq!(
        allocate(dec(1, 2), &[Decimal::ZERO; 2], 2),
        Err(AllocError::ZeroWeights)
    );
    assert_eq!(allocate(dec(1, 2), &[], 2), Err(AllocError::ZeroWeights));
    assert_eq!(allocate(dec(1, 3), &[one], 2), Err(AllocError::NotWhole));
    // Huge figures are refused, not wrong.
    let big = Decimal::MAX;
    assert!(allocate(big.trunc(), &[big, Decimal::new(1, 28)], 0).is_err());
}
