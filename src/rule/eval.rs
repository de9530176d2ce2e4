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

impl RuleProgram {
    /// Evaluates against one object: `values[i]` is the value of [`RuleProgram::properties`]
    /// slot `i`; a missing slot is null. Errors only when a backtracking pattern exceeds its
    /// step limit.
    pub fn eval(&self, values: &[Value], ctx: &RuleContext) -> Result<bool, Diagnostic> {
        eval(&self.root, values, None, ctx)
    }
}

fn eval(
    node: &Node,
    values: &[Value],
    item: Option<&Value>,
    ctx: &RuleContext,
) -> Result<bool, Diagnostic> {
    match node {
        Node::And(children) => {
            for child in children {
                if !eval(child, values, item, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(children) => {
            for child in children {
                if eval(child, values, item, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Node::Not(inner) => Ok(!eval(inner, values, item, ctx)?),
        Node::DirectReports { slot, id } => Ok(values
            .get(*slot)
            .and_then(Value::as_text)
            .is_some_and(|m| eq_ci(&m, id))),
        Node::Quantified { slot, all, body } => {
            let items: &[Value] = match values.get(*slot) {
                Some(Value::List(items)) => items,
                Some(Value::Null) | None => &[],
                Some(other) => std::slice::from_ref(other),
            };
            for it in items {
                let hit = eval(body, values, Some(it), ctx)?;
                if *all && !hit {
                    return Ok(false);
                }
                if !*all && hit {
                    return Ok(true);
                }
            }
            Ok(*all)
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
                Some(Value::List(items)) if !matches!(test, Test::IsNull) => {
                    let mut any = false;
                    for it in items {
                        if run(test, Some(it), ctx).map_err(|m| limit_error(m, *span))? {
                            any = true;
                            break;
                        }
                    }
                    any
                }
                v => run(test, v, ctx).map_err(|m| limit_error(m, *span))?,
            };
            Ok(result != *negate)
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
    /// The condition's result.
    pub result: bool,
    /// Where the condition is written in the rule (empty for whole-rule combinators).
    pub span: crate::diagnostics::Span,
    /// What kind of node: `and`, `or`, `not`, `any`, `all`, `condition`, `direct reports`.
    pub kind: &'static str,
    /// The sub-conditions.
    pub children: Vec<Trace>,
}

impl Trace {
    /// The conditions that decided the result: for a false `-and`, its false children; for a
    /// true `-or`, its true children; leaves are themselves.
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
    /// Evaluates like [`RuleProgram::eval`], recording every condition's result.
    pub fn explain(&self, values: &[Value], ctx: &RuleContext) -> Result<Trace, Diagnostic> {
        trace(&self.root, values, ctx)
    }
}

fn trace(node: &Node, values: &[Value], ctx: &RuleContext) -> Result<Trace, Diagnostic> {
    let leaf = |kind, span| -> Result<Trace, Diagnostic> {
        Ok(Trace {
            result: eval(node, values, None, ctx)?,
            span,
            kind,
            children: Vec::new(),
        })
    };
    match node {
        Node::And(children) | Node::Or(children) => {
            let mut traced = Vec::with_capacity(children.len());
            for c in children {
                traced.push(trace(c, values, ctx)?);
            }
            let is_and = matches!(node, Node::And(_));
            let result = if is_and {
                traced.iter().all(|t| t.result)
            } else {
                traced.iter().any(|t| t.result)
            };
            let span = traced
                .iter()
                .map(|t| t.span)
                .reduce(crate::diagnostics::Span::to)
                .unwrap_or_default();
            Ok(Trace {
                result,
                span,
                kind: if is_and { "and" } else { "or" },
                children: traced,
            })
        }
        Node::Not(inner) => {
            let t = trace(inner, values, ctx)?;
            Ok(Trace {
                result: !t.result,
                span: t.span,
                kind: "not",
                children: vec![t],
            })
        }
        Node::Test { span, .. } => leaf("condition", *span),
        Node::Quantified { all, .. } => leaf(
            if *all { "all" } else { "any" },
            crate::diagnostics::Span::default(),
        ),
        Node::DirectReports { .. } => leaf("direct reports", crate::diagnostics::Span::default()),
    }
}
