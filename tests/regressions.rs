//! Inputs the fuzzer found (tests/regressions/*.split, any bytes): each
//! runs through parse → check → evaluate → reports, and fmt, on a 2 MB
//! thread, and must end in a value or a diagnostic — never a panic, a stack
//! overflow or an internal error. See docs/fuzzing.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::diag::{render, Style};
use splitdsl::{fmt, report, Agreement};

fn run(name: &str, src: String) {
    let name = name.to_string();
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let _ = fmt::format_source(&src);
            let diags = match Agreement::compile(&name, &src) {
                Ok(a) => match a.evaluate(&a.inputs()) {
                    Ok(out) => {
                        let _ = report::json(&a.program, &out);
                        let _ = report::csv(&a.program, &out);
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
                let _ = render(d, &name, &src, Style::PLAIN);
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
