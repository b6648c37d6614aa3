//! `splitdsl run FILE --sales …` end to end, against the built binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;
use std::path::Path;

const HOTMART: &str = "examples/hotmart.split";

fn splitdsl() -> Command {
    let mut c = Command::cargo_bin("splitdsl").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

const LEDGER: &str = "sale_id,date,price,kind\n\
                      S1,2025-01-01,100.00,sale\n\
                      S2,2025-01-02,12.3x,sale\n\
                      S3,2025-01-03,100.00,refund\n\
                      S4,2025-01-04,200.00 USD,\n";

#[test]
fn settles_a_ledger_into_files() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write(dir.path(), "sales.csv", LEDGER);
    let out = dir.path().join("out.csv").display().to_string();
    let rejects = dir.path().join("rejects.csv").display().to_string();
    let statement = dir.path().join("statement.csv").display().to_string();
    let assert = splitdsl()
        .args(["run", HOTMART, "--sales", &sales, "--out", &out])
        .args([
            "--rejects",
            &rejects,
            "--statement",
            &statement,
            "--threads",
            "2",
        ])
        .assert()
        .code(1)
        .stdout("");
    assert_eq!(
        read(&out),
        "sale_id,date,kind,price,hotmart,affiliate,coproducer,producer,unallocated\n\
         S1,2025-01-01,sale,100.00,10.40,31.36,5.82,52.42,0.00\n\
         S3,2025-01-03,refund,-100.00,-10.40,-31.36,-5.82,-52.42,0.00\n\
         S4,2025-01-04,,200.00,20.30,62.90,11.68,105.12,0.00\n"
    );
    assert_eq!(
        read(&rejects),
        "line,id,code,reason,help,record\n\
         3,S2,splitdsl::batch::bad_value,\"`price` is money in USD, but the cell holds `12.3x`\",\
         write e.g. `100.00` or `100.00 USD`,\"S2,2025-01-02,12.3x,sale\"\n"
    );
    assert_eq!(
        read(&statement),
        "kind,name,label,currency,count,gross,refunds,chargebacks,net\n\
         price,price,,USD,3,300.00,-100.00,0.00,200.00\n\
         fee,hotmart,Hotmart fee,USD,3,30.70,-10.40,0.00,20.30\n\
         share,affiliate,Ana,USD,3,94.26,-31.36,0.00,62.90\n\
         share,coproducer,Bruno,USD,3,17.50,-5.82,0.00,11.68\n\
         share,producer,Carla,USD,3,157.54,-52.42,0.00,105.12\n\
         unallocated,unallocated,,USD,3,0.00,0.00,0.00,0.00\n"
    );
    // stderr holds results only: the summary, the reconciliation, the count of rejects.
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(
        err,
        format!(
            "3 rows settled (2 sales, 1 refund, 0 chargebacks), 1 rejected\n\
             ⚠ refund S3 (line 4): its sale is not in this ledger\n\
             ✓ reconciled: price 200.00 USD = fees 20.30 + shares 179.70 + unallocated 0.00 USD\n\
             ✗ 1 row rejected: see {rejects}\n"
        )
    );
}

#[test]
fn reads_stdin_and_writes_stdout_with_the_statement_on_stderr() {
    let assert = splitdsl()
        .args(["run", HOTMART, "--sales", "-", "--threads", "1"])
        .write_stdin("sale_id,price\nA,100.00\nB,47.10\n")
        .assert()
        .success()
        .stdout(
            "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
             A,100.00,10.40,31.36,5.82,52.42,0.00\n\
             B,47.10,5.16,14.68,2.73,24.53,0.00\n",
        );
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.starts_with("Statement — Online marketing course, in USD: 2 rows settled"));
    assert!(err.contains(
        "  share        producer     Carla            2   76.95     0.00         0.00   76.95\n"
    ));
    assert!(err.ends_with(
        "✓ reconciled: price 147.10 USD = fees 15.56 + shares 131.54 + unallocated 0.00 USD\n"
    ));
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no progress bar off a terminal"
    );
}

