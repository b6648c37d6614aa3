//! Every diagnostic, rendered (no colour, width 80) and snapshotted: one
//! `.split` file per error or warning class in `tests/diagnostics/`.
//!
//! A case file may hold `# set: NAME=EXPR` lines: they are applied as `--set`
//! overrides before the run, so runtime errors and input errors have cases too.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "cli")] // some codes come from the binary

use splitdsl::diag::{render, Diagnostic, Style};
use splitdsl::Agreement;
use std::collections::BTreeSet;
use std::path::Path;

/// Codes that no test can make appear, and why. Everything else needs a real
/// case: a `tests/diagnostics/*.split` file whose snapshot shows it, or a
/// trigger in [`TRIGGERS`] that is run and must emit it.
const UNREACHABLE: &[(&str, &str)] = &[
    (
        "splitdsl::batch::running_not_given",
        "typed columns only (batch::columns, the Python package): tests/columns.rs",
    ),
    (
        "splitdsl::batch::overflow",
        "ledger totals beyond 10^36 minor units need about 10^12 rows of the largest price",
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
        "splitdsl::syntax::expected_expression",
        "defensive: the grammar never yields an empty expression (`--set price=` is syntax::unexpected)",
    ),
];

/// How a code that no `.split` case can produce is made to appear.
enum Trigger {
    /// `run --sales`: settles the ledger with the agreement; the codes of
    /// the fatal error, the rejected rows and the header warnings.
    Ledger(&'static str, &'static str),
    /// `run --sales` with a ledger whose reading fails after its header.
    LedgerReadFails,
    /// `run --sales` with an output that cannot be written.
    LedgerWriteFails,
    /// A REPL session on the agreement (or none), these lines typed.
    Repl(Option<&'static str>, &'static [&'static str]),
    /// `Agreement::load` of a file holding these bytes.
    LoadBytes(&'static [u8]),
    /// `Agreement::load` of a directory.
    LoadDirectory,
    /// `Agreement::load` of a file that does not exist.
    LoadMissing,
    /// The `splitdsl` binary with these arguments: the codes in its stderr.
    Cli(&'static [&'static str]),
    /// The library API: inputs of one agreement evaluated with another.
    ApiOtherAgreement,
}

const HOTMART: &str = "examples/hotmart.split";

const SHOP: &str =
    "price = 10.00 USD\ninput region = 1\nfee f = 10% of price * region\nshare rest = remaining\n";

/// Each trigger and the code it must emit.
const TRIGGERS: &[(&str, Trigger)] = &[
    (
        "splitdsl::batch::missing_per_column",
        Trigger::Ledger(
            "input price = 1.00 USD\nrunning lifetime = sum of price per seller\nshare rest = remaining\n",
            "sale_id,price\nS1,1.00\n",
        ),
    ),
    (
        "splitdsl::batch::running_column",
        Trigger::Ledger(
            "input price = 1.00 USD\nrunning lifetime = sum of price\nshare rest = remaining\n",
            "sale_id,price,lifetime\nS1,1.00,5.00\n",
        ),
    ),
    (
        "splitdsl::input::other_agreement",
        Trigger::ApiOtherAgreement,
    ),
    (
        "splitdsl::batch::computed_price",
        Trigger::Ledger(
            "input list = 10.00 USD\nprice = round(list * 2)\nshare rest = remaining\n",
            "sale_id,list,price\nS1,1.00,2.00\n",
        ),
    ),
    (
        "splitdsl::batch::decimal_comma",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,\"10,50\"\n"),
    ),
    (
        "splitdsl::batch::thousands_separator",
        Trigger::Ledger(SHOP, "sale_id;price\nS1;1.000,00\n"),
    ),
    (
        "splitdsl::batch::duplicate_id",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,1.00\nS1,2.00\n"),
    ),
    (
        "splitdsl::batch::duplicate_key",
        Trigger::Ledger(
            SHOP,
            "{\"sale_id\": \"S1\", \"price\": \"1.00\", \"price\": \"2.00\"}\n",
        ),
    ),
    (
        "splitdsl::batch::float_money",
        Trigger::Cli(&[
            "run",
            HOTMART,
            "--sales",
            "tests/parquet/float_price.parquet",
        ]),
    ),
    (
        "splitdsl::batch::parquet_type",
        Trigger::Cli(&[
            "run",
            HOTMART,
            "--sales",
            "tests/parquet/list_column.parquet",
        ]),
    ),
    (
        "splitdsl::batch::percent_money",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,50%\n"),
    ),
    (
        "splitdsl::batch::bad_csv",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,\"10.00\nS2,1.00\n"),
    ),
    (
        "splitdsl::batch::bad_json",
        Trigger::Ledger(SHOP, "{\"price\": \"1.00\"}\nnot json\n"),
    ),
    (
        "splitdsl::batch::bad_kind",
        Trigger::Ledger(SHOP, "sale_id,kind,price\nS1,gift,1.00\n"),
    ),
    (
        "splitdsl::batch::bad_value",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,12.3x\n"),
    ),
    (
        "splitdsl::batch::column_count",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,1.00,extra\n"),
    ),
    (
        "splitdsl::batch::currency_mismatch",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,1.00 EUR\n"),
    ),
    (
        "splitdsl::batch::duplicate_column",
        Trigger::Ledger(SHOP, "price,price\n1.00,1.00\n"),
    ),
    ("splitdsl::batch::empty", Trigger::Ledger(SHOP, "")),
    (
        "splitdsl::batch::empty_line",
        Trigger::Ledger(SHOP, "sale_id,price\n\nS2,1.00\n"),
    ),
    (
        "splitdsl::batch::empty_value",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,\n"),
    ),
    (
        "splitdsl::batch::kind_clash",
        Trigger::Ledger(
            "price = 10.00 USD\ninput kind = 1\nshare rest = remaining * kind\n",
            "sale_id,kind,price\nS1,sale,1.00\n",
        ),
    ),
    (
        "splitdsl::batch::missing_column",
        Trigger::Ledger(SHOP, "sale_id,price\nS1\n"),
    ),
    (
        "splitdsl::batch::near_input",
        Trigger::Ledger(SHOP, "sale_id,price,regoin\nS1,1.00,2\n"),
    ),
    (
        "splitdsl::batch::negative_price",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,-1.00\n"),
    ),
    (
        "splitdsl::batch::no_price",
        Trigger::Ledger(SHOP, "sale_id,region\nS1,2\n"),
    ),
    (
        "splitdsl::batch::output_clash",
        Trigger::Ledger(SHOP, "sale_id,price,unallocated\nS1,1.00,x\n"),
    ),
    (
        "splitdsl::batch::too_precise",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,1.001\n"),
    ),
    (
        "splitdsl::batch::unknown_currency",
        Trigger::Ledger(SHOP, "sale_id,price\nS1,1.00 ABC\n"),
    ),
    ("splitdsl::batch::read", Trigger::LedgerReadFails),
    ("splitdsl::batch::write", Trigger::LedgerWriteFails),
    (
        "splitdsl::batch::io",
        Trigger::Cli(&["run", HOTMART, "--sales", "tests/no-such-ledger.csv"]),
    ),
    (
        "splitdsl::io::binary",
        Trigger::LoadBytes(b"price = 1.00 USD\0\n"),
    ),
    (
        "splitdsl::io::not_utf8",
        Trigger::LoadBytes(b"price = 1.00 USD \xff\n"),
    ),
    ("splitdsl::io::is_directory", Trigger::LoadDirectory),
    ("splitdsl::io::unreadable", Trigger::LoadMissing),
    (
        "splitdsl::repl::edit_rejected",
        Trigger::Repl(Some(HOTMART), &["share worse = 500% of price"]),
    ),
    (
        "splitdsl::repl::no_agreement",
        Trigger::Repl(None, &["what if price = 1.00 USD"]),
    ),
    (
        "splitdsl::repl::solve_kind",
        Trigger::Repl(Some(HOTMART), &["solve price so that producer = true"]),
    ),
    (
        "splitdsl::repl::usage",
        Trigger::Repl(Some(HOTMART), &["sweep price"]),
    ),
    (
        "splitdsl::repl::solve_failed",
        Trigger::Repl(
            Some(include_str!("repl/nowhere.split")),
            &["solve n so that f = 1.00 USD"],
        ),
    ),
];

