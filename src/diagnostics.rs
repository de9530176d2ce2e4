//! Diagnostics: typed errors and warnings with a stable code, a primary span, optional
//! secondary labels and help, rendered for people (with the source line and a caret) or as
//! JSON for programs.
//!
//! Every stage collects diagnostics instead of stopping at the first one. Codes are listed once,
//! in [`crate::codes`], and never reused.

use std::fmt::Write as _;

use serde::Serialize;

use crate::codes::Code;
use crate::escape::{clip_message, push_visible, terminal};

/// A half-open byte range in one source text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// This span shifted right by `offset` bytes (for text embedded in a larger file).
    pub fn shift(self, offset: usize) -> Span {
        Span::new(
            self.start.saturating_add(offset),
            self.end.saturating_add(offset),
        )
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; does not fail `lint` unless warnings are denied.
    Warning,
    /// The input is wrong: it cannot be used as written.
    Error,
}

/// Which source text a span belongs to: an index into a [`SourceMap`]. Single-source tools
/// (`roster expr`, `roster rule`) use the default, 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A secondary location that explains the primary one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Which file.
    pub file: FileId,
    /// Where.
    pub span: Span,
    /// What about it.
    pub message: String,
}

/// One problem found in one source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning (the code's default unless overridden).
    pub severity: Severity,
    /// Lower case, no final period, user input in backticks.
    pub message: String,
    /// Which file the span is in.
    pub file: FileId,
    /// The exact place in the source.
    pub span: Span,
    /// Secondary places.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file: FileId::default(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds help only when there is some.
    #[must_use]
    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a secondary label in the same file.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            file: self.file,
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary label in another file.
    #[must_use]
    pub fn with_label_in(
        mut self,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// Places the diagnostic (and its same-file labels) in `file`, shifting spans by `offset`
    /// bytes: for text embedded in a larger file.
    #[must_use]
    pub fn relocate(mut self, file: FileId, offset: usize) -> Diagnostic {
        let old = self.file;
        self.file = file;
        self.span = self.span.shift(offset);
        for label in &mut self.labels {
            if label.file == old {
                label.file = file;
                label.span = label.span.shift(offset);
            }
        }
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A source text with a name, able to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// What to call it in messages: a file path, or `<expression>` for command-line input.
    pub name: &'a str,
    /// The text.
    pub text: &'a str,
    /// The byte offset of each line's start, when the text's owner keeps them
    /// ([`SourceMap`]): positions are then found by binary search, so thousands of
    /// diagnostics in one large file cost no more than reading it once.
    lines: Option<&'a [usize]>,
}

impl<'a> Source<'a> {
    /// A source without a line index: each position is found by scanning the text up to it,
    /// which suits one expression or a small file.
    pub fn new(name: &'a str, text: &'a str) -> Source<'a> {
        Source {
            name,
            text,
            lines: None,
        }
    }
}

/// The byte offset of the start of each line of `text`.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCol {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Source<'_> {
    /// The line and column of a byte offset (clamped to the text, and to a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset = offset.saturating_sub(1);
        }
        let before = self.text.get(..offset).unwrap_or("");
        let (line, line_start) = match self.lines {
            Some(starts) => {
                // The last line start at or before the offset.
                let n = starts.partition_point(|s| *s <= offset).max(1);
                (n, starts.get(n - 1).copied().unwrap_or(0))
            }
            None => (
                before.matches('\n').count() + 1,
                before.rfind('\n').map_or(0, |i| i + 1),
            ),
        };
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        LineCol { line, column }
    }

    /// The text of line `line` (1-based) without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let text = match self.lines {
            Some(starts) => {
                // Line 0 is read as line 1, as the scan does.
                let line = line.max(1);
                let start = starts.get(line - 1).copied();
                let end = starts
                    .get(line)
                    .map_or(self.text.len(), |e| e.saturating_sub(1));
                start
                    .and_then(|s| self.text.get(s..end.max(s)))
                    .unwrap_or("")
            }
            None => self
                .text
                .split('\n')
                .nth(line.saturating_sub(1))
                .unwrap_or(""),
        };
        text.trim_end_matches('\r')
    }
}

