//! Output that cannot be forged. Whatever Roster prints or writes may carry text that someone
//! else chose: a pull-request author writes names, expressions and file paths; an HR export
//! supplies keys and values. Every renderer therefore escapes for its medium, whatever the text,
//! with the functions of this module (see `docs/security.md` for the whole table):
//!
//! - [`terminal`]: text for a terminal or a CI log (human diagnostics, `explain`, `graph
//!   --impact`, messages on standard error). Control characters, DEL, C1 controls, line and
//!   paragraph separators and the bidirectional controls of "Trojan Source" are shown visibly
//!   (`\u{1b}`, `\n`), so that user text can neither move the cursor, colour the log, hide a
//!   link (OSC 8) nor start a line of its own; and `##[`, which the GitHub Actions runner
//!   obeys anywhere in a line (its legacy command syntax), is broken as `#\u{23}[`.
//! - [`clip`] and [`clip_message`]: values copied into diagnostics and summaries are cut to
//!   [`VALUE_CHARS`] characters, whole messages to [`MESSAGE_CHARS`], with `…(N more
//!   characters)`.
//! - [`markdown_code`]: a Markdown table cell holding user text as a code span (no HTML, links,
//!   images, mentions or emphasis can come out of it; `|` cannot split the row).
//! - [`mermaid_label`], [`dot_string`]: labels of the dependency graph.
//! - [`csv_cell`]: CSV quoting, and cells a spreadsheet would run as a formula neutralised as
//!   OWASP recommends.
//! - [`json_pretty`], [`json_compact`], [`write_json_pretty`]: JSON with DEL, C1, the
//!   bidirectional controls and `##[` written as `\u` escapes (the same JSON value).
//! - [`yaml_entry`], [`yaml_item`]: block YAML whose scalars are plain only when nothing in them
//!   can be misread, double-quoted with escapes otherwise; never a block scalar, so no user
//!   text starts a line.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// The most characters of one value a diagnostic message or a summary copies.
pub const VALUE_CHARS: usize = 200;

/// The most characters of a whole diagnostic message (or help).
pub const MESSAGE_CHARS: usize = 1_000;

/// Whether `c` must not reach a terminal or a CI log as it is: C0 controls other than tab, DEL,
/// C1 controls, the line and paragraph separators, and the bidirectional formatting
/// characters (embeddings, overrides, isolates and marks).
pub fn is_unsafe_char(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{a}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Whether the `#` at hand is the second `#` of `##[` (given its neighbours), the one that is
/// escaped to break the runner's legacy command syntax.
fn breaks_command(prev: Option<char>, c: char, next: Option<char>) -> bool {
    c == '#' && prev == Some('#') && next == Some('[')
}

/// Appends `c` as [`terminal`] shows it, given the characters around it.
pub fn push_visible(out: &mut String, prev: Option<char>, c: char, next: Option<char>) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_unsafe_char(c) || breaks_command(prev, c, next) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Text for a terminal or a CI log: unchanged unless it holds an unsafe character (shown as
/// `\u{1b}`, `\n`, `\r`) or `##[` (shown as `#\u{23}[`). Tabs stay.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        push_visible(&mut out, prev, c, chars.peek().copied());
        prev = Some(c);
    }
    Cow::Owned(out)
}

/// Room for the `…(N more characters)` marker: text up to `max` plus this many characters is
/// left whole, so that clipping what is already clipped changes nothing.
const MARKER_CHARS: usize = 40;

/// `text`, or when it is longer than `max` characters (and the room of a marker), its first
/// `max` characters followed by `…(N more characters)`. Clipping twice is clipping once.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if text
        .char_indices()
        .nth(max.saturating_add(MARKER_CHARS))
        .is_none()
    {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((at, _)) => {
            let (kept, rest) = text.split_at(at);
            let n = rest.chars().count();
            let s = if n == 1 { "" } else { "s" };
            Cow::Owned(format!("{kept}…({n} more character{s})"))
        }
    }
}

