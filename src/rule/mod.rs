//! Entra's dynamic membership rule language: check against a property [`Schema`]
//! ([`compile()`]) and evaluate ([`RuleProgram::eval`]).

pub mod compile;
pub mod eval;
pub mod schema;
pub mod sets;

pub use compile::{RuleProgram, compile};
pub use eval::RuleContext;
pub use schema::{ObjectKind, PropType, Property, Schema};

use crate::diagnostics::Diagnostic;

/// Parses and checks a rule against a schema: a program when it has no errors, and every
/// diagnostic.
pub fn compile_str(text: &str, schema: &Schema) -> (Option<RuleProgram>, Vec<Diagnostic>) {
    let parsed = crate::syntax::parse_rule(text);
    let mut diagnostics = parsed.diagnostics;
    let Some(ast) = parsed.value else {
        return (None, diagnostics);
    };
    let (program, more) = compile(&ast, schema);
    diagnostics.extend(more);
    (program, diagnostics)
}
