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
    Agreement::compile_failure("test.split", text)
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
        let (name, value) = s.split_once('=').unwrap();
        inputs.set(name.trim(), value.trim()).unwrap();
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
            // sale_id, kind, installments, note, then the price and the amounts.
            let v: Vec<Decimal> = (5..10).map(|i| d(&rec[i])).collect();
            assert_eq!(d(&rec[4]), v.iter().sum::<Decimal>(), "{rec:?}");
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
        assert_eq!(line.gross, -(line.refunds + line.chargebacks));
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
        .map(|r| (r.line, r.id.as_deref(), r.diagnostic.code.as_str()))
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
            (11, Some("S10"), "splitdsl::batch::bad_csv"),
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
fn a_metal_or_fund_code_is_not_a_payment_currency_and_gets_no_look_alike_hint() {
    // `XAU` is ISO 4217 (gold): the old message called it no ISO code and
    // hinted `XAF`, another currency — a hint that would change the money.
    let a = agreement(HOTMART);
    let (_, rejects, _) = run(&a, "sale_id,price\nS1,100.00 XAU\nS2,100.00 UDS\n", 1);
    let d = &rejects[0].diagnostic;
    assert_eq!(d.code.as_str(), "splitdsl::batch::unknown_currency");
    assert!(
        d.message.contains("not a currency of payment"),
        "{}",
        d.message
    );
    assert!(
        !d.help.as_deref().unwrap_or("").contains("did you mean"),
        "{:?}",
        d.help
    );
    // A typo still gets its hint.
    let h = rejects[1].diagnostic.help.as_deref().unwrap_or("");
    assert!(h.contains("did you mean `USD`"), "{h}");
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
        "id,bonus,price,partner,producer,unallocated\nA,0.00,100.00,80.00,20.00,0.00\nC,0.00,200.00,160.00,40.00,0.00\n"
    );
}

/// Settles `input` into `output` and expects the run to fail with a message
/// that contains `expected` (`case` names the case in a failure).
fn settle_fails(
    a: &Agreement,
    input: impl std::io::Read + Send,
    output: impl std::io::Write + Send,
    threads: usize,
    observer: &mut dyn splitdsl::batch::Observer,
    expected: &str,
    case: &str,
) {
    let r = settle(
        a,
        &a.inputs(),
        input,
        output,
        OutFormat::Csv,
        threads,
        observer,
    );
    let Err(fatal) = r else {
        panic!("{case}: the run succeeded");
    };
    let (d, _) = fatal.diagnostic();
    assert!(d.message.contains(expected), "{case}: {}", d.message);
}

/// A writer that takes `room` bytes, then fails.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("no space left"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_output_stops_every_thread_with_an_error() {
    // Many blocks in flight when the output fails: the reader, the workers
    // and the writer must all stop (no hang) and the run must say why.
    let a = agreement(TIERED);
    let text = ledger(60_000, 7);
    for threads in [1, 2, 3, 8] {
        for room in [0, 10_000, 1_000_000] {
            settle_fails(
                &a,
                text.as_bytes(),
                &mut Full { room },
                threads,
                &mut Vec::new(),
                "no space left",
                &format!("threads {threads}, room {room}"),
            );
        }
    }
}

/// An observer that records the thread it hears from and the lines of the
/// rejects, and fails on the reject of line `fail_at`.
struct Heard {
    thread: std::thread::ThreadId,
    others: usize,
    lines: Vec<u64>,
    bytes: u64,
    fail_at: Option<u64>,
}

impl Heard {
    fn new(fail_at: Option<u64>) -> Heard {
        Heard {
            thread: std::thread::current().id(),
            others: 0,
            lines: Vec::new(),
            bytes: 0,
            fail_at,
        }
    }

    fn check_thread(&mut self) {
        if std::thread::current().id() != self.thread {
            self.others += 1;
        }
    }
}

impl splitdsl::batch::Observer for Heard {
    fn reject(&mut self, r: &Reject) -> std::io::Result<()> {
        self.check_thread();
        if self.fail_at == Some(r.line) {
            return Err(std::io::Error::other("the rejects' disk is full"));
        }
        self.lines.push(r.line);
        Ok(())
    }

    fn progress(&mut self, bytes: u64, _records: u64) {
        self.check_thread();
        self.bytes += bytes;
    }
}

