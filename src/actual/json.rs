//! JSON shared by the Graph and SCIM readers: a structural scanner that finds the members of
//! a response object and the elements of its array without parsing them (so that each
//! element is parsed on its own, in parallel, and reported at its own line), objects parsed
//! with their keys in order and repeats kept, JSON Lines, and date-times.
//!
//! A page is scanned once: the scan that finds the page's members takes its array apart into
//! elements and each object element into its members ([`page_entries`]), which the readers
//! parse from ([`members_of`]), a bounded number at a time.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value as Json;

use super::DataIssue;
use super::build::{Out, Rec, Sink};
use crate::codes::Code;
use crate::value::Value;

/// A JSON object with its members in order, repeated keys kept.
pub(super) struct Obj(pub Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Obj {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Obj;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16).min(256));
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    out.push((k, v));
                }
                Ok(Obj(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A structural problem at a byte offset.
pub(super) struct ScanError {
    pub at: usize,
}

/// The first offset from `i` that is not JSON whitespace.
pub(super) fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i = i.saturating_add(1);
    }
    i
}

/// The end of the string whose opening quote is at `i`.
fn string_end(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let mut j = i.saturating_add(1);
    loop {
        let rest = b.get(j..).unwrap_or_default();
        let Some(p) = memchr::memchr2(b'"', b'\\', rest) else {
            return Err(ScanError { at: i });
        };
        j = j.saturating_add(p);
        match b.get(j) {
            Some(b'\\') => j = j.saturating_add(2),
            _ => return Ok(j.saturating_add(1)),
        }
    }
}

/// The bytes a scan of a container stops at: quotes and brackets.
// Indexing in a constant is checked when compiling: it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'[' as usize] = true;
    t[b'}' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// The end of the JSON value starting at `i` (not validated inside: each value is parsed on
/// its own later).
pub(super) fn value_end(b: &[u8], i: usize) -> Result<usize, ScanError> {
    match b.get(i) {
        None => Err(ScanError { at: i }),
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                let rest = b.get(j..).unwrap_or_default();
                let Some(p) = rest
                    .iter()
                    .position(|c| STRUCTURAL.get(usize::from(*c)) == Some(&true))
                else {
                    return Err(ScanError { at: i });
                };
                j = j.saturating_add(p);
                match b.get(j) {
                    Some(b'"') => j = string_end(b, j)?,
                    Some(b'{' | b'[') => {
                        depth = depth.saturating_add(1);
                        j = j.saturating_add(1);
                    }
                    _ => {
                        depth = depth.saturating_sub(1);
                        j = j.saturating_add(1);
                        if depth == 0 {
                            return Ok(j);
                        }
                    }
                }
            }
        }
        Some(_) => {
            let rest = b.get(i..).unwrap_or_default();
            let n = rest
                .iter()
                .position(|c| matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            if n == 0 {
                Err(ScanError { at: i })
            } else {
                Ok(i.saturating_add(n))
            }
        }
    }
}

/// One member of a scanned object.
pub(super) struct Entry<'t> {
    /// As written when it has no escape (the common case), else decoded.
    pub key: std::borrow::Cow<'t, str>,
    pub start: usize,
    pub end: usize,
    /// The elements of an array value, when the scan took it apart ([`page_entries`]).
    pub items: Option<Vec<Span<'t>>>,
}

/// Members of elements a page scan holds at most ([`page_entries`]): about 40 MB. Past it
/// (one file of a whole export), each further element is scanned again when it is parsed,
/// rather than every element's members being held at once.
const HELD_MEMBERS: usize = 1 << 20;

/// The members of the object at `i`, and the offset after it.
pub(super) fn object_entries(text: &str, i: usize) -> Result<(Vec<Entry<'_>>, usize), ScanError> {
    entries_in(text, i, None)
}

