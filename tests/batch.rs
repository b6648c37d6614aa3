//! Batch settlement (`splitdsl run FILE --sales LEDGER`) through the library:
//! reconciliation, refunds, bad rows, thread-independent output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use splitdsl::batch::{settle, OutFormat, Reject, Settlement};
use splitdsl::Agreement;
use std::collections::BTreeMap;
use std::str::FromStr;

const HOTMART: &str = include_str!("../examples/hotmart.split");

/// An agreement that uses more of the language: an input column, a `when`,
/// a table, a `require`, and money left unallocated.
const TIERED: &str = r#"
agreement "Tiered"
price = 100.00 USD
input installments = 1
input affiliate_on = true
table platform_rate { 0.00 USD .. 49.99 USD => 12%  50.00 USD .. => 9.9% }
fee platform "Platform" = platform_rate(price) of price + 0.50 USD
fee installment_fee = if installments > 1 then 2.99% of price else 0.00 USD
share affiliate "Ana" = 35% of remaining when affiliate_on
share producer "Carla" = 90% of remaining
require producer >= 0.00 USD "the producer is never negative"
"#;

fn agreement(text: &str) -> Agreement {
    Agreement::compile("test.split", text)
        .map_err(|f| f.diagnostics)
        .unwrap()
}

/// Settles `ledger` with `threads`: (output, rejects, settlement).
fn run_with(
    a: &Agreement,
    sets: &[&str],
    ledger: &str,
    format: OutFormat,
    threads: usize,
) -> (String, Vec<Reject>, Settlement) {
    let mut inputs = a.inputs();
    for s in sets {
        a.set_from_text(&mut inputs, s).unwrap();
    }
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    let settlement = settle(
        a,
        &inputs,
        ledger.as_bytes(),
        &mut out,
        format,
        threads,
        &mut rejects,
    )
    .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));
    (String::from_utf8(out).unwrap(), rejects, settlement)
}

fn run(a: &Agreement, ledger: &str, threads: usize) -> (String, Vec<Reject>, Settlement) {
    run_with(a, &[], ledger, OutFormat::Csv, threads)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A deterministic pseudo-random ledger: `n` rows with prices from 1.00 to
/// 5001.00, some refunds and chargebacks, 1–12 installments.
fn ledger(n: usize, seed: u64) -> String {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = String::from("sale_id,kind,price,installments,note\n");
    for i in 0..n {
        let cents = 100 + next() % 500_000;
        let kind = match next() % 20 {
            0 => "refund",
            1 => "chargeback",
            2 => "",
            _ => "sale",
        };
        let inst = 1 + next() % 12;
        let note = if i % 7 == 0 {
            "\"a, quoted \"\"note\"\"\""
        } else {
            "plain"
        };
        s.push_str(&format!(
            "S{i:06},{kind},{}.{:02},{inst},{note}\n",
            cents / 100,
            cents % 100
        ));
    }
    s
}

/// Sums every amount column of a CSV output by column name.
fn column_sums(out: &str) -> BTreeMap<String, Decimal> {
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut sums = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if let Ok(v) = Decimal::from_str(v) {
                *sums.entry(h.clone()).or_insert(Decimal::ZERO) += v;
            }
        }
    }
    sums
}

#[test]
fn hotmart_worked_example_row() {
    let a = agreement(HOTMART);
    let (out, rejects, s) = run(&a, "sale_id,date,price\nS0,2025-01-01,100.00\n", 1);
    assert_eq!(
        out,
        "sale_id,date,price,hotmart,affiliate,coproducer,producer,unallocated\n\
         S0,2025-01-01,100.00,10.40,31.36,5.82,52.42,0.00\n"
    );
    assert!(rejects.is_empty());
    assert_eq!(s.statement.sales, 1);
    assert!(s.reconciliation.holds);
}

