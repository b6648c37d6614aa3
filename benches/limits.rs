//! Limits (issue 6): an agreement with 10,000 shares checks and evaluates
//! in well under a second; a file of 100,000 statements is read in linear
//! time. Figures: BENCHMARKS.md, section "Limits".

use criterion::{criterion_group, criterion_main, Criterion};
use splitdsl::Agreement;
use std::hint::black_box;

fn shares(n: usize) -> String {
    let mut s = String::from("agreement \"many\"\nprice = 1000000.00 USD\n");
    for i in 0..n {
        s.push_str(&format!("share s{i} = 0.01% of remaining\n"));
    }
    s.push_str("share rest = remaining\n");
    s
}

fn statements(n: usize) -> String {
    let mut s = String::from("price = 100.00 USD\nc0 = 1\n");
    for i in 1..n {
        s.push_str(&format!("c{i} = c{} + 1\n", i - 1));
    }
    s.push_str(&format!("share p = c{} * 0.0001 USD\n", n - 1));
    s
}

fn limits(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits");
    g.sample_size(10);
    let src = shares(10_000);
    g.bench_function("10k_shares_compile", |b| {
        b.iter(|| Agreement::compile("many.split", black_box(&src)).is_ok())
    });
    g.bench_function("10k_shares_compile_and_evaluate", |b| {
        b.iter(|| {
            let a = Agreement::compile("many.split", black_box(&src)).ok()?;
            a.evaluate_outcome(&a.raw_inputs()).ok()
        })
    });
    if let Ok(a) = Agreement::compile("many.split", &src) {
        let inputs = a.raw_inputs();
        g.bench_function("10k_shares_evaluate", |b| {
            b.iter(|| a.evaluate_outcome(black_box(&inputs)).is_ok())
        });
    }
    // `explain` of the last share of 46,000 (its tree was quadratic: 140 s).
    let src = shares(46_000);
    if let Ok(a) = Agreement::compile("many.split", &src) {
        let inputs = a.raw_inputs();
        if let Some(slot) = a.program.slot("rest") {
            g.bench_function("46k_shares_explain", |b| {
                b.iter(|| splitdsl::explain::explain(&a, black_box(&inputs), slot).map(|t| t.len()))
            });
        }
    }
    let src = statements(100_000);
    g.bench_function("100k_statements_compile_and_evaluate", |b| {
        b.iter(|| {
            let a = Agreement::compile("long.split", black_box(&src)).ok()?;
            a.evaluate_outcome(&a.raw_inputs()).ok()
        })
    });
    // An `else if` chain at the depth limit (building its tree was quadratic).
    let src = format!(
        "price = 1.00 USD\nx = {}1\nshare p = x * 0.01 USD\n",
        "if price > 1.00 USD then 2 else ".repeat(splitdsl::syntax::MAX_DEPTH - 2)
    );
    g.bench_function("998_deep_else_if_compile_and_evaluate", |b| {
        b.iter(|| {
            let a = Agreement::compile("chain.split", black_box(&src)).ok()?;
            a.evaluate_outcome(&a.raw_inputs()).ok()
        })
    });
    g.finish();
}

criterion_group!(benches, limits);
criterion_main!(benches);