/// A ledger with a bad row every 997 rows (many blocks, rejects in most).
fn ledger_with_rejects() -> (String, Vec<u64>) {
    let mut text = String::from("sale_id,kind,price,installments,note\n");
    let mut bad = Vec::new();
    for (i, line) in ledger(40_000, 11).lines().skip(1).enumerate() {
        if i % 997 == 5 {
            text.push_str(&format!("X{i},sale,oops,1,x\n"));
            bad.push(i as u64 + 2);
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    (text, bad)
}

#[test]
fn the_observer_hears_every_reject_in_order_on_the_calling_thread() {
    let a = agreement(TIERED);
    let (text, bad) = ledger_with_rejects();
    assert!(text.len() > 4 * 256 * 1024, "several blocks");
    let (one, _, _) = run(&a, &text, 1);
    for threads in [1, 2, 3, 8] {
        let mut heard = Heard::new(None);
        let mut out = Vec::new();
        let s = settle(
            &a,
            &a.inputs(),
            text.as_bytes(),
            &mut out,
            OutFormat::Csv,
            threads,
            &mut heard,
        )
        .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));
        assert!(out == one.as_bytes(), "threads {threads}: another output");
        assert_eq!(heard.lines, bad, "threads {threads}");
        assert_eq!(
            heard.others, 0,
            "threads {threads}: heard on another thread"
        );
        let header = text.find('\n').unwrap() + 1;
        assert_eq!(
            heard.bytes,
            (text.len() - header) as u64,
            "threads {threads}: the progress adds up"
        );
        assert_eq!(s.statement.rejected, bad.len() as u64);
    }
}

#[test]
fn a_failing_observer_stops_every_thread_with_its_error() {
    let a = agreement(TIERED);
    let (text, bad) = ledger_with_rejects();
    for threads in [1, 2, 3, 8] {
        for fail_at in [bad[0], bad[bad.len() / 2], bad[bad.len() - 1]] {
            let mut heard = Heard::new(Some(fail_at));
            settle_fails(
                &a,
                text.as_bytes(),
                std::io::sink(),
                threads,
                &mut heard,
                "the rejects' disk is full",
                &format!("threads {threads}, line {fail_at}"),
            );
            // Every reject before the failing one was heard, in order.
            let before: Vec<u64> = bad.iter().copied().take_while(|&l| l < fail_at).collect();
            assert_eq!(heard.lines, before, "threads {threads}, line {fail_at}");
        }
    }
}

/// A ledger that fails to read after `room` bytes.
struct BreaksAfter<'a> {
    text: &'a [u8],
    room: usize,
}

impl std::io::Read for BreaksAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.room).min(self.text.len());
        let (head, rest) = self.text.split_at(n);
        buf[..n].copy_from_slice(head);
        self.text = rest;
        self.room -= n;
        Ok(n)
    }
}

#[test]
fn a_failing_read_stops_every_thread_with_its_error() {
    let a = agreement(TIERED);
    let text = ledger(60_000, 13);
    for threads in [1, 2, 3, 8] {
        for room in [100, 300_000, text.len() - 10] {
            let input = BreaksAfter {
                text: text.as_bytes(),
                room,
            };
            settle_fails(
                &a,
                input,
                std::io::sink(),
                threads,
                &mut Vec::new(),
                "the disk went away",
                &format!("threads {threads}, room {room}"),
            );
        }
    }
}

#[test]
fn output_is_the_same_whatever_the_number_of_threads() {
    let a = agreement(TIERED);
    // About 1 MB: several blocks, so that the workers really interleave.
    let mut text = ledger(30_000, 99);
    text.push_str("BAD1,sale,nope,1,x\n");
    // More rows, without the header, with ids of their own.
    text.push_str(&ledger(2_000, 5)[37..].replace('S', "T"));
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
        "sale_id,installments,price,platform,installment_fee,affiliate,producer,unallocated\n\
         S1,1,100.00,10.40,0.00,0.00,80.64,8.96\n\
         S2,3,100.00,10.40,2.99,0.00,77.95,8.66\n"
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
        .map(|r| (r.line, r.diagnostic.code.as_str()))
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
        r.err().map(|f| f.diagnostic().0.code.as_str())
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
            self.1.push(d.code.as_str());
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
    let got: Vec<(u64, &str)> = obs
        .0
        .iter()
        .map(|r| (r.line, r.diagnostic.code.as_str()))
        .collect();
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
        r.err().map(|f| f.diagnostic().0.code.as_str()),
        Some("splitdsl::batch::kind_clash")
    );
}

// ---- Ledgers as they come from real spreadsheets (issue 12) ----

const CURRENCY: &str = include_str!("../examples/currency.split");
const SUBSCRIPTION: &str = include_str!("../examples/subscription.split");

fn codes(rejects: &[Reject]) -> Vec<(u64, Option<&str>, &str)> {
    rejects
        .iter()
        .map(|r| (r.line, r.id.as_deref(), r.diagnostic.code.as_str()))
        .collect()
}

fn fatal_code(a: &Agreement, sets: &[&str], ledger: &str) -> (&'static str, String) {
    let mut inputs = a.inputs();
    for s in sets {
        let (name, value) = s.split_once('=').unwrap();
        inputs.set(name.trim(), value.trim()).unwrap();
    }
    let mut out = Vec::new();
    let r = settle(
        a,
        &inputs,
        ledger.as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut Vec::new(),
    );
    assert!(out.is_empty(), "nothing is written");
    let (d, _) = r.expect_err("a fatal error").diagnostic();
    (
        d.code.as_str(),
        format!("{} | {}", d.message, d.help.unwrap_or_default()),
    )
}

