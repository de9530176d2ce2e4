//! Positions inside string scalars: a byte range of a decoded YAML string mapped back to the
//! bytes of the file that produced it.
//!
//! YAML rewrites string scalars while decoding them: quotes are removed, `''` and `\"`-style
//! escapes are resolved, line breaks are folded into spaces and indentation is stripped. A
//! diagnostic about an expression written in YAML, say at byte 12 of
//! `Join(" ", [givenName], [surname])`, must nevertheless point at the right line and column of
//! the policy file. [`YamlSource`] re-decodes a scalar from its source text, remembering for
//! every decoded byte where it came from, and checks that the result is the value the
//! deserialiser produced before trusting the map.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::Sp;
use crate::diagnostics::{Diagnostic, FileId, Span};

/// A YAML file's text with the style of every scalar in it, able to map positions inside
/// decoded string values back to the file.
///
/// Build it once per file (it parses the file's events again, which is linear in its size and
/// expands no aliases), then call [`YamlSource::inner_span`] for each diagnostic.
#[derive(Debug, Clone)]
pub struct YamlSource<'a> {
    text: &'a str,
    /// Each scalar's source range and style, sorted by start.
    scalars: Vec<(Span, ScalarStyle)>,
}

impl<'a> YamlSource<'a> {
    /// Records the style of every scalar of `text` (of every document in it). Parsing stops at
    /// the first syntax error; scalars after it are unknown and map to their whole span.
    pub fn new(text: &'a str) -> YamlSource<'a> {
        let mut scalars = Vec::new();
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            if let Event::Scalar(_, style, _, _) = event
                && let (Some(start), Some(end)) = (span.start.byte_offset(), span.end.byte_offset())
            {
                scalars.push((Span::new(start, end.max(start)), style));
            }
        }
        scalars.sort_by_key(|(span, _)| (span.start, span.end));
        YamlSource { text, scalars }
    }

    /// The file's text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Maps `inner`, a byte range of the decoded string `scalar.value`, to the byte range of
    /// the file that produced it. Characters that exist in the source map exactly (an escape
    /// sequence maps to the whole sequence, `''` to both quotes); characters synthesised by
    /// line folding map to the line break they replace. When the scalar cannot be re-decoded
    /// to the same value (an unknown position, a value that is not this scalar's), the result
    /// is the scalar's own span. The result always lies within the file.
    pub fn inner_span(&self, scalar: &Sp<String>, inner: Span) -> Span {
        self.span_in(scalar.span, &scalar.value, inner)
    }

    /// [`YamlSource::inner_span`] for a scalar given as its span and decoded value.
    pub fn span_in(&self, span: Span, value: &str, inner: Span) -> Span {
        let fallback = self.clamp(span);
        let Some(map) = self.decode(span, value) else {
            return fallback;
        };
        let len = value.len();
        let start = inner.start.min(inner.end).min(len);
        let end = inner.end.min(len).max(start);
        let position = |k: usize| -> usize {
            match map.ranges.get(k) {
                Some(&(s, _)) => s,
                None => k
                    .checked_sub(1)
                    .and_then(|last| map.ranges.get(last))
                    .map_or(map.content_start, |&(_, e)| e),
            }
        };
        let from = position(start);
        let to = if end == start {
            from
        } else {
            end.checked_sub(1)
                .and_then(|last| map.ranges.get(last))
                .map_or(from, |&(_, e)| e.max(from))
        };
        self.clamp(Span::new(from, to))
    }

    /// Maps the spans of a diagnostic computed on the decoded value of `scalar` (its primary
    /// span and its labels in the same file) into the file, and places it in `file`.
    pub fn relocate(
        &self,
        file: FileId,
        scalar: &Sp<String>,
        diagnostic: Diagnostic,
    ) -> Diagnostic {
        let old = diagnostic.file;
        let mut diagnostic = diagnostic;
        diagnostic.span = self.inner_span(scalar, diagnostic.span);
        for label in &mut diagnostic.labels {
            if label.file == old {
                label.file = file;
                label.span = self.inner_span(scalar, label.span);
            }
        }
        diagnostic.file = file;
        diagnostic
    }

    fn clamp(&self, span: Span) -> Span {
        let len = self.text.len();
        let start = floor_char_boundary(self.text, span.start.min(len));
        let end = ceil_char_boundary(self.text, span.end.min(len).max(start));
        Span::new(start, end)
    }

