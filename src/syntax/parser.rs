//! From text to syntax tree: the pest grammar in `grammar/roster.pest`, precedence with pest's
//! Pratt parser, and one `parse_*` function per construct.
//!
//! Resource limits are checked before pest runs, so no input can exhaust the stack: an
//! expression or rule may nest at most [`MAX_DEPTH`] levels, an expression may be at most
//! [`MAX_EXPRESSION_LEN`] bytes, and a rule longer than Entra's [`MAX_RULE_LEN`] characters
//! is refused without being parsed further.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pest::Parser as _;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::{
    CmpOp, Expr, ExprKind, Rule as RuleNode, RuleKind, RuleOp, RuleValue, RuleValueKind,
    SignedDuration, Spanned,
};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/roster.pest"]
struct Grammar;

/// Deepest nesting of parentheses, brackets and `-not` accepted.
pub const MAX_DEPTH: usize = 64;
/// Longest mapping expression accepted, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 65_536;
/// Entra's limit on the length of a membership rule, in characters.
pub const MAX_RULE_LEN: usize = 3_072;

/// What a parse produced: a tree when the input is well-formed, and diagnostics (errors, or
/// warnings alongside a tree).
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// The tree, if there were no syntax errors.
    pub value: Option<T>,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Parsed<T> {
    fn fail(diagnostic: Diagnostic) -> Parsed<T> {
        Parsed {
            value: None,
            diagnostics: vec![diagnostic],
        }
    }
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

// ==========================================================================================
// Shared pre-checks
// ==========================================================================================

/// The deepest nesting of `(`/`[` outside string literals, plus (for rules) the number of
/// `not` keywords, which nest too.
fn nesting(text: &str, rule_lang: bool) -> (usize, Span) {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut at = Span::default();
    let mut nots = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                // Skip a double-quoted string (backslash escapes in both languages, backtick
                // escapes in rules).
                while let Some((_, d)) = chars.next() {
                    if d == '\\' || (rule_lang && d == '`') {
                        chars.next();
                    } else if d == '"' {
                        break;
                    }
                }
            }
            '\'' if rule_lang => {
                for (_, d) in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                }
            }
            '(' | '[' => {
                depth += 1;
                if depth + nots > max {
                    max = depth + nots;
                    at = Span::new(i, i + 1);
                }
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            'n' | 'N' if rule_lang => {
                let word: String = text
                    .get(i..)
                    .unwrap_or("")
                    .chars()
                    .take(4)
                    .collect::<String>()
                    .to_ascii_lowercase();
                let before_ok = text
                    .get(..i)
                    .and_then(|b| b.chars().next_back())
                    .is_none_or(|p| !(p.is_ascii_alphanumeric() || p == '_' || p == '.'));
                if before_ok
                    && word.starts_with("not")
                    && !word
                        .chars()
                        .nth(3)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    nots += 1;
                    if depth + nots > max {
                        max = depth + nots;
                        at = Span::new(i, i + 3);
                    }
                }
            }
            _ => {}
        }
    }
    (max, at)
}

fn pest_error(err: &pest::error::Error<Rule>, code: Code, what: &str) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let span = match err.location {
        InputLocation::Pos(p) => Span::new(p, p),
        InputLocation::Span((s, e)) => Span::new(s, e),
    };
    let (positives, negatives) = match &err.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => (positives.clone(), negatives.clone()),
        ErrorVariant::CustomError { .. } => (Vec::new(), Vec::new()),
    };
    let mut words: Vec<&'static str> = positives.iter().filter_map(|r| rule_word(*r)).collect();
    words.sort_unstable();
    words.dedup();
    let found = found_at(err.line(), span.start, err);
    // pest lists only named rules; inside an argument list the punctuation `,` and `)` is
    // expected too, whenever a comparison could still follow.
    if code == Code::ExprSyntax
        && positives
            .iter()
            .any(|r| matches!(r, Rule::cmp_eq | Rule::cmp_lt))
    {
        words.retain(|w| !w.starts_with("a comparison"));
        words.push("`,`");
        words.push("`)`");
        words.push("a comparison");
    }
    let message = if words.is_empty() {
        format!("unexpected {found} in {what}")
    } else {
        format!("expected {}, found {found}", join_words(&words))
    };
    let _ = negatives;
    Diagnostic::new(
        code,
        Span::new(span.start, span.end.max(span.start + 1)),
        message,
    )
}

