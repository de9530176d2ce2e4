//! `roster explain PERSON [DIR] [--as-of DATE] [--all | --only TOPIC] [--format human|json]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{load_for_evaluation, out};
use crate::escape::{VALUE_CHARS, clip, json_pretty, terminal};
use crate::eval::Options;
use crate::eval::explain::{self, View, focus};

/// Output formats of `roster explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ExplainFormat {
    /// For people.
    #[default]
    Human,
    /// JSON (`schemas/explain.schema.json`).
    Json,
}

/// Arguments of `roster explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The person: an identity key (the primary source's key, e.g. a WorkerID), or the value
    /// of an identity attribute that only this person has (`userName`, `mail`,
    /// `userPrincipalName`, ...).
    id: String,
    /// The policy set.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The date to evaluate for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Everything: every attribute with its mapping and inputs, every group and package with
    /// the conditions that decided it, every filter clause and account attribute.
    #[arg(long, conflicts_with = "only")]
    all: bool,
    /// One topic in full: `groups`, `packages`, `accounts`, `attributes`, or the name of one
    /// identity attribute (`department`) or target attribute (`erp.userName`).
    #[arg(long, value_name = "TOPIC")]
    only: Option<String>,
    /// Output format (JSON holds every section unless `--only` narrows it).
    #[arg(long, value_enum, default_value_t)]
    format: ExplainFormat,
    /// Also show what `roster plan` would change for this person in each target, and why:
    /// from the exports the targets' `actual:` settings name, or from `DIR/<target>/` when a
    /// directory is given (as `plan --actual DIR`).
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    #[allow(clippy::option_option)]
    actual: Option<Option<PathBuf>>,
    #[command(flatten)]
    data: super::io::DataArgs,
    #[command(flatten)]
    previous: super::io::PreviousArgs,
    #[command(flatten)]
    sign_ins: super::io::SignInArgs,
}

fn e(text: &str) -> String {
    terminal(&clip(text, VALUE_CHARS)).into_owned()
}

/// Runs `roster explain`: exit 0 with the explanation; 1 when the policy set has errors, no
/// identity matches, several do, or `--only` names no topic; 2 when it could not run.
pub fn run(args: &Args) -> ExitStatus {
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, args.as_of.as_deref(), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
        };
    let view = match (&args.only, args.all) {
        (Some(topic), _) => match View::only(topic, &checked) {
            Ok(v) => v,
            Err(near) => {
                super::io::err(&format!(
                    "error: `--only {}` is not a topic (`groups`, `packages`, `accounts`, `attributes`) or an attribute{}\n",
                    e(topic),
                    near.map_or_else(String::new, |n| format!("; did you mean `{}`?", e(&n)))
                ));
                return ExitStatus::Failure;
            }
        },
        (None, true) => View::All,
        (None, false) => View::Concise,
    };
    let sign_ins = match args.sign_ins.read(args.data.options().max_data_bytes) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let previous = match args
        .previous
        .read(&loaded, as_of, args.data.options().max_data_bytes)
    {
        Ok(p) => p,
        Err(status) => return status,
    };
    let found = match focus::focus(
        &loaded,
        &checked,
        Options {
            as_of,
            previous: previous.clone(),
            sign_ins: sign_ins.clone(),
        },
        &args.id,
    ) {
        Ok(f) => f,
        Err(focus::Miss::CannotRun(state)) => return super::eval::data_cannot_run(&state),
        Err(focus::Miss::NotFound(near)) => {
            // Not an identity: a guest of a connected organisation, by e-mail address.
            let wanted = args.id.to_lowercase();
            if let Some(g) = crate::governance::guests::desired(&loaded, as_of)
                .into_iter()
                .find(|g| g.email == wanted)
            {
                return explain_guest(&g, as_of, args.format);
            }
            super::io::err(&format!(
                "error: no identity `{}`: no key and no attribute has this value{}\n",
                e(&args.id),
                near.map_or_else(String::new, |n| format!("; did you mean `{}`?", e(&n)))
            ));
            return ExitStatus::Failure;
        }
        Err(focus::Miss::Ambiguous(candidates, total)) => {
            let mut text = format!(
                "error: `{}` matches {total} identities; give the key of one:\n",
                e(&args.id)
            );
            for c in &candidates {
                text.push_str(&format!("  {} (by {})\n", e(&c.key), e(&c.attribute)));
            }
            if total > candidates.len() {
                text.push_str(&format!("  and {} more\n", total - candidates.len()));
            }
            super::io::err(&text);
            return ExitStatus::Failure;
        }
    };
    let Some(explanation) = explain::explain(
        &loaded,
        &checked,
        &found.state,
        found.index,
        found.found_by,
        found.evaluated,
        &view,
    ) else {
        super::io::err("error: the identity could not be explained\n");
        return ExitStatus::Failure;
    };
    let person_plan = match &args.actual {
        None => None,
        Some(dir) => {
            let locations = crate::plan::Locations {
                base: dir.clone(),
                max_bytes: args.data.max_data_size,
            };
            let key = found
                .state
                .identities
                .key(found.index)
                .unwrap_or_default()
                .to_string();
            match crate::plan::run_with(
                &loaded,
                &checked,
                Options {
                    as_of,
                    previous: previous.clone(),
                    sign_ins: sign_ins.clone(),
                },
                &locations,
            ) {
                Ok(plan) => Some(crate::plan::PersonPlan::of(&plan, &key)),
                Err(state) => return super::eval::data_cannot_run(&state),
            }
        }
    };
    match args.format {
        ExplainFormat::Human => {
            let mut text = explain::human(&explanation, &view);
            if let Some(p) = &person_plan {
                text.push_str(&crate::plan::render::person(p));
            }
            out(&text)
        }
        ExplainFormat::Json => match &person_plan {
            None => out(&format!("{}\n", json_pretty(&explanation))),
            Some(p) => {
                let mut doc = serde_json::to_value(&explanation).unwrap_or_default();
                if let Some(o) = doc.as_object_mut() {
                    o.insert("plan".into(), serde_json::to_value(p).unwrap_or_default());
                }
                out(&format!("{}\n", json_pretty(&doc)))
            }
        },
    };
    ExitStatus::Success
}

