//! Times a REPL `what if` on an agreement with 1,000 shares: the whole
//! answer (parsing the line, the incremental recalculation, the table).
//! A timed script, not a test: `cargo bench --bench repl_whatif`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::repl::Session;
use std::time::Instant;

fn agreement(n: usize) -> String {
    let mut s = String::from(
        "agreement \"Big\"\nprice = 100000.00 USD\nfee platform \"Platform\" = 4.9% of price + 0.50 USD\nnet = price - platform\n",
    );
    for i in 0..n {
        if i % 2 == 0 {
            s.push_str(&format!("share p{i} \"Partner {i}\" = 0.05% of net\n"));
        } else {
            s.push_str(&format!("share p{i} \"Partner {i}\" = 0.1% of remaining\n"));
        }
    }
    s.push_str("share producer \"Producer\" = remaining\nrequire producer >= 10% of net\n");
    s
}

fn time(label: &str, runs: usize, mut f: impl FnMut()) {
    f(); // warm up
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!("{label:<58} median {median:7.3} ms   p95 {p95:7.3} ms   ({runs} runs)");
}

fn main() {
    let text = agreement(1000);
    let mut s = Session::from_text("big.split", &text).expect("compiles");
    time(
        "what if price = 197.00 USD (1,000 shares, all move)",
        200,
        || {
            let r = s.handle("what if price = 197.00 USD");
            assert!(r.diagnostics.is_empty());
        },
    );
    time(
        "what if p999 = 0.2% of remaining (formula: re-check) ",
        50,
        || {
            let r = s.handle("what if p999 = 0.2% of remaining");
            assert!(r.diagnostics.is_empty());
        },
    );
    time("expression using names: p10 + p11 (re-check)  ", 50, || {
        let r = s.handle("p10 + p11");
        assert!(r.diagnostics.is_empty());
    });
    time("solve price so that producer = 50000.00 USD", 20, || {
        let r = s.handle("solve price so that producer = 50000.00 USD");
        assert!(r.diagnostics.is_empty());
    });
}