/// [`object_entries`] of a response page, with each array value taken apart into its
/// elements and each element that is an object into its members: the scan that finds the
/// objects of a page also finds their members, so that they are not scanned again (a page
/// was scanned three times: for its members, for the elements of its array, for each
/// element's members).
pub(super) fn page_entries(text: &str, i: usize) -> Result<(Vec<Entry<'_>>, usize), ScanError> {
    let mut held = HELD_MEMBERS;
    entries_in(text, i, Some(&mut held))
}

/// The elements of the array at `i` and the offset after it, each object's members scanned
/// while `held` allows (an object the scan cannot take apart is only delimited: parsing it
/// reports what is wrong with it, as for any element).
fn array_items<'t>(
    text: &'t str,
    i: usize,
    held: &mut usize,
) -> Result<(Vec<Span<'t>>, usize), ScanError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut j = ws(b, i.saturating_add(1));
    if b.get(j) == Some(&b']') {
        return Ok((out, j.saturating_add(1)));
    }
    loop {
        let scanned = match b.get(j) {
            Some(b'{') if *held > 0 => object_entries(text, j).ok(),
            _ => None,
        };
        let (end, members) = match scanned {
            Some((members, end)) => {
                *held = held.saturating_sub(members.len().max(1));
                (end, Some(members))
            }
            None => (value_end(b, j)?, None),
        };
        out.push(Span {
            start: j,
            end,
            line: 0,
            members,
        });
        j = ws(b, end);
        match b.get(j) {
            Some(b',') => j = ws(b, j.saturating_add(1)),
            Some(b']') => return Ok((out, j.saturating_add(1))),
            _ => return Err(ScanError { at: j }),
        }
    }
}

/// [`object_entries`], array values taken apart while `held` is given.
fn entries_in<'t>(
    text: &'t str,
    i: usize,
    mut held: Option<&mut usize>,
) -> Result<(Vec<Entry<'t>>, usize), ScanError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut j = ws(b, i.saturating_add(1));
    if b.get(j) == Some(&b'}') {
        return Ok((out, j.saturating_add(1)));
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return Err(ScanError { at: j });
        }
        let key_end = string_end(b, j)?;
        let raw = text.get(j..key_end).ok_or(ScanError { at: j })?;
        let key: std::borrow::Cow<'_, str> = match raw.get(1..raw.len().saturating_sub(1)) {
            // Without an escape (or a control character), the key is its text.
            Some(k) if !k.bytes().any(|c| c == b'\\' || c < 0x20) => k.into(),
            _ => serde_json::from_str::<String>(raw)
                .map_err(|_| ScanError { at: j })?
                .into(),
        };
        j = ws(b, key_end);
        if b.get(j) != Some(&b':') {
            return Err(ScanError { at: j });
        }
        let start = ws(b, j.saturating_add(1));
        let (end, items) = match held.as_deref_mut() {
            Some(held) if b.get(start) == Some(&b'[') => {
                let (items, end) = array_items(text, start, held)?;
                (end, Some(items))
            }
            _ => (value_end(b, start)?, None),
        };
        out.push(Entry {
            key,
            start,
            end,
            items,
        });
        j = ws(b, end);
        match b.get(j) {
            Some(b',') => j = ws(b, j.saturating_add(1)),
            Some(b'}') => return Ok((out, j.saturating_add(1))),
            _ => return Err(ScanError { at: j }),
        }
    }
}

/// Counts lines forward through a text.
pub(super) struct Lines<'t> {
    bytes: &'t [u8],
    pos: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        Lines {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The line of `offset` (offsets asked for must not decrease).
    pub fn at(&mut self, offset: usize) -> usize {
        if offset > self.pos {
            let n = self
                .bytes
                .get(self.pos..offset)
                .map_or(0, |s| s.iter().filter(|c| **c == b'\n').count());
            self.line = self.line.saturating_add(n);
            self.pos = offset;
        }
        self.line
    }
}

/// The line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    Lines::new(text).at(offset)
}

