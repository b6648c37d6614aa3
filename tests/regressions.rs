//! Inputs the fuzzer found (tests/regressions/*.split, any bytes): each
//! runs through parse → check → evaluate → reports, and fmt, on a 2 MB
//! thread, and must end in a value or a diagnostic — never a panic, a stack
//! overflow or an internal error; fmt keeps the tree or refuses a file with
//! syntax errors, the reports say what the evaluation said, and every
//! diagnostic renders with its code. See docs/fuzzing.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;
use splitdsl::diag::{render, Style};
use splitdsl::eval::Outcome;
use splitdsl::{fmt, report, syntax, Agreement};

/// The fmt promise on `src`: it formats to a file with the same tree that
/// formats to itself, or it refuses a file with syntax errors.
fn check_fmt(name: &str, src: &str) {
    let (before, parse_diags) = syntax::parse(src);
    match fmt::format_source(src) {
        Ok(out) => {
            let (after, d) = syntax::parse(&out);
            assert!(
                d.iter().all(|d| !d.is_error()),
                "{name}: fmt wrote a file that does not parse"
            );
            assert_eq!(
                fmt::strip_spans(&before),
                fmt::strip_spans(&after),
                "{name}: fmt changed the tree"
            );
            assert_eq!(
                fmt::format_source(&out).ok().as_deref(),
                Some(out.as_str()),
                "{name}: fmt is not idempotent"
            );
        }
        Err(diags) => {
            assert!(
                parse_diags.iter().any(|d| d.is_error()),
                "{name}: fmt refused a file that parses: {:?}",
                diags.iter().map(|d| d.code).collect::<Vec<_>>()
            );
        }
    }
}

/// The JSON and CSV reports say what the evaluation said.
fn check_reports(name: &str, a: &Agreement, out: &Outcome) {
    let amounts: Vec<Decimal> = a
        .program
        .deductions
        .iter()
        .map(|d| out.value(d.slot).and_then(|v| v.decimal()).unwrap())
        .collect();
    let json: serde_json::Value = serde_json::from_str(&report::json(&a.program, out)).unwrap();
    let dec = |v: &serde_json::Value| -> Decimal { v.as_str().unwrap().parse().unwrap() };
    assert_eq!(
        dec(&json["price"]["amount"]),
        out.pools[0],
        "{name}: JSON price"
    );
    let json_amounts: Vec<Decimal> = json["deductions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| dec(&d["amount"]))
        .collect();
    assert_eq!(json_amounts, amounts, "{name}: JSON deductions");
    assert_eq!(
        dec(&json["unallocated"]["amount"]),
        out.unallocated(),
        "{name}: JSON unallocated"
    );
    let csv_text = report::csv(&a.program, out);
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let csv_amounts: Vec<Decimal> = rows
        .iter()
        .filter(|r| matches!(&r[0], "fee" | "share"))
        .map(|r| r[3].parse().unwrap())
        .collect();
    assert_eq!(csv_amounts, amounts, "{name}: CSV deductions");
    let un = rows.iter().find(|r| &r[0] == "unallocated").unwrap();
    assert_eq!(
        un[3].parse::<Decimal>().unwrap(),
        out.unallocated(),
        "{name}: CSV unallocated"
    );
}

fn run(name: &str, src: String) {
    let name = name.to_string();
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            check_fmt(&name, &src);
            let diags = match Agreement::compile_failure(&name, &src) {
                Ok(a) => match a.evaluate_outcome(&a.raw_inputs()) {
                    Ok(out) => {
                        check_reports(&name, &a, &out);
                        a.warnings
                    }
                    Err(d) => vec![d],
                },
                Err(f) => {
                    assert!(
                        !f.diagnostics.is_empty(),
                        "{name}: rejected without a diagnostic"
                    );
                    f.diagnostics
                }
            };
            for d in diags.iter().take(10) {
                assert_ne!(d.code, "splitdsl::internal", "{name}: {}", d.message);
                let text = render(d, &name, &src, Style::PLAIN);
                assert!(
                    text.contains(d.code.as_str()),
                    "{name}: the rendering lacks the code:\n{text}"
                );
            }
        })
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("panicked"));
}

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        // As the fuzz target reads bytes.
        let src = String::from_utf8_lossy(&bytes).into_owned();
        run(&path.display().to_string(), src);
        n += 1;
    }
    assert!(n > 0);
}
