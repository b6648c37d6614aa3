//! `splitdsl diff OLD NEW`: a transcript of each form, run with the built
//! binary, against figures computed by hand (docs/language.md section 7.6).
//!
//! The fixtures: `examples/hotmart.split` (OLD) and `examples/hotmart-v2.split`
//! (NEW: the affiliate 30% of net instead of 35%, a new editor taking
//! `editor_rate` (2%) of net, the co-producer 12% of what remains instead
//! of 10%); `tests/diff/same-money.split` (whitespace edits, and `net`
//! rewritten to the same value); `tests/diff/broken.split` (an unknown name).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

const OLD: &str = "examples/hotmart.split";
const NEW: &str = "examples/hotmart-v2.split";

fn splitdsl() -> Command {
    let mut c = Command::cargo_bin("splitdsl").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// Exit status, stdout, stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = splitdsl().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn scratch(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The statements of NEW against OLD, as the table shows them.
const V2_STATEMENTS: &str = "\
Statements: 2 added, 0 removed, 3 changed
           kind   name         OLD                         NEW
  changed  share  affiliate    \"Ana\" = 35% of net          \"Ana\" = 30% of net
  changed  share  coproducer   \"Bruno\" = 10% of remaining  \"Bruno\" = 12% of remaining
  added    input  editor_rate  —                           2%
  added    share  editor       —                           \"Dora\" = editor_rate of net
  changed  example  the help center's worked example
    OLD  { given price = 100.00 USD; expect hotmart = 10.40 USD; expect affiliate = 31.36 USD; expect coproducer = 5.82 USD; expect producer = 52.42 USD }
    NEW  { given price = 100.00 USD; expect hotmart = 10.40 USD; expect affiliate = 26.88 USD; expect editor = 1.79 USD; expect coproducer = 7.31 USD; expect producer = 53.62 USD }
";

#[test]
fn statements_only_money_identical() {
    // Whitespace-only edits are no change; `net = -hotmart + price` is a
    // changed formula that gives the same money: every difference is 0.00.
    let (code, out, err) = run(&["diff", OLD, "tests/diff/same-money.split"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "\
OLD examples/hotmart.split
NEW tests/diff/same-money.split

Statements: 0 added, 0 removed, 1 changed
           kind  name  OLD              NEW
  changed  cell  net   price - hotmart  -hotmart + price

One sale (the defaults): price 100.00 USD → 100.00 USD
  (USD)                                 before  after  difference
  fee          hotmart     Hotmart fee   10.40  10.40        0.00
  share        affiliate   Ana           31.36  31.36        0.00
  share        coproducer  Bruno          5.82   5.82        0.00
  share        producer    Carla         52.42  52.42        0.00
  unallocated                             0.00   0.00        0.00
  ✓ → ✓  the main producer keeps at least 30% of the net revenue
"
    );
    assert_eq!(err, "");
    // A file against itself: nothing at all changed.
    let (code, out, _) = run(&["diff", OLD, OLD]);
    assert_eq!(code, 0);
    assert!(out.contains("Statements: 0 added, 0 removed, 0 changed\n\nOne sale"));
}

#[test]
fn one_sale_at_the_defaults() {
    // At 100.00: hotmart 9.9% × 100 + 0.50 = 10.40, net 89.60 on both sides.
    // NEW: affiliate 30% × 89.60 = 26.88 → 62.72; editor 2% × 89.60 = 1.792
    // → 1.79 → 60.93; coproducer 12% × 60.93 = 7.3116 → 7.31 → 53.62; the
    // producer 53.62. OLD: 31.36, 5.82, 52.42 (docs/language.md section 2).
    let (code, out, err) = run(&["diff", OLD, NEW]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "\
OLD examples/hotmart.split
NEW examples/hotmart-v2.split

{V2_STATEMENTS}
One sale (the defaults): price 100.00 USD → 100.00 USD
  (USD)                                 before  after  difference
  fee          hotmart     Hotmart fee   10.40  10.40        0.00
  share        affiliate   Ana           31.36  26.88       -4.48
  share        editor      Dora              —   1.79       +1.79  only in NEW
  share        coproducer  Bruno          5.82   7.31       +1.49
  share        producer    Carla         52.42  53.62       +1.20
  unallocated                             0.00   0.00        0.00
  ✓ → ✓  the main producer keeps at least 30% of the net revenue
"
        )
    );
    assert_eq!(err, "");
}

#[test]
fn set_applies_to_both_and_notes_a_one_sided_input() {
    // price 50: hotmart 4.95 + 0.50 = 5.45, net 44.55.
    // OLD: affiliate 35% = 15.5925 → 15.59 → 28.96; coproducer 2.896 → 2.90;
    //      producer 26.06.
    // NEW (editor_rate 5%, which only NEW has): affiliate 30% = 13.365 →
    //      13.37 (half up) → 31.18; editor 5% × 44.55 = 2.2275 → 2.23 →
    //      28.95; coproducer 12% × 28.95 = 3.474 → 3.47 → 25.48; producer 25.48.
    let (code, out, err) = run(&[
        "diff",
        OLD,
        NEW,
        "--set",
        "editor_rate=5%",
        "--set",
        "price=50",
    ]);
    assert_eq!(code, 0, "{err}");
    let sale = out.split("\nOne sale").nth(1).unwrap();
    assert_eq!(
        sale,
        " (--set editor_rate=5% --set price=50): price 50.00 USD → 50.00 USD
  note: `--set editor_rate=5%` applies to NEW only: OLD has no input `editor_rate`
  (USD)                                 before  after  difference
  fee          hotmart     Hotmart fee    5.45   5.45        0.00
  share        affiliate   Ana           15.59  13.37       -2.22
  share        editor      Dora              —   2.23       +2.23  only in NEW
  share        coproducer  Bruno          2.90   3.47       +0.57
  share        producer    Carla         26.06  25.48       -0.58
  unallocated                             0.00   0.00        0.00
  ✓ → ✓  the main producer keeps at least 30% of the net revenue
"
    );
}

#[test]
fn sales_csv_totals_before_and_after() {
    // tests/diff/sales.csv: S1 100.00, S2 200.00, S1's refund, S3 `abc`
    // (rejected by both, reported once), S4 50.00.
    // OLD affiliate: 31.36 + 62.90 − 31.36 + 15.59 = 78.49;
    // NEW affiliate: 26.88 + 53.91 − 26.88 + 13.37 = 67.28 (200: net 179.70,
    // 30% = 53.91); editor 1.79 + 3.59 − 1.79 + 0.89 = 4.48;
    // coproducer OLD 5.82 + 11.68 − 5.82 + 2.90 = 14.58,
    //            NEW 7.31 + 14.66 − 7.31 + 3.63 = 18.29;
    // producer   OLD 52.42 + 105.12 − 52.42 + 26.06 = 131.18,
    //            NEW 53.62 + 107.54 − 53.62 + 26.66 = 134.20.
    let (code, out, err) = run(&["diff", OLD, NEW, "--sales", "tests/diff/sales.csv"]);
    assert_eq!(code, 0, "{err}");
    let ledger = out.split("\nLedger").nth(1).unwrap();
    assert_eq!(
        ledger,
        " tests/diff/sales.csv: 5 rows; rejected: 1 by OLD, 1 by NEW
  (USD)                    before   after  difference  rows changed
  price                    250.00  250.00        0.00             0
  fee          hotmart      25.75   25.75        0.00             0
  share        affiliate    78.49   67.28      -11.21             4
  share        editor           —    4.48       +4.48             4  only in NEW
  share        coproducer   14.58   18.29       +3.71             4
  share        producer    131.18  134.20       +3.02             4
  unallocated                0.00    0.00        0.00             0
"
    );
    // The bad row, once, with its line and id.
    assert_eq!(
        err.matches("splitdsl::batch::bad_value").count(),
        1,
        "{err}"
    );
    assert!(err.contains("tests/diff/sales.csv, line 5 (S3)"), "{err}");
    // The ledger also comes as JSON Lines.
    let jsonl = scratch(
        "sales.jsonl",
        "{\"sale_id\":\"S1\",\"price\":\"100.00\"}\n{\"sale_id\":\"S2\",\"price\":\"200.00\"}\n",
    );
    let (code, out, err) = run(&[
        "diff",
        OLD,
        NEW,
        "--sales",
        jsonl.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let affiliate = &j["sales"]["parties"][2];
    assert_eq!(affiliate["name"], "affiliate");
    assert_eq!(affiliate["before"]["amount"], "94.26"); // 31.36 + 62.90
    assert_eq!(affiliate["after"]["amount"], "80.79"); // 26.88 + 53.91
    assert_eq!(affiliate["difference"]["amount"], "-13.47");
}

#[test]
fn json_has_the_documented_shape() {
    let (code, out, err) = run(&[
        "diff",
        OLD,
        NEW,
        "--sales",
        "tests/diff/sales.csv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["old"], OLD);
    assert_eq!(j["new"], NEW);
    assert_eq!(j["notes"], serde_json::json!([]));
    let st = &j["statements"];
    assert_eq!(
        st["added"],
        serde_json::json!([
            {"kind": "input", "name": "editor_rate", "formula": "2%"},
            {"kind": "share", "name": "editor", "formula": "\"Dora\" = editor_rate of net"},
        ])
    );
    assert_eq!(st["removed"], serde_json::json!([]));
    assert_eq!(
        st["changed"][0],
        serde_json::json!({"kind": "share", "name": "affiliate", "old": "\"Ana\" = 35% of net", "new": "\"Ana\" = 30% of net"})
    );
    assert_eq!(st["changed"].as_array().unwrap().len(), 3);
    let sale = &j["sale"];
    assert_eq!(
        sale["price"],
        serde_json::json!({"before": {"amount": "100.00", "currency": "USD"}, "after": {"amount": "100.00", "currency": "USD"}})
    );
    assert_eq!(
        sale["parties"][1],
        serde_json::json!({
            "name": "affiliate", "kind": "share", "label": "Ana",
            "before": {"amount": "31.36", "currency": "USD"},
            "after": {"amount": "26.88", "currency": "USD"},
            "difference": {"amount": "-4.48", "currency": "USD"},
        })
    );
    assert_eq!(sale["parties"][2]["name"], "editor");
    assert_eq!(sale["parties"][2]["before"], serde_json::Value::Null);
    assert_eq!(sale["parties"][2]["difference"]["amount"], "1.79");
    assert_eq!(sale["parties"][5]["kind"], "unallocated");
    assert_eq!(
        sale["requirements"],
        serde_json::json!([{"message": "the main producer keeps at least 30% of the net revenue", "before": true, "after": true}])
    );
    let sales = &j["sales"];
    assert_eq!(sales["rows"], 5);
    assert_eq!(sales["rejected"], serde_json::json!({"old": 1, "new": 1}));
    assert_eq!(
        sales["parties"][5],
        serde_json::json!({
            "name": "producer", "kind": "share",
            "before": {"amount": "131.18", "currency": "USD"},
            "after": {"amount": "134.20", "currency": "USD"},
            "difference": {"amount": "3.02", "currency": "USD"},
            "changed": 4,
        })
    );
    // Without --sales, `sales` is null.
    let (_, out, _) = run(&["diff", OLD, NEW, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["sales"], serde_json::Value::Null);
}

#[test]
fn an_error_in_either_file_exits_1() {
    let (code, out, err) = run(&["diff", OLD, "tests/diff/broken.split"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("splitdsl::name::unknown"), "{err}");
    assert!(err.contains("tests/diff/broken.split:2:26"), "{err}");
    // Both files' errors are shown.
    let (code, _, err) = run(&["diff", "tests/diff/broken.split", "tests/diff/broken.split"]);
    assert_eq!(code, 1);
    assert_eq!(err.matches("splitdsl::name::unknown").count(), 2, "{err}");
    // An input neither side has.
    let (code, out, err) = run(&["diff", OLD, NEW, "--set", "nope=1"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("splitdsl::input::unknown"), "{err}");
    // A value only NEW refuses (its price is in BRL): the error says so.
    let brl = scratch("brl.split", "price = 100.00 BRL\nshare p = remaining\n");
    let (code, out, err) = run(&[
        "diff",
        OLD,
        brl.to_str().unwrap(),
        "--set",
        "price=10.00 USD",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("splitdsl::input::kind_mismatch"), "{err}");
    assert!(err.contains("[--set (for NEW):1:7]"), "{err}");
    // Without the --set, the two load: exit 0; amounts in two currencies
    // have no difference.
    let (code, out, err) = run(&["diff", OLD, brl.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rest = j["sale"]["parties"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(rest["before"]["currency"], "USD");
    assert_eq!(rest["after"]["currency"], "BRL");
    assert_eq!(rest["difference"], serde_json::Value::Null);
    // A ledger without the price column.
    let bad = scratch("no-price.csv", "sale_id,amount\nS1,10.00\n");
    let (code, out, err) = run(&["diff", OLD, NEW, "--sales", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("splitdsl::batch::no_price"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["diff", OLD][..],
        &["diff", OLD, "tests/diff/nope.split"],
        &["diff", "tests/diff/nope.split", NEW],
        &["diff", OLD, NEW, "--format", "csv"],
        &["diff", OLD, NEW, "--set", "price"],
        &["diff", OLD, NEW, "--sales", "tests/diff/nope.csv"],
        &["diff", OLD, NEW, "--bogus"],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(out, "", "{args:?}");
        assert!(!err.is_empty(), "{args:?}");
    }
}

/// Σ of each amount column of `splitdsl run FILE --sales LEDGER`'s CSV output.
fn run_sales_sums(file: &str, ledger: &str) -> HashMap<String, Decimal> {
    let (_, out, _) = run(&["run", file, "--sales", ledger]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut sums: HashMap<String, Decimal> = HashMap::new();
    for line in lines {
        for (name, cell) in header.iter().zip(line.split(',')).skip(2) {
            *sums.entry(name.to_string()).or_default() += Decimal::from_str(cell).unwrap();
        }
    }
    sums
}

#[test]
fn sales_totals_are_the_sums_of_run_sales() {
    // A ledger of 400 rows: varied prices, refunds and chargebacks of
    // earlier sales, and a few bad rows.
    let mut ledger = String::from("sale_id,kind,price\n");
    let mut seed: u64 = 7;
    for i in 0..400u64 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let cents = (seed >> 33) % 100_000 + 1;
        let price = format!("{}.{:02}", cents / 100, cents % 100);
        match i % 37 {
            5 => ledger.push_str(&format!("S{},refund,{price}\n", i - 3)),
            11 => ledger.push_str(&format!("S{},chargeback,{price}\n", i - 7)),
            23 => ledger.push_str(&format!("S{i},,-{price}\n")),
            _ => ledger.push_str(&format!("S{i},,{price}\n")),
        }
    }
    let path = scratch("ledger.csv", &ledger);
    let path = path.to_str().unwrap();
    let before = run_sales_sums(OLD, path);
    let after = run_sales_sums(NEW, path);
    let (code, out, err) = run(&["diff", OLD, NEW, "--sales", path, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["sales"]["rows"], 400);
    let parties = j["sales"]["parties"].as_array().unwrap();
    assert_eq!(parties.len(), 7);
    for p in parties {
        let name = p["name"].as_str().unwrap();
        let amount = |side: &str| {
            p[side]["amount"]
                .as_str()
                .map(|a| Decimal::from_str(a).unwrap())
        };
        assert_eq!(amount("before"), before.get(name).copied(), "{name}");
        assert_eq!(amount("after"), after.get(name).copied(), "{name}");
    }
    assert!(j["sales"]["rejected"]["old"].as_u64().unwrap() > 0);
}

/// A row one side rejects (here a requirement only NEW has) counts as
/// zero on that side: it changes the totals and the count of every party
/// with an amount on the other side.
#[test]
fn a_row_one_side_rejects() {
    use splitdsl::Agreement;
    let old = Agreement::compile(
        "old.split",
        "price = 10.00 USD\nshare a = 50% of price\nshare p = remaining\n",
    )
    .unwrap();
    let new = Agreement::compile(
        "new.split",
        "price = 10.00 USD\nfee f = 1.00 USD\nshare a = 50% of price\nshare p = remaining\n\
         require p >= 4.00 USD \"p keeps 4.00\"\n",
    )
    .unwrap();
    let ledger = "price\n10.00\n8.00\n12.00\n";
    let mut rejects: Vec<(u64, bool, bool)> = Vec::new();
    let d = splitdsl::diff::sales(
        &old,
        &old.raw_inputs(),
        &new,
        &new.raw_inputs(),
        ledger.as_bytes(),
        &mut rejects,
    )
    .unwrap();
    // 8.00 under NEW: f 1.00, a 4.00, p 3.00 < 4.00: rejected by NEW only.
    assert_eq!(rejects, vec![(3, false, true)]);
    assert_eq!((d.rows, d.rejected_old, d.rejected_new), (3, 0, 1));
    let by_name: HashMap<&str, &splitdsl::diff::PartyTotal> =
        d.parties.iter().map(|p| (p.name.as_str(), p)).collect();
    // Parties: price, then f (NEW's first deduction, before a), a, p, the rest.
    let names: Vec<&str> = d.parties.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["price", "f", "a", "p", "unallocated"]);
    let a = by_name["a"];
    // OLD: 5.00 + 4.00 + 6.00; NEW: 5.00 + 6.00 (the 8.00 row rejected).
    assert_eq!(a.before.unwrap().to_string(), "15.00 USD");
    assert_eq!(a.after.unwrap().to_string(), "11.00 USD");
    assert_eq!(a.changed, 1);
    let f = by_name["f"];
    assert_eq!(f.before, None);
    assert_eq!(f.after.unwrap().to_string(), "2.00 USD");
    assert_eq!(f.difference().unwrap().to_string(), "2.00 USD");
    assert_eq!(f.changed, 2);
    // p: OLD 5.00 + 4.00 + 6.00 = 15.00; NEW 4.00 + 5.00 = 9.00; every row changed.
    assert_eq!(by_name["p"].after.unwrap().to_string(), "9.00 USD");
    assert_eq!(by_name["p"].changed, 3);
    assert_eq!(by_name["price"].changed, 1);
}

/// Statements are matched by kind and name; requirements by message, else
/// by place among those without one; a fee that becomes a share is one
/// removed and one added.
#[test]
fn statement_matching() {
    use splitdsl::Agreement;
    let old = Agreement::compile(
        "old.split",
        "rounding half_up\nprice = 10.00 USD\nfee x = 1.00 USD\nshare p = remaining\n\
         require p >= 1.00 USD\nrequire p >= 2.00 USD\nrequire p > 0.00 USD \"positive\"\n",
    )
    .unwrap();
    let new = Agreement::compile(
        "new.split",
        "rounding half_even\nprice = 10.00 USD\nshare x = 1.00 USD\nshare p   =   remaining\n\
         require p > 0.00 USD \"positive\"\nrequire p >= 1.00 USD\nrequire p >= 3.00 USD\n",
    )
    .unwrap();
    let st = splitdsl::diff::statements(&old, &new);
    let kinds = |v: &[splitdsl::diff::Entry]| {
        v.iter()
            .map(|e| format!("{} {}", e.kind, e.name.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&st.added), ["share x"]);
    assert_eq!(kinds(&st.removed), ["fee x"]);
    let changed: Vec<(String, String, String)> = st
        .changed
        .iter()
        .map(|c| {
            (
                format!("{} {}", c.kind, c.name.clone().unwrap_or_default()),
                c.old.clone(),
                c.new.clone(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("rounding ".into(), "half_up".into(), "half_even".into()),
            (
                "require #2".into(),
                "p >= 2.00 USD".into(),
                "p >= 3.00 USD".into()
            ),
        ]
    );
}

/// A quoted field that spans lines: the next row's line is still right.
#[test]
fn lines_after_a_quoted_newline() {
    use splitdsl::Agreement;
    let old = Agreement::load(std::path::Path::new(OLD)).unwrap();
    let new = Agreement::load(std::path::Path::new(NEW)).unwrap();
    let ledger = "sale_id,note,price\nS1,\"two\nlines\",100.00\nS2,x,abc\n";
    let mut rejects: Vec<(u64, bool, bool)> = Vec::new();
    let d = splitdsl::diff::sales(
        &old,
        &old.raw_inputs(),
        &new,
        &new.raw_inputs(),
        ledger.as_bytes(),
        &mut rejects,
    )
    .unwrap();
    assert_eq!(rejects, vec![(4, true, true)]);
    assert_eq!(d.rows, 2);
    assert_eq!(d.parties[2].after.unwrap().to_string(), "26.88 USD");
}

/// A JSON Lines key that may be missing on one side only (an input with a
/// default in NEW, a passed column in OLD): a row without it is rejected by
/// OLD, as `run --sales` with OLD rejects it, and settled by NEW.
#[test]
fn a_key_missing_on_one_side() {
    use splitdsl::Agreement;
    let old = Agreement::compile(
        "old.split",
        "price = 10.00 USD\nshare a = 50% of price\nshare p = remaining\n",
    )
    .unwrap();
    let new = Agreement::compile(
        "new.split",
        "price = 10.00 USD\ninput bonus = 0.00 USD\nshare a = 50% of price + bonus\nshare p = remaining\n",
    )
    .unwrap();
    let ledger = "{\"price\": \"10.00\", \"bonus\": \"1.00\"}\n{\"price\": \"8.00\"}\n";
    let mut rejects: Vec<(u64, bool, bool)> = Vec::new();
    let d = splitdsl::diff::sales(
        &old,
        &old.raw_inputs(),
        &new,
        &new.raw_inputs(),
        ledger.as_bytes(),
        &mut rejects,
    )
    .unwrap();
    assert_eq!(rejects, vec![(2, true, false)]);
    assert_eq!((d.rows, d.rejected_old, d.rejected_new), (2, 1, 0));
    let a = d.parties.iter().find(|p| p.name == "a").unwrap();
    // OLD: 5.00 (the second row rejected); NEW: 6.00 + 4.00.
    assert_eq!(a.before.unwrap().to_string(), "5.00 USD");
    assert_eq!(a.after.unwrap().to_string(), "10.00 USD");
    // run --sales with OLD agrees.
    let mut old_rejects: Vec<splitdsl::batch::Reject> = Vec::new();
    let s = splitdsl::batch::settle(
        &old,
        &old.inputs(),
        ledger.as_bytes(),
        std::io::sink(),
        splitdsl::batch::OutFormat::Csv,
        1,
        &mut old_rejects,
    )
    .unwrap();
    assert_eq!(s.statement.rejected, 1);
    assert_eq!(old_rejects[0].line, 2);
    assert_eq!(
        old_rejects[0].diagnostic.code,
        "splitdsl::batch::missing_column"
    );
}