/// The message of a JSON error without serde's position suffix.
pub(super) fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.rfind(" at line ")
        .and_then(|i| text.get(..i))
        .unwrap_or(&text)
        .to_string()
}

/// A syntax issue for a file the scanner could not follow: serde's message and line when
/// serde finds the error too, else the scanner's position.
pub(super) fn syntax_issue(text: &str, file: &str, at: usize) -> DataIssue {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => DataIssue::new(
            Code::ActualMalformed,
            file,
            format!("the file is not valid JSON: {}", serde_message(&e)),
        )
        .at(e.line()),
        Ok(_) => DataIssue::new(
            Code::ActualMalformed,
            file,
            "the file's structure is not understood",
        )
        .at(line_of(text, at)),
    }
}

/// What a JSON value is, for messages.
pub(super) fn kind_of(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// What the text at a value's first byte is, for messages.
pub(super) fn kind_at(b: &[u8], i: usize) -> &'static str {
    match b.get(i) {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// Parses one element as an object; a record without identifier (and the issue) when it is
/// not one.
pub(super) fn parse_object(slice: &str, line: usize, file: &str) -> Result<Obj, Box<Rec>> {
    match serde_json::from_str::<Obj>(slice) {
        Ok(o) => Ok(o),
        Err(e) => {
            let mut rec = Rec::new(line);
            let b = slice.as_bytes();
            let message = match b.first() {
                Some(b'{') => format!(
                    "the object is not valid JSON: {}; it is skipped",
                    serde_message(&e)
                ),
                _ => format!(
                    "the element is {}, not an object; it is skipped",
                    kind_at(b, 0)
                ),
            };
            let at = line.saturating_add(e.line().saturating_sub(1));
            rec.issues
                .push(DataIssue::new(Code::ActualMalformed, file, message).at(at));
            Err(Box::new(rec))
        }
    }
}

/// Parses one element as an object, keeping only the members `keep` accepts (by name as
/// written) and parsing no other value: the same as [`parse_object`] then dropping the others,
/// except that a syntax error inside a skipped value goes unnoticed. Anything the scan does
/// not follow is parsed whole, for its error.
pub(super) fn parse_selected(
    slice: &str,
    line: usize,
    file: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Obj, Box<Rec>> {
    let b = slice.as_bytes();
    let whole = |slice| parse_object(slice, line, file);
    if b.first() != Some(&b'{') {
        return whole(slice);
    }
    let Ok((entries, end)) = object_entries(slice, 0) else {
        return whole(slice);
    };
    if ws(b, end) != b.len() {
        return whole(slice);
    }
    let mut out = Vec::new();
    for e in entries {
        if !keep(&e.key) {
            continue;
        }
        match serde_json::from_str::<Json>(slice.get(e.start..e.end).unwrap_or_default()) {
            Ok(v) => out.push((e.key.into_owned(), v)),
            Err(_) => return whole(slice),
        }
    }
    Ok(Obj(out))
}

/// The value of a JSON text that needs no parser, as [`to_value`] of its parse would give: a
/// string without escapes or control characters, a whole number in `i64` without a sign on
/// zero, `true`, `false` and `null`. `None` for anything else (parse it, for its value or its
/// error).
pub(super) fn plain(raw: &str) -> Option<Value> {
    let b = raw.as_bytes();
    match b.first()? {
        b'"' => plain_str(raw).map(|s| Value::Str(s.to_string())),
        b't' if raw == "true" => Some(Value::Bool(true)),
        b'f' if raw == "false" => Some(Value::Bool(false)),
        b'n' if raw == "null" => Some(Value::Null),
        b'-' | b'0'..=b'9' => {
            let digits = raw.strip_prefix('-').unwrap_or(raw);
            let ok = !digits.is_empty()
                && digits.bytes().all(|c| c.is_ascii_digit())
                && (digits == "0" && !raw.starts_with('-') || !digits.starts_with('0'));
            if !ok {
                return None;
            }
            raw.parse::<i64>().ok().map(Value::Int)
        }
        _ => None,
    }
}

/// An element to parse: where it is in its file's text, its line, and its members when the
/// scan that found it took them apart ([`page_entries`]).
pub(super) struct Span<'t> {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub members: Option<Vec<Entry<'t>>>,
}

impl Span<'_> {
    /// A whole text as one element at line `line`.
    #[cfg(test)]
    pub fn whole(text: &str, line: usize) -> Span<'static> {
        Span {
            start: 0,
            end: text.len(),
            line,
            members: None,
        }
    }
}

