//! The `eval` stage for membership rules, one object at a time.
//!
//! Semantics decided where Entra's documentation is silent (see `docs/decisions.md`): an
//! empty string or empty collection counts as null; a negated operator is exactly the negation
//! of its positive form, null included; a string operator applied directly to a string
//! collection is true when any item satisfies it.

use chrono::{Months, NaiveDateTime, TimeDelta};

use super::compile::{DateOperand, Node, RuleProgram, Target, Test};
use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::syntax::ast::RuleOp;
use crate::value::Value;

/// What a rule evaluation may consult besides the object.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext {
    /// The time `system.now` stands for (UTC).
    pub now: NaiveDateTime,
}

/// The result of a rule on one object, in three values: a condition that cannot be decided
/// (a regular expression over a value it cannot match exactly as .NET would, or past its step
/// limit) is *unknown*, and combines as in Kleene's logic: `-and` is false as soon as one side
/// is false, `-or` true as soon as one side is true, `-not` keeps unknown unknown. So a rule
/// decides whenever the undecidable condition cannot change its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    /// The rule holds.
    True,
    /// The rule does not hold.
    False,
    /// The rule cannot be decided for this object: why (the first undecidable condition met).
    Unknown(Diagnostic),
}

impl Truth {
    fn from_bool(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            unknown @ Truth::Unknown(_) => unknown,
        }
    }

    /// `Some(result)` when decided.
    pub fn decided(&self) -> Option<bool> {
        match self {
            Truth::True => Some(true),
            Truth::False => Some(false),
            Truth::Unknown(_) => None,
        }
    }
}

/// Kleene's `-or` (`any == true`) or `-and` (`any == false`) over results given one at a time:
/// stops at the first result equal to `any`; otherwise unknown if one was unknown.
fn kleene(any: bool, results: impl Iterator<Item = Truth>) -> Truth {
    let mut unknown = None;
    for r in results {
        match r {
            Truth::Unknown(d) => {
                unknown.get_or_insert(d);
            }
            decided => {
                if decided.decided() == Some(any) {
                    return decided;
                }
            }
        }
    }
    unknown.map_or(Truth::from_bool(!any), Truth::Unknown)
}

impl RuleProgram {
    /// Evaluates against one object: `values[i]` is the value of [`RuleProgram::properties`]
    /// slot `i`; a missing slot is null. Errors only when the rule cannot be decided (see
    /// [`RuleProgram::decide`]), with the reason.
    pub fn eval(&self, values: &[Value], ctx: &RuleContext) -> Result<bool, Diagnostic> {
        match self.decide(values, ctx) {
            Truth::True => Ok(true),
            Truth::False => Ok(false),
            Truth::Unknown(d) => Err(d),
        }
    }

    /// Evaluates against one object in three values ([`Truth`]).
    pub fn decide(&self, values: &[Value], ctx: &RuleContext) -> Truth {
        eval(&self.root, values, None, ctx)
    }
}

fn eval(node: &Node, values: &[Value], item: Option<&Value>, ctx: &RuleContext) -> Truth {
    match node {
        Node::And(children) => kleene(false, children.iter().map(|c| eval(c, values, item, ctx))),
        Node::Or(children) => kleene(true, children.iter().map(|c| eval(c, values, item, ctx))),
        Node::Not(inner) => eval(inner, values, item, ctx).not(),
        Node::DirectReports { slot, id } => Truth::from_bool(
            values
                .get(*slot)
                .and_then(Value::as_text)
                .is_some_and(|m| eq_ci(&m, id)),
        ),
        Node::Quantified { slot, all, body } => {
            let items: &[Value] = match values.get(*slot) {
                Some(Value::List(items)) => items,
                Some(Value::Null) | None => &[],
                Some(other) => std::slice::from_ref(other),
            };
            // `-all` is false at the first item that is false, `-any` true at the first true.
            kleene(
                !*all,
                items.iter().map(|it| eval(body, values, Some(it), ctx)),
            )
        }
        Node::Test {
            target,
            test,
            negate,
            span,
        } => {
            let value = match target {
                Target::Slot(slot) => values.get(*slot),
                Target::Item => item,
                Target::ItemField(field) => item.and_then(|i| i.field(field)),
            };
            let result = match value {
                // A string operator on a collection: true when any item satisfies it; null when
                // there are no items.
                Some(Value::List(items)) if !matches!(test, Test::IsNull) => kleene(
                    true,
                    items.iter().map(|it| match run(test, Some(it), ctx) {
                        Ok(b) => Truth::from_bool(b),
                        Err(m) => Truth::Unknown(limit_error(m, *span)),
                    }),
                ),
                v => match run(test, v, ctx) {
                    Ok(b) => Truth::from_bool(b),
                    Err(m) => Truth::Unknown(limit_error(m, *span)),
                },
            };
            if *negate { result.not() } else { result }
        }
    }
}

