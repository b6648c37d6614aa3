#![forbid(unsafe_code)]
pub mod diag;
pub mod span;
pub mod syntax;
pub mod check;
pub mod program;
pub mod value;
pub mod eval;
pub mod agreement;
pub use agreement::Agreement;
pub mod cli;
pub mod report;
