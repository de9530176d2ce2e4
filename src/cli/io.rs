//! Input and output shared by the commands: `--input` objects, `--now`, diagnostics.

use std::io::Read as _;

use chrono::NaiveDateTime;
use serde_json::{Map, Value as Json};

use super::DiagnosticFormat;
pub use super::output::{err, out};
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

/// Parses `--now`: an RFC 3339 time (`2024-03-01T09:00:00Z`, any offset, converted to UTC), or
/// a date alone (`2024-03-01`), which stands for midnight UTC. Defaults to the current time.
pub fn parse_now(now: Option<&str>) -> Result<NaiveDateTime, String> {
    let Some(s) = now else {
        return Ok(chrono::Utc::now().naive_utc());
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.naive_utc());
    }
    if looks_like_date(s) {
        return parse_date("--now", s).map(|d| d.and_time(chrono::NaiveTime::MIN));
    }
    Err(format!(
        "--now: `{s}` is not an RFC 3339 time or a date; write for example 2024-03-01T09:00:00Z, or 2024-03-01 for midnight UTC"
    ))
}

/// Whether text has the shape `YYYY-MM-DD` (digits and hyphens), whether or not the date exists.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Parses a `YYYY-MM-DD` argument, telling a date that does not exist (`2026-02-30`) from text
/// that is not written as a date.
pub fn parse_date(flag: &str, s: &str) -> Result<chrono::NaiveDate, String> {
    if !looks_like_date(s) {
        return Err(format!(
            "{flag}: `{s}` is not a date; write YYYY-MM-DD, for example 2026-01-15"
        ));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let field = |range: std::ops::Range<usize>| s.get(range).and_then(|t| t.parse::<u32>().ok());
    let (year, month, day) = (
        s.get(0..4).and_then(|t| t.parse::<i32>().ok()).unwrap_or(0),
        field(5..7).unwrap_or(0),
        field(8..10).unwrap_or(0),
    );
    if !(1..=12).contains(&month) {
        return Err(format!(
            "{flag}: `{s}` does not exist: there is no month {month}"
        ));
    }
    let days = chrono::NaiveDate::from_ymd_opt(year, month, 1).and_then(|first| {
        let next = if month == 12 {
            chrono::NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(year, month + 1, 1)
        }?;
        Some(next.signed_duration_since(first).num_days())
    });
    match days {
        Some(days) => {
            let name = chrono::Month::try_from(u8::try_from(month).unwrap_or(1))
                .map_or("the month", |m| m.name());
            Err(format!(
                "{flag}: `{s}` does not exist: {name} {year} has {days} days (day {day} was asked for)"
            ))
        }
        None => Err(format!("{flag}: `{s}` does not exist")),
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
                err(&d.render(source));
            }
        }
        DiagnosticFormat::Json => {
            let items: Vec<_> = diagnostics.iter().map(|d| d.to_json(source)).collect();
            err(&format!("{}\n", crate::escape::json_pretty(&items)));
        }
    }
}

/// Reports a failure to run (exit 2) on standard error. The message may quote paths and
/// values: it is clipped and made terminal-safe.
pub fn cannot_run(message: &str) -> super::ExitStatus {
    err(&format!(
        "error: {}\n",
        crate::escape::terminal(&crate::escape::clip_message(message))
    ));
    super::ExitStatus::Error
}

/// Parses `--as-of` (`YYYY-MM-DD`), defaulting to today (UTC).
fn parse_as_of(as_of: Option<&str>) -> Result<chrono::NaiveDate, super::ExitStatus> {
    match as_of {
        None => Ok(chrono::Utc::now().date_naive()),
        Some(s) => parse_date("--as-of", s).map_err(|e| cannot_run(&e)),
    }
}

/// `--data-root`: the commands that read a policy set.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RootArgs {
    /// The directory that source paths and linked policy files must stay inside (default: the
    /// repository that holds the policy set, else the policy directory's parent).
    #[arg(long, value_name = "DIR")]
    pub data_root: Option<std::path::PathBuf>,
}

/// `--data-root` and `--max-data-size`: the commands that read data files.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArgs {
    #[command(flatten)]
    pub root: RootArgs,
    /// The largest data file read: bytes, or a number with K, M or G (default 1G).
    #[arg(long, value_name = "SIZE", value_parser = crate::files::parse_size)]
    pub max_data_size: Option<u64>,
}