/// Describes what stands at the error position: a quoted token, or "end of input".
fn found_at(_line: &str, _pos: usize, err: &pest::error::Error<Rule>) -> String {
    let (pest::error::LineColLocation::Pos((_, col))
    | pest::error::LineColLocation::Span((_, col), _)) = err.line_col;
    let rest: String = err.line().chars().skip(col.saturating_sub(1)).collect();
    let token: String = if let Some(c) = rest.chars().next() {
        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '$' {
            rest.chars()
                .take_while(|c| {
                    c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.' || *c == '$'
                })
                .take(40)
                .collect()
        } else {
            c.to_string()
        }
    } else {
        String::new()
    };
    if token.is_empty() {
        "end of input".to_string()
    } else {
        format!("`{token}`")
    }
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Plain words for grammar rules in error messages; `None` hides a rule.
fn rule_word(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of input",
        Rule::expression | Rule::argument | Rule::call => "a value",
        Rule::cmp_le | Rule::cmp_ge | Rule::cmp_ne | Rule::cmp_lt | Rule::cmp_gt | Rule::cmp_eq => {
            "a comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`)"
        }
        Rule::identifier => "a function name",
        Rule::attribute => "an attribute reference `[name]`",
        Rule::attribute_name => "an attribute name",
        Rule::string | Rule::rule_value_string | Rule::rule_single_string => "a string",
        Rule::string_content | Rule::rule_string_content | Rule::rule_single_content => {
            "a closing quote"
        }
        Rule::hex | Rule::integer | Rule::number => "a number",
        Rule::arguments => "arguments",
        Rule::rule_expr | Rule::condition => "a condition",
        Rule::direct_reports => "`Direct Reports for`",
        Rule::property => "a property such as `user.department`",
        Rule::quantified | Rule::kw_any | Rule::kw_all => "`-any` or `-all`",
        Rule::comparison
        | Rule::kw_eq
        | Rule::kw_ne
        | Rule::kw_le
        | Rule::kw_ge
        | Rule::kw_lt
        | Rule::kw_gt
        | Rule::kw_starts_with
        | Rule::kw_not_starts_with
        | Rule::kw_ends_with
        | Rule::kw_not_ends_with
        | Rule::kw_contains
        | Rule::kw_not_contains
        | Rule::kw_match
        | Rule::kw_not_match
        | Rule::kw_in
        | Rule::kw_not_in => "an operator such as `-eq`",
        Rule::kw_and | Rule::kw_or => "`-and` or `-or`",
        Rule::kw_not | Rule::misplaced_not => "`-not`",
        Rule::kw_plus | Rule::kw_minus => "`-plus` or `-minus`",
        Rule::rule_array => "a list `[...]`",
        Rule::now_value | Rule::kw_system_now => "`system.now`",
        Rule::duration => "a duration such as `P1D`",
        Rule::datetime => "a date-time",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::bare_word => "a value",
        _ => return None,
    })
}

// ==========================================================================================
// Mapping expressions
// ==========================================================================================

/// Parses a mapping expression.
pub fn parse_expression(text: &str) -> Parsed<Expr> {
    if text.len() > MAX_EXPRESSION_LEN {
        return Parsed::fail(
            Diagnostic::new(
                Code::ExprTooDeep,
                Span::new(0, 0),
                format!(
                    "the expression is {} bytes long, over the limit of {MAX_EXPRESSION_LEN}",
                    text.len()
                ),
            )
            .with_help("split the logic over several attributes"),
        );
    }
    let (depth, at) = nesting(text, false);
    if depth > MAX_DEPTH {
        return Parsed::fail(
            Diagnostic::new(
                Code::ExprTooDeep,
                at,
                format!("the expression nests {depth} levels deep, over the limit of {MAX_DEPTH}"),
            )
            .with_help("split the logic over several attributes"),
        );
    }
    let pairs = match Grammar::parse(Rule::expression_input, text) {
        Ok(p) => p,
        Err(e) => return Parsed::fail(pest_error(&e, Code::ExprSyntax, "the expression")),
    };
    let mut diagnostics = Vec::new();
    let Some(top) = pairs.into_iter().next().and_then(|p| p.into_inner().next()) else {
        return Parsed::fail(Diagnostic::new(
            Code::ExprSyntax,
            Span::new(0, 0),
            "empty expression",
        ));
    };
    let value = parse_expr(top, &mut diagnostics);
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Parsed {
        value: if failed { None } else { value },
        diagnostics,
    }
}

