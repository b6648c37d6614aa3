//! The `example` blocks of an agreement, run as a library function: what
//! `splitdsl test` checks, returned as data (the command line renders it).

use crate::agreement::Agreement;
use crate::diag::Diagnostic;
use crate::eval::compare;
use std::cmp::Ordering;

/// The outcome of one `example` block.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExampleResult {
    /// Every expectation held.
    Pass,
    /// Some did not: (line text, expected, actual) for each.
    Fail(Vec<(String, String, String)>),
    /// The evaluation failed.
    Error(Diagnostic),
}

/// Runs every `example` block of an agreement, in source order: each block's
/// `given` inputs are set, the agreement is evaluated, and each `expect` (and
/// every `require`) is checked. Returns each example's name with its result;
/// nothing is printed.
///
/// ```
/// use splitdsl::examples::{run_examples, ExampleResult};
/// use splitdsl::Agreement;
///
/// let src = r#"
/// price = 100.00 USD
/// share partner = 30% of price
/// share producer = remaining
///
/// example "a sale" {
///   given price = 100.00 USD
///   expect partner = 30.00 USD
///   expect producer = 70.00 USD
/// }
/// "#;
/// let agreement = Agreement::compile("deal.split", src)?;
/// let results = run_examples(&agreement);
/// assert_eq!(results.len(), 1);
/// assert_eq!(results[0].0, "a sale");
/// assert!(matches!(results[0].1, ExampleResult::Pass));
/// # Ok::<(), splitdsl::Error>(())
/// ```
pub fn run_examples(a: &Agreement) -> Vec<(String, ExampleResult)> {
    let p = &a.program;
    let mut results = Vec::new();
    for ex in &p.examples {
        let mut inputs = a.raw_inputs();
        let mut error = None;
        for (slot, expr, _) in &ex.givens {
            match p.eval(expr, &Default::default()) {
                Ok(v) => inputs.set(*slot, v),
                Err(d) => error = Some(d),
            }
        }
        if let Some(d) = error {
            results.push((ex.name.clone(), ExampleResult::Error(d)));
            continue;
        }
        let out = match p.evaluate(&inputs) {
            Ok(o) => o,
            Err(d) => {
                results.push((ex.name.clone(), ExampleResult::Error(d)));
                continue;
            }
        };
        let mut fails = Vec::new();
        for (slot, expr, span) in &ex.expects {
            let actual = out.value(*slot);
            let expected = p.eval(expr, &out);
            let line = span.text(&a.source.text).to_string();
            let (line_no, _) = crate::span::line_col(&a.source.text, span.start);
            match (expected, actual) {
                (Ok(e), Some(v)) if compare(e, v) == Some(Ordering::Equal) => {}
                (Ok(e), v) => fails.push((
                    format!("line {line_no}: {line}"),
                    e.to_string(),
                    match (v, out.failure(*slot)) {
                        (Some(v), _) => v.to_string(),
                        (None, Some(d)) => format!("no value: {}", d.message),
                        (None, None) => "nothing".into(),
                    },
                )),
                (Err(d), _) => {
                    fails.push((format!("line {line_no}: {line}"), d.message, String::new()))
                }
            }
        }
        let unmet: Vec<String> = p
            .requirements
            .iter()
            .zip(&out.requirements)
            .filter(|(_, h)| !**h)
            .map(|(r, _)| r.message.clone())
            .collect();
        for m in unmet {
            fails.push((
                "require".into(),
                format!("holds: {m}"),
                "does not hold".into(),
            ));
        }
        results.push((
            ex.name.clone(),
            if fails.is_empty() {
                ExampleResult::Pass
            } else {
                ExampleResult::Fail(fails)
            },
        ));
    }
    results
}
