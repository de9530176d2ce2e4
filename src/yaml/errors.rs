//! serde-saphyr errors as Roster diagnostics: a `Y1xx` code, the exact span, our wording.
//!
//! serde-saphyr reports a line and column (and for most errors a byte range). Some facts a good
//! message needs are not in the error: where the first of two duplicate keys is, which mapping
//! lacks a required key, what the offending node looks like. For those the file's events are
//! read again ([`Outline`]), which only happens on the error path.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use serde_saphyr::{Error, Location, MessageFormatter as _, UserMessageFormatter};

use super::{Limits, location_span};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId, Span, did_you_mean};

/// The diagnostic for a serde-saphyr error on `text`.
pub(super) fn to_diagnostic(
    file: FileId,
    text: &str,
    limits: &Limits,
    error: &Error,
) -> Diagnostic {
    // Where the problem is used (an alias), and where the offending node is defined.
    let primary = error.location();
    let (inner, defined) = unwrap(error);
    let span = primary
        .as_ref()
        .and_then(|l| span_of(text, l))
        .unwrap_or_default();
    let node_span = defined
        .as_ref()
        .or(inner.location().as_ref())
        .and_then(|l| span_of(text, l))
        .unwrap_or(span);
    let mut diagnostic = describe(text, limits, inner, span, node_span);
    diagnostic.file = file;
    for label in &mut diagnostic.labels {
        label.file = file;
    }
    if let Some(defined_span) = defined.as_ref().and_then(|l| span_of(text, l))
        && defined_span.start != diagnostic.span.start
        && diagnostic.code != Code::YamlTooComplex
    {
        diagnostic = diagnostic.with_label(defined_span, "the value comes from this anchor");
    }
    diagnostic
}

/// The original error inside serde-saphyr's wrappers, and the anchor location when an alias
/// was involved.
fn unwrap(error: &Error) -> (&Error, Option<Location>) {
    let mut current = error;
    let mut defined = None;
    // Wrappers nest at most a few levels; the bound only guards against a cycle.
    for _ in 0..16 {
        match current {
            Error::WithSnippet { error, .. } => current = error,
            Error::AliasError {
                error, locations, ..
            } => {
                if defined.is_none() && locations.defined_location != locations.reference_location {
                    defined = Some(locations.defined_location);
                }
                current = error;
            }
            _ => break,
        }
    }
    (current, defined.filter(|l| *l != Location::UNKNOWN))
}