#[test]
fn the_delimiter_is_detected_from_the_header() {
    let a = agreement(HOTMART);
    let want = "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
                S1,100.00,10.40,31.36,5.82,52.42,0.00\n\
                S2,47.10,5.16,14.68,2.73,24.53,0.00\n";
    for ledger in [
        "sale_id;price\nS1;100,00\nS2;47.10\n",
        "sale_id\tprice\nS1\t100.00\nS2\t47.10\n",
        "sale_id,price\nS1,100.00\nS2,47.10\n",
        // A quoted field with the other delimiters in it does not confuse the detection.
        "\"sale_id\";price\r\nS1;\"100,00\"\r\nS2;47,10\r\n",
    ] {
        let (out, rejects, s) = run(&a, ledger, 1);
        assert!(rejects.is_empty(), "{ledger:?}: {:?}", rejects.first());
        assert_eq!(out, want, "{ledger:?}");
        assert!(s.reconciliation.holds);
    }
    // The delimiter that finds the known columns wins over the one that splits more.
    let (out, rejects, _) = run(&a, "sale_id;price;note\nS1;100,00;a,b,c,d\n", 1);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(
        out.lines().nth(1),
        Some("S1,\"a,b,c,d\",100.00,10.40,31.36,5.82,52.42,0.00")
    );
}

