//! One ledger cell to a [`Value`], and amounts back to text: the hot path of
//! settlement, written so that a plain decimal neither goes through the
//! expression parser nor allocates.

use crate::agreement::Agreement;
use crate::diag::did_you_mean;
use crate::program::SlotId;
use crate::syntax::parse_expr;
use crate::value::{Currency, Ty, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Why a cell could not be read: a stable code, a message and a help line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// A stable code such as `splitdsl::batch::bad_value`.
    pub code: crate::codes::Code,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl FieldError {
    fn new(code: crate::codes::Code, message: String, help: impl Into<Option<String>>) -> Self {
        FieldError {
            code,
            message,
            help: help.into(),
        }
    }
}

/// Parses a plain decimal (`123`, `-4.50`, `+.5`, `7.`) without allocating.
/// `None` when the text is anything else (or does not fit a decimal exactly).
pub fn parse_plain_decimal(s: &[u8]) -> Option<Decimal> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0u32; // digits seen
    let mut scale = 0u32;
    let mut dot = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                count += 1;
                if count > 18 {
                    // Too long for the u64 fast path: the exact slow path.
                    let text = std::str::from_utf8(s).ok()?;
                    return Decimal::from_str_exact(text.trim_start_matches('+')).ok();
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if dot {
                    scale += 1;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    // 18 digits fit in 60 bits: the high word is zero.
    let lo = (mantissa & 0xFFFF_FFFF) as u32;
    let mid = (mantissa >> 32) as u32;
    Some(Decimal::from_parts(lo, mid, 0, neg, scale))
}

/// `d` as an integer count of `10^-dp` units, when that is exact.
pub fn units(d: Decimal, dp: u32) -> Option<i128> {
    let s = d.scale();
    let m = d.mantissa();
    if s == dp {
        Some(m)
    } else if s < dp {
        m.checked_mul(10i128.checked_pow(dp - s)?)
    } else {
        let f = 10i128.checked_pow(s - dp)?;
        (m % f == 0).then(|| m / f)
    }
}

pub use crate::value::write_units;

/// How a ledger's number cells are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Numbers {
    /// The ledger is `;`-separated: a decimal comma (`100,00`) is read as a
    /// decimal point. Elsewhere a comma in a number is an error.
    pub decimal_comma: bool,
}

/// The longest number cell with a decimal comma read without allocating.
const COMMA_BUF: usize = 64;

/// Reads one cell for the input `slot` of kind `ty`: a plain decimal, an
/// amount with a currency code (`100.00 USD`) or, for anything else, a
/// constant expression as `--set` takes it (`35%`, `5.20 BRL/USD`, `2025-03-10`).
/// A bare number is money or a rate in the input's own unit.
/// `is_price`: the price may not have more decimals than its currency's minor unit.
pub fn parse_cell(
    agreement: &Agreement,
    slot: SlotId,
    column: &str,
    text: &[u8],
    is_price: bool,
    numbers: Numbers,
) -> Result<Value, FieldError> {
    let ty = agreement
        .program
        .slots
        .get(slot)
        .map_or(Ty::Number, |s| s.ty);
    let text = trim(text);
    if text.is_empty() {
        return Err(FieldError::new(
            crate::codes::BATCH_EMPTY_VALUE,
            format!("the `{column}` cell is empty"),
            format!("give {ty} for `{column}` on every row"),
        ));
    }
    let numeric = matches!(ty, Ty::Money(_) | Ty::Number | Ty::Rate(..));
    // The common case first: a plain decimal has no comma and at most one
    // point, so the look below would pass it through unchanged.
    if numeric && !numbers.decimal_comma {
        if let Some(d) = parse_plain_decimal(text) {
            return match ty {
                Ty::Money(c) => money(d, c, column, is_price),
                Ty::Rate(a, b) => Ok(Value::Rate(d, a, b)),
                _ => Ok(Value::Number(d)),
            };
        }
    }
    let mut buf = [0u8; COMMA_BUF];
    let long;
    let original = text;
    // Only a cell with a comma, two points, or a point in a `;` ledger needs a look.
    let look = numbers.decimal_comma
        || memchr::memchr(b',', text).is_some()
        || memchr::memchr_iter(b'.', text).nth(1).is_some();
    let text: &[u8] = if numeric && look {
        match separators(text, ty, numbers, column)? {
            None => text,
            Some(comma) if text.len() <= COMMA_BUF => {
                let b = buf.get_mut(..text.len()).unwrap_or_default();
                b.copy_from_slice(text);
                if let Some(c) = b.get_mut(comma) {
                    *c = b'.';
                }
                b
            }
            Some(comma) => {
                let mut v = text.to_vec();
                if let Some(c) = v.get_mut(comma) {
                    *c = b'.';
                }
                long = v;
                &long
            }
        }
    } else {
        text
    };
    match ty {
        Ty::Money(c) => {
            if let Some(d) = parse_plain_decimal(text) {
                return money(d, c, column, is_price);
            }
            if let Some(v) = money_with_code(text, c, column, is_price)? {
                return Ok(v);
            }
        }
        Ty::Number => {
            if let Some(d) = parse_plain_decimal(text) {
                return Ok(Value::Number(d));
            }
        }
        Ty::Rate(a, b) => {
            if let Some(d) = parse_plain_decimal(text) {
                return Ok(Value::Rate(d, a, b));
            }
        }
        Ty::Bool => {
            if text.eq_ignore_ascii_case(b"true") {
                return Ok(Value::Bool(true));
            }
            if text.eq_ignore_ascii_case(b"false") {
                return Ok(Value::Bool(false));
            }
        }
        Ty::Date => {
            if let Some(d) = std::str::from_utf8(text)
                .ok()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            {
                return Ok(Value::Date(d));
            }
        }
    }
    // The general case: a constant expression, as `--set` reads it.
    let shown = String::from_utf8_lossy(original);
    let bad = || {
        let example = match ty {
            Ty::Money(c) => format!("e.g. `100.00` or `100.00 {c}`"),
            Ty::Number => "e.g. `3`, `0.35` or `35%`".into(),
            Ty::Bool => "`true` or `false`".into(),
            Ty::Date => "a date such as `2025-03-10`".into(),
            Ty::Rate(a, b) => format!("e.g. `5.20` or `5.20 {a}/{b}`"),
        };
        FieldError::new(
            crate::codes::BATCH_BAD_VALUE,
            format!("`{column}` is {ty}, but the cell holds `{shown}`"),
            format!("write {example}"),
        )
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return Err(bad());
    };
    let expr = parse_expr(text).map_err(|_| bad())?;
    let value = agreement.constant(&expr).map_err(|_| bad())?;
    if let (Ty::Money(c), Value::Number(_)) = (ty, value) {
        if text.contains('%') {
            // `50%` is a share of something, not an amount: never 0.50.
            return Err(FieldError::new(
                crate::codes::BATCH_PERCENT_MONEY,
                format!("`{column}` is money in {c}, but the cell holds a percentage, `{shown}`"),
                format!("write the amount, e.g. `100.00` or `100.00 {c}`"),
            ));
        }
    }
    let value = crate::eval::coerce(value, ty).ok_or_else(bad)?;
    if let Value::Money(d, c) = value {
        return money(d, c, column, is_price);
    }
    Ok(value)
}

/// Checks a typed cell (see [`super::source::Cell::Value`]) for the input
/// `slot`, as [`parse_cell`] checks text: of the input's kind (a plain number
/// is money in the input's currency), in its currency, and for the price in
/// whole minor units and not below zero.
pub fn check_value(
    agreement: &Agreement,
    slot: SlotId,
    column: &str,
    value: Value,
    is_price: bool,
) -> Result<Value, FieldError> {
    let ty = agreement
        .program
        .slots
        .get(slot)
        .map_or(Ty::Number, |s| s.ty);
    if let (Value::Money(_, c), Ty::Money(want)) = (value, ty) {
        if c != want {
            return Err(FieldError::new(
                crate::codes::BATCH_CURRENCY_MISMATCH,
                format!("`{column}` is money in {want}, but the cell is in {c}"),
                format!(
                    "convert the amount to {want} first, or settle {c} sales with an agreement in {c}"
                ),
            ));
        }
    }
    let value = crate::eval::coerce(value, ty).ok_or_else(|| {
        FieldError::new(
            crate::codes::BATCH_BAD_VALUE,
            format!("`{column}` is {ty}, but the cell holds `{value}`"),
            None,
        )
    })?;
    if let Value::Money(d, c) = value {
        return money(d, c, column, is_price);
    }
    Ok(value)
}

/// Looks at the commas and points of a number cell. `Ok(Some(i))`: the
/// comma at `i` is the decimal separator (a `;`-separated ledger), to be
/// read as a point; `Ok(None)`: nothing to change; an error for a decimal
/// comma elsewhere, a thousands separator or an ambiguous point. A hint
/// never changes the amount: it only drops separators or swaps a comma
/// for a point.
fn separators(
    text: &[u8],
    ty: Ty,
    numbers: Numbers,
    column: &str,
) -> Result<Option<usize>, FieldError> {
    let sign = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let len = text
        .iter()
        .skip(sign)
        .position(|b| !(b.is_ascii_digit() || *b == b'.' || *b == b','))
        .map_or(text.len(), |p| p + sign);
    let num = text.get(..len).unwrap_or_default();
    let rest = String::from_utf8_lossy(text.get(len..).unwrap_or_default());
    let commas = num.iter().filter(|&&b| b == b',').count();
    let points = num.iter().filter(|&&b| b == b'.').count();
    let shown = String::from_utf8_lossy(text);
    let digits_after = |i: usize| num.len() - i - 1;
    let well_formed = |i: usize| {
        i > sign
            && num.get(i - 1).is_some_and(u8::is_ascii_digit)
            && num.get(i + 1).is_some_and(u8::is_ascii_digit)
    };
    let point = if numbers.decimal_comma { "," } else { "." };
    let plain = |keep_decimal: Option<usize>| {
        // The digits without separators, the decimal one (if any) written
        // as this ledger writes it.
        let mut s = String::new();
        for (i, &b) in num.iter().enumerate() {
            if b.is_ascii_digit() || b == b'+' || b == b'-' {
                s.push(char::from(b));
            } else if Some(i) == keep_decimal {
                s.push_str(point);
            }
        }
        s.push_str(&rest);
        s
    };
    let thousands = |hint: String| {
        FieldError::new(
            crate::codes::BATCH_THOUSANDS_SEPARATOR,
            format!("`{column}`: `{shown}` has a thousands separator"),
            hint,
        )
    };
    // In a `;` ledger, `1.000` or `1,000` as money with fewer than three
    // decimals: one thousand, or one?
    let ambiguous = |i: usize| -> Option<FieldError> {
        let Ty::Money(c) = ty else { return None };
        let mu = c.minor_unit() as usize;
        if !(numbers.decimal_comma && digits_after(i) == 3 && mu < 3 && well_formed(i))
            || i - sign > 3
        {
            return None;
        }
        // The same amount with the currency's decimals, when the extra ones are zeros.
        let keep = if mu == 0 { i } else { i + 1 + mu };
        let decimal = num
            .get(keep..)
            .filter(|extra| extra.iter().all(|&b| b == b'0'))
            .and_then(|_| num.get(..keep))
            .map_or(String::new(), |d| {
                format!(
                    ", or `{}{rest}` for a decimal separator",
                    String::from_utf8_lossy(d).replace('.', ",")
                )
            });
        Some(FieldError::new(
            crate::codes::BATCH_THOUSANDS_SEPARATOR,
            format!(
                "`{column}`: `{shown}` is ambiguous: a thousands separator, or a decimal \
                 separator with more decimals than {c} has?"
            ),
            format!("write `{}` for a thousands separator{decimal}", plain(None)),
        ))
    };
    if commas == 0 && points < 2 {
        if points == 1 {
            if let Some(e) = num.iter().position(|&b| b == b'.').and_then(ambiguous) {
                return Err(e);
            }
        }
        return Ok(None);
    }
    if commas == 1 && points == 0 {
        let i = num.iter().position(|&b| b == b',').unwrap_or(0);
        if !well_formed(i) {
            return Ok(None); // not a number: reported as a bad value
        }
        if let Some(e) = ambiguous(i) {
            return Err(e);
        }
        if numbers.decimal_comma {
            return Ok(Some(i));
        }
        if digits_after(i) == 3 {
            return Err(FieldError::new(
                crate::codes::BATCH_DECIMAL_COMMA,
                format!(
                    "`{column}`: `{shown}` has a comma: a decimal comma or a thousands separator?"
                ),
                format!(
                    "write `{}` if it is a thousands separator, or `{}` if it is a decimal comma \
                     (or use a `;`-separated file, where decimal commas are read)",
                    plain(None),
                    plain(Some(i)).replace(',', ".")
                ),
            ));
        }
        let with_point: String = shown.replacen(',', ".", 1);
        return Err(FieldError::new(
            crate::codes::BATCH_DECIMAL_COMMA,
            format!("`{column}`: `{shown}` has a decimal comma"),
            format!(
                "decimal comma: use `{with_point}`, or a `;`-separated file (where `{shown}` is read as {with_point})"
            ),
        ));
    }
    // Several separators: the groups of a thousands separator, maybe a
    // decimal separator last (`1,000.00`, `1.000,00`, `1,000,000`).
    let seps: Vec<usize> = num
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b',' || b == b'.')
        .map(|(i, _)| i)
        .collect();
    let last = seps.last().copied().unwrap_or(0);
    let (group, decimal) = match (num.get(last), seps.first().and_then(|&f| num.get(f))) {
        (Some(&l), Some(&f)) if l != f => (f, Some(last)),
        (_, Some(&f)) => (f, None),
        _ => return Ok(None),
    };
    let groups_end = decimal.unwrap_or(num.len());
    let group_seps: Vec<usize> = seps.iter().copied().filter(|&i| i < groups_end).collect();
    let groups_ok = group_seps.iter().all(|&i| num.get(i) == Some(&group))
        && group_seps
            .first()
            .is_some_and(|&f| (1..=3).contains(&(f - sign)))
        && group_seps
            .iter()
            .zip(
                group_seps
                    .iter()
                    .skip(1)
                    .chain(std::iter::once(&groups_end)),
            )
            .all(|(&a, &b)| b - a == 4)
        && decimal.is_none_or(|d| d + 1 < num.len());
    let decimal_ok = match decimal.and_then(|d| num.get(d)) {
        Some(b',') => numbers.decimal_comma,
        Some(_) => true,
        None => true,
    };
    if !groups_ok {
        return Ok(None);
    }
    if !decimal_ok {
        return Err(FieldError::new(
            crate::codes::BATCH_THOUSANDS_SEPARATOR,
            format!("`{column}`: `{shown}` has a thousands separator and a decimal comma"),
            format!(
                "write `{}` (a decimal point and no separator), or use a `;`-separated file \
                 for decimal commas",
                plain(decimal).replace(',', ".")
            ),
        ));
    }
    Err(thousands(format!(
        "write `{}`, without the separator",
        plain(decimal)
    )))
}

