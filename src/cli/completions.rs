//! `roster completions SHELL` and `roster man`: shell completion scripts and the manual page,
//! generated from the clap definitions of [`super::Cli`], so that they never drift from the
//! commands and flags that exist.

use super::ExitStatus;

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// Bash: `source <(roster completions bash)`, or save it in
    /// `~/.local/share/bash-completion/completions/roster`.
    Bash,
    /// Zsh: save it as `_roster` in a directory of `$fpath`.
    Zsh,
    /// Fish: save it in `~/.config/fish/completions/roster.fish`.
    Fish,
    /// PowerShell: dot-source it from the profile.
    Powershell,
    /// Elvish.
    Elvish,
}

/// Arguments of `roster completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Arguments of `roster man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Writes the completion script for one shell to standard output.
pub fn run(args: &Args) -> ExitStatus {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
        Shell::Elvish => clap_complete::Shell::Elvish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut command(), "roster", &mut buf);
    write_generated(&buf)
}

/// Writes the manual page, `roster(1)` in roff, to standard output.
pub fn man(_args: &ManArgs) -> ExitStatus {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(command()).render(&mut buf) {
        return super::io::cannot_run(&format!("cannot render the manual page: {e}"));
    }
    write_generated(&buf)
}

fn command() -> clap::Command {
    <super::Cli as clap::CommandFactory>::command()
}

/// The generators write bytes; what they write from our own definitions is UTF-8.
fn write_generated(buf: &[u8]) -> ExitStatus {
    match std::str::from_utf8(buf) {
        Ok(text) => {
            super::io::out(text);
            ExitStatus::Success
        }
        Err(e) => super::io::cannot_run(&format!("the generated text is not UTF-8: {e}")),
    }
}
