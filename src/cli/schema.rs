//! `roster schema [--out DIR]`: the JSON Schema of policy files.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;

/// Arguments of `roster schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the schemas into this directory (default: print them, policy file first).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The schemas Roster generates, by file name.
pub fn schemas() -> Vec<(&'static str, String)> {
    let policy = schemars::schema_for!(crate::policy::raw::PolicyFile);
    let mut text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    text.push('\n');
    let state = schemars::schema_for!(crate::eval::DesiredState);
    let mut state_text = serde_json::to_string_pretty(&state).unwrap_or_default();
    state_text.push('\n');
    vec![
        ("policy.schema.json", text),
        ("desired-state.schema.json", state_text),
    ]
}

/// Runs `roster schema`.
pub fn run(args: &Args) -> ExitStatus {
    let all = schemas();
    match &args.out {
        None => {
            for (_, text) in &all {
                super::io::out(text);
            }
        }
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return cannot_run(&format!("`{}`: {e}", dir.display()));
            }
            for (name, text) in &all {
                let path = dir.join(name);
                if let Err(e) = std::fs::write(&path, text) {
                    return cannot_run(&format!("`{}`: {e}", path.display()));
                }
                super::io::err(&format!("wrote {}\n", path.display()));
            }
        }
    }
    ExitStatus::Success
}