/// Builds the diagnostic (in file 0; the caller places it).
fn describe(text: &str, limits: &Limits, error: &Error, span: Span, node: Span) -> Diagnostic {
    let complex = |what: String| {
        Diagnostic::new(
            Code::YamlTooComplex,
            span,
            format!("the file is too complex: {what} (possible YAML bomb)"),
        )
        .with_help(
            "policy files are limited in size, nesting and alias use; write the values out or split the file",
        )
    };
    match error {
        Error::ExternalMessage { msg, source, .. } => {
            let message = match source.as_ref() {
                serde_saphyr::ExternalMessageSource::Parser(scan) => scan.info(),
                _ => msg.clone(),
            };
            syntax(span, &message)
        }
        Error::Eof { .. } => {
            if Outline::new(text).has_content() {
                Diagnostic::new(
                    Code::YamlWrongType,
                    span,
                    "the document ends where a value is expected",
                )
            } else {
                Diagnostic::new(Code::YamlWrongType, Span::new(0, 0), "the file is empty")
            }
        }
        Error::MultipleDocuments { .. } => {
            let outline = Outline::new(text);
            let second = outline
                .events
                .iter()
                .filter(|e| matches!(e.kind, Kind::DocumentStart))
                .nth(1)
                .map_or(span, |e| e.span);
            Diagnostic::new(
                Code::YamlMultipleDocuments,
                second,
                "the file holds more than one YAML document",
            )
            .with_help("a policy file is one document: put the others in files of their own")
        }
        Error::Unexpected { expected, .. } => {
            let found = Outline::new(text).found(node.start);
            let span = match &found {
                Some(f) if span == node => f.span,
                _ => span,
            };
            let found = found.map_or_else(String::new, |f| format!(", found {}", f.what));
            Diagnostic::new(
                Code::YamlWrongType,
                span,
                format!("expected {}{found}", expected_phrase(expected)),
            )
        }
        Error::InvalidScalar { ty, .. } => wrong_value(text, span, node, &scalar_type(ty), None),
        Error::InvalidBooleanStrict { .. } => wrong_value(
            text,
            span,
            node,
            "`true` or `false`",
            Some("YAML 1.2 booleans are `true` and `false` only"),
        ),
        Error::NullIntoString { .. } => wrong_value(text, span, node, "a string", None),
        Error::InvalidCharNull { .. } | Error::InvalidCharNotSingleScalar { .. } => {
            wrong_value(text, span, node, "a single character", None)
        }
        Error::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | Error::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => {
            let found = Outline::new(text)
                .found(node.start)
                .map_or_else(|| unexpected.clone(), |f| f.what);
            Diagnostic::new(
                Code::YamlWrongType,
                span,
                format!("expected {expected}, found {found}"),
            )
        }
        Error::SerdeInvalidLength { len, expected, .. } => Diagnostic::new(
            Code::YamlWrongType,
            span,
            format!(
                "expected {expected}, found {len} {}",
                if *len == 1 { "item" } else { "items" }
            ),
        ),
        Error::SerdeUnknownVariant {
            variant, expected, ..
        } => Diagnostic::new(
            Code::YamlWrongType,
            span,
            format!("unknown value `{variant}`"),
        )
        .with_help(choices(variant, expected, "the values allowed here are")),
        Error::SerdeUnknownField {
            field, expected, ..
        } => Diagnostic::new(Code::YamlUnknownKey, span, format!("unknown key `{field}`"))
            .with_help(choices(field, expected, "the keys allowed here are")),
        Error::SerdeMissingField { field, .. } => {
            let span = Outline::new(text)
                .enclosing_mapping(span.start)
                .unwrap_or(span);
            Diagnostic::new(Code::YamlMissingKey, span, format!("missing key `{field}`"))
                .with_help(format!("add `{field}:` to this mapping"))
        }
        Error::DuplicateMappingKey { key, .. } => {
            let outline = Outline::new(text);
            let name = key.clone().or_else(|| outline.scalar_at(span.start));
            let message = match &name {
                Some(key) => format!("duplicate key `{key}`"),
                None => "duplicate key".to_string(),
            };
            let mut diagnostic = Diagnostic::new(Code::YamlDuplicateKey, span, message)
                .with_help("a key may appear only once in a mapping: remove or rename one of them");
            if let Some(first) = outline.first_duplicate(span.start) {
                diagnostic = diagnostic.with_label(first, "first defined here");
            }
            diagnostic
        }
        Error::UnknownAnchor { .. } => {
            let alias = alias_name(text, span.start);
            let message = match &alias {
                Some(name) => format!("the alias `*{name}` refers to no anchor"),
                None => "the alias refers to no anchor".to_string(),
            };
            let span = alias.map_or(span, |a| {
                Span::new(span.start, span.start.saturating_add(1 + a.len()))
            });
            Diagnostic::new(Code::YamlSyntax, span, message)
                .with_help("define the anchor (`&name`) before the alias that uses it")
        }
        Error::UnsupportedTag { tag, .. } | Error::TaggedEnumMismatch { tagged: tag, .. } => {
            Diagnostic::new(Code::YamlSyntax, span, format!("unsupported tag `{tag}`"))
                .with_help("policy files do not use YAML tags: remove the tag")
        }
        Error::MergeValueNotMapOrSeqOfMaps { .. } => Diagnostic::new(
            Code::YamlWrongType,
            span,
            "the value of a merge key `<<` must be a mapping or a list of mappings",
        ),
        Error::Budget { breach, .. } => complex(breach_phrase(breach, limits)),
        Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => complex(format!(
            "its aliases expand to more than {} events",
            limits.max_alias_replayed_events
        )),
        Error::AliasReplayStackDepthExceeded { max_depth, .. } => complex(format!(
            "aliases nest inside each other more than {max_depth} times"
        )),
        Error::RecursiveReferencesRequireWeakTypes { .. } => {
            complex("an alias refers to a node that contains it".to_string())
        }
        other => Diagnostic::new(Code::YamlWrongType, span, fallback_message(other)),
    }
}