/// The JSON form of a diagnostic: the fields DESIGN.md promises, plus labels.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    /// Stable code, e.g. `S101`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Source name.
    pub file: String,
    /// Start line (1-based).
    pub line: usize,
    /// Start column (1-based, in characters).
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive, in characters).
    pub end_column: usize,
    /// Byte range in the source.
    pub span: Span,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Secondary locations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<JsonLabel>,
}

/// The JSON form of a secondary label.
#[derive(Debug, Clone, Serialize)]
pub struct JsonLabel {
    /// The message.
    pub message: String,
    /// Source name.
    pub file: String,
    /// Start line.
    pub line: usize,
    /// Start column.
    pub column: usize,
    /// End line.
    pub end_line: usize,
    /// End column (exclusive).
    pub end_column: usize,
}

/// Where the texts of [`FileId`]s are: one [`Source`] for single-source tools, a
/// [`SourceMap`] for policy sets.
pub trait Sources {
    /// The source of `file`; an unknown id gets an empty, unnamed source.
    fn source(&self, file: FileId) -> Source<'_>;
}

impl Sources for Source<'_> {
    fn source(&self, _file: FileId) -> Source<'_> {
        self.clone()
    }
}

/// The files of a policy set, by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(String, String)>,
    /// Each file's line starts ([`line_starts`]), same order.
    lines: Vec<Vec<usize>>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file; returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        self.lines.push(line_starts(&text));
        self.files.push((name.into(), text));
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// The name and text of a file.
    pub fn get(&self, file: FileId) -> Option<(&str, &str)> {
        self.files
            .get(file.0 as usize)
            .map(|(n, t)| (n.as_str(), t.as_str()))
    }

    /// All files, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &str, &str)> {
        self.files.iter().enumerate().map(|(i, (n, t))| {
            (
                FileId(u32::try_from(i).unwrap_or(u32::MAX)),
                n.as_str(),
                t.as_str(),
            )
        })
    }
}

impl Sources for SourceMap {
    fn source(&self, file: FileId) -> Source<'_> {
        match (self.get(file), self.lines.get(file.0 as usize)) {
            (Some((name, text)), Some(lines)) => Source {
                name,
                text,
                lines: Some(lines),
            },
            (Some((name, text)), None) => Source::new(name, text),
            (None, _) => Source::new("", ""),
        }
    }
}

