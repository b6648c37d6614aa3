//! Limits that hold (issue 6): pathological inputs give a clear diagnostic
//! or work — never a stack overflow, a panic or a hang — on a 2 MB thread,
//! the smallest stack the library is used on (a test thread's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::diag::{render, Style};
use splitdsl::syntax::MAX_DEPTH;
use splitdsl::{fmt, report, Agreement};
use std::time::{Duration, Instant};

/// What happened to one input.
#[derive(Debug)]
enum Outcome {
    /// Compiled; the evaluation ran (`Ok`) or failed with a diagnostic code.
    Ran(Result<(), &'static str>),
    /// Rejected with these diagnostic codes.
    Rejected(Vec<&'static str>),
}

/// parse → check (and lint) → evaluate → JSON, and fmt, and rendering of the
/// first diagnostics, on a thread with a 2 MB stack, within `budget`.
fn pipeline(src: String, budget: Duration) -> Outcome {
    let start = Instant::now();
    let r = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let _ = fmt::format_source(&src);
            match Agreement::compile_failure("limit.split", &src) {
                Ok(a) => Outcome::Ran(match a.evaluate_outcome(&a.raw_inputs()) {
                    Ok(out) => {
                        let _ = report::json(&a.program, &out);
                        Ok(())
                    }
                    Err(d) => {
                        let _ = render(&d, "limit.split", &src, Style::PLAIN);
                        Err(d.code.as_str())
                    }
                }),
                Err(f) => {
                    for d in f.diagnostics.iter().take(3) {
                        let text = render(d, "limit.split", &src, Style::PLAIN);
                        assert!(text.contains(d.code.as_str()), "{text}");
                    }
                    Outcome::Rejected(f.diagnostics.iter().map(|d| d.code.as_str()).collect())
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
    let took = start.elapsed();
    assert!(took < budget, "took {took:?}, budget {budget:?}");
    r
}

#[track_caller]
fn rejected_with(r: &Outcome, code: &str) {
    match r {
        Outcome::Rejected(codes) => assert!(codes.contains(&code), "{codes:?} lacks {code}"),
        Outcome::Ran(_) => panic!("expected {code}, but it ran"),
    }
}

#[track_caller]
fn runs(r: &Outcome) {
    assert!(matches!(r, Outcome::Ran(Ok(()))), "{r:?}");
}

/// A hang detector, not a speed goal (speed is measured in `benches/limits.rs`):
/// generous, so a busy machine running a debug build does not trip it, yet far
/// below what a quadratic or exponential blow-up on these inputs would take.
const BUDGET: Duration = Duration::from_secs(30);
/// The same for the files of [`N_STATEMENTS`] statements.
const LONG_BUDGET: Duration = Duration::from_secs(90);

fn with_cell(expr: &str) -> String {
    format!("price = 100.00 USD\nshare p = remaining\nx = {expr}\nrequire x == x\n")
}

#[test]
fn deep_parentheses_are_a_nesting_error() {
    let n = 30_000;
    let e = format!("{}1{}", "(".repeat(n), ")".repeat(n));
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
    let e = format!("{}1{}", "abs(".repeat(n), ")".repeat(n));
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
}

#[test]
fn long_prefix_chains_are_a_nesting_error() {
    let e = format!("{}1", "- ".repeat(50_000));
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
    let e = format!("{}true", "not ".repeat(50_000));
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
}

#[test]
fn deeply_nested_ifs_are_a_nesting_error() {
    // Building the tree of an `else if` chain is linear in its length (it
    // was quadratic: every `if` measured its span down the whole chain).
    let n = 5_000;
    let e = format!("{}1", "if true then 1 else ".repeat(n));
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
    let e = format!(
        "{}true{}",
        "if ".repeat(n),
        " then true else false".repeat(n)
    );
    rejected_with(&pipeline(with_cell(&e), BUDGET), "splitdsl::limit::nesting");
}

/// A flat chain (`a + b + c + …`) is long, not deep: the depth limit counts
/// nesting, so chains of thousands of terms check, run, format and render.
#[test]
fn long_flat_chains_work() {
    for n in [5_000, 20_000] {
        for (op, term) in [
            (" + ", "1"),
            (" - ", "1"),
            (" * ", "1"),
            (" / ", "1"),
            (" + ", "1.00 USD"),
            (" and ", "true"),
            (" or ", "false"),
        ] {
            let e = vec![term; n].join(op);
            runs(&pipeline(with_cell(&e), BUDGET));
        }
        // Mixed precedence: `1 + 2 * 3 + 2 * 3 + …`.
        let e = format!("1{}", " + 2 * 3".repeat(n));
        runs(&pipeline(with_cell(&e), BUDGET));
    }
    // Names: 5,000 cells summed in one formula, and the sum is right.
    let n = 5_000;
    let mut src = String::from("price = 100000.00 USD\n");
    for i in 0..n {
        src.push_str(&format!("c{i} = 0.01 USD\n"));
    }
    let sum: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    src.push_str(&format!(
        "share a = {}\nshare p = remaining\n",
        sum.join(" + ")
    ));
    runs(&pipeline(src.clone(), LONG_BUDGET));
    let a = Agreement::compile_failure("sum.split", &src).unwrap();
    let out = a.evaluate_outcome(&a.raw_inputs()).unwrap();
    let slot = a.program.slot("a").unwrap();
    assert_eq!(out.value(slot).unwrap().to_string(), "50.00 USD");
}

/// Just under the limit everything works, on a 2 MB stack, in a debug build.
#[test]
fn expressions_at_the_depth_limit_work() {
    let n = MAX_DEPTH - 2;
    runs(&pipeline(with_cell(&vec!["1"; n].join(" + ")), BUDGET));
    runs(&pipeline(with_cell(&format!("{}1", "-".repeat(n))), BUDGET));
    runs(&pipeline(
        with_cell(&format!("{}1", "if true then 1 else ".repeat(n))),
        BUDGET,
    ));
    runs(&pipeline(
        with_cell(&format!(
            "{}true{}",
            "if ".repeat(n / 2),
            " then true else false".repeat(n / 2)
        )),
        BUDGET,
    ));
    runs(&pipeline(
        with_cell(&format!("{}1{}", "max(1, ".repeat(n), ")".repeat(n))),
        BUDGET,
    ));
}

#[test]
fn a_very_long_line_works_and_its_errors_render() {
    // 200,000 characters of label on one line.
    let label = "x".repeat(200_000);
    runs(&pipeline(
        format!("price = 100.00 USD\nshare p \"{label}\" = remaining\n"),
        BUDGET,
    ));
    // An error far along a long line (miette cannot draw it: the position is named).
    let src = format!("price = 100.00 USD\nshare p \"{label}\" = remaining + oops\n");
    let f = Agreement::compile_failure("long.split", &src).unwrap_err();
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.code == "splitdsl::name::unknown")
        .unwrap();
    let text = render(d, "long.split", &src, Style::PLAIN);
    assert!(text.contains("at line 2, column 200026"), "{text}");
}

#[test]
fn huge_literals_are_a_diagnostic() {
    let digits = "9".repeat(100_000);
    rejected_with(
        &pipeline(with_cell(&digits), BUDGET),
        "splitdsl::limit::number",
    );
    rejected_with(
        &pipeline(
            format!("price = {digits} USD\nshare p = remaining\n"),
            BUDGET,
        ),
        "splitdsl::limit::number",
    );
    rejected_with(
        &pipeline(with_cell(&format!("0.{digits}")), BUDGET),
        "splitdsl::limit::number",
    );
    rejected_with(
        &pipeline(with_cell(&format!("{digits}%")), BUDGET),
        "splitdsl::limit::number",
    );
    // The largest decimal works, and arithmetic on it overflows with a diagnostic.
    let max = "79228162514264337593543950335";
    runs(&pipeline(with_cell(max), BUDGET));
    let r = pipeline(with_cell(&format!("{max} + 1")), BUDGET);
    assert!(
        matches!(r, Outcome::Ran(Err("splitdsl::eval::overflow"))),
        "{r:?}"
    );
}

/// Statements in the tests below (100,000 take seconds in a debug build:
/// `benches/limits.rs` reads 100,000 in a release build).
const N_STATEMENTS: usize = 10_000;

#[test]
fn ten_thousand_statements_work() {
    let mut src = String::from("price = 100.00 USD\nc0 = 1\n");
    for i in 1..N_STATEMENTS {
        src.push_str(&format!("c{i} = c{} + 1\n", i - 1));
    }
    src.push_str(&format!("share p = c{} * 0.001 USD\n", N_STATEMENTS - 1));
    runs(&pipeline(src, LONG_BUDGET));
}

#[test]
fn ten_thousand_bad_statements_are_reported() {
    let src = "price = 100.00 USD\n".to_string() + &"x = = 1\n".repeat(N_STATEMENTS);
    let r = pipeline(src, LONG_BUDGET);
    match r {
        Outcome::Rejected(codes) => assert!(codes.len() >= N_STATEMENTS),
        r => panic!("{r:?}"),
    }
}

#[test]
fn empty_and_blank_files_say_the_price_is_missing() {
    for src in ["", "\n\n\n", "# only a comment\n", "\u{FEFF}", "   \t  "] {
        rejected_with(
            &pipeline(src.to_string(), BUDGET),
            "splitdsl::price::missing",
        );
    }
}

#[test]
fn files_that_are_not_text_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "binary.split",
            b"\x7fELF\x02\x01\x01\0\0\0",
            "splitdsl::io::binary",
        ),
        (
            "latin1.split",
            b"price = 100.00 USD\n# a\xe7\xe3o\n",
            "splitdsl::io::not_utf8",
        ),
        ("bad.split", b"\xff\xfe\xfd", "splitdsl::io::not_utf8"),
    ];
    for (name, bytes, code) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let f = Agreement::load_failure(&path).unwrap_err();
        assert_eq!(f.diagnostics[0].code, code, "{name}");
    }
    let f = Agreement::load_failure(dir.path()).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "splitdsl::io::is_directory");
    let f = Agreement::load_failure(&dir.path().join("missing.split")).unwrap_err();
    assert_eq!(f.diagnostics[0].code, "splitdsl::io::unreadable");
}

