//! Entra's attribute-mapping expression language: check ([`compile()`]) and evaluate
//! ([`Program::eval`]).
//!
//! ```
//! use roster::expr::{self, Context, Outcome};
//! use roster::value::Value;
//! use rand::SeedableRng as _;
//!
//! let (program, diagnostics) = expr::compile_str(r#"Join(" ", [givenName], [surname])"#);
//! assert!(diagnostics.is_empty());
//! let program = program.unwrap();
//! let values: Vec<Value> = program
//!     .attributes
//!     .iter()
//!     .map(|name| Value::Str(if name == "givenName" { "John" } else { "Doe" }.into()))
//!     .collect();
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let mut ctx = Context {
//!     now: chrono::NaiveDateTime::default(),
//!     default_domain: "contoso.com",
//!     is_taken: &|_| false,
//!     rng: &mut rng,
//! };
//! assert_eq!(program.eval(&values, &mut ctx), Ok(Outcome::Value(Value::Str("John Doe".into()))));
//! ```

pub mod compile;
pub mod eval;
pub mod functions;

pub use compile::{Program, compile};
pub use eval::{Context, Outcome};

use crate::diagnostics::Diagnostic;

/// The largest string a function may produce: 1 MiB of UTF-8. Entra's directory attributes hold
/// at most a few kilobytes, so a larger value is a runaway expression (repeated substitutions
/// such as `$0$0$0`, a `Join` over a huge list), not data; the budget stops it before it is
/// built (`E110`, at the call that would exceed it). See `grammar/README.md`, "Limits".
pub const MAX_STRING_BYTES: usize = 1 << 20;

/// The most values a function may produce as one multi-valued result (`Split`,
/// `RemoveDuplicates`...): 10,000, far beyond any multi-valued directory attribute.
pub const MAX_LIST_ITEMS: usize = 10_000;

/// Parses and checks an expression: a program when it has no errors, and every diagnostic
/// (warnings may accompany a program).
pub fn compile_str(text: &str) -> (Option<Program>, Vec<Diagnostic>) {
    let parsed = crate::syntax::parse_expression(text);
    let mut diagnostics = parsed.diagnostics;
    let Some(ast) = parsed.value else {
        return (None, diagnostics);
    };
    let (program, more) = compile(&ast);
    diagnostics.extend(more);
    (program, diagnostics)
}