#[test]
fn generated_ledgers_reconcile() {
    let a = agreement(TIERED);
    for (n, seed) in [(1, 1), (500, 7), (3000, 42)] {
        let (out, rejects, s) = run(&a, &ledger(n, seed), 2);
        assert!(rejects.is_empty(), "{:?}", rejects.first());
        let st = &s.statement;
        assert_eq!(st.settled(), n as u64);
        let r = &s.reconciliation;
        assert!(r.holds);
        assert_eq!(r.price, r.fees + r.shares + r.unallocated);
        // The statement is the sum of the rows written out, to the cent.
        let sums = column_sums(&out);
        let cents = |units: i128| Decimal::from_i128_with_scale(units, 2);
        assert_eq!(sums["price"], cents(r.price));
        assert_eq!(sums["platform"] + sums["installment_fee"], cents(r.fees));
        assert_eq!(sums["affiliate"] + sums["producer"], cents(r.shares));
        assert_eq!(sums["unallocated"], cents(r.unallocated));
        // Money is left unallocated here (10% of the rest), and still reconciles.
        assert!(n < 10 || r.unallocated != 0);
        // Every row reconciles on its own too.
        let mut rdr = csv::Reader::from_reader(out.as_bytes());
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let v: Vec<Decimal> = (4..9).map(|i| d(&rec[i])).collect();
            assert_eq!(d(&rec[3]), v.iter().sum::<Decimal>(), "{rec:?}");
        }
    }
}

#[test]
fn refunds_net_to_zero() {
    let a = agreement(HOTMART);
    let mut ledger = String::from("sale_id,kind,price\n");
    for (i, p) in ["100.00", "0.60", "1999.99", "47.10"].iter().enumerate() {
        ledger.push_str(&format!("S{i},sale,{p}\nR{i},refund,{p}\n"));
    }
    ledger.push_str("S9,,250.00\nC9,chargeback,250.00 USD\n");
    let (out, rejects, s) = run(&a, &ledger, 1);
    assert!(rejects.is_empty());
    let st = &s.statement;
    assert_eq!((st.sales, st.refunds, st.chargebacks), (5, 4, 1));
    for line in &st.lines {
        assert_eq!(line.net(), Some(0), "{line:?}");
        assert_eq!(line.gross, -line.refunds);
        assert_eq!(line.count, 10);
    }
    assert!(s.reconciliation.holds);
    assert!(out.contains("R0,refund,-100.00,-10.40,-31.36,-5.82,-52.42,0.00\n"));
    for (_, v) in column_sums(&out) {
        assert_eq!(v, Decimal::ZERO);
    }
}

#[test]
fn every_kind_of_bad_row_is_reported_with_its_line_and_the_good_rows_settle() {
    let a = agreement(HOTMART);
    let ledger = "sale_id,date,price\n\
                  S1,2025-01-01,100.00\n\
                  S2,2025-01-02,12.3x\n\
                  S3,2025-01-03,100.00 XYZ\n\
                  \n\
                  S5,2025-01-05\n\
                  S6,2025-01-06,10.00,extra\n\
                  S7,2025-01-07,\"100.00\"\n\
                  S8,2025-01-08,100.00 EUR\n\
                  S9,2025-01-09,0.10\n\
                  S10,2025-01-10,\"unclosed\n";
    let (out, rejects, s) = run(&a, ledger, 2);
    let got: Vec<(u64, Option<&str>, &str)> = rejects
        .iter()
        .map(|r| (r.line, r.id.as_deref(), r.diagnostic.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, Some("S2"), "splitdsl::batch::bad_value"),
            (4, Some("S3"), "splitdsl::batch::unknown_currency"),
            (5, None, "splitdsl::batch::empty_line"),
            (6, Some("S5"), "splitdsl::batch::missing_column"),
            (7, Some("S6"), "splitdsl::batch::column_count"),
            (9, Some("S8"), "splitdsl::batch::currency_mismatch"),
            (10, Some("S9"), "splitdsl::eval::exceeds_pool"),
            (11, None, "splitdsl::batch::bad_csv"),
        ]
    );
    // The reasons say what is wrong, in words.
    assert!(rejects[0].diagnostic.message.contains("`12.3x`"));
    assert!(rejects[3].diagnostic.message.contains("`price`"));
    assert_eq!(rejects[1].record, "S3,2025-01-03,100.00 XYZ");
    // The good rows settle, in order.
    assert_eq!(
        out.lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect::<Vec<_>>(),
        ["S1", "S7"]
    );
    assert_eq!(s.statement.settled(), 2);
    assert_eq!(s.statement.rejected, 8);
    assert!(s.reconciliation.holds);
}