fn money(d: Decimal, c: Currency, column: &str, is_price: bool) -> Result<Value, FieldError> {
    if is_price && d.scale() > c.minor_unit() && units(d, c.minor_unit()).is_none() {
        return Err(FieldError::new(
            crate::codes::BATCH_TOO_PRECISE,
            format!(
                "the `{column}` {} {c} has more decimals than the {c} minor unit ({})",
                d,
                c.minor_unit()
            ),
            format!(
                "a sale's price is in whole minor units of {c}; round it to {} decimals",
                c.minor_unit()
            ),
        ));
    }
    if is_price && d < Decimal::ZERO {
        return Err(FieldError::new(
            crate::codes::BATCH_NEGATIVE_PRICE,
            format!("the `{column}` {d} {c} is below zero"),
            "a row's price is the sale's, zero or more; to reverse a sale, give the row the \
             `kind` `refund` or `chargeback` and the sale's price"
                .to_string(),
        ));
    }
    Ok(Value::Money(d, c))
}

/// `100.00 USD`, `100.00USD`: an amount followed by a three-letter code.
fn money_with_code(
    text: &[u8],
    want: Currency,
    column: &str,
    is_price: bool,
) -> Result<Option<Value>, FieldError> {
    let letters = text
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if letters == 0 {
        return Ok(None);
    }
    let split = text.len() - letters;
    let spaced = split > 0 && text.get(split - 1).is_some_and(u8::is_ascii_whitespace);
    if letters != 3 && !spaced {
        return Ok(None); // `12.3x`: a typo, not a currency
    }
    let (amount, code) = (
        trim(text.get(..split).unwrap_or_default()),
        text.get(split..),
    );
    let (Some(d), Some(code)) = (parse_plain_decimal(amount), code) else {
        return Ok(None);
    };
    let code = String::from_utf8_lossy(code).to_ascii_uppercase();
    let Some(c) = Currency::from_code(&code) else {
        if let Some(what) = Currency::not_for_payment(&code) {
            // A real ISO 4217 code (gold, a fund, a test code): no
            // look-alike hint, which would change the money.
            return Err(FieldError::new(
                crate::codes::BATCH_UNKNOWN_CURRENCY,
                format!("`{code}` is not a currency of payment ({what})"),
                format!("`{column}` is in {want}; write e.g. `100.00 {want}` or just `100.00`"),
            ));
        }
        let help = match did_you_mean(&code, Currency::all_codes()) {
            Some(s) => format!("did you mean `{s}`? `{column}` is in {want}"),
            None => format!("`{column}` is in {want}; write e.g. `100.00 {want}` or just `100.00`"),
        };
        return Err(FieldError::new(
            crate::codes::BATCH_UNKNOWN_CURRENCY,
            format!("`{code}` is not an ISO 4217 currency code"),
            help,
        ));
    };
    if c != want {
        return Err(FieldError::new(
            crate::codes::BATCH_CURRENCY_MISMATCH,
            format!("`{column}` is money in {want}, but the cell is in {c}"),
            format!(
                "convert the amount to {want} first, or settle {c} sales with an agreement in {c}"
            ),
        ));
    }
    money(d, c, column, is_price).map(Some)
}

