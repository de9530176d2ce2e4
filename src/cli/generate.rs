//! `roster generate --identities N --seed S --out DIR [--mappings M --rules R --packages P]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;
use crate::generate::{self, Settings};

/// Arguments of `roster generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many people.
    #[arg(long, default_value_t = 10_000)]
    identities: usize,
    /// The random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write `policies/` and `data/`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How many identity attribute mappings.
    #[arg(long, default_value_t = 500)]
    mappings: usize,
    /// How many dynamic group rules.
    #[arg(long, default_value_t = 2_000)]
    rules: usize,
    /// How many access packages.
    #[arg(long, default_value_t = 200)]
    packages: usize,
}

/// Runs `roster generate`.
pub fn run(args: &Args) -> ExitStatus {
    let settings = Settings {
        identities: args.identities,
        seed: args.seed,
        mappings: args.mappings,
        rules: args.rules,
        packages: args.packages,
    };
    match generate::generate(&settings, &args.out) {
        Ok(summary) => {
            eprintln!(
                "wrote {} files for {} identities into {} (evaluate as of {})",
                summary.files.len(),
                summary.identities,
                crate::escape::terminal(&args.out.display().to_string()),
                generate::REFERENCE_DATE
            );
            ExitStatus::Success
        }
        Err(e) => cannot_run(&format!("`{}`: {e}", args.out.display())),
    }
}
