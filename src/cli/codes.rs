//! `roster codes [CODE] [--markdown]`: the diagnostic-code registry; one code's documentation,
//! like `rustc --explain`.

use super::ExitStatus;
use crate::codes;

/// Arguments of `roster codes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One code (`C201`) or code name (`unknown-property`) to explain: its summary,
    /// explanation, and a bad and a good example.
    #[arg(value_name = "CODE", conflicts_with = "markdown")]
    code: Option<String>,
    /// Print the Markdown reference (`docs/diagnostics.md`) instead of a list.
    #[arg(long)]
    markdown: bool,
}

/// Runs `roster codes`: exit 1 for an unknown code.
pub fn run(args: &Args) -> ExitStatus {
    if let Some(query) = &args.code {
        return match codes::find(query) {
            Ok(info) => {
                super::io::out(&codes::explain_text(info));
                ExitStatus::Success
            }
            Err(near) => {
                let clipped = crate::escape::clip_message(query);
                let quoted = crate::escape::terminal(&clipped);
                let mut text = format!("error: `{quoted}` is not a diagnostic code\n");
                match near {
                    Some(n) => text.push_str(&format!("  = help: did you mean `{n}`?\n")),
                    None => text.push_str("  = help: `roster codes` lists every code\n"),
                }
                super::io::err(&text);
                ExitStatus::Failure
            }
        };
    }
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
