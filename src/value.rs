//! Values, their kinds, currencies and rounding.

use chrono::NaiveDate;
use iso_currency::{Flag, IntoEnumIterator};
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// An ISO 4217 currency, with its minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The currency with this code, if ISO 4217 knows it as a currency of
    /// payment: funds, metals, units of account and testing codes (see
    /// [`Currency::not_for_payment`]) are not money here.
    pub fn from_code(code: &str) -> Option<Currency> {
        iso_currency::Currency::from_code(code)
            .filter(|c| c.flags().iter().all(|f| matches!(f, Flag::Superseded(_))))
            .map(Currency)
    }

    /// When `code` is an ISO 4217 code that is not a currency of payment
    /// (`XAU`, `XXX`, `XTS`, `BOV`…): what it is instead, e.g.
    /// "Gold (one troy ounce), a precious metal".
    pub fn not_for_payment(code: &str) -> Option<String> {
        let c = iso_currency::Currency::from_code(code)?;
        let what = if c.flags().contains(&Flag::Fund) {
            "a fund code (an index unit)"
        } else if !c.flags().contains(&Flag::Special) {
            return None;
        } else {
            match code {
                "XAU" | "XAG" | "XPT" | "XPD" => "a precious metal",
                "XTS" => "a code for tests",
                "XXX" => "the code for transactions with no currency",
                _ => "a unit of account",
            }
        };
        Some(format!("{}, {what}", c.name()))
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit (USD 2, JPY 0, BHD 3). Currencies
    /// without a minor unit (gold, funds) count as 0.
    pub fn minor_unit(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }

    /// The English name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// Every ISO 4217 code of a currency of payment, for suggestions.
    pub fn all_codes() -> impl Iterator<Item = &'static str> {
        iso_currency::Currency::iter()
            .filter(|c| c.flags().iter().all(|f| matches!(f, Flag::Superseded(_))))
            .map(|c| c.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether `d` can be written as a date literal: years 0000 to 9999.
pub fn date_in_range(d: NaiveDate) -> bool {
    use chrono::Datelike;
    (0..=9999).contains(&d.year())
}

/// `d` moved by `days` days, when the result is a date in range
/// ([`date_in_range`]).
pub fn add_days(d: NaiveDate, days: i64) -> Option<NaiveDate> {
    let delta = chrono::TimeDelta::try_days(days)?;
    d.checked_add_signed(delta).filter(|r| date_in_range(*r))
}

/// How deductions (and `round`) round to a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Rounding {
    /// Half away from zero (the default).
    #[default]
    HalfUp,
    /// Half to even (banker's).
    HalfEven,
    /// Half toward zero.
    HalfDown,
    /// Away from zero.
    Up,
    /// Toward zero.
    Down,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl Rounding {
    /// Every mode with its name.
    pub const ALL: [(&'static str, Rounding); 7] = [
        ("half_up", Rounding::HalfUp),
        ("half_even", Rounding::HalfEven),
        ("half_down", Rounding::HalfDown),
        ("up", Rounding::Up),
        ("down", Rounding::Down),
        ("floor", Rounding::Floor),
        ("ceiling", Rounding::Ceiling),
    ];

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<Rounding> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
    }

    /// The mode's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("half_up", |(n, _)| n)
    }

    /// rust_decimal's strategy for this mode.
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfDown => RoundingStrategy::MidpointTowardZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
            Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }

    /// `x` rounded to `dp` decimal places, padded to exactly `dp` places.
    pub fn round(self, x: Decimal, dp: u32) -> Decimal {
        let mut r = x.round_dp_with_strategy(dp, self.strategy());
        if r.scale() < dp {
            r.rescale(dp);
        }
        r
    }
}

/// The kind of a value, known before anything runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// Money in one currency.
    Money(Currency),
    /// A plain number (percentages included).
    Number,
    /// Converts money of the second currency into the first (`BRL/USD`).
    Rate(Currency, Currency),
    /// true or false.
    Bool,
    /// A calendar day.
    Date,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Money(c) => write!(f, "money in {c}"),
            Ty::Number => f.write_str("a number"),
            Ty::Rate(a, b) => write!(f, "a rate {a}/{b}"),
            Ty::Bool => f.write_str("a bool"),
            Ty::Date => f.write_str("a date"),
        }
    }
}

/// A value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// An amount of money.
    Money(Decimal, Currency),
    /// A number.
    Number(Decimal),
    /// A rate: value, the currency it gives, the currency it converts.
    Rate(Decimal, Currency, Currency),
    /// true or false.
    Bool(bool),
    /// A day.
    Date(NaiveDate),
}

impl Value {
    /// The value's kind.
    pub fn ty(&self) -> Ty {
        match *self {
            Value::Money(_, c) => Ty::Money(c),
            Value::Number(_) => Ty::Number,
            Value::Rate(_, a, b) => Ty::Rate(a, b),
            Value::Bool(_) => Ty::Bool,
            Value::Date(_) => Ty::Date,
        }
    }

    /// The decimal inside a money, number or rate.
    pub fn decimal(&self) -> Option<Decimal> {
        match *self {
            Value::Money(d, _) | Value::Number(d) | Value::Rate(d, _, _) => Some(d),
            _ => None,
        }
    }
}

/// A money amount as text: at least the currency's minor unit of decimals,
/// more when the value has them (trailing zeros beyond the minor unit dropped).
pub fn format_amount(d: Decimal, c: Currency) -> String {
    let mut s = String::with_capacity(24);
    write_amount(&mut s, d, c);
    s
}