/// The string a JSON text is when [`plain`] takes it as written: the text between the quotes
/// of a string without escapes or control characters.
pub(super) fn plain_str(raw: &str) -> Option<&str> {
    let b = raw.as_bytes();
    let inner = raw.get(1..raw.len().checked_sub(1)?)?;
    if b.first() != Some(&b'"')
        || b.last() != Some(&b'"')
        || inner.bytes().any(|c| c == b'\\' || c == b'"' || c < 0x20)
    {
        return None;
    }
    Some(inner)
}

/// Elements to parse.
pub(super) type Spans<'t> = Vec<Span<'t>>;

/// The elements of the array at `i` with their lines; `items`, when the page scan already
/// took the array apart (the array's [`Entry::items`]).
pub(super) fn element_spans<'t>(
    text: &'t str,
    i: usize,
    items: Option<Vec<Span<'t>>>,
    file: &str,
    sink: &mut Sink,
) -> Option<Spans<'t>> {
    let scanned = match items {
        Some(items) => Ok((items, None)),
        None => {
            let mut held = HELD_MEMBERS;
            array_items(text, i, &mut held).map(|(items, end)| (items, Some(end)))
        }
    };
    match scanned {
        Ok((_, Some(end)))
            if i == ws(text.as_bytes(), 0) && ws(text.as_bytes(), end) < text.len() =>
        {
            // A top-level array followed by more text.
            sink.push(syntax_issue(text, file, end));
            None
        }
        Ok((mut items, _)) => {
            let mut lines = Lines::new(text);
            for item in &mut items {
                item.line = lines.at(item.start);
            }
            Some(items)
        }
        Err(e) => {
            sink.push(syntax_issue(text, file, e.at));
            None
        }
    }
}

/// The non-blank lines of a JSON Lines text as elements.
pub(super) fn line_spans(text: &str) -> Spans<'static> {
    let mut out = Vec::new();
    let mut start = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        let end = start.saturating_add(line.len());
        let trimmed = line.trim_end_matches('\r');
        let lead = trimmed.len() - trimmed.trim_start().len();
        if !trimmed.trim().is_empty() {
            out.push(Span {
                start: start.saturating_add(lead),
                end: start.saturating_add(trimmed.trim_end().len()),
                line: n.saturating_add(1),
                members: None,
            });
        }
        start = end.saturating_add(1);
    }
    out
}

/// The members of element `span` of `text`: those the page scan found, or scanned now into
/// `scanned`. `None` when the element is not an object the scan follows to its end (parse it
/// whole, for its error).
pub(super) fn members_of<'s, 't>(
    text: &'t str,
    span: &'s Span<'t>,
    scanned: &'s mut Vec<Entry<'t>>,
) -> Option<&'s [Entry<'t>]> {
    let b = text.as_bytes();
    if b.get(span.start) != Some(&b'{') {
        return None;
    }
    if let Some(members) = &span.members {
        return Some(members);
    }
    let (entries, end) = object_entries(text, span.start).ok()?;
    if ws(b, end) != span.end {
        return None;
    }
    *scanned = entries;
    Some(scanned)
}

/// Elements parsed at a time, in parallel, at most (what is parsed and not yet added is
/// held in memory: a few chunks).
const CHUNK: usize = 1024;

