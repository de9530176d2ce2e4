//! The `check` stage for mapping expressions: resolves function names and arities, validates
//! constant arguments (intervals, patterns, cultures), places attribute references in slots,
//! and produces a [`Program`] that evaluates without re-parsing anything.

use super::functions::{self, Func, FuncInfo};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Span, did_you_mean};
use crate::dotnet::{datetime, regex as netregex};
use crate::syntax::ast::{CmpOp, Expr, ExprKind};
use crate::value::Value;

/// Which of the two flow keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKeyword {
    /// `IgnoreAttributeFlow`: the target attribute is not written.
    Attribute,
    /// `IgnoreObjectFlow`: the whole object is skipped.
    Object,
}

/// A compiled expression node.
#[derive(Debug, Clone)]
pub enum Node {
    /// A constant.
    Const(Value),
    /// The attribute in slot `n` of the record.
    Attr(usize, Span),
    /// `IgnoreAttributeFlow` / `IgnoreObjectFlow`.
    Flow(FlowKeyword),
    /// A function call.
    Call(Box<Call>),
    /// A comparison.
    Compare(Box<(Node, Node)>, CmpOp, Span),
}

/// A compiled function call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Which function.
    pub func: Func,
    /// The arguments; `None` is omitted.
    pub args: Vec<Option<Node>>,
    /// The whole call, for evaluation errors.
    pub span: Span,
    /// Where each argument was written (the call's span for omitted ones).
    pub arg_spans: Vec<Span>,
    /// A pattern compiled ahead of time when it is a constant.
    pub regex: Option<netregex::NetRegex>,
}

impl Call {
    /// Argument `i`, if written.
    pub fn arg(&self, i: usize) -> Option<&Node> {
        self.args.get(i).and_then(Option::as_ref)
    }

    /// Where argument `i` was written.
    pub fn arg_span(&self, i: usize) -> Span {
        self.arg_spans.get(i).copied().unwrap_or(self.span)
    }
}

/// A compiled mapping expression.
#[derive(Debug, Clone)]
pub struct Program {
    /// The root node.
    pub root: Node,
    /// Attribute names by slot, as written.
    pub attributes: Vec<String>,
}

/// Where a node sits, for the placement checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The whole expression.
    Top,
    /// The condition of `IIF`, or the argument of `CBool` / `Not`.
    Condition,
    /// A position whose value becomes the result (IIF branches, Switch values).
    Result,
    /// Anything else: the value is consumed by a function.
    Consumed,
}

struct Compiler {
    attributes: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Checks and compiles a parsed expression. Attribute references get slots in order of first
/// appearance; names are kept as written.
pub fn compile(expr: &Expr) -> (Option<Program>, Vec<Diagnostic>) {
    let mut compiler = Compiler {
        attributes: Vec::new(),
        diagnostics: Vec::new(),
    };
    let root = compiler.node(expr, Place::Top);
    let failed = compiler.diagnostics.iter().any(Diagnostic::is_error);
    let program = match root {
        Some(root) if !failed => Some(Program {
            root,
            attributes: compiler.attributes,
        }),
        _ => None,
    };
    (program, compiler.diagnostics)
}

impl Compiler {
    fn error(&mut self, diagnostic: Diagnostic) -> Option<Node> {
        self.diagnostics.push(diagnostic);
        None
    }

    fn reject(&mut self, diagnostic: Diagnostic) -> Option<()> {
        self.diagnostics.push(diagnostic);
        None
    }

    fn node(&mut self, expr: &Expr, place: Place) -> Option<Node> {
        match &expr.node {
            ExprKind::Str(s) => Some(Node::Const(Value::Str(s.clone()))),
            ExprKind::Int(n) => Some(Node::Const(Value::Int(*n))),
            ExprKind::Attr(name) => {
                let slot = match self.attributes.iter().position(|a| a == name) {
                    Some(slot) => slot,
                    None => {
                        self.attributes.push(name.clone());
                        self.attributes.len() - 1
                    }
                };
                Some(Node::Attr(slot, expr.span))
            }
            ExprKind::Ident(name) => self.identifier(name, expr.span, place),
            ExprKind::Compare { op, lhs, rhs } => {
                if place != Place::Condition {
                    return self.error(
                        Diagnostic::new(
                            Code::ComparisonNotAllowed,
                            op.span,
                            "a comparison can only be the condition of `IIF`, `CBool` or `Not`",
                        )
                        .with_help("wrap it, for example `IIF([a] = [b], \"yes\", \"no\")`"),
                    );
                }
                let l = self.node(lhs, Place::Consumed);
                let r = self.node(rhs, Place::Consumed);
                Some(Node::Compare(Box::new((l?, r?)), op.node, op.span))
            }
            ExprKind::Call { name, args } => {
                self.call(name.node.as_str(), name.span, args, expr.span, place)
            }
        }
    }