/// A diagnostic message (or help) with every part in backticks (user input, by the rule of
/// messages) clipped to [`VALUE_CHARS`] characters, and the whole to [`MESSAGE_CHARS`].
pub fn clip_message(message: &str) -> Cow<'_, str> {
    // Fewer bytes than the limit means fewer characters: nothing to cut.
    if message.len() <= VALUE_CHARS {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len().min(MESSAGE_CHARS * 4));
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(&clip(part, VALUE_CHARS));
        } else {
            out.push_str(part);
        }
    }
    match clip(&out, MESSAGE_CHARS) {
        Cow::Borrowed(_) if out == message => Cow::Borrowed(message),
        Cow::Borrowed(_) => Cow::Owned(out),
        Cow::Owned(clipped) => Cow::Owned(clipped),
    }
}

/// User text as a Markdown code span for a table cell: clipped to [`MESSAGE_CHARS`], made
/// [`terminal`]-safe (no line breaks, controls visible), `|` escaped as GitHub tables require,
/// and fenced with more backticks than it contains. Inside a code span nothing is HTML, a
/// link, an image, an emphasis or an `@mention`. Empty text gives an empty string.
pub fn markdown_code(text: &str) -> String {
    let clipped = clip(text, MESSAGE_CHARS);
    let safe = terminal(&clipped).replace('|', "\\|");
    if safe.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in safe.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space on both sides keeps a leading or trailing backtick or space as it is.
    let pad = if safe.starts_with(['`', ' ']) || safe.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{safe}{pad}{fence}")
}

/// Whether Markdown text holds what a backslash cannot defuse on GitHub: an `@mention` or an
/// email address, a URL or a `www.` name, which GitHub links in rendered text. Only a code span
/// keeps them inert.
fn links_on_github(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.contains('@') || lower.contains("://") || lower.contains("www.")
}

/// User text as Markdown prose for a table cell: clipped to [`MESSAGE_CHARS`], terminal-safe,
/// `<`, `>` and `&` written as entities, and the characters Markdown reads (`\`, `` ` ``,
/// `*`, `_`, `[`, `]`, `|`, `#`, `~`, `!`) escaped with a backslash. Text GitHub would link
/// whatever the escapes (see `links_on_github`) becomes a code span instead ([`markdown_code`]).
pub fn markdown_text(text: &str) -> String {
    let clipped = clip(text, MESSAGE_CHARS);
    let safe = terminal(&clipped);
    if links_on_github(&safe) {
        return markdown_code(&safe);
    }
    markdown_prose(&safe)
}

fn markdown_prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A diagnostic message for a Markdown table cell: the parts in backticks (user input, by the
/// rule of messages) as code spans, the words between as escaped prose, so that the message
/// reads as written. When the backticks do not pair up, or a part between them holds what
/// GitHub would link, the whole message is one code span. Clipped and terminal-safe first.
pub fn markdown_message(message: &str) -> String {
    let clipped = clip_message(message);
    let safe = terminal(&clipped);
    let parts: Vec<&str> = safe.split('`').collect();
    let paired = parts.len() % 2 == 1;
    let prose_ok = parts.iter().step_by(2).all(|p| !links_on_github(p));
    let quoted_ok = parts.iter().skip(1).step_by(2).all(|p| !p.is_empty());
    // Two code spans side by side would read as one, or not at all: words must part them.
    let parted = parts
        .iter()
        .enumerate()
        .all(|(i, p)| i % 2 == 1 || i == 0 || i + 1 == parts.len() || !p.is_empty());
    if !(paired && prose_ok && quoted_ok && parted) {
        return markdown_code(&safe);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                markdown_code(p)
            } else {
                markdown_prose(p)
            }
        })
        .collect()
}

