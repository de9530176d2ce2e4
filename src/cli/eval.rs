//! `roster eval [DIR] [--as-of DATE] [--format json|jsonl|yaml|csv|markdown] [--out DIR]
//! [--identity KEY]... [--only summary|issues|identities]`.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, load_for_evaluation};
use crate::escape::{VALUE_CHARS, clip, terminal};
use crate::eval::jsonl::Sections;
use crate::eval::{self, Options};
use crate::files;

/// Output formats of `roster eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvalFormat {
    /// The canonical desired state (schemas/desired-state.schema.json).
    #[default]
    Json,
    /// JSON Lines: one compact object per line, each with a `type` (`summary`, `identity`,
    /// `conflict`, `issue`), for streaming and `jq` at any size.
    Jsonl,
    /// The same content as the JSON, as YAML.
    Yaml,
    /// One CSV file per target (needs `--out`).
    Csv,
    /// A summary for a pull request, under 60,000 characters whatever the population.
    Markdown,
}

impl EvalFormat {
    /// The file `--out` writes (CSV writes several).
    fn file_name(self) -> &'static str {
        match self {
            EvalFormat::Json => "desired-state.json",
            EvalFormat::Jsonl => "desired-state.jsonl",
            EvalFormat::Yaml => "desired-state.yaml",
            EvalFormat::Csv => "",
            EvalFormat::Markdown => "summary.md",
        }
    }
}

/// A section of the report, for `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// The as-of date and the counts (in Markdown, with the group, package and target tables).
    Summary,
    /// Separation-of-duties conflicts and data problems.
    Issues,
    /// The identities.
    Identities,
}

/// Arguments of `roster eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The date to evaluate for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: EvalFormat,
    /// Write the report into this directory (`desired-state.json`, `desired-state.jsonl`,
    /// `desired-state.yaml`, `summary.md`, or `<target>.csv`, `memberships.csv` and
    /// `conflicts.csv`) instead of standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only this identity (its key) in the identity sections of the report; repeat for more.
    /// In Markdown, lists them in an "Identities" section. The counts, conflicts and data
    /// problems stay those of the whole population.
    #[arg(long = "identity", value_name = "KEY")]
    identities: Vec<String>,
    /// Only these sections of the report (repeat, or separate with commas); not with
    /// `--format csv`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SECTION")]
    only: Vec<Only>,
    #[command(flatten)]
    data: super::io::DataArgs,
    #[command(flatten)]
    previous: super::io::PreviousArgs,
    #[command(flatten)]
    sign_ins: super::io::SignInArgs,
    /// Make every separation-of-duties conflict an error, so that the run fails (exit 1) when
    /// someone holds two things declared incompatible.
    #[arg(long)]
    deny_conflicts: bool,
}

