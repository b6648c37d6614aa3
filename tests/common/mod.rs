//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use splitdsl::diag::{render, Style};
use splitdsl::Agreement;

/// Compiles `src`, panicking with the rendered diagnostics if it fails.
pub fn compile(src: &str) -> Agreement {
    match Agreement::compile_failure("test.split", src) {
        Ok(a) => a,
        Err(f) => panic!("{}", rendered(src, &f.diagnostics)),
    }
}

/// The rendered diagnostics, plain.
pub fn rendered(src: &str, diags: &[splitdsl::diag::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| render(d, "test.split", src, Style::PLAIN))
        .collect()
}

/// The codes of the errors and warnings `check` reports for `src`.
pub fn codes(src: &str) -> Vec<&'static str> {
    match Agreement::compile_failure("test.split", src) {
        Ok(a) => a.warnings.iter().map(|d| d.code.as_str()).collect(),
        Err(f) => f.diagnostics.iter().map(|d| d.code.as_str()).collect(),
    }
}

/// Evaluates `src` with `--set`-style overrides; returns the value of `name` as text.
pub fn value(src: &str, sets: &[&str], name: &str) -> String {
    let a = compile(src);
    let mut inputs = a.raw_inputs();
    for s in sets {
        a.set_from_text(&mut inputs, s).unwrap();
    }
    let out = a
        .evaluate_outcome(&inputs)
        .unwrap_or_else(|d| panic!("{}", rendered(src, &[d])));
    let slot = a.program.slot(name).unwrap();
    out.value(slot).unwrap().to_string()
}

/// The code of the runtime error evaluating `src`.
pub fn eval_error(src: &str, sets: &[&str]) -> (String, String) {
    let a = compile(src);
    let mut inputs = a.raw_inputs();
    for s in sets {
        a.set_from_text(&mut inputs, s).unwrap();
    }
    match a.evaluate_outcome(&inputs) {
        Ok(_) => panic!("expected an evaluation error"),
        Err(d) => (d.code.to_string(), d.message.clone()),
    }
}

/// An agreement whose `x` cell is `expr` (with a price of 100.00 USD).
pub fn with_cell(expr: &str) -> String {
    format!("price = 100.00 USD\nx = {expr}\nshare p = remaining\n")
}

/// The value of `expr` as a cell of a minimal agreement.
pub fn eval(expr: &str) -> String {
    value(&with_cell(expr), &[], "x")
}
