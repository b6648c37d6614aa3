#![forbid(unsafe_code)]
pub mod agreement;
pub mod batch;
pub mod check;
pub mod diag;
pub mod eval;
pub mod program;
pub mod span;
pub mod syntax;
pub mod value;
pub use agreement::Agreement;
pub mod cli;
pub mod report;
