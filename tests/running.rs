//! Running totals (`running NAME = sum of EXPR [per COLUMN]`, language.md
//! "Running totals"): one sale (an input defaulting to zero), the checks,
//! and ledgers settled against a reference fold, for any number of threads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use proptest::prelude::*;
use rust_decimal::Decimal;
use splitdsl::batch::{settle, OutFormat, Reject};
use splitdsl::Agreement;
use std::collections::HashMap;

/// The lifetime tier: 10% until the seller's lifetime sales pass the
/// threshold, then 3%; sales of 1000.00 or more are refused.
const TIER: &str = r#"
input price = 100.00 USD
running lifetime = sum of price per seller
fee platform = if lifetime + price <= 1000.00 USD then 10% of price else 3% of price
share seller_share = remaining
require price < 1000.00 USD "too large"
"#;

fn agreement(text: &str) -> Agreement {
    common::compile(text)
}

/// Settles `ledger`: (output CSV, rejects).
fn run(a: &Agreement, sets: &[&str], ledger: &str, threads: usize) -> (String, Vec<Reject>) {
    let mut inputs = a.inputs();
    for s in sets {
        let (name, value) = s.split_once('=').unwrap();
        inputs.set(name.trim(), value.trim()).unwrap();
    }
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    settle(
        a,
        &inputs,
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        threads,
        &mut rejects,
    )
    .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));
    (String::from_utf8(out).unwrap(), rejects)
}

/// The fatal error's code.
fn fatal(a: &Agreement, ledger: &str) -> String {
    let mut out = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    match settle(
        a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut rejects,
    ) {
        Ok(_) => panic!("expected a fatal error"),
        Err(f) => f.diagnostic().0.code.to_string(),
    }
}

/// One ledger row: (id, seller, price in cents, kind).
type Row = (String, String, i64, &'static str);

fn ledger(rows: &[Row]) -> String {
    let mut s = String::from("sale_id,seller,price,kind\n");
    for (id, seller, cents, kind) in rows {
        let price = if *cents < 0 {
            "oops".to_string() // a bad cell: the row is rejected
        } else {
            Decimal::new(*cents, 2).to_string()
        };
        s.push_str(&format!("{id},{seller},{price},{kind}\n"));
    }
    s
}

/// The reference: settle the rows one by one in file order, each as one
/// sale with `--set price=… --set lifetime=…`, the lifetime folded by hand
/// over the rows that settled. The settled rows' CSV lines, in order.
fn reference(a: &Agreement, rows: &[Row]) -> Vec<String> {
    let mut lifetime: HashMap<&str, Decimal> = HashMap::new();
    let mut lines = Vec::new();
    for (id, seller, cents, kind) in rows {
        if *cents < 0 {
            continue; // unreadable price: rejected, counts nothing
        }
        let refund = *kind != "sale";
        let price = Decimal::new(*cents, 2);
        let before = lifetime.get(seller.as_str()).copied().unwrap_or_default();
        let mut inputs = a.raw_inputs();
        a.set_from_text(&mut inputs, &format!("price={price} USD"))
            .unwrap();
        a.set_from_text(&mut inputs, &format!("lifetime={before} USD"))
            .unwrap();
        let Ok(out) = a.evaluate_outcome(&inputs) else {
            continue;
        };
        if !out.all_hold() {
            continue;
        }
        let sign = if refund { -Decimal::ONE } else { Decimal::ONE };
        let get = |n: &str| match out.value(a.program.slot(n).unwrap()).unwrap() {
            splitdsl::value::Value::Money(d, _) => d * sign,
            other => panic!("{other}"),
        };
        let fmt = |d: Decimal| format!("{:.2}", d);
        lines.push(format!(
            "{id},{seller},{kind},{},{},{},{}",
            fmt(price * sign),
            fmt(get("platform")),
            fmt(get("seller_share")),
            fmt(out.unallocated() * sign)
        ));
        lifetime.insert(seller.as_str(), before + price * sign);
    }
    lines
}

fn body(out: &str) -> Vec<String> {
    out.lines().skip(1).map(str::to_string).collect()
}

/// A fixed ledger: sellers crossing the threshold, refunds, bad rows and
/// rows refused by the `require`.
fn fixed_rows() -> Vec<Row> {
    let sellers = ["ana", "bo", "cy", "di"];
    let mut rows = Vec::new();
    for i in 0..3000i64 {
        let seller = sellers[(i * 7 % 4) as usize].to_string();
        let cents = match i % 13 {
            0 => 150_000, // 1500.00: refused by the require, must not count
            5 => -1,      // unreadable
            _ => 1000 + (i * 7919) % 40_000,
        };
        rows.push((format!("S{i}"), seller.clone(), cents, "sale"));
        if i % 11 == 3 {
            rows.push((
                format!("S{}", i - 2),
                seller,
                1000 + ((i - 2) * 7919) % 40_000,
                "refund",
            ));
        }
    }
    rows
}

#[test]
fn a_ledger_per_seller_equals_settling_row_by_row() {
    let a = agreement(TIER);
    let rows = fixed_rows();
    let (out, rejects) = run(&a, &[], &ledger(&rows), 1);
    let want = reference(&a, &rows);
    assert!(want.len() > 2000, "the reference settles most rows");
    assert!(!rejects.is_empty());
    assert_eq!(body(&out), want);
    // Both rates occur: sellers cross the threshold.
    assert!(out.contains(",ana,sale,"));
}

#[test]
fn output_is_byte_identical_for_any_threads() {
    let a = agreement(TIER);
    let text = ledger(&fixed_rows());
    // Big enough for several blocks.
    let mut big = text.clone();
    for k in 0..40 {
        for line in text.lines().skip(1) {
            big.push_str(&line.replacen('S', &format!("T{k}x"), 1));
            big.push('\n');
        }
    }
    let (one, r1) = run(&a, &[], &big, 1);
    for threads in [2, 3, 8] {
        let (out, r) = run(&a, &[], &big, threads);
        assert_eq!(out, one, "{threads} threads");
        let lines = |r: &[Reject]| r.iter().map(|x| x.line).collect::<Vec<_>>();
        assert_eq!(lines(&r), lines(&r1), "{threads} threads");
    }
}

#[test]
fn refunds_count_negative_and_rejected_rows_count_nothing() {
    let a = agreement(TIER);
    let text = "sale_id,seller,price,kind\n\
                S1,ana,600.00,sale\n\
                S2,ana,1500.00,sale\n\
                S3,ana,x,sale\n\
                S4,ana,300.00,sale\n\
                S1,ana,600.00,refund\n\
                S5,ana,500.00,sale\n";
    let (out, rejects) = run(&a, &[], text, 1);
    assert_eq!(rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4]);
    // S4: 600 before (S2 and S3 rejected) → 900 ≤ 1000: 10%.
    // The refund of S1: lifetime 900 + 600 > 1000: 3% of 600 = 18.00, negated.
    // S5: 900 - 600 = 300 before → 800 ≤ 1000: 10%.
    assert_eq!(
        body(&out),
        [
            "S1,ana,sale,600.00,60.00,540.00,0.00",
            "S4,ana,sale,300.00,30.00,270.00,0.00",
            "S1,ana,refund,-600.00,-18.00,-582.00,0.00",
            "S5,ana,sale,500.00,50.00,450.00,0.00",
        ]
    );
}

