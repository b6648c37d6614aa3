//! splitdsl-floor-int: the physical floor for settling a sales ledger with the Hotmart split.
//!
//! `splitdsl-floor-int IN.csv OUT.csv` does what `splitdsl-floor` does (same columns, same
//! bytes), but the way a person would write it for speed: amounts in integer cents (i64),
//! the ledger read and written in 1 MiB blocks, cells parsed and amounts formatted on bytes,
//! no allocation per row. It is the "hand-written integer program" of issue 18: splitdsl's
//! one-thread CPU time is measured against it (`bench/ratio.sh`).
//!
//! The split (examples/hotmart.split, rounding half away from zero, all amounts ≥ 0 here):
//!   hotmart    = round((99 × price + 50_000) / 1000)      9.9% of price + 0.50, in cents
//!   net        = price − hotmart
//!   affiliate  = round(35 × net / 100)
//!   coproducer = round(10 × remaining / 100)
//!   producer   = remaining
//!   unallocated = 0
//! and the `require producer >= 30% of net` is checked (100 × producer ≥ 30 × net).
//!
//! It accepts only what the benchmark ledgers hold: no quoted fields, `\n` line ends, a
//! price with at most two decimals. Anything else stops it with an error (it is a floor,
//! not a settler: splitdsl reports such rows, this program refuses them).

use std::fs::File;
use std::io::{Read, Write};
use std::process::ExitCode;

const BLOCK: usize = 1 << 20;

/// Rounds `num / den` (den > 0) half away from zero.
#[inline(always)]
fn div_round(num: i64, den: i64) -> i64 {
    if num >= 0 {
        (num + den / 2) / den
    } else {
        -((-num + den / 2) / den)
    }
}

/// Parses `123`, `123.4`, `123.45` into cents.
#[inline(always)]
fn parse_cents(s: &[u8]) -> Option<i64> {
    let mut cents: i64 = 0;
    let mut i = 0;
    let mut digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        cents = cents.checked_mul(10)?.checked_add(i64::from(s[i] - b'0'))?;
        i += 1;
        digits += 1;
    }
    if digits == 0 {
        return None;
    }
    let mut frac = 0;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() && frac < 2 {
            cents = cents * 10 + i64::from(s[i] - b'0');
            i += 1;
            frac += 1;
        }
    }
    if i != s.len() {
        return None;
    }
    while frac < 2 {
        cents = cents.checked_mul(10)?;
        frac += 1;
    }
    Some(cents)
}