    fn identifier(&mut self, name: &str, span: Span, place: Place) -> Option<Node> {
        let flow = if name.eq_ignore_ascii_case("IgnoreAttributeFlow") {
            Some(FlowKeyword::Attribute)
        } else if name.eq_ignore_ascii_case("IgnoreObjectFlow") {
            Some(FlowKeyword::Object)
        } else {
            None
        };
        if let Some(flow) = flow {
            if !matches!(place, Place::Top | Place::Result) {
                return self.error(
                    Diagnostic::new(
                        Code::IgnoreFlowMisplaced,
                        span,
                        format!("`{name}` can only be the result of the expression, not a value another function uses"),
                    )
                    .with_help("return it from a branch of `IIF` or a value of `Switch`"),
                );
            }
            return Some(Node::Flow(flow));
        }
        // Visual Basic compare constants.
        if name.eq_ignore_ascii_case("vbBinaryCompare") {
            return Some(Node::Const(Value::Int(0)));
        }
        if name.eq_ignore_ascii_case("vbTextCompare") {
            return Some(Node::Const(Value::Int(1)));
        }
        let known = [
            "vbBinaryCompare",
            "vbTextCompare",
            "IgnoreAttributeFlow",
            "IgnoreObjectFlow",
        ];
        let mut diag = Diagnostic::new(
            Code::UnknownIdentifier,
            span,
            format!("unknown name `{name}`"),
        );
        diag = match did_you_mean(name, known) {
            Some(s) => diag.with_help(format!("did you mean `{s}`?")),
            None if functions::lookup(name).is_some() => diag.with_help(format!(
                "`{name}` is a function: call it with parentheses, `{name}(...)`"
            )),
            None => diag.with_help(
                "strings need double quotes, attributes square brackets: `\"text\"`, `[attribute]`",
            ),
        };
        self.error(diag)
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Option<Expr>],
        span: Span,
        place: Place,
    ) -> Option<Node> {
        let Some((info, exact)) = functions::lookup(name) else {
            let mut diag = Diagnostic::new(
                Code::UnknownFunction,
                name_span,
                format!("unknown function `{name}`"),
            );
            if let Some(s) = did_you_mean(name, functions::FUNCTIONS.iter().map(|f| f.name)) {
                diag = diag.with_help(format!("did you mean `{s}`?"));
            }
            // Still check the arguments, to report everything at once.
            for arg in args.iter().flatten() {
                let _ = self.node(arg, Place::Consumed);
            }
            return self.error(diag);
        };
        if !exact {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::FunctionCase,
                    name_span,
                    format!("`{name}` is documented as `{}`", info.name),
                )
                .with_help(format!(
                    "write `{}`; Entra documents function names as case-sensitive",
                    info.name
                )),
            );
        }
        if info.func == Func::SelectUniqueValue && place != Place::Top {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::NestedSelectUniqueValue,
                    name_span,
                    "`SelectUniqueValue` must be the outermost function of the expression",
                )
                .with_help("move the other functions inside each candidate: `SelectUniqueValue(ToLower([a]), ToLower([b]))`"),
            );
        }
        let mut ok = self.check_arity(info, args.len(), name_span, span);
        let mut compiled = Vec::with_capacity(args.len());
        let mut arg_spans = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            match arg {
                Some(e) => {
                    arg_spans.push(e.span);
                    match self.node(e, arg_place(info.func, i)) {
                        Some(n) => compiled.push(Some(n)),
                        None => ok = false,
                    }
                }
                None => {
                    arg_spans.push(span);
                    if !info.may_omit(i) {
                        ok = false;
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::MissingArgument,
                                name_span,
                                format!(
                                    "argument {} of `{}` cannot be left empty",
                                    i + 1,
                                    info.name
                                ),
                            )
                            .with_help(format!("the signature is `{}`", info.signature)),
                        );
                    }
                    compiled.push(None);
                }
            }
        }
        if !ok {
            return None;
        }
        let mut call = Call {
            func: info.func,
            args: compiled,
            span,
            arg_spans,
            regex: None,
        };
        self.check_constants(info, &mut call)?;
        Some(Node::Call(Box::new(call)))
    }

    fn check_arity(&mut self, info: &FuncInfo, count: usize, name_span: Span, span: Span) -> bool {
        let too_few = count < info.min;
        let too_many = info.max.is_some_and(|max| count > max);
        let odd_switch = info.func == Func::Switch && count >= 2 && !(count - 2).is_multiple_of(2);
        if !(too_few || too_many || odd_switch) {
            return true;
        }
        let expected = match info.max {
            Some(max) if max == info.min => format!("{max}"),
            Some(max) => format!("{} to {max}", info.min),
            None => format!("at least {}", info.min),
        };
        let message = if odd_switch {
            format!(
                "`Switch` takes a source, a default and key/value pairs, but got {count} arguments (an unpaired key)"
            )
        } else {
            format!(
                "`{}` takes {expected} arguments, but got {count}",
                info.name
            )
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::ArgumentCount,
                name_span.to(Span::new(span.end.saturating_sub(1), span.end)),
                message,
            )
            .with_help(format!("the signature is `{}`", info.signature)),
        );
        false
    }

    /// Validates arguments that are constants and can be checked before any data is seen.
    fn check_constants(&mut self, info: &FuncInfo, call: &mut Call) -> Option<()> {
        let const_str = |call: &Call, i: usize| match call.arg(i) {
            Some(Node::Const(Value::Str(s))) => Some(s.clone()),
            _ => None,
        };
        let const_int = |call: &Call, i: usize| match call.arg(i) {
            Some(Node::Const(Value::Int(n))) => Some(*n),
            _ => None,
        };
        match info.func {
            Func::DateAdd | Func::DateDiff => {
                if let Some(interval) = const_str(call, 0)
                    && datetime::Interval::parse(&interval).is_none()
                {
                    return self.reject(invalid_interval(&interval, call.arg_span(0)));
                }
            }
            Func::Replace => {
                if let Some(pattern) = const_str(call, 2) {
                    match netregex::NetRegex::new(&pattern, netregex::Options::default()) {
                        Ok(re) => {
                            if let Some(group) = const_str(call, 3)
                                && !re.has_group(&group)
                            {
                                return self.reject(
                                    Diagnostic::new(
                                        Code::InvalidArgument,
                                        call.arg_span(3),
                                        format!("the pattern has no group named `{group}`"),
                                    )
                                    .with_help("name the group in the pattern: `(?<name>...)`"),
                                );
                            }
                            call.regex = Some(re);
                        }
                        Err(e) => {
                            return self.reject(regex_diagnostic(
                                &e,
                                call.arg_span(2),
                                Code::InvalidRegex,
                            ));
                        }
                    }
                }
                if call.arg(1).is_none() && call.arg(2).is_none() {
                    return self.reject(
                        Diagnostic::new(Code::MissingArgument, call.span, "`Replace` needs an `oldValue` or a `regexPattern`")
                            .with_help("give the text to replace as argument 2, or a regular expression as argument 3"),
                    );
                }
                let has = |i: usize| call.arg(i).is_some();
                let complete = if has(2) {
                    if has(3) { has(4) || has(5) } else { has(4) }
                } else {
                    has(4) || has(6)
                };
                if !complete {
                    return self.reject(
                        Diagnostic::new(Code::MissingArgument, call.span, "`Replace` is missing what to replace with")
                            .with_help("give `replacementValue` (argument 5); with `oldValue` you may give a `template` (argument 7) instead, and with a group name a `replacementAttributeName` (argument 6)"),
                    );
                }
            }
            Func::InStr => {
                if let Some(n) = const_int(call, 3)
                    && !(0..=1).contains(&n)
                {
                    return self.reject(
                        Diagnostic::new(Code::InvalidArgument, call.arg_span(3), format!("`{n}` is not a compare type"))
                            .with_help("use `vbBinaryCompare` (case-sensitive) or `vbTextCompare` (case-insensitive)"),
                    );
                }
                if let Some(n) = const_int(call, 2)
                    && n < 1
                {
                    return self.reject(start_below_one(n, call.arg_span(2)));
                }
            }
            Func::Mid => {
                if let Some(n) = const_int(call, 1)
                    && n < 1
                {
                    return self.reject(start_below_one(n, call.arg_span(1)));
                }
                if let Some(n) = const_int(call, 2)
                    && n < 0
                {
                    return self.reject(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            call.arg_span(2),
                            format!("the length `{n}` is negative"),
                        )
                        .with_help("give a length of 0 or more"),
                    );
                }
            }
            Func::Item => {
                if let Some(n) = const_int(call, 1)
                    && n < 1
                {
                    return self.reject(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            call.arg_span(1),
                            format!("item index `{n}` is below 1"),
                        )
                        .with_help(
                            "`Item` counts from 1: `Item([proxyAddresses], 1)` is the first value",
                        ),
                    );
                }
            }
            Func::ToLower | Func::ToUpper => {
                if let Some(culture) = const_str(call, 1)
                    && crate::dotnet::text::to_lower("", Some(&culture)).is_err()
                {
                    return self.reject(unknown_culture(&culture, call.arg_span(1)));
                }
            }
            Func::Split if const_str(call, 1).is_some_and(|d| d.is_empty()) => {
                return self.reject(
                    Diagnostic::new(
                        Code::InvalidArgument,
                        call.arg_span(1),
                        "the delimiter is empty",
                    )
                    .with_help("give the text that separates values, such as `\",\"`"),
                );
            }
            Func::RandomString => {
                let values: Vec<Option<i64>> = (0..5).map(|i| const_int(call, i)).collect();
                if let [Some(len), Some(a), Some(b), Some(c), Some(d)] = values.as_slice() {
                    let sum = a.saturating_add(*b).saturating_add(*c).saturating_add(*d);
                    if *len > 256 || sum > *len || [a, b, c, d].iter().any(|v| **v < 0) {
                        return self.reject(
                            Diagnostic::new(
                                Code::InvalidArgument,
                                call.span,
                                format!("`RandomString` cannot make {len} characters with at least {sum} required ones"),
                            )
                            .with_help("the length must be at most 256 and at least the sum of the minimums, which must not be negative"),
                        );
                    }
                }
            }
            _ => {}
        }
        Some(())
    }
}