#[test]
fn rejected_rows_go_to_stderr_as_diagnostics_without_a_rejects_file() {
    let assert = splitdsl()
        .args(["run", HOTMART, "--sales", "-"])
        .write_stdin("sale_id,price\nA,100.00\n\nC,1.00 XYZ\n")
        .assert()
        .code(1)
        .stdout(
            "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
             A,100.00,10.40,31.36,5.82,52.42,0.00\n",
        );
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("<stdin>, line 3: the line is empty"), "{err}");
    assert!(
        err.contains("<stdin>, line 4 (C): `XYZ` is not an ISO 4217 currency code"),
        "{err}"
    );
    assert!(
        err.contains("[<stdin>:4:3]"),
        "the row is shown at its line: {err}"
    );
    assert!(err.contains("✗ 2 rows rejected (shown above)"), "{err}");
}

#[test]
fn json_lines_out_and_a_json_statement() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write(
        dir.path(),
        "sales.jsonl",
        "{\"id\": 1, \"price\": \"100.00\"}\n",
    );
    let statement = dir.path().join("st.json").display().to_string();
    splitdsl()
        .args(["run", HOTMART, "--sales", &sales, "--format", "jsonl"])
        .args(["--statement", &statement])
        .assert()
        .success()
        .stdout(
            "{\"id\":1,\"price\":\"100.00\",\"hotmart\":\"10.40\",\"affiliate\":\"31.36\",\
             \"coproducer\":\"5.82\",\"producer\":\"52.42\",\"unallocated\":\"0.00\"}\n",
        );
    let st: serde_json::Value = serde_json::from_str(&read(&statement)).unwrap();
    assert_eq!(st["currency"], "USD");
    assert_eq!(st["rows"]["settled"], 1);
    assert_eq!(st["lines"][1]["name"], "hotmart");
    assert_eq!(st["lines"][1]["net"], "10.40");
    assert_eq!(st["reconciliation"]["holds"], true);
}

#[test]
fn the_output_format_follows_the_out_name_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write(dir.path(), "sales.csv", "id,price\n1,100.00\n");
    let jsonl = "{\"id\":\"1\",\"price\":\"100.00\",\"hotmart\":\"10.40\",\"affiliate\":\"31.36\",\
                 \"coproducer\":\"5.82\",\"producer\":\"52.42\",\"unallocated\":\"0.00\"}\n";
    let csv = "id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
               1,100.00,10.40,31.36,5.82,52.42,0.00\n";
    for (name, format, want) in [
        ("out.jsonl", None, jsonl),
        ("out.NDJSON", None, jsonl),
        ("out.csv", None, csv),
        ("out.txt", None, csv),
        ("forced.jsonl", Some("csv"), csv),
        ("forced.csv", Some("jsonl"), jsonl),
    ] {
        let out = dir.path().join(name).display().to_string();
        let mut cmd = splitdsl();
        cmd.args(["run", HOTMART, "--sales", &sales, "--out", &out]);
        if let Some(f) = format {
            cmd.args(["--format", f]);
        }
        cmd.assert().success();
        assert_eq!(read(&out), want, "{name} {format:?}");
    }
}

#[test]
fn set_overrides_every_row() {
    splitdsl()
        .args(["run", HOTMART, "--sales", "-", "--set", "price=10.00 USD"])
        .write_stdin("sale_id\nA\nB\n")
        .assert()
        .success()
        .stdout(
            "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
             A,10.00,1.49,2.98,0.55,4.98,0.00\n\
             B,10.00,1.49,2.98,0.55,4.98,0.00\n",
        );
}

#[test]
fn a_bad_header_stops_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let sales = write(dir.path(), "sales.csv", "sale_id,prise\nA,1\n");
    let out = dir.path().join("out.csv");
    let assert = splitdsl()
        .args(["run", HOTMART, "--sales", &sales])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("the ledger has no `price` column"), "{err}");
    assert!(err.contains("did you mean the column `prise`?"), "{err}");
    assert!(!out.exists(), "no output file for a ledger that cannot run");
}

