//! `roster generate --identities N --seed S --out DIR [--mappings M --rules R --packages P]
//! [--actual-drift PCT] [--force]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;
use crate::generate::{self, MAX_IDENTITIES, MAX_MAPPINGS, MAX_PACKAGES, MAX_RULES, Settings};

/// A count between 0 and `max`, with a clear error otherwise (`usize` would accept values that
/// overflow or exhaust memory).
fn count(text: &str, max: usize) -> Result<usize, String> {
    let value: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number from 0 to {max}"))?;
    usize::try_from(value)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("{value} is over the limit of {max}"))
}

/// Arguments of `roster generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many people (at most 10,000,000).
    #[arg(long, default_value_t = 10_000, value_parser = |s: &str| count(s, MAX_IDENTITIES))]
    identities: usize,
    /// The random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write `policies/` and `data/`; it must be empty or absent unless `--force`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How many identity attribute mappings (at most 10,000).
    #[arg(long, default_value_t = 500, value_parser = |s: &str| count(s, MAX_MAPPINGS))]
    mappings: usize,
    /// How many dynamic group rules (at most 50,000).
    #[arg(long, default_value_t = 2_000, value_parser = |s: &str| count(s, MAX_RULES))]
    rules: usize,
    /// How many access packages (at most 5,000).
    #[arg(long, default_value_t = 200, value_parser = |s: &str| count(s, MAX_PACKAGES))]
    packages: usize,
    /// Also write each target's actual state under `actual/` (and point the targets' `actual:`
    /// settings at it): the desired state, except for PCT per cent of the identities (0 to
    /// 100, decimals allowed) with deliberate drift: a missing account, a changed attribute, an
    /// extra group membership, an orphan account, a disabled account that should be enabled.
    #[arg(long, value_name = "PCT", value_parser = generate::actual::Drift::parse)]
    actual_drift: Option<generate::actual::Drift>,
    /// Write into `--out` even when it is not empty (files of the same names are replaced).
    #[arg(long)]
    force: bool,
}

/// Runs `roster generate`: exit 0 when written, 2 when `--out` is not empty (without
/// `--force`) or cannot be written.
pub fn run(args: &Args) -> ExitStatus {
    let settings = Settings {
        identities: args.identities,
        seed: args.seed,
        mappings: args.mappings,
        rules: args.rules,
        packages: args.packages,
        actual_drift: args.actual_drift,
    };
    if let Err(e) = settings.check() {
        return cannot_run(&e);
    }
    if !args.force {
        match std::fs::read_dir(&args.out) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return cannot_run(&format!(
                        "`{}` is not empty: generate into an empty or new directory, or pass --force to replace its files",
                        args.out.display()
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return cannot_run(&format!("`{}`: {e}", args.out.display())),
        }
    }
    match generate::generate(&settings, &args.out) {
        Ok(summary) => {
            super::io::err(&format!(
                "wrote {} files for {} identities into {} (evaluate as of {})\n",
                summary.files.len(),
                summary.identities,
                crate::escape::terminal(&args.out.display().to_string()),
                generate::REFERENCE_DATE
            ));
            if let Some(d) = &summary.drift {
                let mut line = format!(
                    "actual state: {} of {} identities drifted",
                    d.drifted, d.identities
                );
                for (name, t) in &d.targets {
                    let _ = std::fmt::Write::write_fmt(
                        &mut line,
                        format_args!(
                            "; {}: {} missing, {} changed, {} extra memberships, {} orphans, {} disabled",
                            crate::escape::terminal(name),
                            t.missing,
                            t.changed,
                            t.extra_membership,
                            t.orphan,
                            t.disabled
                        ),
                    );
                }
                line.push_str(" (actual/drift.json)\n");
                super::io::err(&line);
            }
            ExitStatus::Success
        }
        Err(e) => cannot_run(&format!("`{}`: {e}", args.out.display())),
    }
}