/// A ledger that gives its header, then fails.
struct FailingReader(&'static [u8]);

impl std::io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// An output that cannot be written (a full disk).
struct FailingWriter;

impl std::io::Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("no space left on device"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("no space left on device"))
    }
}

/// Collects every diagnostic a settlement reports.
#[derive(Default)]
struct Codes(Vec<&'static str>);

impl splitdsl::batch::Observer for Codes {
    fn reject(&mut self, r: &splitdsl::batch::Reject) -> std::io::Result<()> {
        self.0.push(r.diagnostic.code.as_str());
        Ok(())
    }
    fn warning(&mut self, d: &Diagnostic, _header: &str) {
        self.0.push(d.code.as_str());
    }
}

fn settle_codes(
    agreement: &str,
    input: impl std::io::Read + Send,
    output: impl std::io::Write + Send,
) -> Vec<String> {
    let a = Agreement::compile_failure("trigger.split", agreement)
        .map_err(|f| f.diagnostics)
        .unwrap();
    let mut codes = Codes::default();
    let r = splitdsl::batch::settle(
        &a,
        &a.inputs(),
        input,
        output,
        splitdsl::batch::OutFormat::Csv,
        1,
        &mut codes,
    );
    if let Err(f) = r {
        codes.0.push(f.diagnostic().0.code.as_str());
    }
    codes.0.into_iter().map(String::from).collect()
}

/// Runs a trigger: the codes of the diagnostics it emitted.
fn emitted(trigger: &Trigger) -> Vec<String> {
    let load = |path: &Path| match Agreement::load_failure(path) {
        Ok(_) => vec![],
        Err(f) => f.diagnostics.iter().map(|d| d.code.to_string()).collect(),
    };
    match trigger {
        Trigger::Ledger(agreement, ledger) => {
            settle_codes(agreement, ledger.as_bytes(), Vec::new())
        }
        Trigger::LedgerReadFails => {
            settle_codes(SHOP, FailingReader(b"sale_id,price\nS1,1.00\n"), Vec::new())
        }
        Trigger::LedgerWriteFails => {
            settle_codes(SHOP, "sale_id,price\nS1,1.00\n".as_bytes(), FailingWriter)
        }
        Trigger::Repl(agreement, lines) => {
            let mut session = match agreement {
                None => splitdsl::repl::Session::new(),
                Some(path) if path.ends_with(".split") => {
                    splitdsl::repl::Session::open(Path::new(path)).unwrap()
                }
                Some(text) => splitdsl::repl::Session::from_text("trigger.split", text).unwrap(),
            };
            lines
                .iter()
                .flat_map(|l| session.handle(l).diagnostics)
                .map(|(d, _)| d.code.to_string())
                .collect()
        }
        Trigger::LoadBytes(bytes) => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bytes.split");
            std::fs::write(&path, bytes).unwrap();
            load(&path)
        }
        Trigger::ApiOtherAgreement => {
            let a = splitdsl::Agreement::load_failure(Path::new(HOTMART)).unwrap();
            let b = splitdsl::Agreement::load_failure(Path::new(HOTMART)).unwrap();
            let err = b.evaluate(&a.inputs()).unwrap_err();
            err.diagnostics()
                .iter()
                .map(|d| d.code.to_string())
                .collect()
        }
        Trigger::LoadDirectory => load(tempfile::tempdir().unwrap().path()),
        Trigger::LoadMissing => load(&tempfile::tempdir().unwrap().path().join("missing.split")),
        Trigger::Cli(args) => {
            let out = assert_cmd::Command::cargo_bin("splitdsl")
                .unwrap()
                .args(*args)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            // A rendered diagnostic starts with its code on a line of its own.
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("splitdsl::") && !l.contains(' '))
                .map(String::from)
                .collect()
        }
    }
}

