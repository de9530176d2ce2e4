//! Renderers for lists of diagnostics: human, JSON, SARIF 2.1.0 (GitHub code scanning) and
//! GitHub Actions workflow commands. Engines return data; these only format it.

use std::fmt::Write as _;

use serde_json::json;

use crate::codes;
use crate::diagnostics::{Diagnostic, Severity, Sources, Style};
use crate::escape;
use crate::policy::suppress::Suppressed;

/// Every diagnostic for people, followed by a summary line.
pub fn human(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    lint_human(diagnostics, &[], sources, Style::PLAIN)
}

/// [`human`] for `roster lint`: coloured when `style` says so, and the summary line counts the
/// findings suppressed in source by code (`no problems, 2 suppressed (L004 x2)`); they are not
/// shown one by one (`--format json` or `sarif` lists them with their reasons).
pub fn lint_human(
    diagnostics: &[Diagnostic],
    suppressed: &[Suppressed],
    sources: &impl Sources,
    style: Style,
) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render_styled(sources, style));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let line = summary(errors, warnings);
    let line = match (errors, warnings) {
        (0, 0) => line,
        (0, _) => style.paint(Style::YELLOW, &line),
        _ => style.paint(Style::RED, &line),
    };
    out.push_str(&line);
    if !suppressed.is_empty() {
        let mut by_code: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for s in suppressed {
            *by_code.entry(s.diagnostic.code.as_str()).or_default() += 1;
        }
        let list: Vec<String> = by_code
            .iter()
            .map(|(code, n)| format!("{code} x{n}"))
            .collect();
        let _ = write!(
            out,
            ", {} suppressed ({})",
            suppressed.len(),
            list.join(", ")
        );
    }
    out.push('\n');
    out
}

/// `2 errors, 1 warning`, or `no problems`.
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// A JSON array of diagnostic objects (the fields DESIGN.md lists).
pub fn json(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    lint_json(diagnostics, &[], sources)
}

/// [`json()`] for `roster lint`: the findings suppressed in source follow the others, each with
/// a `suppressed` object: the `reason` written after `--` (empty when none was) and the
/// `line` and `column` of the suppression comment. Consumers that count problems skip the
/// objects that have it.
pub fn lint_json(
    diagnostics: &[Diagnostic],
    suppressed: &[Suppressed],
    sources: &impl Sources,
) -> String {
    let mut items: Vec<serde_json::Value> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        items.push(serde_json::to_value(d.to_json(sources)).unwrap_or_default());
    }
    for s in suppressed {
        let mut item = serde_json::to_value(s.diagnostic.to_json(sources)).unwrap_or_default();
        let at = sources
            .source(s.diagnostic.file)
            .line_col(s.directive.start);
        if let Some(object) = item.as_object_mut() {
            object.insert(
                "suppressed".to_string(),
                json!({
                    "reason": escape::clip_message(&s.reason),
                    "line": at.line,
                    "column": at.column,
                }),
            );
        }
        items.push(item);
    }
    let mut s = escape::json_pretty(&items);
    s.push('\n');
    s
}

/// Where the documentation of each code is, for SARIF's `helpUri`: `--docs-url` on `roster
/// lint`, else the `ROSTER_DOCS_URL` environment variable, else the `repository` of Roster's
/// `Cargo.toml` with `/blob/main/docs/diagnostics.md`, else nothing (the rules still carry
/// their whole documentation in `help`). The code's anchor (`#c201`) is appended.
pub fn docs_url(flag: Option<&str>) -> Option<String> {
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return Some(url.to_string());
    }
    if let Some(url) = std::env::var("ROSTER_DOCS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let repository = env!("CARGO_PKG_REPOSITORY");
    (!repository.is_empty()).then(|| {
        format!(
            "{}/blob/main/docs/diagnostics.md",
            repository.trim_end_matches('/')
        )
    })
}

/// SARIF 2.1.0, one run, with a rule per code used and a result per diagnostic. Paths are as
/// given (relative to the working directory), which is what GitHub code scanning expects when
/// run from the repository root.
pub fn sarif(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    lint_sarif(diagnostics, &[], sources, None)
}

