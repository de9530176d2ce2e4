//! The `eval` stage for mapping expressions: one match arm per function, arguments evaluated
//! lazily where the function is conditional (`IIF`, `Switch`, `SelectUniqueValue`,
//! `Coalesce`).

use std::borrow::Cow;

use chrono::NaiveDateTime;
use rand::RngExt as _;

use super::compile::{
    Call, FlowKeyword, Node, Program, invalid_interval, regex_diagnostic, start_below_one,
    unknown_culture,
};
use super::functions::Func;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Span};
use crate::dotnet::{datetime, regex as netregex, text};
use crate::syntax::ast::CmpOp;
use crate::value::Value;

/// What a mapping produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A value to write (NULL means nothing flows).
    Value(Value),
    /// `IgnoreAttributeFlow`: leave the target attribute alone.
    IgnoreAttributeFlow,
    /// `IgnoreObjectFlow`: skip the whole object.
    IgnoreObjectFlow,
}

/// Everything an evaluation may consult besides the record.
pub struct Context<'a> {
    /// The time `Now()` returns (UTC).
    pub now: NaiveDateTime,
    /// The tenant's default domain, for `DefaultDomain()`.
    pub default_domain: &'a str,
    /// Whether a value is already taken in the target, for `SelectUniqueValue`.
    /// Directory uniqueness is case-insensitive, so implementations should compare that way.
    pub is_taken: &'a dyn Fn(&str) -> bool,
    /// The random source for `Guid()` and `RandomString`; seed it for reproducible output.
    pub rng: &'a mut rand::rngs::StdRng,
}

enum Stop {
    Flow(FlowKeyword),
    Error(Box<Diagnostic>),
}

type Result<T> = std::result::Result<T, Stop>;

fn fail<T>(code: Code, span: Span, message: impl Into<String>, help: Option<&str>) -> Result<T> {
    let mut d = Diagnostic::new(code, span, message);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    Err(Stop::Error(Box::new(d)))
}

fn fail_with<T>(d: Diagnostic) -> Result<T> {
    Err(Stop::Error(Box::new(d)))
}

impl Program {
    /// Evaluates against one record: `values[i]` is the value of attribute slot `i`
    /// (see [`Program::attributes`]); a missing slot is NULL.
    pub fn eval(
        &self,
        values: &[Value],
        ctx: &mut Context<'_>,
    ) -> std::result::Result<Outcome, Diagnostic> {
        let mut ev = Evaluator { values, ctx };
        match ev.eval(&self.root) {
            Ok(v) => Ok(Outcome::Value(v)),
            Err(Stop::Flow(FlowKeyword::Attribute)) => Ok(Outcome::IgnoreAttributeFlow),
            Err(Stop::Flow(FlowKeyword::Object)) => Ok(Outcome::IgnoreObjectFlow),
            Err(Stop::Error(d)) => Err(*d),
        }
    }
}

struct Evaluator<'v, 'c, 'a> {
    values: &'v [Value],
    ctx: &'c mut Context<'a>,
}

/// The single value of a value that may be a one-item list; an error for longer lists.
fn single(v: Value, span: Span) -> Result<Value> {
    match v {
        Value::List(mut items) if items.len() <= 1 => Ok(items.pop().unwrap_or(Value::Null)),
        Value::List(items) => fail(
            Code::MultiValued,
            span,
            format!(
                "this attribute has {} values, where one is needed",
                items.len()
            ),
            Some("pick one with `Item([attribute], 1)` or combine them with `Join`"),
        ),
        other => Ok(other),
    }
}

fn as_string(v: Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s),
        other => other.as_text().map(Cow::into_owned),
    }
}

