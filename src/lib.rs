//! # splitdsl
//!
//! A small language for revenue-split agreements: a creator sells a course,
//! the platform takes its fee, an affiliate, co-producers and the creator
//! share what is left in a fixed *deduction order*, every cent exact.
//!
//! The pipeline: source → syntax (pest, an AST with byte spans) → analysis
//! (names, kinds and currencies, the dependency graph) → program (compiled
//! once) → evaluation (run many times) → front ends (the command line, the
//! table, JSON and CSV renderers). Problems are [`diag::Diagnostic`] values
//! with spans, rendered at the edge.
//!
//! The API: [`Agreement::compile`] (or [`Agreement::load`]) gives an
//! [`Agreement`] or an [`Error`] with every diagnostic;
//! [`Agreement::inputs`] gives [`Inputs`] to set by name, checked;
//! [`Agreement::evaluate`] gives a [`Breakdown`] (serde: the JSON contract).
//! [`Agreement::explain`] shows how a value was derived
//! ([`explain::Node`]), [`examples::run_examples`] runs the `example`
//! blocks, [`fmt::format_source`] formats a file, [`repl::Session`] is the
//! REPL's backend and [`batch`] settles a ledger.
//!
//! The compiler's modules are internal. The unstable `internals` feature
//! makes them public (hidden from the docs) for this crate's own tests; it
//! is not covered by semver.
//!
//! The command line (`cli`, with the fmt and chart subcommands and the
//! ledger's options and progress bar; `repl::front`) is behind the `cli`
//! feature, on by default. A program that embeds the library can leave it
//! out, and with it clap, rustyline, indicatif and dirs:
//! `splitdsl = { version = "0.1", default-features = false }`.
//!
//! ```
//! use splitdsl::Agreement;
//!
//! let src = r#"
//! price = 100.00 USD
//! fee hotmart = 9.9% of price + 0.50 USD
//! net = price - hotmart
//! share affiliate = 35% of net
//! share coproducer = 10% of remaining
//! share producer = remaining
//! "#;
//! let agreement = Agreement::compile("hotmart.split", src)?;
//! let mut inputs = agreement.inputs();
//! inputs.set("price", "100.00 USD")?;
//! let breakdown = agreement.evaluate(&inputs)?;
//! assert_eq!(breakdown.get("producer").unwrap().to_string(), "52.42 USD");
//! assert_eq!(breakdown.unallocated().to_string(), "0.00 USD");
//! # Ok::<(), splitdsl::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Internals: `pub(crate)`, or `#[doc(hidden)] pub` with the unstable
// `internals` feature (for this crate's tests, benches and fuzz targets; not
// covered by semver, like minijinja's `unstable_machinery`).
#[cfg(feature = "internals")]
macro_rules! internal {
    ($(#[$m:meta])* mod $name:ident;) => {
        $(#[$m])* #[doc(hidden)] pub mod $name;
    };
    ($(#[$m:meta])* fn $($rest:tt)*) => {
        $(#[$m])* #[doc(hidden)] pub fn $($rest)*
    };
    ($(#[$m:meta])* use $($rest:tt)*) => {
        $(#[$m])* #[doc(hidden)] pub use $($rest)*
    };
}
#[cfg(not(feature = "internals"))]
macro_rules! internal {
    ($(#[$m:meta])* mod $name:ident;) => {
        $(#[$m])* pub(crate) mod $name;
    };
    ($(#[$m:meta])* fn $($rest:tt)*) => {
        $(#[$m])* pub(crate) fn $($rest)*
    };
    ($(#[$m:meta])* use $($rest:tt)*) => {
        $(#[$m])* pub(crate) use $($rest)*
    };
}

// The stages with several files have a folder each: syntax/, analysis/,
// services/, render/ and cli/ (docs/architecture.md). The modules of
// services/ and render/ are re-exported here under their own names.
// The division of a group share (a pure function, for tests and tools).
internal! { mod allocate; }
internal! { mod analysis; }
// The registry is read by `check --explain` and the tests only.
internal! {
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    mod codes;
}
pub mod diag;
internal! { mod eval; }
// The fixed-point form of a program, for ledgers (issue 18).
internal! { mod fixed; }
internal! { mod program; }
mod render;
mod services;
pub mod span;
internal! { mod stack; }
internal! { mod syntax; }
internal! { mod textwidth; }
pub mod value;

/// The command line, for `src/main.rs` (not an API).
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;

/// The editor server, `splitdsl lsp` (not an API).
#[cfg(feature = "lsp")]
#[doc(hidden)]
pub mod lsp;
/// The workbook server of `splitdsl serve`, for the command line and its
/// tests (not an API).
#[cfg(feature = "serve")]
#[doc(hidden)]
pub mod web;

// The public modules: what an embedder needs beyond the root re-exports.
pub use render::fmt;
pub use services::{api, batch, document, examples, explain, repl};
// An editor's figures beside the text (inlay hints, code lenses, hovers).
pub use services::live;

internal! { use services::agreement; }
// Drawn only by the command line (and the tests): not in an embedder's build.
internal! {
    #[cfg(any(feature = "cli", feature = "internals"))]
    use render::chart;
}
internal! {
    #[cfg(any(feature = "cli", feature = "internals"))]
    use services::diff;
}
// The command line's output files (and the tests'): not in an embedder's build.
internal! {
    #[cfg(any(feature = "cli", feature = "internals"))]
    use services::output;
}
internal! { use render::report; }
internal! { use services::summary; }
// The lints that evaluate constant expressions (services: above eval).
use services::value_lints;

pub use agreement::Agreement;
pub use api::{Breakdown, Deduction, DeductionKind, Error, Inputs, Requirement, Value};