fn parse_expr(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Option<Expr> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::expression => {
            let mut inner = pair.into_inner();
            let lhs = parse_expr(inner.next()?, diags)?;
            match (inner.next(), inner.next()) {
                (Some(op), Some(rhs)) => {
                    let op_span = span_of(&op);
                    let op = match op.as_rule() {
                        Rule::cmp_eq => CmpOp::Eq,
                        Rule::cmp_ne => CmpOp::Ne,
                        Rule::cmp_lt => CmpOp::Lt,
                        Rule::cmp_le => CmpOp::Le,
                        Rule::cmp_gt => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    let rhs = parse_expr(rhs, diags)?;
                    Some(Spanned::new(
                        ExprKind::Compare {
                            op: Spanned::new(op, op_span),
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span,
                    ))
                }
                _ => Some(lhs),
            }
        }
        Rule::call => {
            let mut inner = pair.into_inner();
            let name = inner.next()?;
            let name = Spanned::new(name.as_str().to_string(), span_of(&name));
            let mut args = Vec::new();
            if let Some(arguments) = inner.next() {
                for argument in arguments.into_inner() {
                    match argument.into_inner().next() {
                        Some(e) => args.push(Some(parse_expr(e, diags)?)),
                        None => args.push(None),
                    }
                }
            }
            // `f()` is a call with no arguments, not one omitted argument.
            if args.len() == 1 && args.first().is_some_and(Option::is_none) {
                args.clear();
            }
            Some(Spanned::new(ExprKind::Call { name, args }, span))
        }
        Rule::attribute => {
            let name = pair.into_inner().next()?.as_str().trim().to_string();
            Some(Spanned::new(ExprKind::Attr(name), span))
        }
        Rule::string => {
            let content = pair.into_inner().next()?;
            let offset = content.as_span().start();
            Some(Spanned::new(
                ExprKind::Str(unescape_expr(content.as_str(), offset, diags)),
                span,
            ))
        }
        Rule::integer => match pair.as_str().parse::<i64>() {
            Ok(n) => Some(Spanned::new(ExprKind::Int(n), span)),
            Err(_) => {
                diags.push(
                    Diagnostic::new(
                        Code::IntegerRange,
                        span,
                        format!("`{}` does not fit in a 64-bit integer", pair.as_str()),
                    )
                    .with_help("integers range from -9223372036854775808 to 9223372036854775807"),
                );
                None
            }
        },
        Rule::hex => {
            let digits = pair.as_str().get(2..).unwrap_or("");
            match i64::from_str_radix(digits, 16) {
                Ok(n) => Some(Spanned::new(ExprKind::Int(n), span)),
                Err(_) => {
                    diags.push(
                        Diagnostic::new(
                            Code::IntegerRange,
                            span,
                            format!("`{}` does not fit in a 64-bit integer", pair.as_str()),
                        )
                        .with_help("hex literals range from &H0 to &H7FFFFFFFFFFFFFFF"),
                    );
                    None
                }
            }
        }
        Rule::identifier => Some(Spanned::new(
            ExprKind::Ident(pair.as_str().to_string()),
            span,
        )),
        _ => None,
    }
}

/// Resolves `\"` and `\\`; any other backslash is kept with the character after it, and
/// reported as a warning because Entra documents only those two escapes.
fn unescape_expr(raw: &str, offset: usize, diags: &mut Vec<Diagnostic>) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((j, other)) => {
                out.push('\\');
                out.push(other);
                let span = Span::new(offset + i, offset + j + other.len_utf8());
                diags.push(
                    Diagnostic::new(
                        Code::UnknownEscape,
                        span,
                        format!("`\\{other}` is not an escape sequence; the backslash is kept"),
                    )
                    .with_help(format!(
                        "write `\\\\{other}` for a backslash followed by `{other}` (in a regular expression, `\\\\` before a character class such as `d`)"
                    )),
                );
            }
            None => out.push('\\'),
        }
    }
    out
}

