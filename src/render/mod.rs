//! Rendering: data to text at the edge — the breakdown as a table, JSON and
//! CSV ([`report`]), waterfall charts ([`chart`]) and the canonical layout of
//! a source file ([`fmt`]). The crate root re-exports each under its own
//! name.

#[cfg(any(feature = "cli", feature = "internals"))]
pub mod chart;
pub mod fmt;
pub mod report;
