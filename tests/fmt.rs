//! `splitdsl fmt`: snapshots of messy inputs, idempotence, and the promise
//! that formatting never changes what a file means.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "cli")]
use assert_cmd::Command;
use splitdsl::fmt::{format_source, is_formatted, strip_spans};
use splitdsl::report;
use splitdsl::syntax::parse;
use splitdsl::Agreement;
use std::path::{Path, PathBuf};

fn split_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "split"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .split files in {dir}");
    files
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn comments(src: &str) -> Vec<String> {
    parse(src)
        .0
        .comments
        .iter()
        .map(|c| c.text(src).trim_end().to_string())
        .collect()
}

/// What a file means: the JSON report of its default sale, or its diagnostics.
fn meaning(src: &str) -> String {
    match Agreement::compile_failure("x.split", src) {
        Ok(a) => match a.evaluate_outcome(&a.raw_inputs()) {
            Ok(out) => report::json(&a.program, &out),
            Err(d) => format!("evaluation error: {}", d.message),
        },
        Err(f) => f
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn assert_safe(name: &str, src: &str) {
    let out = format_source(src).unwrap_or_else(|d| panic!("{name}: {d:?}"));
    // Idempotent.
    assert_eq!(
        format_source(&out).unwrap(),
        out,
        "{name}: fmt(fmt(x)) != fmt(x)"
    );
    // Same tree, spans aside.
    let (a, da) = parse(src);
    let (b, db) = parse(&out);
    assert!(da.is_empty() && db.is_empty(), "{name}: {da:?} {db:?}");
    assert_eq!(strip_spans(&a), strip_spans(&b), "{name}: the tree changed");
    // Same comments, in the same order.
    assert_eq!(comments(src), comments(&out), "{name}: comments changed");
    // Same evaluation (or the same errors).
    assert_eq!(meaning(src), meaning(&out), "{name}: the meaning changed");
}

#[test]
fn messy_inputs_snapshots() {
    for path in split_files("tests/fmt") {
        let src = read(&path);
        let out = format_source(&src).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("fmt_{stem}"), out);
    }
}

#[test]
fn formatting_keeps_meaning_and_is_idempotent() {
    for path in split_files("tests/fmt")
        .into_iter()
        .chain(split_files("examples"))
    {
        assert_safe(&path.display().to_string(), &read(&path));
    }
}

#[test]
fn messy_inputs_all_mean_something() {
    // The property above is only worth something if the inputs evaluate.
    for path in split_files("tests/fmt") {
        let m = meaning(&read(&path));
        assert!(m.starts_with('{'), "{}: {m}", path.display());
    }
}

#[test]
fn shipped_examples_are_formatted() {
    for path in split_files("examples") {
        assert!(
            is_formatted(&read(&path)).unwrap(),
            "{} is not formatted: run `splitdsl fmt {}`",
            path.display(),
            path.display()
        );
    }
}

#[test]
fn literals_keep_their_digits() {
    let src = "price = 100.00USD\nx = 1_000.50 + 0.10 + 35% + 9.90%\nr = 5.20  BRL /USD\n";
    let out = format_source(src).unwrap();
    assert_eq!(
        out,
        "price = 100.00 USD\nx = 1_000.50 + 0.10 + 35% + 9.90%\nr = 5.20 BRL/USD\n"
    );
}

#[test]
fn strings_are_re_escaped() {
    let src = "agreement \"a \\\"quoted\\\" back\\\\slash\\ttab\\nline\"\nprice = 1.00 USD\n";
    let out = format_source(src).unwrap();
    assert_eq!(out, src);
    assert_safe("escapes", src);
}

#[test]
fn crlf_bom_and_trailing_space() {
    let src = "\u{FEFF}price = 1.00 USD   # c  \r\n\r\n\r\nshare p = remaining\r\n";
    let out = format_source(src).unwrap();
    assert_eq!(out, "price = 1.00 USD   # c\n\nshare p = remaining\n");
    assert_safe("crlf", src);
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format_source("").unwrap(), "");
    assert_eq!(format_source("\n\n  \n").unwrap(), "");
    assert_eq!(
        format_source("\n# one\n\n\n   # two\n").unwrap(),
        "# one\n\n# two\n"
    );
}

#[test]
fn trailing_comment_column() {
    // Kept at its column when the code fits, else two spaces after the code.
    let out = format_source("x=1          # far\nyy = 1+2+3 # near\n").unwrap();
    assert_eq!(out, "x = 1        # far\nyy = 1 + 2 + 3  # near\n");
}

#[test]
fn syntax_errors_are_refused() {
    let err = format_source("price = 100.00 USD\nfee x = \nshare p = remaining\n").unwrap_err();
    assert!(err.iter().any(|d| d.is_error()));
    assert!(is_formatted("price = = 1").is_err());
}