// ==========================================================================================
// Membership rules
// ==========================================================================================

fn pratt() -> PrattParser<Rule> {
    PrattParser::new()
        .op(Op::infix(Rule::kw_or, Assoc::Left))
        .op(Op::infix(Rule::kw_and, Assoc::Left))
        .op(Op::prefix(Rule::kw_not))
}

/// Parses a membership rule.
pub fn parse_rule(text: &str) -> Parsed<RuleNode> {
    let chars = text.chars().count();
    if chars > MAX_RULE_LEN {
        return Parsed::fail(
            Diagnostic::new(
                Code::RuleTooLong,
                Span::new(0, text.len()),
                format!("the rule is {chars} characters long, over Entra's limit of {MAX_RULE_LEN}"),
            )
            .with_help("shorten the rule, for example by testing an attribute that summarises the condition"),
        );
    }
    let (depth, at) = nesting(text, true);
    if depth > MAX_DEPTH {
        return Parsed::fail(
            Diagnostic::new(
                Code::RuleSyntax,
                at,
                format!("the rule nests {depth} levels deep, over the limit of {MAX_DEPTH}"),
            )
            .with_help("remove redundant parentheses and double negations"),
        );
    }
    let pairs = match Grammar::parse(Rule::rule_input, text) {
        Ok(p) => p,
        Err(e) => return Parsed::fail(rule_syntax_error(&e, text)),
    };
    let Some(top) = pairs.into_iter().next().and_then(|p| p.into_inner().next()) else {
        return Parsed::fail(Diagnostic::new(
            Code::RuleSyntax,
            Span::new(0, 0),
            "empty rule",
        ));
    };
    let mut diagnostics = Vec::new();
    let value = match top.as_rule() {
        Rule::direct_reports => {
            let span = span_of(&top);
            top.into_inner()
                .next()
                .and_then(|s| parse_rule_value(s, &mut diagnostics))
                .map(|v| match v.node {
                    RuleValueKind::Str(s) => {
                        Spanned::new(RuleKind::DirectReports(Spanned::new(s, v.span)), span)
                    }
                    _ => Spanned::new(
                        RuleKind::DirectReports(Spanned::new(String::new(), v.span)),
                        span,
                    ),
                })
        }
        _ => parse_rule_expr(top, &mut diagnostics),
    };
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    Parsed {
        value: if failed { None } else { value },
        diagnostics,
    }
}

fn rule_syntax_error(err: &pest::error::Error<Rule>, text: &str) -> Diagnostic {
    let mut diag = pest_error(err, Code::RuleSyntax, "the rule");
    if matches!(&err.variant,
        pest::error::ErrorVariant::ParsingError { positives, .. } if positives.contains(&Rule::duration))
    {
        diag.code = Code::InvalidDuration;
        diag.severity = Code::InvalidDuration.severity();
        diag.help =
            Some("write a duration such as `P1D` (one day), `P2W`, `PT12H` or `P1Y2M`".to_string());
    }
    let expects_join = matches!(&err.variant,
        pest::error::ErrorVariant::ParsingError { positives, .. }
            if positives.iter().any(|r| matches!(r, Rule::kw_and | Rule::kw_or)));
    let rest = text.get(diag.span.start..).unwrap_or("");
    let starts_condition = rest.starts_with('(')
        || rest
            .split('.')
            .next()
            .is_some_and(|head| matches!(head.to_ascii_lowercase().as_str(), "user" | "device"));
    if expects_join && starts_condition {
        let end = diag.span.start + rest.find(char::is_whitespace).unwrap_or(rest.len());
        diag = Diagnostic::new(
            Code::MissingJoin,
            Span::new(diag.span.start, end.max(diag.span.start + 1)),
            "expected `-and` or `-or` between two conditions",
        )
        .with_help("join the conditions with `-and` or `-or`");
    }
    diag
}