/// Checks, and when the file checks, runs `name` the way `splitdsl run` does;
/// returns the rendered diagnostics and their codes.
fn diagnose(name: &str, text: &str) -> (String, Vec<&'static str>) {
    let mut shown: Vec<(String, String, Diagnostic)> = Vec::new();
    let file = |d: Diagnostic| (name.to_string(), text.to_string(), d);
    match Agreement::compile_failure(name, text) {
        Err(f) => shown.extend(f.diagnostics.into_iter().map(file)),
        Ok(a) => {
            shown.extend(a.warnings.iter().cloned().map(file));
            let mut inputs = a.raw_inputs();
            let mut ok = true;
            for set in text.lines().filter_map(|l| l.strip_prefix("# set: ")) {
                if let Err(d) = a.set_from_text(&mut inputs, set) {
                    shown.push(("--set".into(), set.into(), d));
                    ok = false;
                }
            }
            if ok {
                match a.evaluate_outcome(&inputs) {
                    Err(d) => shown.push(file(d)),
                    Ok(out) => {
                        let unavailable = splitdsl::summary::unavailable(&a.program, &out);
                        shown.extend(unavailable.into_iter().map(file));
                        let (_, fails) =
                            splitdsl::summary::requirement_failures(&a.program, &out, text);
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
    (
        rendered,
        shown.iter().map(|(_, _, d)| d.code.as_str()).collect(),
    )
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
    // Every registered code is used by some source: its constant appears in
    // `src/` outside the registry. (A code that is not registered cannot be
    // written at all: codes are `splitdsl::codes` constants.)
    let sources = source_files();
    let stale: Vec<&str> = splitdsl::codes::all()
        .filter(|c| {
            !sources
                .iter()
                .any(|(_, text)| mentions_word(text, c.name()))
        })
        .map(|c| c.as_str())
        .collect();
    assert!(
        stale.is_empty(),
        "registered codes no source emits: {stale:?}"
    );
    // Every trigger emits the code it stands for.
    let mut triggered = BTreeSet::new();
    for (code, trigger) in TRIGGERS {
        let got = emitted(trigger);
        assert!(
            got.iter().any(|c| c == code),
            "the trigger for {code} emitted {got:?}"
        );
        triggered.insert(*code);
    }
    for (code, why) in UNREACHABLE {
        assert!(
            !seen.contains(code) && !triggered.contains(code),
            "{code} is listed as unreachable ({why}), yet a case emits it: drop it from the list"
        );
    }
    let missing: Vec<&str> = splitdsl::codes::all()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(c) && !triggered.contains(c))
        .filter(|c| !UNREACHABLE.iter().any(|(u, _)| u == c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes that no case emits (add a tests/diagnostics/*.split case or a trigger): {missing:?}"
    );
}

/// The `.rs` files of `src/` but the registry (`src/codes.rs`), with their
/// text and comment lines left out.
fn source_files() -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path != Path::new("src/codes.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let code: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect();
                files.push((path, code.join("\n")));
            }
        }
    }
    files
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(is_ident)
            && !text[i + word.len()..].chars().next().is_some_and(is_ident)
    })
}

#[test]
fn codes_are_written_as_registry_constants() {
    // Every code in `src/` is a `splitdsl::codes` constant: no code is
    // written as a string (and compared as one) outside the registry.
    let mut literals = Vec::new();
    for (path, text) in source_files() {
        for line in text.lines() {
            for piece in line.split("\"splitdsl::").skip(1) {
                if piece.starts_with(|c: char| c.is_ascii_lowercase()) {
                    literals.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        literals.is_empty(),
        "code literals outside src/codes.rs (use the constant):\n{}",
        literals.join("\n")
    );
    // The scan sees a literal.
    assert!("x(\"splitdsl::eval::overflow\")"
        .split("\"splitdsl::")
        .skip(1)
        .any(|p| p.starts_with(|c: char| c.is_ascii_lowercase())));
    assert!(mentions_word(
        "crate::codes::EVAL_OVERFLOW,",
        "EVAL_OVERFLOW"
    ));
    assert!(!mentions_word(
        "crate::codes::EVAL_OVERFLOWS,",
        "EVAL_OVERFLOW"
    ));
}