#[test]
fn deep_nesting_formats() {
    // As deep as the parser accepts, on a stack as big as the binary's.
    let depth = splitdsl::syntax::MAX_DEPTH - 1;
    let src = format!(
        "price = {}1.00 USD{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let out = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || format_source(&src).map(|out| out == src))
        .unwrap()
        .join()
        .unwrap();
    assert!(out.unwrap(), "the deepest file must format to itself");
}

// ---------------------------------------------------------------- command line

#[cfg(feature = "cli")]
fn bin() -> Command {
    Command::cargo_bin("splitdsl").unwrap()
}

#[cfg(feature = "cli")]
#[test]
fn cli_check_shows_a_diff_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.split");
    let messy = "price=10.00USD\nshare p=remaining\n";
    std::fs::write(&file, messy).unwrap();
    let out = bin().arg("fmt").arg("--check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("-price=10.00USD"), "{stdout}");
    assert!(stdout.contains("+price = 10.00 USD"), "{stdout}");
    assert_eq!(read(&file), messy);
}

#[cfg(feature = "cli")]
#[test]
fn cli_rewrites_then_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.split");
    std::fs::write(&file, "price=10.00USD\nshare p=remaining\n").unwrap();
    bin().arg("fmt").arg(&file).assert().success();
    assert_eq!(read(&file), "price = 10.00 USD\nshare p = remaining\n");
    bin()
        .arg("fmt")
        .arg("--check")
        .arg(&file)
        .assert()
        .success()
        .stdout("");
}

#[cfg(feature = "cli")]
#[test]
fn cli_refuses_a_file_with_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.split");
    let bad = "price=10.00USD\nshare p = 35% of\n";
    std::fs::write(&file, bad).unwrap();
    let out = bin().arg("fmt").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("expected"), "{stderr}");
    assert_eq!(read(&file), bad, "a file with errors must not be written");
}

#[cfg(feature = "cli")]
#[test]
fn cli_check_on_shipped_examples() {
    let mut cmd = bin();
    cmd.arg("fmt").arg("--check");
    for f in split_files("examples") {
        cmd.arg(f);
    }
    cmd.assert().success();
}

#[cfg(feature = "cli")]
#[test]
fn cli_needs_a_file() {
    bin().arg("fmt").assert().code(2);
}

/// A small deterministic generator (no dependency needed for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn mutated_inputs_never_lose_meaning() {
    // Damage the inputs at random (drop a piece, add a line break, a space,
    // a comment, a parenthesis…): fmt either refuses with syntax errors or
    // gives a file with the same tree and comments, which it leaves alone.
    const INSERTS: [&str; 9] = [
        "\n", " ", "\n\n", "# note\n", " # tail", "(", ")", "\t", "\r\n",
    ];
    let mut rng = Lcg(7);
    let (mut formatted, mut refused) = (0, 0);
    for path in split_files("tests/fmt")
        .into_iter()
        .chain(split_files("examples"))
    {
        let src = read(&path);
        let cuts: Vec<usize> = src
            .char_indices()
            .map(|(i, _)| i)
            .chain([src.len()])
            .collect();
        for _ in 0..100 {
            let a = cuts[rng.next(cuts.len())];
            let mutant = if rng.next(2) == 0 {
                let b = cuts[rng.next(cuts.len())];
                let (a, b) = (a.min(b), a.max(b).min(a.min(b) + 12));
                let b = cuts.iter().copied().find(|&c| c >= b).unwrap_or(src.len());
                format!("{}{}", &src[..a], &src[b..])
            } else {
                format!(
                    "{}{}{}",
                    &src[..a],
                    INSERTS[rng.next(INSERTS.len())],
                    &src[a..]
                )
            };
            match format_source(&mutant) {
                Ok(out) => {
                    formatted += 1;
                    assert_eq!(
                        format_source(&out).unwrap(),
                        out,
                        "not idempotent:\n{mutant}"
                    );
                    assert_eq!(
                        strip_spans(&parse(&mutant).0),
                        strip_spans(&parse(&out).0),
                        "tree changed:\n{mutant}"
                    );
                    assert_eq!(
                        comments(&mutant),
                        comments(&out),
                        "comments changed:\n{mutant}"
                    );
                }
                Err(diags) => {
                    refused += 1;
                    assert!(
                        diags.iter().all(|d| d.code != "splitdsl::internal::fmt"),
                        "fmt could not format a file that parses:\n{mutant}"
                    );
                    // It refuses only files with syntax errors.
                    assert!(
                        parse(&mutant).1.iter().any(|d| d.is_error()),
                        "fmt refused a file that parses:\n{mutant}"
                    );
                }
            }
        }
    }
    assert!(
        formatted > 100 && refused > 100,
        "{formatted} formatted, {refused} refused"
    );
}
