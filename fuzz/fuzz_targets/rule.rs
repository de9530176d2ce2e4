//! A membership rule, then NUL, then a JSON object of properties: parse, check, evaluate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster::diagnostics::Source;
use roster::rule::{self, RuleContext, Schema};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((text, input)) = common::text_and_input(data) else {
        return;
    };
    let source = Source {
        name: "<rule>",
        text,
    };
    let (program, mut diagnostics) = rule::compile_str(text, &Schema::entra());
    if let Some(program) = program {
        let values = program.values_from_json(&input);
        if let Err(d) = program.eval(&values, &RuleContext { now: common::now() }) {
            diagnostics.push(d);
        }
        // The explanation walks the same tree.
        let _ = program.explain(&values, &RuleContext { now: common::now() });
    }
    common::render_all(&diagnostics, &source);
});