/// A label for a Mermaid flowchart, to be written between double quotes: [`terminal`]-safe,
/// and every character other than letters, digits, space and `-_.:/,` written as an entity
/// code (`#34;`), so that no quote, bracket, backtick (Markdown strings), `<` (HTML) or `#`
/// (entities) keeps a meaning.
pub fn mermaid_label(text: &str) -> String {
    let safe = terminal(text);
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | ':' | '/' | ',') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// A Graphviz DOT string, to be written between double quotes: [`terminal`]-safe (one line),
/// with `\` and `"` escaped.
pub fn dot_string(text: &str) -> String {
    terminal(text).replace('\\', "\\\\").replace('"', "\\\"")
}

/// Whether a spreadsheet would take a cell starting so for a formula (OWASP's list: `=`, `+`,
/// `-`, `@`, tab, carriage return; also their full-width forms, which some spreadsheets fold,
/// and any of them after leading white space).
fn is_formula(cell: &str) -> bool {
    const TRIGGERS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
    cell.starts_with(['\t', '\r']) || cell.trim_start().starts_with(TRIGGERS)
}

/// One CSV cell: a cell a spreadsheet would run as a formula gets a `'` in front (OWASP's
/// advice for CSV injection; `-5` becomes `'-5` too), and a cell is quoted when it holds a
/// delimiter, a quote, a line break, white space at either end, or was neutralised.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    let formula = is_formula(cell);
    if !formula
        && !cell.contains([',', '"', '\n', '\r'])
        && !cell.starts_with([' ', '\t'])
        && !cell.ends_with([' ', '\t'])
    {
        return Cow::Borrowed(cell);
    }
    let mut out = String::with_capacity(cell.len() + 4);
    out.push('"');
    if formula {
        out.push('\'');
    }
    out.push_str(&cell.replace('"', "\"\""));
    out.push('"');
    Cow::Owned(out)
}

/// One CSV line of cells (see [`csv_cell`]), with its line break.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_cell(cell.as_ref()));
    }
    line.push('\n');
    line
}

// ------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------

/// A `serde_json` formatter that writes the characters [`is_unsafe_char`] names (those serde
/// leaves raw: DEL, C1, separators, bidirectional controls) and the second `#` of `##[` as
/// `\uXXXX` escapes. The JSON value is the same; a terminal or CI log shows no raw control.
struct Safe<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde splits strings only around the characters it escapes itself, so `##[` is
        // always inside one fragment.
        let mut start = 0;
        let mut prev = None;
        let mut chars = fragment.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if is_unsafe_char(c) || breaks_command(prev, c, next) {
                writer.write_all(fragment.get(start..i).unwrap_or("").as_bytes())?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
            prev = Some(c);
        }
        writer.write_all(fragment.get(start..).unwrap_or("").as_bytes())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as indented JSON with the escapes of this module.
pub fn write_json_pretty<W: io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        writer,
        Safe(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)
}

fn json_with<F: serde_json::ser::Formatter, T: serde::Serialize + ?Sized>(
    formatter: F,
    value: &T,
) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Safe(formatter));
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    // The serializer writes UTF-8 only.
    String::from_utf8(buf).unwrap_or_default()
}

/// `value` as indented JSON with the escapes of this module (empty if it cannot be written).
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    json_with(serde_json::ser::PrettyFormatter::new(), value)
}

/// One JSON Lines record: a `type` field, then `item`'s own fields ([`json_compact`]).
pub fn json_line<T: serde::Serialize>(kind: &str, item: &T) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a, T: serde::Serialize> {
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(flatten)]
        item: &'a T,
    }
    json_compact(&Line { kind, item })
}

/// `value` as one-line JSON with the escapes of this module (empty if it cannot be written).
pub fn json_compact<T: serde::Serialize + ?Sized>(value: &T) -> String {
    json_with(serde_json::ser::CompactFormatter, value)
}

// ------------------------------------------------------------------------------------------
// YAML
// ------------------------------------------------------------------------------------------