fn parse_rule_expr(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Option<RuleNode> {
    let pratt = pratt();
    pratt
        .map_primary(|primary| match primary.as_rule() {
            Rule::rule_expr => parse_rule_expr(primary, diags),
            Rule::condition => parse_condition(primary, diags),
            _ => None,
        })
        .map_prefix(|op, rhs| {
            let rhs = rhs?;
            let span = span_of(&op).to(rhs.span);
            Some(Spanned::new(RuleKind::Not(Box::new(rhs)), span))
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, rhs) = (lhs?, rhs?);
            let span = lhs.span.to(rhs.span);
            Some(match op.as_rule() {
                Rule::kw_and => Spanned::new(RuleKind::And(Box::new(lhs), Box::new(rhs)), span),
                _ => Spanned::new(RuleKind::Or(Box::new(lhs), Box::new(rhs)), span),
            })
        })
        .parse(pair.into_inner())
}

fn parse_condition(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Option<RuleNode> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let prop = inner.next()?;
    let property = Spanned::new(prop.as_str().to_string(), span_of(&prop));
    let tail = inner.next()?;
    match tail.as_rule() {
        Rule::quantified => {
            let mut parts = tail.into_inner();
            let kw = parts.next()?;
            let all = kw.as_rule() == Rule::kw_all;
            let op_span = span_of(&kw);
            let body_pair = parts.next()?;
            let body = match body_pair.as_rule() {
                Rule::condition => parse_condition(body_pair, diags)?,
                _ => parse_rule_expr(body_pair, diags)?,
            };
            Some(Spanned::new(
                RuleKind::Quantified {
                    property,
                    all,
                    op_span,
                    body: Box::new(body),
                },
                span,
            ))
        }
        Rule::misplaced_not => {
            let kw = tail.into_inner().next()?;
            Some(Spanned::new(
                RuleKind::MisplacedNot {
                    property,
                    op_span: span_of(&kw),
                },
                span,
            ))
        }
        _ => {
            let mut parts = tail.into_inner();
            let kw = parts.next()?;
            let op = match kw.as_rule() {
                Rule::kw_eq => RuleOp::Eq,
                Rule::kw_ne => RuleOp::Ne,
                Rule::kw_lt => RuleOp::Lt,
                Rule::kw_le => RuleOp::Le,
                Rule::kw_gt => RuleOp::Gt,
                Rule::kw_ge => RuleOp::Ge,
                Rule::kw_starts_with => RuleOp::StartsWith,
                Rule::kw_not_starts_with => RuleOp::NotStartsWith,
                Rule::kw_ends_with => RuleOp::EndsWith,
                Rule::kw_not_ends_with => RuleOp::NotEndsWith,
                Rule::kw_contains => RuleOp::Contains,
                Rule::kw_not_contains => RuleOp::NotContains,
                Rule::kw_match => RuleOp::Match,
                Rule::kw_not_match => RuleOp::NotMatch,
                Rule::kw_in => RuleOp::In,
                _ => RuleOp::NotIn,
            };
            let op = Spanned::new(op, span_of(&kw));
            let value = parse_rule_value(parts.next()?, diags)?;
            Some(Spanned::new(
                RuleKind::Compare {
                    property,
                    op,
                    value,
                },
                span,
            ))
        }
    }
}

fn parse_rule_value(pair: Pair<'_, Rule>, diags: &mut Vec<Diagnostic>) -> Option<RuleValue> {
    let span = span_of(&pair);
    let kind = match pair.as_rule() {
        Rule::rule_value_string => {
            let raw = pair.into_inner().next().map_or("", |p| p.as_str());
            RuleValueKind::Str(raw.replace("\\\"", "\"").replace("`\"", "\""))
        }
        Rule::rule_single_string => {
            let raw = pair.into_inner().next().map_or("", |p| p.as_str());
            RuleValueKind::Str(raw.replace("''", "'"))
        }
        Rule::rule_array => {
            let mut items = Vec::new();
            for item in pair.into_inner() {
                items.push(parse_rule_value(item, diags)?);
            }
            RuleValueKind::Array(items)
        }
        Rule::now_value => {
            let mut inner = pair.into_inner();
            let _now = inner.next();
            match (inner.next(), inner.next()) {
                (Some(sign), Some(dur)) => {
                    let negative = sign.as_rule() == Rule::kw_minus;
                    match parse_duration(dur.as_str()) {
                        Some((months, seconds)) => RuleValueKind::Now(Some(SignedDuration {
                            months,
                            seconds,
                            negative,
                        })),
                        None => {
                            diags.push(invalid_duration(dur.as_str(), span_of(&dur)));
                            return None;
                        }
                    }
                }
                (Some(sign), None) => {
                    diags.push(invalid_duration("", span_of(&sign)));
                    return None;
                }
                _ => RuleValueKind::Now(None),
            }
        }
        Rule::duration => {
            diags.push(invalid_duration(pair.as_str(), span));
            return None;
        }
        Rule::datetime => {
            if parse_datetime_literal(pair.as_str()).is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDateLiteral,
                        span,
                        format!("`{}` is not a valid date-time", pair.as_str()),
                    )
                    .with_help(
                        "write an existing date in ISO 8601 form, such as `2020-06-10T18:13:20Z`",
                    ),
                );
                return None;
            }
            RuleValueKind::DateTime(pair.as_str().to_string())
        }
        Rule::number => RuleValueKind::Number(pair.as_str().to_string()),
        Rule::boolean => RuleValueKind::Bool(pair.as_str().eq_ignore_ascii_case("true")),
        Rule::null => RuleValueKind::Null,
        _ => RuleValueKind::BareWord(pair.as_str().to_string()),
    };
    Some(Spanned::new(kind, span))
}