#[test]
fn a_forced_delimiter_wins_over_the_detection() {
    use splitdsl::batch::{settle_with, Delimiter, Options};
    let a = agreement(HOTMART);
    let go = |delimiter: Delimiter, ledger: &str| {
        let mut out = Vec::new();
        let mut rejects = Vec::new();
        let r = settle_with(
            &a,
            &a.inputs(),
            ledger.as_bytes(),
            &mut out,
            &Options {
                format: OutFormat::Csv,
                threads: 1,
                delimiter: Some(delimiter),
            },
            &mut rejects,
        );
        (
            r.map(|_| String::from_utf8(out).unwrap())
                .map_err(|f| f.diagnostic().0.code.as_str()),
            rejects
                .iter()
                .map(|r| (r.line, r.diagnostic.code.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    // `;` forced: `a,b` is one column, and decimal commas are read.
    let (out, rejects) = go(Delimiter::Semicolon, "a,b;price\nx,y;1,50\n");
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(
        out.unwrap().lines().nth(1),
        Some("\"x,y\",1.50,0.65,0.30,0.06,0.49,0.00")
    );
    // `,` forced on a `;` file: there is no `price` column.
    let (out, _) = go(Delimiter::Comma, "sale_id;price\nS1;1,00\n");
    assert_eq!(out.err(), Some("splitdsl::batch::no_price"));
    assert_eq!(Delimiter::parse("tab"), Ok(Delimiter::Tab));
    assert_eq!(Delimiter::parse("\\t"), Ok(Delimiter::Tab));
    assert_eq!(Delimiter::parse("\t"), Ok(Delimiter::Tab));
    assert_eq!(Delimiter::parse(";"), Ok(Delimiter::Semicolon));
    assert_eq!(Delimiter::parse(","), Ok(Delimiter::Comma));
    assert!(Delimiter::parse("|").is_err());
}

#[test]
fn a_decimal_comma_outside_a_semicolon_file_is_the_rows_error() {
    let a = agreement(TIERED);
    let ledger = "sale_id,price,installments\n\
                  A,\"100,00\",1\n\
                  B,\"1,000.00\",1\n\
                  C,100.00,\"3,5\"\n\
                  D,100.00,1\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert_eq!(
        codes(&rejects),
        [
            (2, Some("A"), "splitdsl::batch::decimal_comma"),
            (3, Some("B"), "splitdsl::batch::thousands_separator"),
            (4, Some("C"), "splitdsl::batch::decimal_comma"),
        ]
    );
    let d = &rejects[0].diagnostic;
    assert!(d.message.contains("decimal comma"), "{}", d.message);
    let help = d.help.clone().unwrap_or_default();
    assert!(help.contains("`100.00`") && help.contains(";"), "{help}");
    // The hint keeps the amount: one thousand, not one.
    let help = rejects[1].diagnostic.help.clone().unwrap_or_default();
    assert!(help.contains("`1000.00`"), "{help}");
    assert!(
        !help.contains("`1.000`") && !help.contains("`1.00`"),
        "{help}"
    );
    assert_eq!(out.lines().count(), 2);
    // A tab-separated file has the same rule.
    let (_, rejects, _) = run(&agreement(HOTMART), "sale_id\tprice\nA\t100,00\n", 1);
    assert_eq!(
        codes(&rejects),
        [(2, Some("A"), "splitdsl::batch::decimal_comma")]
    );
}

#[test]
fn semicolon_files_read_decimal_commas_but_not_thousands_separators() {
    let a = agreement(TIERED);
    let ledger = "sale_id;price;installments\n\
                  A;100,00;1\n\
                  B;1.000,00;1\n\
                  C;1.000;1\n\
                  D;100,00 USD;1\n\
                  E;100.00;1\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert_eq!(
        codes(&rejects),
        [
            (3, Some("B"), "splitdsl::batch::thousands_separator"),
            (4, Some("C"), "splitdsl::batch::thousands_separator"),
        ]
    );
    let help = rejects[0].diagnostic.help.clone().unwrap_or_default();
    assert!(help.contains("`1000,00`"), "{help}");
    let got: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(got, ["100.00", "100.00", "100.00"]);
}

#[test]
fn a_computed_price_settles_from_its_inputs_which_are_shown() {
    let a = agreement(CURRENCY);
    let ledger = "sale_id,list_price,eur_brl\n\
                  S1,49.00,6.1834\n\
                  S2,49.00 EUR,6.1834 BRL/EUR\n\
                  S3,100,5.5\n";
    let (out, rejects, s) = run(&a, ledger, 2);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(
        out,
        "sale_id,list_price,eur_brl,price,hotmart,conversion,coproducer,producer,unallocated\n\
         S1,49.00,6.1834,302.99,32.50,4.54,66.49,199.46,0.00\n\
         S2,49.00,6.1834,302.99,32.50,4.54,66.49,199.46,0.00\n\
         S3,100.00,5.5,550.00,56.95,8.25,121.20,363.60,0.00\n"
    );
    assert!(s.reconciliation.holds);
    // A semicolon file with decimal commas in the rate.
    let (out, rejects, _) = run(&a, "sale_id;list_price;eur_brl\nS1;49,00;6,1834\n", 1);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(
        out.lines().nth(1),
        Some("S1,49.00,6.1834,302.99,32.50,4.54,66.49,199.46,0.00")
    );
    // A rate in another pair of currencies is the row's error.
    let (_, rejects, _) = run(&a, "sale_id,list_price,eur_brl\nS1,49.00,6.18 USD/EUR\n", 1);
    assert_eq!(
        codes(&rejects),
        [(2, Some("S1"), "splitdsl::batch::bad_value")]
    );

    let a = agreement(SUBSCRIPTION);
    let ledger = "sale_id,list_price,coupon,renewal,months\n\
                  A,29.90,,,\n\
                  B,29.90,10.00,false,1\n\
                  C,29.90,0.00,true,13\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(
        out,
        "sale_id,list_price,coupon,renewal,months,price,hotmart,first_click,last_click,loyalty,producer,unallocated\n\
         A,29.90,0.00,false,1,29.90,3.46,3.17,7.40,0.00,15.87,0.00\n\
         B,29.90,10.00,false,1,19.90,2.47,2.09,4.88,0.00,10.46,0.00\n\
         C,29.90,0.00,true,13,29.90,3.46,0.79,1.85,1.00,22.80,0.00\n"
    );
}

#[test]
fn a_price_column_for_a_computed_price_is_an_error_not_an_override() {
    let (code, text) = fatal_code(
        &agreement(CURRENCY),
        &[],
        "sale_id,price,list_price,eur_brl\nS1,100.00,49.00,6.1834\n",
    );
    assert_eq!(code, "splitdsl::batch::computed_price");
    assert!(
        text.contains("price is computed from")
            && text.contains("`list_price`")
            && text.contains("`eur_brl`"),
        "{text}"
    );
    let (code, text) = fatal_code(&agreement(SUBSCRIPTION), &[], "sale_id,price\nA,1.00\n");
    assert_eq!(code, "splitdsl::batch::computed_price");
    assert!(
        text.contains("`list_price`") && text.contains("`coupon`"),
        "{text}"
    );
    // Without any of the inputs the price is computed from, every row would
    // have the agreement's example price: the run stops.
    let (code, text) = fatal_code(&agreement(CURRENCY), &[], "sale_id,eur\nS1,1\n");
    assert_eq!(code, "splitdsl::batch::no_price");
    assert!(text.contains("`list_price`"), "{text}");
    // …unless `--set` gives one of them.
    let a = agreement(CURRENCY);
    let (out, rejects, _) = run_with(
        &a,
        &["list_price=10.00 EUR"],
        "sale_id\nS1\n",
        OutFormat::Csv,
        1,
    );
    assert!(rejects.is_empty());
    assert_eq!(
        out.lines().nth(1).map(|l| l.split(',').nth(1)),
        Some(Some("61.83"))
    );
}

#[test]
fn a_second_row_with_a_seen_id_is_rejected_with_both_lines() {
    let a = agreement(HOTMART);
    let ledger = "sale_id,kind,price\n\
                  S1,sale,100.00\n\
                  S2,sale,10.00\n\
                  S1,sale,100.00\n\
                  S1,refund,100.00\n\
                  S2,chargeback,10.00\n\
                  S1,chargeback,100.00\n\
                  S9,refund,5.00\n\
                  ,sale,1.00\n\
                  ,sale,1.00\n";
    for threads in [1, 3] {
        let (out, rejects, s) = run(&a, ledger, threads);
        assert_eq!(
            codes(&rejects),
            [
                (4, Some("S1"), "splitdsl::batch::duplicate_id"),
                (7, Some("S1"), "splitdsl::batch::duplicate_id"),
            ]
        );
        let m = &rejects[0].diagnostic.message;
        assert!(m.contains("line 2"), "{m}");
        assert!(rejects[1].diagnostic.message.contains("line 5"));
        assert_eq!(out.lines().count(), 1 + 7);
        // The refund of a sale that is not in the file settles, with a warning.
        let st = &s.statement;
        assert_eq!((st.sales, st.refunds, st.chargebacks), (4, 2, 1));
        assert_eq!(st.orphans.len(), 1);
        assert_eq!((st.orphans[0].line, st.orphans[0].id.as_str()), (8, "S9"));
        let table = st.table(&a.program, &s.reconciliation);
        assert!(
            table.contains("refund S9 (line 8): its sale is not in this ledger"),
            "{table}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&st.json(&a.program, &s.reconciliation)).unwrap();
        assert_eq!(json["warnings"][0]["line"], 8);
        assert_eq!(json["warnings"][0]["id"], "S9");
    }
}

#[test]
fn duplicate_ids_are_found_across_blocks_and_threads() {
    let a = agreement(TIERED);
    // About 1 MB: several blocks; the duplicates are far apart.
    let generated = ledger(30_000, 3);
    let (header, rows) = generated.split_at(37);
    let text = format!(
        "{header}A1,sale,10.00,1,first\nB1,refund,10.00,1,first\n{rows}\
         A1,sale,10.00,1,again\nB1,sale,10.00,1,the sale\nB1,chargeback,10.00,1,again\n"
    );
    let (one, rejects_one, s_one) = run(&a, &text, 1);
    assert_eq!(
        codes(&rejects_one),
        [
            (30_004, Some("A1"), "splitdsl::batch::duplicate_id"),
            (30_006, Some("B1"), "splitdsl::batch::duplicate_id"),
        ]
    );
    assert!(rejects_one[0].diagnostic.message.contains("line 2"));
    assert!(rejects_one[1].diagnostic.message.contains("line 3"));
    for threads in [2, 4] {
        let (many, rejects, s) = run(&a, &text, threads);
        assert!(many == one);
        assert_eq!(codes(&rejects), codes(&rejects_one));
        assert_eq!(s.statement, s_one.statement);
    }
}

#[test]
fn trailing_blank_lines_are_not_rows() {
    let a = agreement(HOTMART);
    let (out, rejects, s) = run(&a, "sale_id,price\nS1,1.00\n\n  \r\n\n", 1);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    assert_eq!(out.lines().count(), 2);
    assert_eq!(s.statement.settled(), 1);
    let (_, rejects, _) = run(&a, "sale_id,price\n\nS1,1.00\n\n", 2);
    assert_eq!(codes(&rejects), [(2, None, "splitdsl::batch::empty_line")]);
    let (_, rejects, _) = run(&a, "{\"sale_id\": \"S1\", \"price\": \"1.00\"}\n\n\n", 1);
    assert!(rejects.is_empty());
}

#[test]
fn an_empty_cell_takes_the_set_value_or_the_default() {
    let a = agreement(TIERED);
    let ledger =
        "sale_id,price,installments,affiliate_on\nA,100.00,,\nB,100.00,3,false\nC,100.00,,\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert!(rejects.is_empty(), "{:?}", rejects.first());
    // The value used is shown: the default 1 and true.
    assert_eq!(
        out,
        "sale_id,installments,affiliate_on,price,platform,installment_fee,affiliate,producer,unallocated\n\
         A,1,true,100.00,10.40,0.00,31.36,52.42,5.82\n\
         B,3,false,100.00,10.40,2.99,0.00,77.95,8.66\n\
         C,1,true,100.00,10.40,0.00,31.36,52.42,5.82\n"
    );
    let (out, _, _) = run_with(&a, &["installments=3"], ledger, OutFormat::Csv, 1);
    assert!(out.contains("\nC,3,true,100.00,10.40,2.99,"), "{out}");
    // An empty price has no default: the row is rejected, unless --set gives one.
    let (_, rejects, _) = run(&a, "sale_id,price\nA,\n", 1);
    assert_eq!(
        codes(&rejects),
        [(2, Some("A"), "splitdsl::batch::empty_value")]
    );
    let (out, rejects, _) = run_with(
        &a,
        &["price=50.00"],
        "sale_id,price\nA,\nB,10.00\n",
        OutFormat::Csv,
        1,
    );
    assert!(rejects.is_empty());
    assert!(
        out.contains("\nA,50.00,") && out.contains("\nB,10.00,"),
        "{out}"
    );
}

#[test]
fn json_lines_may_omit_optional_keys_but_not_repeat_one() {
    let a = agreement(TIERED);
    let ledger =
        "{\"sale_id\": \"A\", \"price\": \"100.00\", \"installments\": 3, \"kind\": \"sale\"}\n\
                  {\"sale_id\": \"B\", \"price\": \"100.00\"}\n\
                  {\"sale_id\": \"C\", \"price\": \"1.00\", \"price\": \"100.00\"}\n\
                  {\"sale_id\": \"D\", \"installments\": 2}\n\
                  {\"installments\": 2, \"sale_id\": \"E\", \"extra\": 1, \"price\": \"1.00\"}\n";
    let (out, rejects, _) = run_with(&a, &[], ledger, OutFormat::Jsonl, 1);
    assert_eq!(
        codes(&rejects),
        [
            (3, Some("C"), "splitdsl::batch::duplicate_key"),
            (4, Some("D"), "splitdsl::batch::missing_column"),
            (5, Some("E"), "splitdsl::batch::column_count"),
        ]
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["installments"], "3");
    assert_eq!(lines[0]["installment_fee"], "2.99");
    assert_eq!(lines[1]["installments"], "1");
    assert_eq!(lines[1]["kind"], "");
    assert_eq!(lines[1]["installment_fee"], "0.00");
}

#[test]
fn a_reject_shows_the_id_it_has() {
    let a = agreement(HOTMART);
    let (_, rejects, _) = run(
        &a,
        "sale_id,note,price\nS1,\"open,1.00\nS2,x\"y\"z,1.00\n",
        1,
    );
    assert_eq!(
        codes(&rejects),
        [(2, Some("S1"), "splitdsl::batch::bad_csv")]
    );
    let (_, rejects, _) = run(&a, "price,sale_id\n\"1.00,S1\n", 1);
    assert_eq!(codes(&rejects), [(2, None, "splitdsl::batch::bad_csv")]);
}

#[test]
fn the_statement_shows_refunds_and_chargebacks_apart() {
    let a = agreement(HOTMART);
    let ledger = "sale_id,kind,price\nS1,sale,100.00\nS2,sale,10.00\nS1,refund,100.00\nS2,chargeback,10.00\nS3,sale,47.10\n";
    let (_, rejects, s) = run(&a, ledger, 1);
    assert!(rejects.is_empty());
    let st = &s.statement;
    let price = st.lines[0];
    assert_eq!(
        (price.gross, price.refunds, price.chargebacks),
        (15710, -10000, -1000)
    );
    assert_eq!(price.net(), Some(4710));
    assert!(s.reconciliation.holds);
    let csv = String::from_utf8(st.csv(&a.program)).unwrap();
    assert!(csv.starts_with("kind,name,label,currency,count,gross,refunds,chargebacks,net\n"));
    assert!(
        csv.contains("\nprice,price,,USD,5,157.10,-100.00,-10.00,47.10\n"),
        "{csv}"
    );
    let table = st.table(&a.program, &s.reconciliation);
    assert!(table.contains("chargebacks"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&st.json(&a.program, &s.reconciliation)).unwrap();
    assert_eq!(json["lines"][0]["refunds"], "-100.00");
    assert_eq!(json["lines"][0]["chargebacks"], "-10.00");
}

#[test]
fn a_percent_in_a_money_cell_is_the_rows_error() {
    let a = agreement(TIERED);
    let ledger = "sale_id,price,installments\nA,50%,1\nB,100.00,35%\nC,12.5%,1\n";
    let (out, rejects, _) = run(&a, ledger, 1);
    assert_eq!(
        codes(&rejects),
        [
            (2, Some("A"), "splitdsl::batch::percent_money"),
            (4, Some("C"), "splitdsl::batch::percent_money"),
        ]
    );
    assert!(rejects[0].diagnostic.message.contains("`50%`"));
    // A percent where a number is expected is a number.
    assert_eq!(out.lines().count(), 2);
}

#[test]
fn a_repeated_key_on_the_first_json_line_rejects_that_line_only() {
    let a = agreement(HOTMART);
    let ledger = "{\"sale_id\": \"A\", \"price\": \"1.00\", \"price\": \"100.00\"}\n\
                  {\"sale_id\": \"B\", \"price\": \"100.00\"}\n\
                  {\"sale_id\": \"B\", \"price\": \"100.00\"}\n";
    for threads in [1, 2] {
        let (out, rejects, _) = run_with(&a, &[], ledger, OutFormat::Jsonl, threads);
        assert_eq!(
            codes(&rejects),
            [
                (1, Some("A"), "splitdsl::batch::duplicate_key"),
                (3, Some("B"), "splitdsl::batch::duplicate_id"),
            ]
        );
        assert_eq!(out.lines().count(), 1);
    }
}

/// Another format plugs in without touching settlement: a `Vec` of typed
/// records in (a record source written here), a `Vec` of settled rows out
/// (a record sink written here), and the numbers are the CSV path's.
mod other_formats {
    use super::*;
    use splitdsl::batch::{
        settle_records, Cell, Cells, Header, HeaderError, Kind, OutputColumns, ReadError, Record,
        RecordSink, RecordSource, SettledRow,
    };
    use splitdsl::value::{Currency, Value};

    /// One sale, typed: the price and installments as values, the rest text.
    #[derive(Clone)]
    struct Sale {
        line: u64,
        id: String,
        kind: String,
        price: Decimal,
        installments: Decimal,
        note: String,
    }

    /// Sales in memory, handed out in batches of `size`.
    struct VecSource {
        sales: std::vec::IntoIter<Sale>,
        size: usize,
    }

    impl RecordSource for VecSource {
        type Batch = Vec<Sale>;

        fn header(&mut self) -> Result<Header, HeaderError> {
            let names = ["sale_id", "kind", "price", "installments", "note"];
            Ok(Header {
                names: names.iter().map(|n| n.to_string()).collect(),
                ..Header::default()
            })
        }

        fn next_batch(&mut self) -> Result<Option<Vec<Sale>>, ReadError> {
            let batch: Vec<Sale> = self.sales.by_ref().take(self.size).collect();
            Ok((!batch.is_empty()).then_some(batch))
        }

        fn read<F: FnMut(Record<'_>)>(batch: &Vec<Sale>, cells: &mut Cells, mut each: F) {
            let usd = Currency::from_code("USD").unwrap();
            for s in batch {
                cells.clear();
                cells.push_text(s.id.as_bytes(), (0, 0));
                cells.push_text(s.kind.as_bytes(), (0, 0));
                cells.push_value(Value::Money(s.price, usd), (0, 0));
                cells.push_value(Value::Number(s.installments), (0, 0));
                cells.push_text(s.note.as_bytes(), (0, 0));
                each(Record {
                    line: s.line,
                    text: b"",
                    cells,
                    error: None,
                });
            }
        }
    }

    /// A settled row: line, kind, the passed columns as text, the amounts.
    type Row = (u64, Kind, Vec<String>, Vec<Decimal>);

    #[derive(Default)]
    struct VecSink {
        amounts: Vec<String>,
        rows: Vec<Row>,
        rejects: Vec<u64>,
        finished: Option<u64>,
    }

    enum Item {
        Row(Row),
        Reject(u64),
    }

    impl RecordSink for VecSink {
        type Format = ();
        type Part = Vec<Item>;

        fn start(&mut self, columns: &OutputColumns<'_>) -> std::io::Result<()> {
            self.amounts = columns.amounts.iter().map(|n| n.to_string()).collect();
            Ok(())
        }

        fn part(_: &(), _: u64) -> Vec<Item> {
            Vec::new()
        }

        fn row(_: &(), row: &SettledRow<'_>, part: &mut Vec<Item>) {
            let columns = row
                .columns()
                .map(|c| match c {
                    Cell::Text(t) | Cell::Json(t) => String::from_utf8_lossy(t).into_owned(),
                    Cell::Value(v) => v.to_string(),
                })
                .collect();
            let amounts = (0..row.amounts().len())
                .map(|k| row.amount(k).unwrap())
                .collect();
            assert!(row.requirements().iter().all(|h| *h));
            part.push(Item::Row((row.line(), row.kind(), columns, amounts)));
        }

        fn reject(_: &(), reject: &Reject, part: &mut Vec<Item>) {
            part.push(Item::Reject(reject.line));
        }

        fn write(&mut self, part: &mut Vec<Item>) -> std::io::Result<()> {
            for item in part.drain(..) {
                match item {
                    Item::Row(r) => self.rows.push(r),
                    Item::Reject(line) => self.rejects.push(line),
                }
            }
            Ok(())
        }

        fn finish(
            &mut self,
            statement: &Statement,
            _: &splitdsl::batch::Reconciliation,
        ) -> std::io::Result<()> {
            self.finished = Some(statement.settled());
            Ok(())
        }
    }

    use splitdsl::batch::Statement;

    /// The typed sales of a CSV ledger of `ledger`'s columns.
    fn sales_of(text: &str) -> Vec<Sale> {
        text.lines()
            .skip(1)
            .enumerate()
            .map(|(k, l)| {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(l.as_bytes());
                let rec = r.records().next().unwrap().unwrap();
                Sale {
                    line: k as u64 + 2,
                    id: rec[0].to_string(),
                    kind: rec[1].to_string(),
                    price: d(&rec[2]),
                    installments: d(&rec[3]),
                    note: rec[4].to_string(),
                }
            })
            .collect()
    }

    #[test]
    fn tiny_batches_on_many_threads_come_out_in_input_order() {
        // Thousands of batches of a few rows: the workers take turns to
        // read, write each other's chunks and settle each other's batches
        // read ahead, in every interleaving the scheduler makes.
        let a = agreement(TIERED);
        let mut text = ledger(3_000, 21);
        text.push_str("S000003,sale,10.00,1,again\nS999999,sale,-1.00,1,negative\n");
        let sales = sales_of(&text);
        let settle_in = |threads: usize, size: usize| {
            let source = VecSource {
                sales: sales.clone().into_iter(),
                size,
            };
            let mut sink = VecSink::default();
            let mut rejects: Vec<Reject> = Vec::new();
            let s = settle_records(&a, &a.inputs(), source, &mut sink, threads, &mut rejects)
                .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));
            let heard: Vec<u64> = rejects.iter().map(|r| r.line).collect();
            (sink.rows, sink.rejects, heard, s.statement.csv(&a.program))
        };
        let one = settle_in(1, 1_000);
        assert_eq!(one.0.len() + one.1.len(), sales.len());
        assert_eq!(one.1, [3_002, 3_003]);
        for threads in [2, 3, 8] {
            for size in [1, 2, 7] {
                for round in 0..3 {
                    let many = settle_in(threads, size);
                    assert!(
                        many == one,
                        "threads {threads}, batches of {size}, round {round}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_vec_source_and_sink_settle_to_the_numbers_of_the_csv_path() {
        let a = agreement(TIERED);
        let mut text = ledger(500, 7);
        // A repeated id and a price the agreement refuses (a negative one).
        text.push_str("S000003,sale,10.00,1,again\nS999999,sale,-1.00,1,negative\n");
        let (out, csv_rejects, csv_settlement) = run(&a, &text, 2);
        let sales = sales_of(&text);
        for threads in [1, 3] {
            let source = VecSource {
                sales: sales.clone().into_iter(),
                size: 37,
            };
            let mut sink = VecSink::default();
            let mut rejects: Vec<Reject> = Vec::new();
            let settlement =
                settle_records(&a, &a.inputs(), source, &mut sink, threads, &mut rejects)
                    .unwrap_or_else(|f| panic!("fatal: {:?}", f.diagnostic()));

            // The same rows, in the same order, with the same amounts.
            let mut r = csv::Reader::from_reader(out.as_bytes());
            let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
            let csv_rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
            assert_eq!(sink.rows.len(), csv_rows.len());
            assert_eq!(
                &headers[headers.len() - sink.amounts.len()..],
                &sink.amounts[..]
            );
            for ((line, kind, columns, amounts), rec) in sink.rows.iter().zip(&csv_rows) {
                assert_eq!(columns[0], &rec[0], "line {line}");
                let reversal = matches!(kind, Kind::Refund | Kind::Chargeback);
                assert_eq!(reversal, matches!(&rec[1], "refund" | "chargeback"));
                let csv_amounts: Vec<Decimal> = rec
                    .iter()
                    .skip(headers.len() - amounts.len())
                    .map(d)
                    .collect();
                assert_eq!(amounts, &csv_amounts, "line {line}");
            }
            // The same rejects, told to the observer and to the sink.
            let lines = |rs: &[Reject]| rs.iter().map(|r| r.line).collect::<Vec<_>>();
            assert_eq!(lines(&rejects), lines(&csv_rejects));
            assert_eq!(sink.rejects, lines(&csv_rejects));
            assert_eq!(codes(&rejects), codes(&csv_rejects), "threads {threads}");
            assert_eq!(rejects.len(), 2);
            // The same statement, reconciled.
            let p = &a.program;
            assert_eq!(settlement.statement.csv(p), csv_settlement.statement.csv(p));
            assert_eq!(settlement.reconciliation, csv_settlement.reconciliation);
            assert!(settlement.reconciliation.holds);
            assert_eq!(sink.finished, Some(settlement.statement.settled()));
        }
    }
}

#[test]
fn inputs_made_for_another_agreement_are_refused_before_reading() {
    // The public settlement takes the API's checked inputs; inputs of one
    // agreement never settle another's ledger.
    let a = agreement(HOTMART);
    let b = agreement(HOTMART);
    let mut out = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let r = settle(
        &a,
        &b.inputs(),
        "sale_id,price\nS1,100.00\n".as_bytes(),
        &mut out,
        OutFormat::Csv,
        1,
        &mut rejects,
    );
    let (d, _) = r.expect_err("refused").diagnostic();
    assert_eq!(d.code.as_str(), "splitdsl::input::other_agreement");
    assert!(out.is_empty());
}