#[test]
fn a_failed_require_rejects_the_row_with_its_message() {
    let a = agreement(
        "price = 100.00 USD\ninput bonus = 0.00 USD\nshare partner = 80% of price + bonus\nshare producer = remaining\n\
         require producer >= 10.00 USD \"the producer keeps at least 10.00 USD\"\n",
    );
    let (out, rejects, _) = run(
        &a,
        "id,price,bonus\nA,100.00,0\nB,100.00,15.00\nC,200,0.00\n",
        1,
    );
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].line, 3);
    assert_eq!(rejects[0].id.as_deref(), Some("B"));
    assert_eq!(rejects[0].diagnostic.code, "splitdsl::require::failed");
    assert!(rejects[0]
        .diagnostic
        .message
        .contains("the producer keeps at least 10.00 USD"));
    assert_eq!(
        out,
        "id,price,partner,producer,unallocated\nA,100.00,80.00,20.00,0.00\nC,200.00,160.00,40.00,0.00\n"
    );
}

#[test]
fn output_is_the_same_whatever_the_number_of_threads() {
    let a = agreement(TIERED);
    // About 1 MB: several blocks, so that the workers really interleave.
    let mut text = ledger(30_000, 99);
    text.push_str("BAD1,sale,nope,1,x\n");
    text.push_str(&ledger(2_000, 5)[37..]); // more rows, without the header
    let (one, rejects_one, s_one) = run(&a, &text, 1);
    assert_eq!(rejects_one.len(), 1);
    assert_eq!(rejects_one[0].line, 30_002);
    for threads in [2, 3, 8] {
        let (many, rejects, s) = run(&a, &text, threads);
        assert!(many == one, "output differs with {threads} threads");
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].line, 30_002);
        assert_eq!(s.statement, s_one.statement);
        assert_eq!(s.reconciliation, s_one.reconciliation);
    }
}

#[test]
fn set_applies_to_every_row_unless_the_row_sets_it() {
    let a = agreement(TIERED);
    let ledger = "sale_id,price,installments\nS1,100.00,1\nS2,100.00,3\n";
    let (out, _, _) = run_with(
        &a,
        &["affiliate_on=false", "installments=6"],
        ledger,
        OutFormat::Csv,
        1,
    );
    // installments comes from the rows; affiliate_on from --set (no affiliate).
    assert_eq!(
        out,
        "sale_id,price,platform,installment_fee,affiliate,producer,unallocated\n\
         S1,100.00,10.40,0.00,0.00,80.64,8.96\n\
         S2,100.00,10.40,2.99,0.00,77.95,8.66\n"
    );
    // With no price column, --set gives every row's price.
    let (out, rejects, _) = run_with(
        &a,
        &["price=50.00 USD"],
        "sale_id\nS1\nS2\n",
        OutFormat::Csv,
        1,
    );
    assert!(rejects.is_empty());
    assert_eq!(out.lines().count(), 3);
    assert!(out.lines().nth(1).unwrap().starts_with("S1,50.00,5.45,"));
}

#[test]
fn json_lines_in_and_out() {
    let a = agreement(HOTMART);
    let ledger = "{\"sale_id\": \"S1\", \"price\": 100.00, \"qty\": 2, \"kind\": \"sale\"}\n\
                  {\"sale_id\": \"S2\", \"price\": \"1999.99 USD\", \"qty\": 1, \"kind\": \"refund\"}\n\
                  {\"sale_id\": \"S3\", \"qty\": 1, \"kind\": \"sale\"}\n\
                  not json\n";
    let (out, rejects, s) = run_with(&a, &[], ledger, OutFormat::Jsonl, 2);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::json!({"sale_id": "S1", "qty": 2, "kind": "sale", "price": "100.00",
            "hotmart": "10.40", "affiliate": "31.36", "coproducer": "5.82", "producer": "52.42",
            "unallocated": "0.00"})
    );
    assert_eq!(lines[1]["price"], "-1999.99");
    let got: Vec<(u64, &str)> = rejects
        .iter()
        .map(|r| (r.line, r.diagnostic.code))
        .collect();
    assert_eq!(
        got,
        [
            (3, "splitdsl::batch::missing_column"),
            (4, "splitdsl::batch::bad_json")
        ]
    );
    assert_eq!(s.statement.settled(), 2);
}

