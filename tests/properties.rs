//! Property tests: no input string panics the parser, the checker or the evaluator of either
//! language, whatever the input record holds; and structure-aware generators reach deep into
//! the evaluator with well-formed calls of every function.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use rand::SeedableRng as _;
use roster::diagnostics::Source;
use roster::expr::functions::FUNCTIONS;
use roster::expr::{self, Context};
use roster::rule::{self, RuleContext, Schema};
use roster::value::Value;

fn now() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

/// Values an attribute may hold.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        ".{0,12}".prop_map(Value::Str),
        prop_oneof![
            Just("2012-03-16-07:00"),
            Just("True"),
            Just("0"),
            Just("&HF"),
            Just("8/25/2021 5:41:18 PM")
        ]
        .prop_map(|s| Value::Str(s.to_string())),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::List)
    })
}

fn eval_expr(text: &str, values: &[Value]) {
    let (program, diags) = expr::compile_str(text);
    let src = Source::new("p", text);
    for d in &diags {
        // Rendering must not panic either, and every span must lie within the text.
        let _ = d.render(&src);
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len() + 1,
            "{d:?} in {text:?}"
        );
    }
    if let Some(program) = program {
        let is_taken = |v: &str| v.len().is_multiple_of(3);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut ctx = Context {
            now: now(),
            default_domain: "contoso.com",
            is_taken: &is_taken,
            rng: &mut rng,
        };
        let vals: Vec<Value> = (0..program.attributes.len())
            .map(|i| values.get(i).cloned().unwrap_or(Value::Null))
            .collect();
        if let Err(d) = program.eval(&vals, &mut ctx) {
            let _ = d.render(&src);
        }
    }
}

fn eval_rule(text: &str, values: &[Value]) {
    let (program, diags) = rule::compile_str(text, &Schema::entra());
    let src = Source::new("p", text);
    for d in &diags {
        let _ = d.render(&src);
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len() + 1,
            "{d:?} in {text:?}"
        );
    }
    if let Some(program) = program {
        let vals: Vec<Value> = (0..program.properties.len())
            .map(|i| values.get(i).cloned().unwrap_or(Value::Null))
            .collect();
        let _ = program.eval(&vals, &RuleContext { now: now() });
    }
}

/// A well-formed call tree over every catalogued function, with random (often wrong) arity.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-c]".prop_map(|a| format!("[{a}]")),
        "[ -~&&[^\"\\\\]]{0,8}".prop_map(|s| format!("\"{s}\"")),
        prop_oneof![
            Just("\"d\""),
            Just("\"ww\""),
            Just("\"yyyy\""),
            Just("\"m\""),
            Just("\"[a-z]+\""),
            Just("\"(?<g>\\\\d+)\""),
            Just("\"g\""),
            Just("\"yyyy-MM-dd\""),
            Just("\"tr-TR\""),
        ]
        .prop_map(str::to_string),
        (-5i64..40).prop_map(|n| n.to_string()),
        Just("vbTextCompare".to_string()),
        Just("IgnoreAttributeFlow".to_string()),
        Just(String::new()),
    ];
    leaf.prop_recursive(4, 40, 7, |inner| {
        (
            0..FUNCTIONS.len(),
            prop::collection::vec(inner.clone(), 0..8),
            prop::option::of((inner.clone(), 0..6usize, inner)),
        )
            .prop_map(|(f, args, cmp)| {
                let mut args = args;
                if let Some((l, op, r)) = cmp {
                    let op = ["=", "<>", "<", "<=", ">", ">="][op];
                    args.insert(0, format!("{l} {op} {r}"));
                }
                format!("{}({})", FUNCTIONS[f].name, args.join(", "))
            })
    })
}