/// The list of values of a possibly multi-valued attribute.
fn items(v: Value) -> Vec<Value> {
    match v {
        Value::List(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

impl Evaluator<'_, '_, '_> {
    fn eval(&mut self, node: &Node) -> Result<Value> {
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Attr(slot, _) => Ok(self.values.get(*slot).cloned().unwrap_or(Value::Null)),
            Node::Flow(kind) => Err(Stop::Flow(*kind)),
            Node::Compare(sides, op, span) => {
                let l = self.eval(&sides.0)?;
                let r = self.eval(&sides.1)?;
                let l = single(l, *span)?;
                let r = single(r, *span)?;
                Ok(Value::Bool(compare(&l, &r, *op)))
            }
            Node::Call(call) => self.call(call),
        }
    }

    fn arg(&mut self, call: &Call, i: usize) -> Result<Value> {
        match call.arg(i) {
            Some(n) => self.eval(n),
            None => Ok(Value::Null),
        }
    }

    /// Argument `i` as one value (lists of one item unwrapped).
    fn one(&mut self, call: &Call, i: usize) -> Result<Value> {
        let v = self.arg(call, i)?;
        single(v, call.arg_span(i))
    }

    /// Argument `i` as text; `None` for NULL.
    fn text(&mut self, call: &Call, i: usize) -> Result<Option<String>> {
        Ok(as_string(self.one(call, i)?))
    }

    /// Argument `i` as text, NULL read as "".
    fn text_or_empty(&mut self, call: &Call, i: usize) -> Result<String> {
        Ok(self.text(call, i)?.unwrap_or_default())
    }

    /// Argument `i` as a whole number; `None` for NULL.
    fn int(&mut self, call: &Call, i: usize) -> Result<Option<i64>> {
        let span = call.arg_span(i);
        match self.one(call, i)? {
            Value::Null => Ok(None),
            Value::Int(n) => Ok(Some(n)),
            Value::Str(s) => match s.trim().parse::<i64>() {
                Ok(n) => Ok(Some(n)),
                Err(_) => match s
                    .trim()
                    .strip_prefix("&H")
                    .or_else(|| s.trim().strip_prefix("&h"))
                {
                    Some(hex) if i64::from_str_radix(hex, 16).is_ok() => {
                        Ok(i64::from_str_radix(hex, 16).ok())
                    }
                    _ => fail(
                        Code::NotANumber,
                        span,
                        format!("`{s}` is not a whole number"),
                        Some("give a number such as `3`, or convert the attribute first"),
                    ),
                },
            },
            Value::Bool(b) => Ok(Some(if b { -1 } else { 0 })),
            other => fail(
                Code::NotANumber,
                span,
                format!(
                    "`{}` is not a whole number",
                    other.as_text().unwrap_or_default()
                ),
                None,
            ),
        }
    }

    /// Argument `i` as a date; `None` for NULL. Strings are parsed as `CDate` would.
    fn date(&mut self, call: &Call, i: usize) -> Result<Option<NaiveDateTime>> {
        let span = call.arg_span(i);
        match self.one(call, i)? {
            Value::Null => Ok(None),
            Value::Date(d) => Ok(Some(d)),
            other => {
                let s = other.as_text().map(Cow::into_owned).unwrap_or_default();
                match datetime::parse(&s) {
                    Ok(d) => Ok(Some(d)),
                    Err(e) => fail_with(
                        Diagnostic::new(Code::NotADate, span, e.message)
                            .with_help_opt(e.help)
                            .with_label(span, "this value"),
                    ),
                }
            }
        }
    }

    /// Argument `i` as a truth value: booleans, `"True"`/`"False"` (any case), numbers
    /// (non-zero is true); NULL and anything else is false.
    fn truth(&mut self, call: &Call, i: usize) -> Result<bool> {
        Ok(truth(&self.one(call, i)?))
    }

    fn interval(&mut self, call: &Call) -> Result<datetime::Interval> {
        let name = self.text_or_empty(call, 0)?;
        match datetime::Interval::parse(&name) {
            Some(i) => Ok(i),
            None => fail_with(invalid_interval(&name, call.arg_span(0))),
        }
    }

    /// The pattern of argument `i`: compiled ahead of time when it is a constant (borrowed, so
    /// its match cache is reused across evaluations), else compiled now.
    fn regex<'p>(
        &mut self,
        call: &'p Call,
        i: usize,
        options: netregex::Options,
    ) -> Result<Option<Cow<'p, netregex::NetRegex>>> {
        if let Some(re) = &call.regex {
            return Ok(Some(Cow::Borrowed(re)));
        }
        match self.text(call, i)? {
            None => Ok(None),
            Some(p) => match netregex::NetRegex::new(&p, options) {
                Ok(re) => Ok(Some(Cow::Owned(re))),
                Err(e) => fail_with(regex_diagnostic(&e, call.arg_span(i), Code::InvalidRegex)),
            },
        }
    }

    fn call(&mut self, call: &Call) -> Result<Value> {
        let span = call.span;
        match call.func {
            Func::Append => {
                let Some(source) = self.text(call, 0)? else {
                    return Ok(Value::Null);
                };
                let suffix = self.text_or_empty(call, 1)?;
                Ok(Value::Str(source + &suffix))
            }
            Func::AppRoleAssignmentsComplex | Func::AssertiveAppRoleAssignmentsComplex => {
                let v = self.arg(call, 0)?;
                Ok(if v.is_null() {
                    Value::Null
                } else {
                    Value::List(items(v))
                })
            }
            Func::SingleAppRoleAssignment => {
                let roles = items(self.arg(call, 0)?);
                Ok(roles
                    .into_iter()
                    .next()
                    .map_or(Value::Null, |r| role_name(&r)))
            }
            Func::BitAnd => {
                let (Some(a), Some(b)) = (self.int(call, 0)?, self.int(call, 1)?) else {
                    return Ok(Value::Null);
                };
                Ok(Value::Int(a & b))
            }
            Func::CBool => Ok(Value::Bool(self.truth(call, 0)?)),
            Func::CDate => Ok(self.date(call, 0)?.map_or(Value::Null, Value::Date)),
            Func::Coalesce => {
                let n = call.args.len();
                for i in 0..n {
                    let v = self.one(call, i)?;
                    let is_default = n > 1 && i == n - 1;
                    if is_default || !v.is_null_or_empty() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
            Func::ConvertToBase64 => Ok(self
                .text(call, 0)?
                .map_or(Value::Null, |s| Value::Str(text::base64_utf16le(&s)))),
            Func::ConvertToUtf8Hex => Ok(self
                .text(call, 0)?
                .map_or(Value::Null, |s| Value::Str(text::utf8_hex(&s)))),
            Func::Count => {
                let n = items(self.arg(call, 0)?).len();
                Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            Func::CStr => Ok(self.text(call, 0)?.map_or(Value::Null, Value::Str)),
            Func::DateAdd => {
                let interval = self.interval(call)?;
                let n = self.int(call, 1)?;
                let d = self.date(call, 2)?;
                let (Some(n), Some(d)) = (n, d) else {
                    return Ok(Value::Null);
                };
                match datetime::add(interval, n, d) {
                    Ok(d) => Ok(Value::Date(d)),
                    Err(e) => fail_with(
                        Diagnostic::new(Code::InvalidValue, span, e.message).with_help_opt(e.help),
                    ),
                }
            }
            Func::DateDiff => {
                let interval = self.interval(call)?;
                let a = self.date(call, 1)?;
                let b = self.date(call, 2)?;
                let (Some(a), Some(b)) = (a, b) else {
                    return Ok(Value::Null);
                };
                Ok(Value::Int(datetime::diff(interval, a, b)))
            }
            Func::DateFromNum => {
                let Some(ticks) = self.int(call, 0)? else {
                    return Ok(Value::Null);
                };
                match datetime::from_filetime(ticks) {
                    Ok(d) => Ok(Value::Date(d)),
                    Err(e) => fail_with(
                        Diagnostic::new(Code::InvalidValue, call.arg_span(0), e.message)
                            .with_help_opt(e.help),
                    ),
                }
            }
            Func::NumFromDate => Ok(self
                .date(call, 0)?
                .map_or(Value::Null, |d| Value::Int(datetime::to_filetime(d)))),
            Func::DefaultDomain => Ok(Value::Str(self.ctx.default_domain.to_string())),
            Func::FormatDateTime => {
                // Three arguments is the older signature without `dateTimeStyles`.
                let (input_at, output_at) = if call.args.len() == 3 { (1, 2) } else { (2, 3) };
                let Some(source) = self.text(call, 0)? else {
                    return Ok(Value::Null);
                };
                let input = self.text(call, input_at)?;
                let output = self.text_or_empty(call, output_at)?;
                // `dateTimeStyles`: empty or omitted means .NET's documented default for this
                // function, `RoundtripKind, AllowLeadingWhite, AllowTrailingWhite`; otherwise
                // only the white-space flags change parsing (the service runs in UTC).
                let styles = if call.args.len() == 4 {
                    self.text(call, 1)?.unwrap_or_default()
                } else {
                    String::new()
                };
                let (lead, trail) = white_space_styles(&styles);
                let mut text = source.as_str();
                if lead {
                    text = text.trim_start();
                }
                if trail {
                    text = text.trim_end();
                }
                let parsed = match input.as_deref() {
                    Some(format) if !format.is_empty() => datetime::parse_exact(text, format),
                    _ => datetime::parse(text),
                };
                let d = match parsed {
                    Ok(d) => d,
                    Err(e) => {
                        return fail_with(
                            Diagnostic::new(Code::NotADate, call.arg_span(0), e.message)
                                .with_help_opt(e.help),
                        );
                    }
                };
                match datetime::format(&d, &output) {
                    Ok(s) => Ok(Value::Str(s)),
                    Err(e) => fail_with(
                        Diagnostic::new(Code::InvalidValue, call.arg_span(output_at), e.message)
                            .with_help_opt(e.help),
                    ),
                }
            }
            Func::Guid => {
                let bytes: [u8; 16] = self.ctx.rng.random();
                Ok(Value::Str(format_guid(bytes)))
            }
            Func::IgnoreFlowIfNullOrEmpty => {
                let v = self.arg(call, 0)?;
                if v.is_null_or_empty() {
                    Err(Stop::Flow(FlowKeyword::Attribute))
                } else {
                    Ok(v)
                }
            }
            Func::Iif => {
                let branch = if self.truth(call, 0)? { 1 } else { 2 };
                self.arg(call, branch)
            }
            Func::InStr => {
                let haystack = self.text(call, 0)?;
                let needle = self.text_or_empty(call, 1)?;
                let start = self.int(call, 2)?.unwrap_or(1);
                let text_compare = self.int(call, 3)?.unwrap_or(0) == 1;
                if start < 1 {
                    return fail_with(start_below_one(start, call.arg_span(2)));
                }
                let Some(haystack) = haystack else {
                    return Ok(Value::Null);
                };
                Ok(Value::Int(instr(&haystack, &needle, start, text_compare)))
            }
            Func::IsNull => Ok(Value::Bool(self.arg(call, 0)?.is_null())),
            Func::IsNullOrEmpty => Ok(Value::Bool(self.arg(call, 0)?.is_null_or_empty())),
            Func::IsPresent => Ok(Value::Bool(!self.arg(call, 0)?.is_null_or_empty())),
            Func::IsString => {
                let v = self.arg(call, 0)?;
                Ok(Value::Bool(!v.is_null() && !matches!(v, Value::List(_))))
            }
            Func::Item => {
                let list = items(self.arg(call, 0)?);
                let Some(index) = self.int(call, 1)? else {
                    return Ok(Value::Null);
                };
                if index < 1 {
                    return fail(
                        Code::InvalidValue,
                        call.arg_span(1),
                        format!("item index `{index}` is below 1"),
                        Some("`Item` counts from 1"),
                    );
                }
                let at = usize::try_from(index - 1).unwrap_or(usize::MAX);
                Ok(list.into_iter().nth(at).unwrap_or(Value::Null))
            }
            Func::Join => {
                let separator = self.text_or_empty(call, 0)?;
                let mut parts: Vec<String> = Vec::new();
                for i in 1..call.args.len() {
                    for v in items(self.arg(call, i)?) {
                        if let Some(s) = as_string(v)
                            && !s.is_empty()
                        {
                            parts.push(s);
                        }
                    }
                }
                Ok(Value::Str(parts.join(&separator)))
            }
            Func::Left => {
                let s = self.text(call, 0)?;
                let n = self.int(call, 1)?.unwrap_or(0);
                let Some(s) = s else {
                    return Ok(Value::Str(String::new()));
                };
                if n < 0 {
                    return Ok(Value::Str(s));
                }
                Ok(Value::Str(
                    s.chars()
                        .take(usize::try_from(n).unwrap_or(usize::MAX))
                        .collect(),
                ))
            }
            Func::Mid => {
                let s = self.text(call, 0)?;
                let start = self.int(call, 1)?.unwrap_or(1);
                let len = self.int(call, 2)?.unwrap_or(0);
                if start < 1 {
                    return fail_with(start_below_one(start, call.arg_span(1)));
                }
                if len < 0 {
                    return fail(
                        Code::InvalidValue,
                        call.arg_span(2),
                        format!("the length `{len}` is negative"),
                        None,
                    );
                }
                let Some(s) = s else { return Ok(Value::Null) };
                let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
                let take = usize::try_from(len).unwrap_or(usize::MAX);
                Ok(Value::Str(s.chars().skip(skip).take(take).collect()))
            }
            Func::NormalizeDiacritics => Ok(self
                .text(call, 0)?
                .map_or(Value::Null, |s| Value::Str(text::normalize_diacritics(&s)))),
            Func::Not => Ok(Value::Bool(!self.truth(call, 0)?)),
            Func::Now => Ok(Value::Date(self.ctx.now)),
            Func::PCase => {
                let Some(s) = self.text(call, 0)? else {
                    return Ok(Value::Null);
                };
                Ok(Value::Str(match self.text(call, 1)? {
                    Some(seps) => text::proper_case_with(&s, &seps),
                    None => text::proper_case(&s),
                }))
            }
            Func::RandomString => {
                let mut n = [0i64; 5];
                for (i, slot) in n.iter_mut().enumerate() {
                    *slot = self.int(call, i)?.unwrap_or(0);
                }
                let avoid = self.text_or_empty(call, 5)?;
                let [length, numbers, special, capital, lower] = n;
                match text::random_string(
                    &mut *self.ctx.rng,
                    length,
                    numbers,
                    special,
                    capital,
                    lower,
                    &avoid,
                ) {
                    Ok(s) => Ok(Value::Str(s)),
                    Err(message) => fail(Code::InvalidValue, span, message, None),
                }
            }
            Func::Redact => self.arg(call, 0),
            Func::RemoveDuplicates => {
                let v = self.arg(call, 0)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut seen: Vec<Value> = Vec::new();
                for item in items(v) {
                    if !seen.contains(&item) {
                        seen.push(item);
                    }
                }
                Ok(Value::List(seen))
            }
            Func::Replace => self.replace(call),
            Func::SelectUniqueValue => {
                for i in 0..call.args.len() {
                    let v = self.one(call, i)?;
                    let Some(candidate) = as_string(v) else {
                        continue;
                    };
                    if candidate.is_empty() {
                        continue;
                    }
                    if !(self.ctx.is_taken)(&candidate) {
                        return Ok(Value::Str(candidate));
                    }
                }
                fail(
                    Code::NoUniqueValue,
                    span,
                    format!(
                        "all {} candidates of `SelectUniqueValue` are already taken",
                        call.args.len()
                    ),
                    Some("add another candidate rule, for example one that appends a number"),
                )
            }
            Func::Split => {
                let Some(s) = self.text(call, 0)? else {
                    return Ok(Value::Null);
                };
                let delimiter = self.text_or_empty(call, 1)?;
                if delimiter.is_empty() {
                    return fail(
                        Code::InvalidValue,
                        call.arg_span(1),
                        "the delimiter is empty",
                        None,
                    );
                }
                Ok(Value::List(
                    s.split(delimiter.as_str())
                        .map(|p| Value::Str(p.to_string()))
                        .collect(),
                ))
            }
            Func::StripSpaces => Ok(self
                .text(call, 0)?
                .map_or(Value::Null, |s| Value::Str(text::strip_spaces(&s)))),
            Func::Switch => {
                let source = self.text(call, 0)?.unwrap_or_default();
                let mut i = 2;
                while i + 1 < call.args.len() {
                    let key = self.text_or_empty(call, i)?;
                    if key == source {
                        return self.arg(call, i + 1);
                    }
                    i += 2;
                }
                self.arg(call, 1)
            }
            Func::ToLower | Func::ToUpper => {
                let Some(s) = self.text(call, 0)? else {
                    return Ok(Value::Null);
                };
                let culture = self.text(call, 1)?.filter(|c| !c.is_empty());
                let result = if call.func == Func::ToLower {
                    text::to_lower(&s, culture.as_deref())
                } else {
                    text::to_upper(&s, culture.as_deref())
                };
                match result {
                    Ok(s) => Ok(Value::Str(s)),
                    Err(text::UnknownCulture(c)) => {
                        fail_with(unknown_culture(&c, call.arg_span(1)))
                    }
                }
            }
            Func::Word => {
                let s = self.text(call, 0)?;
                let n = self.int(call, 1)?.unwrap_or(0);
                let delimiters = self.text_or_empty(call, 2)?;
                Ok(Value::Str(s.map_or_else(String::new, |s| {
                    text::word(&s, n, &delimiters)
                })))
            }
        }
    }

    /// `Replace`, in the five modes the documentation describes.
    fn replace(&mut self, call: &Call) -> Result<Value> {
        let has = |i: usize| call.arg(i).is_some();
        let source = self.text(call, 0)?;
        if has(2) {
            let Some(re) = self.regex(call, 2, netregex::Options::default())? else {
                return Ok(source.map_or(Value::Null, Value::Str));
            };
            let run = |r: std::result::Result<String, netregex::RegexError>, span: Span| match r {
                Ok(s) => Ok(Value::Str(s)),
                Err(e) => fail_with(regex_diagnostic(&e, span, Code::RegexLimit)),
            };
            if has(3) {
                let group = self.text_or_empty(call, 3)?;
                if has(4) {
                    // Mode 4: replace what the named group captured.
                    let replacement = self.text_or_empty(call, 4)?;
                    let Some(source) = source else {
                        return Ok(Value::Null);
                    };
                    return run(
                        re.replace_group(&source, &group, &replacement),
                        call.arg_span(2),
                    );
                }
                // Mode 5: the source if it has a value, else the group matched in the
                // replacement attribute.
                if let Some(s) = source.filter(|s| !s.is_empty()) {
                    return Ok(Value::Str(s));
                }
                let Some(other) = self.text(call, 5)? else {
                    return Ok(Value::Null);
                };
                return match re.first_group(&other, &group) {
                    Ok(found) => Ok(found.map_or(Value::Null, Value::Str)),
                    Err(e) => fail_with(regex_diagnostic(&e, call.arg_span(2), Code::RegexLimit)),
                };
            }
            // Mode 3: regex replace with .NET substitutions.
            let replacement = self.text_or_empty(call, 4)?;
            let Some(source) = source else {
                return Ok(Value::Null);
            };
            return run(re.replace_all(&source, &replacement), call.arg_span(2));
        }
        let old = self.text_or_empty(call, 1)?;
        if has(4) {
            // Mode 1: plain, case-sensitive replacement of every occurrence.
            let replacement = self.text_or_empty(call, 4)?;
            let Some(source) = source else {
                return Ok(Value::Null);
            };
            if old.is_empty() {
                return Ok(Value::Str(source));
            }
            return Ok(Value::Str(source.replace(&old, &replacement)));
        }
        // Mode 2: the source placed into the template where `oldValue` stands.
        let template = self.text_or_empty(call, 6)?;
        let Some(source) = source else {
            return Ok(Value::Null);
        };
        if old.is_empty() {
            return Ok(Value::Str(template));
        }
        Ok(Value::Str(template.replace(&old, &source)))
    }
}

/// The truth of a value: booleans, `"True"`/`"False"` in any case, non-zero numbers; NULL and
/// any other text are false.
fn truth(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        Value::Str(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s.parse::<i64>().is_ok_and(|n| n != 0)
        }
        _ => false,
    }
}

/// Comparison inside `IIF`/`CBool`: NULL on either side makes every comparison false (Entra:
/// "the condition check fails"); numbers compare as numbers, dates as dates, booleans by truth,
/// and everything else as case-sensitive ordinal strings.
fn compare(l: &Value, r: &Value, op: CmpOp) -> bool {
    use std::cmp::Ordering;
    if l.is_null() || r.is_null() {
        return false;
    }
    let ord: Option<Ordering> = match (l, r) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Str(s)) => s.trim().parse::<i64>().ok().map(|b| a.cmp(&b)),
        (Value::Str(s), Value::Int(b)) => s.trim().parse::<i64>().ok().map(|a| a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Str(s)) => datetime::parse(s).ok().map(|b| a.cmp(&b)),
        (Value::Str(s), Value::Date(b)) => datetime::parse(s).ok().map(|a| a.cmp(b)),
        (Value::Bool(a), other) | (other, Value::Bool(a)) => {
            let b = truth(other);
            let same = *a == b;
            return match op {
                CmpOp::Eq => same,
                CmpOp::Ne => !same,
                _ => false,
            };
        }
        _ => None,
    };
    let ord = match ord {
        Some(o) => o,
        None => {
            let (a, b) = (
                l.as_text().unwrap_or_default(),
                r.as_text().unwrap_or_default(),
            );
            a.as_ref().cmp(b.as_ref())
        }
    };
    match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    }
}

