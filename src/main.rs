//! The `roster` command line: parses arguments and dispatches to one command per file in
//! [`roster::cli`].

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let args = roster::cli::Cli::parse();
    roster::cli::run(args).into()
}