fn limit_error(message: String, span: crate::diagnostics::Span) -> Diagnostic {
    Diagnostic::new(Code::RegexLimit, span, message).with_help(
        "simplify the pattern: nested quantifiers such as `(a+)+` backtrack exponentially",
    )
}

/// Runs a positive test on one value.
fn run(test: &Test, value: Option<&Value>, ctx: &RuleContext) -> Result<bool, String> {
    let value = match value {
        None => return Ok(matches!(test, Test::IsNull)),
        Some(v) if v.is_null_or_empty() => return Ok(matches!(test, Test::IsNull)),
        Some(v) => v,
    };
    let text = || value.as_text().unwrap_or_default();
    Ok(match test {
        Test::IsNull => false,
        Test::Eq(s) => eq_ci(&text(), s),
        Test::StartsWith(s) => starts_ci(&text(), s),
        Test::EndsWith(s) => ends_ci(&text(), s),
        Test::Contains(s) => contains_ci(&text(), s),
        Test::Match(re) => re.is_match(&text()).map_err(|e| e.message)?,
        Test::In(list) => {
            let t = text();
            list.iter().any(|s| eq_ci(&t, s))
        }
        Test::Bool(b) => match value {
            Value::Bool(v) => v == b,
            other => other
                .as_text()
                .is_some_and(|t| t.eq_ignore_ascii_case(if *b { "true" } else { "false" })),
        },
        Test::Date(op, operand) => {
            let lhs = match value {
                Value::Date(d) => Some(*d),
                other => other
                    .as_text()
                    .and_then(|t| crate::dotnet::datetime::parse(&t).ok()),
            };
            let rhs = resolve_date(*operand, ctx);
            match (lhs, rhs) {
                (Some(l), Some(r)) => ordered(*op, l.cmp(&r)),
                _ => false,
            }
        }
        Test::Number(op, n) => {
            let lhs = match value {
                Value::Int(i) => Some(*i as f64),
                other => other.as_text().and_then(|t| t.trim().parse::<f64>().ok()),
            };
            match lhs.and_then(|l| l.partial_cmp(n)) {
                Some(o) => ordered(*op, o),
                None => false,
            }
        }
    })
}

fn ordered(op: RuleOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        RuleOp::Lt => o == Less,
        RuleOp::Le => o != Greater,
        RuleOp::Gt => o == Greater,
        RuleOp::Ge => o != Less,
        _ => o == Equal,
    }
}

/// `system.now` shifted by its duration, or a fixed instant.
pub fn resolve_date(operand: DateOperand, ctx: &RuleContext) -> Option<NaiveDateTime> {
    match operand {
        DateOperand::Fixed(d) => Some(d),
        DateOperand::Now(None) => Some(ctx.now),
        DateOperand::Now(Some(d)) => {
            let months = Months::new(u32::try_from(d.months.unsigned_abs()).ok()?);
            let secs = TimeDelta::try_seconds(d.seconds)?;
            if d.negative {
                ctx.now.checked_sub_months(months)?.checked_sub_signed(secs)
            } else {
                ctx.now.checked_add_months(months)?.checked_add_signed(secs)
            }
        }
    }
}