#[test]
fn header_problems_stop_the_run() {
    let a = agreement(HOTMART);
    let fatal = |ledger: &str| {
        let mut out = Vec::new();
        let r = settle(
            &a,
            &a.inputs(),
            ledger.as_bytes(),
            &mut out,
            OutFormat::Csv,
            1,
            &mut Vec::new(),
        );
        assert!(out.is_empty(), "nothing is written");
        r.err().map(|f| f.diagnostic().0.code)
    };
    assert_eq!(fatal(""), Some("splitdsl::batch::empty"));
    assert_eq!(
        fatal("sale_id,prize\nS1,1\n"),
        Some("splitdsl::batch::no_price")
    );
    assert_eq!(
        fatal("price,price\n1,1\n"),
        Some("splitdsl::batch::duplicate_column")
    );
    assert_eq!(
        fatal("price,net\n1,1\n"),
        Some("splitdsl::input::not_input")
    );
    assert_eq!(
        fatal("price,hotmart\n1,1\n"),
        Some("splitdsl::input::not_input")
    );
    assert_eq!(
        fatal("price,unallocated\n1,1\n"),
        Some("splitdsl::batch::output_clash")
    );
    // A header alone is an empty ledger: nothing to settle, and it reconciles.
    let (out, rejects, s) = run(&a, "sale_id,price\n", 1);
    assert_eq!(
        out,
        "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n"
    );
    assert!(rejects.is_empty() && s.reconciliation.holds);
}

#[test]
fn crlf_bom_and_quoted_fields() {
    let a = agreement(HOTMART);
    let ledger = "\u{feff}sale_id,customer,price\r\nS1,\"Silva, Ana\",100.00\r\nS2,\"multi\nline\",10.00\r\nS3,x,abc\r\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert_eq!(
        out,
        "sale_id,customer,price,hotmart,affiliate,coproducer,producer,unallocated\n\
         S1,\"Silva, Ana\",100.00,10.40,31.36,5.82,52.42,0.00\n\
         S2,\"multi\nline\",10.00,1.49,2.98,0.55,4.98,0.00\n"
    );
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].line, 5, "the quoted newline counts as a line");
}

#[test]
fn more_bad_cells_and_header_warnings() {
    let a = agreement(TIERED);
    let ledger = "sale_id,kind,price,installments,affiliate_of\n\
                  A,gift,10.00,1,x\n\
                  B,sale,,1,x\n\
                  C,sale,10.001,1,x\n\
                  D,sale,10.00,many,x\n\
                  E,sale,10.00,35%,x\n\
                  F,refund,-10.00,1,x\n\
                  G,sale,-0.00,1,x\n";
    struct Obs(Vec<Reject>, Vec<&'static str>);
    impl splitdsl::batch::Observer for Obs {
        fn reject(&mut self, r: &Reject) -> std::io::Result<()> {
            self.0.push(r.clone());
            Ok(())
        }
        fn warning(&mut self, d: &splitdsl::diag::Diagnostic, _header: &str) {
            self.1.push(d.code);
        }
    }
    let mut obs = Obs(Vec::new(), Vec::new());
    let mut out = Vec::new();
    let s = settle(
        &a,
        &a.inputs(),
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut obs,
    )
    .unwrap_or_else(|f| panic!("{:?}", f.diagnostic()));
    let got: Vec<(u64, &str)> = obs.0.iter().map(|r| (r.line, r.diagnostic.code)).collect();
    assert_eq!(
        got,
        [
            (2, "splitdsl::batch::bad_kind"),
            (3, "splitdsl::batch::empty_value"),
            (4, "splitdsl::batch::too_precise"),
            (5, "splitdsl::batch::bad_value"),
            (7, "splitdsl::batch::negative_price"),
            // -0.00 is a price of zero, not a negative one: it is evaluated, and
            // this agreement's fixed fee is larger than a pool of zero.
            (8, "splitdsl::eval::exceeds_pool"),
        ]
    );
    // `35%` is a number written as the language writes it: read through the expression parser.
    assert_eq!(s.statement.settled(), 1);
    // `affiliate_of` looks like the input `affiliate_on`: it passes through, with a warning.
    assert_eq!(obs.1, ["splitdsl::batch::near_input"]);
    let kind = agreement("price = 1.00 USD\ninput kind = 1\nshare p = remaining\n");
    let r = settle(
        &kind,
        &kind.inputs(),
        &b"price,kind\n1,sale\n"[..],
        Vec::new(),
        OutFormat::Csv,
        1,
        &mut Vec::new(),
    );
    assert_eq!(
        r.err().map(|f| f.diagnostic().0.code),
        Some("splitdsl::batch::kind_clash")
    );
}
