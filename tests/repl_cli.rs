//! The REPL and `explain` through the binary: piped sessions print only
//! answers on stdout and diagnostics on stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;

fn splitdsl() -> Command {
    let mut c = Command::cargo_bin("splitdsl").expect("the binary");
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn piped_what_if_prints_only_the_answer() {
    let out = splitdsl()
        .args(["repl", "examples/hotmart.split"])
        .write_stdin("what if price = 200.00 USD\n")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("  (USD)"),
        "no prompt or banner: {stdout}"
    );
    assert!(
        stdout.contains("share producer    Carla        52.42 105.12     +52.70"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "no colour");
    assert!(out.stderr.is_empty());
}

#[test]
fn piped_errors_go_to_stderr_and_the_session_goes_on() {
    let out = splitdsl()
        .args(["repl", "examples/hotmart.split"])
        .write_stdin("produce\nset price = 197\nproducer\n")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stdout.ends_with("103.54 USD\n"), "{stdout}");
    assert!(stderr.contains("unknown name `produce`"), "{stderr}");
    assert!(stderr.contains("<repl>:1:1"), "against the line: {stderr}");
    assert!(!stderr.contains('\x1b'));
}

#[test]
fn piped_bare_commands_print_their_usage_and_take_no_next_line() {
    let out = splitdsl()
        .args(["repl", "examples/hotmart.split"])
        .write_stdin("what if\nproducer\nsolve\nexplain\nset\ncoproducer\n")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("usage: what if NAME = VALUE"),
        "{stdout}"
    );
    assert_eq!(
        lines[2], "52.42 USD",
        "the next line is its own entry: {stdout}"
    );
    assert!(
        lines[3].starts_with("usage: solve NAME so that"),
        "{stdout}"
    );
    assert!(lines[5].starts_with("usage: explain NAME"), "{stdout}");
    assert!(lines[7].starts_with("usage: set NAME = VALUE"), "{stdout}");
    assert_eq!(lines[9], "5.82 USD", "{stdout}");
}

#[test]
fn piped_multi_line_entries() {
    let out = splitdsl()
        .args(["repl", "examples/hotmart.split"])
        .write_stdin("affiliate +\n  coproducer\nmin(\n producer,\n 10.00 USD)\n")
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "37.18 USD\n10.00 USD\n"
    );
}

#[test]
fn repl_on_a_broken_file_fails() {
    splitdsl()
        .args(["repl", "no/such/file.split"])
        .write_stdin("")
        .assert()
        .code(1);
}

#[test]
fn explain_prints_the_derivation() {
    let out = splitdsl()
        .args(["explain", "examples/hotmart.split", "coproducer"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        stdout.contains("10% of remaining = 5.824 USD, rounded half_up: 5.824 → 5.82 USD"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pool: 58.24 USD before, 52.42 USD after"),
        "{stdout}"
    );
}

#[test]
fn explain_with_set_and_unknown_names() {
    let out = splitdsl()
        .args([
            "explain",
            "examples/hotmart.split",
            "producer",
            "--set",
            "price=197",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("producer = 103.54 USD"), "{stdout}");
    assert!(
        stdout.contains("price = 197.00 USD  [input, set to 197.00 USD; line 4 says 100.00 USD]"),
        "{stdout}"
    );
    let out = splitdsl()
        .args(["explain", "examples/hotmart.split", "produser"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `producer`?"));
    splitdsl()
        .args(["explain", "examples/hotmart.split"])
        .assert()
        .code(2);
}