/// Case-insensitive equality with an already lower-cased string.
fn eq_ci(a: &str, lower: &str) -> bool {
    if a.is_ascii() {
        a.eq_ignore_ascii_case(lower)
    } else {
        a.chars().flat_map(char::to_lowercase).eq(lower.chars())
    }
}

/// Case-insensitive prefix test against an already lower-cased prefix.
fn starts_ci(a: &str, lower: &str) -> bool {
    if a.is_ascii() {
        return a
            .as_bytes()
            .get(..lower.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(lower.as_bytes()));
    }
    let mut hay = a.chars().flat_map(char::to_lowercase);
    lower.chars().all(|c| hay.next() == Some(c))
}

/// Case-insensitive suffix test against an already lower-cased suffix.
fn ends_ci(a: &str, lower: &str) -> bool {
    if a.is_ascii() {
        let Some(start) = a.len().checked_sub(lower.len()) else {
            return false;
        };
        return a
            .as_bytes()
            .get(start..)
            .is_some_and(|s| s.eq_ignore_ascii_case(lower.as_bytes()));
    }
    a.to_lowercase().ends_with(lower)
}

/// Case-insensitive substring test against an already lower-cased needle.
fn contains_ci(a: &str, lower: &str) -> bool {
    if lower.is_empty() {
        return true;
    }
    if a.is_ascii() {
        return a
            .as_bytes()
            .windows(lower.len())
            .any(|w| w.eq_ignore_ascii_case(lower.as_bytes()));
    }
    a.to_lowercase().contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A condition that cannot be decided combines in Kleene's logic: `-or` with a true side
    /// and `-and` with a false side decide; otherwise the rule is undecided, with the reason.
    #[test]
    fn undecidable_conditions_combine_in_three_values() {
        let schema = crate::rule::Schema::entra();
        let ctx = RuleContext {
            now: chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        };
        let decide = |rule: &str, dept: &str| {
            let (p, d) = crate::rule::compile_str(rule, &schema);
            let p = p.unwrap_or_else(|| panic!("{rule}: {d:?}"));
            let values: Vec<Value> = p
                .properties
                .iter()
                .map(|prop| match prop.name.as_str() {
                    "department" => Value::Str(dept.into()),
                    _ => Value::Str("Oslo".into()),
                })
                .collect();
            p.decide(&values, &ctx).decided()
        };
        let bad = "S\u{1F600}les";
        let m = r#"user.department -match "^S.les$""#;
        assert_eq!(decide(m, "Sales"), Some(true));
        assert_eq!(decide(m, bad), None);
        assert_eq!(decide(&format!("-not ({m})"), bad), None);
        assert_eq!(
            decide(&format!(r#"{m} -or user.city -eq "Oslo""#), bad),
            Some(true)
        );
        assert_eq!(
            decide(&format!(r#"user.city -eq "Oslo" -or {m}"#), bad),
            Some(true)
        );
        assert_eq!(
            decide(&format!(r#"{m} -or user.city -eq "Lagos""#), bad),
            None
        );
        assert_eq!(
            decide(&format!(r#"{m} -and user.city -eq "Lagos""#), bad),
            Some(false)
        );
        assert_eq!(
            decide(&format!(r#"{m} -and user.city -eq "Oslo""#), bad),
            None
        );
        // Two values: the reason is the error.
        let (p, _) = crate::rule::compile_str(m, &schema);
        let err = p
            .unwrap()
            .eval(&[Value::Str(bad.into())], &ctx)
            .unwrap_err();
        assert_eq!(err.code, Code::RegexLimit);
        assert!(err.message.contains("U+1F600"), "{}", err.message);
    }

    #[test]
    fn case_insensitive_helpers() {
        assert!(eq_ci("Sales", "sales"));
        assert!(eq_ci("ÄRGER", "ärger"));
        assert!(starts_ci("Lagos", "lag"));
        assert!(!starts_ci("La", "lag"));
        assert!(starts_ci("Ölfabrik", "öl"));
        assert!(ends_ci("john@Contoso.com", "@contoso.com"));
        assert!(!ends_ci("m", "com"));
        assert!(contains_ci("Marketing", "KET".to_lowercase().as_str()));
        assert!(contains_ci("Zoë Smith", "oë"));
    }
}

/// Why a rule decided as it did for one object: the tree of conditions with each one's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The condition's result: `Some(true)` or `Some(false)`, `None` when it cannot be decided
    /// (see [`Truth`]).
    pub result: Option<bool>,
    /// Why it cannot be decided, when it cannot.
    pub unknown: Option<String>,
    /// Where the condition is written in the rule (empty for whole-rule combinators).
    pub span: crate::diagnostics::Span,
    /// What kind of node: `and`, `or`, `not`, `any`, `all`, `condition`, `direct reports`.
    pub kind: &'static str,
    /// The sub-conditions.
    pub children: Vec<Trace>,
}

impl Trace {
    /// The conditions that decided the result: for a false `-and`, its false children; for a
    /// true `-or`, its true children; for an undecided node, its undecided children; leaves
    /// are themselves.
    pub fn deciding(&self) -> Vec<&Trace> {
        let mut out = Vec::new();
        self.collect_deciding(&mut out);
        out
    }

    fn collect_deciding<'a>(&'a self, out: &mut Vec<&'a Trace>) {
        if self.children.is_empty() || self.kind == "any" || self.kind == "all" {
            out.push(self);
            return;
        }
        for child in &self.children {
            if child.result == self.result || self.kind == "not" {
                child.collect_deciding(out);
            }
        }
    }
}

impl RuleProgram {
    /// Evaluates like [`RuleProgram::decide`], recording every condition's result.
    pub fn explain(&self, values: &[Value], ctx: &RuleContext) -> Trace {
        trace(&self.root, values, ctx)
    }
}

fn trace(node: &Node, values: &[Value], ctx: &RuleContext) -> Trace {
    let leaf = |kind, span| {
        let truth = eval(node, values, None, ctx);
        Trace {
            result: truth.decided(),
            unknown: match truth {
                Truth::Unknown(d) => Some(d.message),
                _ => None,
            },
            span,
            kind,
            children: Vec::new(),
        }
    };
    match node {
        Node::And(children) | Node::Or(children) => {
            let traced: Vec<Trace> = children.iter().map(|c| trace(c, values, ctx)).collect();
            let is_and = matches!(node, Node::And(_));
            // Kleene: a false child decides `-and`, a true child `-or`.
            let decisive = !is_and;
            let result = if traced.iter().any(|t| t.result == Some(decisive)) {
                Some(decisive)
            } else if traced.iter().any(|t| t.result.is_none()) {
                None
            } else {
                Some(!decisive)
            };
            let unknown = if result.is_none() {
                traced.iter().find_map(|t| t.unknown.clone())
            } else {
                None
            };
            let span = traced
                .iter()
                .map(|t| t.span)
                .reduce(crate::diagnostics::Span::to)
                .unwrap_or_default();
            Trace {
                result,
                unknown,
                span,
                kind: if is_and { "and" } else { "or" },
                children: traced,
            }
        }
        Node::Not(inner) => {
            let t = trace(inner, values, ctx);
            Trace {
                result: t.result.map(|r| !r),
                unknown: t.unknown.clone(),
                span: t.span,
                kind: "not",
                children: vec![t],
            }
        }
        Node::Test { span, .. } => leaf("condition", *span),
        Node::Quantified { all, .. } => leaf(
            if *all { "all" } else { "any" },
            crate::diagnostics::Span::default(),
        ),
        Node::DirectReports { .. } => leaf("direct reports", crate::diagnostics::Span::default()),
    }
}