/// Runs `roster eval`: exit 0 with a report, 1 when the policy set has errors (nothing is
/// evaluated) or the data has error-level problems (the report is still written), 2 when it
/// could not run.
pub fn run(args: &Args) -> ExitStatus {
    let progress = super::progress::Line::start("eval");
    crate::progress::stage("loading the policy set");
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, args.as_of.as_deref(), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
        };
    if args.format == EvalFormat::Csv && args.out.is_none() {
        return cannot_run("--format csv writes one file per target: give --out DIR");
    }
    if args.format == EvalFormat::Csv && !args.only.is_empty() {
        return cannot_run(
            "--only applies to json, jsonl, yaml and markdown; --format csv writes its files whole",
        );
    }
    let previous = match args
        .previous
        .read(&loaded, as_of, args.data.options().max_data_bytes)
    {
        Ok(p) => p,
        Err(status) => return status,
    };
    let sign_ins = match args.sign_ins.read(args.data.options().max_data_bytes) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let mut state = eval::evaluate(
        &loaded,
        &checked,
        Options {
            as_of,
            previous,
            sign_ins,
        },
    );
    if state.cannot_run() {
        drop(progress);
        return data_cannot_run(&state);
    }
    if args.deny_conflicts {
        state.deny_conflicts();
    }
    let rows = match selected(&state, &args.identities) {
        Ok(rows) => rows,
        Err(status) => return status,
    };
    let sections = if args.only.is_empty() {
        Sections::ALL
    } else {
        Sections {
            summary: args.only.contains(&Only::Summary),
            issues: args.only.contains(&Only::Issues),
            identities: args.only.contains(&Only::Identities),
        }
    };
    // On a terminal, the report itself shows that the run is done: the line goes before it.
    let progress = if args.out.is_none() && std::io::stdout().is_terminal() {
        drop(progress);
        None
    } else {
        progress
    };
    crate::progress::stage("writing the report");
    let files: Vec<(String, String)> = match args.format {
        // Streamed, one identity at a time: the JSON of a large population is gigabytes.
        EvalFormat::Json | EvalFormat::Jsonl => {
            let format = args.format;
            let write = |w: &mut (dyn std::io::Write + Send)| match format {
                EvalFormat::Jsonl => {
                    crate::progress::counted("writing identities", rows.len());
                    eval::jsonl::write(w, &state, sections, &rows, &mut |n| {
                        crate::progress::advance(n);
                    })
                }
                _ => state.write_json_with(w, sections, &rows),
            };
            let name = format.file_name();
            let written = match &args.out {
                None => {
                    super::output::widen_pipe();
                    write(&mut super::output::Stdout)
                }
                Some(dir) => std::fs::create_dir_all(dir)
                    .and_then(|()| files::write_atomically(dir, name, |mut w| write(&mut w))),
            };
            match (written, &args.out) {
                // Standard output: a failure is already recorded (a closed pipe quietly, any
                // other error for exit 2 at the end).
                (Ok(()), _) | (Err(_), None) => Vec::new(),
                (Err(e), Some(dir)) => {
                    return cannot_run(&format!("`{}`: {e}", dir.join(name).display()));
                }
            }
        }
        EvalFormat::Yaml => vec![(
            EvalFormat::Yaml.file_name().into(),
            state.to_yaml_with(sections, &rows),
        )],
        EvalFormat::Markdown => {
            let revision = crate::revision::of(&args.dir);
            // The identities are listed when asked for, by key or by section.
            let listed = !args.identities.is_empty() || args.only.contains(&Only::Identities);
            let options = eval::report::MarkdownOptions {
                sections,
                rows: listed.then_some(&rows[..]),
                revision: revision.as_deref(),
            };
            vec![(
                EvalFormat::Markdown.file_name().into(),
                eval::report::markdown_with(&state, &options),
            )]
        }
        EvalFormat::Csv => {
            let targets: Vec<(String, Vec<String>)> = loaded
                .files
                .iter()
                .flat_map(|f| f.policy.targets.iter())
                .map(|(n, t)| {
                    (
                        n.value.clone(),
                        t.value.mappings.keys().map(|k| k.value.clone()).collect(),
                    )
                })
                .collect();
            let only = (!args.identities.is_empty()).then(|| {
                let mut set = crate::rule::sets::Bitset::with_capacity(state.identities.len());
                for &i in &rows {
                    set.insert(i);
                }
                set
            });
            state
                .to_csv_for(&targets, only.as_ref())
                .into_iter()
                .map(|(t, text)| (format!("{t}.csv"), text))
                .chain([
                    (
                        "memberships.csv".to_string(),
                        state.memberships_csv_for(only.as_ref()),
                    ),
                    ("conflicts.csv".to_string(), state.conflicts_csv()),
                ])
                .collect()
        }
    };
    match &args.out {
        None => {
            for (_, text) in &files {
                if !super::io::out(text) {
                    break;
                }
            }
        }
        Some(dir) => {
            // Every name is checked before anything is written: plain file names inside
            // `--out`, no two the same file (a target named `memberships` included).
            if let Err(e) = files::check_output_names(files.iter().map(|(n, _)| n.as_str())) {
                return cannot_run(&e);
            }
            if let Err(e) = std::fs::create_dir_all(dir) {
                return cannot_run(&format!("`{}`: {e}", dir.display()));
            }
            for (name, text) in &files {
                if let Err(e) = files::write_atomically(dir, name, |w| w.write_all(text.as_bytes()))
                {
                    return cannot_run(&format!("`{}`: {e}", dir.join(name).display()));
                }
            }
        }
    }
    drop(progress);
    let warning = args.previous.warning(&loaded);
    if !warning.is_empty() {
        super::io::err(&warning);
    }
    let data_errors = state
        .issues
        .iter()
        .filter(|i| i.severity == crate::diagnostics::Severity::Error)
        .count();
    if !state.issues.is_empty() {
        super::io::err(&format!(
            "{} data problem{} ({} error{}); see `issues` in the report\n",
            state.issues.len(),
            if state.issues.len() == 1 { "" } else { "s" },
            data_errors,
            if data_errors == 1 { "" } else { "s" }
        ));
    }
    if data_errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// The indices of the identities `keys` name, in key order, without repeats; every identity
/// when there are none. A key no identity has is an error (exit 1) with the nearest key.
fn selected(state: &eval::DesiredState, keys: &[String]) -> Result<Vec<usize>, ExitStatus> {
    let ids = &state.identities;
    if keys.is_empty() {
        return Ok((0..ids.len()).collect());
    }
    let mut rows = Vec::with_capacity(keys.len());
    let mut unknown = String::new();
    for key in keys {
        match ids.position(key) {
            Some(i) => rows.push(i),
            None => {
                let hint = crate::diagnostics::did_you_mean(key, ids.keys())
                    .map_or_else(String::new, |s| {
                        format!("; did you mean `{}`?", clip(s, VALUE_CHARS))
                    });
                unknown.push_str(&format!(
                    "error: no identity `{}`{}\n",
                    terminal(&clip(key, VALUE_CHARS)),
                    terminal(&hint)
                ));
            }
        }
    }
    if !unknown.is_empty() {
        super::io::err(&unknown);
        return Err(ExitStatus::Failure);
    }
    rows.sort_unstable();
    rows.dedup();
    Ok(rows)
}

/// Exit 2 because a source is missing, unreadable or empty, or its file was refused (outside
/// the root, not a regular file, over the size limit): prints the data problems on standard
/// error and writes no report (a report without that source's people would read as "remove
/// them").
pub(super) fn data_cannot_run(state: &crate::eval::DesiredState) -> ExitStatus {
    let mut text = String::new();
    for issue in &state.issues {
        text.push_str(&issue.render());
    }
    super::io::err(&text);
    cannot_run("a source could not be used: nothing was evaluated")
}
