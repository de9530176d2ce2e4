//! The results of `roster test` as text for people, JSON, and JUnit XML (which GitHub and
//! GitLab read). Names and values come from files: the text form is terminal-safe, the JSON
//! written by [`crate::escape`], and the XML escaped for elements and attributes, with the
//! characters XML 1.0 cannot hold replaced.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Suite, coverage::Coverage, error_diagnostic, failure_diagnostic};
use crate::diagnostics::{Sources as _, Span};
use crate::escape::{clip_message, terminal};

fn status(o: &super::Outcome) -> &'static str {
    if o.error.is_some() {
        "error"
    } else if o.failures.is_empty() {
        "passed"
    } else {
        "failed"
    }
}

/// Counts: tests, passed, failed, errors.
pub fn counts(suite: &Suite) -> (usize, usize, usize, usize) {
    let total = suite.outcomes.len();
    let errors = suite.outcomes.iter().filter(|o| o.error.is_some()).count();
    let failed = suite
        .outcomes
        .iter()
        .filter(|o| o.error.is_none() && !o.failures.is_empty())
        .count();
    (total, total - failed - errors, failed, errors)
}

/// For people: one line per test, then each failure with its place in the test file, then a
/// summary (and the coverage, when asked for).
pub fn human(suite: &Suite, coverage: bool) -> String {
    let mut out = String::new();
    for o in &suite.outcomes {
        let file = suite.sources.source(o.file).name;
        let word = match status(o) {
            "passed" => "ok",
            "failed" => "FAILED",
            _ => "ERROR",
        };
        let _ = writeln!(
            out,
            "test {} :: {} ... {word}",
            terminal(file),
            terminal(&clip_message(&o.name))
        );
    }
    let failing: Vec<_> = suite.outcomes.iter().filter(|o| !o.passed()).collect();
    if !failing.is_empty() {
        out.push_str("\nfailures:\n\n");
        for o in failing {
            if let Some(why) = &o.error {
                out.push_str(&error_diagnostic(o, why).render(&suite.sources));
                out.push('\n');
            }
            for f in &o.failures {
                out.push_str(&failure_diagnostic(o, f).render(&suite.sources));
                out.push('\n');
            }
        }
    }
    let (total, passed, failed, errors) = counts(suite);
    let _ = writeln!(
        out,
        "\ntest result: {}. {total} test{}: {passed} passed, {failed} failed, {errors} could not run",
        if failed + errors == 0 { "ok" } else { "FAILED" },
        if total == 1 { "" } else { "s" },
    );
    if coverage {
        out.push('\n');
        out.push_str(&coverage_text(&suite.coverage, suite));
    }
    out
}

/// The coverage for people: a line per kind, then what is not covered.
pub fn coverage_text(c: &Coverage, suite: &Suite) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "coverage: {:.1}%", c.percent());
    for (kind, covered, total) in c.by_kind() {
        if total > 0 {
            let _ = writeln!(out, "  {kind:<8} {covered}/{total}");
        }
    }
    let missing: Vec<_> = c.units().iter().filter(|u| !u.covered).collect();
    if !missing.is_empty() {
        out.push_str("not covered:\n");
        for u in missing {
            let at = place(suite, u.at);
            let what = match &u.outcome {
                Some(o) => format!("{} {} ({o})", u.kind, display_name(&u.name)),
                None => format!("{} {}", u.kind, display_name(&u.name)),
            };
            let _ = writeln!(out, "  {}{}", terminal(&what), terminal(&at));
        }
    }
    out
}

/// A branch unit's name without the byte offset that keeps it unique.
fn display_name(name: &str) -> &str {
    match name.rsplit_once('@') {
        Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => head,
        _ => name,
    }
}