/// Parses elements in parallel, a chunk at a time, and hands the records on in order: while
/// one chunk is handed on, the next is parsed.
pub(super) fn parse_all(
    spans: &[Span<'_>],
    parse: impl Fn(&Span<'_>) -> Rec + Sync,
    digests: bool,
    out: &mut dyn Out,
    sink: &mut Sink,
) {
    let parse_chunk = |chunk: &[Span<'_>]| -> Vec<Rec> {
        chunk
            .par_iter()
            .map(|span| {
                let mut rec = parse(span);
                if digests {
                    rec.digest = Some(rec.digest_nonzero());
                }
                rec
            })
            .collect()
    };
    // A page of a paged export holds a thousand objects or so: in chunks of an eighth of the
    // file, pushing one chunk overlaps parsing the next, where one chunk per file would not.
    let size = (spans.len() / 8).clamp(64, CHUNK);
    let mut pending: Vec<Rec> = Vec::new();
    for chunk in spans.chunks(size) {
        let ready = std::mem::take(&mut pending);
        let (parsed, ()) = rayon::join(|| parse_chunk(chunk), || out.push_all(ready, sink));
        pending = parsed;
    }
    out.push_all(pending, sink);
}

/// A date-time as read.
pub(super) enum When {
    /// With its offset, converted to UTC.
    Utc(NaiveDateTime),
    /// Without an offset (read as UTC, with a warning).
    Zoneless(NaiveDateTime),
}

/// `/Date(1326441600000)/` or `/Date(1326441600000+0100)/` (Windows PowerShell 5.1): the
/// milliseconds since the Unix epoch, UTC (the offset suffix does not change the instant).
fn ms_date(s: &str) -> Option<NaiveDateTime> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(inner.len(), |(i, _)| i);
    let (ms, rest) = inner.split_at(digits_end);
    let offset_ok = rest.is_empty()
        || (rest.len() == 5
            && matches!(rest.as_bytes().first(), Some(b'+' | b'-'))
            && rest.bytes().skip(1).all(|b| b.is_ascii_digit()));
    if !offset_ok {
        return None;
    }
    let ms: i64 = ms.parse().ok()?;
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}

/// Parses a date-time: RFC 3339 with any number of fraction digits (Graph writes 0 to 7),
/// PowerShell 5.1's `/Date(ms)/`, or, without an offset, `yyyy-MM-ddTHH:mm:ss[.f]` and a
/// date alone.
pub(super) fn parse_when(s: &str) -> Option<When> {
    if let Some(d) = ms_date(s) {
        return Some(When::Utc(d));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(When::Utc(d.naive_utc()));
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(When::Zoneless(d));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| When::Zoneless(d.and_time(chrono::NaiveTime::MIN)))
}

/// Whether a string is a PowerShell 5.1 date (which is a date whatever the property).
pub(super) fn is_ms_date(s: &str) -> bool {
    s.starts_with("/Date(") && s.ends_with(")/")
}

/// A JSON value as a [`Value`], taking it apart: arrays become lists, objects complex values
/// (annotations such as `@odata.type` kept), whole numbers integers, other numbers their text.
pub(super) fn to_value(j: Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Str(n.to_string()),
        },
        Json::String(s) => Value::Str(s),
        Json::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Json::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, to_value(v))).collect())
        }
    }
}

/// Converts a string in a date-time property, reporting what does not read.
pub(super) fn date_value(s: String, rec: &mut Rec, file: &str, name: &str) -> Option<Value> {
    match parse_when(&s) {
        Some(When::Utc(d)) => Some(Value::Date(d)),
        Some(When::Zoneless(d)) => {
            rec.issue(
                Code::ActualValue,
                file,
                Some(name),
                format!(
                    "{} has no time-zone offset; it is read as UTC",
                    super::quote(&s)
                ),
            );
            if let Some(i) = rec.last_issue() {
                i.severity = crate::diagnostics::Severity::Warning;
                i.help =
                    Some("export date-times with their offset (Graph writes UTC with `Z`)".into());
            }
            Some(Value::Date(d))
        }
        None => {
            rec.issue(
                Code::ActualValue,
                file,
                Some(name),
                format!(
                    "{} is not a date-time; the attribute is read as unknown",
                    super::quote(&s)
                ),
            );
            if let Some(i) = rec.last_issue() {
                i.help = Some("write RFC 3339, such as `2024-03-01T08:00:00Z`".into());
            }
            None
        }
    }
}

