//! Never lose a file: an output that names an input or another output is a
//! usage error before anything is read or written, and outputs are replaced
//! atomically, so a failed run leaves the previous file as it was. Every test
//! runs the built binary in a temporary folder.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // runs the binary

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const LEDGER: &str = "sale_id,price\nA,100.00\nB,47.10\n";
const OUT: &str = "sale_id,price,hotmart,affiliate,coproducer,producer,unallocated\n\
                   A,100.00,10.40,31.36,5.82,52.42,0.00\n\
                   B,47.10,5.16,14.68,2.73,24.53,0.00\n";

fn hotmart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split")
}

/// `splitdsl` run inside `dir`.
fn splitdsl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("splitdsl").unwrap();
    c.env("NO_COLOR", "1").current_dir(dir);
    c
}

/// A folder holding `sales.csv` and a copy of the hotmart agreement.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sales.csv"), LEDGER).unwrap();
    std::fs::copy(hotmart(), dir.path().join("a.split")).unwrap();
    dir
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

/// The names in `dir`, sorted (to see that no temporary file is left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `run a.split --sales sales.csv ARGS` in `dir` and expects a usage
/// error (exit 2) that leaves every file of the folder as it was.
fn refused(dir: &Path, args: &[&str], says: &str) {
    let before: Vec<(String, Vec<u8>)> = listing(dir)
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    let a = splitdsl(dir)
        .args(["run", "a.split", "--sales", "sales.csv"])
        .args(args)
        .assert()
        .code(2)
        .stdout("");
    let err = stderr(&a);
    assert!(err.contains(says), "{args:?}: {err}");
    let after: Vec<(String, Vec<u8>)> = listing(dir)
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    assert_eq!(before, after, "{args:?} changed the folder");
}

#[test]
fn out_naming_the_ledger_is_refused_and_the_ledger_is_untouched() {
    let dir = folder();
    refused(dir.path(), &["--out", "sales.csv"], "the ledger");
    assert_eq!(
        std::fs::read(dir.path().join("sales.csv")).unwrap(),
        LEDGER.as_bytes()
    );
}

#[test]
fn the_same_ledger_spelled_differently_is_refused() {
    let dir = folder();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let absolute = dir.path().join("sales.csv").display().to_string();
    for out in ["./sales.csv", "sub/../sales.csv", absolute.as_str()] {
        refused(dir.path(), &["--out", out], "the ledger");
        refused(dir.path(), &["--rejects", out], "the ledger");
        refused(dir.path(), &["--statement", out], "the ledger");
    }
}

#[test]
fn a_hard_link_to_the_ledger_is_refused() {
    let dir = folder();
    std::fs::hard_link(dir.path().join("sales.csv"), dir.path().join("link.csv")).unwrap();
    refused(dir.path(), &["--out", "link.csv"], "the ledger");
    refused(dir.path(), &["--statement", "link.csv"], "the ledger");
}

#[cfg(unix)]
#[test]
fn a_symlink_to_the_ledger_is_refused() {
    let dir = folder();
    std::os::unix::fs::symlink("sales.csv", dir.path().join("sym.csv")).unwrap();
    refused(dir.path(), &["--out", "sym.csv"], "the ledger");
    refused(dir.path(), &["--rejects", "sym.csv"], "the ledger");
    // A symlinked folder is the same folder: a file that does not exist yet
    // is compared by its real folder and its name.
    std::os::unix::fs::symlink(".", dir.path().join("here")).unwrap();
    refused(
        dir.path(),
        &["--out", "new.csv", "--rejects", "here/new.csv"],
        "--rejects",
    );
}

#[test]
fn an_output_naming_the_agreement_is_refused() {
    let dir = folder();
    let agreement = std::fs::read(dir.path().join("a.split")).unwrap();
    refused(dir.path(), &["--statement", "./a.split"], "the agreement");
    refused(dir.path(), &["--out", "a.split"], "the agreement");
    assert_eq!(
        std::fs::read(dir.path().join("a.split")).unwrap(),
        agreement
    );
    // One sale: `--svg` over the agreement.
    splitdsl(dir.path())
        .args(["run", "a.split", "--svg", "a.split"])
        .assert()
        .code(2)
        .stdout("");
    assert_eq!(
        std::fs::read(dir.path().join("a.split")).unwrap(),
        agreement
    );
}