#[test]
fn without_per_the_total_runs_over_every_row_and_counts_numbers() {
    let a = agreement(
        "input price = 1.00 USD\nrunning earlier = sum of 1\n\
         fee first_three = if earlier < 3 then 1.00 USD else 0.00 USD\nshare rest = remaining\n",
    );
    let text = "sale_id,price\nA,5.00\nB,5.00\nC,5.00\nD,5.00\n";
    let (out, _) = run(&a, &[], text, 1);
    let fees: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(fees, ["1.00", "1.00", "1.00", "0.00"]);
    // A `--set` of the running total is where it starts.
    let (out, _) = run(&a, &["earlier=2"], text, 1);
    let fees: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(fees, ["1.00", "0.00", "0.00", "0.00"]);
}

#[test]
fn a_ledger_without_the_per_column_or_with_the_totals_column_is_refused() {
    let a = agreement(TIER);
    assert_eq!(
        fatal(&a, "sale_id,price\nS1,1.00\n"),
        "splitdsl::batch::missing_per_column"
    );
    assert_eq!(
        fatal(&a, "sale_id,seller,price,lifetime\nS1,a,1.00,2.00\n"),
        "splitdsl::batch::running_column"
    );
}

#[test]
fn for_one_sale_a_running_total_is_an_input_defaulting_to_zero() {
    assert_eq!(common::value(TIER, &[], "lifetime"), "0.00 USD");
    assert_eq!(common::value(TIER, &[], "platform"), "10.00 USD");
    assert_eq!(
        common::value(TIER, &["lifetime=950.00 USD"], "platform"),
        "3.00 USD"
    );
    let counting = "price = 1.00 USD\nrunning n = sum of 1 per seller\nshare p = remaining\n";
    assert_eq!(common::value(counting, &[], "n"), "0");
}