/// `--previous FILE`: the commands whose workflows compare with an earlier desired state.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PreviousArgs {
    /// A previous desired state: the report `eval` wrote for an earlier date (`--format json`,
    /// or `jsonl` for a file named `*.jsonl`). Workflows with attribute-change or
    /// group-membership triggers compare with it (without it they do not run), and the
    /// auto-assignment grace period reads who held each package by its rule.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<std::path::PathBuf>,
}

/// `--sign-ins PATH`: sign-in dates for access reviews' `recommendation`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SignInArgs {
    /// A Graph users export with sign-in activity (`GET /users?$select=employeeId,
    /// userPrincipalName,mail,signInActivity`: a page, or a directory of pages). Access reviews
    /// whose default decision is `recommendation` read each identity's last sign-in, matched by
    /// `employeeId`, then `userPrincipalName`, then `mail`; without it there is no
    /// recommendation and access is kept.
    #[arg(long, value_name = "PATH")]
    pub sign_ins: Option<std::path::PathBuf>,
}

impl SignInArgs {
    /// Reads the sign-in export, if one is given. Its problems are printed and give exit 2:
    /// dates read in part would remove the access of those whose page was missed.
    pub fn read(
        &self,
        limit: u64,
    ) -> Result<Option<std::sync::Arc<crate::governance::signins::SignIns>>, super::ExitStatus>
    {
        let Some(path) = &self.sign_ins else {
            return Ok(None);
        };
        match crate::governance::signins::read(path, limit) {
            Ok(s) => Ok(Some(std::sync::Arc::new(s))),
            Err(issues) => {
                let mut text = String::new();
                for issue in &issues {
                    text.push_str(&issue.render());
                }
                err(&text);
                Err(cannot_run(
                    "the sign-in export could not be used: nothing was evaluated",
                ))
            }
        }
    }
}

impl PreviousArgs {
    /// Without a previous state, the warnings that name the workflows that cannot run
    /// (`D234`) and the access packages whose grace period is not applied (`D237`), to say once on standard error at the end (empty when there is none).
    pub fn warning(&self, loaded: &crate::policy::load::Loaded) -> String {
        let mut issues = Vec::new();
        crate::governance::workflows::issues(loaded, self.previous.is_some(), &mut issues);
        crate::governance::grace::issues(loaded, self.previous.is_some(), &mut issues);
        issues
            .iter()
            .map(crate::ingest::DataIssue::render)
            .collect()
    }

    /// Reads the previous state, if one is given, keeping what the policy set's workflows
    /// compare. Its problems are printed and give exit 2: a previous state read in part
    /// would show changes that did not happen.
    pub fn read(
        &self,
        loaded: &crate::policy::load::Loaded,
        as_of: chrono::NaiveDate,
        limit: u64,
    ) -> Result<Option<std::sync::Arc<crate::governance::previous::Previous>>, super::ExitStatus>
    {
        use crate::governance::previous;
        let Some(path) = &self.previous else {
            return Ok(None);
        };
        let want = crate::governance::workflows::wanted(loaded);
        let refuse = |issues: &[crate::ingest::DataIssue]| {
            let mut text = String::new();
            for issue in issues {
                text.push_str(&issue.render());
            }
            err(&text);
            cannot_run("the previous state could not be used: nothing was evaluated")
        };
        let state = previous::read(path, limit, &want).map_err(|issues| refuse(&issues))?;
        if let Some(issue) = state.check_date(as_of) {
            return Err(refuse(&[issue]));
        }
        Ok(Some(std::sync::Arc::new(state)))
    }
}

impl RootArgs {
    /// The load options these arguments give.
    pub fn options(&self) -> crate::policy::load::LoadOptions {
        crate::policy::load::LoadOptions {
            data_root: self.data_root.clone(),
            ..crate::policy::load::LoadOptions::default()
        }
    }
}

impl DataArgs {
    /// The load options these arguments give.
    pub fn options(&self) -> crate::policy::load::LoadOptions {
        let mut options = self.root.options();
        if let Some(max) = self.max_data_size {
            options.max_data_bytes = max;
        }
        options
    }
}

/// Whether a diagnostic means the command cannot run on this input at all (exit 2, nothing
/// written): a path or linked policy file outside the root, no policy files, a data file that
/// is not a regular file or is over the size limit.
pub fn refuses_to_run(code: crate::codes::Code) -> bool {
    use crate::codes::Code;
    matches!(
        code,
        Code::PathOutsideRoot
            | Code::NoPolicyFiles
            | Code::PolicyFileRefused
            | Code::DataNotAFile
            | Code::DataTooLarge
    )
}

