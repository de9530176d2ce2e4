//! A mapping expression, then NUL, then a JSON object of inputs: parse, check, evaluate.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng as _;
use roster::diagnostics::Source;
use roster::expr::{self, Context, Outcome};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((text, input)) = common::text_and_input(data) else {
        return;
    };
    let source = Source {
        name: "<expression>",
        text,
    };
    let (program, mut diagnostics) = expr::compile_str(text);
    if let Some(program) = program {
        let values = program.values_from_json(&input);
        let is_taken = |v: &str| v.len() % 3 == 0;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut ctx = Context {
            now: common::now(),
            default_domain: "contoso.onmicrosoft.com",
            is_taken: &is_taken,
            rng: &mut rng,
        };
        match program.eval(&values, &mut ctx) {
            Ok(Outcome::Value(v)) => common::check_value(&v),
            Ok(_) => {}
            Err(d) => diagnostics.push(d),
        }
    }
    common::render_all(&diagnostics, &source);
});
