//! Using splitdsl as a library: load an agreement, set the price, evaluate,
//! print the breakdown as JSON (the contract of docs/language.md section 7).
//!
//! `cargo run --example embed` (it needs no `cli` feature: a program that
//! embeds splitdsl depends on it with `default-features = false`).

use splitdsl::Agreement;
use std::path::Path;

fn main() -> miette::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split");
    // Every error is a `splitdsl::Error`: a `miette::Diagnostic` that
    // carries all the diagnostics and the text they point into.
    let agreement = Agreement::load(&path)?;
    let mut inputs = agreement.inputs();
    // By name, checked: a wrong name, kind or currency is an error.
    inputs.set("price", "197.00 USD")?;
    let breakdown = agreement.evaluate(&inputs)?;
    let json = serde_json::to_string_pretty(&breakdown).map_err(|e| miette::miette!("{e}"))?;
    println!("{json}");
    Ok(())
}
