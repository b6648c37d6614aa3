//! End-to-end tests of the built `splitdsl` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;
use std::io::Write;

fn splitdsl() -> Command {
    let mut c = Command::cargo_bin("splitdsl").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn stdout(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("splitdsl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content)
        .unwrap();
    path
}

#[test]
fn run_prints_the_language_md_breakdown() {
    let (code, out, err) = stdout(splitdsl().args(["run", "examples/hotmart.split"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Online marketing course — sale of 100.00 USD
  fee    hotmart     Hotmart fee   10.40 USD   10.40%   remaining 89.60
  share  affiliate   Ana           31.36 USD   31.36%   remaining 58.24
  share  coproducer  Bruno          5.82 USD    5.82%   remaining 52.42
  share  producer    Carla         52.42 USD   52.42%   remaining  0.00
  unallocated                       0.00 USD    0.00%
  ✓ the main producer keeps at least 30% of the net revenue
"
    );
    assert!(err.is_empty());
}

#[test]
fn run_json_is_the_contract() {
    let (code, out, _) =
        stdout(splitdsl().args(["run", "examples/hotmart.split", "--format", "json"]));
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["deductions"][2]["amount"], "5.82");
    assert_eq!(j["deductions"][3]["remaining"], "0.00");
    assert_eq!(j["unallocated"]["amount"], "0.00");
}

#[test]
fn run_csv() {
    let (code, out, _) =
        stdout(splitdsl().args(["run", "examples/hotmart.split", "--format", "csv"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "kind,name,label,amount,currency,share_of_price,remaining"
    );
    assert_eq!(lines[1], "fee,hotmart,Hotmart fee,10.40,USD,10.40%,89.60");
    assert_eq!(lines[5], "unallocated,,,0.00,USD,0.00%,0.00");
}

#[test]
fn run_with_set() {
    let (code, out, _) = stdout(splitdsl().args([
        "run",
        "examples/hotmart.split",
        "--set",
        "price=197.00 USD",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 9.9% of 197 + 0.50 = 20.003 → 20.00; net 177.00; 35% → 61.95; 10% of 115.05 → 11.51 (11.505 half up).
    assert_eq!(j["deductions"][0]["amount"], "20.00");
    assert_eq!(j["deductions"][1]["amount"], "61.95");
    assert_eq!(j["deductions"][2]["amount"], "11.51");
    assert_eq!(j["deductions"][3]["amount"], "103.54");
    // A bare number takes the input's currency.
    let (code, out2, _) = stdout(splitdsl().args([
        "run",
        "examples/hotmart.split",
        "--set",
        "price=197",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0);
    assert_eq!(out, out2);
}

#[test]
fn bad_set_is_a_diagnostic() {
    let (code, out, err) =
        stdout(splitdsl().args(["run", "examples/hotmart.split", "--set", "pric=1"]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("the agreement has no input `pric`"), "{err}");
    assert!(err.contains("did you mean `price`?"), "{err}");
}

#[test]
fn failed_requirement_exits_1_and_shows_values() {
    let src = b"price = 100.00 USD\nshare a = 80% of price\nshare p = remaining\nrequire p >= 30% of price \"producer keeps 30%\"\n";
    let f = temp_file("req.split", src);
    let (code, out, err) = stdout(splitdsl().arg("run").arg(&f));
    assert_eq!(code, 1);
    assert!(
        out.contains("✗ producer keeps 30% (`p` = 20.00 USD, `30% of price` = 30.00 USD)"),
        "{out}"
    );
    assert!(
        err.contains("requirement not met: producer keeps 30%"),
        "{err}"
    );
    let (code, out, _) = stdout(splitdsl().arg("run").arg(&f).args(["--format", "json"]));
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["requirements"][0]["holds"], false);
}

#[test]
fn file_errors_exit_1_with_nothing_on_stdout() {
    let f = temp_file(
        "bad.split",
        b"price = 100.00 USD\nshare a = 10% of nett\nshare p = remaining\n",
    );
    let (code, out, err) = stdout(splitdsl().arg("run").arg(&f).args(["--format", "json"]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("unknown name `nett`"), "{err}");
    assert!(err.contains("bad.split:2:18"), "{err}");
    assert!(!err.contains('\u{1b}'), "colour with NO_COLOR: {err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(stdout(splitdsl().args(["run"])).0, 2);
    assert_eq!(
        stdout(splitdsl().args(["run", "examples/hotmart.split", "--bogus"])).0,
        2
    );
    assert_eq!(stdout(splitdsl().args(["frobnicate"])).0, 2);
    assert_eq!(stdout(splitdsl().args(["check"])).0, 2);
    assert_eq!(stdout(splitdsl().args(["--version"])).0, 0);
}

#[test]
fn check_many_files() {
    let bad = temp_file(
        "two.split",
        b"price = 1.00 USD\nx = 1.00 USD + 1.00 BRL\ny = nope\n",
    );
    let (code, out, err) = stdout(
        splitdsl()
            .args(["check", "examples/hotmart.split"])
            .arg(&bad),
    );
    assert_eq!(code, 1);
    assert!(out.contains("examples/hotmart.split: ok"), "{out}");
    assert!(out.contains("two.split: 2 errors"), "{out}");
    assert!(err.contains("`+` mixes USD and BRL"), "{err}");
    assert!(err.contains("unknown name `nope`"), "{err}");
}

#[test]
fn check_warnings_exit_0() {
    let f = temp_file("warn.split", b"price = 1.00 USD\nshare a = 50% of price\n");
    let (code, out, err) = stdout(splitdsl().arg("check").arg(&f));
    assert_eq!(code, 0);
    assert!(out.contains("ok, 1 warning"), "{out}");
    assert!(err.contains("can leave money unallocated"), "{err}");
}

#[test]
fn check_json() {
    let f = temp_file("j.split", b"price = 1.00 USD\nx = nope\n");
    let (code, out, _) = stdout(splitdsl().arg("check").arg(&f).args(["--format", "json"]));
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["code"], "splitdsl::name::unknown");
    assert_eq!(j[0]["severity"], "error");
    assert_eq!(j[0]["spans"][0]["line"], 2);
    assert_eq!(j[0]["spans"][0]["column"], 5);
}

#[test]
fn test_command_passes_and_fails() {
    let (code, out, _) = stdout(
        splitdsl()
            .arg("test")
            .args(["examples/hotmart.split", "examples/coproduction.split"]),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 passed, 0 failed"), "{out}");
    let f = temp_file(
        "failing.split",
        b"price = 100.00 USD\nshare p = remaining\nexample \"wrong\" {\n  given price = 10.00 USD\n  expect p = 11.00 USD\n}\n",
    );
    let (code, out, _) = stdout(splitdsl().arg("test").arg(&f));
    assert_eq!(code, 1);
    assert!(out.contains("✗ wrong"), "{out}");
    assert!(out.contains("line 5: expect p = 11.00 USD"), "{out}");
    assert!(out.contains("expected 11.00 USD"), "{out}");
    assert!(out.contains("actual   10.00 USD"), "{out}");
    assert!(out.contains("0 passed, 1 failed"), "{out}");
}

#[test]
fn unreadable_inputs_are_diagnostics() {
    let bin = temp_file("bin.split", &[0x7f, b'E', b'L', b'F', 0, 1, 2]);
    let (code, _, err) = stdout(splitdsl().arg("check").arg(&bin));
    assert_eq!(code, 1);
    assert!(err.contains("is a binary file"), "{err}");
    let latin1 = temp_file("latin1.split", b"price = 1.00 USD # caf\xe9\n");
    let (code, _, err) = stdout(splitdsl().arg("check").arg(&latin1));
    assert_eq!(code, 1);
    assert!(err.contains("not UTF-8"), "{err}");
    let (code, _, err) = stdout(splitdsl().args(["check", "examples"]));
    assert_eq!(code, 1);
    assert!(err.contains("is a directory"), "{err}");
    let (code, _, err) = stdout(splitdsl().args(["run", "no/such/file.split"]));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read"), "{err}");
    let empty = temp_file("empty.split", b"");
    let (code, _, err) = stdout(splitdsl().arg("check").arg(&empty));
    assert_eq!(code, 1);
    assert!(err.contains("no `price`"), "{err}");
}

#[test]
fn every_example_runs_and_tests_from_the_binary() {
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "split") {
            continue; // examples/embed.rs
        }
        let (code, _, err) = stdout(splitdsl().arg("run").arg(&path));
        assert_eq!(code, 0, "{}: {err}", path.display());
        let (code, out, _) = stdout(splitdsl().arg("test").arg(&path));
        assert_eq!(code, 0, "{}: {out}", path.display());
    }
}

#[test]
fn set_without_equals_is_a_usage_error() {
    for cmd in [
        vec!["run", "examples/hotmart.split", "--set", "price"],
        vec![
            "run",
            "examples/hotmart.split",
            "--sales",
            "-",
            "--set",
            "price",
        ],
        vec![
            "explain",
            "examples/hotmart.split",
            "producer",
            "--set",
            "price",
        ],
    ] {
        let a = splitdsl().args(&cmd).assert().code(2).stdout("");
        assert!(
            String::from_utf8_lossy(&a.get_output().stderr).contains("NAME=VALUE"),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&a.get_output().stderr)
        );
    }
}

#[test]
fn a_percent_is_not_money_in_set() {
    for value in ["price=50%", "price=-(50%)", "price=50% + 1"] {
        let a = splitdsl()
            .args(["run", "examples/hotmart.split", "--set", value])
            .assert()
            .code(1)
            .stdout("");
        assert!(
            String::from_utf8_lossy(&a.get_output().stderr).contains("is a percent"),
            "{value}: {}",
            String::from_utf8_lossy(&a.get_output().stderr)
        );
    }
    // A plain number is still money in the input's currency.
    let a = splitdsl()
        .args([
            "run",
            "examples/hotmart.split",
            "--set",
            "price=197",
            "--format",
            "csv",
        ])
        .assert()
        .success();
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(out.contains("fee,hotmart,Hotmart fee,20.00,USD"), "{out}");
}

#[test]
fn a_percent_is_not_money_in_the_repl_set_either() {
    let out = splitdsl()
        .args(["repl", "examples/hotmart.split"])
        .write_stdin("set price = 50%\nprice\nset price = 20\nprice\n")
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        err.contains("`price` is money in USD, but this is a percent"),
        "{err}"
    );
    assert!(out.starts_with("100.00 USD\n"), "price unchanged: {out}");
    assert!(
        out.ends_with("20.00 USD\n"),
        "a plain number is money: {out}"
    );
}