fn invalid_duration(text: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidDuration,
        span,
        if text.is_empty() {
            "expected an ISO 8601 duration after `-plus`/`-minus`".to_string()
        } else {
            format!("`{text}` is not an ISO 8601 duration")
        },
    )
    .with_help("write a duration such as `P1D` (one day), `P2W`, `PT12H` or `P1Y2M`")
}

/// Parses an ISO 8601 duration (`P1Y2M3W4DT5H6M7S`, case-insensitive, whole numbers) into
/// calendar months and seconds.
pub fn parse_duration(text: &str) -> Option<(i64, i64)> {
    let upper = text.to_ascii_uppercase();
    let body = upper.strip_prefix('P')?;
    if body.is_empty() {
        return None;
    }
    let (date, time) = match body.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (body, None),
    };
    let mut months: i64 = 0;
    let mut seconds: i64 = 0;
    let mut number = String::new();
    for c in date.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        match c {
            'Y' => months = months.checked_add(n.checked_mul(12)?)?,
            'M' => months = months.checked_add(n)?,
            'W' => seconds = seconds.checked_add(n.checked_mul(7 * 86_400)?)?,
            'D' => seconds = seconds.checked_add(n.checked_mul(86_400)?)?,
            _ => return None,
        }
    }
    if !number.is_empty() {
        return None;
    }
    if let Some(time) = time {
        for c in time.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: i64 = number.parse().ok()?;
            number.clear();
            match c {
                'H' => seconds = seconds.checked_add(n.checked_mul(3_600)?)?,
                'M' => seconds = seconds.checked_add(n.checked_mul(60)?)?,
                'S' => seconds = seconds.checked_add(n)?,
                _ => return None,
            }
        }
        if !number.is_empty() {
            return None;
        }
    }
    // Ten thousand years is more than any date can move.
    if months.abs() > 120_000 || seconds.abs() > 400_000_000_000 {
        return None;
    }
    Some((months, seconds))
}