/// Where argument `i` of `func` sits, for the comparison and flow-keyword checks.
fn arg_place(func: Func, i: usize) -> Place {
    match (func, i) {
        (Func::Iif | Func::CBool | Func::Not, 0) => Place::Condition,
        (Func::Iif, 1 | 2) => Place::Result,
        (Func::Switch, 1) => Place::Result,
        (Func::Switch, i) if i >= 3 && i % 2 == 1 => Place::Result,
        _ => Place::Consumed,
    }
}

/// The diagnostic for an unknown `DateAdd`/`DateDiff` interval.
pub fn invalid_interval(interval: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidArgument, span, format!("`{interval}` is not a date interval"))
        .with_help("use one of `yyyy` (year), `q` (quarter), `m` (month), `y` (day of year), `d` (day), `w` (weekday), `ww` (week), `h` (hour), `n` (minute), `s` (second)")
}

/// The diagnostic for a start position below 1.
pub fn start_below_one(n: i64, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidArgument,
        span,
        format!("start position `{n}` is below 1"),
    )
    .with_help("positions count from 1")
}

/// The diagnostic for an unknown culture name.
pub fn unknown_culture(culture: &str, span: Span) -> Diagnostic {
    Diagnostic::new(Code::InvalidArgument, span, format!("`{culture}` is not a culture name"))
        .with_help("use an RFC 4646 name such as `en-US` or `tr-TR`, or leave the argument out for the invariant culture")
}