#[test]
fn running_sum_and_per_stay_usable_as_names() {
    let src = "price = 10.00 USD\nrunning = 2\nsum = running * 2\nper = sum + 1\n\
               input of_ = 1\nfee f = (per * 1%) of price\nshare s = remaining\n";
    assert_eq!(common::value(src, &[], "f"), "0.50 USD");
    // And a running total next to them.
    let src =
        "price = 10.00 USD\nsum = 2\nrunning per = sum of sum per seller\nshare s = remaining\n";
    assert_eq!(common::value(src, &[], "per"), "0");
}

#[test]
fn what_a_running_total_adds_up_is_checked() {
    let codes = |s: &str| common::codes(s);
    assert!(codes(
        "price = 1.00 USD\nrunning a = sum of b\nrunning b = sum of price\nshare s = remaining\n"
    )
    .contains(&"splitdsl::running::reads_running"));
    assert!(codes(
        "price = 1.00 USD\nfee f = 1% of price\nrunning a = sum of f\nshare s = remaining\n"
    )
    .contains(&"splitdsl::running::reads_deduction"));
    assert!(
        codes("price = 1.00 USD\nrunning a = sum of a\nshare s = remaining\n")
            .contains(&"splitdsl::deps::cycle")
    );
    assert!(
        codes("price = 1.00 USD\nrunning a = sum of 2025-01-01\nshare s = remaining\n")
            .contains(&"splitdsl::running::kind")
    );
    assert!(
        codes("price = 1.00 USD\nrunning price = sum of 1\nshare s = remaining\n")
            .contains(&"splitdsl::name::reserved")
    );
}

#[test]
fn an_example_can_give_a_running_total() {
    let src = format!(
        "{TIER}\nexample \"past the tier\" {{\n  given lifetime = 2000.00 USD\n  expect platform = 3.00 USD\n}}\n"
    );
    let a = agreement(&src);
    let results = splitdsl::examples::run_examples(&a);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.1, splitdsl::examples::ExampleResult::Pass)),
        "{results:?}"
    );
}

fn row_strategy() -> impl Strategy<Value = Vec<(u8, i64, Option<u8>)>> {
    // (seller, cents, refund of an earlier sale): prices sometimes
    // unreadable or refused by the `require`.
    prop::collection::vec(
        (
            0u8..5,
            prop_oneof![1 => Just(-1i64), 8 => 0i64..120_000],
            prop_oneof![3 => Just(None), 1 => any::<u8>().prop_map(Some)],
        ),
        0..120,
    )
}

/// Rows with unique sale ids; a refund reverses an earlier sale once.
fn rows_of(raw: Vec<(u8, i64, Option<u8>)>) -> Vec<Row> {
    let mut open: Vec<(String, String, i64)> = Vec::new();
    let mut rows = Vec::new();
    for (i, (seller, cents, refund)) in raw.into_iter().enumerate() {
        match refund {
            Some(k) if !open.is_empty() => {
                let (id, seller, cents) = open.remove(usize::from(k) % open.len());
                rows.push((id, seller, cents, "refund"));
            }
            _ => {
                let (id, seller) = (format!("S{i}"), format!("p{seller}"));
                if cents >= 0 {
                    open.push((id.clone(), seller.clone(), cents));
                }
                rows.push((id, seller, cents, "sale"));
            }
        }
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48)
    ))]
    #[test]
    fn random_ledgers_settle_like_a_fold_for_any_threads(raw in row_strategy()) {
        let a = agreement(TIER);
        let rows = rows_of(raw);
        let text = ledger(&rows);
        let (one, _) = run(&a, &[], &text, 1);
        let (three, _) = run(&a, &[], &text, 3);
        prop_assert_eq!(&one, &three);
        prop_assert_eq!(body(&one), reference(&a, &rows));
    }
}

#[test]
fn money_is_exact() {
    // A fold of 0.10 ten thousand times is exactly 1000.00.
    let a = agreement(
        "input price = 1.00 USD\nrunning total = sum of price\n\
         fee f = if total >= 1000.00 USD then 0.05 USD else 0.00 USD\nshare s = remaining\n",
    );
    let mut text = String::from("sale_id,price\n");
    for i in 0..10_001 {
        text.push_str(&format!("S{i},0.10\n"));
    }
    let (out, _) = run(&a, &[], &text, 2);
    let last = out.lines().last().unwrap();
    assert_eq!(last, "S10000,0.10,0.05,0.05,0.00");
    assert!(out.contains("\nS9999,0.10,0.00,0.10,0.00\n"));
}

