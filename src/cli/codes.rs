//! `roster codes [--markdown]`: the diagnostic-code registry.

use super::ExitStatus;
use crate::codes;

/// Arguments of `roster codes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the Markdown reference (`docs/diagnostics.md`) instead of a list.
    #[arg(long)]
    markdown: bool,
}

/// Runs `roster codes`.
pub fn run(args: &Args) -> ExitStatus {
    if args.markdown {
        super::io::out(&codes::markdown());
    } else {
        for info in codes::ALL {
            if !super::io::out(&format!(
                "{}  {:<28} {}\n",
                info.code.as_str(),
                info.name,
                info.summary
            )) {
                break;
            }
        }
    }
    ExitStatus::Success
}
