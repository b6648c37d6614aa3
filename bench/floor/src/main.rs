//! splitdsl-floor: the hand-written baseline for settling a sales ledger.
//!
//! `splitdsl-floor IN.csv OUT.csv` applies the split of `examples/hotmart.split` to every row of
//! IN.csv (which must have a `price` column; every other column passes through) and writes
//!
//! ```text
//! <pass-through columns>,price,hotmart,affiliate,coproducer,producer,unallocated
//! ```
//!
//! with every amount printed with exactly two decimals. Single-threaded, streaming, exact
//! (rust_decimal, checked arithmetic, half-away-from-zero rounding to the cent). At the end it
//! prints `rows=N price=… fees=… shares=… unallocated=…` to stderr.
//!
//! The split, as in docs/language.md section 6 (deductions in file order, `remaining` = the pool):
//!   hotmart    = round(9.9% × price + 0.50)
//!   net        = price − hotmart
//!   affiliate  = round(35% × net)
//!   coproducer = round(10% × remaining)
//!   producer   = remaining
//!   unallocated = what is left (0.00)

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

const OUT_AMOUNTS: [&str; 6] = ["price", "hotmart", "affiliate", "coproducer", "producer", "unallocated"];

#[derive(Debug)]
struct Split {
    price: Decimal,
    hotmart: Decimal,
    affiliate: Decimal,
    coproducer: Decimal,
    producer: Decimal,
    unallocated: Decimal,
}

#[derive(Default)]
struct Totals {
    rows: u64,
    price: Decimal,
    fees: Decimal,
    shares: Decimal,
    unallocated: Decimal,
}

fn round_cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Takes `amount` (already rounded) from `pool`, refusing a negative amount or one larger than
/// the pool, as the language does.
fn take(name: &str, amount: Decimal, pool: Decimal) -> Result<Decimal, String> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(format!("{name} is negative ({amount}); pool {pool}"));
    }
    if amount > pool {
        return Err(format!("{name} ({amount}) is larger than the pool ({pool})"));
    }
    pool.checked_sub(amount).ok_or_else(|| format!("overflow taking {name}"))
}

fn split(price: Decimal) -> Result<Split, String> {
    let overflow = |what: &str| format!("overflow computing {what}");
    let fee_rate = Decimal::new(99, 3); // 9.9%
    let fee_fixed = Decimal::new(50, 2); // 0.50 USD
    let affiliate_rate = Decimal::new(35, 2); // 35%
    let coproducer_rate = Decimal::new(10, 2); // 10%

    let mut pool = price;

    let hotmart = round_cents(
        fee_rate
            .checked_mul(price)
            .and_then(|x| x.checked_add(fee_fixed))
            .ok_or_else(|| overflow("hotmart"))?,
    );
    pool = take("hotmart", hotmart, pool)?;

    let net = price.checked_sub(hotmart).ok_or_else(|| overflow("net"))?;
    let affiliate = round_cents(affiliate_rate.checked_mul(net).ok_or_else(|| overflow("affiliate"))?);
    pool = take("affiliate", affiliate, pool)?;

    let coproducer = round_cents(coproducer_rate.checked_mul(pool).ok_or_else(|| overflow("coproducer"))?);
    pool = take("coproducer", coproducer, pool)?;

    let producer = round_cents(pool);
    pool = take("producer", producer, pool)?;

    let unallocated = pool;
    Ok(Split { price, hotmart, affiliate, coproducer, producer, unallocated })
}

fn parse_price(field: &[u8]) -> Result<Decimal, String> {
    let s = std::str::from_utf8(field).map_err(|_| "price is not UTF-8".to_string())?;
    let s = s.trim();
    let p = Decimal::from_str(s).map_err(|e| format!("price {s:?} is not a decimal: {e}"))?;
    if p.scale() > 2 {
        return Err(format!("price {s:?} has more than 2 decimals (USD)"));
    }
    if p.is_sign_negative() && !p.is_zero() {
        return Err(format!("price {s:?} is negative"));
    }
    Ok(p)
}

/// Writes `x` with exactly two decimals (`10.4` → `10.40`, `0` → `0.00`).
fn fmt_cents(buf: &mut Vec<u8>, x: Decimal) {
    buf.clear();
    let mut y = x;
    y.rescale(2);
    // Writing into a Vec cannot fail.
    let _ = write!(buf, "{y}");
}