/// `text` without leading and trailing ASCII whitespace.
pub fn trim(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    text.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn plain_decimals() {
        for s in ["0", "100.00", "-4.50", "+7.25", ".5", "7.", "000123.4500"] {
            let want = d(s.trim_start_matches('+'));
            let got = parse_plain_decimal(s.as_bytes());
            assert_eq!(got, Some(want), "{s}");
            assert_eq!(got.map(|g| g.scale()), Some(want.scale()), "{s}");
        }
        assert_eq!(
            parse_plain_decimal(b"1234567890123456789.12"),
            Some(d("1234567890123456789.12"))
        );
        for s in ["", "-", ".", "1.2.3", "1e5", "abc", "1,5", " 1", "--1"] {
            assert_eq!(parse_plain_decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn writes_units() {
        let w = |u: i128, dp: u32| {
            let mut v = Vec::new();
            write_units(&mut v, u, dp);
            String::from_utf8(v).unwrap_or_default()
        };
        assert_eq!(w(1040, 2), "10.40");
        assert_eq!(w(0, 2), "0.00");
        assert_eq!(w(5, 2), "0.05");
        assert_eq!(w(-5, 2), "-0.05");
        assert_eq!(w(-123456, 2), "-1234.56");
        assert_eq!(w(1500, 0), "1500");
        assert_eq!(w(0, 0), "0");
        assert_eq!(w(1, 3), "0.001");
        assert_eq!(w(7, 2), "0.07");
        assert_eq!(w(99, 2), "0.99");
        assert_eq!(w(100, 2), "1.00");
        assert_eq!(w(999, 2), "9.99");
        assert_eq!(w(1000, 2), "10.00");
        assert_eq!(w(123456789, 2), "1234567.89");
        assert_eq!(w(12345678, 2), "123456.78");
        assert_eq!(w(i128::from(u64::MAX), 2), "184467440737095516.15");
        assert_eq!(w(-10, 3), "-0.010");
        assert_eq!(
            w(i128::from(u64::MAX) * 10 + 7, 2),
            "1844674407370955161.57"
        );
        assert_eq!(
            w(-(i128::from(u64::MAX) * 1000), 2),
            "-184467440737095516150.00"
        );
        // Cents, the fast path, against the decimal's own text, around every
        // power of ten and at the path's edge (10^18).
        let mut cases: Vec<i128> = vec![0, 1, 9, 10, 99, 100, 101, 999_999_999_999_999_999];
        let mut p: i128 = 1;
        for _ in 0..20 {
            cases.extend([p - 1, p, p + 1, p * 7 + 3]);
            p *= 10;
        }
        for u in cases {
            for u in [u, -u] {
                let Ok(m) = i64::try_from(u) else { continue };
                let want = Decimal::new(m, 2).to_string();
                assert_eq!(w(u, 2), want, "{u}");
            }
        }
    }

    #[test]
    fn separators_are_read_or_explained_without_changing_the_amount() {
        let Some(usd) = Currency::from_code("USD").map(Ty::Money) else {
            panic!("USD is a currency")
        };
        let semi = Numbers {
            decimal_comma: true,
        };
        let comma = Numbers::default();
        let look = |t: &str, ty: Ty, n: Numbers| separators(t.as_bytes(), ty, n, "x");
        let help = |t: &str, ty: Ty, n: Numbers| match look(t, ty, n) {
            Err(e) => (e.code.as_str(), e.help.unwrap_or_default()),
            Ok(v) => ("ok", format!("{v:?}")),
        };
        assert_eq!(look("100,00", usd, semi), Ok(Some(3)));
        assert_eq!(look("-1,5", Ty::Number, semi), Ok(Some(2)));
        assert_eq!(look("100.00", usd, semi), Ok(None));
        assert_eq!(look("100.00", usd, comma), Ok(None));
        assert_eq!(look("1,2,3", usd, comma), Ok(None));
        assert_eq!(look("abc", usd, comma), Ok(None));
        let (code, h) = help("100,00 USD", usd, comma);
        assert_eq!(code, crate::codes::BATCH_DECIMAL_COMMA);
        assert!(h.contains("`100.00 USD`"), "{h}");
        let (code, h) = help("1,000,000", usd, comma);
        assert_eq!(code, crate::codes::BATCH_THOUSANDS_SEPARATOR);
        assert!(h.contains("`1000000`"), "{h}");
        let (_, h) = help("1.000.000,50", usd, semi);
        assert!(h.contains("`1000000,50`"), "{h}");
        let (_, h) = help("1.000.000,50", usd, comma);
        assert!(h.contains("`1000000.50`"), "{h}");
        let (code, h) = help("1,000", usd, comma);
        assert_eq!(code, crate::codes::BATCH_DECIMAL_COMMA);
        assert!(h.contains("`1000`") && h.contains("`1.000`"), "{h}");
        // In a `;` ledger both `1.000` and `1,000` are ambiguous for money in cents…
        for t in ["1.000", "1,000", "12.500"] {
            let (code, h) = help(t, usd, semi);
            assert_eq!(code, crate::codes::BATCH_THOUSANDS_SEPARATOR, "{t}");
            assert!(!h.contains("`1.00`"), "{h}");
        }
        let (_, h) = help("1,000", usd, semi);
        assert!(h.contains("`1000`") && h.contains("`1,00`"), "{h}");
        let (_, h) = help("12.345", usd, semi);
        assert!(
            h.contains("`12345`") && !h.contains("decimal separator`"),
            "{h}"
        );
        // …but not as a number, nor with more digits before the separator.
        assert_eq!(look("1,000", Ty::Number, semi), Ok(Some(1)));
        assert_eq!(look("1000,000", usd, semi), Ok(Some(4)));
    }

    #[test]
    fn units_are_exact() {
        assert_eq!(units(d("10.4"), 2), Some(1040));
        assert_eq!(units(d("10.400"), 2), Some(1040));
        assert_eq!(units(d("10.401"), 2), None);
        assert_eq!(units(d("-3"), 2), Some(-300));
    }
}
