//! # splitdsl
//!
//! A small language for revenue-split agreements: a creator sells a course,
//! the platform takes its fee, an affiliate, co-producers and the creator
//! share what is left in a fixed *deduction order*, every cent exact.
//!
//! The pipeline: source → [`syntax`] (pest, an AST with byte spans) →
//! [`analysis`] (names, kinds and currencies, the dependency graph) →
//! [`program::Program`] (compiled once) → [`eval`] (run many times) → front
//! ends (`cli`, [`report`]). Problems are [`diag::Diagnostic`] values with
//! spans, rendered at the edge.
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
//! let agreement = Agreement::compile("hotmart.split", src).map_err(|f| f.diagnostics).unwrap();
//! let mut inputs = agreement.inputs();
//! agreement.set_from_text(&mut inputs, "price=100.00 USD").unwrap();
//! let outcome = agreement.evaluate(&inputs).unwrap();
//! let producer = agreement.program.slot("producer").unwrap();
//! assert_eq!(outcome.value(producer).unwrap().to_string(), "52.42 USD");
//! assert_eq!(outcome.unallocated().to_string(), "0.00");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agreement;
pub mod analysis;
pub mod api;
pub mod batch;
pub mod chart;
#[cfg(feature = "cli")]
pub mod cli;
pub mod codes;
pub mod diag;
pub mod eval;
pub mod examples;
pub mod explain;
pub mod fmt;
pub mod output;
pub mod program;
pub mod repl;
pub mod report;
pub mod span;
pub mod stack;
pub mod syntax;
pub mod textwidth;
pub mod value;
pub(crate) mod value_lints;

pub use agreement::Agreement;
pub use api::{Breakdown, Deduction, DeductionKind, Error, Inputs, Requirement, Value};
