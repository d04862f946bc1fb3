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