/// Appends [`format_amount`]'s text of `d` to `out`, on bytes: no `Display`,
/// no allocation beyond `out`'s growth (the REPL's tables write thousands).
pub fn write_amount(out: &mut String, d: Decimal, c: Currency) {
    let mut bytes = Vec::with_capacity(24);
    write_amount_bytes(&mut bytes, d, c);
    // Digits, a point, a sign (or `Decimal`'s own text): UTF-8.
    out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
}

/// [`write_amount`] into bytes (UTF-8: ASCII digits, a point, a sign).
pub fn write_amount_bytes(out: &mut Vec<u8>, d: Decimal, c: Currency) {
    match amount_units(d, c) {
        Ok((units, dp)) => write_units(out, units, dp),
        Err(text) => out.extend_from_slice(text.as_bytes()),
    }
}

/// [`format_amount`]'s text of `d` as `units × 10^-dp`; its text when that
/// is beyond a `Decimal` (`rescale` then stops short of the minor unit).
fn amount_units(d: Decimal, c: Currency) -> Result<(i128, u32), String> {
    let dp = c.minor_unit();
    let mut m = d.mantissa();
    let mut s = d.scale();
    // `normalize` then `rescale(dp)`: trailing zeros dropped down to `dp`
    // decimals, or zeros added up to `dp` (a zero too, which loses its sign).
    if s == dp {
        // The common case: already at the minor unit.
        return Ok((m, s));
    }
    while s > dp && m % 10 == 0 {
        m /= 10;
        s -= 1;
    }
    if s < dp {
        // 10^(dp - s) ≤ 10^4 (the widest minor unit): no i128 overflow, but
        // more than 96 bits is beyond a Decimal.
        let up = 10i128.pow(dp - s);
        match m.checked_mul(up) {
            Some(v) if v.unsigned_abs() < 1u128 << 96 => {
                m = v;
                s = dp;
            }
            _ => {
                let mut n = d.normalize();
                n.rescale(dp);
                return Err(n.to_string());
            }
        }
    }
    Ok((m, s))
}

/// Writes `units × 10^-dp` with exactly `dp` decimals (`1040, 2` → `10.40`),
/// without allocating: the ledger writer's and the REPL's one digit writer.
pub fn write_units(out: &mut Vec<u8>, units: i128, dp: u32) {
    if dp == 2 {
        if let Ok(v) = u64::try_from(units.unsigned_abs()) {
            if v < 1_000_000_000_000_000_000 {
                write_cents(out, units < 0, v);
                return;
            }
        }
    }
    let mut buf = [0u8; UNITS_BUF];
    let start = units_text(&mut buf, units, dp);
    out.extend_from_slice(&buf[start..]);
}

/// `v` cents (`v` < 10^18) as `[-]D.DD`, the hot case of [`write_units`]:
/// formatted left-aligned into a fixed buffer that is appended whole (a
/// fixed-size copy, not a `memcpy` call a cell) and cut to its length.
fn write_cents(out: &mut Vec<u8>, neg: bool, v: u64) {
    let whole = v / 100;
    // At most 16 digits: the text is at most 1 + 16 + 3 = 20 bytes.
    let digits = whole.checked_ilog10().map_or(1, |d| d as usize + 1);
    let sign = usize::from(neg);
    let len = sign + digits + 3;
    let mut buf = [b'-'; 24];
    let frac = (v % 100) as usize * 2;
    buf[len - 2..len].copy_from_slice(&PAIRS[frac..frac + 2]);
    buf[len - 3] = b'.';
    let mut w = whole;
    let mut at = sign + digits;
    while w >= 100 {
        let pair = (w % 100) as usize * 2;
        w /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if w >= 10 {
        let pair = w as usize * 2;
        buf[at - 2..at].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        buf[at - 1] = b'0' + w as u8;
    }
    let start = out.len();
    out.extend_from_slice(&buf);
    out.truncate(start + len);
}

/// At most 39 digits for a u128, a point and a sign (and zeros to pad `dp`).
const UNITS_BUF: usize = 72;

const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The text of `units × 10^-dp` (at most 30 decimals) at the end of `buf`;
/// where it starts.
fn units_text(buf: &mut [u8; UNITS_BUF], units: i128, dp: u32) -> usize {
    let neg = units < 0;
    let dp = dp.min(30) as usize;
    let mut i = buf.len();
    let mut written = 0usize;
    let mut u = units.unsigned_abs();
    // Digits from the right (at least one before the point), 128-bit
    // divisions only while the value needs them.
    loop {
        let digit = match u64::try_from(u) {
            Ok(v) => {
                u = u128::from(v / 10);
                (v % 10) as u8
            }
            Err(_) => {
                let d = (u % 10) as u8;
                u /= 10;
                d
            }
        };
        i -= 1;
        buf[i] = b'0' + digit;
        written += 1;
        if written == dp {
            i -= 1;
            buf[i] = b'.';
        }
        if u == 0 && written > dp {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    i
}

/// A number as text, without trailing zeros.
pub fn format_number(d: Decimal) -> String {
    d.normalize().to_string()
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Money(d, c) => write!(f, "{} {c}", format_amount(d, c)),
            Value::Number(d) => f.write_str(&format_number(d)),
            Value::Rate(d, a, b) => write!(f, "{d} {a}/{b}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}
