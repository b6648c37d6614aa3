//! Source text to syntax tree: the pest grammar (`grammar/splitdsl.pest`),
//! operator precedence with pest's Pratt parser, and error recovery one
//! statement at a time.

pub mod ast;
mod parser;
pub mod print;

pub use parser::{parse, parse_expr, scan_comments, KEYWORDS, MAX_DEPTH, VALUE_KEYWORDS};
