//! Every diagnostic, rendered (no colour, width 80) and snapshotted: one
//! `.split` file per error or warning class in `tests/diagnostics/`.
//!
//! A case file may hold `# set: NAME=EXPR` lines: they are applied as `--set`
//! overrides before the run, so runtime errors and input errors have cases too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::diag::{render, Diagnostic, Style};
use splitdsl::Agreement;
use std::collections::BTreeSet;
use std::path::Path;

/// Codes that no `.split` file can produce, and where they are tested instead.
const ELSEWHERE: &[(&str, &str)] = &[
    (
        "splitdsl::batch::io",
        "a ledger or output file that cannot be opened: tests/batch_cli.rs checks the message",
    ),
    (
        "splitdsl::batch::overflow",
        "ledger totals beyond 7.9e28 need more rows than a test can write",
    ),
    (
        "splitdsl::batch::read",
        "an I/O failure while reading the ledger",
    ),
    (
        "splitdsl::batch::write",
        "an I/O failure while writing (a full disk)",
    ),
    ("splitdsl::repl::edit_rejected", "tests/repl/statements.txt"),
    ("splitdsl::repl::no_agreement", "tests/repl/empty.txt"),
    ("splitdsl::repl::solve_kind", "tests/repl/solve.txt"),
    ("splitdsl::repl::usage", "tests/repl/meta.txt and others"),
    (
        "splitdsl::repl::solve_failed",
        "tests/repl/solve_nowhere.txt",
    ),
    (
        "splitdsl::internal::fmt",
        "a bug by definition: fmt refuses to write output that changes meaning",
    ),
    (
        "splitdsl::internal",
        "a bug by definition: no input should reach it",
    ),
    (
        "splitdsl::io::binary",
        "tests/cli.rs: unreadable_inputs_are_diagnostics",
    ),
    (
        "splitdsl::io::is_directory",
        "tests/cli.rs: unreadable_inputs_are_diagnostics",
    ),
    (
        "splitdsl::io::not_utf8",
        "tests/cli.rs: unreadable_inputs_are_diagnostics",
    ),
    (
        "splitdsl::io::unreadable",
        "tests/cli.rs: unreadable_inputs_are_diagnostics",
    ),
    (
        "splitdsl::syntax::expected_expression",
        "defensive: the grammar never yields an empty expression",
    ),
];

/// Checks, and when the file checks, runs `name` the way `splitdsl run` does;
/// returns the rendered diagnostics and their codes.
fn diagnose(name: &str, text: &str) -> (String, Vec<&'static str>) {
    let mut shown: Vec<(String, String, Diagnostic)> = Vec::new();
    let file = |d: Diagnostic| (name.to_string(), text.to_string(), d);
    match Agreement::compile(name, text) {
        Err(f) => shown.extend(f.diagnostics.into_iter().map(file)),
        Ok(a) => {
            shown.extend(a.warnings.iter().cloned().map(file));
            let mut inputs = a.inputs();
            let mut ok = true;
            for set in text.lines().filter_map(|l| l.strip_prefix("# set: ")) {
                if let Err(d) = a.set_from_text(&mut inputs, set) {
                    shown.push(("--set".into(), set.into(), d));
                    ok = false;
                }
            }
            if ok {
                match a.evaluate(&inputs) {
                    Err(d) => shown.push(file(d)),
                    Ok(out) => {
                        let (_, fails) =
                            splitdsl::report::requirement_failures(&a.program, &out, text);
                        shown.extend(fails.into_iter().map(file));
                    }
                }
            }
        }
    }
    let rendered = shown
        .iter()
        .map(|(n, t, d)| render(d, n, t, Style::PLAIN))
        .collect::<Vec<_>>()
        .join("\n");
    (rendered, shown.iter().map(|(_, _, d)| d.code).collect())
}

fn case_name(path: &Path) -> String {
    format!(
        "tests/diagnostics/{}",
        path.file_name().unwrap().to_string_lossy()
    )
}

#[test]
fn rendered_diagnostics() {
    insta::glob!("diagnostics/*.split", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let (rendered, codes) = diagnose(&case_name(path), &text);
        assert!(
            !codes.is_empty(),
            "{} produces no diagnostic",
            path.display()
        );
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn every_code_has_a_case_and_an_explanation() {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir("tests/diagnostics").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "split") {
            let text = std::fs::read_to_string(&path).unwrap();
            seen.extend(diagnose(&case_name(&path), &text).1);
        }
    }
    // Every code written in the source is registered with an explanation.
    let mut in_source = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("codes.rs") {
                // (codes.rs files are the registries themselves.)
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("\"splitdsl::").skip(1) {
                    let code: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    if !code.is_empty() && piece[code.len()..].starts_with('"') {
                        in_source.insert(format!("splitdsl::{code}"));
                    }
                }
            }
        }
    }
    let registered: BTreeSet<String> = splitdsl::codes::all().map(|(c, _)| c.to_string()).collect();
    let unregistered: Vec<_> = in_source.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "codes without an explanation in src/codes.rs: {unregistered:?}"
    );
    let stale: Vec<_> = registered.difference(&in_source).collect();
    assert!(
        stale.is_empty(),
        "registered codes no source emits: {stale:?}"
    );
    // Ledger diagnostics need a ledger: their cases are in tests/batch*.rs.
    let batch_tests = std::fs::read_to_string("tests/batch.rs").unwrap()
        + &std::fs::read_to_string("tests/batch_cli.rs").unwrap();
    let missing: Vec<&str> = splitdsl::codes::all()
        .map(|(c, _)| *c)
        .filter(|c| !seen.contains(c) && !ELSEWHERE.iter().any(|(e, _)| e == c))
        .filter(|c| {
            !c.strip_prefix("splitdsl::")
                .is_some_and(|short| batch_tests.contains(short))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes with no case in tests/diagnostics/: {missing:?}"
    );
}