    /// Re-decodes the scalar at `span` and returns, for every byte of `value`, its source range,
    /// or `None` when the scalar is unknown or decodes to something else.
    fn decode(&self, span: Span, value: &str) -> Option<ByteMap> {
        // An empty block scalar followed by more content is an empty span at the next token,
        // which starts at the same byte: prefer the scalar with the same end.
        let first = self.scalars.partition_point(|(s, _)| s.start < span.start);
        let same_start = self
            .scalars
            .get(first..)?
            .iter()
            .take_while(|(s, _)| s.start == span.start);
        let &(source, style) = same_start
            .clone()
            .find(|(s, _)| s.end == span.end)
            .or_else(|| same_start.clone().next())?;
        let text = self.text;
        match style {
            ScalarStyle::Plain => {
                let decoded = decode_flow(text, source.start, source.end, style)?;
                (decoded.text == value).then_some(ByteMap {
                    ranges: decoded.ranges,
                    content_start: source.start,
                })
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let inner_start = source.start.checked_add(1)?;
                let inner_end = source.end.checked_sub(1)?;
                if inner_end < inner_start {
                    return None;
                }
                let decoded = decode_flow(text, inner_start, inner_end, style)?;
                (decoded.text == value).then_some(ByteMap {
                    ranges: decoded.ranges,
                    content_start: inner_start,
                })
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                decode_block_value(text, source, value, style == ScalarStyle::Folded)
            }
        }
    }
}

/// For every byte of a decoded value, the source range that produced it.
struct ByteMap {
    ranges: Vec<(usize, usize)>,
    /// Where an empty value's position is.
    content_start: usize,
}

/// A decoded string with, per byte, its source range.
#[derive(Default)]
struct Decoded {
    text: String,
    ranges: Vec<(usize, usize)>,
}

impl Decoded {
    fn push(&mut self, c: char, from: usize, to: usize) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.ranges.push((from, to));
        }
    }
}

fn is_blank(b: Option<u8>) -> bool {
    matches!(b, Some(b' ' | b'\t'))
}

fn is_break(b: Option<u8>) -> bool {
    matches!(b, Some(b'\n' | b'\r'))
}

/// The length of the line break at `i` (`\r\n` counts as one), if there is one before `end`.
fn break_len(bytes: &[u8], i: usize, end: usize) -> usize {
    match bytes.get(i) {
        Some(b'\r')
            if i.saturating_add(1) < end && bytes.get(i.saturating_add(1)) == Some(&b'\n') =>
        {
            2
        }
        Some(b'\r' | b'\n') => 1,
        _ => 0,
    }
}

/// Decodes the body of a flow scalar (plain, or the text between the quotes of a quoted one)
/// occupying `start..end` of `src`: line folding for all three, `''` for single quotes, escapes
/// for double quotes. `None` for anything it does not understand.
fn decode_flow(src: &str, start: usize, end: usize, style: ScalarStyle) -> Option<Decoded> {
    let bytes = src.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let mut out = Decoded::default();
    // Blanks seen but not yet emitted: they are dropped when a line break follows them.
    let mut pending: Vec<(char, usize)> = Vec::new();
    let mut i = start;
    while i < end {
        let c = src.get(i..)?.chars().next()?;
        if c == ' ' || c == '\t' {
            pending.push((c, i));
            i = i.saturating_add(1);
            continue;
        }
        if c == '\r' || c == '\n' {
            pending.clear();
            let mut breaks: Vec<(usize, usize)> = Vec::new();
            while i < end && is_break(at(i)) {
                let len = break_len(bytes, i, end).max(1);
                breaks.push((i, i.saturating_add(len)));
                i = i.saturating_add(len);
                while i < end && is_blank(at(i)) {
                    i = i.saturating_add(1);
                }
            }
            if let [(from, to)] = breaks.as_slice() {
                out.push(' ', *from, *to);
            } else {
                for &(from, to) in breaks.iter().skip(1) {
                    out.push('\n', from, to);
                }
            }
            continue;
        }
        for (blank, at_byte) in pending.drain(..) {
            out.push(blank, at_byte, at_byte.saturating_add(1));
        }
        match (style, c) {
            (ScalarStyle::SingleQuoted, '\'') => {
                if at(i.saturating_add(1)) != Some(b'\'') {
                    return None;
                }
                out.push('\'', i, i.saturating_add(2));
                i = i.saturating_add(2);
            }
            (ScalarStyle::DoubleQuoted, '\\') => {
                i = decode_escape(src, i, end, &mut out)?;
            }
            _ => {
                let next = i.saturating_add(c.len_utf8());
                out.push(c, i, next);
                i = next;
            }
        }
    }
    for (blank, at_byte) in pending.drain(..) {
        out.push(blank, at_byte, at_byte.saturating_add(1));
    }
    Some(out)
}