/// A guest of a connected organisation, explained: state, packages and the records that
/// grant them, groups, and the days of the invitation, block and removal.
fn explain_guest(
    g: &crate::governance::guests::GuestState,
    as_of: chrono::NaiveDate,
    format: ExplainFormat,
) -> ExitStatus {
    match format {
        ExplainFormat::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                as_of: String,
                guest: &'a crate::governance::guests::GuestState,
            }
            out(&format!(
                "{}\n",
                json_pretty(&Doc {
                    as_of: as_of.to_string(),
                    guest: g,
                })
            ));
        }
        ExplainFormat::Human => {
            let mut text = format!(
                "guest {}{}, of connected organization {}, as of {as_of}\nstate: {}\n",
                e(&g.email),
                g.display_name
                    .as_ref()
                    .map_or_else(String::new, |d| format!(" ({})", e(d))),
                e(&g.organization),
                g.state.word()
            );
            text.push_str(&format!(
                "invited on {} (not from HR: an approved request)\n",
                g.invited
            ));
            text.push_str(&format!(
                "\naccess packages ({}):\n",
                g.access_packages.len()
            ));
            for p in &g.access_packages {
                text.push_str(&format!("  + {}\n", e(p)));
            }
            for r in &g.assignments {
                text.push_str(&format!("    from assignment:{}\n", e(r)));
            }
            text.push_str(&format!("\ngroups ({}):\n", g.groups.len()));
            for group in &g.groups {
                text.push_str(&format!("  + {}: granted by an access package\n", e(group)));
            }
            text.push('\n');
            match g.access_ends {
                Some(d) => text.push_str(&format!("last assignment ends: {d}\n")),
                None => {
                    text.push_str("last assignment ends: never (an assignment without an end)\n")
                }
            }
            if let Some(d) = g.blocked {
                text.push_str(&format!("sign-in blocked: {d}\n"));
            }
            if let Some(d) = g.removed {
                text.push_str(&format!("removed: {d}\n"));
            }
            out(&text);
        }
    }
    ExitStatus::Success
}