/// A rule over real properties and operators, often ill-typed.
fn rule_text() -> impl Strategy<Value = String> {
    let prop = prop_oneof![
        Just("user.department"),
        Just("user.accountEnabled"),
        Just("user.employeeHireDate"),
        Just("user.proxyAddresses"),
        Just("user.assignedPlans"),
        Just("user.memberOf"),
        Just("device.deviceOSType"),
        Just("_"),
        Just("assignedPlan.service"),
        Just("user.extensionAttribute3"),
    ];
    let op = prop_oneof![
        Just("-eq"),
        Just("-ne"),
        Just("-startsWith"),
        Just("-notEndsWith"),
        Just("-contains"),
        Just("-match"),
        Just("-in"),
        Just("-notIn"),
        Just("-le"),
        Just("-gt"),
        Just("-not"),
    ];
    let val = prop_oneof![
        Just("\"Sales\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("[\"a\", 'b']".to_string()),
        Just("system.now -minus P1D".to_string()),
        Just("2020-06-10T18:13:20Z".to_string()),
        Just("\"(a+)+$\"".to_string()),
        Just("42".to_string()),
        Just("Sales".to_string()),
    ];
    let cond = (prop, op, val).prop_map(|(p, o, v)| format!("{p} {o} {v}"));
    cond.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} -and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) -or {b}")),
            inner.clone().prop_map(|a| format!("-not ({a})")),
            inner.prop_map(|a| format!("user.proxyAddresses -any ({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_expression_pipeline(text in "\\PC{0,64}", values in prop::collection::vec(value(), 0..4)) {
        eval_expr(&text, &values);
    }

    #[test]
    fn expression_shaped_text_never_panics(text in "[A-Za-z\\[\\]\\(\\),\" &H0-9=<>\\\\-]{0,64}", values in prop::collection::vec(value(), 0..4)) {
        eval_expr(&text, &values);
    }

    #[test]
    fn generated_calls_never_panic(text in expression(), values in prop::collection::vec(value(), 3)) {
        eval_expr(&text, &values);
    }

    #[test]
    fn arbitrary_text_never_panics_the_rule_pipeline(text in "\\PC{0,64}", values in prop::collection::vec(value(), 0..4)) {
        eval_rule(&text, &values);
    }

    #[test]
    fn rule_shaped_text_never_panics(text in "[a-zA-Z_.\\-\u{2013} \"'\\[\\](),$0-9:]{0,80}", values in prop::collection::vec(value(), 0..4)) {
        eval_rule(&text, &values);
    }

    #[test]
    fn generated_rules_never_panic(text in rule_text(), values in prop::collection::vec(value(), 4)) {
        eval_rule(&text, &values);
    }
}

#[test]
fn deep_and_long_inputs_are_refused_not_crashed() {
    eval_expr(
        &format!(
            "{}[x]{}",
            "Join(\",\", ".repeat(100_000),
            ")".repeat(100_000)
        ),
        &[],
    );
    eval_expr(&"(".repeat(1_000_000), &[]);
    eval_expr(&format!("Join(\",\"{})", ", [a]".repeat(50_000)), &[]);
    eval_rule(&"(".repeat(1_000_000), &[]);
    eval_rule(&"-not ".repeat(600), &[]);
    eval_rule(
        &format!("user.a -eq 1{}", " -and user.b -eq 2".repeat(150)),
        &[],
    );
}

/// JSON-ish bytes: report-shaped fragments mixed with arbitrary bytes.
fn previous_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        Just(b"{\"type\":\"summary\",\"as_of\":\"2026-01-14\"}\n".to_vec()),
        Just(b"{\"type\":\"identity\",\"key\":\"1\",\"attributes\":{\"department\":[1,{\"a\":null}]},\"groups\":[\"g\"]}\n".to_vec()),
        Just(b"{\"as_of\":\"2026-01-14\",\"identities\":[".to_vec()),
        Just(b"{\"key\":\"2\",\"lifecycle\":\"active\"}".to_vec()),
        Just(b"]}".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(fragment, 0..8).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_previous_state_reader_never_panics(bytes in previous_bytes(), jsonl in any::<bool>()) {
        use roster::governance::previous::{Format, Want, read_from};
        let want = Want { attributes: vec!["department".into()] };
        let format = if jsonl { Format::Jsonl } else { Format::Json };
        match read_from(&bytes[..], format, "previous", &want) {
            Ok(p) => {
                for e in &p.entries {
                    let _ = p.attribute(e, 0);
                }
            }
            Err(issues) => prop_assert!(!issues.is_empty()),
        }
    }
}
