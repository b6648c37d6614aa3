//! Source text to syntax tree: the pest grammar (`grammar/splitdsl.pest`),
//! operator precedence with pest's Pratt parser, and error recovery one
//! statement at a time.

pub mod ast;
mod parser;

pub use parser::{
    looks_like_statement, parse, parse_expr, scan_comments, KEYWORDS, MAX_DEPTH, VALUE_KEYWORDS,
};
