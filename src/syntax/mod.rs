//! The `syntax` stage: text to syntax trees for both of Entra's languages, with spans on every
//! node and diagnostics for every syntax error.

pub mod ast;
pub mod parser;

pub use parser::{
    MAX_DEPTH, MAX_EXPRESSION_LEN, MAX_RULE_LEN, Parsed, parse_expression, parse_rule,
};
