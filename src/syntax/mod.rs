//! Source text to syntax tree: the pest grammar (`grammar/splitdsl.pest`),
//! operator precedence with pest's Pratt parser, and error recovery one
//! statement at a time.

pub mod ast;
mod parser;
pub mod print;
mod running;

pub use parser::{looks_like_statement, parse, parse_expr, scan_comments, VALUE_KEYWORDS};
// The REPL's completion (the command line) and the tests.
#[cfg_attr(not(any(feature = "cli", feature = "internals")), allow(unused_imports))]
pub use parser::KEYWORDS;
// The nesting limit: the tests (through `internals`) build input at it.
#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use parser::MAX_DEPTH;