#[test]
fn two_outputs_naming_one_file_are_refused() {
    let dir = folder();
    // Neither exists yet: compared by real folder and name.
    refused(
        dir.path(),
        &["--out", "x.csv", "--rejects", "./x.csv"],
        "--rejects",
    );
    refused(
        dir.path(),
        &["--rejects", "r.csv", "--statement", "r.csv"],
        "--statement",
    );
    assert!(!dir.path().join("x.csv").exists());
    assert!(!dir.path().join("r.csv").exists());
    // Both exist, as a hard link.
    std::fs::write(dir.path().join("old.csv"), "keep me\n").unwrap();
    std::fs::hard_link(dir.path().join("old.csv"), dir.path().join("old2.csv")).unwrap();
    refused(
        dir.path(),
        &["--out", "old.csv", "--statement", "old2.csv"],
        "--statement",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("old.csv")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn a_failed_run_leaves_earlier_outputs_byte_identical() {
    let dir = folder();
    // A ledger that fails half-way: good rows, then a record with an
    // unclosed quote that runs on far past the 16 MiB a record may take
    // (the reader looks ahead in doubling steps, so 40 MiB).
    let mut ledger = b"sale_id,price\nA,100.00\nB,47.10\nC,\"".to_vec();
    ledger.resize(ledger.len() + 40 * 1024 * 1024, b'x');
    std::fs::write(dir.path().join("bad.csv"), &ledger).unwrap();
    let olds = [
        ("out.csv", "the previous per-sale rows\n"),
        ("rejects.csv", "the previous rejects\n"),
        ("statement.csv", "the previous statement\n"),
    ];
    for (name, text) in olds {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let before = listing(dir.path());
    let a = splitdsl(dir.path())
        .args(["run", "a.split", "--sales", "bad.csv", "--out", "out.csv"])
        .args(["--rejects", "rejects.csv", "--statement", "statement.csv"])
        .args(["--threads", "1"])
        .assert()
        .code(1)
        .stdout("");
    assert!(stderr(&a).contains("longer than"), "{}", stderr(&a));
    for (name, text) in olds {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).unwrap(),
            text,
            "{name}"
        );
    }
    assert_eq!(listing(dir.path()), before, "no temporary file is left");
}

#[test]
fn a_successful_run_replaces_the_outputs_whole() {
    let dir = folder();
    std::fs::write(dir.path().join("out.csv"), "x".repeat(10_000)).unwrap();
    splitdsl(dir.path())
        .args(["run", "a.split", "--sales", "sales.csv", "--out", "out.csv"])
        .args(["--rejects", "rejects.csv", "--statement", "st.csv"])
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
        OUT
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rejects.csv")).unwrap(),
        "line,id,code,reason,help,record\n"
    );
    assert!(std::fs::read_to_string(dir.path().join("st.csv"))
        .unwrap()
        .starts_with("kind,name,label,currency,count,gross,refunds,chargebacks,net\n"));
    assert_eq!(
        listing(dir.path()),
        ["a.split", "out.csv", "rejects.csv", "sales.csv", "st.csv"]
    );
}

#[test]
fn out_dash_is_stdout() {
    let dir = folder();
    splitdsl(dir.path())
        .args(["run", "a.split", "--sales", "sales.csv", "--out", "-"])
        .assert()
        .success()
        .stdout(OUT);
    assert!(!dir.path().join("-").exists());
    // From stdin to stdout.
    splitdsl(dir.path())
        .args(["run", "a.split", "--sales", "-", "--out", "-"])
        .write_stdin(LEDGER)
        .assert()
        .success()
        .stdout(OUT);
    assert_eq!(
        listing(dir.path()),
        ["a.split", "sales.csv"],
        "no file named `-`"
    );
}

#[test]
fn dash_is_only_stdout_for_out() {
    let dir = folder();
    refused(dir.path(), &["--rejects", "-"], "--rejects");
    refused(dir.path(), &["--statement", "-"], "--statement");
    assert!(!dir.path().join("-").exists());
}

#[cfg(unix)]
#[test]
fn an_output_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let dir = folder();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/out.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("real/out.csv", dir.path().join("out.csv")).unwrap();
    splitdsl(dir.path())
        .args(["run", "a.split", "--sales", "sales.csv", "--out", "out.csv"])
        .assert()
        .success();
    assert!(std::fs::symlink_metadata(dir.path().join("out.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real/out.csv")).unwrap(),
        OUT
    );
}

#[cfg(unix)]
#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder();
    let f = dir.path().join("messy.split");
    std::fs::write(&f, "price = 1.00 USD\nshare   p = remaining\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    splitdsl(dir.path())
        .args(["fmt", "messy.split"])
        .assert()
        .success()
        .stdout("formatted messy.split\n");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "price = 1.00 USD\nshare p = remaining\n"
    );
    let mode = std::fs::metadata(&f).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(listing(dir.path()), ["a.split", "messy.split", "sales.csv"]);
}

#[test]
fn svg_is_written_whole() {
    let dir = folder();
    std::fs::write(dir.path().join("w.svg"), "old").unwrap();
    splitdsl(dir.path())
        .args(["run", "a.split", "--svg", "w.svg"])
        .assert()
        .success();
    let svg = std::fs::read_to_string(dir.path().join("w.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // An evaluation that fails leaves the earlier image alone.
    splitdsl(dir.path())
        .args(["run", "a.split", "--svg", "w.svg", "--set", "price=-"])
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("w.svg")).unwrap(),
        svg
    );
}
