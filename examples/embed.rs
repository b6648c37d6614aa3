//! Using splitdsl as a library: load an agreement, set the price, evaluate,
//! print the breakdown as JSON (the contract of docs/language.md).
//!
//! `cargo run --example embed` (it needs no `cli` feature: a program that
//! embeds splitdsl depends on it with `default-features = false`).

use splitdsl::diag::{render, Style};
use splitdsl::Agreement;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split");
    // Problems are plain data (`Diagnostic`); render them, or inspect their
    // codes and spans.
    let agreement = match Agreement::load(&path) {
        Ok(a) => a,
        Err(f) => {
            for d in &f.diagnostics {
                eprint!(
                    "{}",
                    render(d, &f.source.name, &f.source.text, Style::PLAIN)
                );
            }
            return ExitCode::FAILURE;
        }
    };
    let mut inputs = agreement.inputs();
    let assignment = "price = 197.00 USD";
    if let Err(d) = agreement.set_from_text(&mut inputs, assignment) {
        eprint!("{}", render(&d, "<price>", assignment, Style::PLAIN));
        return ExitCode::FAILURE;
    }
    match agreement.evaluate(&inputs) {
        Ok(outcome) => {
            println!("{}", splitdsl::report::json(&agreement.program, &outcome));
            ExitCode::SUCCESS
        }
        Err(d) => {
            let s = &agreement.source;
            eprint!("{}", render(&d, &s.name, &s.text, Style::PLAIN));
            ExitCode::FAILURE
        }
    }
}
