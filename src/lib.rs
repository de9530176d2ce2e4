//! Roster: identity lifecycle management as code.
//!
//! The library is organised by pipeline stage: [`syntax`] parses Entra's mapping-expression and
//! membership-rule languages, [`expr`] and [`rule`] check and evaluate them, and [`dotnet`]
//! emulates the .NET behaviours both languages inherit. Policy sets are read with positions
//! ([`yaml`]), checked, linked and linted ([`policy`]); HR exports are read by [`ingest`] into
//! dictionary-encoded [columns](mod@column), and what directories and applications actually hold by
//! [`actual`]; the desired state is computed by [`eval`] and compared with the actual state by [`plan`]; [`render`] formats diagnostics;
//! [`generate`] writes synthetic organisations; [`files`] keeps what is read and written inside
//! its bounds; [`testing`] runs the tests that live in a policy set. Diagnostics ([`diagnostics`]) carry stable codes from one registry
//! ([`codes`]). The `roster` binary is a thin layer over it ([`cli`]).

pub mod actual;
pub mod cli;
pub mod codes;
pub mod column;
pub mod diagnostics;
pub mod diff;
pub mod dotnet;
pub mod escape;
pub mod eval;
pub mod expr;
pub mod files;
pub mod generate;
pub mod governance;
pub mod ingest;
pub mod markdown;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod render;
pub mod revision;
pub mod rule;
pub mod syntax;
pub mod testing;
pub mod value;
pub mod yaml;