/// Appends `cents` as `D.DD` (`-` first when negative).
#[inline(always)]
fn put_cents(out: &mut Vec<u8>, cents: i64) {
    let mut u = cents.unsigned_abs();
    if cents < 0 {
        out.push(b'-');
    }
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    let c = u % 100;
    u /= 100;
    at -= 1;
    buf[at] = b'0' + (c % 10) as u8;
    at -= 1;
    buf[at] = b'0' + (c / 10) as u8;
    at -= 1;
    buf[at] = b'.';
    loop {
        at -= 1;
        buf[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

struct Totals {
    rows: u64,
    price: i64,
    fees: i64,
    shares: i64,
}

fn run(in_path: &str, out_path: &str) -> Result<Totals, String> {
    let mut input = File::open(in_path).map_err(|e| format!("{in_path}: {e}"))?;
    let mut output = File::create(out_path).map_err(|e| format!("{out_path}: {e}"))?;
    let mut buf: Vec<u8> = vec![0; BLOCK];
    let mut have = 0usize; // bytes of buf holding unread input
    let mut out: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut eof = false;
    let mut price_col: Option<usize> = None;
    let mut ncols = 0usize;
    let mut line = 0u64;
    let mut t = Totals { rows: 0, price: 0, fees: 0, shares: 0 };
    // Field boundaries of the current line, reused.
    let mut starts: Vec<usize> = Vec::with_capacity(16);
    loop {
        if !eof && have < buf.len() {
            let n = input.read(&mut buf[have..]).map_err(|e| format!("{in_path}: {e}"))?;
            if n == 0 {
                eof = true;
            }
            have += n;
        }
        let mut pos = 0usize;
        loop {
            let rest = &buf[pos..have];
            let nl = rest.iter().position(|&b| b == b'\n');
            let end = match nl {
                Some(e) => e,
                None if eof && !rest.is_empty() => rest.len(),
                None => break,
            };
            let rec = &rest[..end];
            let rec = rec.strip_suffix(b"\r").unwrap_or(rec);
            pos += (end + 1).min(rest.len());
            line += 1;
            if rec.contains(&b'"') {
                return Err(format!("{in_path}:{line}: quoted fields are not handled by this floor"));
            }
            starts.clear();
            starts.push(0);
            for (i, &b) in rec.iter().enumerate() {
                if b == b',' {
                    starts.push(i + 1);
                }
            }
            let field = |k: usize| -> &[u8] {
                let a = starts[k];
                let b = starts.get(k + 1).map_or(rec.len(), |&s| s - 1);
                &rec[a..b]
            };
            let Some(pc) = price_col else {
                ncols = starts.len();
                let pc = (0..ncols)
                    .find(|&k| field(k) == b"price")
                    .ok_or_else(|| format!("{in_path}: no `price` column"))?;
                price_col = Some(pc);
                for k in (0..ncols).filter(|&k| k != pc) {
                    out.extend_from_slice(field(k));
                    out.push(b',');
                }
                out.extend_from_slice(b"price,hotmart,affiliate,coproducer,producer,unallocated\n");
                continue;
            };
            if starts.len() != ncols {
                return Err(format!("{in_path}:{line}: {} fields, the header has {ncols}", starts.len()));
            }
            let price = parse_cents(field(pc)).ok_or_else(|| format!("{in_path}:{line}: bad price"))?;
            let hotmart = div_round(99 * price + 50_000, 1000);
            let mut pool = price - hotmart;
            if pool < 0 {
                return Err(format!("{in_path}:{line}: the fee is more than the price"));
            }
            let net = price - hotmart;
            let affiliate = div_round(35 * net, 100);
            pool -= affiliate;
            let coproducer = div_round(10 * pool, 100);
            pool -= coproducer;
            let producer = pool;
            if affiliate < 0 || coproducer < 0 || pool < 0 || 100 * producer < 30 * net {
                return Err(format!("{in_path}:{line}: the split does not hold"));
            }
            t.rows += 1;
            t.price += price;
            t.fees += hotmart;
            t.shares += affiliate + coproducer + producer;
            for k in (0..ncols).filter(|&k| k != pc) {
                out.extend_from_slice(field(k));
                out.push(b',');
            }
            for (k, x) in [price, hotmart, affiliate, coproducer, producer, 0].into_iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                put_cents(&mut out, x);
            }
            out.push(b'\n');
            if out.len() >= BLOCK {
                output.write_all(&out).map_err(|e| format!("{out_path}: {e}"))?;
                out.clear();
            }
        }
        // Keep the partial line at the start of the buffer.
        buf.copy_within(pos..have, 0);
        have -= pos;
        if eof && have == 0 {
            break;
        }
        if have == buf.len() {
            return Err(format!("{in_path}:{line}: a line longer than {BLOCK} bytes"));
        }
    }
    output.write_all(&out).map_err(|e| format!("{out_path}: {e}"))?;
    Ok(t)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: splitdsl-floor-int IN.csv OUT.csv");
        return ExitCode::from(2);
    }
    match run(&args[1], &args[2]) {
        Ok(t) => {
            let mut b = Vec::new();
            let mut f = |x: i64| {
                b.clear();
                put_cents(&mut b, x);
                String::from_utf8_lossy(&b).into_owned()
            };
            eprintln!(
                "rows={} price={} fees={} shares={} unallocated=0.00",
                t.rows,
                f(t.price),
                f(t.fees),
                f(t.shares)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("splitdsl-floor-int: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        let p = 10_000;
        let hotmart = div_round(99 * p + 50_000, 1000);
        assert_eq!(hotmart, 1040);
        let net = p - hotmart;
        let a = div_round(35 * net, 100);
        assert_eq!(a, 3136);
        let c = div_round(10 * (net - a), 100);
        assert_eq!(c, 582);
        assert_eq!(net - a - c, 5242);
    }

    #[test]
    fn cents_round_trip() {
        for (s, c) in [("0", 0), ("1.5", 150), ("10.40", 1040), ("2000.00", 200_000)] {
            assert_eq!(parse_cents(s.as_bytes()), Some(c));
            let mut b = Vec::new();
            put_cents(&mut b, c);
            assert_eq!(parse_cents(&b), Some(c));
        }
        let mut b = Vec::new();
        put_cents(&mut b, 5);
        assert_eq!(b, b"0.05");
        assert_eq!(parse_cents(b"1.234"), None);
        assert_eq!(div_round(-15, 10), -2);
    }
}
