//! `roster calendar [DIR] --from DATE --to DATE [--as-of DATE] [--identity KEY]...
//! [--format human|json|markdown|ics] [--out FILE] [--previous FILE]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, load_for_evaluation, parse_date};
use crate::eval::{self, Options};
use crate::governance::calendar::{self, Calendar};
use crate::governance::{self, Window};

/// The longest window, in days: ten years.
const MAX_DAYS: i64 = 3_660;

/// Output formats of `roster calendar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum CalendarFormat {
    /// For people: one block per day, a line per group of events.
    #[default]
    Human,
    /// One versioned document with every event (schemas/calendar.schema.json).
    Json,
    /// A pull-request comment, under 60,000 characters whatever the population.
    Markdown,
    /// iCalendar (RFC 5545), one all-day event per day and group, for calendar applications.
    Ics,
}

/// Arguments of `roster calendar`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The first day of the window, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    from: String,
    /// The last day of the window, included, `YYYY-MM-DD` (at most ten years after `--from`).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// The date the population is evaluated for: who is in each workflow's scope, and the
    /// attributes e-mails are written from (default: `--from`).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Only the events of this identity (its key) or guest (their e-mail); repeat for more.
    #[arg(long = "identity", value_name = "KEY")]
    identities: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: CalendarFormat,
    /// Write the calendar to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    previous: super::io::PreviousArgs,
    #[command(flatten)]
    sign_ins: super::io::SignInArgs,
    #[command(flatten)]
    data: super::io::DataArgs,
}

/// Runs `roster calendar`: exit 0 with the calendar, 1 when the policy set or the data has
/// errors (the calendar is still written: events of identities whose data is in error are
/// not scheduled), 2 when it could not run.
pub fn run(args: &Args) -> ExitStatus {
    let window = match window(args) {
        Ok(w) => w,
        Err(e) => return cannot_run(&e),
    };
    let as_of = args
        .as_of
        .clone()
        .unwrap_or_else(|| window.from.to_string());
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, Some(&as_of), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
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
    let state = eval::evaluate(
        &loaded,
        &checked,
        Options {
            as_of,
            previous: previous.clone(),
            sign_ins,
        },
    );
    if state.cannot_run() {
        return super::eval::data_cannot_run(&state);
    }
    let view = governance::View::of(&loaded, &checked, &state).with_previous(previous.as_deref());
    let mut events = governance::events(&view, window);
    if !args.identities.is_empty() {
        events.retain(|e| args.identities.iter().any(|k| k == e.subject.id()));
    }
    let mut cal = Calendar::new(window, as_of, events);
    cal.names = display_names(&view, &cal);
    let text = match args.format {
        CalendarFormat::Human => calendar::human(&cal),
        CalendarFormat::Json => calendar::json(&cal),
        CalendarFormat::Markdown => {
            let revision = crate::revision::of(&args.dir);
            let header = crate::markdown::header("Roster calendar", as_of, revision.as_deref());
            calendar::markdown(&cal, &header)
        }
        CalendarFormat::Ics => calendar::ics(&cal),
    };
    match &args.out {
        None => {
            super::io::out(&text);
        }
        Some(path) => {
            if let Err(status) = super::io::write_file(path, &text) {
                return status;
            }
        }
    }
    let warning = args.previous.warning(&loaded);
    if !warning.is_empty() {
        super::io::err(&warning);
    }
    let errors = state
        .issues
        .iter()
        .filter(|i| i.severity == crate::diagnostics::Severity::Error)
        .count();
    if errors > 0 {
        super::io::err(&format!(
            "{} data error{}: identities whose data is in error have nothing scheduled; run `roster eval` for the problems\n",
            errors,
            if errors == 1 { "" } else { "s" }
        ));
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// The window of `--from` and `--to`: both dates, in order, at most [`MAX_DAYS`] long.
fn window(args: &Args) -> Result<Window, String> {
    let from = parse_date("--from", &args.from)?;
    let to = parse_date("--to", &args.to)?;
    if to < from {
        return Err(format!("--to {to} is before --from {from}"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(format!(
            "the window from {from} to {to} is longer than ten years ({MAX_DAYS} days); ask for a shorter one"
        ));
    }
    Ok(Window { from, to })
}

/// The display names (identity attribute `displayName`, when the policy has one) of the
/// identities in the calendar's events.
fn display_names(
    view: &governance::View<'_>,
    cal: &Calendar,
) -> std::collections::BTreeMap<String, String> {
    let mut names = std::collections::BTreeMap::new();
    let Some(column) = view.column("displayName") else {
        return names;
    };
    for e in &cal.events {
        let governance::Subject::Identity(key) = &e.subject else {
            continue;
        };
        if names.contains_key(key) {
            continue;
        }
        if let Some(i) = view.index_of(key)
            && let Some(name) = column.get(i).as_text()
        {
            names.insert(key.clone(), name.into_owned());
        }
    }
    names
}
