//! Emulation of the .NET behaviours that Entra's expression and rule languages inherit:
//! date parsing and formatting, regular expressions, and culture-aware text functions.
//!
//! Each submodule is self-contained and knows nothing about expressions or rules, so it can
//! be tested against the documented .NET behaviour on its own.

pub mod datetime;
pub mod regex;
pub mod text;