/// What `eval` and `explain` start from: the `--as-of` date and the policy set, loaded and
/// checked. A bad date, or a policy set with errors (printed on standard error), gives the exit
/// status instead: 2 when the set cannot be evaluated at all (no policy files, a refused path,
/// no `identity`), else 1.
pub fn load_for_evaluation(
    dir: &std::path::Path,
    as_of: Option<&str>,
    options: &crate::policy::load::LoadOptions,
) -> Result<
    (
        chrono::NaiveDate,
        crate::policy::load::Loaded,
        crate::policy::Policy,
    ),
    super::ExitStatus,
> {
    let as_of = parse_as_of(as_of)?;
    let loaded =
        crate::policy::load::load_with(dir, options).map_err(|e| cannot_run(&e.to_string()))?;
    let checked = compile_for_evaluation(dir, &loaded)?;
    Ok((as_of, loaded, checked))
}

/// Checks a loaded policy set for evaluation: its errors are printed (exit 1, or 2 for those
/// that refuse to run), and a set without `identity` cannot run.
pub fn compile_for_evaluation(
    dir: &std::path::Path,
    loaded: &crate::policy::load::Loaded,
) -> Result<crate::policy::Policy, super::ExitStatus> {
    let mut diagnostics = loaded.diagnostics.clone();
    let checked = crate::policy::compile::compile(loaded, &mut diagnostics);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        err(&crate::render::human(&errors, &loaded.sources));
        return Err(if errors.iter().any(|d| refuses_to_run(d.code)) {
            super::ExitStatus::Error
        } else {
            super::ExitStatus::Failure
        });
    }
    if !loaded.files.iter().any(|f| f.policy.identity.is_some()) {
        return Err(cannot_run(&format!(
            "the policy set `{}` defines no `identity` (how source records become identities), so there is nothing to evaluate",
            crate::files::quote(&dir.display().to_string())
        )));
    }
    Ok(checked)
}

/// `--as-of`, or today (UTC).
pub fn as_of_or_today(as_of: Option<&str>) -> Result<chrono::NaiveDate, super::ExitStatus> {
    parse_as_of(as_of)
}

/// Writes `text` to the file `--out` names, atomically; a path that names no file, a name that
/// is not a plain file name, or a failed write cannot run (exit 2).
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), super::ExitStatus> {
    use std::io::Write as _;
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(cannot_run(&format!(
            "--out: `{}` is not a file name",
            path.display()
        )));
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let name = name.to_string_lossy();
    crate::files::check_output_names([name.as_ref()]).map_err(|e| cannot_run(&e))?;
    crate::files::write_atomically(dir, &name, |w| w.write_all(text.as_bytes()))
        .map_err(|e| cannot_run(&format!("`{}`: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_that_does_not_exist_is_told_apart_from_one_written_wrong() {
        assert_eq!(
            parse_date("--as-of", "2026-02-30").unwrap_err(),
            "--as-of: `2026-02-30` does not exist: February 2026 has 28 days (day 30 was asked for)"
        );
        assert!(parse_date("--as-of", "2024-02-29").is_ok());
        assert!(
            parse_date("--as-of", "2026-13-01")
                .unwrap_err()
                .contains("there is no month 13")
        );
        assert!(
            parse_date("--as-of", "2026-04-31")
                .unwrap_err()
                .contains("April 2026 has 30 days")
        );
        assert!(
            parse_date("--as-of", "26-1-5")
                .unwrap_err()
                .contains("is not a date; write YYYY-MM-DD")
        );
    }

    #[test]
    fn now_takes_a_time_or_a_date_alone() {
        let t = |s| parse_now(Some(s)).map(|t| t.to_string());
        assert_eq!(t("2024-03-01").unwrap(), "2024-03-01 00:00:00");
        assert_eq!(
            t("2024-03-01T09:30:00+02:00").unwrap(),
            "2024-03-01 07:30:00"
        );
        assert!(t("2024-02-30").unwrap_err().contains("does not exist"));
        assert!(
            t("yesterday")
                .unwrap_err()
                .contains("or 2024-03-01 for midnight UTC")
        );
    }
}