/// A syntax error, with help for the usual causes.
fn syntax(span: Span, message: &str) -> Diagnostic {
    let message = tidy(message);
    let help = if message.contains("after double-quoted") {
        Some(
            "a double-quoted string ends at the next unescaped `\"`: write `\\\"` inside it, or quote the whole value with single quotes, e.g. `'Join(\" \", [a], [b])'`",
        )
    } else if message.contains("after single-quoted") {
        Some("a single-quoted string ends at the next `'`: write `''` for a quote inside it")
    } else if message.contains("mapping values are not allowed")
        || message.contains("did not find expected key")
    {
        Some(
            "a value that contains `: ` or starts with `[`, `{`, `\"` or `'` must be quoted as a whole, e.g. `'...'`",
        )
    } else if message.contains("tab") {
        Some("indent with spaces: YAML does not allow tabs for indentation")
    } else {
        None
    };
    Diagnostic::new(Code::YamlSyntax, span, message).with_help_opt(help.map(str::to_string))
}

/// "expected X, found `token`" for a scalar that does not convert.
fn wrong_value(
    text: &str,
    span: Span,
    node: Span,
    expected: &str,
    help: Option<&str>,
) -> Diagnostic {
    let found = Outline::new(text).found(node.start);
    let span = match &found {
        Some(f) if span == node => f.span,
        _ => span,
    };
    let found = found.map_or_else(
        || {
            format!(
                "`{}`",
                shorten(text.get(node.start..node.end).unwrap_or(""))
            )
        },
        |f| f.what,
    );
    Diagnostic::new(
        Code::YamlWrongType,
        span,
        format!("expected {expected}, found {found}"),
    )
    .with_help_opt(help.map(str::to_string))
}

/// "did you mean `x`? the keys allowed here are `a`, `b`".
fn choices(given: &str, expected: &[&str], intro: &str) -> String {
    if expected.is_empty() {
        return "nothing is allowed here".to_string();
    }
    let list = expected
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match did_you_mean(given, expected.iter().copied()) {
        Some(near) => format!("did you mean `{near}`? {intro} {list}"),
        None => format!("{intro} {list}"),
    }
}

/// What serde-saphyr's "expected ..." phrases mean to a policy author.
fn expected_phrase(expected: &str) -> String {
    match expected {
        "mapping start" | "empty mapping start" => "a mapping".to_string(),
        "sequence start" => "a list".to_string(),
        "string scalar" | "scalar" => "a single value".to_string(),
        other => other.to_string(),
    }
}

/// A Rust scalar type as a policy author would call it.
fn scalar_type(ty: &str) -> String {
    let range = |min: &str, max: &str| format!("a whole number from {min} to {max}");
    match ty {
        "u8" => range("0", &u8::MAX.to_string()),
        "u16" => range("0", &u16::MAX.to_string()),
        "u32" => range("0", &u32::MAX.to_string()),
        "u64" | "usize" => range("0", &u64::MAX.to_string()),
        "u128" => "a non-negative whole number".to_string(),
        "i8" => range(&i8::MIN.to_string(), &i8::MAX.to_string()),
        "i16" => range(&i16::MIN.to_string(), &i16::MAX.to_string()),
        "i32" => range(&i32::MIN.to_string(), &i32::MAX.to_string()),
        "i64" | "isize" => range(&i64::MIN.to_string(), &i64::MAX.to_string()),
        "i128" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "bool" => "`true` or `false`".to_string(),
        "char" => "a single character".to_string(),
        other => format!("a value of type `{other}`"),
    }
}

fn breach_phrase(breach: &BudgetBreach, limits: &Limits) -> String {
    match breach {
        BudgetBreach::Depth { .. } => format!(
            "mappings and lists nest deeper than {} levels",
            limits.max_depth
        ),
        BudgetBreach::Nodes { .. } => format!(
            "it has more than {} values, counting those repeated by aliases",
            limits.max_nodes
        ),
        BudgetBreach::Aliases { .. } => {
            format!("it uses more than {} aliases", limits.max_aliases)
        }
        BudgetBreach::ScalarBytes { .. } => format!(
            "its text exceeds {} bytes, counting text repeated by aliases",
            limits.max_scalar_bytes
        ),
        BudgetBreach::AliasAnchorRatio { aliases, anchors } => {
            format!("it uses {aliases} aliases for only {anchors} anchors")
        }
        BudgetBreach::Events { .. } => "it has too many YAML events".to_string(),
        BudgetBreach::Anchors { .. } => "it defines too many anchors".to_string(),
        _ => "it exceeds a parser limit".to_string(),
    }
}