/// Decodes the escape sequence at `at` (a backslash) of a double-quoted scalar; returns where
/// decoding continues.
fn decode_escape(src: &str, at: usize, end: usize, out: &mut Decoded) -> Option<usize> {
    let bytes = src.as_bytes();
    let after = at.checked_add(1)?;
    let e = src.get(after..)?.chars().next()?;
    let mut i = after.checked_add(e.len_utf8())?;
    let simple = match e {
        '0' => Some('\0'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\x0b'),
        'f' => Some('\x0c'),
        'r' => Some('\r'),
        'e' => Some('\x1b'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        out.push(ch, at, i);
        return Some(i);
    }
    let digits = match e {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => 0,
    };
    if digits > 0 {
        let hex = src.get(i..i.checked_add(digits)?)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut code = u32::from_str_radix(hex, 16).ok()?;
        i = i.checked_add(digits)?;
        // A UTF-16 surrogate pair written as two `\u` escapes is one character.
        if (0xD800..0xDC00).contains(&code)
            && let Some(low) = src
                .get(i..i.checked_add(6)?)
                .and_then(|s| s.strip_prefix("\\u"))
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .filter(|low| (0xDC00..0xE000).contains(low))
        {
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i = i.checked_add(6)?;
        }
        out.push(char::from_u32(code)?, at, i);
        return Some(i);
    }
    if e == '\r' || e == '\n' {
        // An escaped line break joins the lines without a space; empty lines that follow
        // still become line feeds.
        if e == '\r' && bytes.get(i) == Some(&b'\n') {
            i = i.checked_add(1)?;
        }
        while i < end && is_blank(bytes.get(i).copied()) {
            i = i.saturating_add(1);
        }
        while i < end && is_break(bytes.get(i).copied()) {
            let len = break_len(bytes, i, end).max(1);
            out.push('\n', i, i.saturating_add(len));
            i = i.saturating_add(len);
            while i < end && is_blank(bytes.get(i).copied()) {
                i = i.saturating_add(1);
            }
        }
        return Some(i);
    }
    None
}

/// One line of a block scalar's body: its content after the indentation and its line break.
#[derive(Clone, Copy)]
struct BlockLine {
    start: usize,
    end: usize,
    /// The range of the line break that ends it (`\r\n` included), if any.
    brk: Option<(usize, usize)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Empty,
    Text,
    /// Starts with a blank after the indentation: never folded.
    Spaced,
}

/// Decodes a literal or folded block scalar whose body spans `source` (the span starts at the
/// first content character of the first non-empty line, at the content indentation), and maps
/// `value` onto it. Leading empty lines lie before the span and trailing line breaks depend on
/// chomping: both are matched against `value` rather than re-derived.
fn decode_block_value(src: &str, source: Span, value: &str, folded: bool) -> Option<ByteMap> {
    let bytes = src.as_bytes();
    // Without content lines the span starts at the header, and the value is only line feeds
    // (a content line starting with `|` would put that `|` in the value).
    if matches!(bytes.get(source.start), Some(b'|' | b'>')) && value.bytes().all(|b| b == b'\n') {
        return empty_block_value(src, source, value);
    }
    let line_start = src
        .get(..source.start)?
        .rfind('\n')
        .map_or(0, |p| p.saturating_add(1));
    let prefix = src.get(line_start..source.start)?;
    if !prefix.bytes().all(|b| b == b' ') {
        return None;
    }
    let indent = prefix.len();

    let mut lines: Vec<BlockLine> = Vec::new();
    let mut line = source.start;
    let mut first = true;
    loop {
        let rest = src.get(line..source.end)?;
        let newline = rest.find('\n').map(|p| line.saturating_add(p));
        let line_end = newline.unwrap_or(source.end);
        let mut start = line;
        if !first {
            let mut n = 0;
            while start < line_end && n < indent && bytes.get(start) == Some(&b' ') {
                start = start.saturating_add(1);
                n += 1;
            }
        }
        let content_end =
            if line_end > start && bytes.get(line_end.saturating_sub(1)) == Some(&b'\r') {
                line_end.saturating_sub(1)
            } else {
                line_end
            };
        lines.push(BlockLine {
            start,
            end: content_end.max(start),
            brk: newline.map(|n| (content_end.max(start), n.saturating_add(1))),
        });
        first = false;
        match newline {
            Some(n) if n.saturating_add(1) < source.end => line = n.saturating_add(1),
            _ => break,
        }
    }

    let kind = |l: &BlockLine| -> LineKind {
        if l.start >= l.end {
            LineKind::Empty
        } else if is_blank(bytes.get(l.start).copied()) {
            LineKind::Spaced
        } else {
            LineKind::Text
        }
    };
    let mut out = Decoded::default();
    let mut i = 0;
    while let Some(l) = lines.get(i) {
        for (offset, ch) in src.get(l.start..l.end)?.char_indices() {
            let at = l.start.saturating_add(offset);
            out.push(ch, at, at.saturating_add(ch.len_utf8()));
        }
        let Some((bf, bt)) = l.brk else { break };
        if !folded || kind(l) == LineKind::Empty {
            out.push('\n', bf, bt);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut empties: Vec<(usize, usize)> = Vec::new();
        while let Some(next) = lines.get(j) {
            match (kind(next), next.brk) {
                (LineKind::Empty, Some(b)) => {
                    empties.push(b);
                    j += 1;
                }
                _ => break,
            }
        }
        let next_kind = lines.get(j).map(kind);
        if kind(l) == LineKind::Text && next_kind == Some(LineKind::Text) {
            if empties.is_empty() {
                out.push(' ', bf, bt);
            } else {
                for &(f, t) in &empties {
                    out.push('\n', f, t);
                }
            }
        } else {
            out.push('\n', bf, bt);
            for &(f, t) in &empties {
                out.push('\n', f, t);
            }
        }
        i = j;
    }

    // Leading empty lines precede the span: the value starts with one line feed for each,
    // which map to the line breaks just before the span.
    let lead_value = value
        .len()
        .saturating_sub(value.trim_start_matches('\n').len());
    let lead_ours = out
        .text
        .len()
        .saturating_sub(out.text.trim_start_matches('\n').len());
    let lead = lead_value.saturating_sub(lead_ours);
    let before = src.get(..line_start)?;
    let mut lead_breaks: Vec<(usize, usize)> = before
        .char_indices()
        .rev()
        .filter(|&(_, c)| c == '\n')
        .take(lead)
        .map(|(p, _)| {
            let from = if p > 0 && bytes.get(p.saturating_sub(1)) == Some(&b'\r') {
                p.saturating_sub(1)
            } else {
                p
            };
            (from, p.saturating_add(1))
        })
        .collect();
    lead_breaks.reverse();
    while lead_breaks.len() < lead {
        lead_breaks.insert(0, (source.start, source.start));
    }

    // Chomping decides the trailing line feeds: compare without them.
    let ours = out.text.trim_end_matches('\n');
    let theirs = value.get(lead..)?.trim_end_matches('\n');
    if ours != theirs {
        return None;
    }
    let mut ranges: Vec<(usize, usize)> = lead_breaks;
    ranges.extend(
        out.ranges
            .iter()
            .copied()
            .take(value.len().saturating_sub(lead)),
    );
    while ranges.len() < value.len() {
        ranges.push((source.end, source.end));
    }
    Some(ByteMap {
        ranges,
        content_start: source.start,
    })
}

/// A block scalar without content lines: its span starts at the header (`|+`) and its value
/// is only line feeds, one for each line break after the header line.
fn empty_block_value(src: &str, source: Span, value: &str) -> Option<ByteMap> {
    let bytes = src.as_bytes();
    let body = src.get(source.start..source.end)?;
    let mut ranges: Vec<(usize, usize)> = body
        .match_indices('\n')
        .skip(1)
        .map(|(p, _)| {
            let at = source.start.saturating_add(p);
            let from = if bytes.get(at.saturating_sub(1)) == Some(&b'\r') {
                at.saturating_sub(1)
            } else {
                at
            };
            (from, at.saturating_add(1))
        })
        .take(value.len())
        .collect();
    while ranges.len() < value.len() {
        ranges.push((source.end, source.end));
    }
    Some(ByteMap {
        ranges,
        content_start: source.end,
    })
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}