fn run(in_path: &str, out_path: &str) -> Result<Totals, String> {
    let input = File::open(in_path).map_err(|e| format!("{in_path}: {e}"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::with_capacity(1 << 16, input));
    let output = File::create(out_path).map_err(|e| format!("{out_path}: {e}"))?;
    let mut wtr = csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 16, output));
    let werr = |e: csv::Error| format!("{out_path}: {e}");

    let headers = rdr.byte_headers().map_err(|e| format!("{in_path}: {e}"))?.clone();
    let price_col = headers
        .iter()
        .position(|h| h == b"price")
        .ok_or_else(|| format!("{in_path}: no `price` column"))?;
    let pass: Vec<usize> = (0..headers.len()).filter(|&i| i != price_col).collect();
    for name in OUT_AMOUNTS {
        if headers.iter().any(|h| h == name.as_bytes()) && name != "price" {
            return Err(format!("{in_path}: column `{name}` clashes with an output column"));
        }
    }

    for &i in &pass {
        wtr.write_field(&headers[i]).map_err(werr)?;
    }
    wtr.write_record(OUT_AMOUNTS).map_err(werr)?;

    let mut totals = Totals::default();
    let mut rec = csv::ByteRecord::new();
    let mut buf = Vec::with_capacity(32);
    let mut line = 1u64; // the header is line 1
    while rdr.read_byte_record(&mut rec).map_err(|e| format!("{in_path}: {e}"))? {
        line += 1;
        let field = rec.get(price_col).ok_or_else(|| format!("{in_path}:{line}: missing price"))?;
        let s = parse_price(field)
            .and_then(split)
            .map_err(|e| format!("{in_path}:{line}: {e}"))?;

        let fees = s.hotmart;
        let shares = s
            .affiliate
            .checked_add(s.coproducer)
            .and_then(|x| x.checked_add(s.producer))
            .ok_or_else(|| format!("{in_path}:{line}: overflow adding shares"))?;
        // Invariant: price = Σ fees + Σ shares + unallocated, exactly.
        if fees.checked_add(shares).and_then(|x| x.checked_add(s.unallocated)) != Some(s.price) {
            return Err(format!("{in_path}:{line}: invariant broken: {s:?}"));
        }
        let add = |t: Decimal, x: Decimal| {
            t.checked_add(x).ok_or_else(|| format!("{in_path}:{line}: overflow in totals"))
        };
        totals.rows += 1;
        totals.price = add(totals.price, s.price)?;
        totals.fees = add(totals.fees, fees)?;
        totals.shares = add(totals.shares, shares)?;
        totals.unallocated = add(totals.unallocated, s.unallocated)?;

        for &i in &pass {
            wtr.write_field(&rec[i]).map_err(werr)?;
        }
        for x in [s.price, s.hotmart, s.affiliate, s.coproducer, s.producer, s.unallocated] {
            fmt_cents(&mut buf, x);
            wtr.write_field(&buf).map_err(werr)?;
        }
        wtr.write_record(None::<&[u8]>).map_err(werr)?;
    }
    wtr.flush().map_err(|e| format!("{out_path}: {e}"))?;
    Ok(totals)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: splitdsl-floor IN.csv OUT.csv");
        return ExitCode::from(2);
    }
    match run(&args[1], &args[2]) {
        Ok(t) => {
            let mut b = Vec::new();
            let mut f = |x: Decimal| {
                fmt_cents(&mut b, x);
                String::from_utf8_lossy(&b).into_owned()
            };
            eprintln!(
                "rows={} price={} fees={} shares={} unallocated={}",
                t.rows,
                f(t.price),
                f(t.fees),
                f(t.shares),
                f(t.unallocated)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splitdsl-floor: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn worked_example() {
        let s = split(d("100.00")).ok();
        let s = s.as_ref();
        assert_eq!(s.map(|s| s.hotmart), Some(d("10.40")));
        assert_eq!(s.map(|s| s.affiliate), Some(d("31.36")));
        assert_eq!(s.map(|s| s.coproducer), Some(d("5.82")));
        assert_eq!(s.map(|s| s.producer), Some(d("52.42")));
        assert_eq!(s.map(|s| s.unallocated), Some(d("0.00")));
    }

    #[test]
    fn formatting_has_two_decimals() {
        let mut b = Vec::new();
        fmt_cents(&mut b, d("10.4"));
        assert_eq!(b, b"10.40");
        fmt_cents(&mut b, Decimal::ZERO);
        assert_eq!(b, b"0.00");
    }
}
