//! Arbitrary bytes through parse → check → evaluate → report, and fmt.
//! Nothing may panic, overflow the stack or hang; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splitdsl::diag::{render, Style};
use splitdsl::{fmt, report, syntax, Agreement};

fuzz_target!(|data: &[u8]| {
    // The execution budget: inputs beyond 16 KiB only make runs slower.
    if data.len() > 16 * 1024 {
        return;
    }
    let src = String::from_utf8_lossy(data);
    let src: &str = &src;

    // fmt: never panics; its output parses to the same agreement and is stable.
    if let Ok(out) = fmt::format_source(src) {
        let (before, bd) = syntax::parse(src);
        let (after, ad) = syntax::parse(&out);
        if bd.is_empty() {
            assert!(ad.is_empty(), "fmt output does not parse:\n{out}");
            assert_eq!(fmt::strip_spans(&before), fmt::strip_spans(&after), "fmt changed the meaning:\n{out}");
            assert_eq!(fmt::format_source(&out).ok().as_deref(), Some(out.as_str()), "fmt is not idempotent");
        }
    }

    match Agreement::compile_failure("fuzz.split", src) {
        Ok(a) => {
            for w in &a.warnings {
                let _ = render(w, "fuzz.split", src, Style::PLAIN);
            }
            match a.evaluate_outcome(&a.raw_inputs()) {
                Ok(out) => {
                    let _ = report::json(&a.program, &out);
                    let _ = report::csv(&a.program, &out);
                    let (failures, _) = splitdsl::summary::requirement_failures(&a.program, &out, src);
                    let _ = report::table(&a.program, &out, &failures);
                    let w = splitdsl::chart::Waterfall::new(&a.program, &out, "fuzz");
                    let _ = splitdsl::chart::terminal(&w, true, 40);
                    let _ = splitdsl::chart::svg(&w);
                    // Conservation, checked independently of the evaluator.
                    let mut total = out.unallocated();
                    for d in &a.program.deductions {
                        if let Some(v) = out.value(d.slot).and_then(|v| v.decimal()) {
                            total = total.checked_add(v).expect("a sum within the price overflowed");
                        }
                    }
                    assert_eq!(Some(total), out.pools.first().copied(), "a cent was lost");
                }
                Err(d) => {
                    assert_ne!(d.code, "splitdsl::internal", "{}", render(&d, "fuzz.split", src, Style::PLAIN));
                    let _ = render(&d, "fuzz.split", src, Style::PLAIN);
                }
            }
        }
        Err(f) => {
            for d in f.diagnostics.iter().take(5) {
                assert_ne!(d.code, "splitdsl::internal", "{}", render(d, "fuzz.split", src, Style::PLAIN));
                let _ = render(d, "fuzz.split", src, Style::PLAIN);
            }
        }
    }
});