/// `InStr`: 1-based character position of `needle` in `haystack` at or after `start`, 0 when
/// absent; an empty needle is found at `start` (when within the string).
fn instr(haystack: &str, needle: &str, start: i64, text_compare: bool) -> i64 {
    let hay: Vec<char> = if text_compare {
        haystack.chars().flat_map(char::to_lowercase).collect()
    } else {
        haystack.chars().collect()
    };
    let nee: Vec<char> = if text_compare {
        needle.chars().flat_map(char::to_lowercase).collect()
    } else {
        needle.chars().collect()
    };
    let from = usize::try_from(start - 1).unwrap_or(usize::MAX);
    if from > hay.len() {
        return 0;
    }
    if nee.is_empty() {
        return start;
    }
    let found = hay
        .get(from..)
        .and_then(|rest| rest.windows(nee.len()).position(|w| w == nee.as_slice()));
    found.map_or(0, |p| i64::try_from(from + p + 1).unwrap_or(0))
}

/// The display name of an app role assignment given as a string or a complex value.
fn role_name(v: &Value) -> Value {
    for key in ["displayName", "display", "value", "id"] {
        if let Some(name @ Value::Str(_)) = v.field(key) {
            return name.clone();
        }
    }
    v.clone()
}

/// Which white space `FormatDateTime` skips, from its `dateTimeStyles` argument: (leading,
/// trailing). Empty means the documented default, which allows both; otherwise the .NET flag
/// names, separated by commas or `|`, case-insensitive (`AllowWhiteSpaces` allows both; `None`
/// neither). Other flags are accepted and do not change parsing.
fn white_space_styles(styles: &str) -> (bool, bool) {
    if styles.trim().is_empty() {
        return (true, true);
    }
    let mut lead = false;
    let mut trail = false;
    for flag in styles.split([',', '|']).map(str::trim) {
        if flag.eq_ignore_ascii_case("AllowLeadingWhite") {
            lead = true;
        } else if flag.eq_ignore_ascii_case("AllowTrailingWhite") {
            trail = true;
        } else if flag.eq_ignore_ascii_case("AllowWhiteSpaces") {
            (lead, trail) = (true, true);
        }
    }
    (lead, trail)
}