/// Turns a regex error into a diagnostic, pointing inside the pattern string when the offset
/// is known (the pattern's span includes its opening quote; escapes may shift the position, so
/// the whole string is marked when in doubt).
pub fn regex_diagnostic(e: &netregex::RegexError, span: Span, code: Code) -> Diagnostic {
    if e.too_large {
        return Diagnostic::new(Code::RegexTooLarge, span, e.message.clone())
            .with_help_opt(e.help.clone());
    }
    let message = if code == Code::RegexLimit {
        e.message.clone()
    } else {
        format!("invalid regular expression: {}", e.message)
    };
    Diagnostic::new(code, span, message).with_help_opt(e.help.clone())
}

impl Program {
    /// Every attribute reference with the slot it reads and where it was written, in source
    /// order.
    pub fn attribute_refs(&self) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        collect_refs(&self.root, &mut out);
        out.sort_by_key(|(_, span)| span.start);
        out
    }

    /// Every function call, with where it was written.
    pub fn calls(&self) -> Vec<&Call> {
        let mut out = Vec::new();
        collect_calls(&self.root, &mut out);
        out
    }
}

/// The attribute slots `node` reads (with repeats), in order.
pub fn collect_slots(node: &Node, out: &mut Vec<usize>) {
    let mut refs = Vec::new();
    collect_refs(node, &mut refs);
    out.extend(refs.into_iter().map(|(slot, _)| slot));
}

