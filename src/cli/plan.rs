//! `roster plan [DIR] [--actual DIR] [--as-of DATE] [--format human|json|jsonl|markdown]
//! [--out FILE] [--detailed-exitcode] [--previous FILE]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, load_for_evaluation};
use crate::files;
use crate::plan::{self, Locations, render};

/// Output formats of `roster plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PlanFormat {
    /// For people, like `terraform plan`: destructive changes first.
    #[default]
    Human,
    /// One versioned document (schemas/plan.schema.json).
    Json,
    /// One line per change, held identity, dispute, orphan and problem, after a summary line.
    Jsonl,
    /// A pull-request comment, under 60,000 characters whatever the population.
    Markdown,
}

/// Arguments of `roster plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The directory the targets' `actual:` paths are relative to, instead of the declaring
    /// policy file's directory. Exports are read only inside it.
    #[arg(long, value_name = "DIR")]
    actual: Option<PathBuf>,
    /// The date to plan for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: PlanFormat,
    /// Also save the plan as JSON in this file (for a later apply, and the approval
    /// fingerprints).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on an error (a refusal included).
    #[arg(long)]
    detailed_exitcode: bool,
    #[command(flatten)]
    data: super::io::DataArgs,
    #[command(flatten)]
    previous: super::io::PreviousArgs,
    #[command(flatten)]
    sign_ins: super::io::SignInArgs,
}

/// Runs `roster plan`: exit 0 with a plan, 1 when the policy set or the data has errors, an
/// export could not be read, or a target's disables and deletes are over its threshold
/// without an approval, 2 when it could not run (with `--detailed-exitcode`: 2 when the plan
/// has changes).
pub fn run(args: &Args) -> ExitStatus {
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, args.as_of.as_deref(), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
        };
    if let Some(dir) = &args.actual
        && !dir.is_dir()
    {
        return cannot_run(&format!(
            "--actual: `{}` is not a directory",
            files::quote(&dir.display().to_string())
        ));
    }
    let locations = Locations {
        base: args.actual.clone(),
        max_bytes: args.data.max_data_size,
    };
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
    let evaluation = crate::eval::Options {
        as_of,
        previous,
        sign_ins,
    };
    let plan = match plan::run_with(&loaded, &checked, evaluation, &locations) {
        Ok(p) => p,
        Err(state) => return super::eval::data_cannot_run(&state),
    };
    if let Some(path) = &args.out
        && let Err(status) = super::io::write_file(path, &render::json(&plan))
    {
        return status;
    }
    match args.format {
        PlanFormat::Human => {
            super::io::out(&render::human(&plan));
        }
        PlanFormat::Json => {
            super::io::out(&render::json(&plan));
        }
        PlanFormat::Jsonl => {
            let _ = render::jsonl(&plan, super::output::Stdout);
        }
        PlanFormat::Markdown => {
            let revision = crate::revision::of(&args.dir);
            let header = crate::markdown::header("Roster plan", as_of, revision.as_deref());
            super::io::out(&render::markdown(&plan, &header));
        }
    }
    // Change triggers compared with the directory's actual state when no `--previous` was
    // given (`plan::previous`): no warning that they cannot run; nor that the grace period is
    // not known when the directory's assignments export gave it.
    let given = args.previous.previous.is_some();
    let mut warnings = Vec::new();
    crate::governance::workflows::issues(
        &loaded,
        given || plan.previous_from.is_some(),
        &mut warnings,
    );
    crate::governance::grace::issues(&loaded, given || plan.grace_from.is_some(), &mut warnings);
    let warning: String = warnings
        .iter()
        .map(crate::ingest::DataIssue::render)
        .collect();
    if !warning.is_empty() {
        super::io::err(&warning);
    }
    if plan.has_errors() {
        let errors = plan
            .issues
            .iter()
            .filter(|i| i.severity == crate::diagnostics::Severity::Error)
            .count();
        super::io::err(&format!(
            "{} error{} in the plan; see its problems\n",
            errors,
            if errors == 1 { "" } else { "s" }
        ));
        ExitStatus::Failure
    } else if args.detailed_exitcode && !plan.summary.no_changes() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}