/// `text` as the second element of the array member `array` of a response page, read as the
/// page's reader reads it: the page, and the element's span with the members the page scan
/// found. `None` when the page does not scan (`text` cut short). For tests that an element
/// read from its page reads as the element alone.
#[cfg(test)]
pub(super) fn in_a_page(array: &str, text: &str) -> Option<(String, Span<'static>)> {
    let page = format!("{{\"{array}\": [\n{{\"id\": \"first\"}},\n  {text}\n]}}");
    let (mut entries, _) = page_entries(&page, 0).ok()?;
    let e = entries.iter_mut().find(|e| e.key == array)?;
    let (start, items) = (e.start, e.items.take());
    let spans = element_spans(&page, start, items, "f.json", &mut Sink::new())?;
    let span = spans.into_iter().nth(1)?;
    assert_eq!(span.line, 3, "{page}");
    // Whether the page scan took the element apart, as it does any object that scans.
    let scans =
        object_entries(text, 0).is_ok_and(|(_, end)| ws(text.as_bytes(), end) == text.len());
    assert_eq!(
        span.members.is_some(),
        scans && text.starts_with('{'),
        "{page}"
    );
    let span = Span {
        start: span.start,
        end: span.end,
        line: span.line,
        members: span.members.map(|m| {
            m.into_iter()
                .map(|e| Entry {
                    key: e.key.into_owned().into(),
                    start: e.start,
                    end: e.end,
                    items: None,
                })
                .collect()
        }),
    };
    Some((page, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_scan_holds_members_up_to_its_budget_then_only_delimits() {
        let page = r#"{"value": [{"a": 1, "b": [2, {"c": 3}]}, {"a": 2}, "text", {"a" 3}, {"a": 4, "b": 5}]}"#;
        let (entries, end) = entries_in(page, 0, Some(&mut 3)).ok().unwrap_or_default();
        assert_eq!(end, page.len());
        let items = entries
            .into_iter()
            .find_map(|e| e.items)
            .unwrap_or_default();
        let texts: Vec<&str> = items.iter().map(|s| &page[s.start..s.end]).collect();
        assert_eq!(
            texts,
            [
                r#"{"a": 1, "b": [2, {"c": 3}]}"#,
                r#"{"a": 2}"#,
                r#""text""#,
                r#"{"a" 3}"#,
                r#"{"a": 4, "b": 5}"#
            ]
        );
        let held: Vec<Option<Vec<&str>>> = items
            .iter()
            .map(|s| {
                s.members
                    .as_ref()
                    .map(|m| m.iter().map(|e| e.key.as_ref()).collect())
            })
            .collect();
        // Two members, then one (the budget of three is spent), a string, an object that
        // does not scan (delimited, for its parse to report), and one past the budget.
        assert_eq!(
            held,
            [Some(vec!["a", "b"]), Some(vec!["a"]), None, None, None]
        );
        // Nested arrays are not taken apart: only the page's own members' arrays are.
        assert!(
            items[0]
                .members
                .as_ref()
                .is_some_and(|m| m[1].items.is_none())
        );
        // An element not held is scanned when it is parsed, to the same members.
        let mut scanned = Vec::new();
        let last = &items[4];
        let members = members_of(page, last, &mut scanned).unwrap_or_default();
        assert_eq!(
            members.iter().map(|e| e.key.as_ref()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(members_of(page, &items[3], &mut scanned).is_none());
        assert!(members_of(page, &items[2], &mut scanned).is_none());
    }
}
