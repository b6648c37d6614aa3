//! `Program::reevaluate` (the REPL's incremental recalculation) gives the
//! same outcome as a full evaluation, whatever input changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use splitdsl::eval::Inputs;
use splitdsl::value::Value;
use splitdsl::Agreement;

/// An agreement with `n` shares, cells, a table, `when` conditions and two inputs.
fn agreement(n: usize) -> Agreement {
    let mut s = String::from(
        "price = 1000.00 USD\ninput tier = 1\ninput vip = false\nfee platform = 4.9% of price + 0.50 USD\nnet = price - platform\n\
         table rate { 1 => 0.1% \n 2..3 => 0.2% \n 4.. => 0.3% }\n",
    );
    for i in 0..n {
        match i % 4 {
            0 => s.push_str(&format!("share s{i} = rate(tier) of remaining\n")),
            1 => s.push_str(&format!("share s{i} = 0.05% of net when vip\n")),
            2 => s.push_str(&format!(
                "c{i} = 0.02% of price + 0.01 USD\nshare s{i} = min(c{i}, remaining)\n"
            )),
            _ => s.push_str(&format!("share s{i} = 0.1% of remaining\n")),
        }
    }
    s.push_str("share owner = remaining\nrequire owner >= 10% of price\n");
    Agreement::compile("gen.split", &s).expect("the generated agreement compiles")
}

#[test]
fn reevaluate_matches_evaluate() {
    let a = agreement(60);
    let p = &a.program;
    let price = p.slot("price").expect("price");
    let tier = p.slot("tier").expect("tier");
    let vip = p.slot("vip").expect("vip");
    let usd = p.currency;
    let mut inputs = Inputs::new(p);
    let mut out = p.evaluate(&inputs).expect("evaluates");
    let changes: Vec<(usize, Value)> = vec![
        (price, Value::Money(Decimal::new(19700, 2), usd)),
        (tier, Value::Number(Decimal::from(3))),
        (vip, Value::Bool(true)),
        (price, Value::Money(Decimal::new(1, 2), usd)),
        (price, Value::Money(Decimal::new(123456789, 2), usd)),
        (tier, Value::Number(Decimal::from(9))),
        (vip, Value::Bool(false)),
        (price, Value::Money(Decimal::new(100000, 2), usd)),
    ];
    for (slot, v) in changes {
        inputs.set(slot, v);
        let full = p.evaluate(&inputs);
        let mut inc = out.clone();
        let r = p.reevaluate(&inputs, &[slot], &mut inc);
        match full {
            Ok(full) => {
                r.expect("incremental succeeds when the full evaluation does");
                assert_eq!(inc, full, "after setting slot {slot} to {v}");
                out = inc;
            }
            Err(d) => assert!(r.is_err(), "both fail: {}", d.message),
        }
    }
}
