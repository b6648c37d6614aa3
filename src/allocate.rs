//! Dividing one amount among weighted members, to the minor unit, exactly:
//! the largest-remainder method of docs/language.md section 9 ("Group
//! shares").
//!
//! Each member first gets `weight / Σ weights × amount` rounded toward zero
//! to the minor unit; the minor units left over go one at a time to the
//! members with the largest remainders, ties in the order written. The parts
//! add up to the amount exactly. The arithmetic is on whole minor units
//! with 256-bit intermediate products, so the quotients and remainders are
//! exact whatever the weights (no 28-digit rounding decides a cent).

use rust_decimal::Decimal;

/// One member's part of an [`allocate`]d amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// What the member gets (`floor`, plus one minor unit when `extra`).
    pub amount: Decimal,
    /// The exact quotient `weight / Σ weights × amount` rounded toward zero
    /// to the minor unit.
    pub floor: Decimal,
    /// What rounding toward zero left of the exact quotient, as a fraction
    /// of one minor unit: exactly `remainder_num / remainder_den`.
    pub remainder_num: u128,
    /// The denominator of the remainder (Σ weights, scaled to integers).
    pub remainder_den: u128,
    /// Whether the member got one of the minor units left over.
    pub extra: bool,
}

impl Part {
    /// The remainder as a decimal fraction of one minor unit, for display
    /// (rounded to 28 significant digits; the order of remainders is decided
    /// on the exact fraction).
    pub fn remainder(&self) -> Decimal {
        let (Ok(n), Ok(d)) = (
            i128::try_from(self.remainder_num),
            i128::try_from(self.remainder_den),
        ) else {
            return Decimal::ZERO;
        };
        match (
            Decimal::try_from_i128_with_scale(n, 0),
            Decimal::try_from_i128_with_scale(d, 0),
        ) {
            (Ok(n), Ok(d)) => n.checked_div(d).unwrap_or_default(),
            _ => Decimal::ZERO,
        }
    }
}

/// Why an amount cannot be divided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// The amount is below zero.
    NegativeAmount,
    /// The amount is not a whole number of minor units.
    NotWhole,
    /// Weight `i` is below zero.
    NegativeWeight(usize),
    /// No weight is above zero (or there is no member).
    ZeroWeights,
    /// The figures are too large to divide exactly.
    Overflow,
}

/// Divides `amount` (whole minor units of a currency with `minor` decimal
/// places, zero or more) among members in proportion to `weights` (each
/// zero or more, not all zero), by the largest-remainder method.
///
/// ```
/// use rust_decimal::Decimal;
/// use splitdsl::allocate::allocate;
/// let parts = allocate(Decimal::new(10000, 2), &[Decimal::ONE; 3], 2).unwrap();
/// let amounts: Vec<String> = parts.iter().map(|p| p.amount.to_string()).collect();
/// assert_eq!(amounts, ["33.34", "33.33", "33.33"]);
/// ```
pub fn allocate(amount: Decimal, weights: &[Decimal], minor: u32) -> Result<Vec<Part>, AllocError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(AllocError::NegativeAmount);
    }
    if let Some(i) = weights
        .iter()
        .position(|w| w.is_sign_negative() && !w.is_zero())
    {
        return Err(AllocError::NegativeWeight(i));
    }
    if weights.iter().all(|w| w.is_zero()) {
        return Err(AllocError::ZeroWeights);
    }
    let units = to_units(amount, minor)?.ok_or(AllocError::NotWhole)?;
    // Weights as integers on one scale.
    let scale = weights
        .iter()
        .map(|w| w.normalize().scale())
        .max()
        .unwrap_or(0);
    let mut ints = Vec::with_capacity(weights.len());
    let mut total: u128 = 0;
    for w in weights {
        let w = to_units(w.abs(), scale)?.ok_or(AllocError::Overflow)?;
        total = total.checked_add(w).ok_or(AllocError::Overflow)?;
        ints.push(w);
    }
    if total >= 1u128 << 127 {
        return Err(AllocError::Overflow);
    }
    let mut floors = Vec::with_capacity(ints.len());
    let mut given: u128 = 0;
    for &w in &ints {
        let (q, r) = mul_div(units, w, total).ok_or(AllocError::Overflow)?;
        given = given.checked_add(q).ok_or(AllocError::Overflow)?;
        floors.push((q, r));
    }
    let left = units.checked_sub(given).ok_or(AllocError::Overflow)?;
    // Largest remainders first; a stable sort keeps ties in written order.
    let mut by_rem: Vec<usize> = (0..floors.len()).collect();
    by_rem.sort_by(|&a, &b| floors[b].1.cmp(&floors[a].1));
    let mut extra = vec![false; floors.len()];
    let left = usize::try_from(left).map_err(|_| AllocError::Overflow)?;
    if left > floors.len() {
        return Err(AllocError::Overflow);
    }
    for &i in by_rem.iter().take(left) {
        extra[i] = true;
    }
    floors
        .iter()
        .zip(extra)
        .map(|(&(q, r), extra)| {
            let amount_units = if extra { q + 1 } else { q };
            Ok(Part {
                amount: from_units(amount_units, minor)?,
                floor: from_units(q, minor)?,
                remainder_num: r,
                remainder_den: total,
                extra,
            })
        })
        .collect()
}

/// `d × 10^scale` when that is a whole number (`Ok(None)` when not).
fn to_units(d: Decimal, scale: u32) -> Result<Option<u128>, AllocError> {
    let d = d.normalize();
    if d.scale() > scale {
        return Ok(None);
    }
    let m = u128::try_from(d.mantissa()).map_err(|_| AllocError::Overflow)?;
    let f = 10u128
        .checked_pow(scale - d.scale())
        .ok_or(AllocError::Overflow)?;
    m.checked_mul(f).map(Some).ok_or(AllocError::Overflow)
}

fn from_units(u: u128, minor: u32) -> Result<Decimal, AllocError> {
    let i = i128::try_from(u).map_err(|_| AllocError::Overflow)?;
    let mut d = Decimal::try_from_i128_with_scale(i, minor).map_err(|_| AllocError::Overflow)?;
    d.rescale(minor);
    Ok(d)
}

/// `⌊a × b / c⌋` and the remainder, with a 256-bit product (`c` below
/// 2^127, above zero). `None` when the quotient does not fit.
fn mul_div(a: u128, b: u128, c: u128) -> Option<(u128, u128)> {
    if c == 0 || c >= 1u128 << 127 {
        return None;
    }
    let (hi, lo) = mul_wide(a, b);
    if hi >= c {
        return None; // the quotient would not fit in 128 bits
    }
    // Long division, one bit at a time; the remainder stays below c < 2^127.
    let mut r = hi;
    let mut q: u128 = 0;
    for bit in (0..128).rev() {
        r = (r << 1) | ((lo >> bit) & 1);
        q <<= 1;
        if r >= c {
            r -= c;
            q |= 1;
        }
    }
    Some((q, r))
}

/// The 256-bit product of `a` and `b` as (high, low) halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_multiplication_and_division() {
        let (hi, lo) = mul_wide(u128::MAX, u128::MAX);
        assert_eq!(hi, u128::MAX - 1);
        assert_eq!(lo, 1);
        assert_eq!(mul_div(10, 7, 3), Some((23, 1)));
        let big = 1u128 << 100;
        assert_eq!(mul_div(big, big, 1u128 << 100), Some((big, 0)));
        assert_eq!(mul_div(big, big, 3), None);
    }
}
