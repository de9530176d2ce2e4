//! Input and output shared by the commands: `--input` objects, `--now`, diagnostics.

use std::io::Read as _;

use chrono::NaiveDateTime;
use serde_json::{Map, Value as Json};

use super::DiagnosticFormat;
use crate::diagnostics::{Diagnostic, Source};

/// Reads `--input`: a file path, or `-` for standard input; absent means `{}`.
pub fn read_input(path: Option<&str>) -> Result<Map<String, Json>, String> {
    let Some(path) = path else {
        return Ok(Map::new());
    };
    let (name, text) = read_text(path)?;
    match serde_json::from_str::<Json>(&text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(format!(
            "{name}: expected a JSON object of attribute names to values, like {{\"givenName\": \"John\"}}"
        )),
        Err(e) => Err(format!(
            "{name}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        )),
    }
}

/// Reads `--existing`: a JSON array of values already taken.
pub fn read_existing(path: Option<&str>) -> Result<Vec<String>, String> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let (name, text) = read_text(path)?;
    match serde_json::from_str::<Json>(&text) {
        Ok(Json::Array(items)) => Ok(items
            .iter()
            .filter_map(|v| match v {
                Json::String(s) => Some(s.clone()),
                Json::Null => None,
                other => Some(other.to_string()),
            })
            .collect()),
        Ok(_) => Err(format!(
            "{name}: expected a JSON array of values already taken, like [\"jdoe\", \"jsmith\"]"
        )),
        Err(e) => Err(format!(
            "{name}:{}:{}: invalid JSON: {e}",
            e.line(),
            e.column()
        )),
    }
}

fn read_text(path: &str) -> Result<(String, String), String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
        return Ok(("<stdin>".to_string(), text));
    }
    std::fs::read_to_string(path)
        .map(|t| (path.to_string(), t))
        .map_err(|e| format!("{path}: cannot read: {e}"))
}

/// Parses `--now` (RFC 3339), defaulting to the current time; UTC.
pub fn parse_now(now: Option<&str>) -> Result<NaiveDateTime, String> {
    match now {
        None => Ok(chrono::Utc::now().naive_utc()),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.naive_utc())
            .map_err(|e| format!("--now: `{s}` is not an RFC 3339 time ({e}); write for example 2024-03-01T09:00:00Z")),
    }
}

/// Prints diagnostics on standard error.
pub fn print_diagnostics(
    diagnostics: &[Diagnostic],
    source: &Source<'_>,
    format: DiagnosticFormat,
) {
    if diagnostics.is_empty() {
        return;
    }
    match format {
        DiagnosticFormat::Human => {
            for d in diagnostics {
                eprint!("{}", d.render(source));
            }
        }
        DiagnosticFormat::Json => {
            let items: Vec<_> = diagnostics.iter().map(|d| d.to_json(source)).collect();
            eprintln!("{}", crate::escape::json_pretty(&items));
        }
    }
}

/// Reports a failure to run (exit 2) on standard error. The message may quote paths and
/// values: it is clipped and made terminal-safe.
pub fn cannot_run(message: &str) -> super::ExitStatus {
    eprintln!(
        "error: {}",
        crate::escape::terminal(&crate::escape::clip_message(message))
    );
    super::ExitStatus::Error
}

/// Writes to standard output. A closed pipe (`roster eval | head`) is not an error worth a
/// panic: the reader has what it wanted, so the write is abandoned quietly.
pub fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Parses `--as-of` (`YYYY-MM-DD`), defaulting to today (UTC).
fn parse_as_of(as_of: Option<&str>) -> Result<chrono::NaiveDate, super::ExitStatus> {
    match as_of {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| cannot_run(&format!("--as-of: `{s}` is not a date; write YYYY-MM-DD"))),
    }
}

/// What `eval` and `explain` start from: the `--as-of` date and the policy set, loaded and
/// checked. A bad date, or a policy set with errors (printed on standard error), gives the exit
/// status instead.
pub fn load_for_evaluation(
    dir: &std::path::Path,
    as_of: Option<&str>,
) -> Result<
    (
        chrono::NaiveDate,
        crate::policy::load::Loaded,
        crate::policy::Policy,
    ),
    super::ExitStatus,
> {
    let as_of = parse_as_of(as_of)?;
    let loaded = crate::policy::load::load(dir).map_err(|e| cannot_run(&e.to_string()))?;
    let mut diagnostics = loaded.diagnostics.clone();
    let checked = crate::policy::compile::compile(&loaded, &mut diagnostics);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        eprint!("{}", crate::render::human(&errors, &loaded.sources));
        return Err(super::ExitStatus::Failure);
    }
    Ok((as_of, loaded, checked))
}
