//! A keystroke in a 1,000-share agreement: the whole file compiled again
//! against `Document::edit` (re-parse the touched statement, check again),
//! for a keystroke that keeps the file valid and one that makes a typo
//! (checking fails). `cargo bench --bench edit`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use splitdsl::document::Document;
use splitdsl::span::Span;
use splitdsl::Agreement;

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

fn edit(c: &mut Criterion) {
    let text = agreement(1000);
    let doc = Document::new("big.split", &text);
    assert!(doc.is_ok());
    // The middle share's formula: `0.05% of net`.
    let formula = text
        .find("share p500 \"Partner 500\" = 0.05% of net")
        .unwrap()
        + 27;
    let digit = Span::new(formula + 3, formula + 4); // 0.05% → 0.06%
    let name = Span::new(formula + 9, formula + 12); // net → ne (a typo)
    let splice =
        |span: Span, new: &str| format!("{}{new}{}", &text[..span.start], &text[span.end..]);
    let (valid, typo) = (splice(digit, "6"), splice(name, "ne"));
    assert!(Agreement::compile("big.split", &valid).is_ok());
    assert!(Agreement::compile("big.split", &typo).is_err());

    let mut g = c.benchmark_group("keystroke in a 1,000-share agreement");
    g.sample_size(30);
    g.bench_function("valid: full compile", |b| {
        b.iter(|| Agreement::compile("big.split", &valid).is_ok())
    });
    g.bench_function("valid: Document::edit", |b| {
        b.iter_batched(
            || doc.clone(),
            |mut d| {
                d.edit(digit, "6");
                assert!(d.is_ok());
                d
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("typo (check fails): full compile", |b| {
        b.iter(|| Agreement::compile("big.split", &typo).is_err())
    });
    g.bench_function("typo (check fails): Document::edit", |b| {
        b.iter_batched(
            || doc.clone(),
            |mut d| {
                d.edit(name, "ne");
                assert!(!d.is_ok() && d.last_good().is_some());
                d
            },
            BatchSize::LargeInput,
        )
    });
    // A syntax error: the whole text is parsed again (see Document::edit).
    let of = Span::new(formula + 6, formula + 8);
    g.bench_function("syntax error: Document::edit", |b| {
        b.iter_batched(
            || doc.clone(),
            |mut d| {
                d.edit(of, "of of");
                assert!(!d.is_ok());
                d
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, edit);
criterion_main!(benches);
