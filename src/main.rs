//! The `roster` command line: parses arguments and dispatches to one command per file in
//! [`roster::cli`].

use std::process::ExitCode;

/// mimalloc: evaluation allocates and frees many small strings from several threads at once,
/// where it is markedly faster than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    roster::cli::main(std::env::args_os()).into()
}