/// Parses an unquoted rule date-time literal to UTC.
pub fn parse_datetime_literal(text: &str) -> Option<NaiveDateTime> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(date.and_time(NaiveTime::MIN));
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    // Split off the zone designator.
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, ""),
    };
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    let local = date.and_time(time);
    let offset_seconds: i64 = if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
        let hours: i64 = digits.get(..2)?.parse().ok()?;
        let minutes: i64 = digits.get(2..4)?.parse().ok()?;
        if hours > 14 || minutes > 59 {
            return None;
        }
        sign * (hours * 3600 + minutes * 60)
    };
    local.checked_sub_signed(chrono::TimeDelta::try_seconds(offset_seconds)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expr {
        let p = parse_expression(text);
        assert!(
            p.diagnostics.iter().all(|d| !d.is_error()),
            "{text}: {:?}",
            p.diagnostics
        );
        p.value.unwrap()
    }

    fn rule(text: &str) -> RuleNode {
        let p = parse_rule(text);
        assert!(p.diagnostics.is_empty(), "{text}: {:?}", p.diagnostics);
        p.value.unwrap()
    }

    fn rule_error(text: &str) -> Diagnostic {
        let p = parse_rule(text);
        assert!(p.value.is_none(), "{text} parsed");
        p.diagnostics.into_iter().next().unwrap()
    }

    #[test]
    fn omitted_arguments_are_kept_in_position() {
        let e = expr(r#"Replace([x], , "re", , "", , )"#);
        let ExprKind::Call { args, .. } = e.node else {
            panic!()
        };
        assert_eq!(args.len(), 7);
        let present: Vec<bool> = args.iter().map(Option::is_some).collect();
        assert_eq!(present, [true, false, true, false, true, false, false]);
    }

    #[test]
    fn empty_parentheses_mean_no_arguments() {
        let ExprKind::Call { args, .. } = expr("Now()").node else {
            panic!()
        };
        assert!(args.is_empty());
        let ExprKind::Call { args, .. } = expr("f(,)").node else {
            panic!()
        };
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn literals() {
        assert_eq!(expr("&HF7").node, ExprKind::Int(247));
        assert_eq!(expr("-10").node, ExprKind::Int(-10));
        assert_eq!(expr(r#""a\"b\\c""#).node, ExprKind::Str("a\"b\\c".into()));
        assert_eq!(
            expr("[workday.HireDate]").node,
            ExprKind::Attr("workday.HireDate".into())
        );
        assert_eq!(
            expr("vbTextCompare").node,
            ExprKind::Ident("vbTextCompare".into())
        );
        assert_eq!(
            expr("[urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber]")
                .node,
            ExprKind::Attr(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber".into()
            )
        );
    }

    #[test]
    fn unknown_escape_is_kept_with_a_warning() {
        let p = parse_expression(r#""\d+""#);
        assert_eq!(p.value.unwrap().node, ExprKind::Str("\\d+".into()));
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].code, Code::UnknownEscape);
        assert_eq!(p.diagnostics[0].span, Span::new(1, 3));
    }

    #[test]
    fn comparisons_and_whitespace() {
        let e = expr("IIF(\n  [a] <= 5,\n  \"x\" ,\"y\" )");
        let ExprKind::Call { args, .. } = e.node else {
            panic!()
        };
        let Some(Some(Spanned {
            node: ExprKind::Compare { op, .. },
            ..
        })) = args.first()
        else {
            panic!()
        };
        assert_eq!(op.node, CmpOp::Le);
    }

    #[test]
    fn expression_errors_point_at_the_token() {
        let p = parse_expression(r#"Join(" ", [givenName] [surname])"#);
        let d = &p.diagnostics[0];
        assert_eq!(d.code, Code::ExprSyntax);
        assert_eq!(d.span.start, 22);
        assert!(d.message.contains("found `[`"), "{}", d.message);
        let p = parse_expression(r#"Join(" ", [a]"#);
        assert!(
            p.diagnostics[0].message.contains("end of input"),
            "{}",
            p.diagnostics[0].message
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("{}[x]{}", "f(".repeat(10_000), ")".repeat(10_000));
        let p = parse_expression(&deep);
        assert_eq!(p.diagnostics[0].code, Code::ExprTooDeep);
        let deep_rule = format!("{}user.a -eq 1{}", "(".repeat(5_00), ")".repeat(5_00));
        assert_eq!(rule_error(&deep_rule).code, Code::RuleSyntax);
        let nots = format!("{}user.a -eq 1", "-not ".repeat(100));
        assert!(rule_error(&nots).message.contains("nests"));
    }

    #[test]
    fn precedence_and_binds_tighter_than_or_and_not_tighter_than_and() {
        let r = rule(r#"user.a -eq "1" -or user.b -eq "2" -and -not user.c -eq "3""#);
        let RuleKind::Or(_, rhs) = r.node else {
            panic!("{r:?}")
        };
        let RuleKind::And(_, not) = rhs.node else {
            panic!()
        };
        assert!(matches!(not.node, RuleKind::Not(_)));
    }

    #[test]
    fn operator_spellings() {
        for text in [
            r#"user.city -eq "Lagos" or user.city -startswith "Lag""#,
            "user.city \u{2013}eq \"Lagos\" \u{2013}and user.city \u{2013}ne \"x\"",
            r#"user.city -EQ "Lagos" -AND user.city -NotIn ["a"]"#,
            r#"user.city eq "Lagos" and not (user.city in ["x"])"#,
        ] {
            rule(text);
        }
    }

    #[test]
    fn values() {
        let RuleKind::Compare { value, .. } = rule(r#"user.a -eq "say \"hi\" `"now`"""#).node
        else {
            panic!()
        };
        assert_eq!(value.node, RuleValueKind::Str(r#"say "hi" "now""#.into()));
        let RuleKind::Compare { value, .. } = rule("user.a -eq 'O''Brien'").node else {
            panic!()
        };
        assert_eq!(value.node, RuleValueKind::Str("O'Brien".into()));
        let RuleKind::Compare { value, .. } = rule("user.a -eq $null").node else {
            panic!()
        };
        assert_eq!(value.node, RuleValueKind::Null);
        let RuleKind::Compare { value, .. } =
            rule("user.employeeHireDate -ge system.now -plus p1d").node
        else {
            panic!()
        };
        assert_eq!(
            value.node,
            RuleValueKind::Now(Some(SignedDuration {
                months: 0,
                seconds: 86_400,
                negative: false
            }))
        );
        let RuleKind::Compare { value, .. } =
            rule("user.employeeHireDate -le 2020-06-10T18:13:20Z").node
        else {
            panic!()
        };
        assert_eq!(
            value.node,
            RuleValueKind::DateTime("2020-06-10T18:13:20Z".into())
        );
        rule("user.employeeHireDate -ge (system.now -minus P7DT3H)");
    }

    #[test]
    fn quantifiers_with_and_without_parentheses() {
        let r = rule(r#"user.proxyAddresses -any (_ -startsWith "contoso")"#);
        assert!(matches!(r.node, RuleKind::Quantified { all: false, .. }));
        let r = rule(
            r#"device.devicePhysicalIds -any _ -eq "[OrderID]:179887111881" -and device.a -eq "b""#,
        );
        assert!(matches!(r.node, RuleKind::And(..)), "{r:?}");
        rule(
            r#"user.assignedPlans -any (assignedPlan.servicePlanId -eq "efb87545-963c-4e0d-99df-69c6916d9eb0" -and assignedPlan.capabilityStatus -eq "Enabled")"#,
        );
        rule("user.memberOf -any (group.objectId -in ['a1', 'b2'])");
    }

    #[test]
    fn direct_reports() {
        let r = rule(r#"Direct Reports for "62e19b97-8b3d-4d4a-a106-4ce66896a863""#);
        assert_eq!(
            r.node,
            RuleKind::DirectReports(Spanned::new(
                "62e19b97-8b3d-4d4a-a106-4ce66896a863".into(),
                Span::default()
            ))
        );
    }

    #[test]
    fn rule_errors() {
        assert_eq!(
            rule_error(r#"user.a -eq "1" user.b -eq "2""#).code,
            Code::MissingJoin
        );
        assert_eq!(
            rule_error("user.a -ge system.now -plus 1d").code,
            Code::InvalidDuration
        );
        assert_eq!(
            rule_error("user.a -ge system.now -plus PXD").code,
            Code::InvalidDuration
        );
        assert_eq!(
            rule_error("user.a -ge 2021-13-01").code,
            Code::InvalidDateLiteral
        );
        let long = format!("user.a -eq \"{}\"", "x".repeat(3100));
        assert_eq!(rule_error(&long).code, Code::RuleTooLong);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("P1D"), Some((0, 86_400)));
        assert_eq!(parse_duration("p1y2m"), Some((14, 0)));
        assert_eq!(parse_duration("PT1H30M"), Some((0, 5_400)));
        assert_eq!(parse_duration("P2W"), Some((0, 14 * 86_400)));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P1"), None);
        assert_eq!(parse_duration("P99999999999999999999D"), None);
    }

    #[test]
    fn datetime_literals() {
        let dt = parse_datetime_literal("2021-06-30T08:00:00+08:00").unwrap();
        assert_eq!(dt.to_string(), "2021-06-30 00:00:00");
        assert!(parse_datetime_literal("2021-02-29").is_none());
        assert!(parse_datetime_literal("2020-02-29").is_some());
    }
}