impl Diagnostic {
    /// The JSON form, with positions resolved against `sources`.
    pub fn to_json(&self, sources: &impl Sources) -> JsonDiagnostic {
        let source = sources.source(self.file);
        let start = source.line_col(self.span.start);
        let end = source.line_col(self.span.end);
        JsonDiagnostic {
            code: self.code.as_str(),
            severity: self.severity,
            message: clip_message(&self.message).into_owned(),
            file: source.name.to_string(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            span: self.span,
            help: self.help.as_deref().map(|h| clip_message(h).into_owned()),
            labels: self
                .labels
                .iter()
                .map(|l| {
                    let src = sources.source(l.file);
                    let s = src.line_col(l.span.start);
                    let e = src.line_col(l.span.end);
                    JsonLabel {
                        message: clip_message(&l.message).into_owned(),
                        file: src.name.to_string(),
                        line: s.line,
                        column: s.column,
                        end_line: e.line,
                        end_column: e.column,
                    }
                })
                .collect(),
        }
    }

    /// The human form: a header, the location, the source line with carets under the span,
    /// the labels and the help. Every piece of text that may come from a user (the message,
    /// file names, the source line, labels, help) is clipped and made terminal-safe
    /// ([`crate::escape`]): it cannot start a line, move the cursor or colour the log.
    pub fn render(&self, sources: &impl Sources) -> String {
        self.render_styled(sources, Style::PLAIN)
    }

    /// [`Diagnostic::render`] with ANSI colours when `style` asks for them: only Roster's own
    /// structure (the header, the location arrow, the gutter, the carets, `help`) is coloured;
    /// user text is escaped exactly as without colour.
    pub fn render_styled(&self, sources: &impl Sources, style: Style) -> String {
        let mut out = String::new();
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let sev_colour = match self.severity {
            Severity::Error => Style::RED,
            Severity::Warning => Style::YELLOW,
        };
        let source = sources.source(self.file);
        let start = source.line_col(self.span.start);
        // One gutter width for every snippet, so the bars line up.
        let width = self
            .labels
            .iter()
            .map(|l| sources.source(l.file).line_col(l.span.start).line)
            .chain(std::iter::once(start.line))
            .max()
            .unwrap_or(1)
            .to_string()
            .len();
        let pad = " ".repeat(width);
        let _ = writeln!(
            out,
            "{}{} {}",
            style.paint(sev_colour, &format!("{sev}[{}]", self.code.as_str())),
            style.paint(Style::BOLD, ":"),
            style.paint(Style::BOLD, &human_text(&self.message))
        );
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            style.paint(Style::BLUE, "-->"),
            terminal(source.name),
            start.line,
            start.column
        );
        let paint = Paint {
            style,
            marker: sev_colour,
        };
        render_snippet(&mut out, &source, self.span, "", width, paint);
        for label in &self.labels {
            let src = sources.source(label.file);
            if label.file != self.file {
                let at = src.line_col(label.span.start);
                let _ = writeln!(
                    out,
                    "{pad}{} {}:{}:{}",
                    style.paint(Style::BLUE, ":::"),
                    terminal(src.name),
                    at.line,
                    at.column
                );
            }
            render_snippet(
                &mut out,
                &src,
                label.span,
                &human_text(&label.message),
                width,
                Paint {
                    style,
                    marker: Style::BLUE,
                },
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(
                out,
                "{pad} {} {}",
                style.paint(Style::BLUE, "="),
                style.paint(Style::BOLD, "help:") + " " + &human_text(help)
            );
        }
        out
    }
}

/// Whether human output is coloured, with ANSI escape sequences. Colour is decided once per
/// run ([`Style::decide`]) and only ever wraps Roster's own text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Write colours.
    pub colour: bool,
}

impl Style {
    /// No colour.
    pub const PLAIN: Style = Style { colour: false };
    /// Colour.
    pub const COLOUR: Style = Style { colour: true };
    /// Bold red: errors.
    pub const RED: &str = "1;31";
    /// Bold yellow: warnings.
    pub const YELLOW: &str = "1;33";
    /// Bold blue: locations and gutters.
    pub const BLUE: &str = "1;34";
    /// Bold.
    pub const BOLD: &str = "1";

    /// Decides colour for one output stream: `--color always` and `never` win; under `auto`,
    /// a non-empty `NO_COLOR` turns colour off (<https://no-color.org>), a `CLICOLOR_FORCE`
    /// other than `0` turns it on even when the stream is not a terminal, and otherwise colour
    /// is used on a terminal only.
    pub fn decide(
        choice: ColourChoice,
        is_terminal: bool,
        no_color: Option<&std::ffi::OsStr>,
        clicolor_force: Option<&std::ffi::OsStr>,
    ) -> Style {
        let colour = match choice {
            ColourChoice::Always => true,
            ColourChoice::Never => false,
            ColourChoice::Auto => {
                if no_color.is_some_and(|v| !v.is_empty()) {
                    false
                } else if clicolor_force.is_some_and(|v| !v.is_empty() && v != "0") {
                    true
                } else {
                    is_terminal
                }
            }
        };
        Style { colour }
    }

