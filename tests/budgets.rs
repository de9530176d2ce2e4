//! Budgets of evaluation: no expression can build an unbounded value (`E110`), and no regular
//! expression can run for minutes on a value (`E104`), whatever the pattern. Each test would
//! allocate until the process aborts, or run for minutes, without its budget; each is bounded
//! in time here so that a regression fails instead of hanging the suite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use rand::SeedableRng as _;
use roster::codes::Code;
use roster::expr::{self, Context, Outcome};
use roster::rule::{self, RuleContext, Schema};
use roster::value::Value;

/// Evaluates `text` with attributes from `input`; the outcome and how long it took.
fn eval(text: &str, input: &[(&str, Value)]) -> (Result<Outcome, Code>, Duration) {
    let (program, diagnostics) = expr::compile_str(text);
    let program = program.unwrap_or_else(|| panic!("{text}: {diagnostics:?}"));
    let values: Vec<Value> = program
        .attributes
        .iter()
        .map(|name| {
            input
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, v)| v.clone())
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut ctx = Context {
        now: chrono::NaiveDateTime::default(),
        default_domain: "contoso.com",
        is_taken: &|_| false,
        rng: &mut rng,
    };
    let started = Instant::now();
    let outcome = program.eval(&values, &mut ctx).map_err(|d| d.code);
    (outcome, started.elapsed())
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

fn len_of(outcome: &Result<Outcome, Code>) -> usize {
    match outcome {
        Ok(Outcome::Value(Value::Str(s))) => s.len(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// The issue's expression: six nested `Replace(x, , ".", , "$0$0...$0", , )`, 759 bytes, which
/// multiplies its input a hundredfold per level and allocated until the process aborted.
#[test]
fn nested_substitutions_stop_at_the_budget() {
    let dollars = "$0".repeat(56);
    let mut text = "[x]".to_string();
    for _ in 0..6 {
        text = format!(r#"Replace({text}, , ".", , "{dollars}", , )"#);
    }
    assert!(text.len() >= 700, "{} bytes", text.len());
    let (outcome, took) = eval(&text, &[("x", s("abc"))]);
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Whole-input and before-the-match substitutions (`$_`, `` $` ``) grow with the square of the
/// input: the budget stops them too.
#[test]
fn whole_input_substitutions_stop_at_the_budget() {
    let x = s(&"a".repeat(5000));
    for replacement in ["$_", "$`", "$'"] {
        let text = format!(r#"Replace([x], , ".", , "{replacement}", , )"#);
        let (outcome, took) = eval(&text, &[("x", x.clone())]);
        assert_eq!(outcome, Err(Code::ValueTooLarge), "{replacement}");
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}

/// Plain replacement and the template mode compute the result's length before building it.
#[test]
fn plain_replacement_and_templates_stop_at_the_budget() {
    let many_a = s(&"a".repeat(2000));
    let long = s(&"b".repeat(1000));
    let (outcome, _) = eval(
        r#"Replace([x], "a", , , [y], , )"#,
        &[("x", many_a.clone()), ("y", long.clone())],
    );
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    let (outcome, _) = eval(
        r#"Replace([y], "a", , , , , [t])"#,
        &[("t", many_a.clone()), ("y", long.clone())],
    );
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    // Within the budget, the same calls work.
    let (outcome, _) = eval(
        r#"Replace([x], "a", , , [y], , )"#,
        &[("x", s(&"a".repeat(100))), ("y", long)],
    );
    assert_eq!(len_of(&outcome), 100_000);
}

/// `Join` checks the joined length before joining; exactly the budget is allowed.
#[test]
fn join_stops_at_the_budget_and_allows_it_exactly() {
    let part = "x".repeat(1024);
    let list = |n: usize| Value::List((0..n).map(|_| s(&part)).collect());
    let (outcome, _) = eval(r#"Join("", [l])"#, &[("l", list(1024))]);
    assert_eq!(len_of(&outcome), expr::MAX_STRING_BYTES);
    let (outcome, _) = eval(r#"Join("", [l])"#, &[("l", list(1025))]);
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    let (outcome, _) = eval(r#"Join(",", [l])"#, &[("l", list(1024))]);
    assert_eq!(outcome, Err(Code::ValueTooLarge), "the separators count");
}

/// `Append` and `Split`: a string and a count of values.
#[test]
fn append_and_split_stop_at_the_budget() {
    let half = s(&"y".repeat(expr::MAX_STRING_BYTES / 2 + 1));
    let (outcome, _) = eval("Append([a], [b])", &[("a", half.clone()), ("b", half)]);
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    let (outcome, _) = eval(
        r#"Count(Split([x], ","))"#,
        &[("x", s(&",".repeat(expr::MAX_LIST_ITEMS)))],
    );
    assert_eq!(outcome, Err(Code::ValueTooLarge));
    let (outcome, _) = eval(
        r#"Count(Split([x], ","))"#,
        &[("x", s(&",".repeat(expr::MAX_LIST_ITEMS - 1)))],
    );
    assert_eq!(
        outcome,
        Ok(Outcome::Value(Value::Int(
            i64::try_from(expr::MAX_LIST_ITEMS).unwrap()
        )))
    );
}

/// `RemoveDuplicates` was quadratic in its input; it is linear now (a million values with five
/// thousand distinct ones).
#[test]
fn remove_duplicates_is_linear() {
    let list = Value::List(
        (0..1_000_000)
            .map(|i| s(&format!("v{}", i % 5000)))
            .collect(),
    );
    let (outcome, took) = eval("Count(RemoveDuplicates([l]))", &[("l", list)]);
    assert_eq!(outcome, Ok(Outcome::Value(Value::Int(5000))));
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// The issue's lookaround over 300,000 characters ran for more than a minute: a pattern that
/// needs the backtracking engine takes at most 4,096 bytes of input.
#[test]
fn lookaround_over_a_long_value_is_refused_at_once() {
    let (outcome, took) = eval(
        r#"Replace([s], , "(?=a)a*b", , "x", , )"#,
        &[("s", s(&"a".repeat(300_000)))],
    );
    assert_eq!(outcome, Err(Code::RegexLimit));
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Just within the cap, the same search completes.
    let (outcome, took) = eval(
        r#"Replace([s], , "(?=a)a*b", , "x", , )"#,
        &[(
            "s",
            s(&"a".repeat(roster::dotnet::regex::MAX_BACKTRACKING_INPUT)),
        )],
    );
    assert_eq!(
        len_of(&outcome),
        roster::dotnet::regex::MAX_BACKTRACKING_INPUT
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// One search whose every backtracking step rescans the rest of the input: bounded by the step
/// limit times the input cap.
#[test]
fn one_expensive_search_is_bounded() {
    let text = r#"Replace([s], , "(?:a(?=[^c]*c)|a)*b", , "x", , )"#;
    let (outcome, took) = eval(
        text,
        &[(
            "s",
            s(&"a".repeat(roster::dotnet::regex::MAX_BACKTRACKING_INPUT)),
        )],
    );
    assert_eq!(outcome, Err(Code::RegexLimit));
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// Many searches (one after each match), each backtracking a few thousand steps and rescanning
/// the input: the deadline bounds the total.
#[test]
fn many_expensive_searches_are_bounded_by_the_deadline() {
    let text = r#"Replace([s], , "(?:a(?=[a-z])|a){1,12}(?=[^c]*c)|a", , "x", , )"#;
    let (outcome, took) = eval(
        text,
        &[(
            "s",
            s(&"a".repeat(roster::dotnet::regex::MAX_BACKTRACKING_INPUT)),
        )],
    );
    assert_eq!(outcome, Err(Code::RegexLimit));
    assert!(
        took < roster::dotnet::regex::DEADLINE + Duration::from_secs(10),
        "{took:?}"
    );
}

/// A `-match` rule with lookaround over one 200 KB department value took `eval` 42 s.
#[test]
fn lookaround_rule_over_a_long_value_is_refused_at_once() {
    let (program, diagnostics) = rule::compile_str(
        r#"user.department -match "(?=.*Sales)(?=.*EMEA)""#,
        &Schema::entra(),
    );
    let program = program.unwrap_or_else(|| panic!("{diagnostics:?}"));
    let long = s(&format!("{}Sales", "x".repeat(200_000)));
    let started = Instant::now();
    let result = program.eval(
        &[long],
        &RuleContext {
            now: chrono::NaiveDateTime::default(),
        },
    );
    assert_eq!(result.map_err(|d| d.code), Err(Code::RegexLimit));
    assert!(started.elapsed() < Duration::from_secs(2));
    let short = s("Sales EMEA");
    let result = program.eval(
        &[short],
        &RuleContext {
            now: chrono::NaiveDateTime::default(),
        },
    );
    assert_eq!(result.map_err(|d| d.code), Ok(true));
}
