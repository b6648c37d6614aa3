#![forbid(unsafe_code)]
pub mod agreement;
pub mod check;
pub mod diag;
pub mod eval;
pub mod program;
pub mod span;
pub mod syntax;
pub mod value;
pub use agreement::Agreement;
pub mod chart;
pub mod cli;
pub mod cli_fmtchart;
pub mod fmt;
pub mod report;