/// Appends `key: value` at `indent` spaces, as block YAML (see the module documentation).
pub fn yaml_entry(out: &mut String, indent: usize, key: &str, value: &serde_json::Value) {
    push_indent(out, indent);
    yaml_after_key(out, indent, key, value);
}

/// Appends `- value`, a list item at `indent` spaces.
pub fn yaml_item(out: &mut String, indent: usize, value: &serde_json::Value) {
    use serde_json::Value as J;
    push_indent(out, indent);
    out.push('-');
    match value {
        J::Object(map) if !map.is_empty() => {
            // The first entry on the dash's line, the others under it.
            for (i, (k, v)) in map.iter().enumerate() {
                if i == 0 {
                    out.push(' ');
                } else {
                    push_indent(out, indent + 2);
                }
                yaml_after_key(out, indent + 2, k, v);
            }
        }
        J::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                yaml_item(out, indent + 2, item);
            }
        }
        scalar => {
            out.push(' ');
            yaml_scalar(out, scalar);
            out.push('\n');
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// `key: value` once the indentation of the key is written; nested mappings are indented
/// by two more, lists are not (the compact style).
fn yaml_after_key(out: &mut String, indent: usize, key: &str, value: &serde_json::Value) {
    use serde_json::Value as J;
    yaml_string(out, key, true);
    out.push(':');
    match value {
        J::Object(map) if !map.is_empty() => {
            out.push('\n');
            for (k, v) in map {
                yaml_entry(out, indent + 2, k, v);
            }
        }
        J::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                yaml_item(out, indent, item);
            }
        }
        scalar => {
            out.push(' ');
            yaml_scalar(out, scalar);
            out.push('\n');
        }
    }
}

fn yaml_scalar(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value as J;
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => {
            let _ = write!(out, "{n}");
        }
        J::String(s) => yaml_string(out, s, false),
        J::Array(_) => out.push_str("[]"),
        J::Object(_) => out.push_str("{}"),
    }
}

/// A string scalar: plain when no YAML reader could take it for anything else (a number, a
/// boolean, null, a date, an indicator, a comment), double-quoted with escapes otherwise. Keys
/// with a `:` are quoted too, for readers that split keys on it.
fn yaml_string(out: &mut String, s: &str, key: bool) {
    if yaml_plain_ok(s) && !(key && s.contains(':')) {
        out.push_str(s);
        return;
    }
    out.push('"');
    let mut prev = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if u32::from(c) < 0x100 && (is_unsafe_char(c) || breaks_command(prev, c, next)) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe_char(c) || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
        prev = Some(c);
    }
    out.push('"');
}

