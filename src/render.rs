//! Renderers for lists of diagnostics: human, JSON, SARIF 2.1.0 (GitHub code scanning) and
//! GitHub Actions workflow commands. Engines return data; these only format it.

use std::fmt::Write as _;

use serde_json::json;

use crate::codes;
use crate::diagnostics::{Diagnostic, Severity, Sources};
use crate::escape;

/// Every diagnostic for people, followed by a summary line.
pub fn human(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render(sources));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let _ = writeln!(out, "{}", summary(errors, warnings));
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
    let items: Vec<_> = diagnostics.iter().map(|d| d.to_json(sources)).collect();
    let mut s = escape::json_pretty(&items);
    s.push('\n');
    s
}

/// SARIF 2.1.0, one run, with a rule per code used and a result per diagnostic. Paths are as
/// given (relative to the working directory), which is what GitHub code scanning expects when
/// run from the repository root.
pub fn sarif(diagnostics: &[Diagnostic], sources: &impl Sources) -> String {
    let mut used: Vec<codes::Code> = diagnostics.iter().map(|d| d.code).collect();
    used.sort();
    used.dedup();
    let rules: Vec<_> = used
        .iter()
        .map(|code| {
            let info = code.info();
            json!({
                "id": code.as_str(),
                "name": info.map_or("", |i| i.name),
                "shortDescription": { "text": info.map_or("", |i| i.summary) },
                "fullDescription": { "text": format!("see docs/diagnostics.md#{}", code.as_str().to_lowercase()) },
                "defaultConfiguration": { "level": level(code.severity()) },
            })
        })
        .collect();
    let results: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let j = d.to_json(sources);
            let rule_index = used.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut message = j.message.clone();
            if let Some(help) = &j.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            json!({
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
            })
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
        let src = Source {
            name: "policies/a,b.yaml",
            text: "x: 1\n",
        };
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
