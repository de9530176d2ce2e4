//! One policy file: load (YAML with positions, the raw model), compile, lint, render.

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster::policy::load::{Loaded, add_text};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut loaded = Loaded::default();
    add_text(
        &mut loaded,
        "policy.yaml".into(),
        "policies/policy.yaml".into(),
        text.to_string(),
        &roster::yaml::Limits::default(),
    );
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
    roster::policy::lint::run(&loaded, &policy, &mut diagnostics);
    common::render_all(&diagnostics, &loaded.sources);
    common::check_log_text(&policy.graph.to_dot());
    common::check_log_text(&policy.graph.to_mermaid());
    let _ = policy.graph.order();
});