#[test]
fn a_missing_ledger_is_a_diagnostic() {
    let assert = splitdsl()
        .args(["run", HOTMART, "--sales", "no/such/ledger.csv"])
        .assert()
        .code(1)
        .stdout("");
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("cannot read the ledger `no/such/ledger.csv`"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_and_run_without_sales_is_unchanged() {
    for args in [
        vec!["run", HOTMART, "--out", "x.csv"],
        vec!["run", HOTMART, "--threads", "2"],
        vec!["run", HOTMART, "--sales", "-", "--threads", "0"],
        vec!["run", HOTMART, "--sales", "-", "--format", "table"],
        vec!["run", HOTMART, "--format", "jsonl"],
    ] {
        splitdsl().args(&args).assert().code(2).stdout("");
    }
    let stdout = |args: &[&str]| {
        let a = splitdsl().args(args).assert().success();
        String::from_utf8(a.get_output().stdout.clone()).unwrap()
    };
    assert!(stdout(&["run", HOTMART, "--format", "csv"]).contains("share,producer,Carla,52.42,USD"));
    assert!(stdout(&["run", HOTMART]).contains("Online marketing course — sale of 100.00 USD"));
}

#[test]
fn a_semicolon_ledger_with_decimal_commas_and_a_forced_delimiter() {
    let ok = |args: &[&str], stdin: &str| {
        let a = splitdsl()
            .args(["run", HOTMART, "--sales", "-"])
            .args(args)
            .write_stdin(stdin.to_string())
            .assert()
            .success();
        String::from_utf8(a.get_output().stdout.clone()).unwrap()
    };
    let want = "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
                A,100.00,10.40,31.36,5.82,52.42,0.00\n";
    assert_eq!(ok(&[], "sale_id;price\nA;100,00\n"), want);
    assert_eq!(ok(&["--delimiter", ";"], "sale_id;price\nA;100,00\n"), want);
    assert_eq!(
        ok(&["--delimiter", "tab"], "sale_id\tprice\nA\t100.00\n"),
        want
    );
    assert_eq!(
        ok(&["--delimiter", "\\t"], "sale_id\tprice\nA\t100.00\n"),
        want
    );
    // A comma forced on a `;` ledger: no `price` column, nothing runs.
    splitdsl()
        .args(["run", HOTMART, "--sales", "-", "--delimiter", ","])
        .write_stdin("sale_id;price\nA;100,00\n")
        .assert()
        .code(1)
        .stdout("");
    for bad in [
        vec!["run", HOTMART, "--sales", "-", "--delimiter", "|"],
        vec!["run", HOTMART, "--delimiter", ";"],
    ] {
        splitdsl()
            .args(&bad)
            .write_stdin("")
            .assert()
            .code(2)
            .stdout("");
    }
    // A decimal comma in a comma-separated ledger is the row's error, and says so.
    let a = splitdsl()
        .args(["run", HOTMART, "--sales", "-"])
        .write_stdin("sale_id,price\nA,\"100,00\"\n")
        .assert()
        .code(1);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("splitdsl::batch::decimal_comma"), "{err}");
    assert!(
        err.contains("decimal comma: use `100.00`, or a `;`-separated file"),
        "{err}"
    );
}

#[test]
fn a_computed_price_and_duplicates_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let statement = dir.path().join("st.csv").display().to_string();
    let a = splitdsl()
        .args(["run", "examples/currency.split", "--sales", "-", "--threads", "2"])
        .args(["--statement", &statement])
        .write_stdin(
            "sale_id;list_price;eur_brl;kind\n\
             S1;49,00;6,1834;sale\n\
             S1;49,00;6,1834;sale\n\
             S1;49,00;6,1834;chargeback\n\
             S2;10,00;6,1834;refund\n\n\n",
        )
        .assert()
        .code(1)
        .stdout(
            "sale_id,list_price,eur_brl,kind,price,hotmart,conversion,coproducer,producer,unallocated\n\
             S1,49.00,6.1834,sale,302.99,32.50,4.54,66.49,199.46,0.00\n\
             S1,49.00,6.1834,chargeback,-302.99,-32.50,-4.54,-66.49,-199.46,0.00\n\
             S2,10.00,6.1834,refund,-61.83,-8.62,-0.93,-13.07,-39.21,0.00\n",
        );
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("line 3 (S1): the `sale_id` `S1` is already the sale at line 2"),
        "{err}"
    );
    assert!(
        err.contains("⚠ refund S2 (line 5): its sale is not in this ledger\n"),
        "{err}"
    );
    assert!(
        err.contains("3 rows settled (1 sale, 1 refund, 1 chargeback), 1 rejected"),
        "{err}"
    );
    assert!(read(&statement).contains("\nprice,price,,BRL,3,302.99,-61.83,-302.99,-61.83\n"));
    // A `price` column would override the formula: the run stops before writing.
    let a = splitdsl()
        .args(["run", "examples/currency.split", "--sales", "-"])
        .write_stdin("sale_id,price,list_price\nS1,1.00,49.00\n")
        .assert()
        .code(1)
        .stdout("");
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("price is computed from `list_price` and `eur_brl`"),
        "{err}"
    );
}