/// A version-4 GUID, lower case, from 16 random bytes.
fn format_guid(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or("");
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instr_examples() {
        assert_eq!(instr("The quick brown fox", "quick", 1, false), 5);
        assert_eq!(instr("repEated", "e", 3, false), 7);
        assert_eq!(instr("repEated", "e", 3, true), 4);
        assert_eq!(instr("abc", "z", 1, false), 0);
        assert_eq!(instr("abc", "", 2, false), 2);
        assert_eq!(instr("abc", "a", 9, false), 0);
    }

    #[test]
    fn comparisons() {
        let s = |x: &str| Value::Str(x.into());
        assert!(compare(&s("10"), &Value::Int(9), CmpOp::Gt));
        assert!(compare(&s("b"), &s("a"), CmpOp::Gt));
        assert!(!compare(&s("A"), &s("a"), CmpOp::Eq));
        assert!(!compare(&Value::Null, &s(""), CmpOp::Eq));
        assert!(!compare(&Value::Null, &s(""), CmpOp::Ne));
        assert!(compare(&Value::Bool(true), &s("True"), CmpOp::Eq));
    }

    #[test]
    fn guid_shape() {
        let g = format_guid([0xab; 16]);
        assert_eq!(g.len(), 36);
        assert_eq!(g.chars().nth(14), Some('4'));
    }
}