    /// `text` wrapped in the SGR sequence `sgr` (and a reset), or `text` itself without colour.
    pub fn paint(self, sgr: &str, text: &str) -> String {
        if self.colour && !text.is_empty() {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `--color`: when human output is coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColourChoice {
    /// On a terminal, unless `NO_COLOR` is set (or always when `CLICOLOR_FORCE` is).
    #[default]
    Auto,
    /// Always, even into a file or a pipe.
    Always,
    /// Never.
    Never,
}

/// How a snippet is coloured: the style and the colour of its carets.
#[derive(Debug, Clone, Copy)]
struct Paint {
    style: Style,
    marker: &'static str,
}

/// A message for people: values clipped, then terminal-safe.
fn human_text(message: &str) -> String {
    terminal(&clip_message(message)).into_owned()
}

/// How many characters of a long source line the excerpt under a diagnostic shows, and how
/// many of them come before the span.
const SNIPPET_CHARS: usize = 120;
const SNIPPET_BEFORE: usize = 40;

fn render_snippet(
    out: &mut String,
    source: &Source<'_>,
    span: Span,
    note: &str,
    width: usize,
    paint: Paint,
) {
    let start = source.line_col(span.start);
    let end = source.line_col(span.end);
    let chars: Vec<char> = source.line_text(start.line).chars().collect();
    let gutter = format!("{:>width$}", start.line);
    let pad = " ".repeat(width);
    let col = start.column.saturating_sub(1);
    let marked = if end.line == start.line {
        end.column.saturating_sub(start.column).max(1)
    } else {
        chars.len().saturating_sub(col).max(1)
    };
    // A long line is shown as a window around the span, so that a megabyte on one line
    // does not become a megabyte of diagnostic.
    let (from, to) = if chars.len() <= SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let from = col.saturating_sub(SNIPPET_BEFORE).min(chars.len());
        (from, chars.len().min(from + SNIPPET_CHARS))
    };
    // Each character as it is shown (controls visibly escaped), so the carets stay under it.
    let shown = |i: usize| -> String {
        let mut s = String::new();
        if let Some(&c) = chars.get(i) {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            push_visible(&mut s, prev, c, chars.get(i + 1).copied());
        }
        s
    };
    let mut text = String::new();
    let mut indent = String::new();
    let mut marker_width = 0;
    if from > 0 {
        text.push('…');
        indent.push(' ');
    }
    for i in from..to {
        let piece = shown(i);
        text.push_str(&piece);
        if i < col {
            if piece == "\t" {
                indent.push('\t');
            } else {
                indent.extend(std::iter::repeat_n(' ', piece.chars().count()));
            }
        } else if i < col + marked {
            marker_width += piece.chars().count();
        }
    }
    if to < chars.len() {
        text.push('…');
    } else {
        // A span at or past the end of the line (a missing token) still gets its carets.
        indent.extend(std::iter::repeat_n(' ', col.saturating_sub(chars.len())));
        marker_width += (col + marked).saturating_sub(chars.len().max(col));
    }
    let style = paint.style;
    let marker = style.paint(paint.marker, &"^".repeat(marker_width.max(1)));
    let bar = style.paint(Style::BLUE, "|");
    let _ = writeln!(out, "{pad} {bar}");
    let _ = writeln!(out, "{} {bar} {text}", style.paint(Style::BLUE, &gutter));
    if note.is_empty() {
        let _ = writeln!(out, "{pad} {bar} {indent}{marker}");
    } else {
        let _ = writeln!(
            out,
            "{pad} {bar} {indent}{marker} {}",
            style.paint(paint.marker, note)
        );
    }
}

/// The nearest candidate to `name` by edit distance, compared case-insensitively, when it is
/// close enough to be a plausible typo.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // Optimal string alignment: a transposition (`salse`) counts as one edit.
        let distance = strsim::osa_distance(&lower, &candidate.to_lowercase());
        let limit = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line index of a [`SourceMap`] gives the positions and line texts that scanning
    /// gives, for every offset of texts with empty lines, CRLF, multi-byte characters and no
    /// final newline.
    #[test]
    fn indexed_positions_equal_scanned_positions() {
        for text in [
            "",
            "\n",
            "a",
            "ab\nzoë [x]",
            "\n\nx\r\ny\n",
            "é\r\n\r\n€€\nlast",
            "tail\n",
        ] {
            let mut map = SourceMap::new();
            let id = map.add("f", text);
            let indexed = map.source(id);
            let scanned = Source::new("f", text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    indexed.line_col(offset),
                    scanned.line_col(offset),
                    "{text:?} at {offset}"
                );
            }
            for line in 0..=text.lines().count() + 2 {
                assert_eq!(
                    indexed.line_text(line),
                    scanned.line_text(line),
                    "{text:?} line {line}"
                );
            }
        }
    }

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let src = Source::new("x", "ab\nzoë [x]");
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, column: 1 });
        // `[` is after "zoë " which is 5 bytes but 4 chars.
        assert_eq!(src.line_col(8), LineCol { line: 2, column: 5 });
        // Past the end clamps; inside a multi-byte char moves back to its start.
        assert_eq!(src.line_col(100).line, 2);
        assert_eq!(src.line_col(6), LineCol { line: 2, column: 3 });
    }

    #[test]
    fn rendering_shows_controls_visibly_with_carets_under_the_span() {
        let text = "rule: \"a\u{1b}[31m\u{202e}\" -eq x\n";
        let src = Source::new("dir/\u{1b}]8;;x\u{7}p.yaml", text);
        let at = text.find("-eq").unwrap();
        let d = Diagnostic::new(
            Code::UnknownReference,
            Span::new(at, at + 3),
            "`evil\n::error file=x::FORGED` here",
        )
        .with_help("`##[warning]x`");
        let out = d.render(&src);
        assert_eq!(
            out,
            "error[C302]: `evil\\n::error file=x::FORGED` here\n \
             --> dir/\\u{1b}]8;;x\\u{7}p.yaml:1:17\n  \
             |\n\
             1 | rule: \"a\\u{1b}[31m\\u{202e}\" -eq x\n  \
             |                             ^^^\n  \
             = help: `#\\u{23}[warning]x`\n"
        );
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_span() {
        let text = format!("{}TARGET{}", "a".repeat(50_000), "b".repeat(50_000));
        let src = Source::new("x", &text);
        let d = Diagnostic::new(Code::UnknownReference, Span::new(50_000, 50_006), "m");
        let out = d.render(&src);
        assert!(out.len() < 600, "{}", out.len());
        let lines: Vec<&str> = out.lines().collect();
        let excerpt = lines.iter().find(|l| l.contains("TARGET")).unwrap();
        let carets = lines.iter().find(|l| l.contains('^')).unwrap();
        let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(col(excerpt, "TARGET"), col(carets, "^^^^^^"));
        assert!(
            excerpt.contains("| …a") && excerpt.ends_with("b…"),
            "{excerpt}"
        );
        // A span at the end of a line keeps its caret.
        let d = Diagnostic::new(Code::UnknownReference, Span::new(3, 3), "m");
        assert!(d.render(&Source::new("x", "abc")).contains("  |    ^\n"));
    }

    #[test]
    fn colour_on_a_terminal_unless_no_color() {
        use std::ffi::OsStr;
        let auto = |tty, no: Option<&str>, force: Option<&str>| {
            Style::decide(
                ColourChoice::Auto,
                tty,
                no.map(OsStr::new),
                force.map(OsStr::new),
            )
            .colour
        };
        assert!(auto(true, None, None));
        assert!(!auto(false, None, None));
        assert!(!auto(true, Some("1"), None));
        assert!(auto(true, Some(""), None));
        assert!(auto(false, None, Some("1")));
        assert!(!auto(false, None, Some("0")));
        assert!(!auto(true, Some("1"), Some("1")));
        assert!(Style::decide(ColourChoice::Always, false, Some(OsStr::new("1")), None).colour);
        assert!(!Style::decide(ColourChoice::Never, true, None, Some(OsStr::new("1"))).colour);
        assert_eq!(Style::PLAIN.paint(Style::RED, "x"), "x");
        assert_eq!(
            Style::COLOUR.paint(Style::RED, "x"),
            "\u{1b}[1;31mx\u{1b}[0m"
        );
    }

    #[test]
    fn suggestions_are_close_names_only() {
        let names = ["department", "displayName", "city"];
        assert_eq!(did_you_mean("departmnet", names), Some("department"));
        assert_eq!(did_you_mean("DEPARTMENT", names), Some("department"));
        assert_eq!(did_you_mean("salary", names), None);
    }
}
