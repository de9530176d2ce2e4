//! `roster diff --base REV [DIR]` and `roster diff OLD_DIR NEW_DIR`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, compile_for_evaluation};
use crate::diff::{self, render};
use crate::eval::{self, Options};

/// Output formats of `roster diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DiffFormat {
    /// For people.
    #[default]
    Human,
    /// One document (schemas/diff.schema.json).
    Json,
    /// A summary line, then one line per identity, problem and conflict.
    Jsonl,
    /// A pull-request comment, under 60,000 characters whatever the population.
    Markdown,
}

/// Arguments of `roster diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// With `--base`: the policy set (default `policies`). Without: the old and the new policy
    /// set.
    #[arg(value_name = "DIR", num_args = 0..=2)]
    dirs: Vec<PathBuf>,
    /// Compare the policy set at this git revision with the working tree.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The date both are evaluated for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: DiffFormat,
    #[command(flatten)]
    data: super::io::DataArgs,
}

/// Runs `roster diff`: exit 0 with the diff, 1 when either policy set has errors, 2 when it
/// could not run.
pub fn run(args: &Args) -> ExitStatus {
    let as_of = match super::io::as_of_or_today(args.as_of.as_deref()) {
        Ok(d) => d,
        Err(s) => return s,
    };
    let options = args.data.options();
    let (new_dir, old, new, label) = match (&args.base, args.dirs.as_slice()) {
        (Some(rev), dirs) if dirs.len() <= 1 => {
            let dir = dirs
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from("policies"));
            let new = match crate::policy::load::load_with(&dir, &options) {
                Ok(l) => l,
                Err(e) => return cannot_run(&e.to_string()),
            };
            let old = match diff::git::load_at(&dir, rev, &new) {
                Ok(l) => l,
                Err(e) => return cannot_run(&e),
            };
            (dir, old, new, format!("`{rev}` → working tree"))
        }
        (None, [old_dir, new_dir]) => {
            let old = match crate::policy::load::load_with(old_dir, &options) {
                Ok(l) => l,
                Err(e) => return cannot_run(&e.to_string()),
            };
            let new = match crate::policy::load::load_with(new_dir, &options) {
                Ok(l) => l,
                Err(e) => return cannot_run(&e.to_string()),
            };
            (
                new_dir.clone(),
                old,
                new,
                format!("`{}` → `{}`", old_dir.display(), new_dir.display()),
            )
        }
        _ => {
            return cannot_run(
                "give `--base REV [DIR]` to compare with a git revision, or `OLD_DIR NEW_DIR`",
            );
        }
    };
    let old_policy = match compile_for_evaluation(&new_dir, &old) {
        Ok(p) => p,
        Err(s) => return s,
    };
    let new_policy = match compile_for_evaluation(&new_dir, &new) {
        Ok(p) => p,
        Err(s) => return s,
    };
    // The HR data is read once when both versions declare the same sources (the usual pull
    // request), else once per version.
    let read_new = eval::ReadData::read(&new);
    let read_old = if source_signature(&old) == source_signature(&new) {
        None
    } else {
        Some(eval::ReadData::read(&old))
    };
    // Stages 2 to 4 run once when the identity section and tenant are the same too.
    let (before, after) = eval::evaluate_pair(
        (&old, &old_policy, read_old.as_ref().unwrap_or(&read_new)),
        (&new, &new_policy, &read_new),
        Options::at(as_of),
    );
    if before.cannot_run() {
        return super::eval::data_cannot_run(&before);
    }
    if after.cannot_run() {
        return super::eval::data_cannot_run(&after);
    }
    let d = diff::diff(&before, &after);
    match args.format {
        DiffFormat::Human => {
            super::io::out(&render::human(&d));
        }
        DiffFormat::Json => {
            super::io::out(&render::json(&d));
        }
        DiffFormat::Jsonl => {
            let _ = render::jsonl(&d, super::output::Stdout);
        }
        DiffFormat::Markdown => {
            let revision = crate::revision::of(&new_dir);
            let header = format!(
                "{}\nComparing {}\n",
                crate::markdown::header("Roster diff", as_of, revision.as_deref()),
                crate::escape::markdown_message(&label)
            );
            super::io::out(&render::markdown(&d, &header));
        }
    }
    ExitStatus::Success
}

/// What the sources of a policy set read, and how: equal signatures read equal datasets.
fn source_signature(loaded: &crate::policy::load::Loaded) -> Vec<String> {
    let mut out = Vec::new();
    for f in &loaded.files {
        let base = f.path.parent().unwrap_or(std::path::Path::new("."));
        for (name, s) in &f.policy.sources {
            let s = &s.value;
            let path = base.join(&s.path.value);
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            let fields: Vec<String> = s
                .fields
                .iter()
                .map(|(k, v)| format!("{}:{:?}", k.value, v.value))
                .collect();
            out.push(format!(
                "{}|{}|{:?}|{}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
                name.value,
                path.display(),
                s.format.value,
                s.key.value,
                s.delimiter.as_ref().map(|d| &d.value),
                s.duplicates.as_ref().map(|d| d.value),
                s.modified_field.as_ref().map(|d| &d.value),
                fields.join(","),
                s.authoritative_for
                    .iter()
                    .map(|a| &a.value)
                    .collect::<Vec<_>>(),
                s.optional.as_ref().map(|o| o.value),
            ));
        }
    }
    out.sort();
    out
}