#[test]
fn the_repl_completes_sets_solves_sweeps_and_edits_running_totals() {
    use splitdsl::repl::Session;
    let mut s = Session::from_text("tier.split", TIER).unwrap();
    assert!(s.names().iter().any(|n| n == "lifetime"));
    assert_eq!(s.handle("lifetime").output.trim(), "0.00 USD");
    let w = s.handle("what if lifetime = 950.00").output;
    assert!(w.contains("10.00") && w.contains("3.00"), "{w}");
    s.handle("set lifetime = 950.00 USD");
    assert_eq!(s.handle("platform").output.trim(), "3.00 USD");
    s.handle("reset");
    let solved = s
        .handle("solve lifetime so that platform = 3.00 USD")
        .output;
    assert!(solved.contains("gives platform = 3.00 USD"), "{solved}");
    let sweep = s
        .handle("sweep lifetime from 800.00 USD to 1000.00 USD step 100.00 USD")
        .output;
    assert!(sweep.contains("10.00") && sweep.contains("3.00"), "{sweep}");
    let added = s.handle("running count = sum of 1 per seller").output;
    assert!(added.contains("added running total `count`"), "{added}");
    let replaced = s.handle("running count = sum of 2").output;
    assert!(
        replaced.contains("replaced running total `count`"),
        "{replaced}"
    );
}

#[test]
fn json_shows_the_running_total_and_a_json_lines_ledger_groups_by_its_per_key() {
    let a = agreement(TIER);
    let mut inputs = a.raw_inputs();
    a.set_from_text(&mut inputs, "lifetime=950.00 USD").unwrap();
    let out = a.evaluate_outcome(&inputs).unwrap();
    let json = splitdsl::report::json(&a.program, &out);
    assert!(json.contains("\"lifetime\""), "{json}");
    assert!(json.contains("\"950.00\""), "{json}");
    let ledger = "{\"sale_id\":\"A\",\"seller\":\"x\",\"price\":\"900.00\"}\n\
                  {\"sale_id\":\"B\",\"seller\":\"y\",\"price\":\"900.00\"}\n\
                  {\"sale_id\":\"C\",\"seller\":\"x\",\"price\":\"200.00\"}\n";
    let mut out = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    settle(
        &a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Jsonl,
        2,
        &mut rejects,
    )
    .unwrap_or_else(|f| panic!("{:?}", f.diagnostic()));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    // x: 900 then 900 + 200 > 1000: 3% of 200 = 6.00; y is its own key: 10%.
    assert!(lines[0].contains("\"platform\":\"90.00\""), "{out}");
    assert!(lines[1].contains("\"platform\":\"90.00\""), "{out}");
    assert!(lines[2].contains("\"platform\":\"6.00\""), "{out}");
}

/// Many blocks and no row refused: the workers' speculation holds
/// throughout; then a refused row late in the file, after which the writer
/// settles again.
#[test]
fn speculative_threads_match_the_fold_with_and_without_refused_rows() {
    let a = agreement(TIER);
    let sellers = ["ana", "bo", "cy", "di", "ed", "flo", "gus"];
    let mut rows: Vec<Row> = (0..60_000i64)
        .map(|i| {
            let seller = sellers[(i * 5 % 7) as usize].to_string();
            (format!("S{i}"), seller, 1 + (i * 7919) % 9_000, "sale")
        })
        .collect();
    for i in (0..60_000i64).step_by(17) {
        let (id, seller, cents, _) = rows[i as usize].clone();
        rows.push((id, seller, cents, "refund"));
    }
    let clean = ledger(&rows);
    let want = reference(&a, &rows);
    for threads in [1, 2, 3, 8] {
        let (out, rejects) = run(&a, &[], &clean, threads);
        assert!(rejects.is_empty());
        assert_eq!(body(&out), want, "{threads} threads");
    }
    // A refused row (the `require`) and an unreadable one: counted by the
    // speculation, not by the settlement; blocks later, a row of the same key.
    rows.insert(20_000, ("X1".into(), "zed".into(), 150_000, "sale"));
    rows.insert(20_001, ("X2".into(), "bo".into(), -1, "sale"));
    // zed's next sale, blocks later: 10% (nothing counted before it).
    rows.insert(58_000, ("X3".into(), "zed".into(), 10_000, "sale"));
    let text = ledger(&rows);
    let want = reference(&a, &rows);
    for threads in [1, 2, 3, 8] {
        let (out, rejects) = run(&a, &[], &text, threads);
        assert_eq!(rejects.len(), 2, "{threads} threads");
        assert_eq!(body(&out), want, "{threads} threads");
        assert!(out.contains("\nX3,zed,sale,100.00,10.00,90.00,0.00\n"));
    }
}