/// serde-saphyr's own user-facing message, in our style.
fn fallback_message(error: &Error) -> String {
    tidy(&UserMessageFormatter.format_message(error))
}

/// Lower case first letter, no final period, `'x'` quoting turned into backticks.
fn tidy(message: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        if first {
            out.extend(c.to_lowercase());
            first = false;
            continue;
        }
        if c == '\'' {
            // A quoted indicator such as ':' or '-': at most three characters, no spaces.
            let rest: String = chars.clone().take(4).collect();
            if let Some(close) = rest.find('\'')
                && close > 0
                && !rest.get(..close).unwrap_or(" ").contains(' ')
            {
                out.push('`');
                out.push_str(rest.get(..close).unwrap_or(""));
                out.push('`');
                for _ in 0..=rest.get(..close).map_or(0, |s| s.chars().count()) {
                    chars.next();
                }
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The first 40 characters of `s`, with an ellipsis if cut, on one line.
fn shorten(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// The name of the alias at `offset` (`*name`), if there is one.
fn alias_name(text: &str, offset: usize) -> Option<String> {
    let rest = text.get(offset..)?.strip_prefix('*')?;
    let name: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The byte span of a location: its byte range when serde-saphyr knows it, otherwise the
/// character at its line and column.
fn span_of(text: &str, location: &Location) -> Option<Span> {
    if *location == Location::UNKNOWN {
        return None;
    }
    if let Some(span) = location_span(location) {
        let len = text.len();
        return Some(Span::new(span.start.min(len), span.end.min(len)));
    }
    let start = offset_of(
        text,
        usize::try_from(location.line()).ok()?,
        usize::try_from(location.column()).ok()?,
    );
    let width = text
        .get(start..)
        .and_then(|s| s.chars().next())
        .filter(|c| *c != '\n' && *c != '\r')
        .map_or(0, char::len_utf8);
    Some(Span::new(start, start + width))
}

/// The byte offset of a 1-based line and character column (clamped to the line; a byte order
/// mark at the start of the file is not counted).
pub(super) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for (index, l) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            break;
        }
        start += l.len();
    }
    if start == 0 && text.starts_with('\u{feff}') {
        start = '\u{feff}'.len_utf8();
    }
    let rest = text.get(start..).unwrap_or("");
    let mut offset = start;
    for c in rest.chars().take(column.saturating_sub(1)) {
        if c == '\n' || c == '\r' {
            break;
        }
        offset += c.len_utf8();
    }
    offset.min(text.len())
}

/// The kind of a parser event, as far as error messages care.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    DocumentStart,
    MappingStart,
    MappingEnd,
    SequenceStart,
    SequenceEnd,
    Scalar { value: String, plain: bool },
    Alias,
    Other,
}

#[derive(Debug, Clone)]
struct Ev {
    kind: Kind,
    span: Span,
}

/// What a node is, for "found ..." and where exactly it is.
struct Found {
    what: String,
    span: Span,
}

/// The events of a file up to its first syntax error, for looking around an error location.
struct Outline {
    events: Vec<Ev>,
}

/// A mapping or sequence being walked.
struct Frame {
    is_map: bool,
    /// The next node of a mapping is a key.
    expect_key: bool,
    start: Span,
    keys: Vec<(String, Span)>,
}

impl Outline {
    fn new(text: &str) -> Outline {
        let mut events = Vec::new();
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
            else {
                continue;
            };
            let kind = match event {
                Event::DocumentStart(..) => Kind::DocumentStart,
                Event::MappingStart(..) => Kind::MappingStart,
                Event::MappingEnd => Kind::MappingEnd,
                Event::SequenceStart(..) => Kind::SequenceStart,
                Event::SequenceEnd => Kind::SequenceEnd,
                Event::Scalar(value, style, _, _) => Kind::Scalar {
                    value: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                },
                Event::Alias(_) => Kind::Alias,
                _ => Kind::Other,
            };
            events.push(Ev {
                kind,
                span: Span::new(start, end.max(start)),
            });
        }
        Outline { events }
    }

    /// Whether the file has any node (not only comments and blank lines).
    fn has_content(&self) -> bool {
        self.events.iter().any(|e| match &e.kind {
            Kind::Scalar { value, plain } => {
                !(*plain && value.is_empty() && e.span.start == e.span.end)
            }
            Kind::MappingStart | Kind::SequenceStart | Kind::Alias => true,
            _ => false,
        })
    }

    /// The node that starts at `offset`, described.
    fn found(&self, offset: usize) -> Option<Found> {
        let event = self.events.iter().find(|e| {
            e.span.start == offset
                && matches!(
                    e.kind,
                    Kind::MappingStart | Kind::SequenceStart | Kind::Scalar { .. } | Kind::Alias
                )
        })?;
        let what = match &event.kind {
            Kind::MappingStart => "a mapping".to_string(),
            Kind::SequenceStart => "a list".to_string(),
            Kind::Alias => "an alias".to_string(),
            Kind::Scalar { value, plain } => {
                if *plain && event.span.start == event.span.end {
                    "nothing".to_string()
                } else if *plain && matches!(value.as_str(), "~" | "null" | "Null" | "NULL") {
                    format!("null (`{value}`)")
                } else {
                    format!("`{}`", shorten(value))
                }
            }
            _ => return None,
        };
        Some(Found {
            what,
            span: event.span,
        })
    }

    /// The value of the scalar starting at `offset`.
    fn scalar_at(&self, offset: usize) -> Option<String> {
        self.events.iter().find_map(|e| match &e.kind {
            Kind::Scalar { value, .. } if e.span.start == offset => Some(value.clone()),
            _ => None,
        })
    }

    /// Walks the events, calling `visit` with the frames open at each event (before it is
    /// applied); stops when `visit` returns something.
    fn walk<R>(&self, mut visit: impl FnMut(&[Frame], &Ev) -> Option<R>) -> Option<R> {
        let mut stack: Vec<Frame> = Vec::new();
        for event in &self.events {
            if let Some(result) = visit(&stack, event) {
                return Some(result);
            }
            match &event.kind {
                Kind::DocumentStart => stack.clear(),
                Kind::MappingStart | Kind::SequenceStart => {
                    stack.push(Frame {
                        is_map: event.kind == Kind::MappingStart,
                        expect_key: true,
                        start: event.span,
                        keys: Vec::new(),
                    });
                }
                Kind::MappingEnd | Kind::SequenceEnd => {
                    stack.pop();
                    complete(&mut stack);
                }
                Kind::Scalar { value, .. } => {
                    if let Some(top) = stack.last_mut()
                        && top.is_map
                        && top.expect_key
                    {
                        top.keys.push((value.clone(), event.span));
                    }
                    complete(&mut stack);
                }
                Kind::Alias => complete(&mut stack),
                Kind::Other => {}
            }
        }
        None
    }

    /// The span of the first occurrence of the key that starts at `offset`.
    fn first_duplicate(&self, offset: usize) -> Option<Span> {
        self.walk(|stack, event| {
            let Kind::Scalar { value, .. } = &event.kind else {
                return None;
            };
            if event.span.start != offset {
                return None;
            }
            let top = stack.last()?;
            if !(top.is_map && top.expect_key) {
                return None;
            }
            top.keys
                .iter()
                .find(|(key, _)| key == value)
                .map(|(_, span)| *span)
        })
    }

    /// The mapping that a location at `offset` is in (or starts), as the span of its start:
    /// its first key, or its `{`.
    fn enclosing_mapping(&self, offset: usize) -> Option<Span> {
        let index = self.walk(|stack, event| {
            if event.span.start < offset {
                return None;
            }
            if event.kind == Kind::MappingStart {
                return Some(None);
            }
            let top = stack.iter().rposition(|f| f.is_map)?;
            Some(Some(stack.get(top)?.start))
        })?;
        let start = match index {
            Some(start) => start,
            None => {
                self.events
                    .iter()
                    .find(|e| e.span.start >= offset && e.kind == Kind::MappingStart)?
                    .span
            }
        };
        if start.end > start.start {
            return Some(start);
        }
        // A block mapping starts at its first key.
        self.events
            .iter()
            .find(|e| e.span.start == start.start && matches!(e.kind, Kind::Scalar { .. }))
            .map(|e| e.span)
            .or(Some(start))
    }
}

/// A node has been completed inside the top frame: a mapping alternates key and value.
fn complete(stack: &mut [Frame]) {
    if let Some(top) = stack.last_mut()
        && top.is_map
    {
        top.expect_key = !top.expect_key;
    }
}