fn collect_refs(node: &Node, out: &mut Vec<(usize, Span)>) {
    match node {
        Node::Attr(slot, span) => out.push((*slot, *span)),
        Node::Call(call) => call
            .args
            .iter()
            .flatten()
            .for_each(|a| collect_refs(a, out)),
        Node::Compare(sides, _, _) => {
            collect_refs(&sides.0, out);
            collect_refs(&sides.1, out);
        }
        Node::Const(_) | Node::Flow(_) => {}
    }
}

fn collect_calls<'a>(node: &'a Node, out: &mut Vec<&'a Call>) {
    match node {
        Node::Call(call) => {
            out.push(call);
            call.args
                .iter()
                .flatten()
                .for_each(|a| collect_calls(a, out));
        }
        Node::Compare(sides, _, _) => {
            collect_calls(&sides.0, out);
            collect_calls(&sides.1, out);
        }
        Node::Attr(..) | Node::Const(_) | Node::Flow(_) => {}
    }
}

impl Program {
    /// The values of the expression's attributes, by slot, from a JSON object of attribute name
    /// to value (`roster expr --input`): names match exactly, an absent attribute is NULL.
    pub fn values_from_json(
        &self,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<Value> {
        self.attributes
            .iter()
            .map(|a| input.get(a).map_or(Value::Null, Value::from_json))
            .collect()
    }

    /// Warnings (C111) for `roster expr --input`: an attribute the expression reads that the
    /// input lacks, while the input has a name that differs only in case or by a typo. Absent
    /// means NULL, which is legitimate, so an attribute with no similar name is not reported.
    /// Each warning points at the first `[name]` in `text`.
    pub fn input_warnings(
        &self,
        text: &str,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for name in &self.attributes {
            if input.contains_key(name) {
                continue;
            }
            let keys = input.keys().map(String::as_str);
            let similar = input
                .keys()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map(String::as_str)
                .or_else(|| crate::diagnostics::did_you_mean(name, keys));
            let Some(similar) = similar else { continue };
            let written = format!("[{name}]");
            let span = text.find(&written).map_or(Span::new(0, text.len()), |at| {
                Span::new(at, at + written.len())
            });
            let help = if similar.eq_ignore_ascii_case(name) {
                format!(
                    "attribute names are case-sensitive: write `[{similar}]`, or rename the input's `{similar}`"
                )
            } else {
                format!(
                    "the input's `{similar}` looks like the same attribute: correct the spelling in the expression or in the input"
                )
            };
            out.push(
                Diagnostic::new(
                    Code::InputAttributeMissing,
                    span,
                    format!("`{written}` is not in the input, which has `{similar}`; `{written}` is NULL"),
                )
                .with_help(help),
            );
        }
        out
    }
}