fn place(suite: &Suite, at: Option<(crate::diagnostics::FileId, Span)>) -> String {
    match at {
        Some((file, span)) => {
            let src = suite.sources.source(file);
            let lc = src.line_col(span.start);
            format!(" at {}:{}:{}", src.name, lc.line, lc.column)
        }
        None => String::new(),
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    summary: JsonSummary,
    tests: Vec<JsonTest<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<JsonCoverage<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    tests: usize,
    passed: usize,
    failed: usize,
    errors: usize,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    name: &'a str,
    kind: super::Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    as_of: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    failures: Vec<JsonFailure<'a>>,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    what: &'a str,
    expected: &'a str,
    actual: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCoverage<'a> {
    percent: f64,
    kinds: Vec<JsonKind>,
    units: Vec<JsonUnit<'a>>,
}

#[derive(Serialize)]
struct JsonKind {
    kind: &'static str,
    covered: usize,
    total: usize,
}

#[derive(Serialize)]
struct JsonUnit<'a> {
    kind: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a str>,
    covered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// One JSON document: the summary, every test with its failures (file, line, column, what,
/// expected, actual), and the coverage when asked for.
pub fn json(suite: &Suite, coverage: bool) -> String {
    let (tests, passed, failed, errors) = counts(suite);
    let report = JsonReport {
        summary: JsonSummary {
            tests,
            passed,
            failed,
            errors,
        },
        tests: suite
            .outcomes
            .iter()
            .map(|o| {
                let src = suite.sources.source(o.file);
                let at = src.line_col(o.span.start);
                JsonTest {
                    file: src.name,
                    line: at.line,
                    column: at.column,
                    name: &o.name,
                    kind: o.kind,
                    as_of: o.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
                    status: status(o),
                    error: o.error.as_deref(),
                    failures: o
                        .failures
                        .iter()
                        .map(|f| {
                            let at = src.line_col(f.span.start);
                            JsonFailure {
                                file: src.name,
                                line: at.line,
                                column: at.column,
                                what: &f.what,
                                expected: &f.expected,
                                actual: &f.actual,
                                note: f.note.as_deref(),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
        coverage: coverage.then(|| JsonCoverage {
            percent: (suite.coverage.percent() * 10.0).round() / 10.0,
            kinds: suite
                .coverage
                .by_kind()
                .into_iter()
                .map(|(kind, covered, total)| JsonKind {
                    kind,
                    covered,
                    total,
                })
                .collect(),
            units: suite
                .coverage
                .units()
                .iter()
                .map(|u| {
                    let (file, lc) = match u.at {
                        Some((f, span)) => {
                            let src = suite.sources.source(f);
                            (Some(src.name), Some(src.line_col(span.start)))
                        }
                        None => (None, None),
                    };
                    JsonUnit {
                        kind: u.kind,
                        name: display_name(&u.name),
                        outcome: u.outcome.as_deref(),
                        covered: u.covered,
                        file,
                        line: lc.map(|l| l.line),
                        column: lc.map(|l| l.column),
                    }
                })
                .collect(),
        }),
    };
    let mut s = crate::escape::json_pretty(&report);
    s.push('\n');
    s
}

/// Text for XML: the characters XML 1.0 cannot hold (control characters other than tab and
/// line breaks, lone surrogates cannot occur in `str`, U+FFFE/U+FFFF) become U+FFFD; invisible
/// and bidirectional controls are made visible as the terminal form does; `&`, `<`, `>`, `"`
/// and `'` become references, and in attributes line breaks and tabs too.
pub fn xml(text: &str, attribute: bool) -> String {
    let visible = terminal(text);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `testsuite` per test file, one `testcase` per test, a `failure` per failing
/// test (its message the first failure, its body every failure with file:line:column), an
/// `error` per test that could not run.
pub fn junit(suite: &Suite) -> String {
    let (tests, _, failed, errors) = counts(suite);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"roster\" tests=\"{tests}\" failures=\"{failed}\" errors=\"{errors}\">"
    );
    let mut files: Vec<crate::diagnostics::FileId> = Vec::new();
    for o in &suite.outcomes {
        if !files.contains(&o.file) {
            files.push(o.file);
        }
    }
    for file in files {
        let src = suite.sources.source(file);
        let mine: Vec<_> = suite.outcomes.iter().filter(|o| o.file == file).collect();
        let failed = mine
            .iter()
            .filter(|o| o.error.is_none() && !o.failures.is_empty())
            .count();
        let errors = mine.iter().filter(|o| o.error.is_some()).count();
        let name = xml(src.name, true);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\">",
            mine.len()
        );
        for o in mine {
            let at = src.line_col(o.span.start);
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{name}\" file=\"{name}\" line=\"{}\"",
                xml(&clip_message(&o.name), true),
                at.line
            );
            if o.passed() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some(why) = &o.error {
                let _ = writeln!(
                    out,
                    "      <error type=\"E204\" message=\"{}\"/>",
                    xml(&clip_message(why), true)
                );
            }
            if let Some(first) = o.failures.first() {
                let message = format!(
                    "{}: expected {}, got {}",
                    first.what, first.expected, first.actual
                );
                // One line per failure, each clipped on its own (values may be long).
                let mut body = String::new();
                for f in &o.failures {
                    let at = src.line_col(f.span.start);
                    let line = format!(
                        "{}:{}:{}: {}: expected {}, got {}",
                        src.name, at.line, at.column, f.what, f.expected, f.actual
                    );
                    body.push_str(&xml(&clip_message(&line), false));
                    body.push('\n');
                    if let Some(note) = &f.note {
                        body.push_str(&xml(&clip_message(&format!("  note: {note}")), false));
                        body.push('\n');
                    }
                }
                let _ = writeln!(
                    out,
                    "      <failure type=\"E200\" message=\"{}\">{body}</failure>",
                    xml(&clip_message(&message), true),
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escapes_markup_and_replaces_what_xml_cannot_hold() {
        assert_eq!(
            xml("<a href=\"x\">&'", true),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        // A line break in a name cannot start a line of its own in a CI log either.
        assert!(!xml("a\nb", true).contains('\n'));
        assert!(!xml("a\nb", false).contains('\n'));
        // Control and bidirectional characters are shown, never passed through.
        let out = xml("x\u{1b}[31m\u{202e}\u{0}y", false);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{0}'));
        assert!(out.starts_with('x') && out.ends_with('y'));
    }
}
