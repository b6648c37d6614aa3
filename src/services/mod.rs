//! Services: what the front ends ask of a compiled agreement, answered as
//! data (never printed): loading ([`agreement`]), the public API ([`api`]),
//! an editor's view of a file ([`document`]), `explain` trees ([`explain`]),
//! `example` blocks ([`examples`]), one sale's outcome as data
//! ([`summary`]), the lints that evaluate ([`value_lints`]), what a change
//! does ([`diff`]), the REPL's session ([`repl`]), ledger settlement
//! ([`batch`]) and atomic output files ([`output`]).
//!
//! The crate root re-exports each module under its own name
//! (`crate::explain`, `splitdsl::explain`), so paths stay short; the folder
//! shows the stage.

pub mod agreement;
pub mod api;
pub mod batch;
#[cfg(any(feature = "cli", feature = "internals"))]
pub mod diff;
pub mod document;
pub mod examples;
pub mod explain;
// The figures an editor shows beside the text (splitdsl lsp).
pub mod live;
#[cfg(any(feature = "cli", feature = "internals"))]
pub mod output;
pub mod repl;
pub mod summary;
pub mod value_lints;