fn yaml_plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`=<~ \t".contains(first)
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #")
        || s.contains("##[")
        || s.contains('"')
        || s.chars().any(|c| {
            c == '\t' || is_unsafe_char(c) || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}')
        })
    {
        return false;
    }
    const WORDS: [&str; 10] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan",
    ];
    if WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return false;
    }
    // Numbers, dates, times and sexagesimals of YAML 1.1 and 1.2 (and `.inf`, `.nan`).
    let numeric_start = first.is_ascii_digit() || first == '+' || first == '.';
    let numeric_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '+' | '-'));
    !(numeric_start && numeric_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_shows_controls_and_breaks_commands() {
        assert_eq!(terminal("plain text\tand tab"), "plain text\tand tab");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            terminal("a\nb\r\u{1b}[31mred\u{7}\u{7f}\u{9b}"),
            "a\\nb\\r\\u{1b}[31mred\\u{7}\\u{7f}\\u{9b}"
        );
        assert_eq!(
            terminal("\u{202e}evil\u{2066}x\u{2069}\u{2028}"),
            "\\u{202e}evil\\u{2066}x\\u{2069}\\u{2028}"
        );
        assert_eq!(
            terminal("##[error]x ###[y] #[z]"),
            "#\\u{23}[error]x ##\\u{23}[y] #[z]"
        );
        assert!(!terminal("##[error]").contains("##["));
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("abc", 3), "abc");
        // Within the room of a marker, text is left whole.
        let a43 = "a".repeat(43);
        assert_eq!(clip(&a43, 3), a43);
        assert_eq!(clip(&"a".repeat(44), 3), "aaa…(41 more characters)");
        let e = "é".repeat(100);
        assert_eq!(clip(&e, 2), format!("éé…(98 more characters)"));
        // Clipping again changes nothing.
        let once = clip(&e, 2).into_owned();
        assert_eq!(clip(&once, 2), once);
        let m = format!("identity `1`: `{}` is not a number", "9".repeat(5_000));
        let once = clip_message(&m).into_owned();
        assert_eq!(clip_message(&once), once);
        let long = "x".repeat(1_000_000);
        assert_eq!(
            clip(&long, VALUE_CHARS).chars().count(),
            VALUE_CHARS + "…(999800 more characters)".chars().count()
        );
    }

    #[test]
    fn clip_message_cuts_quoted_values_and_the_whole() {
        let short = "`abc` is not a number";
        assert!(matches!(clip_message(short), Cow::Borrowed(_)));
        let value = "9".repeat(5_000);
        let m = format!("`{value}` is not a date; write `2024-01-31`");
        let clipped = clip_message(&m);
        assert_eq!(
            clipped,
            format!(
                "`{}…(4800 more characters)` is not a date; write `2024-01-31`",
                "9".repeat(200)
            )
        );
        // Backticks inside a value cannot smuggle a long unquoted part past the limit.
        let sneaky = format!("`a` {} `b`", "x`y".repeat(2_000));
        assert!(clip_message(&sneaky).chars().count() <= MESSAGE_CHARS + 40);
    }

    #[test]
    fn markdown_code_spans_hold_anything() {
        assert_eq!(markdown_code("sales"), "`sales`");
        assert_eq!(markdown_code(""), "");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("a|b"), "`a\\|b`");
        assert_eq!(
            markdown_code("evil\n::error::x <img src=x> @team [a](b)"),
            "`evil\\n::error::x <img src=x> @team [a](b)`"
        );
        assert!(markdown_code(&"y".repeat(10_000)).len() < MESSAGE_CHARS + 40);
    }

    #[test]
    fn markdown_text_escapes_or_falls_back_to_a_code_span() {
        assert_eq!(
            markdown_text("All Sales (EMEA & US)"),
            "All Sales (EMEA &amp; US)"
        );
        assert_eq!(
            markdown_text("<img src=x> *b* [l](u) a|b #1"),
            "&lt;img src=x&gt; \\*b\\* \\[l\\](u) a\\|b \\#1"
        );
        assert_eq!(markdown_text("ask @team"), "`ask @team`");
        assert_eq!(
            markdown_text("see https://e.example"),
            "`see https://e.example`"
        );
        assert_eq!(markdown_text("www.evil.example"), "`www.evil.example`");
        assert_eq!(markdown_text("a\nb"), "a\\\\nb");
    }

    #[test]
    fn markdown_messages_keep_their_code_spans() {
        assert_eq!(
            markdown_message("the member `dept` appears 2 times: `dept` is left empty"),
            "the member `dept` appears 2 times: `dept` is left empty"
        );
        assert_eq!(
            markdown_message("`a|b` is not a number (<1>)"),
            "`a\\|b` is not a number (&lt;1&gt;)"
        );
        // A value with backticks splits into parts side by side: one code span.
        assert_eq!(markdown_message("`x` is `a``b`"), "``` `x` is `a``b` ```");
        // Unpaired backticks, or a mention between them: one code span.
        assert_eq!(markdown_message("`a`b` c"), "`` `a`b` c ``");
        assert_eq!(markdown_message("`a`@team`c` x"), "`` `a`@team`c` x ``");
        assert_eq!(
            markdown_message("`evil\n<img src=x>` bad"),
            "`evil\\n<img src=x>` bad"
        );
    }

    #[test]
    fn mermaid_and_dot_labels_stay_on_their_line() {
        assert_eq!(mermaid_label("group:sales-emea"), "group:sales-emea");
        assert_eq!(
            mermaid_label("a\"]\n<img>`#"),
            "a#34;#93;#92;n#60;img#62;#96;#35;"
        );
        assert_eq!(dot_string("group:x"), "group:x");
        assert_eq!(dot_string("a\"b\\\nc"), "a\\\"b\\\\\\\\nc");
    }

    #[test]
    fn csv_cells_that_would_be_formulas_are_neutralised() {
        for (cell, want) in [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=1+1", "\"'=1+1\""),
            ("+1 206 555", "\"'+1 206 555\""),
            ("-5", "\"'-5\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=x", "\"'\t=x\""),
            ("\r=x", "\"'\r=x\""),
            ("  =x", "\"'  =x\""),
            ("＝1+1", "\"'＝1+1\""),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
            ("a=b", "a=b"),
            ("2026-01-15", "2026-01-15"),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
        assert_eq!(csv_line(&["k", "=x", "a,b"]), "k,\"'=x\",\"a,b\"\n");
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw() {
        let v = serde_json::json!({"k\u{202e}": "a\u{1b}b\u{9b}c\u{7f}##[error]x\u{2028}"});
        let text = json_compact(&v);
        assert_eq!(
            text,
            r#"{"k\u202e":"a\u001bb\u009bc\u007f#\u0023[error]x\u2028"}"#
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        let pretty = json_pretty(&v);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            v
        );
        assert!(pretty.contains("\n  \"k"));
    }

    fn yaml_of(v: &serde_json::Value) -> String {
        let mut out = String::new();
        yaml_entry(&mut out, 0, "v", v);
        out
    }

    #[test]
    fn yaml_scalars_are_plain_only_when_unambiguous() {
        for s in [
            "Margaret",
            "O'Connor",
            "SMTP:a@b.example",
            "+44 20 7946 3004",
            "CC1000",
            "3/1/2012 12:00:00 AM",
            "1200 Harbor Ave SW",
            "name.givenName",
        ] {
            assert_eq!(yaml_of(&serde_json::json!(s)), format!("v: {s}\n"));
        }
        for s in [
            "",
            "1001",
            "98126",
            "206-555-1001",
            "2026-11-25",
            "1:20",
            "0x1F",
            "1e3",
            ".inf",
            "true",
            "No",
            "null",
            "~",
            "- x",
            "a: b",
            "a #b",
            "#x",
            "@x",
            "`x",
            "'x",
            "\"x",
            " x",
            "x ",
            "x:",
            "=x",
            "<<",
            "a\tb",
        ] {
            let out = yaml_of(&serde_json::json!(s));
            assert!(out.starts_with("v: \""), "{s:?} -> {out}");
        }
        assert_eq!(
            yaml_of(&serde_json::json!("a\n::error::x\u{1b}\u{202e}##[y]\"\\")),
            "v: \"a\\n::error::x\\e\\u202e#\\x23[y]\\\"\\\\\"\n"
        );
    }

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let v = serde_json::json!({
            "as_of": "2026-11-25",
            "empty_map": {}, "empty_list": [],
            "list": ["a", "1", 1, true, null, "- x", ["nested", "x"], {"k": "v", "k2": [1]}],
            "map": {"a": {"b": "c"}, "1": "one", "x: y": "z"},
            "hostile": "evil\n::error file=x.yaml,line=1::FORGED\n<img src=x>\u{1b}]8;;http://e\u{7}\u{202e}##[warning]",
        });
        let mut out = String::new();
        for (k, val) in v.as_object().unwrap() {
            yaml_entry(&mut out, 0, k, val);
        }
        let back: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(back, v, "{out}");
        for line in out.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
        }
        assert!(!out.contains("##["));
        assert!(!out.chars().any(|c| is_unsafe_char(c) && c != '\n'));
    }
}
