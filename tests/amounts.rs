//! The amount writer on bytes (`value::write_amount`, `value::write_units`)
//! against the text `rust_decimal`'s `Display` gives, which it replaced:
//! byte-identical for every mantissa, scale and minor unit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::value::{format_amount, write_amount, write_units, Currency};

/// The formatter before issue 18: `normalize`, `rescale` to the minor unit, `Display`.
fn by_display(d: Decimal, c: Currency) -> String {
    let mut n = d.normalize();
    let dp = c.minor_unit();
    if n.scale() < dp {
        n.rescale(dp);
    }
    n.to_string()
}

/// One currency per minor unit a currency of payment has: 0, 2 and 3 decimals
/// (the 4-decimal codes, CLF and UYW, are units of account, not money here).
fn currencies() -> Vec<Currency> {
    ["JPY", "USD", "BHD", "CLF", "UYW"]
        .iter()
        .filter_map(|c| Currency::from_code(c))
        .collect()
}

fn check(d: Decimal) {
    for c in currencies() {
        let want = by_display(d, c);
        assert_eq!(format_amount(d, c), want, "{d:?} in {c}");
        let mut s = String::from("x");
        write_amount(&mut s, d, c);
        assert_eq!(s, format!("x{want}"), "{d:?} in {c}");
    }
}

#[test]
fn the_minor_units_cover_zero_to_three() {
    let mut dps: Vec<u32> = currencies().iter().map(|c| c.minor_unit()).collect();
    dps.sort_unstable();
    dps.dedup();
    assert_eq!(dps, [0, 2, 3]);
    assert_eq!(
        format_amount(Decimal::new(5, 2), Currency::from_code("USD").unwrap()),
        "0.05"
    );
}

#[test]
fn edges_match_display() {
    let max = Decimal::MAX;
    let mut cases = vec![
        Decimal::ZERO,
        Decimal::new(0, 5),
        Decimal::new(-0, 3),
        -Decimal::new(0, 3),
        Decimal::new(1, 0),
        Decimal::new(-1, 28),
        Decimal::new(100, 0),
        Decimal::new(10_000, 4),
        Decimal::new(-19_700, 2),
        Decimal::new(5, 3),
        Decimal::new(123_456_789_012_345_678, 9),
        max,
        Decimal::MIN,
        max / Decimal::new(10, 0),
        Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950, 0),
        Decimal::from_i128_with_scale(7_922_816_251_426_433_759_354_395, 0),
        Decimal::from_i128_with_scale(-7_922_816_251_426_433_759_354_395, 1),
        Decimal::from_i128_with_scale(u64::MAX.into(), 2),
        Decimal::from_i128_with_scale(i128::from(u64::MAX) + 1, 2),
        Decimal::from_i128_with_scale(-(i128::from(u64::MAX) + 1), 3),
    ];
    for s in 0..=28 {
        cases.push(Decimal::from_i128_with_scale(1_000, s));
        cases.push(Decimal::from_i128_with_scale(-7, s));
        cases.push(Decimal::from_i128_with_scale(0, s));
    }
    for d in cases {
        check(d);
    }
}

#[test]
fn units_are_written_with_exactly_dp_decimals() {
    for (units, dp, want) in [
        (1040, 2, "10.40"),
        (-5, 2, "-0.05"),
        (0, 0, "0"),
        (0, 3, "0.000"),
        (123, 0, "123"),
        (-123_456, 4, "-12.3456"),
        (i128::MAX, 2, "1701411834604692317316873037158841057.27"),
        (i128::MIN, 0, "-170141183460469231731687303715884105728"),
    ] {
        let mut v = Vec::new();
        write_units(&mut v, units, dp);
        assert_eq!(String::from_utf8(v).unwrap(), want, "{units} {dp}");
    }
}

proptest! {
    #[test]
    fn any_decimal_matches_display(
        lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
        neg in any::<bool>(), scale in 0u32..=28,
        small in -1_000_000_000i64..1_000_000_000, which in 0u8..4,
    ) {
        let d = match which {
            // Any 96-bit mantissa.
            0 => Decimal::from_parts(lo, mid, hi, neg, scale),
            // 64 bits.
            1 => Decimal::from_parts(lo, mid, 0, neg, scale),
            // An amount of the size a sale has, with trailing zeros.
            2 => Decimal::new(small * 100, scale.min(6)),
            _ => Decimal::new(small, scale.min(4)),
        };
        check(d);
    }
}