/// [`sarif`] for `roster lint`: every rule carries its full description and its whole
/// documentation (`help`, text and Markdown: explanation and the bad and good examples), and
/// `helpUri` when `docs` is known ([`docs_url`]); the findings suppressed in source are results
/// with an `inSource` suppression and its justification, as SARIF 2.1.0 §3.35 describes.
pub fn lint_sarif(
    diagnostics: &[Diagnostic],
    suppressed: &[Suppressed],
    sources: &impl Sources,
    docs: Option<&str>,
) -> String {
    let mut used: Vec<codes::Code> = diagnostics
        .iter()
        .chain(suppressed.iter().map(|s| &s.diagnostic))
        .map(|d| d.code)
        .collect();
    used.sort();
    used.dedup();
    let rules: Vec<_> = used
        .iter()
        .map(|code| {
            let info = code.info();
            let summary = info.map_or("", |i| i.summary);
            let full = match codes::explanation(*code) {
                Some(text) => format!("{summary}. {text}"),
                None => format!("{summary} — {}", codes::stage(*code)),
            };
            let help = info.map(codes::explain_brief).unwrap_or_default();
            let mut rule = json!({
                "id": code.as_str(),
                "name": info.map_or("", |i| i.name),
                "shortDescription": { "text": summary },
                "fullDescription": { "text": full },
                "help": {
                    "text": help,
                    "markdown": format!("```text\n{}```\n", help),
                },
                "defaultConfiguration": { "level": level(code.severity()) },
            });
            if let (Some(base), Some(object)) = (docs, rule.as_object_mut()) {
                object.insert(
                    "helpUri".to_string(),
                    json!(format!("{base}#{}", code.as_str().to_lowercase())),
                );
            }
            rule
        })
        .collect();
    let active = diagnostics.iter().map(|d| (d, None));
    let quiet = suppressed.iter().map(|s| (&s.diagnostic, Some(s)));
    let results: Vec<_> = active
        .chain(quiet)
        .map(|(d, suppression)| {
            let j = d.to_json(sources);
            let rule_index = used.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut message = j.message.clone();
            if let Some(help) = &j.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": j.file.replace('\\', "/") },
                        "region": {
                            "startLine": j.line,
                            "startColumn": j.column,
                            "endLine": j.end_line,
                            "endColumn": j.end_column.max(j.column + usize::from(j.end_line == j.line && j.end_column <= j.column)),
                        }
                    }
                }],
                "relatedLocations": j.labels.iter().enumerate().map(|(i, l)| json!({
                    "id": i,
                    "message": { "text": l.message },
                    "physicalLocation": {
                        "artifactLocation": { "uri": l.file.replace('\\', "/") },
                        "region": { "startLine": l.line, "startColumn": l.column, "endLine": l.end_line, "endColumn": l.end_column }
                    }
                })).collect::<Vec<_>>(),
            });
            if let (Some(s), Some(object)) = (suppression, result.as_object_mut()) {
                let source = sources.source(d.file);
                let from = source.line_col(s.directive.start);
                let to = source.line_col(s.directive.end);
                object.insert(
                    "suppressions".to_string(),
                    json!([{
                        "kind": "inSource",
                        "status": "accepted",
                        "justification": escape::clip_message(&s.reason),
                        "location": {
                            "physicalLocation": {
                                "artifactLocation": { "uri": j.file.replace('\\', "/") },
                                "region": {
                                    "startLine": from.line,
                                    "startColumn": from.column,
                                    "endLine": to.line,
                                    "endColumn": to.column,
                                }
                            }
                        }
                    }]),
                );
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "roster",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }]
    });
    let mut s = escape::json_pretty(&doc);
    s.push('\n');
    s
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// GitHub Actions workflow commands: `::error file=...,line=...,col=...::message`, which
/// annotate the pull request's diff. Values are escaped as GitHub documents (`%`, CR and LF in
/// the message; also `:` and `,` in properties), after the user's text is clipped and made
/// terminal-safe: its line breaks and controls are shown visibly (`\n`), so that only the
/// line break before `help` is a real one, and `##[` is broken.
pub fn github(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let j = d.to_json(sources);
        let mut message = escape::terminal(&j.message).into_owned();
        if let Some(help) = &j.help {
            message.push_str("\nhelp: ");
            message.push_str(&escape::terminal(help));
        }
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            level(d.severity),
            property(&escape::terminal(&j.file)),
            j.line,
            j.column,
            j.end_line,
            j.end_column,
            property(&format!(
                "{} {}",
                d.code.as_str(),
                d.code.info().map_or("", |i| i.name)
            )),
            data(&message)
        );
    }
    out
}

/// Escapes a workflow-command property value.
fn property(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// Escapes a workflow-command message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::diagnostics::{Source, Span};

    #[test]
    fn github_commands_escape_their_values() {
        let src = Source::new("policies/a,b.yaml", "x: 1\n");
        let d = Diagnostic::new(
            Code::UnknownReference,
            Span::new(0, 1),
            "100% wrong\nreally",
        )
        .with_help("fix: it");
        let out = github(&[d], &src);
        assert_eq!(
            out,
            "::error file=policies/a%2Cb.yaml,line=1,col=1,endLine=1,endColumn=2,title=C302 unknown-reference::100%25 wrong\\nreally%0Ahelp: fix: it\n"
        );
    }

    #[test]
    fn summary_counts() {
        assert_eq!(summary(0, 0), "no problems");
        assert_eq!(summary(1, 2), "1 error, 2 warnings");
    }
}
