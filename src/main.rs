//! The `testsift` binary: parse the command line, run it, map errors to exit codes.

use clap::Parser;
use std::process::ExitCode;
use testsift::{cli::Cli, cmd, error::EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("testsift: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// mimalloc keeps freed pages for reuse, where the system allocator handed each batch's column
/// buffers back to the kernel and faulted them in again for the next (the ingest benchmark's
/// page faults and time: docs/benchmarks.md). Polars recommends a global allocator of this kind.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