/// Control characters and odd Unicode: outside quotes they are syntax
/// errors; inside a quoted text (a label, a title, a message, an example's
/// name) a control character or a bidirectional control is
/// `splitdsl::label::control_char`; CRLF line ends are line ends.
#[test]
fn control_characters_and_odd_unicode_are_errors() {
    for (src, code) in [
        ("price = 100.00 USD\x01\n", "splitdsl::syntax::trailing_text"),
        (
            "price = 100.00 USD\nshare p = remaining\u{202E}\n",
            "splitdsl::syntax::trailing_text",
        ),
        ("price\u{00A0}= 100.00 USD\n", "splitdsl::syntax::unexpected"),
        ("\u{1F4B0} = 1\n", "splitdsl::syntax::unexpected"),
        (
            "price = 1.00 USD\nshare p \"Ana\\nSilva\" = remaining\n",
            "splitdsl::label::control_char",
        ),
        (
            "price = 1.00 USD\nshare p \"Ana\\tSilva\" = remaining\n",
            "splitdsl::label::control_char",
        ),
        (
            "price = 1.00 USD\nshare p \"Ana\x01\" = remaining\n",
            "splitdsl::label::control_char",
        ),
        (
            "price = 1.00 USD\nshare p \"Ana\rSilva\" = remaining\n",
            "splitdsl::label::control_char",
        ),
        (
            "agreement \"abc\u{202E}fed\"\nprice = 1.00 USD\nshare p = remaining\n",
            "splitdsl::label::control_char",
        ),
        (
            "price = 1.00 USD\nshare p = remaining\nrequire p >= 0.00 USD \"x\u{0085}y\"\n",
            "splitdsl::label::control_char",
        ),
        (
            "price = 1.00 USD\nshare p = remaining\nexample \"a\u{2066}b\" {\n  expect p = 1.00 USD\n}\n",
            "splitdsl::label::control_char",
        ),
    ] {
        rejected_with(&pipeline(src.to_string(), BUDGET), code);
    }
    let crlf = pipeline(
        "price = 100.00 USD\r\nshare p \"Ana\" = remaining\r\n".to_string(),
        BUDGET,
    );
    assert!(matches!(crlf, Outcome::Ran(Ok(()))), "{crlf:?}");
}
