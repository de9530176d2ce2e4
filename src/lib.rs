//! Roster: identity lifecycle management as code.
//!
//! The library is organised by pipeline stage: [`syntax`] parses Entra's mapping-expression and
//! membership-rule languages, [`expr`] and [`rule`] check and evaluate them, and [`dotnet`]
//! emulates the .NET behaviours both languages inherit. Diagnostics ([`diagnostics`]) carry
//! stable codes from one registry ([`codes`]). The `roster` binary is a thin layer over it.

pub mod cli;
pub mod codes;
pub mod diagnostics;
pub mod dotnet;
pub mod expr;
pub mod generate;
pub mod policy;
pub mod render;
pub mod rule;
pub mod syntax;
pub mod value;
pub mod yaml;
